/*
 * Integration: --json on current, history, heads, branches, show and
 * check, and `retort log`, against a real database.  Every document is
 * read with json-c, not with retort's own writer, and its fields are
 * compared with what the text output and the database say: the same
 * revisions in the same order, the flags, a hostile message byte for
 * byte, the trail's rows newest first and only this version table's.
 */
#include "harness.h"

#include <sys/stat.h>

#include "json_doc.h"

/* json_graph's 002a: a quote, a backslash, a line break, a tab, a bell,
 * ESC, a C1 control and non-ASCII text. */
#define HOSTILE                                                                \
	"say \"hi\" \\ back\nslash\ttab \a bell \x1b[2J csi \xc2\x9b "         \
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98"

/* An array of strings as "a,b,c". */
static const char *joined(json_object *obj, const char *key)
{
	json_object *arr = doc_field(obj, key);
	const char *out = "";

	ck_assert_msg(json_object_is_type(arr, json_type_array),
		      "\"%s\" is no array in %s", key,
		      json_object_to_json_string(obj));
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		out = harness_fmt("%s%s%s", out, i ? "," : "",
				  json_object_get_string(
					  json_object_array_get_idx(arr, i)));
	return out;
}

/* The "id" of each object of an array, as "a,b,c". */
static const char *ids(json_object *obj, const char *key)
{
	json_object *arr = doc_field(obj, key);
	const char *out = "";

	ck_assert(json_object_is_type(arr, json_type_array));
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		out = harness_fmt(
			"%s%s%s", out, i ? "," : "",
			doc_str(json_object_array_get_idx(arr, i), "id"));
	return out;
}

static json_object *nth(json_object *obj, const char *key, size_t i)
{
	json_object *arr = doc_field(obj, key);

	ck_assert_msg(i < json_object_array_length(arr),
		      "\"%s\" has no item %zu in %s", key, i,
		      json_object_to_json_string(obj));
	return json_object_array_get_idx(arr, i);
}

/* The frame every document has. */
static void assert_frame(json_object *doc, const char *command)
{
	ck_assert_int_eq(json_object_get_int(doc_field(doc, "format_version")),
			 1);
	assert_str_eq(doc_str(doc, "command"), command);
}

/* The ids a text listing names, in order: the word before " (" or ","
 * after "-> " on each line (history, heads), or the first word. */
static const char *text_ids(const char *text)
{
	const char *out = "", *line = text;

	while (*line) {
		const char *arrow = strstr(line, "-> ");
		const char *nl = strchr(line, '\n');
		const char *start = arrow && arrow < nl ? arrow + 3 : line;
		size_t len = strcspn(start, " ,\n");

		out = harness_fmt("%s%s%.*s", out, *out ? "," : "", (int)len,
				  start);
		line = nl + 1;
	}
	return out;
}

START_TEST(test_history_fields)
{
	const struct harness_result *r =
		harness_at(NULL, "json_graph", "history", "--json", NULL);
	json_object *doc, *rev;

	assert_ok(r);
	doc = doc_parse(r);
	assert_frame(doc, "history");
	assert_str_eq(ids(doc, "revisions"), "003,002b,002a,001");
	assert_str_eq(
		ids(doc, "revisions"),
		text_ids(harness_at(NULL, "json_graph", "history", NULL)->out));

	rev = nth(doc, "revisions", 2);
	assert_str_eq(doc_str(rev, "id"), "002a");
	assert_str_eq(doc_str(rev, "message"), HOSTILE);
	assert_str_eq(joined(rev, "down_revisions"), "001");
	assert_str_eq(joined(rev, "branch_labels"), "lefty,trunk");
	assert_str_eq(joined(rev, "depends_on"), "");
	assert_str_eq(joined(rev, "children"), "003");
	assert_str_eq(doc_str(rev, "create_date"), "2026-11-24 11:00:00+00");
	ck_assert(!doc_flag(rev, "is_head") && !doc_flag(rev, "is_merge") &&
		  !doc_flag(rev, "is_branch_point"));
	ck_assert(doc_is_null(rev, "is_current") &&
		  doc_is_null(rev, "is_applied"));
	ck_assert_uint_eq(strlen(doc_str(rev, "checksum")), 64);
	assert_ends_with(doc_str(rev, "path"), "/json_graph/002a_left.so");
	assert_ends_with(doc_str(rev, "source_path"),
			 "/json_graph/002a_left.c");

	rev = nth(doc, "revisions", 1);
	assert_str_eq(joined(rev, "depends_on"), "lefty");
	assert_str_eq(joined(rev, "branch_labels"), "trunk");
	rev = nth(doc, "revisions", 0);
	ck_assert(doc_flag(rev, "is_head") && doc_flag(rev, "is_merge"));
	ck_assert(!doc_flag(rev, "is_effective_head"));
	assert_str_eq(joined(rev, "down_revisions"), "002a,002b");
	rev = nth(doc, "revisions", 3);
	ck_assert(doc_flag(rev, "is_branch_point"));
	assert_str_eq(joined(rev, "children"), "002a,002b");
	assert_str_eq(joined(rev, "down_revisions"), "");
	json_object_put(doc);
}
END_TEST

