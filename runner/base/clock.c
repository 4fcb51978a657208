/*
 * clock.c - the time of day as retort writes it into what it generates.
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
