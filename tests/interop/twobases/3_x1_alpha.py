"""alpha base

Interop twin of 3_x1_alpha.c (graph twobases): records its run in applied_log and
creates table t_x1; downgrade drops it.
"""
from alembic import op

revision = "x1"
down_revision = None
branch_labels = ('alpha',)
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_x1 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('x1', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_x1")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('x1', 'down')")
