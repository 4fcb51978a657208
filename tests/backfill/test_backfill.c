/*
 * Integration: batched backfills and COPY streams against a real
 * PostgreSQL, through the real binary.  Every test ends by looking at
 * what the database holds, row by row: a backfill's body here is not
 * idempotent (b = b + 1), so a batch applied twice or skipped shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define at harness_at

extern char **environ;

/* Fixed batches of n rows: -x for batch_size, min_batch and max_batch. */
#define FIXED(n)                                                               \
	"-x", "backfill.batch_size=" #n, "-x", "backfill.min_batch=" #n, "-x", \
		"backfill.max_batch=" #n

/* ---- a run we can kill ---- */

struct run {
	pid_t pid;
	const char *out, *err; /* files in the test's scratch directory */
};

static const char **run_argv(const struct harness_db *db, const char *scenario,
			     const char *const *args)
{
	static const char *argv[64];
	size_t k = 0;

	argv[k++] = getenv("RETORT_BIN");
	argv[k++] = "--url";
	argv[k++] = db->url;
	argv[k++] = "--versions";
	argv[k++] = harness_fixture(scenario);
	while (*args && k < 63)
		argv[k++] = *args++;
	argv[k] = NULL;
	return argv;
}

/* Start retort in a process group of its own, output to files. */
static struct run spawn(const struct harness_db *db, const char *scenario,
			const char *const *args)
{
	static int n;
	const char **argv = run_argv(db, scenario, args);
	struct run r;

	n++;
	r.out = harness_fmt("%s/run%d.out", harness_tmpdir(), n);
	r.err = harness_fmt("%s/run%d.err", harness_tmpdir(), n);
	fflush(NULL);
	r.pid = fork();
	ck_assert_msg(r.pid >= 0, "fork failed");
	if (r.pid == 0) {
		int out = open(r.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(r.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		setpgid(0, 0);
		dup2(out, 1);
		dup2(err, 2);
		execve(argv[0], (char *const *)argv, environ);
		_exit(127);
	}
	setpgid(r.pid, r.pid);
	return r;
}

/* The exit status, 128 + N for a signal. */
static int reap(const struct run *r)
{
	int status;

	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool exited(const struct run *r, int *code)
{
	int status;

	if (waitpid(r->pid, &status, WNOHANG) != r->pid)
		return false;
	*code = WIFEXITED(status) ? WEXITSTATUS(status)
				  : 128 + WTERMSIG(status);
	return true;
}

static const char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 16];
	size_t n;

	if (!f)
		return "";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return harness_fmt("%s", buf);
}

/* Rows the checkpoint says are done; -1 before the table exists. */
static long rows_done(const struct harness_db *db)
{
	const char *v;

	if (!harness_table_exists(db, "retort_backfill"))
		return -1;
	v = harness_scalar(db, "SELECT coalesce(sum(rows_done), 0)"
			       " FROM retort_backfill");
	return v ? atol(v) : -1;
}

/*
 * Wait until the checkpoint passes min rows (true) or the run ends
 * (false, with its exit code in *code).
 */
static bool wait_rows(const struct harness_db *db, const struct run *r,
		      long min, int *code)
{
	long deadline = harness_now_ms() + 60000;

	while (harness_now_ms() < deadline) {
		if (exited(r, code))
			return false;
		if (rows_done(db) >= min)
			return true;
		harness_sleep_ms(3);
	}
	ck_abort_msg("the backfill did not reach %ld rows in time", min);
	return false;
}

/* No retort session left on the test's database (a worker finishing). */
static void wait_sessions_gone(const struct harness_db *db)
{
	long deadline = harness_now_ms() + 20000;

	while (harness_now_ms() < deadline) {
		if (strcmp(harness_scalar(
				   db, "SELECT count(*) FROM pg_stat_activity"
				       " WHERE datname = current_database()"
				       " AND application_name = 'retort'"),
			   "0") == 0)
			return;
		harness_sleep_ms(20);
	}
	ck_abort_msg("a retort session outlived its runner");
}

/* ---- what the counter table must hold ---- */

static long counter_rows(const struct harness_db *db)
{
	return atol(harness_scalar(db, "SELECT count(*) FROM t"));
}

/*
 * Between runs: every row counted at most once, and exactly the rows up
 * to the checkpoint's last key, as many as it says.
 */
static void assert_consistent(const struct harness_db *db)
{
	const char *bad;

	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t"
					 " WHERE b NOT IN (0, 1)"),
		      "0");
	if (!harness_table_exists(db, "retort_backfill")) {
		assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t"
						 " WHERE b <> 0"),
			      "0");
		return;
	}
	bad = harness_scalar(
		db, "SELECT count(*) FROM t LEFT JOIN retort_backfill r"
		    " ON true WHERE (t.b = 1) IS DISTINCT FROM"
		    " (t.id <= coalesce(r.last_key[1]::bigint, -1))");
	assert_str_eq(bad, "0");
	assert_str_eq(
		harness_scalar(db, "SELECT (SELECT count(*) FROM t WHERE b = 1)"
				   " = coalesce((SELECT rows_done FROM"
				   " retort_backfill), 0)"),
		"t");
}

