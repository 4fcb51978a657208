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
#include "exec/migrate.h"
#include "fleet/undo.h"
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

/* The runner's core set up as a fleet's child sets it up: the linear
 * revisions loaded, connected, cfg.fleet_run = run. */
static void core_open(struct app *app, const struct harness_db *db,
		      const char *run)
{
	struct retort_error err = { 0 };
	int rc;

	memset(app, 0, sizeof(*app));
	app->out = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(app->out);
	ck_assert_int_eq(config_init(&app->cfg, &err), 0);
	free(app->cfg.versions); /* the default config_init() set */
	app->cfg.versions = strdup(harness_fixture("linear"));
	app->cfg.versions_only = true;
	app->cfg.no_build = true;
	app->cfg.url = strdup(db->url);
	app->cfg.fleet_run = strdup(run);
	lease_init_holder();
	rc = app_load_revisions(app, 0, &err);
	if (rc == 0)
		rc = app_connect(app, &err);
	ck_assert_msg(rc == 0, "cannot set up: %s / %s", err.msg, err.detail);
}

static void core_close(struct app *app)
{
	fclose(app->out);
	app_release(app);
}

/* `retort upgrade target` as a fleet's child runs it: cfg.fleet_run set. */
static void fleet_upgrade(const struct harness_db *db, const char *target)
{
	struct app app;
	struct cmd_args args = { .positional = { target }, .npositional = 1 };
	struct retort_error err = { 0 };

	core_open(&app, db, RUN_ID);
	ck_assert_msg(cmd_upgrade(&app, &args, &err) == 0,
		      "fleet upgrade failed: %s / %s", err.msg, err.detail);
	core_close(&app);
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

/* ---- the undo of a run ---- */

/* "a,b" of a list of ids. */
static const char *joined(char *const *ids, size_t n)
{
	const char *s = "";

	for (size_t i = 0; i < n; i++)
		s = harness_fmt("%s%s%s", s, i ? "," : "", ids[i]);
	return s;
}

/* What run did to db, as "upgraded / downgraded". */
static const char *moves_of(struct app *app, const char *run)
{
	struct fleet_moves m;
	struct retort_error err = { 0 };
	const char *s;

	ck_assert_msg(fleet_moves_read(&app->db, run, &m, &err) == 0,
		      "fleet_moves_read: %s / %s", err.msg, err.detail);
	s = harness_fmt("%s / %s", joined(m.upgraded, m.nupgraded),
			joined(m.downgraded, m.ndowngraded));
	fleet_moves_release(&m);
	return s;
}

/* The undo of run on db: 0 with the plan run, or -1 with err filled. */
static int undo_run(struct app *app, const char *run, struct plan *plan,
		    struct retort_error *err)
{
	struct step_opts opts = { .cfg = &app->cfg };
	struct fleet_moves m;
	struct revstate st;
	int rc;

	ck_assert_int_eq(fleet_moves_read(&app->db, run, &m, err), 0);
	ck_assert_int_eq(app_read_state(app, &st, err), 0);
	rc = fleet_undo_plan(app->map, &st, &m, plan, err);
	if (rc == 0)
		rc = migrate_run(&app->db, app->map, plan, &opts, err);
	revstate_release(&st);
	fleet_moves_release(&m);
	return rc;
}

START_TEST(test_undo_takes_the_run_back)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct plan plan = { 0 };
	struct app app;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "001", NULL));
	fleet_upgrade(db, "heads");
	core_open(&app, db, "20261208T040000Z-0000ff");
	assert_str_eq(moves_of(&app, RUN_ID), "002,003 / ");
	ck_assert_msg(undo_run(&app, RUN_ID, &plan, &err) == 0, "undo: %s",
		      err.msg);
	ck_assert_uint_eq(plan.n, 2);
	assert_str_eq(app.map->revs[plan.steps[0].rev].meta->id, "003");
	assert_str_eq(app.map->revs[plan.steps[1].rev].meta->id, "002");
	plan_release(&plan);
	core_close(&app);
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_str_eq(harness_scalar(db, "SELECT string_agg(revision || ' ' || "
					 "direction, ',' ORDER BY id) FROM "
					 "retort_history WHERE fleet_run = "
					 "'20261208T040000Z-0000ff'"),
		      "003 downgrade,002 downgrade");
}
END_TEST

START_TEST(test_undo_refused_when_the_database_moved)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct plan plan = { 0 };
	struct app app;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "002", NULL));
	fleet_upgrade(db, "heads");
	assert_ok(harness_at(db, "linear", "-q", "downgrade", "002", NULL));
	core_open(&app, db, "20261208T040000Z-0000ff");
	ck_assert_int_eq(undo_run(&app, RUN_ID, &plan, &err), -1);
	ck_assert_int_eq(err.status, RETORT_FAILED);
	assert_contains(err.msg, "revision 003 is no longer applied");
	core_close(&app);
	assert_str_eq(harness_versions(db, NULL), "002");
}
END_TEST

START_TEST(test_moves_are_the_run_s_net_effect)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct app app;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "001", NULL));
	fleet_upgrade(db, "002");
	/* Another run's rows, written as a run that went up to 003 and back
	 * down to 002 would write them. */
	harness_exec(db,
		     "INSERT INTO retort_history (revision, direction, "
		     "started_at, finished_at, duration_ms, runner_version, "
		     "version_table, fleet_run) SELECT r, d, now(), now(), "
		     "0, 'x', 'alembic_version', 'R2' FROM (VALUES "
		     "(1, '003', 'upgrade'), (2, '003', 'downgrade'), "
		     "(3, '002', 'downgrade')) AS t(n, r, d) ORDER BY n");
	core_open(&app, db, "20261208T040000Z-0000ff");
	assert_str_eq(moves_of(&app, RUN_ID), "002 / ");
	assert_str_eq(moves_of(&app, "R2"), " / 002");
	assert_str_eq(moves_of(&app, "no-such-run"), " / ");
	core_close(&app);
}
END_TEST

START_TEST(test_no_history_or_an_old_table_is_no_move)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct app app;

	core_open(&app, db, "20261208T040000Z-0000ff");
	assert_str_eq(moves_of(&app, RUN_ID), " / ");
	harness_exec(db, OLD_HISTORY);
	assert_str_eq(moves_of(&app, RUN_ID), " / ");
	core_close(&app);
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

	tc = harness_tcase("undo");
	tcase_add_test(tc, test_undo_takes_the_run_back);
	tcase_add_test(tc, test_undo_refused_when_the_database_moved);
	tcase_add_test(tc, test_moves_are_the_run_s_net_effect);
	tcase_add_test(tc, test_no_history_or_an_old_table_is_no_move);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(fleet_run_suite(), HARNESS_NEEDS_DB);
}
