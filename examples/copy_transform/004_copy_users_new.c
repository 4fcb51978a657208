/*
 * Copy, transform, copy: batch by batch of users' primary key, COPY the
 * batch's rows out (text format), add session_bucket computed in C, and
 * COPY them into users_new.  Each batch commits with its checkpoint, so a
 * kill never copies a row twice and `retort upgrade` resumes; memory
 * holds one batch at most (bounded by max_batch).
 *
 * One connection cannot run two COPYs at once, hence the buffer between
 * them.  COPY takes no parameters: the batch's keys go in as literals
 * escaped by libpq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_api.h"

RETORT_REVISION(.revision = "004", .down_revision = "003",
		.message = "copy users into users_new with session_bucket",
		.create_date = "2026-11-25 11:01:00+00",
		.flags = RETORT_BATCHED, );

#define BUCKETS 64

struct rows {
	retort_ctx *ctx;
	char *buf; /* transformed COPY text of the batch */
	size_t len, cap, sent;
	long long n;
};

/* FNV-1a: stable across releases, unlike PostgreSQL's hashtext(). */
static unsigned bucket_of(const char *s, size_t len)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % BUCKETS;
}

static int grow(struct rows *r, size_t more)
{
	char *p;

	if (r->len + more <= r->cap)
		return 0;
	r->cap = 2 * (r->len + more);
	p = realloc(r->buf, r->cap);
	if (!p)
		return -1;
	r->buf = p;
	return 0;
}

/* One row "id\tsession_id\t...\n" becomes "id\tsession_id\t...\tB\n". */
static int transform(void *arg, const char *row, size_t len)
{
	struct rows *r = arg;
	const char *sid = memchr(row, '\t', len), *end;
	char tail[16];
	int n;

	if (!sid || len == 0 || row[len - 1] != '\n')
		return -1;
	sid++;
	end = memchr(sid, '\t', len - (size_t)(sid - row));
	if (!end)
		return -1;
	n = snprintf(tail, sizeof(tail), "\t%u\n",
		     bucket_of(sid, (size_t)(end - sid)));
	if (grow(r, len + (size_t)n) < 0)
		return -1;
	memcpy(r->buf + r->len, row, len - 1);
	memcpy(r->buf + r->len + len - 1, tail, (size_t)n);
	r->len += len - 1 + (size_t)n;
	r->n++;
	return 0;
}

/* Hand the buffer to COPY FROM STDIN, whole rows per chunk. */
static int feed(void *arg, char *out, size_t cap, size_t *len)
{
	struct rows *r = arg;
	size_t take = r->len - r->sent;

	if (take > cap) {
		take = cap;
		while (take > 0 && r->buf[r->sent + take - 1] != '\n')
			take--;
		if (take == 0)
			return -1; /* one row larger than a chunk */
	}
	memcpy(out, r->buf + r->sent, take);
	r->sent += take;
	*len = take;
	return r->sent < r->len;
}

static int copy_batch(void *arg, PGconn *conn, const char *const *first,
		      const char *const *last, int n, long long *rows)
{
	struct rows r = { .ctx = arg };
	char *lo = PQescapeLiteral(conn, first[0], strlen(first[0]));
	char *hi = PQescapeLiteral(conn, last[0], strlen(last[0]));
	char sql[512];
	int rc = -1;

	(void)n;
	if (lo && hi) {
		snprintf(sql, sizeof(sql),
			 "COPY (SELECT id, session_id, connected_at,"
			 " last_active_at, metadata_ FROM users"
			 " WHERE id BETWEEN %s AND %s) TO STDOUT",
			 lo, hi);
		rc = retort_copy_out(r.ctx, sql, transform, &r);
	}
	if (rc == 0 && r.len > 0)
		rc = retort_copy_in(r.ctx,
				    "COPY users_new (id, session_id,"
				    " connected_at, last_active_at, metadata_,"
				    " session_bucket) FROM STDIN",
				    feed, &r);
	*rows = r.n;
	PQfreemem(lo);
	PQfreemem(hi);
	free(r.buf);
	return rc;
}

int upgrade(retort_ctx *ctx)
{
	return retort_backfill(
		ctx, &RETORT_BACKFILL(.name = "copy", .table = "users",
				      .fn = copy_batch, .arg = ctx));
}

/* Undoing the copy empties the new table (003's downgrade drops it). */
int downgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "TRUNCATE users_new");
}
