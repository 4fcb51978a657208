/*
 * capture.c - the record a rehearsal keeps (capture.h): growing arrays of
 * steps and statements, and their release.
 */
#include "exec/capture.h"

#include <stdlib.h>
#include <string.h>

void capture_init(struct capture *c)
{
	*c = (struct capture){ 0 };
}

static void free_strings(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void stmt_release(struct capture_stmt *st)
{
	free(st->sql);
	free_strings(st->params, st->params ? (size_t)st->nparams : 0);
	free(st->call_site);
	for (size_t i = 0; i < st->nlocks; i++) {
		free(st->locks[i].relation);
		free(st->locks[i].mode);
	}
	free(st->locks);
	free_strings(st->rewrites, st->nrewrites);
	free(st->lock_timeout);
}

void capture_release(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		stmt_release(&c->stmts[i]);
	free(c->stmts);
	for (size_t i = 0; i < c->nsteps; i++) {
		free(c->steps[i].revision);
		free(c->steps[i].path);
		free(c->steps[i].lint_allow);
	}
	free(c->steps);
	capture_init(c);
}

/* Room for one more element of size bytes in *array of *cap. */
static bool grow(void **array, size_t n, size_t *cap, size_t size)
{
	size_t want = *cap ? *cap * 2 : 16;
	void *bigger;

	if (n < *cap)
		return true;
	bigger = realloc(*array, want * size);
	if (!bigger)
		return false;
	*array = bigger;
	*cap = want;
	return true;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int capture_begin_step(struct capture *c, const char *revision,
		       const char *path, bool upgrade, enum capture_mode mode,
		       struct retort_error *err)
{
	struct capture_step *step;

	if (!grow((void **)&c->steps, c->nsteps, &c->capsteps,
		  sizeof(*c->steps)))
		return error_set(err, RETORT_FAILED,
				 "out of memory recording the rehearsal");
	step = &c->steps[c->nsteps];
	*step = (struct capture_step){ .revision = dup_or_null(revision),
				       .path = dup_or_null(path),
				       .upgrade = upgrade,
				       .mode = mode,
				       .first = c->n };
	c->nsteps++;
	if ((revision && !step->revision) || (path && !step->path))
		return error_set(err, RETORT_FAILED,
				 "out of memory recording the rehearsal");
	return 0;
}

void capture_end_step(struct capture *c, double ms, bool failed)
{
	struct capture_step *step;

	if (c->nsteps == 0)
		return;
	step = &c->steps[c->nsteps - 1];
	step->n = c->n - step->first;
	step->ms = ms;
	step->failed = failed;
}

struct capture_stmt *capture_add(struct capture *c, enum capture_origin origin,
				 const char *sql, size_t len)
{
	struct capture_stmt *st;
	char *text = malloc(len + 1);

	if (!text ||
	    !grow((void **)&c->stmts, c->n, &c->cap, sizeof(*c->stmts))) {
		free(text);
		return NULL;
	}
	memcpy(text, sql, len);
	text[len] = '\0';
	st = &c->stmts[c->n];
	*st = (struct capture_stmt){ .step = c->nsteps ? c->nsteps - 1 : 0,
				     .origin = origin,
				     .sql = text,
				     .measured_with = c->n };
	c->n++;
	return st;
}

int capture_set_params(struct capture_stmt *st, int nparams,
		       const char *const *values)
{
	if (nparams <= 0)
		return 0;
	st->params = calloc((size_t)nparams, sizeof(*st->params));
	if (!st->params)
		return -1;
	st->nparams = nparams;
	for (int i = 0; i < nparams; i++) {
		if (values[i] && !(st->params[i] = strdup(values[i])))
			return -1;
	}
	return 0;
}

const struct capture_step *capture_step_of(const struct capture *c,
					   const struct capture_stmt *st)
{
	return st->step < c->nsteps ? &c->steps[st->step] : NULL;
}

const char *capture_origin_name(enum capture_origin origin)
{
	static const char *const names[] = {
		[CAPTURE_RUNNER] = "runner",
		[CAPTURE_EXEC] = "retort_exec",
		[CAPTURE_EXEC_PARAMS] = "retort_exec_params",
		[CAPTURE_QUERY] = "retort_query",
		[CAPTURE_COPY_IN] = "retort_copy_in",
		[CAPTURE_COPY_OUT] = "retort_copy_out",
		[CAPTURE_BACKFILL] = "retort_backfill",
		[CAPTURE_RAW] = "raw connection",
	};

	return names[origin];
}