/* Done: every row counted exactly once, c derived, no checkpoint left. */
static void assert_all_counted(const struct harness_db *db)
{
	const char *wrong = harness_scalar(
		db, "SELECT string_agg(id || ':' || b, ', ') FROM (SELECT id, b"
		    " FROM t WHERE b <> 1 OR c IS DISTINCT FROM a * 2"
		    " ORDER BY id LIMIT 5) s");

	ck_assert_msg(wrong == NULL, "rows not counted exactly once: %s",
		      wrong);
	ck_assert_int_gt(counter_rows(db), 1800);
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t WHERE b = 1"
					 " AND c = a * 2"),
		      harness_fmt("%ld", counter_rows(db)));
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_str_eq(
		harness_scalar(db, "SELECT count(*) FROM retort_backfill"),
		"0");
}

static const char *const slow_counter[] = {
	"-x",	   "rows=3000", FIXED(20), "-x", "backfill.pause_ms=4",
	"upgrade", "head",	NULL
};

/* kill -9 at random batches, six times, then let it finish. */
START_TEST(test_exactly_once_across_kill9)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	long total;
	int code;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	total = counter_rows(db);
	srand((unsigned)getpid());
	for (int i = 0; i < 6; i++) {
		long done = rows_done(db) < 0 ? 0 : rows_done(db);
		long target = done + 1 + rand() % ((total - done) / 3 + 1);
		struct run r = spawn(db, "counter", slow_counter);

		if (wait_rows(db, &r, target, &code)) {
			harness_sleep_ms(rand() % 40);
			/* Odd rounds kill the runner alone: its worker stops.
			 */
			kill(i % 2 ? r.pid : -r.pid, SIGKILL);
			reap(&r);
		}
		wait_sessions_gone(db);
		assert_str_eq(harness_versions(db, NULL), "001");
		assert_consistent(db);
	}
	assert_ok(at(db, "counter", FIXED(20), "upgrade", "head", NULL));
	assert_all_counted(db);
}
END_TEST

START_TEST(test_interrupt_current_resume)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;
	struct run r;
	int code;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	r = spawn(db, "counter", slow_counter);
	ck_assert(wait_rows(db, &r, 600, &code));
	kill(-r.pid, SIGINT);
	ck_assert_int_eq(reap(&r), 130);
	assert_contains(slurp(r.err), "interrupted by SIGINT");
	assert_contains(slurp(r.err), "are done and committed");
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_consistent(db);

	res = at(db, "counter", "current", NULL);
	assert_ok(res);
	assert_starts_with(res->out, "001\n002 (in progress): backfill of t, ");
	assert_contains(res->out,
			harness_fmt(" of ~%ld rows (", counter_rows(db)));
	assert_contains(res->out, "%), last batch at ");

	res = at(db, "counter", FIXED(20), "upgrade", "head", NULL);
	assert_ok(res);
	assert_contains(res->out, "resuming backfill of t after key ");
	assert_contains(res->out, "(resumed)");
	assert_all_counted(db);
	res = at(db, "counter", "current", NULL);
	assert_str_eq(res->out, "002 (head)\n");
}
END_TEST

/*
 * The worker alone killed from outside mid-backfill (the OOM killer): the
 * runner says so, that the committed batches stay, and that the same
 * command resumes; it does, and every row is counted once.
 */
START_TEST(test_worker_killed_mid_backfill)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *err;
	pid_t worker;
	struct run r;
	int code;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	r = spawn(db, "counter", slow_counter);
	ck_assert(wait_rows(db, &r, 400, &code));
	worker = harness_child_of(r.pid);
	ck_assert_int_gt(worker, 0);
	ck_assert_int_eq(kill(worker, SIGKILL), 0);
	ck_assert_int_eq(reap(&r), 1);
	err = slurp(r.err);
	assert_contains(err, "002_counter_backfill.so) was killed by signal 9"
			     " (Killed), sent from outside retort");
	assert_contains(err, "retort: detail: the batch in flight was rolled"
			     " back; the batches committed before it stay,"
			     " each with its checkpoint");
	assert_contains(err, "retort: hint: Run the same command again: the"
			     " backfill resumes after its last committed"
			     " batch.");
	assert_not_contains(err, "Fix the revision");
	wait_sessions_gone(db);
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_consistent(db);
	ck_assert_int_gt(rows_done(db), 399);

	assert_ok(at(db, "counter", FIXED(20), "upgrade", "head", NULL));
	assert_all_counted(db);
}
END_TEST

/*
 * The server ends the backfill's connection (as a crash or a restart
 * would): the stop names what the server acknowledged without calling it
 * durable, since batches commit with synchronous_commit = off, and says
 * the next run resumes from the database's checkpoint; it does, every row
 * counted exactly once.
 */
