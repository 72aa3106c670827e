"""Grading dispatch: a job engine (Procrastinate) for scale-out workers, one
verdict per submission, and delivery wake-ups across processes.

* ``submissions.priority`` and ``submissions.dispatched_at``: the submission
  row stays the durable record; these say how and whether it was handed to
  the job engine (bot/core/dispatch.py).
* ``uq_notices_one_verdict``: at most one ``graded``/``could_not_grade``
  notice per submission (a worker presumed dead cannot write a second
  verdict). Duplicates left by earlier versions are dropped first, keeping
  the oldest.
* PostgreSQL only: Procrastinate's schema, applied into its own schema
  ``torchdojo_jobs`` (the version pinned in pyproject.toml; a Procrastinate
  upgrade that changes it comes with a migration applying its SQL migration
  files), and a trigger that NOTIFYs ``torchdojo_notices`` (payload: the
  cohort's platform) for every new notice, so the process connected to the
  chat delivers a verdict written by a worker at once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

JOBS_SCHEMA = "torchdojo_jobs"
VERDICTS = "kind IN ('graded', 'could_not_grade')"

NOTIFY_SQL = """
CREATE FUNCTION torchdojo_notice_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('torchdojo_notices',
                      (SELECT platform FROM cohorts WHERE id = NEW.cohort_id));
    RETURN NULL;
END;
$$;
CREATE TRIGGER notices_notify AFTER INSERT ON notices
    FOR EACH ROW EXECUTE FUNCTION torchdojo_notice_written();
"""


def _script(sql: str) -> None:
    """Run a multi-statement SQL script (functions with $$ bodies included)."""
    bind = op.get_bind()
    if op.get_context().as_sql or bind.dialect.driver != "asyncpg":
        op.execute(sql)
        return
    from sqlalchemy.util import await_only

    # asyncpg's prepared statements take one statement; its plain execute() takes
    # a script, inside the migration's transaction.
    await_only(bind.connection.driver_connection.execute(sql))


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dispatched_at', sa.DateTime(), nullable=True))

    op.execute(
        f"DELETE FROM notices WHERE {VERDICTS} AND submission_id IS NOT NULL AND id NOT IN ("
        f"SELECT MIN(id) FROM notices WHERE {VERDICTS} AND submission_id IS NOT NULL "
        "GROUP BY submission_id)"
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('uq_notices_one_verdict', ['submission_id'], unique=True,
                              sqlite_where=sa.text(VERDICTS),
                              postgresql_where=sa.text(VERDICTS))

    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    op.execute(f"CREATE SCHEMA IF NOT EXISTS {JOBS_SCHEMA}")
    _script(f"SET LOCAL search_path TO {JOBS_SCHEMA};\n{SchemaManager.get_schema()}\n"
            "SET LOCAL search_path TO DEFAULT;")
    _script(NOTIFY_SQL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS notices_notify ON notices")
        op.execute("DROP FUNCTION IF EXISTS torchdojo_notice_written()")
        op.execute(f"DROP SCHEMA IF EXISTS {JOBS_SCHEMA} CASCADE")
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('uq_notices_one_verdict')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('dispatched_at')
        batch_op.drop_column('priority')
