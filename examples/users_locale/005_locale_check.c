/*
 * Contract, step one: a CHECK constraint added NOT VALID takes its lock
 * for a moment only (no scan); new and updated rows are checked from now
 * on.  006 validates it in a transaction of its own.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "005", .down_revision = "004",
		.message = "users.locale NOT NULL check, not yet validated",
		.create_date = "2026-11-25 10:02:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "ALTER TABLE users ADD CONSTRAINT"
				" users_locale_not_null"
				" CHECK (locale IS NOT NULL) NOT VALID");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx, "ALTER TABLE users DROP CONSTRAINT users_locale_not_null");
}
