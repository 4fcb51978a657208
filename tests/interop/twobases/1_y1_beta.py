"""beta base

Interop twin of 1_y1_beta.c (graph twobases): records its run in applied_log and
creates table t_y1; downgrade drops it.
"""
from alembic import op

revision = "y1"
down_revision = None
branch_labels = ('beta',)
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_y1 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('y1', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_y1")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('y1', 'down')")
