/*
 * sources.h - a fleet's targets read from a database: --targets-query
 * on a control database, --schemas-query for tenants in one database.
 */
#ifndef RETORT_FLEET_SOURCES_H
#define RETORT_FLEET_SOURCES_H

#include "base/error.h"
#include "fleet/targets.h"

/*
 * Run sql on control_url and append one target per row: (label, url).
 * connect_timeout as db_connect_timeout() takes it.  A failed connection
 * or query is RETORT_FAILED; rows of another shape (not two text
 * columns, a NULL) or no row at all are RETORT_USAGE.  Never prints a
 * password, neither the control database's nor a target's.
 */
int fleet_targets_from_query(struct fleet_targets *t, const char *control_url,
			     const char *sql, const char *connect_timeout,
			     struct retort_error *err);

/*
 * Run sql on url and append one target per row: the database at url with
 * the row's one column as its tenant schema (labelled by the schema).
 */
int fleet_targets_from_schemas(struct fleet_targets *t, const char *url,
			       const char *sql, const char *connect_timeout,
			       struct retort_error *err);

#endif
