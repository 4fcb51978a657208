#!/usr/bin/env python3
"""cli.py - retort's status commands against the real alembic command.

Writes one graph twice into a temporary directory: Python revisions in the
layout Alembic's default template gives them (docstring: message, Revision
ID, Revises, Create Date) and C twins with the same ids, file names and
messages, built with cc into shared objects.  Then runs the same command
with `alembic` and with `retort --versions DIR`, and compares stdout byte
for byte (the "Path:" lines name each tool's own file, so they compare by
file name without its extension).  An error must meet an error.

With RETORT_TEST_DATABASE_URL (and psycopg2) it also runs `stamp`,
`current` and `history -i` on two scratch databases, one per tool,
comparing Alembic's "Running stamp_revision ..." log lines, the version
rows and the output (but `current -v`'s first line, which names the
database each tool's way).

Alembic lists the versions directory in os.listdir() order; retort in
file-name order.  The alembic run sorts os.listdir() so both read the
revisions in the same order.

Environment: RETORT_BIN (the retort binary; else build/runner/retort),
RETORT_SOURCE_ROOT (for plugin_api.h; else two levels up), CC.
Output: TAP.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diff  # noqa: E402  (re-executes with a python that has alembic)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("RETORT_SOURCE_ROOT", os.path.dirname(os.path.dirname(HERE)))
DATE = "2026-11-24 10:00:00.000000"

# file stem, id, down_revision, branch_labels, depends_on, message
GRAPH = [
    ("01_ae10", "ae10", None, None, None, "create accounts"),
    ("02_b7c1", "b7c1", "ae10", None, None, "add owners"),
    ("03_c3d2", "c3d2", "b7c1", "left", None, "left branch"),
    ("04_d4e5", "d4e5", "b7c1", "right", None, "right branch"),
    ("05_e5f6", "e5f6", "c3d2", None, None, "left, more"),
    ("06_f6a7", "f6a7", ("e5f6", "d4e5"), None, None, "merge left and right"),
    ("07_aa01", "aa01", None, ("extra",), None, "second base"),
    ("08_bb02", "bb02", "aa01", None, ("b7c1",), "needs owners"),
    ("09_cc03", "cc03", "bb02", None, None, "extra head"),
    ("10_dd04", "dd04", "aa01", None, None, "extra side"),
    ("11_ee05", "ee05", "f6a7", None, ("dd04", "right"), "after the merge"),
]

COMMANDS = [
    "history", "history -v", "history -r ae10:e5f6", "history -r :c3d2",
    "history -r c3d2:", "history -r base:heads", "history -r ae10:heads",
    "history -r d4e5:e5f6", "history -r aa01:", "history -r ee05-2:",
    "history -r right@base:", "history -r ae10", "history -r b7c1:+2",
    "history -v -r f6a7:", "heads", "heads -v", "heads --resolve-dependencies",
    "branches", "branches -v", "show ae10", "show heads", "show head",
    "show f6a7", "show left@head", "show -1", "show dd04", "show extra",
    "show base", "show c3", "show nosuch",
]

DB_SCRIPTS = [
    ["stamp b7c1", "current", "current -v", "history -i -r :current"],
    ["stamp left@head", "current", "stamp right@head", "current -v"],
    ["stamp heads", "current", "history -i"],
    ["stamp ae10", "current"],
    ["stamp --purge c3d2 dd04", "current -v"],
    ["stamp base", "current"],
    ["stamp extra@head", "stamp f6a7", "current"],
    ["stamp c3d2 d4e5", "current"],
    ["stamp cc03", "stamp b7c1", "current -v"],
]


def tup(v):
    return (v,) if isinstance(v, str) else v


def py_twin(stem, rid, down, labels, deps, msg):
    revises = ", ".join(tup(down)) if down else ""
    return '''"""%s

Revision ID: %s
Revises: %s
Create Date: %s

