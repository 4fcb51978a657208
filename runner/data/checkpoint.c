/*
 * checkpoint.c - the retort_backfill table.
 *
 * A backfill's place is one row per (revision, job), written in the same
 * transaction as the batch it records: after a crash the row and the data
 * agree, so the next run resumes exactly after the last committed batch.
 * The table sits beside the version table (db_table_beside).  Values are
 * parameters, but in the cleanup that travels with the revision's version
 * change (db.h, "Values in SQL").  Never prints.
 */
#include "data/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

#define ADVANCE_FIXED 7 /* parameters before the key values */

static char *table_or_fail(const struct db *db, struct retort_error *err)
{
	char *t = db_table_beside(db, CHECKPOINT_TABLE);

	if (!t)
		error_set(err, RETORT_FAILED, "out of memory");
	return t;
}

/* sql with its one %s replaced by the table's name; the caller frees it. */
static char *with_table(const struct db *db, const char *fmt,
			struct retort_error *err)
{
	const char *hole = strstr(fmt, "%s");
	char *t = table_or_fail(db, err), *sql;
	struct strbuf b = STRBUF_INIT;

	if (!t)
		return NULL;
	strbuf_addn(&b, fmt, (size_t)(hole - fmt));
	strbuf_add(&b, t);
	strbuf_add(&b, hole + 2);
	free(t);
	sql = strbuf_finish(&b);
	if (!sql)
		error_set(err, RETORT_FAILED, "out of memory");
	return sql;
}

/* One statement on the table (fmt's %s), waited for: its rows. */
static struct db_rows *query_table(struct db *db, const char *fmt, int nparams,
				   const char *const *params,
				   struct retort_error *err)
{
	char *sql = with_table(db, fmt, err);
	struct db_rows *rows;

	if (!sql)
		return NULL;
	rows = db_query(db, sql, nparams, params, err);
	free(sql);
	return rows;
}

static int exec_table(struct db *db, const char *fmt, int nparams,
		      const char *const *params, struct retort_error *err)
{
	struct db_rows *rows = query_table(db, fmt, nparams, params, err);

	db_rows_free(rows);
	return rows ? 0 : -1;
}

int checkpoint_exists(struct db *db, bool *exists, struct retort_error *err)
{
	char *t = table_or_fail(db, err);
	int rc;

	if (!t)
		return -1;
	rc = db_table_exists(db, t, exists, err);
	free(t);
	return rc;
}

static const char sql_create[] = "CREATE TABLE IF NOT EXISTS %s ("
				 "revision varchar(32) NOT NULL, "
				 "job text NOT NULL, "
				 "table_name text NOT NULL, "
				 "last_key text[], "
				 "rows_done bigint NOT NULL DEFAULT 0, "
				 "rows_changed bigint NOT NULL DEFAULT 0, "
				 "batches bigint NOT NULL DEFAULT 0, "
				 "rows_estimate bigint, "
				 "done boolean NOT NULL DEFAULT false, "
				 "started timestamptz NOT NULL DEFAULT now(), "
				 "updated timestamptz NOT NULL DEFAULT now(), "
				 "PRIMARY KEY (revision, job))";

char *checkpoint_table_sql(const struct db *db, struct retort_error *err)
{
	return with_table(db, sql_create, err);
}

int checkpoint_ensure(struct db *db, struct retort_error *err)
{
	if (exec_table(db, sql_create, 0, NULL, err) == 0)
		return 0;
	error_prefix(err, "cannot create the checkpoint table %s",
		     CHECKPOINT_TABLE);
	return -1;
}

void checkpoint_release(struct checkpoint *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nlast; i++)
		free(c->last[i]);
	free(c->last);
	memset(c, 0, sizeof(*c));
}

static int insert_fresh(struct db *db, const char *const *params,
			struct retort_error *err)
{
	return exec_table(
		db,
		"INSERT INTO %s (revision, job, table_name, rows_estimate) "
		"VALUES ($1, $2, $3, nullif($4, '0')::bigint) "
		"ON CONFLICT (revision, job) DO NOTHING",
		4, params, err);
}

/* A key's value as the row holds it; NULL, as libpq reads it, is "". */
static const char *text_of(const struct db_rows *rows, size_t row, int col)
{
	const char *v = db_value(rows, row, col);

	return v ? v : "";
}

/* The last key's values, in key order, from the row's text[]. */
static int read_last(struct db *db, const char *const *params,
		     struct checkpoint *c, struct retort_error *err)
{
	struct db_rows *res = query_table(db,
					  "SELECT k FROM %s, unnest(last_key) "
					  "WITH ORDINALITY AS u(k, i) "
					  "WHERE revision = $1 AND job = $2 "
					  "ORDER BY i",
					  2, params, err);
	size_t n;

