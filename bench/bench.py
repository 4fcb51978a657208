#!/usr/bin/env python3
"""bench/bench.py - retort against the psql floor F1 and Alembic, in one run.

Run through scripts/bench, which builds retort and the start-up baseline
first and passes their paths; `scripts/bench --help` lists the options.

For each N and each cluster (its own throwaway PostgreSQL on tmpfs and on
disk, default settings but where it listens) it times, with hyperfine:

    upgrade              empty database -> head
    downgrade            head -> base
    current              at head (F1: psql reading alembic_version)
    history              the revision list (F1: none)
    history, directory changed
                         a file added to and removed from the versions
                         directory first, so a cache of the revisions'
                         metadata has to validate every plugin file
    history, every plugin rebuilt
                         every plugin's times bumped as well, so every
                         plugin has to be read again
    no-op upgrade head   at head (F1: psql reading alembic_version)

and, once per run, start-up (`--version` against a no-op program linked
with libpq), peak RSS (GNU time's %M), and what crash isolation costs per
revision (a build with -Dcrash_isolation=false, upgrade at N=1,000).

At N=100 on each cluster it also times the rehearsal against the upgrade
it rehearses (the same 100 pending revisions, the same empty database):
`plan head` and `lint` (each a scratch shadow database created, the
revisions run in it with every statement captured and measured, the
shadow dropped), `plan --rehearse-on-target` (one transaction on the
target, rolled back) and `plan --shadow-url` (an empty database kept for
rehearsals, emptied after each, as Atlas's dev database is used); and the
same from a database halfway (at revision 50, so the shadow gets the
target's schema from pg_dump) against `upgrade head` from there.

Interleaving: every round is one hyperfine invocation that runs each tool
once (reads: a few times) after its --prepare, in order retort, F1,
Alembic; the rounds repeat, so slow drift of a busy machine hits every tool
alike.  Medians and spreads are computed here from the runs' times.

Only the command line of retort is used (`--url URL --versions DIR` and a
verb), never its internals.  Standard library only.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import gen  # noqa: E402

ROOT = gen.ROOT
MiB = 1024.0

# ---------------------------------------------------------------- helpers


def say(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def run(argv, check=True, capture=True, cwd=None, env=None):
    r = subprocess.run(argv, capture_output=capture, text=True, cwd=cwd,
                       env=env)
    if check and r.returncode != 0:
        detail = ((r.stdout or "") + (r.stderr or "")).strip()
        raise BenchError(f"command failed (exit {r.returncode}): "
                         f"{shlex.join(argv)}\n{detail[-3000:]}")
    return r


def first_line(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True)
    except OSError:
        return "not found"
    out = (r.stdout or r.stderr or "").strip().splitlines()
    return out[0].strip() if out else "?"


def is_root():
    return os.geteuid() == 0


def fstype(path):
    """The file-system type the path lives on (the longest mount prefix)."""
    path = os.path.realpath(path)
    best, kind = "", "?"
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 3:
                continue
            mnt = fields[1].replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and \
                    len(mnt) >= len(best):
                best, kind = mnt, fields[2]
    return kind


# ---------------------------------------------------------------- clusters


def find_bindir(given):
    def ok(d):
        return all(os.access(os.path.join(d, p), os.X_OK)
                   for p in ("initdb", "pg_ctl", "postgres"))

    if given:
        if not ok(given):
            raise BenchError(f"--pg-bindir {given} lacks initdb, pg_ctl, postgres")
        return given
    cands = []
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        cands.append(os.path.dirname(os.path.realpath(pg_ctl)))
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        vers = sorted((v for v in os.listdir(base) if v.isdigit()),
                      key=int, reverse=True)
        cands += [os.path.join(base, v, "bin") for v in vers]
    for d in cands:
        if ok(d):
            return d
    raise BenchError("PostgreSQL server binaries not found (scripts/deps "
                     "installs them; or pass --pg-bindir)")


class Cluster:
    """A throwaway PostgreSQL cluster in a fresh directory under parent,
    listening on a unix socket in that directory only."""

    PORT = 5432  # the socket's directory is ours, so the port is free

    def __init__(self, kind, parent, bindir, psql):
        self.kind, self.parent, self.bindir, self.psql_bin = \
            kind, parent, bindir, psql
        self.base = None
        self.running = False

    def as_server(self, argv):
        if is_root():
            return ["runuser", "-u", "postgres", "--", *argv]
        return argv

    def start(self):
        if is_root():
            run(["id", "postgres"])
        self.base = tempfile.mkdtemp(prefix="retort-bench.", dir=self.parent)
        if is_root():
            shutil.chown(self.base, "postgres", "postgres")
        os.chmod(self.base, 0o700)
        self.data = os.path.join(self.base, "data")
        say(f"{self.kind}: initdb in {self.data} "
            f"({fstype(self.base)})")
        # Default settings: trust on the local socket (initdb's default),
        # durable commits (fsync, synchronous_commit: untouched).
        run(self.as_server([os.path.join(self.bindir, "initdb"), "-D",
                            self.data, "-U", "postgres", "--auth=trust",
                            "-E", "UTF8", "--no-locale"]), cwd="/")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# scripts/bench: where the server listens; "
                    "all else default\n"
                    "listen_addresses = ''\n"
                    f"unix_socket_directories = '{self.base}'\n"
                    f"port = {self.PORT}\n")
        run(self.as_server([os.path.join(self.bindir, "pg_ctl"), "start",
                            "-w", "-t", "120", "-D", self.data, "-l",
                            os.path.join(self.base, "server.log")]), cwd="/")
        self.running = True

    def stop(self):
        if self.running:
            run(self.as_server([os.path.join(self.bindir, "pg_ctl"), "stop",
                                "-D", self.data, "-m", "fast", "-w"]),
                check=False, cwd="/")
            self.running = False
        if self.base and os.path.basename(self.base).startswith("retort-bench."):
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def url(self, db):
        return (f"postgresql:///{db}?host={self.base}&port={self.PORT}"
                "&user=postgres")

    def alembic_url(self, db):
        return (f"postgresql+psycopg2://postgres@/{db}?host={self.base}"
                f"&port={self.PORT}")

    def psql_argv(self, db, *args):
        return [self.psql_bin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                self.url(db), *args]

    def query(self, db, sql):
        return run(self.psql_argv(db, "-A", "-t", "-c", sql)).stdout.strip()

    def reset_argv(self, db, template):
        """Recreate db from template, then a checkpoint so that each run
        starts from a clean disk state (the prepare step, untimed)."""
        return self.psql_argv(
            "postgres", "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)",
            "-c", f"CREATE DATABASE {db} TEMPLATE {template}",
            "-c", "CHECKPOINT")

    def clone(self, db, template):
        run(self.reset_argv(db, template))

    def drop(self, db):
        run(self.psql_argv("postgres", "-c",
                           f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))

    def state(self, db):
        """(version_num list, number of benchmark tables)"""
        out = self.query(db, "SELECT coalesce((SELECT string_agg(version_num, "
                         "',') FROM alembic_version), '') || '|' || "
                         "(SELECT count(*) FROM pg_tables WHERE schemaname = "
                         "'public' AND tablename LIKE 't\\_%')")
        ver, _, count = out.partition("|")
        return ver, int(count)


# ---------------------------------------------------------------- tools


class Tools:
    """The argv of each tool for each verb."""

    def __init__(self, a, revset, n):
        self.a, self.revset, self.n = a, revset, n
        self.so = os.path.join(revset, "so")
        self.f1 = os.path.join(revset, "f1")
        self.ini = os.path.join(revset, "alembic", "alembic.ini")

    def retort(self, cl, db, *verb, binary=None):
        return [binary or self.a.retort, "--url", cl.url(db), "--versions",
                self.so, *verb]

    def alembic(self, cl, db, *verb):
        return [self.a.alembic_python, "-m", "alembic", "-c", self.ini, "-x",
                "url=" + cl.alembic_url(db), *verb]

    def f1_file(self, cl, db, name):
        return cl.psql_argv(db, "-f", os.path.join(self.f1, name))

    def f1_read(self, cl, db):
        return cl.psql_argv(db, "-A", "-t", "-c",
                            "SELECT version_num FROM alembic_version")

    def argv(self, tool, cl, db, work):
        verbs = {"upgrade": ("upgrade", "head"),
                 "downgrade": ("downgrade", "base"),
                 "current": ("current",), "history": ("history",),
                 "history_dir": ("history",),
                 "history_touched": ("history",),
                 "noop": ("upgrade", "head"),
                 "plan": ("plan", "head"), "lint": ("lint",),
                 "plan_target": ("plan", "--rehearse-on-target", "head"),
                 "plan_shadow": ("--shadow-url", "SHADOW", "plan", "head")}
        if tool == "retort":
            verb = [cl.url("shadow") if v == "SHADOW" else v
                    for v in verbs[work]]
            return self.retort(cl, db, *verb)
        if tool == "noiso":
            return self.retort(cl, db, *verbs[work], binary=self.a.retort_noiso)
        if tool == "alembic":
            return self.alembic(cl, db, *verbs[work])
        if work == "upgrade":
            return self.f1_file(cl, db, "upgrade.sql")
        if work == "downgrade":
            return self.f1_file(cl, db, "downgrade.sql")
        if work in ("current", "noop"):
            return self.f1_read(cl, db)
        return None


# ---------------------------------------------------------------- timing


class Cmd:
    def __init__(self, tool, argv, prepare=None, warmup=1, runs=3):
        self.tool, self.argv, self.prepare = tool, argv, prepare
        self.warmup, self.runs = warmup, runs
        self.times = []
        self.cpu = []  # user + system of each run (hyperfine's rusage)


def hyperfine(cmds, runs, warmup, jsonpath):
    argv = ["hyperfine", "-N", "--style", "none", "--runs", str(runs),
            "--export-json", jsonpath]
    if warmup:
        argv += ["--warmup", str(warmup)]
    if any(c.prepare for c in cmds):
        for c in cmds:
            argv += ["--prepare", shlex.join(c.prepare or ["true"])]
    for c in cmds:
        argv += ["-n", c.tool, shlex.join(c.argv)]
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        # Show why: run each once more with its output.
        why = [r.stderr.strip()[-2000:]]
        for c in cmds:
            if c.prepare:
                subprocess.run(c.prepare, capture_output=True)
            rr = subprocess.run(c.argv, capture_output=True, text=True)
            if rr.returncode != 0:
                why.append(f"{c.tool} failed (exit {rr.returncode}): "
                           f"{shlex.join(c.argv)}\n{rr.stderr.strip()[-2000:]}")
        raise BenchError("hyperfine failed:\n" + "\n".join(why))
    with open(jsonpath) as f:
        res = json.load(f)["results"]
    for c, rres in zip(cmds, res):
        c.times += rres["times"]
        c.cpu += [rres["user"] + rres["system"]] * len(rres["times"])


def measure(cmds, chunk, jsondir, label):
    """Rounds of hyperfine invocations: each runs every command that still
    needs runs, `chunk` times each, so the tools alternate."""
    done = 0
    rounds = max(math.ceil(c.runs / chunk) for c in cmds)
    path = os.path.join(jsondir, "hyperfine.json")
    for rnd in range(rounds):
        groups = {}
        for c in cmds:
            left = c.runs - len(c.times)
            if left <= 0:
                continue
            key = (min(chunk, left), c.warmup if rnd == 0 else 0)
            groups.setdefault(key, []).append(c)
        for (runs, warmup), group in groups.items():
            hyperfine(group, runs, warmup, path)
        done += 1
        print(f"\rbench: {label}: round {done}/{rounds}", end="",
              file=sys.stderr, flush=True)
    print(file=sys.stderr, flush=True)
    return ({c.tool: c.times for c in cmds}, {c.tool: c.cpu for c in cmds})


def peak_rss(argv, prepare=None):
    """Peak resident set in KiB (GNU time's %M: the process and the
    children it waited for, such as retort's worker)."""
    if prepare:
        run(prepare)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        run([TIME, "-f", "%M", "-o", t.name, *argv])
        return int(t.read().strip().splitlines()[-1])


TIME = "/usr/bin/time"

# ---------------------------------------------------------------- plans

WORKS = [
    # name, label, kind (write/read)
    ("upgrade", "upgrade (empty -> head)", "write"),
    ("downgrade", "downgrade (head -> base)", "write"),
    ("current", "current (at head)", "read"),
    ("history", "history", "read"),
    ("history_dir", "history, directory changed", "read"),
    ("history_touched", "history, every plugin rebuilt", "read"),
    ("noop", "no-op upgrade head", "read"),
]


def settle_index(tools):
    """Let retort's index record the versions directory's stamp, as it
    does on its own once the directory has not changed for a moment (a
    write just before may have rewritten the index): reads are timed on
    the path a deploy or a developer's next command takes."""
    time.sleep(0.25)
    run([tools.a.retort, "--versions", tools.so, "history"])


def plan(a, n):
    """(warmup, runs) for writes and reads, and the chunk for reads."""
    if a.smoke:
        w, r = (0, 3), (0, 3)
    elif n <= 100:
        w, r = (2, 10), (3, 20)
    elif n <= 1000:
        w, r = (1, 7), (2, 15)
    else:
        w, r = (1, 3), (1, 7)
    if a.runs:
        w, r = (w[0], a.runs), (r[0], a.runs)
    return {"write": w, "read": r}


ALEMBIC_CAP_N = 10000  # Alembic's `current` took 55 s at N=10,000


def alembic_cap(a, n, work):
    """(warmup, runs) for Alembic when capped, or None."""
    if n >= ALEMBIC_CAP_N or a.smoke:
        return (0, 1)
    return None


# ---------------------------------------------------------------- targets


def target(work, cluster, n):
    """(text, check) where check(stats) -> bool, or None."""
    if work in ("upgrade", "downgrade") and n >= 1000:
        lim = 0.85 if cluster == "tmpfs" else 1.00
        return (f"<= {lim:.2f}x F1", lambda s: s["ratio_f1"] is not None
                and s["ratio_f1"] <= lim)
    ms = None
    if work == "current" and n >= 10000:
        ms = 20
    if work == "noop" and n >= 1000:
        ms = 10 if n < 10000 else 20
    if work == "history" and n >= 10000:
        ms = 15
    if work == "history_dir" and n >= 10000:
        ms = 35
    if ms is not None:
        return (f"<= {ms} ms", lambda s: s["retort"] * 1e3 <= ms)
    return None


def rss_target(n):
    if n >= 10000:
        return 12
    if n >= 1000:
        return 8
    return None


# ---------------------------------------------------------------- format


def fmt_t(sec, like=None):
    """sec (seconds) in the unit that suits it, or that suits like (the
    median a spread goes with)."""
    if sec is None:
        return "—"
    ref = sec if like is None else like
    ms = sec * 1e3
    if ref >= 10:
        return f"{sec:.1f} s"
    if ref >= 0.1:
        return f"{ms:.0f} ms"
    if ref >= 0.01:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def fmt_spread(times):
    if not times:
        return "—"
    med = statistics.median(times)
    if len(times) < 2:
        return f"{fmt_t(med)} (1 run)"
    sd = statistics.stdev(times)
    return f"{fmt_t(med)} ±{fmt_t(sd, med)}"


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}×"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def met_text(ok):
    return "—" if ok is None else ("yes" if ok else "**NO**")


