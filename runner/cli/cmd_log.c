/*
 * cmd_log.c - `retort log [-n N] [--json]`: what retort ran on this
 * database, from retort_history, newest first.  Only the rows of this
 * project's version table: the table is shared by every version table of
 * its schema.  The text is an aligned table, its cells escaped (text.h),
 * since they are the database's; --json gives every column in full.
 * Changes nothing.
 */
#include "cli/cmd.h"

#include <string.h>

#include "cli/json_view.h"
#include "store/audit.h"
#include "base/text.h"

/* The table's columns, in the order printed. */
static const struct log_column {
	const char *title;
	enum audit_log_column column;
} columns[] = {
	{ "STARTED (UTC)", AUDIT_LOG_STARTED },
	{ "REVISION", AUDIT_LOG_REVISION },
	{ "DIRECTION", AUDIT_LOG_DIRECTION },
	{ "DURATION", AUDIT_LOG_DURATION },
	{ "USER", AUDIT_LOG_USER },
	{ "HOST", AUDIT_LOG_HOST },
	{ "RETORT", AUDIT_LOG_RUNNER },
	{ "CHECKSUM", AUDIT_LOG_CHECKSUM },
	{ "FLEET RUN", AUDIT_LOG_FLEET_RUN }, /* last: shown only when set */
};

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* The columns printed: FLEET RUN only when a row listed has one, so that
 * a project that never runs fleets sees the table it always saw. */
static size_t shown_columns(const struct audit_log *log)
{
	for (size_t i = 0; i < log->n; i++)
		if (log->items[i].values[AUDIT_LOG_FLEET_RUN])
			return NCOLUMNS;
	return NCOLUMNS - 1;
}

/* Shown of a checksum: enough to tell two builds apart at a glance. */
#define CHECKSUM_SHOWN 12

/* One cell as printed, escaped, into buf: "-" for NULL. */
static const char *cell(const struct audit_entry *e, enum audit_log_column c,
			char *buf, size_t size)
{
	const char *v = e->values[c];
	char raw[256];

	if (v == NULL)
		return "-";
	if (c == AUDIT_LOG_STARTED) {
		/* "2026-12-07T21:55:42.123456Z": to the second. */
		snprintf(raw, sizeof(raw), "%.19s", v);
		if (strlen(raw) > 10)
			raw[10] = ' ';
		v = raw;
	} else if (c == AUDIT_LOG_DURATION) {
		snprintf(raw, sizeof(raw), "%s ms", v);
		v = raw;
	} else if (c == AUDIT_LOG_CHECKSUM) {
		snprintf(raw, sizeof(raw), "%.*s", CHECKSUM_SHOWN, v);
		v = raw;
	}
	return text_escape(v, buf, size);
}

static void log_text(FILE *out, const struct audit_log *log)
{
	size_t width[NCOLUMNS], ncols = shown_columns(log);
	char buf[256];

	for (size_t c = 0; c < ncols; c++) {
		width[c] = strlen(columns[c].title);
		for (size_t i = 0; i < log->n; i++) {
			size_t w =
				strlen(cell(&log->items[i], columns[c].column,
					    buf, sizeof(buf)));

			width[c] = w > width[c] ? w : width[c];
		}
	}
	for (size_t c = 0; c < ncols; c++)
		fprintf(out, c + 1 < ncols ? "%-*s  " : "%.*s\n", (int)width[c],
			columns[c].title);
	for (size_t i = 0; i < log->n; i++)
		for (size_t c = 0; c < ncols; c++)
			fprintf(out, c + 1 < ncols ? "%-*s  " : "%*s\n",
				c + 1 < ncols ? (int)width[c] : 0,
				cell(&log->items[i], columns[c].column, buf,
				     sizeof(buf)));
}

/* The version table as the rows name it: "schema.table", or "table". */
static void version_table(const struct db *db, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", db->schema ? db->schema : "",
		 db->schema ? "." : "", db->table);
}

static void entry_json(struct json *j, const struct audit_entry *e)
{
	static const char *const keys[AUDIT_LOG_COLUMNS] = {
		[AUDIT_LOG_ID] = "id",
		[AUDIT_LOG_REVISION] = "revision",
		[AUDIT_LOG_DIRECTION] = "direction",
		[AUDIT_LOG_STARTED] = "started_at",
		[AUDIT_LOG_FINISHED] = "finished_at",
		[AUDIT_LOG_DURATION] = "duration_ms",
		[AUDIT_LOG_USER] = "db_user",
		[AUDIT_LOG_HOST] = "client_host",
		[AUDIT_LOG_RUNNER] = "runner_version",
		[AUDIT_LOG_CHECKSUM] = "checksum",
		[AUDIT_LOG_FLEET_RUN] = "fleet_run",
	};

	json_object_begin(j);
	for (int c = 0; c < AUDIT_LOG_COLUMNS; c++) {
		json_key(j, keys[c]);
		if (c == AUDIT_LOG_ID || c == AUDIT_LOG_DURATION)
			json_number_text(j, e->values[c]);
		else
			json_string(j, e->values[c]);
	}
	json_object_end(j);
}

static int log_json(struct app *app, const struct audit_log *log,
		    const char *table, struct retort_error *err)
{
	struct json j = JSON_INIT;

	json_view_begin(&j, "log");
	json_key(&j, "version_table");
	json_string(&j, table);
	json_key(&j, "history_table_exists");
	json_bool(&j, log->exists);
	json_key(&j, "entries");
	json_array_begin(&j);
	for (size_t i = 0; i < log->n; i++)
		entry_json(&j, &log->items[i]);
	json_array_end(&j);
	return json_view_print(&j, app->out, err);
}

int cmd_log(struct app *app, const struct cmd_args *args,
	    struct retort_error *err)
{
	struct audit_log log = { 0 };
	char table[512];
	int rc = 0;

	if (audit_read_log(&app->db, args->count, &log, err) < 0)
		return -1;
	version_table(&app->db, table, sizeof(table));
	if (args->json) {
		rc = log_json(app, &log, table, err);
	} else if (!log.exists) {
		fputs("No history: this database has no retort_history table, so retort has not run a revision on it.\n",
		      app->out);
	} else if (log.n == 0) {
		fputs("No history: retort has not run a revision for version table ",
		      app->out);
		text_fput(table, app->out);
		fputs(" on this database.\n", app->out);
	} else {
		log_text(app->out, &log);
	}
	audit_log_release(&log);
	return rc;
}
