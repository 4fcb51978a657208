/*
 * Integration: what goes wrong, and what the user is told.  A failing
 * revision is rolled back with its version row and earlier ones stay; a
 * bad revision set is refused before the database is touched; a bad or
 * unreachable database fails with the facts and never the password.
 */
#include <signal.h>
#include <time.h>

#include "harness.h"

#define at harness_at

/* The error block starts the way PostgreSQL's frontends print it. */
static void assert_error_format(const struct harness_result *r)
{
	assert_starts_with(r->err, "retort: error: ");
}

START_TEST(test_failing_revision_rolls_back)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "failing", "upgrade", "head", NULL);

	assert_exit(r, 1);
	assert_starts_with(r->out, "Running upgrade  -> 001, create f1\n"
				   "Running upgrade 001 -> 002, insert one\n");
	assert_not_contains(r->out, "Running upgrade 003 -> 004");
	assert_error_format(r);
	assert_contains(r->err, "003");
	assert_contains(r->err, "003_duplicate_key");
	assert_contains(r->err,
			"duplicate key value violates unique constraint");
	assert_contains(r->err, "SQLSTATE 23505");
	assert_contains(r->err, "Key (x)=(1) already exists.");

	assert_str_eq(harness_versions(db, NULL), "002");
	ck_assert(harness_table_exists(db, "f2"));
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM f1"), "1");
	ck_assert(!harness_table_exists(db, "f3"));
	ck_assert(!harness_table_exists(db, "f4"));
}
END_TEST

START_TEST(test_failing_revision_retried)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "failing", "upgrade", "002", NULL));
	r = at(db, "failing", "upgrade", "+1", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "SQLSTATE 23505");
	assert_str_eq(harness_versions(db, NULL), "002");
	ck_assert(!harness_table_exists(db, "f3"));

	r = at(db, "failing", "current", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "002\n");
}
END_TEST

START_TEST(test_fail_return_rolls_back)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "fail_return", "upgrade", "head", NULL);

	assert_exit(r, 1);
	assert_starts_with(r->out, "Running upgrade  -> 001, create r1\n");
	assert_error_format(r);
	assert_contains(r->err, "refusing: 42 rows would be lost");
	assert_contains(r->err, "002");
	assert_contains(r->err, "002_refuse");
	assert_str_eq(harness_versions(db, NULL), "001");
	ck_assert(harness_table_exists(db, "r1"));
	ck_assert(!harness_table_exists(db, "r2"));
}
END_TEST

/* Every line of stderr carries the "retort: " prefix. */
static void assert_lines_prefixed(const char *err)
{
	const char *line = err;

	while (*line) {
		ck_assert_msg(
			harness_starts_with(line, "retort: "),
			"stderr line without the retort: prefix in \"%s\"",
			harness_oneline(err));
		line = strchr(line, '\n');
		if (line == NULL)
			break;
		line++;
	}
}

/*
 * The connection lost in the middle of a revision: libpq says so over
 * several lines, the first kept as the message, the others as details.
 */
START_TEST(test_lost_connection_lines_prefixed)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r = at(
		db, "crash", "-x", "fault=disconnect", "upgrade", "head", NULL);

	assert_exit(r, 1);
	assert_error_format(r);
	assert_lines_prefixed(r->err);
	assert_contains(r->err, "retort: error: revision 002 (");
	assert_contains(r->err,
			"failed: server closed the connection unexpectedly\n"
			"retort: detail: This probably means the server "
			"terminated abnormally\n"
			"retort: detail: before or while processing the "
			"request.\n");
	assert_contains(r->err, "rolled back");
	assert_str_eq(harness_versions(db, NULL), "001");
	ck_assert(!harness_table_exists(db, "crash_b"));
}
END_TEST

/* retort_fail() text of several lines: the first is the message. */
START_TEST(test_fail_lines_prefixed)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r = at(
		db, "crash", "-x", "fault=fail_lines", "upgrade", "head", NULL);

	assert_exit(r, 1);
	assert_lines_prefixed(r->err);
	assert_contains(r->err, "retort: error: revision 002");
	assert_contains(r->err, "failed: refusing: the first line\n"
				"retort: detail: the second line\n"
				"retort: detail: the third line\n");
	assert_str_eq(harness_versions(db, NULL), "001");
}
END_TEST

/*
 * A revision set that cannot be used: each must all appear in stderr, and
 * at least one of any when it is given.
 */
struct bad_set {
	const char *scenario;
	const char *all[4];
	const char *any[3];
};

static const struct bad_set bad_sets[] = {
	{ "duplicate_id", { "001", "001_first.so", "001_second.so" }, { 0 } },
	{ "unknown_down", { "nosuch99" }, { "002", "002_orphan" } },
	{ "cycle", { "loop1", "loop2", "loop3" }, { 0 } },
	{ "bad_id", { "bad-id" }, { 0 } },
	{ "bad_date",
	  { "2026-13-45 99:99:99", "002_bad_date.so", "revision 002",
	    "YYYY-MM-DD HH:MM:SS+00" },
	  { 0 } },
	{ "long_id",
	  { 0 },
	  { "abcdefghij_abcdefghij_abcdefghij_x", "002_too_long.so" } },
	{ "missing_symbol", { "002_no_downgrade.so", "downgrade" }, { 0 } },
	{ "abi_mismatch", { "002_abi_999.so", "999" }, { 0 } },
	{ "not_loadable", { "junk.so" }, { 0 } },
};

