/*
 * Integration: integrity and safe loading.  Each plugin carries its
 * source's SHA-256 from the build; retort_history records one row per
 * executed step inside the step's transaction; `retort check` refuses (exit
 * 2) an applied revision whose plugin is missing or changed since it ran
 * and a plugin older than its source, and says (exit 1) when the database
 * is behind; plugins others can write are refused unless --unsafe-plugins.
 *
 * Links the runner's core as well as the harness: the audit functions and
 * plugin discovery are exercised directly, then through the real binary.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <dlfcn.h>
#include <errno.h>
#include <pwd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#include "../../plugin_api.h"
#include "store/audit.h"
#include "plugins/checksum.h"
#include "store/db.h"
#include "plugins/plugin.h"

#define at harness_at

#define assert_no_error(call, err)                                             \
	ck_assert_msg((call) == 0, "%s failed: %s [%s]", #call, (err).msg,     \
		      (err).detail)

/* ---- helpers ------------------------------------------------------------ */

/* A fixture's source file, in the source tree. */
static const char *fixture_source(const char *scenario, const char *file)
{
	const char *root = getenv("RETORT_SOURCE_ROOT");
	char real[PATH_MAX];
	const char *path;

	ck_assert_msg(root != NULL, "RETORT_SOURCE_ROOT is not set");
	path = harness_fmt("%s/tests/fixtures/%s/%s", root, scenario, file);
	ck_assert_msg(realpath(path, real) != NULL, "realpath %s: %s", path,
		      strerror(errno));
	return harness_fmt("%s", real);
}

static const char *fixture_plugin(const char *scenario, const char *file)
{
	return harness_fmt("%s/%s", harness_fixture(scenario), file);
}

/* What sha256sum prints for the file: the independent reference. */
static const char *sha256sum(const char *path)
{
	char line[256] = "";
	FILE *p = popen(harness_fmt("sha256sum < '%s'", path), "r");
	char *space;

	ck_assert_msg(p != NULL, "popen sha256sum: %s", strerror(errno));
	ck_assert_msg(fgets(line, sizeof(line), p) != NULL,
		      "no output from sha256sum %s", path);
	ck_assert_int_eq(pclose(p), 0);
	space = strchr(line, ' ');
	if (space)
		*space = '\0';
	ck_assert_uint_eq(strlen(line), 64);
	return harness_fmt("%s", line);
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536];
	size_t n;

	ck_assert_msg(in != NULL, "open %s: %s", from, strerror(errno));
	out = fopen(to, "wb");
	ck_assert_msg(out != NULL, "create %s: %s", to, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(chmod(to, 0755), 0);
}

/* A versions directory (mode 0755) holding some plugins of a scenario. */
static const char *versions_with(const char *scenario,
				 const char *const *plugins)
{
	const char *dir = harness_fmt("%s/versions", harness_tmpdir());

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	for (size_t i = 0; plugins[i]; i++)
		copy_file(fixture_plugin(scenario, plugins[i]),
			  harness_fmt("%s/%s", dir, plugins[i]));
	return dir;
}

static const char *const integrity_plugins[] = { "001_base.so", "002_edited.so",
						 "003_last.so", NULL };

/* The metadata object of a built plugin, read with dlopen. */
static const struct retort_revision *read_revision(const char *path)
{
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	const struct retort_revision *rev;

	ck_assert_msg(handle != NULL, "dlopen %s: %s", path, dlerror());
	rev = dlsym(handle, "retort_revision");
	ck_assert_msg(rev != NULL, "no retort_revision in %s", path);
	/* Left loaded: the test's process ends soon. */
	return rev;
}

static void connect_db(const struct harness_db *hdb, const char *schema,
		       struct db *db)
{
	struct retort_error err = { 0 };

	assert_no_error(
		db_connect(db, hdb->url, "alembic_version", schema, &err), err);
}

static void exec_ok(struct db *db, const char *sql)
{
	PGresult *res = PQexec(db->conn, sql);

	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
		      PQerrorMessage(db->conn));
	PQclear(res);
}

/*
 * Write the upgrade rows a run of scenario would write, with audit_record
 * in a transaction per revision, as migrate.c does.
 */
