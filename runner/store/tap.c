/*
 * tap.c - the raw connection's statements, from libpq's protocol trace
 * (tap.h).
 *
 * libpq 15 writes one message a line, "F\t<length>\t<Name>\t<fields>",
 * with PQTRACE_SUPPRESS_TIMESTAMPS: F from the client, B from the server.
 * Strings are printed raw between double quotes, newlines included, so a
 * Query's text is cut by its length (length - 4 - 1 bytes: the length
 * counts itself and the text's NUL), and a Parse's the same way from the
 * end of its line.  Bind values are printed between single quotes with
 * unprintable bytes as \xNN, after their length in bytes.  CopyData is
 * printed as an empty name followed by a "mismatched message length"
 * line: only its length is read.  A line that fits nothing is skipped,
 * so the parser finds its feet again at the next message.
 */
#define _GNU_SOURCE /* fopencookie() */
#include "store/tap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/strbuf.h"

#define TAP_MAX_PARAMS 64

struct tap {
	PGconn *conn;
	FILE *stream;
	tap_fn *fn;
	void *arg;
	bool running;
	struct strbuf pending; /* trace text not parsed yet */
	char *parsed_sql;      /* the last Parse's text, for its Bind */
	size_t parsed_len;
};

/* One message's header: who sent it, its length, where its name is. */
struct header {
	char from;
	long length;
	const char *name;
	size_t name_len;
	const char *body; /* after the name's tab (or its newline) */
};

static bool read_header(const char *p, const char *end, struct header *h)
{
	char *after;

	if (end - p < 4 || (p[0] != 'F' && p[0] != 'B') || p[1] != '\t' ||
	    !isdigit((unsigned char)p[2]))
		return false;
	h->from = p[0];
	h->length = strtol(p + 2, &after, 10);
	if (after >= end || *after != '\t')
		return false;
	h->name = after + 1;
	h->name_len = strcspn(h->name, "\t\n");
	if (h->name + h->name_len >= end)
		return false;
	h->body = h->name + h->name_len + 1;
	return true;
}

static bool named(const struct header *h, const char *name)
{
	return h->name_len == strlen(name) &&
	       strncmp(h->name, name, h->name_len) == 0;
}

static void report(struct tap *t, enum tap_kind kind, const char *sql,
		   size_t len, size_t bytes)
{
	struct tap_event ev = {
		.kind = kind, .sql = sql, .len = len, .bytes = bytes
	};

	t->fn(t->arg, &ev);
}

/* A parser's answer: where the next message starts, or what to do. */
#define NEED_MORE ((const char *)0)
#define SKIP_LINE ((const char *)1)

/* Query\t "<text>"\n: the text is length - 5 bytes. */
static const char *parse_query(struct tap *t, const struct header *h,
			       const char *end)
{
	const char *text = h->body + 2;
	size_t len = h->length > 5 ? (size_t)h->length - 5 : 0;

	if (text + len + 2 > end)
		return NEED_MORE;
	if (text[-1] != '"' || text[len] != '"' || text[len + 1] != '\n')
		return SKIP_LINE;
	report(t, TAP_STATEMENT, text, len, 0);
	return text + len + 2;
}

/* The Parse's text is len bytes when its line goes on with `" <n>`. */
static bool text_ends_at(const char *q, const char *end, long n)
{
	char count[32];
	int w = snprintf(count, sizeof(count), "\" %ld", n);

	return q + w + 1 <= end && strncmp(q, count, (size_t)w) == 0 &&
	       (q[w] == ' ' || q[w] == '\n');
}

/*
 * Parse\t "<name>" "<text>" <n> <oid>...\n: the text's length is what
 * the message length leaves once the name, the count and n type oids are
 * taken away; n is the one whose line goes on as it should.
 */
static const char *parse_parse(struct tap *t, const struct header *h,
			       const char *end)
{
	const char *name = h->body + 2, *text, *nl;
	size_t name_len, fixed = 4 + 1 + 1 + 2, len;

	name_len = strcspn(name, "\"\n");
	if (name + name_len + 3 > end)
		return NEED_MORE;
	text = name + name_len + 3;
	fixed += name_len;
	for (long n = 0; n < TAP_MAX_PARAMS; n++) {
		if ((size_t)h->length < fixed + 4 * (size_t)n)
			return SKIP_LINE;
		len = (size_t)h->length - fixed - 4 * (size_t)n;
		if (text + len + 3 > end)
			return NEED_MORE;
		if (!text_ends_at(text + len, end, n))
			continue;
		nl = memchr(text + len, '\n', (size_t)(end - (text + len)));
		if (!nl)
			return NEED_MORE;
		free(t->parsed_sql);
		t->parsed_sql = strndup(text, len);
		t->parsed_len = t->parsed_sql ? len : 0;
		return nl + 1;
	}
	return SKIP_LINE;
}

/* A value's bytes back from the trace's quoting; the first escapes the
 * count allows are taken as escapes, what libpq cannot tell apart from a
 * literal "\x0a" in the value. */
static char *unquote_value(const char **p, const char *end, long bytes)
{
	char *v = malloc((size_t)bytes + 1);
	long n = 0;
	const char *q = *p;

	if (!v)
		return NULL;
	while (n < bytes && q < end) {
		unsigned hex;

		if (q + 4 <= end && q[0] == '\\' && q[1] == 'x' &&
		    sscanf(q + 2, "%2x", &hex) == 1 && !isprint((int)hex)) {
			v[n++] = (char)hex;
			q += 4;
		} else {
			v[n++] = *q++;
		}
	}
	v[n] = '\0';
	*p = q;
	return v;
}

