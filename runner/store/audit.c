/*
 * audit.c - retort_history: creating it, writing a step's row inside the
 * step's transaction, reading the checksums upgrades recorded.
 *
 * The table sits beside the version table (db_table_beside).  Values are
 * parameters, but in audit_record_sql(), whose row travels with the
 * step's COMMIT (db.h, "Values in SQL").  client_host is the runner's
 * host name (gethostname), not inet_client_addr(): that is NULL over a
 * Unix socket and a pooler's address behind one.  Never prints.
 */
#include "store/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#ifndef RETORT_VERSION
#define RETORT_VERSION "unknown"
#endif

/* Room for the version table's name as rows record it. */
#define VERSION_TABLE_MAX 272

/* retort_history beside the version table, quoted; the caller frees it. */
static char *history_table(const struct db *db, struct retort_error *err)
{
	char *table = db_table_beside(db, AUDIT_TABLE);

	if (!table)
		error_set(err, RETORT_FAILED, "out of memory");
	return table;
}

/* The version table as rows name it: "schema.table", or "table". */
static void version_table_text(const struct db *db, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", db->schema ? db->schema : "",
		 db->schema ? "." : "", db->table);
}

void audit_step_begin(struct audit_step *s, const struct revision_meta *meta,
		      enum plan_direction direction)
{
	memset(s, 0, sizeof(*s));
	s->meta = meta;
	s->direction = direction;
	clock_gettime(CLOCK_REALTIME, &s->started);
	clock_gettime(CLOCK_MONOTONIC, &s->started_mono);
}

int audit_table_sql(const struct db *db, char *sql, size_t size,
		    struct retort_error *err)
{
	char *table = history_table(db, err);

	if (!table)
		return -1;
	snprintf(sql, size,
		 "CREATE TABLE IF NOT EXISTS %s ("
		 "id bigserial PRIMARY KEY, "
		 "revision varchar(32) NOT NULL, "
		 "direction text NOT NULL "
		 "CHECK (direction IN ('upgrade', 'downgrade')), "
		 "checksum text, "
		 "started_at timestamptz NOT NULL, "
		 "finished_at timestamptz NOT NULL, "
		 "duration_ms numeric NOT NULL, "
		 "db_user text NOT NULL DEFAULT current_user, "
		 "client_host text, "
		 "runner_version text NOT NULL, "
		 "version_table text NOT NULL, "
		 "fleet_run text)",
		 table);
	free(table);
	return 0;
}

/* Whether table (quoted, perhaps qualified, existing) has the column. */
static int has_column(struct db *db, const char *table, const char *column,
		      bool *has, struct retort_error *err)
{
	const char *params[] = { table, column };
	struct db_rows *rows =
		db_query(db,
			 "SELECT count(*) FROM pg_attribute WHERE attrelid = "
			 "$1::regclass AND attname = $2 AND NOT attisdropped",
			 2, params, err);

	if (!rows)
		return -1;
	*has = strcmp(db_value(rows, 0, 0), "0") != 0;
	db_rows_free(rows);
	return 0;
}

/*
 * A table made before fleet runs existed gets their column.  Asked first:
 * ALTER TABLE takes its ACCESS EXCLUSIVE lock even when IF NOT EXISTS
 * finds the column there.
 */
static int add_fleet_run_column(struct db *db, struct retort_error *err)
{
	char *table = history_table(db, err), sql[512];
	bool has = false;
	int rc = -1;

	if (!table || has_column(db, table, "fleet_run", &has, err) < 0)
		goto out;
	snprintf(sql, sizeof(sql),
		 "ALTER TABLE %s ADD COLUMN IF NOT EXISTS fleet_run text",
		 table);
	rc = has ? 0 : db_exec(db, sql, 0, NULL, err);
out:
	free(table);
	return rc;
}

int audit_ensure_table(struct db *db, struct retort_error *err)
{
	char sql[1024];
	int rc;

	if (audit_table_sql(db, sql, sizeof(sql), err) < 0)
		return -1;
	rc = db_exec(db, sql, 0, NULL, err);
	if (rc == 0 && db->fleet_run)
		rc = add_fleet_run_column(db, err);
	if (rc < 0) {
		char *table = db_table_beside(db, AUDIT_TABLE);

		error_prefix(err, "cannot create the audit table %s",
			     table ? table : AUDIT_TABLE);
		free(table);
	}
	return rc;
}