START_TEST(test_connection_lost_mid_backfill)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *err;
	struct run r;
	int code;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	r = spawn(db, "counter", slow_counter);
	ck_assert(wait_rows(db, &r, 400, &code));
	assert_str_eq(
		harness_scalar(db, "SELECT bool_and(pg_terminate_backend(pid))"
				   " FROM pg_stat_activity WHERE datname ="
				   " current_database() AND application_name"
				   " = 'retort'"),
		"t");
	ck_assert_int_eq(reap(&r), 1);
	err = slurp(r.err);
	assert_contains(err, "backfill of t stopped: ");
	assert_contains(err, "retort: detail: the connection to the server was"
			     " lost: the server acknowledged ");
	assert_contains(err, " batches, up to key ");
	assert_contains(err, "retort: detail: batches commit with"
			     " synchronous_commit = off: if the server"
			     " crashed, the last acknowledged batches may be"
			     " lost with it");
	assert_contains(err, "the next run resumes from the checkpoint the"
			     " database holds");
	assert_contains(err, "retort: hint: Once the server accepts"
			     " connections again, run the same command");
	assert_not_contains(err, "done and committed");
	assert_not_contains(err, "stay applied");
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_consistent(db);

	assert_ok(at(db, "counter", FIXED(20), "upgrade", "head", NULL));
	assert_all_counted(db);
}
END_TEST

/* When the migration lock's lease was last renewed. */
static const char *lease_renewed(const struct harness_db *db)
{
	return harness_scalar(db, "SELECT renewed FROM retort_lock"
				  " WHERE released IS NULL");
}

/*
 * The migration lock holds for every batch as for a revision: each batch
 * renews the lease as it commits (the heartbeat, every tenth of a 30 s
 * lease, would not within the test), and once another runner holds the
 * lease the next batch fails at its BEGIN, so nothing more commits.
 */
START_TEST(test_batches_renew_and_check_the_lease)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *renewed;
	struct run r;
	long done;
	int code;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	r = spawn(db, "counter", slow_counter);
	ck_assert(wait_rows(db, &r, 200, &code));
	renewed = lease_renewed(db);
	ck_assert(wait_rows(db, &r, rows_done(db) + 100, &code));
	ck_assert_msg(strcmp(lease_renewed(db), renewed) != 0,
		      "five batches committed, the lease still renewed at %s",
		      renewed);
	/* What a runner that took the lease over writes. */
	harness_exec(db, "UPDATE retort_lock SET token = token + 1,"
			 " runner = 'retort (another)',"
			 " expires = clock_timestamp() + interval '1 min'");
	done = rows_done(db);
	ck_assert_int_eq(reap(&r), 1);
	assert_contains(slurp(r.err),
			"this runner no longer holds the migration lock: "
			"another runner took it over");
	ck_assert_int_eq(rows_done(db), done);
	ck_assert_int_lt(done, counter_rows(db));
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_consistent(db);
	assert_str_eq(harness_scalar(db, "SELECT runner FROM retort_lock"
					 " WHERE released IS NULL"),
		      "retort (another)");
}
END_TEST

/* A row locked by another session: lock timeouts, retried until free. */
START_TEST(test_retry_on_held_lock)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *args[] = { FIXED(50),
			       "-x",
			       "backfill.lock_timeout=100ms",
			       "-x",
			       "backfill.max_retries=30",
			       "upgrade",
			       "head",
			       NULL };
	const struct harness_run how = { .url = db->url,
					 .versions = "counter" };
	struct harness_proc *p;
	const struct harness_result *res;
	PGconn *other;

	assert_ok(at(db, "counter", "upgrade", "001", NULL));
	other = PQconnectdb(db->conninfo);
	PQclear(PQexec(other, "BEGIN"));
	PQclear(PQexec(other, "SELECT * FROM t WHERE id = 1500 FOR UPDATE"));
	p = harness_spawn(&how, args);
	harness_sleep_ms(1500);
	PQclear(PQexec(other, "COMMIT"));
	res = harness_wait(p);
	PQfinish(other);
	assert_ok(res);
	assert_contains(res->out,
			"lock timeout (SQLSTATE 55P03), retry 1 of 30");
	assert_all_counted(db);
}
END_TEST

/* Held for good: retries, halves down to one row, then stops, clearly. */
START_TEST(test_split_then_stop)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;
	PGconn *other;

	assert_ok(at(db, "counter", "upgrade", "001", NULL));
	other = PQconnectdb(db->conninfo);
	PQclear(PQexec(other, "BEGIN"));
	PQclear(PQexec(other, "SELECT * FROM t WHERE id = 1500 FOR UPDATE"));
	res = at(db, "counter", "-x", "backfill.batch_size=64", "-x",
		 "backfill.min_batch=1", "-x", "backfill.max_batch=64", "-x",
		 "backfill.lock_timeout=50ms", "-x", "backfill.max_retries=1",
		 "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->out, "splitting: batches of 32");
	assert_contains(res->out, "splitting: batches of 1\n");
	assert_contains(res->err, "backfill of t stopped: canceling statement"
				  " due to lock timeout");
	assert_contains(res->err, "SQLSTATE 55P03");
	assert_contains(res->err, "the batch of 1 rows after key 1499 (up to"
				  " 1500) failed ");
	assert_contains(res->err, " times, the last at the smallest batch size"
				  " (1)\n");
	assert_contains(res->err, "rows in ");
	assert_contains(res->err, "retort: hint: Fix the cause and run the"
				  " upgrade again");
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_consistent(db);
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t WHERE"
					 " (b = 1) <> (id < 1500)"),
		      "0");

	PQclear(PQexec(other, "ROLLBACK"));
	PQfinish(other);
	assert_ok(at(db, "counter", "upgrade", "head", NULL));
	assert_all_counted(db);
}
END_TEST

