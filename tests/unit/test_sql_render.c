/*
 * test_sql_render.c - unit tests for sql_script.c on captures built by
 * hand: the header, each revision's comment block, statements ended by one
 * ";", transaction control added only when the runner's own is missing,
 * parameters as SQL literals in a comment, and what cannot run as written
 * (a backfill's batch, COPY FROM STDIN) kept out of the runnable text.
 */
#include "exec/sql_script.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sql_script_info info = {
	.version = "0.1.0",
	.target = "host db port 5432 database app user app",
	.command = "upgrade",
	.from = "001",
	.to = "003",
	.generated_at = "2026-12-08 00:40:00+00",
};

static struct capture_stmt *add(struct capture *c, enum capture_origin o,
				const char *sql)
{
	struct capture_stmt *st = capture_add(c, o, sql, strlen(sql));

	ck_assert_ptr_nonnull(st);
	return st;
}

static void step(struct capture *c, const char *rev, enum capture_mode mode)
{
	struct retort_error err = { 0 };

	if (c->nsteps > 0)
		capture_end_step(c, 1.0, false);
	ck_assert_int_eq(capture_begin_step(c, rev, "build/versions/x.so", true,
					    mode, &err),
			 0);
}

/* The script of c, with info but the titles given. */
static char *render(struct capture *c, const char *const *titles, size_t n)
{
	struct sql_script_info i = info;
	struct retort_error err = { 0 };
	struct strbuf out = STRBUF_INIT;

	if (c->nsteps && !c->steps[c->nsteps - 1].failed)
		capture_end_step(c, 1.0, false);
	i.titles = titles;
	i.ntitles = n;
	ck_assert_int_eq(sql_script_render(c, &i, &out, &err), 0);
	return strbuf_finish(&out);
}

/* a then b, in a buffer of the test's. */
static const char *cat2(const char *a, const char *b)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), "%s%s", a, b);
	return buf;
}

/* Whether s contains part; the whole script in the failure message. */
#define ck_assert_has(s, part)                                                 \
	ck_assert_msg(strstr((s), (part)) != NULL, "no \"%s\" in:\n%s",        \
		      (part), (s))
#define ck_assert_lacks(s, part)                                               \
	ck_assert_msg(strstr((s), (part)) == NULL, "\"%s\" in:\n%s", (part),   \
		      (s))

static const char expected_header[] =
	"-- retort 0.1.0 upgrade --sql: from 001 to 003\n"
	"-- target: host db port 5432 database app user app\n"
	"-- generated at 2026-12-08 00:40:00+00\n"
	"--\n"
	"-- Every statement retort and each revision sent when the run was "
	"rehearsed\n"
	"-- on a copy of the target's schema, in order and as sent.  Comments "
	"say\n"
	"-- what a revision's C code decides as it runs.\n";

