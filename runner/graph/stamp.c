/*
 * stamp.c - `stamp TARGET...`: the version rows each target moves, adds
 * or deletes, as Alembic's _stamp_revs and HeadMaintainer move them.
 * Pure: no I/O.
 */
#include "graph/revmap.h"

#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "graph/mark.h"
#include "graph/revlist.h"
#include "graph/symbol.h"

void stamp_plan_release(struct stamp_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t k = 0; k < plan->n; k++) {
		revlist_release(&plan->steps[k].from);
		revlist_release(&plan->steps[k].to);
		revlist_release(&plan->steps[k].remove);
		revlist_release(&plan->steps[k].insert);
	}
	free(plan->steps);
	plan->steps = NULL;
	plan->n = 0;
}

/* What a stamp target shares its line with (Alembic's shares): the
 * label's revision and the revisions the symbol names. */
static int stamp_anchors(const struct revmap *map, const struct symbol *s,
			 struct revlist *out, struct retort_error *err)
{
	size_t rev;

	out->items = zalloc(s->revs.n + 2, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	if (s->label.len > 0) {
		if (symbol_ident(map, s->label, &rev, err) < 0)
			return -1;
		out->items[out->n++] = rev;
	}
	if (s->keyword) {
		for (size_t k = 0; k < s->revs.n; k++)
			out->items[out->n++] = s->revs.items[k];
	} else {
		if (symbol_ident(map, s->id, &rev, err) < 0)
			return -1;
		out->items[out->n++] = rev;
	}
	return 0;
}

/* Append to filtered the rows that share a line with target (Alembic's
 * filter_for_lineage with dependencies), each row once. */
static int stamp_filter(const struct revmap *map, const struct revlist *rows,
			const char *target, struct revlist *filtered,
			struct retort_error *err)
{
	struct token sym = { target, strlen(target) };
	struct revlist anchors = { NULL, 0 };
	struct symbol s;
	bool *mark = NULL;
	int rc = -1;

	if (symbol_read(map, sym, target, false, &s, err) < 0)
		goto out;
	if (rows->n == 0) {
		rc = 0;
		goto out;
	}
	mark = zalloc(map->n, sizeof(*mark));
	if (mark == NULL) {
		oom(err);
		goto out;
	}
	if (stamp_anchors(map, &s, &anchors, err) < 0 ||
	    mark_lineage(map, &anchors, true, mark, err) < 0)
		goto out;
	for (size_t k = 0; k < rows->n; k++) {
		size_t r = rows->items[k];

		if ((anchors.n == 0 || mark[r]) && !revlist_has(filtered, r))
			filtered->items[filtered->n++] = r;
	}
	rc = 0;
out:
	free(mark);
	revlist_release(&anchors);
	symbol_release(&s);
	return rc;
}

/* The destinations: every target's revisions, or base (POS_NONE). */
static int stamp_dests(const struct revmap *map, const char *const *targets,
		       size_t ntargets, struct revlist *out,
		       struct retort_error *err)
{
	struct revlist one = { NULL, 0 };
	size_t *grown;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < ntargets; k++) {
		struct token sym = { targets[k], strlen(targets[k]) };

		if (symbol_revisions(map, sym, targets[k], &one, err) < 0)
			return -1;
		/* Alembic crashes on a walk that ends at base. */
		if (revlist_has(&one, POS_BASE)) {
			revlist_release(&one);
			error_set(err, RETORT_USAGE,
				  "stamp target '%s' walks down to base",
				  targets[k]);
			error_hint(err, "Stamp base, or use a smaller step.");
			return -1;
		}
		grown = realloc(out->items,
				(out->n + one.n + 1) * sizeof(*out->items));
		if (grown == NULL) {
			revlist_release(&one);
			return oom(err);
		}
		out->items = grown;
		if (one.n > 0)
			memcpy(out->items + out->n, one.items,
			       one.n * sizeof(*one.items));
		out->n += one.n;
		revlist_release(&one);
	}
	if (out->n > 0)
		return 0;
	revlist_release(out);
	return revlist_one(out, POS_NONE, err);
}

static int stamp_conflict(const struct revmap *map, size_t rev, bool twice,
			  struct retort_error *err)
{
	if (twice)
		error_set(
			err, RETORT_USAGE,
			"stamp targets conflict: revision %s would be in the version table twice",
			id_of(map, rev));
	else
		error_set(
			err, RETORT_USAGE,
			"stamp targets conflict: revision %s was already moved by an earlier target",
			id_of(map, rev));
	error_detail(err, "Alembic's stamp fails on these targets as well");
	error_hint(
		err,
		"Stamp the targets one at a time, or stamp with --purge and the full list of heads.");
	return -1;
}

/* HeadMaintainer's row operations on a StampStep. */
static int row_delete(const struct revmap *map, bool *row,
		      struct stamp_step *st, size_t rev,
		      struct retort_error *err)
{
	if (!row[rev])
		return stamp_conflict(map, rev, false, err);
	row[rev] = false;
	st->remove.items[st->remove.n++] = rev;
	return 0;
}

static int row_insert(const struct revmap *map, bool *row,
		      struct stamp_step *st, size_t rev,
		      struct retort_error *err)
{
	if (row[rev])
		return stamp_conflict(map, rev, true, err);
	row[rev] = true;
	st->insert.items[st->insert.n++] = rev;
	return 0;
}

static bool any_missing(const bool *row, const struct revlist *l)
{
	for (size_t k = 0; k < l->n; k++)
		if (!row[l->items[k]])
			return true;
	return false;
}

