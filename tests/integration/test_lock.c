/*
 * Integration: the migration lock, a lease row in retort_lock.  Runners
 * that overlap take turns and say for whom they wait; a lock is given
 * back after every run; a killed runner's lease expires and the next
 * runner takes it over; a runner whose lease was taken over cannot commit
 * again; the heartbeat keeps a lease alive through a long statement that
 * runs outside a transaction.
 */
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *const no_env[] = { NULL };

/* Wait until table exists, then until sql returns want. */
static void wait_in(const struct harness_db *db, const char *table,
		    const char *sql, const char *want)
{
	harness_wait_for(
		db, harness_fmt("SELECT to_regclass('%s') IS NOT NULL", table),
		"t");
	harness_wait_for(db, sql, want);
}

/* Wait until a session of this test's database runs pg_sleep(). */
static void wait_sleeping(const struct harness_db *db)
{
	harness_wait_for(db,
			 "SELECT count(*) FROM pg_stat_activity"
			 " WHERE datname = current_database()"
			 " AND query LIKE '%pg_sleep%' AND state = 'active'"
			 " AND pid <> pg_backend_pid()",
			 "1");
}

#define HELD "SELECT count(*) FROM retort_lock WHERE released IS NULL"

static struct harness_proc *spawn(const struct harness_db *db,
				  const char *const *args)
{
	const struct harness_run how = { .url = db->url,
					 .versions = "leased",
					 .env = no_env };

	return harness_spawn(&how, args);
}

static const struct harness_result *run(const struct harness_db *db,
					const char *const *args)
{
	return harness_wait(spawn(db, args));
}

/* Every lease given back, no advisory lock or open transaction left. */
static void assert_nothing_held(const struct harness_db *db)
{
	assert_str_eq(harness_scalar(db, HELD), "0");
	assert_str_eq(harness_scalar(db,
				     "SELECT count(*) FROM pg_locks l"
				     " JOIN pg_database d ON d.oid = l.database"
				     " WHERE l.locktype = 'advisory'"
				     " AND d.datname = current_database()"),
		      "0");
	assert_str_eq(harness_scalar(db,
				     "SELECT count(*) FROM pg_stat_activity"
				     " WHERE datname = current_database()"
				     " AND state LIKE 'idle in transaction%'"),
		      "0");
}

START_TEST(test_lock_given_back_after_runs)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const up[] = { "upgrade", "head", NULL };
	const char *const bad[] = { "-x", "tx_sleep=soon", "upgrade", "head",
				    NULL };
	const char *const down[] = { "downgrade", "base", NULL };
	const char *const stamp[] = { "--lock-timeout", "1s", "stamp", "002",
				      NULL };
	const struct harness_result *r;

	r = run(db, bad);
	assert_exit(r, 1);
	assert_nothing_held(db);
	assert_str_eq(harness_versions(db, NULL), "");

	r = run(db, up);
	assert_ok(r);
	assert_nothing_held(db);
	assert_str_eq(harness_scalar(db, "SELECT token FROM retort_lock"), "2");

	r = run(db, stamp);
	assert_ok(r);
	assert_str_eq(harness_versions(db, NULL), "002");
	r = run(db, down);
	assert_ok(r);
	assert_nothing_held(db);
	assert_str_eq(harness_versions(db, NULL), "");
}
END_TEST

/* The second runner waits, names the first, then runs what is left. */
START_TEST(test_waiter_names_holder)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const first[] = { "-x", "tx_sleep=2", "upgrade", "001",
				      NULL };
	const char *const second[] = { "upgrade", "head", NULL };
	struct harness_proc *a = spawn(db, first);
	const struct harness_result *ra, *rb;

	wait_sleeping(db);
	rb = run(db, second);
	ra = harness_wait(a);
	assert_ok(ra);
	assert_exit(rb, 0);
	assert_contains(rb->err, "retort: waiting for the migration lock on "
				 "\"alembic_version\", held by retort ");
	assert_contains(rb->err,
			harness_fmt(" pid %d on ", (int)harness_proc_pid(a)));
	assert_contains(rb->err, "its lease expires at");
	assert_str_eq(rb->out, "Running upgrade 001 -> 002, leased autocommit\n"
			       "Running upgrade 002 -> 003, leased compute\n");
	assert_str_eq(harness_versions(db, NULL), "003");
	assert_str_eq(harness_scalar(db, "SELECT string_agg(n::text, ',' "
					 "ORDER BY n) FROM leased"),
		      "1,2,3");
	assert_nothing_held(db);
}
END_TEST

