/*
 * backfill.c - batched backfills for data migrations, and the host side
 * of the COPY helpers.
 *
 * retort_backfill() walks a table in key order, one transaction per batch:
 * BEGIN with the batch's SET LOCAL timeouts, one keyset query for the
 * batch's first and last key (never OFFSET), the revision's body over
 * that range, the checkpoint row advanced, COMMIT.  Data and checkpoint
 * commit together, so a crash anywhere leaves them agreeing and the next
 * run resumes after the last committed batch: each batch is applied
 * exactly once without the body having to be idempotent.  Lock timeouts,
 * deadlocks and serialization failures roll the batch back and retry it
 * with back-off, then in halves, then stop.  Its statements and
 * transactions go through the database layer (store/db.h); the connection
 * itself is handed only to a batch function and the COPY helpers.  Prints
 * only progress, to the run's output.
 */
#include "data/backfill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "data/backfill_job.h"
#include "data/checkpoint.h"
#include "data/copy.h"
#include "exec/context.h"
#include "proc/isolate.h"

#define BACKOFF_BASE_MS 100
#define BACKOFF_MAX_MS 5000
#define LAG_POLL_MS 1000

/* One batch: the keys the bounds query found, and what it cost. */
struct batch {
	long size;		/* keys asked for */
	long long count;	/* keys found */
	struct db_rows *bounds; /* count, first key, last key */
	const char **keys;	/* first key (nkeys), then last key (nkeys) */
	long long changed;	/* rows the body reported */
	double ms;
};

static void batch_release(struct batch *b)
{
	db_rows_free(b->bounds);
	free(b->keys);
	b->bounds = NULL;
	b->keys = NULL;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Sleep, but wake for SIGINT/SIGTERM. */
static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR &&
	       !isolate_interrupted())
		;
}

/* The connection a batch function is handed: revision code's own use. */
static PGconn *conn_of(const struct backfill_job *j)
{
	return j->hc->db->conn;
}

/* A key as the bounds query returned it; NULL, as libpq reads it, is "". */
static const char *key_text(const struct db_rows *rows, int col)
{
	const char *v = db_value(rows, 0, col);

	return v ? v : "";
}

/* ---- one batch ---- */

/* The next keys after the checkpoint: 0 found means the walk is over. */
static int find_bounds(struct backfill_job *j, struct batch *b,
		       struct retort_error *err)
{
	int n = j->nkeys, nparams = 0;
	const char *params[2 * 32 + 1];
	char limit[32];

	if (n > 32)
		return error_set(err, RETORT_FAILED,
				 "a backfill key has at most 32 columns");
	for (int i = 0; j->ck.last && i < n; i++)
		params[nparams++] = j->ck.last[i];
	snprintf(limit, sizeof(limit), "%ld", b->size);
	params[nparams++] = limit;
	b->bounds = db_query(j->hc->db, j->ck.last ? j->next_sql : j->first_sql,
			     nparams, params, err);
	if (!b->bounds)
		return -1;
	if (db_nrows(b->bounds) == 0)
		return 0;
	b->count = atoll(key_text(b->bounds, 0));
	if (b->count == 0)
		return 0;
	b->keys = calloc(2 * (size_t)n, sizeof(*b->keys));
	if (!b->keys)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (int i = 0; i < 2 * n; i++)
		b->keys[i] = key_text(b->bounds, 1 + i);
	return 0;
}

static int body_sql(struct backfill_job *j, struct batch *b,
		    struct retort_error *err)
{
	struct host_ctx *hc = j->hc;
	struct db_rows *res;
	double t0 = 0;
	long idx = 0;

	if (hc->rec)
		idx = host_rec_begin(hc, CAPTURE_BACKFILL, j->spec.sql,
				     2 * j->nkeys, b->keys, &t0);
	res = db_query(hc->db, j->spec.sql, 2 * j->nkeys, b->keys, err);
	if (hc->rec && host_rec_end(hc, idx, t0, res != NULL) < 0) {
		db_rows_free(res);
		*err = hc->error;
		return -1;
	}
	if (!res)
		return -1;
	b->changed = (long long)db_affected(res);
	db_rows_free(res);
	return 0;
}

