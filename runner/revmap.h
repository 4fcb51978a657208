/*
 * revmap.h - the revision graph: validation, heads and bases, target
 * resolution, upgrade and downgrade plans.
 *
 * Pure code: no I/O, no libpq, no printing.  Everything it knows of the
 * world comes in as arguments (revision metadata, version-table rows), so
 * it is unit-tested on its own.
 *
 * Graph semantics follow Alembic's: a revision's parents are its
 * down_revisions; depends_on adds ordering edges (a dependency is applied
 * first) that are not parents for history.  The applied set is everything
 * reachable from the version-table rows through both kinds of edge, and the
 * rows are the applied set's heads: applied revisions with no applied child
 * or dependent.  A merge collapses rows, a branch point splits them, a
 * dependency never keeps a row of its own.
 */
#ifndef RETORT_REVMAP_H
#define RETORT_REVMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define REVMAP_ID_MAX 32

/*
 * What the graph needs to know of one revision.  Strings are borrowed: the
 * caller keeps them alive as long as the map built from them.
 */
struct revision_meta {
	const char *id;
	const char *down_revision; /* NULL or "" = base; "a, b" = merge */
	const char *message;
	const char *create_date;
	const char *branch_labels; /* comma-separated, may be NULL */
	const char *depends_on; /* comma-separated ids or labels, may be NULL */
	const char *path;	/* the plugin file, named in messages */
	unsigned flags;		/* RETORT_NO_TRANSACTION, ... */
};

/* A list of revision indices (into map->revs).  Owned by whoever holds it. */
struct revlist {
	size_t *items;
	size_t n;
};

struct revision {
	const struct revision_meta *meta;
	struct revlist parents; /* down_revisions, in the order written */
	struct revlist deps;	/* depends_on, resolved to revisions */
	struct revlist
		children; /* revisions naming this one as down_revision */
	struct revlist dependents; /* revisions naming this one in depends_on */
	char **labels;		   /* branch labels, owned */
	size_t nlabels;
};

/*
 * The whole graph.  Read-only for callers; built by revmap_build(), freed
 * by revmap_free().
 */
struct revmap {
	struct revision *revs; /* in the order given to revmap_build() */
	size_t n;
	struct revlist heads; /* revisions with no children, newest first */
	struct revlist bases; /* revisions with no parents */
	struct revlist order; /* every revision, parents and dependencies
				 before children; deterministic */
	struct revmap_index *index; /* private: id lookup */
};

/*
 * Build and validate the graph.  On failure (status RETORT_USAGE) the error
 * names the culprit and its file: invalid or over-long id, duplicate id
 * (both files), unknown down_revision or depends_on, duplicate branch label,
 * cycle (printed as "a -> b -> a").
 */
int revmap_build(const struct revision_meta *metas, size_t n,
		 struct revmap **out, struct retort_error *err);
void revmap_free(struct revmap *map);

/* Index of the revision with exactly this id; false if none. */
bool revmap_find(const struct revmap *map, const char *id, size_t *out);

/* True for a revision with no children (a head of the graph). */
bool revmap_is_head(const struct revmap *map, size_t rev);

/*
 * Where a database stands.  applied has map->n flags; rows are the
 * version-table rows as revision indices.
 */
struct revstate {
	bool *applied;
	struct revlist rows;
};

/*
 * The state of a database whose version table holds rows.  A row naming no
 * known revision is an error (RETORT_USAGE, Alembic's "Can't locate
 * revision identified by '...'").
 */
int revmap_state(const struct revmap *map, const char *const *rows,
		 size_t nrows, struct revstate *out, struct retort_error *err);
void revstate_release(struct revstate *state);

/*
 * Resolve a target to revisions: "base" (empty list), "heads", "head", a
 * full id, a unique prefix, a branch label, "+N"/"-N" (relative to the
 * state's single row; state may be NULL when the caller has none),
 * "REV+N", "REV-N", "head-N", "base+N", "label@head", "label@base".
 * Errors are RETORT_USAGE and say why: unknown, ambiguous (with the
 * candidates), relative step past base or head, several heads where one is
 * needed.
 */
int revmap_resolve(const struct revmap *map, const struct revstate *state,
		   const char *target, struct revlist *out,
		   struct retort_error *err);
void revlist_release(struct revlist *list);

enum plan_direction { PLAN_UPGRADE, PLAN_DOWNGRADE };

/* One revision to run, and the version-table change committed with it. */
struct plan_step {
	size_t rev;
	enum plan_direction direction;
	struct revlist remove; /* rows deleted by this step */
	struct revlist insert; /* rows inserted by this step */
};

struct plan {
	struct plan_step *steps;
	size_t n;
};

/*
 * The steps that take a database in state to target.  Upgrade: every
 * revision the target needs that is not applied, parents and dependencies
 * first.  Downgrade: every applied revision that depends on the target
 * (through parents or depends_on), children first; other branches are left
 * alone.  An empty plan is not an error.  A target behind (upgrade) or
 * ahead of (downgrade) the database is RETORT_USAGE, in Alembic's words.
 */
int revmap_plan(const struct revmap *map, const struct revstate *state,
		enum plan_direction direction, const char *target,
		struct plan *out, struct retort_error *err);
void plan_release(struct plan *plan);

#endif
