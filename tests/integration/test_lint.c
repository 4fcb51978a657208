/*
 * Integration: `retort lint` and `upgrade --lint` on a target whose
 * tables exist and hold rows (big: 5,000 rows, analyzed; lint_large_rows
 * = 1000 in the test's retort.ini).  Every rule fires exactly on the
 * revision of tests/fixtures/lint written to break it, and on none of
 * the safe forms; the target is never changed; upgrade --lint refuses a
 * plan with findings before anything runs.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define at harness_at

/* What `retort lint` says of the whole fixture, as "rev:rule" pairs. */
static const char *const every_finding =
	"001:index-not-concurrent 003:volatile-default "
	"005:rewriting-type-change 007:set-not-null "
	"011:constraint-not-not-valid 012:validate-in-same-transaction "
	"013:access-exclusive-on-large-table 014:no-lock-timeout "
	"015:large-data-change 016:drop-column 017:rename-column "
	"018:rename-table 019:drop-table 022:concurrently-in-transaction ";

/* The target: the tables the fixture's revisions change, with rows. */
static const struct harness_db *target(const char *test)
{
	const struct harness_db *db = harness_db_fresh(test);

	harness_exec(db, "CREATE TABLE small (id int PRIMARY KEY, a int, b int,"
			 " c int, n int, s varchar(10), label text);"
			 "INSERT INTO small SELECT g, g, g, g, g, 'x', 'l'"
			 " FROM generate_series(1, 10) g;"
			 "CREATE TABLE big (id int PRIMARY KEY, a int, b int);"
			 "INSERT INTO big SELECT g, g, g"
			 " FROM generate_series(1, 5000) g;"
			 "CREATE TABLE old_name (id int);"
			 "CREATE TABLE doomed (id int);"
			 "ANALYZE");
	harness_write_file("retort.ini", "[retort]\n"
					 "lint_large_rows = 1000\n"
					 "ddl_lock_timeout = 5s\n");
	return db;
}

/* The findings of lint's text output as "rev:rule " each, in order. */
static const char *findings(const char *out)
{
	char rev[64] = "";
	const char *line = out;
	char *list = calloc(1, 4096);
	size_t n = 0;

	ck_assert_ptr_nonnull(list);
	while (*line) {
		size_t len = strcspn(line, "\n");
		const char *colon = memchr(line, ':', len);

		if (line[0] != ' ' && memchr(line, ',', len))
			snprintf(rev, sizeof(rev), "%.*s",
				 (int)strcspn(line, ","), line);
		else if (strncmp(line, "  ", 2) == 0 && line[2] != ' ' && colon)
			n += (size_t)snprintf(list + n, 4096 - n, "%s:%.*s ",
					      rev, (int)(colon - line - 2),
					      line + 2);
		line += len + (line[len] == '\n');
	}
	line = harness_fmt("%s", list);
	free(list);
	return line;
}

/* The target as lint must leave it: its columns, indexes, constraints. */
static const char *shape(const struct harness_db *db)
{
	return harness_scalar(
		db,
		"SELECT (SELECT string_agg(table_name || '.' || column_name"
		" || ':' || data_type || ':' || is_nullable, ','"
		" ORDER BY table_name, column_name)"
		" FROM information_schema.columns WHERE table_schema = 'public'"
		" AND table_name NOT LIKE 'retort%')"
		" || '|' || (SELECT string_agg(indexname, ',' ORDER BY indexname)"
		" FROM pg_indexes WHERE schemaname = 'public'"
		" AND tablename NOT LIKE 'retort%')"
		" || '|' || (SELECT coalesce(string_agg(conname, ','"
		" ORDER BY conname), '') FROM pg_constraint c JOIN pg_namespace n"
		" ON n.oid = c.connamespace WHERE nspname = 'public'"
		" AND conname NOT LIKE 'retort%')"
		" || '|' || (SELECT count(*) FROM big WHERE b = 1)");
}

START_TEST(test_lint_each_rule_where_expected)
{
	const struct harness_db *db = target(__func__);
	const char *before = shape(db);
	const struct harness_result *r = at(db, "lint", "lint", NULL);

	assert_exit(r, 1);
	assert_str_eq(findings(r->out), every_finding);
	ck_assert_ptr_nonnull(strstr(
		r->out,
		"14 findings in 14 of 22 revisions judged, 1 waived by .lint_allow.\n"));
	ck_assert_ptr_nonnull(strstr(
		r->out, "    fact: big has about 5000 rows in the target\n"));
	ck_assert_ptr_nonnull(strstr(r->out,
				     "\n    safe: CREATE INDEX "
				     "CONCURRENTLY, alone in a revision"));
	/* The rehearsal stopped where PostgreSQL refused 022. */
	ck_assert_ptr_nonnull(strstr(r->err, "revision 022"));
	ck_assert_ptr_nonnull(
		strstr(r->err, "cannot run inside a transaction"));
	/* Nothing of the target changed. */
	assert_str_eq(shape(db), before);
	ck_assert(!harness_table_exists(db, "alembic_version"));
}
END_TEST

