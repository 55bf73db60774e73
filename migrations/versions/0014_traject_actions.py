"""What each traject still needs and from when (contracts.worklist.actions), kept as rows for the work list.

The work list replayed every traject in view on every request (72 seconds at 100,000 trajecten). The actions'
due dates depend on the traject alone, so app.projections keeps them in ``traject_action`` and the work list
asks the database which are due. Existing trajecten are marked for recomputation (as in 0013): ``flask
projections refresh``, run by ``make run`` and nightly by the job worker, writes their rows.

Revision ID: 0014_traject_actions
Revises: 0013_traject_outlook
Create Date: 2026-12-04 00:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_traject_actions'
down_revision: str | None = '0013_traject_outlook'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'traject_action',
        sa.Column('traject_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['traject_id'], ['traject.id'], name=op.f('fk_traject_action_traject_id_traject'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('traject_id', 'kind', name=op.f('pk_traject_action')),
    )
    op.create_index('ix_traject_action_due', 'traject_action', ['due', 'kind'], unique=False)
    op.execute("UPDATE traject SET cost_owed_until = '1970-01-01'")


def downgrade() -> None:
    op.drop_index('ix_traject_action_due', table_name='traject_action')
    op.drop_table('traject_action')
