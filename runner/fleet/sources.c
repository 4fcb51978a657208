/*
 * sources.c - a fleet's targets read from a database.
 */
#include "fleet/sources.h"

int fleet_targets_from_query(struct fleet_targets *t, const char *control_url,
			     const char *sql, const char *connect_timeout,
			     struct retort_error *err)
{
	(void)t, (void)control_url, (void)sql, (void)connect_timeout;
	return error_set(err, RETORT_USAGE,
			 "--targets-query is not available yet");
}

int fleet_targets_from_schemas(struct fleet_targets *t, const char *url,
			       const char *sql, const char *connect_timeout,
			       struct retort_error *err)
{
	(void)t, (void)url, (void)sql, (void)connect_timeout;
	return error_set(err, RETORT_USAGE,
			 "--schemas-query is not available yet");
}
