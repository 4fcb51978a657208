/*
 * outcome.h - what one target of a fleet run came to: a fixed-size record
 * that a target's process sends its fleet runner over a pipe, and all the
 * runner keeps of a target, so that its memory stays flat however many
 * targets there are.
 */
#ifndef RETORT_FLEET_OUTCOME_H
#define RETORT_FLEET_OUTCOME_H

#include <stdbool.h>

/* Exit status of a fleet run stopped early, targets left unattempted. */
#define FLEET_EXIT_STOPPED 3

enum fleet_status {
	FLEET_PENDING = 0, /* not attempted (yet): reported as skipped */
	FLEET_OK,	   /* moved to the target */
	FLEET_UP_TO_DATE,  /* already there: no lock taken, nothing written */
	FLEET_FAILED,
	FLEET_LOCKED,		/* another runner held its migration lock */
	FLEET_SKIPPED,		/* not attempted: the fleet stopped first */
	FLEET_UNKNOWN_REVISION, /* a version row retort does not know */
	FLEET_NSTATUS
};

struct fleet_outcome {
	int status;	/* enum fleet_status */
	bool transient; /* a failure worth retrying (fleet_is_transient) */
	int attempts;
	int steps;		 /* revisions run (status: the run's moves) */
	long long duration_ms;	 /* of the last attempt */
	char from[128], to[128]; /* version rows, ","-joined; "" = base */
	/* Whether from and to were read: a target never reached stands
	 * where nobody knows. */
	bool from_read, to_read;
	char revision[64]; /* where it failed, or "" */
	char sqlstate[6];
	char error[256];  /* the error's first line, or "" */
	char holder[192]; /* who holds the lock, when locked */
};

/* "ok", "up-to-date", ...: the word the output and --json use. */
const char *fleet_status_name(enum fleet_status status);

/*
 * Whether an error of this SQLSTATE is worth another attempt: a lost or
 * refused connection (class 08, or no SQLSTATE at all when the server
 * never answered), a server shutting down (57P01-57P03), a lock timeout
 * (55P03), a serialization failure (40001), a deadlock (40P01).  Data
 * errors (23xxx, 22xxx, ...) would fail the same way again.
 */
bool fleet_is_transient(const char *sqlstate, bool connection_lost);

#endif
