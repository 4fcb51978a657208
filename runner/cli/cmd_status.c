/*
 * cmd_status.c - current, history, heads, branches and show: read-only
 * views of the graph and the database, laid out byte for byte as Alembic
 * 1.8 lays them out (command.py, script/base.py Script.log_entry,
 * _head_only, cmd_format), so users' eyes and scripts keep working.
 *
 * A Python revision's docstring has no C counterpart: where Alembic
 * prints it, retort prints what Alembic's default script template would
 * have written there (the message, Revision ID, Revises, Create Date).
 * Where Alembic prints a set (a branch point's children, several branch
 * labels), retort prints them in file-name order.
 *
 * With --json, the same revisions in the same order as one document
 * (json_view.c) instead of the text.
 */
#include "cli/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "cli/json_view.h"
#include "data/backfill_cmd.h"
#include "base/text.h"

/* The parts of Alembic's _head_only() a command asks for. */
enum format_flags {
	FORMAT_PARENTS = 1 << 0,  /* "001 -> 002" */
	FORMAT_BRANCHES = 1 << 1, /* " (label)" */
	FORMAT_DOC = 1 << 2,	  /* ", message" */
	FORMAT_TREE = 1 << 3,	  /* " (branchpoint)", " (mergepoint)" */
	FORMAT_CURRENT = 1 << 4,  /* " (current)" where a row names it */
};

/* What to print revisions with: the graph and the rows, if read. */
struct view {
	FILE *out;
	const struct revmap *map;
	const struct revstate *state; /* NULL: no " (current)" */
};

static const char *id_of(const struct view *v, size_t idx)
{
	return v->map->revs[idx].meta->id;
}

static void print_ids(const struct view *v, const struct revlist *list)
{
	for (size_t i = 0; i < list->n; i++)
		fprintf(v->out, "%s%s", i ? ", " : "",
			id_of(v, list->items[i]));
}

/* A comma list as written ("a,b" -> "a, b"): Alembic prints a revision's
 * depends_on as given, labels unresolved. */
static void print_written(FILE *out, const char *list)
{
	const char *item;
	size_t len;
	bool first = true;

	for (const char *p = list; revmap_list_next(&p, &item, &len);
	     first = false) {
		fputs(first ? "" : ", ", out);
		text_fputn(item, len, out);
	}
}

static bool has_list(const char *list)
{
	return list != NULL && list[strspn(list, " \t")] != '\0';
}

/* Alembic's _format_down_revision: "<base>" or "a, b". */
static void print_down(const struct view *v, const struct revision *rev)
{
	if (rev->parents.n == 0)
		fputs("<base>", v->out);
	else
		print_ids(v, &rev->parents);
}

static size_t label_count(const struct view *v, const struct revision *rev)
{
	size_t n = 0;

	for (size_t k = 0; k < rev->label_revs.n; k++)
		n += v->map->revs[rev->label_revs.items[k]].nlabels;
	return n;
}

/* The branch labels that apply: the revision's own first. */
static void print_labels(const struct view *v, const struct revision *rev)
{
	bool first = true;

	for (size_t k = 0; k < rev->nlabels; k++, first = false) {
		fputs(first ? "" : ", ", v->out);
		text_fput(rev->labels[k], v->out);
	}
	for (size_t k = 0; k < rev->label_revs.n; k++) {
		const struct revision *o =
			&v->map->revs[rev->label_revs.items[k]];

		if (o == rev)
			continue;
		for (size_t j = 0; j < o->nlabels; j++, first = false) {
			fputs(first ? "" : ", ", v->out);
			text_fput(o->labels[j], v->out);
		}
	}
}

static bool is_current(const struct view *v, size_t idx)
{
	if (v->state == NULL)
		return false;
	for (size_t i = 0; i < v->state->rows.n; i++)
		if (v->state->rows.items[i] == idx)
			return true;
	return false;
}

/*
 * The docstring Alembic's default template writes, stripped as Script
 * .longdoc strips it: "msg\n\nRevision ID: x\nRevises: a, b\nCreate
 * Date: d".  Returns a new string the caller frees, or NULL.
 */