# ---------------------------------------------------------------- the run


class Bench:
    def __init__(self, a):
        self.a = a
        self.sections = []   # (title, markdown)
        self.targets = []    # (what, target, value, ok)
        self.raw = {"runs": []}
        self.notes = []

    # -- one N on one cluster
    def verify(self, cl, db, want_head, n, who):
        ver, count = cl.state(db)
        want = (gen.rev_id(n), n) if want_head else ("", 0)
        if (ver, count) != want:
            raise BenchError(
                f"{who} left {cl.kind} database {db} at version '{ver}' with "
                f"{count} tables; expected '{want[0]}' with {want[1]}")

    def prepare_cluster(self, cl, tools, n, first):
        """Templates: tpl_empty; tpl_head_retort and tpl_head_sql made by
        retort and F1, each checked, then each tool's downgrade checked."""
        say(f"{cl.kind} N={n}: templates and a correctness pass")
        cl.clone("tpl_empty", "template0")
        checks = [("retort", "tpl_head_retort"), ("f1", "tpl_head_sql")]
        if self.a.alembic_python and first and not self.a.smoke:
            checks.append(("alembic", None))
        for tool, tpl in checks:
            cl.clone("verify", "tpl_empty")
            run(tools.argv(tool, cl, "verify", "upgrade"))
            self.verify(cl, "verify", True, n, f"{tool} upgrade head")
            if tpl:
                cl.clone(tpl, "verify")
            run(tools.argv(tool, cl, "verify", "downgrade"))
            self.verify(cl, "verify", False, n, f"{tool} downgrade base")
            cl.drop("verify")
        cl.clone("head_retort", "tpl_head_retort")
        cl.clone("head_sql", "tpl_head_sql")

    def commands(self, cl, tools, n, work, kind, p, tool_list):
        cmds = []
        # A file created and removed changes the directory's times, as a
        # build that adds or replaces a plugin does.
        bump_dir = ["sh", "-c", 'f="$1/.bench-$$" && : >"$f" && rm "$f"',
                    "sh", tools.so]
        touch = ["sh", "-c", 'find "$1" -name "*.so" -exec touch {} + && '
                 'f="$1/.bench-$$" && : >"$f" && rm "$f"', "sh", tools.so]
        for tool in tool_list:
            if work == "upgrade":
                db, prep = "bench", cl.reset_argv("bench", "tpl_empty")
            elif work == "downgrade":
                tpl = "tpl_head_retort" if tool in ("retort", "noiso") \
                    else "tpl_head_sql"
                db, prep = "bench", cl.reset_argv("bench", tpl)
            else:
                db = "head_retort" if tool == "retort" else "head_sql"
                prep = {"history_dir": bump_dir,
                        "history_touched": touch}.get(work)
            argv = tools.argv(tool, cl, db, work)
            if argv is None:
                continue
            warmup, runs = p[kind]
            if tool == "alembic":
                cap = alembic_cap(self.a, n, work)
                if cap:
                    warmup, runs = cap
                elif kind == "read" and n >= 1000:
                    runs = min(runs, 5)  # seconds each
            cmds.append(Cmd(tool, argv, prep, warmup, runs))
        if kind == "read":
            # The cost of starting any libpq program, in the same rounds:
            # what a read cannot go below on this machine.
            cmds.append(Cmd("baseline", [self.a.noop], None, *p[kind]))
        return cmds

    def run_cluster(self, cl, n, first):
        a = self.a
        revset = os.path.join(a.out, f"revs-{n}")
        tools = Tools(a, revset, n)
        self.prepare_cluster(cl, tools, n, first)
        p = plan(a, n)
        base_tools = ["retort", "f1"] + (["alembic"] if a.alembic_python else [])
        rows, record = [], {"n": n, "cluster": cl.kind,
                            "fs": fstype(cl.base), "works": {}}
        for work, label, kind in WORKS:
            tl = ["retort"] if work in ("history_dir", "history_touched") \
                else base_tools
            cmds = self.commands(cl, tools, n, work, kind, p, tl)
            chunk = 1 if kind == "write" else 5
            if kind == "read":
                settle_index(tools)
            t0 = time.monotonic()
            times, cpu = measure(cmds, chunk, a.out,
                                 f"{cl.kind} N={n} {work}")
            record["works"][work] = {"wall": times, "cpu": cpu}
            med = {k: statistics.median(v) for k, v in times.items() if v}
            st = {"retort": med["retort"], "f1": med.get("f1"),
                  "alembic": med.get("alembic")}
            st["ratio_f1"] = ratio(st["retort"], st["f1"])
            st["ratio_alembic"] = ratio(st["retort"], st["alembic"])
            tg = target(work, cl.kind, n)
            ok = tg[1](st) if tg else None
            if tg:
                value = (fmt_ratio(st["ratio_f1"]) if "F1" in tg[0]
                         else fmt_t(st["retort"]))
                self.targets.append((f"{label}, N={n:,}, {cl.kind}", tg[0],
                                     value, ok))
            alem = times.get("alembic")
            alem_txt = fmt_spread(alem) if alem else (
                "—" if work in ("history_dir", "history_touched")
                or not a.alembic_python
                else "skipped")
            base = med.get("baseline")
            above = fmt_t(st["retort"] - base) if base is not None else "—"
            cpu_r = statistics.median(cpu["retort"])
            cpu_f = statistics.median(cpu["f1"]) if cpu.get("f1") else None
            cpu_txt = fmt_t(cpu_r) + (f" / {fmt_t(cpu_f)}" if cpu_f else "")
            rows.append([label, fmt_spread(times["retort"]),
                         fmt_spread(times.get("f1")), fmt_ratio(st["ratio_f1"]),
                         alem_txt, fmt_ratio(st["ratio_alembic"]),
                         tg[0] if tg else "—", met_text(ok), cpu_txt, above])
            say(f"{cl.kind} N={n} {work}: retort {fmt_t(st['retort'])}, "
                f"F1 {fmt_t(st['f1'])}, Alembic {fmt_t(st['alembic'])} "
                f"({time.monotonic() - t0:.0f} s)")
        rows.append(self.rss_row(cl, tools, n, record))
        self.raw["runs"].append(record)
        fs = record["fs"]
        title = f"N={n:,}, {cl.kind} cluster ({fs})"
        header = ["work", "retort median ±σ", "F1 (psql)", "retort/F1",
                  "Alembic", "retort/Alembic", "target", "met?",
                  "client CPU retort / F1", "retort − no-op program"]
        self.sections.append((title, md_table(header, rows)))
        print(f"\n### {title}\n\n{md_table(header, rows)}\n", flush=True)

    def rss_row(self, cl, tools, n, record):
        say(f"{cl.kind} N={n}: peak RSS")
        peaks = {}
        smoke = self.a.smoke
        for tool in ["retort", "f1"] + (["alembic"] if self.a.alembic_python
                                        and not smoke else []):
            best = None
            for work in ("upgrade", "downgrade", "current", "history"):
                if smoke and work in ("downgrade", "current"):
                    continue
                if tool == "alembic" and n >= ALEMBIC_CAP_N and \
                        work in ("current", "downgrade"):
                    continue  # minutes each; upgrade and history suffice
                if work == "upgrade":
                    db, prep = "bench", cl.reset_argv("bench", "tpl_empty")
                elif work == "downgrade":
                    db = "bench"
                    prep = cl.reset_argv("bench", "tpl_head_retort"
                                         if tool == "retort"
                                         else "tpl_head_sql")
                else:
                    db, prep = ("head_retort" if tool == "retort"
                                else "head_sql"), None
                argv = tools.argv(tool, cl, db, work)
                if argv is None:
                    continue
                kib = peak_rss(argv, prep)
                if best is None or kib > best[0]:
                    best = (kib, work)
            peaks[tool] = best
        base = min(peak_rss([self.a.noop]) for _ in range(3))
        peaks["baseline"] = (base, "no-op program")
        record["peak_rss_kib"] = peaks
        r = peaks["retort"]
        lim = rss_target(n)
        ok = None if lim is None else r[0] / MiB <= lim
        if lim is not None:
            self.targets.append((f"peak RSS, N={n:,}, {cl.kind}",
                                 f"<= {lim} MiB", f"{r[0] / MiB:.1f} MiB", ok))

        def m(t):
            if t not in peaks or peaks[t] is None:
                return "—"
            return f"{peaks[t][0] / MiB:.1f} MiB ({peaks[t][1]})"

        al = peaks.get("alembic")
        return ["peak RSS (the largest; of which command)",
                m("retort"), m("f1"), fmt_ratio(ratio(r[0], peaks["f1"][0])),
                m("alembic"), fmt_ratio(ratio(r[0], al[0]) if al else None),
                f"<= {lim} MiB" if lim else "—", met_text(ok), "",
                f"{(r[0] - base) / MiB:.1f} MiB (no-op program: "
                f"{base / MiB:.1f} MiB)"]

    # -- start-up, once
    def startup(self):
        a = self.a
        say("start-up")
        cmds = [Cmd("retort", [a.retort, "--version"]),
                Cmd("noop", [a.noop]),
                Cmd("psql", [a.psql, "--version"]),
                Cmd("true", [shutil.which("true") or "/bin/true"])]
        if a.alembic_python:
            cmds.append(Cmd("alembic", [a.alembic_python, "-m", "alembic",
                                        "--version"]))
        for c in cmds:
            c.warmup, c.runs = (1, 5) if a.smoke else (3, 40)
            if c.tool == "alembic":
                c.warmup, c.runs = (0, 1) if a.smoke else (1, 10)
        times, _ = measure(cmds, 10 if not a.smoke else 5, a.out,
                           "start-up")
        self.raw["startup"] = times
        med = {k: statistics.median(v) for k, v in times.items()}
        rr = ratio(med["retort"], med["noop"])
        ok = rr <= 1.2
        self.targets.append(("start-up (retort --version)",
                             "<= 1.20x no-op+libpq", fmt_ratio(rr), ok))
        rows = [["start-up (`--version`)", fmt_spread(times["retort"]),
                 fmt_spread(times["noop"]), fmt_ratio(rr),
                 fmt_spread(times.get("alembic")),
                 fmt_ratio(ratio(med["retort"], med.get("alembic"))),
                 "<= 1.20× no-op", met_text(ok)]]
        header = ["work", "retort median ±σ", "no-op + libpq", "ratio",
                  "Alembic --version", "retort/Alembic", "target", "met?"]
        body = md_table(header, rows) + (
            f"\n\nFor scale, in the same rounds: `psql --version` "
            f"{fmt_spread(times['psql'])}, `/bin/true` "
            f"{fmt_spread(times['true'])} (the cost of starting any process "
            "here).")
        self.sections.append(("start-up", body))
        print(f"\n### start-up\n\n{body}\n", flush=True)

    # -- the rehearsal (plan, lint) against the upgrade it rehearses
    WORK_LABEL = {"plan": "`plan head` (scratch shadow)",
                  "lint": "`lint` (scratch shadow)",
                  "plan_target": "`plan --rehearse-on-target head`",
                  "plan_shadow": "`plan head`, `--shadow-url` an empty database"}

    def rehearsal(self, cl, n):
        a = self.a
        say(f"rehearsal: {cl.kind} N={n}")
        tools = Tools(a, os.path.join(a.out, f"revs-{n}"), n)
        half = n // 2
        cl.clone("tpl_half", "template0")
        cl.clone("shadow", "template0")  # --shadow-url: emptied after each
        run(tools.retort(cl, "tpl_half", "upgrade", gen.rev_id(half)))
        warmup, runs = (0, 3) if a.smoke else (2, a.runs or 10)
        rows, record = [], {"n": n, "cluster": cl.kind}
        for start, tpl in (("empty", "tpl_empty"), (f"at {half}", "tpl_half")):
            cmds = [Cmd(work, tools.argv("retort", cl, "bench", work),
                        cl.reset_argv("bench", tpl), warmup, runs)
                    for work in ("upgrade", "plan", "lint", "plan_target",
                                 "plan_shadow")]
            times, cpu = measure(cmds, 1, a.out,
                                 f"rehearsal {cl.kind} N={n} from {start}")
            record[start] = {"wall": times, "cpu": cpu}
            med = {k: statistics.median(v) for k, v in times.items()}
            pending = n if tpl == "tpl_empty" else n - half
            for work in ("plan", "lint", "plan_target", "plan_shadow"):
                r = ratio(med[work], med["upgrade"])
                ok = r is not None and r <= 2.0
                self.targets.append((f"{self.WORK_LABEL[work]} / upgrade, {pending} pending "
                                     f"from {start}, {cl.kind}", "<= 2.00x",
                                     fmt_ratio(r), ok))
                rows.append([self.WORK_LABEL[work], f"{pending} from {start}",
                             fmt_spread(times[work]),
                             fmt_spread(times["upgrade"]), fmt_ratio(r),
                             "<= 2.00×", met_text(ok)])
        cl.drop("tpl_half")
        cl.drop("shadow")
        self.raw.setdefault("rehearsal", []).append(record)
        header = ["work", "pending revisions", "retort median ±σ",
                  "`upgrade head` from the same state", "ratio", "target",
                  "met?"]
        title = f"rehearsal, N={n:,}, {cl.kind}"
        self.sections.append((title, md_table(header, rows)))
        print(f"\n### {title}\n\n{md_table(header, rows)}\n", flush=True)

    # -- crash isolation, once
    def isolation(self, cl, n):
        a = self.a
        say(f"crash isolation: {cl.kind} N={n}")
        tools = Tools(a, os.path.join(a.out, f"revs-{n}"), n)
        warmup, runs = (1, 3) if a.smoke else (1, a.runs or 12)
        cmds = []
        for tool in ("retort", "noiso"):
            tpl = "tpl_empty"
            cmds.append(Cmd(tool, tools.argv(tool, cl, "bench", "upgrade"),
                            cl.reset_argv("bench", tpl), warmup, runs))
        times, cpu = measure(cmds, 1, a.out, f"isolation N={n}")
        self.raw["isolation"] = {"n": n, "cluster": cl.kind, "wall": times,
                                 "cpu": cpu}
        cpu_per = (statistics.median(cpu["retort"]) -
                   statistics.median(cpu["noiso"])) / n * 1e3
        iso, noiso = (statistics.median(times[t]) for t in ("retort", "noiso"))
        per = (iso - noiso) / n * 1e3
        # The spread of the difference, from the two spreads.
        sd = math.sqrt(statistics.variance(times["retort"]) +
                       statistics.variance(times["noiso"])) / n * 1e3 \
            if runs > 1 else float("nan")
        ok = per <= 0.05
        self.targets.append((f"crash isolation, per revision (N={n:,}, "
                             f"{cl.kind})", "<= +0.05 ms", f"{per:+.3f} ms",
                             ok))
        rows = [[f"upgrade N={n:,} ({cl.kind})", fmt_spread(times["retort"]),
                 fmt_spread(times["noiso"]), f"{per:+.3f} ms (±{sd:.3f})",
                 "<= +0.05 ms", met_text(ok), f"{cpu_per:+.3f} ms"]]
        body = md_table(["work", "worker process (default)",
                         "in-process (-Dcrash_isolation=false)",
                         "difference per revision", "target", "met?",
                         "client CPU difference per revision"], rows)
        self.sections.append(("crash isolation", body))
        print(f"\n### crash isolation\n\n{body}\n", flush=True)


