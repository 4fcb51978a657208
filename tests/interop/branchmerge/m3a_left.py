"""left branch

Interop twin of m3a_left.c (graph branchmerge): records its run in applied_log and
creates table t_m3a; downgrade drops it.
"""
from alembic import op

revision = "m3a"
down_revision = 'm2'
branch_labels = ('left',)
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_m3a (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m3a', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_m3a")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m3a', 'down')")
