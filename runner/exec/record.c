/*
 * record.c - what a rehearsal records and measures (record.h).
 *
 * A statement's locks are the relation locks the backend holds after it
 * that it did not hold before; its rewrites are the relations whose
 * relfilenode changed.  PostgreSQL keeps a transaction's locks until it
 * ends, so measuring after each statement tells them apart; autocommit
 * statements release theirs before they can be read, and get none (lint
 * judges those by their kind).  The measuring queries are never
 * recorded.  Never prints.
 */
#define _GNU_SOURCE /* dladdr() */
#include "exec/record.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

double recorder_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

void recorder_init(struct recorder *r, struct capture *capture)
{
	*r = (struct recorder){ .capture = capture };
}

void recorder_release(struct recorder *r)
{
	tap_free(r->tap);
	inspect_rels_release(&r->rels);
	inspect_snapshot_release(&r->held);
}

/* The last statement, when the raw connection sent it. */
static struct capture_stmt *last_raw(struct recorder *r)
{
	struct capture *c = r->capture;

	if (c->n == 0 || c->stmts[c->n - 1].origin != CAPTURE_RAW)
		return NULL;
	return &c->stmts[c->n - 1];
}

static void heard(void *arg, const struct tap_event *ev)
{
	struct recorder *r = arg;
	struct capture_stmt *st = last_raw(r);

	switch (ev->kind) {
	case TAP_STATEMENT:
		if (recorder_add(r, CAPTURE_RAW, ev->sql, ev->len, ev->nparams,
				 ev->values, NULL) < 0)
			r->out_of_memory = true;
		break;
	case TAP_COPY_DATA:
		if (st)
			st->copy_bytes += ev->bytes;
		break;
	case TAP_ROWS_READ:
		r->after_read = true;
		break;
	case TAP_ERROR:
		if (st)
			st->failed = true;
		break;
	}
}

int recorder_start(struct recorder *r, struct db *db, struct retort_error *err)
{
	inspect_rels_release(&r->rels);
	if (!r->tap && tap_new(&r->tap, db->conn, heard, r, err) < 0)
		return -1;
	return inspect_relations(db, &r->rels, err);
}

void recorder_code_enter(struct recorder *r)
{
	/* A raw group holds only what the revision sends from here. */
	r->group = r->capture->n;
	r->entered = recorder_now();
	tap_resume(r->tap);
}

int recorder_code_leave(struct recorder *r, struct db *db, const void *caller,
			struct retort_error *err)
{
	tap_pause(r->tap);
	r->caller = caller;
	/* Raw statements are timed as a group, on the last of them. */
	if (r->group < r->capture->n)
		r->capture->stmts[r->capture->n - 1].ms =
			recorder_now() - r->entered;
	if (r->out_of_memory)
		return error_set(err, RETORT_FAILED,
				 "out of memory recording the rehearsal");
	/* Statements after a failed one, or outside a transaction, left
	 * nothing to read. */
	if (r->autocommit || db_state(db) != DB_IN_TRANSACTION) {
		r->group = r->capture->n;
		return 0;
	}
	return recorder_measure(r, db, err);
}

int recorder_step_begin(struct recorder *r, struct db *db, const char *revision,
			const char *path, bool upgrade, enum capture_mode mode,
			struct retort_error *err)
{
	r->after_read = false;
	r->autocommit = mode != CAPTURE_IN_TRANSACTION;
	r->function = upgrade ? "upgrade" : "downgrade";
	r->group = r->capture->n;
	inspect_snapshot_release(&r->held);
	if (capture_begin_step(r->capture, revision, path, upgrade, mode, err) <
	    0)
		return -1;
	/* Between the steps of a shadow rehearsal no transaction is open (or
	 * the last one's COMMIT is on its way): nothing is held, and nothing
	 * needs a round trip to say so.  On the target, the steps share one
	 * transaction and what the earlier ones took is read. */
	if (db_state(db) != DB_IN_TRANSACTION)
		return 0;
	return inspect_read(db, &r->held, err);
}