/* Named revisions: only they are judged, after the ones before them ran
 * in the rehearsal; safe forms alone are clean (exit 0). */
START_TEST(test_lint_named_revisions)
{
	const struct harness_db *db = target(__func__);
	const struct harness_result *r;

	r = at(db, "lint", "lint", "002", "004", "006", "008", "009", "010",
	       "020", "021", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "No findings in 8 revisions judged, 1 "
			      "waived by .lint_allow.\n");
	assert_str_eq(r->err, "");
	r = at(db, "lint", "lint", "016", NULL);
	assert_exit(r, 1);
	assert_str_eq(findings(r->out), "016:drop-column ");
	assert_str_eq(r->err,
		      "retort: error: lint found 1 problem in 1 "
		      "revision\nretort: hint: Rewrite each statement "
		      "in its safe form, or waive a rule for a revision "
		      "with RETORT_REVISION(.lint_allow = "
		      "\"rule-id\").\n");
}
END_TEST

START_TEST(test_lint_json)
{
	const struct harness_db *db = target(__func__);
	const struct harness_result *r;

	r = at(db, "lint", "lint", "--json", "001", "012", NULL);
	assert_exit(r, 1);
	ck_assert(harness_starts_with(r->out, "{\"format_version\":1,"
					      "\"command\":\"lint\","));
	ck_assert_ptr_nonnull(
		strstr(r->out, "\"findings\":2,\"waived\":0,\"judged\":2,"));
	ck_assert_ptr_nonnull(strstr(
		r->out, "{\"revision\":\"001\",\"message\":\"index without "
			"concurrently\","));
	ck_assert_ptr_nonnull(strstr(
		r->out, "\"rule\":\"index-not-concurrent\",\"statement\":"
			"\"CREATE INDEX small_a ON small (a)\",\"origin\":"
			"\"retort_exec\","));
	ck_assert_ptr_nonnull(
		strstr(r->out, "\"rule\":\"validate-in-same-transaction\","));
	ck_assert_ptr_nonnull(
		strstr(r->out, "\"fact\":\"big has about 5000 rows in the "
			       "target\""));
	ck_assert_ptr_null(strstr(r->out, "drop-column"));
}
END_TEST

/* A table never analyzed has no known size: not large. */
START_TEST(test_lint_unknown_size_is_not_large)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	harness_exec(db, "CREATE TABLE small (id int PRIMARY KEY, a int, b int,"
			 " c int, n int, s varchar(10), label text);"
			 "CREATE TABLE big (id int PRIMARY KEY, a int, b int);"
			 "INSERT INTO big SELECT g, g, g"
			 " FROM generate_series(1, 5000) g");
	harness_write_file("retort.ini", "[retort]\nlint_large_rows = 1000\n"
					 "ddl_lock_timeout = 5s\n");
	r = at(db, "lint", "lint", "015", NULL);
	assert_ok(r);
	harness_exec(db, "ANALYZE big");
	assert_exit(at(db, "lint", "lint", "015", NULL), 1);
}
END_TEST

START_TEST(test_upgrade_lint_refuses_before_running)
{
	const struct harness_db *db = target(__func__);
	const char *before = shape(db);
	const struct harness_result *r;

	r = at(db, "lint", "upgrade", "--lint", "003", NULL);
	assert_exit(r, 1);
	assert_str_eq(findings(r->out),
		      "001:index-not-concurrent 003:volatile-default ");
	ck_assert(harness_starts_with(r->err, "retort: error: upgrade refused: "
					      "lint found 2 problems in 2 "
					      "revisions\n"));
	ck_assert_ptr_null(strstr(r->out, "Running upgrade"));
	assert_str_eq(shape(db), before);
	/* No revision recorded (the version table may not exist yet). */
	ck_assert(harness_versions(db, NULL) == NULL ||
		  strcmp(harness_versions(db, NULL), "") == 0);
}
END_TEST

