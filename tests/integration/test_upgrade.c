/*
 * Integration: upgrade, downgrade, current, history and heads against a
 * real database, as a user sees them: the exact output lines, the exit
 * status, and what the database holds afterwards.
 */
#include <unistd.h>

#include "harness.h"

#define at harness_at

static const char *column_exists(const struct harness_db *db, const char *table,
				 const char *column)
{
	return harness_scalar(db, harness_fmt("SELECT count(*) FROM "
					      "information_schema.columns "
					      "WHERE table_name = '%s' AND "
					      "column_name = '%s'",
					      table, column));
}

/* +1, +1, -1, head, base: the output and the database at every step. */
START_TEST(test_linear_round_trip)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = at(db, "linear", "upgrade", "+1", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running upgrade  -> 001, create table a\n");
	assert_str_eq(harness_versions(db, NULL), "001");
	ck_assert(harness_table_exists(db, "a"));
	ck_assert(!harness_table_exists(db, "b"));

	r = at(db, "linear", "upgrade", "+1", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running upgrade 001 -> 002, add table b\n");
	assert_str_eq(harness_versions(db, NULL), "002");
	ck_assert(harness_table_exists(db, "b"));
	assert_str_eq(column_exists(db, "a", "name"), "1");

	r = at(db, "linear", "downgrade", "-1", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running downgrade 002 -> 001, add table b\n");
	assert_str_eq(harness_versions(db, NULL), "001");
	ck_assert(!harness_table_exists(db, "b"));
	assert_str_eq(column_exists(db, "a", "name"), "0");

	r = at(db, "linear", "upgrade", "head", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running upgrade 001 -> 002, add table b\n"
			      "Running upgrade 002 -> 003, seed a\n");
	assert_str_eq(harness_versions(db, NULL), "003");
	assert_str_eq(harness_scalar(db, "SELECT string_agg(name, ',' "
					 "ORDER BY id) FROM a"),
		      "one,two");
	ck_assert(harness_table_exists(db, "c"));

	r = at(db, "linear", "downgrade", "base", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running downgrade 003 -> 002, seed a\n"
			      "Running downgrade 002 -> 001, add table b\n"
			      "Running downgrade 001 -> , create table a\n");
	assert_str_eq(harness_versions(db, NULL), "");
	ck_assert(!harness_table_exists(db, "a"));
	ck_assert(!harness_table_exists(db, "b"));
	ck_assert(!harness_table_exists(db, "c"));
}
END_TEST

START_TEST(test_upgrade_from_empty_to_head)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "linear", "upgrade", "head", NULL);

	assert_ok(r);
	assert_str_eq(r->out, "Running upgrade  -> 001, create table a\n"
			      "Running upgrade 001 -> 002, add table b\n"
			      "Running upgrade 002 -> 003, seed a\n");
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

START_TEST(test_upgrade_at_head_does_nothing)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "linear", "upgrade", "head", NULL));
	r = at(db, "linear", "upgrade", "head", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "");
	assert_str_eq(harness_versions(db, NULL), "003");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM a"), "2");
}
END_TEST

START_TEST(test_quiet)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = at(db, "linear", "-q", "upgrade", "head", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "");
	assert_str_eq(harness_versions(db, NULL), "003");

	r = at(db, "linear", "-q", "downgrade", "base", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "");
	assert_str_eq(harness_versions(db, NULL), "");
}
END_TEST

/* The table Alembic itself would create, byte for byte in its columns. */
START_TEST(test_version_table_shape)
{
	const struct harness_db *db = harness_db_fresh(__func__);

	assert_ok(at(db, "linear", "upgrade", "head", NULL));
	assert_str_eq(
		harness_scalar(db,
			       "SELECT string_agg(attname || ' ' || "
			       "format_type(atttypid, atttypmod) || ' ' || "
			       "attnotnull, ',') FROM pg_attribute "
			       "WHERE attrelid = 'alembic_version'::regclass "
			       "AND attnum > 0 AND NOT attisdropped"),
		"version_num character varying(32) true");
	assert_str_eq(
		harness_scalar(db,
			       "SELECT count(*) FROM pg_index "
			       "WHERE indrelid = 'alembic_version'::regclass "
			       "AND indisprimary"),
		"1");
}
END_TEST

/* A database Alembic has migrated is continued where it stands. */
START_TEST(test_continues_alembic_database)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	harness_exec(db, "CREATE TABLE alembic_version ("
			 " version_num VARCHAR(32) NOT NULL,"
			 " CONSTRAINT alembic_version_pkc"
			 " PRIMARY KEY (version_num));"
			 "INSERT INTO alembic_version VALUES ('001');"
			 "CREATE TABLE a (id int PRIMARY KEY)");
	r = at(db, "linear", "upgrade", "head", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running upgrade 001 -> 002, add table b\n"
			      "Running upgrade 002 -> 003, seed a\n");
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

