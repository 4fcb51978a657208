/*
 * cmd_fleet.c - fleet upgrade, downgrade, stamp and status: one command
 * over many databases (or tenant schemas), each target in a process of
 * its own (fleet_child.c), started as fleet/sched.c says, run by
 * fleet/pool.c, shown by fleet_view.c.
 *
 * Everything that can be refused is refused before any target is
 * touched: the options, the source of targets, TARGET, the revision set
 * (loaded once, here).  The parent keeps one fixed-size outcome per
 * target, so its memory stays flat however many there are.
 */
#include "cli/cmd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/clock.h"
#include "cli/fleet_child.h"
#include "cli/fleet_view.h"
#include "fleet/pool.h"
#include "fleet/sched.h"
#include "fleet/sources.h"

#define FLEET_JOBS 4
#define FLEET_RETRIES 2

static volatile sig_atomic_t fleet_signal;

static void on_signal(int sig)
{
	fleet_signal = sig;
}

/* "20261208T031500Z-a1b2c3": the time, and 6 random hex digits. */
static void make_run_id(char *buf, size_t size)
{
	unsigned char r[3] = { 0 };
	time_t now = time(NULL);
	struct tm tm;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r[0] = (unsigned char)clock_monotonic_ms();
	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf + strlen(buf), size - strlen(buf), "-%02x%02x%02x", r[0],
		 r[1], r[2]);
}

static const char *connect_timeout(const struct app *app)
{
	return app->cfg.connect_timeout ? app->cfg.connect_timeout : "10";
}

static int load_targets(struct app *app, const struct cmd_args *args,
			struct fleet_targets *t, struct retort_error *err)
{
	if (args->targets_file)
		return fleet_targets_read_file(t, args->targets_file, err);
	if (args->targets_query)
		return fleet_targets_from_query(t, args->control_url,
						args->targets_query,
						connect_timeout(app), err);
	return fleet_targets_from_schemas(t, app->cfg.url, args->schemas_query,
					  connect_timeout(app), err);
}

/* Per target its host's number, for --per-host. */
static int *host_numbers(const struct fleet_targets *t)
{
	int *host = calloc(t->n + 1, sizeof(*host));

	for (size_t i = 0; host && i < t->n; i++) {
		host[i] = (int)i;
		for (size_t k = 0; k < i; k++)
			if (strcmp(t->v[k].host_key, t->v[i].host_key) == 0) {
				host[i] = host[k];
				break;
			}
	}
	return host;
}

/*
 * TARGET against the revision set, once, before any target is touched;
 * a relative one (+1, -2, head-1) needs a database's state and is
 * resolved by each target.
 */
static int check_target(const struct app *app, const char *target,
			struct retort_error *err)
{
	struct revlist list = { 0 };
	int rc;

	if (target == NULL || strpbrk(target, "+-") != NULL)
		return 0;
	rc = revmap_resolve(app->map, NULL, target, &list, err);
	revlist_release(&list);
	if (rc < 0)
		error_hint(err,
			   "TARGET names the revisions every target moves to: "
			   "head, heads, base, an id or a branch label.");
	return rc;
}

struct fleet_run {
	struct fleet_job job;
	struct fleet_run_info info;
	struct fleet_targets targets;
	struct fleet_outcome *out; /* one per target */
	int *host;
	struct fleet_sched sched;
	struct fleet_pool pool;
	struct fleet_view view;
	long long start_ms;
	char id[40];
};

static int setup(struct fleet_run *r, const struct cmd_args *args,
		 struct retort_error *err)
{
	struct fleet_sched_opts o = {
		.n = r->targets.n,
		.jobs = args->njobs > 0 ? (int)args->njobs : FLEET_JOBS,
		.per_host = args->nper_host > 0 ? (int)args->nper_host : 0,
		.canary = args->ncanary > 0 ? (int)args->ncanary : 0,
		.retries = args->nretries >= 0 ? (int)args->nretries
					       : FLEET_RETRIES,
		.keep_going = args->keep_going,
	};

	/* Reading where each target stands stops for nothing. */
	if (r->job.kind == FLEET_STATUS) {
		o.canary = 0;
		o.keep_going = true;
	}
	r->out = calloc(r->targets.n + 1, sizeof(*r->out));
	r->host = host_numbers(&r->targets);
	o.host = r->host;
	if (!r->out || !r->host || fleet_sched_init(&r->sched, &o) < 0)
		return error_set(err, RETORT_FAILED, "out of memory");
	return fleet_pool_init(&r->pool, o.jobs, err);
}

