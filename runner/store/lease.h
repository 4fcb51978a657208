/*
 * lease.h - the migration lock: a lease row in retort_lock, beside the
 * version table, that needs no session state, so it holds through a
 * transaction-pooling PgBouncer as it does on a direct connection.
 *
 * A runner takes the lease in a short transaction, with a fencing token
 * one higher than the last holder's, and renews it: every step's
 * transaction checks the token first and locks the row until it commits,
 * and a heartbeat connection renews it while revision code runs outside a
 * transaction.  A runner whose lease was taken over cannot commit again.
 * A crashed runner's lease expires; a waiter says whose it is and when it
 * expires.
 */
#ifndef RETORT_LEASE_H
#define RETORT_LEASE_H

#include <stdio.h>

#include "store/db.h"
#include "base/error.h"

/* The lock's table, beside the version table. */
#define LEASE_TABLE "retort_lock"

/* How long a lease lasts unless renewed, when nothing else is said. */
#define LEASE_DEFAULT "30s"

struct lease_opts {
	const char *timeout; /* wait at most this long; NULL or 0 = for ever */
	const char *length;  /* the lease's length; NULL = LEASE_DEFAULT */
	FILE *progress;	     /* who holds it, while waiting; NULL = quiet */
};

/*
 * Take the migration lock on db's version table, waiting as opts says,
 * and keep it until lease_release().  Timing out or being interrupted is
 * RETORT_FAILED naming the holder.  From then on the transactions the
 * runner opens through db.h check the fencing token (db->fence_begin,
 * db->fence_end).
 */
int lease_acquire(struct db *db, const struct lease_opts *opts,
		  struct retort_error *err);

/* Give the lock back, if held; stops the heartbeat.  Never fails: a lease
 * that cannot be given back expires. */
void lease_release(struct db *db);

/*
 * Make this process the lock's holder for what it and the workers it forks
 * take: call before forking one.  Without it, the first lease_acquire()
 * makes one up.
 */
void lease_init_holder(void);

/*
 * Give back every lease this runner's holder id holds on db's lock table,
 * over db's own connection: for the parent of a worker that died holding
 * one.  Best effort.
 */
void lease_give_back(struct db *db);

/*
 * Who holds the migration lock on db's version table, in the words of
 * lease_acquire's waiting message ("retort 0.1.0 pid 4983 on web-1 (user
 * app) since ..."), into buf: 1 when someone holds it, 0 when nobody does
 * or it was never taken (buf ""), -1 with err filled.  Only reads: takes
 * nothing and creates no table.
 */
int lease_holder(struct db *db, char *buf, size_t size,
		 struct retort_error *err);

/* A duration as lease_opts takes it (500ms, 5s, 2min, 1h; no unit = ms),
 * in milliseconds; -1 if it is not one. */
long long lease_duration_ms(const char *s);

#endif
