/*
 * stairway.c - `retort test`'s walk up the revisions: for each one, in
 * the graph's order, upgrade, read the schema, downgrade, read it again
 * and compare with the schema before the upgrade, upgrade again and
 * compare with the first upgrade's; at head, compare with the declared
 * schema.
 *
 * Each step is a one-revision plan (revmap_plan_one) run by migrate_run(),
 * so it goes through the one step path with its version-row change and
 * audit row.  The differences are schemadiff.c's, from catalogs read with
 * autogenerate's queries, so they read as `check --schema` lists them.
 * Never prints.
 */
#include "schema/stairway.h"

#include <stdlib.h>
#include <string.h>

#include "exec/integrity.h"
#include "exec/migrate.h"
#include "schema/autogen.h"
#include "schema/schemadiff.h"

static const char *const verdict_text[] = {
	[STAIR_NOT_RUN] = "not run",
	[STAIR_OK] = "ok",
	[STAIR_UPGRADE_FAILED] = "upgrade failed",
	[STAIR_DOWNGRADE_FAILED] = "downgrade failed",
	[STAIR_DOWNGRADE_DIFFERS] = "downgrade leaves a difference",
	[STAIR_REUPGRADE_FAILED] = "re-upgrade failed",
	[STAIR_REUPGRADE_DIFFERS] = "re-upgrade leaves a difference",
	[STAIR_IRREVERSIBLE] = "irreversible",
};

static const char *const verdict_key[] = {
	[STAIR_NOT_RUN] = "not_run",
	[STAIR_OK] = "ok",
	[STAIR_UPGRADE_FAILED] = "upgrade_failed",
	[STAIR_DOWNGRADE_FAILED] = "downgrade_failed",
	[STAIR_DOWNGRADE_DIFFERS] = "downgrade_differs",
	[STAIR_REUPGRADE_FAILED] = "reupgrade_failed",
	[STAIR_REUPGRADE_DIFFERS] = "reupgrade_differs",
	[STAIR_IRREVERSIBLE] = "irreversible",
};

const char *stair_verdict_text(enum stair_verdict v)
{
	return verdict_text[v];
}

const char *stair_verdict_key(enum stair_verdict v)
{
	return verdict_key[v];
}

/* The walk under way: where it is, and the schema below the next step. */
struct walk {
	const struct stairway *s;
	struct stair_report *out;
	struct exclusions x;
	struct catalog before; /* the schema before the next upgrade */
};

/* rev alone, up or down, from where the version table says it stands. */
static int one_step(const struct stairway *s, size_t rev,
		    enum plan_direction direction, struct retort_error *err)
{
	struct revstate state = { 0 };
	struct plan plan = { 0 };
	int rc = -1;

	if (integrity_read_rows(s->db, s->map, &state, err) < 0 ||
	    revmap_plan_one(s->map, &state, rev, direction, &plan, err) < 0 ||
	    plugin_check_plan(s->plugins, &plan, s->plugin_flags, err) < 0)
		goto out;
	rc = migrate_run(s->db, s->map, &plan, s->opts, err);
out:
	plan_release(&plan);
	revstate_release(&state);
	return rc;
}

static int snapshot(struct walk *w, struct catalog *cat,
		    struct retort_error *err)
{
	return autogen_read_database(w->s->db, &w->x, cat, err);
}

/* Whether the schema `is` differs from the one it `should` be; the
 * difference stays in the report when it does. */
static int differs(struct walk *w, const struct catalog *is,
		   const struct catalog *should, bool *yes,
		   struct retort_error *err)
{
	if (schemadiff_plan(is, should, &w->out->diff, err) < 0)
		return -1;
	*yes = !sd_plan_is_empty(&w->out->diff);
	w->out->has_diff = *yes;
	if (!*yes)
		sd_plan_release(&w->out->diff);
	return 0;
}

/* The difference as detail lines, as `check --schema` lists them. */
static void diff_detail(const struct sd_plan *diff, struct retort_error *err)
{
	for (size_t i = 0; i < diff->up.n; i++)
		error_detail(err, "%s", diff->up.items[i].summary);
	for (size_t i = 0; i < diff->nproblems; i++)
		error_detail(err, "cannot autogenerate: %s", diff->problems[i]);
}

static int differs_error(struct walk *w, size_t rev, enum stair_verdict v,
			 struct retort_error *err)
{
	const char *id = w->s->map->revs[rev].meta->id;

