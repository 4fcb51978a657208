/*
 * Integration: what a new user meets on a first run, following the
 * README: retort run from a subdirectory of the project, no retort.ini
 * anywhere, no database URL anywhere, global options written after the
 * command, and a mistyped target.
 */
#define _DEFAULT_SOURCE
#include "harness.h"

#include <limits.h>
#include <signal.h>
#include <libgen.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The test's directory as getcwd() reports it (no symbolic links). */
static const char *real_tmpdir(void)
{
	char buf[PATH_MAX];

	ck_assert_ptr_nonnull(realpath(harness_tmpdir(), buf));
	return harness_fmt("%s", buf);
}

/* The search stops above the test's directory, whatever /tmp holds. */
static const char *ceiling_env(void)
{
	char *copy = strdup(real_tmpdir());
	const char *env =
		harness_fmt("RETORT_CEILING_DIRECTORIES=%s", dirname(copy));

	free(copy);
	return env;
}

/*
 * proj/retort.ini with versions = vers (a link to the linear fixture's
 * plugins), proj/.env with the database's URL, and an empty
 * proj/sub/deeper to run retort in.
 */
static const char *make_project(const struct harness_db *db)
{
	const char *proj = harness_fmt("%s/proj", real_tmpdir());

	ck_assert_int_eq(mkdir(proj, 0755), 0);
	ck_assert_int_eq(mkdir(harness_fmt("%s/sub", proj), 0755), 0);
	ck_assert_int_eq(mkdir(harness_fmt("%s/sub/deeper", proj), 0755), 0);
	ck_assert_int_eq(symlink(harness_fixture("linear"),
				 harness_fmt("%s/vers", proj)),
			 0);
	harness_write_file("proj/retort.ini", "[retort]\nversions = vers\n");
	harness_write_file("proj/.env", "DATABASE_URL=%s\n", db->url);
	return proj;
}

/* From two levels down, the project's retort.ini is found; its relative
 * versions and its .env mean what they mean from its directory. */
START_TEST(test_ini_found_in_parent)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *proj = make_project(db);
	const char *env[] = { ceiling_env(), NULL };
	struct harness_run how = { .cwd = harness_fmt("%s/sub/deeper", proj),
				   .env = env };
	const struct harness_result *r;

	r = harness_retort(&how, "upgrade", "head", NULL);
	assert_ok(r);
	assert_contains(r->out, "Running upgrade 002 -> 003, seed a");
	assert_str_eq(harness_versions(db, NULL), "003");
	r = harness_retort(&how, "current", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "003 (head)\n");
}
END_TEST

/* A path on the command line stays relative to where retort runs. */
START_TEST(test_command_line_paths_stay_relative_to_cwd)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *proj = make_project(db);
	const char *env[] = { ceiling_env(), NULL };
	struct harness_run how = { .cwd = harness_fmt("%s/sub", proj),
				   .env = env };
	const struct harness_result *r;

	r = harness_retort(&how, "--versions", "../vers", "history", NULL);
	assert_ok(r);
	assert_contains(r->out, "002 -> 003 (head), seed a");
	r = harness_retort(&how, "--versions", "vers", "history", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, harness_fmt("\"vers\""));
}
END_TEST

/* No retort.ini anywhere: the error of a command that then misses it
 * (the default versions directory) says so, and where it looked. */
START_TEST(test_no_ini_anywhere)
{
	const char *top = real_tmpdir();
	const char *env[] = { ceiling_env(), NULL };
	struct harness_run how = { .cwd = harness_fmt("%s/a/b", top),
				   .env = env };
	const struct harness_result *r;

	ck_assert_int_eq(mkdir(harness_fmt("%s/a", top), 0755), 0);
	ck_assert_int_eq(mkdir(how.cwd, 0755), 0);
	r = harness_retort(&how, "history", NULL);
	assert_exit(r, 2);
	assert_starts_with(r->err, "retort: error: cannot open versions "
				   "directory \"build/versions\"");
	assert_contains(r->err,
			harness_fmt("retort: detail: no retort.ini was found; "
				    "looked in %s/a/b, %s/a, %s\n",
				    top, top, top));
	assert_contains(r->err, "-c FILE");
	assert_str_eq(r->out, "");
}
END_TEST

/* -c naming a file that does not exist stays an error of its own. */
START_TEST(test_missing_config_file)
{
	const struct harness_result *r =
		harness_at(NULL, "linear", "-c", "nosuch.ini", "history", NULL);

	assert_exit(r, 2);
	assert_contains(r->err, "ini file \"nosuch.ini\" does not exist");
}
END_TEST

/* No URL from anywhere and no PG* variable: the missing URL comes first,
 * libpq's failure with its defaults after it. */
START_TEST(test_no_url_anywhere)
{
	const char *env[] = { ceiling_env(), "PGCONNECT_TIMEOUT=5", NULL };
	struct harness_run how = { .versions = "linear", .env = env };
	const struct harness_result *r = harness_retort(&how, "current", NULL);

	assert_exit(r, 1);
	assert_starts_with(r->err,
			   "retort: error: no database URL was given: not "
			   "with --url, nor in DATABASE_URL, a .env file or "
			   "retort.ini's url\n");
	assert_contains(r->err, "retort: detail: libpq's defaults were tried "
				"instead: cannot connect to the database");
	assert_contains(r->err, "--url postgresql://");
}
END_TEST

