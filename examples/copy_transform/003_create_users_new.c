/*
 * Rewrite by copy: the new table has the old one's columns and a new one
 * computed in C (session_bucket).  No index yet: rows load faster into a
 * bare heap, and 005 builds the keys before the swap.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "003", .down_revision = "002",
		.message = "create users_new",
		.create_date = "2026-11-25 11:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "CREATE TABLE users_new ("
				"  id uuid NOT NULL,"
				"  session_id varchar(255) NOT NULL,"
				"  connected_at timestamptz NOT NULL,"
				"  last_active_at timestamptz NOT NULL,"
				"  metadata_ jsonb,"
				"  session_bucket smallint NOT NULL"
				")");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "DROP TABLE users_new");
}