/* Start what the scheduler allows; false when the run is over. */
static bool start_next(struct fleet_run *r, long long *wait_ms)
{
	struct retort_error err = { 0 };
	long long now = clock_monotonic_ms();
	size_t i;

	for (;;) {
		switch (fleet_sched_next(&r->sched, now, &i, wait_ms)) {
		case FLEET_DONE:
			return false;
		case FLEET_WAIT:
			return true;
		case FLEET_START:
			break;
		}
		if (fleet_pool_start(&r->pool, i, fleet_child_run, &r->job,
				     &err) == 0) {
			fleet_view_started(&r->view, now);
			continue;
		}
		r->out[i] = (struct fleet_outcome){ .status = FLEET_FAILED };
		snprintf(r->out[i].error, sizeof(r->out[i].error), "%s",
			 err.msg);
		fleet_sched_end(&r->sched, i, &r->out[i], now);
	}
}

static void take_end(struct fleet_run *r, size_t i,
		     const struct fleet_outcome *o)
{
	long long now = clock_monotonic_ms();
	bool final;

	r->out[i] = *o;
	r->out[i].attempts = r->sched.tries[i];
	final = fleet_sched_end(&r->sched, i, &r->out[i], now);
	fleet_view_ended(&r->view, i, &r->out[i], final, now);
}

static void loop(struct fleet_run *r)
{
	struct fleet_outcome o;
	long long wait_ms;
	size_t i;
	bool stopping = false;

	while (start_next(r, &wait_ms)) {
		if (fleet_signal && !stopping) {
			stopping = true;
			fleet_sched_stop(&r->sched);
			/* A terminal's Ctrl-C reached every child; a SIGTERM
			 * sent to the runner alone is passed on. */
			if (fleet_signal == SIGTERM)
				fleet_pool_signal(&r->pool, SIGTERM);
			continue;
		}
		if (r->view.live && (wait_ms < 0 || wait_ms > 500))
			wait_ms = 500;
		if (fleet_pool_wait(&r->pool, wait_ms, &i, &o) == 1)
			take_end(r, i, &o);
		fleet_view_tick(&r->view, clock_monotonic_ms());
	}
}

static void run_with_signals(struct fleet_run *r)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;

	sigemptyset(&sa.sa_mask);
	fleet_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	loop(r);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
}

static int output(struct app *app, const struct cmd_args *args,
		  struct fleet_run *r, struct retort_error *err)
{
	long long elapsed = clock_monotonic_ms() - r->start_ms;

	fleet_view_finish(&r->view);
	if (args->json)
		return fleet_view_json(app->out, &r->targets, r->out, &r->info,
				       elapsed, err);
	if (r->job.kind == FLEET_STATUS)
		fleet_view_status(app->out, &r->targets, r->out, &r->info);
	else
		fleet_view_table(app->out, &r->targets, r->out, &r->info,
				 elapsed);
	return 0;
}

/* fleet status: 0 when every target it lists is at TARGET. */
static int status_verdict(const struct fleet_run *r, const size_t *counts,
			  struct retort_error *err)
{
	size_t elsewhere = r->targets.n - counts[FLEET_UP_TO_DATE];

	if (r->info.undo_run != NULL || elsewhere == 0)
		return 0;
	error_set(err, RETORT_FAILED, "%zu of %zu target%s not at %s",
		  elsewhere, r->targets.n, r->targets.n == 1 ? " is" : "s are",
		  r->info.target);
	error_hint(err, "Run `retort fleet upgrade %s` with the same source.",
		   r->info.target);
	return -1;
}

/* The exit status: 3 stopped early, 1 some target failed, else 0. */
static int verdict(const struct fleet_run *r, struct retort_error *err)
{
	size_t counts[FLEET_NSTATUS], bad;

	fleet_view_count(r->out, r->targets.n, counts);
	bad = counts[FLEET_FAILED] + counts[FLEET_LOCKED] +
	      counts[FLEET_UNKNOWN_REVISION];
	if (fleet_signal) {
		error_set(
			err,
			fleet_signal == SIGINT ? RETORT_INTERRUPTED_INT
					       : RETORT_INTERRUPTED_TERM,
			"fleet run %s stopped by a signal; %zu target%s not attempted",
			r->id, counts[FLEET_SKIPPED],
			counts[FLEET_SKIPPED] == 1 ? "" : "s");
		return -1;
	}
	if (r->job.kind == FLEET_STATUS)
		return status_verdict(r, counts, err);
	if (counts[FLEET_SKIPPED] > 0) {
		error_set(
			err, (enum retort_status)FLEET_EXIT_STOPPED,
			"fleet run %s stopped after a failure: %zu of %zu targets not attempted",
			r->id, counts[FLEET_SKIPPED], r->targets.n);
		error_hint(
			err,
			"Fix what failed, then run the same command again: targets already at the target are left alone.");
		return -1;
	}
	if (bad == 0)
		return 0;
	error_set(
		err, RETORT_FAILED,
		"fleet run %s: %zu of %zu targets did not get there (%zu failed, %zu locked, %zu at an unknown revision)",
		r->id, bad, r->targets.n, counts[FLEET_FAILED],
		counts[FLEET_LOCKED], counts[FLEET_UNKNOWN_REVISION]);
	error_hint(err,
		   "The table says why for each; run the same command again "
		   "once fixed: targets already there are left alone.");
	return -1;
}

