/*
 * Integration: the shadow copy of a target (store/shadow_clone.c) and the
 * target's table facts (store/facts.c), driven directly against a real
 * server and a real pg_dump.
 *
 * A clone must hold the target's schema without its data, and the target's
 * version rows in a version table of the same schema and name; a scratch
 * shadow is gone after shadow_close(), a given one empty again; pg_dump
 * never sees the password on its command line; a missing or failing
 * pg_dump is an error that says so and quotes it.  Facts are the
 * catalog's: known rows after ANALYZE, unknown before, total bytes and
 * index counts, and "does not exist" for a name that resolves to nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

#include "store/db.h"
#include "store/facts.h"
#include "store/shadow.h"

#define assert_no_error(call, err)                                             \
	ck_assert_msg((call) == 0, "%s failed: %s [%s] (%s)", #call,           \
		      (err).msg, (err).detail, (err).hint)

static void connect_target(const struct harness_db *hdb, const char *schema,
			   struct db *db)
{
	struct retort_error err = { 0 };

	assert_no_error(
		db_connect(db, hdb->url, "alembic_version", schema, &err), err);
}

/* The one value sql returns on db, as text ("" for NULL). */
static const char *value_on(struct db *db, const char *sql)
{
	struct retort_error err = { 0 };
	struct db_rows *rows = db_query(db, sql, 0, NULL, &err);
	const char *v;

	ck_assert_msg(rows != NULL, "%s: %s", sql, err.msg);
	ck_assert_uint_eq(db_nrows(rows), 1);
	v = harness_fmt("%s", db_value(rows, 0, 0) ? db_value(rows, 0, 0) : "");
	db_rows_free(rows);
	return v;
}

static long database_count(const struct harness_db *hdb, const char *name)
{
	return atol(harness_scalar(
		hdb, harness_fmt("SELECT count(*) FROM pg_database"
				 " WHERE datname = '%s'",
				 name)));
}

/* A target with a bit of everything pg_dump writes, data and version rows. */
static void fill_target(const struct harness_db *hdb)
{
	harness_exec(hdb,
		     "CREATE SCHEMA app;"
		     " CREATE TYPE app.mood AS ENUM ('sad', 'happy');"
		     " CREATE TABLE app.users (id bigint PRIMARY KEY,"
		     " name text NOT NULL, mood app.mood);"
		     " CREATE INDEX users_name ON app.users (name);"
		     " CREATE VIEW app.happy AS SELECT id FROM app.users"
		     " WHERE mood = 'happy';"
		     " CREATE FUNCTION app.twice(int) RETURNS int"
		     " LANGUAGE sql AS 'SELECT $1 * 2';"
		     " INSERT INTO app.users SELECT g, 'u' || g, 'sad'"
		     " FROM generate_series(1, 50) g;"
		     " CREATE TABLE alembic_version (version_num"
		     " varchar(32) NOT NULL PRIMARY KEY);"
		     " INSERT INTO alembic_version VALUES ('002a'), ('002b')");
}

static void check_clone(struct shadow *s)
{
	ck_assert_str_eq(value_on(&s->db, "SELECT count(*) FROM app.users"),
			 "0");
	ck_assert_str_eq(value_on(&s->db, "SELECT app.twice(21)"), "42");
	ck_assert_str_eq(value_on(&s->db, "SELECT count(*) FROM pg_indexes"
					  " WHERE indexname = 'users_name'"),
			 "1");
	ck_assert_str_eq(value_on(&s->db, "SELECT string_agg(version_num, ','"
					  " ORDER BY version_num)"
					  " FROM alembic_version"),
			 "002a,002b");
	/* pg_dump's script empties search_path: the plan must not inherit
	 * that. */
	ck_assert_str_eq(value_on(&s->db, "SHOW search_path"),
			 "\"$user\", public");
}

