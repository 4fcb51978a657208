/*
 * sd_differ.c - one pass from a catalog to another: the statements it
 * writes, the names it quotes, and the walk over two sorted arrays that
 * every kind of object shares.  Pure: no I/O, never prints.
 */
#include "schema/sd_differ.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/sd_quote.h"

bool sd_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

const char *sd_keep(struct differ *d, char *s)
{
	if (s != NULL && d->nscratch == d->capscratch) {
		size_t cap = d->capscratch ? 2 * d->capscratch : 64;
		char **grown = realloc(d->scratch, cap * sizeof(*grown));

		if (grown == NULL) {
			free(s);
			s = NULL;
		} else {
			d->scratch = grown;
			d->capscratch = cap;
		}
	}
	if (s == NULL) {
		d->oom = true;
		return "";
	}
	d->scratch[d->nscratch++] = s;
	return s;
}

const char *sd_keep_text(struct differ *d, struct strbuf *b)
{
	return sd_keep(d, strbuf_finish(b));
}

void sd_differ_release(struct differ *d)
{
	for (size_t i = 0; i < d->nscratch; i++)
		free(d->scratch[i]);
	free(d->scratch);
	d->scratch = NULL;
	d->nscratch = d->capscratch = 0;
}

char *sd_fmt(struct differ *d, const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n >= 0)
		s = malloc((size_t)n + 1);
	if (s == NULL) {
		d->oom = true;
		return NULL;
	}
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

const char *sd_qi(struct differ *d, const char *name)
{
	return sd_keep(d, sd_quote_ident(name));
}

const char *sd_ql(struct differ *d, const char *s)
{
	return sd_keep(d, sd_quote_literal(s));
}

const char *sd_qn(struct differ *d, const char *schema, const char *name)
{
	return sd_keep(d, sd_fmt(d, "%s.%s", sd_qi(d, schema), sd_qi(d, name)));
}

const char *sd_tname(struct differ *d, const struct cat_table *t)
{
	return sd_qn(d, t->schema, t->name);
}

const char *sd_cname(struct differ *d, const struct cat_table *t,
		     const char *column)
{
	return sd_keep(d, sd_fmt(d, "%s.%s", sd_tname(d, t), sd_qi(d, column)));
}

char *sd_join_notes(struct differ *d, const char *a, const char *b)
{
	if (a && b)
		return sd_fmt(d, "%s; %s", a, b);
	if (a || b)
		return sd_fmt(d, "%s", a ? a : b);
	return NULL;
}

void sd_emit(struct differ *d, struct sd_stmt s)
{
	struct sd_change c = { s.part,	  s.phase, s.hazards, s.sql,
			       s.summary, s.note,  NULL };

	/* sd_fmt() marks the differ when it runs out of memory and
	 * returns NULL, as strbuf_finish() does. */
	if (s.summary == NULL || (s.sql == NULL && s.note == NULL) ||
	    (s.hazards && s.note == NULL)) {
		d->oom = true;
		sd_change_free(&c);
		return;
	}
	if (sd_list_add(d->out, c) < 0)
		d->oom = true;
}

void sd_emit_guarded(struct differ *d, struct sd_stmt s, char *guard)
{
	size_t n = d->out->n;

	sd_emit(d, s);
	if (guard == NULL || d->out->n == n) {
		d->oom = true;
		free(guard);
		return;
	}
	d->out->items[n].guard = guard;
}

void sd_emit_plain(struct differ *d, int phase, char *summary, char *sql)
{
	sd_emit(d,
		(struct sd_stmt){ phase, SD_PART_MAIN, 0, sql, summary, NULL });
}

void sd_add_problem(struct differ *d, char *text)
{
	if (text == NULL || sd_plan_add_problem(d->plan, text) < 0)
		d->oom = true;
}

void sd_walk(struct differ *d, const void *from, size_t nfrom, const void *to,
	     size_t nto, size_t size, int (*cmp)(const void *, const void *),
	     void (*pair)(struct differ *d, const void *a, const void *b))
{
	const char *f = from, *t = to;
	size_t i = 0, j = 0;

	while (i < nfrom || j < nto) {
		int c = i == nfrom ? 1
			: j == nto ? -1
				   : cmp(f + i * size, t + j * size);

		pair(d, c <= 0 ? f + i * size : NULL,
		     c >= 0 ? t + j * size : NULL);
		i += c <= 0;
		j += c >= 0;
	}
}
