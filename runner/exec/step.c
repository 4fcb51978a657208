/*
 * step.c - one revision step, whichever command runs it.
 *
 * A step loads its plugin, runs upgrade() or downgrade() inside one
 * transaction together with what ends the step (a plan's version-table
 * change, an undone backfill's checkpoint rows), commits, and unloads the
 * plugin: a failure or a crash leaves the database as it was, never in
 * between.  Nothing session-scoped survives a step.  A revision that
 * cannot run in a transaction runs in autocommit, and a failure says what
 * stays applied.  Every way of running revision code comes through here,
 * so every guard (the transaction still the runner's, no stop request
 * pending, the step's mark) holds for all of them.
 *
 * One round trip per revision: BEGIN rides with the revision's first
 * statement, and a plan step's closing statements with COMMIT are sent
 * without waiting; the next step confirms that COMMIT before it runs any
 * revision code, so a crash in revision N never takes revision N-1 with
 * it.
 */
#include "exec/step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "base/text.h"
#include "data/checkpoint.h"
#include "exec/host.h"
#include "proc/isolate.h"
#include "plugins/plugin.h"
#include "store/audit.h"

/* How a revision runs, from its flags. */
enum step_mode {
	MODE_TRANSACTION, /* in the runner's transaction (or the sample's) */
	MODE_AUTOCOMMIT,  /* RETORT_NO_TRANSACTION: statement by statement */
	MODE_BATCHED, /* RETORT_BATCHED: retort_backfill() commits batches */
};

static const struct revision_meta *meta_of(const struct step *s)
{
	return s->map->revs[s->plan_step->rev].meta;
}

static enum step_mode mode_of(const struct step *s)
{
	unsigned flags = meta_of(s)->flags;

	/* A sample runs everything in its one transaction. */
	if (s->kind == STEP_SAMPLE)
		return MODE_TRANSACTION;
	if (flags & RETORT_BATCHED)
		return MODE_BATCHED;
	if (flags & RETORT_NO_TRANSACTION)
		return MODE_AUTOCOMMIT;
	return MODE_TRANSACTION;
}

/* Alembic's line: "Running upgrade 001 -> 002, add portfolios". */
static void announce(const struct step *s, FILE *out)
{
	const struct revision *rev = &s->map->revs[s->plan_step->rev];
	const char *msg = rev->meta->message ? rev->meta->message : "";
	char parents[512];

	if (!out)
		return;
	revmap_join_ids(s->map, &rev->parents, parents, sizeof(parents));
	if (s->plan_step->direction == PLAN_UPGRADE)
		fprintf(out, "Running upgrade %s -> %s, ", parents,
			rev->meta->id);
	else
		fprintf(out, "Running downgrade %s -> %s, ", rev->meta->id,
			parents);
	text_fput(msg, out);
	if (s->kind == STEP_UNDO)
		fputs(" (half-done backfill)", out);
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

/* A plan step's version-table change; an undo has none (*out NULL). */
static int version_change_sql(struct db *db, const struct step *s, char **out,
			      struct retort_error *err)
{
	const struct plan_step *ps = s->plan_step;
	const char **remove = NULL, **insert = NULL;
	int rc = 0;

	*out = NULL;
	if (s->kind != STEP_PLAN)
		return 0;
	if (ids_of(s->map, &ps->remove, &remove, err) < 0 ||
	    ids_of(s->map, &ps->insert, &insert, err) < 0 ||
	    db_version_change_sql(db, remove, ps->remove.n, insert,
				  ps->insert.n, out, err) < 0)
		rc = -1;
	free(remove);
	free(insert);
	return rc;
}

/* "SELECT <the step's guard>": fails unless the transaction is the step's. */
static int guard_statement(struct db *db, char **out, struct retort_error *err)
{
	struct strbuf b = STRBUF_INIT;
	char *guard = NULL;

	*out = NULL;
	if (db_step_guard_sql(db, "'ok'", &guard, err) < 0)
		return -1;
	strbuf_addf(&b, "SELECT %s", guard);
	free(guard);
	*out = strbuf_finish(&b);
	return *out ? 0 : error_set(err, RETORT_FAILED, "out of memory");
}

/*
 * The step's record before COMMIT: a plan step's audit row, which carries
 * the step's guard when the runner's transaction is there to guard; an
 * undo's bare guard.  A batched or autocommit revision has no transaction
 * of the runner's to guard: it commits as it goes.
 */
static int record_sql(struct db *db, const struct step *s,
		      const struct host_ctx *hc, char **out,
		      struct retort_error *err)
{
	bool guarded = !hc->batched && !hc->autocommit;
	struct audit_step audit;

	*out = NULL;
	if (s->kind != STEP_PLAN)
		return guarded ? guard_statement(db, out, err) : 0;
	audit_step_begin(&audit, meta_of(s), s->plan_step->direction);
	audit.started = hc->started;
	audit.started_mono = hc->started_mono;
	audit.guarded = guarded;
	return audit_record_sql(db, &audit, out, err);
}

/* The non-NULL statements of parts, joined as one script. */
static char *join_statements(const char *const *parts, size_t n)
{
	struct strbuf b = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (!parts[i])
			continue;
		if (b.len)
			strbuf_add(&b, ";\n");
		strbuf_add(&b, parts[i]);
	}
	return strbuf_finish(&b);
}

