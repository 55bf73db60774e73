"""Client search that ignores case and diacritics on both databases: each client's name kept folded.

Filled here for the clients that exist, by the same function the model writes it with (``app.search.name_key``);
afterwards kept by ``Client._keep_search_name`` whenever a name is set.

Revision ID: 0008_client_search_name
Revises: 0007_moments_in_utc
Create Date: 2026-12-03 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.search import name_key

revision: str = '0008_client_search_name'
down_revision: str | None = '0007_moments_in_utc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.Text(), server_default='', nullable=False))
    client = sa.table('client', sa.column('id', sa.Integer), sa.column('first_name', sa.String),
                      sa.column('last_name', sa.String), sa.column('search_name', sa.Text))
    connection = op.get_bind()
    rows = connection.execute(sa.select(client.c.id, client.c.first_name, client.c.last_name)).all()
    if rows:
        connection.execute(
            client.update().where(client.c.id == sa.bindparam('client_id')).values(search_name=sa.bindparam('key')),
            [{'client_id': row.id, 'key': name_key(row.first_name, row.last_name)} for row in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('search_name')
