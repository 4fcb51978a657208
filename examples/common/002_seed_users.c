/*
 * Demo data for the examples: -x users=N sessions (default 100000), each
 * with a metadata_ document carrying a locale, or none for one in five.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "002", .down_revision = "001",
		.message = "seed demo users",
		.create_date = "2026-11-25 09:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	const char *n = retort_arg(ctx, "users");
	const char *params[] = { n ? n : "100000" };

	return retort_exec_params(
		ctx,
		"INSERT INTO users (session_id, metadata_)"
		" SELECT 'session-' || g, CASE WHEN g % 5 = 0 THEN '{}'::jsonb"
		" ELSE jsonb_build_object('locale',"
		" (ARRAY['en', 'fr', 'de', 'ja'])[1 + g % 4], 'plan', 'free')"
		" END FROM generate_series(1, $1::int) AS g",
		1, params);
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "DELETE FROM users");
}
