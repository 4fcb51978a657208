/*
 * The migration lock behind PgBouncer in transaction pooling mode, where
 * consecutive transactions of one client may run on different server
 * connections and a server connection outlives its client: runners
 * started together through the pooler must all succeed with every
 * revision applied once, a runner killed while it holds the lock must not
 * keep others out for longer than a bound, and nothing may stay held
 * after a run (a direct runner gets the lock at once).
 *
 * A lock that lives in a server session (a session advisory lock) fails
 * these: it lands on whichever pooled server connection ran the
 * statement and stays there after the runner has gone.
 *
 * Environment, besides the harness's (RETORT_BIN, RETORT_TEST_DATABASE_URL
 * for the direct connection):
 *   RETORT_TEST_POOLER_URL  a postgresql:// URL of PgBouncer in
 *                           transaction pooling mode in front of the same
 *                           server (scripts/dev-db pgbouncer start); its
 *                           database is replaced by each test's.  Without
 *                           it the suite skips, or fails when
 *                           RETORT_REQUIRE_DB=1.
 *   CHAOS_REVISIONS         the chaos revisions c001 ... c200
 *   RETORT_TEST_LEASE_WAIT  seconds a runner may wait for the lock of a
 *                           runner killed with SIGKILL (default 15)
 *   RETORT_TEST_LEASE_ARGS  options for the pooled runners of the 4-runner
 *                           and kill tests, space-separated (a short lease
 *                           duration); default --lock-lease 3s, so that
 *                           a killed runner's lease expires within the wait
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* The class of the advisory lock retort 0.1 took, as pg_locks shows it:
 * none may be left behind. */
#define RETORT_LOCK_CLASS "1380275282"
#define DEFAULT_LEASE_WAIT 15

extern char **environ;

/*
 * RETORT_TEST_POOLER_URL with its database replaced by dbname (main()
 * has checked it is a URL).  No assertion: main() calls it too, outside
 * any test.
 */
static const char *pooled_url(const char *dbname)
{
	const char *base = getenv("RETORT_TEST_POOLER_URL");
	const char *host = strstr(base, "://");
	const char *end, *query;

	query = strchr(host + 3, '?');
	end = strchr(host + 3, '/');
	if (end == NULL || (query != NULL && end > query))
		end = query ? query : base + strlen(base);
	return harness_fmt("%.*s/%s%s", (int)(end - base), base, dbname,
			   query ? query : "");
}

static int lease_wait_s(void)
{
	const char *v = getenv("RETORT_TEST_LEASE_WAIT");

	return v && atoi(v) > 0 ? atoi(v) : DEFAULT_LEASE_WAIT;
}

/* ---- what the database holds ---- */

/*
 * At c<n> exactly: the version row, tables t_1 ... t_n and no other,
 * chaos_log with one row per revision.  Says what differs.
 */
static void assert_at(const struct harness_db *db, int n)
{
	const char *want = n ? harness_fmt("c%03d", n) : "";
	const char *v = harness_versions(db, NULL);

	ck_assert_msg(v != NULL && strcmp(v, want) == 0,
		      "the version table holds \"%s\", expected \"%s\"",
		      v ? v : "(no table)", want);
	/* "t_1 ... t_n / all t_N": a half-applied revision shows. */
	assert_str_eq(
		harness_scalar(db,
			       harness_fmt("SELECT count(*) FILTER (WHERE"
					   " substr(relname, 3)::int <= %d)"
					   " || '/' || count(*) FROM pg_class"
					   " WHERE relkind = 'r' AND relname ~"
					   " '^t_[0-9]+$' AND relnamespace ="
					   " 'public'::regnamespace",
					   n)),
		harness_fmt("%d/%d", n, n));
	if (n == 0)
		return;
	/* One log row per revision: none ran twice, none is lost. */
	assert_str_eq(harness_scalar(db, "SELECT count(*) || ' rows, ' ||"
					 " count(DISTINCT rev) || ' revisions'"
					 " FROM chaos_log"),
		      harness_fmt("%d rows, %d revisions", n, n));
}

/*
 * Between c<from> and head, with no revision half-applied: the tables
 * and chaos_log agree with the version row.  Returns the revision count.
 */