static int body_fn(struct backfill_job *j, struct batch *b,
		   struct retort_error *err)
{
	long long rows = 0;
	int rc;

	/* The batch function is revision code: a rehearsal taps it. */
	if (j->hc->rec)
		recorder_code_enter(j->hc->rec);
	rc = j->spec.fn(j->spec.arg, conn_of(j), b->keys, b->keys + j->nkeys,
			j->nkeys, &rows);
	if (j->hc->rec && recorder_code_leave(j->hc->rec, j->hc->db,
					      j->hc->rec->caller, err) < 0)
		return -1;
	b->changed = rows;
	switch (db_state(j->hc->db)) {
	case DB_IN_TRANSACTION:
		break;
	case DB_IN_FAILED_TRANSACTION:
		return db_error_from_result(err, conn_of(j), NULL);
	default:
		error_set(err, RETORT_FAILED,
			  "the batch function ended the batch's transaction");
		error_hint(err, "Leave BEGIN and COMMIT to the runner.");
		return -1;
	}
	if (rc == 0)
		return 0;
	return error_set(err, RETORT_FAILED, "the batch function returned %d",
			 rc);
}

/* The checkpoint's step for a batch (or for the end of the walk). */
static void step_of(const struct backfill_job *j, const struct batch *b,
		    struct checkpoint_step *s)
{
	bool last = b->count < b->size;

	*s = (struct checkpoint_step){
		.last = b->count ? b->keys + j->nkeys
				 : (const char *const *)j->ck.last,
		.n = b->count ? j->nkeys : j->ck.nlast,
		.rows = b->count,
		.changed = b->changed,
		.done = last,
	};
	s->estimate =
		last ? j->ck.rows_done + b->count : backfill_job_estimate(j);
}

/*
 * BEGIN; SET LOCAL ...; bounds; body; checkpoint; COMMIT.  On failure the
 * caller rolls back; the checkpoint in memory moves only after COMMIT.
 * A batch holds the lock's row while it runs, so the heartbeat cannot
 * renew the lease then: each batch renews it with its COMMIT (db_commit).
 */
static int run_batch(struct backfill_job *j, struct batch *b,
		     struct retort_error *err)
{
	double start = now_ms();
	struct checkpoint_step s;

	if (backfill_job_begin(j, err) < 0 || find_bounds(j, b, err) < 0)
		return -1;
	if (b->count > 0 &&
	    (j->spec.sql ? body_sql(j, b, err) : body_fn(j, b, err)) < 0)
		return -1;
	step_of(j, b, &s);
	if (checkpoint_advance(j->hc->db, j->hc->revision, j->name, &j->ck, &s,
			       err) < 0 ||
	    db_commit(j->hc->db, err) < 0)
		return -1;
	b->ms = now_ms() - start;
	return checkpoint_apply(&j->ck, &s, err);
}

/* ---- retries ---- */

/* Lock timeout, deadlock, serialization failure: worth another try. */
static bool retryable(const struct retort_error *e)
{
	return strcmp(e->sqlstate, "55P03") == 0 ||
	       strcmp(e->sqlstate, "40P01") == 0 ||
	       strcmp(e->sqlstate, "40001") == 0;
}

/* A statement timeout (not a Ctrl-C): the batch is too big, split it. */
static bool too_slow(const struct retort_error *e)
{
	return strcmp(e->sqlstate, "57014") == 0 && !isolate_interrupted();
}

/* 100 ms, 200 ms, 400 ms ... up to 5 s, each with +-50% jitter. */
static long backoff_ms(int attempt)
{
	long base = BACKOFF_BASE_MS << (attempt < 6 ? attempt : 6);

	if (base > BACKOFF_MAX_MS)
		base = BACKOFF_MAX_MS;
	return base / 2 + (long)(rand() % (int)(base + 1));
}

static const char *why_retry(const struct retort_error *e)
{
	if (strcmp(e->sqlstate, "55P03") == 0)
		return "lock timeout";
	if (strcmp(e->sqlstate, "40P01") == 0)
		return "deadlock";
	if (strcmp(e->sqlstate, "40001") == 0)
		return "serialization failure";
	return "statement timeout";
}

/*
 * "after key 7 (up to 9)", "from the start (up to 9)", or without the
 * "up to" when the batch failed before its bounds were known.
 */