START_TEST(test_current)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = at(db, "linear", "current", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "");

	assert_ok(at(db, "linear", "upgrade", "head", NULL));
	r = at(db, "linear", "current", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "003 (head)\n");

	assert_ok(at(db, "linear", "downgrade", "001", NULL));
	r = at(db, "linear", "current", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "001\n");
}
END_TEST

START_TEST(test_history_linear)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r = at(db, "linear", "history", NULL);

	/* README.txt sits beside the plugins and must be ignored. */
	ck_assert_int_eq(
		access(harness_fmt("%s/README.txt", harness_fixture("linear")),
		       R_OK),
		0);
	assert_ok(r);
	assert_str_eq(r->out, "002 -> 003 (head), seed a\n"
			      "001 -> 002, add table b\n"
			      "<base> -> 001, create table a\n");
}
END_TEST

START_TEST(test_heads_linear)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r = at(db, "linear", "heads", NULL);

	assert_ok(r);
	assert_str_eq(r->out, "003 (head)\n");
	ck_assert_ptr_null(harness_versions(db, NULL));
}
END_TEST

START_TEST(test_upgrade_full_id)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = at(db, "linear", "upgrade", "002", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running upgrade  -> 001, create table a\n"
			      "Running upgrade 001 -> 002, add table b\n");
	assert_str_eq(harness_versions(db, NULL), "002");
	ck_assert(!harness_table_exists(db, "c"));

	r = at(db, "linear", "downgrade", "001", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running downgrade 002 -> 001, add table b\n");
	assert_str_eq(harness_versions(db, NULL), "001");
}
END_TEST

START_TEST(test_upgrade_unique_prefix)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = at(db, "hexids", "upgrade", "ae10", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running upgrade  -> ae1027a6acf, create h1\n");
	assert_str_eq(harness_versions(db, NULL), "ae1027a6acf");

	r = at(db, "hexids", "upgrade", "27c6b", NULL);
	assert_ok(r);
	assert_str_eq(
		r->out,
		"Running upgrade ae1027a6acf -> 27c6a30d7c24, create h2\n"
		"Running upgrade 27c6a30d7c24 -> 27c6b1e2f0aa, create h3\n");
	assert_str_eq(harness_versions(db, NULL), "27c6b1e2f0aa");
}
END_TEST

START_TEST(test_upgrade_ambiguous_prefix)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "hexids", "upgrade", "27c6", NULL);

	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: ");
	assert_contains(r->err, "27c6a30d7c24");
	assert_contains(r->err, "27c6b1e2f0aa");
	assert_str_eq(r->out, "");
	ck_assert_ptr_null(harness_versions(db, NULL));
	ck_assert(!harness_table_exists(db, "h1"));
}
END_TEST

START_TEST(test_upgrade_unknown_revision)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = at(db, "linear", "upgrade", "zzzz9", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: ");
	assert_contains(r->err, "zzzz9");
	assert_str_eq(r->out, "");
	ck_assert_ptr_null(harness_versions(db, NULL));
	ck_assert(!harness_table_exists(db, "a"));

	r = at(db, "linear", "downgrade", "zzzz9", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "zzzz9");
}
END_TEST

START_TEST(test_branched_upgrade_head)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "branched", "upgrade", "head", NULL);

	assert_ok(r);
	/* The branches run in an unspecified order, between base and merge. */
	assert_str_eq(harness_sorted_lines(r->out),
		      "Running upgrade  -> 001, base\n"
		      "Running upgrade 001 -> 002a, left\n"
		      "Running upgrade 001 -> 002b, right\n"
		      "Running upgrade 002a, 002b -> 003, merge branches\n");
	assert_starts_with(r->out, "Running upgrade  -> 001, base\n");
	assert_ends_with(r->out,
			 "Running upgrade 002a, 002b -> 003, merge branches\n");
	assert_str_eq(harness_versions(db, NULL), "003");
	ck_assert(harness_table_exists(db, "br_left"));
	ck_assert(harness_table_exists(db, "br_right"));
	ck_assert(harness_table_exists(db, "br_merged"));

	r = at(db, "branched", "heads", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "003 (head)\n");

	/* Alembic's tree indicators follow the id. */
	r = at(db, "branched", "current", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "003 (head) (mergepoint)\n");
}
END_TEST

