#!/usr/bin/env python3
"""Interoperability of retort with the real Alembic, as TAP.

Each directory beside this file is a revision graph written twice: an
Alembic script (NAME.py) and a C revision (NAME.c, built by Meson into
$RETORT_INTEROP_PLUGINS/GRAPH/NAME.so) with the same id, down revisions,
branch labels, dependencies and effect: a revision logs its run in
applied_log (seq, rev, direction) and creates (drops, going down) table
t_<id>.  alembic.ini has one section per graph; env.py runs each revision in
its own transaction, as retort does.

Sequences: the same commands run by Alembic and by retort, each on its own
fresh database.  After every command both must agree on: success or
failure, the revisions run and their order (applied_log), the
alembic_version rows, the t_* tables and, for `current`, the ids printed.
After a difference the retort database is replaced by a copy of Alembic's,
so the next command is compared from the same state.

Hand-overs: a database that one tool migrated part way is read (`current`)
and taken to every head (`upgrade heads`) by the other, and must end as a
database that one tool migrated alone; Alembic runs there through its real
command line in a child process.

Alembic breaks ties between independent branches by the order in which
os.listdir() returns its version files, which depends on the file system;
retort sorts file names.  This test lists Alembic's files in name order
(patching Script._list_py_dir), the one deterministic choice, and the twins
share file names, so both tools see the same order.

Environment: RETORT_TEST_DATABASE_URL (an admin URL; each sequence creates
and drops its own databases), RETORT_BIN, RETORT_INTEROP_PLUGINS.  Without
a database the test skips, unless RETORT_REQUIRE_DB=1.

Differences still being worked on are listed in KNOWN_DIFFERENCES and
reported as TAP TODO ("not ok ... # TODO"); once fixed they show as
unexpected passes, which Meson counts as failures: delete the entry then.
"""
import contextlib
import io
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
INI = os.path.join(HERE, "alembic.ini")
DEBIAN_PYTHON = "/usr/bin/python3"
# Worker processes: the time goes mostly to waiting on PostgreSQL.
PARALLEL = 8

# ---- the scenarios -------------------------------------------------------

# Commands run by both tools, one list per sequence, each on fresh databases.
SEQUENCES = {
    "linear": {
        "cycle": [
            "upgrade heads", "current", "downgrade base", "current",
            "upgrade head", "downgrade l2", "upgrade l3", "downgrade -1",
            "upgrade +2", "downgrade base",
        ],
        "relative": [
            "upgrade +1", "upgrade +1", "upgrade +5", "downgrade -2",
            "downgrade -1", "upgrade l2+1", "downgrade l1", "upgrade head-1",
            "current", "downgrade base+1", "upgrade heads",
        ],
        "stamp": [
            "stamp l2", "current", "upgrade heads", "stamp l1", "stamp heads",
            "stamp --purge l3", "downgrade l2", "stamp base", "current",
        ],
    },
    "branchmerge": {
        "cycle": [
            "upgrade heads", "current", "downgrade base", "upgrade m6",
            "downgrade m2", "current", "upgrade heads", "downgrade base",
        ],
        "labels": [
            "upgrade m3a", "upgrade left@+1", "current", "upgrade right@head",
            "current", "downgrade left@base", "current", "upgrade heads",
            "downgrade right@-1", "current", "downgrade right@base",
            "upgrade left@head", "downgrade base",
        ],
        "ids": [
            "upgrade m4b", "current", "upgrade m3a", "upgrade +1",
            "upgrade heads", "downgrade m4a", "current", "downgrade -1",
            "downgrade m2", "upgrade +1", "upgrade m5", "downgrade base",
        ],
        "stamp": [
            "stamp m4a", "current", "stamp m4b", "current", "stamp heads",
            "stamp --purge m3a", "upgrade heads", "stamp m2", "current",
            "downgrade base", "stamp base", "current",
        ],
    },
    "twobases": {
        "cycle": [
            "upgrade heads", "current", "downgrade base", "upgrade head",
            "upgrade x3", "upgrade y2", "current", "downgrade base",
        ],
        "labels": [
            "upgrade alpha@head", "current", "upgrade beta@+1",
            "upgrade beta@head", "downgrade alpha@base", "current",
            "downgrade beta@-1", "upgrade heads", "downgrade beta@base",
            "downgrade alpha@-2", "current", "downgrade base",
        ],
        "relative": [
            "upgrade +1", "upgrade x1", "upgrade +1", "upgrade y1",
            "upgrade +1", "downgrade -1", "upgrade x2+1", "current",
            "downgrade x1", "downgrade base",
        ],
        "stamp": [
            "stamp heads", "current", "stamp x1", "current",
            "stamp --purge y1", "upgrade heads", "downgrade base", "current",
            "stamp base", "current",
        ],
    },
    "depends": {
        "cycle": [
            "upgrade heads", "current", "downgrade base", "upgrade heads",
            "downgrade a1", "current", "upgrade heads", "downgrade base",
        ],
        "labels": [
            "upgrade cherry@head", "current", "upgrade kiwi@head",
            "downgrade apple@base", "current", "upgrade apple@head",
            "downgrade cherry@base", "current", "upgrade heads",
            "downgrade kiwi@base", "downgrade base",
        ],
        "ids": [
            "upgrade c2", "current", "upgrade k1", "downgrade a2",
            "downgrade a1", "current", "upgrade c3", "downgrade -1",
            "upgrade heads", "downgrade c1", "current", "downgrade base",
        ],
        "stamp": [
            "stamp c2", "current", "stamp heads", "current",
            "stamp --purge a2", "upgrade cherry@head", "stamp k1", "current",
            "stamp base",
        ],
    },
}

