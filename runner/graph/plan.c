/*
 * plan.c - upgrade and downgrade plans: the revisions to run, in
 * Alembic's order, each with the version-table rows its step deletes and
 * inserts, worked out by simulating the rows as the plan runs.  Pure: no
 * I/O.
 */
#include "graph/revmap.h"

#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "graph/mark.h"
#include "graph/order.h"
#include "graph/revlist.h"
#include "graph/symbol.h"
#include "graph/target.h"

/* A plan being simulated: what is applied and which rows exist. */
struct sim {
	bool *applied;
	bool *row;
	size_t *succ; /* applied children and dependents of each revision */
};

static void sim_release(struct sim *s)
{
	free(s->applied);
	free(s->row);
	free(s->succ);
}

static int sim_init(struct sim *s, const struct revmap *map,
		    const struct revstate *state, struct retort_error *err)
{
	s->applied = zalloc(map->n, sizeof(*s->applied));
	s->row = zalloc(map->n, sizeof(*s->row));
	s->succ = zalloc(map->n, sizeof(*s->succ));
	if (s->applied == NULL || s->row == NULL || s->succ == NULL)
		return oom(err);
	for (size_t r = 0; r < map->n; r++)
		s->applied[r] = is_applied(state, r);
	for (size_t k = 0; k < state->rows.n; k++)
		s->row[state->rows.items[k]] = true;
	for (size_t r = 0; r < map->n; r++) {
		if (!s->applied[r])
			continue;
		for (size_t k = 0; k < pred_count(&map->revs[r]); k++)
			s->succ[pred_at(&map->revs[r], k)]++;
	}
	return 0;
}

/* Upgrading R replaces the rows it builds on with R. */
static void sim_upgrade(struct sim *s, const struct revmap *map,
			struct plan_step *st)
{
	const struct revision *r = &map->revs[st->rev];

	for (size_t k = 0; k < pred_count(r); k++) {
		size_t p = pred_at(r, k);

		s->succ[p]++;
		if (s->row[p]) {
			s->row[p] = false;
			st->remove.items[st->remove.n++] = p;
		}
	}
	s->applied[st->rev] = true;
	s->row[st->rev] = true;
	st->insert.items[st->insert.n++] = st->rev;
}

/* Downgrading R gives a row back to each predecessor it leaves bare. */
static void sim_downgrade(struct sim *s, const struct revmap *map,
			  struct plan_step *st)
{
	const struct revision *r = &map->revs[st->rev];

	s->applied[st->rev] = false;
	if (s->row[st->rev]) {
		s->row[st->rev] = false;
		st->remove.items[st->remove.n++] = st->rev;
	}
	for (size_t k = 0; k < pred_count(r); k++) {
		size_t p = pred_at(r, k);

		if (s->succ[p] > 0)
			s->succ[p]--;
		if (s->applied[p] && s->succ[p] == 0 && !s->row[p]) {
			s->row[p] = true;
			st->insert.items[st->insert.n++] = p;
		}
	}
}

static int step_init(struct plan_step *st, const struct revmap *map, size_t rev,
		     enum plan_direction dir, struct retort_error *err)
{
	size_t degree = pred_count(&map->revs[rev]);
	bool up = dir == PLAN_UPGRADE;

	st->rev = rev;
	st->direction = dir;
	st->remove.items = zalloc(up ? degree : 1, sizeof(size_t));
	st->insert.items = zalloc(up ? 1 : degree, sizeof(size_t));
	if (st->remove.items == NULL || st->insert.items == NULL)
		return oom(err);
	return 0;
}

/* One step per revision of seq, rows simulated as each one runs. */
static int build_plan(const struct revmap *map, const struct revstate *state,
		      const struct revlist *seq, enum plan_direction dir,
		      struct plan *out, struct retort_error *err)
{
	struct sim s = { NULL, NULL, NULL };
	int rc = -1;

	out->steps = zalloc(seq->n, sizeof(*out->steps));
	if (out->steps == NULL) {
		oom(err);
		goto out;
	}
	if (sim_init(&s, map, state, err) < 0)
		goto out;
	for (size_t k = 0; k < seq->n; k++) {
		struct plan_step *st = &out->steps[k];

		out->n = k + 1;
		if (step_init(st, map, seq->items[k], dir, err) < 0)
			goto out;
		if (dir == PLAN_UPGRADE)
			sim_upgrade(&s, map, st);
		else
			sim_downgrade(&s, map, st);
	}
	rc = 0;
out:
	sim_release(&s);
	if (rc < 0)
		plan_release(out);
	return rc;
}
/* The revisions of a target list (POS_BASE and POS_NONE are base). */
static int target_revs(const struct revmap *map, const struct revlist *targets,
		       struct revlist *out, struct retort_error *err)
{
	if (revlist_copy(out, targets, err) < 0)
		return -1;
	revlist_keep(map, out, NULL);
	return 0;
}

