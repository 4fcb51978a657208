"""apple second

Interop twin of a2_apple.c (graph depends): records its run in applied_log and
creates table t_a2; downgrade drops it.
"""
from alembic import op

revision = "a2"
down_revision = 'a1'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_a2 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('a2', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_a2")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('a2', 'down')")