START_TEST(test_whole_script)
{
	struct capture c;
	const char *titles[] = { "Running upgrade 001 -> 002, add b" };
	char *s;

	capture_init(&c);
	step(&c, "002", CAPTURE_IN_TRANSACTION);
	add(&c, CAPTURE_RUNNER, "BEGIN; SET LOCAL lock_timeout = '5s'");
	add(&c, CAPTURE_EXEC, "CREATE TABLE b (id int)");
	add(&c, CAPTURE_EXEC, "ALTER TABLE b ADD x int;  \n");
	add(&c, CAPTURE_RUNNER,
	    "UPDATE alembic_version SET version_num = '002'; COMMIT");
	s = render(&c, titles, 1);
	ck_assert_str_eq(s, cat2(expected_header,
				 "\n"
				 "-- Running upgrade 001 -> 002, add b\n"
				 "-- plugin: build/versions/x.so\n"
				 "-- mode: one transaction, with its "
				 "version-table change\n"
				 "\n"
				 "BEGIN; SET LOCAL lock_timeout = '5s';\n"
				 "CREATE TABLE b (id int);\n"
				 "ALTER TABLE b ADD x int;\n"
				 "UPDATE alembic_version SET version_num"
				 " = '002'; COMMIT;\n"));
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_begin_and_commit_added_when_the_capture_has_none)
{
	struct capture c;
	char *s;

	capture_init(&c);
	step(&c, "002", CAPTURE_IN_TRANSACTION);
	add(&c, CAPTURE_EXEC, "CREATE TABLE b (id int);");
	s = render(&c, NULL, 0);
	ck_assert_has(s, "-- 002\n-- plugin: build/versions/x.so\n");
	ck_assert_has(s, "\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n");
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_autocommit_has_no_transaction)
{
	struct capture c;
	char *s;

	capture_init(&c);
	step(&c, "004", CAPTURE_AUTOCOMMIT);
	add(&c, CAPTURE_EXEC, "CREATE INDEX CONCURRENTLY i ON b (id)");
	s = render(&c, NULL, 0);
	ck_assert_has(s, "-- mode: autocommit (RETORT_NO_TRANSACTION): each"
			 " statement commits on its own\n\nCREATE INDEX"
			 " CONCURRENTLY i ON b (id);\n");
	ck_assert_lacks(s, "BEGIN");
	ck_assert_lacks(s, "COMMIT");
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_comment_on_last_line_keeps_its_semicolon)
{
	struct capture c;
	char *s;

	capture_init(&c);
	step(&c, "002", CAPTURE_AUTOCOMMIT);
	add(&c, CAPTURE_EXEC, "SELECT 1 -- one");
	add(&c, CAPTURE_EXEC, "SELECT '--'\n, 2");
	s = render(&c, NULL, 0);
	ck_assert_has(s, "\nSELECT 1 -- one\n;\n");
	ck_assert_has(s, "\nSELECT '--'\n, 2;\n");
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_parameters_as_literals)
{
	struct capture c;
	const char *values[] = { "it's", NULL, "two\nlines; DROP TABLE x",
				 "back\\slash" };
	char *s;

	capture_init(&c);
	step(&c, "002", CAPTURE_AUTOCOMMIT);
	ck_assert_int_eq(capture_set_params(add(&c, CAPTURE_EXEC_PARAMS,
						"INSERT INTO t VALUES ($1, $2,"
						" $3, $4)"),
					    4, values),
			 0);
	s = render(&c, NULL, 0);
	ck_assert_has(s,
		      "\n-- parameters: $1 = 'it''s', $2 = NULL,"
		      " $3 = E'two\\nlines; DROP TABLE x',"
		      " $4 = E'back\\\\slash'\n"
		      "PREPARE retort_stmt_1 AS INSERT INTO t VALUES ($1, $2,"
		      " $3, $4);\n"
		      "EXECUTE retort_stmt_1('it''s', NULL, E'two\\nlines;"
		      " DROP TABLE x', E'back\\\\slash');\n"
		      "DEALLOCATE retort_stmt_1;\n");
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_after_read_is_said)
{
	struct capture c;
	char *s;

	capture_init(&c);
	step(&c, "002", CAPTURE_IN_TRANSACTION);
	add(&c, CAPTURE_QUERY, "SELECT max(id) FROM a");
	add(&c, CAPTURE_EXEC, "ALTER SEQUENCE s RESTART 42")->after_read = true;
	s = render(&c, NULL, 0);
	ck_assert_has(s, "SELECT max(id) FROM a;\n-- depends on data the"
			 " revision read: the target may get other text\n"
			 "ALTER SEQUENCE s RESTART 42;\n");
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_backfill_and_copy_are_not_run)
{
	struct capture c;
	char *s;

	capture_init(&c);
	step(&c, "004", CAPTURE_BATCHED);
	add(&c, CAPTURE_BACKFILL,
	    "UPDATE users SET x = 1\n"
	    "WHERE id BETWEEN $1 AND $2");
	add(&c, CAPTURE_COPY_IN, "COPY t FROM STDIN");
	add(&c, CAPTURE_RAW, "copy t (a) from stdin with (format csv)");
	add(&c, CAPTURE_RAW, "COPY t TO STDOUT");
	s = render(&c, NULL, 0);
	ck_assert_has(s, "-- mode: batched (retort_backfill): each batch"
			 " commits on its own\n");
	ck_assert_has(s, "runs once per batch");
	ck_assert_has(s, "\n--   UPDATE users SET x = 1\n"
			 "--   WHERE id BETWEEN $1 AND $2\n");
	ck_assert_has(s, "\n--   COPY t FROM STDIN\n");
	ck_assert_has(s, "\n--   copy t (a) from stdin with (format csv)\n");
	ck_assert_has(s, "\nCOPY t TO STDOUT;\n");
	ck_assert_lacks(s, "\nUPDATE users");
	ck_assert_lacks(s, "\nCOPY t FROM");
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_outside_text_cannot_end_a_comment)
{
	struct capture c;
	const char *titles[] = { "Running upgrade 001 -> 002, evil\nDROP"
				 " TABLE users;" };
	char *s;

	capture_init(&c);
	step(&c, "002", CAPTURE_IN_TRANSACTION);
	s = render(&c, titles, 1);
	ck_assert_has(s, "-- Running upgrade 001 -> 002, evil\\nDROP TABLE"
			 " users;\n");
	ck_assert_lacks(s, "\nDROP");
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_preamble_and_nothing_to_do)
{
	struct capture c;
	struct sql_script_info i = info;
	const char *pre[] = { "CREATE TABLE IF NOT EXISTS alembic_version (v"
			      " text)" };
	struct retort_error err = { 0 };
	struct strbuf out = STRBUF_INIT;
	char *s;

	capture_init(&c);
	ck_assert_int_eq(sql_script_render(&c, &i, &out, &err), 0);
	s = strbuf_finish(&out);
	ck_assert_str_eq(s,
			 cat2(expected_header, "\n-- Nothing to do: the"
					       " target is already there.\n"));
	free(s);

	i.preamble = pre;
	i.npreamble = 1;
	step(&c, "001", CAPTURE_IN_TRANSACTION);
	capture_end_step(&c, 1.0, false);
	ck_assert_int_eq(sql_script_render(&c, &i, &out, &err), 0);
	s = strbuf_finish(&out);
	ck_assert_has(s, "-- retort's own tables, before the first revision\n"
			 "\nCREATE TABLE IF NOT EXISTS alembic_version (v"
			 " text);\n\n-- 001\n");
	free(s);
	capture_release(&c);
}
END_TEST

