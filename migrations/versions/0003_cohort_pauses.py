"""Cohort pauses: whole paused days are neutral for streaks.

Cohorts paused before this revision get an open pause starting on the (UTC)
date they were paused.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cohort_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_pauses_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_pauses'))
    )
    with op.batch_alter_table('cohort_pauses', schema=None) as batch_op:
        batch_op.create_index('ix_cohort_pauses_cohort', ['cohort_id'], unique=False)

    day = "date(paused_since)" if op.get_bind().dialect.name == "sqlite" else "paused_since::date"
    op.execute(
        "INSERT INTO cohort_pauses (cohort_id, start_date) "
        f"SELECT id, {day} FROM cohorts WHERE paused_since IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('cohort_pauses', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_pauses_cohort')

    op.drop_table('cohort_pauses')