	if (v == STAIR_DOWNGRADE_DIFFERS)
		error_set(
			err, RETORT_FAILED,
			"revision %s: downgrade() leaves the schema different from before its upgrade()",
			id);
	else
		error_set(
			err, RETORT_FAILED,
			"revision %s: upgrade() after downgrade() leaves another schema than the first upgrade()",
			id);
	diff_detail(&w->out->diff, err);
	error_hint(
		err,
		"Make downgrade() undo exactly what upgrade() does (the lines above say what would take the schema back), rebuild, and run `retort test` again.");
	return -1;
}

/* The step's failure, named for what the stairway was doing. */
static int step_failed(enum stair_verdict v, struct retort_error *err)
{
	error_prefix(err, "%s", verdict_text[v]);
	if (!err->hint[0])
		error_hint(
			err,
			"Fix the revision so that its upgrade(), its downgrade() and its upgrade() again all run, then run `retort test` again.");
	return -1;
}

/*
 * downgrade() refused as retort_fail(ctx, "irreversible: ...") refuses:
 * the revision's own message, with no SQLSTATE (a statement that failed
 * has one).
 */
static bool is_irreversible(const struct retort_error *err)
{
	return err->sqlstate[0] == '\0' && strstr(err->msg, ": irreversible");
}

/* An irreversible revision stays applied: its schema is the next one's
 * before. */
static int irreversible(struct walk *w, struct catalog *again,
			enum stair_verdict *v, struct retort_error *err)
{
	*v = STAIR_IRREVERSIBLE;
	error_clear(err);
	return snapshot(w, again, err);
}

/* Up, down (compared with before), up again (compared with the first). */
static int climb_steps(struct walk *w, size_t rev, struct catalog *up,
		       struct catalog *again, enum stair_verdict *v,
		       struct retort_error *err)
{
	struct catalog down = { 0 };
	bool diff = false;
	int rc = -1;

	*v = STAIR_UPGRADE_FAILED;
	if (one_step(w->s, rev, PLAN_UPGRADE, err) < 0)
		return step_failed(*v, err);
	*v = STAIR_NOT_RUN;
	if (snapshot(w, up, err) < 0)
		return -1;
	*v = STAIR_DOWNGRADE_FAILED;
	if (one_step(w->s, rev, PLAN_DOWNGRADE, err) < 0)
		return is_irreversible(err) ? irreversible(w, again, v, err)
					    : step_failed(*v, err);
	*v = STAIR_NOT_RUN;
	if (snapshot(w, &down, err) < 0 ||
	    differs(w, &down, &w->before, &diff, err) < 0)
		goto out;
	*v = STAIR_DOWNGRADE_DIFFERS;
	if (diff) {
		differs_error(w, rev, *v, err);
		goto out;
	}
	*v = STAIR_REUPGRADE_FAILED;
	if (one_step(w->s, rev, PLAN_UPGRADE, err) < 0) {
		step_failed(*v, err);
		goto out;
	}
	*v = STAIR_NOT_RUN;
	if (snapshot(w, again, err) < 0 ||
	    differs(w, again, up, &diff, err) < 0)
		goto out;
	*v = diff ? STAIR_REUPGRADE_DIFFERS : STAIR_OK;
	rc = diff ? differs_error(w, rev, *v, err) : 0;
out:
	catalog_release(&down);
	return rc;
}

/* One revision; on success its schema becomes the next one's before. */
static int climb(struct walk *w, size_t pos, struct retort_error *err)
{
	struct catalog up = { 0 }, again = { 0 };
	enum stair_verdict v;
	int rc;

	rc = climb_steps(w, w->s->map->order.items[pos], &up, &again, &v, err);
	w->out->verdicts[pos] = v;
	if (v != STAIR_NOT_RUN)
		w->out->done = pos + 1;
	if (rc < 0) {
		w->out->failed = pos;
		catalog_release(&again);
	} else {
		catalog_release(&w->before);
		w->before = again;
	}
	catalog_release(&up);
	return rc;
}

static int compare_head(struct walk *w, struct retort_error *err)
{
	const struct stairway *s = w->s;
	bool diff;

	if (s->declared == NULL)
		return 0;
	if (differs(w, &w->before, s->declared, &diff, err) < 0)
		return -1;
	w->out->head = diff ? STAIR_HEAD_DIFFERS : STAIR_HEAD_MATCHES;
	if (!diff)
		return 0;
	error_set(err, RETORT_FAILED, "the schema at head does not match %s",
		  s->declared_path);
	diff_detail(&w->out->diff, err);
	error_hint(
		err,
		"Write a revision for the differences (`retort revision --autogenerate -m MESSAGE` on a database at head), or change %s.",
		s->declared_path);
	return -1;
}

