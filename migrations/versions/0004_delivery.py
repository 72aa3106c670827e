"""One delivery path: notices, the status message stored with a submission,
unique posted messages, and the console's saved state.

Duplicate ``posted_messages`` rows (the same platform message id recorded twice
for a cohort, e.g. console ids that restarted at m1) are resolved by keeping
the newest row, which is the post the id most recently named.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_state', sa.String(length=12), nullable=False,
                                      server_default='none'))
        batch_op.add_column(sa.Column('reply_channel', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('reply_message', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('reply_private', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('regrade_of', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('failures', sa.Integer(), nullable=False,
                                      server_default='0'))

    op.execute(
        "DELETE FROM posted_messages WHERE id NOT IN ("
        "SELECT MAX(id) FROM posted_messages GROUP BY cohort_id, message_id)"
    )
    with op.batch_alter_table('posted_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_posted_messages_msg')
        batch_op.create_unique_constraint(
            batch_op.f('uq_posted_messages_cohort_id'), ['cohort_id', 'message_id'])

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_notices_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_notices_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_notices_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_undelivered', ['delivered_at', 'cohort_id'], unique=False)
        batch_op.create_index('ix_notices_submission', ['submission_id'], unique=False)

    op.create_table('console_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_console_state'))
    )


def downgrade() -> None:
    op.drop_table('console_state')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_submission')
        batch_op.drop_index('ix_notices_undelivered')
    op.drop_table('notices')
    with op.batch_alter_table('posted_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_posted_messages_cohort_id'), type_='unique')
        batch_op.create_index('ix_posted_messages_msg', ['message_id'], unique=False)
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('failures')
        batch_op.drop_column('regrade_of')
        batch_op.drop_column('reply_private')
        batch_op.drop_column('reply_message')
        batch_op.drop_column('reply_channel')
        batch_op.drop_column('reply_state')
