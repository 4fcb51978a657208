/*
 * audit.h - retort_history, the audit trail: one row per executed step
 * (revision, direction, checksum, start, finish, duration, database user,
 * the runner's host and version), written inside the step's transaction so
 * that a step rolled back leaves no row.
 *
 * The table lives beside the version table (same schema, or unqualified
 * when the version table is) and is shared by every version table there:
 * each row names its version table, so projects sharing a schema keep
 * separate trails.
 */
#ifndef RETORT_AUDIT_H
#define RETORT_AUDIT_H

#include <stddef.h>
#include <time.h>

#include "store/db.h"
#include "base/error.h"
#include "graph/revmap.h"

#define AUDIT_TABLE "retort_history"

/* One executed step.  Fill it with audit_step_begin(). */
struct audit_step {
	const struct revision_meta *meta; /* borrowed: the revision run */
	enum plan_direction direction;
	struct timespec started;      /* wall clock, for started_at */
	struct timespec started_mono; /* monotonic, for duration_ms */
	bool guarded; /* the row's revision passes db_step_guard_sql() */
};

/* Start the step's clocks; call just before the revision runs. */
void audit_step_begin(struct audit_step *s, const struct revision_meta *meta,
		      enum plan_direction direction);

/*
 * CREATE TABLE IF NOT EXISTS retort_history beside the version table.
 * Call once per run that executes steps, after db_ensure_version_table().
 * In a fleet run (db->fleet_run set) a table made before the fleet_run
 * column existed gets it; outside one the table is left as it is, so that
 * a single run takes no ACCESS EXCLUSIVE lock on it for nothing.
 */
int audit_ensure_table(struct db *db, struct retort_error *err);
/* Its CREATE TABLE IF NOT EXISTS statement, into sql (1024 bytes hold
 * it), for a script that runs where the run would. */
int audit_table_sql(const struct db *db, char *sql, size_t size,
		    struct retort_error *err);

/*
 * Insert the step's row, finished now, in the transaction the caller has
 * open (the step's own), so it commits or rolls back with the step.
 */
int audit_record(struct db *db, const struct audit_step *s,
		 struct retort_error *err);

/*
 * The same row as one INSERT statement (no trailing semicolon), values
 * quoted with PQescapeLiteral, for a caller that sends a step's closing
 * statements in one round trip: "<version change>; <this>; COMMIT".  The
 * caller frees *out.
 */
int audit_record_sql(struct db *db, const struct audit_step *s, char **out,
		     struct retort_error *err);

/*
 * The text a revision's rows carry as checksum: its source's SHA-256 in
 * hex (what sha256sum prints), "so:<hex>" when it is the plugin file's,
 * or "" when unknown.  size is at least AUDIT_CHECKSUM_SIZE.
 */
#define AUDIT_CHECKSUM_SIZE 72
void audit_checksum_text(const struct revision_meta *meta, char *buf,
			 size_t size);

/* A revision and the checksum of its last upgrade row (NULL if none). */
struct audit_checksum {
	char *revision;
	char *checksum;
};

/* Owned by the caller; audit_checksums_release() frees it. */
struct audit_checksums {
	struct audit_checksum *items; /* sorted by revision */
	size_t n;
};

/*
 * For every revision this version table's trail has upgraded, the checksum
 * recorded by its last upgrade.  No table is no rows.
 */
int audit_last_checksums(struct db *db, struct audit_checksums *out,
			 struct retort_error *err);
void audit_checksums_release(struct audit_checksums *list);

/* The entry for revision in list, or NULL.  Borrowed from list. */
const struct audit_checksum *
audit_checksums_find(const struct audit_checksums *list, const char *revision);

/* The columns of a row of `retort log`, as audit_entry.values holds them. */
enum audit_log_column {
	AUDIT_LOG_ID, /* the row's id: later rows have larger ones */
	AUDIT_LOG_REVISION,
	AUDIT_LOG_DIRECTION, /* "upgrade" or "downgrade" */
	AUDIT_LOG_STARTED,   /* "2026-12-07T21:55:42.123456Z", UTC */
	AUDIT_LOG_FINISHED,
	AUDIT_LOG_DURATION, /* milliseconds, as PostgreSQL prints a numeric */
	AUDIT_LOG_USER,
	AUDIT_LOG_HOST,	     /* NULL when unknown */
	AUDIT_LOG_RUNNER,    /* the version of retort that ran it */
	AUDIT_LOG_CHECKSUM,  /* as audit_checksum_text() writes it, or NULL */
	AUDIT_LOG_FLEET_RUN, /* the fleet run that wrote it, or NULL */
	AUDIT_LOG_COLUMNS
};

/* One row of this version table's trail; values are owned, NULL for SQL
 * NULL. */
struct audit_entry {
	char *values[AUDIT_LOG_COLUMNS];
};

/* Owned by the caller; audit_log_release() frees it. */
struct audit_log {
	bool exists; /* false: no retort_history table beside the version
			table, and no entries */
	char *table; /* retort_history's name as queried, quoted */
	struct audit_entry *items; /* newest first */
	size_t n;
};

/*
 * The rows this version table's trail holds (other version tables' rows
 * are left out), newest first; at most limit of them, or all for 0.  A
 * table without the fleet_run column reads as if no row had one.
 */
int audit_read_log(struct db *db, long limit, struct audit_log *out,
		   struct retort_error *err);
/*
 * The rows the fleet run run_id wrote in this version table's trail,
 * newest first, as audit_read_log() reads them.  No table, or a table
 * without the fleet_run column, is no rows.
 */
int audit_read_run(struct db *db, const char *run_id, struct audit_log *out,
		   struct retort_error *err);
void audit_log_release(struct audit_log *log);

#endif