static void free_values(char **values, int n)
{
	for (int i = 0; i < n; i++)
		free(values[i]);
}

/* Bind\t "<portal>" "<stmt>" <nfmt> <fmt>... <n> (<len> '<v>' | -1)... */
static int bind_values(const char *p, const char *end, char **values)
{
	long nfmt, n, len;
	char *after;
	int got = 0;

	p += strcspn(p, "\"");
	p += 1 + strcspn(p + 1, "\"") + 2; /* the portal */
	p += strcspn(p, "\"");
	p += 1 + strcspn(p + 1, "\"") + 1; /* the statement */
	nfmt = strtol(p, &after, 10);
	for (p = after; nfmt-- > 0; p = after)
		strtol(p, &after, 10);
	n = strtol(p, &after, 10);
	for (p = after; got < n && got < TAP_MAX_PARAMS && p < end; got++) {
		len = strtol(p, &after, 10);
		p = after;
		values[got] = NULL;
		if (len < 0)
			continue;
		p += 2; /* " '" */
		values[got] = unquote_value(&p, end, len);
		p++; /* "'" */
	}
	return got;
}

static const char *parse_bind(struct tap *t, const struct header *h,
			      const char *end)
{
	const char *nl = memchr(h->body, '\n', (size_t)(end - h->body));
	char *values[TAP_MAX_PARAMS] = { 0 };
	struct tap_event ev = { .kind = TAP_STATEMENT };

	if (!nl)
		return NEED_MORE;
	ev.nparams = bind_values(h->body, nl, values);
	ev.values = (const char *const *)values;
	ev.sql = t->parsed_sql ? t->parsed_sql : "";
	ev.len = t->parsed_sql ? t->parsed_len : 0;
	t->fn(t->arg, &ev);
	free_values(values, ev.nparams);
	return nl + 1;
}

/* What the server's messages say: rows came back, or an error. */
static void server_message(struct tap *t, const struct header *h)
{
	if (named(h, "RowDescription") || named(h, "DataRow") ||
	    named(h, "CopyOutResponse"))
		report(t, TAP_ROWS_READ, NULL, 0, 0);
	else if (named(h, "ErrorResponse"))
		report(t, TAP_ERROR, NULL, 0, 0);
}

/* The next message at p, reported; NEED_MORE, or SKIP_LINE. */
static const char *parse_one(struct tap *t, const char *p, const char *end)
{
	struct header h;

	if (!memchr(p, '\n', (size_t)(end - p)))
		return NEED_MORE;
	if (!read_header(p, end, &h))
		return SKIP_LINE;
	if (h.from == 'F' && named(&h, "Query"))
		return parse_query(t, &h, end);
	if (h.from == 'F' && named(&h, "Parse"))
		return parse_parse(t, &h, end);
	if (h.from == 'F' && named(&h, "Bind"))
		return parse_bind(t, &h, end);
	/* CopyData: libpq 15 prints no name, only the length. */
	if (h.name_len == 0 && h.length > 4)
		report(t, h.from == 'F' ? TAP_COPY_DATA : TAP_ROWS_READ, NULL,
		       0, (size_t)h.length - 4);
	else if (h.from == 'B')
		server_message(t, &h);
	return SKIP_LINE;
}

static void parse_pending(struct tap *t, bool all)
{
	char *start = t->pending.s;
	const char *p = start, *end = start + t->pending.len, *next;

	while (p && p < end) {
		next = parse_one(t, p, end);
		if (next == NEED_MORE && !all)
			break;
		if (next == NEED_MORE || next == SKIP_LINE) {
			next = memchr(p, '\n', (size_t)(end - p));
			next = next ? next + 1 : end;
		}
		p = next;
	}
	if (!start)
		return;
	memmove(start, p, (size_t)(end - p));
	strbuf_truncate(&t->pending, (size_t)(end - p));
}

void tap_feed(struct tap *t, const char *text, size_t len)
{
	strbuf_addn(&t->pending, text, len);
	/* Out of memory: what was lost cannot be parsed; start afresh. */
	if (t->pending.failed) {
		strbuf_release(&t->pending);
		return;
	}
	parse_pending(t, false);
}

static ssize_t tap_write(void *cookie, const char *buf, size_t size)
{
	tap_feed(cookie, buf, size);
	return (ssize_t)size;
}

int tap_new(struct tap **out, PGconn *conn, tap_fn *fn, void *arg,
	    struct retort_error *err)
{
	cookie_io_functions_t io = { .write = tap_write };
	struct tap *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return error_set(err, RETORT_FAILED, "out of memory");
	*t = (struct tap){ .conn = conn, .fn = fn, .arg = arg };
	t->stream = fopencookie(t, "w", io);
	if (!t->stream) {
		free(t);
		return error_set(err, RETORT_FAILED,
				 "cannot open the raw connection's tap");
	}
	*out = t;
	return 0;
}

void tap_resume(struct tap *t)
{
	if (!t || t->running)
		return;
	PQtrace(t->conn, t->stream);
	PQsetTraceFlags(t->conn, PQTRACE_SUPPRESS_TIMESTAMPS);
	t->running = true;
}

void tap_pause(struct tap *t)
{
	if (!t || !t->running)
		return;
	PQuntrace(t->conn);
	fflush(t->stream);
	parse_pending(t, true);
	t->running = false;
}

void tap_free(struct tap *t)
{
	if (!t)
		return;
	tap_pause(t);
	fclose(t->stream);
	strbuf_release(&t->pending);
	free(t->parsed_sql);
	free(t);
}
