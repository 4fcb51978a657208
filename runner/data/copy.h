/*
 * copy.h - COPY streams on a libpq connection: rows from a C generator
 * into a table (COPY ... FROM STDIN), a query's rows into a C callback
 * (COPY (query) TO STDOUT).  The host side of retort_copy_in() and
 * retort_copy_out().
 */
#ifndef RETORT_COPY_H
#define RETORT_COPY_H

#include <libpq-fe.h>

#include "plugin_api.h"
#include "base/error.h"

/*
 * Run copy_sql, which must be a COPY ... FROM STDIN (text, csv or binary),
 * feeding it what source produces.  A server error fills err as for any
 * statement (SQLSTATE, detail, context naming the line); a source that
 * returns -1 ends the COPY with an error and nothing is loaded.
 */
int copy_in(PGconn *conn, const char *copy_sql, retort_copy_source *source,
	    void *arg, struct retort_error *err);

/*
 * Run copy_sql, which must be a COPY ... TO STDOUT, passing each row to
 * sink.  A sink that returns non-zero cancels the COPY and fails it.
 */
int copy_out(PGconn *conn, const char *copy_sql, retort_copy_sink *sink,
	     void *arg, struct retort_error *err);

#endif
