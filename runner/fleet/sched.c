/*
 * sched.c - the order a fleet's targets start in, and when.  Pure: no
 * process, no clock, no I/O.  Its memory is a few words per target, taken
 * once at the start.
 */
#include "fleet/sched.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 8000

const char *fleet_status_name(enum fleet_status status)
{
	static const char *const names[FLEET_NSTATUS] = {
		[FLEET_PENDING] = "skipped",
		[FLEET_OK] = "ok",
		[FLEET_UP_TO_DATE] = "up-to-date",
		[FLEET_FAILED] = "failed",
		[FLEET_LOCKED] = "locked",
		[FLEET_SKIPPED] = "skipped",
		[FLEET_UNKNOWN_REVISION] = "unknown-revision",
	};

	return (unsigned)status < FLEET_NSTATUS ? names[status] : "failed";
}

bool fleet_is_transient(const char *sqlstate, bool connection_lost)
{
	static const char *const codes[] = { "57P01", "57P02", "57P03",
					     "55P03", "40001", "40P01" };

	if (sqlstate == NULL || sqlstate[0] == '\0')
		return connection_lost;
	if (strncmp(sqlstate, "08", 2) == 0)
		return true;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(sqlstate, codes[i]) == 0)
			return true;
	return false;
}

long long fleet_sched_backoff_ms(int tries)
{
	long long ms = BACKOFF_FIRST_MS;

	for (int i = 1; i < tries && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

int fleet_sched_init(struct fleet_sched *s, const struct fleet_sched_opts *o)
{
	size_t n = o->n ? o->n : 1;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->next = calloc(n, sizeof(*s->next));
	s->tries = calloc(n, sizeof(*s->tries));
	s->not_before = calloc(n, sizeof(*s->not_before));
	s->host_running = calloc(n, sizeof(*s->host_running));
	if (!s->next || !s->tries || !s->not_before || !s->host_running) {
		fleet_sched_release(s);
		return -1;
	}
	for (size_t i = 0; i < o->n; i++)
		s->next[i] = i + 1 < o->n ? i + 1 : NONE;
	s->head = o->n ? 0 : NONE;
	s->tail = o->n ? o->n - 1 : NONE;
	return 0;
}

void fleet_sched_release(struct fleet_sched *s)
{
	free(s->next);
	free(s->tries);
	free(s->not_before);
	free(s->host_running);
	memset(s, 0, sizeof(*s));
}

static int host_of(const struct fleet_sched *s, size_t t)
{
	return s->o.host ? s->o.host[t] : 0;
}

static bool in_canary(const struct fleet_sched *s)
{
	return s->done < (size_t)s->o.canary;
}

/* Whether t may start now, as far as its host and its back-off go. */
static bool may_start(const struct fleet_sched *s, size_t t, long long now,
		      long long *wait)
{
	if (s->o.per_host > 0 &&
	    s->host_running[host_of(s, t)] >= s->o.per_host)
		return false;
	if (s->not_before[t] > now) {
		if (*wait < 0 || s->not_before[t] - now < *wait)
			*wait = s->not_before[t] - now;
		return false;
	}
	return true;
}

static void unlink_after(struct fleet_sched *s, size_t prev, size_t t)
{
	if (prev == NONE)
		s->head = s->next[t];
	else
		s->next[prev] = s->next[t];
	if (s->tail == t)
		s->tail = prev;
	s->next[t] = NONE;
}

static void start(struct fleet_sched *s, size_t prev, size_t t)
{
	unlink_after(s, prev, t);
	s->tries[t]++;
	s->running++;
	s->host_running[host_of(s, t)]++;
}

enum fleet_next fleet_sched_next(struct fleet_sched *s, long long now_ms,
				 size_t *target, long long *wait_ms)
{
	size_t prev = NONE;

	*wait_ms = -1;
	if (s->stopped || s->head == NONE)
		return s->running > 0 ? FLEET_WAIT : FLEET_DONE;
	if (s->running >= s->o.jobs || (in_canary(s) && s->running > 0))
		return FLEET_WAIT;
	for (size_t t = s->head; t != NONE; prev = t, t = s->next[t]) {
		if (may_start(s, t, now_ms, wait_ms)) {
			start(s, prev, t);
			*target = t;
			return FLEET_START;
		}
		/* The canary goes in order: the head or nothing. */
		if (in_canary(s))
			break;
	}
	return FLEET_WAIT;
}

/* Back in the queue: at its end, or at its head during the canary. */
static void requeue(struct fleet_sched *s, size_t t, long long now_ms)
{
	s->not_before[t] = now_ms + fleet_sched_backoff_ms(s->tries[t]);
	if (s->head == NONE) {
		s->head = s->tail = t;
	} else if (in_canary(s)) {
		s->next[t] = s->head;
		s->head = t;
	} else {
		s->next[s->tail] = t;
		s->tail = t;
	}
}

static bool is_success(int status)
{
	return status == FLEET_OK || status == FLEET_UP_TO_DATE;
}

bool fleet_sched_end(struct fleet_sched *s, size_t target,
		     const struct fleet_outcome *o, long long now_ms)
{
	bool again = (o->status == FLEET_LOCKED ||
		      (o->status == FLEET_FAILED && o->transient)) &&
		     s->tries[target] <= s->o.retries && !s->stopped;

	s->running--;
	s->host_running[host_of(s, target)]--;
	if (again) {
		requeue(s, target, now_ms);
		return false;
	}
	/* A canary that did not succeed, or any failure under --on-error
	 * stop, starts nothing more. */
	if (!is_success(o->status) && (in_canary(s) || !s->o.keep_going))
		s->stopped = true;
	s->done++;
	return true;
}

void fleet_sched_stop(struct fleet_sched *s)
{
	s->stopped = true;
}
