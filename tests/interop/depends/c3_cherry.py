"""cherry third

Interop twin of c3_cherry.c (graph depends): records its run in applied_log and
creates table t_c3; downgrade drops it.
"""
from alembic import op

revision = "c3"
down_revision = 'c2'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_c3 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('c3', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_c3")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('c3', 'down')")