	if (!res)
		return -1;
	n = db_nrows(res);
	c->last = n ? calloc(n, sizeof(*c->last)) : NULL;
	for (size_t i = 0; c->last && i < n; i++) {
		c->last[i] = strdup(text_of(res, i, 0));
		if (c->last[i])
			c->nlast++;
	}
	db_rows_free(res);
	if ((size_t)c->nlast != n)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

static int read_row(struct db *db, const char *const *params,
		    struct checkpoint *c, struct retort_error *err)
{
	struct db_rows *res =
		query_table(db,
			    "SELECT rows_done, rows_changed, batches, "
			    "coalesce(rows_estimate, 0), done "
			    "FROM %s WHERE revision = $1 AND job = $2",
			    2, params, err);

	if (!res)
		return -1;
	if (db_nrows(res) == 1) {
		c->rows_done = atoll(db_value(res, 0, 0));
		c->rows_changed = atoll(db_value(res, 0, 1));
		c->batches = atoll(db_value(res, 0, 2));
		c->estimate = atoll(db_value(res, 0, 3));
		c->done = strcmp(db_value(res, 0, 4), "t") == 0;
	}
	db_rows_free(res);
	return 0;
}

int checkpoint_open(struct db *db, const char *revision, const char *job,
		    const char *table, long long estimate, bool create,
		    struct checkpoint *c, struct retort_error *err)
{
	char est[32];
	const char *params[4] = { revision, job, table, est };

	memset(c, 0, sizeof(*c));
	snprintf(est, sizeof(est), "%lld", estimate);
	if ((create && insert_fresh(db, params, err) < 0) ||
	    read_row(db, params, c, err) < 0 ||
	    read_last(db, params, c, err) < 0) {
		checkpoint_release(c);
		error_prefix(err, "cannot read the checkpoint of \"%s\"", job);
		return -1;
	}
	return 0;
}

/* UPDATE ... SET last_key = ARRAY[$8, ..., $(7+n)] ... */
static char *advance_sql(const struct db *db, int n, struct retort_error *err)
{
	char *t = table_or_fail(db, err), *sql;
	struct strbuf b = STRBUF_INIT;

	if (!t)
		return NULL;
	strbuf_addf(&b, "UPDATE %s SET last_key = ARRAY[", t);
	for (int i = 0; i < n; i++)
		strbuf_addf(&b, "%s$%d", i ? ", " : "", ADVANCE_FIXED + 1 + i);
	strbuf_add(&b,
		   "]::text[], rows_done = rows_done + $4, "
		   "rows_changed = rows_changed + $5, batches = batches + 1, "
		   "done = $6, rows_estimate = nullif($7, '0')::bigint, "
		   "updated = now() "
		   "WHERE revision = $1 AND job = $2 AND batches = $3");
	free(t);
	sql = strbuf_finish(&b);
	if (!sql)
		error_set(err, RETORT_FAILED, "out of memory");
	return sql;
}

static int advance_params(const char *revision, const char *job,
			  const struct checkpoint *c,
			  const struct checkpoint_step *s, char num[4][32],
			  const char **params)
{
	snprintf(num[0], 32, "%lld", c->batches);
	snprintf(num[1], 32, "%lld", s->rows);
	snprintf(num[2], 32, "%lld", s->changed);
	snprintf(num[3], 32, "%lld", s->estimate);
	params[0] = revision;
	params[1] = job;
	params[2] = num[0];
	params[3] = num[1];
	params[4] = num[2];
	params[5] = s->done ? "t" : "f";
	params[6] = num[3];
	for (int i = 0; i < s->n; i++)
		params[ADVANCE_FIXED + i] = s->last[i];
	return ADVANCE_FIXED + s->n;
}

/* Keep the new last key in c, replacing the old one. */
static int remember(struct checkpoint *c, const struct checkpoint_step *s,
		    struct retort_error *err)
{
	char **last = calloc((size_t)s->n, sizeof(*last));

