"""oracle.py - Alembic's answers to the questions diff.py asks retort.

Builds Alembic's RevisionMap from plain Revision objects (no files, no
database) and answers through the very code the alembic command runs:
ScriptDirectory._upgrade_revs, _downgrade_revs, _stamp_revs,
walk_revisions, get_revisions, get_all_current, with the version rows
kept by runtime.migration.HeadMaintainer.update_to_step.

One change makes Alembic deterministic, and it is the rule retort follows:
a revision's normalized dependencies keep the order depends_on lists them
(Alembic keeps them in a set, so the order in which a revision with two
dependencies walks them varies from run to run).
"""
import types
import warnings

from alembic.runtime import migration
from alembic.script import base as script_base
from alembic.script import revision
from alembic.util import CommandError


def _normalize_depends_on(self, revisions, map_):
    """RevisionMap._normalize_depends_on, keeping depends_on's order."""
    for rev in revisions:
        if not rev._resolved_dependencies:
            rev._normalized_resolved_dependencies = ()
            continue
        drop = set()
        for anc in self._get_ancestor_nodes(
            [rev], include_dependencies=False, map_=map_
        ):
            if anc is not rev and anc._resolved_dependencies:
                drop.update(anc._resolved_dependencies)
        kept = []
        for dep in rev._resolved_dependencies:
            if dep not in drop and dep not in kept:
                kept.append(dep)
        rev._normalized_resolved_dependencies = tuple(kept)


revision.RevisionMap._normalize_depends_on = _normalize_depends_on

# "downgrade -1 from multiple heads is ambiguous": expected, and counted.
warnings.simplefilter("ignore")


def _noop(**kw):
    return None


class Rev(revision.Revision):
    """A Revision that RevisionStep accepts: it wants a module."""

    module = types.SimpleNamespace(upgrade=_noop, downgrade=_noop)
    doc = ""


class Rows(migration.HeadMaintainer):
    """HeadMaintainer without a database: the same set operations, the
    same assertions (a row inserted twice, a missing row deleted)."""

    def __init__(self, heads):
        self.heads = set(heads)

    def _insert_version(self, version):
        assert version not in self.heads
        self.heads.add(version)

    def _delete_version(self, version):
        self.heads.remove(version)

    def _update_version(self, from_, to_):
        assert to_ not in self.heads
        self.heads.remove(from_)
        self.heads.add(to_)


def _tup(items):
    if not items:
        return None
    return items[0] if len(items) == 1 else tuple(items)


class Graph:
    """One graph: revs is a list of (id, downs, labels, deps) in input
    order, the order retort's revmap_build() gets them."""

    def __init__(self, revs):
        self.revs = revs
        self.order = {r[0]: i for i, r in enumerate(revs)}

        def gen():
            return [
                Rev(
                    i,
                    _tup(downs),
                    dependencies=_tup(deps),
                    branch_labels=_tup(labels),
                )
                for i, downs, labels, deps in revs
            ]

        self.rm = revision.RevisionMap(gen)
        self.sd = script_base.ScriptDirectory.__new__(
            script_base.ScriptDirectory
        )
        self.sd.revision_map = self.rm

    def sort(self, ids):
        return sorted(ids, key=lambda i: self.order[i])

    def rowstr(self, rows):
        return ",".join(self.sort(rows)) or "-"


def _ids(revs):
    out = []
    for r in revs:
        if not isinstance(r, revision.Revision):
            raise TypeError("not a revision: %r" % (r,))
        out.append(r.revision)
    return out


def _fmt(ids):
    return "[" + " ".join(ids) + "]"


class RowsCrash(Exception):
    """HeadMaintainer tripped over its own rows."""


def _run_steps(g, rows, steps):
    """Rows after each step."""
    keeper = Rows(rows)
    after = []
    for step in steps:
        try:
            keeper.update_to_step(step)
        except (AssertionError, KeyError) as e:
            raise RowsCrash("HeadMaintainer %s %s" % (type(e).__name__, e))
        after.append(g.rowstr(keeper.heads))
    return after


def upgrade(g, rows, target):
    steps = g.sd._upgrade_revs(target, tuple(rows))
    revs = [s.revision.revision for s in steps]
    return "%s | %s" % (_fmt(revs), ";".join(_run_steps(g, rows, steps)))


def downgrade(g, rows, target):
    steps = g.sd._downgrade_revs(target, tuple(rows))
    revs = [s.revision.revision for s in steps]
    return "%s | %s" % (_fmt(revs), ";".join(_run_steps(g, rows, steps)))


def stamp(g, rows, purge, targets):
    if purge:
        rows = ()
    steps = g.sd._stamp_revs(tuple(targets), tuple(rows))
    logs = []
    for s in steps:
        logs.append(
            "%s>%s"
            % (",".join(s.from_revisions_no_deps), ",".join(s.to_revisions_no_deps))
        )
    return "%s | %s" % (_fmt(logs), ";".join(_run_steps(g, rows, steps)))


def show(g, target):
    return _fmt(_ids(g.sd.get_revisions(target)))


def current(g, rows):
    return _fmt(g.sort(_ids(g.sd.get_all_current(tuple(rows)))))


def history_range(g, rows, rng):
    """command.history's parsing of -r, then walk_revisions."""
    if ":" not in rng:
        raise CommandError(
            "History range requires [start]:[end], [start]:, or :[end]"
        )
    base, head = rng.strip().split(":")
    cur = tuple(rows)
    if head == "current":
        head = cur
    elif base == "current":
        base = cur
    walked = g.sd.walk_revisions(base=base or "base", head=head or "heads")
    return _fmt(_ids(walked))


def heads(g):
    return _fmt(list(g.rm.heads))


def real_heads(g):
    return _fmt(_ids(g.sd.get_revisions("heads")))


def bases(g):
    return _fmt(list(g.rm.bases))


def history(g):
    return _fmt(_ids(g.sd.walk_revisions()))


def labels(g):
    out = []
    for i, _, _, _ in g.revs:
        got = sorted(g.rm.get_revision(i).branch_labels)
        out.append("%s:%s" % (i, ",".join(got)))
    return _fmt(out)


def answer(g, query):
    """'ok ANSWER', 'err MESSAGE' (Alembic's CommandError, RevisionError)
    or 'crash TYPE' (an assertion or a Python error inside Alembic)."""
    kind, args = query[0], query[1:]
    fns = {
        "heads": heads,
        "realheads": real_heads,
        "bases": bases,
        "history": history,
        "labels": labels,
        "current": current,
        "up": upgrade,
        "down": downgrade,
        "show": show,
        "range": history_range,
        "stamp": stamp,
    }
    try:
        return "ok " + fns[kind](g, *args)
    except (CommandError, revision.RevisionError) as e:
        return "err " + str(e).replace("\n", " ")
    except Exception as e:  # noqa: a crash inside Alembic
        return "crash %s: %s" % (type(e).__name__, str(e).replace("\n", " "))
