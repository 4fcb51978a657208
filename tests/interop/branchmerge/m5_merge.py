"""merge left and right

Interop twin of m5_merge.c (graph branchmerge): records its run in applied_log and
creates table t_m5; downgrade drops it.
"""
from alembic import op

revision = "m5"
down_revision = ('m4a', 'm4b')
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_m5 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m5', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_m5")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m5', 'down')")