/* -r narrows the list as it narrows the text; -v changes nothing. */
START_TEST(test_history_range)
{
	const struct harness_result *r =
		harness_at(NULL, "json_graph", "history", "-r", "001:002a",
			   "--json", NULL);
	json_object *doc;

	assert_ok(r);
	doc = doc_parse(r);
	assert_str_eq(ids(doc, "revisions"),
		      text_ids(harness_at(NULL, "json_graph", "history", "-r",
					  "001:002a", NULL)
				       ->out));
	assert_str_eq(ids(doc, "revisions"), "002a,001");
	assert_str_eq(harness_at(NULL, "json_graph", "history", "-v", "-r",
				 "001:002a", "--json", NULL)
			      ->out,
		      r->out);
	json_object_put(doc);
}
END_TEST

/* -i reads the database: is_current and is_applied become booleans. */
START_TEST(test_history_indicate_current)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	json_object *doc;

	assert_ok(harness_at(db, "json_graph", "-q", "upgrade", "002a", NULL));
	doc = doc_parse(
		harness_at(db, "json_graph", "history", "-i", "--json", NULL));
	ck_assert(doc_flag(nth(doc, "revisions", 2), "is_current"));
	ck_assert(doc_flag(nth(doc, "revisions", 3), "is_applied"));
	ck_assert(!doc_flag(nth(doc, "revisions", 3), "is_current"));
	ck_assert(!doc_flag(nth(doc, "revisions", 0), "is_applied"));
	json_object_put(doc);
}
END_TEST

START_TEST(test_heads_and_branches)
{
	json_object *doc;

	doc = doc_parse(harness_at(NULL, "twoheads", "heads", "--json", NULL));
	assert_frame(doc, "heads");
	assert_str_eq(
		ids(doc, "revisions"),
		text_ids(harness_at(NULL, "twoheads", "heads", NULL)->out));
	ck_assert(doc_flag(nth(doc, "revisions", 0), "is_head"));
	json_object_put(doc);

	doc = doc_parse(
		harness_at(NULL, "json_graph", "branches", "--json", NULL));
	assert_frame(doc, "branches");
	assert_str_eq(ids(doc, "revisions"), "001");
	assert_str_eq(joined(nth(doc, "revisions", 0), "children"),
		      "002a,002b");
	json_object_put(doc);

	doc = doc_parse(harness_at(NULL, "linear", "branches", "--json", NULL));
	assert_str_eq(ids(doc, "revisions"), "");
	json_object_put(doc);
}
END_TEST

START_TEST(test_show)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	json_object *doc;

	doc = doc_parse(harness_at(NULL, "json_graph", "show", "lefty",
				   "--json", NULL));
	assert_frame(doc, "show");
	assert_str_eq(ids(doc, "revisions"), "002a");
	assert_str_eq(doc_str(nth(doc, "revisions", 0), "message"), HOSTILE);
	json_object_put(doc);

	assert_ok(harness_at(db, "json_graph", "-q", "upgrade", "001", NULL));
	doc = doc_parse(harness_at(db, "json_graph", "show", "--json",
				   "current", NULL));
	assert_str_eq(ids(doc, "revisions"), "001");
	ck_assert(doc_flag(nth(doc, "revisions", 0), "is_current"));
	json_object_put(doc);
}
END_TEST

/* An error is stderr's alone, with the text's status; stdout is empty. */
START_TEST(test_error_prints_no_document)
{
	const struct harness_result *r = harness_at(NULL, "json_graph", "show",
						    "--json", "nosuch", NULL);

	assert_exit(r, 2);
	assert_str_eq(r->out, "");
	assert_contains(r->err, "Can't locate revision identified by");
}
END_TEST

