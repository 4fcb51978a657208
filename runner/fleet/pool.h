/*
 * pool.h - a fleet's processes: one forked child per running target,
 * which sends its struct fleet_outcome back over a pipe and exits.  The
 * parent polls the pipes and reaps the children; a child that ends
 * without a whole outcome is a failed target, saying how it ended.
 */
#ifndef RETORT_FLEET_POOL_H
#define RETORT_FLEET_POOL_H

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "fleet/outcome.h"

/* What a child runs: fill *out for target.  It runs in the child only. */
typedef void (*fleet_pool_fn)(size_t target, struct fleet_outcome *out,
			      void *arg);

struct fleet_pool_slot {
	pid_t pid; /* 0: free */
	int fd;	   /* the pipe's read end */
	size_t target;
	size_t got; /* bytes of buf read so far */
	struct fleet_outcome buf;
};

struct pollfd;

struct fleet_pool {
	struct fleet_pool_slot *slots;
	struct pollfd *fds; /* poll()'s, one per slot */
	int *fd_slot;	    /* the slot of each of fds */
	int nslots, running;
};

int fleet_pool_init(struct fleet_pool *p, int nslots, struct retort_error *err);
/* Waits for every child still running (they are asked nothing). */
void fleet_pool_release(struct fleet_pool *p);

/* Fork a child running fn(target, ..., arg); a free slot must exist. */
int fleet_pool_start(struct fleet_pool *p, size_t target, fleet_pool_fn fn,
		     void *arg, struct retort_error *err);

/*
 * Wait at most timeout_ms (-1: until something happens) for a child to
 * end: 1 with *target and *out filled, 0 when none ended (the time ran
 * out, or a signal came).
 */
int fleet_pool_wait(struct fleet_pool *p, long long timeout_ms, size_t *target,
		    struct fleet_outcome *out);

/* Send sig to every running child. */
void fleet_pool_signal(struct fleet_pool *p, int sig);

#endif
