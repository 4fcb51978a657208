/*
 * target.h - Alembic's target grammar: a target split into
 * [label@][SYM][+N|-N], and the revisions an upgrade or a downgrade goes
 * to (Alembic's _parse_upgrade_target and _parse_downgrade_target).
 * revmap_resolve() and revmap_lookup(), in revmap.h, are its public face.
 */
#ifndef RETORT_TARGET_H
#define RETORT_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "graph/graph.h"
#include "graph/revmap.h"

/*
 * A target split as Alembic's grammar reads it: [label@][sym][+N|-N].
 * Alembic's pattern is (?:(.+?)@)?(\w+)?((?:\+|-)\d+); an absolute target
 * is label@sym or sym.
 */
struct target_form {
	struct token abs;   /* all before the step; empty for "+N"/"-N" */
	struct token label; /* before '@', or empty */
	struct token sym;   /* after '@', or all of abs; may be empty */
	char sign;	    /* '+', '-', or 0 for an absolute target */
	struct token count; /* the step's digits */
	size_t steps;	    /* their value, saturated */
};

/*
 * Alembic's current_revisions: the database's rows, or, for a history
 * range, the range's start as a symbol.  Neither: no state was given.
 */
struct bound {
	const struct revlist *rows;
	const char *sym;
};

/* Split target (which f then borrows); a malformed one is RETORT_USAGE. */
int target_parse(const char *target, struct target_form *f,
		 struct retort_error *err);

/* "upgrade -1" and "downgrade +1": Alembic refuses them too. */
int target_check_direction(enum plan_direction dir, const char *target,
			   const struct target_form *f,
			   struct retort_error *err);

/*
 * Where an upgrade to target goes from cur: "+N" from the current
 * revision, REV+N and REV-N from a revision, or get_revisions() of an
 * absolute target.  The answer may hold POS_BASE (a walk down to base) or
 * POS_NONE.  assert_len: a walk that runs out is an error, rather than
 * stopping at the end of the line.
 */
int target_upgrade(const struct revmap *map, const struct bound *cur,
		   const char *target, const struct target_form *f,
		   bool assert_len, struct revlist *out,
		   struct retort_error *err);

/*
 * Where a downgrade to target goes from state: the revision (POS_NONE for
 * base) and the branch label that narrows a downgrade from a branch
 * point.  An absolute "label@REV" names REV, the label only narrowing.
 */
int target_downgrade(const struct revmap *map, const struct revstate *state,
		     const char *target, const struct target_form *f,
		     struct token *label, size_t *at, struct retort_error *err);

/*
 * Alembic's check=True: no requested revision may build on another
 * (RETORT_USAGE, naming a pair that does).
 */
int target_check_overlap(const struct revmap *map, const struct revlist *revs,
			 struct retort_error *err);

#endif
