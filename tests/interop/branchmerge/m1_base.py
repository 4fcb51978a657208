"""base

Interop twin of m1_base.c (graph branchmerge): records its run in applied_log and
creates table t_m1; downgrade drops it.
"""
from alembic import op

revision = "m1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_m1 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m1', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_m1")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m1', 'down')")
