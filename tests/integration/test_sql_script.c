/*
 * Integration: upgrade --sql and downgrade --sql with the real binary.
 *
 * The script goes to stdout and nothing else does; the target is never
 * written (no version table, lock or history created, its rows and data
 * as they were); and the script itself, run with psql on the target, takes
 * it where the run would have (the strongest check of "as sent").  A
 * revision that fails in the rehearsal is exit 1 with PostgreSQL's error
 * and no script; --shadow-url must name an empty database and is left
 * empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"

/* The target as it stands: what a script or a rehearsal must not touch. */
static void assert_untouched_fresh(const struct harness_db *db)
{
	ck_assert(!harness_table_exists(db, "alembic_version"));
	ck_assert(!harness_table_exists(db, "retort_history"));
	ck_assert(!harness_table_exists(db, "retort_lock"));
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM pg_class c JOIN"
					   " pg_namespace n ON n.oid ="
					   " c.relnamespace WHERE n.nspname ="
					   " 'public'"),
			 0);
}

/* Run script with psql on db, stopping at the first error: its status. */
static int psql_run(const struct harness_db *db, const char *script)
{
	const char *path = harness_write_file("script.sql", "%s", script);
	const char *cmd = harness_fmt("psql -X -q -v ON_ERROR_STOP=1 -d '%s'"
				      " -f '%s' >/dev/null 2>'%s.err'",
				      db->url, path, path);
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *psql_errors(void)
{
	static char buf[4096];
	FILE *f =
		fopen(harness_fmt("%s/script.sql.err", harness_tmpdir()), "r");
	size_t got = 0;

	if (f) {
		got = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[got] = '\0';
	return harness_oneline(buf);
}

START_TEST(test_upgrade_script_takes_an_empty_database_to_head)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		harness_at(db, "linear", "upgrade", "--sql", "head", NULL);

	assert_ok(r);
	assert_str_eq(r->err, "");
	assert_starts_with(r->out, "-- retort ");
	assert_contains(r->out, "upgrade --sql: from <base> to head\n");
	assert_contains(r->out, harness_fmt("-- target: host %s port %s"
					    " database %s user ",
					    harness_server_host(),
					    harness_server_port(), db->name));
	assert_contains(r->out,
			"\n-- Running upgrade  -> 001, create table a\n");
	assert_contains(r->out, "\n-- Running upgrade 001 -> 002, add table b\n"
				"-- plugin: ");
	assert_contains(r->out, "\nALTER TABLE a ADD COLUMN name text; CREATE"
				" TABLE b (id int PRIMARY KEY, a_id int"
				" REFERENCES a);\n");
	assert_contains(r->out, "\n-- Running upgrade 002 -> 003, seed a\n");
	assert_not_contains(r->out, "password");
	assert_untouched_fresh(db);

	ck_assert_msg(psql_run(db, r->out) == 0, "psql: %s", psql_errors());
	assert_str_eq(harness_versions(db, NULL), "003");
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM a"), 2);
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM retort_history"), 3);
	r = harness_at(db, "linear", "current", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "003 (head)\n");
}
END_TEST

START_TEST(test_script_starts_where_the_target_stands)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(harness_at(db, "linear", "upgrade", "001", NULL));
	r = harness_at(db, "linear", "upgrade", "--sql", "head", NULL);
	assert_ok(r);
	assert_contains(r->out, "upgrade --sql: from 001 to head\n");
	assert_not_contains(r->out, "-> 001,");
	assert_contains(r->out,
			"\n-- Running upgrade 001 -> 002, add table b\n");
	/* The rehearsal ran on a copy: the target is still at 001. */
	assert_str_eq(harness_versions(db, NULL), "001");
	ck_assert(!harness_table_exists(db, "b"));
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM retort_history"), 1);

	ck_assert_msg(psql_run(db, r->out) == 0, "psql: %s", psql_errors());
	assert_str_eq(harness_versions(db, NULL), "003");
	ck_assert(harness_table_exists(db, "b"));
}
END_TEST

START_TEST(test_downgrade_script)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(harness_at(db, "linear", "upgrade", "head", NULL));
	r = harness_at(db, "linear", "downgrade", "--sql", "base", NULL);
	assert_ok(r);
	assert_contains(r->out, "downgrade --sql: from 003 to base\n");
	assert_contains(r->out, "\n-- Running downgrade 003 -> 002, seed a\n");
	assert_contains(r->out, "\n-- Running downgrade 001 -> , create table"
				" a\n");
	assert_str_eq(harness_versions(db, NULL), "003");
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM a"), 2);

	ck_assert_msg(psql_run(db, r->out) == 0, "psql: %s", psql_errors());
	assert_str_eq(harness_versions(db, NULL), "");
	ck_assert(!harness_table_exists(db, "a"));
}
END_TEST

START_TEST(test_nothing_to_do)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(harness_at(db, "linear", "upgrade", "head", NULL));
	r = harness_at(db, "linear", "upgrade", "--sql", "head", NULL);
	assert_ok(r);
	assert_contains(r->out, "from 003 to head\n");
	assert_contains(r->out, "-- Nothing to do: the target is already"
				" there.\n");
	assert_not_contains(r->out, "BEGIN");
}
END_TEST

START_TEST(test_failure_in_rehearsal_prints_no_script)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		harness_at(db, "failing", "upgrade", "--sql", "head", NULL);

	assert_exit(r, 1);
	assert_str_eq(r->out, "");
	assert_contains(r->err, "003");
	assert_contains(r->err, "duplicate key value violates unique"
				" constraint \"f1_x_key\"");
	assert_contains(r->err, "23505");
	assert_contains(r->err, "no SQL was printed");
	assert_untouched_fresh(db);
}
END_TEST

