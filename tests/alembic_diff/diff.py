#!/usr/bin/env python3
"""diff.py - differential test of retort's revision graph against Alembic.

Generates many revision graphs (hand-written ones: linear, branches,
merges, several bases, branch labels, depends_on across branches; and
random ones from a fixed seed), asks each graph the same questions of
Alembic's RevisionMap (oracle.py) and of retort's graph (driver.c, on
stdin), and compares the answers:

  up/down ROWS TARGET    the upgrade or downgrade plan from version rows
                         ROWS, in order, with the rows after every step
  stamp ROWS PURGE TGTS  stamp's steps (from -> to) and rows after each
  heads, realheads, bases, history, labels   the graph's own answers
  show TARGET            the revisions a symbol names (get_revisions)
  current ROWS           what `current` lists for ROWS
  range ROWS A:B         `history -r A:B`, in walk order

An error must meet an error (the messages may differ); an answer must be
equal, order included.  Where Alembic itself crashes (an assertion or a
Python error inside it) any retort answer is accepted and counted; where
retort deliberately differs (listed in KNOWN below, and in
tests/alembic_diff/README.md) the case is counted, not failed.

Output: TAP, one test per graph.  Usage:
  diff.py [--driver PATH] [--graphs N] [--seed S] [-v]
The driver comes from --driver, $ALEMBIC_DIFF_DRIVER, or is compiled with
cc from the source tree into a temporary directory.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile


def _reexec_with_alembic():
    """Debian's python3-alembic lives in /usr/bin/python3's path; a
    pyenv or venv python found first on PATH may lack it."""
    try:
        import alembic  # noqa: F401

        return
    except ImportError:
        pass
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(cand) and os.path.realpath(cand) != os.path.realpath(
            sys.executable
        ):
            probe = subprocess.run(
                [cand, "-c", "import alembic"], capture_output=True
            )
            if probe.returncode == 0:
                os.execv(cand, [cand] + sys.argv)
    print("1..0 # SKIP alembic is not importable (apt-get install python3-alembic)")
    sys.exit(0)


_reexec_with_alembic()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# ---- graphs -------------------------------------------------------------


def R(id_, downs="", labels="", deps=""):
    def split(s):
        return [x for x in s.split(",") if x]

    return (id_, split(downs), split(labels), split(deps))


FIXED = {
    "linear": [R("a1f0"), R("a2e9", "a1f0"), R("b3d8", "a2e9"), R("c4c7", "b3d8")],
    "short_ids": [R("a"), R("b", "a"), R("c", "b"), R("abcd", "c"), R("abce", "abcd")],
    "branched": [
        R("a000"),
        R("b000", "a000", "main"),
        R("c000", "a000", "feat"),
        R("d000", "b000"),
    ],
    "merged": [
        R("a000"),
        R("b000", "a000"),
        R("c000", "a000"),
        R("m000", "b000,c000"),
        R("n000", "m000"),
    ],
    "two_bases": [
        R("a000"),
        R("b000", "a000"),
        R("x000", "", "other"),
        R("y000", "x000"),
    ],
    "deps": [R("a000"), R("b000", "a000"), R("x000", "", "", "b000"), R("y000", "x000")],
    "dep_on_label": [
        R("a1", "", "lib"),
        R("a2", "a1"),
        R("x1", "", "app"),
        R("x2", "x1", "", "lib"),
        R("x3", "x2"),
    ],
    "effective_head": [
        R("a000"),
        R("b000", "a000"),
        R("c000", "a000"),
        R("d000", "c000", "", "b000"),
    ],
    "dep_of_ancestor": [
        R("a000"),
        R("b000", "a000"),
        R("x000"),
        R("y000", "x000", "", "b000"),
        R("z000", "y000", "", "b000"),
        R("w000", "z000", "", "a000"),
    ],
    "two_deps": [
        R("p000"),
        R("q000"),
        R("r000"),
        R("s000", "p000", "", "r000,q000"),
        R("t000", "s000"),
    ],
    # the interop graph of tests/interop/depends
    "interop_depends": [
        R("a1", "", "apple"),
        R("a2", "a1"),
        R("a3", "a2"),
        R("c1", "", "cherry"),
        R("c2", "c1", "", "a2"),
        R("c3", "c2"),
        R("k1", "", "kiwi", "apple"),
    ],
    "branchmerge": [
        R("m1"),
        R("m2", "m1"),
        R("m3a", "m2", "left"),
        R("m3b", "m2", "right"),
        R("m4a", "m3a"),
        R("m4b", "m3b"),
        R("m5", "m4a,m4b"),
        R("m6", "m5"),
    ],
    "shuffled": [
        R("d000", "c000"),
        R("b000", "a000"),
        R("c000", "b000"),
        R("a000"),
        R("e000", "c000"),
    ],
    "label_chain": [
        R("a000"),
        R("b000", "a000", "lb"),
        R("c000", "b000"),
        R("d000", "c000", "ld"),
        R("e000", "d000"),
    ],
}

ALPHA = "abc01"


def random_graph(rnd, big=False):
    n = rnd.randint(12, 40) if big else rnd.randint(1, 11)
    ids = []
    while len(ids) < n:
        id_ = "".join(rnd.choice(ALPHA) for _ in range(rnd.choice([1, 2, 3, 4, 4, 5, 6])))
        if id_ not in ids:
            ids.append(id_)
    revs = []
    nlabels = 0
    for i, id_ in enumerate(ids):
        downs, deps, labels = [], [], []
        if i > 0 and rnd.random() > 0.15:
            downs = [rnd.choice(ids[:i])]
            if i > 1 and rnd.random() < 0.2:
                other = rnd.choice(ids[:i])
                if other not in downs:
                    downs.append(other)
        if i > 0 and rnd.random() < 0.25:
            for _ in range(rnd.choice([1, 1, 1, 2])):
                dep = rnd.choice(ids[:i])
                if dep not in deps and (rnd.random() < 0.8 or dep not in downs):
                    deps.append(dep)
        if rnd.random() < 0.2:
            labels.append("lab%d" % nlabels)
            nlabels += 1
            if rnd.random() < 0.2:
                labels.append("lab%d" % nlabels)
                nlabels += 1
        revs.append((id_, downs, labels, deps))
    # depends_on may name a label too
    all_labels = [(r[0], lab) for r in revs for lab in r[2]]
    for k, (id_, downs, labels, deps) in enumerate(revs):
        for j, dep in enumerate(deps):
            for owner, lab in all_labels:
                if owner == dep and rnd.random() < 0.3:
                    deps[j] = lab
    if rnd.random() < 0.3:
        rnd.shuffle(revs)
    return revs


# ---- queries ------------------------------------------------------------


def closure(g, picks):
    """Rows for a database that has picks applied: the applied set's
    revisions with no applied child or dependent."""
    applied = set()
    todo = list(picks)
    while todo:
        r = todo.pop()
        if r in applied:
            continue
        applied.add(r)
        rev = g.rm.get_revision(r)
        todo.extend(rev._all_down_revisions)
    rows = []
    for r in applied:
        rev = g.rm.get_revision(r)
        if not (set(rev._all_nextrev) & applied):
            rows.append(r)
    return g.sort(rows)


def states(g, rnd):
    ids = [r[0] for r in g.revs]
    out = [[]]
    for _ in range(3):
        out.append(closure(g, rnd.sample(ids, min(len(ids), rnd.choice([1, 1, 2])))))
    out.append(closure(g, ids))
    uniq = []
    for s in out:
        if s not in uniq:
            uniq.append(s)
    return uniq


def targets(g, rnd, k):
    ids = [r[0] for r in g.revs]
    labels = [lab for r in g.revs for lab in r[2]]
    t = ["head", "heads", "base", "+1", "+2", "-1", "-2", "+0", "zzzz"]
    t += ids
    for i in ids:
        t += [i[:1], i[:2], i[:3], i[:4], i + "+1", i + "-1", i + "+2", i + "-2", i + "+0"]
    t += ["head-1", "head-2", "heads-1", "base+1", "base+2", "base-1", "head+1"]
    for lab in labels:
        t += [lab, lab + "@head", lab + "@heads", lab + "@base", lab + "@+1",
              lab + "@-1", lab + "@head-1", lab + "@base+1"]
        t += [lab + "@" + rnd.choice(ids), lab + "@" + rnd.choice(ids)[:2]]
    for lab in labels:
        t += [lab[:3], lab[:2], "@" + lab]
    t += ["nolabel@head", rnd.choice(ids) + "@head", rnd.choice(ids) + "@base"]
    t += ["@head", "@heads", rnd.choice(ids) + "+1x", "+1+1", "a@b@c"]
    t = list(dict.fromkeys(t))
    if len(t) > k:
        t = rnd.sample(t, k)
    return t


def rowarg(rows):
    return ",".join(rows) or "-"


def queries(g, rnd, ntargets):
    q = [("heads",), ("realheads",), ("bases",), ("history",), ("labels",)]
    sts = states(g, rnd)
    tg = targets(g, rnd, ntargets)
    for s in sts:
        q.append(("current", s))
        for t in tg:
            q.append(("up", s, t))
            q.append(("down", s, t))
    for t in tg:
        q.append(("show", t))
    ends = ["", "base", "heads", "head", "current", "-1", "+1"] + [
        t for t in tg if "@" in t or "+" in t or "-" in t
    ][:4] + [r[0] for r in g.revs]
    for _ in range(min(40, len(ends) ** 2)):
        a, b = rnd.choice(ends), rnd.choice(ends)
        q.append(("range", rnd.choice(sts), "%s:%s" % (a, b)))
    q.append(("range", [], "nocolon"))
    for s in sts:
        for t in rnd.sample(tg, min(len(tg), 6)):
            q.append(("stamp", s, rnd.random() < 0.2, [t]))
        if len(tg) > 1:
            q.append(("stamp", s, False, rnd.sample(tg, 2)))
    return q


def encode(query):
    kind = query[0]
    if kind in ("current",):
        return "%s %s" % (kind, rowarg(query[1]))
    if kind in ("up", "down", "range"):
        return "%s %s %s" % (kind, rowarg(query[1]), query[2])
    if kind == "show":
        return "show %s" % query[1]
    if kind == "stamp":
        return "stamp %s %d %s" % (rowarg(query[1]), query[2], ",".join(query[3]))
    return kind


def encode_graph(revs):
    lines = ["graph %d" % len(revs)]
    for id_, downs, labels, deps in revs:
        lines.append(
            "rev %s %s %s %s"
            % (id_, ",".join(downs) or "-", ",".join(labels) or "-", ",".join(deps) or "-")
        )
    return lines


# ---- deliberate differences ---------------------------------------------

# Each entry: (name, predicate(graph, query, alembic, retort) -> bool).  A
# case a predicate accepts is counted under its name instead of failing.
KNOWN = []


def known(name):
    def deco(fn):
        KNOWN.append((name, fn))
        return fn

    return deco


@known("downgrade -N from several rows: Alembic warns and uses the first row; retort refuses")
def _k_multi_rel(g, q, a, r):
    return (
        q[0] == "down"
        and len(q[1]) > 1
        and re.fullmatch(r"-\d+", q[2]) is not None
        and r.startswith("err ")
    )


def _symbols(q):
    """The target strings in a question."""
    if q[0] in ("up", "down"):
        return [q[2]]
    if q[0] == "show":
        return [q[1]]
    if q[0] == "range":
        return q[2].split(":")
    if q[0] == "stamp":
        return list(q[3])
    return []


@known("trailing characters after a relative step ('a+1x', '+1+1'): Alembic's regex ignores them, retort rejects the target")
def _k_trailing(g, q, a, r):
    def trailing(t):
        m = re.match(r"(?:.+?@)?\w*[+-]\d+", t)
        return m is not None and m.end() < len(t)

    return any(trailing(t) for t in _symbols(q)) and r.startswith("err ")


def _split_plan(ans):
    revs, _, rows = ans[3:].partition(" | ")
    return revs, [set(x.split(",")) - {"-"} for x in rows.split(";") if x]


@known("Alembic keeps a redundant row for a dependency that is also an ancestor (its next upgrade then fails: 'overlaps'); retort keeps the minimal rows")
def _k_redundant_row(g, q, a, r):
    if q[0] not in ("up", "down", "stamp") or not (a.startswith("ok ") and r.startswith("ok ")):
        return False
    arevs, arows = _split_plan(a)
    rrevs, rrows = _split_plan(r)
    if arevs != rrevs or len(arows) != len(rrows):
        return False
    for al, rl in zip(arows, rrows):
        if not al >= rl:
            return False
        below = set()
        for row in rl:
            below.update(
                x.revision for x in g.rm._get_ancestor_nodes([g.rm.get_revision(row)])
                if x.revision != row
            )
        if not (al - rl) <= below:
            return False
    return True


@known("two '@' in a target: retort refuses it; Alembic splits it at the first or last '@' depending on the command")
def _k_two_at(g, q, a, r):
    return any(t.count("@") > 1 for t in _symbols(q)) and r.startswith("err ")


# ---- running ------------------------------------------------------------


def build_driver(tmp):
    cc = os.environ.get("CC", "cc")
    out = os.path.join(tmp, "alembic_diff_driver")
    runner = os.path.join(ROOT, "runner")
    graph = sorted(
        os.path.join(runner, "graph", name)
        for name in os.listdir(os.path.join(runner, "graph"))
        if name.endswith(".c")
    )
    base = [os.path.join(runner, "base", name)
            for name in ("error.c", "text.c", "strbuf.c")]
    subprocess.run(
        [
            cc, "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-O1", "-g",
            "-I", runner,
            os.path.join(HERE, "driver.c"),
            *graph, *base,
            "-o", out,
        ],
        check=True,
    )
    return out


def run_driver(driver, blocks):
    text = "\n".join(line for block in blocks for line in block) + "\n"
    proc = subprocess.run(
        [driver], input=text, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit("driver failed with status %d" % proc.returncode)
    return proc.stdout.split("\n")


def classify(g, q, a, r):
    """None when the answers agree, else a reason or 'FAIL'."""
    if a == r:
        return None
    if a.startswith("err ") and r.startswith("err "):
        return None
    if a.startswith("crash "):
        return "Alembic crashes (%s)" % a.split(":")[0][6:]
    for name, pred in KNOWN:
        if pred(g, q, a, r):
            return name
    return "FAIL"


def main():
    args = sys.argv[1:]
    driver = os.environ.get("ALEMBIC_DIFF_DRIVER")
    ngraphs, seed, verbose = 300, 20261124, False
    while args:
        a = args.pop(0)
        if a == "--driver":
            driver = args.pop(0)
        elif a == "--graphs":
            ngraphs = int(args.pop(0))
        elif a == "--seed":
            seed = int(args.pop(0))
        elif a == "-v":
            verbose = True
        else:
            raise SystemExit("usage: diff.py [--driver PATH] [--graphs N] [--seed S] [-v]")
    tmp = tempfile.mkdtemp(prefix="alembic_diff.")
    try:
        if not driver:
            driver = build_driver(tmp)
        rnd = random.Random(seed)
        graphs = list(FIXED.items())
        for k in range(ngraphs):
            graphs.append(("random%d" % k, random_graph(rnd, big=k % 10 == 9)))
        blocks, plans = [], []
        for name, revs in graphs:
            g = oracle.Graph(revs)
            qs = queries(g, rnd, 60 if name in FIXED else 25)
            want = [oracle.answer(g, q) for q in qs]
            blocks.append(encode_graph(revs) + [encode(q) for q in qs] + ["end"])
            plans.append((name, g, qs, want))
        got = run_driver(driver, blocks)
        pos = 0
        counts, total, failed = {}, 0, 0
        print("1..%d" % len(plans))
        for n, (name, g, qs, want) in enumerate(plans, 1):
            bad = []
            for q, a in zip(qs, want):
                r = got[pos] if pos < len(got) else "<no answer>"
                pos += 1
                total += 1
                why = classify(g, q, a, r)
                if why is None:
                    continue
                if why == "FAIL":
                    bad.append((q, a, r))
                else:
                    counts[why] = counts.get(why, 0) + 1
                    if verbose:
                        print("# %s: %s\n#   alembic %s\n#   retort  %s" % (why, encode(q), a, r))
            if bad:
                failed += 1
                print("not ok %d - %s: %d of %d answers differ" % (n, name, len(bad), len(qs)))
                for line in encode_graph(g.revs):
                    print("#   " + line)
                for q, a, r in bad[:8]:
                    print("# %s\n#   alembic %s\n#   retort  %s" % (encode(q), a, r))
            else:
                print("ok %d - %s (%d answers)" % (n, name, len(qs)))
        print("# %d answers compared over %d graphs" % (total, len(plans)))
        for why, c in sorted(counts.items()):
            print("# accepted %5d: %s" % (c, why))
        return 1 if failed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
