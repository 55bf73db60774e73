"""Notifications and each user's choice of them.

Revision ID: 0019_notifications
Revises: 0018_report_indexes
Create Date: 2026-12-04 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019_notifications'
down_revision: str | None = '0018_report_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.Column('mail_state', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    )
    op.create_index('ix_notification_inbox', 'notification', ['user_id', 'read_at', 'created_at'])
    op.create_index('ix_notification_mail', 'notification', ['mail_state'])
    op.create_table(
        'notification_setting',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('in_app', sa.Boolean(), nullable=False),
        sa.Column('by_mail', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_notification_setting_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_setting')),
    )


def downgrade() -> None:
    op.drop_table('notification_setting')
    op.drop_index('ix_notification_mail', table_name='notification')
    op.drop_index('ix_notification_inbox', table_name='notification')
    op.drop_table('notification')
