"""right again

Interop twin of m4b_right.c (graph branchmerge): records its run in applied_log and
creates table t_m4b; downgrade drops it.
"""
from alembic import op

revision = "m4b"
down_revision = 'm3b'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_m4b (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m4b', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_m4b")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m4b', 'down')")