# Hand-overs: one tool runs these, the other reads the result and
# continues with `upgrade heads`.
MIDPOINTS = {
    "linear": ["upgrade l2"],
    "branchmerge": ["upgrade m3a", "upgrade m4b"],
    "twobases": ["upgrade x2", "upgrade beta@head"],
    "depends": ["upgrade c2", "upgrade k1"],
}

HANDOVER_CHECKS = [
    "alembic-to-retort: retort current reads what alembic current does",
    "alembic-to-retort: retort upgrade heads continues as Alembic does",
    "retort-to-alembic: alembic current reads what it reads after Alembic",
    "retort-to-alembic: alembic upgrade heads continues as Alembic does",
]

# Where retort still differs from Alembic, reported as TAP TODO.
# "GRAPH/SEQUENCE/STEP" (STEP counts from 1) or "GRAPH/handover/N" -> why.
# (Found and since fixed: plan order across branches, label@+N/label@-N
# targets, downgrading past or to a dependency, `current` listing the
# revisions applied only as dependencies.)
MULTIHEAD_MINUS = ("downgrade -1 with several heads: Alembic 1.8 warns and"
                   " steps down the first version row, retort refuses")
KNOWN_DIFFERENCES = {
    "branchmerge/ids/8": MULTIHEAD_MINUS,
    "twobases/relative/6": MULTIHEAD_MINUS,
    "depends/ids/8": MULTIHEAD_MINUS,
}


# ---- TAP -----------------------------------------------------------------


def tap_line(number, result):
    """A result (key, name, ok, details) as TAP; True when it counts as a
    failure."""
    key, name, ok, details = result
    todo = KNOWN_DIFFERENCES.get(key)
    line = f"{'ok' if ok else 'not ok'} {number} - {name}"
    if todo:
        line += f" # TODO {todo}"
    print(line)
    if not ok or todo:
        for d in filter(None, details):
            for sub in str(d).splitlines():
                print(f"#   {sub}")
    sys.stdout.flush()
    return not ok and not todo


# ---- databases -----------------------------------------------------------