static void batch_range(const struct backfill_job *j, const struct batch *b,
			char *buf, size_t size)
{
	char key[200];
	size_t used;

	if (j->ck.last) {
		backfill_job_format_key(j, (const char *const *)j->ck.last, key,
					sizeof(key));
		used = (size_t)snprintf(buf, size, "after key %s", key);
	} else {
		used = (size_t)snprintf(buf, size, "from the start");
	}
	if (!b->keys || used >= size)
		return;
	backfill_job_format_key(j, b->keys + j->nkeys, key, sizeof(key));
	snprintf(buf + used, size - used, " (up to %s)", key);
}

/*
 * The connection is gone, perhaps with the server.  Batches commit with
 * synchronous_commit = off, so a commit the server acknowledged may not
 * have reached its disk, and a crash loses the last ones; whether the
 * batch in flight committed is not known either.  What holds is that each
 * batch's checkpoint row commits in the batch's own transaction: the next
 * run resumes from the checkpoint the database holds, consistent with its
 * data.
 */
static int connection_lost(const struct backfill_job *j,
			   struct retort_error *err)
{
	char last[200];

	backfill_job_format_key(j, (const char *const *)j->ck.last, last,
				sizeof(last));
	error_detail(
		err,
		"the connection to the server was lost: the server acknowledged %lld rows in %lld batches, up to key %s",
		j->ck.rows_done, j->ck.batches, last);
	error_detail(
		err,
		"batches commit with synchronous_commit = off: if the server crashed, the last acknowledged batches may be lost with it, and the batch in flight may or may not have committed");
	error_detail(
		err,
		"each batch's checkpoint row commits in the batch's own transaction, so the next run resumes from the checkpoint the database holds and applies no batch twice");
	return -1;
}

/*
 * The facts of a batch that stopped the backfill, and how to go on.  A
 * retryable failure stops the run only once the batch is at the smallest
 * size (next_attempt); an interrupt or any other error stops it at once.
 */
static int stopped(struct backfill_job *j, const struct batch *b, int attempts,
		   struct retort_error *err)
{
	bool smallest =
		(retryable(err) || too_slow(err)) && !isolate_interrupted();
	char range[440];

	batch_range(j, b, range, sizeof(range));
	error_prefix(err, "backfill of %s stopped", j->label);
	if (smallest && attempts > 1)
		error_detail(
			err,
			"the batch of %ld rows %s failed %d times, the last at the smallest batch size (%ld)",
			b->size, range, attempts, j->k.min_batch);
	else if (smallest)
		error_detail(
			err,
			"the batch of %ld rows %s failed at the smallest batch size (%ld)",
			b->size, range, j->k.min_batch);
	else
		error_detail(err, "the batch of %ld rows %s failed", b->size,
			     range);
	if (db_state(j->hc->db) == DB_LOST)
		return connection_lost(j, err);
	error_detail(
		err,
		"%lld rows in %lld batches are done and committed with their checkpoint; nothing of the failed batch was kept",
		j->ck.rows_done, j->ck.batches);
	return -1;
}

struct attempt {
	long size;
	int tries; /* at this size */
	int total; /* in all */
};

/*
 * After a failed batch: wait and try again, or halve it, or give up
 * (-1).  err holds the failure.
 */
static int next_attempt(struct backfill_job *j, struct attempt *a,
			const struct retort_error *err)
{
	bool split_now = too_slow(err);

	if (!(retryable(err) || split_now) || isolate_interrupted())
		return -1;
	j->retries++;
	if (!split_now && a->tries < j->k.max_retries) {
		long wait = backoff_ms(a->tries);

		progress_note(&j->prog,
			      "%s (SQLSTATE %s), retry %d of %ld in %ld ms",
			      why_retry(err), err->sqlstate, a->tries + 1,
			      j->k.max_retries, wait);
		a->tries++;
		sleep_ms(wait);
		return isolate_interrupted() ? -1 : 0;
	}
	if (a->size <= j->k.min_batch)
		return -1;
	a->size = a->size / 2 > j->k.min_batch ? a->size / 2 : j->k.min_batch;
	a->tries = 0;
	j->splits++;
	progress_note(&j->prog, "%s (SQLSTATE %s), splitting: batches of %ld",
		      why_retry(err), err->sqlstate, a->size);
	return 0;
}