START_TEST(test_upgrade_lint_clean_runs)
{
	const struct harness_db *db = target(__func__);
	const struct harness_result *r;

	/* The linear fixture creates its own tables: nothing to say. */
	r = at(db, "linear", "upgrade", "--lint", "head", NULL);
	assert_ok(r);
	ck_assert_ptr_nonnull(strstr(r->out, "Running upgrade 002 -> 003"));
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

START_TEST(test_lint_unknown_waiver)
{
	const struct harness_db *db = target(__func__);
	const char *dir = harness_fmt("%s/plugins", harness_tmpdir());
	const struct harness_result *r;

	/* A copy with no index yet: the waiver read from the plugin itself,
	 * then, the second time, from the index the first run wrote. */
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(
		system(harness_fmt("cp %s/*.so %s",
				   harness_fixture("lint_waiver"), dir)),
		0);
	for (int run = 0; run < 2; run++) {
		r = at(db, dir, "lint", NULL);
		assert_exit(r, 2);
		assert_str_eq(r->out, "");
		ck_assert(harness_starts_with(
			r->err,
			"retort: error: revision 001 waives an unknown lint "
			"rule \"drop-colum\"\nretort: detail: its .lint_allow "
			"is \"drop-column, drop-colum\"; the rules are "
			"index-not-concurrent, concurrently-in-transaction,"));
	}
}
END_TEST

START_TEST(test_lint_bad_revisions)
{
	const struct harness_db *db = target(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "linear", "upgrade", "001", NULL));
	r = at(db, "linear", "lint", "001", NULL);
	assert_exit(r, 2);
	ck_assert(harness_starts_with(r->err, "retort: error: revision 001 "
					      "is not pending\n"));
	r = at(db, "linear", "lint", "nosuch", NULL);
	assert_exit(r, 2);
	assert_str_eq(r->out, "");
}
END_TEST

START_TEST(test_lint_large_rows_strict)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	harness_write_file("retort.ini", "[retort]\nlint_large_rows = 10k\n");
	r = at(db, "linear", "lint", NULL);
	assert_exit(r, 2);
	ck_assert_ptr_nonnull(strstr(
		r->err, "retort.ini:2: lint_large_rows is not a whole number "
			"of rows\n"));
}
END_TEST

/* Each hazard reviewed, as a person would: its #warning line deleted. */
static void review(const char *dir)
{
	ck_assert_int_eq(system(harness_fmt(
				 "sed -i '/^#warning/d' %s/versions/*.c", dir)),
			 0);
}

/*
 * What `revision --autogenerate` writes for the common changes to tables
 * that exist lints clean: new nullable columns, a now() default, a new
 * table with its index, a foreign key added NOT VALID and validated in
 * the autocommit part, an index built CONCURRENTLY there.
 */
START_TEST(test_lint_autogenerated)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .cwd = harness_tmpdir(), .url = db->url };
	const struct harness_result *r;

	harness_exec(db,
		     "CREATE TABLE users (id int PRIMARY KEY, email text);"
		     "CREATE TABLE orders (id int PRIMARY KEY, user_id int);"
		     "INSERT INTO users SELECT g, 'u' || g"
		     " FROM generate_series(1, 5000) g;"
		     "INSERT INTO orders SELECT g, g"
		     " FROM generate_series(1, 5000) g;"
		     "ANALYZE");
	harness_write_file("retort.ini", "[retort]\nversions = build\n"
					 "sources = versions\n"
					 "lint_large_rows = 1000\n"
					 "ddl_lock_timeout = 5s\n");
	ck_assert_int_eq(mkdir(harness_fmt("%s/versions", how.cwd), 0755), 0);
	ck_assert_int_eq(mkdir(harness_fmt("%s/db", how.cwd), 0755), 0);
	harness_write_file(
		"db/schema.sql",
		"CREATE TABLE users (id int PRIMARY KEY, email text, name text,"
		" created timestamptz DEFAULT now());\n"
		"CREATE TABLE orders (id int PRIMARY KEY,"
		" user_id int REFERENCES users (id), note text);\n"
		"CREATE INDEX orders_user ON orders (user_id);\n"
		"CREATE TABLE tags (id int PRIMARY KEY, label text NOT NULL);\n"
		"CREATE INDEX tags_label ON tags (label);\n");
	assert_ok(harness_retort(&how, "revision", "--autogenerate", "-m",
				 "grow", NULL));
	review(how.cwd);
	assert_exit(harness_retort(&how, "build", NULL), 0);
	r = harness_retort(&how, "lint", NULL);
	assert_ok(r);
	ck_assert(harness_ends_with(r->out,
				    "No findings in 2 revisions judged.\n"));
}
END_TEST

static Suite *lint_suite(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = harness_tcase("lint");

	tcase_add_test(tc, test_lint_each_rule_where_expected);
	tcase_add_test(tc, test_lint_named_revisions);
	tcase_add_test(tc, test_lint_json);
	tcase_add_test(tc, test_lint_unknown_size_is_not_large);
	tcase_add_test(tc, test_upgrade_lint_refuses_before_running);
	tcase_add_test(tc, test_upgrade_lint_clean_runs);
	tcase_add_test(tc, test_lint_unknown_waiver);
	tcase_add_test(tc, test_lint_bad_revisions);
	tcase_add_test(tc, test_lint_large_rows_strict);
	tcase_add_test(tc, test_lint_autogenerated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(lint_suite(), HARNESS_NEEDS_DB);
}
