"""alpha second

Interop twin of 4_x2_alpha.c (graph twobases): records its run in applied_log and
creates table t_x2; downgrade drops it.
"""
from alembic import op

revision = "x2"
down_revision = 'x1'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_x2 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('x2', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_x2")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('x2', 'down')")
