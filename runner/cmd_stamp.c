/*
 * cmd_stamp.c - stamp: set the version table to targets without running
 * any revision.
 *
 * Each target moves the rows as an upgrade or a downgrade to it would (a
 * target the database already has is a downgrade), but only the version
 * rows change, all in one transaction.  Rows of branches a target does not
 * touch stay, as in Alembic; --purge starts from an empty table, so it also
 * clears rows naming revisions retort does not know.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

/* True when every revision target names is applied already (or base). */
static int target_is_behind(const struct revmap *map,
			    const struct revstate *state, const char *target,
			    bool *behind, struct retort_error *err)
{
	struct revlist revs = { 0 };

	if (revmap_resolve(map, state, target, &revs, err) < 0)
		return -1;
	*behind = true;
	for (size_t i = 0; i < revs.n; i++)
		*behind = *behind && state->applied[revs.items[i]];
	revlist_release(&revs);
	return 0;
}

static void replay_rows(const struct plan *plan, bool *row)
{
	for (size_t s = 0; s < plan->n; s++) {
		const struct plan_step *st = &plan->steps[s];

		for (size_t i = 0; i < st->remove.n; i++)
			row[st->remove.items[i]] = false;
		for (size_t i = 0; i < st->insert.n; i++)
			row[st->insert.items[i]] = true;
	}
}

static int rows_to_state(const struct revmap *map, const bool *row,
			 struct revstate *out, struct retort_error *err)
{
	const char **ids = calloc(map->n ? map->n : 1, sizeof(*ids));
	size_t n = 0;
	int rc;

	if (!ids)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t r = 0; r < map->n; r++)
		if (row[r])
			ids[n++] = map->revs[r].meta->id;
	rc = revmap_state(map, ids, n, out, err);
	free(ids);
	return rc;
}

/* Move state to target the way a plan would, running nothing. */
static int stamp_one(const struct revmap *map, struct revstate *state,
		     const char *target, struct retort_error *err)
{
	struct plan plan = { 0 };
	struct revstate next = { 0 };
	bool *row = NULL;
	bool behind;
	int rc = -1;

	if (target_is_behind(map, state, target, &behind, err) < 0 ||
	    revmap_plan(map, state, behind ? PLAN_DOWNGRADE : PLAN_UPGRADE,
			target, &plan, err) < 0)
		goto out;
	row = calloc(map->n ? map->n : 1, sizeof(*row));
	if (!row) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < state->rows.n; i++)
		row[state->rows.items[i]] = true;
	replay_rows(&plan, row);
	if (rows_to_state(map, row, &next, err) < 0)
		goto out;
	revstate_release(state);
	*state = next;
	rc = 0;
out:
	free(row);
	plan_release(&plan);
	return rc;
}

static bool id_in(const char *const *ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return true;
	return false;
}

/* The rows of after that before lacks, in after's order. */
static size_t rows_missing(const char *const *after, size_t nafter,
			   const char *const *before, size_t nbefore,
			   const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < nafter; i++)
		if (!id_in(before, nbefore, after[i]))
			out[n++] = after[i];
	return n;
}

static void print_stamp(FILE *out, const char *const *before, size_t nbefore,
			const char *const *after, size_t nafter)
{
	/* Alembic's StampStep log line: "Running stamp_revision A -> B". */
	fputs("Running stamp_revision ", out);
	for (size_t i = 0; i < nbefore; i++)
		fprintf(out, "%s%s", i ? ", " : "", before[i]);
	fputs(" -> ", out);
	for (size_t i = 0; i < nafter; i++)
		fprintf(out, "%s%s", i ? ", " : "", after[i]);
	fputc('\n', out);
}

/* One transaction: delete the rows that go, insert the rows that come. */
static int write_rows(struct app *app, const char *const *before,
		      size_t nbefore, const char *const *after, size_t nafter,
		      struct retort_error *err)
{
	const char **gone = calloc(nbefore + 1, sizeof(*gone));
	const char **come = calloc(nafter + 1, sizeof(*come));
	size_t ngone, ncome;
	int rc = -1;

	if (!gone || !come) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	ngone = rows_missing(before, nbefore, after, nafter, gone);
	ncome = rows_missing(after, nafter, before, nbefore, come);
	if (db_ensure_version_table(&app->db, err) < 0 ||
	    db_begin(&app->db, err) < 0)
		goto out;
	if (db_update_versions(&app->db, gone, ngone, come, ncome, err) < 0 ||
	    db_commit(&app->db, err) < 0) {
		db_rollback(&app->db);
		goto out;
	}
	if (!app->quiet && (ngone || ncome))
		print_stamp(app->out, before, nbefore, after, nafter);
	rc = 0;
out:
	free(gone);
	free(come);
	return rc;
}

static void free_rows(char **rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}

int cmd_stamp(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	char **before = NULL;
	const char **after = NULL;
	size_t nbefore = 0;
	struct revstate state = { 0 };
	int rc = -1;

	if (db_lock(&app->db, app->cfg.lock_timeout, app->progress, err) < 0 ||
	    db_read_versions(&app->db, &before, &nbefore, err) < 0)
		return -1;
	/* --purge ignores what the table holds, known or not. */
	if (revmap_state(app->map, (const char *const *)before,
			 args->purge ? 0 : nbefore, &state, err) < 0)
		goto out;
	for (int i = 0; i < args->npositional; i++)
		if (stamp_one(app->map, &state, args->positional[i], err) < 0)
			goto out;
	after = calloc(state.rows.n + 1, sizeof(*after));
	if (!after) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < state.rows.n; i++)
		after[i] = app->map->revs[state.rows.items[i]].meta->id;
	rc = write_rows(app, (const char *const *)before, nbefore, after,
			state.rows.n, err);
out:
	free(after);
	revstate_release(&state);
	free_rows(before, nbefore);
	return rc;
}