static char *longdoc(const struct revision_meta *m)
{
	const char *msg = m->message ? m->message : "";
	const char *date = m->create_date ? m->create_date : "";
	char *doc = NULL, *start, *end;
	size_t size = 0;
	FILE *f = open_memstream(&doc, &size);

	if (f == NULL)
		return NULL;
	/* The message's own line breaks are escaped: they are not the
	 * docstring's, and a listing keeps one revision a line. */
	text_fput(msg, f);
	fprintf(f, "\n\nRevision ID: %s\nRevises: ", m->id);
	print_written(f, m->down_revision);
	fputs("\nCreate Date: ", f);
	text_fput(date, f);
	fputs("\n\n", f);
	if (fclose(f) != 0) {
		free(doc);
		return NULL;
	}
	for (start = doc; *start && strchr(" \t\n\r\v\f", *start); start++)
		;
	end = start + strlen(start);
	while (end > start && strchr(" \t\n\r\v\f", end[-1]))
		end--;
	*end = '\0';
	memmove(doc, start, (size_t)(end - start) + 1);
	return doc;
}

/* Script.doc: the docstring's first paragraph. */
static void print_doc(const struct view *v, const struct revision_meta *m)
{
	char *doc = longdoc(m);
	char *para;

	if (doc == NULL)
		return;
	para = strstr(doc, "\n\n");
	if (para != NULL)
		*para = '\0';
	fputs(doc, v->out);
	free(doc);
}

/* Alembic's Script._head_only (head indicators always on). */
static void print_head_only(const struct view *v, size_t idx, unsigned flags)
{
	const struct revision *rev = &v->map->revs[idx];

	if (flags & FORMAT_PARENTS) {
		print_down(v, rev);
		if (has_list(rev->meta->depends_on)) {
			fputs(" (", v->out);
			print_written(v->out, rev->meta->depends_on);
			fputc(')', v->out);
		}
		fputs(" -> ", v->out);
	}
	fputs(rev->meta->id, v->out);
	if ((flags & FORMAT_BRANCHES) && label_count(v, rev) > 0) {
		fputs(" (", v->out);
		print_labels(v, rev);
		fputc(')', v->out);
	}
	if (revmap_is_real_head(v->map, idx))
		fputs(" (head)", v->out);
	else if (revmap_is_head(v->map, idx))
		fputs(" (effective head)", v->out);
	if ((flags & FORMAT_CURRENT) && is_current(v, idx))
		fputs(" (current)", v->out);
	if ((flags & FORMAT_TREE) && rev->children.n > 1)
		fputs(" (branchpoint)", v->out);
	if ((flags & FORMAT_TREE) && rev->parents.n > 1)
		fputs(" (mergepoint)", v->out);
	if (flags & FORMAT_DOC) {
		fputs(", ", v->out);
		print_doc(v, rev->meta);
	}
}

/* The docstring, each line indented by four spaces. */
static void print_longdoc(const struct view *v, const struct revision_meta *m)
{
	char *doc = longdoc(m);

	fputc('\n', v->out);
	for (char *line = doc, *nl; line != NULL && *line != '\0';
	     line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		fprintf(v->out, "%s    %.*s", line == doc ? "" : "\n",
			(int)(nl ? (size_t)(nl - line) : strlen(line)), line);
	}
	fputc('\n', v->out);
	free(doc);
}

/* Alembic's Script.log_entry, ending with its newline. */
static void print_log_entry(const struct view *v, size_t idx, unsigned flags)
{
	const struct revision *rev = &v->map->revs[idx];
	const struct revision_meta *m = rev->meta;

	fprintf(v->out, "Rev: %s%s%s%s%s\n", m->id,
		revmap_is_head(v->map, idx) ? " (head)" : "",
		rev->children.n > 1 ? " (branchpoint)" : "",
		rev->parents.n > 1 ? " (mergepoint)" : "",
		(flags & FORMAT_CURRENT) && is_current(v, idx) ? " (current)"
							       : "");
	fputs(rev->parents.n > 1 ? "Merges: " : "Parent: ", v->out);
	print_down(v, rev);
	fputc('\n', v->out);
	if (has_list(m->depends_on)) {
		fputs("Also depends on: ", v->out);
		print_written(v->out, m->depends_on);
		fputc('\n', v->out);
	}
	if (rev->children.n > 1) {
		fputs("Branches into: ", v->out);
		print_ids(v, &rev->children);
		fputc('\n', v->out);
	}
	if (label_count(v, rev) > 0) {
		fputs("Branch names: ", v->out);
		print_labels(v, rev);
		fputc('\n', v->out);
	}
	fputs("Path: ", v->out);
	text_fput(m->path, v->out);
	fputc('\n', v->out);
	print_longdoc(v, m);
}

