"""second

Interop twin of l2_second.c (graph linear): records its run in applied_log and
creates table t_l2; downgrade drops it.
"""
from alembic import op

revision = "l2"
down_revision = 'l1'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_l2 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('l2', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_l2")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('l2', 'down')")
