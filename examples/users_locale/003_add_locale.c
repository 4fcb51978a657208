/*
 * Expand: add users.locale, nullable and without a default, so the ALTER
 * is instant whatever the table's size (only the catalog changes).  A
 * trigger fills it for rows written from now on, so that the backfill in
 * 004 only has the old rows to do and nothing slips in behind it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "003", .down_revision = "002",
		.message = "add users.locale (expand)",
		.create_date = "2026-11-25 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx, "ALTER TABLE users ADD COLUMN locale text;"
		     "CREATE FUNCTION users_locale_sync() RETURNS trigger"
		     " LANGUAGE plpgsql AS $$ BEGIN"
		     "  NEW.locale := coalesce(NEW.metadata_->>'locale', 'en');"
		     "  RETURN NEW;"
		     " END $$;"
		     "CREATE TRIGGER users_locale_sync"
		     " BEFORE INSERT OR UPDATE OF metadata_ ON users"
		     " FOR EACH ROW EXECUTE FUNCTION users_locale_sync()");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "DROP TRIGGER users_locale_sync ON users;"
				"DROP FUNCTION users_locale_sync();"
				"ALTER TABLE users DROP COLUMN locale");
}
