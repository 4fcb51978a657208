/*
 * cmd_stamp.c - stamp: set the version table to targets without running
 * any revision.
 *
 * The rows move exactly as Alembic's stamp moves them (revmap_stamp():
 * script/base.py _stamp_revs and runtime/migration.py HeadMaintainer), one
 * "Running stamp_revision FROM -> TO" line per step, as Alembic logs it;
 * the table is written in one transaction.  --purge starts from an empty
 * table, so it also clears rows naming revisions retort does not know.
 */
#include "cli/cmd.h"

#include "store/lease.h"

#include <stdlib.h>
#include <string.h>

static void print_ids(FILE *out, const struct revmap *map,
		      const struct revlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s%s", i ? ", " : "",
			map->revs[l->items[i]].meta->id);
}

/* Alembic's StampStep line: "Running stamp_revision A -> B". */
static void print_steps(FILE *out, const struct revmap *map,
			const struct stamp_plan *plan)
{
	for (size_t s = 0; s < plan->n; s++) {
		fputs("Running stamp_revision ", out);
		print_ids(out, map, &plan->steps[s].from);
		fputs(" -> ", out);
		print_ids(out, map, &plan->steps[s].to);
		fputc('\n', out);
	}
	fflush(out);
}

/* The rows after the plan, from the rows before it. */
static void replay_rows(const struct stamp_plan *plan, bool *row)
{
	for (size_t s = 0; s < plan->n; s++) {
		const struct stamp_step *st = &plan->steps[s];

		for (size_t i = 0; i < st->remove.n; i++)
			row[st->remove.items[i]] = false;
		for (size_t i = 0; i < st->insert.n; i++)
			row[st->insert.items[i]] = true;
	}
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

/* The rows after the plan, as ids in file-name order. */
static int rows_after(const struct revmap *map, const struct revstate *state,
		      const struct stamp_plan *plan, const char ***out,
		      size_t *n, struct retort_error *err)
{
	bool *row = calloc(map->n + 1, sizeof(*row));

	*out = calloc(map->n + 1, sizeof(**out));
	*n = 0;
	if (!row || !*out) {
		free(row);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	for (size_t i = 0; i < state->rows.n; i++)
		row[state->rows.items[i]] = true;
	replay_rows(plan, row);
	for (size_t r = 0; r < map->n; r++)
		if (row[r])
			(*out)[(*n)++] = map->revs[r].meta->id;
	free(row);
	return 0;
}

int cmd_stamp(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	char **before = NULL;
	const char **after = NULL;
	size_t nbefore = 0, nafter = 0;
	struct revstate state = { 0 };
	struct stamp_plan plan = { 0 };
	int rc = -1;

	if (app_lock(app, err) < 0)
		return -1;
	if (db_read_versions(&app->db, &before, &nbefore, err) < 0)
		goto out;
	/* --purge ignores what the table holds, known or not. */
	if (revmap_state(app->map, (const char *const *)before,
			 args->purge ? 0 : nbefore, &state, err) < 0 ||
	    revmap_stamp(app->map, &state.rows, args->positional,
			 (size_t)args->npositional, &plan, err) < 0 ||
	    rows_after(app->map, &state, &plan, &after, &nafter, err) < 0)
		goto out;
	if (!app->quiet)
		print_steps(app->out, app->map, &plan);
	rc = write_rows(app, (const char *const *)before, nbefore, after,
			nafter, err);
out:
	lease_release(&app->db);
	free(after);
	stamp_plan_release(&plan);
	revstate_release(&state);
	free_rows(before, nbefore);
	return rc;
}