START_TEST(test_current)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc;

	r = harness_at(db, "json_graph", "current", "--json", NULL);
	assert_ok(r);
	doc = doc_parse(r);
	assert_frame(doc, "current");
	assert_str_eq(ids(doc, "revisions"), "");
	ck_assert(!doc_flag(doc, "up_to_date"));
	assert_str_eq(joined(doc, "backfills"), "");
	json_object_put(doc);

	/* 002b depends on 002a: both are listed, as the text lists them. */
	assert_ok(harness_at(db, "json_graph", "-q", "upgrade", "002b", NULL));
	r = harness_at(db, "json_graph", "current", "--json", "--check-heads",
		       NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "not up to date");
	doc = doc_parse(r);
	assert_str_eq(
		ids(doc, "revisions"),
		text_ids(harness_at(db, "json_graph", "current", NULL)->out));
	assert_str_eq(ids(doc, "revisions"), "002a,002b");
	ck_assert(!doc_flag(nth(doc, "revisions", 0), "is_current"));
	ck_assert(doc_flag(nth(doc, "revisions", 0), "is_applied"));
	ck_assert(doc_flag(nth(doc, "revisions", 1), "is_current"));
	ck_assert(!doc_flag(doc, "up_to_date"));
	json_object_put(doc);

	assert_ok(harness_at(db, "json_graph", "-q", "upgrade", "heads", NULL));
	r = harness_at(db, "json_graph", "current", "-v", "--json",
		       "--check-heads", NULL);
	assert_ok(r);
	doc = doc_parse(r);
	assert_str_eq(ids(doc, "revisions"), "003");
	ck_assert(doc_flag(doc, "up_to_date"));
	json_object_put(doc);
}
END_TEST

static void assert_problem(json_object *doc, const char *kind,
			   const char *message)
{
	json_object *p = nth(doc, "problems", 0);

	ck_assert_uint_eq(json_object_array_length(doc_field(doc, "problems")),
			  1);
	assert_str_eq(doc_str(p, "kind"), kind);
	assert_contains(doc_str(p, "message"), message);
	ck_assert(!doc_flag(doc, "ok"));
}

START_TEST(test_check_verdicts)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc;

	r = harness_at(db, "linear", "check", "--json", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "Target database is not up to date.");
	doc = doc_parse(r);
	assert_frame(doc, "check");
	assert_problem(doc, "not_up_to_date", "not up to date");
	assert_str_eq(doc_str(nth(doc, "problems", 0), "hint"),
		      "Run `retort upgrade heads`.");
	ck_assert(doc_flag(doc, "intact") && !doc_flag(doc, "up_to_date"));
	assert_str_eq(joined(doc, "heads"), "003");
	assert_str_eq(ids(doc, "current"), "");
	assert_str_eq(joined(doc, "pending"), "001,002,003");
	json_object_put(doc);

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "head", NULL));
	r = harness_at(db, "linear", "check", "--json", NULL);
	assert_ok(r);
	doc = doc_parse(r);
	ck_assert(doc_flag(doc, "ok") && doc_flag(doc, "intact") &&
		  doc_flag(doc, "up_to_date"));
	assert_str_eq(ids(doc, "current"), "003");
	assert_str_eq(joined(doc, "pending"), "");
	assert_str_eq(joined(doc, "problems"), "");
	json_object_put(doc);
}
END_TEST

/* A row no plugin defines: exit 2, the rows unknown, the culprit named. */
START_TEST(test_check_missing_plugin)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "head", NULL));
	harness_exec(db, "UPDATE alembic_version SET version_num = 'gone'");
	r = harness_at(db, "linear", "check", "--json", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "applied revision 'gone' has no plugin");
	doc = doc_parse(r);
	assert_problem(doc, "missing_plugin", "'gone' has no plugin");
	assert_contains(joined(nth(doc, "problems", 0), "detail"),
			"'gone' is in the version table");
	ck_assert(!doc_flag(doc, "intact"));
	ck_assert(doc_is_null(doc, "up_to_date") &&
		  doc_is_null(doc, "current"));
	json_object_put(doc);
}
END_TEST

START_TEST(test_check_changed_after_applied)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc;

	assert_ok(
		harness_at(db, "integrity_v1", "-q", "upgrade", "head", NULL));
	r = harness_at(db, "integrity_v2", "check", "--json", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "applied revision '002' was changed");
	doc = doc_parse(r);
	assert_problem(doc, "changed_after_applied", "'002' was changed");
	ck_assert(!doc_flag(doc, "intact") && doc_flag(doc, "up_to_date"));
	assert_str_eq(ids(doc, "current"), "003");
	json_object_put(doc);

	r = harness_at(db, "integrity_v2", "check", "--allow-changed", "--json",
		       NULL);
	assert_ok(r);
	doc = doc_parse(r);
	ck_assert(doc_flag(doc, "ok"));
	json_object_put(doc);
}
END_TEST