static void record_upgrades(const struct harness_db *hdb, const char *scenario)
{
	struct retort_error err = { 0 };
	struct plugin_set set;
	struct audit_step step;
	struct db db;

	assert_no_error(plugin_discover(harness_fixture(scenario), &set, &err),
			err);
	connect_db(hdb, NULL, &db);
	assert_no_error(audit_ensure_table(&db, &err), err);
	for (size_t i = 0; i < set.n; i++) {
		exec_ok(&db, "BEGIN");
		audit_step_begin(&step, &set.items[i].meta, PLAN_UPGRADE);
		assert_no_error(audit_record(&db, &step, &err), err);
		exec_ok(&db, "COMMIT");
	}
	db_close(&db);
	plugin_set_release(&set);
}

static const char *history_rows(const struct harness_db *db)
{
	return harness_scalar(db, "SELECT coalesce(string_agg(revision || ' ' "
				  "|| direction, ',' ORDER BY id), '') "
				  "FROM retort_history");
}

/* ---- checksums ---------------------------------------------------------- */

START_TEST(test_checksum_known_values)
{
	struct retort_error err = { 0 };
	char hex[CHECKSUM_HEX_SIZE];
	const char *path;

	assert_no_error(checksum_buffer("abc", 3, hex, &err), err);
	assert_str_eq(
		hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	path = harness_write_file("empty", "%s", "");
	assert_no_error(checksum_file(path, hex, &err), err);
	assert_str_eq(
		hex,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	path = fixture_source("integrity_v1", "002_edited.c");
	assert_no_error(checksum_file(path, hex, &err), err);
	assert_str_eq(hex, sha256sum(path));

	ck_assert_int_eq(checksum_file("/nonexistent/x.c", hex, &err), -1);
	ck_assert_int_eq(err.status, RETORT_USAGE);
	assert_contains(err.msg, "/nonexistent/x.c");
}
END_TEST

START_TEST(test_embedded_checksum_is_the_sources)
{
	const char *src = fixture_source("integrity_v1", "002_edited.c");
	const struct retort_revision *rev =
		read_revision(fixture_plugin("integrity_v1", "002_edited.so"));

	ck_assert_uint_ge(rev->size,
			  offsetof(struct retort_revision, source_path) +
				  sizeof(rev->source_path));
	ck_assert_ptr_nonnull(rev->source_sha256);
	assert_str_eq(rev->source_sha256, sha256sum(src));
	assert_str_eq(rev->source_path, src);

	/* The edited copy has its own. */
	rev = read_revision(fixture_plugin("integrity_v2", "002_edited.so"));
	assert_str_eq(
		rev->source_sha256,
		sha256sum(fixture_source("integrity_v2", "002_edited.c")));
}
END_TEST

START_TEST(test_discover_reads_the_checksum)
{
	struct retort_error err = { 0 };
	struct plugin_set set;
	const struct revision_meta *m;

	assert_no_error(
		plugin_discover(harness_fixture("integrity_v1"), &set, &err),
		err);
	ck_assert_uint_eq(set.n, 3);
	m = &set.items[1].meta;
	assert_str_eq(m->id, "002");
	ck_assert(!m->checksum_of_binary);
	assert_str_eq(m->checksum, sha256sum(fixture_source("integrity_v1",
							    "002_edited.c")));
	assert_str_eq(m->source_path,
		      fixture_source("integrity_v1", "002_edited.c"));
	plugin_set_release(&set);
}
END_TEST

START_TEST(test_no_embedded_checksum_falls_back_to_the_plugin)
{
	struct retort_error err = { 0 };
	struct plugin_set set;
	const char *so = fixture_plugin("integrity_nosum", "001_plain.so");
	char text[AUDIT_CHECKSUM_SIZE];

	ck_assert_ptr_null(read_revision(so)->source_sha256);
	assert_no_error(
		plugin_discover(harness_fixture("integrity_nosum"), &set, &err),
		err);
	ck_assert_uint_eq(set.n, 1);
	ck_assert(set.items[0].meta.checksum_of_binary);
	assert_str_eq(set.items[0].meta.checksum, sha256sum(so));
	ck_assert_ptr_null(set.items[0].meta.source_path);
	audit_checksum_text(&set.items[0].meta, text, sizeof(text));
	assert_str_eq(text, harness_fmt("so:%s", sha256sum(so)));
	plugin_set_release(&set);
}
END_TEST

/* ---- the audit table, through the runner's functions --------------------- */

START_TEST(test_audit_row_only_when_committed)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct plugin_set set;
	struct audit_step step;
	struct db db;
	char host[256] = "";
	const struct harness_result *v;

	assert_no_error(
		plugin_discover(harness_fixture("integrity_v1"), &set, &err),
		err);
	connect_db(hdb, NULL, &db);
	assert_no_error(audit_ensure_table(&db, &err), err);
	assert_no_error(audit_ensure_table(&db, &err), err); /* idempotent */

	/* A step rolled back leaves no row. */
	exec_ok(&db, "BEGIN");
	audit_step_begin(&step, &set.items[0].meta, PLAN_UPGRADE);
	assert_no_error(audit_record(&db, &step, &err), err);
	exec_ok(&db, "ROLLBACK");
	assert_str_eq(
		harness_scalar(hdb, "SELECT count(*) FROM retort_history"),
		"0");

	exec_ok(&db, "BEGIN");
	audit_step_begin(&step, &set.items[1].meta, PLAN_DOWNGRADE);
	assert_no_error(audit_record(&db, &step, &err), err);
	exec_ok(&db, "COMMIT");
	db_close(&db);

	assert_str_eq(history_rows(hdb), "002 downgrade");
	assert_str_eq(
		harness_scalar(hdb, "SELECT checksum FROM retort_history"),
		sha256sum(fixture_source("integrity_v1", "002_edited.c")));
	assert_str_eq(harness_scalar(hdb, "SELECT db_user = current_user "
					  "FROM retort_history"),
		      "t");
	gethostname(host, sizeof(host) - 1);
	assert_str_eq(
		harness_scalar(hdb, "SELECT client_host FROM retort_history"),
		host);
	v = harness_retort(&(struct harness_run){ 0 }, "--version", NULL);
	assert_str_eq(harness_fmt("retort %s\n",
				  harness_scalar(hdb, "SELECT runner_version "
						      "FROM retort_history")),
		      v->out);
	assert_str_eq(harness_scalar(hdb, "SELECT version_table "
					  "FROM retort_history"),
		      "alembic_version");
	assert_str_eq(harness_scalar(hdb,
				     "SELECT finished_at >= started_at AND "
				     "duration_ms >= 0 AND finished_at > "
				     "now() - interval '1 minute' "
				     "FROM retort_history"),
		      "t");
	plugin_set_release(&set);
}
END_TEST

START_TEST(test_audit_record_sql_in_one_round_trip)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct plugin_set set;
	struct audit_step step;
	struct db db;
	char *sql = NULL;

	assert_no_error(
		plugin_discover(harness_fixture("integrity_nosum"), &set, &err),
		err);
	connect_db(hdb, NULL, &db);
	assert_no_error(audit_ensure_table(&db, &err), err);
	audit_step_begin(&step, &set.items[0].meta, PLAN_UPGRADE);
	assert_no_error(audit_record_sql(&db, &step, &sql, &err), err);
	exec_ok(&db, harness_fmt("BEGIN; %s; COMMIT", sql));
	free(sql);
	db_close(&db);
	assert_str_eq(history_rows(hdb), "001 upgrade");
	assert_str_eq(
		harness_scalar(hdb, "SELECT checksum FROM retort_history"),
		harness_fmt("so:%s",
			    sha256sum(fixture_plugin("integrity_nosum",
						     "001_plain.so"))));
	plugin_set_release(&set);
}
END_TEST

