/*
 * Contract, step two: VALIDATE scans the table under a lock that lets
 * reads and writes go on (SHARE UPDATE EXCLUSIVE).  With a valid CHECK
 * (locale IS NOT NULL) in place, SET NOT NULL skips its own scan
 * (PostgreSQL 12 and later), so the ACCESS EXCLUSIVE lock it needs is
 * held for a moment only; the CHECK is then redundant.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "006", .down_revision = "005",
		.message = "users.locale NOT NULL (contract)",
		.create_date = "2026-11-25 10:03:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"ALTER TABLE users VALIDATE CONSTRAINT users_locale_not_null;"
		"ALTER TABLE users ALTER COLUMN locale SET NOT NULL;"
		"ALTER TABLE users DROP CONSTRAINT users_locale_not_null");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx, "ALTER TABLE users ALTER COLUMN locale DROP NOT NULL;"
		     "ALTER TABLE users ADD CONSTRAINT users_locale_not_null"
		     " CHECK (locale IS NOT NULL) NOT VALID");
}
