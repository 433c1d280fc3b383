"""foundation: users, tokens, catalog, incidents, events, settings

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 08:55:27.228409
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import warroom.platform.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('org_settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_org_settings'))
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('identified_via', sa.String(length=20), nullable=False),
    sa.Column('impact', sa.String(length=20), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('priority_rank', sa.Integer(), nullable=False),
    sa.Column('priority_overridden', sa.Boolean(), nullable=False),
    sa.Column('priority_reason', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.Column('major_reason', sa.Text(), nullable=True),
    sa.Column('coordinator_id', sa.Integer(), nullable=True),
    sa.Column('comms_lead_id', sa.Integer(), nullable=True),
    sa.Column('scribe_id', sa.Integer(), nullable=True),
    sa.Column('experts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('service_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('declared_by', sa.String(length=64), nullable=False),
    sa.Column('detected_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('investigating_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('contained_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comms_lead_id'], ['users.id'], name=op.f('fk_incidents_comms_lead_id_users')),
    sa.ForeignKeyConstraint(['coordinator_id'], ['users.id'], name=op.f('fk_incidents_coordinator_id_users')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['incidents.id'], name=op.f('fk_incidents_duplicate_of_id_incidents')),
    sa.ForeignKeyConstraint(['parent_id'], ['incidents.id'], name=op.f('fk_incidents_parent_id_incidents')),
    sa.ForeignKeyConstraint(['scribe_id'], ['users.id'], name=op.f('fk_incidents_scribe_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('ref', name=op.f('uq_incidents_ref'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_detected_at', ['detected_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_duplicate_of_id'), ['duplicate_of_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_incidents_queue', ['is_open', 'major', 'priority_rank', 'detected_at'], unique=False)
        batch_op.create_index('ix_incidents_status', ['status', 'detected_at'], unique=False)

    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('escalation_policy_id', sa.Integer(), nullable=True),
    sa.Column('created_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_services_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('name', name=op.f('uq_services_name'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_team_id'), ['team_id'], unique=False)

    op.create_table('team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('incident_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('occurred_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_events_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events')),
    sa.UniqueConstraint('incident_id', 'seq', name='uq_incident_events_incident_seq')
    )
    op.create_table('incident_services',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_services_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_incident_services_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'service_id', name=op.f('pk_incident_services'))
    )
    with op.batch_alter_table('incident_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_services_service_id'), ['service_id'], unique=False)

    op.create_table('service_dependencies',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('depends_on_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['depends_on_id'], ['services.id'], name=op.f('fk_service_dependencies_depends_on_id_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_dependencies_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'depends_on_id', name=op.f('pk_service_dependencies')),
    sa.UniqueConstraint('service_id', 'depends_on_id', name=op.f('uq_service_dependencies_service_id_depends_on_id'))
    )
    with op.batch_alter_table('service_dependencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_dependencies_depends_on_id'), ['depends_on_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('service_dependencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_dependencies_depends_on_id'))

    op.drop_table('service_dependencies')
    with op.batch_alter_table('incident_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_services_service_id'))

    op.drop_table('incident_services')
    op.drop_table('incident_events')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_user_id'))

    op.drop_table('team_members')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_team_id'))

    op.drop_table('services')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_status')
        batch_op.drop_index('ix_incidents_queue')
        batch_op.drop_index(batch_op.f('ix_incidents_parent_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_duplicate_of_id'))
        batch_op.drop_index('ix_incidents_detected_at')

    op.drop_table('incidents')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('teams')
    op.drop_table('org_settings')