def versions(a):
    tree = first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    if run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
           check=False).stdout.strip():
        tree += " with uncommitted changes"
    v = {
        "retort": f"{first_line([a.retort, '--version'])} (tree {tree})",
        "PostgreSQL server": first_line([os.path.join(a.pg_bindir, "postgres"),
                                         "--version"]),
        "psql": first_line([a.psql, "--version"]),
        "cc": first_line([*shlex.split(a.cc), "--version"]),
        "hyperfine": first_line(["hyperfine", "--version"]),
        "python (harness)": platform.python_version(),
    }
    if a.alembic_python:
        v["Alembic"] = first_line([
            a.alembic_python, "-c",
            "import alembic, sqlalchemy, psycopg2, sys; print('alembic', "
            "alembic.__version__, '/ SQLAlchemy', sqlalchemy.__version__, "
            "'/ psycopg2', psycopg2.__version__.split()[0], '/ python', "
            "sys.version.split()[0])"])
    else:
        v["Alembic"] = "not installed: not timed"
    return v


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    distro = "?"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({model}), {mem} memory, {distro}, "
            f"Linux {platform.release()}")


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


METHOD = """\
- Each N's revisions come in three twins generated by `bench/gen.py`: C
  revisions built as plugins (`CREATE TABLE t_<n> (id int)` up, `DROP TABLE`
  down), one SQL file per direction for the psql floor F1 (per revision
  `BEGIN; DDL; UPDATE alembic_version ...; COMMIT;`, run by `psql -X -q -f`
  with ON_ERROR_STOP), and Alembic scripts whose `env.py` sets
  `transaction_per_migration=True`.  Plugins are compiled from two templates
  and cloned (same-length strings replaced; build id off); the first,
  second and last are compiled for real and compared byte for byte.
- Each cluster is a fresh `initdb` with default settings (durable:
  fsync and synchronous_commit untouched) except that it listens only on a
  unix socket in its own directory; one on tmpfs, one on disk.
- Each timed command gets the database it needs from hyperfine's
  `--prepare` (untimed): upgrade from an empty database, downgrade from one
  the same tool took to head (F1 and Alembic share theirs), both cloned
  from templates then `CHECKPOINT`; current, history and no-op run at head.
  F1 for current and no-op is psql reading `alembic_version` (connect and
  one query, the least either can do); history has no F1.
  "directory changed" adds and removes a file in the versions directory
  before each run, so retort's index cannot vouch for the directory and
  every plugin is stat()ed; "every plugin rebuilt" also bumps every
  plugin's times, so every plugin is read again.
  The reads' rounds also time `bench/noop.c` (a no-op program linked with
  libpq); "retort − no-op program" is what retort spends beyond starting a
  process, the part of a read that does not depend on the machine's cost
  of exec and page faults.
- Interleaving: each round is one hyperfine call (`-N`, no shell) that runs
  retort, F1 and Alembic one after another, once each for upgrade and
  downgrade, five times each for the reads; rounds repeat until every tool
  has its runs.  Median and sample standard deviation over the runs.
- Peak RSS: GNU time's `%M` (includes the worker process retort waits for),
  one run per command, the largest of upgrade, downgrade, current and
  history.
- Crash isolation: the same upgrade timed with a second build configured
  `-Dcrash_isolation=false`, interleaved; the difference of medians / N.
- "client CPU" is the user + system time of the timed process and the
  children it waited for (hyperfine's rusage), median over the runs: the
  tool's own work, without the server's, and less sensitive than wall
  time to other load on the machine.
- Targets are the issue's; a miss never fails the run."""