START_TEST(test_check_stale_plugin)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc;

	r = harness_at(db, "integrity_stale", "check", "--json", NULL);
	assert_exit(r, 2);
	doc = doc_parse(r);
	assert_problem(doc, "stale_plugin", "older than its source");
	json_object_put(doc);
}
END_TEST

/* --schema's differences are the problem's detail, not stdout's text. */
START_TEST(test_check_schema_differs)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc, *p;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "head", NULL));
	mkdir(harness_fmt("%s/db", harness_tmpdir()), 0755);
	harness_write_file("db/schema.sql", "CREATE TABLE extra (id int);\n");
	r = harness_at(db, "linear", "check", "--schema", "--json", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "does not match db/schema.sql");
	doc = doc_parse(r);
	assert_problem(doc, "schema_differs", "does not match db/schema.sql");
	ck_assert(doc_flag(doc, "intact") && doc_flag(doc, "up_to_date"));
	p = nth(doc, "problems", 0);
	assert_contains(joined(p, "detail"), "create table public.extra");
	assert_not_contains(joined(p, "detail"), "listed above");
	ck_assert(json_object_get_string(nth(p, "detail", 0))[0] != ' ');
	json_object_put(doc);
}
END_TEST

/* ---- log ---- */

START_TEST(test_log_no_table)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc;

	r = harness_at(db, "linear", "log", NULL);
	assert_ok(r);
	assert_starts_with(r->out, "No history: this database has no "
				   "retort_history table");
	ck_assert(!harness_table_exists(db, "retort_history"));

	r = harness_at(db, "linear", "log", "--json", NULL);
	assert_ok(r);
	doc = doc_parse(r);
	assert_frame(doc, "log");
	ck_assert(!doc_flag(doc, "history_table_exists"));
	assert_str_eq(joined(doc, "entries"), "");
	assert_str_eq(doc_str(doc, "version_table"), "alembic_version");
	json_object_put(doc);
}
END_TEST

/* "revision direction" of each entry, as "a up,b down". */
static const char *entries(json_object *doc)
{
	json_object *arr = doc_field(doc, "entries");
	const char *out = "";

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		out = harness_fmt("%s%s%s %s", out, i ? "," : "",
				  doc_str(e, "revision"),
				  doc_str(e, "direction"));
	}
	return out;
}

START_TEST(test_log_after_upgrade_and_downgrade)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc, *e;
	const char *line;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "head", NULL));
	assert_ok(harness_at(db, "linear", "-q", "downgrade", "-1", NULL));

	r = harness_at(db, "linear", "log", "--json", NULL);
	assert_ok(r);
	doc = doc_parse(r);
	ck_assert(doc_flag(doc, "history_table_exists"));
	assert_str_eq(entries(doc),
		      "003 downgrade,003 upgrade,002 upgrade,001 upgrade");
	e = nth(doc, "entries", 0);
	ck_assert(json_object_is_type(doc_field(e, "id"), json_type_int));
	ck_assert_int_gt(
		json_object_get_int64(doc_field(e, "id")),
		json_object_get_int64(doc_field(nth(doc, "entries", 1), "id")));
	ck_assert(json_object_is_type(doc_field(e, "duration_ms"),
				      json_type_double) ||
		  json_object_is_type(doc_field(e, "duration_ms"),
				      json_type_int));
	assert_str_eq(doc_str(e, "db_user"),
		      harness_scalar(db, "SELECT current_user"));
	assert_ends_with(doc_str(e, "started_at"), "Z");
	ck_assert_uint_eq(strlen(doc_str(e, "started_at")),
			  strlen("2026-12-07T21:55:42.123456Z"));
	ck_assert(doc_str(e, "finished_at")[0] != '\0');
	ck_assert(doc_str(e, "runner_version")[0] != '\0');
	assert_str_eq(doc_str(e, "checksum"),
		      harness_scalar(db, "SELECT checksum FROM retort_history "
					 "ORDER BY id DESC LIMIT 1"));
	json_object_put(doc);

	doc = doc_parse(
		harness_at(db, "linear", "log", "-n", "2", "--json", NULL));
	assert_str_eq(entries(doc), "003 downgrade,003 upgrade");
	json_object_put(doc);
	doc = doc_parse(harness_at(db, "linear", "log", "--max-count=1",
				   "--json", NULL));
	assert_str_eq(entries(doc), "003 downgrade");
	json_object_put(doc);

	/* The text: a header, then one aligned row per entry. */
	r = harness_at(db, "linear", "log", NULL);
	assert_ok(r);
	assert_starts_with(r->out, "STARTED (UTC)  ");
	line = strchr(r->out, '\n') + 1;
	ck_assert_msg(strstr(line, "003") && strstr(line, "downgrade") &&
			      strstr(line, "003") < strstr(line, "downgrade"),
		      "first row: %s", harness_oneline(line));
	ck_assert_int_eq((int)(strstr(line, "003") - line),
			 (int)(strstr(r->out, "REVISION") - r->out));
	r = harness_at(db, "linear", "log", "-n", "1", NULL);
	assert_ok(r);
	ck_assert_int_eq((int)harness_count(db, "SELECT 1 FROM retort_history"),
			 4);
	ck_assert_msg(strchr(strchr(r->out, '\n') + 1, '\n')[1] == '\0',
		      "expected a header and one row: %s",
		      harness_oneline(r->out));
}
END_TEST

