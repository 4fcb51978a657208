/*
 * checkpoint.h - retort_backfill, the table where batched backfills keep
 * their place: one row per (revision, job), advanced in the same
 * transaction as each batch, removed with the revision's version change.
 */
#ifndef RETORT_CHECKPOINT_H
#define RETORT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "store/db.h"
#include "base/error.h"

/* Beside the version table (db_table_beside). */
#define CHECKPOINT_TABLE "retort_backfill"

/* One job's checkpoint as read from its row. */
struct checkpoint {
	long long rows_done;	/* keys walked */
	long long rows_changed; /* rows the batch bodies reported */
	long long batches;	/* committed batches: the row's version */
	long long estimate;	/* total rows expected; 0 = unknown */
	bool done;
	char **last; /* the last key done, nlast text values; NULL = none */
	int nlast;
};
void checkpoint_release(struct checkpoint *c);

/* Whether the table exists. */
int checkpoint_exists(struct db *db, bool *exists, struct retort_error *err);

/* CREATE TABLE IF NOT EXISTS; in autocommit or the open transaction. */
int checkpoint_ensure(struct db *db, struct retort_error *err);
/* Its statement, for a script that creates it where the run would; the
 * caller frees it.  NULL (err filled) when out of memory. */
char *checkpoint_table_sql(const struct db *db, struct retort_error *err);

/*
 * Read job's checkpoint into c; with create, insert a fresh one first if
 * there is none (table names the walked table, for `retort current`).
 * Without create and without a row, c is all zero.
 */
int checkpoint_open(struct db *db, const char *revision, const char *job,
		    const char *table, long long estimate, bool create,
		    struct checkpoint *c, struct retort_error *err);

/*
 * What a batch writes in its transaction: the new last key (n values),
 * the rows it walked and changed, whether it was the last, the current
 * estimate.  Fails unless the row still has c->batches batches, so two
 * runners can never both commit the same batch.  c is left alone: once
 * the transaction commits, checkpoint_apply() moves it.
 */
struct checkpoint_step {
	const char *const *last;
	int n;
	long long rows, changed, estimate;
	bool done;
};
int checkpoint_advance(struct db *db, const char *revision, const char *job,
		       const struct checkpoint *c,
		       const struct checkpoint_step *s,
		       struct retort_error *err);

/* The committed step, applied to the checkpoint in memory. */
int checkpoint_apply(struct checkpoint *c, const struct checkpoint_step *s,
		     struct retort_error *err);

/*
 * The DELETE of a revision's checkpoint rows as SQL text (revision as a
 * literal), or *out NULL when the table does not exist.  Caller frees.
 */
int checkpoint_cleanup_sql(struct db *db, const char *revision, char **out,
			   struct retort_error *err);

/* One row of the table, for `retort current` and downgrade. */
struct checkpoint_row {
	char *revision, *job, *table, *updated;
	long long rows_done, estimate;
	bool done;
};

/* Every row, ordered by revision and job (none when no table). */
int checkpoint_list(struct db *db, struct checkpoint_row **rows, size_t *n,
		    struct retort_error *err);
void checkpoint_rows_free(struct checkpoint_row *rows, size_t n);

#endif
