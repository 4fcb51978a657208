/*
 * revmap.h - the revision graph: validation, heads and bases, target
 * resolution, upgrade and downgrade plans, history and stamp.  The one
 * header callers include; the files of runner/graph/ implement it:
 *
 *   build.c    revmap_build(): ids, labels and edges checked and linked,
 *              order, cycles (meta.c reads the fields, table.c indexes)
 *   state.c    revmap_state(), revmap_current(): where a database stands
 *   target.c   revmap_resolve(), revmap_lookup(): Alembic's target grammar
 *              (symbol.c names revisions, walk.c steps +N and -N)
 *   plan.c     revmap_plan(): upgrade and downgrade steps (order.c sorts)
 *   history.c  revmap_history(): `history -r RANGE`
 *   stamp.c    revmap_stamp(): the rows `stamp` moves
 *
 * Pure code: no I/O, no libpq, no printing.  Everything it knows of the
 * world comes in as arguments (revision metadata, version-table rows), so
 * it is unit-tested on its own.
 *
 * Alembic parity: the orders and answers are Alembic 1.8's
 * (alembic/script/revision.py, script/base.py, runtime/migration.py), and
 * tests/alembic_diff/ checks them against the real RevisionMap.  Where
 * Alembic crashes, retort reports an error or takes the evident meaning;
 * tests/alembic_diff/README.md lists each case.
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

#include "base/error.h"

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
	/* Integrity (plugin.c fills them; the graph never reads them). */
	const char *checksum;	 /* 64 hex digits, or NULL when unknown */
	bool checksum_of_binary; /* of the plugin file: no embedded one */
	const char *source_path; /* the source it was built from, or NULL */
	const char *lint_allow;	 /* the lint rules it waives, or NULL */
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
	/*
	 * The revisions whose branch labels apply to this one, in input
	 * order.  Alembic spreads a label to every revision above the
	 * labelled one and, when those form a single line, down below it
	 * to the nearest branch or merge point; `heads`, `history` and
	 * `show` print all of them.
	 */
	struct revlist label_revs;
};

/*
 * The whole graph.  Read-only for callers; built by revmap_build(), freed
 * by revmap_free().
 */