START_TEST(test_failed_statement_is_marked)
{
	struct capture c;
	char *s;

	capture_init(&c);
	step(&c, "002", CAPTURE_IN_TRANSACTION);
	add(&c, CAPTURE_RUNNER, "BEGIN");
	add(&c, CAPTURE_EXEC, "ALTER TABLE nope ADD x int")->failed = true;
	capture_end_step(&c, 1.0, true);
	s = render(&c, NULL, 0);
	ck_assert_has(s, "-- this revision failed in the rehearsal\n");
	ck_assert_has(s, "-- failed in the rehearsal: the run stops here\n"
			 "ALTER TABLE nope ADD x int;\n");
	ck_assert_lacks(s, "COMMIT");
	free(s);
	capture_release(&c);
}
END_TEST

static Suite *sql_render_suite(void)
{
	Suite *s = suite_create("sql_render");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, test_whole_script);
	tcase_add_test(tc,
		       test_begin_and_commit_added_when_the_capture_has_none);
	tcase_add_test(tc, test_autocommit_has_no_transaction);
	tcase_add_test(tc, test_comment_on_last_line_keeps_its_semicolon);
	tcase_add_test(tc, test_parameters_as_literals);
	tcase_add_test(tc, test_after_read_is_said);
	tcase_add_test(tc, test_backfill_and_copy_are_not_run);
	tcase_add_test(tc, test_outside_text_cannot_end_a_comment);
	tcase_add_test(tc, test_preamble_and_nothing_to_do);
	tcase_add_test(tc, test_failed_statement_is_marked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sql_render_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
