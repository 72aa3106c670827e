"""The learning loop: spaced-review cards, hint uses, challenge times
(personal bests), freeze announcements, honest streaks.

``submissions.counts`` marks a pass that keeps a streak alive (new or due that
day). Before this revision every pass counted; the backfill keeps the passes
that scored (first passes) counting, which is what the new rule says of them.

A member may now run a challenge timer again after passing it (practice):
``challenge_windows.attempt`` counts the runs of a member's timer row.

Only ``ADD COLUMN`` and ``CREATE INDEX`` touch existing tables, with literal
server defaults: SQLite then alters them in place. A batch "move and copy"
would drop and recreate them, and with foreign keys on, dropping
``submissions`` deletes every award and notice that refers to it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.String(length=32), nullable=False),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.Column('due', sa.DateTime(), nullable=False),
    sa.Column('reviews', sa.Integer(), nullable=False),
    sa.Column('lapses', sa.Integer(), nullable=False),
    sa.Column('session_day', sa.Date(), nullable=True),
    sa.Column('session_card', sa.JSON(), nullable=True),
    sa.Column('session_started_at', sa.DateTime(), nullable=True),
    sa.Column('session_failures', sa.Integer(), nullable=False),
    sa.Column('session_passed', sa.Boolean(), nullable=False),
    sa.Column('session_due', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_review_cards_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_review_cards_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_cards')),
    sa.UniqueConstraint('member_id', 'exercise_id', name=op.f('uq_review_cards_member_id'))
    )
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.create_index('ix_review_cards_due', ['due', 'member_id'], unique=False)

    op.create_table('streak_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_streak_notes_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_streak_notes')),
    sa.UniqueConstraint('member_id', 'kind', 'day', name=op.f('uq_streak_notes_member_id'))
    )

    op.create_table('challenge_times',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.String(length=32), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('elapsed_s', sa.Double(), nullable=False),
    sa.Column('passed_at', sa.DateTime(), nullable=False),
    sa.Column('practice', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_challenge_times_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_challenge_times_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_challenge_times_submission_id_submissions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['window_id'], ['challenge_windows.id'], name=op.f('fk_challenge_times_window_id_challenge_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_times')),
    sa.UniqueConstraint('member_id', 'window_id', 'attempt', name=op.f('uq_challenge_times_member_id'))
    )
    with op.batch_alter_table('challenge_times', schema=None) as batch_op:
        batch_op.create_index('ix_challenge_times_member_ex', ['member_id', 'exercise_id'], unique=False)

    op.create_table('hint_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.String(length=32), nullable=False),
    sa.Column('check_id', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_hint_uses_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_hint_uses_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_hint_uses_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hint_uses')),
    sa.UniqueConstraint('member_id', 'exercise_id', 'check_id', 'level', name=op.f('uq_hint_uses_member_id'))
    )

    with op.batch_alter_table('challenge_windows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.Integer(), nullable=False,
                                      server_default='1'))

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts', sa.Boolean(), nullable=False,
                                      server_default='0'))
        batch_op.create_index('ix_submissions_member_counts',
                              ['member_id', 'counts', 'received_at'], unique=False)

    submissions = sa.table('submissions', sa.column('id', sa.Integer()),
                           sa.column('counts', sa.Boolean()))
    awards = sa.table('awards', sa.column('submission_id', sa.Integer()))
    op.execute(submissions.update()
               .where(submissions.c.id.in_(sa.select(awards.c.submission_id)))
               .values(counts=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35), not a batch "move and copy",
    # for the same reason as above.
    op.drop_index('ix_submissions_member_counts', table_name='submissions')
    op.drop_column('submissions', 'counts')
    op.drop_column('challenge_windows', 'attempt')

    op.drop_table('hint_uses')
    with op.batch_alter_table('challenge_times', schema=None) as batch_op:
        batch_op.drop_index('ix_challenge_times_member_ex')
    op.drop_table('challenge_times')
    op.drop_table('streak_notes')
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_review_cards_due')
    op.drop_table('review_cards')