START_TEST(test_lock_timeout)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const first[] = { "-x", "tx_sleep=3", "upgrade", "head",
				      NULL };
	const char *const second[] = { "--lock-timeout", "500ms", "upgrade",
				       "head", NULL };
	const char *const stamp[] = { "--lock-timeout", "300ms", "stamp",
				      "base", NULL };
	struct harness_proc *a = spawn(db, first);
	const struct harness_result *r;

	wait_in(db, "retort_lock", HELD, "1");
	r = run(db, second);
	assert_exit(r, 1);
	assert_contains(r->err,
			"retort: error: timed out after 500ms waiting for the "
			"migration lock on \"alembic_version\"");
	assert_contains(r->err, "retort: detail: held by retort ");
	assert_str_eq(r->out, "");
	r = run(db, stamp);
	assert_exit(r, 1);
	assert_contains(r->err, "timed out after 300ms");
	assert_ok(harness_wait(a));
	assert_str_eq(harness_versions(db, NULL), "003");
	assert_nothing_held(db);
}
END_TEST

/* kill -9 of the whole runner: its lease expires and is taken over. */
START_TEST(test_killed_runner_lease_expires)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const first[] = {
		"--lock-lease", "2s",	"-x", "c_sleep=60",
		"upgrade",	"head", NULL
	};
	const char *const second[] = { "--lock-timeout", "30s", "upgrade",
				       "head", NULL };
	struct harness_proc *a = spawn(db, first);
	const struct harness_result *r;

	wait_in(db, "alembic_version",
		"SELECT count(*) FROM alembic_version"
		" WHERE version_num = '002'",
		"1");
	kill(-harness_proc_pid(a), SIGKILL);
	ck_assert_int_eq(harness_wait(a)->signal, SIGKILL);
	assert_str_eq(harness_scalar(db, HELD), "1");

	r = run(db, second);
	assert_exit(r, 0);
	assert_contains(r->err, "retort: waiting for the migration lock");
	assert_contains(
		r->err,
		"retort: took the migration lock on \"alembic_version\" over "
		"from retort ");
	assert_contains(r->err, "whose lease expired at");
	assert_str_eq(r->out, "Running upgrade 002 -> 003, leased compute\n");
	assert_str_eq(harness_scalar(db, "SELECT string_agg(n::text, ',' "
					 "ORDER BY n) FROM leased"),
		      "1,2,3");
	assert_nothing_held(db);
}
END_TEST

/* kill -9 of the runner alone: its worker stops and gives the lock back. */
START_TEST(test_killed_parent_gives_lock_back)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const first[] = { "-x", "c_sleep=60", "upgrade", "head",
				      NULL };
	struct harness_proc *a = spawn(db, first);

	wait_in(db, "alembic_version",
		"SELECT count(*) FROM alembic_version"
		" WHERE version_num = '002'",
		"1");
	kill(harness_proc_pid(a), SIGKILL);
	ck_assert_int_eq(harness_wait(a)->signal, SIGKILL);
	harness_wait_for(db, HELD, "0");
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_nothing_held(db);
}
END_TEST

/* A revision that crashes its worker (abort(), which sanitizer builds
 * deliver as a signal too): the runner gives the lock back. */
START_TEST(test_crashed_worker_gives_lock_back)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_run how = { .url = db->url,
					 .versions = "crash",
					 .env = no_env };
	const char *const crash[] = { "-x", "fault=abort", "upgrade", "head",
				      NULL };
	const char *const rerun[] = { "--lock-timeout", "1s", "upgrade", "head",
				      NULL };
	const struct harness_result *r;

	r = harness_wait(harness_spawn(&how, crash));
	assert_exit(r, 1);
	assert_contains(r->err, "crashed: signal 6");
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_nothing_held(db);
	r = harness_wait(harness_spawn(&how, rerun));
	assert_ok(r);
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

/* The fence: once another runner holds the lease, nothing more commits. */
START_TEST(test_taken_over_runner_cannot_commit)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const first[] = { "-x", "c_sleep=3", "upgrade", "head",
				      NULL };
	struct harness_proc *a = spawn(db, first);
	const struct harness_result *r;

	wait_in(db, "alembic_version",
		"SELECT count(*) FROM alembic_version"
		" WHERE version_num = '002'",
		"1");
	/* What a runner that took the lease over writes. */
	harness_exec(db, "UPDATE retort_lock SET token = token + 1,"
			 " runner = 'retort (another)',"
			 " expires = clock_timestamp() + interval '1 min'");
	r = harness_wait(a);
	assert_exit(r, 1);
	assert_contains(r->err, "revision 003 (" /* the step it was in */);
	assert_contains(
		r->err,
		"this runner no longer holds the migration lock: another "
		"runner took it over");
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_str_eq(harness_scalar(db, "SELECT string_agg(n::text, ',' "
					 "ORDER BY n) FROM leased"),
		      "1,2");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM retort_history"
					 " WHERE revision = '003'"),
		      "0");
	/* The other runner's lease is left alone. */
	assert_str_eq(harness_scalar(db, "SELECT runner FROM retort_lock"
					 " WHERE released IS NULL"),
		      "retort (another)");
}
END_TEST

