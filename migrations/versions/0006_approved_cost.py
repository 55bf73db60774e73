"""Reports at scale: each traject's approved cost, kept so that cost per placement needs no join to invoice
lines; an index from which realised money per gemeente and year is read without the lines themselves.

The cost is filled here from the approved, exported and paid invoice lines; afterwards kept by ``app.projections``.

Revision ID: 0006_approved_cost
Revises: 0005_reports
Create Date: 2026-11-23 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_approved_cost'
down_revision: str | None = '0005_reports'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('traject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_cost', sa.Numeric(precision=12, scale=2), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_line_realised', ['due_on', 'gemeente_id', 'invoice_id', 'amount'],
                              unique=False)
    op.execute("UPDATE traject SET approved_cost = (SELECT coalesce(sum(invoice_line.amount), 0) "
               "FROM invoice_line JOIN invoice ON invoice.id = invoice_line.invoice_id "
               "WHERE invoice_line.traject_id = traject.id AND invoice.status IN ('approved', 'exported', 'paid'))")


def downgrade() -> None:
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_line_realised')
    with op.batch_alter_table('traject', schema=None) as batch_op:
        batch_op.drop_column('approved_cost')