START_TEST(test_scratch_clone_holds_schema_and_version_rows)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct shadow s = { 0 };
	struct db target = { 0 };
	char name[64];

	fill_target(hdb);
	connect_target(hdb, NULL, &target);
	assert_no_error(shadow_clone_schema(&s, &target, hdb->url, NULL, &err),
			err);
	snprintf(name, sizeof(name), "%s", s.name);
	ck_assert(harness_starts_with(name, "retort_shadow_"));
	check_clone(&s);
	ck_assert_int_eq(shadow_close(&s, 0, &err), 0);
	ck_assert_int_eq(database_count(hdb, name), 0);
	/* The target kept its data. */
	ck_assert_str_eq(harness_scalar(hdb, "SELECT count(*) FROM app.users"),
			 "50");
	db_close(&target);
}
END_TEST

START_TEST(test_target_without_version_table_gets_an_empty_one)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct shadow s = { 0 };
	struct db target = { 0 };

	harness_exec(hdb, "CREATE SCHEMA meta; CREATE TABLE t (a int)");
	connect_target(hdb, "meta", &target);
	assert_no_error(shadow_clone_schema(&s, &target, NULL, NULL, &err),
			err);
	ck_assert_str_eq(value_on(&s.db, "SELECT count(*)"
					 " FROM meta.alembic_version"),
			 "0");
	ck_assert_int_eq(shadow_close(&s, 0, &err), 0);
	ck_assert(!harness_table_exists(hdb, "meta.alembic_version"));
	db_close(&target);
}
END_TEST

static const char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[8192];
	size_t got;

	ck_assert_msg(f != NULL, "cannot read %s", path);
	got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	fclose(f);
	return buf;
}

static const char *password_of(struct db *target)
{
	const char *pw = PQpass(target->conn);

	ck_assert_msg(pw && pw[0], "the test server needs a password");
	return pw;
}

/* A pg_dump first on PATH that records how it was called, then runs the
 * real one. */
static const char *recording_pg_dump(const char *log)
{
	const char *dir = harness_fmt("%s/fakebin", harness_tmpdir());
	const char *path;

	mkdir(dir, 0700);
	path = harness_write_file(
		"fakebin/pg_dump",
		"#!/bin/sh\n"
		"printf '%%s\\n' \"$@\" > '%s'\n"
		"printf 'PGPASSWORD=%%s\\n' \"$PGPASSWORD\" >> '%s'\n"
		"PATH='%s' exec pg_dump \"$@\"\n",
		log, log, getenv("PATH"));
	chmod(path, 0700);
	return dir;
}

START_TEST(test_password_reaches_pg_dump_only_by_environment)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	const char *log = harness_fmt("%s/pg_dump.log", harness_tmpdir());
	const char *old_path = harness_fmt("%s", getenv("PATH"));
	const char *dir = recording_pg_dump(log);
	struct retort_error err = { 0 };
	struct shadow s = { 0 };
	struct db target = { 0 };
	const char *logged;

	fill_target(hdb);
	connect_target(hdb, NULL, &target);
	setenv("PATH", harness_fmt("%s:%s", dir, old_path), 1);
	unsetenv("PGPASSWORD");
	assert_no_error(shadow_clone_schema(&s, &target, NULL, NULL, &err),
			err);
	setenv("PATH", old_path, 1);
	check_clone(&s);
	ck_assert_int_eq(shadow_close(&s, 0, &err), 0);
	logged = read_text(log);
	ck_assert_msg(strstr(logged, "--schema-only\n--no-owner\n"
				     "--no-privileges\n") != NULL,
		      "pg_dump was called so: %s", harness_oneline(logged));
	/* The test server's password is the URL's: pg_dump's command line
	 * has no password setting, and its environment has the password. */
	ck_assert_msg(strstr(logged, "password=") == NULL,
		      "pg_dump was called so: %s", harness_oneline(logged));
	ck_assert_msg(strstr(logged, harness_fmt("\nPGPASSWORD=%s\n",
						 password_of(&target))) != NULL,
		      "pg_dump was called so: %s", harness_oneline(logged));
	db_close(&target);
}
END_TEST

/* PATH without pg_dump, or with one that fails as an old pg_dump does
 * against a newer server. */
static void clone_with_path(const struct harness_db *hdb, const char *path,
			    struct retort_error *err)
{
	const char *old_path = harness_fmt("%s", getenv("PATH"));
	struct shadow s = { 0 };
	struct db target = { 0 };
	char name[64];
	int rc;