/*
 * The table locked for good between two batches: the next batch fails
 * before its bounds are known, so the detail has no "up to".
 */
START_TEST(test_stop_before_bounds)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const args[] = { "-x",
				     "rows=3000",
				     FIXED(20),
				     "-x",
				     "backfill.pause_ms=4",
				     "-x",
				     "backfill.lock_timeout=50ms",
				     "-x",
				     "backfill.max_retries=1",
				     "upgrade",
				     "head",
				     NULL };
	const char *err, *last;
	PGconn *other;
	struct run r;
	int code;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	r = spawn(db, "counter", args);
	ck_assert(wait_rows(db, &r, 600, &code));
	other = PQconnectdb(db->conninfo);
	PQclear(PQexec(other, "BEGIN"));
	PQclear(PQexec(other, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"));
	ck_assert_int_eq(reap(&r), 1);
	PQclear(PQexec(other, "ROLLBACK"));
	PQfinish(other);
	err = slurp(r.err);
	last = harness_scalar(db, "SELECT last_key[1] FROM retort_backfill");
	assert_contains(err, "backfill of t stopped: canceling statement due"
			     " to lock timeout");
	assert_contains(
		err, harness_fmt("the batch of 20 rows after key %s failed 2"
				 " times, the last at the smallest batch size"
				 " (20)\n",
				 last));
	assert_not_contains(err, "up to");
	assert_consistent(db);

	assert_ok(at(db, "counter", FIXED(20), "upgrade", "head", NULL));
	assert_all_counted(db);
}
END_TEST

/* Ctrl-C while a batch waits for its retry: no claim of the smallest size. */
START_TEST(test_interrupt_during_retry)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const args[] = { FIXED(50),
				     "-x",
				     "backfill.lock_timeout=50ms",
				     "-x",
				     "backfill.max_retries=30",
				     "upgrade",
				     "head",
				     NULL };
	long deadline = harness_now_ms() + 60000;
	PGconn *other;
	struct run r;

	assert_ok(at(db, "counter", "upgrade", "001", NULL));
	other = PQconnectdb(db->conninfo);
	PQclear(PQexec(other, "BEGIN"));
	PQclear(PQexec(other, "SELECT * FROM t WHERE id = 1500 FOR UPDATE"));
	r = spawn(db, "counter", args);
	while (!strstr(slurp(r.out), "retry 2 of 30") &&
	       harness_now_ms() < deadline)
		harness_sleep_ms(3);
	kill(-r.pid, SIGINT);
	ck_assert_int_eq(reap(&r), 130);
	PQclear(PQexec(other, "ROLLBACK"));
	PQfinish(other);
	assert_contains(slurp(r.out), "retry 2 of 30");
	assert_contains(slurp(r.err), "the batch of 50 rows after key ");
	assert_not_contains(slurp(r.err), "smallest batch size");
	assert_consistent(db);
}
END_TEST

/*
 * A retried lock timeout, then an error that is not retried: the detail
 * does not claim the batch reached the smallest size.
 */
START_TEST(test_stop_after_retry)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	assert_ok(at(db, "counter", "upgrade", "001", NULL));
	harness_exec(db, "CREATE SEQUENCE calls;"
			 " CREATE FUNCTION refuse() RETURNS trigger"
			 " LANGUAGE plpgsql AS $$ BEGIN"
			 " IF nextval('calls') = 1 THEN RAISE EXCEPTION 'busy'"
			 "  USING ERRCODE = 'lock_not_available'; END IF;"
			 " RAISE EXCEPTION 'row % refused', NEW.id; END $$;"
			 " CREATE TRIGGER refuse BEFORE UPDATE ON t"
			 " FOR EACH ROW EXECUTE FUNCTION refuse()");
	res = at(db, "counter", FIXED(20), "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->out,
			"lock timeout (SQLSTATE 55P03), retry 1 of 5");
	assert_contains(res->err, "backfill of t stopped: row 1 refused");
	assert_contains(res->err, "the batch of 20 rows from the start (up to"
				  " 22) failed\n");
	assert_not_contains(res->err, " times");
	assert_not_contains(res->err, "smallest batch size");
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t WHERE b <> 0"),
		      "0");
}
END_TEST

START_TEST(test_composite_keys)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;
	const char *n;
	long rows;

	res = at(db, "composite", FIXED(7), "upgrade", "head", NULL);
	assert_ok(res);
	n = harness_scalar(db, "SELECT count(*) FROM app.pairs");
	rows = atol(n);
	ck_assert_int_gt(rows, 200);
	assert_contains(res->out,
			harness_fmt("backfill app.pairs (v): %ld rows, %ld"
				    " batches",
				    rows, (rows + 6) / 7));
	assert_contains(res->out,
			harness_fmt("backfill app.pairs (w): %ld rows, %ld"
				    " batches",
				    rows, (rows + 6) / 7));
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM app.pairs"
					 " WHERE v = 1 AND w = 1"),
		      n);
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_str_eq(
		harness_scalar(db, "SELECT count(*) FROM retort_backfill"),
		"0");
}
END_TEST

