"""on-call schedules, escalation policies and timers, contact methods, notification outbox

Revision ID: 0003
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import warroom.platform.db

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('escalation_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('levels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('repeat', sa.Integer(), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_policies')),
    sa.UniqueConstraint('name', name=op.f('uq_escalation_policies_name'))
    )
    op.create_table('oncall_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('layers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oncall_schedules')),
    sa.UniqueConstraint('name', name=op.f('uq_oncall_schedules_name'))
    )
    op.create_table('contact_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contact_methods_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_methods'))
    )
    op.create_index(op.f('ix_contact_methods_user_id'), 'contact_methods', ['user_id'], unique=False)
    op.create_table('oncall_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['oncall_schedules.id'], name=op.f('fk_oncall_overrides_schedule_id_oncall_schedules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oncall_overrides_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oncall_overrides'))
    )
    op.create_index(op.f('ix_oncall_overrides_schedule_id'), 'oncall_overrides', ['schedule_id'], unique=False)
    op.create_index(op.f('ix_oncall_overrides_user_id'), 'oncall_overrides', ['user_id'], unique=False)
    op.create_table('contact_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('method_id', sa.Integer(), nullable=False),
    sa.Column('delay_minutes', sa.Integer(), nullable=False),
    sa.Column('priorities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['method_id'], ['contact_methods.id'], name=op.f('fk_contact_rules_method_id_contact_methods'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contact_rules_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_rules'))
    )
    op.create_index(op.f('ix_contact_rules_user_id'), 'contact_rules', ['user_id'], unique=False)
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('next_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_escalations_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['policy_id'], ['escalation_policies.id'], name=op.f('fk_escalations_policy_id_escalation_policies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations'))
    )
    op.create_index('ix_escalations_due', 'escalations', ['state', 'next_at'], unique=False)
    op.create_index(op.f('ix_escalations_incident_id'), 'escalations', ['incident_id'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('method_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=1000), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_notifications_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['method_id'], ['contact_methods.id'], name=op.f('fk_notifications_method_id_contact_methods'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('key', name=op.f('uq_notifications_key'))
    )
    op.create_index('ix_notifications_due', 'notifications', ['state', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_notifications_incident_id'), 'notifications', ['incident_id'], unique=False)
    op.create_table('sla_timers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=4), nullable=False),
    sa.Column('due_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('settled_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_sla_timers_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_timers')),
    sa.UniqueConstraint('incident_id', 'kind', name=op.f('uq_sla_timers_incident_id_kind'))
    )
    op.create_index('ix_sla_timers_due', 'sla_timers', ['state', 'due_at'], unique=False)
    op.create_table('notification_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=False),
    sa.Column('started_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_notification_attempts_notification_id_notifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_attempts'))
    )
    op.create_index(op.f('ix_notification_attempts_notification_id'), 'notification_attempts', ['notification_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notification_attempts_notification_id'), table_name='notification_attempts')
    op.drop_table('notification_attempts')
    op.drop_index('ix_sla_timers_due', table_name='sla_timers')
    op.drop_table('sla_timers')
    op.drop_index(op.f('ix_notifications_incident_id'), table_name='notifications')
    op.drop_index('ix_notifications_due', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index(op.f('ix_escalations_incident_id'), table_name='escalations')
    op.drop_index('ix_escalations_due', table_name='escalations')
    op.drop_table('escalations')
    op.drop_index(op.f('ix_contact_rules_user_id'), table_name='contact_rules')
    op.drop_table('contact_rules')
    op.drop_index(op.f('ix_oncall_overrides_user_id'), table_name='oncall_overrides')
    op.drop_index(op.f('ix_oncall_overrides_schedule_id'), table_name='oncall_overrides')
    op.drop_table('oncall_overrides')
    op.drop_index(op.f('ix_contact_methods_user_id'), table_name='contact_methods')
    op.drop_table('contact_methods')
    op.drop_table('oncall_schedules')
    op.drop_table('escalation_policies')