/* Walk flagged revisions from heads; reversed for an upgrade. */
static int plan_walk(const struct revmap *map, const struct revstate *state,
		     const bool *flag, const struct revlist *heads,
		     enum plan_direction dir, struct plan *out,
		     struct retort_error *err)
{
	struct revlist seq = { NULL, 0 };
	int rc;

	if (order_walk(map, flag, heads, &seq, err) < 0)
		return -1;
	if (dir == PLAN_UPGRADE)
		revlist_reverse(&seq);
	rc = build_plan(map, state, &seq, dir, out, err);
	revlist_release(&seq);
	return rc;
}

/* Everything the targets need, parents and dependencies, not yet applied. */
static int plan_upgrade(const struct revmap *map, const struct revstate *state,
			const struct revlist *targets, struct plan *out,
			struct retort_error *err)
{
	struct revlist revs = { NULL, 0 };
	bool *need = NULL;
	int rc = -1;

	need = zalloc(map->n, sizeof(*need));
	if (need == NULL) {
		oom(err);
		goto out;
	}
	if (target_revs(map, targets, &revs, err) < 0 ||
	    target_check_overlap(map, &revs, err) < 0 ||
	    mark_below(map, &revs, need, err) < 0)
		goto out;
	for (size_t r = 0; r < map->n; r++)
		need[r] = need[r] && !is_applied(state, r);
	rc = plan_walk(map, state, need, &revs, PLAN_UPGRADE, out, err);
out:
	revlist_release(&revs);
	free(need);
	return rc;
}

static int not_a_downgrade_target(const struct revmap *map,
				  const struct revstate *state,
				  const char *target, struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"Destination %s is not a valid downgrade target from current head(s)",
		target);
	if (state->rows.n > 0)
		revlist_detail(map, "current heads", &state->rows, err);
	else
		error_detail(err, "the database has no revision applied");
	error_hint(
		err,
		"Downgrade to a revision the database has applied, or to base.");
	return -1;
}

static int no_root_on_branch(const struct revmap *map, struct token label,
			     const struct revlist *roots,
			     struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "Not a valid downgrade target from current heads");
	error_detail(err, "no revision to drop is on branch '%.*s'",
		     (int)label.len, label.s);
	revlist_detail(map, "the revisions above the target", roots, err);
	error_hint(err, "Name the branch of the line to downgrade.");
	return -1;
}

/* Of several roots, a label keeps those below its revision. */
static int narrow_roots(const struct revmap *map, struct token label,
			struct revlist *roots, struct retort_error *err)
{
	bool *below = NULL;
	size_t root;
	int rc = -1;

	if (label.len == 0 || roots->n <= 1)
		return 0;
	below = zalloc(map->n, sizeof(*below));
	if (below == NULL)
		return oom(err);
	if (symbol_ident(map, label, &root, err) < 0 ||
	    mark_reach(map, &root, 1, EDGE_PARENTS, below, err) < 0)
		goto out;
	revlist_keep(map, roots, below);
	rc = roots->n == 0 ? no_root_on_branch(map, label, roots, err) : 0;
out:
	free(below);
	return rc;
}

/*
 * Alembic's _collect_downgrade_revisions: drop what grows from the
 * target's children (all bases for base), through depends_on too, that
 * the database has applied.
 */
static int plan_downgrade(const struct revmap *map,
			  const struct revstate *state, const char *target,
			  const struct target_form *f, struct plan *out,
			  struct retort_error *err)
{
	struct revlist roots = { NULL, 0 };
	struct token label;
	bool *drop = NULL;
	bool any = false;
	size_t at;
	int rc = -1;

	if (target_downgrade(map, state, target, f, &label, &at, err) < 0)
		return -1;
	drop = zalloc(map->n, sizeof(*drop));
	if (drop == NULL) {
		oom(err);
		goto out;
	}
	if (revlist_copy(&roots,
			 is_rev(map, at) ? &map->revs[at].children
					 : &map->bases,
			 err) < 0 ||
	    narrow_roots(map, label, &roots, err) < 0 ||
	    mark_reach(map, roots.items, roots.n,
		       EDGE_CHILDREN | EDGE_DEPENDENTS, drop, err) < 0)
		goto out;
	for (size_t r = 0; r < map->n; r++)
		any = (drop[r] = drop[r] && is_applied(state, r)) || any;
	if (is_rev(map, at) && !any && !revlist_has(&state->rows, at)) {
		not_a_downgrade_target(map, state, target, err);
		goto out;
	}
	rc = plan_walk(map, state, drop, &state->rows, PLAN_DOWNGRADE, out,
		       err);
out:
	revlist_release(&roots);
	free(drop);
	return rc;
}

int revmap_plan(const struct revmap *map, const struct revstate *state,
		enum plan_direction direction, const char *target,
		struct plan *out, struct retort_error *err)
{
	const struct revstate empty = { NULL, { NULL, 0 } };
	struct revlist targets = { NULL, 0 };
	struct target_form f;
	struct bound cur;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (state == NULL)
		state = &empty; /* no state: a database with nothing applied */
	cur.rows = &state->rows;
	cur.sym = NULL;
	if (target_parse(target, &f, err) < 0 ||
	    target_check_direction(direction, target, &f, err) < 0)
		goto out;
	if (direction == PLAN_DOWNGRADE) {
		rc = plan_downgrade(map, state, target, &f, out, err);
		goto out;
	}
	if (target_upgrade(map, &cur, target, &f, true, &targets, err) < 0)
		goto out;
	rc = plan_upgrade(map, state, &targets, out, err);
out:
	revlist_release(&targets);
	return rc;
}

