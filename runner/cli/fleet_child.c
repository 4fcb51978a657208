/*
 * fleet_child.c - one target of a fleet run, in its own process.
 *
 * It reads the target's version table without the lock first: a target
 * already at TARGET is up-to-date and nothing is taken or written, which
 * is what makes a rerun touch only the targets that are not there yet.
 * Otherwise it does what `retort upgrade|downgrade|stamp TARGET` does, in
 * a worker (isolate_call) as main.c runs a command: the same lock, checks
 * and step path, without the "Running upgrade" lines.  It never prints.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "cli/fleet_child.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/clock.h"
#include "exec/integrity.h"
#include "exec/migrate.h"
#include "fleet/undo.h"
#include "proc/isolate.h"
#include "store/lease.h"

/* Wait this long for a target's migration lock when none is configured:
 * a fleet moves on and comes back rather than queue behind a runner. */
#define FLEET_LOCK_WAIT "2s"

static int replace(char **field, const char *value)
{
	char *copy = value ? strdup(value) : NULL;

	if (value && !copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

/* This process's configuration: the target's URL, schema, the run. */
static int aim(struct app *app, const struct fleet_target *t,
	       const struct fleet_job *job)
{
	struct config *cfg = &app->cfg;

	app->quiet = true;
	app->progress = NULL;
	free(cfg->url_source);
	cfg->url_source = NULL;
	if (replace(&cfg->url, t->url) < 0 ||
	    replace(&cfg->tenant_schema, t->schema) < 0 ||
	    replace(&cfg->fleet_run,
		    job->kind == FLEET_STATUS ? NULL : job->run_id) < 0)
		return -1;
	if (cfg->lock_timeout == NULL)
		return replace(&cfg->lock_timeout, FLEET_LOCK_WAIT);
	return 0;
}

static void first_line(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%.*s", (int)strcspn(src, "\r\n"), src);
}

static void fail(struct fleet_outcome *out, const struct retort_error *err,
		 bool connection_lost)
{
	size_t len;

	out->status = FLEET_FAILED;
	first_line(out->error, sizeof(out->error), err->msg);
	/* "cannot connect to the database" says little: its detail says
	 * where and why. */
	len = strlen(out->error);
	if (connection_lost && err->detail[0] && len + 3 < sizeof(out->error)) {
		memcpy(out->error + len, ": ", 3);
		first_line(out->error + len + 2, sizeof(out->error) - len - 2,
			   err->detail);
	}
	snprintf(out->sqlstate, sizeof(out->sqlstate), "%s", err->sqlstate);
	out->transient = fleet_is_transient(err->sqlstate, connection_lost);
}

static void join_rows(char *dst, size_t size, char **rows, size_t n)
{
	size_t used = 0;

	dst[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(dst + used, size - used, "%s%s",
					 i ? "," : "", rows[i]);
}

static void free_rows(char **rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}

/* The version rows into *state; one naming no known revision is
 * unknown-revision. */
static int read_state(struct app *app, struct revstate *state,
		      struct fleet_outcome *out, char *into, size_t size,
		      bool *was_read)
{
	struct retort_error err = { 0 };
	char **rows = NULL;
	size_t n = 0;
	int rc = -1;

	if (app_connect(app, &err) < 0) {
		fail(out, &err, true);
		return -1;
	}
	if (db_read_versions(&app->db, &rows, &n, &err) < 0) {
		fail(out, &err, err.sqlstate[0] == '\0');
		goto out;
	}
	join_rows(into, size, rows, n);
	*was_read = true;
	for (size_t i = 0; i < n; i++) {
		size_t at;

		if (revmap_find(app->map, rows[i], &at))
			continue;
		out->status = FLEET_UNKNOWN_REVISION;
		snprintf(
			out->error, sizeof(out->error),
			"the version table names revision \"%s\", which this revision set does not have",
			rows[i]);
		goto out;
	}
	rc = revmap_state(app->map, (const char *const *)rows, n, state, &err);
	if (rc < 0)
		fail(out, &err, false);
out:
	free_rows(rows, n);
	return rc;
}

/* Whether the rows are exactly the revisions target names. */
static int at_target(const struct app *app, const struct revstate *state,
		     const char *target, bool *yes, struct retort_error *err)
{
	struct revlist want = { 0 };
	bool *in;

	if (revmap_resolve(app->map, state, target, &want, err) < 0)
		return -1;
	in = calloc(app->map->n + 1, sizeof(*in));
	*yes = in != NULL && want.n == state->rows.n;
	for (size_t i = 0; *yes && i < want.n; i++)
		in[want.items[i]] = true;
	for (size_t i = 0; *yes && i < state->rows.n; i++)
		*yes = in[state->rows.items[i]];
	free(in);
	revlist_release(&want);
	return 0;
}

/* downgrade --run: the steps that take back what the run did here. */
static int undo_plan(struct app *app, const struct fleet_job *job,
		     const struct revstate *state, struct plan *plan,
		     struct retort_error *err)
{
	struct fleet_moves m = { 0 };
	int rc = fleet_moves_read(&app->db, job->undo_run, &m, err);

	if (rc == 0)
		rc = fleet_undo_plan(app->map, state, &m, plan, err);
	fleet_moves_release(&m);
	return rc;
}

/* How many steps would move the target; 0: it is there. */
static int pending(struct app *app, const struct fleet_job *job,
		   const struct revstate *state, size_t *n,
		   struct retort_error *err)
{
	struct plan plan = { 0 };
	struct stamp_plan sp = { 0 };
	bool there = false;
	int rc;

	if (job->kind == FLEET_STAMP) {
		rc = revmap_stamp(app->map, &state->rows, &job->target, 1, &sp,
				  err);
		if (rc == 0 && sp.n > 0)
			rc = at_target(app, state, job->target, &there, err);
		*n = there ? 0 : sp.n;
		stamp_plan_release(&sp);
		return rc;
	}
	if (job->kind == FLEET_STATUS) {
		rc = at_target(app, state, job->target, &there, err);
		*n = !there;
		return rc;
	}
	rc = job->undo_run
		     ? undo_plan(app, job, state, &plan, err)
		     : revmap_plan(app->map, state,
				   job->kind == FLEET_UPGRADE ? PLAN_UPGRADE
							      : PLAN_DOWNGRADE,
				   job->target, &plan, err);
	*n = plan.n;
	plan_release(&plan);
	return rc;
}

/* downgrade --run ID: as cmd_downgrade runs a plan, with the undo plan. */
static int run_undo(struct app *app, const struct fleet_job *job,
		    struct retort_error *err)
{
	struct integrity in = app_integrity(app);
	struct revstate state = { 0 };
	struct plan plan = { 0 };
	struct step_opts opts = { .out = NULL, .cfg = &app->cfg };
	int rc = -1;

	if (app_lock(app, err) < 0 ||
	    integrity_read_state(&in, &state, err) < 0 ||
	    undo_plan(app, job, &state, &plan, err) < 0)
		goto out;
	if (app_check_plan(app, false, &plan, &state, err) < 0)
		goto out;
	rc = migrate_run(&app->db, app->map, &plan, &opts, err);
out:
	lease_release(&app->db);
	plan_release(&plan);
	revstate_release(&state);
	return rc;
}

/* What the single-database command does, on the survey's connection. */
static int work(struct app *app, const struct fleet_job *job,
		struct retort_error *err)
{
	struct cmd_args args = { .positional = { job->target },
				 .npositional = 1 };

	switch (job->kind) {
	case FLEET_UPGRADE:
		return cmd_upgrade(app, &args, err);
	case FLEET_DOWNGRADE:
		return job->undo_run ? run_undo(app, job, err)
				     : cmd_downgrade(app, &args, err);
	case FLEET_STAMP:
		return cmd_stamp(app, &args, err);
	default:
		return 0;
	}
}

/* The run's own word for "held": "timed out after 2s waiting for the
 * migration lock", with "held by WHO" in its detail. */
static bool was_locked(const struct retort_error *err, char *holder,
		       size_t size)
{
	const char *by = strstr(err->detail, "held by ");

	if (strstr(err->msg, "waiting for the migration lock") == NULL)
		return false;
	first_line(holder, size, by ? by + strlen("held by ") : "");
	return true;
}

static bool lost_connection(const struct retort_error *err)
{
	return err->sqlstate[0] == '\0' &&
	       (strstr(err->msg, "connection") != NULL ||
		strstr(err->detail, "connection") != NULL ||
		strstr(err->msg, "server closed") != NULL);
}

/* After a failed run: the revision the rows stopped before. */
static void where_failed(struct app *app, const struct fleet_job *job,
			 const struct revstate *state,
			 struct fleet_outcome *out)
{
	struct retort_error ignored = { 0 };
	struct plan plan = { 0 };

	if (job->kind == FLEET_STAMP || job->undo_run)
		return;
	if (revmap_plan(app->map, state,
			job->kind == FLEET_UPGRADE ? PLAN_UPGRADE
						   : PLAN_DOWNGRADE,
			job->target, &plan, &ignored) == 0 &&
	    plan.n > 0)
		snprintf(out->revision, sizeof(out->revision), "%s",
			 app->map->revs[plan.steps[0].rev].meta->id);
	plan_release(&plan);
}

/* Where the run left the target, and what its end means. */
static void settle(struct app *app, const struct fleet_job *job, int rc,
		   const struct retort_error *err, struct fleet_outcome *out)
{
	struct fleet_outcome after = { 0 };
	struct revstate state = { 0 };
	int read;

	/* After a failure the connection may be gone or mid-transaction:
	 * where the target stands is read on a new one. */
	if (rc < 0)
		db_close(&app->db);
	out->to_read = false;
	read = read_state(app, &state, &after, out->to, sizeof(out->to),
			  &out->to_read);

	if (rc == 0) {
		out->status = FLEET_OK;
	} else if (was_locked(err, out->holder, sizeof(out->holder))) {
		out->status = FLEET_LOCKED;
		first_line(out->error, sizeof(out->error), err->msg);
	} else {
		fail(out, err, lost_connection(err) || read < 0);
		if (read == 0)
			where_failed(app, job, &state, out);
	}
	revstate_release(&state);
}

/*
 * Where the target stands, unlocked: 1 when it needs the run (out->steps
 * the steps), 0 when its outcome is settled (up-to-date, unknown-revision,
 * failed to connect or plan).
 */
static int survey(struct app *app, const struct fleet_job *job,
		  struct fleet_outcome *out)
{
	struct retort_error err = { 0 };
	struct revstate state = { 0 };
	size_t n = 0;
	int rc = 0;

	int read = read_state(app, &state, out, out->from, sizeof(out->from),
			      &out->from_read);

	/* Until something moves it, a target stays where it is. */
	snprintf(out->to, sizeof(out->to), "%s", out->from);
	out->to_read = out->from_read;
	if (read < 0)
		return 0;
	if (pending(app, job, &state, &n, &err) < 0)
		fail(out, &err, false);
	else if (n == 0)
		out->status = FLEET_UP_TO_DATE;
	else
		rc = 1;
	out->steps = (int)n;
	revstate_release(&state);
	return rc;
}

/*
 * fleet status: up-to-date when at TARGET, ok when reachable elsewhere;
 * steps: with --run, how many steps that run made here.
 */
static void status_of(struct app *app, const struct fleet_job *job,
		      struct fleet_outcome *out)
{
	struct retort_error err = { 0 };
	struct fleet_moves m = { 0 };

	if (survey(app, job, out) == 1)
		out->status = FLEET_OK;
	out->steps = 0;
	if (job->undo_run == NULL ||
	    (out->status != FLEET_OK && out->status != FLEET_UP_TO_DATE))
		return;
	if (fleet_moves_read(&app->db, job->undo_run, &m, &err) < 0)
		fail(out, &err, false);
	else
		out->steps = (int)(m.nupgraded + m.ndowngraded);
	fleet_moves_release(&m);
}

/* A target's worker: its outcome, written where its parent reads it. */
struct target_call {
	struct app *app;
	const struct fleet_job *job;
	struct fleet_outcome *out; /* shared with the parent */
};

/*
 * In the worker, on one connection: where the target stands, the
 * single-database command when it needs one, and where it ends.  The
 * outcome says how it went, so the worker itself always succeeds.
 */
static int target_work(void *arg, struct retort_error *err)
{
	struct target_call *call = arg;
	int rc;

	if (survey(call->app, call->job, call->out) != 1)
		return 0;
	rc = work(call->app, call->job, err);
	settle(call->app, call->job, rc, err, call->out);
	return 0;
}

/*
 * The target's run in a worker, as main.c runs a command, so that a
 * revision that crashes is named and its lock given back.  The worker
 * fills the outcome in memory it shares with this process; one that died
 * leaves what it had, and the error of its death.
 */
static void run_isolated(struct app *app, const struct fleet_job *job,
			 struct fleet_outcome *out)
{
	struct fleet_outcome *shared =
		mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct target_call call = { app, job, shared };
	struct retort_error err = { 0 };
	int rc;

	if (shared == MAP_FAILED) {
		error_set(&err, RETORT_FAILED, "out of memory");
		fail(out, &err, false);
		return;
	}
	memset(shared, 0, sizeof(*shared));
	lease_init_holder();
	rc = isolate_call(target_work, &call, &err);
	*out = *shared;
	munmap(shared, sizeof(*shared));
	if (rc == 0)
		return;
	if (isolate_worker_died())
		app_give_back_lock(app);
	settle(app, job, rc, &err, out);
}

void fleet_child_run(size_t i, struct fleet_outcome *out, void *arg)
{
	const struct fleet_job *job = arg;
	struct app *app = job->app;
	struct retort_error err = { 0 };
	long long start = clock_monotonic_ms();

	if (aim(app, &job->targets->v[i], job) < 0) {
		error_set(&err, RETORT_FAILED, "out of memory");
		fail(out, &err, false);
	} else if (job->kind == FLEET_STATUS) {
		status_of(app, job, out);
	} else {
		run_isolated(app, job, out);
	}
	db_close(&app->db);
	out->duration_ms = clock_monotonic_ms() - start;
}