static int assert_consistent(const struct harness_db *db, int from)
{
	const char *v = harness_versions(db, NULL);
	int n = v && v[0] == 'c' ? atoi(v + 1) : 0;

	ck_assert_msg(n >= from,
		      "the version table holds \"%s\": c%03d, committed"
		      " before, is lost",
		      v ? v : "(no table)", from);
	if (n == 0) {
		ck_assert_msg(!harness_table_exists(db, "t_1"),
			      "at base but t_1 exists: c001 is half-applied");
		return 0;
	}
	assert_at(db, n);
	return n;
}

/*
 * Nothing of the migration lock is left held: no advisory lock of the
 * runner's class on the database, no server session idle in a
 * transaction (as a lock taken in one and never ended would leave).
 */
static void assert_nothing_held(const struct harness_db *db)
{
	const char *held = harness_scalar(
		db,
		"SELECT string_agg('pid ' || l.pid || ' (' ||"
		" coalesce(a.state, '?') || ', last: ' ||"
		" left(coalesce(a.query, ''), 60) || ')', '; ')"
		" FROM pg_locks l LEFT JOIN pg_stat_activity a USING (pid)"
		" WHERE l.locktype = 'advisory' AND l.classid = " RETORT_LOCK_CLASS
		"::bigint::oid AND l.database ="
		" (SELECT oid FROM pg_database"
		"  WHERE datname = current_database())");
	const char *idle = harness_scalar(
		db, "SELECT string_agg('pid ' || pid || ': ' ||"
		    " left(query, 60), '; ') FROM pg_stat_activity"
		    " WHERE datname = current_database()"
		    " AND state LIKE 'idle in transaction%'");

	ck_assert_msg(held == NULL,
		      "the migration lock is still held after the run, by"
		      " server sessions: %s",
		      held);
	ck_assert_msg(idle == NULL,
		      "server sessions idle in a transaction after the run:"
		      " %s",
		      idle);
}

/*
 * A direct runner (not through the pooler) with --lock-timeout 2s: it gets
 * the lock at once, as nothing holds it.
 */
static void assert_direct_run_gets_lock(const struct harness_db *db,
					const char *target)
{
	const struct harness_run how = { .url = db->url,
					 .versions =
						 getenv("CHAOS_REVISIONS") };
	long start = harness_now_ms();
	const struct harness_result *r = harness_retort(
		&how, "-q", "--lock-timeout", "2s", "upgrade", target, NULL);

	assert_exit(r, 0);
	ck_assert_msg(harness_now_ms() - start < 10000,
		      "the direct upgrade took %ld ms",
		      harness_now_ms() - start);
	r = harness_retort(&how, "--lock-timeout", "2s", "stamp", target, NULL);
	assert_exit(r, 0);
}

/* ---- runners through the pooler ---- */

/* Quiet on the server: no session of the database running a statement. */
static void wait_statements_done(const struct harness_db *db)
{
	long deadline = harness_now_ms() + 20000;

	while (harness_now_ms() < deadline) {
		if (strcmp(harness_scalar(
				   db, "SELECT count(*) FROM pg_stat_activity"
				       " WHERE datname = current_database()"
				       " AND pid <> pg_backend_pid()"
				       " AND state <> 'idle'"),
			   "0") == 0)
			return;
		harness_sleep_ms(50);
	}
	ck_abort_msg("a server session of the killed runner still works"
		     " after 20 s");
}

/* The start of a file the test wrote, for a failure message. */
static const char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return "";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return harness_oneline(buf);
}

/* A runner killed with SIGKILL: started in a process group of its own. */
struct run {
	pid_t pid;
	const char *err;
};

/* argv: the runner, the pooled URL, the revisions, RETORT_TEST_LEASE_ARGS,
 * then args. */
static const char **runner_argv(const struct harness_db *db,
				const char *const *args)
{
	static const char *argv[64];
	char *extra = (char *)harness_fmt(
		"%s", getenv("RETORT_TEST_LEASE_ARGS")
			      ? getenv("RETORT_TEST_LEASE_ARGS")
			      : "--lock-lease 3s");
	size_t k = 0;

	argv[k++] = getenv("RETORT_BIN");
	argv[k++] = "--url";
	argv[k++] = pooled_url(db->name);
	argv[k++] = "--versions";
	argv[k++] = getenv("CHAOS_REVISIONS");
	for (char *w = strtok(extra, " "); w && k < 40; w = strtok(NULL, " "))
		argv[k++] = w;
	while (*args && k < 63)
		argv[k++] = *args++;
	argv[k] = NULL;
	return argv;
}

