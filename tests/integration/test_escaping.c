/*
 * Integration: values and names in the runner's SQL text.  The statements
 * that travel with a revision's BEGIN or COMMIT carry their values as
 * escaped literals (store/db.h, "Values in SQL"); identifiers are always
 * quoted.  Hostile values (quotes, backslashes, E'' sequences, dollar
 * quotes, control characters, unicode, very long text) and hostile names
 * (dots, quotes, upper case, spaces) go through db_quote_literal,
 * db_quote_ident, db_quote_qualified, the version-row change, the audit
 * row, the SET LOCALs and the checkpoint cleanup; each is run against the
 * server, and what the database then holds must equal the input exactly.
 *
 * Each case runs with standard_conforming_strings on and off: a literal
 * must mean the same under both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "data/checkpoint.h"
#include "store/audit.h"
#include "store/db.h"

#define assert_no_error(call, err)                                             \
	ck_assert_msg((call) == 0, "%s failed: %s [%s]", #call, (err).msg,     \
		      (err).detail)

/* ---- the hostile inputs ------------------------------------------------- */

static const char *const hostile_values[] = {
	"",
	"'",
	"''",
	"it's",
	"\\",
	"\\'",
	"'\\",
	"\\\\'\\''",
	"E'\\x41\\n'",
	"\\x41\\n\\t\\000\\u0041",
	"'); DROP TABLE victim; --",
	"$$ $tag$ $1 ? %s %n",
	"\"double\" and 'single'",
	"tab\there, newline\nthere, cr\rend",
	"\x01\x02\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f",
	"Grüße, 東京, Ω≈ç√, emoji \xf0\x9f\x8e\x89, e\xcc\x81",
	"trailing backslash \\",
	"U&'\\0041' and B'101'",
};

#define NVALUES (sizeof(hostile_values) / sizeof(hostile_values[0]))

/* Version ids are varchar(32): short hostile ones. */
static const char *const hostile_ids[] = {
	"a'b",	       "c\\d",	       "E'\\x41'",     "'); DROP--",
	"tab\tnl\ncr", "Grüße東京'\\", "\"q\" 'q' $$", "\x01\x1f\x7f end",
};

#define NIDS (sizeof(hostile_ids) / sizeof(hostile_ids[0]))

/* Names, as a user would write them, and libpq's quoting written by hand
 * (the reference the runner's quoting is checked against). */
static const char *const hostile_names[] = {
	"MixedCase",   "with.dot", "with\"quote", "\"",	    "it's",
	"back\\slash", "sp ace",   "Ünïcödé_表",  "select", "a;drop table x;--",
};

#define NNAMES (sizeof(hostile_names) / sizeof(hostile_names[0]))

/* A schema and version table named as badly as PostgreSQL allows. */
#define ODD_SCHEMA "Sch.em\"a 'x' \\"
#define ODD_SCHEMA_QUOTED "\"Sch.em\"\"a 'x' \\\""
#define ODD_TABLE "Ver\"sion.tab'le"

/* A long value: every printable ASCII character and some escapes, over
 * and over, 200 000 bytes. */
static char *long_value(void)
{
	static const char piece[] =
		"'\\\"E'\\\\x41$$ \t\n\x01\x7f" /* hostile */
		"abcdefghijklmnopqrstuvwxyz东京";
	size_t size = 200000, used = 0;
	char *s = malloc(size + 1);

	ck_assert_ptr_nonnull(s);
	while (used + sizeof(piece) - 1 <= size) {
		memcpy(s + used, piece, sizeof(piece) - 1);
		used += sizeof(piece) - 1;
	}
	s[used] = '\0';
	return s;
}

/* ---- helpers ------------------------------------------------------------ */

static void connect_db(const struct harness_db *hdb, const char *table,
		       const char *schema, struct db *db)
{
	struct retort_error err = { 0 };

	assert_no_error(db_connect(db, hdb->url, table, schema, &err), err);
}

static void exec_ok(struct db *db, const char *sql)
{
	struct retort_error err = { 0 };

	ck_assert_msg(db_exec(db, sql, 0, NULL, &err) == 0, "%s: %s [%s]", sql,
		      err.msg, err.detail);
}

/* Run SQL text of several statements (as a revision's closing message). */
static void exec_text(struct db *db, const char *sql)
{
	struct retort_error err = { 0 };
	PGresult *res = db_exec_batch(db, sql, &err);

	ck_assert_msg(res != NULL, "%.200s: %s [%s]", sql, err.msg, err.detail);
	PQclear(res);
}

static void set_conforming(struct db *db, bool on)
{
	exec_ok(db, on ? "SET standard_conforming_strings = on"
		       : "SET standard_conforming_strings = off");
}

