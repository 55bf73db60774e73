"""Indexes that give the traject and client lists their sorts in order, within any user's scope.

At 1,000,000 trajecten on SQLite the traject list sorted by referral date or last activity sorted the whole
scope for each page (a klantmanager's last page 1.1 s, the provider's sort by last activity 1.3 s, the
klantmanager's 2.0 s). With the sort column, the id (the tie-breaker) and the scope columns in one index, the
page's ids are read in order from the index alone: 0.1–120 ms. The client list by name likewise.

Revision ID: 0017_list_indexes
Revises: 0016_traject_observed_index
Create Date: 2026-12-04 03:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0017_list_indexes'
down_revision: str | None = '0016_traject_observed_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_traject_referral', 'traject', ['referral_date', 'id', 'gemeente_id', 'provider_id'])
    op.create_index('ix_traject_last_event', 'traject', ['last_event_on', 'id', 'gemeente_id', 'provider_id'])
    op.create_index('ix_client_last_name', 'client', ['last_name', 'id', 'gemeente_id', 'klantmanager_id'])


def downgrade() -> None:
    op.drop_index('ix_client_last_name', table_name='client')
    op.drop_index('ix_traject_last_event', table_name='traject')
    op.drop_index('ix_traject_referral', table_name='traject')
