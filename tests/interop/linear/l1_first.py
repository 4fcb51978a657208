"""first

Interop twin of l1_first.c (graph linear): records its run in applied_log and
creates table t_l1; downgrade drops it.
"""
from alembic import op

revision = "l1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_l1 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('l1', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_l1")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('l1', 'down')")