	/* A table of its own: a blank target needs no pg_dump. */
	harness_exec(hdb, "CREATE TABLE t (a int)");
	connect_target(hdb, NULL, &target);
	setenv("PATH", path, 1);
	rc = shadow_clone_schema(&s, &target, NULL, NULL, err);
	setenv("PATH", old_path, 1);
	ck_assert_int_eq(rc, -1);
	snprintf(name, sizeof(name), "%s", s.name);
	ck_assert_int_eq(shadow_close(&s, rc, err), -1);
	ck_assert_int_eq(database_count(hdb, name), 0);
	db_close(&target);
}

START_TEST(test_missing_pg_dump_is_named)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	const char *major = harness_scalar(
		hdb, "SELECT current_setting('server_version_num')::int"
		     " / 10000");
	const char *empty = harness_fmt("%s/nobin", harness_tmpdir());
	struct retort_error err = { 0 };

	mkdir(empty, 0700);
	clone_with_path(hdb, empty, &err);
	ck_assert_int_eq(err.status, RETORT_USAGE);
	ck_assert_str_eq(err.msg,
			 "cannot run pg_dump: No such file or directory");
	ck_assert_msg(strstr(err.hint, harness_fmt("postgresql-client-%s)",
						   major)) != NULL,
		      "%s", err.hint);
}
END_TEST

/* A database as CREATE DATABASE left it has no schema to copy: no
 * pg_dump is run (none is on PATH here), and the shadow gets the version
 * rows alone. */
START_TEST(test_blank_target_needs_no_pg_dump)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	const char *old_path = harness_fmt("%s", getenv("PATH"));
	const char *empty = harness_fmt("%s/nobin", harness_tmpdir());
	struct retort_error err = { 0 };
	struct shadow s = { 0 };
	struct db target = { 0 };

	mkdir(empty, 0700);
	connect_target(hdb, NULL, &target);
	setenv("PATH", empty, 1);
	ck_assert_int_eq(shadow_clone_schema(&s, &target, NULL, NULL, &err), 0);
	setenv("PATH", old_path, 1);
	ck_assert_str_eq(
		value_on(&s.db, "SELECT count(*) FROM alembic_version"), "0");
	ck_assert_str_eq(value_on(&s.db, "SHOW synchronous_commit"), "off");
	ck_assert_int_eq(shadow_close(&s, 0, &err), 0);
	db_close(&target);
}
END_TEST

START_TEST(test_failing_pg_dump_is_quoted)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	const char *dir = harness_fmt("%s/oldbin", harness_tmpdir());
	struct retort_error err = { 0 };

	mkdir(dir, 0700);
	chmod(harness_write_file(
		      "oldbin/pg_dump",
		      "#!/bin/sh\n"
		      "echo 'pg_dump: error: aborting because of server version"
		      " mismatch' >&2\n"
		      "echo 'pg_dump: detail: server version: 99.0; pg_dump"
		      " version: 15.1' >&2\n"
		      "exit 1\n"),
	      0700);
	clone_with_path(hdb, dir, &err);
	ck_assert_int_eq(err.status, RETORT_FAILED);
	ck_assert_str_eq(err.msg, "cannot copy the target's schema: pg_dump"
				  " failed (exit status 1)");
	ck_assert_msg(strstr(err.detail, "pg_dump: error: aborting because"
					 " of server version mismatch\n"
					 "pg_dump: detail: server version:"
					 " 99.0") != NULL,
		      "%s", harness_oneline(err.detail));
	ck_assert_msg(strstr(err.hint, "as new as its server") != NULL, "%s",
		      err.hint);
}
END_TEST