/* With PGHOST set, the URL is not missing: libpq's PG* variables chose
 * the server, and the error says so. */
START_TEST(test_no_url_but_pghost)
{
	const char *env[] = { ceiling_env(),
			      harness_fmt("PGHOST=%s", real_tmpdir()), NULL };
	struct harness_run how = { .versions = "linear", .env = env };
	const struct harness_result *r = harness_retort(&how, "current", NULL);

	assert_exit(r, 1);
	assert_starts_with(r->err,
			   "retort: error: cannot connect to the database\n");
	assert_contains(r->err, harness_fmt("%s/.s.PGSQL.", real_tmpdir()));
	assert_contains(r->err, "libpq's PG* variables and defaults chose "
				"the server\n");
	assert_contains(r->err, "retort: detail: set in the environment: "
				"PGHOST\n");
	assert_not_contains(r->err, "no database URL was given");
}
END_TEST

/* Global options after the command: -q and --url are taken. */
START_TEST(test_global_options_after_command)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .versions = "linear" };
	const struct harness_result *r;

	r = harness_retort(&how, "upgrade", "head", "-q", "--url", db->url,
			   NULL);
	assert_ok(r);
	assert_str_eq(harness_versions(db, NULL), "003");
	r = harness_retort(&how, "current", "--url", db->url, NULL);
	assert_ok(r);
	assert_str_eq(r->out, "003 (head)\n");
	/* --allow-changed: the command's own, after it as before it */
	r = harness_retort(&how, "upgrade", "--allow-changed", "head", "--url",
			   db->url, NULL);
	assert_ok(r);
	r = harness_retort(&how, "current", "--allow-changed", "--url", db->url,
			   NULL);
	assert_ok(r);
}
END_TEST

/* A mistyped target of a command that reads the database gets the
 * nearest names as a hint, and nothing is done. */
START_TEST(test_did_you_mean)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(harness_at(db, "hexids", "upgrade", "head", NULL));
	r = harness_at(db, "hexids", "downgrade", "haed", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "Can't locate revision identified by 'haed'");
	assert_contains(r->err, "retort: hint: Did you mean 'head'?");
	r = harness_at(db, "hexids", "stamp", "ae1027a6acd", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "retort: hint: Did you mean 'ae1027a6acf'?");
	r = harness_at(db, "hexids", "downgrade", "27c6a30d7c42", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "Did you mean '27c6a30d7c24'?");
	assert_str_eq(harness_versions(db, NULL), "27c6b1e2f0aa");
}
END_TEST

/* Prefixes of one to three characters, as Alembic takes them. */
START_TEST(test_short_prefixes)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = harness_at(db, "hexids", "upgrade", "ae1", NULL);
	assert_ok(r);
	assert_str_eq(harness_versions(db, NULL), "ae1027a6acf");
	r = harness_at(db, "hexids", "upgrade", "27c", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "Multiple revisions start with '27c'");
	r = harness_at(db, "hexids", "show", "a", NULL);
	assert_ok(r);
	assert_contains(r->out, "Rev: ae1027a6acf");
	r = harness_at(db, "linear", "show", "00", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "of four characters or more");
}
END_TEST

/* Ctrl-C in a transactional revision: it is rolled back, and the error
 * says that running the same command again starts it over. */
START_TEST(test_interrupted_revision_says_what_to_do)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .url = db->url, .versions = "slow" };
	struct harness_proc *p;
	const struct harness_result *r;

	p = harness_spawn(&how,
			  (const char *const[]){ "upgrade", "head", NULL });
	harness_sleep_ms(600);
	harness_signal(p, SIGINT);
	r = harness_wait(p);
	assert_exit(r, 130);
	assert_starts_with(r->err, "retort: error: interrupted by SIGINT");
	assert_contains(r->err, "the revision and its version-table update "
				"were rolled back");
	assert_contains(r->err, "retort: hint: Run the same command again: "
				"the revisions before this one stay applied, "
				"and this one starts over.");
	assert_str_eq(harness_versions(db, NULL), "");
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "001");
}
END_TEST

static Suite *first_run_suite(void)
{
	Suite *s = suite_create("first_run");
	TCase *tc = harness_tcase("config_search");

	tcase_add_test(tc, test_ini_found_in_parent);
	tcase_add_test(tc, test_command_line_paths_stay_relative_to_cwd);
	tcase_add_test(tc, test_no_ini_anywhere);
	tcase_add_test(tc, test_missing_config_file);
	suite_add_tcase(s, tc);

	tc = harness_tcase("url");
	tcase_add_test(tc, test_no_url_anywhere);
	tcase_add_test(tc, test_no_url_but_pghost);
	suite_add_tcase(s, tc);

	tc = harness_tcase("command_line");
	tcase_add_test(tc, test_global_options_after_command);
	tcase_add_test(tc, test_did_you_mean);
	tcase_add_test(tc, test_short_prefixes);
	tcase_add_test(tc, test_interrupted_revision_says_what_to_do);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(first_run_suite(), HARNESS_NEEDS_DB);
}
