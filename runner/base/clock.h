/*
 * clock.h - the time of day as retort writes it into what it generates.
 */
#ifndef RETORT_CLOCK_H
#define RETORT_CLOCK_H

#include <stddef.h>

/*
 * Now, in UTC, as a revision's create_date: "2026-01-31 12:00:00+00",
 * the form PostgreSQL prints a timestamptz in and Alembic's templates
 * show.  The epoch when the clock cannot be read, so the text is always
 * there; 32 bytes hold it.  Never allocates.
 */
void clock_now_utc(char *buf, size_t size);

/* The monotonic clock in milliseconds, for waits and timeouts. */
long long clock_monotonic_ms(void);

/* Sleep ms milliseconds; a signal ends it early (the caller checks). */
void clock_sleep_ms(long long ms);

#endif
