/*
 * migrate.c - runs a plan, one revision at a time.
 *
 * Each step loads its plugin, runs upgrade() or downgrade() inside one
 * transaction together with its version-table change, commits, and unloads
 * the plugin: a failure or a crash leaves the database at the previous
 * revision, never in between.  Nothing session-scoped survives a step.
 *
 * One round trip per revision: BEGIN rides with the revision's first
 * statement, and the version change with COMMIT is sent without waiting;
 * the next step confirms that COMMIT before it runs any revision code, so
 * a crash in revision N never takes revision N-1 with it.
 */
#include "exec/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/audit.h"
#include "data/backfill.h"
#include "data/backfill_cmd.h"
#include "exec/host.h"
#include "exec/isolate.h"
#include "plugins/plugin.h"
#include "base/text.h"

/* Alembic's line: "Running upgrade 001 -> 002, add portfolios". */
static void announce(const struct revmap *map, const struct plan_step *step,
		     FILE *out)
{
	const struct revision *rev = &map->revs[step->rev];
	const char *msg = rev->meta->message ? rev->meta->message : "";
	char parents[512];

	if (!out)
		return;
	revmap_join_ids(map, &rev->parents, parents, sizeof(parents));
	if (step->direction == PLAN_UPGRADE)
		fprintf(out, "Running upgrade %s -> %s, ", parents,
			rev->meta->id);
	else
		fprintf(out, "Running downgrade %s -> %s, ", rev->meta->id,
			parents);
	text_fput(msg, out);
	fputc('\n', out);
	fflush(out);
}

static int ids_of(const struct revmap *map, const struct revlist *list,
		  const char ***out, struct retort_error *err)
{
	*out = calloc(list->n ? list->n : 1, sizeof(**out));
	if (!*out)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < list->n; i++)
		(*out)[i] = map->revs[list->items[i]].meta->id;
	return 0;
}

/* The non-NULL statements of parts, joined as one script. */
static char *join_statements(const char *const *parts, size_t n)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += parts[i] ? strlen(parts[i]) + 2 : 0;
	out = malloc(len);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!parts[i])
			continue;
		if (out[0])
			strcat(out, ";\n");
		strcat(out, parts[i]);
	}
	return out;
}

/*
 * The statements that end a step, all in its transaction: the version
 * change, the removal of a finished backfill's checkpoints (batched
 * revisions), the audit row, then COMMIT.
 */
static int closing_sql(struct db *db, const struct revmap *map,
		       const struct plan_step *step, const char *batched,
		       const struct audit_step *audit, char **out,
		       struct retort_error *err)
{
	const char **remove = NULL, **insert = NULL;
	char *change = NULL, *cleanup = NULL, *history = NULL;
	int rc = -1;

	*out = NULL;
	if (ids_of(map, &step->remove, &remove, err) < 0 ||
	    ids_of(map, &step->insert, &insert, err) < 0 ||
	    db_version_change_sql(db, remove, step->remove.n, insert,
				  step->insert.n, &change, err) < 0 ||
	    (batched && backfill_cleanup_sql(db, batched, &cleanup, err) < 0) ||
	    audit_record_sql(db, audit, &history, err) < 0)
		goto out;
	/* The lock's lease is renewed last, so it runs from this COMMIT. */
	*out = join_statements((const char *const[]){ change, cleanup, history,
						      db->fence_end, "COMMIT" },
			       5);
	if (!*out) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(history);
	free(cleanup);
	free(change);
	free(remove);
	free(insert);
	return rc;
}

/*
 * Send the step's version change and COMMIT, without waiting: the next
 * step (or the end of the run) confirms it with db_collect().  A batched
 * revision committed its batches itself, so its closing opens a
 * transaction of its own.
 */
static int send_commit(struct db *db, const struct revmap *map,
		       const struct plan_step *step, const struct host_ctx *hc,
		       struct retort_error *err)
{
	const char *batched = hc->batched ? hc->revision : NULL;
	struct audit_step audit;
	char *sql = NULL;
	int rc;

	audit_step_begin(&audit, map->revs[step->rev].meta, step->direction);
	audit.started = hc->started;
	audit.started_mono = hc->started_mono;
	/* A batched or autocommit step has no transaction of the runner's
	 * to guard: it commits as it goes. */
	audit.guarded = !hc->batched && !hc->autocommit;
	if (hc->batched && db_prelude_open(db, err) < 0)
		return -1;
	if (closing_sql(db, map, step, batched, &audit, &sql, err) < 0)
		return -1;
	rc = db_send_async(db, sql, err);
	free(sql);
	return rc;
}

/* Why the revision's own code failed, from what it recorded or returned. */
static void revision_failure(const struct host_ctx *hc, int rc, const char *fn,
			     struct retort_error *err)
{
	if (hc->failed) {
		*err = hc->error;
		return;
	}
	error_set(err, RETORT_FAILED, "%s() returned %d", fn, rc);
	error_hint(
		err,
		"A revision returns 0 on success; use retort_fail(ctx, ...) to say why it fails.");
}

