/*
 * test_capture.c - unit tests for the rehearsal's record: the parser of
 * libpq's protocol trace (store/tap.c), fed the text libpq 15 writes
 * (taken from a real trace, PQTRACE_SUPPRESS_TIMESTAMPS), whole and one
 * byte at a time; and capture.c's steps and statements.
 */
#include "exec/capture.h"
#include "store/tap.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the tap reported, as one line per event. */
static char heard[4096];

static void listen(void *arg, const struct tap_event *ev)
{
	size_t n = strlen(heard);

	(void)arg;
	switch (ev->kind) {
	case TAP_STATEMENT:
		n += (size_t)snprintf(heard + n, sizeof(heard) - n, "SQL[%.*s]",
				      (int)ev->len, ev->sql);
		for (int i = 0; i < ev->nparams; i++)
			n += (size_t)snprintf(
				heard + n, sizeof(heard) - n, " $%d=%s", i + 1,
				ev->values[i] ? ev->values[i] : "NULL");
		snprintf(heard + n, sizeof(heard) - n, "\n");
		break;
	case TAP_COPY_DATA:
		snprintf(heard + n, sizeof(heard) - n, "COPY %zu\n", ev->bytes);
		break;
	case TAP_ROWS_READ:
		snprintf(heard + n, sizeof(heard) - n, "READ\n");
		break;
	case TAP_ERROR:
		snprintf(heard + n, sizeof(heard) - n, "ERROR\n");
		break;
	}
}

static struct tap *new_tap(void)
{
	struct retort_error err;
	struct tap *t;

	heard[0] = '\0';
	ck_assert_int_eq(tap_new(&t, NULL, listen, NULL, &err), 0);
	return t;
}

/* A query whose text holds a newline, a tab and quotes. */
static const char query_trace[] =
	"F\t39\tQuery\t \"SELECT 1 AS \"a\nb\", 'x\ty';\nSELECT 2\"\n"
	"B\t55\tRowDescription\t 2 \"a\nb\" 0 0 23 4 -1 0 \"?column?\" 0 0 25 65535 -1 0\n"
	"B\t18\tDataRow\t 2 1 '1' 3 'x\\x09y'\n"
	"B\t13\tCommandComplete\t \"SELECT 1\"\n"
	"B\t5\tReadyForQuery\t I\n";

static const char query_heard[] =
	"SQL[SELECT 1 AS \"a\nb\", 'x\ty';\nSELECT 2]\nREAD\nREAD\n";

START_TEST(test_query_cut_by_length)
{
	struct tap *t = new_tap();

	tap_feed(t, query_trace, strlen(query_trace));
	tap_free(t);
	ck_assert_str_eq(heard, query_heard);
}
END_TEST

/* libpq's stream hands the text over in whatever pieces it likes. */
START_TEST(test_fed_byte_by_byte)
{
	struct tap *t = new_tap();

	for (size_t i = 0; query_trace[i]; i++)
		tap_feed(t, query_trace + i, 1);
	tap_free(t);
	ck_assert_str_eq(heard, query_heard);
}
END_TEST

/* PQexecParams: Parse's text, Bind's values (a NULL, an escaped
 * newline, a quote). */
START_TEST(test_parse_and_bind)
{
	static const char trace[] =
		"F\t32\tParse\t \"\" \"SELECT $1::text, $2::int\" 0\n"
		"F\t27\tBind\t \"\" \"\" 0 2 6 'it's\\x0a!' -1 1 0\n"
		"F\t6\tDescribe\t P \"\"\n"
		"F\t9\tExecute\t \"\" 0\n"
		"F\t4\tSync\n"
		"B\t4\tParseComplete\n"
		"F\t39\tParse\t \"s1\" \"INSERT INTO t VALUES ($1)\" 1 25\n"
		"F\t22\tBind\t \"\" \"s1\" 1 0 1 2 'ab' 1 0\n";
	struct tap *t = new_tap();

	tap_feed(t, trace, strlen(trace));
	tap_free(t);
	ck_assert_str_eq(heard,
			 "SQL[SELECT $1::text, $2::int] $1=it's\n! $2=NULL\n"
			 "SQL[INSERT INTO t VALUES ($1)] $1=ab\n");
}
END_TEST