/* What keeps rev from moving alone: a predecessor not applied (up), an
 * applied child or dependent (down), or rev already where it would go. */
static bool blocks_one(const struct revmap *map, const struct revstate *state,
		       size_t rev, enum plan_direction direction)
{
	const struct revision *r = &map->revs[rev];

	if (is_applied(state, rev) != (direction == PLAN_DOWNGRADE))
		return true;
	if (direction == PLAN_UPGRADE) {
		for (size_t k = 0; k < pred_count(r); k++)
			if (!is_applied(state, pred_at(r, k)))
				return true;
		return false;
	}
	for (size_t k = 0; k < r->children.n; k++)
		if (is_applied(state, r->children.items[k]))
			return true;
	for (size_t k = 0; k < r->dependents.n; k++)
		if (is_applied(state, r->dependents.items[k]))
			return true;
	return false;
}

int revmap_plan_one(const struct revmap *map, const struct revstate *state,
		    size_t rev, enum plan_direction direction, struct plan *out,
		    struct retort_error *err)
{
	struct revlist seq = { &rev, 1 };

	memset(out, 0, sizeof(*out));
	if (is_rev(map, rev) && !blocks_one(map, state, rev, direction))
		return build_plan(map, state, &seq, direction, out, err);
	error_set(err, RETORT_USAGE,
		  "revision %s cannot be %s on its own from here",
		  is_rev(map, rev) ? map->revs[rev].meta->id : "?",
		  direction == PLAN_UPGRADE ? "upgraded" : "downgraded");
	error_hint(
		err,
		"A revision is upgraded alone once everything it builds on is applied, and downgraded alone once nothing applied builds on it.");
	return -1;
}

/* An applied revision outside the undo that builds on one inside it. */
static bool built_on(const struct revmap *map, const struct revstate *state,
		     const bool *undo, size_t *rev, size_t *on)
{
	for (size_t r = 0; r < map->n; r++) {
		if (undo[r] || !is_applied(state, r))
			continue;
		for (size_t k = 0; k < pred_count(&map->revs[r]); k++)
			if (undo[pred_at(&map->revs[r], k)]) {
				*rev = r;
				*on = pred_at(&map->revs[r], k);
				return true;
			}
	}
	return false;
}

/* Refuse an undo the database has moved away from since the run. */
static int check_undo(const struct revmap *map, const struct revstate *state,
		      const bool *undo, struct retort_error *err)
{
	size_t rev, on;

	for (size_t r = 0; r < map->n; r++)
		if (undo[r] && !is_applied(state, r)) {
			error_set(err, RETORT_FAILED,
				  "revision %s is no longer applied: the "
				  "database has moved since the run",
				  map->revs[r].meta->id);
			error_hint(
				err,
				"Downgrade it to the revision you want by hand (retort downgrade TARGET).");
			return -1;
		}
	if (!built_on(map, state, undo, &rev, &on))
		return 0;
	error_set(err, RETORT_FAILED,
		  "revision %s, applied since the run, builds on %s, which "
		  "the run upgraded",
		  map->revs[rev].meta->id, map->revs[on].meta->id);
	error_hint(err,
		   "Downgrade %s first, or downgrade to the revision you want "
		   "by hand (retort downgrade TARGET).",
		   map->revs[rev].meta->id);
	return -1;
}

int revmap_plan_undo(const struct revmap *map, const struct revstate *state,
		     const struct revlist *undo, struct plan *out,
		     struct retort_error *err)
{
	struct revlist seq = { NULL, 0 };
	bool *flag = zalloc(map->n, sizeof(*flag));
	int rc = -1;

	memset(out, 0, sizeof(*out));
	seq.items = zalloc(map->n, sizeof(*seq.items));
	if (flag == NULL || seq.items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t k = 0; k < undo->n; k++)
		if (is_rev(map, undo->items[k]))
			flag[undo->items[k]] = true;
	if (check_undo(map, state, flag, err) < 0)
		goto out;
	/* map->order puts what a revision builds on first: backwards, each
	 * revision comes before its parents and dependencies. */
	for (size_t k = map->order.n; k-- > 0;)
		if (flag[map->order.items[k]])
			seq.items[seq.n++] = map->order.items[k];
	rc = build_plan(map, state, &seq, PLAN_DOWNGRADE, out, err);
out:
	free(seq.items);
	free(flag);
	return rc;
}

void plan_release(struct plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t k = 0; k < plan->n; k++) {
		revlist_release(&plan->steps[k].remove);
		revlist_release(&plan->steps[k].insert);
	}
	free(plan->steps);
	plan->steps = NULL;
	plan->n = 0;
}
