/*
 * clock.c - the time of day as retort writes it into what it generates,
 * and the monotonic clock that waits are measured with.
 */
#include "base/clock.h"

#include <stdio.h>
#include <time.h>

void clock_now_utc(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S+00", &tm) == 0)
		snprintf(buf, size, "%s", "1970-01-01 00:00:00+00");
}

long long clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_sleep_ms(long long ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}
