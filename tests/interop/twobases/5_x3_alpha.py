"""alpha third

Interop twin of 5_x3_alpha.c (graph twobases): records its run in applied_log and
creates table t_x3; downgrade drops it.
"""
from alembic import op

revision = "x3"
down_revision = 'x2'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_x3 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('x3', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_x3")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('x3', 'down')")