class Databases:
    """Throwaway databases, one open connection to each for reading."""

    def __init__(self, admin_url, tag):
        import psycopg2
        import psycopg2.extensions

        self.psycopg2 = psycopg2
        self.admin_url = admin_url
        self.prefix = f"retort_interop_{os.getpid()}_{tag}"
        self.counter = 0
        self.conns = {}

    def dsn(self, name):
        return self.psycopg2.extensions.make_dsn(self.admin_url, dbname=name)

    def _admin(self, sql):
        conn = self.psycopg2.connect(self.admin_url)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def create(self, tag):
        self.counter += 1
        name = f"{self.prefix}_{self.counter}_{tag}"
        self._admin(f'CREATE DATABASE "{name}"')
        conn = self.psycopg2.connect(self.dsn(name))
        conn.autocommit = True
        self.conns[name] = conn
        return name

    def drop(self, name):
        conn = self.conns.pop(name, None)
        if conn is not None:
            conn.close()
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_all(self):
        for name in list(self.conns):
            with contextlib.suppress(Exception):
                self.drop(name)

    def snapshot(self, name):
        """(version rows sorted, applied_log entries in order, t_* tables)."""
        with self.conns[name].cursor() as cur:
            cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL,"
                        " to_regclass('applied_log') IS NOT NULL")
            has_versions, has_log = cur.fetchone()
            rows = []
            if has_versions:
                cur.execute("SELECT version_num FROM alembic_version")
                rows = sorted(r[0] for r in cur.fetchall())
            log = []
            if has_log:
                cur.execute("SELECT rev, direction FROM applied_log"
                            " ORDER BY seq")
                log = [f"{r} {d}" for r, d in cur.fetchall()]
            cur.execute("SELECT tablename FROM pg_tables"
                        " WHERE schemaname = current_schema()"
                        " AND tablename LIKE 't\\_%' ORDER BY 1")
            tables = [r[0] for r in cur.fetchall()]
        return rows, log, tables

    def copy_state(self, src, dst):
        """Make dst's rows, log and t_* tables those of src."""
        _, log, tables = self.snapshot(src)
        _, _, old_tables = self.snapshot(dst)
        rows = []
        with self.conns[src].cursor() as cur:
            # In the source's scan order, which Alembic's "first row" uses.
            cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute("SELECT version_num FROM alembic_version"
                            " ORDER BY ctid")
                rows = [r[0] for r in cur.fetchall()]
        conn = self.conns[dst]
        conn.autocommit = False
        try:
            with conn.cursor() as cur:
                for t in old_tables:
                    cur.execute(f'DROP TABLE "{t}"')
                for t in tables:
                    cur.execute(f'CREATE TABLE "{t}" (id int)')
                cur.execute("CREATE TABLE IF NOT EXISTS alembic_version ("
                            "version_num varchar(32) NOT NULL PRIMARY KEY);"
                            "DELETE FROM alembic_version")
                for r in rows:
                    cur.execute("INSERT INTO alembic_version VALUES (%s)",
                                (r,))
                cur.execute("CREATE TABLE IF NOT EXISTS applied_log (seq"
                            " serial, rev text, direction text);"
                            "DELETE FROM applied_log")
                for entry in log:
                    cur.execute("INSERT INTO applied_log (rev, direction)"
                                " VALUES (%s, %s)", tuple(entry.split()))
            conn.commit()
        finally:
            conn.autocommit = True


# ---- the two tools -------------------------------------------------------


def sorted_alembic_listing():
    """Make Alembic list version files in name order (see the docstring)."""
    from alembic.script.base import Script

    original = Script._list_py_dir.__func__
    if getattr(original, "_interop_sorted", False):
        return

    def listing(cls, scriptdir, path):
        return sorted(original(cls, scriptdir, path))

    listing._interop_sorted = True
    Script._list_py_dir = classmethod(listing)


class Outcome:
    def __init__(self, status, out, err):
        self.status, self.out, self.err = status, out, err


