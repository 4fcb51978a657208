"""fourth

Interop twin of l4_fourth.c (graph linear): records its run in applied_log and
creates table t_l4; downgrade drops it.
"""
from alembic import op

revision = "l4"
down_revision = 'l3'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_l4 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('l4', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_l4")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('l4', 'down')")
