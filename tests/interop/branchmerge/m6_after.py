"""after the merge

Interop twin of m6_after.c (graph branchmerge): records its run in applied_log and
creates table t_m6; downgrade drops it.
"""
from alembic import op

revision = "m6"
down_revision = 'm5'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_m6 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m6', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_m6")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m6', 'down')")
