/*
 * query_rows.c - one query a user wrote, on a connection of its own, its
 * rows copied out as text.
 *
 * The SQL is the user's own (a fleet's --targets-query or
 * --schemas-query): run as given, once, read-only in what it is for.
 * Never prints, and never names the URL in an error: it may hold a
 * password.
 */
#include "store/query_rows.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/db.h"

/* The OIDs of the text types a column may have (pg_type.h). */
#define NAMEOID 19
#define TEXTOID 25
#define BPCHAROID 1042
#define VARCHAROID 1043

static bool is_text_type(Oid type)
{
	return type == TEXTOID || type == VARCHAROID || type == NAMEOID ||
	       type == BPCHAROID;
}

static int check_shape(const PGresult *res, int ncols, const char *what,
		       struct retort_error *err)
{
	int got = PQnfields(res);

	if (got != ncols) {
		error_set(err, RETORT_USAGE, "%s returned %d column%s, not %d",
			  what, got, got == 1 ? "" : "s", ncols);
		error_hint(
			err, "%s",
			ncols == 2
				? "Select two text columns: the label, then the URL."
				: "Select one text column: the schema's name.");
		return -1;
	}
	for (int c = 0; c < got; c++)
		if (!is_text_type(PQftype(res, c))) {
			error_set(err, RETORT_USAGE,
				  "%s: column %d (%s) is not text", what, c + 1,
				  PQfname(res, c));
			error_hint(err, "Cast it in the query: %s::text.",
				   PQfname(res, c));
			return -1;
		}
	return 0;
}

static int copy_rows(const PGresult *res, struct query_rows *out,
		     struct retort_error *err)
{
	size_t n = (size_t)PQntuples(res);

	out->ncols = PQnfields(res);
	out->values = calloc(n * (size_t)out->ncols + 1, sizeof(char *));
	if (!out->values)
		return error_set(err, RETORT_FAILED, "out of memory");
	out->nrows = n;
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < out->ncols; c++) {
			char **slot = &out->values[i * (size_t)out->ncols + c];

			if (PQgetisnull(res, (int)i, c))
				continue;
			*slot = strdup(PQgetvalue(res, (int)i, c));
			if (!*slot)
				return error_set(err, RETORT_FAILED,
						 "out of memory");
		}
	return 0;
}

int query_rows_read(const char *url, const char *connect_timeout,
		    const char *sql, int ncols, const char *what,
		    struct query_rows *out, struct retort_error *err)
{
	struct db db = { 0 };
	PGresult *res = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (db_connect_timeout(&db, url, connect_timeout, "alembic_version",
			       NULL, err) < 0) {
		error_prefix(err, "%s", what);
		goto out;
	}
	res = db_run(&db, sql, 0, NULL, err);
	if (!res) {
		error_prefix(err, "%s failed", what);
		goto out;
	}
	if (check_shape(res, ncols, what, err) < 0 ||
	    copy_rows(res, out, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		query_rows_release(out);
	PQclear(res);
	db_close(&db);
	return rc;
}

const char *query_rows_value(const struct query_rows *r, size_t row, int col)
{
	return r->values[row * (size_t)r->ncols + col];
}

void query_rows_release(struct query_rows *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->values && i < r->nrows * (size_t)r->ncols; i++)
		free(r->values[i]);
	free(r->values);
	memset(r, 0, sizeof(*r));
}
