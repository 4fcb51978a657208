/*
 * json_view.c - revisions, problems and backfills as the --json documents
 * show them.  The same revisions, flags and labels as the text output of
 * cmd_status.c, as values rather than words: a script reads fields, not
 * Alembic's layout.  Never prints but in json_view_print().
 */
#include "cli/json_view.h"

#include <stdlib.h>
#include <string.h>

#include "data/checkpoint.h"
#include "store/audit.h"
#include "base/text.h"

void json_view_begin(struct json *j, const char *command)
{
	json_object_begin(j);
	json_key(j, "format_version");
	json_int(j, JSON_VIEW_FORMAT);
	json_key(j, "command");
	json_string(j, command);
}

void json_view_ids(struct json *j, const struct revmap *map, const char *key,
		   const struct revlist *list)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < list->n; i++)
		json_string(j, map->revs[list->items[i]].meta->id);
	json_array_end(j);
}

/* A comma list as written ("a, b"), each item trimmed, empty ones left
 * out: depends_on as the revision gives it, labels unresolved. */
static void written_list(struct json *j, const char *key, const char *list)
{
	const char *item;
	size_t len;

	json_key(j, key);
	json_array_begin(j);
	for (const char *p = list; revmap_list_next(&p, &item, &len);)
		if (len > 0)
			json_stringn(j, item, len);
	json_array_end(j);
}

/* The branch labels that apply, the revision's own first, as `history`
 * prints them. */
static void labels(struct json *j, const struct revmap *map,
		   const struct revision *rev)
{
	json_key(j, "branch_labels");
	json_array_begin(j);
	for (size_t k = 0; k < rev->nlabels; k++)
		json_string(j, rev->labels[k]);
	for (size_t k = 0; k < rev->label_revs.n; k++) {
		const struct revision *o = &map->revs[rev->label_revs.items[k]];

		for (size_t l = 0; o != rev && l < o->nlabels; l++)
			json_string(j, o->labels[l]);
	}
	json_array_end(j);
}

static bool in_rows(const struct revstate *state, size_t idx)
{
	for (size_t i = 0; i < state->rows.n; i++)
		if (state->rows.items[i] == idx)
			return true;
	return false;
}

/* is_current and is_applied: null when the database was not read. */
static void state_flags(struct json *j, const struct json_view *v, size_t idx)
{
	json_key(j, "is_current");
	if (v->state)
		json_bool(j, in_rows(v->state, idx));
	else
		json_null(j);
	json_key(j, "is_applied");
	if (v->state)
		json_bool(j, v->state->applied[idx]);
	else
		json_null(j);
}

static void graph_flags(struct json *j, const struct revmap *map, size_t idx)
{
	const struct revision *rev = &map->revs[idx];
	bool head = revmap_is_head(map, idx);

	json_key(j, "is_head");
	json_bool(j, head);
	json_key(j, "is_effective_head");
	json_bool(j, head && !revmap_is_real_head(map, idx));
	json_key(j, "is_branch_point");
	json_bool(j, rev->children.n > 1);
	json_key(j, "is_merge");
	json_bool(j, rev->parents.n > 1);
}

/* The plugin and its source, and the checksum as retort_history has it. */
static void files(struct json *j, const struct revision_meta *m)
{
	char checksum[AUDIT_CHECKSUM_SIZE];

	audit_checksum_text(m, checksum, sizeof(checksum));
	json_key(j, "checksum");
	json_string(j, checksum[0] ? checksum : NULL);
	json_key(j, "path");
	json_string(j, m->path);
	json_key(j, "source_path");
	json_string(j, m->source_path);
}

static void revision(struct json *j, const struct json_view *v, size_t idx)
{
	const struct revision *rev = &v->map->revs[idx];
	const struct revision_meta *m = rev->meta;

	json_object_begin(j);
	json_key(j, "id");
	json_string(j, m->id);
	json_view_ids(j, v->map, "down_revisions", &rev->parents);
	labels(j, v->map, rev);
	written_list(j, "depends_on", m->depends_on);
	json_key(j, "message");
	json_string(j, m->message);
	json_key(j, "create_date");
	json_string(j, m->create_date);
	graph_flags(j, v->map, idx);
	state_flags(j, v, idx);
	json_view_ids(j, v->map, "children", &rev->children);
	files(j, m);
	json_object_end(j);
}

void json_view_revisions(struct json *j, const struct json_view *v,
			 const char *key, const struct revlist *list)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < list->n; i++)
		revision(j, v, list->items[i]);
	json_array_end(j);
}

/* Each non-empty line of text as a string, without the indent that
 * libpq and lists give a continued line (main.c prints them so too). */
static void lines(struct json *j, const char *key, const char *text)
{
	const char *line;
	size_t len;

	json_key(j, key);
	json_array_begin(j);
	while ((line = text_next_line(&text, &len)) != NULL)
		json_stringn(j, line, len);
	json_array_end(j);
}

void json_view_problem(struct json *j, const char *kind,
		       const struct retort_error *problem)
{
	json_object_begin(j);
	json_key(j, "kind");
	json_string(j, kind);
	json_key(j, "message");
	json_string(j, problem->msg);
	lines(j, "detail", problem->detail);
	json_key(j, "hint");
	json_string(j, problem->hint[0] ? problem->hint : NULL);
	json_object_end(j);
}

static void backfill(struct json *j, const struct checkpoint_row *r)
{
	json_object_begin(j);
	json_key(j, "revision");
	json_string(j, r->revision);
	json_key(j, "job");
	json_string(j, r->job);
	json_key(j, "table");
	json_string(j, r->table);
	json_key(j, "rows_done");
	json_int(j, r->rows_done);
	json_key(j, "estimate");
	if (r->estimate > 0)
		json_int(j, r->estimate);
	else
		json_null(j);
	json_key(j, "done");
	json_bool(j, r->done);
	json_object_end(j);
}

int json_view_backfills(struct json *j, struct db *db, struct retort_error *err)
{
	struct checkpoint_row *rows = NULL;
	size_t n = 0;

	if (checkpoint_list(db, &rows, &n, err) < 0) {
		error_prefix(err, "cannot read the backfill checkpoints");
		return -1;
	}
	json_key(j, "backfills");
	json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		backfill(j, &rows[i]);
	json_array_end(j);
	checkpoint_rows_free(rows, n);
	return 0;
}

int json_view_print(struct json *j, FILE *out, struct retort_error *err)
{
	char *text;

	json_object_end(j);
	text = json_finish(j);
	if (text == NULL)
		return error_set(err, RETORT_FAILED,
				 "out of memory writing the JSON output");
	fputs(text, out);
	free(text);
	return 0;
}
