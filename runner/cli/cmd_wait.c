/*
 * cmd_wait.c - `retort wait [--timeout T]`: wait until the database is at
 * every head of the revisions present, as `current --check-heads` checks
 * it, for deploy scripts and init containers.  A database that cannot be
 * reached yet is waited for too.
 *
 * Never takes the migration lock and never writes: it creates neither
 * the version table nor the lock's table to find out.  Each look is one
 * connection's plain statements, so it works through a transaction-pooling
 * PgBouncer.  Prints only progress lines; errors go to main.
 */
#include "cli/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "proc/isolate.h"
#include "store/lease.h"

/* A look every second at first, then every two: a deploy sees the
 * database ready within two seconds, and the server is not pressed. */
#define WAIT_POLL_FIRST_MS 1000
#define WAIT_POLL_MAX_MS 2000

struct waiter {
	struct app *app;
	const char *timeout; /* as given; NULL: no limit */
	long long deadline;  /* CLOCK_MONOTONIC ms; 0: none */
	char said[1024];     /* the last progress line, said once */
	char at[256];	     /* where the database is: "001" or "<base>" */
	char heads[256];     /* where it is to be */
	struct retort_error unreachable; /* the last connection failure */
	bool reached;			 /* connected at least once */
	/* --connect-timeout, the ini's or PGCONNECT_TIMEOUT: not bounded */
	bool own_connect_timeout;
};

enum look { LOOK_READY, LOOK_NOT_YET, LOOK_FAILED };

/* A progress line on stderr (not with -q), when it says something new. */
static void say(struct waiter *w, const char *line)
{
	FILE *out = w->app->progress;

	if (out == NULL || strcmp(w->said, line) == 0)
		return;
	snprintf(w->said, sizeof(w->said), "%s", line);
	fputs("retort: ", out);
	text_fput(line, out);
	fputc('\n', out);
	fflush(out);
}

/* The ids of l, or "<base>" for none, as Alembic names no revision. */
static void ids_or_base(const struct revmap *map, const struct revlist *l,
			char *buf, size_t size)
{
	revmap_join_ids(map, l, buf, size);
	if (buf[0] == '\0')
		snprintf(buf, size, "<base>");
}

/*
 * A connection attempt gets what is left of the wait (at least a second,
 * at most retort's usual 10 s), so that a server that swallows packets
 * cannot hold the wait past its end; the user's connect timeout, given
 * or libpq's, keeps its say.
 */
static void bound_connect(struct waiter *w)
{
	struct config *cfg = &w->app->cfg;
	char secs[16];
	long long left;

	if (w->deadline == 0 || w->own_connect_timeout)
		return;
	left = (w->deadline - clock_monotonic_ms() + 999) / 1000;
	left = left < 1 ? 1 : left > 10 ? 10 : left;
	snprintf(secs, sizeof(secs), "%lld", left);
	free(cfg->connect_timeout);
	cfg->connect_timeout = strdup(secs);
}

/* The server is not there yet (or went away): wait for it too. */
static enum look not_reachable(struct waiter *w, struct retort_error *e)
{
	struct strbuf line = STRBUF_INIT;
	const char *why = e->detail + strcspn(e->detail, "\n");
	size_t first = (size_t)(why - e->detail);

	isolate_set_cancel(NULL, NULL);
	db_close(&w->app->db);
	w->unreachable = *e;
	why += strspn(why, "\n");
	strbuf_addf(&line, "waiting for the database: %s", e->msg);
	if (first > 0)
		strbuf_addf(&line, " (%.*s)", (int)first, e->detail);
	if (*why != '\0')
		strbuf_addf(&line, ": %.*s", (int)strcspn(why, "\n"), why);
	say(w, strbuf_str(&line));
	strbuf_release(&line);
	return LOOK_NOT_YET;
}

/* Not at the heads: say where it is, and who migrates it, if anyone. */
static enum look not_at_heads(struct waiter *w, struct retort_error *err)
{
	struct strbuf line = STRBUF_INIT;
	char holder[768];
	int held = lease_holder(&w->app->db, holder, sizeof(holder), err);