/* Alembic's cmd_format, then print_stdout's newline. */
static void print_revision(const struct view *v, size_t idx, bool verbose,
			   unsigned flags)
{
	if (verbose)
		print_log_entry(v, idx, flags);
	else
		print_head_only(v, idx, flags);
	fputc('\n', v->out);
}

/* At the heads when everything is applied: a head that is a dependency
 * of another keeps no row of its own. */
static bool at_heads(const struct revmap *map, const struct revstate *state)
{
	for (size_t r = 0; r < map->n; r++)
		if (!state->applied[r])
			return false;
	return true;
}

static int current_text(struct app *app, const struct revstate *state,
			const struct revlist *tops, bool verbose,
			struct retort_error *err)
{
	struct view v = { app->out, app->map, NULL };

	if (verbose) {
		fputs("Current revision(s) for ", app->out);
		text_fput(app->db.target ? app->db.target : "the database",
			  app->out);
		fputs(":\n", app->out);
	}
	for (size_t i = 0; i < tops->n; i++)
		print_revision(&v, tops->items[i], verbose, FORMAT_TREE);
	/* Backfills in progress, with rows done and percent. */
	return backfill_cmd_status(&app->db, app->map, state, app->out, err);
}

static int current_json(struct app *app, const struct revstate *state,
			const struct revlist *tops, struct retort_error *err)
{
	struct json j = JSON_INIT;
	struct json_view v = { app->map, state };

	json_view_begin(&j, "current");
	json_view_revisions(&j, &v, "revisions", tops);
	json_key(&j, "up_to_date");
	json_bool(&j, at_heads(app->map, state));
	if (json_view_backfills(&j, &app->db, err) < 0) {
		json_release(&j);
		return -1;
	}
	return json_view_print(&j, app->out, err);
}

int cmd_current(struct app *app, const struct cmd_args *args,
		struct retort_error *err)
{
	struct revstate state = { 0 };
	struct revlist tops = { 0 };
	int rc = -1;

	if (app_read_state(app, &state, err) < 0 ||
	    revmap_current(app->map, &state, &tops, err) < 0)
		goto out;
	if (args->json) {
		if (current_json(app, &state, &tops, err) < 0)
			goto out;
	} else if (current_text(app, &state, &tops, args->verbose, err) < 0) {
		goto out;
	}
	if (args->check_heads && !at_heads(app->map, &state)) {
		error_set(err, RETORT_FAILED, "the database is not up to date");
		error_hint(err, "Run `retort upgrade heads`.");
		goto out;
	}
	rc = 0;
out:
	revlist_release(&tops);
	revstate_release(&state);
	return rc;
}

/* The --json document of a command that lists revisions. */
static int list_json(struct app *app, const char *command,
		     const struct revstate *state, const struct revlist *list,
		     struct retort_error *err)
{
	struct json j = JSON_INIT;
	struct json_view v = { app->map, state };

	json_view_begin(&j, command);
	json_view_revisions(&j, &v, "revisions", list);
	return json_view_print(&j, app->out, err);
}

/* history -i and "-r current:..." read the database; nothing else does. */
static int history_state(struct app *app, const struct cmd_args *args,
			 struct revstate *state, struct retort_error *err)
{
	if (!args->indicate_current &&
	    !revmap_range_needs_current(args->rev_range))
		return 0;
	if (app_connect(app, err) < 0 || app_read_state(app, state, err) < 0)
		return -1;
	return 1;
}