/* One batch to its commit, retried and split as it needs. */
static int batch_with_retries(struct backfill_job *j, long *size,
			      struct batch *out, struct retort_error *err)
{
	struct attempt a = { .size = *size };

	for (;;) {
		struct batch b = { .size = a.size };

		a.total++;
		if (run_batch(j, &b, err) == 0) {
			*out = b;
			*size = a.size;
			return 0;
		}
		db_rollback(j->hc->db);
		if (next_attempt(j, &a, err) < 0) {
			stopped(j, &b, a.total, err);
			batch_release(&b);
			return -1;
		}
		batch_release(&b);
	}
}

/* ---- pacing ---- */

/* The next batch's size: aim at target_ms, at most doubling or halving. */
static long adapt(const struct backfill_job *j, long size, double ms)
{
	double f = ms > 0 ? (double)j->k.target_ms / ms : 2.0;
	long next;

	f = f > 2.0 ? 2.0 : f < 0.5 ? 0.5 : f;
	next = (long)((double)size * f);
	if (next < j->k.min_batch)
		next = j->k.min_batch;
	if (next > j->k.max_batch)
		next = j->k.max_batch;
	return next;
}

static int replication_lag(struct backfill_job *j, long *lag_ms,
			   struct retort_error *err)
{
	struct db_rows *res = db_query(
		j->hc->db,
		"SELECT coalesce(max(extract(epoch FROM greatest(write_lag,"
		" flush_lag, replay_lag)) * 1000), 0)::bigint"
		" FROM pg_stat_replication",
		0, NULL, err);

	if (!res)
		return -1;
	*lag_ms = atol(db_value(res, 0, 0));
	db_rows_free(res);
	return 0;
}

/* While a standby lags more than the limit, wait. */
static int throttle(struct backfill_job *j, struct retort_error *err)
{
	bool said = false;
	long lag = 0;

	if (j->k.max_lag_ms <= 0)
		return 0;
	while (!isolate_interrupted()) {
		if (replication_lag(j, &lag, err) < 0) {
			error_prefix(err, "cannot read pg_stat_replication");
			return -1;
		}
		if (lag <= j->k.max_lag_ms)
			return 0;
		if (!said)
			progress_note(
				&j->prog,
				"waiting: replication lag %ld ms is above %ld ms",
				lag, j->k.max_lag_ms);
		said = true;
		sleep_ms(LAG_POLL_MS);
		j->waited_ms += LAG_POLL_MS;
	}
	return 0;
}

static int interrupted(struct backfill_job *j, struct retort_error *err)
{
	char last[200];

	backfill_job_format_key(j, (const char *const *)j->ck.last, last,
				sizeof(last));
	error_set(err, RETORT_FAILED, "backfill of %s canceled", j->label);
	error_detail(
		err,
		"%lld rows in %lld batches are done and committed, up to key %s",
		j->ck.rows_done, j->ck.batches, last);
	return -1;
}

/* ---- the walk ---- */

static void summary(struct backfill_job *j)
{
	char took[32];

	progress_format_duration(progress_elapsed(&j->prog), took,
				 sizeof(took));
	progress_update(&j->prog, j->ck.rows_done, j->ck.rows_done);
	progress_end(
		&j->prog,
		"backfill %s: %lld rows, %lld batches, %lld retries, %lld splits, %s%s",
		j->label, j->run_rows, j->run_batches, j->retries, j->splits,
		took, j->prog.base > 0 ? " (resumed)" : "");
}

static int walk(struct backfill_job *j, struct retort_error *err)
{
	long size = j->k.batch_size;

	while (!j->ck.done) {
		struct batch b = { 0 };

		if (isolate_interrupted())
			return interrupted(j, err);
		if (throttle(j, err) < 0 ||
		    batch_with_retries(j, &size, &b, err) < 0)
			return -1;
		if (b.count > 0) {
			j->run_batches++;
			j->run_rows += b.count;
		}
		if (b.count == b.size)
			size = adapt(j, size, b.ms);
		batch_release(&b);
		progress_update(&j->prog, j->ck.rows_done,
				backfill_job_estimate(j));
		if (!j->ck.done && j->k.pause_ms > 0) {
			sleep_ms(j->k.pause_ms);
			j->waited_ms += (double)j->k.pause_ms;
		}
	}
	summary(j);
	return 0;
}