def run_alembic(graph, dsn, command):
    """Alembic's command line, in this process (as `alembic -n GRAPH ...`)."""
    from alembic import util as alembic_util
    from alembic.config import CommandLine, Config

    out, err = io.StringIO(), io.StringIO()
    os.environ["RETORT_INTEROP_DSN"] = dsn
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        warnings.simplefilter("always")
        try:
            options = CommandLine(prog="alembic").parser.parse_args(
                command.split())
        except SystemExit as e:
            return Outcome(e.code or 2, out.getvalue(), err.getvalue())
        cfg = Config(file_=INI, ini_section=graph, cmd_opts=options,
                     stdout=out)
        fn, positional, kwarg = options.cmd
        try:
            fn(cfg, *[getattr(options, k, None) for k in positional],
               **{k: getattr(options, k, None) for k in kwarg})
            status = 0
        except alembic_util.CommandError as e:
            status = 255  # the CLI's sys.exit(-1)
            print(f"FAILED: {e}", file=err)
        except Exception as e:  # a revision or the database failed
            status = 1
            print(f"{type(e).__name__}: {e}", file=err)
    return Outcome(status, out.getvalue(), err.getvalue())


def run_alembic_cli(graph, dsn, command):
    """The real `alembic` command line in a child process."""
    env = dict(os.environ, RETORT_INTEROP_DSN=dsn)
    p = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--alembic-cli",
         "-c", INI, "-n", graph] + command.split(),
        capture_output=True, text=True, env=env, timeout=120)
    return Outcome(p.returncode, p.stdout, p.stderr)


class Retort:
    def __init__(self, binary, plugins):
        self.binary, self.plugins = binary, plugins
        # An empty working directory: no retort.ini or .env of the checkout.
        self.cwd = tempfile.mkdtemp(prefix="retort-interop-")
        self.env = {k: v for k, v in os.environ.items()
                    if k != "DATABASE_URL"}

    def run(self, graph, dsn, command):
        argv = [self.binary, "--url", dsn, "--versions",
                os.path.join(self.plugins, graph)] + command.split()
        p = subprocess.run(argv, capture_output=True, text=True,
                           cwd=self.cwd, env=self.env, timeout=120)
        return Outcome(p.returncode, p.stdout, p.stderr)


# ---- comparing -----------------------------------------------------------


def graph_ids(graph):
    ids = set()
    for f in os.listdir(os.path.join(HERE, graph)):
        if f.endswith(".py"):
            with open(os.path.join(HERE, graph, f)) as fh:
                for line in fh:
                    if line.startswith("revision = "):
                        ids.add(line.split('"')[1])
    return ids


def current_ids(text, ids):
    """The revision ids `current` printed: the first word of each line."""
    found = set()
    for line in text.splitlines():
        words = line.split()
        if words and words[0] in ids:
            found.add(words[0])
    return sorted(found)


def tail(text, n=6):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:]) if lines else "(none)"


def describe(tool, outcome, new_log, state, ids=None):
    rows, _, tables = state
    s = (f"{tool}: exit {outcome.status}; ran [{', '.join(new_log)}];"
         f" rows {rows}; tables {tables}")
    if ids is not None:
        s += f"; current prints {ids}"
    return s