void recorder_step_end(struct recorder *r, double ms, bool failed)
{
	capture_end_step(r->capture, ms, failed);
}

int recorder_step_skipped(struct recorder *r, const char *revision,
			  const char *path, bool upgrade, const char *why,
			  struct retort_error *err)
{
	struct capture_step *step;

	if (capture_begin_step(r->capture, revision, path, upgrade,
			       CAPTURE_AUTOCOMMIT, err) < 0)
		return -1;
	capture_end_step(r->capture, 0, false);
	step = &r->capture->steps[r->capture->nsteps - 1];
	step->skipped = true;
	step->skip_reason = why;
	return 0;
}

/*
 * "upgrade+0x4c": the nearest exported symbol of the revision's plugin
 * before the call, or the plugin's file and offset.  File and line would
 * need the plugin's debug information read per statement: not worth it.
 */
static char *call_site(const void *caller, const char *function)
{
	Dl_info info, self;
	char buf[256];
	const char *file;

	if (!caller || !dladdr(caller, &info))
		return NULL;
	/* A revision that ends with `return retort_exec(...)` jumps to the
	 * host: the return address is the runner's, not the revision's. */
	if (dladdr((const void *)call_site, &self) &&
	    info.dli_fbase == self.dli_fbase) {
		snprintf(buf, sizeof(buf), "%s (a tail call)",
			 function ? function : "?");
		return strdup(buf);
	}
	if (info.dli_sname && info.dli_saddr) {
		snprintf(buf, sizeof(buf), "%s+0x%lx", info.dli_sname,
			 (unsigned long)((uintptr_t)caller -
					 (uintptr_t)info.dli_saddr));
		return strdup(buf);
	}
	if (!info.dli_fname)
		return NULL;
	file = strrchr(info.dli_fname, '/');
	snprintf(
		buf, sizeof(buf), "%s+0x%lx", file ? file + 1 : info.dli_fname,
		(unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_fbase));
	return strdup(buf);
}

long recorder_add(struct recorder *r, enum capture_origin origin,
		  const char *sql, size_t len, int nparams,
		  const char *const *values, const void *caller)
{
	struct capture_stmt *st;

	st = capture_add(r->capture, origin, sql ? sql : "", sql ? len : 0);
	if (!st || capture_set_params(st, nparams, values) < 0)
		return -1;
	st->call_site = call_site(caller, r->function);
	st->after_read = r->after_read;
	st->autocommit = r->autocommit;
	return (long)(r->capture->n - 1);
}

long recorder_runner(struct recorder *r, const char *sql, size_t len)
{
	struct capture_stmt *st =
		capture_add(r->capture, CAPTURE_RUNNER, sql, len);

	if (!st)
		return -1;
	st->autocommit = r->autocommit;
	/* The runner's statements are measured with nothing: what they
	 * lock is the runner's own bookkeeping. */
	r->group = r->capture->n;
	return (long)(r->capture->n - 1);
}

int recorder_runner_script(struct recorder *r, const char *script)
{
	const char *p = script, *end;

	while (p && *p) {
		end = strstr(p, ";\n");
		if (recorder_runner(r, p, end ? (size_t)(end - p) : strlen(p)) <
		    0)
			return -1;
		p = end ? end + 2 : NULL;
	}
	return 0;
}

static bool held_before(const struct inspect_snapshot *s,
			const struct inspect_lock *l)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->locks[i].rel.oid, l->rel.oid) == 0 &&
		    strcmp(s->locks[i].mode, l->mode) == 0)
			return true;
	return false;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The relation a lock is on, as known: a new one is added. */
static struct inspect_rel *relation_of(struct recorder *r,
				       const struct inspect_lock *l)
{
	struct inspect_rel *rel = inspect_rels_find(&r->rels, l->rel.oid);

	return rel ? rel : inspect_rels_add(&r->rels, &l->rel);
}