/* A runner through the pooler, its stderr in the file NAME.err. */
static struct run spawn_group(const struct harness_db *db, const char *name,
			      const char *const *args)
{
	const char **argv = runner_argv(db, args);
	struct run r;

	r.err = harness_fmt("%s/%s.err", harness_tmpdir(), name);
	fflush(NULL);
	r.pid = fork();
	ck_assert_msg(r.pid >= 0, "fork failed");
	if (r.pid == 0) {
		int fd = open(r.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		dup2(null, 0);
		dup2(null, 1);
		dup2(fd, 2);
		execve(argv[0], (char *const *)argv, environ);
		_exit(127);
	}
	setpgid(r.pid, r.pid);
	return r;
}

/*
 * The run's exit status (128 + N for signal N), or -1 when it has not
 * ended by the deadline: then its process group is killed.  A runner
 * stuck on a lock must not hold the suite up for the harness's minute.
 */
static int finish_by(const struct run *r, long deadline)
{
	int status;
	pid_t got;

	while ((got = waitpid(r->pid, &status, WNOHANG)) == 0 &&
	       harness_now_ms() < deadline)
		harness_sleep_ms(20);
	if (got == 0) {
		kill(-r->pid, SIGKILL);
		while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* "exit N" or "still running after S s (killed)", and stderr's start. */
static const char *describe(const struct run *r, int code, int seconds)
{
	return harness_fmt("%s, stderr \"%s\"",
			   code < 0 ? harness_fmt("still running after %d s"
						  " (killed)",
						  seconds)
				    : harness_fmt("exit %d", code),
			   slurp(r->err));
}

/*
 * n runners through the pooler, started together: all must exit 0
 * within 30 s.
 */
static void run_together(const struct harness_db *db, int n,
			 const char *const *args)
{
	struct run runs[8];
	const char *report = "";
	bool all_ok = true;
	long deadline;

	ck_assert_int_le(n, 8);
	for (int i = 0; i < n; i++)
		runs[i] = spawn_group(db, harness_fmt("runner%d", i + 1), args);
	deadline = harness_now_ms() + 30000;
	for (int i = 0; i < n; i++) {
		int code = finish_by(&runs[i], deadline);

		if (code != 0)
			all_ok = false;
		report = harness_fmt("%s | runner %d: %s", report, i + 1,
				     describe(&runs[i], code, 30));
	}
	ck_assert_msg(all_ok, "%d runners through the pooler: not all exit 0%s",
		      n, report);
}

/* Wait until the run has committed c<n> (true), or ended (false). */
static bool wait_version(const struct harness_db *db, const struct run *r,
			 int n)
{
	const char *want = harness_fmt("c%03d", n);
	long deadline = harness_now_ms() + 30000;
	int status;

	while (harness_now_ms() < deadline) {
		const char *v;

		if (waitpid(r->pid, &status, WNOHANG) == r->pid)
			return false;
		v = harness_versions(db, NULL);
		if (v && strcmp(v, want) >= 0)
			return true;
		harness_sleep_ms(20);
	}
	ck_abort_msg("the runner did not reach %s in 30 s", want);
	return false;
}

/* ---- the tests ---- */

/* 4 runners through the pooler: all exit 0, each revision once. */
START_TEST(test_four_runners)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const args[] = { "-q",	"-x",	"chaos_sleep=0.01",
				     "upgrade", "c030", NULL };

	run_together(db, 4, args);
	assert_at(db, 30);
	assert_nothing_held(db);
}
END_TEST

/*
 * After a run through the pooler nothing stays held: no lock on a pooled
 * server connection, and a direct runner gets the lock at once.
 */
START_TEST(test_nothing_left_held)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_run how = {
		.url = pooled_url(db->name),
		.versions = getenv("CHAOS_REVISIONS"),
	};

	assert_exit(harness_retort(&how, "-q", "upgrade", "c005", NULL), 0);
	assert_at(db, 5);
	assert_nothing_held(db);
	assert_direct_run_gets_lock(db, "c010");
	assert_at(db, 10);
}
END_TEST

/*
 * SIGKILL to a runner while it holds the lock, inside a slow revision: the
 * revision is not half-applied, what it committed stays, and a runner
 * through the pooler completes the run within RETORT_TEST_LEASE_WAIT,
 * each revision applied once; afterwards nothing stays held.
 */
START_TEST(test_kill9_holder)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const slow[] = { "-q",	"-x",	"chaos_sleep=0.4",
				     "upgrade", "c008", NULL };
	const char *const rest[] = {
		"-q",	   "--lock-timeout", harness_fmt("%ds", lease_wait_s()),
		"upgrade", "c008",	     NULL
	};
	struct run killed = spawn_group(db, "killed", slow), next;
	int status, n, code;
	long start;

	/* Inside c003's sleep: c002 is committed, c003 half-way. */
	ck_assert_msg(wait_version(db, &killed, 2),
		      "the slow runner ended before c002: %s",
		      slurp(killed.err));
	harness_sleep_ms(150);
	kill(-killed.pid, SIGKILL);
	while (waitpid(killed.pid, &status, 0) < 0 && errno == EINTR)
		;
	wait_statements_done(db);
	n = assert_consistent(db, 2);
	ck_assert_msg(n < 8, "the killed runner finished first (at c%03d)", n);

	start = harness_now_ms();
	next = spawn_group(db, "next", rest);
	code = finish_by(&next, start + (lease_wait_s() + 5) * 1000L);
	ck_assert_msg(code == 0,
		      "the next runner through the pooler: %s (it may wait"
		      " RETORT_TEST_LEASE_WAIT=%d s and 5 s more)",
		      describe(&next, code, lease_wait_s() + 5),
		      lease_wait_s());
	assert_at(db, 8);
	assert_nothing_held(db);
	assert_direct_run_gets_lock(db, "c010");
}
END_TEST