static void assert_any(const char *err, const char *const *any, size_t n)
{
	size_t i;

	if (any[0] == NULL)
		return;
	for (i = 0; i < n && any[i] != NULL; i++) {
		if (strstr(err, any[i]) != NULL)
			return;
	}
	ck_abort_msg("expected stderr to name \"%s\" (or an alternative); "
		     "it is \"%s\"",
		     any[0], harness_oneline(err));
}

START_TEST(test_bad_revision_set)
{
	const struct bad_set *t = &bad_sets[_i];
	const struct harness_db *db = harness_db_fresh(t->scenario);
	const struct harness_result *r =
		at(db, t->scenario, "upgrade", "head", NULL);
	size_t k;

	assert_exit(r, 2);
	assert_error_format(r);
	for (k = 0; k < 4 && t->all[k] != NULL; k++)
		assert_contains(r->err, t->all[k]);
	assert_any(r->err, t->any, 3);
	assert_str_eq(r->out, "");
	/* Refused before connecting: not even the version table exists. */
	ck_assert_ptr_null(harness_versions(db, NULL));
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM pg_tables "
					 "WHERE schemaname = 'public'"),
		      "0");
}
END_TEST

/* Any rotation of the cycle, in either direction. */
START_TEST(test_cycle_path_printed)
{
	static const char *const paths[] = {
		"loop1 -> loop2 -> loop3 -> loop1",
		"loop2 -> loop3 -> loop1 -> loop2",
		"loop3 -> loop1 -> loop2 -> loop3",
		"loop1 -> loop3 -> loop2 -> loop1",
		"loop3 -> loop2 -> loop1 -> loop3",
		"loop2 -> loop1 -> loop3 -> loop2",
	};
	const struct harness_result *r = at(NULL, "cycle", "history", NULL);
	size_t i;

	assert_exit(r, 2);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (strstr(r->err, paths[i]) != NULL)
			return;
	}
	ck_abort_msg("expected the cycle's path in stderr; it is \"%s\"",
		     harness_oneline(r->err));
}
END_TEST

START_TEST(test_abi_versions_named)
{
	const struct harness_result *r =
		at(NULL, "abi_mismatch", "history", NULL);

	assert_exit(r, 2);
	ck_assert_msg(harness_has_number(r->err, "999") &&
			      harness_has_number(r->err, "1"),
		      "expected both ABI versions, 999 and 1; stderr is \"%s\"",
		      harness_oneline(r->err));
}
END_TEST

START_TEST(test_missing_versions_dir)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = harness_fmt("%s/no-such-dir", harness_tmpdir());
	const struct harness_result *r = at(db, dir, "upgrade", "head", NULL);

	assert_exit(r, 2);
	assert_error_format(r);
	assert_contains(r->err, dir);
	assert_contains(r->err, "retort: hint: ");
	ck_assert_ptr_null(harness_versions(db, NULL));
}
END_TEST

/*
 * A login that fails, through each way a URL arrives.  With password
 * authentication the password is wrong; with trust the role is unknown.
 * Either way the password must appear nowhere.
 */
START_TEST(test_failed_login)
{
	const char *password = "s3cr3t-Wr0ng";
	const char *url =
		harness_url(_i == 2, "rt_login_target", "user", "retort_nobody",
			    "password", password, NULL);
	struct harness_run how = { .versions = "linear" };
	const struct harness_result *r;

	if (_i == 1)
		how.database_url = url;
	else
		how.url = url;
	r = harness_retort(&how, "upgrade", "head", NULL);
	assert_exit(r, 1);
	assert_error_format(r);
	assert_contains(r->err, harness_server_host());
	assert_contains(r->err, harness_server_port());
	assert_contains(r->err, "rt_login_target");
	assert_contains(r->err, "retort_nobody");
	assert_not_contains(r->err, "s3cr3t");
	assert_not_contains(r->out, "s3cr3t");
	assert_not_contains(r->err, "Wr0ng");
}
END_TEST

START_TEST(test_connection_refused)
{
	const char *port = harness_free_port();
	const char *url = harness_fmt(
		"postgresql://retort_user:s3cr3t-Wr0ng@127.0.0.1:%s/app", port);
	const struct harness_result *r =
		at(NULL, "linear", "--url", url, "upgrade", "head", NULL);

	assert_exit(r, 1);
	assert_error_format(r);
	assert_contains(r->err, "127.0.0.1");
	assert_contains(r->err, port);
	assert_contains(r->err, "app");
	assert_contains(r->err, "retort_user");
	assert_not_contains(r->err, "s3cr3t");

	r = at(NULL, "linear", "--url", url, "current", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, port);
}
END_TEST