/* A revision that reached the server must leave its transaction open. */
static int check_transaction(const struct host_ctx *hc,
			     struct retort_error *err)
{
	if (!hc->sent)
		return 0;
	switch (PQtransactionStatus(hc->db->conn)) {
	case PQTRANS_INTRANS:
		return 0;
	case PQTRANS_INERROR:
		return error_set(
			err, RETORT_FAILED,
			"a statement failed inside the revision's transaction");
	default:
		error_set(err, RETORT_FAILED,
			  "the revision ended the runner's transaction itself");
		error_hint(
			err,
			"Do not COMMIT or ROLLBACK in a revision; flag it RETORT_NO_TRANSACTION to run in autocommit. Check what it left applied before running again.");
		return -1;
	}
}

/* A signal between the revision's last statement and COMMIT still stops. */
static int check_not_stopping(struct retort_error *err)
{
	if (!isolate_interrupted())
		return 0;
	return error_set(err, RETORT_FAILED, "canceled before COMMIT");
}

static int call_revision(const struct plugin_code *code,
			 const struct plan_step *step, struct host_ctx *hc,
			 struct retort_error *err)
{
	bool up = step->direction == PLAN_UPGRADE;
	int rc = up ? code->upgrade(&hc->base) : code->downgrade(&hc->base);

	if (rc != 0 || hc->failed) {
		revision_failure(hc, rc, up ? "upgrade" : "downgrade", err);
		return -1;
	}
	return 0;
}

/* What a failure leaves behind depends on how the revision ran. */
static void explain_failure(const struct host_ctx *hc, bool autocommit,
			    struct retort_error *err)
{
	if (hc->batched && PQstatus(hc->db->conn) == CONNECTION_BAD) {
		/* backfill.c said what is known of the batches. */
		error_hint(
			err,
			"Once the server accepts connections again, run the same command: the backfill resumes from the checkpoint the database holds.");
	} else if (hc->batched) {
		error_detail(
			err,
			"the batches committed before the failure stay applied, with their checkpoint");
		error_hint(
			err,
			"Fix the cause and run the upgrade again: the backfill resumes after its last committed batch.");
	} else if (autocommit) {
		error_detail(
			err,
			"this revision runs outside a transaction (RETORT_NO_TRANSACTION): the statements before the failure stay applied");
		error_hint(
			err,
			"Check what the revision left (for CREATE INDEX CONCURRENTLY, an INVALID index to drop) before running it again.");
	} else if (hc->db->ended_by_revision) {
		error_detail(
			err,
			"the revision ran a COMMIT or ROLLBACK of its own: what it ran before that stays applied; the rest, and its version-table update, were rolled back");
		error_hint(
			err,
			"Do not COMMIT or ROLLBACK in a revision (flag it RETORT_NO_TRANSACTION to run in autocommit); check what it left before running again.");
	} else {
		error_detail(
			err,
			"the revision and its version-table update were rolled back");
	}
}

/* The revision's own transaction; retort_backfill() may turn it batched. */
static int run_in_transaction(struct db *db, const struct revmap *map,
			      const struct plugin_code *code,
			      const struct plan_step *step, struct host_ctx *hc,
			      struct retort_error *err)
{
	const struct config *cfg = hc->cfg;

	if (db_prelude_begin(db, cfg->ddl_lock_timeout, cfg->statement_timeout,
			     err) < 0 ||
	    call_revision(code, step, hc, err) < 0 ||
	    (!hc->batched && check_transaction(hc, err) < 0) ||
	    check_not_stopping(err) < 0 ||
	    send_commit(db, map, step, hc, err) < 0) {
		db_rollback(db);
		explain_failure(hc, false, err);
		return -1;
	}
	return 0;
}

/* An autocommit revision must not leave a transaction of its own open. */
static int check_left_idle(struct db *db, struct retort_error *err)
{
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return 0;
	error_set(err, RETORT_FAILED,
		  "the revision left a transaction of its own open");
	error_detail(
		err,
		"that transaction was rolled back, not committed with the version row");
	return -1;
}

/*
 * Autocommit: PostgreSQL refuses some statements inside a transaction
 * block, and a batched backfill commits batch by batch.  Nothing can roll
 * such a revision back, so a failure says what stays applied.
 */
static int run_autocommit(struct db *db, const struct revmap *map,
			  const struct plugin_code *code,
			  const struct plan_step *step, struct host_ctx *hc,
			  struct retort_error *err)
{
	const struct config *cfg = hc->cfg;
	int rc = 0;

	/* Nothing can roll this revision back: make sure the lock is still
	 * this runner's before any of it runs. */
	if (db_fence_check(db, err) < 0) {
		error_detail(err, "nothing of this revision ran");
		return -1;
	}
	/* A backfill sets its own limits per batch. */
	if (!hc->batched)
		rc = db_set_timeouts(db, cfg->ddl_lock_timeout,
				     cfg->statement_timeout, false, err);
	if (rc == 0)
		rc = call_revision(code, step, hc, err);
	if (rc == 0)
		rc = check_left_idle(db, err);
	if (!hc->batched)
		db_reset_timeouts(db);
	if (rc < 0) {
		db_rollback(db);
		explain_failure(hc, true, err);
		return -1;
	}
	if ((!hc->batched && db_prelude_open(db, err) < 0) ||
	    send_commit(db, map, step, hc, err) < 0) {
		db_rollback(db);
		error_detail(
			err,
			"the revision ran but its version-table update failed");
		return -1;
	}
	return 0;
}