/* COPY FROM STDIN: libpq 15 prints CopyData as a bare length. */
START_TEST(test_copy_volume_and_errors)
{
	static const char trace[] =
		"F\t22\tQuery\t \"COPY t FROM STDIN\"\n"
		"B\t9\tCopyInResponse\t \\x00 1 0\n"
		"F\t8\t\n"
		"mismatched message length: consumed 4, expected 8\n"
		"F\t4\tCopyDone\n"
		"B\t11\tCommandComplete\t \"COPY 2\"\n"
		"F\t15\tQuery\t \"SELECT 1/0\"\n"
		"B\t65\tErrorResponse\t S \"ERROR\" V \"ERROR\" C \"22012\" M \"division by zero\" \\x00\n";
	struct tap *t = new_tap();

	tap_feed(t, trace, strlen(trace));
	tap_free(t);
	ck_assert_str_eq(
		heard,
		"SQL[COPY t FROM STDIN]\nCOPY 4\nSQL[SELECT 1/0]\nERROR\n");
}
END_TEST

/* Text that is no message is skipped: the next message is read. */
START_TEST(test_finds_its_feet)
{
	static const char trace[] = "garbage\nmore \"of it\n"
				    "F\t13\tQuery\t \"SELECT 3\"\n";
	struct tap *t = new_tap();

	tap_feed(t, trace, strlen(trace));
	tap_free(t);
	ck_assert_str_eq(heard, "SQL[SELECT 3]\n");
}
END_TEST

/* A message cut short waits for the rest; a pause takes what is there. */
START_TEST(test_waits_for_the_rest)
{
	static const char part[] = "F\t39\tQuery\t \"SELECT 1 AS \"a\n";
	struct tap *t = new_tap();

	tap_feed(t, part, strlen(part));
	ck_assert_str_eq(heard, "");
	tap_feed(t, query_trace + strlen(part),
		 strlen(query_trace) - strlen(part));
	tap_free(t);
	ck_assert_str_eq(heard, query_heard);
}
END_TEST

START_TEST(test_capture_steps)
{
	struct capture c;
	struct retort_error err;
	struct capture_stmt *st;
	const char *values[] = { "x", NULL };

	capture_init(&c);
	ck_assert_ptr_nonnull(capture_add(&c, CAPTURE_RUNNER, "BEGIN", 5));
	ck_assert_int_eq(capture_begin_step(&c, "002", "/p/002.so", true,
					    CAPTURE_IN_TRANSACTION, &err),
			 0);
	st = capture_add(&c, CAPTURE_EXEC_PARAMS, "SELECT $1, $2xyz", 13);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(capture_set_params(st, 2, values), 0);
	capture_end_step(&c, 1.5, false);
	ck_assert_uint_eq(c.steps[0].first, 1);
	ck_assert_uint_eq(c.steps[0].n, 1);
	ck_assert_str_eq(c.stmts[1].sql, "SELECT $1, $2");
	ck_assert_str_eq(c.stmts[1].params[0], "x");
	ck_assert_ptr_null(c.stmts[1].params[1]);
	ck_assert_uint_eq(c.stmts[1].measured_with, 1);
	ck_assert_str_eq(capture_step_of(&c, &c.stmts[1])->revision, "002");
	ck_assert_str_eq(capture_origin_name(CAPTURE_RAW), "raw connection");
	capture_release(&c);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

static Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("tap");

	tcase_add_test(tc, test_query_cut_by_length);
	tcase_add_test(tc, test_fed_byte_by_byte);
	tcase_add_test(tc, test_parse_and_bind);
	tcase_add_test(tc, test_copy_volume_and_errors);
	tcase_add_test(tc, test_finds_its_feet);
	tcase_add_test(tc, test_waits_for_the_rest);
	suite_add_tcase(s, tc);
	tc = tcase_create("capture");
	tcase_add_test(tc, test_capture_steps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(capture_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