	if (held < 0)
		return LOOK_FAILED;
	strbuf_addf(&line, "waiting for %s to reach %s; it is at %s",
		    w->app->db.target ? w->app->db.target : "the database",
		    w->heads, w->at);
	if (held)
		strbuf_addf(&line, "; the migration lock is held by %s",
			    holder);
	else
		strbuf_add(&line, "; nobody holds the migration lock");
	say(w, strbuf_str(&line));
	strbuf_release(&line);
	return LOOK_NOT_YET;
}

/* One look: connect if need be, read the version table, compare. */
static enum look look(struct waiter *w, struct retort_error *err)
{
	struct app *app = w->app;
	struct retort_error e = { 0 };
	struct revstate state = { 0 };
	struct revlist tops = { 0 };
	bool at_heads = true;
	enum look rc = LOOK_FAILED;

	bound_connect(w);
	if (app_connect(app, &e) < 0)
		return e.status != RETORT_FAILED ? (*err = e, LOOK_FAILED)
						 : not_reachable(w, &e);
	w->reached = true;
	if (app_read_state(app, &state, &e) < 0 ||
	    revmap_current(app->map, &state, &tops, &e) < 0) {
		if (db_state(&app->db) == DB_LOST)
			rc = not_reachable(w, &e);
		else
			*err = e;
		goto out;
	}
	for (size_t r = 0; at_heads && r < app->map->n; r++)
		at_heads = state.applied[r];
	ids_or_base(app->map, &tops, w->at, sizeof(w->at));
	rc = at_heads ? LOOK_READY : not_at_heads(w, err);
out:
	revlist_release(&tops);
	revstate_release(&state);
	return rc;
}

static int timed_out(struct waiter *w, struct retort_error *err)
{
	if (!w->reached) {
		error_set(err, RETORT_FAILED,
			  "timed out after %s waiting for the database: it "
			  "could not be reached",
			  w->timeout);
		error_detail(err, "%s", w->unreachable.msg);
		error_detail(err, "%s", w->unreachable.detail);
		error_hint(
			err,
			"Check that the server is up and that the URL names it; --timeout T waits longer.");
		return -1;
	}
	error_set(err, RETORT_FAILED,
		  "timed out after %s waiting for the database to reach "
		  "every head",
		  w->timeout);
	error_detail(err, "the database is at %s", w->at);
	error_detail(err, "the revisions' heads are %s", w->heads);
	error_hint(
		err,
		"Run `retort upgrade heads` (or see why the migration job did not), or wait longer with --timeout T.");
	return -1;
}

int cmd_wait(struct app *app, const struct cmd_args *args,
	     struct retort_error *err)
{
	struct waiter w = { .app = app, .timeout = args->timeout };
	long long limit = args->timeout ? lease_duration_ms(args->timeout) : 0;
	long long poll = WAIT_POLL_FIRST_MS;
	enum look l;

	w.own_connect_timeout = app->cfg.connect_timeout != NULL ||
				getenv("PGCONNECT_TIMEOUT") != NULL;
	snprintf(w.at, sizeof(w.at), "<base>");
	ids_or_base(app->map, &app->map->heads, w.heads, sizeof(w.heads));
	if (limit > 0)
		w.deadline = clock_monotonic_ms() + limit;
	while ((l = look(&w, err)) == LOOK_NOT_YET) {
		if (w.deadline != 0 && clock_monotonic_ms() >= w.deadline) {
			timed_out(&w, err);
			break;
		}
		if (w.deadline != 0 && w.deadline - clock_monotonic_ms() < poll)
			poll = w.deadline - clock_monotonic_ms();
		clock_sleep_ms(poll);
		poll = poll * 2 > WAIT_POLL_MAX_MS ? WAIT_POLL_MAX_MS
						   : poll * 2;
	}
	return l == LOOK_READY ? 0 : -1;
}
