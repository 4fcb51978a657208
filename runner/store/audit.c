/*
 * audit.c - retort_history: creating it, writing a step's row inside the
 * step's transaction, reading the checksums upgrades recorded.
 *
 * The table name is built from the version table's, which db.c quoted
 * with libpq; every value is a parameter.  client_host is the runner's
 * host name (gethostname), not inet_client_addr(): that is NULL over a
 * Unix socket and a pooler's address behind one.  Never prints.
 */
#include "store/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RETORT_VERSION
#define RETORT_VERSION "unknown"
#endif

/* Longest schema-qualified, quoted name: 2 * (2 * 63 + 2) + 1. */
#define QUALIFIED_MAX 272

/*
 * The length of the "schema". in front of a quoted version table name, or
 * 0 when it has none.  libpq quotes every identifier and doubles the
 * quotes inside it.
 */
static size_t schema_prefix_len(const char *quoted)
{
	const char *p = quoted;

	if (*p != '"')
		return 0;
	for (p++; *p; p++) {
		if (*p != '"')
			continue;
		if (p[1] != '"')
			break;
		p++;
	}
	return *p == '"' && p[1] == '.' ? (size_t)(p + 2 - quoted) : 0;
}

/* "schema"."retort_history", or "retort_history" when unqualified. */
static int history_table(const struct db *db, char *buf, size_t size,
			 struct retort_error *err)
{
	size_t prefix = schema_prefix_len(db->version_table);
	int n = snprintf(buf, size, "%.*s\"%s\"", (int)prefix,
			 db->version_table, AUDIT_TABLE);

	if (n < 0 || (size_t)n >= size)
		return error_set(err, RETORT_FAILED,
				 "the audit table's name is too long");
	return 0;
}

/* The version table as rows name it: the quoting of libpq undone. */
static void unquote(const char *quoted, char *buf, size_t size)
{
	size_t used = 0;

	for (const char *p = quoted; *p && used + 1 < size; p++) {
		if (*p == '"' && p[1] == '"')
			buf[used++] = *++p;
		else if (*p != '"')
			buf[used++] = *p;
	}
	buf[used] = '\0';
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

int audit_ensure_table(struct db *db, struct retort_error *err)
{
	char table[QUALIFIED_MAX], sql[1024];
	PGresult *res;

	if (history_table(db, table, sizeof(table), err) < 0)
		return -1;
	snprintf(sql, sizeof(sql),
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
		 "version_table text NOT NULL)",
		 table);
	res = db_run(db, sql, 0, NULL, err);
	if (!res) {
		error_prefix(err, "cannot create the audit table %s", table);
		return -1;
	}
	PQclear(res);
	return 0;
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
	char version_table[QUALIFIED_MAX];
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
	unquote(db->version_table, row->version_table,
		sizeof(row->version_table));
}

#define AUDIT_COLUMNS 9

/* The values in the order of insert_head()'s columns. */
static void row_values(const struct audit_step *s, const struct audit_row *row,
		       const char *values[AUDIT_COLUMNS])
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
}

/* "INSERT INTO table (columns...) VALUES ", which the values follow. */
static void insert_head(char *buf, size_t size, const char *table)
{
	snprintf(buf, size,
		 "INSERT INTO %s (revision, direction, checksum, started_at, "
		 "finished_at, duration_ms, client_host, runner_version, "
		 "version_table) VALUES ",
		 table);
}

int audit_record(struct db *db, const struct audit_step *s,
		 struct retort_error *err)
{
	char table[QUALIFIED_MAX], sql[768];
	const char *values[AUDIT_COLUMNS];
	struct audit_row row;
	PGresult *res;