/* The count(*) that sql (with one or two parameters) returns, on the
 * harness's own connection: the independent look at what the database
 * holds. */
static long count_with2(const struct harness_db *hdb, const char *sql,
			const char *param, const char *param2)
{
	const char *params[] = { param, param2 };
	PGresult *res = PQexecParams(hdb->conn, sql, param2 ? 2 : 1, NULL,
				     params, NULL, NULL, 0);
	long n;

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
		      PQerrorMessage(hdb->conn));
	n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

static long count_with(const struct harness_db *hdb, const char *sql,
		       const char *param)
{
	return count_with2(hdb, sql, param, NULL);
}

/* SELECT <literal>: the value the server reads back, as text. */
static void assert_literal_reads_back(struct db *db, const char *value)
{
	struct retort_error err = { 0 };
	struct strbuf sql = STRBUF_INIT;
	struct db_rows *rows;
	char *lit = db_quote_literal(db->conn, value), *text;

	ck_assert_ptr_nonnull(lit);
	strbuf_add(&sql, "SELECT ");
	db_add_literal(&sql, db->conn, value);
	strbuf_addf(&sql, ", %s::text", lit);
	text = strbuf_finish(&sql);
	ck_assert_ptr_nonnull(text);
	rows = db_query(db, text, 0, NULL, &err);
	ck_assert_msg(rows != NULL, "%.200s: %s", text, err.msg);
	ck_assert_msg(strcmp(db_value(rows, 0, 0), value) == 0,
		      "the literal %.200s read back as \"%.200s\"", lit,
		      db_value(rows, 0, 0));
	ck_assert_str_eq(db_value(rows, 0, 1), value);
	db_rows_free(rows);
	free(text);
	free(lit);
}

/* ---- literals ----------------------------------------------------------- */

/* check(db, value) for every hostile value and the long one, with
 * standard_conforming_strings on, then off, on a fresh database. */
static void each_value(const char *test,
		       void (*check)(struct db *, const char *))
{
	const struct harness_db *hdb = harness_db_fresh(test);
	char *longest = long_value();
	struct db db;

	connect_db(hdb, "alembic_version", NULL, &db);
	for (int on = 1; on >= 0; on--) {
		set_conforming(&db, on);
		for (size_t i = 0; i < NVALUES; i++)
			check(&db, hostile_values[i]);
		check(&db, longest);
	}
	db_close(&db);
	free(longest);
}

START_TEST(test_literals_read_back_exactly)
{
	each_value(__func__, assert_literal_reads_back);
}
END_TEST

START_TEST(test_null_literal_is_sql_null)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct strbuf sql = STRBUF_INIT;
	struct db_rows *rows;
	char *text;
	struct db db;

	connect_db(hdb, "alembic_version", NULL, &db);
	strbuf_add(&sql, "SELECT ");
	db_add_literal(&sql, db.conn, NULL);
	strbuf_add(&sql, " IS NULL");
	text = strbuf_finish(&sql);
	rows = db_query(&db, text, 0, NULL, &err);
	ck_assert_ptr_nonnull(rows);
	ck_assert_str_eq(db_value(rows, 0, 0), "t");
	db_rows_free(rows);
	free(text);
	db_close(&db);
}
END_TEST

/* ---- identifiers -------------------------------------------------------- */

/* CREATE TABLE under the quoted name; pg_class must hold the name as
 * written, in the schema as written. */
static void assert_table_named(const struct harness_db *hdb, struct db *db,
			       const char *schema, const char *name)
{
	char *q = db_quote_qualified(db->conn, schema, name);
	const char *sql;

	ck_assert_ptr_nonnull(q);
	exec_ok(db, harness_fmt("CREATE TABLE %s (id int)", q));
	sql = harness_fmt("SELECT count(*) FROM pg_class c JOIN pg_namespace n"
			  " ON n.oid = c.relnamespace WHERE c.relname = $1"
			  " AND n.nspname = %s",
			  schema ? "$2" : "current_schema()");
	ck_assert_msg(count_with2(hdb, sql, name, schema) == 1,
		      "%s did not create a table named \"%s\"", q, name);
	exec_ok(db, harness_fmt("DROP TABLE %s", q));
	free(q);
}

START_TEST(test_identifiers_name_what_was_written)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct db db;

	connect_db(hdb, "alembic_version", NULL, &db);
	/* The schema is made with a name quoted by hand, the reference. */
	exec_ok(&db, "CREATE SCHEMA " ODD_SCHEMA_QUOTED);
	for (int on = 1; on >= 0; on--) {
		set_conforming(&db, on);
		for (size_t i = 0; i < NNAMES; i++) {
			char *q = db_quote_ident(db.conn, hostile_names[i]);

			ck_assert_ptr_nonnull(q);
			ck_assert_msg(q[0] == '"', "%s is not quoted", q);
			free(q);
			assert_table_named(hdb, &db, NULL, hostile_names[i]);
			assert_table_named(hdb, &db, ODD_SCHEMA,
					   hostile_names[i]);
		}
	}
	db_close(&db);
}
END_TEST

