/*
 * target.c - Alembic's target grammar: parsing "label@SYM+N" and its
 * kin, and where an upgrade or a downgrade to a target goes from the
 * database's current revisions.  Pure: no I/O.
 */
#include "graph/target.h"

#include <stdlib.h>
#include <string.h>

#include "graph/mark.h"
#include "graph/revlist.h"
#include "graph/symbol.h"
#include "graph/walk.h"

static const char target_grammar[] =
	"A target is head, heads, base, a revision id or a unique prefix of one, a branch label, label@head, label@base, +N, -N, REV+N, REV-N or label@+N.";

/* ---- parsing targets ---- */

static int malformed(const char *target, const char *why,
		     struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "malformed target '%s'", target);
	error_detail(err, "%s", why);
	error_hint(err, "%s", target_grammar);
	return -1;
}

static bool is_target_char(char c)
{
	return is_name_char(c) || c == '@' || c == '+' || c == '-';
}

/*
 * Alembic's pattern reads "+N"/"-N" at the first sign and ignores what
 * follows the digits ("a+1x" is "a+1"); retort refuses such a target.
 */
static int parse_step(const char *target, const char *p, struct target_form *f,
		      struct retort_error *err)
{
	f->sign = *p;
	f->count.s = p + 1;
	f->count.len = strlen(p + 1);
	if (!all_digits(f->count))
		return malformed(
			target,
			"a relative step is '+' or '-' followed by a number",
			err);
	f->steps = digits_value(f->count);
	return 0;
}

/* "label@sym"; Alembic reads "@sym" as "sym" (an empty label is none). */
static int split_label(const char *target, struct target_form *f,
		       struct retort_error *err)
{
	const char *at = memchr(f->abs.s, '@', f->abs.len);

	f->sym = f->abs;
	if (at == NULL)
		return 0;
	f->label.s = f->abs.s;
	f->label.len = (size_t)(at - f->abs.s);
	f->sym.s = at + 1;
	f->sym.len = f->abs.len - f->label.len - 1;
	if (f->label.len == 0 && f->sign != 0)
		return malformed(target, "'@' needs a branch label before it",
				 err);
	if (f->sym.len == 0 && f->sign == 0)
		return malformed(
			target,
			"'@' needs head, heads, base or a revision after it",
			err);
	return 0;
}

int target_parse(const char *target, struct target_form *f,
		 struct retort_error *err)
{
	const char *p;

	memset(f, 0, sizeof(*f));
	if (target == NULL || target[0] == '\0')
		return malformed("", "the target is empty", err);
	for (p = target; *p != '\0'; p++)
		if (!is_target_char(*p))
			return malformed(
				target,
				"a target holds only letters, digits, '_', '@', '+' and '-'",
				err);
	if (strchr(target, '@') != strrchr(target, '@'))
		return malformed(target, "a target holds at most one '@'", err);
	p = target + strcspn(target, "+-");
	f->abs.s = target;
	f->abs.len = (size_t)(p - target);
	if (*p != '\0' && parse_step(target, p, f, err) < 0)
		return -1;
	return split_label(target, f, err);
}

/* The step as Alembic's int() reads it: "+0" and "-0" are 0. */
static bool step_up(const struct target_form *f)
{
	return f->sign == '+' && f->steps > 0;
}

/* Alembic's "Relative revision -4 didn't produce 4 migrations". */
static int too_far(const char *target, const struct target_form *f,
		   struct retort_error *err)
{
	if (f->abs.len == 0 && f->label.len == 0)
		error_set(
			err, RETORT_USAGE,
			"Relative revision %c%.*s didn't produce %.*s migrations",
			f->sign, (int)f->count.len, f->count.s,
			(int)f->count.len, f->count.s);
	else
		error_set(err, RETORT_USAGE,
			  "Relative revision %s didn't produce %.*s migrations",
			  target, (int)f->count.len, f->count.s);
	error_detail(err, "the walk ran past %s",
		     f->sign == '-' ? "base" : "the last head");
	error_hint(err,
		   "Use a smaller step; 'retort history' shows the revisions.");
	return -1;
}

/* "upgrade -1", "downgrade +1": a relative step that counts the other way. */
static int wrong_way(enum plan_direction dir, const char *target,
		     const struct target_form *f, struct retort_error *err)
{
	if (dir == PLAN_UPGRADE)
		error_set(
			err, RETORT_USAGE,
			"cannot upgrade to '%s': a relative upgrade counts up, as '+%.*s'",
			target, (int)f->count.len, f->count.s);
	else
		error_set(
			err, RETORT_USAGE,
			"cannot downgrade to '%s': a relative downgrade counts down, as '-%.*s'",
			target, (int)f->count.len, f->count.s);
	error_detail(err,
		     "Relative revision %c%.*s didn't produce %zu migrations",
		     f->sign, (int)f->count.len, f->count.s, f->steps);
	if (dir == PLAN_UPGRADE)
		error_hint(err, "Use 'downgrade %s' to step back.", target);
	else
		error_hint(err, "Use 'upgrade %s' to step forward.", target);
	return -1;
}

