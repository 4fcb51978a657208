/*
 * stairway.h - `retort test`'s walk: every revision, in the graph's order
 * from base to head, upgraded, downgraded and upgraded again on a
 * throwaway database, its schema read after each step and compared with
 * what it was before (catalog.c, schemadiff.c), then, at head, with the
 * declared schema.
 *
 * Every step goes through migrate_run() and so through step_run(), with
 * the normal version table and retort_history, as a real run does.  The
 * walk stops at the first failure: each revision builds on the ones below
 * it, so what comes after a broken step would test a state no real
 * database reaches.  Never prints.
 */
#ifndef RETORT_STAIRWAY_H
#define RETORT_STAIRWAY_H

#include <stdbool.h>

#include "base/error.h"
#include "exec/step.h"
#include "graph/revmap.h"
#include "plugins/plugin.h"
#include "schema/catalog.h"
#include "schema/sd_plan.h"
#include "store/db.h"

/* What became of one revision. */
enum stair_verdict {
	STAIR_NOT_RUN = 0,	 /* the walk stopped before it */
	STAIR_OK,		 /* up, down, up: the schema as it should be */
	STAIR_UPGRADE_FAILED,	 /* upgrade() failed */
	STAIR_DOWNGRADE_FAILED,	 /* downgrade() failed */
	STAIR_DOWNGRADE_DIFFERS, /* after downgrade() the schema differs */
	STAIR_REUPGRADE_FAILED,	 /* upgrade() after downgrade() failed */
	STAIR_REUPGRADE_DIFFERS, /* ... or left another schema than the first */
	/* upgrade() ran; downgrade() refused with retort_fail(ctx,
	 * "irreversible: ..."), as a revision that cannot be undone says:
	 * it passes, and the walk goes on from it. */
	STAIR_IRREVERSIBLE,
};

/* How the schema at head compares with the declared one. */
enum stair_head {
	STAIR_HEAD_NOT_COMPARED, /* no declared schema, or not reached */
	STAIR_HEAD_MATCHES,
	STAIR_HEAD_DIFFERS,
};

struct stairway {
	struct db *db; /* the throwaway database: every step runs there */
	const struct revmap *map;
	struct plugin_set *plugins;
	unsigned plugin_flags; /* plugin_check_plan()'s */
	const struct step_opts *opts;
	const struct catalog *declared; /* NULL: no declared schema */
	const char *declared_path;	/* its file, for messages */
};

struct stair_report {
	enum stair_verdict *verdicts; /* by position in map->order */
	size_t done;		      /* revisions with a verdict */
	size_t failed; /* position of the failure in map->order; map->n: none */
	enum stair_head head;
	/* The failing revision's difference (old: the schema it should have
	 * left, new: the one it left), or head's (old: head, new: the
	 * declared schema); its `up` list says what differs. */
	struct sd_plan diff;
	bool has_diff;
};

/*
 * Walk s->map on s->db, which holds nothing of the revisions yet.  0 when
 * every revision is STAIR_OK or STAIR_IRREVERSIBLE and head matches the
 * declared schema (or there is none); else -1, err naming the first failing
 * revision with PostgreSQL's error, or the difference (RETORT_FAILED), or what
 * stopped the walk.  out is filled either way: release it with
 * stair_report_release().
 */
int stairway_run(const struct stairway *s, struct stair_report *out,
		 struct retort_error *err);

/*
 * Empty db again after a walk: drop every user object of the kinds
 * autogenerate's emptiness check counts (extensions, schemas, relations,
 * types, routines), in one transaction.  Only for a database that was
 * found empty before the walk (--shadow-url), so it drops only what the
 * walk made, and the database can be lent again.
 */
int stairway_empty(struct db *db, struct retort_error *err);

void stair_report_release(struct stair_report *r);

/* A verdict in words, as `retort test` prints it: "ok", "upgrade failed". */
const char *stair_verdict_text(enum stair_verdict v);

/* The same as a JSON value: "ok", "upgrade_failed", ... */
const char *stair_verdict_key(enum stair_verdict v);

#endif
