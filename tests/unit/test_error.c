/*
 * test_error.c - unit tests for error.c: a message keeps its context in
 * front, and a cause that no longer fits once prefixed stays whole in the
 * detail.
 */
#include "base/error.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_prefix_fits)
{
	struct retort_error err;

	error_set(&err, RETORT_FAILED, "could not create index");
	error_detail(&err, "SQLSTATE 23505");
	error_prefix(&err, "revision %s failed", "002");
	ck_assert_str_eq(err.msg,
			 "revision 002 failed: could not create index");
	ck_assert_str_eq(err.detail, "SQLSTATE 23505");
}
END_TEST

/* A cause of 199 characters, ending in '!'. */
static void set_cause(struct retort_error *err)
{
	char cause[200];

	memset(cause, 'c', sizeof(cause) - 2);
	memcpy(cause + sizeof(cause) - 2, "!", 2);
	error_set(err, RETORT_FAILED, "%s", cause);
}

/* Context with a 119-character path: cause and context do not fit. */
static void prefix_path(struct retort_error *err)
{
	char path[120];

	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	error_prefix(err, "revision 002 (%s) failed", path);
}

static void long_error(struct retort_error *err, const char *detail)
{
	set_cause(err);
	if (detail)
		error_detail(err, "%s", detail);
	prefix_path(err);
}

START_TEST(test_prefix_too_long_keeps_cause)
{
	struct retort_error err;
	const char *nl;

	long_error(&err, "the revision was rolled back");
	ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
	ck_assert_str_eq(err.msg + sizeof(err.msg) - 4, "...");
	ck_assert_int_eq(strncmp(err.msg, "revision 002 (ppp", 17), 0);
	/* The whole cause first, then the detail there was. */
	nl = strchr(err.detail, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_int_eq(nl - err.detail, 199);
	ck_assert_int_eq(err.detail[198], '!');
	ck_assert_str_eq(nl + 1, "the revision was rolled back");
}
END_TEST

START_TEST(test_prefix_too_long_no_detail)
{
	struct retort_error err;

	long_error(&err, NULL);
	ck_assert_uint_eq(strlen(err.detail), 199);
	ck_assert_int_eq(err.detail[198], '!');
}
END_TEST

/* A second prefix does not repeat a cause that was cut short already. */
START_TEST(test_prefix_twice)
{
	struct retort_error err;

	long_error(&err, NULL);
	error_prefix(&err, "upgrade failed");
	ck_assert_int_eq(strncmp(err.msg, "upgrade failed: revision 002", 28),
			 0);
	ck_assert_uint_eq(strlen(err.detail), 199);
}
END_TEST

/* A full detail is cut short at its end, never overrun. */
START_TEST(test_prefix_full_detail)
{
	struct retort_error err;
	char line[100];

	memset(line, 'd', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	set_cause(&err);
	for (int i = 0; i < 12; i++)
		error_detail(&err, "%s", line);
	prefix_path(&err);
	ck_assert_uint_le(strlen(err.detail), sizeof(err.detail) - 1);
	ck_assert_int_eq(err.detail[198], '!');
	ck_assert_int_eq(err.detail[199], '\n');
}
END_TEST

static Suite *error_suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("error_prefix");

	tcase_add_test(tc, test_prefix_fits);
	tcase_add_test(tc, test_prefix_too_long_keeps_cause);
	tcase_add_test(tc, test_prefix_too_long_no_detail);
	tcase_add_test(tc, test_prefix_twice);
	tcase_add_test(tc, test_prefix_full_detail);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(error_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
