"""An index that answers the budget page's observed averages per contract by itself.

The averages of the finished trajecten per contract (app.budgets.services.observed) scanned the traject table:
1.1–1.9 s at 1,000,000 trajecten on SQLite, 108–196 ms from this index. It leads with the contract, so it
serves every lookup by contract too and replaces the index on ``contract_id`` alone.

Revision ID: 0016_traject_observed_index
Revises: 0015_contract_backlog
Create Date: 2026-12-04 03:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0016_traject_observed_index'
down_revision: str | None = '0015_contract_backlog'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_traject_observed', 'traject', ['contract_id', 'status', 'cost_owed_cents'], unique=False)
    op.drop_index('ix_traject_contract_id', table_name='traject')


def downgrade() -> None:
    op.create_index('ix_traject_contract_id', 'traject', ['contract_id'], unique=False)
    op.drop_index('ix_traject_observed', table_name='traject')