class Runner:
    """Runs one graph's sequences and hand-overs; collects the results."""

    def __init__(self, graph, dbs, retort):
        self.graph, self.dbs, self.retort = graph, dbs, retort
        self.ids = graph_ids(graph)
        self.results = []

    def result(self, key, name, ok, details=()):
        self.results.append((key, name, ok, list(details)))

    def sequence(self, seq, commands):
        graph, dbs = self.graph, self.dbs
        done = 0
        made = []
        try:
            a_db = dbs.create("a")
            made.append(a_db)
            r_db = dbs.create("r")
            made.append(r_db)
            a_before = dbs.snapshot(a_db)
            r_before = dbs.snapshot(r_db)
            for step, command in enumerate(commands, 1):
                a = run_alembic(graph, dbs.dsn(a_db), command)
                r = self.retort.run(graph, dbs.dsn(r_db), command)
                a_after = dbs.snapshot(a_db)
                r_after = dbs.snapshot(r_db)
                a_new = a_after[1][len(a_before[1]):]
                r_new = r_after[1][len(r_before[1]):]
                is_current = command.split()[0] == "current"
                a_ids = current_ids(a.out, self.ids) if is_current else None
                r_ids = current_ids(r.out, self.ids) if is_current else None
                same = ((a.status == 0) == (r.status == 0)
                        and a_new == r_new
                        and a_after[0] == r_after[0]
                        and a_after[2] == r_after[2]
                        and a_ids == r_ids)
                self.result(
                    f"{graph}/{seq}/{step}",
                    f"{graph}/{seq} {step}: {command}", same,
                    [f"before: rows {a_before[0]}",
                     describe("alembic", a, a_new, a_after, a_ids),
                     describe("retort ", r, r_new, r_after, r_ids),
                     f"alembic says: {tail(a.err)}" if a.status else "",
                     f"retort says: {tail(r.err)}" if r.status else ""])
                done += 1
                if not same:
                    # Carry on from Alembic's state.
                    dbs.copy_state(a_db, r_db)
                    r_after = dbs.snapshot(r_db)
                a_before, r_before = a_after, r_after
        except Exception as e:
            for step in range(done + 1, len(commands) + 1):
                self.result(f"{graph}/{seq}/{step}",
                            f"{graph}/{seq} {step}: {commands[step - 1]}",
                            False, [f"harness error: {type(e).__name__}: {e}"])
        finally:
            for db in made:
                dbs.drop(db)

    def _run_all(self, run, db, commands):
        for command in commands:
            o = run(self.graph, self.dbs.dsn(db), command)
            if o.status:
                raise RuntimeError(f"`{command}` failed: {tail(o.err)}")

    def handover(self):
        graph, dbs, ids = self.graph, self.dbs, self.ids
        mid = MIDPOINTS[graph]
        names = [f"{graph}/{c}" for c in HANDOVER_CHECKS]
        keys = [f"{graph}/handover/{i}" for i in range(1, 5)]
        made = []
        done = 0
        try:
            # The reference: Alembic alone, midpoint then every head.
            ref = dbs.create("ref")
            made.append(ref)
            self._run_all(run_alembic, ref, mid)
            ref_mid = dbs.snapshot(ref)
            o = run_alembic(graph, dbs.dsn(ref), "current")
            ref_ids = current_ids(o.out, ids)
            o = run_alembic(graph, dbs.dsn(ref), "upgrade heads")
            ref_end = dbs.snapshot(ref)
            ref_new = ref_end[1][len(ref_mid[1]):]
            ref_line = describe("alembic alone", o, ref_new, ref_end)
            ref_cur = (f"alembic alone: rows {ref_mid[0]}, alembic current"
                       f" prints {ref_ids}")

            # Alembic to the midpoint, then retort.
            db = dbs.create("ar")
            made.append(db)
            self._run_all(run_alembic, db, mid)
            mid_state = dbs.snapshot(db)
            r = self.retort.run(graph, dbs.dsn(db), "current")
            r_ids = current_ids(r.out, ids)
            self.result(
                keys[0], names[0], r.status == 0 and r_ids == ref_ids,
                [f"midpoint: alembic {'; '.join(mid)}", ref_cur,
                 f"retort current: exit {r.status}, prints {r_ids}:"
                 f" {tail(r.out + r.err)}"])
            done += 1
            r = self.retort.run(graph, dbs.dsn(db), "upgrade heads")
            end = dbs.snapshot(db)
            new = end[1][len(mid_state[1]):]
            self.result(
                keys[1], names[1],
                r.status == 0 and new == ref_new and end[0] == ref_end[0]
                and end[2] == ref_end[2],
                [f"midpoint: alembic {'; '.join(mid)}: rows {mid_state[0]}",
                 ref_line, describe("retort", r, new, end),
                 f"retort says: {tail(r.err)}" if r.status else ""])
            done += 1

            # retort to the midpoint, then Alembic's real command line.
            db = dbs.create("ra")
            made.append(db)
            self._run_all(self.retort.run, db, mid)
            mid_state = dbs.snapshot(db)
            a = run_alembic_cli(graph, dbs.dsn(db), "current")
            a_ids = current_ids(a.out, ids)
            self.result(
                keys[2], names[2],
                a.status == 0 and a_ids == ref_ids
                and mid_state[0] == ref_mid[0],
                [f"midpoint: retort {'; '.join(mid)}: rows {mid_state[0]}",
                 ref_cur,
                 f"alembic current: exit {a.status}, prints {a_ids}:"
                 f" {tail(a.out + a.err)}"])
            done += 1
            a = run_alembic_cli(graph, dbs.dsn(db), "upgrade heads")
            end = dbs.snapshot(db)
            new = end[1][len(mid_state[1]):]
            self.result(
                keys[3], names[3],
                a.status == 0 and new == ref_new and end[0] == ref_end[0]
                and end[2] == ref_end[2],
                [f"midpoint: retort {'; '.join(mid)}: rows {mid_state[0]}",
                 ref_line, describe("alembic after retort", a, new, end),
                 f"alembic says: {tail(a.err)}" if a.status else ""])
            done += 1
        except Exception as e:
            for i in range(done, 4):
                self.result(keys[i], names[i], False,
                            [f"harness error: {type(e).__name__}: {e}"])
        finally:
            for db in made:
                dbs.drop(db)