START_TEST(test_audit_table_beside_the_version_table)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct db db;

	harness_exec(hdb, "CREATE SCHEMA \"Mig \"\"s\"\"\"");
	connect_db(hdb, "Mig \"s\"", &db);
	assert_no_error(db_ensure_version_table(&db, &err), err);
	assert_no_error(audit_ensure_table(&db, &err), err);
	db_close(&db);
	ck_assert(
		harness_table_exists(hdb, "\"Mig \"\"s\"\"\".retort_history"));
	ck_assert(!harness_table_exists(hdb, "public.retort_history"));
}
END_TEST

START_TEST(test_audit_last_checksums)
{
	const struct harness_db *hdb = harness_db_fresh(__func__);
	struct retort_error err = { 0 };
	struct audit_checksums list;
	const struct audit_checksum *c;
	struct db db;

	connect_db(hdb, NULL, &db);
	assert_no_error(audit_last_checksums(&db, &list, &err), err);
	ck_assert_uint_eq(list.n, 0); /* no table yet */
	assert_no_error(audit_ensure_table(&db, &err), err);
	harness_exec(hdb, "INSERT INTO retort_history (revision, direction, "
			  "checksum, started_at, finished_at, duration_ms, "
			  "runner_version, version_table) VALUES "
			  "('002', 'upgrade', 'one', now(), now(), 0, 'x', "
			  "'alembic_version'), "
			  "('002', 'downgrade', 'two', now(), now(), 0, 'x', "
			  "'alembic_version'), "
			  "('002', 'upgrade', 'three', now(), now(), 0, 'x', "
			  "'alembic_version'), "
			  "('001', 'upgrade', NULL, now(), now(), 0, 'x', "
			  "'alembic_version'), "
			  "('002', 'upgrade', 'other', now(), now(), 0, 'x', "
			  "'other_version')");
	assert_no_error(audit_last_checksums(&db, &list, &err), err);
	db_close(&db);
	ck_assert_uint_eq(list.n, 2);
	c = audit_checksums_find(&list, "002");
	ck_assert_ptr_nonnull(c);
	assert_str_eq(c->checksum, "three");
	c = audit_checksums_find(&list, "001");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->checksum);
	ck_assert_ptr_null(audit_checksums_find(&list, "003"));
	audit_checksums_release(&list);
}
END_TEST

