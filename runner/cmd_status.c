/*
 * cmd_status.c - current, history and heads: read-only views of the graph
 * and the database, laid out as Alembic lays them out so users' eyes and
 * scripts keep working.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

enum format_flags {
	FORMAT_PARENTS = 1 << 0,  /* "001 -> 002" */
	FORMAT_BRANCHES = 1 << 1, /* " (label)" */
	FORMAT_DOC = 1 << 2,	  /* ", message" */
	FORMAT_TREE = 1 << 3,	  /* " (branchpoint)", " (mergepoint)" */
	FORMAT_CURRENT = 1 << 4,  /* " (current)" where applied */
};

static void print_ids(FILE *out, const struct revmap *map,
		      const struct revlist *list)
{
	for (size_t i = 0; i < list->n; i++)
		fprintf(out, "%s%s", i ? ", " : "",
			map->revs[list->items[i]].meta->id);
}

/* Alembic writes a base revision's parents as "<base>". */
static void print_parents(FILE *out, const struct revmap *map,
			  const struct revision *rev)
{
	if (rev->parents.n == 0)
		fputs("<base>", out);
	else
		print_ids(out, map, &rev->parents);
}

static bool is_current(const struct revstate *state, size_t idx)
{
	if (!state)
		return false;
	for (size_t i = 0; i < state->rows.n; i++)
		if (state->rows.items[i] == idx)
			return true;
	return false;
}

static void print_head_only(FILE *out, const struct revmap *map, size_t idx,
			    unsigned flags, const struct revstate *state)
{
	const struct revision *rev = &map->revs[idx];

	if (flags & FORMAT_PARENTS) {
		print_parents(out, map, rev);
		if (rev->deps.n > 0) {
			fputs(" (", out);
			print_ids(out, map, &rev->deps);
			fputc(')', out);
		}
		fputs(" -> ", out);
	}
	fputs(rev->meta->id, out);
	if ((flags & FORMAT_BRANCHES) && rev->meta->branch_labels &&
	    *rev->meta->branch_labels)
		fprintf(out, " (%s)", rev->meta->branch_labels);
	if (revmap_is_head(map, idx))
		fputs(" (head)", out);
	if ((flags & FORMAT_CURRENT) && is_current(state, idx))
		fputs(" (current)", out);
	if ((flags & FORMAT_TREE) && rev->children.n > 1)
		fputs(" (branchpoint)", out);
	if ((flags & FORMAT_TREE) && rev->parents.n > 1)
		fputs(" (mergepoint)", out);
	if (flags & FORMAT_DOC)
		fprintf(out, ", %s",
			rev->meta->message ? rev->meta->message : "");
	fputc('\n', out);
}

/* Alembic's log_entry, with the revision file's docstring rebuilt. */
static void print_verbose(FILE *out, const struct revmap *map, size_t idx,
			  unsigned flags, const struct revstate *state)
{
	const struct revision *rev = &map->revs[idx];
	const struct revision_meta *m = rev->meta;

	fprintf(out, "Rev: %s%s%s%s%s\n", m->id,
		revmap_is_head(map, idx) ? " (head)" : "",
		rev->children.n > 1 ? " (branchpoint)" : "",
		rev->parents.n > 1 ? " (mergepoint)" : "",
		(flags & FORMAT_CURRENT) && is_current(state, idx)
			? " (current)"
			: "");
	fputs(rev->parents.n > 1 ? "Merges: " : "Parent: ", out);
	print_parents(out, map, rev);
	fputc('\n', out);
	if (rev->deps.n > 0) {
		fputs("Also depends on: ", out);
		print_ids(out, map, &rev->deps);
		fputc('\n', out);
	}
	if (rev->children.n > 1) {
		fputs("Branches into: ", out);
		print_ids(out, map, &rev->children);
		fputc('\n', out);
	}
	if (m->branch_labels && *m->branch_labels)
		fprintf(out, "Branch names: %s\n", m->branch_labels);
	fprintf(out, "Path: %s\n\n", m->path);
	fprintf(out, "    %s\n\n    Revision ID: %s\n    Revises: %s\n",
		m->message ? m->message : "", m->id,
		m->down_revision ? m->down_revision : "");
	fprintf(out, "    Create Date: %s\n\n",
		m->create_date ? m->create_date : "");
}