void audit_checksum_text(const struct revision_meta *meta, char *buf,
			 size_t size)
{
	if (!meta->checksum)
		snprintf(buf, size, "%s", "");
	else
		snprintf(buf, size, "%s%s",
			 meta->checksum_of_binary ? "so:" : "", meta->checksum);
}

/* A wall-clock time as PostgreSQL reads it, in UTC to the microsecond. */
static void format_time(const struct timespec *t, char *buf, size_t size)
{
	struct tm tm;
	char base[32];

	gmtime_r(&t->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, size, "%.19s.%06d+00", base,
		 (int)(t->tv_nsec / 1000 % 1000000));
}

static double elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) * 1e3 +
	       (double)(to->tv_nsec - from->tv_nsec) / 1e6;
}

/* The row's values, formatted into text parameters. */
struct audit_row {
	char started[48], finished[48], duration[32];
	char checksum[AUDIT_CHECKSUM_SIZE];
	char host[256];
	char version_table[VERSION_TABLE_MAX];
};

/* The machine's name, asked once: it does not change during a run. */
static const char *host_name(void)
{
	static char name[256];
	static bool known;

	if (!known && gethostname(name, sizeof(name)) < 0)
		name[0] = '\0';
	name[sizeof(name) - 1] = '\0';
	known = true;
	return name;
}

static void fill_row(struct db *db, const struct audit_step *s,
		     struct audit_row *row)
{
	struct timespec now, now_mono;
	double ms;

	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_MONOTONIC, &now_mono);
	ms = elapsed_ms(&s->started_mono, &now_mono);
	format_time(&s->started, row->started, sizeof(row->started));
	format_time(&now, row->finished, sizeof(row->finished));
	snprintf(row->duration, sizeof(row->duration), "%.3f",
		 ms < 0 ? 0.0 : ms);
	audit_checksum_text(s->meta, row->checksum, sizeof(row->checksum));
	snprintf(row->host, sizeof(row->host), "%s", host_name());
	version_table_text(db, row->version_table, sizeof(row->version_table));
}

/* The columns every row has; a fleet run's rows add fleet_run. */
#define AUDIT_COLUMNS 9
#define AUDIT_COLUMNS_MAX 10

/* The values in the order of insert_head()'s columns. */
static size_t row_values(struct db *db, const struct audit_step *s,
			 const struct audit_row *row,
			 const char *values[AUDIT_COLUMNS_MAX])
{
	values[0] = s->meta->id;
	values[1] = s->direction == PLAN_UPGRADE ? "upgrade" : "downgrade";
	values[2] = row->checksum[0] ? row->checksum : NULL;
	values[3] = row->started;
	values[4] = row->finished;
	values[5] = row->duration;
	values[6] = row->host[0] ? row->host : NULL;
	values[7] = RETORT_VERSION;
	values[8] = row->version_table;
	values[9] = db->fleet_run;
	return db->fleet_run ? AUDIT_COLUMNS_MAX : AUDIT_COLUMNS;
}

/*
 * "INSERT INTO table (columns...) VALUES ", which the values follow.
 * Outside a fleet run fleet_run is left out, so that a table made before
 * that column existed takes the row as it is.
 */
static void insert_head(struct strbuf *sql, const char *table, size_t ncols)
{
	strbuf_addf(
		sql,
		"INSERT INTO %s (revision, direction, checksum, started_at, "
		"finished_at, duration_ms, client_host, runner_version, "
		"version_table%s) VALUES ",
		table, ncols > AUDIT_COLUMNS ? ", fleet_run" : "");
}

int audit_record(struct db *db, const struct audit_step *s,
		 struct retort_error *err)
{
	char *table = history_table(db, err), *sql;
	const char *values[AUDIT_COLUMNS_MAX];
	struct strbuf head = STRBUF_INIT;
	struct audit_row row;
	size_t n;
	int rc;

