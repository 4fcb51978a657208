/*
 * checkpoint.c - the retort_backfill table.
 *
 * A backfill's place is one row per (revision, job), written in the same
 * transaction as the batch it records: after a crash the row and the data
 * agree, so the next run resumes exactly after the last committed batch.
 * The table's name is quoted with libpq; every value is a parameter.
 * Never prints.
 */
#include "data/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADVANCE_FIXED 7 /* parameters before the key values */

char *checkpoint_table(const struct db *db)
{
	char *schema = NULL, *out;
	size_t len;

	if (db->schema) {
		schema = PQescapeIdentifier(db->conn, db->schema,
					    strlen(db->schema));
		if (!schema)
			return NULL;
	}
	len = (schema ? strlen(schema) + 1 : 0) + sizeof(CHECKPOINT_TABLE) + 2;
	out = malloc(len);
	if (out)
		snprintf(out, len, "%s%s\"%s\"", schema ? schema : "",
			 schema ? "." : "", CHECKPOINT_TABLE);
	PQfreemem(schema);
	return out;
}

static char *table_or_fail(const struct db *db, struct retort_error *err)
{
	char *t = checkpoint_table(db);

	if (!t)
		error_set(err, RETORT_FAILED, "out of memory");
	return t;
}

/* sql with its one %s replaced by the table's name; the caller frees it. */
static char *with_table(const struct db *db, const char *fmt,
			struct retort_error *err)
{
	const char *hole = strstr(fmt, "%s");
	char *t = table_or_fail(db, err), *sql = NULL;
	size_t head, tlen;

	if (!t)
		return NULL;
	head = (size_t)(hole - fmt);
	tlen = strlen(t);
	sql = malloc(strlen(fmt) + tlen + 1);
	if (sql) {
		memcpy(sql, fmt, head);
		memcpy(sql + head, t, tlen);
		strcpy(sql + head + tlen, hole + 2);
	} else {
		error_set(err, RETORT_FAILED, "out of memory");
	}
	free(t);
	return sql;
}