/* ---- retort check -------------------------------------------------------- */

START_TEST(test_check_behind_then_at_head)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = at(db, "integrity_v1", "check", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "Target database is not up to date.");

	assert_ok(at(db, "integrity_v1", "upgrade", "+1", NULL));
	assert_exit(at(db, "integrity_v1", "check", NULL), 1);

	assert_ok(at(db, "integrity_v1", "upgrade", "head", NULL));
	r = at(db, "integrity_v1", "check", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "");
}
END_TEST

START_TEST(test_check_edited_after_upgrade)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *was =
		sha256sum(fixture_source("integrity_v1", "002_edited.c"));
	const char *now =
		sha256sum(fixture_source("integrity_v2", "002_edited.c"));
	const struct harness_result *r;

	assert_ok(at(db, "integrity_v1", "upgrade", "head", NULL));
	record_upgrades(db, "integrity_v1");
	assert_ok(at(db, "integrity_v1", "check", NULL));

	r = at(db, "integrity_v2", "check", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: applied revision '002' was "
				"changed after it ran");
	assert_contains(r->err, was);
	assert_contains(r->err, now);
	assert_contains(r->err, "--allow-changed");
	assert_not_contains(r->err, "'001'");
	assert_not_contains(r->err, "revision 003");
	assert_str_eq(r->out, "");

	r = at(db, "integrity_v2", "--allow-changed", "check", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "");
}
END_TEST

/* Unchanged revisions applied before the trail existed are not reported. */
START_TEST(test_check_without_history_rows)
{
	const struct harness_db *db = harness_db_fresh(__func__);

	harness_exec(db, "CREATE TABLE alembic_version (version_num "
			 "varchar(32) PRIMARY KEY); INSERT INTO "
			 "alembic_version VALUES ('003')");
	assert_ok(at(db, "integrity_v2", "check", NULL));
}
END_TEST

START_TEST(test_check_missing_applied_plugin)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	static const char *const two[] = { "001_base.so", "002_edited.so",
					   NULL };
	const char *dir;
	const struct harness_result *r;

	assert_ok(at(db, "integrity_v1", "upgrade", "head", NULL));
	dir = versions_with("integrity_v1", two);
	r = at(db, dir, "check", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "applied revision '003' has no plugin in");
	assert_contains(r->err, dir);
	assert_contains(r->err, "alembic_version");
}
END_TEST

/* Below the head, the graph itself is broken: refused before connecting. */
START_TEST(test_check_missing_plugin_below_head)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	static const char *const gap[] = { "001_base.so", "003_last.so", NULL };
	const char *dir;
	const struct harness_result *r;

	assert_ok(at(db, "integrity_v1", "upgrade", "head", NULL));
	dir = versions_with("integrity_v1", gap);
	r = at(db, dir, "check", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "003");
	assert_contains(r->err, "002");
}
END_TEST

