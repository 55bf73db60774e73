"""Moments in UTC: a tender's closing moment and a bid's submission moment were stored as typed (Amsterdam
wall-clock time) while every other moment is stored in UTC; they are now stored in UTC as well.

No schema change: the stored values move from Amsterdam time to UTC (and back on downgrade), with the zone's
rules of each date, so a closing at 12:00 in summer becomes 10:00 and one in winter 11:00.

Revision ID: 0007_moments_in_utc
Revises: 0006_approved_cost
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = '0007_moments_in_utc'
down_revision: str | None = '0006_approved_cost'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MOMENTS = (("tender", "closing_at"), ("bid", "submitted_at"))


def _local_to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=AMSTERDAM).astimezone(UTC).replace(tzinfo=None)


def _utc_to_local(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(AMSTERDAM).replace(tzinfo=None)


def _convert(change: Callable[[datetime], datetime]) -> None:
    connection = op.get_bind()
    for table_name, column_name in MOMENTS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column_name, sa.DateTime))
        column = table.c[column_name]
        rows = connection.execute(sa.select(table.c.id, column).where(column.is_not(None))).all()
        for row_id, value in rows:
            connection.execute(sa.update(table).where(table.c.id == row_id).values({column_name: change(value)}))


def upgrade() -> None:
    _convert(_local_to_utc)


def downgrade() -> None:
    _convert(_utc_to_local)