def write_results(b, a, started, elapsed, load0, load1):
    when = started.strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## Run of {when}", "",
             f"Command: `{a.command}`  ", f"Took {elapsed / 60:.1f} min; "
             f"load average {load0} at the start, {load1} at the end.", "",
             f"Machine: {machine()}.", "", "Versions:", ""]
    for k, v in versions(a).items():
        lines.append(f"- {k}: {v}")
    lines += ["", "Method:", "", METHOD, ""]
    if b.notes:
        lines += ["Notes:", ""] + [f"- {n}" for n in b.notes] + [""]
    lines += ["### Targets", "",
              md_table(["target", "limit", "measured", "met?"],
                       [[w, t, v, met_text(ok)] for w, t, v, ok in b.targets]),
              ""]
    for title, body in b.sections:
        lines += [f"### {title}", "", body, ""]
    text = "\n".join(lines)
    head = ("# retort benchmark results\n\n"
            "Written by `scripts/bench` (code in `bench/`); run it again to "
            "measure anew.\nRatios compare medians taken in the same run.\n\n")
    if not a.results:
        path = os.path.join(a.out, "last-run.md")
        with open(path, "w") as f:
            f.write(head + text.rstrip("\n") + "\n")
        say(f"report written to {path}")
    else:
        if a.append and os.path.exists(a.results):
            with open(a.results) as f:
                old = f.read().rstrip("\n")
            out = old + "\n\n" + text
        else:
            out = head + text
        with open(a.results, "w") as f:
            f.write(out.rstrip("\n") + "\n")
        say(f"results written to {os.path.relpath(a.results)}")
    raw = os.path.join(a.out, "results-" + started.strftime("%Y%m%dT%H%M%S")
                       + ".json")
    with open(raw, "w") as f:
        json.dump(b.raw, f)
    return text


