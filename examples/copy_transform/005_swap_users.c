/*
 * The swap: build users_new's keys, check that it holds every row of
 * users, then exchange the names in one short transaction.  Writes to
 * users after 004 copied them would be lost, so the count check refuses
 * the swap if any arrived: stop writers (or mirror them into users_new
 * with a trigger) before this revision.  users_old stays for a later
 * revision to drop once the new table has proved itself.
 */
#include <string.h>

#include "plugin_api.h"

RETORT_REVISION(.revision = "005", .down_revision = "004",
		.message = "swap users_new in for users",
		.create_date = "2026-11-25 11:02:00+00", );

static int same_count(retort_ctx *ctx)
{
	PGresult *res = retort_query(
		ctx,
		"SELECT (SELECT count(*) FROM users) ="
		" (SELECT count(*) FROM users_new),"
		" (SELECT count(*) FROM users), (SELECT count(*) FROM users_new)",
		0, NULL);
	int rc = -1;

	if (!res)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		rc = 0;
	else
		retort_fail(
			ctx,
			"users has %s rows but users_new has %s: rows were written after the copy",
			PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);
	return rc;
}

int upgrade(retort_ctx *ctx)
{
	if (retort_exec(ctx, "LOCK TABLE users IN SHARE MODE") < 0 ||
	    same_count(ctx) < 0)
		return -1;
	return retort_exec(
		ctx,
		"ALTER TABLE users_new ADD PRIMARY KEY (id);"
		"ALTER TABLE users_new"
		" ALTER COLUMN id SET DEFAULT gen_random_uuid(),"
		" ALTER COLUMN connected_at SET DEFAULT now(),"
		" ALTER COLUMN last_active_at SET DEFAULT now();"
		"CREATE UNIQUE INDEX ix_users_new_session_id"
		" ON users_new (session_id);"
		"ALTER TABLE users RENAME TO users_old;"
		"ALTER INDEX ix_users_session_id RENAME TO ix_users_old_session_id;"
		"ALTER TABLE users_new RENAME TO users;"
		"ALTER INDEX ix_users_new_session_id RENAME TO ix_users_session_id");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"ALTER INDEX ix_users_session_id RENAME TO ix_users_new_session_id;"
		"ALTER TABLE users RENAME TO users_new;"
		"ALTER TABLE users_old RENAME TO users;"
		"ALTER INDEX ix_users_old_session_id RENAME TO ix_users_session_id;"
		"DROP INDEX ix_users_new_session_id;"
		"ALTER TABLE users_new DROP CONSTRAINT users_new_pkey,"
		" ALTER COLUMN id DROP DEFAULT,"
		" ALTER COLUMN connected_at DROP DEFAULT,"
		" ALTER COLUMN last_active_at DROP DEFAULT");
}