/* The version table and the tables beside it, all in a schema whose name
 * has a dot, quotes, a space and a backslash. */
START_TEST(test_tables_beside_an_odd_version_table)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	static const char *const beside[] = { ODD_TABLE, AUDIT_TABLE,
					      CHECKPOINT_TABLE };
	struct retort_error err = { 0 };
	struct db db;

	harness_exec(hdb, "CREATE SCHEMA " ODD_SCHEMA_QUOTED);
	connect_db(hdb, ODD_TABLE, ODD_SCHEMA, &db);
	assert_no_error(db_ensure_version_table(&db, &err), err);
	assert_no_error(audit_ensure_table(&db, &err), err);
	assert_no_error(checkpoint_ensure(&db, &err), err);
	db_close(&db);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(count_with2(hdb,
					  "SELECT count(*) FROM pg_tables"
					  " WHERE tablename = $1"
					  " AND schemaname = $2",
					  beside[i], ODD_SCHEMA) == 1,
			      "no table \"%s\" in the schema", beside[i]);
	ck_assert_int_eq(harness_count(hdb, "SELECT 1 FROM pg_tables WHERE"
					    " tablename IN ('retort_history',"
					    " 'retort_backfill')"),
			 2);
}
END_TEST

/* ---- the version-row change --------------------------------------------- */

static void change_versions(struct db *db, const char *const *remove,
			    size_t nremove, const char *const *insert,
			    size_t ninsert)
{
	struct retort_error err = { 0 };
	char *sql = NULL;

	assert_no_error(db_version_change_sql(db, remove, nremove, insert,
					      ninsert, &sql, &err),
			err);
	exec_text(db, harness_fmt("BEGIN;\n%s;\nCOMMIT", sql));
	free(sql);
}

/* The version table holds exactly ids[0..n). */
static void assert_versions(const struct harness_db *hdb,
			    const char *const *ids, size_t n)
{
	const char *table = ODD_SCHEMA_QUOTED ".\"Ver\"\"sion.tab'le\"";

	ck_assert_int_eq(
		harness_count(hdb, harness_fmt("SELECT 1 FROM %s", table)),
		(long)n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(count_with(hdb,
					 harness_fmt("SELECT count(*) FROM %s"
						     " WHERE version_num = $1",
						     table),
					 ids[i]) == 1,
			      "no version row \"%s\"", ids[i]);
}

START_TEST(test_version_change_keeps_ids_exactly)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct db db;

	harness_exec(hdb, "CREATE SCHEMA " ODD_SCHEMA_QUOTED);
	connect_db(hdb, ODD_TABLE, ODD_SCHEMA, &db);
	assert_no_error(db_ensure_version_table(&db, &err), err);
	set_conforming(&db, false);
	change_versions(&db, NULL, 0, hostile_ids, NIDS);
	assert_versions(hdb, hostile_ids, NIDS);
	/* Remove the first half, then replace the rest with it. */
	change_versions(&db, hostile_ids, NIDS / 2, NULL, 0);
	assert_versions(hdb, hostile_ids + NIDS / 2, NIDS - NIDS / 2);
	set_conforming(&db, true);
	change_versions(&db, hostile_ids + NIDS / 2, NIDS - NIDS / 2,
			hostile_ids, NIDS / 2);
	assert_versions(hdb, hostile_ids, NIDS / 2);
	db_close(&db);
}
END_TEST

/* ---- the audit row ------------------------------------------------------ */

/* The row that audit_record_sql writes, guarded as a step's is. */
static void record_step(struct db *db, const struct revision_meta *meta)
{
	struct retort_error err = { 0 };
	struct audit_step step;
	char *sql = NULL;

	assert_no_error(db_prelude_begin(db, NULL, NULL, &err), err);
	audit_step_begin(&step, meta, PLAN_UPGRADE);
	step.guarded = true;
	assert_no_error(audit_record_sql(db, &step, &sql, &err), err);
	exec_text(db, harness_fmt("%s;\nCOMMIT", sql));
	free(sql);
}