static void announce_resume(struct backfill_job *j)
{
	char last[200];

	if (j->ck.batches == 0)
		return;
	backfill_job_format_key(j, (const char *const *)j->ck.last, last,
				sizeof(last));
	progress_note(
		&j->prog,
		"resuming backfill of %s after key %s: %lld rows in %lld batches already done",
		j->label, last, j->ck.rows_done, j->ck.batches);
}

/* A resumed checkpoint's key must have the job's columns. */
static int check_key_shape(struct backfill_job *j, struct retort_error *err)
{
	if (!j->ck.last || j->ck.nlast == j->nkeys)
		return 0;
	error_set(
		err, RETORT_FAILED,
		"the checkpoint of backfill %s has a %d-column key, the job a %d-column one",
		j->label, j->ck.nlast, j->nkeys);
	error_hint(
		err,
		"The revision changed its key since the backfill started: restore it, or downgrade the half-done revision and start again.");
	return -1;
}

/* The walk, with the bar's line ended when it stops short. */
static int walk_job(struct backfill_job *j, struct retort_error *err)
{
	int rc = walk(j, err);

	if (rc < 0)
		progress_stop(&j->prog);
	return rc;
}

static int run_job(struct backfill_job *j, struct retort_error *err)
{
	struct db *db = j->hc->db;

	if (checkpoint_ensure(db, err) < 0 ||
	    checkpoint_open(db, j->hc->revision, j->name, j->spec.table,
			    j->planner_rows, true, &j->ck, err) < 0)
		return -1;
	if (check_key_shape(j, err) < 0)
		return -1;
	if (j->ck.done) {
		if (j->hc->out)
			fprintf(j->hc->out,
				"  backfill of %s: already done (%lld rows)\n",
				j->label, j->ck.rows_done);
		return 0;
	}
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	progress_start(&j->prog, j->hc->out, j->label, j->ck.rows_done,
		       backfill_job_estimate(j));
	announce_resume(j);
	return walk_job(j, err);
}

/* ---- upgrade --sample ---- */

static int sample_timeouts(struct backfill_job *j, struct retort_error *err)
{
	const char *params[] = { j->k.lock_timeout, j->k.statement_timeout };

	return db_exec(j->hc->db,
		       "SELECT set_config('lock_timeout', $1, true),"
		       " set_config('statement_timeout', $2, true)",
		       2, params, err);
}

/* EXPLAIN (ANALYZE, BUFFERS) of the body for the batch's keys. */
static int sample_explain(struct backfill_job *j, struct batch *b,
			  struct db_rows **plan, struct retort_error *err)
{
	struct strbuf sql = STRBUF_INIT;
	char *text;

	strbuf_addf(&sql, "EXPLAIN (ANALYZE, BUFFERS) %s", j->spec.sql);
	text = strbuf_finish(&sql);
	if (!text)
		return error_set(err, RETORT_FAILED, "out of memory");
	*plan = db_query(j->hc->db, text, 2 * j->nkeys, b->keys, err);
	free(text);
	return *plan ? 0 : -1;
}

static void sample_print(struct backfill_job *j, const struct batch *b,
			 const struct db_rows *plan)
{
	FILE *out = j->hc->out;
	long long left = backfill_job_estimate(j) - j->ck.rows_done;
	double per_row = b->count ? b->ms / (double)b->count : 0;
	double total_ms = per_row * (double)left;
	long long batches = (left + b->size - 1) / b->size;
	char first[200], last[200], took[32];

	if (!out)
		return;
	backfill_job_format_key(j, b->keys, first, sizeof(first));
	backfill_job_format_key(j, b->keys + j->nkeys, last, sizeof(last));
	fprintf(out,
		"  sample of %s: %lld rows, keys %s .. %s, %.1f ms (rolled back)\n",
		j->label, b->count, first, last, b->ms);
	for (size_t i = 0; plan && i < db_nrows(plan); i++)
		fprintf(out, "    %s\n", db_value(plan, i, 0));
	total_ms += (double)batches * (double)j->k.pause_ms;
	progress_format_duration(total_ms / 1000.0, took, sizeof(took));
	fprintf(out,
		"  projected: ~%lld rows left in ~%lld batches of %ld: ~%s (%.0f rows/s",
		left, batches, b->size, took,
		per_row > 0 ? 1000.0 / per_row : 0.0);
	if (j->k.pause_ms > 0)
		fprintf(out, ", with %ld ms pauses", j->k.pause_ms);
	fputs(")\n", out);
	fflush(out);
}