int cmd_history(struct app *app, const struct cmd_args *args,
		struct retort_error *err)
{
	struct revstate state = { 0 };
	struct revlist walk = { 0 };
	struct view v = { app->out, app->map, NULL };
	unsigned flags =
		FORMAT_PARENTS | FORMAT_BRANCHES | FORMAT_DOC | FORMAT_TREE;
	int have, rc = 0;

	if ((have = history_state(app, args, &state, err)) < 0)
		return -1;
	if (args->indicate_current) {
		v.state = &state;
		flags |= FORMAT_CURRENT;
	}
	if (revmap_history(app->map, args->rev_range, have ? &state.rows : NULL,
			   &walk, err) < 0) {
		revstate_release(&state);
		return -1;
	}
	if (args->json)
		rc = list_json(app, "history", have ? &state : NULL, &walk,
			       err);
	for (size_t i = 0; !args->json && i < walk.n; i++)
		print_revision(&v, walk.items[i], args->verbose, flags);
	revlist_release(&walk);
	revstate_release(&state);
	return rc;
}

/* heads: dependencies count as heads unless --resolve-dependencies. */
int cmd_heads(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	const struct revlist *heads = args->resolve_dependencies
					      ? &app->map->real_heads
					      : &app->map->heads;
	struct view v = { app->out, app->map, NULL };

	if (args->json)
		return list_json(app, "heads", NULL, heads, err);
	for (size_t i = 0; i < heads->n; i++)
		print_revision(&v, heads->items[i], args->verbose,
			       FORMAT_BRANCHES);
	return 0;
}

/* Alembic's layout: the branch point, "    -> child" per child, a blank. */
static void print_branch_point(const struct view *v, size_t idx, bool verbose)
{
	const struct revision *rev = &v->map->revs[idx];
	size_t width = strlen(rev->meta->id);

	print_revision(v, idx, verbose, FORMAT_BRANCHES | FORMAT_TREE);
	for (size_t i = 0; i < rev->children.n; i++) {
		fprintf(v->out, "%*s -> ", (int)width, "");
		print_head_only(v, rev->children.items[i],
				FORMAT_BRANCHES | FORMAT_TREE |
					(verbose ? FORMAT_DOC : 0));
		fputc('\n', v->out);
	}
	fputc('\n', v->out);
}

int cmd_branches(struct app *app, const struct cmd_args *args,
		 struct retort_error *err)
{
	struct revlist walk = { 0 };
	struct view v = { app->out, app->map, NULL };
	size_t n = 0;
	int rc = 0;

	if (revmap_history(app->map, NULL, NULL, &walk, err) < 0)
		return -1;
	/* The branch points, in the walk's order, kept in place. */
	for (size_t i = 0; i < walk.n; i++)
		if (app->map->revs[walk.items[i]].children.n > 1)
			walk.items[n++] = walk.items[i];
	walk.n = n;
	if (args->json)
		rc = list_json(app, "branches", NULL, &walk, err);
	for (size_t i = 0; !args->json && i < walk.n; i++)
		print_branch_point(&v, walk.items[i], args->verbose);
	revlist_release(&walk);
	return rc;
}

/* show current: the database's rows, as Alembic's get_revisions(rows). */
static int show_current(struct app *app, struct revstate *state,
			struct retort_error *err)
{
	if (app_connect(app, err) < 0 || app_read_state(app, state, err) < 0)
		return -1;
	return 0;
}

int cmd_show(struct app *app, const struct cmd_args *args,
	     struct retort_error *err)
{
	struct revstate state = { 0 };
	struct revlist revs = { 0 };
	const struct revlist *list = &revs;
	struct view v = { app->out, app->map, NULL };
	const char *what = args->positional[0];
	bool db = strcmp(what, "current") == 0;
	int rc;

	if (db) {
		rc = show_current(app, &state, err);
		list = &state.rows;
	} else {
		rc = revmap_lookup(app->map, what, &revs, err);
	}
	if (rc == 0 && args->json)
		rc = list_json(app, "show", db ? &state : NULL, list, err);
	for (size_t i = 0; rc == 0 && !args->json && i < list->n; i++)
		print_revision(&v, list->items[i], true, 0);
	revlist_release(&revs);
	revstate_release(&state);
	return rc;
}