START_TEST(test_bad_scheme)
{
	const struct harness_result *r =
		at(NULL, "linear", "--url",
		   "mysql://root:s3cr3t-Wr0ng@localhost/app", "upgrade", "head",
		   NULL);

	assert_exit(r, 2);
	assert_error_format(r);
	assert_contains(r->err, "mysql");
	assert_not_contains(r->err, "s3cr3t");
	assert_str_eq(r->out, "");
}
END_TEST

/* No URL anywhere: libpq's own defaults and PG* variables apply. */
START_TEST(test_no_url_uses_libpq_defaults)
{
	struct harness_run how = { .versions = "linear",
				   .env = harness_pg_env("rt_missing_pgenv") };
	const struct harness_result *r = harness_retort(&how, "current", NULL);

	assert_exit(r, 1);
	assert_error_format(r);
	assert_contains(r->err, "rt_missing_pgenv");
}
END_TEST

/* The worker, once its revision's statement is running on the server. */
static pid_t worker_in_statement(const struct harness_db *db,
				 struct harness_proc *p)
{
	struct timespec tick = { 0, 5 * 1000000L };

	for (int i = 0; i < 4000; i++) {
		pid_t worker = harness_child_of(harness_pid(p));

		if (worker > 0 &&
		    strcmp(harness_scalar(
				   db, "SELECT count(*) FROM pg_stat_activity"
				       " WHERE datname = current_database()"
				       " AND query LIKE '%pg_sleep%'"
				       " AND pid <> pg_backend_pid()"),
			   "0") != 0)
			return worker;
		nanosleep(&tick, NULL);
	}
	ck_abort_msg("the slow revision never ran");
	return 0;
}

/*
 * A worker killed by another process (kill -9, the OOM killer) is not a
 * crash of the revision: the message says where the signal came from,
 * that the revision was rolled back, and that running the same command
 * again goes on; it does not ask to fix the revision.
 */
START_TEST(test_worker_killed_from_outside)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *args[] = { "upgrade", "head", NULL };
	const struct harness_run how = { .url = db->url, .versions = "slow" };
	struct harness_proc *p = harness_spawn(&how, args);
	const struct harness_result *r;

	ck_assert_int_eq(kill(worker_in_statement(db, p), SIGKILL), 0);
	r = harness_wait(p);
	assert_exit(r, 1);
	assert_error_format(r);
	assert_contains(r->err, "retort: error: revision 001 (");
	assert_contains(r->err, "001_slow_create.so) was killed by signal 9"
				" (Killed), sent from outside retort");
	assert_contains(r->err, "out-of-memory killer");
	assert_contains(r->err, "the revision's code did not crash");
	assert_contains(r->err, "retort: detail: its transaction was rolled"
				" back: the database is at the revision"
				" before it");
	assert_contains(r->err, "retort: hint: Run the same command again");
	assert_not_contains(r->err, "crashed");
	assert_not_contains(r->err, "Fix the revision");
	ck_assert(!harness_table_exists(db, "s"));

	/* Its session ends once the server notices (after pg_sleep). */
	while (strcmp(harness_scalar(db, "SELECT count(*) FROM pg_stat_activity"
					 " WHERE datname = current_database()"
					 " AND pid <> pg_backend_pid()"),
		      "0") != 0)
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	assert_ok(at(db, "slow", "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "001");
}
END_TEST

/* A signal the code raised itself is still the revision's crash. */
START_TEST(test_worker_crash_is_the_revisions)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "crash", "-x", "fault=abort", "upgrade", "head", NULL);

	assert_exit(r, 1);
	assert_contains(r->err, "crashed: signal 6");
	assert_contains(r->err, "Fix the revision, rebuild, and run again.");
	assert_not_contains(r->err, "from outside");
}
END_TEST

static Suite *errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = harness_tcase("failing_revisions");
	int n_bad = (int)(sizeof(bad_sets) / sizeof(bad_sets[0]));

	tcase_add_test(tc, test_failing_revision_rolls_back);
	tcase_add_test(tc, test_failing_revision_retried);
	tcase_add_test(tc, test_fail_return_rolls_back);
	tcase_add_test(tc, test_lost_connection_lines_prefixed);
	tcase_add_test(tc, test_fail_lines_prefixed);
	tcase_add_test(tc, test_worker_killed_from_outside);
	tcase_add_test(tc, test_worker_crash_is_the_revisions);
	suite_add_tcase(s, tc);

	tc = harness_tcase("bad_revision_sets");
	tcase_add_loop_test(tc, test_bad_revision_set, 0, n_bad);
	tcase_add_test(tc, test_cycle_path_printed);
	tcase_add_test(tc, test_abi_versions_named);
	tcase_add_test(tc, test_missing_versions_dir);
	suite_add_tcase(s, tc);

	tc = harness_tcase("connection");
	/* 0: --url, 1: DATABASE_URL, 2: --url as keyword/value string */
	tcase_add_loop_test(tc, test_failed_login, 0, 3);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_bad_scheme);
	tcase_add_test(tc, test_no_url_uses_libpq_defaults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(errors_suite(), HARNESS_NEEDS_DB);
}
