"""alerts: integrations, alerts, alert groups

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import warroom.platform.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
TS = warroom.platform.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('alert_integrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=16), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('config', JSON, nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_alert_integrations_service_id_services'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_integrations')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_alert_integrations_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_alert_integrations_name'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=1024), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('group_key', sa.String(length=300), nullable=False),
    sa.Column('labels', JSON, nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', TS, nullable=False),
    sa.Column('last_seen_at', TS, nullable=False),
    sa.Column('acknowledged_at', TS, nullable=True),
    sa.Column('acknowledged_by', sa.String(length=100), nullable=True),
    sa.Column('resolved_at', TS, nullable=True),
    sa.Column('resolved_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alerts_incident_id_incidents')),
    sa.ForeignKeyConstraint(['integration_id'], ['alert_integrations.id'], name=op.f('fk_alerts_integration_id_alert_integrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_alerts_service_id_services'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('integration_id', 'dedup_key', name='uq_alerts_integration_dedup')
    )
    op.create_index('ix_alerts_incident', 'alerts', ['incident_id', 'status'], unique=False)
    op.create_index('ix_alerts_status_seen', 'alerts', ['status', 'last_seen_at'], unique=False)
    op.create_index('ix_alerts_last_seen', 'alerts', ['last_seen_at'], unique=False)
    op.create_table('alert_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.String(length=300), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alert_groups_incident_id_incidents')),
    sa.ForeignKeyConstraint(['integration_id'], ['alert_integrations.id'], name=op.f('fk_alert_groups_integration_id_alert_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_groups')),
    sa.UniqueConstraint('integration_id', 'group_key', name='uq_alert_groups_integration_key')
    )


def downgrade() -> None:
    op.drop_table('alert_groups')
    op.drop_index('ix_alerts_last_seen', table_name='alerts')
    op.drop_index('ix_alerts_status_seen', table_name='alerts')
    op.drop_index('ix_alerts_incident', table_name='alerts')
    op.drop_table('alerts')
    op.drop_table('alert_integrations')
