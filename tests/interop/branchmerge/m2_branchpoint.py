"""branch point

Interop twin of m2_branchpoint.c (graph branchmerge): records its run in applied_log and
creates table t_m2; downgrade drops it.
"""
from alembic import op

revision = "m2"
down_revision = 'm1'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_m2 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m2', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_m2")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('m2', 'down')")
