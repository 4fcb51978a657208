/*
 * history.c - `history -r RANGE`: a range's ends read as Alembic's
 * command.history and iterate_revisions read them, and the revisions
 * between them in Alembic's walk order.  Pure: no I/O.
 */
#include "graph/revmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "graph/mark.h"
#include "graph/order.h"
#include "graph/revlist.h"
#include "graph/symbol.h"
#include "graph/target.h"
#include "graph/walk.h"

static int range_syntax(const char *range, struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "History range requires [start]:[end], [start]:, or :[end]");
	error_detail(err, "the range given: '%s'", range);
	error_hint(
		err,
		"Write -r A:B, A: or :B; each end is a target such as base, heads, current or a revision.");
	return -1;
}

static bool is_py_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* command.history's rev_range.strip().split(":") into two strings. */
static int split_range(const char *range, char **lower, char **upper,
		       struct retort_error *err)
{
	const char *s = range, *e = range + strlen(range), *colon;

	*lower = *upper = NULL;
	while (s < e && is_py_space(*s))
		s++;
	while (e > s && is_py_space(e[-1]))
		e--;
	colon = memchr(s, ':', (size_t)(e - s));
	if (colon == NULL || memchr(colon + 1, ':', (size_t)(e - colon - 1)))
		return range_syntax(range, err);
	*lower = strndup(s, (size_t)(colon - s));
	*upper = strndup(colon + 1, (size_t)(e - colon - 1));
	if (*lower == NULL || *upper == NULL)
		return oom(err);
	return 0;
}

bool revmap_range_needs_current(const char *range)
{
	struct retort_error err;
	char *lower = NULL, *upper = NULL;
	bool needs = false;

	if (range != NULL && split_range(range, &lower, &upper, &err) == 0)
		needs = strcmp(lower, "current") == 0 ||
			strcmp(upper, "current") == 0;
	free(lower);
	free(upper);
	return needs;
}

static int not_an_ancestor(const char *lower, const char *upper,
			   struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"Requested range %s:%s does not refer to ancestor/descendant revisions along the same branch",
		lower, upper);
	error_detail(err, "Revision %s is not an ancestor of revision %s",
		     lower, upper);
	error_hint(
		err,
		"Give a start that the end builds on; 'retort history' shows the revisions.");
	return -1;
}

static int past_base(const char *what, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "history range end '%s' walks past base",
		  what);
	error_hint(err,
		   "Use a smaller step; 'retort history' shows the revisions.");
	return -1;
}

/* A history range's end: the database's rows, or a symbol. */
static const char *bound_name(const struct bound *b)
{
	return b->rows != NULL ? "current" : b->sym;
}

/* The range's end as Alembic's iterate_revisions reads its upper. */
static int range_targets(const struct revmap *map, const struct bound *lower,
			 const struct bound *upper, struct revlist *out,
			 struct retort_error *err)
{
	struct target_form f;

	if (upper->rows != NULL)
		return revlist_copy(out, upper->rows, err);
	if (target_parse(upper->sym, &f, err) < 0 ||
	    target_upgrade(map, lower, upper->sym, &f, false, out, err) < 0)
		return -1;
	for (size_t k = 0; k < out->n; k++)
		if (!is_rev(map, out->items[k]))
			return past_base(upper->sym, err);
	return 0;
}

/* The one label on rev's line, for "REV@..." as a range's start. */
static int sole_label(const struct revmap *map, size_t rev, struct token *out,
		      struct retort_error *err)
{
	const struct revlist *owners = &map->revs[rev].label_revs;
	size_t count = 0;

	for (size_t k = 0; k < owners->n; k++) {
		const struct revision *o = &map->revs[owners->items[k]];

		count += o->nlabels;
		if (o->nlabels > 0) {
			out->s = o->labels[0];
			out->len = strlen(o->labels[0]);
		}
	}
	if (count == 1)
		return 0;
	error_set(
		err, RETORT_USAGE,
		"revision %s used as a branch must carry exactly one branch label",
		id_of(map, rev));
	error_detail(err, "it carries %zu", count);
	error_hint(err,
		   "Start the range from a branch label, as in 'label@base:'.");
	return -1;
}

/* A start "label@...": only ends on that branch count. */
static int range_branch(const struct revmap *map, const struct bound *lower,
			struct revlist *targets, struct retort_error *err)
{
	const char *at;
	struct token branch;
	size_t rev, kept;

	if (lower->rows != NULL || (at = strchr(lower->sym, '@')) == NULL)
		return 0;
	branch.s = lower->sym;
	branch.len = (size_t)(at - lower->sym);
	if (symbol_revision(map, branch, lower->sym, &rev, err) < 0)
		return -1;
	if (is_rev(map, rev) && tok_is(branch, id_of(map, rev)) &&
	    sole_label(map, rev, &branch, err) < 0)
		return -1;
	kept = 0;
	for (size_t k = 0; k < targets->n; k++)
		if (symbol_has_label(map, targets->items[k], branch))
			targets->items[kept++] = targets->items[k];
	targets->n = kept;
	return 0;
}

/*
 * A start "-N" whose walk down from the first head runs past base: Alembic
 * then steps N down from the range's end (as a downgrade target read
 * against it), stopping at base.
 */
static int range_start_again(const struct revmap *map,
			     const struct bound *lower,
			     const struct bound *upper, struct revlist *out,
			     struct retort_error *err)
{
	struct target_form f;
	const char *from;
	char both[2 * REVMAP_ID_MAX + 8];
	struct token sym;
	size_t at;

