/*
 * sources.c - a fleet's targets read from a database: the rows of a
 * user's query on a control database (label, url), or one target per
 * tenant schema of one database.
 *
 * The query runs through store/query_rows.c (the SQL is store/'s); this
 * file only judges the rows.  An error names a row by its number, never
 * by its URL: that may hold a password.
 */
#include "fleet/sources.h"

#include "store/query_rows.h"

/* A row whose value is NULL: the query must say which target it means. */
static int null_value(const char *what, size_t row, const char *column,
		      struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "%s: row %zu: the %s is NULL", what,
		  row + 1, column);
	error_hint(err,
		   "Leave such rows out of the query (WHERE %s IS NOT NULL).",
		   column);
	return -1;
}

static int no_rows(const char *what, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "%s returned no rows: no target", what);
	error_hint(err,
		   "Check the query's WHERE clause and the database it reads.");
	return -1;
}

static int add_url_rows(struct fleet_targets *t, const struct query_rows *r,
			const char *what, struct retort_error *err)
{
	for (size_t i = 0; i < r->nrows; i++) {
		const char *label = query_rows_value(r, i, 0);
		const char *url = query_rows_value(r, i, 1);

		if (!label)
			return null_value(what, i, "label", err);
		if (!url)
			return null_value(what, i, "url", err);
		if (fleet_targets_add(t, label, url, NULL, err) < 0) {
			error_prefix(err, "%s: row %zu (%s)", what, i + 1,
				     label);
			return -1;
		}
	}
	return 0;
}

int fleet_targets_from_query(struct fleet_targets *t, const char *control_url,
			     const char *sql, const char *connect_timeout,
			     struct retort_error *err)
{
	const char *what = "--targets-query";
	struct query_rows r;
	int rc;

	if (query_rows_read(control_url, connect_timeout, sql, 2, what, &r,
			    err) < 0)
		return -1;
	rc = r.nrows ? add_url_rows(t, &r, what, err) : no_rows(what, err);
	query_rows_release(&r);
	return rc;
}

static int add_schema_rows(struct fleet_targets *t, const struct query_rows *r,
			   const char *url, const char *what,
			   struct retort_error *err)
{
	for (size_t i = 0; i < r->nrows; i++) {
		const char *schema = query_rows_value(r, i, 0);

		if (!schema)
			return null_value(what, i, "schema", err);
		if (fleet_targets_add(t, NULL, url, schema, err) < 0) {
			error_prefix(err, "%s: row %zu (%s)", what, i + 1,
				     schema);
			return -1;
		}
	}
	return 0;
}

int fleet_targets_from_schemas(struct fleet_targets *t, const char *url,
			       const char *sql, const char *connect_timeout,
			       struct retort_error *err)
{
	const char *what = "--schemas-query";
	struct query_rows r;
	int rc;

	if (query_rows_read(url, connect_timeout, sql, 1, what, &r, err) < 0)
		return -1;
	rc = r.nrows ? add_schema_rows(t, &r, url, what, err)
		     : no_rows(what, err);
	query_rows_release(&r);
	return rc;
}