START_TEST(test_audit_row_keeps_values_exactly)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct revision_meta meta = { 0 };
	struct audit_checksums sums;
	struct db db;

	harness_exec(hdb, "CREATE SCHEMA " ODD_SCHEMA_QUOTED);
	connect_db(hdb, ODD_TABLE, ODD_SCHEMA, &db);
	assert_no_error(audit_ensure_table(&db, &err), err);
	for (size_t i = 0; i < NIDS; i++) {
		set_conforming(&db, i % 2 == 0);
		meta.id = hostile_ids[i];
		/* Not "": an empty checksum is recorded as NULL. */
		meta.checksum = hostile_values[1 + i % (NVALUES - 1)];
		record_step(&db, &meta);
		ck_assert_msg(
			count_with2(hdb,
				    "SELECT count(*) FROM " ODD_SCHEMA_QUOTED
				    ".retort_history WHERE revision = $1"
				    " AND version_table = $2"
				    " AND direction = 'upgrade'",
				    hostile_ids[i],
				    ODD_SCHEMA "." ODD_TABLE) == 1,
			"no audit row for \"%s\"", hostile_ids[i]);
		ck_assert_int_eq(
			count_with(hdb,
				   "SELECT count(*) FROM " ODD_SCHEMA_QUOTED
				   ".retort_history WHERE checksum = $1",
				   meta.checksum),
			1);
	}
	/* Read back through the runner, by the version table's name. */
	assert_no_error(audit_last_checksums(&db, &sums, &err), err);
	ck_assert_uint_eq(sums.n, NIDS);
	for (size_t i = 0; i < NIDS; i++) {
		const struct audit_checksum *c =
			audit_checksums_find(&sums, hostile_ids[i]);

		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(c->checksum,
				 hostile_values[1 + i % (NVALUES - 1)]);
	}
	audit_checksums_release(&sums);
	db_close(&db);
}
END_TEST

/* ---- SET LOCAL ---------------------------------------------------------- */

static void assert_setting_is(struct db *db, const char *value)
{
	struct retort_error err = { 0 };
	const struct db_setting set[] = { { "retort.escaping_test", value } };
	struct db_rows *rows;

	assert_no_error(db_begin_with(db, set, 1, &err), err);
	rows = db_query(db, "SELECT current_setting('retort.escaping_test')", 0,
			NULL, &err);
	ck_assert_msg(rows != NULL, "%s", err.msg);
	ck_assert_msg(strcmp(db_value(rows, 0, 0), value) == 0,
		      "SET LOCAL read back as \"%.200s\", not \"%.200s\"",
		      db_value(rows, 0, 0), value);
	db_rows_free(rows);
	db_rollback(db);
}

START_TEST(test_set_local_keeps_values_exactly)
{
	each_value(__func__, assert_setting_is);
}
END_TEST

/* ---- the checkpoint cleanup --------------------------------------------- */

START_TEST(test_checkpoint_cleanup_removes_only_its_revision)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct checkpoint c;
	char *sql = NULL;
	struct db db;

	connect_db(hdb, "alembic_version", NULL, &db);
	assert_no_error(checkpoint_ensure(&db, &err), err);
	for (size_t i = 0; i < NIDS; i++) {
		assert_no_error(checkpoint_open(&db, hostile_ids[i], "job", "t",
						0, true, &c, &err),
				err);
		checkpoint_release(&c);
	}
	set_conforming(&db, false);
	for (size_t i = 0; i < NIDS; i++) {
		assert_no_error(
			checkpoint_cleanup_sql(&db, hostile_ids[i], &sql, &err),
			err);
		ck_assert_ptr_nonnull(sql);
		exec_text(&db, sql);
		free(sql);
		ck_assert_int_eq(
			count_with(hdb,
				   "SELECT count(*) FROM retort_backfill"
				   " WHERE revision = $1",
				   hostile_ids[i]),
			0);
		ck_assert_int_eq(
			harness_count(hdb, "SELECT 1 FROM retort_backfill"),
			(long)(NIDS - i - 1));
	}
	db_close(&db);
}
END_TEST

static Suite *escaping_suite(void)
{
	Suite *s = suite_create("escaping");
	TCase *tc = harness_tcase("literals");

	tcase_add_test(tc, test_literals_read_back_exactly);
	tcase_add_test(tc, test_null_literal_is_sql_null);
	tcase_add_test(tc, test_set_local_keeps_values_exactly);
	suite_add_tcase(s, tc);

	tc = harness_tcase("identifiers");
	tcase_add_test(tc, test_identifiers_name_what_was_written);
	tcase_add_test(tc, test_tables_beside_an_odd_version_table);
	suite_add_tcase(s, tc);

	tc = harness_tcase("statements");
	tcase_add_test(tc, test_version_change_keeps_ids_exactly);
	tcase_add_test(tc, test_audit_row_keeps_values_exactly);
	tcase_add_test(tc, test_checkpoint_cleanup_removes_only_its_revision);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(escaping_suite(), HARNESS_NEEDS_DB);
}