	revlist_release(out);
	if (target_parse(lower->sym, &f, err) < 0)
		return -1;
	if (f.label.len > 0 || f.sym.len > 0)
		return past_base(lower->sym, err);
	from = upper->rows != NULL ? id_of(map, upper->rows->items[0])
				   : upper->sym;
	snprintf(both, sizeof(both), "%s@%s", from, from);
	sym.s = both;
	sym.len = strlen(both);
	if (strlen(from) > REVMAP_ID_MAX ||
	    symbol_revision(map, sym, lower->sym, &at, err) < 0 ||
	    walk_from(map, &at, false, f.steps, NULL, false, err) < 0)
		return -1;
	if (is_rev(map, at))
		return revlist_one(out, at, err);
	return 0;
}

/* The range's start: the revisions it names, each below the end. */
static int range_start(const struct revmap *map, const struct bound *lower,
		       const struct bound *upper, const bool *required,
		       struct revlist *out, struct retort_error *err)
{
	struct token sym;

	if (lower->rows != NULL) {
		if (revlist_copy(out, lower->rows, err) < 0)
			return -1;
	} else {
		sym.s = lower->sym;
		sym.len = strlen(lower->sym);
		if (symbol_revisions(map, sym, lower->sym, out, err) < 0)
			return -1;
	}
	for (size_t k = 0; k < out->n; k++) {
		size_t r = out->items[k];

		if (r != POS_NONE && (!is_rev(map, r) || !required[r]))
			return not_an_ancestor(bound_name(lower),
					       bound_name(upper), err);
	}
	if (out->n > 0 && out->items[0] == POS_NONE &&
	    range_start_again(map, lower, upper, out, err) < 0)
		return -1;
	for (size_t k = 0; k < out->n; k++)
		if (!is_rev(map, out->items[k]))
			return past_base(bound_name(lower), err);
	return target_check_overlap(map, out, err);
}

/*
 * Alembic's walk_revisions(base, head): iterate_revisions(head, base,
 * inclusive=True) as _collect_upgrade_revisions reads it.
 */
static int walk_range(const struct revmap *map, const struct bound *lower,
		      const struct bound *upper, struct revlist *out,
		      struct retort_error *err)
{
	struct revlist targets = { NULL, 0 }, start = { NULL, 0 };
	bool *required = NULL, *below = NULL, *above = NULL;
	int rc = -1;

	required = zalloc(map->n, sizeof(*required));
	below = zalloc(map->n, sizeof(*below));
	above = zalloc(map->n, sizeof(*above));
	if (required == NULL || below == NULL || above == NULL) {
		oom(err);
		goto out;
	}
	if (range_targets(map, lower, upper, &targets, err) < 0 ||
	    range_branch(map, lower, &targets, err) < 0 ||
	    target_check_overlap(map, &targets, err) < 0 ||
	    mark_below(map, &targets, required, err) < 0 ||
	    range_start(map, lower, upper, required, &start, err) < 0 ||
	    mark_below(map, &start, below, err) < 0 ||
	    mark_reach(map, start.items, start.n, EDGE_CHILDREN, above, err) <
		    0)
		goto out;
	for (size_t r = 0; r < map->n; r++)
		required[r] = required[r] && !below[r];
	for (size_t k = 0; k < start.n; k++)
		required[start.items[k]] = true;
	for (size_t r = 0; start.n > 0 && r < map->n; r++)
		required[r] = required[r] && above[r];
	rc = order_walk(map, required, &targets, out, err);
out:
	revlist_release(&targets);
	revlist_release(&start);
	free(required);
	free(below);
	free(above);
	return rc;
}

static int range_needs_db(struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"history range 'current' needs the database's current revision");
	error_hint(err, "Connect to the database, or name a revision.");
	return -1;
}

/* "current" becomes the rows; an empty end (or no rows) its default. */
static int range_bounds(const char *lower_s, const char *upper_s,
			const struct revlist *current, struct bound *lower,
			struct bound *upper, struct retort_error *err)
{
	lower->rows = upper->rows = NULL;
	lower->sym = lower_s;
	upper->sym = upper_s;
	if (strcmp(upper_s, "current") == 0)
		upper->rows = current;
	else if (strcmp(lower_s, "current") == 0)
		lower->rows = current;
	if ((upper->rows == NULL && strcmp(upper_s, "current") == 0) ||
	    (lower->rows == NULL && strcmp(lower_s, "current") == 0 &&
	     strcmp(upper_s, "current") != 0))
		return range_needs_db(err);
	if ((upper->rows != NULL && upper->rows->n == 0) ||
	    (upper->rows == NULL && upper_s[0] == '\0')) {
		upper->rows = NULL;
		upper->sym = "heads";
	}
	if ((lower->rows != NULL && lower->rows->n == 0) ||
	    (lower->rows == NULL && lower_s[0] == '\0')) {
		lower->rows = NULL;
		lower->sym = "base";
	}
	return 0;
}

int revmap_history(const struct revmap *map, const char *range,
		   const struct revlist *current, struct revlist *out,
		   struct retort_error *err)
{
	struct bound lower = { NULL, "base" }, upper = { NULL, "heads" };
	char *lower_s = NULL, *upper_s = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (range != NULL &&
	    (split_range(range, &lower_s, &upper_s, err) < 0 ||
	     range_bounds(lower_s, upper_s, current, &lower, &upper, err) < 0))
		goto out;
	rc = walk_range(map, &lower, &upper, out, err);
out:
	free(lower_s);
	free(upper_s);
	return rc;
}
