/*
 * Integration: `retort wait`, as a deploy script or an init container
 * runs it: exit 0 as soon as the database is at every head, waiting for
 * another runner's upgrade (and saying who holds the migration lock) or
 * for a server that is not reachable yet, exit 1 at the timeout; it never
 * writes anything, and works through a transaction-pooling PgBouncer.
 */
#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

#define at harness_at

static const char *const *args_of(const struct harness_db *db,
				  const char *fixture, const char *a,
				  const char *b, const char *c)
{
	static const char *argv[10];
	int n = 0;

	argv[n++] = "--url";
	argv[n++] = db->url;
	argv[n++] = "--versions";
	argv[n++] = harness_fixture(fixture);
	argv[n++] = a;
	argv[n++] = b;
	argv[n++] = c;
	argv[n] = NULL;
	return argv;
}

/* The tables of the test's database: wait must leave it as it found it. */
static const char *tables(const struct harness_db *db)
{
	return harness_scalar(db, "SELECT coalesce(string_agg(tablename, ','"
				  " ORDER BY tablename), '') FROM pg_tables"
				  " WHERE schemaname = 'public'");
}

START_TEST(test_wait_at_heads_returns_at_once)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	long start;

	assert_ok(at(db, "linear", "upgrade", "head", NULL));
	start = harness_now_ms();
	r = at(db, "linear", "wait", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "");
	ck_assert_int_lt(harness_now_ms() - start, 1500);
}
END_TEST

/* Behind: exit 1 at the timeout, naming where it is and where it is to
 * be; no version table, no lock table created. */
START_TEST(test_wait_times_out)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	long start = harness_now_ms();

	r = at(db, "linear", "wait", "--timeout", "2s", NULL);
	assert_exit(r, 1);
	ck_assert_int_ge(harness_now_ms() - start, 2000);
	ck_assert_int_lt(harness_now_ms() - start, 6000);
	assert_contains(r->err, "retort: error: timed out after 2s waiting "
				"for the database to reach every head\n");
	assert_contains(r->err, "retort: detail: the database is at <base>\n");
	assert_contains(r->err,
			"retort: detail: the revisions' heads are 003\n");
	assert_contains(r->err, "nobody holds the migration lock");
	assert_str_eq(tables(db), "");

	assert_ok(at(db, "linear", "upgrade", "001", NULL));
	r = at(db, "linear", "-q", "wait", "--timeout", "1s", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "retort: detail: the database is at 001\n");
	/* -q: the error only, no progress line */
	assert_starts_with(r->err, "retort: error: timed out after 1s");
	assert_str_eq(tables(db), "a,alembic_version,retort_history,"
				  "retort_lock");
	assert_str_eq(harness_versions(db, NULL), "001");
}
END_TEST

/* Another runner upgrades while wait waits, holding the lock through a
 * slow step: wait says who holds it, then exits 0 soon after. */
START_TEST(test_wait_for_another_runner)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { 0 };
	struct harness_proc *waiter, *runner;
	const struct harness_result *r;
	long done;

	waiter = harness_spawn(
		&how, args_of(db, "leased", "wait", "--timeout", "60s"));
	harness_sleep_ms(1500);
	ck_assert_ptr_null(harness_versions(db, NULL));
	runner = harness_spawn(
		&how,
		(const char *const[]){ "--url", db->url, "--versions",
				       harness_fixture("leased"), "-x",
				       "tx_sleep=3", "upgrade", "head", NULL });
	r = harness_wait(runner);
	done = harness_now_ms();
	assert_ok(r);
	r = harness_wait(waiter);
	assert_exit(r, 0);
	ck_assert_int_lt(harness_now_ms() - done, 3000);
	assert_contains(r->err, "to reach 003; it is at <base>; nobody holds "
				"the migration lock\n");
	assert_contains(r->err, "; the migration lock is held by retort ");
	assert_contains(r->err, harness_fmt(" pid %d on ",
					    (int)harness_proc_pid(runner)));
	assert_str_eq(r->out, "");
}
END_TEST

/* A server that is not up yet is waited for: the port answers nothing
 * until the timeout, which then names the connection error. */
START_TEST(test_wait_unreachable)
{
	const char *url = harness_fmt("postgresql://someone:Wait-Sekr3t@"
				      "127.0.0.1:%s/nowhere",
				      harness_free_port());
	struct harness_run how = { .url = url, .versions = "linear" };
	const struct harness_result *r;
	long start = harness_now_ms();

	r = harness_retort(&how, "wait", "--timeout", "3s", NULL);
	assert_exit(r, 1);
	ck_assert_int_ge(harness_now_ms() - start, 3000);
	assert_contains(r->err, "retort: waiting for the database: cannot "
				"connect to the database");
	assert_contains(r->err, "retort: error: timed out after 3s waiting "
				"for the database: it could not be reached\n");
	assert_contains(r->err, "Connection refused");
	assert_not_contains(r->err, "Wait-Sekr3t");
}
END_TEST

/* The server comes up while wait waits: here the database is created
 * (and migrated) a moment after wait started. */
START_TEST(test_wait_database_comes_up)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *name = harness_fmt("%s_later", db->name);
	const char *url = harness_url(false, name, NULL);
	struct harness_run how = { .url = url, .versions = "linear" };
	struct harness_proc *waiter;
	const struct harness_result *r;

	waiter = harness_spawn(&how, (const char *const[]){ "wait", "--timeout",
							    "30s", NULL });
	harness_sleep_ms(1500);
	harness_exec(db, harness_fmt("CREATE DATABASE %s", name));
	r = harness_retort(&how, "upgrade", "head", NULL);
	assert_ok(r);
	r = harness_wait(waiter);
	harness_drop_database(name);
	assert_exit(r, 0);
	assert_contains(r->err, "retort: waiting for the database: cannot "
				"connect");
	assert_contains(r->err, "does not exist");
	assert_str_eq(r->out, "");
}
END_TEST

/* Through PgBouncer in transaction pooling, as the other runners go. */
START_TEST(test_wait_through_pooler)
{
	const char *pooler = getenv("RETORT_TEST_POOLER_URL");
	const struct harness_db *db;
	const char *url, *slash;
	const struct harness_result *r;
	struct harness_run how = { .versions = "linear" };

	if (pooler == NULL || pooler[0] == '\0') {
		const char *required = getenv("RETORT_REQUIRE_DB");

		ck_assert_msg(required == NULL || strcmp(required, "1") != 0,
			      "RETORT_REQUIRE_DB=1 but no "
			      "RETORT_TEST_POOLER_URL");
		printf("# no RETORT_TEST_POOLER_URL: wait through PgBouncer "
		       "not tested\n");
		return;
	}
	db = harness_db_fresh(__func__);
	slash = strrchr(pooler, '/');
	url = harness_fmt("%.*s/%s", (int)(slash - pooler), pooler, db->name);
	how.url = url;
	r = harness_retort(&how, "wait", "--timeout", "1s", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "the database is at <base>");
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	r = harness_retort(&how, "wait", "--timeout", "5s", NULL);
	assert_ok(r);
}
END_TEST

static Suite *wait_suite(void)
{
	Suite *s = suite_create("wait");
	TCase *tc = harness_tcase("wait");

	tcase_add_test(tc, test_wait_at_heads_returns_at_once);
	tcase_add_test(tc, test_wait_times_out);
	tcase_add_test(tc, test_wait_for_another_runner);
	tcase_add_test(tc, test_wait_unreachable);
	tcase_add_test(tc, test_wait_database_comes_up);
	tcase_add_test(tc, test_wait_through_pooler);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(wait_suite(), HARNESS_NEEDS_DB);
}