def find_alembic_python(a):
    if a.no_alembic:
        return None
    cands = [os.environ.get("BENCH_ALEMBIC_PYTHON"), "/usr/bin/python3",
             shutil.which("python3")]
    for py in cands:
        if py and os.access(py, os.X_OK) and subprocess.run(
                [py, "-c", "import alembic, sqlalchemy, psycopg2"],
                capture_output=True).returncode == 0:
            return py
    return None


def add_cluster_options(ap):
    """Where the throwaway clusters go, and what builds the revisions."""
    ap.add_argument("--tmpfs-dir", default="/dev/shm")
    ap.add_argument("--disk-dir", default="/var/tmp")
    ap.add_argument("--pg-bindir")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))


def stop_on_sigterm():
    """SIGTERM unwinds like an exception, so that every cluster stops."""
    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)


def main():
    ap = argparse.ArgumentParser(prog="bench.py")
    ap.add_argument("--retort", required=True)
    ap.add_argument("--retort-noiso")
    ap.add_argument("--noop", required=True)
    ap.add_argument("--n", default="100,1000")
    ap.add_argument("--clusters", default="tmpfs,disk")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--no-alembic", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--results", default="")
    ap.add_argument("--append", action="store_true")
    ap.add_argument("--command", default="scripts/bench")
    add_cluster_options(ap)
    ap.add_argument("--compile-all", action="store_true")
    a = ap.parse_args()
    stop_on_sigterm()
    a.retort = os.path.realpath(a.retort)
    a.noop = os.path.realpath(a.noop)
    if a.retort_noiso:
        a.retort_noiso = os.path.realpath(a.retort_noiso)
    a.out = os.path.realpath(a.out)
    if a.results:
        a.results = os.path.realpath(a.results)
    os.makedirs(a.out, exist_ok=True)
    ns = [int(x.replace("_", "").replace(",", "")) for x in a.n.split(",") if x]
    kinds = [k for k in a.clusters.split(",") if k]
    for k in kinds:
        if k not in ("tmpfs", "disk"):
            raise SystemExit(f"bench: unknown cluster kind {k!r}")
    a.pg_bindir = find_bindir(a.pg_bindir)
    a.psql = shutil.which("psql") or os.path.join(a.pg_bindir, "psql")
    a.alembic_python = find_alembic_python(a)
    for tool in ("hyperfine", TIME):
        if not shutil.which(tool):
            raise BenchError(f"{tool} not found (scripts/deps installs it)")

    b = Bench(a)
    started = datetime.datetime.now(datetime.timezone.utc)
    t0, load0 = time.monotonic(), loadavg()
    if not a.alembic_python:
        b.notes.append("Alembic (python3-alembic, python3-psycopg2) is not "
                       "installed: not timed.")
    if any(n >= ALEMBIC_CAP_N for n in ns) and a.alembic_python:
        b.notes.append(
            f"At N={ALEMBIC_CAP_N:,} Alembic is capped: one run without "
            "warm-up per command, timed in its own hyperfine call after "
            "retort's and F1's in each round (the issue measured 55 s for its "
            "`current`); its peak RSS there covers upgrade and history only.")
    # retort reads retort.ini and .env from the working directory: use one
    # that has neither.
    os.chdir(a.out)
    os.environ.pop("DATABASE_URL", None)

    for n in ns:
        gen.generate(os.path.join(a.out, f"revs-{n}"), n,
                     shlex.split(a.cc), a.compile_all, log=say)
    b.startup()
    iso_n = 1000 if 1000 in ns else ns[0]
    first = True
    for kind in kinds:
        parent = a.tmpfs_dir if kind == "tmpfs" else a.disk_dir
        fs = fstype(parent)
        if (kind == "tmpfs") != (fs == "tmpfs"):
            b.notes.append(f"the {kind} cluster's directory {parent} is on "
                           f"{fs}.")
        cl = Cluster(kind, parent, a.pg_bindir, a.psql)
        try:
            cl.start()
            for n in ns:
                b.run_cluster(cl, n, first)
                if a.retort_noiso and n == iso_n and kind == kinds[0]:
                    b.isolation(cl, n)
                if n == 100:
                    b.rehearsal(cl, n)
                for db in ("head_retort", "head_sql", "bench", "tpl_empty",
                           "tpl_head_retort", "tpl_head_sql"):
                    cl.drop(db)
            first = False
        finally:
            cl.stop()
    if not a.retort_noiso:
        b.notes.append("Crash isolation not measured (no "
                       "-Dcrash_isolation=false build).")
    elapsed = time.monotonic() - t0
    write_results(b, a, started, elapsed, load0, loadavg())
    print("\n### Targets\n\n" + md_table(
        ["target", "limit", "measured", "met?"],
        [[w, t, v, met_text(ok)] for w, t, v, ok in b.targets]) + "\n")
    missed = [t for t in b.targets if t[3] is False]
    say(f"done in {elapsed / 60:.1f} min: {len(b.targets) - len(missed)} of "
        f"{len(b.targets)} targets met (timings never fail the run)")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
