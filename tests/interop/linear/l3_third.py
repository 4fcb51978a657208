"""third

Interop twin of l3_third.c (graph linear): records its run in applied_log and
creates table t_l3; downgrade drops it.
"""
from alembic import op

revision = "l3"
down_revision = 'l2'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_l3 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('l3', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_l3")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('l3', 'down')")