START_TEST(test_given_shadow_must_be_empty_and_is_emptied)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	const struct harness_db *given = harness_db_fresh("given_shadow");
	struct retort_error err = { 0 };
	struct shadow s = { 0 };
	struct db target = { 0 };

	fill_target(hdb);
	harness_exec(hdb, "CREATE AGGREGATE app.total(int) (sfunc = int4pl,"
			  " stype = int); CREATE DOMAIN app.pos AS int"
			  " CHECK (VALUE > 0); CREATE TABLE public.p (a int)");
	connect_target(hdb, NULL, &target);
	assert_no_error(
		shadow_clone_schema(&s, &target, NULL, given->url, &err), err);
	check_clone(&s);
	ck_assert_int_eq(shadow_close(&s, 0, &err), 0);
	ck_assert_str_eq(
		harness_scalar(given, "SELECT (SELECT count(*) FROM pg_class"
				      " WHERE oid >= 16384) + (SELECT count(*)"
				      " FROM pg_type WHERE oid >= 16384)"
				      " + (SELECT count(*) FROM pg_proc"
				      " WHERE oid >= 16384) + (SELECT count(*)"
				      " FROM pg_namespace WHERE oid >= 16384)"),
		"0");

	/* Not empty: refused before anything is loaded. */
	harness_exec(given, "CREATE TABLE mine (a int)");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(
		shadow_clone_schema(&s, &target, NULL, given->url, &err), -1);
	ck_assert_int_eq(shadow_close(&s, -1, &err), -1);
	ck_assert_int_eq(err.status, RETORT_USAGE);
	ck_assert_str_eq(err.msg, "the shadow database is not empty");
	ck_assert(harness_table_exists(given, "mine"));
	db_close(&target);
}
END_TEST

/* ---- table facts ---- */

static const struct table_facts *facts_of(struct db *target,
					  const char *const *names, size_t n)
{
	struct retort_error err = { 0 };
	struct table_facts *f = calloc(n, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	assert_no_error(facts_read(target, names, n, f, &err), err);
	return f;
}

START_TEST(test_facts_read_the_catalog)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	const char *const names[] = { "public.big", "never_analyzed",
				      "public.\"Odd \"\"Name\"", "nosuch",
				      "nosuchschema.t" };
	const struct table_facts *f;
	struct db target = { 0 };

	harness_exec(hdb, "CREATE TABLE big (id int PRIMARY KEY, v text);"
			  " CREATE INDEX big_v ON big (v);"
			  " INSERT INTO big SELECT g, repeat('x', 100)"
			  " FROM generate_series(1, 5000) g;"
			  " ANALYZE big;"
			  " CREATE TABLE never_analyzed (a int);"
			  " CREATE TABLE \"Odd \"\"Name\" (a int PRIMARY KEY)");
	connect_target(hdb, NULL, &target);
	f = facts_of(&target, names, 5);
	ck_assert_str_eq(f[0].relation, "public.big");
	ck_assert(f[0].exists && f[0].rows_known);
	ck_assert_double_eq(f[0].rows, 5000);
	ck_assert_int_eq(f[0].nindexes, 2);
	ck_assert_str_eq(harness_fmt("%lld", f[0].bytes),
			 harness_scalar(hdb, "SELECT pg_total_relation_size("
					     "'big')"));
	ck_assert(f[1].exists && !f[1].rows_known);
	ck_assert_double_eq(f[1].rows, 0);
	ck_assert_int_eq(f[1].nindexes, 0);
	ck_assert(f[2].exists);
	ck_assert_int_eq(f[2].nindexes, 1);
	ck_assert(!f[3].exists && !f[3].rows_known);
	ck_assert_int_eq(f[3].bytes, 0);
	ck_assert(!f[4].exists);
	facts_release((struct table_facts *)f, 5);
	free((struct table_facts *)f);
	db_close(&target);
}
END_TEST

static Suite *shadow_clone_suite(void)
{
	Suite *s = suite_create("shadow_clone");
	TCase *tc = harness_tcase("clone");

	tcase_add_test(tc, test_scratch_clone_holds_schema_and_version_rows);
	tcase_add_test(tc, test_target_without_version_table_gets_an_empty_one);
	tcase_add_test(tc, test_password_reaches_pg_dump_only_by_environment);
	tcase_add_test(tc, test_missing_pg_dump_is_named);
	tcase_add_test(tc, test_failing_pg_dump_is_quoted);
	tcase_add_test(tc, test_blank_target_needs_no_pg_dump);
	tcase_add_test(tc, test_given_shadow_must_be_empty_and_is_emptied);
	suite_add_tcase(s, tc);

	tc = harness_tcase("facts");
	tcase_add_test(tc, test_facts_read_the_catalog);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(shadow_clone_suite(), HARNESS_NEEDS_DB);
}
