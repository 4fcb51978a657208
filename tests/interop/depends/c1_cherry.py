"""cherry base

Interop twin of c1_cherry.c (graph depends): records its run in applied_log and
creates table t_c1; downgrade drops it.
"""
from alembic import op

revision = "c1"
down_revision = None
branch_labels = ('cherry',)
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_c1 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('c1', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_c1")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('c1', 'down')")