START_TEST(test_empty_table)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	res = at(db, "empty", "upgrade", "head", NULL);
	assert_ok(res);
	assert_contains(res->out, "backfill e: 0 rows, 0 batches, 0 retries");
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_str_eq(
		harness_scalar(db, "SELECT count(*) FROM retort_backfill"),
		"0");
}
END_TEST

/* Gaps of a million and ten billion between keys: no empty batches. */
START_TEST(test_keys_with_gaps)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;
	long rows;

	assert_ok(at(db, "counter", "upgrade", "001", NULL));
	rows = counter_rows(db);
	res = at(db, "counter", FIXED(100), "upgrade", "head", NULL);
	assert_ok(res);
	assert_contains(res->out,
			harness_fmt("backfill t: %ld rows, %ld batches", rows,
				    (rows + 99) / 100));
	assert_all_counted(db);
}
END_TEST

/*
 * Run retort on a pseudo-terminal; returns everything it wrote.  With
 * sigint_at > 0, its process group gets SIGINT (Ctrl-C) once the bar is
 * drawn and the checkpoint counts that many rows.
 */
static const char *pty_run(const struct harness_db *db, bool no_color,
			   long sigint_at, const char *const *args, int *code)
{
	const char **argv = run_argv(db, "counter", args);
	char buf[4096];
	char *text = calloc(1, 1);
	const char *out;
	size_t len = 0;
	int master, status;
	ssize_t n;
	pid_t pid;

	fflush(NULL);
	pid = forkpty(&master, NULL, NULL, NULL);
	ck_assert_msg(pid >= 0, "forkpty failed");
	if (pid == 0) {
		setenv("TERM", "xterm", 1);
		if (no_color)
			setenv("NO_COLOR", "1", 1);
		else
			unsetenv("NO_COLOR");
		execve(argv[0], (char *const *)argv, environ);
		_exit(127);
	}
	while ((n = read(master, buf, sizeof(buf))) > 0 || errno == EINTR) {
		if (n <= 0)
			continue;
		text = realloc(text, len + (size_t)n + 1);
		memcpy(text + len, buf, (size_t)n);
		len += (size_t)n;
		text[len] = '\0';
		/* forkpty made it a session leader: kill its group */
		if (sigint_at > 0 && strstr(text, "ETA ") != NULL &&
		    rows_done(db) >= sigint_at) {
			kill(-pid, SIGINT);
			sigint_at = 0;
		}
	}
	close(master);
	waitpid(pid, &status, 0);
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	ck_assert_msg(sigint_at == 0 || sigint_at == -1,
		      "the bar was never drawn: %s", harness_oneline(text));
	out = harness_fmt("%s", text);
	free(text);
	return out;
}

static const char *on_pty(const struct harness_db *db, bool no_color,
			  const char *const *args, int *code)
{
	return pty_run(db, no_color, -1, args, code);
}

/*
 * Ctrl-C while the bar is drawn: the bar's line is ended first, so the
 * error starts a line of its own, and it says how to go on.
 */
START_TEST(test_interrupt_on_terminal)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *out, *error;
	int code;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	out = pty_run(db, true, 400, slow_counter, &code);
	ck_assert_int_eq(code, 130);
	error = strstr(out, "retort: error: interrupted by SIGINT");
	ck_assert_msg(error != NULL, "no error in: %s", harness_oneline(out));
	/* the terminal turns "\n" into "\r\n" */
	ck_assert_msg(
		error - out >= 2 && error[-1] == '\n' && error[-2] == '\r',
		"the error does not start a line: %s", harness_oneline(out));
	ck_assert_msg(strstr(error, "\r  t [") == NULL,
		      "the bar was drawn again after the error: %s",
		      harness_oneline(out));
	assert_contains(error, "are done and committed");
	assert_contains(error, "retort: hint: Run the same command again: the "
			       "backfill resumes after its last committed "
			       "batch");
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_consistent(db);
}
END_TEST

START_TEST(test_progress_on_terminal)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const args[] = { FIXED(50), "-x",	"backfill.pause_ms=10",
				     "upgrade", "head", NULL };
	const char *out;
	int code;

	assert_ok(at(db, "counter", "upgrade", "001", NULL));
	out = on_pty(db, false, args, &code);
	ck_assert_int_eq(code, 0);
	assert_contains(out, "\r  t [\033[32m#");
	assert_contains(out, "rows/s  ETA ");
	assert_contains(out, "\033[K");
	assert_contains(out, "100.0%");
	assert_contains(
		out, harness_fmt("backfill t: %ld rows, ", counter_rows(db)));
	assert_all_counted(db);

	assert_ok(at(db, "counter", "downgrade", "001", NULL));
	out = on_pty(db, true, args, &code);
	ck_assert_int_eq(code, 0);
	assert_contains(out, "\r  t [#");
	assert_not_contains(out, "\033[32m");
	assert_contains(out, "ETA ");
	assert_all_counted(db);
}
END_TEST

