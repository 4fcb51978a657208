"""right branch

Interop twin of m3b_right.c (graph branchmerge): records its run in applied_log and
creates table t_m3b; downgrade drops it.
"""
from alembic import op

revision = "m3b"
down_revision = 'm2'
branch_labels = ('right',)
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_m3b (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m3b', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_m3b")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m3b', 'down')")
