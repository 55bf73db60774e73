"""What the budget page needs of the payment engine, kept on the traject (invoicing.budget.TrajectCost).

The budget page ran the engine over every open traject on every request (99 seconds at 100,000 trajecten). The
maximum cost, what is owed and when that next changes, and the year the rest falls due are now kept per traject
by app.projections and summed in SQL. Existing trajecten are marked as due for a recomputation (their
``cost_owed_until`` lies in the past); ``flask projections refresh``, run by ``make run`` and nightly by the
job worker, computes them.

Revision ID: 0013_traject_outlook
Revises: 0012_client_transfers
Create Date: 2026-12-03 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_traject_outlook'
down_revision: str | None = '0012_client_transfers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('traject', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('cost_max_cents', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('cost_owed_cents', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('cost_owed_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('cost_due_year', sa.Integer(), nullable=True))
        batch_op.create_index('ix_traject_cost_owed_until', ['cost_owed_until'], unique=False)
        batch_op.create_index('ix_traject_outlook', ['gemeente_id', 'contract_id', 'cost_max_cents', 'cost_owed_cents',
                                                     'approved_cost', 'cost_due_year'], unique=False,
                              sqlite_where=sa.text('open_lot_key IS NOT NULL'),
                              postgresql_where=sa.text('open_lot_key IS NOT NULL'))
    op.execute("UPDATE traject SET cost_owed_until = '1970-01-01'")


def downgrade() -> None:
    with op.batch_alter_table('traject', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_index('ix_traject_outlook')
        batch_op.drop_index('ix_traject_cost_owed_until')
        batch_op.drop_column('cost_due_year')
        batch_op.drop_column('cost_owed_until')
        batch_op.drop_column('cost_owed_cents')
        batch_op.drop_column('cost_max_cents')
