/*
 * test_json.c - unit tests for json.c: commas and nesting come out right,
 * strings are escaped as json.h promises (controls, C1 controls, invalid
 * UTF-8 replaced, valid UTF-8 kept), numbers given as text are checked,
 * and a misused writer gives no document at all.
 */
#include "base/json.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* The document of a writer, compared and freed. */
static void assert_doc(struct json *j, const char *want)
{
	char *got = json_finish(j);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

/* One string value, in an array, as the writer escapes it. */
static void assert_string(const char *in, size_t n, const char *want)
{
	struct json j = JSON_INIT;

	json_array_begin(&j);
	json_stringn(&j, in, n);
	json_array_end(&j);
	assert_doc(&j, want);
}

START_TEST(test_structure)
{
	struct json j = JSON_INIT;

	json_object_begin(&j);
	json_key(&j, "format_version");
	json_int(&j, 1);
	json_key(&j, "ids");
	json_array_begin(&j);
	json_string(&j, "a");
	json_string(&j, "b");
	json_array_end(&j);
	json_key(&j, "empty");
	json_array_begin(&j);
	json_array_end(&j);
	json_key(&j, "nested");
	json_object_begin(&j);
	json_key(&j, "t");
	json_bool(&j, true);
	json_key(&j, "f");
	json_bool(&j, false);
	json_key(&j, "n");
	json_string(&j, NULL);
	json_object_end(&j);
	json_key(&j, "neg");
	json_int(&j, -42);
	json_object_end(&j);
	assert_doc(&j, "{\"format_version\":1,\"ids\":[\"a\",\"b\"],"
		       "\"empty\":[],\"nested\":{\"t\":true,\"f\":false,"
		       "\"n\":null},\"neg\":-42}\n");
}
END_TEST

START_TEST(test_escapes_ascii)
{
	assert_string("q\"b\\s/", 6, "[\"q\\\"b\\\\s/\"]\n");
	assert_string("\n\r\t\b\f", 5, "[\"\\n\\r\\t\\b\\f\"]\n");
	assert_string("\x01\x1b[2J\x1f\x7f", 7,
		      "[\"\\u0001\\u001b[2J\\u001f\\u007f\"]\n");
	/* An embedded NUL, given by length, is a character too. */
	assert_string("a\0b", 3, "[\"a\\u0000b\"]\n");
}
END_TEST

START_TEST(test_utf8_kept)
{
	/* é, €, U+10FFFF and an emoji pass through as they are. */
	const char *s = "\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\xf0\x9f\x90\x98";

	assert_string(
		s, strlen(s),
		"[\"\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\xf0\x9f\x90\x98\"]\n");
}
END_TEST

START_TEST(test_c1_controls_escaped)
{
	/* U+0085 (NEL) and U+009B (CSI); U+00A0 is no control. */
	assert_string("\xc2\x85\xc2\x9b\xc2\xa0", 6,
		      "[\"\\u0085\\u009b\xc2\xa0\"]\n");
}
END_TEST

START_TEST(test_invalid_utf8_replaced)
{
	/* A stray continuation byte, a lone lead byte, an overlong '/', a
	 * surrogate, past U+10FFFF, a sequence cut off by the end. */
	assert_string("a\x80z", 3, "[\"a\\ufffdz\"]\n");
	assert_string("\xff", 1, "[\"\\ufffd\"]\n");
	assert_string("\xc0\xaf", 2, "[\"\\ufffd\\ufffd\"]\n");
	assert_string("\xed\xa0\x80", 3, "[\"\\ufffd\\ufffd\\ufffd\"]\n");
	assert_string("\xf4\x90\x80\x80", 4,
		      "[\"\\ufffd\\ufffd\\ufffd\\ufffd\"]\n");
	assert_string("x\xe2\x82", 3, "[\"x\\ufffd\\ufffd\"]\n");
}
END_TEST

START_TEST(test_number_text)
{
	struct json j = JSON_INIT;

	json_array_begin(&j);
	json_number_text(&j, "12.345");
	json_number_text(&j, "0");
	json_number_text(&j, "-1e+5");
	json_number_text(&j, "NaN");
	json_number_text(&j, "01");
	json_number_text(&j, "1.");
	json_number_text(&j, NULL);
	json_array_end(&j);
	assert_doc(&j, "[12.345,0,-1e+5,\"NaN\",\"01\",\"1.\",null]\n");
}
END_TEST

START_TEST(test_misuse_gives_nothing)
{
	struct json j = JSON_INIT;

	json_object_begin(&j);
	ck_assert_ptr_null(json_finish(&j)); /* unclosed */

	json_array_begin(&j);
	json_key(&j, "k"); /* a key in an array */
	json_array_end(&j);
	ck_assert_ptr_null(json_finish(&j));

	json_object_begin(&j);
	json_key(&j, "k");
	json_object_end(&j); /* a key with no value */
	ck_assert_ptr_null(json_finish(&j));

	json_int(&j, 1);
	json_int(&j, 2); /* two documents */
	ck_assert_ptr_null(json_finish(&j));

	ck_assert_ptr_null(json_finish(&j)); /* nothing written */
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_structure);
	tcase_add_test(tc, test_escapes_ascii);
	tcase_add_test(tc, test_utf8_kept);
	tcase_add_test(tc, test_c1_controls_escaped);
	tcase_add_test(tc, test_invalid_utf8_replaced);
	tcase_add_test(tc, test_number_text);
	tcase_add_test(tc, test_misuse_gives_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