static Suite *pooler_suite(void)
{
	Suite *s = suite_create("pooler");
	TCase *tc = harness_tcase("transaction_pooling");

	tcase_set_timeout(tc, 60 + 2 * lease_wait_s());
	tcase_add_test(tc, test_four_runners);
	tcase_add_test(tc, test_nothing_left_held);
	tcase_add_test(tc, test_kill9_holder);
	suite_add_tcase(s, tc);
	return s;
}

/* The pooler pools by transaction: else these tests prove nothing. */
static int check_pool_mode(void)
{
	PGconn *c = PQconnectdb(pooled_url("pgbouncer"));
	PGresult *res = NULL;
	int ok = 1;

	if (PQstatus(c) == CONNECTION_OK)
		res = PQexec(c, "SHOW CONFIG");
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(res); i++)
			if (strcmp(PQgetvalue(res, i, 0), "pool_mode") == 0 &&
			    strcmp(PQgetvalue(res, i, 1), "transaction") != 0) {
				printf("Bail out! RETORT_TEST_POOLER_URL pools"
				       " by %s, not by transaction\n",
				       PQgetvalue(res, i, 1));
				ok = 0;
			}
	} else {
		printf("# cannot read the pooler's pool_mode (SHOW CONFIG on"
		       " its admin console): assuming transaction\n");
	}
	PQclear(res);
	PQfinish(c);
	return ok;
}

int main(void)
{
	const char *pooler = getenv("RETORT_TEST_POOLER_URL");
	const char *required = getenv("RETORT_REQUIRE_DB");

	if (pooler == NULL || pooler[0] == '\0') {
		if (required && strcmp(required, "1") == 0) {
			printf("Bail out! RETORT_REQUIRE_DB=1 but"
			       " RETORT_TEST_POOLER_URL is not set"
			       " (scripts/dev-db pgbouncer start prints it)\n");
			return 1;
		}
		printf("1..0 # SKIP no RETORT_TEST_POOLER_URL\n");
		return 0;
	}
	if (strstr(pooler, "://") == NULL) {
		printf("Bail out! RETORT_TEST_POOLER_URL is not a postgresql://"
		       " URL\n");
		return 1;
	}
	if (!check_pool_mode())
		return 1;
	return harness_main(pooler_suite(), HARNESS_NEEDS_DB);
}
