/*
 * sched.h - which target of a fleet starts next: -j, --per-host, the
 * canary phase, --on-error, retries with back-off and locked targets put
 * back at the end of the queue.  Pure: no process, no clock, no I/O; the
 * caller says what time it is.
 */
#ifndef RETORT_FLEET_SCHED_H
#define RETORT_FLEET_SCHED_H

#include <stdbool.h>
#include <stddef.h>

#include "fleet/outcome.h"

struct fleet_sched_opts {
	size_t n;	 /* targets, started in this order */
	const int *host; /* per target its host's number, 0..n-1; or NULL */
	int jobs;	 /* at most this many at once (>= 1) */
	int per_host;	 /* at most this many on one host; 0: no limit */
	int canary;	 /* the first this many one at a time */
	int retries;	 /* another attempt after a transient failure */
	bool keep_going; /* --on-error continue */
};

struct fleet_sched {
	struct fleet_sched_opts o;
	size_t *next;	       /* the queue, a list through next[] */
	size_t head, tail;     /* SIZE_MAX: empty */
	int *tries;	       /* attempts started, per target */
	long long *not_before; /* per target: no attempt before then */
	int *host_running;     /* per host number */
	int running;
	size_t done;  /* targets with their final outcome */
	bool stopped; /* no new target starts */
};

/* Back-off before attempt tries + 1: 0.5 s doubling, at most 8 s. */
long long fleet_sched_backoff_ms(int tries);

/* opts.host is borrowed until fleet_sched_release(). */
int fleet_sched_init(struct fleet_sched *s, const struct fleet_sched_opts *o);
void fleet_sched_release(struct fleet_sched *s);

enum fleet_next {
	FLEET_START, /* *target starts now */
	FLEET_WAIT,  /* nothing may start: wait for an end or *wait_ms */
	FLEET_DONE,  /* nothing runs and nothing will start */
};

/*
 * What to do at now_ms: start *target, or wait at most *wait_ms (-1: until
 * a running target ends).
 */
enum fleet_next fleet_sched_next(struct fleet_sched *s, long long now_ms,
				 size_t *target, long long *wait_ms);

/*
 * A started target ended with o (its status, whether transient).  True
 * when that is its final outcome; false when it went back to the queue
 * for another attempt.
 */
bool fleet_sched_end(struct fleet_sched *s, size_t target,
		     const struct fleet_outcome *o, long long now_ms);

/* Start nothing new (a signal, or a stop): running targets finish. */
void fleet_sched_stop(struct fleet_sched *s);

#endif
