/*
 * undo.h - what one fleet run did to one target, read from the rows it
 * wrote in retort_history, and the plan that takes it back.
 */
#ifndef RETORT_FLEET_UNDO_H
#define RETORT_FLEET_UNDO_H

#include <stddef.h>

#include "base/error.h"
#include "graph/revmap.h"
#include "store/db.h"

/* The run's steps on one database, in the order they ran. */
struct fleet_moves {
	char **upgraded; /* revision ids the run upgraded */
	size_t nupgraded;
	char **downgraded; /* revision ids the run downgraded */
	size_t ndowngraded;
};

/*
 * Read the retort_history rows of db carrying run_id.  A history table
 * without the fleet_run column, or no row of the run, is an empty result,
 * not an error.
 */
int fleet_moves_read(struct db *db, const char *run_id, struct fleet_moves *out,
		     struct retort_error *err);
void fleet_moves_release(struct fleet_moves *m);

/*
 * The downgrade plan that takes a database at state back to where it was
 * before the run: it reverts exactly the revisions the run upgraded,
 * newest first.  Empty when the run upgraded nothing here.
 * RETORT_FAILED, naming the revision, when the database has moved since:
 * a revision the run upgraded is no longer applied, or an applied
 * revision the run did not apply depends on one it did.
 */
int fleet_undo_plan(const struct revmap *map, const struct revstate *state,
		    const struct fleet_moves *m, struct plan *out,
		    struct retort_error *err);

#endif