START_TEST(test_check_stale_build)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *src = fixture_source("integrity_stale", "001_stale.c");
	const struct harness_result *r =
		at(db, "integrity_stale", "check", NULL);

	assert_exit(r, 2);
	assert_contains(r->err, "001_stale.so\" is older than its source");
	assert_contains(r->err, "0000000000000000000000000000000000000000000"
				"000000000000000000000");
	assert_contains(r->err, src);
	assert_contains(r->err, sha256sum(src));
	assert_contains(r->err, "meson compile");
	/* --allow-changed is for applied revisions, not for stale builds. */
	assert_exit(at(db, "integrity_stale", "--allow-changed", "check", NULL),
		    2);
}
END_TEST

/* ---- safe loading ------------------------------------------------------- */

START_TEST(test_plugin_writable_by_others_refused)
{
	const char *dir = versions_with("integrity_v1", integrity_plugins);
	const char *so = harness_fmt("%s/002_edited.so", dir);
	struct harness_run how = { .versions = dir };
	const struct harness_result *r;

	assert_ok(harness_retort(&how, "history", NULL));
	ck_assert_int_eq(chmod(so, 0757), 0);
	r = harness_retort(&how, "history", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, harness_fmt("revision plugin \"%s\" is "
					    "writable by others",
					    so));
	assert_contains(r->err, "mode 0757");
	assert_contains(r->err, harness_fmt("chmod go-w '%s'", so));
	assert_contains(r->err, "--unsafe-plugins");
	assert_str_eq(r->out, "");

	r = harness_retort(&how, "--unsafe-plugins", "history", NULL);
	assert_ok(r);
	assert_contains(r->out, "002");
}
END_TEST

/* Group-writable is refused unless the group is the owner's alone. */
START_TEST(test_plugin_writable_by_group_refused)
{
	const char *dir = versions_with("integrity_v1", integrity_plugins);
	const char *so = harness_fmt("%s/001_base.so", dir);
	struct harness_run how = { .versions = dir };
	const struct harness_result *r;
	gid_t groups[64];
	int n = getgroups(64, groups);
	gid_t other = (gid_t)-1;

	/* A group the file may be given that is not a private one. */
	if (geteuid() == 0)
		other = 54321; /* no such group: certainly not private */
	for (int i = 0; other == (gid_t)-1 && i < n; i++)
		if (groups[i] != getegid())
			other = groups[i];
	if (other == (gid_t)-1)
		return; /* no second group to try with */
	ck_assert_int_eq(chown(so, (uid_t)-1, other), 0);
	ck_assert_int_eq(chmod(so, 0775), 0);
	r = harness_retort(&how, "history", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "is writable by its group");
	assert_contains(r->err, harness_fmt("chmod go-w '%s'", so));
	assert_ok(harness_retort(&how, "--unsafe-plugins", "history", NULL));
}
END_TEST

START_TEST(test_versions_dir_writable_by_others_refused)
{
	const char *dir = versions_with("integrity_v1", integrity_plugins);
	struct harness_run how = { .versions = dir };
	const struct harness_result *r;

	ck_assert_int_eq(chmod(dir, 01777), 0); /* sticky does not help */
	r = harness_retort(&how, "heads", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, harness_fmt("versions directory \"%s\" is "
					    "writable by others",
					    dir));
	assert_contains(r->err, harness_fmt("chmod go-w '%s'", dir));
	assert_ok(harness_retort(&how, "--unsafe-plugins", "heads", NULL));
}
END_TEST

/* heads through how: refused (exit 2) for a plugin owned by uid 54321. */
static void assert_refused_owner(const struct harness_run *how)
{
	const struct harness_result *r = harness_retort(how, "heads", NULL);

	assert_exit(r, 2);
	assert_contains(r->err, "is owned by another user");
	assert_contains(r->err, "uid 54321");
	assert_str_eq(r->out, "");
}

/*
 * Only the runner's user and root may own a plugin.  Only root can give a
 * file away, so the test needs root; it then runs retort as root and, as
 * a deploy would, as a user without root (nobody), whose own plugins and
 * root's are trusted and another user's are not.
 */