/* The COMMIT sent for step failed: say which revision, and why. */
static int commit_failed(struct db *db, const struct revision_meta *meta,
			 struct retort_error *err)
{
	if (db_is_step_ended(err)) {
		db_rollback(db);
		error_set(
			err, RETORT_FAILED,
			"the revision ended the runner's transaction itself (a COMMIT or ROLLBACK of its own)");
		error_prefix(err, "revision %s (%s) failed", meta->id,
			     meta->path);
		error_detail(
			err,
			"what it ran before its own COMMIT stays applied; what came after, and its version-table update, were rolled back");
		error_hint(
			err,
			"Do not COMMIT or ROLLBACK in a revision (flag it RETORT_NO_TRANSACTION to run in autocommit); check what it left before running again.");
		return -1;
	}
	if (db_is_version_mismatch(err)) {
		error_set(err, RETORT_FAILED,
			  "the version table %s changed during the run",
			  db->version_table);
		error_hint(
			err,
			"Another tool wrote to it; run `retort current` and try again.");
	}
	db_rollback(db);
	error_prefix(err, "revision %s (%s) failed at COMMIT", meta->id,
		     meta->path);
	error_detail(
		err,
		"the revision and its version-table update were rolled back");
	return -1;
}

/* Confirm the previous step's COMMIT before any revision code runs. */
static int confirm_previous(struct db *db, const struct revmap *map,
			    const struct plan *plan, size_t i,
			    struct retort_error *err)
{
	if (db_collect(db, err) == 0)
		return 0;
	return commit_failed(db, map->revs[plan->steps[i - 1].rev].meta, err);
}

unsigned plugin_flags(const struct config *cfg)
{
	return cfg->unsafe_plugins ? PLUGIN_ALLOW_UNSAFE : 0;
}

static int run_step(struct db *db, const struct revmap *map,
		    const struct plan *plan, size_t i,
		    const struct migrate_opts *opts, struct retort_error *err)
{
	const struct plan_step *step = &plan->steps[i];
	const struct revision_meta *meta = map->revs[step->rev].meta;
	char note[sizeof(err->msg)];
	struct plugin_code code;
	struct host_ctx hc;
	int rc;

	announce(map, step, opts->out);
	if (plugin_load(meta, plugin_flags(opts->cfg), &code, err) < 0)
		return -1;
	if (confirm_previous(db, map, plan, i, err) < 0) {
		plugin_unload(&code);
		return -1;
	}
	snprintf(note, sizeof(note), "revision %s (%s)", meta->id, meta->path);
	isolate_note(note);
	host_ctx_init(&hc, db, opts->cfg, opts->out);
	clock_gettime(CLOCK_REALTIME, &hc.started);
	clock_gettime(CLOCK_MONOTONIC, &hc.started_mono);
	hc.revision = meta->id;
	hc.batched = (meta->flags & RETORT_BATCHED) != 0;
	hc.autocommit =
		(meta->flags & (RETORT_NO_TRANSACTION | RETORT_BATCHED)) != 0;
	hc.sample = opts->sample;
	if (hc.autocommit)
		isolate_note_step(hc.batched ? ISOLATE_BATCHED
					     : ISOLATE_AUTOCOMMIT);
	if (meta->flags & (RETORT_NO_TRANSACTION | RETORT_BATCHED))
		rc = run_autocommit(db, map, &code, step, &hc, err);
	else
		rc = run_in_transaction(db, map, &code, step, &hc, err);
	isolate_note(NULL);
	plugin_unload(&code);
	if (rc < 0)
		error_prefix(err, "revision %s (%s) failed", meta->id,
			     meta->path);
	return rc;
}

int migrate_run(struct db *db, const struct revmap *map,
		const struct plan *plan, const struct migrate_opts *opts,
		struct retort_error *err)
{
	/* upgrade --sample: one rolled-back transaction (backfill_cmd.c). */
	if (opts->sample)
		return backfill_cmd_sample(db, map, plan, opts, err);
	if (plan->n > 0 && (db_ensure_version_table(db, err) < 0 ||
			    audit_ensure_table(db, err) < 0))
		return -1;
	for (size_t i = 0; i < plan->n; i++) {
		if (isolate_interrupted()) {
			db_collect(db, err);
			return error_set(
				err, RETORT_FAILED,
				"stopped before revision %s",
				map->revs[plan->steps[i].rev].meta->id);
		}
		if (run_step(db, map, plan, i, opts, err) < 0)
			return -1;
	}
	if (plan->n > 0 && db_collect(db, err) < 0)
		return commit_failed(
			db, map->revs[plan->steps[plan->n - 1].rev].meta, err);
	return 0;
}