START_TEST(test_progress_in_a_log)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;
	long rows;

	assert_ok(at(db, "counter", "upgrade", "001", NULL));
	rows = counter_rows(db);
	res = at(db, "counter", "upgrade", "head", NULL);
	assert_ok(res);
	assert_not_contains(res->out, "\r");
	assert_not_contains(res->out, "\033");
	assert_contains(res->out,
			harness_fmt("Running upgrade 001 -> 002, count every"
				    " row once\n  t: 0 of ~%ld rows done,"
				    " starting\n",
				    rows));
	assert_contains(res->out,
			harness_fmt("  backfill t: %ld rows, ", rows));
	assert_contains(res->out, " retries, 0 splits, ");

	assert_ok(at(db, "counter", "downgrade", "001", NULL));
	res = at(db, "counter", "-q", "upgrade", "head", NULL);
	assert_ok(res);
	assert_str_eq(res->out, "");
	assert_all_counted(db);
}
END_TEST

START_TEST(test_implied_batched)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	res = at(db, "implied", "upgrade", "002", NULL);
	assert_ok(res);
	assert_contains(res->out, "backfill t: 500 rows, ");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t WHERE b = 1"),
		      "500");
	assert_str_eq(harness_versions(db, NULL), "002");

	res = at(db, "implied", "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, "retort_backfill() cannot run inside the"
				  " revision's transaction");
	assert_contains(res->err, "003");
	assert_contains(res->err, "hint: Call retort_backfill() before any"
				  " other statement");
	ck_assert(!harness_table_exists(db, "late"));
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t WHERE d <> 0"),
		      "0");
	assert_str_eq(harness_versions(db, NULL), "002");
}
END_TEST

START_TEST(test_sample)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	res = at(db, "counter", "upgrade", "--sample", "head", NULL);
	assert_ok(res);
	assert_contains(res->out, "Running upgrade 001 -> 002, count every"
				  " row once\n  sample of t: 1000 rows, keys 1"
				  " .. 1111, ");
	assert_contains(res->out, " ms (rolled back)\n    Update on t ");
	assert_contains(res->out, "actual time=");
	assert_contains(res->out, "  projected: ~");
	assert_contains(res->out, " rows left in ~");
	assert_contains(res->out, "Sample done: everything was rolled back");
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t WHERE b <> 0"),
		      "0");
	ck_assert(!harness_table_exists(db, "retort_backfill"));
}
END_TEST

START_TEST(test_downgrade_half_done)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;
	struct run r;
	int code;

	assert_ok(at(db, "counter", "-x", "rows=3000", "upgrade", "001", NULL));
	r = spawn(db, "counter", slow_counter);
	ck_assert(wait_rows(db, &r, 300, &code));
	kill(-r.pid, SIGTERM);
	ck_assert_int_eq(reap(&r), 143);
	ck_assert_int_gt(rows_done(db), 299);

	res = at(db, "counter", "downgrade", "001", NULL);
	assert_ok(res);
	assert_str_eq(res->out, "Running downgrade 002 -> 001, count every"
				" row once (half-done backfill)\n");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM t WHERE b <> 0"),
		      "0");
	assert_str_eq(
		harness_scalar(db, "SELECT count(*) FROM retort_backfill"),
		"0");
	assert_str_eq(harness_versions(db, NULL), "001");
	res = at(db, "counter", "current", NULL);
	assert_str_eq(res->out, "001\n");

	/* And from scratch again, every row once. */
	assert_ok(at(db, "counter", "upgrade", "head", NULL));
	assert_all_counted(db);
}
END_TEST

/* ---- the undo and --sample run revisions under the runner's guards ---- */

/* How "guarded"'s 002 ends the transaction it runs in, and the words. */
static const struct {
	const char *up, *down, *said;
} ending[] = {
	{ "up=commit", "down=commit",
	  "failed: the revision ended the runner's transaction itself\n" },
	{ "up=commit_begin", "down=commit_begin",
	  "failed: the revision ended the runner's transaction itself"
	  " (a COMMIT or ROLLBACK of its own)\n" },
};

/* 002 half-done: its backfill committed every batch, then it failed. */
static void half_done(const struct harness_db *db)
{
	const struct harness_result *res;

	assert_ok(at(db, "guarded", "upgrade", "001", NULL));
	res = at(db, "guarded", "-x", "fail=1", "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, "failing after the backfill, as asked");
}

/* Still as half_done() left it: counted, checkpoint kept, at 001. */
static void assert_still_half_done(const struct harness_db *db)
{
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM g WHERE b = 1"),
		      "400");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM retort_backfill"
					 " WHERE revision = '002'"),
		      "1");
	assert_str_eq(harness_versions(db, NULL), "001");
}

/* 002 applied in full, for the plain downgrade to compare with. */
static const struct harness_db *applied(const char *test)
{
	const struct harness_db *db = harness_db_fresh(test);

	assert_ok(at(db, "guarded", "upgrade", "head", NULL));
	return db;
}

/*
 * The undo of a half-done backfill runs downgrade() as a downgrade does:
 * a downgrade() that ends the runner's transaction (0: COMMIT; 1: COMMIT
 * then BEGIN, which the step's guard catches) is refused with the same
 * words and exit status, and the backfill stays half-done.
 */