static void print_revision(FILE *out, const struct revmap *map, size_t idx,
			   bool verbose, unsigned flags,
			   const struct revstate *state)
{
	if (verbose)
		print_verbose(out, map, idx, flags, state);
	else
		print_head_only(out, map, idx, flags, state);
}

int cmd_current(struct app *app, const struct cmd_args *args,
		struct retort_error *err)
{
	struct revstate state = { 0 };

	if (app_read_state(app, &state, err) < 0)
		return -1;
	if (args->verbose)
		fprintf(app->out, "Current revision(s) for %s:\n",
			app->db.target ? app->db.target : "the database");
	for (size_t i = 0; i < state.rows.n; i++)
		print_revision(app->out, app->map, state.rows.items[i],
			       args->verbose, FORMAT_TREE, NULL);
	if (args->check_heads) {
		bool at_heads = state.rows.n == app->map->heads.n;

		for (size_t i = 0; at_heads && i < state.rows.n; i++)
			at_heads =
				revmap_is_head(app->map, state.rows.items[i]);
		if (!at_heads) {
			revstate_release(&state);
			error_set(err, RETORT_FAILED,
				  "the database is not up to date");
			error_hint(err, "Run `retort upgrade heads`.");
			return -1;
		}
	}
	revstate_release(&state);
	return 0;
}

int cmd_history(struct app *app, const struct cmd_args *args,
		struct retort_error *err)
{
	const struct revmap *map = app->map;
	struct revstate state = { 0 };
	unsigned flags =
		FORMAT_PARENTS | FORMAT_BRANCHES | FORMAT_DOC | FORMAT_TREE;

	if (args->indicate_current) {
		if (app_connect(app, err) < 0 ||
		    app_read_state(app, &state, err) < 0)
			return -1;
		flags |= FORMAT_CURRENT;
	}
	/* Newest first: the graph's order walked backwards. */
	for (size_t i = map->order.n; i-- > 0;)
		print_revision(app->out, map, map->order.items[i],
			       args->verbose, flags, &state);
	revstate_release(&state);
	return 0;
}

int cmd_heads(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	(void)err;
	for (size_t i = 0; i < app->map->heads.n; i++)
		print_revision(app->out, app->map, app->map->heads.items[i],
			       args->verbose, FORMAT_BRANCHES, NULL);
	return 0;
}

/* Alembic's layout: the branch point, then "    -> child" per child. */
static void print_branch_point(FILE *out, const struct revmap *map, size_t idx,
			       bool verbose)
{
	const struct revision *rev = &map->revs[idx];
	size_t width = strlen(rev->meta->id);

	print_revision(out, map, idx, verbose, FORMAT_BRANCHES | FORMAT_TREE,
		       NULL);
	for (size_t i = 0; i < rev->children.n; i++) {
		fprintf(out, "%*s -> ", (int)width, "");
		print_head_only(out, map, rev->children.items[i],
				FORMAT_BRANCHES | FORMAT_TREE |
					(verbose ? FORMAT_DOC : 0),
				NULL);
	}
	fputc('\n', out);
}

int cmd_branches(struct app *app, const struct cmd_args *args,
		 struct retort_error *err)
{
	const struct revmap *map = app->map;

	(void)err;
	for (size_t i = map->order.n; i-- > 0;)
		if (map->revs[map->order.items[i]].children.n > 1)
			print_branch_point(app->out, map, map->order.items[i],
					   args->verbose);
	return 0;
}

int cmd_show(struct app *app, const struct cmd_args *args,
	     struct retort_error *err)
{
	struct revlist revs = { 0 };

	if (revmap_resolve(app->map, NULL, args->positional[0], &revs, err) < 0)
		return -1;
	for (size_t i = 0; i < revs.n; i++)
		print_verbose(app->out, app->map, revs.items[i], 0, NULL);
	revlist_release(&revs);
	return 0;
}
