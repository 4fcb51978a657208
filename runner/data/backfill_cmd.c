/*
 * backfill_cmd.c - data migrations in `current`, `downgrade` and
 * `upgrade --sample`.
 *
 * Runs revision code (downgrade() of a half-done backfill, upgrade() for a
 * sample) through step_run(), as a plan's steps run, with the same
 * guards.  Prints only the run's normal output.
 */
#include "data/backfill_cmd.h"

#include <stdlib.h>
#include <string.h>

#include "data/checkpoint.h"
#include "proc/isolate.h"
#include "base/text.h"

/* ---- current ---- */

static const char *status_of(const struct revmap *map,
			     const struct revstate *state, const char *id)
{
	size_t idx;

	if (!revmap_find(map, id, &idx))
		return "in progress, its plugin is missing";
	return state && state->applied[idx] ? "downgrade in progress"
					    : "in progress";
}

static void print_row(FILE *out, const struct checkpoint_row *r,
		      const char *status)
{
	/* The checkpoint table's text is the database's: escaped. */
	text_fput(r->revision, out);
	fprintf(out, " (%s): backfill of ", status);
	text_fput(r->table, out);
	if (strcmp(r->job, "backfill") != 0) {
		fputs(" (", out);
		text_fput(r->job, out);
		fputc(')', out);
	}
	if (r->done)
		fprintf(out, " done, %lld rows", r->rows_done);
	else if (r->estimate > 0)
		fprintf(out, ", %lld of ~%lld rows (%lld%%)", r->rows_done,
			r->estimate,
			r->rows_done * 100 /
				(r->estimate > r->rows_done ? r->estimate
							    : r->rows_done));
	else
		fprintf(out, ", %lld rows", r->rows_done);
	fputs(", last batch at ", out);
	text_fput(r->updated, out);
	fputc('\n', out);
}

int backfill_cmd_status(struct db *db, const struct revmap *map,
			const struct revstate *state, FILE *out,
			struct retort_error *err)
{
	struct checkpoint_row *rows = NULL;
	size_t n = 0;

	if (checkpoint_list(db, &rows, &n, err) < 0) {
		error_prefix(err, "cannot read the backfill checkpoints");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		print_row(out, &rows[i],
			  status_of(map, state, rows[i].revision));
	checkpoint_rows_free(rows, n);
	return 0;
}

static bool in_list(const struct revlist *list, size_t idx)
{
	for (size_t i = 0; list && i < list->n; i++)
		if (list->items[i] == idx)
			return true;
	return false;
}

static bool removed_by(const struct plan *plan, size_t idx)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->steps[i].rev == idx)
			return true;
	return false;
}

/*
 * A half-done revision sits on top of its parents: it is undone when the
 * downgrade removes a parent or stops at one (`downgrade <parent>`); a
 * base revision when the downgrade goes to base.
 */
static bool should_undo(const struct revmap *map, const struct revstate *state,
			const struct plan *plan, const struct revlist *targets,
			size_t idx)
{
	const struct revlist *parents = &map->revs[idx].parents;

	if (state->applied[idx])
		return false;
	if (parents->n == 0)
		return targets && targets->n == 0;
	for (size_t i = 0; i < parents->n; i++)
		if (removed_by(plan, parents->items[i]) ||
		    in_list(targets, parents->items[i]))
			return true;
	return false;
}

/* The half-done revision's downgrade(), with its checkpoint rows. */
static int undo_one(struct db *db, const struct revmap *map, size_t idx,
		    const struct step_opts *opts, struct retort_error *err)
{
	struct plan_step undo = { .rev = idx, .direction = PLAN_DOWNGRADE };
	struct step step = { .map = map,
			     .plan_step = &undo,
			     .kind = STEP_UNDO };

	return step_run(db, &step, opts, err);
}

int backfill_cmd_undo(struct db *db, const struct revmap *map,
		      const struct revstate *state, const struct plan *plan,
		      const char *target, const struct step_opts *opts,
		      struct retort_error *err)
{
	struct checkpoint_row *rows = NULL;
	struct revlist targets = { 0 };
	struct retort_error ignored;
	bool resolved;
	size_t n = 0, idx;
	int rc = 0;

	if (checkpoint_list(db, &rows, &n, err) < 0)
		return -1;
	resolved = n > 0 &&
		   revmap_resolve(map, state, target, &targets, &ignored) == 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((i > 0 &&
		     strcmp(rows[i].revision, rows[i - 1].revision) == 0) ||
		    !revmap_find(map, rows[i].revision, &idx) ||
		    !should_undo(map, state, plan, resolved ? &targets : NULL,
				 idx))
			continue;
		if (isolate_interrupted())
			rc = error_set(err, RETORT_FAILED,
				       "stopped before revision %s",
				       map->revs[idx].meta->id);
		else
			rc = undo_one(db, map, idx, opts, err);
	}
	revlist_release(&targets);
	checkpoint_rows_free(rows, n);
	return rc;
}

/* ---- upgrade --sample ---- */

struct sample {
	struct db *db;
	const struct step_opts *opts;
	bool backfilled; /* a backfill was sampled in an earlier step */
};

/*
 * A revision after a sampled backfill may need the rows the sample did
 * not fill (a NOT NULL, a VALIDATE): its failure is a note, not an error,
 * unless the sample's transaction is gone or a stop was asked for.
 */
static int sample_failed(struct sample *s, struct retort_error *err)
{
	struct retort_error ignored;

	if (!s->backfilled || isolate_interrupted() ||
	    db_state(s->db) == DB_IDLE ||
	    db_exec(s->db, "ROLLBACK TO SAVEPOINT retort_step", 0, NULL,
		    &ignored) < 0)
		return -1;
	if (s->opts->out)
		fprintf(s->opts->out,
			"  not sampled: %s (it needs the rows the backfill above would fill)\n",
			err->msg);
	error_clear(err);
	return 0;
}

static int sample_step(struct sample *s, const struct revmap *map,
		       const struct plan_step *ps, struct retort_error *err)
{
	struct step step = { .map = map, .plan_step = ps, .kind = STEP_SAMPLE };

	if (db_exec(s->db, "SAVEPOINT retort_step", 0, NULL, err) < 0)
		return -1;
	if (step_run(s->db, &step, s->opts, err) < 0)
		return sample_failed(s, err);
	s->backfilled |= step.batched;
	return 0;
}

static int sample_begin(struct db *db, const struct config *cfg,
			struct retort_error *err)
{
	if (db_begin(db, err) < 0)
		return -1;
	return db_set_timeouts(db, cfg ? cfg->ddl_lock_timeout : NULL,
			       cfg ? cfg->statement_timeout : NULL, true, err);
}

int backfill_cmd_sample(struct db *db, const struct revmap *map,
			const struct plan *plan, const struct step_opts *opts,
			struct retort_error *err)
{
	struct sample s = { .db = db, .opts = opts };
	int rc = 0;

	if (plan->n == 0)
		return 0;
	if (sample_begin(db, opts->cfg, err) < 0) {
		db_rollback(db);
		return -1;
	}
	for (size_t i = 0; rc == 0 && i < plan->n; i++) {
		if (isolate_interrupted())
			rc = error_set(err, RETORT_FAILED, "sample canceled");
		else
			rc = sample_step(&s, map, &plan->steps[i], err);
	}
	db_rollback(db);
	if (rc < 0)
		error_detail(err, "--sample rolled everything back");
	else if (opts->out)
		fputs("Sample done: everything was rolled back; nothing is applied.\n",
		      opts->out);
	return rc;
}
