/*
 * test_fleet_sched.c - unit tests for fleet/sched.c: which target starts
 * next under -j, --per-host, --canary, --on-error and retries, on a clock
 * the test moves by hand.
 */
#include "fleet/sched.h"

#include <check.h>
#include <stdint.h>

static struct fleet_outcome end_as(int status, bool transient)
{
	return (struct fleet_outcome){ .status = status,
				       .transient = transient };
}

/* Start what may start at now; the targets in *got, their count. */
static size_t start_all(struct fleet_sched *s, long long now, size_t *got)
{
	size_t n = 0, t;
	long long wait;

	while (fleet_sched_next(s, now, &t, &wait) == FLEET_START)
		got[n++] = t;
	return n;
}

START_TEST(test_jobs_limit)
{
	struct fleet_sched s;
	struct fleet_sched_opts o = { .n = 6, .jobs = 4, .retries = 2 };
	struct fleet_outcome ok = end_as(FLEET_OK, false);
	size_t got[8];

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	ck_assert_uint_eq(start_all(&s, 0, got), 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(got[i], i);
	ck_assert(fleet_sched_end(&s, 2, &ok, 10));
	ck_assert_uint_eq(start_all(&s, 10, got), 1);
	ck_assert_uint_eq(got[0], 4);
	fleet_sched_release(&s);
}
END_TEST

START_TEST(test_per_host)
{
	static const int host[] = { 0, 0, 0, 1, 1 };
	struct fleet_sched s;
	struct fleet_sched_opts o = {
		.n = 5, .host = host, .jobs = 4, .per_host = 1
	};
	struct fleet_outcome ok = end_as(FLEET_OK, false);
	size_t got[8];

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	/* One per host: 0 and 3, though 4 may run. */
	ck_assert_uint_eq(start_all(&s, 0, got), 2);
	ck_assert_uint_eq(got[0], 0);
	ck_assert_uint_eq(got[1], 3);
	ck_assert(fleet_sched_end(&s, 0, &ok, 1));
	ck_assert_uint_eq(start_all(&s, 1, got), 1);
	ck_assert_uint_eq(got[0], 1);
	fleet_sched_release(&s);
}
END_TEST

START_TEST(test_canary_one_at_a_time)
{
	struct fleet_sched s;
	struct fleet_sched_opts o = { .n = 5, .jobs = 4, .canary = 2 };
	struct fleet_outcome ok = end_as(FLEET_OK, false);
	size_t got[8];

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	ck_assert_uint_eq(start_all(&s, 0, got), 1);
	ck_assert_uint_eq(got[0], 0);
	ck_assert(fleet_sched_end(&s, 0, &ok, 1));
	ck_assert_uint_eq(start_all(&s, 1, got), 1);
	ck_assert_uint_eq(got[0], 1);
	ck_assert(fleet_sched_end(&s, 1, &ok, 2));
	/* The canary is over: the rest at once. */
	ck_assert_uint_eq(start_all(&s, 2, got), 3);
	fleet_sched_release(&s);
}
END_TEST

START_TEST(test_canary_failure_stops)
{
	struct fleet_sched s;
	/* Even --on-error continue: a canary that fails stops the fleet. */
	struct fleet_sched_opts o = {
		.n = 5, .jobs = 4, .canary = 2, .keep_going = true
	};
	struct fleet_outcome bad = end_as(FLEET_FAILED, false);
	size_t got[8], t;
	long long wait;

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	ck_assert_uint_eq(start_all(&s, 0, got), 1);
	ck_assert(fleet_sched_end(&s, 0, &bad, 1));
	ck_assert_int_eq(fleet_sched_next(&s, 1, &t, &wait), FLEET_DONE);
	fleet_sched_release(&s);
}
END_TEST

START_TEST(test_on_error)
{
	struct fleet_sched s;
	struct fleet_sched_opts o = { .n = 4, .jobs = 2, .keep_going = _i };
	struct fleet_outcome bad = end_as(FLEET_FAILED, false);
	struct fleet_outcome ok = end_as(FLEET_OK, false);
	size_t got[8], t;
	long long wait;

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	ck_assert_uint_eq(start_all(&s, 0, got), 2);
	ck_assert(fleet_sched_end(&s, 0, &bad, 1));
	if (!_i) {
		/* stop: nothing new, but target 1 runs to its end. */
		ck_assert_int_eq(fleet_sched_next(&s, 1, &t, &wait),
				 FLEET_WAIT);
		ck_assert(fleet_sched_end(&s, 1, &ok, 2));
		ck_assert_int_eq(fleet_sched_next(&s, 2, &t, &wait),
				 FLEET_DONE);
	} else {
		ck_assert_uint_eq(start_all(&s, 1, got), 1);
		ck_assert_uint_eq(got[0], 2);
	}
	fleet_sched_release(&s);
}
END_TEST

START_TEST(test_transient_retried_with_backoff)
{
	struct fleet_sched s;
	struct fleet_sched_opts o = {
		.n = 2, .jobs = 1, .retries = 2, .keep_going = true
	};
	struct fleet_outcome lost = end_as(FLEET_FAILED, true);
	struct fleet_outcome ok = end_as(FLEET_OK, false);
	size_t got[4], t;
	long long wait;

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	ck_assert_uint_eq(start_all(&s, 0, got), 1);
	/* Back to the end of the queue: 1 goes first. */
	ck_assert(!fleet_sched_end(&s, 0, &lost, 100));
	ck_assert_uint_eq(start_all(&s, 100, got), 1);
	ck_assert_uint_eq(got[0], 1);
	ck_assert(fleet_sched_end(&s, 1, &ok, 110));
	/* 0 waits out its back-off: 0.5 s after its end. */
	ck_assert_int_eq(fleet_sched_next(&s, 110, &t, &wait), FLEET_WAIT);
	ck_assert_int_eq(wait, 490);
	ck_assert_int_eq(fleet_sched_next(&s, 600, &t, &wait), FLEET_START);
	ck_assert(!fleet_sched_end(&s, 0, &lost, 700));
	/* Then 1 s; after --retries 2 more attempts, its end is final. */
	ck_assert_int_eq(fleet_sched_next(&s, 1699, &t, &wait), FLEET_WAIT);
	ck_assert_int_eq(fleet_sched_next(&s, 1700, &t, &wait), FLEET_START);
	ck_assert_int_eq(s.tries[0], 3);
	ck_assert(fleet_sched_end(&s, 0, &lost, 1800));
	ck_assert_int_eq(fleet_sched_next(&s, 99999, &t, &wait), FLEET_DONE);
	fleet_sched_release(&s);
}
END_TEST

START_TEST(test_data_failure_not_retried)
{
	struct fleet_sched s;
	struct fleet_sched_opts o = { .n = 1, .jobs = 1, .retries = 5 };
	struct fleet_outcome bad = end_as(FLEET_FAILED, false);
	size_t got[2];

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	ck_assert_uint_eq(start_all(&s, 0, got), 1);
	ck_assert(fleet_sched_end(&s, 0, &bad, 1));
	ck_assert_int_eq(s.tries[0], 1);
	fleet_sched_release(&s);
}
END_TEST

START_TEST(test_locked_requeued)
{
	struct fleet_sched s;
	struct fleet_sched_opts o = { .n = 3, .jobs = 1, .retries = 1 };
	struct fleet_outcome held = end_as(FLEET_LOCKED, false);
	struct fleet_outcome ok = end_as(FLEET_OK, false);
	size_t got[4];

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	ck_assert_uint_eq(start_all(&s, 0, got), 1);
	ck_assert(!fleet_sched_end(&s, 0, &held, 0));
	/* 0 went to the end of the queue: 1 and 2 come first. */
	ck_assert_uint_eq(start_all(&s, 0, got), 1);
	ck_assert_uint_eq(got[0], 1);
	ck_assert(fleet_sched_end(&s, 1, &ok, 1));
	ck_assert_uint_eq(start_all(&s, 1, got), 1);
	ck_assert_uint_eq(got[0], 2);
	ck_assert(fleet_sched_end(&s, 2, &ok, 2));
	ck_assert_uint_eq(start_all(&s, 10000, got), 1);
	ck_assert_uint_eq(got[0], 0);
	/* Held again, retries spent: locked is final. */
	ck_assert(fleet_sched_end(&s, 0, &held, 10001));
	fleet_sched_release(&s);
}
END_TEST

START_TEST(test_transient_codes)
{
	ck_assert(fleet_is_transient("08006", false));
	ck_assert(fleet_is_transient("57P01", false));
	ck_assert(fleet_is_transient("55P03", false));
	ck_assert(fleet_is_transient("40001", false));
	ck_assert(fleet_is_transient("40P01", false));
	ck_assert(fleet_is_transient("", true));
	ck_assert(!fleet_is_transient("", false));
	ck_assert(!fleet_is_transient("23505", true));
	ck_assert(!fleet_is_transient("22012", false));
	ck_assert(!fleet_is_transient("42P07", false));
	ck_assert_int_eq(fleet_sched_backoff_ms(1), 500);
	ck_assert_int_eq(fleet_sched_backoff_ms(2), 1000);
	ck_assert_int_eq(fleet_sched_backoff_ms(30), 8000);
}
END_TEST

START_TEST(test_stop)
{
	struct fleet_sched s;
	struct fleet_sched_opts o = { .n = 3, .jobs = 1 };
	struct fleet_outcome ok = end_as(FLEET_OK, false);
	size_t got[4], t;
	long long wait;

	ck_assert_int_eq(fleet_sched_init(&s, &o), 0);
	ck_assert_uint_eq(start_all(&s, 0, got), 1);
	fleet_sched_stop(&s);
	ck_assert_int_eq(fleet_sched_next(&s, 1, &t, &wait), FLEET_WAIT);
	ck_assert(fleet_sched_end(&s, 0, &ok, 1));
	ck_assert_int_eq(fleet_sched_next(&s, 2, &t, &wait), FLEET_DONE);
	fleet_sched_release(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fleet_sched");
	TCase *tc = tcase_create("sched");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_jobs_limit);
	tcase_add_test(tc, test_per_host);
	tcase_add_test(tc, test_canary_one_at_a_time);
	tcase_add_test(tc, test_canary_failure_stops);
	tcase_add_loop_test(tc, test_on_error, 0, 2);
	tcase_add_test(tc, test_transient_retried_with_backoff);
	tcase_add_test(tc, test_data_failure_not_retried);
	tcase_add_test(tc, test_locked_requeued);
	tcase_add_test(tc, test_transient_codes);
	tcase_add_test(tc, test_stop);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
