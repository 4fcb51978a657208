/*
 * backfill_cmd.c - data migrations in `current`, `downgrade` and
 * `upgrade --sample`.
 *
 * Runs revision code (downgrade() of a half-done backfill, upgrade() for a
 * sample) the way migrate.c does: in the worker process, through the host
 * context, in a transaction.  Prints only the run's normal output.
 */
#include "data/backfill_cmd.h"

#include <stdlib.h>
#include <string.h>

#include "data/checkpoint.h"
#include "exec/host.h"
#include "exec/isolate.h"
#include "plugins/plugin.h"
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

/* ---- running revision code ---- */

static void announce(const struct revmap *map, size_t idx, bool up,
		     const char *note, FILE *out)
{
	const struct revision_meta *m = map->revs[idx].meta;
	char parents[512];

	if (!out)
		return;
	revmap_join_ids(map, &map->revs[idx].parents, parents, sizeof(parents));
	if (up)
		fprintf(out, "Running upgrade %s -> %s, ", parents, m->id);
	else
		fprintf(out, "Running downgrade %s -> %s, ", m->id, parents);
	text_fput(m->message, out);
	fprintf(out, "%s\n", note);
	fflush(out);
}

/* Call upgrade() or downgrade(); a failure is what the revision said. */
static int call(const struct plugin_code *code, bool up, struct host_ctx *hc,
		struct retort_error *err)
{
	int rc = up ? code->upgrade(&hc->base) : code->downgrade(&hc->base);

	if (hc->failed) {
		*err = hc->error;
		return -1;
	}
	if (rc != 0)
		return error_set(err, RETORT_FAILED, "%s() returned %d",
				 up ? "upgrade" : "downgrade", rc);
	return 0;
}

/* Load the plugin, run fn, unload; errors name the revision. */
static int with_plugin(const struct revision_meta *m,
		       const struct migrate_opts *opts,
		       int (*fn)(const struct plugin_code *code, void *arg,
				 struct retort_error *err),
		       void *arg, struct retort_error *err)
{
	struct plugin_code code;
	char note[600];
	int rc;

	if (plugin_load(m, plugin_flags(opts->cfg), &code, err) < 0)
		return -1;
	snprintf(note, sizeof(note), "revision %s (%s)", m->id, m->path);
	isolate_note(note);
	rc = fn(&code, arg, err);
	isolate_note(NULL);
	plugin_unload(&code);
	if (rc < 0)
		error_prefix(err, "revision %s (%s) failed", m->id, m->path);
	return rc;
}

/* ---- downgrade of a half-done backfill ---- */

struct undo {
	struct db *db;
	const struct revision_meta *meta;
	const struct migrate_opts *opts;
};

