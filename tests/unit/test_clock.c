/*
 * test_clock.c - unit tests for clock.c: a revision's create_date is the
 * current time in UTC, written as PostgreSQL prints a timestamptz.
 */
#include "base/clock.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

START_TEST(test_now_is_utc_timestamptz)
{
	char buf[32], before[32], after[32];
	time_t t = time(NULL);
	struct tm tm;

	strftime(before, sizeof(before), "%Y-%m-%d %H:%M:%S+00",
		 gmtime_r(&t, &tm));
	clock_now_utc(buf, sizeof(buf));
	t = time(NULL);
	strftime(after, sizeof(after), "%Y-%m-%d %H:%M:%S+00",
		 gmtime_r(&t, &tm));
	/* The fixed-width form sorts as the times do. */
	ck_assert_uint_eq(strlen(buf), strlen("2026-01-31 12:00:00+00"));
	ck_assert_str_le(before, buf);
	ck_assert_str_le(buf, after);
}
END_TEST

START_TEST(test_small_buffer_gets_the_epoch_cut_short)
{
	char buf[8];

	clock_now_utc(buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01");
}
END_TEST

static Suite *clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock_now_utc");

	tcase_add_test(tc, test_now_is_utc_timestamptz);
	tcase_add_test(tc, test_small_buffer_gets_the_epoch_cut_short);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(clock_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