START_TEST(test_plugin_of_another_owner_refused)
{
	const char *dir = versions_with("integrity_v1", integrity_plugins);
	const char *so = harness_fmt("%s/003_last.so", dir);
	struct harness_run how = { .versions = dir };
	const struct passwd *nobody;

	if (geteuid() != 0)
		return; /* only root can give a file away */
	ck_assert_int_eq(chown(so, 54321, (gid_t)-1), 0);
	assert_refused_owner(&how);
	assert_ok(harness_retort(&how, "--unsafe-plugins", "heads", NULL));

	if (!harness_can_run_as("nobody"))
		return;
	how.user = "nobody";
	assert_refused_owner(&how);
	assert_contains(harness_retort(&how, "heads", NULL)->err,
			harness_fmt("retort runs as uid %u",
				    (unsigned)getpwnam("nobody")->pw_uid));
	assert_ok(harness_retort(&how, "--unsafe-plugins", "heads", NULL));
	nobody = getpwnam("nobody");
	ck_assert_int_eq(chown(so, nobody->pw_uid, (gid_t)-1), 0);
	assert_ok(
		harness_retort(&how, "heads", NULL)); /* its own, and root's */
}
END_TEST

/* ---- through the runner: needs audit_record wired into migrate.c -------- */

START_TEST(test_upgrade_writes_a_row_per_step)
{
	const struct harness_db *db = harness_db_fresh(__func__);

	assert_ok(at(db, "integrity_v1", "upgrade", "head", NULL));
	assert_str_eq(history_rows(db), "001 upgrade,002 upgrade,003 upgrade");
	assert_str_eq(
		harness_scalar(db, "SELECT checksum FROM retort_history "
				   "WHERE revision = '002'"),
		sha256sum(fixture_source("integrity_v1", "002_edited.c")));
	assert_ok(at(db, "integrity_v1", "downgrade", "-1", NULL));
	assert_str_eq(history_rows(db), "001 upgrade,002 upgrade,003 upgrade,"
					"003 downgrade");
}
END_TEST

START_TEST(test_failing_step_leaves_no_row)
{
	const struct harness_db *db = harness_db_fresh(__func__);

	assert_exit(at(db, "failing", "upgrade", "head", NULL), 1);
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_str_eq(history_rows(db), "001 upgrade,002 upgrade");
}
END_TEST

START_TEST(test_upgrade_refuses_an_edited_revision)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "integrity_v1", "upgrade", "002", NULL));
	r = at(db, "integrity_v2", "upgrade", "head", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "applied revision '002' was changed");
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_str_eq(r->out, "");

	assert_ok(at(db, "integrity_v2", "--allow-changed", "upgrade", "head",
		     NULL));
	assert_str_eq(harness_versions(db, NULL), "003");
	r = at(db, "integrity_v2", "check", NULL);
	assert_exit(r, 2); /* still changed: allowed once, not forgotten */
}
END_TEST

START_TEST(test_upgrade_refuses_a_stale_build)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r =
		at(db, "integrity_stale", "upgrade", "head", NULL);

	assert_exit(r, 2);
	assert_contains(r->err, "is older than its source");
	ck_assert(!harness_table_exists(db, "st_a"));
}
END_TEST

/*
 * The checks guard what an upgrade runs: at head nothing runs, so an
 * edited applied revision is for `retort check` to report, and the
 * upgrade has nothing to refuse.
 */
START_TEST(test_upgrade_at_head_runs_nothing_to_refuse)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "integrity_v1", "upgrade", "head", NULL));
	r = at(db, "integrity_v2", "upgrade", "head", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "");
	assert_str_eq(harness_versions(db, NULL), "003");
	assert_exit(at(db, "integrity_v2", "check", NULL), 2);
}
END_TEST

/*
 * A downgrade runs revision code as much as an upgrade does: an applied
 * revision edited since it ran is refused (exit 2, nothing run) unless
 * --allow-changed says the edit is meant.
 */