	if (history_table(db, table, sizeof(table), err) < 0)
		return -1;
	fill_row(db, s, &row);
	row_values(s, &row, values);
	insert_head(sql, sizeof(sql), table);
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s",
		 "($1, $2, $3, $4, $5, $6, $7, $8, $9)");
	res = db_run(db, sql, AUDIT_COLUMNS, values, err);
	if (!res) {
		error_prefix(err, "cannot record revision %s in %s",
			     s->meta->id, table);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* v as an SQL literal, or NULL; the caller PQfreemem()s a literal. */
static char *literal(struct db *db, const char *v)
{
	return v ? PQescapeLiteral(db->conn, v, strlen(v)) : NULL;
}

static int append(char **buf, size_t *used, size_t *cap, const char *text)
{
	size_t len = strlen(text);

	if (*used + len + 1 > *cap) {
		size_t ncap = (*used + len + 1) * 2;
		char *grown = realloc(*buf, ncap);

		if (!grown)
			return -1;
		*buf = grown;
		*cap = ncap;
	}
	memcpy(*buf + *used, text, len + 1);
	*used += len;
	return 0;
}

/* The literal, or the step's guard around it for the first value. */
static int append_value(struct db *db, char **sql, size_t *used, size_t *cap,
			const char *lit, bool guard)
{
	struct retort_error ignored;
	char *guarded = NULL;
	int rc;

	if (!guard)
		return append(sql, used, cap, lit);
	if (db_step_guard_sql(db, lit, &guarded, &ignored) < 0)
		return -1;
	rc = append(sql, used, cap, guarded);
	free(guarded);
	return rc;
}

/* "(v1, v2, ...)" with each value quoted by libpq. */
static int append_values(struct db *db, char **sql, size_t *used, size_t *cap,
			 const char *const *values, size_t n, bool guarded)
{
	for (size_t i = 0; i < n; i++) {
		char *lit = literal(db, values[i]);
		int rc;

		if (values[i] && !lit)
			return -1;
		rc = append(sql, used, cap, i ? ", " : "(");
		if (rc == 0)
			rc = append_value(db, sql, used, cap,
					  lit ? lit : "NULL",
					  guarded && i == 0);
		PQfreemem(lit);
		if (rc < 0)
			return -1;
	}
	return append(sql, used, cap, ")");
}

int audit_record_sql(struct db *db, const struct audit_step *s, char **out,
		     struct retort_error *err)
{
	char table[QUALIFIED_MAX], head[768];
	const char *values[AUDIT_COLUMNS];
	struct audit_row row;
	size_t used = 0, cap = 0;

	*out = NULL;
	if (history_table(db, table, sizeof(table), err) < 0)
		return -1;
	fill_row(db, s, &row);
	row_values(s, &row, values);
	insert_head(head, sizeof(head), table);
	if (append(out, &used, &cap, head) < 0 ||
	    append_values(db, out, &used, &cap, values, AUDIT_COLUMNS,
			  s->guarded) < 0) {
		free(*out);
		*out = NULL;
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	return 0;
}

static int table_exists(struct db *db, const char *table, bool *exists,
			struct retort_error *err)
{
	const char *params[] = { table };
	PGresult *res = db_run(db, "SELECT to_regclass($1) IS NOT NULL", 1,
			       params, err);

	if (!res)
		return -1;
	*exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

static char *copy_value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL
					  : strdup(PQgetvalue(res, row, col));
}

static int collect(const PGresult *res, struct audit_checksums *out,
		   struct retort_error *err)
{
	size_t n = (size_t)PQntuples(res);

	out->items = calloc(n ? n : 1, sizeof(*out->items));
	if (!out->items)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct audit_checksum *c = &out->items[i];

		c->revision = copy_value(res, (int)i, 0);
		c->checksum = copy_value(res, (int)i, 1);
		out->n++;
		if (!c->revision ||
		    (!c->checksum && !PQgetisnull(res, (int)i, 1)))
			return error_set(err, RETORT_FAILED, "out of memory");
	}
	return 0;
}

static int read_checksums(struct db *db, const char *table,
			  struct audit_checksums *out, struct retort_error *err)
{
	char sql[768], version_table[QUALIFIED_MAX];
	const char *params[1] = { version_table };
	PGresult *res;
	int rc;

	unquote(db->version_table, version_table, sizeof(version_table));
	/* C collation: the order audit_checksums_find() searches in. */
	snprintf(
		sql, sizeof(sql),
		"SELECT DISTINCT ON (revision COLLATE \"C\") revision, "
		"checksum FROM %s WHERE version_table = $1 AND "
		"direction = 'upgrade' ORDER BY revision COLLATE \"C\", id DESC",
		table);
	res = db_run(db, sql, 1, params, err);
	if (!res) {
		error_prefix(err, "cannot read the audit table %s", table);
		return -1;
	}
	rc = collect(res, out, err);
	PQclear(res);
	return rc;
}

int audit_last_checksums(struct db *db, struct audit_checksums *out,
			 struct retort_error *err)
{
	char table[QUALIFIED_MAX];
	bool exists = false;

	memset(out, 0, sizeof(*out));
	if (history_table(db, table, sizeof(table), err) < 0 ||
	    table_exists(db, table, &exists, err) < 0)
		return -1;
	if (!exists)
		return 0;
	if (read_checksums(db, table, out, err) < 0) {
		audit_checksums_release(out);
		return -1;
	}
	return 0;
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