def run_job(job):
    """One sequence, or one graph's hand-overs, in a worker process."""
    graph, part, admin, binary, plugins = job
    sorted_alembic_listing()
    dbs = Databases(admin, f"{graph}_{part}")
    retort = Retort(binary, plugins)
    runner = Runner(graph, dbs, retort)
    try:
        if part == "handover":
            runner.handover()
        else:
            runner.sequence(part, SEQUENCES[graph][part])
    finally:
        dbs.drop_all()
        shutil.rmtree(retort.cwd, ignore_errors=True)
    return runner.results


# ---- main ----------------------------------------------------------------


def alembic_cli(argv):
    """--alembic-cli: Alembic's own main(), with name-ordered listing."""
    sorted_alembic_listing()
    from alembic.config import main

    main(argv=argv, prog="alembic")
    return 0


def importable():
    try:
        import alembic  # noqa: F401
        import psycopg2  # noqa: F401
        return True
    except ImportError:
        return False


def main():
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    if not importable() and os.path.exists(DEBIAN_PYTHON) \
            and os.path.realpath(sys.executable) != \
            os.path.realpath(DEBIAN_PYTHON) \
            and not os.environ.get("RETORT_INTEROP_REEXEC"):
        # Meson may run under another Python; apt's packages are here.
        os.environ["RETORT_INTEROP_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    if sys.argv[1:2] == ["--alembic-cli"]:
        return alembic_cli(sys.argv[2:])

    require = os.environ.get("RETORT_REQUIRE_DB") == "1"
    admin = os.environ.get("RETORT_TEST_DATABASE_URL")
    if not admin:
        if require:
            print("1..1\nnot ok 1 - RETORT_TEST_DATABASE_URL is set"
                  " (RETORT_REQUIRE_DB=1)")
            return 0
        print("1..0 # SKIP no DATABASE_URL")
        return 0
    if not importable():
        if require:
            print("1..1\nnot ok 1 - python3-alembic and python3-psycopg2"
                  " are importable (scripts/deps installs them)")
            return 0
        print("1..0 # SKIP python3-alembic or python3-psycopg2 missing")
        return 0
    binary = os.environ.get("RETORT_BIN")
    plugins = os.environ.get("RETORT_INTEROP_PLUGINS")
    if not binary or not plugins:
        print("Bail out! RETORT_BIN and RETORT_INTEROP_PLUGINS must be set"
              " (meson test sets them)")
        return 1

    planned = sum(len(c) for seqs in SEQUENCES.values()
                  for c in seqs.values())
    planned += len(MIDPOINTS) * len(HANDOVER_CHECKS)
    print(f"1..{planned}", flush=True)
    # Sequences run side by side in worker processes (Alembic keeps its
    # state in module globals); results print in order.
    jobs = [(g, part, admin, binary, plugins)
            for g in SEQUENCES for part in [*SEQUENCES[g], "handover"]]
    number = failed = 0
    with multiprocessing.get_context("fork").Pool(PARALLEL) as pool:
        for results in pool.imap(run_job, jobs):
            for result in results:
                number += 1
                failed += tap_line(number, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