/* The trail's text is the database's: escaped in the table, exact in
 * the JSON. */
START_TEST(test_log_hostile_cells)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "001", NULL));
	harness_exec(db, "UPDATE retort_history SET client_host = "
			 "E'evil\\x1b[2J\\nhost\\tcaf\\u00e9'");
	r = harness_at(db, "linear", "log", NULL);
	assert_ok(r);
	assert_contains(r->out, "evil\\x1b[2J\\nhost\\tcaf\xc3\xa9");
	assert_not_contains(r->out, "\x1b");
	ck_assert_int_eq(
		(int)(strchr(strchr(r->out, '\n') + 1, '\n') - r->out + 1),
		(int)strlen(r->out));

	doc = doc_parse(harness_at(db, "linear", "log", "--json", NULL));
	assert_str_eq(doc_str(nth(doc, "entries", 0), "client_host"),
		      "evil\x1b[2J\nhost\tcaf\xc3\xa9");
	json_object_put(doc);
}
END_TEST

/* A project directory under the test's own with a retort.ini naming its
 * version table, and a run from there. */
static struct harness_run project(const struct harness_db *db,
				  const char *table, const char *scenario)
{
	struct harness_run how = { .url = db->url, .versions = scenario };

	how.cwd = harness_fmt("%s/%s", harness_tmpdir(), table);
	mkdir(how.cwd, 0755);
	harness_write_file(harness_fmt("%s/retort.ini", table),
			   "[retort]\nversion_table = %s\n", table);
	return how;
}

/* Two projects in one schema: each log shows its own version table's. */
START_TEST(test_log_version_table_filter)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	struct harness_run other = project(db, "other_version", "branched");
	struct harness_run third = project(db, "third", "branched");
	json_object *doc;

	assert_ok(harness_at(db, "linear", "-q", "upgrade", "head", NULL));
	assert_ok(harness_retort(&other, "-q", "upgrade", "heads", NULL));
	ck_assert_int_eq((int)harness_count(db, "SELECT 1 FROM retort_history"),
			 7);

	doc = doc_parse(harness_retort(&other, "log", "--json", NULL));
	assert_str_eq(doc_str(doc, "version_table"), "other_version");
	assert_str_eq(entries(doc), "003 upgrade,002a upgrade,002b "
				    "upgrade,001 upgrade");
	json_object_put(doc);

	r = harness_at(db, "linear", "log", "--json", NULL);
	assert_ok(r);
	doc = doc_parse(r);
	assert_str_eq(entries(doc), "003 upgrade,002 upgrade,001 upgrade");
	json_object_put(doc);

	/* A third version table with no rows yet. */
	r = harness_retort(&third, "log", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "No history: retort has not run a revision for "
			      "version table third on this database.\n");
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = harness_tcase("json");

	tcase_add_test(tc, test_history_fields);
	tcase_add_test(tc, test_history_range);
	tcase_add_test(tc, test_history_indicate_current);
	tcase_add_test(tc, test_heads_and_branches);
	tcase_add_test(tc, test_show);
	tcase_add_test(tc, test_error_prints_no_document);
	tcase_add_test(tc, test_current);
	tcase_add_test(tc, test_check_verdicts);
	tcase_add_test(tc, test_check_missing_plugin);
	tcase_add_test(tc, test_check_changed_after_applied);
	tcase_add_test(tc, test_check_stale_plugin);
	tcase_add_test(tc, test_check_schema_differs);
	suite_add_tcase(s, tc);

	tc = harness_tcase("log");
	tcase_add_test(tc, test_log_no_table);
	tcase_add_test(tc, test_log_after_upgrade_and_downgrade);
	tcase_add_test(tc, test_log_version_table_filter);
	tcase_add_test(tc, test_log_hostile_cells);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(json_suite(), HARNESS_NEEDS_DB);
}