START_TEST(test_parameters_backfill_autocommit_run_through_psql)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		harness_at(db, "capture", "upgrade", "--sql", "005", NULL);

	assert_ok(r);
	assert_contains(r->out, "\n-- parameters: $1 = '1', $2 = NULL\n"
				"PREPARE retort_stmt_");
	assert_contains(r->out, "\n--   COPY notes (id, body) FROM STDIN\n");
	assert_contains(r->out, "\n-- mode: batched (retort_backfill): each"
				" batch commits on its own\n");
	assert_contains(r->out, "\n-- mode: autocommit (RETORT_NO_TRANSACTION):"
				" each statement commits on its own\n\n"
				"CREATE INDEX CONCURRENTLY");
	assert_untouched_fresh(db);
	ck_assert_msg(psql_run(db, r->out) == 0, "psql: %s", psql_errors());
	assert_str_eq(harness_versions(db, NULL), "005");
	assert_str_eq(harness_scalar(db, "SELECT id || ':' || coalesce(body,"
					 " 'null') FROM notes WHERE id = 1"),
		      "1:null");
}
END_TEST

START_TEST(test_given_shadow_is_used_and_left_empty)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_db *given = harness_db_fresh("given_shadow");
	const struct harness_result *r;

	r = harness_at(db, "linear", "--shadow-url", given->url, "upgrade",
		       "--sql", "head", NULL);
	assert_ok(r);
	assert_contains(r->out, "\n-- Running upgrade 002 -> 003, seed a\n");
	assert_untouched_fresh(db);
	ck_assert_int_eq(harness_count(given, "SELECT 1 FROM pg_class WHERE"
					      " oid >= 16384"),
			 0);

	harness_exec(given, "CREATE TABLE mine (x int)");
	r = harness_at(db, "linear", "--shadow-url", given->url, "upgrade",
		       "--sql", "head", NULL);
	assert_exit(r, 2);
	assert_str_eq(r->out, "");
	assert_contains(r->err, "retort: error: the shadow database is not"
				" empty");
	ck_assert(harness_table_exists(given, "mine"));
	assert_untouched_fresh(db);
}
END_TEST

/* The scratch shadow of a run's worker, once it exists ("" until then). */
static const char *shadow_of(const struct harness_db *db, pid_t worker)
{
	return harness_scalar(
		db, harness_fmt("SELECT coalesce(max(datname), '') FROM"
				" pg_database WHERE datname LIKE"
				" 'retort_shadow_%ld_%%'",
				(long)worker));
}

/* A SIGTERM sent to retort alone, as a deploy system sends it, while
 * pg_dump runs: retort stops pg_dump, drops the shadow and exits 143. */
START_TEST(test_sigterm_stops_pg_dump)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *bin = harness_fmt("%s/slowbin", harness_tmpdir());
	const char *env[] = { harness_fmt("PATH=%s:%s", bin, getenv("PATH")),
			      NULL };
	struct harness_run how = { .url = db->url,
				   .versions = "linear",
				   .env = env };
	const char *args[] = { "upgrade", "--sql", "head", NULL };
	const struct harness_result *r;
	struct harness_proc *p;
	const char *shadow = "";
	pid_t worker = 0;
	long started;

	mkdir(bin, 0700);
	chmod(harness_write_file("slowbin/pg_dump", "#!/bin/sh\n"
						    "exec sleep 30\n"),
	      0700);
	/* An object of its own, so that the shadow needs pg_dump. */
	harness_exec(db, "CREATE SCHEMA keep");
	p = harness_spawn(&how, args);
	for (int i = 0; i < 200 && !shadow[0]; i++) {
		harness_sleep_ms(50);
		if (!worker)
			worker = harness_child_of(harness_pid(p));
		if (worker)
			shadow = shadow_of(db, worker);
	}
	ck_assert_msg(shadow[0], "no shadow database appeared");
	harness_sleep_ms(300);
	started = harness_now_ms();
	kill(harness_pid(p), SIGTERM);
	r = harness_wait(p);
	ck_assert_msg(harness_now_ms() - started < 10000,
		      "retort took %ld ms to stop", harness_now_ms() - started);
	assert_exit(r, 143);
	assert_str_eq(r->out, "");
	assert_contains(r->err, "interrupted by SIGTERM");
	ck_assert_int_eq(harness_count(db, harness_fmt("SELECT 1 FROM"
						       " pg_database WHERE"
						       " datname = '%s'",
						       shadow)),
			 0);
	assert_untouched_fresh(db);
}
END_TEST

static Suite *sql_script_suite(void)
{
	Suite *s = suite_create("sql_script");
	TCase *tc = harness_tcase("script");

	tcase_add_test(tc, test_upgrade_script_takes_an_empty_database_to_head);
	tcase_add_test(tc, test_script_starts_where_the_target_stands);
	tcase_add_test(tc, test_downgrade_script);
	tcase_add_test(tc, test_nothing_to_do);
	tcase_add_test(tc, test_failure_in_rehearsal_prints_no_script);
	tcase_add_test(tc,
		       test_parameters_backfill_autocommit_run_through_psql);
	tcase_add_test(tc, test_given_shadow_is_used_and_left_empty);
	tcase_add_test(tc, test_sigterm_stops_pg_dump);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(sql_script_suite(), HARNESS_NEEDS_DB);
}