START_TEST(test_branched_downgrade)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "branched", "upgrade", "head", NULL));
	/* Like Alembic, a relative step across a merge point is refused. */
	r = at(db, "branched", "downgrade", "-1", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "Ambiguous walk");
	assert_contains(r->err, "003");
	assert_str_eq(harness_versions(db, NULL), "003");

	/* Undoing the merge point leaves both branches applied: two rows. */
	r = at(db, "branched", "downgrade", "002a", NULL);
	assert_ok(r);
	assert_str_eq(r->out,
		      "Running downgrade 003 -> 002a, 002b, merge branches\n");
	assert_str_eq(harness_versions(db, NULL), "002a,002b");
	ck_assert(!harness_table_exists(db, "br_merged"));
	ck_assert(harness_table_exists(db, "br_left"));
	ck_assert(harness_table_exists(db, "br_right"));

	r = at(db, "branched", "downgrade", "base", NULL);
	assert_ok(r);
	assert_ends_with(r->out, "Running downgrade 001 -> , base\n");
	assert_str_eq(harness_versions(db, NULL), "");
	ck_assert(!harness_table_exists(db, "br_left"));
	ck_assert(!harness_table_exists(db, "br_right"));
	ck_assert(!harness_table_exists(db, "br0"));
}
END_TEST

START_TEST(test_branched_history)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r = at(db, "branched", "history", NULL);
	const char *merge =
		"002a, 002b -> 003 (head) (mergepoint), merge branches\n";
	const char *base = "<base> -> 001 (branchpoint), base\n";

	assert_ok(r);
	assert_str_eq(harness_sorted_lines(r->out),
		      "001 -> 002a, left\n"
		      "001 -> 002b, right\n"
		      "002a, 002b -> 003 (head) (mergepoint), merge branches\n"
		      "<base> -> 001 (branchpoint), base\n");
	assert_starts_with(r->out, merge);
	assert_ends_with(r->out, base);
}
END_TEST

START_TEST(test_twoheads_upgrade_head_refused)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "twoheads", "upgrade", "head", NULL);

	assert_exit(r, 2);
	/* Alembic's words for it. */
	assert_contains(r->err, "Multiple head revisions are present");
	assert_contains(r->err, "002a");
	assert_contains(r->err, "002b");
	assert_str_eq(r->out, "");
	ck_assert_ptr_null(harness_versions(db, NULL));
	ck_assert(!harness_table_exists(db, "th0"));
}
END_TEST

START_TEST(test_twoheads_upgrade_heads)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "twoheads", "upgrade", "heads", NULL);

	assert_ok(r);
	assert_str_eq(harness_sorted_lines(r->out),
		      "Running upgrade  -> 001, base\n"
		      "Running upgrade 001 -> 002a, left\n"
		      "Running upgrade 001 -> 002b, right\n");
	assert_str_eq(harness_versions(db, NULL), "002a,002b");
	ck_assert(harness_table_exists(db, "th_left"));
	ck_assert(harness_table_exists(db, "th_right"));

	r = at(db, "twoheads", "current", NULL);
	assert_ok(r);
	assert_str_eq(harness_sorted_lines(r->out),
		      "002a (head)\n002b (head)\n");

	r = at(db, "twoheads", "heads", NULL);
	assert_ok(r);
	assert_str_eq(harness_sorted_lines(r->out),
		      "002a (head)\n002b (head)\n");
}
END_TEST

/*
 * Two runners at once on one database: the migration lock makes the
 * second wait, then find nothing left to do.  Without it, both would
 * create table s, and one would fail.
 */
START_TEST(test_concurrent_upgrades)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_run how = { .url = db->url, .versions = "slow" };
	const char *const args[] = { "upgrade", "head", NULL };
	struct harness_proc *first = harness_spawn(&how, args);
	struct harness_proc *second = harness_spawn(&how, args);
	const struct harness_result *r1 = harness_wait(first);
	const struct harness_result *r2 = harness_wait(second);

	assert_exit(r1, 0);
	assert_exit(r2, 0);
	assert_str_eq(harness_fmt("%s%s", r1->out, r2->out),
		      "Running upgrade  -> 001, slow create\n");
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM s"), "1");
}
END_TEST

/* No byte of the text is ESC or a line break but those that end lines. */
static void assert_no_raw_controls(const char *text)
{
	for (const char *p = text; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 || *p == '\n',
			      "a raw control character 0x%02x in \"%s\"",
			      (unsigned char)*p, harness_oneline(text));
	ck_assert_msg(strstr(text, "\xc2\x9b") == NULL,
		      "a raw U+009B in \"%s\"", harness_oneline(text));
}

/* Every line of an error on stderr carries retort's prefix. */
static void assert_prefixed_lines(const char *err)
{
	for (const char *line = err; *line;) {
		const char *nl = strchr(line, '\n');

		assert_starts_with(line, "retort: ");
		if (!nl)
			break;
		line = nl + 1;
	}
}