/* One batch of the body, timed, with its plan; the caller rolls back. */
static int sample_batch(struct backfill_job *j, struct retort_error *err)
{
	struct batch b = { .size = j->k.batch_size };
	struct db_rows *plan = NULL;
	double start;
	int rc = -1;

	if (sample_timeouts(j, err) < 0 || find_bounds(j, &b, err) < 0)
		goto out;
	if (b.count == 0) {
		if (j->hc->out)
			fprintf(j->hc->out, "  sample of %s: no rows to do\n",
				j->label);
		rc = 0;
		goto out;
	}
	start = now_ms();
	rc = j->spec.sql ? sample_explain(j, &b, &plan, err)
			 : body_fn(j, &b, err);
	b.ms = now_ms() - start;
	if (rc == 0)
		sample_print(j, &b, plan);
out:
	db_rows_free(plan);
	batch_release(&b);
	return rc;
}

/*
 * upgrade --sample runs the whole plan in one transaction that is rolled
 * back at the end; a backfill adds a savepoint around its one batch.
 */
static int sample_job(struct backfill_job *j, struct retort_error *err)
{
	bool exists = false, own = false;
	int rc;

	if (db_state(j->hc->db) == DB_IDLE) {
		if (db_begin(j->hc->db, err) < 0)
			return -1;
		own = true;
	}
	rc = checkpoint_exists(j->hc->db, &exists, err);
	if (rc == 0 && exists)
		rc = checkpoint_open(j->hc->db, j->hc->revision, j->name,
				     j->spec.table, 0, false, &j->ck, err);
	if (rc == 0)
		rc = check_key_shape(j, err);
	if (rc == 0)
		rc = db_exec(j->hc->db, "SAVEPOINT retort_sample", 0, NULL,
			     err);
	if (rc == 0 && !j->ck.done)
		rc = sample_batch(j, err);
	if (rc == 0)
		rc = db_exec(j->hc->db, "ROLLBACK TO SAVEPOINT retort_sample",
			     0, NULL, err);
	if (rc == 0)
		rc = db_exec(j->hc->db, "RELEASE SAVEPOINT retort_sample", 0,
			     NULL, err);
	if (own)
		db_rollback(j->hc->db);
	return rc;
}

/* ---- the host's entries ---- */

/*
 * A backfill commits batch by batch, so it cannot share the revision's
 * transaction: a revision that is not flagged RETORT_BATCHED becomes
 * batched here, if nothing of it has reached the server yet.
 */
static int enter_batched(struct host_ctx *hc, struct retort_error *err)
{
	if (!hc->batched && hc->sent) {
		error_set(
			err, RETORT_FAILED,
			"retort_backfill() cannot run inside the revision's transaction");
		error_detail(
			err,
			"the revision ran statements before it, in the transaction the batches would have to commit");
		error_hint(
			err,
			"Call retort_backfill() before any other statement in upgrade(), or move the schema change into a revision of its own (expand, backfill, contract).");
		return -1;
	}
	if (!hc->batched)
		db_discard_prelude(hc->db);
	hc->batched = true;
	isolate_note_step(ISOLATE_BATCHED);
	if (db_collect(hc->db, err) < 0)
		return -1;
	if (db_state(hc->db) != DB_IDLE)
		return error_set(
			err, RETORT_FAILED,
			"retort_backfill() was called inside an open transaction");
	return 0;
}

/* A sample runs in the plan's one transaction; batched tells it a
 * backfill was sampled. */
static int enter_sample(struct host_ctx *hc, struct retort_error *err)
{
	hc->batched = true;
	if (host_rec_prelude(hc, err) < 0)
		return -1;
	return db_flush(hc->db, err);
}