/* runtime.migration.HeadMaintainer.update_to_step for a StampStep. */
static int stamp_rows(const struct revmap *map, bool *row,
		      struct stamp_step *st, bool up, bool move,
		      struct retort_error *err)
{
	const struct revlist *from = &st->from, *to = &st->to;

	if (!up && move)
		return row_delete(map, row, st, from->items[0], err);
	if (up && (move || any_missing(row, from)) && any_missing(row, to))
		return row_insert(map, row, st, to->items[0], err);
	for (size_t k = 0; k + 1 < from->n; k++)
		if (row_delete(map, row, st, from->items[k], err) < 0)
			return -1;
	if (from->n == 0 || to->n == 0)
		return stamp_conflict(
			map, to->n ? to->items[0] : from->items[0], true, err);
	if (row[to->items[0]])
		return stamp_conflict(map, to->items[0], true, err);
	if (row_delete(map, row, st, from->items[from->n - 1], err) < 0)
		return -1;
	return row_insert(map, row, st, to->items[0], err);
}

static int stamp_step_add(const struct revmap *map, struct stamp_plan *plan,
			  bool *row, const struct revlist *from, size_t to,
			  bool up, bool move, struct retort_error *err)
{
	struct stamp_step *st = &plan->steps[plan->n++];

	if (revlist_copy(&st->from, from, err) < 0)
		return -1;
	st->to.items = zalloc(1, sizeof(*st->to.items));
	st->remove.items = zalloc(from->n + 1, sizeof(*st->remove.items));
	st->insert.items = zalloc(1, sizeof(*st->insert.items));
	if (st->to.items == NULL || st->remove.items == NULL ||
	    st->insert.items == NULL)
		return oom(err);
	if (to != POS_NONE)
		st->to.items[st->to.n++] = to;
	return stamp_rows(map, row, st, up, move, err);
}

/* Does any of filtered lie on the given side of dest? */
static int stamp_side(const struct revmap *map, size_t dest, unsigned edges,
		      const struct revlist *filtered, bool *hit,
		      struct retort_error *err)
{
	bool *mark = zalloc(map->n, sizeof(*mark));

	if (mark == NULL)
		return oom(err);
	if (mark_reach(map, &dest, 1, edges, mark, err) < 0) {
		free(mark);
		return -1;
	}
	*hit = false;
	for (size_t k = 0; k < filtered->n; k++)
		*hit = *hit || mark[filtered->items[k]];
	free(mark);
	return 0;
}

/* Alembic's _stamp_revs for one destination. */
static int stamp_dest(const struct revmap *map, struct stamp_plan *plan,
		      bool *row, const struct revlist *filtered, size_t dest,
		      struct retort_error *err)
{
	const struct revlist none = { NULL, 0 };
	bool above, below;

	if (dest == POS_NONE) {
		for (size_t k = 0; k < filtered->n; k++) {
			struct revlist one = { &filtered->items[k], 1 };

			if (stamp_step_add(map, plan, row, &one, POS_NONE,
					   false, true, err) < 0)
				return -1;
		}
		return 0;
	}
	if (revlist_has(filtered, dest))
		return 0;
	if (stamp_side(map, dest, EDGE_CHILDREN | EDGE_DEPENDENTS, filtered,
		       &above, err) < 0)
		return -1;
	if (above)
		return stamp_step_add(map, plan, row, filtered, dest, false,
				      false, err);
	if (stamp_side(map, dest, EDGE_PARENTS | EDGE_DEPS, filtered, &below,
		       err) < 0)
		return -1;
	if (below)
		return stamp_step_add(map, plan, row, filtered, dest, true,
				      false, err);
	return stamp_step_add(map, plan, row, &none, dest, true, true, err);
}

static int stamp_run(const struct revmap *map, const struct revlist *rows,
		     const struct revlist *filtered,
		     const struct revlist *dests, struct stamp_plan *out,
		     struct retort_error *err)
{
	bool *row = zalloc(map->n, sizeof(*row));
	int rc = 0;

	out->steps = zalloc(dests->n * (filtered->n + 1), sizeof(*out->steps));
	if (row == NULL || out->steps == NULL) {
		free(row);
		return oom(err);
	}
	for (size_t k = 0; k < rows->n; k++)
		row[rows->items[k]] = true;
	for (size_t k = 0; k < dests->n && rc == 0; k++)
		rc = stamp_dest(map, out, row, filtered, dests->items[k], err);
	free(row);
	return rc;
}

int revmap_stamp(const struct revmap *map, const struct revlist *rows,
		 const char *const *targets, size_t ntargets,
		 struct stamp_plan *out, struct retort_error *err)
{
	static const char *const base[] = { "base" };
	struct revlist filtered = { NULL, 0 }, dests = { NULL, 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ntargets == 0) {
		targets = base;
		ntargets = 1;
	}
	filtered.items = zalloc(rows->n, sizeof(*filtered.items));
	if (filtered.items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t k = 0; k < ntargets; k++)
		if (targets[k][0] != '\0' &&
		    stamp_filter(map, rows, targets[k], &filtered, err) < 0)
			goto out;
	if (stamp_dests(map, targets, ntargets, &dests, err) < 0)
		goto out;
	rc = stamp_run(map, rows, &filtered, &dests, out, err);
out:
	if (rc < 0)
		stamp_plan_release(out);
	revlist_release(&filtered);
	revlist_release(&dests);
	return rc;
}