#define ODD_MSG "first line\\nsecond \\x1b[2J line \\u009b end"

/*
 * A revision's message with a line break, an escape that clears the
 * screen and a C1 control: escaped wherever it is printed, each listing
 * keeping one revision a line.
 */
START_TEST(test_message_controls_escaped)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = at(db, "odd_text", "upgrade", "head", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running upgrade  -> 001, " ODD_MSG "\n");

	r = at(NULL, "odd_text", "history", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "<base> -> 001 (head), " ODD_MSG "\n");

	r = at(NULL, "odd_text", "heads", "-v", NULL);
	assert_ok(r);
	assert_contains(r->out,
			"\n    " ODD_MSG "\n    \n    Revision ID: 001\n");
	assert_no_raw_controls(r->out);

	r = at(NULL, "odd_text", "show", "001", NULL);
	assert_ok(r);
	assert_contains(r->out, "\n    " ODD_MSG "\n");
	assert_no_raw_controls(r->out);

	r = at(db, "odd_text", "history", "-v", "-i", NULL);
	assert_ok(r);
	assert_contains(r->out, "Rev: 001 (head) (current)\n");
	assert_no_raw_controls(r->out);

	r = at(db, "odd_text", "downgrade", "base", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "Running downgrade 001 -> , " ODD_MSG "\n");
}
END_TEST

/*
 * What the version table holds is the database's text: a row with an
 * escape and a line break is quoted escaped, on one line of the error.
 */
START_TEST(test_version_row_controls_escaped)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "linear", "upgrade", "head", NULL));
	harness_exec(db, "INSERT INTO alembic_version VALUES"
			 " (E'\\x1b[31mX\\n')");
	r = at(db, "linear", "current", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: Can't locate revision"
				" identified by '\\x1b[31mX\\n'\n");
	assert_contains(r->err, "retort: detail: the version table holds"
				" '\\x1b[31mX\\n', which no revision");
	assert_no_raw_controls(r->err);
	assert_prefixed_lines(r->err);

	r = at(db, "linear", "check", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "'\\x1b[31mX\\n' is in the version table");
	assert_no_raw_controls(r->err);
	assert_prefixed_lines(r->err);
}
END_TEST

/* A server's message quotes what it was given: escaped too. */
START_TEST(test_server_message_controls_escaped)
{
	const struct harness_result *r = harness_retort(
		&(struct harness_run){
			.url = harness_url(false, "no\x1b[2Jsuch", NULL) },
		"--versions", harness_fixture("linear"), "current", NULL);

	assert_exit(r, 1);
	assert_contains(r->err, "no\\x1b[2Jsuch");
	assert_no_raw_controls(r->err);
	assert_prefixed_lines(r->err);
}
END_TEST

static Suite *upgrade_suite(void)
{
	Suite *s = suite_create("upgrade");
	TCase *tc = harness_tcase("linear");

	tcase_add_test(tc, test_linear_round_trip);
	tcase_add_test(tc, test_upgrade_from_empty_to_head);
	tcase_add_test(tc, test_upgrade_at_head_does_nothing);
	tcase_add_test(tc, test_quiet);
	tcase_add_test(tc, test_version_table_shape);
	tcase_add_test(tc, test_continues_alembic_database);
	suite_add_tcase(s, tc);

	tc = harness_tcase("status");
	tcase_add_test(tc, test_current);
	tcase_add_test(tc, test_history_linear);
	tcase_add_test(tc, test_heads_linear);
	tcase_add_test(tc, test_message_controls_escaped);
	tcase_add_test(tc, test_version_row_controls_escaped);
	tcase_add_test(tc, test_server_message_controls_escaped);
	suite_add_tcase(s, tc);

	tc = harness_tcase("targets");
	tcase_add_test(tc, test_upgrade_full_id);
	tcase_add_test(tc, test_upgrade_unique_prefix);
	tcase_add_test(tc, test_upgrade_ambiguous_prefix);
	tcase_add_test(tc, test_upgrade_unknown_revision);
	suite_add_tcase(s, tc);

	tc = harness_tcase("concurrency");
	tcase_add_test(tc, test_concurrent_upgrades);
	suite_add_tcase(s, tc);

	tc = harness_tcase("branches");
	tcase_add_test(tc, test_branched_upgrade_head);
	tcase_add_test(tc, test_branched_downgrade);
	tcase_add_test(tc, test_branched_history);
	tcase_add_test(tc, test_twoheads_upgrade_head_refused);
	tcase_add_test(tc, test_twoheads_upgrade_heads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(upgrade_suite(), HARNESS_NEEDS_DB);
}