/* The checkpoint rows go with COMMIT, in downgrade()'s transaction. */
static int undo_commit(struct undo *u, bool own_begin, struct retort_error *err)
{
	char *cleanup = NULL, *sql;
	PGresult *res;
	size_t len;

	if (checkpoint_cleanup_sql(u->db, u->meta->id, &cleanup, err) < 0)
		return -1;
	if (own_begin && db_prelude_open(u->db, err) < 0) {
		free(cleanup);
		return -1;
	}
	len = (cleanup ? strlen(cleanup) : 0) +
	      (u->db->fence_end ? strlen(u->db->fence_end) : 0) + 16;
	sql = malloc(len);
	if (!sql) {
		free(cleanup);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	snprintf(sql, len, "%s%s%s%sCOMMIT", cleanup ? cleanup : "",
		 cleanup ? ";\n" : "", u->db->fence_end ? u->db->fence_end : "",
		 u->db->fence_end ? ";\n" : "");
	free(cleanup);
	res = db_exec_batch(u->db, sql, err);
	free(sql);
	PQclear(res);
	return res ? 0 : -1;
}

static int undo_run(const struct plugin_code *code, void *arg,
		    struct retort_error *err)
{
	struct undo *u = arg;
	const struct config *cfg = u->opts->cfg;
	bool autocommit = (u->meta->flags &
			   (RETORT_NO_TRANSACTION | RETORT_BATCHED)) != 0;
	struct host_ctx hc;

	host_ctx_init(&hc, u->db, cfg, u->opts->out);
	hc.revision = u->meta->id;
	hc.batched = (u->meta->flags & RETORT_BATCHED) != 0;
	if ((!autocommit &&
	     db_prelude_begin(u->db, cfg ? cfg->ddl_lock_timeout : NULL,
			      cfg ? cfg->statement_timeout : NULL, err) < 0) ||
	    call(code, false, &hc, err) < 0 ||
	    undo_commit(u, autocommit || hc.batched, err) < 0) {
		db_rollback(u->db);
		error_detail(
			err,
			"its checkpoint rows stay: the backfill is still half-done");
		return -1;
	}
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

static int undo_one(struct db *db, const struct revmap *map, size_t idx,
		    const struct migrate_opts *opts, struct retort_error *err)
{
	struct undo u = { db, map->revs[idx].meta, opts };

	announce(map, idx, false, " (half-done backfill)", opts->out);
	return with_plugin(u.meta, opts, undo_run, &u, err);
}

int backfill_cmd_undo(struct db *db, const struct revmap *map,
		      const struct revstate *state, const struct plan *plan,
		      const char *target, const struct migrate_opts *opts,
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
		rc = undo_one(db, map, idx, opts, err);
	}
	revlist_release(&targets);
	checkpoint_rows_free(rows, n);
	return rc;
}

/* ---- upgrade --sample ---- */

struct sample {
	struct db *db;
	const struct revision_meta *meta;
	const struct migrate_opts *opts;
	bool backfilled; /* a backfill was sampled (in this or an earlier step)
			  */
};

static int sample_run(const struct plugin_code *code, void *arg,
		      struct retort_error *err)
{
	struct sample *s = arg;
	struct host_ctx hc;

	host_ctx_init(&hc, s->db, s->opts->cfg, s->opts->out);
	hc.revision = s->meta->id;
	hc.sample = true;
	if (call(code, true, &hc, err) < 0)
		return -1;
	s->backfilled |= hc.batched;
	if (PQtransactionStatus(s->db->conn) != PQTRANS_INTRANS)
		return error_set(err, RETORT_FAILED,
				 "the revision ended the sample's transaction");
	return 0;
}

static int savepoint(struct db *db, const char *sql, struct retort_error *err)
{
	PGresult *res = db_exec_batch(db, sql, err);

	PQclear(res);
	return res ? 0 : -1;
}

/*
 * A revision after a sampled backfill may need the rows the sample did
 * not fill (a NOT NULL, a VALIDATE): its failure is a note, not an error.
 */
static int sample_failed(struct sample *s, struct retort_error *err)
{
	struct retort_error ignored;

	if (!s->backfilled ||
	    PQtransactionStatus(s->db->conn) == PQTRANS_IDLE ||
	    savepoint(s->db, "ROLLBACK TO SAVEPOINT retort_step", &ignored) < 0)
		return -1;
	if (s->opts->out)
		fprintf(s->opts->out,
			"  not sampled: %s (it needs the rows the backfill above would fill)\n",
			err->msg);
	error_clear(err);
	return 0;
}

static int sample_step(struct sample *s, const struct revmap *map, size_t idx,
		       struct retort_error *err)
{
	s->meta = map->revs[idx].meta;
	announce(map, idx, true, "", s->opts->out);
	if (s->meta->flags & RETORT_NO_TRANSACTION) {
		if (s->opts->out)
			fputs("  skipped: it runs outside a transaction (RETORT_NO_TRANSACTION)\n",
			      s->opts->out);
		return 0;
	}
	if (savepoint(s->db, "SAVEPOINT retort_step", err) < 0)
		return -1;
	if (with_plugin(s->meta, s->opts, sample_run, s, err) < 0)
		return sample_failed(s, err);
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
			const struct plan *plan,
			const struct migrate_opts *opts,
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
			rc = sample_step(&s, map, plan->steps[i].rev, err);
	}
	db_rollback(db);
	if (rc < 0)
		error_detail(err, "--sample rolled everything back");
	else if (opts->out)
		fputs("Sample done: everything was rolled back; nothing is applied.\n",
		      opts->out);
	return rc;
}
