#!/usr/bin/env python3
"""bench/fleet.py - `retort fleet upgrade` against a shell loop of single
`retort upgrade head` runs, in one run.

Run through `scripts/bench --fleet`, which builds retort first and passes
its path; `scripts/bench --help` lists the options.

For each cluster (its own throwaway PostgreSQL on tmpfs and on disk, as
bench.py starts them: default, durable settings, a unix socket only) it
creates D databases (default 200) and times, from all of them empty
(every database's public schema dropped and made again, then CHECKPOINT,
untimed, before each run), the 20-revision chain bench/gen.py makes taken
to head by:

    loop        for u in URLs; do retort --url $u --versions V upgrade head; done
    fleet -j 1  retort --versions V fleet upgrade --targets FILE -j 1 head
    fleet -j 4  ... -j 4
    fleet -j 8  ... -j 8

interleaved (one run of each per round, rounds repeated), median wall time
and speed-up against the loop of the same round set.  Each first run is
checked: every database at the chain's head.

Peak RSS of the fleet runner (-j 8) is read from /proc while it runs:
VmHWM of the runner itself (the parent) and the largest VmHWM of any of
its child processes (one per target), sampled every 20 ms, and GNU time's
%M (wait4's ru_maxrss: the largest of the parent and every child it
waited for) as a check.  Once more with R targets (default 1,000, on
tmpfs) to show that the parent's memory does not grow with the targets.

Only retort's command line is used.  Standard library only.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import bench  # noqa: E402
import gen  # noqa: E402

REVS = 20
say = bench.say


def psql_script(cl, db, sql):
    """Run sql (several statements, each on its own) through psql."""
    p = subprocess.run(cl.psql_argv(db), input=sql, text=True,
                       capture_output=True)
    if p.returncode != 0:
        raise bench.BenchError(f"psql on {db}: {p.stderr.strip()}")


def dbname(k):
    return "fleet_%04d" % k


class Fleet:
    def __init__(self, a, so):
        self.a, self.so = a, so
        self.rows = []  # (cluster, mode, times)
        self.rss = []  # (cluster, targets, parent KiB, child KiB, %M KiB)
        self.notes = []

    # ------------------------------------------------------------ databases

    def create(self, cl, n):
        say(f"{cl.kind}: creating {n} databases")
        psql_script(cl, "postgres", "".join(
            f"DROP DATABASE IF EXISTS {dbname(k)};\n"
            f"CREATE DATABASE {dbname(k)};\n" for k in range(n)))

    def drop(self, cl, n):
        psql_script(cl, "postgres", "".join(
            f"DROP DATABASE IF EXISTS {dbname(k)} WITH (FORCE);\n"
            for k in range(n)))

    def reset(self, cl, n):
        """Every database empty again: its public schema made anew."""
        for k in range(n):
            psql_script(cl, dbname(k), "DROP SCHEMA public CASCADE;\n"
                        "CREATE SCHEMA public;\n")
        psql_script(cl, "postgres", "CHECKPOINT;\n")

    def check_head(self, cl, n, label):
        head = gen.rev_id(REVS)
        for k in range(n):
            got = cl.query(dbname(k), "SELECT string_agg(version_num, ',') "
                           "FROM alembic_version")
            if got != head:
                raise bench.BenchError(f"{label} left {dbname(k)} at "
                                       f"'{got}', not {head}")

    def targets_file(self, cl, n):
        path = os.path.join(self.a.out, f"fleet-{cl.kind}-{n}.targets")
        with open(path, "w") as f:
            for k in range(n):
                f.write(f"db{k:04d} {cl.url(dbname(k))}\n")
        return path

    # ------------------------------------------------------------ commands

    def argv(self, cl, mode, n):
        r = self.a.retort
        if mode == "loop":
            urls = " ".join("'%s'" % cl.url(dbname(k)) for k in range(n))
            return ["bash", "-c",
                    f"for u in {urls}; do '{r}' --url \"$u\" --versions "
                    f"'{self.so}' -q upgrade head || exit 1; done"]
        j = mode.split()[-1]
        return [r, "--versions", self.so, "-q", "fleet", "upgrade",
                "--targets", self.targets_file(cl, n), "-j", j, "head"]

    def timed(self, argv):
        t0 = time.monotonic()
        p = subprocess.run(argv, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        dt = time.monotonic() - t0
        if p.returncode != 0:
            raise bench.BenchError(f"{' '.join(argv[:8])} ... exited "
                                   f"{p.returncode}: {p.stderr[-2000:]}")
        return dt

    def run_cluster(self, cl):
        n, modes = self.a.dbs, ["loop", "fleet -j 1", "fleet -j 4",
                                "fleet -j 8"]
        times = {m: [] for m in modes}
        self.create(cl, n)
        for rnd in range(self.a.runs):
            for m in modes:
                self.reset(cl, n)
                times[m].append(self.timed(self.argv(cl, m, n)))
                if rnd == 0:
                    self.check_head(cl, n, m)
                say(f"{cl.kind}: {m}: {times[m][-1]:.2f} s")
        for m in modes:
            self.rows.append((cl.kind, m, times[m]))
        self.reset(cl, n)
        self.measure_rss(cl, n)
        self.drop(cl, n)

    # ------------------------------------------------------------ memory

    def measure_rss(self, cl, n):
        argv = self.argv(cl, "fleet -j 8", n)
        with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
            parent, child = watch_rss([bench.TIME, "-f", "%M", "-o", t.name,
                                       *argv])
            maxrss = int(t.read().strip().splitlines()[-1])
        self.rss.append((cl.kind, n, parent, child, maxrss))
        say(f"{cl.kind}: {n} targets: parent {parent} KiB, largest child "
            f"{child} KiB, %M {maxrss} KiB")


def hwm(pid):
    """VmHWM of pid in KiB, or 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def watch_rss(argv):
    """Run argv (GNU time, then the runner); the runner's own peak VmHWM
    and the largest peak of its children, sampled every 20 ms."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    runner, parent, child = None, 0, 0
    while p.poll() is None:
        if runner is None:
            kids = children(p.pid)
            runner = kids[0] if kids else None
        if runner is not None:
            parent = max(parent, hwm(runner))
            for c in children(runner):
                child = max(child, hwm(c))
        time.sleep(0.02)
    err = p.stderr.read()
    if p.returncode != 0:
        raise bench.BenchError(f"fleet upgrade exited {p.returncode}: "
                               f"{err[-2000:]}")
    return parent, child


def report(f, a, started, elapsed, load0):
    lines = [f"## Fleet: run of {started.strftime('%Y-%m-%d %H:%M UTC')}",
             "", f"Command: `{a.command}`  ",
             f"Took {elapsed / 60:.1f} min; load average {load0} at the "
             f"start, {bench.loadavg()} at the end; machine: "
             f"{bench.machine()}.", "",
             f"{a.dbs} databases × {REVS} revisions (bench/gen.py's chain), "
             "each run from every database empty (public schema dropped and "
             "made again, CHECKPOINT, untimed); rounds interleaved, "
             f"{a.runs} runs each, median wall time.  Loop: one `retort "
             "--url U --versions V -q upgrade head` per database in a bash "
             "`for` loop; fleet: `retort --versions V -q fleet upgrade "
             "--targets FILE -j N head`.", ""]
    rows = []
    for kind in dict.fromkeys(k for k, _, _ in f.rows):
        loop = statistics.median(
            next(t for k, m, t in f.rows if k == kind and m == "loop"))
        for k, m, t in f.rows:
            if k != kind:
                continue
            med = statistics.median(t)
            rows.append([kind, m, f"{med:.2f} s",
                         " ".join(f"{x:.2f}" for x in t),
                         f"{loop / med:.2f}×"])
    lines += [bench.md_table(["cluster", "how", "median", "runs (s)",
                              "speed-up vs loop"], rows), ""]
    lines += ["Peak RSS of the fleet runner, `-j 8`: the parent's VmHWM and "
              "the largest VmHWM of its children (one per target), read "
              "from /proc every 20 ms; GNU time's %M (wait4's ru_maxrss: "
              "the largest of the parent and every child it waited for).",
              ""]
    lines += [bench.md_table(
        ["cluster", "targets", "parent", "largest child", "%M"],
        [[k, str(n), f"{p / 1024:.1f} MiB", f"{c / 1024:.1f} MiB",
          f"{m / 1024:.1f} MiB"] for k, n, p, c, m in f.rss]), ""]
    targets = []
    for kind in dict.fromkeys(k for k, _, _ in f.rows):
        loop = statistics.median(
            next(t for k, m, t in f.rows if k == kind and m == "loop"))
        j8 = statistics.median(
            next(t for k, m, t in f.rows if k == kind and m == "fleet -j 8"))
        targets.append(f"- {kind}: `-j 8` {loop / j8:.2f}× faster than the "
                       f"loop (target ≥ 3× on disk): "
                       f"{'met' if loop / j8 >= 3 else 'not met'}")
    peak = max(max(p, c, m) for _, _, p, c, m in f.rss) if f.rss else 0
    targets.append(f"- peak RSS {peak / 1024:.1f} MiB (target < 16 MiB): "
                   f"{'met' if peak < 16 * 1024 else 'not met'}")
    lines += ["Targets:", ""] + targets + [""]
    lines += [f"- {n}" for n in f.notes]
    return "\n".join(lines).rstrip("\n") + "\n"


def write(path, text):
    """The section goes at the top, under the file's title and preamble."""
    old = open(path).read() if os.path.exists(path) else \
        "# retort benchmark results\n\n"
    cut = old.find("\n## ")
    head, rest = (old, "") if cut < 0 else (old[:cut + 1], old[cut + 1:])
    with open(path, "w") as f:
        f.write(head + text + ("\n" + rest if rest else ""))
    say(f"results written to {os.path.relpath(path)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--retort", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dbs", type=int, default=200)
    ap.add_argument("--rss-targets", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clusters", default="disk,tmpfs")
    ap.add_argument("--results", default="")
    ap.add_argument("--command", default="scripts/bench --fleet")
    bench.add_cluster_options(ap)
    a = ap.parse_args()
    bench.stop_on_sigterm()
    a.retort = os.path.realpath(a.retort)
    a.out = os.path.realpath(a.out)
    bindir = bench.find_bindir(a.pg_bindir)
    psql = os.path.join(bindir, "psql")
    if not os.access(psql, os.X_OK):
        psql = "psql"
    revs = os.path.join(a.out, f"revs-{REVS}")
    gen.generate(revs, REVS, a.cc.split(), log=say)
    f = Fleet(a, os.path.join(revs, "so"))
    started = datetime.datetime.now(datetime.timezone.utc)
    t0, load0 = time.monotonic(), bench.loadavg()
    for kind in a.clusters.split(","):
        parent = a.tmpfs_dir if kind == "tmpfs" else a.disk_dir
        cl = bench.Cluster(kind, parent, bindir, psql)
        try:
            cl.start()
            f.run_cluster(cl)
            if kind == "tmpfs" and a.rss_targets:
                f.create(cl, a.rss_targets)
                f.measure_rss(cl, a.rss_targets)
                f.drop(cl, a.rss_targets)
        finally:
            cl.stop()
    text = report(f, a, started, time.monotonic() - t0, load0)
    print(text)
    if a.results:
        write(a.results, text)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except bench.BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        sys.exit(1)