/* A label's lineage for walking up from "label@+N" or "label@REV+N". */
static int walk_lineage(const struct revmap *map, const struct target_form *f,
			bool **out, struct retort_error *err)
{
	return symbol_branch_lineage(map, f->label, out, err);
}

/* Walk from *at as the target says; 1 when it runs out (no_overwalk). */
static int walk_target(const struct revmap *map, const struct target_form *f,
		       size_t *at, bool no_overwalk, struct retort_error *err)
{
	bool *lineage = NULL;
	int rc;

	if (step_up(f) && walk_lineage(map, f, &lineage, err) < 0)
		return -1;
	rc = walk_from(map, at, step_up(f), f->steps, lineage, no_overwalk,
		       err);
	free(lineage);
	return rc;
}

/* ---- targets: where an upgrade goes ---- */

static int needs_current(const char *target, const struct target_form *f,
			 struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "relative target '%s' needs the database's current revision",
		  target);
	error_hint(err, "Name a revision to step from, as in 'REV%c%.*s'.",
		   f->sign, (int)f->count.len, f->count.s);
	return -1;
}

/*
 * "label@+N" when no current revision is on the branch: the tips of what
 * is applied on it (Alembic backtracks to find a branch point).
 */
static int branch_tips(const struct revmap *map, const struct revlist *cur,
		       const bool *lineage, struct revlist *out,
		       struct retort_error *err)
{
	bool *active = NULL, *below = NULL;
	int rc = -1;

	active = zalloc(map->n, sizeof(*active));
	below = zalloc(map->n, sizeof(*below));
	out->items = zalloc(map->n, sizeof(*out->items));
	if (active == NULL || below == NULL || out->items == NULL) {
		oom(err);
		goto out;
	}
	if (mark_below(map, cur, active, err) < 0)
		goto out;
	for (size_t r = 0; r < map->n; r++) {
		const struct revlist *nd = &map->index->ndeps[r];

		if (!(active[r] = active[r] && lineage[r]))
			continue;
		for (size_t k = 0; k < map->revs[r].parents.n; k++)
			below[map->revs[r].parents.items[k]] = true;
		for (size_t k = 0; k < nd->n; k++)
			below[nd->items[k]] = true;
	}
	for (size_t r = 0; r < map->n; r++)
		if (active[r] && !below[r])
			out->items[out->n++] = r;
	rc = 0;
out:
	free(active);
	free(below);
	return rc;
}

/* The revisions "+N" starts from: the rows (POS_NONE for none). */
static int start_revisions(const struct revmap *map, const struct bound *cur,
			   const bool *lineage, struct revlist *out,
			   struct retort_error *err)
{
	struct revlist cands = { NULL, 0 };
	struct token sym;
	int rc = -1;

	if (cur->rows != NULL) {
		if (revlist_copy(&cands, cur->rows, err) < 0)
			goto out;
	} else {
		sym.s = cur->sym;
		sym.len = strlen(cur->sym);
		if (lineage == NULL) {
			size_t at;

			if (symbol_revision(map, sym, cur->sym, &at, err) < 0)
				goto out;
			rc = revlist_one(out, at, err);
			goto out;
		}
		if (symbol_revisions(map, sym, cur->sym, &cands, err) < 0)
			goto out;
	}
	if (lineage == NULL) {
		*out = cands;
		memset(&cands, 0, sizeof(cands));
	} else {
		revlist_keep(map, &cands, NULL);
		if (revlist_copy(out, &cands, err) < 0)
			goto out;
		revlist_keep(map, out, lineage);
		if (out->n == 0) {
			revlist_release(out);
			if (branch_tips(map, &cands, lineage, out, err) < 0)
				goto out;
		}
	}
	if (out->n == 0) {
		revlist_release(out);
		rc = revlist_one(out, POS_NONE, err);
		goto out;
	}
	rc = 0;
out:
	revlist_release(&cands);
	return rc;
}

/* "+N", "label@+N": up from the current revision. */
static int upgrade_from_current(const struct revmap *map,
				const struct bound *cur, const char *target,
				const struct target_form *f, bool assert_len,
				struct revlist *out, struct retort_error *err)
{
	struct revlist start = { NULL, 0 };
	bool *lineage = NULL;
	size_t at;
	int rc = -1;