START_TEST(test_undo_ends_transaction)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	half_done(db);
	res = at(db, "guarded", "-x", ending[_i].down, "downgrade", "001",
		 NULL);
	assert_exit(res, 1);
	assert_contains(res->out, "Running downgrade 002 -> 001, count every"
				  " guarded row (half-done backfill)\n");
	assert_contains(res->err, ending[_i].said);
	assert_contains(res->err, "its checkpoint rows stay");
	/* An undo has no version-table update to speak of. */
	ck_assert_ptr_null(strstr(res->err, "version-table update"));
	if (_i == 1)
		assert_contains(
			res->err,
			"the removal of its checkpoint rows, were rolled back");
	assert_still_half_done(db);

	res = at(applied(harness_fmt("%s_plain", __func__)), "guarded", "-x",
		 ending[_i].down, "downgrade", "001", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, ending[_i].said);
}
END_TEST

/* A stop request while the undo's downgrade() runs: nothing committed. */
START_TEST(test_undo_stop_before_commit)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	half_done(db);
	res = at(db, "guarded", "-x", "down=stop", "downgrade", "001", NULL);
	assert_exit(res, 143);
	assert_contains(res->err, "interrupted by SIGTERM: revision 002 (");
	assert_contains(res->err, "failed: canceled before COMMIT\n");
	assert_still_half_done(db);

	res = at(applied(harness_fmt("%s_plain", __func__)), "guarded", "-x",
		 "down=stop", "downgrade", "001", NULL);
	assert_exit(res, 143);
	assert_contains(res->err, "failed: canceled before COMMIT\n");
}
END_TEST

/* Nothing sampled stays: at 001, every row as 001 made it. */
static void assert_sample_left_nothing(const struct harness_db *db)
{
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM g WHERE b = 0"),
		      "400");
	assert_str_eq(harness_versions(db, NULL), "001");
	ck_assert(!harness_table_exists(db, "retort_backfill"));
}

/*
 * upgrade --sample runs upgrade() as an upgrade does: one that ends the
 * transaction it runs in is refused with the same words and status.
 */
START_TEST(test_sample_ends_transaction)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	assert_ok(at(db, "guarded", "upgrade", "001", NULL));
	res = at(db, "guarded", "-x", ending[_i].up, "upgrade", "--sample",
		 "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, ending[_i].said);
	assert_contains(res->err, "--sample rolled everything back");
	assert_not_contains(res->out, "Sample done");
	assert_sample_left_nothing(db);

	res = at(db, "guarded", "-x", ending[_i].up, "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, ending[_i].said);
	assert_sample_left_nothing(db);
}
END_TEST

/* A stop request while a sampled revision runs stops the sample. */
START_TEST(test_sample_stop)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	assert_ok(at(db, "guarded", "upgrade", "001", NULL));
	res = at(db, "guarded", "-x", "up=stop", "upgrade", "--sample", "head",
		 NULL);
	assert_exit(res, 143);
	assert_contains(res->err, "interrupted by SIGTERM: revision 002 (");
	assert_contains(res->err, "failed: canceled before COMMIT\n");
	assert_not_contains(res->out, "Sample done");
	assert_sample_left_nothing(db);
}
END_TEST

/* retort.ini sets, -x overrides; bad values name the knob. */
START_TEST(test_knobs)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;
	long rows;

	assert_ok(at(db, "counter", "upgrade", "001", NULL));
	rows = counter_rows(db);
	harness_write_file("retort.ini", "[retort]\nbackfill_batch_size = 300\n"
					 "backfill_min_batch = 300\n"
					 "backfill_max_batch = 300\n");
	res = at(db, "counter", "-x", "backfill.pause_ms=soon", "upgrade",
		 "head", NULL);
	assert_exit(res, 2);
	assert_contains(res->err, "-x: backfill knob pause_ms = \"soon\" is"
				  " not a whole number from 0 to 3600000");
	assert_str_eq(harness_versions(db, NULL), "001");

	res = at(db, "counter", "upgrade", "head", NULL);
	assert_ok(res);
	assert_contains(res->out, harness_fmt("%ld rows, %ld batches", rows,
					      (rows + 299) / 300));
	assert_ok(at(db, "counter", "downgrade", "001", NULL));
	res = at(db, "counter", FIXED(500), "-x",
		 "backfill.max_replication_lag_ms=1000", "upgrade", "head",
		 NULL);
	assert_ok(res);
	assert_contains(res->out, harness_fmt("%ld rows, %ld batches", rows,
					      (rows + 499) / 500));
	assert_all_counted(db);

	assert_ok(at(db, "counter", "downgrade", "001", NULL));
	harness_write_file("retort.ini",
			   "[retort]\nbackfill_lock_timeout = forever\n");
	res = at(db, "counter", "upgrade", "head", NULL);
	assert_exit(res, 2);
	assert_contains(res->err, "retort.ini: backfill knob lock_timeout ="
				  " \"forever\" is not a duration");
}
END_TEST

/*
 * A bad -x backfill.* is refused before the first revision of the run
 * (exit 2, nothing applied), not when the backfill at its end starts.
 */
