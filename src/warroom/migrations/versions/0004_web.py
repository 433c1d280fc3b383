"""web: server-side sessions and failed-login records

Revision ID: 0004
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import warroom.platform.db

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions'))
    )
    op.create_index(op.f('ix_web_sessions_user_id'), 'web_sessions', ['user_id'], unique=False)
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    op.create_index('ix_login_failures_username_ip_at', 'login_failures', ['username', 'ip', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_failures_username_ip_at', table_name='login_failures')
    op.drop_table('login_failures')
    op.drop_index(op.f('ix_web_sessions_user_id'), table_name='web_sessions')
    op.drop_table('web_sessions')