/*
 * A rehearsal shows the job once, as each batch would run it: its SQL
 * with the batch's keys as $1..$n, or a line saying a C function runs.
 * The shadow's tables are empty, so no batch may run there.
 */
static long record_job(struct host_ctx *hc,
		       const struct retort_backfill_job *spec, double *t0)
{
	char line[256];

	if (spec->sql)
		return host_rec_begin(hc, CAPTURE_BACKFILL, spec->sql, 0, NULL,
				      t0);
	snprintf(line, sizeof(line),
		 "-- backfill of %s: a C batch function runs for each batch",
		 spec->table ? spec->table : "(no table)");
	return host_rec_begin(hc, CAPTURE_BACKFILL, line, 0, NULL, t0);
}

static int backfill_enter(struct host_ctx *hc,
			  const struct retort_backfill_job *spec,
			  struct retort_error *err)
{
	if (!spec)
		return error_set(err, RETORT_FAILED,
				 "retort_backfill() was given no job");
	if (hc->sample)
		return enter_sample(hc, err);
	return enter_batched(hc, err);
}

int backfill_host_run(retort_ctx *ctx, const struct retort_backfill_job *spec)
{
	struct host_ctx *hc = host_of(ctx);
	struct backfill_job j = { 0 };
	struct retort_error err;
	double t0 = 0;
	long idx = 0;
	int rc;

	if (hc->failed)
		return -1;
	error_clear(&err);
	rc = backfill_enter(hc, spec, &err);
	if (rc == 0 && hc->rec) {
		hc->rec->autocommit = !hc->sample;
		idx = record_job(hc, spec, &t0);
	}
	if (rc == 0)
		rc = backfill_job_init(&j, hc, spec, &err);
	if (rc == 0)
		rc = hc->sample ? sample_job(&j, &err) : run_job(&j, &err);
	backfill_job_release(&j);
	if (rc < 0)
		host_record(hc, &err);
	if (hc->rec && spec && host_rec_end(hc, idx, t0, rc == 0) < 0)
		rc = -1;
	return rc < 0 ? -1 : 0;
}

static int copy_start(struct host_ctx *hc, const char *copy_sql, bool has_fn,
		      struct retort_error *err)
{
	if (!copy_sql || !has_fn)
		return error_set(
			err, RETORT_FAILED,
			"a COPY helper was called without its statement or callback");
	if (isolate_interrupted())
		return error_set(err, RETORT_FAILED,
				 "canceled before the statement ran");
	hc->sent = true;
	if (host_rec_prelude(hc, err) < 0)
		return -1;
	return db_flush(hc->db, err);
}

/* A COPY, recorded in a rehearsal with where the revision called it. */
static int copy_run(struct host_ctx *hc, enum capture_origin origin,
		    const char *copy_sql, retort_copy_source *source,
		    retort_copy_sink *sink, void *arg)
{
	struct retort_error err;
	double t0 = 0;
	long idx = 0;
	int rc;

	if (hc->failed)
		return -1;
	if (copy_start(hc, copy_sql, source || sink, &err) < 0) {
		host_record(hc, &err);
		return -1;
	}
	if (hc->rec)
		idx = host_rec_begin(hc, origin, copy_sql, 0, NULL, &t0);
	rc = source ? copy_in(hc->db->conn, copy_sql, source, arg, &err)
		    : copy_out(hc->db->conn, copy_sql, sink, arg, &err);
	if (rc < 0)
		host_record(hc, &err);
	if (hc->rec && host_rec_end(hc, idx, t0, rc == 0) < 0)
		rc = -1;
	if (hc->rec && rc == 0 && sink)
		hc->rec->after_read = true;
	return rc < 0 ? -1 : 0;
}

int backfill_host_copy_in(retort_ctx *ctx, const char *copy_sql,
			  retort_copy_source *source, void *arg)
{
	return copy_run(host_of(ctx), CAPTURE_COPY_IN, copy_sql, source, NULL,
			arg);
}

int backfill_host_copy_out(retort_ctx *ctx, const char *copy_sql,
			   retort_copy_sink *sink, void *arg)
{
	return copy_run(host_of(ctx), CAPTURE_COPY_OUT, copy_sql, NULL, sink,
			arg);
}