/*
 * The statements that end a step, all in its transaction: the version
 * change, the removal of the checkpoint rows (a finished backfill's, or
 * the undone one's), the audit row or guard, then COMMIT.
 */
static int closing_sql(struct db *db, const struct step *s,
		       const struct host_ctx *hc, char **out,
		       struct retort_error *err)
{
	char *change = NULL, *cleanup = NULL, *record = NULL;
	int rc = -1;

	*out = NULL;
	if (version_change_sql(db, s, &change, err) < 0 ||
	    ((hc->batched || s->kind == STEP_UNDO) &&
	     checkpoint_cleanup_sql(db, hc->revision, &cleanup, err) < 0) ||
	    record_sql(db, s, hc, &record, err) < 0)
		goto out;
	/* The lock's lease is renewed last, so it runs from this COMMIT. */
	*out = join_statements((const char *const[]){ change, cleanup, record,
						      db->fence_end, "COMMIT" },
			       5);
	if (!*out) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(record);
	free(cleanup);
	free(change);
	return rc;
}

/*
 * A rehearsal records what ends the step as the runner's statements: the
 * prelude still waiting (a revision that sent nothing), the version
 * change, the audit row, COMMIT.  Not the migration lock's fence: the
 * lock belongs to the online run, and a rehearsal takes none.
 */
static int record_closing(const struct host_ctx *hc, const char *sql)
{
	if (db_prelude_pending(hc->db) &&
	    recorder_runner_script(hc->rec, hc->db->prelude) < 0)
		return -1;
	return recorder_runner_script(hc->rec, sql);
}

/*
 * Send the step's closing statements and COMMIT, without waiting: the
 * next step (or step_confirm) confirms them.  A batched revision
 * committed its batches itself, so its closing opens a transaction of its
 * own.
 */
