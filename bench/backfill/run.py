#!/usr/bin/env python3
"""bench/backfill/run.py - a batched backfill against one UPDATE, in one run.

The same change, b = f(a) over every row of t (ROWS rows, default ten
million), made two ways on identical copies of the table:

    single    psql: UPDATE t SET b = a * 2 + 1
    backfill  retort upgrade of bench/backfill/b001_backfill.c: the same
              UPDATE over each batch's key range, every knob at its default

While each runs, a concurrent client (updater.c) updates single random rows
of t one after another and records its worst wait.  The backfill runs under
GNU time for its peak RSS, and once more at RSS_ROWS rows (default one
million) to show that the RSS does not grow with the table.  Each round's
times are printed too, with how often autovacuum ran on t during each
backfill.

Targets (the issue's): backfill time <= 1.2 x single; the client's worst
wait during the backfill <= 1 s; peak RSS flat in the table size.

    bench/backfill/run.py --retort build/runner/retort [--rows N]
        [--rss-rows N] [--rounds K] [--url URL | --parent DIR]
        [--json FILE]

Without --url it starts a throwaway cluster of its own (scripts/bench's
Cluster: default settings, a unix socket only) under --parent (default
/var/tmp) and removes it after.  Standard library only; needs cc and
libpq's headers to build the client and the revision.
Exit status: 0 when every run left the table right, 1 otherwise.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import bench as B  # noqa: E402  (scripts/bench's helpers: clusters, run)

ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPLATE = "bf_template"
WORK = "bf_work"
F_OF_A = "a * 2 + 1"


def say(msg):
    B.say(f"backfill: {msg}")


def pkg_config(*args):
    return B.run(["pkg-config", *args, "libpq"]).stdout.split()


def build(work):
    """The concurrent client and the revision plugin, built with cc."""
    cc = os.environ.get("CC", "cc")
    updater = os.path.join(work, "updater")
    B.run([cc, "-O2", "-std=c11", "-o", updater,
           os.path.join(HERE, "updater.c"), *pkg_config("--cflags"),
           *pkg_config("--libs")])
    versions = os.path.join(work, "versions")
    os.mkdir(versions, 0o700)
    B.run([cc, "-O2", "-std=c11", "-shared", "-fPIC", f"-I{ROOT}",
           *pkg_config("--cflags"), os.path.join(HERE, "b001_backfill.c"),
           "-o", os.path.join(versions, "b001_backfill.so")])
    return updater, versions


class Server:
    """Either the caller's server (--url, an admin URL) or our own
    throwaway cluster."""

    def __init__(self, a):
        self.a, self.cluster, self.admin = a, None, a.url

    def __enter__(self):
        if not self.admin:
            bindir = B.find_bindir(None)
            psql = shutil.which("psql") or os.path.join(bindir, "psql")
            self.cluster = B.Cluster("disk", self.a.parent, bindir, psql)
            self.cluster.start()
            self.admin = self.cluster.url("postgres")
        return self

    def __exit__(self, *exc):
        if self.cluster:
            self.cluster.stop()

    def url(self, db):
        if self.cluster:
            return self.cluster.url(db)
        base, _, query = self.admin.partition("?")
        base = base.rsplit("/", 1)[0]
        return f"{base}/{db}" + (f"?{query}" if query else "")

    def psql(self, db, *sql):
        argv = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-d", self.url(db)]
        for s in sql:
            argv += ["-c", s]
        return B.run(argv).stdout.strip()


def make_template(srv, rows):
    say(f"building {rows:,} rows in {TEMPLATE}")
    srv.psql("postgres", f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)",
             f"CREATE DATABASE {TEMPLATE}")
    srv.psql(TEMPLATE,
             "CREATE TABLE t (id bigint PRIMARY KEY, a int NOT NULL, b int,"
             " c int NOT NULL DEFAULT 0)",
             f"INSERT INTO t (id, a) SELECT g, (g::bigint * 7919) % 100003"
             f" FROM generate_series(1, {rows}) g",
             "VACUUM ANALYZE t")


def fresh_copy(srv):
    srv.psql("postgres", f"DROP DATABASE IF EXISTS {WORK} WITH (FORCE)",
             f"CREATE DATABASE {WORK} TEMPLATE {TEMPLATE}", "CHECKPOINT")


def check(srv):
    """Every row right; returns how often autovacuum ran on t in the run
    (the copy is a new database, so its statistics start at zero)."""
    autovacuums = int(srv.psql(WORK, "SELECT autovacuum_count FROM"
                               " pg_stat_user_tables WHERE relname = 't'")
                      or 0)
    wrong = srv.psql(WORK, f"SELECT count(*) FROM t WHERE b IS DISTINCT FROM"
                     f" {F_OF_A}")
    if wrong != "0":
        raise B.BenchError(f"{wrong} rows of t are wrong after the run")
    return autovacuums


class Client:
    """The concurrent single-row updater, for the length of one run."""

    def __init__(self, updater, url, rows):
        self.p = subprocess.Popen([updater, url, str(rows)],
                                  stdout=subprocess.PIPE, text=True)
        if self.p.stdout.readline().strip() != "ready":
            raise B.BenchError("the concurrent client did not start")

    def finish(self):
        self.p.send_signal(signal.SIGTERM)
        out, _ = self.p.communicate(timeout=60)
        return json.loads(out.strip().splitlines()[-1])


def timed(argv, env=None):
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, env=env)
    took = time.monotonic() - t0
    if r.returncode != 0:
        raise B.BenchError(f"failed (exit {r.returncode}): {' '.join(argv)}"
                           f"\n{(r.stdout + r.stderr)[-3000:]}")
    return took, r


def run_single(srv, updater, rows):
    fresh_copy(srv)
    client = Client(updater, srv.url(WORK), rows)
    took, _ = timed(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                     srv.url(WORK), "-c", f"UPDATE t SET b = {F_OF_A}"])
    wait = client.finish()
    return {"seconds": took, "client": wait, "autovacuums": check(srv)}


def retort_argv(a, srv, versions):
    return [B.TIME, "-f", "%M", "-o", os.path.join(a.work, "rss"),
            a.retort, "--url", srv.url(WORK), "--versions", versions,
            "upgrade", "head"]


def summary_of(out):
    lines = [ln.strip() for ln in out.splitlines() if "backfill t:" in ln]
    return lines[-1] if lines else ""


def run_backfill(a, srv, updater, versions, rows, with_client=True):
    fresh_copy(srv)
    client = Client(updater, srv.url(WORK), rows) if with_client else None
    took, r = timed(retort_argv(a, srv, versions))
    wait = client.finish() if client else None
    with open(os.path.join(a.work, "rss")) as f:
        rss = int(f.read().strip().splitlines()[-1])
    return {"seconds": took, "client": wait, "rss_kib": rss,
            "summary": summary_of(r.stdout), "autovacuums": check(srv)}


def report(res, a):
    single = statistics.median(r["seconds"] for r in res["single"])
    backfill = statistics.median(r["seconds"] for r in res["backfill"])
    worst_single = max(r["client"]["max_ms"] for r in res["single"])
    worst_backfill = max(r["client"]["max_ms"] for r in res["backfill"])
    rss_big = max(r["rss_kib"] for r in res["backfill"])
    rss_small = res["rss_small"]["rss_kib"]
    ratio = backfill / single
    met = {"time": ratio <= 1.2, "wait": worst_backfill <= 1000,
           "rss": rss_big <= rss_small * 1.1 + 1024}
    res["result"] = {"single_s": single, "backfill_s": backfill,
                     "ratio": ratio, "worst_wait_single_ms": worst_single,
                     "worst_wait_backfill_ms": worst_backfill,
                     "rss_kib": rss_big, "rss_small_kib": rss_small,
                     "met": met}
    yes = {True: "met", False: "NOT met"}
    print(f"rows: {a.rows:,} (peak RSS also at {a.rss_rows:,}); "
          f"rounds: {a.rounds}")
    print(f"| | time | concurrent client's worst wait | peak RSS |")
    print(f"|---|---|---|---|")
    print(f"| one UPDATE | {single:.1f} s | {worst_single / 1000:.2f} s | |")
    print(f"| retort backfill | {backfill:.1f} s ({ratio:.2f}x) | "
          f"{worst_backfill / 1000:.2f} s | {rss_big / 1024:.1f} MiB "
          f"({rss_small / 1024:.1f} MiB at {a.rss_rows:,} rows) |")
    print(f"backfill: {res['backfill'][-1]['summary']}")
    print("per round (s): one UPDATE " +
          ", ".join(f"{r['seconds']:.1f}" for r in res["single"]) +
          "; backfill " +
          ", ".join(f"{r['seconds']:.1f}" for r in res["backfill"]) +
          "; autovacuum runs on t during the backfills: " +
          ", ".join(str(r["autovacuums"]) for r in res["backfill"]))
    print(f"targets: time <= 1.2x {yes[met['time']]}; worst wait <= 1 s "
          f"{yes[met['wait']]}; RSS flat {yes[met['rss']]}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--retort", required=True)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--rss-rows", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--url", help="an admin URL of a server to use")
    p.add_argument("--parent", default="/var/tmp",
                   help="where the throwaway cluster goes")
    p.add_argument("--json", help="write the figures here too")
    a = p.parse_args()
    a.retort = os.path.realpath(a.retort)
    res = {"rows": a.rows, "single": [], "backfill": []}
    with tempfile.TemporaryDirectory(prefix="retort-bf.") as work:
        a.work = work
        os.chmod(work, 0o700)
        updater, versions = build(work)
        try:
            with Server(a) as srv:
                make_template(srv, a.rss_rows)
                say(f"peak RSS at {a.rss_rows:,} rows")
                res["rss_small"] = run_backfill(a, srv, updater, versions,
                                                a.rss_rows, False)
                make_template(srv, a.rows)
                for i in range(a.rounds):
                    say(f"round {i + 1}: one UPDATE")
                    res["single"].append(run_single(srv, updater, a.rows))
                    say(f"round {i + 1}: retort backfill")
                    res["backfill"].append(
                        run_backfill(a, srv, updater, versions, a.rows))
                srv.psql("postgres",
                         f"DROP DATABASE IF EXISTS {WORK} WITH (FORCE)",
                         f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        except B.BenchError as e:
            print(f"backfill bench: error: {e}", file=sys.stderr)
            return 1
    report(res, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
