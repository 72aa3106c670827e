"""Instructor dashboard: one-time sign-in links and their sessions; covering
indexes for the cohort overview and the exercise view.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_signins',
    sa.Column('token_id', sa.String(length=64), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('link_expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('session_id', sa.String(length=64), nullable=True),
    sa.Column('session_expires_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_dashboard_signins_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_id', name=op.f('pk_dashboard_signins'))
    )
    with op.batch_alter_table('dashboard_signins', schema=None) as batch_op:
        batch_op.create_index('ix_dashboard_signins_cohort_created', ['cohort_id', 'created_at'], unique=False)
        batch_op.create_index('ix_dashboard_signins_session', ['session_id'], unique=True)

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_cohort_cells', ['cohort_id', 'member_id', 'exercise_id', 'status', 'passed', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_submissions_cohort_exercise', ['cohort_id', 'exercise_id', 'member_id', 'status', 'passed', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_cohort_exercise')
        batch_op.drop_index('ix_submissions_cohort_cells')

    with op.batch_alter_table('dashboard_signins', schema=None) as batch_op:
        batch_op.drop_index('ix_dashboard_signins_session')
        batch_op.drop_index('ix_dashboard_signins_cohort_created')

    op.drop_table('dashboard_signins')
