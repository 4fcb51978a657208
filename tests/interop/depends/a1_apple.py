"""apple base

Interop twin of a1_apple.c (graph depends): records its run in applied_log and
creates table t_a1; downgrade drops it.
"""
from alembic import op

revision = "a1"
down_revision = None
branch_labels = ('apple',)
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_a1 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('a1', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_a1")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('a1', 'down')")