struct revmap {
	struct revision *revs; /* in the order given to revmap_build() */
	size_t n;
	struct revlist heads; /* revisions with no children, input order */
	struct revlist bases; /* revisions with no parents */
	struct revlist order; /* every revision, parents and dependencies
				 before children; deterministic */
	struct revmap_index *index; /* private to graph/: see graph.h */
	/*
	 * Heads counting depends_on as a down_revision too: no child and no
	 * dependent (Alembic's _real_heads: the target "heads", `heads
	 * --resolve-dependencies`), in input order.
	 */
	struct revlist real_heads;
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

/* The message of the revision with exactly this id; "" if none. */
const char *revmap_message(const struct revmap *map, const char *id);

/* True for a revision with no children (a head of the graph). */
bool revmap_is_head(const struct revmap *map, size_t rev);

/* "a, b, c": the ids of a list of revisions, into buf, cut short to fit;
 * "" for an empty list (Alembic's base). */
void revmap_join_ids(const struct revmap *map, const struct revlist *list,
		     char *buf, size_t size);

/*
 * The next entry of a comma list as a revision writes it (down_revision,
 * branch_labels, depends_on): *item and *len the entry, spaces and tabs
 * trimmed, *cur moved past it.  False when the list (NULL) is done.
 */
bool revmap_list_next(const char **cur, const char **item, size_t *len);

/*
 * True for a head that is no revision's dependency either.  A head that
 * is one is an "effective head" in Alembic's output.
 */
bool revmap_is_real_head(const struct revmap *map, size_t rev);

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
 * Whether target is written as a target can be (characters, '@', a
 * relative step), before any graph or database state is consulted: the
 * same "malformed target" error every resolution gives, so that a command
 * can refuse it before connecting.
 */
int revmap_check_target(const char *target, struct retort_error *err);

/*
 * Resolve an upgrade target to revisions, as Alembic's upgrade reads it:
 * "base" (empty list), "heads" (the real heads), "head", a full id, a
 * unique prefix (of an id or label longer than three characters), a
 * branch label, "+N" (up from the state's single row; state may be NULL
 * when the caller has none), "-N" (down from it, as downgrade reads
 * it), "label@+N", "REV+N", "REV-N", "head-N",
 * "base+N", "label@head", "label@heads", "label@base", "label@REV".
 * Errors are RETORT_USAGE and say why: unknown, ambiguous (with the
 * candidates), relative step past base or head, several heads where one
 * is needed.
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
 * The steps that take a database in state to target, in Alembic's order.
 * Upgrade: every revision the target needs that is not applied, parents
 * and dependencies first.  Downgrade: every applied revision that grows
 * from the target's children (through parents or depends_on), children
 * first; other branches are left alone; "label@..." narrows a target
 * with several children to the label's line.  An empty plan is not an
 * error.  A target behind (upgrade) or ahead of (downgrade) the database
 * is RETORT_USAGE, in Alembic's words.
 */
int revmap_plan(const struct revmap *map, const struct revstate *state,
		enum plan_direction direction, const char *target,
		struct plan *out, struct retort_error *err);
void plan_release(struct plan *plan);

/*
 * A plan of one step that upgrades or downgrades rev alone, with the
 * version-table change that step makes from state: for an upgrade every
 * parent and dependency of rev is applied and rev is not; for a downgrade
 * rev is applied and none of its children or dependents is.  Anything
 * else is RETORT_USAGE.  `retort test` walks the graph with it, one
 * revision at a time, where a target would move other branches too.
 */
int revmap_plan_one(const struct revmap *map, const struct revstate *state,
		    size_t rev, enum plan_direction direction, struct plan *out,
		    struct retort_error *err);

/*
 * The downgrade plan that reverts exactly the revisions in undo (a set:
 * what one run upgraded), children and dependents before what they build
 * on, with each step's version-table change from state.  Empty when undo
 * is.  RETORT_FAILED, naming the revision, when the database has moved
 * since: one of them is no longer applied, or an applied revision outside
 * the set builds on one of them (a parent or a dependency).
 */
int revmap_plan_undo(const struct revmap *map, const struct revstate *state,
		     const struct revlist *undo, struct plan *out,
		     struct retort_error *err);

/*
 * The revisions a symbol names, as Alembic's get_revisions() reads it
 * (`show`, `stamp`): "heads" (the real heads), "head", "base" (none), an
 * id, a unique prefix, a branch label, "label@REV", "label@head",
 * "label@heads", and "-N" or "label@-N", N steps below each head (of the
 * branch).  No other relative form: "REV+1" names nothing.
 */
int revmap_lookup(const struct revmap *map, const char *symbol,
		  struct revlist *out, struct retort_error *err);

/*
 * What `current` lists for a database in state: the applied revisions no
 * applied revision names as down_revision (so a dependency of an applied
 * revision is listed too, as Alembic lists it), in input order.
 */
int revmap_current(const struct revmap *map, const struct revstate *state,
		   struct revlist *out, struct retort_error *err);

/*
 * `history [-r RANGE]`: the revisions in Alembic's walk order, newest
 * first.  range NULL is the whole history; else "A:B", "A:" or ":B",
 * each end a target as upgrade reads it (the start as revmap_lookup
 * reads it), both ends included, or "current": the database's rows,
 * given in current (NULL when the caller has not read them: then
 * "current" is an error).  Errors in Alembic's words: "History range
 * requires [start]:[end], [start]:, or :[end]", a start that is not an
 * ancestor of the end ("Revision A is not an ancestor of revision B").
 */
int revmap_history(const struct revmap *map, const char *range,
		   const struct revlist *current, struct revlist *out,
		   struct retort_error *err);

/* True when range has "current" for an end: the caller reads the rows. */
bool revmap_range_needs_current(const char *range);

/* One step of a stamp, as Alembic's StampStep. */
struct stamp_step {
	struct revlist from;   /* "Running stamp_revision FROM -> TO" */
	struct revlist to;     /* empty for a branch stamped to base */
	struct revlist remove; /* version rows this step deletes */
	struct revlist insert; /* version rows this step inserts */
};

struct stamp_plan {
	struct stamp_step *steps;
	size_t n;
};

/*
 * `stamp TARGET...` from the version rows rows (none for --purge), as
 * Alembic's _stamp_revs and HeadMaintainer move them: each target moves
 * the rows on its line up or down to it, or adds a branch; base deletes
 * the rows on the targets' lines (all of them for plain "base").
 * ntargets 0 means base.  Targets that Alembic's stamp fails on (two
 * moving the same row) are RETORT_USAGE.
 */
int revmap_stamp(const struct revmap *map, const struct revlist *rows,
		 const char *const *targets, size_t ntargets,
		 struct stamp_plan *out, struct retort_error *err);
void stamp_plan_release(struct stamp_plan *plan);

#endif
