/*
 * test_strbuf.c - unit tests for strbuf.c: appends of every kind end up in
 * order, growth past the first allocation keeps the text, and an empty
 * buffer still hands out a string.
 */
#include "base/strbuf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_appends_in_order)
{
	struct strbuf b = STRBUF_INIT;
	char *s;

	strbuf_add(&b, "upgrade ");
	strbuf_addn(&b, "001xyz", 3);
	strbuf_addc(&b, ' ');
	strbuf_addf(&b, "-> %s (%d)", "002", 2);
	ck_assert_str_eq(strbuf_str(&b), "upgrade 001 -> 002 (2)");
	ck_assert_uint_eq(b.len, strlen("upgrade 001 -> 002 (2)"));
	s = strbuf_finish(&b);
	ck_assert_str_eq(s, "upgrade 001 -> 002 (2)");
	ck_assert_ptr_null(b.s);
	free(s);
}
END_TEST

START_TEST(test_grows_past_first_allocation)
{
	struct strbuf b = STRBUF_INIT;
	char *s;
	int i;

	for (i = 0; i < 1000; i++)
		strbuf_addf(&b, "%03d,", i);
	ck_assert_uint_eq(b.len, 4000);
	ck_assert(strncmp(strbuf_str(&b), "000,001,", 8) == 0);
	ck_assert_str_eq(strbuf_str(&b) + 3996, "999,");
	s = strbuf_finish(&b);
	ck_assert_uint_eq(strlen(s), 4000);
	free(s);
}
END_TEST

/* A formatted piece longer than the room left is written whole. */
START_TEST(test_long_formatted_piece)
{
	struct strbuf b = STRBUF_INIT;
	char piece[1001];

	memset(piece, 'x', sizeof(piece) - 1);
	piece[sizeof(piece) - 1] = '\0';
	strbuf_add(&b, "head ");
	strbuf_addf(&b, "[%s]", piece);
	strbuf_addf(&b, " %d", 7);
	ck_assert_uint_eq(b.len, 5 + 1002 + 2);
	ck_assert(strncmp(strbuf_str(&b), "head [xxx", 9) == 0);
	ck_assert_str_eq(strbuf_str(&b) + 5 + 1001, "] 7");
	strbuf_release(&b);
}
END_TEST

START_TEST(test_empty_and_truncate)
{
	struct strbuf b = STRBUF_INIT;
	char *s;

	ck_assert_str_eq(strbuf_str(&b), "");
	s = strbuf_finish(&b);
	ck_assert_str_eq(s, "");
	free(s);
	strbuf_add(&b, "a, b, ");
	strbuf_truncate(&b, b.len - 2);
	ck_assert_str_eq(strbuf_str(&b), "a, b");
	strbuf_release(&b);
	ck_assert_ptr_null(b.s);
}
END_TEST

START_TEST(test_failed_buffer_finishes_null)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_add(&b, "partial");
	b.failed = true;
	strbuf_add(&b, " more");
	ck_assert_str_eq(strbuf_str(&b), "partial");
	ck_assert_ptr_null(strbuf_finish(&b));
	ck_assert_ptr_null(b.s);
}
END_TEST

static Suite *strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("strbuf");

	tcase_add_test(tc, test_appends_in_order);
	tcase_add_test(tc, test_grows_past_first_allocation);
	tcase_add_test(tc, test_long_formatted_piece);
	tcase_add_test(tc, test_empty_and_truncate);
	tcase_add_test(tc, test_failed_buffer_finishes_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(strbuf_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
