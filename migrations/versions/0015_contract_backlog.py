"""The payment run's warning of entitlements long due and never invoiced, kept per contract.

Finding them settled every contract through the payment engine on each opening of the payment run page (150
seconds at 100,000 trajecten). ``contract_backlog`` keeps the result (app.invoicing.services.keep_backlog),
worked out after every invoice that takes or releases entitlements and nightly by the job worker; ``flask
projections refresh`` (run by ``make run``) fills it for the contracts not yet worked out.

Revision ID: 0015_contract_backlog
Revises: 0014_traject_actions
Create Date: 2026-12-04 02:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_contract_backlog'
down_revision: str | None = '0014_traject_actions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'contract_backlog',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('entitlements', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('oldest', sa.Date(), nullable=True),
        sa.Column('as_of', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_backlog_contract_id_contract'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('contract_id', name=op.f('pk_contract_backlog')),
    )


def downgrade() -> None:
    op.drop_table('contract_backlog')
