/*
 * test_text.c - unit tests for text.c: control characters from outside
 * retort are escaped, everything else is left as it is, and a buffer too
 * small is cut short before an escape, never inside one.
 */
#include "base/text.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *in, *out;
} cases[] = {
	{ "add portfolios", "add portfolios" },
	{ "", "" },
	{ "a\nb\rc\td", "a\\nb\\rc\\td" },
	{ "\x1b[31mX\n", "\\x1b[31mX\\n" },
	{ "\x01\x7f", "\\x01\\x7f" },
	{ "csi \xc2\x9b end", "csi \\u009b end" },
	{ "caf\xc3\xa9 \xc2\xa0nbsp", "caf\xc3\xa9 \xc2\xa0nbsp" },
	{ "back\\slash", "back\\slash" },
	{ "lone \xc2", "lone \xc2" },
};

START_TEST(test_escape_cases)
{
	char buf[64], *mem = NULL;
	size_t size = 0;
	FILE *f;

	ck_assert_str_eq(text_escape(cases[_i].in, buf, sizeof(buf)),
			 cases[_i].out);
	f = open_memstream(&mem, &size);
	ck_assert_ptr_nonnull(f);
	text_fput(cases[_i].in, f);
	fclose(f);
	ck_assert_str_eq(mem, cases[_i].out);
	free(mem);
}
END_TEST

START_TEST(test_escape_cut_short)
{
	char buf[6];

	/* "ab\x1b": "ab" fits, its escape (4 bytes) does not. */
	ck_assert_str_eq(text_escape("ab\x1bzz", buf, sizeof(buf)), "ab");
	ck_assert_str_eq(text_escape("abcdefgh", buf, sizeof(buf)), "abcde");
	ck_assert_str_eq(text_escape("a\nb", buf, 1), "");
}
END_TEST

START_TEST(test_fputn_stops_at_n)
{
	char *mem = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&mem, &size);

	text_fputn("x\ny\x1bz", 3, f);
	text_fput(NULL, f);
	fclose(f);
	ck_assert_str_eq(mem, "x\\ny");
	free(mem);
}
END_TEST

/* Each non-empty line, its indent dropped, whatever breaks the lines. */
START_TEST(test_next_line)
{
	const char *cursor = "first\n\tsecond\r\n\n  \n third\r  ", *line;
	const char *want[] = { "first", "second", "third" };
	size_t len, n = 0;

	while ((line = text_next_line(&cursor, &len)) != NULL) {
		ck_assert_uint_lt(n, 3);
		ck_assert_uint_eq(len, strlen(want[n]));
		ck_assert_int_eq(strncmp(line, want[n], len), 0);
		n++;
	}
	ck_assert_uint_eq(n, 3);
	cursor = " \t\n";
	ck_assert_ptr_null(text_next_line(&cursor, &len));
	cursor = "";
	ck_assert_ptr_null(text_next_line(&cursor, &len));
}
END_TEST

static Suite *text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text_escape");

	tcase_add_loop_test(tc, test_escape_cases, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_escape_cut_short);
	tcase_add_test(tc, test_fputn_stops_at_n);
	tcase_add_test(tc, test_next_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(text_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
