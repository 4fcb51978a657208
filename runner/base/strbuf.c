/*
 * strbuf.c - the runner's one growing string.
 */
#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool strbuf_reserve(struct strbuf *b, size_t more)
{
	size_t cap;
	char *grown;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + more + 1)
		cap *= 2;
	grown = realloc(b->s, cap);
	if (grown == NULL) {
		b->failed = true;
		return false;
	}
	b->s = grown;
	b->cap = cap;
	return true;
}

void strbuf_addn(struct strbuf *b, const char *s, size_t n)
{
	if (!strbuf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void strbuf_add(struct strbuf *b, const char *s)
{
	strbuf_addn(b, s, strlen(s));
}

void strbuf_addc(struct strbuf *b, char c)
{
	strbuf_addn(b, &c, 1);
}

/* Room for most formatted pieces: they are written in one pass. */
#define STRBUF_ADDF_GUESS 128

void strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (!strbuf_reserve(b, STRBUF_ADDF_GUESS))
		return;
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->s[b->len] = '\0';
		b->failed = true;
		return;
	}
	/* Too long for the room there was: grow to fit and write it again. */
	if ((size_t)n >= room) {
		b->s[b->len] = '\0';
		if (!strbuf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void strbuf_truncate(struct strbuf *b, size_t len)
{
	if (b->s != NULL && len < b->len) {
		b->len = len;
		b->s[len] = '\0';
	}
}

const char *strbuf_str(const struct strbuf *b)
{
	return b->s != NULL ? b->s : "";
}

char *strbuf_finish(struct strbuf *b)
{
	char *s;

	if (b->failed) {
		strbuf_release(b);
		return NULL;
	}
	s = b->s != NULL ? b->s : strdup("");
	*b = (struct strbuf)STRBUF_INIT;
	return s;
}

void strbuf_release(struct strbuf *b)
{
	free(b->s);
	*b = (struct strbuf)STRBUF_INIT;
}
