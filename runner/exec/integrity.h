/*
 * integrity.h - whether the revisions and the database agree, for `check`
 * and for upgrade and downgrade alike.  RETORT_USAGE when not: an applied
 * revision whose plugin is missing, a plugin built from an older source
 * than the one beside it (stale build), an applied revision whose checksum
 * differs from the one its last upgrade recorded in retort_history
 * (edited after it ran; allowed with allow_changed).  Needs the revisions
 * loaded and a connection; changes nothing.
 */
#ifndef RETORT_INTEGRITY_H
#define RETORT_INTEGRITY_H

#include <stdbool.h>

#include "store/db.h"
#include "base/error.h"
#include "plugins/plugin.h"
#include "graph/revmap.h"

/* What is compared. */
struct integrity {
	struct db *db;
	const struct revmap *map;
	struct plugin_set *plugins;
	const char *versions; /* the revisions' directory, for messages */
};

/* Which of the checks failed, for `check --json`'s problem kind. */
enum integrity_finding {
	INTEGRITY_INTACT,
	INTEGRITY_MISSING_PLUGIN, /* reading the state: a row without one */
	INTEGRITY_STALE_PLUGIN,	  /* a plugin built from an older source */
	INTEGRITY_CHANGED,	  /* an applied revision edited since */
};

/*
 * The whole check, for `check`: the database's state, read on the way,
 * lands in state (the caller releases it, whatever the outcome); *found
 * names the check that failed, or INTEGRITY_INTACT.  A failure that is no
 * finding (the database's) has another status than RETORT_USAGE.
 */
int integrity_check(const struct integrity *in, bool allow_changed,
		    struct revstate *state, enum integrity_finding *found,
		    struct retort_error *err);

/*
 * integrity_check() in two halves, for upgrade and downgrade: the
 * database's state (failing on applied revisions without a plugin), then,
 * once the plan is known, the stale check for the revisions the plan runs
 * (every revision when plan is NULL) and the check for applied revisions
 * changed after they ran.  A run loads only the plan's plugins, so only
 * theirs can run yesterday's code; `check` looks at all.
 */
int integrity_read_state(const struct integrity *in, struct revstate *state,
			 struct retort_error *err);
int integrity_intact(const struct integrity *in, bool allow_changed,
		     const struct plan *plan, const struct revstate *state,
		     struct retort_error *err);

/*
 * The version table's rows as a revstate, unchecked, for the commands
 * that only show the state (a row no plugin defines fails in revmap's
 * words).
 */
int integrity_read_rows(struct db *db, const struct revmap *map,
			struct revstate *state, struct retort_error *err);

#endif
