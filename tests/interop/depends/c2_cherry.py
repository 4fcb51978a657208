"""cherry second, needs a2

Interop twin of c2_cherry.c (graph depends): records its run in applied_log and
creates table t_c2; downgrade drops it.
"""
from alembic import op

revision = "c2"
down_revision = 'c1'
branch_labels = None
depends_on = ('a2',)


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_c2 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('c2', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_c2")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('c2', 'down')")
