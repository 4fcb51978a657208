"""kiwi base, needs apple

Interop twin of k1_kiwi.c (graph depends): records its run in applied_log and
creates table t_k1; downgrade drops it.
"""
from alembic import op

revision = "k1"
down_revision = None
branch_labels = ('kiwi',)
depends_on = ('apple',)


def upgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("CREATE TABLE t_k1 (id int)")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('k1', 'up')")


def downgrade():
    op.execute(
        "CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text)"
    )
    op.execute("DROP TABLE t_k1")
    op.execute("INSERT INTO applied_log (rev, direction) VALUES ('k1', 'down')")