int checkpoint_exists(struct db *db, bool *exists, struct retort_error *err)
{
	char *t = table_or_fail(db, err);
	const char *params[1] = { t };
	PGresult *res;

	if (!t)
		return -1;
	res = db_run(db, "SELECT to_regclass($1) IS NOT NULL", 1, params, err);
	free(t);
	if (!res)
		return -1;
	*exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

int checkpoint_ensure(struct db *db, struct retort_error *err)
{
	char *sql = with_table(db,
			       "CREATE TABLE IF NOT EXISTS %s ("
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
			       "PRIMARY KEY (revision, job))",
			       err);
	PGresult *res;

	if (!sql)
		return -1;
	res = db_run(db, sql, 0, NULL, err);
	free(sql);
	if (!res) {
		error_prefix(err, "cannot create the checkpoint table %s",
			     CHECKPOINT_TABLE);
		return -1;
	}
	PQclear(res);
	return 0;
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
	char *sql = with_table(
		db,
		"INSERT INTO %s (revision, job, table_name, rows_estimate) "
		"VALUES ($1, $2, $3, nullif($4, '0')::bigint) "
		"ON CONFLICT (revision, job) DO NOTHING",
		err);
	PGresult *res;

	if (!sql)
		return -1;
	res = db_run(db, sql, 4, params, err);
	free(sql);
	PQclear(res);
	return res ? 0 : -1;
}

/* The last key's values, in key order, from the row's text[]. */
static int read_last(struct db *db, const char *const *params,
		     struct checkpoint *c, struct retort_error *err)
{
	char *sql = with_table(db,
			       "SELECT k FROM %s, unnest(last_key) "
			       "WITH ORDINALITY AS u(k, i) "
			       "WHERE revision = $1 AND job = $2 ORDER BY i",
			       err);
	PGresult *res;
	int n;

	if (!sql)
		return -1;
	res = db_run(db, sql, 2, params, err);
	free(sql);
	if (!res)
		return -1;
	n = PQntuples(res);
	c->last = n ? calloc((size_t)n, sizeof(*c->last)) : NULL;
	for (int i = 0; c->last && i < n; i++) {
		c->last[i] = strdup(PQgetvalue(res, i, 0));
		if (c->last[i])
			c->nlast++;
	}
	PQclear(res);
	if (c->nlast != n)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

static int read_row(struct db *db, const char *const *params,
		    struct checkpoint *c, struct retort_error *err)
{
	char *sql = with_table(db,
			       "SELECT rows_done, rows_changed, batches, "
			       "coalesce(rows_estimate, 0), done "
			       "FROM %s WHERE revision = $1 AND job = $2",
			       err);
	PGresult *res;

	if (!sql)
		return -1;
	res = db_run(db, sql, 2, params, err);
	free(sql);
	if (!res)
		return -1;
	if (PQntuples(res) == 1) {
		c->rows_done = atoll(PQgetvalue(res, 0, 0));
		c->rows_changed = atoll(PQgetvalue(res, 0, 1));
		c->batches = atoll(PQgetvalue(res, 0, 2));
		c->estimate = atoll(PQgetvalue(res, 0, 3));
		c->done = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	}
	PQclear(res);
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
	size_t len, used;

	if (!t)
		return NULL;
	len = strlen(t) + 400 + (size_t)n * 16;
	sql = malloc(len);
	if (!sql) {
		free(t);
		error_set(err, RETORT_FAILED, "out of memory");
		return NULL;
	}
	used = (size_t)snprintf(sql, len, "UPDATE %s SET last_key = ARRAY[", t);
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(sql + used, len - used, "%s$%d",
					 i ? ", " : "", ADVANCE_FIXED + 1 + i);
	snprintf(sql + used, len - used,
		 "]::text[], rows_done = rows_done + $4, "
		 "rows_changed = rows_changed + $5, batches = batches + 1, "
		 "done = $6, rows_estimate = nullif($7, '0')::bigint, "
		 "updated = now() "
		 "WHERE revision = $1 AND job = $2 AND batches = $3");
	free(t);
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

int checkpoint_advance(struct db *db, const char *revision, const char *job,
		       const struct checkpoint *c,
		       const struct checkpoint_step *s,
		       struct retort_error *err)
{
	char *sql = advance_sql(db, s->n, err), num[4][32];
	const char **params =
		calloc(ADVANCE_FIXED + (size_t)s->n + 1, sizeof(*params));
	PGresult *res = NULL;
	bool one = false;
	int nparams;

	if (sql && params) {
		nparams = advance_params(revision, job, c, s, num, params);
		res = db_run(db, sql, nparams, params, err);
	} else if (sql) {
		error_set(err, RETORT_FAILED, "out of memory");
	}
	free(sql);
	free(params);
	if (!res)
		return -1;
	one = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (!one) {
		error_set(err, RETORT_FAILED,
			  "the checkpoint of \"%s\" moved during the batch",
			  job);
		error_detail(err, "expected it after %lld batches", c->batches);
		error_hint(
			err,
			"Another runner is working on this backfill; let it finish, then run `retort current`.");
		return -1;
	}
	return 0;
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

int checkpoint_cleanup_sql(struct db *db, const char *revision, char **out,
			   struct retort_error *err)
{
	char *t = NULL, *lit = NULL;
	bool exists = false;
	size_t len;

	*out = NULL;
	if (checkpoint_exists(db, &exists, err) < 0)
		return -1;
	if (!exists)
		return 0;
	t = table_or_fail(db, err);
	lit = t ? PQescapeLiteral(db->conn, revision, strlen(revision)) : NULL;
	if (t && lit) {
		len = strlen(t) + strlen(lit) + 40;
		*out = malloc(len);
		if (*out)
			snprintf(*out, len,
				 "DELETE FROM %s WHERE revision = %s", t, lit);
	}
	PQfreemem(lit);
	free(t);
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

static int copy_row(PGresult *res, int i, struct checkpoint_row *r)
{
	r->revision = strdup(PQgetvalue(res, i, 0));
	r->job = strdup(PQgetvalue(res, i, 1));
	r->table = strdup(PQgetvalue(res, i, 2));
	r->updated = strdup(PQgetvalue(res, i, 3));
	r->rows_done = atoll(PQgetvalue(res, i, 4));
	r->estimate = atoll(PQgetvalue(res, i, 5));
	r->done = strcmp(PQgetvalue(res, i, 6), "t") == 0;
	return r->revision && r->job && r->table && r->updated ? 0 : -1;
}

static int collect_rows(PGresult *res, struct checkpoint_row **rows, size_t *n,
			struct retort_error *err)
{
	size_t count = (size_t)PQntuples(res);

	*rows = calloc(count ? count : 1, sizeof(**rows));
	if (!*rows)
		return error_set(err, RETORT_FAILED, "out of memory");
	*n = count;
	for (size_t i = 0; i < count; i++) {
		if (copy_row(res, (int)i, &(*rows)[i]) < 0) {
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
	char *sql;
	PGresult *res;
	int rc;

	*rows = NULL;
	*n = 0;
	if (checkpoint_exists(db, &exists, err) < 0)
		return -1;
	if (!exists)
		return 0;
	sql = with_table(db,
			 "SELECT revision, job, table_name, "
			 "to_char(updated, 'YYYY-MM-DD HH24:MI:SS TZ'), "
			 "rows_done, coalesce(rows_estimate, 0), done "
			 "FROM %s ORDER BY revision, job",
			 err);
	if (!sql)
		return -1;
	res = db_run(db, sql, 0, NULL, err);
	free(sql);
	if (!res)
		return -1;
	rc = collect_rows(res, rows, n, err);
	PQclear(res);
	return rc;
}
