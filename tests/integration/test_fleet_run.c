/*
 * Integration: the fleet run id in retort_history.  A fleet's child runs
 * a plan with cfg.fleet_run set: here the test plays that child, linking
 * the runner's core and running `upgrade` in-process with the id set, as
 * the fleet command's children do.  What the database then holds, and
 * what the real binary's `retort log` shows, are checked: a single run
 * writes NULL, a table made before the column existed is read as it is
 * and left without it by a single run, and gets it from a fleet run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "cli/cmd.h"
#include "store/lease.h"

#define RUN_ID "20261208T031500Z-a1b2c3"

/* retort_history as retort made it before fleet runs existed. */
#define OLD_HISTORY                                                            \
	"CREATE TABLE retort_history (id bigserial PRIMARY KEY, "              \
	"revision varchar(32) NOT NULL, direction text NOT NULL "              \
	"CHECK (direction IN ('upgrade', 'downgrade')), checksum text, "       \
	"started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL, "  \
	"duration_ms numeric NOT NULL, "                                       \
	"db_user text NOT NULL DEFAULT current_user, client_host text, "       \
	"runner_version text NOT NULL, version_table text NOT NULL)"

#define HAS_COLUMN                                                             \
	"SELECT count(*) FROM information_schema.columns "                     \
	"WHERE table_name = 'retort_history' AND column_name = 'fleet_run'"

/* `retort upgrade target` as a fleet's child runs it: cfg.fleet_run set. */
static void fleet_upgrade(const struct harness_db *db, const char *target)
{
	struct app app = { 0 };
	struct cmd_args args = { .positional = { target }, .npositional = 1 };
	struct retort_error err = { 0 };
	FILE *out = fopen("/dev/null", "w");
	int rc;

	ck_assert_ptr_nonnull(out);
	app.out = out;
	ck_assert_int_eq(config_init(&app.cfg, &err), 0);
	app.cfg.versions = strdup(harness_fixture("linear"));
	app.cfg.versions_only = true;
	app.cfg.no_build = true;
	app.cfg.url = strdup(db->url);
	app.cfg.fleet_run = strdup(RUN_ID);
	lease_init_holder();
	rc = app_load_revisions(&app, 0, &err);
	if (rc == 0)
		rc = app_connect(&app, &err);
	if (rc == 0)
		rc = cmd_upgrade(&app, &args, &err);
	ck_assert_msg(rc == 0, "fleet upgrade failed: %s / %s", err.msg,
		      err.detail);
	app_release(&app);
	fclose(out);
}

START_TEST(test_fleet_rows_carry_the_run)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "001", NULL));
	fleet_upgrade(db, "heads");
	assert_str_eq(harness_scalar(db, "SELECT string_agg(revision || '=' || "
					 "coalesce(fleet_run, 'NULL'), ',' "
					 "ORDER BY id) FROM retort_history"),
		      "001=NULL,002=" RUN_ID ",003=" RUN_ID);
	r = harness_at(db, "linear", "log", NULL);
	assert_ok(r);
	assert_contains(r->out, "FLEET RUN");
	assert_contains(r->out, RUN_ID);
	r = harness_at(db, "linear", "log", "--json", NULL);
	assert_ok(r);
	assert_contains(r->out, "\"fleet_run\":\"" RUN_ID "\"");
	assert_contains(r->out, "\"fleet_run\":null");
}
END_TEST

START_TEST(test_single_run_log_has_no_fleet_column)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "heads", NULL));
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM retort_history "
					   "WHERE fleet_run IS NULL"),
			 3);
	r = harness_at(db, "linear", "log", NULL);
	assert_ok(r);
	assert_not_contains(r->out, "FLEET RUN");
}
END_TEST

START_TEST(test_old_table_read_and_left_alone_by_a_single_run)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	harness_exec(db, OLD_HISTORY);
	assert_ok(harness_at(db, "linear", "-q", "upgrade", "002", NULL));
	assert_str_eq(harness_scalar(db, HAS_COLUMN), "0");
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM retort_history"), 2);
	r = harness_at(db, "linear", "log", NULL);
	assert_ok(r);
	assert_contains(r->out, "002");
	assert_not_contains(r->out, "FLEET RUN");
	r = harness_at(db, "linear", "log", "--json", NULL);
	assert_ok(r);
	assert_contains(r->out, "\"fleet_run\":null");
	assert_not_contains(r->out, "\"fleet_run\":\"");

	fleet_upgrade(db, "heads");
	assert_str_eq(harness_scalar(db, HAS_COLUMN), "1");
	assert_str_eq(harness_scalar(db, "SELECT string_agg(revision || '=' || "
					 "coalesce(fleet_run, 'NULL'), ',' "
					 "ORDER BY id) FROM retort_history"),
		      "001=NULL,002=NULL,003=" RUN_ID);
	r = harness_at(db, "linear", "log", "-n", "1", NULL);
	assert_ok(r);
	assert_contains(r->out, RUN_ID);
}
END_TEST

static Suite *fleet_run_suite(void)
{
	Suite *s = suite_create("fleet_run");
	TCase *tc = harness_tcase("history");

	tcase_add_test(tc, test_fleet_rows_carry_the_run);
	tcase_add_test(tc, test_single_run_log_has_no_fleet_column);
	tcase_add_test(tc, test_old_table_read_and_left_alone_by_a_single_run);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(fleet_run_suite(), HARNESS_NEEDS_DB);
}
