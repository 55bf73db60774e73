"""One client record per BSN per gemeente, and transfer requests (overdrachtsverzoeken) between gemeenten.

A BSN was unique across all gemeenten, so registering a person another gemeente holds was refused, and the
refusal told a klantmanager that the person is a client elsewhere. Now a BSN is unique within a gemeente, and
registering one held elsewhere asks that gemeente to hand its record over (docs/clients.md).

Revision ID: 0012_client_transfers
Revises: 0008_client_search_name
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_client_transfers'
down_revision: str | None = '0011_jobs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Audited tables keep AUTOINCREMENT on SQLite (see 0010): a rebuilt table must say so again.
    with op.batch_alter_table('client', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint('uq_client_bsn', type_='unique')
        batch_op.create_unique_constraint('one_record_per_gemeente', ['bsn', 'gemeente_id'])

    op.create_table('client_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('from_gemeente_id', sa.Integer(), nullable=False),
    sa.Column('to_gemeente_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'refused', name='transferstatus', native_enum=False,
                                length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_client_transfer_client_id_client')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'],
                            name=op.f('fk_client_transfer_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['from_gemeente_id'], ['gemeente.id'],
                            name=op.f('fk_client_transfer_from_gemeente_id_gemeente')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'],
                            name=op.f('fk_client_transfer_requested_by_id_user_account')),
    sa.ForeignKeyConstraint(['to_gemeente_id'], ['gemeente.id'],
                            name=op.f('fk_client_transfer_to_gemeente_id_gemeente')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_transfer')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('client_transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_transfer_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_transfer_from_gemeente_id'), ['from_gemeente_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_transfer_status'), ['status'], unique=False)


def downgrade() -> None:
    """Back to one record per BSN overall; refused while a person has records in two gemeenten."""
    op.drop_table('client_transfer')
    with op.batch_alter_table('client', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint('one_record_per_gemeente', type_='unique')
        batch_op.create_unique_constraint('uq_client_bsn', ['bsn'])
