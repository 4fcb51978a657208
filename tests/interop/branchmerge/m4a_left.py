"""left again

Interop twin of m4a_left.c (graph branchmerge): records its run in applied_log and
creates table t_m4a; downgrade drops it.
"""
from alembic import op

revision = "m4a"
down_revision = 'm3a'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_m4a (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m4a', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_m4a")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m4a', 'down')")
