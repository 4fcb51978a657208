"""apple third

Interop twin of a3_apple.c (graph depends): records its run in applied_log and
creates table t_a3; downgrade drops it.
"""
from alembic import op

revision = "a3"
down_revision = 'a2'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_a3 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('a3', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_a3")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('a3', 'down')")
