/*
 * Integration: a fleet's targets read from a database.  --targets-query
 * reads (label, url) rows from a control database; --schemas-query reads
 * one tenant schema a row.  The functions are driven directly (linking
 * the runner's core) against real databases: what they return, and what
 * each refusal says and exits with, never a byte of a password.
 */
#include <string.h>

#include "harness.h"

#include "fleet/sources.h"

#define SECRET "s3cr3t-PASSWORD"

/* No three bytes in a row of the password in any of err's texts. */
static void assert_no_secret(const struct retort_error *err)
{
	char window[4] = { 0 };

	for (size_t i = 0; SECRET[i + 2]; i++) {
		memcpy(window, SECRET + i, 3);
		ck_assert_msg(!strstr(err->msg, window) &&
				      !strstr(err->detail, window) &&
				      !strstr(err->hint, window),
			      "password bytes in: %s / %s / %s", err->msg,
			      err->detail, err->hint);
	}
}

static const struct harness_db *control_db(void)
{
	const struct harness_db *db = harness_db_fresh(__func__);

	harness_exec(db, "CREATE TABLE fleet (label text, url text, n int)");
	return db;
}

START_TEST(test_query_rows_are_targets)
{
	const struct harness_db *db = control_db();
	struct fleet_targets t = { 0 };
	struct retort_error err = { 0 };

	harness_exec(db,
		     harness_fmt("INSERT INTO fleet VALUES "
				 "('eu-1', $u$%s$u$, 1), ('eu-2', $u$%s$u$, 2), "
				 "('us-1', 'host=db9 port=6000 dbname=x', 3)",
				 db->url, db->conninfo));
	ck_assert_int_eq(fleet_targets_from_query(
				 &t, db->url,
				 "SELECT label, url FROM fleet ORDER BY n",
				 "10", &err),
			 0);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_str_eq(t.v[0].label, "eu-1");
	ck_assert_str_eq(t.v[0].url, db->url);
	ck_assert_str_eq(t.v[1].label, "eu-2");
	ck_assert_str_eq(t.v[2].label, "us-1");
	ck_assert_str_eq(t.v[2].host_key, "db9:6000");
	ck_assert_ptr_null(t.v[0].schema);
	fleet_targets_release(&t);
}
END_TEST

START_TEST(test_schemas_are_targets)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct fleet_targets t = { 0 };
	struct retort_error err = { 0 };

	for (int i = 1; i <= 5; i++)
		harness_exec(db, harness_fmt("CREATE SCHEMA tenant_%d", i));
	ck_assert_int_eq(
		fleet_targets_from_schemas(
			&t, db->url,
			"SELECT schema_name FROM information_schema.schemata "
			"WHERE schema_name LIKE 'tenant\\_%' ORDER BY 1",
			NULL, &err),
		0);
	ck_assert_uint_eq(t.n, 5);
	for (int i = 0; i < 5; i++) {
		const char *name = harness_fmt("tenant_%d", i + 1);

		ck_assert_str_eq(t.v[i].schema, name);
		ck_assert_str_eq(t.v[i].label, name);
		ck_assert_str_eq(t.v[i].url, db->url);
	}
	fleet_targets_release(&t);
}
END_TEST

/* What a refused query leaves: the status, a message, and no target. */
static void assert_refused(const char *url, const char *sql, bool schemas,
			   enum retort_status status, const char *msg_part,
			   struct retort_error *err)
{
	struct fleet_targets t = { 0 };
	int rc = schemas ? fleet_targets_from_schemas(&t, url, sql, "5", err)
			 : fleet_targets_from_query(&t, url, sql, "5", err);

	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err->status, status);
	ck_assert_msg(strstr(err->msg, msg_part), "\"%s\" not in \"%s\"",
		      msg_part, err->msg);
	assert_no_secret(err);
	fleet_targets_release(&t);
}

START_TEST(test_connection_failure_names_no_password)
{
	struct retort_error err = { 0 };
	const char *url =
		harness_fmt("postgresql://nobody:" SECRET "@127.0.0.1:%s/x",
			    harness_free_port());

	assert_refused(url, "SELECT 'a', 'b'", false, RETORT_FAILED,
		       "--targets-query", &err);
	assert_refused(url, "SELECT 'a'", true, RETORT_FAILED,
		       "--schemas-query", &err);
}
END_TEST

START_TEST(test_query_error_is_postgresql_s)
{
	const struct harness_db *db = control_db();
	struct retort_error err = { 0 };

	assert_refused(db->url, "SELECT label, url FROM no_such_table", false,
		       RETORT_FAILED, "no_such_table", &err);
	ck_assert_str_eq(err.sqlstate, "42P01");
	ck_assert_ptr_nonnull(strstr(err.msg, "--targets-query failed"));
}
END_TEST

START_TEST(test_wrong_shape_is_usage)
{
	const struct harness_db *db = control_db();
	struct retort_error err = { 0 };

	assert_refused(db->url, "SELECT label FROM fleet", false, RETORT_USAGE,
		       "returned 1 column, not 2", &err);
	assert_refused(db->url, "SELECT label, n FROM fleet", false,
		       RETORT_USAGE, "column 2 (n) is not text", &err);
	assert_refused(db->url, "SELECT 'a', 'b'", true, RETORT_USAGE,
		       "returned 2 columns, not 1", &err);
}
END_TEST

START_TEST(test_null_and_no_rows_are_usage)
{
	const struct harness_db *db = control_db();
	struct retort_error err = { 0 };

	harness_exec(db, harness_fmt("INSERT INTO fleet VALUES "
				     "('a', '%s', 1), ('b', NULL, 2)",
				     db->url));
	assert_refused(db->url, "SELECT label, url FROM fleet ORDER BY n",
		       false, RETORT_USAGE, "row 2: the url is NULL", &err);
	assert_refused(db->url, "SELECT label, url FROM fleet WHERE false",
		       false, RETORT_USAGE, "returned no rows", &err);
	assert_refused(db->url, "SELECT NULL::text", true, RETORT_USAGE,
		       "row 1: the schema is NULL", &err);
	assert_refused(db->url, "SELECT 'x' WHERE false", true, RETORT_USAGE,
		       "returned no rows", &err);
}
END_TEST

START_TEST(test_bad_url_in_a_row_names_the_row_not_the_password)
{
	const struct harness_db *db = control_db();
	struct retort_error err = { 0 };

	harness_exec(db, harness_fmt("INSERT INTO fleet VALUES "
				     "('good', '%s', 1), "
				     "('bad', 'postgresql://u:" SECRET
				     "@[::1/db', 2)",
				     db->url));
	assert_refused(db->url, "SELECT label, url FROM fleet ORDER BY n",
		       false, RETORT_USAGE, "row 2 (bad)", &err);
}
END_TEST

static Suite *fleet_sources_suite(void)
{
	Suite *s = suite_create("fleet_sources");
	TCase *tc = harness_tcase("read");

	tcase_add_test(tc, test_query_rows_are_targets);
	tcase_add_test(tc, test_schemas_are_targets);
	suite_add_tcase(s, tc);

	tc = harness_tcase("refused");
	tcase_add_test(tc, test_connection_failure_names_no_password);
	tcase_add_test(tc, test_query_error_is_postgresql_s);
	tcase_add_test(tc, test_wrong_shape_is_usage);
	tcase_add_test(tc, test_null_and_no_rows_are_usage);
	tcase_add_test(tc,
		       test_bad_url_in_a_row_names_the_row_not_the_password);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(fleet_sources_suite(), HARNESS_NEEDS_DB);
}