START_TEST(test_bad_knob_refused_before_anything_runs)
{
	static const char *const bad[][2] = {
		{ "backfill.pause_ms=abc",
		  "-x: backfill knob pause_ms = \"abc\" is not a whole number from 0 to 3600000" },
		{ "backfill.batch_size=-5",
		  "-x: backfill knob batch_size = \"-5\" is not a whole number from 1 to 10000000" },
		{ "backfill.statement_timeout=10 years",
		  "-x: backfill knob statement_timeout = \"10 years\" is not a duration" },
		{ "backfill.pause=50",
		  "-x: unknown backfill knob \"backfill.pause\"" },
	};
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		res = at(db, "counter", "-x", bad[i][0], "upgrade", "head",
			 NULL);
		assert_exit(res, 2);
		assert_contains(res->err, bad[i][1]);
		assert_str_eq(res->out, "");
		ck_assert_msg(!harness_table_exists(db, "t"),
			      "001 ran before %s was refused", bad[i][0]);
		ck_assert(harness_versions(db, NULL) == NULL ||
			  strcmp(harness_versions(db, NULL), "") == 0);
	}
	assert_contains(res->err, "retort: detail: the backfill knobs are"
				  " batch_size, min_batch, max_batch,");
	/* Downgrades are refused alike; a good knob runs. */
	assert_ok(at(db, "counter", "-x", "rows=100", "-x",
		     "backfill.pause_ms=1", "upgrade", "head", NULL));
	res = at(db, "counter", "-x", "backfill.max_retries=lots", "downgrade",
		 "base", NULL);
	assert_exit(res, 2);
	assert_str_eq(harness_versions(db, NULL), "002");
}
END_TEST

START_TEST(test_copy_streams)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	res = at(db, "copy", "upgrade", "002", NULL);
	assert_ok(res);
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM src_text"
					 " WHERE s = 's-' || n"),
		      "50000");
	assert_str_eq(harness_scalar(db, "SELECT count(DISTINCT n)"
					 " FROM src_text"),
		      "50000");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM bin_dst"
					 " WHERE x = n::int8 * n"),
		      "50000");
	assert_str_eq(harness_scalar(db, "SELECT max(n) FROM bin_dst"),
		      "50000");
	assert_str_eq(harness_scalar(db, "SELECT total FROM sums"),
		      "625025000");
}
END_TEST

START_TEST(test_copy_errors)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *res;

	assert_ok(at(db, "copy", "-x", "copy_rows=10", "upgrade", "002", NULL));
	res = at(db, "copy", "-x", "copy_fail=data", "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, "003");
	assert_contains(res->err, "invalid input syntax for type integer");
	assert_contains(res->err, "SQLSTATE 22P02");
	assert_contains(res->err, "COPY src_text, line 2");

	res = at(db, "copy", "-x", "copy_fail=source", "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, "the revision's COPY source failed");

	res = at(db, "copy", "-x", "copy_fail=sink", "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, "the revision's COPY sink refused a row");

	res = at(db, "copy", "-x", "copy_fail=other", "upgrade", "head", NULL);
	assert_exit(res, 1);
	assert_contains(res->err, "the statement is not a COPY ... FROM STDIN");

	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM src_text"),
		      "10");
	assert_str_eq(harness_versions(db, NULL), "002");
}
END_TEST

static Suite *backfill_suite(void)
{
	Suite *s = suite_create("backfill");
	TCase *tc = harness_tcase("batches");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_exactly_once_across_kill9);
	tcase_add_test(tc, test_interrupt_current_resume);
	tcase_add_test(tc, test_worker_killed_mid_backfill);
	tcase_add_test(tc, test_connection_lost_mid_backfill);
	tcase_add_test(tc, test_retry_on_held_lock);
	tcase_add_test(tc, test_split_then_stop);
	tcase_add_test(tc, test_stop_before_bounds);
	tcase_add_test(tc, test_interrupt_during_retry);
	tcase_add_test(tc, test_stop_after_retry);
	tcase_add_test(tc, test_composite_keys);
	tcase_add_test(tc, test_empty_table);
	tcase_add_test(tc, test_keys_with_gaps);
	tcase_add_test(tc, test_implied_batched);
	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_downgrade_half_done);
	tcase_add_test(tc, test_knobs);
	tcase_add_test(tc, test_bad_knob_refused_before_anything_runs);
	suite_add_tcase(s, tc);

	tc = harness_tcase("lease");
	tcase_add_test(tc, test_batches_renew_and_check_the_lease);
	suite_add_tcase(s, tc);

	tc = harness_tcase("guards");
	tcase_add_loop_test(tc, test_undo_ends_transaction, 0, 2);
	tcase_add_test(tc, test_undo_stop_before_commit);
	tcase_add_loop_test(tc, test_sample_ends_transaction, 0, 2);
	tcase_add_test(tc, test_sample_stop);
	suite_add_tcase(s, tc);

	tc = harness_tcase("progress");
	tcase_add_test(tc, test_progress_on_terminal);
	tcase_add_test(tc, test_interrupt_on_terminal);
	tcase_add_test(tc, test_progress_in_a_log);
	suite_add_tcase(s, tc);

	tc = harness_tcase("copy");
	tcase_add_test(tc, test_copy_streams);
	tcase_add_test(tc, test_copy_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(backfill_suite(), HARNESS_NEEDS_DB);
}
