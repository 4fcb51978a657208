/*
 * The users table of the original Alembic setup: one row per client
 * session, looked up by session_id.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "001", .down_revision = NULL,
		.message = "create users table",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	/* gen_random_uuid() is built in since PostgreSQL 13. */
	return retort_exec(
		ctx, "CREATE TABLE users ("
		     "  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
		     "  session_id varchar(255) NOT NULL,"
		     "  connected_at timestamptz NOT NULL DEFAULT now(),"
		     "  last_active_at timestamptz NOT NULL DEFAULT now(),"
		     "  metadata_ jsonb"
		     ");"
		     "CREATE UNIQUE INDEX ix_users_session_id"
		     "  ON users (session_id)");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "DROP TABLE users");
}