/*
 * A statement outside a transaction holds no row: only the heartbeat
 * keeps a 1 s lease alive through its 4 s, so the second runner waits
 * instead of running 002 again.
 */
START_TEST(test_heartbeat_outlives_the_lease)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const first[] = {
		"--lock-lease", "1s",	"-x", "nt_sleep=4",
		"upgrade",	"head", NULL
	};
	const char *const second[] = { "upgrade", "head", NULL };
	struct harness_proc *a = spawn(db, first);
	const struct harness_result *ra, *rb;

	wait_sleeping(db);
	rb = run(db, second);
	ra = harness_wait(a);
	assert_ok(ra);
	assert_exit(rb, 0);
	assert_contains(rb->err, "retort: waiting for the migration lock");
	assert_not_contains(rb->err, "took the migration lock");
	assert_str_eq(rb->out, "");
	assert_str_eq(harness_scalar(db, "SELECT string_agg(n::text, ',' "
					 "ORDER BY n) FROM leased"),
		      "1,2,3");
	assert_nothing_held(db);
}
END_TEST

/*
 * A user who may not create tables in the schema: the first run cannot
 * create retort_lock, says so with PostgreSQL's reason, and touches
 * nothing.
 */
START_TEST(test_lock_table_not_creatable)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *role = harness_fmt("rt_nocreate_%ld", (long)getpid());
	const struct harness_run how = { .url = harness_url(
						 false, db->name, "user", role,
						 "password", "pw", NULL),
					 .versions = "leased",
					 .env = no_env };
	const char *const up[] = { "upgrade", "head", NULL };
	const struct harness_result *r;

	harness_exec(db, harness_fmt("DROP ROLE IF EXISTS %s", role));
	harness_exec(db, harness_fmt("CREATE ROLE %s LOGIN PASSWORD 'pw';"
				     " REVOKE CREATE ON SCHEMA public FROM"
				     " PUBLIC",
				     role));
	r = harness_wait(harness_spawn(&how, up));
	harness_exec(db, harness_fmt("DROP ROLE %s", role));
	assert_exit(r, 1);
	assert_contains(r->err, "retort: error: cannot create the lock table "
				"retort_lock: permission denied for schema "
				"public");
	assert_str_eq(r->out, "");
	ck_assert(!harness_table_exists(db, "retort_lock"));
	ck_assert(!harness_table_exists(db, "alembic_version"));
}
END_TEST

START_TEST(test_lock_lease_usage)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *const short_lease[] = { "--lock-lease", "500ms", "upgrade",
					    "head", NULL };
	const char *const bad_lease[] = { "--lock-lease", "soon", "upgrade",
					  "head", NULL };
	const struct harness_result *r;

	r = run(db, short_lease);
	assert_exit(r, 2);
	assert_contains(r->err, "the lock lease \"500ms\" is shorter than 1s");
	r = run(db, bad_lease);
	assert_exit(r, 2);
	assert_contains(r->err, "--lock-lease: \"soon\" is not a duration");
	ck_assert(!harness_table_exists(db, "retort_lock"));
	ck_assert(!harness_table_exists(db, "alembic_version"));
}
END_TEST

static Suite *lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = harness_tcase("lease");

	tcase_add_test(tc, test_lock_given_back_after_runs);
	tcase_add_test(tc, test_waiter_names_holder);
	tcase_add_test(tc, test_lock_timeout);
	tcase_add_test(tc, test_killed_runner_lease_expires);
	tcase_add_test(tc, test_killed_parent_gives_lock_back);
	tcase_add_test(tc, test_crashed_worker_gives_lock_back);
	tcase_add_test(tc, test_taken_over_runner_cannot_commit);
	tcase_add_test(tc, test_heartbeat_outlives_the_lease);
	tcase_add_test(tc, test_lock_table_not_creatable);
	tcase_add_test(tc, test_lock_lease_usage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(lock_suite(), HARNESS_NEEDS_DB);
}