"""
revision = %r
down_revision = %r
branch_labels = %r
depends_on = %r


def upgrade():
    pass


def downgrade():
    pass
''' % (msg, rid, revises, DATE, rid, down, labels, deps)


def c_list(v):
    return '"%s"' % ", ".join(tup(v)) if v else "NULL"


def c_twin(stem, rid, down, labels, deps, msg):
    return '''#include "plugin_api.h"

RETORT_REVISION(.revision = "%s", .down_revision = %s, .message = "%s",
		.create_date = "%s", .branch_labels = %s, .depends_on = %s, );

int upgrade(retort_ctx *ctx)
{
	(void)ctx;
	return 0;
}

int downgrade(retort_ctx *ctx)
{
	(void)ctx;
	return 0;
}
''' % (rid, c_list(down), msg, DATE, c_list(labels), c_list(deps))


ENV_PY = '''import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

fileConfig(context.config.config_file_name)
engine = create_engine(os.environ["ALEMBIC_DIFF_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None,
                      transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
'''

INI = """[alembic]
script_location = %(here)s
version_locations = %(here)s/versions

[loggers]
keys = root,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(message)s
"""

# The alembic command, reading its versions directory in sorted order and
# keeping depends_on's order (oracle.py's one change, retort's rule).
ALEMBIC = (
    "import os, sys\n"
    "_listdir = os.listdir\n"
    "os.listdir = lambda p='.': sorted(_listdir(p))\n"
    "sys.path.insert(0, %r)\n"
    "import oracle\n"
    "from alembic.config import main\n"
    "main(argv=sys.argv[1:], prog='alembic')\n"
) % HERE


def build(tmp):
    proj = os.path.join(tmp, "alembic")
    vers = os.path.join(proj, "versions")
    plugins = os.path.join(tmp, "plugins")
    os.makedirs(vers)
    os.makedirs(plugins)
    with open(os.path.join(proj, "alembic.ini"), "w") as f:
        f.write(INI)
    with open(os.path.join(proj, "env.py"), "w") as f:
        f.write(ENV_PY)
    cflags = subprocess.run(
        ["pkg-config", "--cflags", "libpq"], capture_output=True, text=True
    ).stdout.split()
    cc = os.environ.get("CC", "cc")
    for rev in GRAPH:
        stem = rev[0]
        with open(os.path.join(vers, stem + ".py"), "w") as f:
            f.write(py_twin(*rev))
        src = os.path.join(tmp, stem + ".c")
        with open(src, "w") as f:
            f.write(c_twin(*rev))
        subprocess.run(
            [cc, "-shared", "-fPIC", "-I", ROOT] + cflags
            + [src, "-o", os.path.join(plugins, stem + ".so")],
            check=True,
        )
    return proj, plugins


def _sorted_list(items):
    return ", ".join(sorted(items.split(", ")))


def _unordered(line):
    """Alembic prints branch labels and a branch point's children from a
    Python set, in an order that changes from run to run: sort them."""
    m = re.match(r"(Branch names|Branches into): (.*)$", line)
    if m:
        return "%s: %s" % (m.group(1), _sorted_list(m.group(2)))
    head, sep, tail = line.rpartition(" -> ")
    m = re.match(r"(\s*\w+ \()([^()]*)(\).*)$", tail)
    if m:
        tail = m.group(1) + _sorted_list(m.group(2)) + m.group(3)
    return head + sep + tail


def normalize(text):
    text = re.sub(r"^Path: .*/([^/]*)\.(py|so)$", r"Path: \1", text, flags=re.M)
    lines = [_unordered(line) for line in text.split("\n")]
    # a branch point's "    -> child" lines come from a set too
    out, run = [], []
    for line in lines + [""]:
        if re.match(r"\s+-> ", line):
            run.append(line)
            continue
        out.extend(sorted(run))
        run = []
        out.append(line)
    return "\n".join(out[:-1])


def run_alembic(proj, args, url=None):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    if url:
        env["ALEMBIC_DIFF_URL"] = url
    return subprocess.run(
        [sys.executable, "-c", ALEMBIC, "-c", os.path.join(proj, "alembic.ini")]
        + args.split(),
        capture_output=True, text=True, env=env, cwd=proj,
    )


def run_retort(plugins, args, url=None):
    retort = os.environ.get("RETORT_BIN", os.path.join(ROOT, "build", "runner", "retort"))
    pre = [retort, "--versions", plugins]
    if url:
        pre += ["--url", url]
    return subprocess.run(
        pre + args.split(), capture_output=True, text=True, cwd=os.path.dirname(plugins)
    )


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, name, ok, diag=""):
        self.n += 1
        if not ok:
            self.failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name))
        if not ok and diag:
            for line in diag.rstrip("\n").split("\n"):
                print("#   " + line)


def entries(text):
    """`current` lists a Python set: compare its entries in sorted order."""
    parts = re.split(r"\n(?=Rev: )", text) if text.startswith("Rev: ") else text.split("\n")
    return "\n".join(sorted(p.strip("\n") for p in parts if p.strip()))


def compare(tap, name, a, r, skip_first=False):
    ao, ro = normalize(a.stdout), normalize(r.stdout)
    if skip_first:
        ao, ro = ao.split("\n", 1)[-1], ro.split("\n", 1)[-1]
    if name.split(": ", 1)[-1].startswith("current"):
        ao, ro = entries(ao), entries(ro)
    if "Traceback" in a.stderr and "Error" in a.stderr.split("Traceback")[-1]:
        tap.check(name + " (Alembic crashes; retort exits %d)" % r.returncode, True)
        return
    if a.returncode != 0 or r.returncode != 0:
        ok = a.returncode != 0 and r.returncode != 0
    else:
        ok = ao == ro
    tap.check(name, ok, "alembic (%d):\n%s%s\nretort (%d):\n%s%s" % (
        a.returncode, ao, a.stderr[-600:], r.returncode, ro, r.stderr[-600:]))


def stamp_lines(text):
    return [l for l in text.split("\n") if l.startswith("Running stamp_revision")]


def db_rows(url):
    import psycopg2

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return []
        cur.execute("SELECT version_num FROM alembic_version ORDER BY 1")
        return [r[0] for r in cur.fetchall()]


def scratch_db(admin_url, name):
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute('DROP DATABASE IF EXISTS "%s"' % name)
        cur.execute('CREATE DATABASE "%s"' % name)
    conn.close()
    return re.sub(r"/[^/?]*(\?|$)", "/%s\\1" % name, admin_url, count=1) if \
        re.search(r"://[^/]*/", admin_url) else admin_url + "/" + name


def drop_db(admin_url, name):
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute('DROP DATABASE IF EXISTS "%s"' % name)
    conn.close()


def db_script(tap, proj, plugins, admin, k, script):
    names = ["retort_clidiff_%d_%d_a" % (os.getpid(), k),
             "retort_clidiff_%d_%d_r" % (os.getpid(), k)]
    urls = [scratch_db(admin, n) for n in names]
    try:
        for cmd in script:
            a = run_alembic(proj, cmd, urls[0])
            r = run_retort(plugins, cmd, urls[1])
            label = "db %d: %s" % (k, cmd)
            if cmd.startswith("stamp"):
                ok = (a.returncode == 0) == (r.returncode == 0) and \
                    stamp_lines(a.stderr) == stamp_lines(r.stdout) and \
                    db_rows(urls[0]) == db_rows(urls[1])
                tap.check(label, ok, "alembic: %s %s\nretort: %s %s" % (
                    stamp_lines(a.stderr), db_rows(urls[0]),
                    stamp_lines(r.stdout), db_rows(urls[1])) + "\n" + a.stderr[-400:] + r.stderr[-400:])
            else:
                compare(tap, label, a, r, skip_first=cmd == "current -v")
    finally:
        for n in names:
            drop_db(admin, n)


def main():
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix="alembic_cli.")
    try:
        proj, plugins = build(tmp)
        admin = os.environ.get("RETORT_TEST_DATABASE_URL")
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            admin = None
        print("1..%d" % (len(COMMANDS) + (sum(map(len, DB_SCRIPTS)) if admin else 0)))
        for cmd in COMMANDS:
            compare(tap, cmd, run_alembic(proj, cmd), run_retort(plugins, cmd))
        if admin:
            for k, script in enumerate(DB_SCRIPTS):
                db_script(tap, proj, plugins, admin, k, script)
        else:
            print("# no RETORT_TEST_DATABASE_URL or psycopg2: stamp and current not compared")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