int stairway_run(const struct stairway *s, struct stair_report *out,
		 struct retort_error *err)
{
	struct walk w = { .s = s, .out = out };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->failed = s->map->n;
	out->verdicts =
		calloc(s->map->n ? s->map->n : 1, sizeof(*out->verdicts));
	if (out->verdicts == NULL)
		return error_set(err, RETORT_FAILED, "out of memory");
	if (autogen_runner_tables(s->db, &w.x, err) < 0 ||
	    snapshot(&w, &w.before, err) < 0)
		goto out;
	for (size_t pos = 0; pos < s->map->order.n; pos++)
		if (climb(&w, pos, err) < 0)
			goto out;
	rc = compare_head(&w, err);
out:
	catalog_release(&w.before);
	return rc;
}

/*
 * Drop every extension, schema, relation, type and routine a user made:
 * the kinds autogenerate's emptiness check counts (oid 16384 and up,
 * PostgreSQL's first for user objects), so the database passes it again.
 * Each object is looked up again before its drop, as a CASCADE may have
 * taken it already.  Names come from the catalog, quoted by regclass,
 * regtype, regprocedure and format('%I').
 */
static const char sql_empty[] =
	"DO $retort$ DECLARE r record; BEGIN"
	" FOR r IN SELECT oid FROM pg_catalog.pg_extension"
	" WHERE oid >= 16384 LOOP"
	"  EXECUTE pg_catalog.format('DROP EXTENSION IF EXISTS %I CASCADE',"
	"   (SELECT extname FROM pg_catalog.pg_extension WHERE oid = r.oid));"
	" END LOOP;"
	" FOR r IN SELECT oid FROM pg_catalog.pg_namespace WHERE oid >= 16384"
	" AND nspname !~ '^pg_' LOOP"
	"  EXECUTE pg_catalog.format('DROP SCHEMA IF EXISTS %I CASCADE',"
	"   (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = r.oid));"
	" END LOOP;"
	" FOR r IN SELECT oid, relkind FROM pg_catalog.pg_class"
	" WHERE oid >= 16384 AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
	/* Sequences last: an identity column's goes with its table. */
	" ORDER BY relkind = 'S' LOOP"
	"  IF EXISTS (SELECT FROM pg_catalog.pg_class WHERE oid = r.oid) THEN"
	"   EXECUTE pg_catalog.format('DROP %s %s CASCADE',"
	"    CASE r.relkind WHEN 'v' THEN 'VIEW'"
	"    WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'"
	"    WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,"
	"    r.oid::pg_catalog.regclass);"
	"  END IF;"
	" END LOOP;"
	" FOR r IN SELECT oid FROM pg_catalog.pg_type WHERE oid >= 16384"
	" AND typtype IN ('e', 'd', 'r', 'c') LOOP"
	"  IF EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.oid = r.oid"
	"   AND (t.typrelid = 0 OR EXISTS (SELECT FROM pg_catalog.pg_class c"
	"   WHERE c.oid = t.typrelid AND c.relkind = 'c'))) THEN"
	"   EXECUTE pg_catalog.format('DROP TYPE %s CASCADE',"
	"    r.oid::pg_catalog.regtype);"
	"  END IF;"
	" END LOOP;"
	" FOR r IN SELECT oid, prokind FROM pg_catalog.pg_proc"
	" WHERE oid >= 16384 LOOP"
	"  IF EXISTS (SELECT FROM pg_catalog.pg_proc WHERE oid = r.oid) THEN"
	"   EXECUTE pg_catalog.format('DROP %s %s CASCADE',"
	"    CASE r.prokind WHEN 'a' THEN 'AGGREGATE'"
	"    WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,"
	"    r.oid::pg_catalog.regprocedure);"
	"  END IF;"
	" END LOOP;"
	" END $retort$";

int stairway_empty(struct db *db, struct retort_error *err)
{
	if (db_exec(db, sql_empty, 0, NULL, err) == 0)
		return 0;
	error_prefix(err, "cannot empty the database again");
	return -1;
}

void stair_report_release(struct stair_report *r)
{
	free(r->verdicts);
	r->verdicts = NULL;
	if (r->has_diff)
		sd_plan_release(&r->diff);
	r->has_diff = false;
}