static int send_commit(struct db *db, const struct step *s,
		       const struct host_ctx *hc, struct retort_error *err)
{
	char *sql = NULL;
	int rc;

	if (hc->batched && db_prelude_open(db, err) < 0)
		return -1;
	if (closing_sql(db, s, hc, &sql, err) < 0)
		return -1;
	if (hc->rec && record_closing(hc, sql) < 0) {
		free(sql);
		return error_set(err, RETORT_FAILED,
				 "out of memory recording the rehearsal");
	}
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

static int call_revision(const struct plugin_code *code, const struct step *s,
			 struct host_ctx *hc, struct retort_error *err)
{
	bool up = s->plan_step->direction == PLAN_UPGRADE;
	struct retort_error measure;
	int rc;

	if (hc->rec)
		recorder_code_enter(hc->rec);
	rc = up ? code->upgrade(&hc->base) : code->downgrade(&hc->base);
	/* In a rehearsal, what the revision sent last on the raw connection
	 * is measured before the runner sends anything. */
	if (hc->rec && recorder_code_leave(hc->rec, hc->db, NULL, &measure) < 0)
		host_record(hc, &measure);

	if (rc != 0 || hc->failed) {
		revision_failure(hc, rc, up ? "upgrade" : "downgrade", err);
		return -1;
	}
	return 0;
}

static const char ended_hint[] =
	"Do not COMMIT or ROLLBACK in a revision (flag it RETORT_NO_TRANSACTION to run in autocommit); check what it left before running again.";

/* A revision that reached the server must leave its transaction open. */
static int check_transaction(const struct host_ctx *hc,
			     struct retort_error *err)
{
	if (!hc->sent)
		return 0;
	switch (db_state(hc->db)) {
	case DB_IN_TRANSACTION:
		return 0;
	case DB_IN_FAILED_TRANSACTION:
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

/* The step's guard failed: the revision committed and began again. */
static void ended_by_revision(struct retort_error *err)
{
	error_set(
		err, RETORT_FAILED,
		"the revision ended the runner's transaction itself (a COMMIT or ROLLBACK of its own)");
}

/* In the sample's transaction, which has no COMMIT to carry the guard. */
static int check_guard(struct db *db, struct retort_error *err)
{
	char *sql = NULL;
	int rc;

	if (guard_statement(db, &sql, err) < 0)
		return -1;
	rc = db_exec(db, sql, 0, NULL, err);
	free(sql);
	if (rc < 0 && db_is_step_ended(err)) {
		ended_by_revision(err);
		error_hint(err, "%s", ended_hint);
	}
	return rc;
}

/* What goes with a step's COMMIT, as its failure messages name it. */
static const char plan_closing[] = "its version-table update";
static const char undo_closing[] = "the removal of its checkpoint rows";
static const char sample_closing[] = "the sample's other steps";

static const char *closing_of(const struct step *s)
{
	switch (s->kind) {
	case STEP_UNDO:
		return undo_closing;
	case STEP_SAMPLE:
		return sample_closing;
	default:
		return plan_closing;
	}
}

/* What a failure leaves behind depends on how the revision ran. */
static void explain_failure(const struct step *s, const struct host_ctx *hc,
			    struct retort_error *err)
{
	if (hc->batched && db_state(hc->db) == DB_LOST) {
		/* backfill.c said what is known of the batches. */
		error_hint(
			err,
			"Once the server accepts connections again, run the same command: the backfill resumes from the checkpoint the database holds.");
	} else if (hc->batched) {
		error_detail(
			err,
			"the batches committed before the failure stay applied, with their checkpoint");
		error_hint(
			err, "%s",
			isolate_interrupted()
				? "Run the same command again: the backfill resumes after its last committed batch and redoes none."
				: "Fix the cause and run the upgrade again: the backfill resumes after its last committed batch.");
	} else if (hc->autocommit) {
		error_detail(
			err,
			"this revision runs outside a transaction (RETORT_NO_TRANSACTION): the statements before the failure stay applied");
		error_hint(
			err,
			"Check what the revision left (for CREATE INDEX CONCURRENTLY, an INVALID index to drop) before running it again.");
	} else if (hc->db->ended_by_revision) {
		error_detail(
			err,
			"the revision ran a COMMIT or ROLLBACK of its own: what it ran before that stays applied; the rest, and %s, were rolled back",
			closing_of(s));
		error_hint(err, "%s", ended_hint);
	} else if (s->kind == STEP_PLAN) {
		error_detail(
			err,
			"the revision and its version-table update were rolled back");
		if (isolate_interrupted())
			error_hint(
				err,
				"Run the same command again: the revisions before this one stay applied, and this one starts over.");
	}
}

/* The revision's own transaction; retort_backfill() may turn it batched. */
static int run_in_transaction(struct db *db, const struct step *s,
			      const struct plugin_code *code,
			      struct host_ctx *hc, struct retort_error *err)
{
	const struct config *cfg = hc->cfg;

	if (db_prelude_begin(db, cfg->ddl_lock_timeout, cfg->statement_timeout,
			     err) < 0 ||
	    call_revision(code, s, hc, err) < 0 ||
	    (!hc->batched && check_transaction(hc, err) < 0) ||
	    (hc->rec && !hc->batched &&
	     recorder_measure(hc->rec, db, err) < 0) ||
	    check_not_stopping(err) < 0 || send_commit(db, s, hc, err) < 0) {
		db_rollback(db);
		explain_failure(s, hc, err);
		return -1;
	}
	return 0;
}

/* An autocommit revision must not leave a transaction of its own open. */
static int check_left_idle(struct db *db, struct retort_error *err)
{
	if (db_state(db) == DB_IDLE)
		return 0;
	error_set(err, RETORT_FAILED,
		  "the revision left a transaction of its own open");
	error_detail(
		err,
		"that transaction was rolled back, not committed with the version row");
	return -1;
}

/* Outside a transaction, with the lock checked first and limits set. */
static int call_in_autocommit(struct db *db, const struct step *s,
			      const struct plugin_code *code,
			      struct host_ctx *hc, struct retort_error *err)
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
		rc = call_revision(code, s, hc, err);
	if (rc == 0)
		rc = check_left_idle(db, err);
	if (!hc->batched)
		db_reset_timeouts(db);
	if (rc < 0) {
		db_rollback(db);
		explain_failure(s, hc, err);
	}
	return rc;
}

/*
 * Autocommit: PostgreSQL refuses some statements inside a transaction
 * block, and a batched backfill commits batch by batch.  Nothing can roll
 * such a revision back, so a failure says what stays applied.
 */
static int run_autocommit(struct db *db, const struct step *s,
			  const struct plugin_code *code, struct host_ctx *hc,
			  struct retort_error *err)
{
	if (call_in_autocommit(db, s, code, hc, err) < 0)
		return -1;
	if ((!hc->batched && db_prelude_open(db, err) < 0) ||
	    send_commit(db, s, hc, err) < 0) {
		db_rollback(db);
		error_detail(err, "the revision ran but %s failed",
			     closing_of(s));
		return -1;
	}
	return 0;
}

/*
 * upgrade --sample: in the sample's open transaction, which the caller
 * rolls back; the same guards, with no COMMIT to carry the step's.
 */
static int run_in_sample(struct db *db, const struct step *s,
			 const struct plugin_code *code, struct host_ctx *hc,
			 struct retort_error *err)
{
	if (db_step_mark(db, err) < 0 || call_revision(code, s, hc, err) < 0 ||
	    check_transaction(hc, err) < 0 || check_not_stopping(err) < 0 ||
	    check_guard(db, err) < 0)
		return -1;
	return 0;
}

static int run_mode(struct db *db, const struct step *s,
		    const struct plugin_code *code, struct host_ctx *hc,
		    enum step_mode mode, struct retort_error *err)
{
	if (s->kind == STEP_SAMPLE)
		return run_in_sample(db, s, code, hc, err);
	if (mode == MODE_TRANSACTION)
		return run_in_transaction(db, s, code, hc, err);
	return run_autocommit(db, s, code, hc, err);
}

/* The COMMIT sent for a step failed: say which revision, and why. */
/*
 * A COMMIT sent for meta failed.  closing names what went with it: a
 * plan step's version-table update, an undo's removal of the checkpoint
 * rows.
 */
static int commit_failed(struct db *db, const struct revision_meta *meta,
			 const char *closing, struct retort_error *err)
{
	if (db_is_step_ended(err)) {
		db_rollback(db);
		ended_by_revision(err);
		error_prefix(err, "revision %s (%s) failed", meta->id,
			     meta->path);
		error_detail(
			err,
			"what it ran before its own COMMIT stays applied; what came after, and %s, were rolled back",
			closing);
		error_hint(err, "%s", ended_hint);
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
	error_detail(err, "the revision and %s were rolled back", closing);
	return -1;
}

int step_confirm(struct db *db, const struct revision_meta *meta,
		 struct retort_error *err)
{
	if (db_collect(db, err) == 0)
		return 0;
	return commit_failed(db, meta, plan_closing, err);
}

/* An undo is confirmed at once: the plan after it may not run. */
static int confirm_undo(struct db *db, const struct revision_meta *meta,
			struct retort_error *err)
{
	if (db_collect(db, err) == 0)
		return 0;
	return commit_failed(db, meta, undo_closing, err);
}

unsigned plugin_flags(const struct config *cfg)
{
	return cfg->unsafe_plugins ? PLUGIN_ALLOW_UNSAFE : 0;
}

/* The host context for one call, as the revision runs. */
static void context_init(struct host_ctx *hc, struct db *db,
			 const struct step *s, const struct step_opts *opts,
			 enum step_mode mode)
{
	host_ctx_init(hc, db, opts->cfg, opts->out);
	clock_gettime(CLOCK_REALTIME, &hc->started);
	clock_gettime(CLOCK_MONOTONIC, &hc->started_mono);
	hc->revision = meta_of(s)->id;
	hc->sample = s->kind == STEP_SAMPLE;
	hc->batched = mode == MODE_BATCHED;
	hc->autocommit = mode != MODE_TRANSACTION;
	host_ctx_rehearse(hc, opts->rec);
	if (hc->autocommit)
		isolate_note_step(hc->batched ? ISOLATE_BATCHED
					      : ISOLATE_AUTOCOMMIT);
}

static const enum capture_mode capture_modes[] = {
	[MODE_TRANSACTION] = CAPTURE_IN_TRANSACTION,
	[MODE_AUTOCOMMIT] = CAPTURE_AUTOCOMMIT,
	[MODE_BATCHED] = CAPTURE_BATCHED,
};

/* In a rehearsal, the step's record opens once the step before it is
 * confirmed: the locks held then are not this revision's. */
static int rehearse_begin(struct db *db, const struct step *s,
			  const struct step_opts *opts,
			  struct retort_error *err)
{
	const struct revision_meta *meta = meta_of(s);

	if (!opts->rec)
		return 0;
	opts->rec->started = recorder_now();
	return recorder_step_begin(opts->rec, db, meta->id, meta->path,
				   s->plan_step->direction == PLAN_UPGRADE,
				   capture_modes[mode_of(s)], err);
}

/* A revision that turned batched at its first retort_backfill() says so. */
static void rehearse_end(const struct step_opts *opts,
			 const struct host_ctx *hc, int rc)
{
	struct capture *c = opts->rec ? opts->rec->capture : NULL;

	if (!c || c->nsteps == 0)
		return;
	if (hc->batched && !hc->sample)
		c->steps[c->nsteps - 1].mode = CAPTURE_BATCHED;
	recorder_step_end(opts->rec, recorder_now() - opts->rec->started,
			  rc < 0);
}

/* Load the plugin, confirm the COMMIT on its way, run, unload. */
static int load_and_run(struct db *db, struct step *s,
			const struct step_opts *opts, struct retort_error *err)
{
	const struct revision_meta *meta = meta_of(s);
	char note[sizeof(err->msg)];
	struct plugin_code code;
	struct host_ctx hc;
	int rc;

	if (plugin_load(meta, plugin_flags(opts->cfg), &code, err) < 0)
		return -1;
	if (s->in_flight && step_confirm(db, s->in_flight, err) < 0) {
		plugin_unload(&code);
		return -1;
	}
	snprintf(note, sizeof(note), "revision %s (%s)", meta->id, meta->path);
	isolate_note(note);
	context_init(&hc, db, s, opts, mode_of(s));
	rc = rehearse_begin(db, s, opts, err);
	if (rc == 0)
		rc = run_mode(db, s, &code, &hc, mode_of(s), err);
	rehearse_end(opts, &hc, rc);
	isolate_note(NULL);
	plugin_unload(&code);
	s->batched = hc.batched;
	if (rc < 0)
		error_prefix(err, "revision %s (%s) failed", meta->id,
			     meta->path);
	return rc;
}

static const char skipped_in_one_transaction[] =
	"it runs outside a transaction (RETORT_NO_TRANSACTION), and this rehearsal runs everything in one transaction that is rolled back";

int step_run(struct db *db, struct step *s, const struct step_opts *opts,
	     struct retort_error *err)
{
	int rc;

	announce(s, opts->out);
	if (s->kind == STEP_SAMPLE &&
	    (meta_of(s)->flags & RETORT_NO_TRANSACTION)) {
		if (opts->out)
			fputs("  skipped: it runs outside a transaction (RETORT_NO_TRANSACTION)\n",
			      opts->out);
		return opts->rec ? recorder_step_skipped(
					   opts->rec, meta_of(s)->id,
					   meta_of(s)->path,
					   s->plan_step->direction ==
						   PLAN_UPGRADE,
					   skipped_in_one_transaction, err)
				 : 0;
	}
	rc = load_and_run(db, s, opts, err);
	if (rc == 0 && s->kind == STEP_UNDO)
		rc = confirm_undo(db, meta_of(s), err);
	if (rc < 0 && s->kind == STEP_UNDO)
		error_detail(
			err,
			"its checkpoint rows stay: the backfill is still half-done");
	return rc;
}