	for (int i = 0; last && i < s->n; i++) {
		last[i] = strdup(s->last[i]);
		if (!last[i]) {
			while (i-- > 0)
				free(last[i]);
			free(last);
			last = NULL;
		}
	}
	if (!last)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (int i = 0; i < c->nlast; i++)
		free(c->last[i]);
	free(c->last);
	c->last = last;
	c->nlast = s->n;
	return 0;
}

/* Another runner has advanced the checkpoint: the batch must not commit. */
static int checkpoint_moved(const char *job, const struct checkpoint *c,
			    struct retort_error *err)
{
	error_set(err, RETORT_FAILED,
		  "the checkpoint of \"%s\" moved during the batch", job);
	error_detail(err, "expected it after %lld batches", c->batches);
	error_hint(
		err,
		"Another runner is working on this backfill; let it finish, then run `retort current`.");
	return -1;
}

int checkpoint_advance(struct db *db, const char *revision, const char *job,
		       const struct checkpoint *c,
		       const struct checkpoint_step *s,
		       struct retort_error *err)
{
	char *sql = advance_sql(db, s->n, err), num[4][32];
	const char **params =
		calloc(ADVANCE_FIXED + (size_t)s->n + 1, sizeof(*params));
	struct db_rows *res = NULL;
	bool one;
	int nparams;

	if (sql && params) {
		nparams = advance_params(revision, job, c, s, num, params);
		res = db_query(db, sql, nparams, params, err);
	} else if (sql) {
		error_set(err, RETORT_FAILED, "out of memory");
	}
	free(sql);
	free(params);
	if (!res)
		return -1;
	one = db_affected(res) == 1;
	db_rows_free(res);
	return one ? 0 : checkpoint_moved(job, c, err);
}

int checkpoint_apply(struct checkpoint *c, const struct checkpoint_step *s,
		     struct retort_error *err)
{
	c->batches++;
	c->rows_done += s->rows;
	c->rows_changed += s->changed;
	c->estimate = s->estimate;
	c->done = s->done;
	return s->n > 0 && s->last != (const char *const *)c->last
		       ? remember(c, s, err)
		       : 0;
}

/* The revision is an escaped literal: the DELETE travels with the
 * revision's version change (db.h, "Values in SQL"). */
int checkpoint_cleanup_sql(struct db *db, const char *revision, char **out,
			   struct retort_error *err)
{
	struct strbuf sql = STRBUF_INIT;
	bool exists = false;
	char *t;

	*out = NULL;
	if (checkpoint_exists(db, &exists, err) < 0)
		return -1;
	if (!exists)
		return 0;
	t = table_or_fail(db, err);
	if (!t)
		return -1;
	strbuf_addf(&sql, "DELETE FROM %s WHERE revision = ", t);
	db_add_literal(&sql, db->conn, revision);
	free(t);
	*out = strbuf_finish(&sql);
	if (!*out)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

void checkpoint_rows_free(struct checkpoint_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		free(rows[i].revision);
		free(rows[i].job);
		free(rows[i].table);
		free(rows[i].updated);
	}
	free(rows);
}

static int copy_row(const struct db_rows *res, size_t i,
		    struct checkpoint_row *r)
{
	r->revision = strdup(db_value(res, i, 0));
	r->job = strdup(db_value(res, i, 1));
	r->table = strdup(db_value(res, i, 2));
	r->updated = strdup(db_value(res, i, 3));
	r->rows_done = atoll(db_value(res, i, 4));
	r->estimate = atoll(db_value(res, i, 5));
	r->done = strcmp(db_value(res, i, 6), "t") == 0;
	return r->revision && r->job && r->table && r->updated ? 0 : -1;
}

static int collect_rows(const struct db_rows *res, struct checkpoint_row **rows,
			size_t *n, struct retort_error *err)
{
	size_t count = db_nrows(res);

	*rows = calloc(count ? count : 1, sizeof(**rows));
	if (!*rows)
		return error_set(err, RETORT_FAILED, "out of memory");
	*n = count;
	for (size_t i = 0; i < count; i++) {
		if (copy_row(res, i, &(*rows)[i]) < 0) {
			checkpoint_rows_free(*rows, count);
			*rows = NULL;
			*n = 0;
			return error_set(err, RETORT_FAILED, "out of memory");
		}
	}
	return 0;
}

int checkpoint_list(struct db *db, struct checkpoint_row **rows, size_t *n,
		    struct retort_error *err)
{
	bool exists = false;
	struct db_rows *res;
	int rc;

	*rows = NULL;
	*n = 0;
	if (checkpoint_exists(db, &exists, err) < 0)
		return -1;
	if (!exists)
		return 0;
	res = query_table(db,
			  "SELECT revision, job, table_name, "
			  "to_char(updated, 'YYYY-MM-DD HH24:MI:SS TZ'), "
			  "rows_done, coalesce(rows_estimate, 0), done "
			  "FROM %s ORDER BY revision, job",
			  0, NULL, err);
	if (!res)
		return -1;
	rc = collect_rows(res, rows, n, err);
	db_rows_free(res);
	return rc;
}