START_TEST(test_downgrade_refuses_an_edited_revision)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "integrity_v1", "upgrade", "head", NULL));
	r = at(db, "integrity_v2", "downgrade", "001", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "applied revision '002' was changed");
	assert_contains(r->err, "002_edited.so");
	assert_contains(r->err, "--allow-changed");
	assert_str_eq(r->out, "");
	assert_str_eq(harness_versions(db, NULL), "003");
	ck_assert(harness_table_exists(db, "iv_c"));
	assert_str_eq(history_rows(db), "001 upgrade,002 upgrade,003 upgrade");

	/* The command's own option, as upgrade and check take it. */
	r = at(db, "integrity_v2", "downgrade", "--allow-changed", "001", NULL);
	assert_ok(r);
	assert_str_eq(harness_versions(db, NULL), "001");
	ck_assert(!harness_table_exists(db, "iv_b"));
	/* Unchanged plugins downgrade as before. */
	assert_ok(at(db, "integrity_v1", "downgrade", "base", NULL));
	assert_str_eq(harness_versions(db, NULL), "");
}
END_TEST

START_TEST(test_downgrade_refuses_a_stale_build)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	assert_ok(at(db, "integrity_stale", "stamp", "001", NULL));
	harness_exec(db, "CREATE TABLE st_a (id int PRIMARY KEY)");
	r = at(db, "integrity_stale", "downgrade", "base", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "001_stale.so\" is older than its source");
	assert_str_eq(r->out, "");
	assert_str_eq(harness_versions(db, NULL), "001");
	ck_assert(harness_table_exists(db, "st_a"));
}
END_TEST

/* upgrade's own --allow-changed (after the command) is heard too. */
START_TEST(test_upgrade_allow_changed_after_the_command)
{
	const struct harness_db *db = harness_db_fresh(__func__);

	assert_ok(at(db, "integrity_v1", "upgrade", "002", NULL));
	assert_exit(at(db, "integrity_v2", "upgrade", "head", NULL), 2);
	assert_ok(at(db, "integrity_v2", "upgrade", "--allow-changed", "head",
		     NULL));
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

static Suite *integrity_suite(void)
{
	Suite *s = suite_create("integrity");
	TCase *tc = harness_tcase("checksums");

	tcase_add_test(tc, test_checksum_known_values);
	tcase_add_test(tc, test_embedded_checksum_is_the_sources);
	tcase_add_test(tc, test_discover_reads_the_checksum);
	tcase_add_test(tc, test_no_embedded_checksum_falls_back_to_the_plugin);
	suite_add_tcase(s, tc);

	tc = harness_tcase("audit");
	tcase_add_test(tc, test_audit_row_only_when_committed);
	tcase_add_test(tc, test_audit_record_sql_in_one_round_trip);
	tcase_add_test(tc, test_audit_table_beside_the_version_table);
	tcase_add_test(tc, test_audit_last_checksums);
	suite_add_tcase(s, tc);

	tc = harness_tcase("check");
	tcase_add_test(tc, test_check_behind_then_at_head);
	tcase_add_test(tc, test_upgrade_at_head_runs_nothing_to_refuse);
	tcase_add_test(tc, test_check_edited_after_upgrade);
	tcase_add_test(tc, test_check_without_history_rows);
	tcase_add_test(tc, test_check_missing_applied_plugin);
	tcase_add_test(tc, test_check_missing_plugin_below_head);
	tcase_add_test(tc, test_check_stale_build);
	suite_add_tcase(s, tc);

	tc = harness_tcase("safe_loading");
	tcase_add_test(tc, test_plugin_writable_by_others_refused);
	tcase_add_test(tc, test_plugin_writable_by_group_refused);
	tcase_add_test(tc, test_versions_dir_writable_by_others_refused);
	tcase_add_test(tc, test_plugin_of_another_owner_refused);
	suite_add_tcase(s, tc);

	tc = harness_tcase("runner");
	tcase_add_test(tc, test_upgrade_writes_a_row_per_step);
	tcase_add_test(tc, test_failing_step_leaves_no_row);
	tcase_add_test(tc, test_upgrade_refuses_an_edited_revision);
	tcase_add_test(tc, test_upgrade_refuses_a_stale_build);
	tcase_add_test(tc, test_downgrade_refuses_an_edited_revision);
	tcase_add_test(tc, test_downgrade_refuses_a_stale_build);
	tcase_add_test(tc, test_upgrade_allow_changed_after_the_command);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(integrity_suite(), HARNESS_NEEDS_DB);
}