	if (!table)
		return -1;
	fill_row(db, s, &row);
	n = row_values(db, s, &row, values);
	insert_head(&head, table, n);
	strbuf_add(&head, "($1, $2, $3, $4, $5, $6, $7, $8, $9");
	strbuf_add(&head, n > AUDIT_COLUMNS ? ", $10)" : ")");
	sql = strbuf_finish(&head);
	rc = sql ? db_exec(db, sql, (int)n, values, err)
		 : error_set(err, RETORT_FAILED, "out of memory");
	if (rc < 0)
		error_prefix(err, "cannot record revision %s in %s",
			     s->meta->id, table);
	free(sql);
	free(table);
	return rc;
}

/* The value as an escaped literal inside the step's guard: the row fails
 * unless the step's transaction is still the one the runner opened. */
static void add_guarded(struct strbuf *sql, struct db *db, const char *value)
{
	struct retort_error ignored;
	struct strbuf lit = STRBUF_INIT;
	char *text, *guard = NULL;

	db_add_literal(&lit, db->conn, value);
	text = strbuf_finish(&lit);
	if (!text || db_step_guard_sql(db, text, &guard, &ignored) < 0)
		sql->failed = true;
	else
		strbuf_add(sql, guard);
	free(text);
	free(guard);
}

/* "(v1, v2, ...)" as escaped literals, the first guarded when asked. */
static void add_values(struct strbuf *sql, struct db *db,
		       const char *const *values, size_t n, bool guarded)
{
	strbuf_add(sql, "(");
	for (size_t i = 0; i < n; i++) {
		strbuf_add(sql, i ? ", " : "");
		if (i == 0 && guarded)
			add_guarded(sql, db, values[i]);
		else
			db_add_literal(sql, db->conn, values[i]);
	}
	strbuf_add(sql, ")");
}

int audit_record_sql(struct db *db, const struct audit_step *s, char **out,
		     struct retort_error *err)
{
	char *table = history_table(db, err);
	const char *values[AUDIT_COLUMNS_MAX];
	struct strbuf sql = STRBUF_INIT;
	struct audit_row row;
	size_t n;

	*out = NULL;
	if (!table)
		return -1;
	fill_row(db, s, &row);
	n = row_values(db, s, &row, values);
	insert_head(&sql, table, n);
	add_values(&sql, db, values, n, s->guarded);
	free(table);
	*out = strbuf_finish(&sql);
	if (!*out)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

static char *copy_value(const struct db_rows *res, size_t row, int col)
{
	const char *v = db_value(res, row, col);

	return v ? strdup(v) : NULL;
}

static int collect(const struct db_rows *res, struct audit_checksums *out,
		   struct retort_error *err)
{
	size_t n = db_nrows(res);

	out->items = calloc(n ? n : 1, sizeof(*out->items));
	if (!out->items)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct audit_checksum *c = &out->items[i];

		c->revision = copy_value(res, i, 0);
		c->checksum = copy_value(res, i, 1);
		out->n++;
		if (!c->revision || (!c->checksum && db_value(res, i, 1)))
			return error_set(err, RETORT_FAILED, "out of memory");
	}
	return 0;
}

static int read_checksums(struct db *db, const char *table,
			  struct audit_checksums *out, struct retort_error *err)
{
	char sql[768], version_table[VERSION_TABLE_MAX];
	const char *params[1] = { version_table };
	struct db_rows *res;
	int rc;

	version_table_text(db, version_table, sizeof(version_table));
	/* C collation: the order audit_checksums_find() searches in. */
	snprintf(
		sql, sizeof(sql),
		"SELECT DISTINCT ON (revision COLLATE \"C\") revision, "
		"checksum FROM %s WHERE version_table = $1 AND "
		"direction = 'upgrade' ORDER BY revision COLLATE \"C\", id DESC",
		table);
	res = db_query(db, sql, 1, params, err);
	if (!res) {
		error_prefix(err, "cannot read the audit table %s", table);
		return -1;
	}
	rc = collect(res, out, err);
	db_rows_free(res);
	return rc;
}

int audit_last_checksums(struct db *db, struct audit_checksums *out,
			 struct retort_error *err)
{
	char *table = history_table(db, err);
	bool exists = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!table || db_table_exists(db, table, &exists, err) < 0)
		goto out;
	rc = exists ? read_checksums(db, table, out, err) : 0;
	if (rc < 0)
		audit_checksums_release(out);
out:
	free(table);
	return rc;
}