	if (cur->rows == NULL && cur->sym == NULL)
		return needs_current(target, f, err);
	if (walk_lineage(map, f, &lineage, err) < 0 ||
	    start_revisions(map, cur, lineage, &start, err) < 0)
		goto out;
	if (start.n > 1) {
		error_set(err, RETORT_USAGE,
			  "Ambiguous upgrade from multiple current revisions");
		revlist_detail(map, "current revisions", &start, err);
		error_hint(
			err,
			"Name a revision to step from, as in 'REV%c%.*s', or a branch, as in 'label@%c%.*s'.",
			f->sign, (int)f->count.len, f->count.s, f->sign,
			(int)f->count.len, f->count.s);
		goto out;
	}
	at = start.items[0];
	rc = walk_from(map, &at, true, f->steps, lineage, assert_len, err);
	if (rc == 1)
		rc = too_far(target, f, err);
	if (rc == 0)
		rc = revlist_one(out, at, err);
out:
	free(lineage);
	revlist_release(&start);
	return rc;
}

/* Alembic's _parse_upgrade_target. */
int target_upgrade(const struct revmap *map, const struct bound *cur,
		   const char *target, const struct target_form *f,
		   bool assert_len, struct revlist *out,
		   struct retort_error *err)
{
	struct token whole = { target, strlen(target) };
	size_t at;
	int rc;

	memset(out, 0, sizeof(*out));
	if (f->sign == 0)
		return symbol_revisions(map, whole, target, out, err);
	if (f->sym.len == 0 && step_up(f))
		return upgrade_from_current(map, cur, target, f, assert_len,
					    out, err);
	if (f->sym.len == 0)
		return wrong_way(PLAN_UPGRADE, target, f, err);
	/* REV+N starts from REV whatever the label; REV-N from label@REV. */
	if (symbol_revision(map, step_up(f) ? f->sym : f->abs, target, &at,
			    err) < 0)
		return -1;
	rc = walk_target(map, f, &at, assert_len, err);
	if (rc == 1)
		return too_far(target, f, err);
	if (rc < 0)
		return -1;
	return revlist_one(out, at, err);
}

/* ---- targets: where a downgrade goes ---- */

static int walked_too_far(const char *target, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "Walked too far");
	error_detail(
		err,
		"the relative target '%s' goes past the end of its line of history",
		target);
	error_hint(err,
		   "Use a smaller step; 'retort history' shows the revisions.");
	return -1;
}

static int ambiguous_current(const struct revmap *map, const char *target,
			     const struct revlist *rows,
			     struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "downgrade %s from multiple heads is ambiguous", target);
	revlist_detail(map, "current heads", rows, err);
	error_hint(
		err,
		"Name a revision to step from, as in 'REV%s', or a branch, as in 'label@%s'.",
		target, target);
	return -1;
}

/*
 * "-N" and "label@-N": the current revision to step down from.  Alembic
 * takes the first of several rows with a warning that this will be
 * disallowed; the rows' order is the table's, so retort refuses.
 */
static int downgrade_start(const struct revmap *map,
			   const struct revstate *state, const char *target,
			   const struct target_form *f, size_t *at,
			   struct retort_error *err)
{
	struct revlist on = { NULL, 0 };
	bool *lineage = NULL;
	int rc = -1;

	if (f->label.len == 0) {
		if (state->rows.n == 0)
			return too_far(target, f, err);
		if (state->rows.n > 1)
			return ambiguous_current(map, target, &state->rows,
						 err);
		*at = state->rows.items[0];
		return 0;
	}
	if (symbol_branch_lineage(map, f->label, &lineage, err) < 0 ||
	    revlist_copy(&on, &state->rows, err) < 0)
		goto out;
	revlist_keep(map, &on, lineage);
	if (on.n == 0) {
		revlist_release(&on);
		if (revmap_current(map, state, &on, err) < 0)
			goto out;
		revlist_keep(map, &on, lineage);
	}
	if (on.n == 0)
		rc = too_far(target, f, err);
	else if (on.n > 1)
		rc = ambiguous_current(map, target, &on, err);
	if (on.n != 1)
		goto out;
	*at = on.items[0];
	rc = 0;
out:
	free(lineage);
	revlist_release(&on);
	return rc;
}

/* Where "-N" and "label@-N" from the database lead. */
static int downgrade_from_current(const struct revmap *map,
				  const struct revstate *state,
				  const char *target,
				  const struct target_form *f,
				  struct token *label, size_t *at,
				  struct retort_error *err)
{
	int rc;

	if (state == NULL)
		return needs_current(target, f, err);
	if (downgrade_start(map, state, target, f, at, err) < 0)
		return -1;
	if (f->label.len == 0) {
		/* Alembic narrows the downgrade to the row's branch. */
		label->s = id_of(map, *at);
		label->len = strlen(label->s);
	}
	rc = walk_from(map, at, false, f->steps, NULL, true, err);
	if (rc == 1)
		return too_far(target, f, err);
	return rc;
}

