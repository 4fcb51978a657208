"""beta second

Interop twin of 2_y2_beta.c (graph twobases): records its run in applied_log and
creates table t_y2; downgrade drops it.
"""
from alembic import op

revision = "y2"
down_revision = 'y1'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_y2 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('y2', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_y2")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('y2', 'down')")