void audit_checksums_release(struct audit_checksums *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++) {
		free(list->items[i].revision);
		free(list->items[i].checksum);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}

static int compare_revision(const void *key, const void *item)
{
	return strcmp(key, ((const struct audit_checksum *)item)->revision);
}

const struct audit_checksum *
audit_checksums_find(const struct audit_checksums *list, const char *revision)
{
	if (!list->n)
		return NULL;
	return bsearch(revision, list->items, list->n, sizeof(*list->items),
		       compare_revision);
}

/* The trail's rows newest first; the times in UTC whatever the
 * session's TimeZone, so that two runs print the same. */
#define LOG_TIME(column)                                                       \
	"to_char(" column " AT TIME ZONE 'UTC', "                              \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static int collect_log(const struct db_rows *res, struct audit_log *out,
		       struct retort_error *err)
{
	size_t n = db_nrows(res);

	out->items = calloc(n ? n : 1, sizeof(*out->items));
	if (!out->items)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < n; i++, out->n++)
		for (int c = 0; c < AUDIT_LOG_COLUMNS; c++) {
			out->items[i].values[c] = copy_value(res, i, c);
			if (!out->items[i].values[c] && db_value(res, i, c))
				return error_set(err, RETORT_FAILED,
						 "out of memory");
		}
	return 0;
}

/* The column's expression: NULL for a table made before fleet runs. */
static int fleet_run_column(struct db *db, const char *table, const char **expr,
			    struct retort_error *err)
{
	bool has = false;

	if (has_column(db, table, "fleet_run", &has, err) < 0)
		return -1;
	*expr = has ? "fleet_run" : "NULL::text";
	return 0;
}

/* The trail's rows newest first, at most limit (0: all), only run_id's
 * when it is not NULL. */
static int read_log(struct db *db, long limit, const char *run_id,
		    struct audit_log *out, struct retort_error *err)
{
	char sql[1024], version_table[VERSION_TABLE_MAX], count[32];
	const char *params[3] = { version_table, limit > 0 ? count : NULL,
				  run_id };
	const char *fleet_run;
	struct db_rows *res;
	int rc;

	if (fleet_run_column(db, out->table, &fleet_run, err) < 0) {
		error_prefix(err, "cannot read the audit table %s", out->table);
		return -1;
	}
	version_table_text(db, version_table, sizeof(version_table));
	snprintf(count, sizeof(count), "%ld", limit);
	/* LIMIT NULL is no limit. */
	snprintf(
		sql, sizeof(sql),
		"SELECT id, revision, direction, " LOG_TIME("started_at") ", " LOG_TIME(
			"finished_at") ", "
				       "duration_ms, db_user, client_host, "
				       "runner_version, checksum, %s FROM %s "
				       "WHERE version_table = $1 AND "
				       "($3::text IS NULL OR %s = $3) "
				       "ORDER BY id DESC LIMIT $2::bigint",
		fleet_run, out->table, fleet_run);
	res = db_query(db, sql, 3, params, err);
	if (!res) {
		error_prefix(err, "cannot read the audit table %s", out->table);
		return -1;
	}
	rc = collect_log(res, out, err);
	db_rows_free(res);
	return rc;
}

static int read_rows(struct db *db, long limit, const char *run_id,
		     struct audit_log *out, struct retort_error *err)
{
	memset(out, 0, sizeof(*out));
	out->table = history_table(db, err);
	if (!out->table ||
	    db_table_exists(db, out->table, &out->exists, err) < 0 ||
	    (out->exists && read_log(db, limit, run_id, out, err) < 0)) {
		audit_log_release(out);
		return -1;
	}
	return 0;
}

int audit_read_log(struct db *db, long limit, struct audit_log *out,
		   struct retort_error *err)
{
	return read_rows(db, limit, NULL, out, err);
}

int audit_read_run(struct db *db, const char *run_id, struct audit_log *out,
		   struct retort_error *err)
{
	return read_rows(db, 0, run_id, out, err);
}

void audit_log_release(struct audit_log *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->n; i++)
		for (int c = 0; c < AUDIT_LOG_COLUMNS; c++)
			free(log->items[i].values[c]);
	free(log->items);
	free(log->table);
	memset(log, 0, sizeof(*log));
}
