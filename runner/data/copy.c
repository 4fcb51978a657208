/*
 * copy.c - COPY FROM STDIN from a C generator, COPY TO STDOUT into a C
 * callback.
 *
 * Memory stays flat: one buffer of COPY_CHUNK bytes in, one row at a time
 * out.  The connection is always left out of COPY mode, whatever happens,
 * so that the caller can roll back.  Never prints.
 */
#include "data/copy.h"

#include <stdbool.h>
#include <stdlib.h>

#include "store/db.h"
#include "proc/isolate.h"

#define COPY_CHUNK (64 * 1024)

/* Read every result left; the first failure fills err unless rc < 0. */
static int finish(PGconn *conn, int rc, struct retort_error *err)
{
	PGresult *res;

	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (rc == 0 && st != PGRES_COMMAND_OK) {
			db_error_from_result(err, conn, res);
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

/* Start copy_sql and check that the server entered the expected mode. */
static int start(PGconn *conn, const char *copy_sql, ExecStatusType want,
		 const char *form, struct retort_error *err)
{
	PGresult *res = PQexec(conn, copy_sql);
	ExecStatusType st = PQresultStatus(res);

	if (st == want) {
		PQclear(res);
		return 0;
	}
	if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR)
		db_error_from_result(err, conn, res);
	else
		error_set(err, RETORT_FAILED, "the statement is not a %s",
			  form);
	PQclear(res);
	finish(conn, -1, err);
	if (err->hint[0] == '\0')
		error_hint(err, "Pass one statement of the form %s.", form);
	return -1;
}

static int feed(PGconn *conn, retort_copy_source *source, void *arg, char *buf,
		const char **why)
{
	for (;;) {
		size_t len = 0;
		int more = source(arg, buf, COPY_CHUNK, &len);

		if (more < 0 || len > COPY_CHUNK) {
			*why = more < 0 ? "the revision's COPY source failed"
					: "the COPY source overran its buffer";
			return -1;
		}
		if (isolate_interrupted()) {
			*why = "canceled";
			return -1;
		}
		if (len > 0 && PQputCopyData(conn, buf, (int)len) != 1) {
			*why = NULL;
			return -1;
		}
		if (more == 0)
			return 0;
	}
}

int copy_in(PGconn *conn, const char *copy_sql, retort_copy_source *source,
	    void *arg, struct retort_error *err)
{
	const char *why = "out of memory";
	char *buf;
	int rc = -1;

	if (start(conn, copy_sql, PGRES_COPY_IN, "COPY ... FROM STDIN", err) <
	    0)
		return -1;
	buf = malloc(COPY_CHUNK);
	if (buf)
		rc = feed(conn, source, arg, buf, &why);
	free(buf);
	if (rc == 0 && PQputCopyEnd(conn, NULL) == 1)
		return finish(conn, 0, err);
	if (rc == 0) {
		db_error_from_result(err, conn, NULL);
		return finish(conn, -1, err);
	}
	/* Ending with an error message makes the server abort the COPY. */
	PQputCopyEnd(conn, why ? why : "aborted");
	if (why)
		error_set(err, RETORT_FAILED, "%s", why);
	else
		db_error_from_result(err, conn, NULL);
	return finish(conn, -1, err);
}

/* The sink refused a row: cancel the COPY rather than read it to the end. */
static void cancel(PGconn *conn)
{
	PGcancel *c = PQgetCancel(conn);
	char buf[256];

	if (c) {
		PQcancel(c, buf, sizeof(buf));
		PQfreeCancel(c);
	}
}

/* Drain what the server still sends after a cancel. */
static void discard(PGconn *conn)
{
	char *row;
	int n;

	while ((n = PQgetCopyData(conn, &row, 0)) > 0)
		PQfreemem(row);
}

int copy_out(PGconn *conn, const char *copy_sql, retort_copy_sink *sink,
	     void *arg, struct retort_error *err)
{
	bool refused = false;
	char *row;
	int n;

	if (start(conn, copy_sql, PGRES_COPY_OUT, "COPY (query) TO STDOUT",
		  err) < 0)
		return -1;
	while ((n = PQgetCopyData(conn, &row, 0)) > 0) {
		refused = sink(arg, row, (size_t)n) != 0;
		PQfreemem(row);
		if (refused) {
			cancel(conn);
			discard(conn);
			break;
		}
	}
	if (n == -2 && !refused) {
		db_error_from_result(err, conn, NULL);
		return finish(conn, -1, err);
	}
	if (refused) {
		error_set(err, RETORT_FAILED,
			  "the revision's COPY sink refused a row");
		return finish(conn, -1, err);
	}
	return finish(conn, 0, err);
}