static int add_lock(struct capture_stmt *st, const struct inspect_rel *rel,
		    const struct inspect_lock *l)
{
	struct capture_lock *bigger =
		realloc(st->locks, (st->nlocks + 1) * sizeof(*st->locks));

	if (!bigger)
		return -1;
	st->locks = bigger;
	st->locks[st->nlocks] = (struct capture_lock){
		.relation = dup_or_null(rel->name ? rel->name : rel->oid),
		.mode = dup_or_null(l->mode),
		.existed = rel->existed,
	};
	return st->locks[st->nlocks++].relation ? 0 : -1;
}

/* A relfilenode that moved since the last measure: a rewrite. */
static int note_rewrite(struct capture_stmt *st, struct inspect_rel *rel,
			const struct inspect_lock *l)
{
	char **bigger, *node;

	if (!l->rel.relfilenode || !rel->relfilenode ||
	    strcmp(l->rel.relfilenode, rel->relfilenode) == 0)
		return 0;
	for (size_t i = 0; i < st->nrewrites; i++)
		if (strcmp(st->rewrites[i], rel->name) == 0)
			return 0;
	node = strdup(l->rel.relfilenode);
	bigger = realloc(st->rewrites,
			 (st->nrewrites + 1) * sizeof(*st->rewrites));
	if (!node || !bigger) {
		free(node);
		if (bigger)
			st->rewrites = bigger;
		return -1;
	}
	st->rewrites = bigger;
	st->rewrites[st->nrewrites] = strdup(rel->name ? rel->name : rel->oid);
	if (!st->rewrites[st->nrewrites]) {
		free(node);
		return -1;
	}
	st->nrewrites++;
	free(rel->relfilenode);
	rel->relfilenode = node;
	return 0;
}

static int attribute(struct recorder *r, struct capture_stmt *st,
		     const struct inspect_snapshot *now)
{
	for (size_t i = 0; i < now->n; i++) {
		const struct inspect_lock *l = &now->locks[i];
		struct inspect_rel *rel;

		/* Gone already and never seen: a rewrite's transient heap. */
		if (!l->rel.name && !inspect_rels_find(&r->rels, l->rel.oid))
			continue;
		rel = relation_of(r, l);
		if (!rel || note_rewrite(st, rel, l) < 0)
			return -1;
		if (!held_before(&r->held, l) && add_lock(st, rel, l) < 0)
			return -1;
	}
	st->lock_timeout = dup_or_null(now->lock_timeout);
	return 0;
}

int recorder_measure(struct recorder *r, struct db *db,
		     struct retort_error *err)
{
	struct capture *c = r->capture;
	struct inspect_snapshot now;
	struct capture_stmt *last;

	if (r->group >= c->n)
		return 0;
	if (inspect_read(db, &now, err) < 0)
		return -1;
	last = &c->stmts[c->n - 1];
	for (size_t i = r->group; i < c->n; i++)
		c->stmts[i].measured_with = r->group;
	if (attribute(r, last, &now) < 0) {
		inspect_snapshot_release(&now);
		return error_set(err, RETORT_FAILED,
				 "out of memory recording the rehearsal");
	}
	inspect_snapshot_release(&r->held);
	r->held = now;
	r->group = c->n;
	return 0;
}

int recorder_done(struct recorder *r, struct db *db, long idx, double start_ms,
		  bool ok, struct retort_error *err)
{
	struct capture_stmt *st;

	if (idx < 0)
		return error_set(err, RETORT_FAILED,
				 "out of memory recording the rehearsal");
	st = &r->capture->stmts[idx];
	st->ms = recorder_now() - start_ms;
	if (!ok) {
		st->failed = true;
		r->group = r->capture->n;
		return 0;
	}
	/* Autocommit released its locks already: nothing to read. */
	if (r->autocommit || st->autocommit) {
		r->group = r->capture->n;
		return 0;
	}
	return recorder_measure(r, db, err);
}