static void release(struct fleet_run *r)
{
	fleet_pool_release(&r->pool);
	fleet_sched_release(&r->sched);
	free(r->host);
	free(r->out);
	fleet_targets_release(&r->targets);
}

/* status only reads: nothing fails there for the run to stop or retry. */
static int check_status_form(const struct cmd_args *args,
			     struct retort_error *err)
{
	const char *which = args->canary     ? "--canary"
			    : args->on_error ? "--on-error"
			    : args->retries  ? "--retries"
					     : NULL;

	if (which == NULL)
		return 0;
	error_set(err, RETORT_USAGE, "fleet status takes no %s", which);
	error_hint(err, "usage: retort fleet status SOURCE [-j N] [--per-host "
			"M] [--run ID] [--json] [TARGET]");
	return -1;
}

/* downgrade takes TARGET or --run ID, exactly one. */
static int check_form(enum fleet_kind kind, const struct cmd_args *args,
		      struct retort_error *err)
{
	bool target = args->npositional > 0;

	if (kind == FLEET_STATUS)
		return check_status_form(args, err);

	if (kind != FLEET_DOWNGRADE || target != (args->run_id != NULL))
		return 0;
	error_set(err, RETORT_USAGE, "%s",
		  target ? "fleet downgrade takes TARGET or --run ID, not both"
			 : "fleet downgrade needs TARGET or --run ID");
	error_hint(
		err,
		"`retort fleet downgrade --targets FILE 002` moves every target to 002; `--run ID` moves each target that run moved back to where it was.");
	return -1;
}

static int run_fleet(struct app *app, const struct cmd_args *args,
		     enum fleet_kind kind, const char *command,
		     struct retort_error *err)
{
	static const char *const status_default = "heads";
	struct fleet_run r = { 0 };
	const char *target = args->npositional ? args->positional[0] : NULL;
	int rc = -1;

	if (kind == FLEET_STATUS && target == NULL)
		target = status_default;
	if (check_form(kind, args, err) < 0 ||
	    check_target(app, target, err) < 0 ||
	    load_targets(app, args, &r.targets, err) < 0 ||
	    setup(&r, args, err) < 0)
		goto out;
	make_run_id(r.id, sizeof(r.id));
	r.job = (struct fleet_job){ app,    &r.targets, kind,
				    target, r.id,	args->run_id };
	r.info = (struct fleet_run_info){ r.id, command, target, args->run_id };
	r.view = (struct fleet_view){ .progress = app->quiet ? NULL : stderr,
				      .targets = &r.targets,
				      .status = kind == FLEET_STATUS };
	r.start_ms = r.view.start_ms = clock_monotonic_ms();
	fleet_view_start(&r.view, &r.info, r.sched.o.jobs);
	run_with_signals(&r);
	rc = output(app, args, &r, err);
	if (rc == 0)
		rc = verdict(&r, err);
out:
	release(&r);
	return rc;
}

int cmd_fleet_upgrade(struct app *app, const struct cmd_args *args,
		      struct retort_error *err)
{
	return run_fleet(app, args, FLEET_UPGRADE, "upgrade", err);
}

int cmd_fleet_downgrade(struct app *app, const struct cmd_args *args,
			struct retort_error *err)
{
	return run_fleet(app, args, FLEET_DOWNGRADE, "downgrade", err);
}

int cmd_fleet_stamp(struct app *app, const struct cmd_args *args,
		    struct retort_error *err)
{
	return run_fleet(app, args, FLEET_STAMP, "stamp", err);
}

int cmd_fleet_status(struct app *app, const struct cmd_args *args,
		     struct retort_error *err)
{
	return run_fleet(app, args, FLEET_STATUS, "status", err);
}
