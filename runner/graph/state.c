/*
 * state.c - where a database stands, read from its version-table rows:
 * the applied set is everything the rows reach through down_revision and
 * depends_on.  Pure: the rows come in as strings, nothing is printed.
 */
#include "graph/revmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "graph/graph.h"
#include "graph/mark.h"
#include "graph/revlist.h"

static int unknown_row(const char *row, struct retort_error *err)
{
	char shown[128];

	/* The row is whatever the table holds: one line, escaped. */
	text_escape(row, shown, sizeof(shown));
	error_set(err, RETORT_USAGE, "Can't locate revision identified by '%s'",
		  shown);
	error_detail(
		err,
		"the version table holds '%s', which no revision in the versions directory has",
		shown);
	error_hint(
		err,
		"The database was migrated with a revision whose plugin is missing from the versions directory: build or restore it.");
	return -1;
}

int revmap_state(const struct revmap *map, const char *const *rows,
		 size_t nrows, struct revstate *out, struct retort_error *err)
{
	struct revstate st = { NULL, { NULL, 0 } };
	size_t r;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	st.applied = zalloc(map->n, sizeof(*st.applied));
	st.rows.items = zalloc(nrows, sizeof(*st.rows.items));
	if (st.applied == NULL || st.rows.items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t i = 0; i < nrows; i++) {
		const char *row = rows[i] ? rows[i] : "";

		if (!revmap_find(map, row, &r)) {
			unknown_row(row, err);
			goto out;
		}
		if (!revlist_has(&st.rows, r))
			st.rows.items[st.rows.n++] = r;
	}
	if (mark_below(map, &st.rows, st.applied, err) < 0)
		goto out;
	*out = st;
	memset(&st, 0, sizeof(st));
	rc = 0;
out:
	revstate_release(&st);
	return rc;
}

void revstate_release(struct revstate *state)
{
	if (state == NULL)
		return;
	free(state->applied);
	state->applied = NULL;
	revlist_release(&state->rows);
}

int revmap_current(const struct revmap *map, const struct revstate *state,
		   struct revlist *out, struct retort_error *err)
{
	memset(out, 0, sizeof(*out));
	out->items = zalloc(map->n, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	for (size_t r = 0; r < map->n; r++) {
		const struct revlist *c = &map->revs[r].children;
		bool top = is_applied(state, r);

		for (size_t k = 0; top && k < c->n; k++)
			top = !is_applied(state, c->items[k]);
		if (top)
			out->items[out->n++] = r;
	}
	return 0;
}