/* Alembic's _parse_downgrade_target. */
int target_downgrade(const struct revmap *map, const struct revstate *state,
		     const char *target, const struct target_form *f,
		     struct token *label, size_t *at, struct retort_error *err)
{
	int rc;

	*label = f->label;
	*at = POS_NONE;
	if (f->sign == 0)
		return symbol_revision(map, f->sym, target, at, err);
	if (!(f->sign == '-' && f->steps > 0)) {
		if (f->sym.len == 0)
			return wrong_way(PLAN_DOWNGRADE, target, f, err);
		if (symbol_revision(map, f->sym, target, at, err) < 0)
			return -1;
	} else if (f->sym.len == 0) {
		return downgrade_from_current(map, state, target, f, label, at,
					      err);
	} else if (symbol_revision(map, f->abs, target, at, err) < 0) {
		return -1;
	}
	rc = walk_target(map, f, at, true, err);
	if (rc == 1)
		return walked_too_far(target, err);
	return rc;
}

static int overlap_error(const struct revmap *map, const struct revlist *revs,
			 struct retort_error *err)
{
	bool *below = NULL;
	int rc = -1;

	below = zalloc(map->n, sizeof(*below));
	if (below == NULL)
		return oom(err);
	for (size_t k = 0; k < revs->n; k++) {
		memset(below, 0, map->n * sizeof(*below));
		if (mark_ancestors(map, revs->items[k], below, err) < 0)
			goto out;
		for (size_t j = 0; j < revs->n; j++) {
			if (!below[revs->items[j]])
				continue;
			error_set(
				err, RETORT_USAGE,
				"Requested revision %s overlaps with other requested revisions %s",
				id_of(map, revs->items[k]),
				id_of(map, revs->items[j]));
			error_hint(
				err,
				"Name only revisions none of which builds on another.");
			goto out;
		}
	}
	rc = 0;
out:
	free(below);
	return rc;
}

/* One pass marks what every revision builds on; only an overlap pays for
 * finding the pair. */
int target_check_overlap(const struct revmap *map, const struct revlist *revs,
			 struct retort_error *err)
{
	bool *below = NULL;
	bool overlap = false;
	int rc = -1;

	below = zalloc(map->n, sizeof(*below));
	if (below == NULL)
		return oom(err);
	for (size_t k = 0; k < revs->n; k++)
		if (mark_ancestors(map, revs->items[k], below, err) < 0)
			goto out;
	for (size_t k = 0; k < revs->n; k++)
		overlap = overlap || below[revs->items[k]];
	rc = overlap ? overlap_error(map, revs, err) : 0;
out:
	free(below);
	return rc;
}

int target_check_direction(enum plan_direction dir, const char *target,
			   const struct target_form *f,
			   struct retort_error *err)
{
	if (f->sign == 0 || f->abs.len > 0)
		return 0;
	if (f->sign == (dir == PLAN_UPGRADE ? '-' : '+'))
		return wrong_way(dir, target, f, err);
	return 0;
}

int revmap_check_target(const char *target, struct retort_error *err)
{
	struct target_form f;

	return target_parse(target, &f, err);
}

int revmap_resolve(const struct revmap *map, const struct revstate *state,
		   const char *target, struct revlist *out,
		   struct retort_error *err)
{
	struct target_form f;
	struct bound cur = { state != NULL ? &state->rows : NULL, NULL };

	size_t at;
	struct token label;

	memset(out, 0, sizeof(*out));
	if (target_parse(target, &f, err) < 0)
		return -1;
	/* "-N" from the database: where a downgrade would go. */
	if (f.sign == '-' && f.steps > 0 && f.sym.len == 0) {
		if (downgrade_from_current(map, state, target, &f, &label, &at,
					   err) < 0)
			return -1;
		return is_rev(map, at) ? revlist_one(out, at, err) : 0;
	}
	if (target_upgrade(map, &cur, target, &f, true, out, err) < 0) {
		revlist_release(out);
		return -1;
	}
	revlist_keep(map, out, NULL);
	return 0;
}

int revmap_lookup(const struct revmap *map, const char *symbol,
		  struct revlist *out, struct retort_error *err)
{
	struct target_form f;
	struct token whole;

	memset(out, 0, sizeof(*out));
	if (target_parse(symbol, &f, err) < 0)
		return -1;
	whole.s = symbol;
	whole.len = strlen(symbol);
	if (symbol_revisions(map, whole, symbol, out, err) < 0)
		return -1;
	for (size_t k = 0; k < out->n; k++) {
		if (is_rev(map, out->items[k]))
			continue;
		error_set(err, RETORT_USAGE, "'%s' walks past base", symbol);
		error_hint(
			err,
			"Use a smaller step; 'retort history' shows the revisions.");
		revlist_release(out);
		return -1;
	}
	return 0;
}
