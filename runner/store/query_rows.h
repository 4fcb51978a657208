/*
 * query_rows.h - the text rows of one query a user wrote, run on a
 * database of its own: where a fleet's targets come from when they are
 * read from a control database or from a database's tenant schemas.
 */
#ifndef RETORT_QUERY_ROWS_H
#define RETORT_QUERY_ROWS_H

#include <stddef.h>

#include "base/error.h"

/* Owned by the caller; query_rows_release() frees it. */
struct query_rows {
	char **values; /* nrows * ncols, row by row; NULL for SQL NULL */
	size_t nrows;
	int ncols;
};

/*
 * Connect to url (connect_timeout as db_connect_timeout() takes it), run
 * sql and copy its rows.  what names the query in errors ("--targets-query").
 * A failed connection or query is RETORT_FAILED (PostgreSQL's message
 * and SQLSTATE, never the URL); a result of other than ncols text
 * columns (text, varchar, char or name) is RETORT_USAGE.
 */
int query_rows_read(const char *url, const char *connect_timeout,
		    const char *sql, int ncols, const char *what,
		    struct query_rows *out, struct retort_error *err);

/* Row row's column col; NULL for SQL NULL.  Borrowed from r. */
const char *query_rows_value(const struct query_rows *r, size_t row, int col);

void query_rows_release(struct query_rows *r);

#endif
