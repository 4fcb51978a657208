/*
 * backfill_job.c - preparing one retort_backfill() call: knobs, names,
 * queries, estimates.
 *
 * The table and key names come from the revision's job struct and are
 * quoted by the database layer (a schema-qualified "s.t" is split on its
 * dot); the keyset queries are built from those quoted names only, their
 * values are parameters.  Knob
 * values from retort.ini and -x are checked here, where they are used, so
 * the list of knobs lives in one place.  Never prints.
 */
#include "data/backfill_job.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/text.h"

/* Below this many pages a table is counted rather than estimated. */
#define SMALL_TABLE_PAGES 10000

enum { RANGE_NUMBER = 1, RANGE_UUID = 2 };

/* ---- knobs ---- */

struct knob {
	const char *name; /* -x backfill.<name>, ini backfill_<name> */
	long *num;	  /* a whole number, or NULL for a duration */
	const char **text;
	long from_job; /* 0 = not set */
	const char *text_from_job;
	long fallback;
	const char *text_fallback;
	long min, max;
};

static int knob_invalid(const struct knob *kn, const char *where,
			const char *value, struct retort_error *err)
{
	if (kn->num)
		error_set(
			err, RETORT_FAILED,
			"%s: backfill knob %s = \"%s\" is not a whole number from %ld to %ld",
			where, kn->name, value, kn->min, kn->max);
	else
		error_set(err, RETORT_FAILED,
			  "%s: backfill knob %s = \"%s\" is not a duration",
			  where, kn->name, value);
	error_hint(
		err,
		"Numbers are whole (rows, milliseconds, attempts); durations are a whole number with ms, s, min or h (0 = no limit).");
	return -1;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Apply one textual setting (ini or -x) to the knob. */
static int knob_apply(const struct knob *kn, const char *where,
		      const char *value, struct retort_error *err)
{
	if (!value)
		return 0;
	if (kn->num && !parse_long(value, kn->min, kn->max, kn->num))
		return knob_invalid(kn, where, value, err);
	if (!kn->num && !config_is_duration(value))
		return knob_invalid(kn, where, value, err);
	if (!kn->num)
		*kn->text = value;
	return 0;
}

static int knob_from_job(const struct knob *kn, struct retort_error *err)
{
	char value[32];

	if (kn->num && kn->from_job) {
		if (kn->from_job < kn->min || kn->from_job > kn->max) {
			snprintf(value, sizeof(value), "%ld", kn->from_job);
			return knob_invalid(kn, "the job struct", value, err);
		}
		*kn->num = kn->from_job;
	}
	if (!kn->num && kn->text_from_job)
		return knob_apply(kn, "the job struct", kn->text_from_job, err);
	return 0;
}

/* Defaults, then retort.ini, then the job struct, then -x: last wins. */
static int knob_resolve(const struct knob *kn, const struct config *cfg,
			struct retort_error *err)
{
	char key[64];

	if (kn->num)
		*kn->num = kn->fallback;
	else
		*kn->text = kn->text_fallback;
	snprintf(key, sizeof(key), "backfill_%s", kn->name);
	if (cfg && knob_apply(kn, "retort.ini", config_ini_backfill(cfg, key),
			      err) < 0)
		return -1;
	if (knob_from_job(kn, err) < 0)
		return -1;
	snprintf(key, sizeof(key), "backfill.%s", kn->name);
	return cfg ? knob_apply(kn, "-x", config_arg(cfg, key), err) : 0;
}

/* The batch size stays within [min_batch, max_batch]. */
static int knobs_bound(struct backfill_knobs *k, struct retort_error *err)
{
	if (k->min_batch > k->max_batch) {
		error_set(
			err, RETORT_FAILED,
			"backfill knob min_batch (%ld) is above max_batch (%ld)",
			k->min_batch, k->max_batch);
		error_hint(err, "Lower min_batch or raise max_batch.");
		return -1;
	}
	/* An explicit batch size moves the bound it passes. */
	if (k->batch_size < k->min_batch)
		k->min_batch = k->batch_size;
	if (k->batch_size > k->max_batch)
		k->max_batch = k->batch_size;
	return 0;
}

#define NKNOBS 9

/* The knobs, each pointing into k, with the job's values from s. */
static void knob_table(struct backfill_knobs *k,
		       const struct retort_backfill_job *s,
		       struct knob out[NKNOBS])
{
	const struct knob knobs[NKNOBS] = {
		{ "batch_size", &k->batch_size, NULL, s->batch_size, NULL, 1000,
		  NULL, 1, 10000000 },
		{ "min_batch", &k->min_batch, NULL, s->min_batch, NULL, 100,
		  NULL, 1, 10000000 },
		{ "max_batch", &k->max_batch, NULL, s->max_batch, NULL, 100000,
		  NULL, 1, 10000000 },
		{ "target_ms", &k->target_ms, NULL, s->target_ms, NULL, 200,
		  NULL, 1, 3600000 },
		{ "pause_ms", &k->pause_ms, NULL, s->pause_ms, NULL, 0, NULL, 0,
		  3600000 },
		{ "max_retries", &k->max_retries, NULL, s->max_retries, NULL, 5,
		  NULL, 0, 1000 },
		{ "max_replication_lag_ms", &k->max_lag_ms, NULL,
		  s->max_replication_lag_ms, NULL, 0, NULL, 0, 86400000 },
		{ "lock_timeout", NULL, &k->lock_timeout, 0, s->lock_timeout, 0,
		  "2s", 0, 0 },
		{ "statement_timeout", NULL, &k->statement_timeout, 0,
		  s->statement_timeout, 0, "1min", 0, 0 },
	};

	memcpy(out, knobs, sizeof(knobs));
}

static int resolve_knobs(struct backfill_job *j, struct retort_error *err)
{
	struct knob knobs[NKNOBS];

	knob_table(&j->k, &j->spec, knobs);
	for (size_t i = 0; i < NKNOBS; i++)
		if (knob_resolve(&knobs[i], j->hc->cfg, err) < 0)
			return -1;
	return knobs_bound(&j->k, err);
}

static const struct knob *knob_named(const struct knob knobs[NKNOBS],
				     const char *name)
{
	for (size_t i = 0; i < NKNOBS; i++)
		if (strcmp(knobs[i].name, name) == 0)
			return &knobs[i];
	return NULL;
}

static int knob_unknown(const struct knob knobs[NKNOBS], const char *where,
			const char *key, struct retort_error *err)
{
	char names[400];
	size_t used = 0;

	names[0] = '\0';
	for (size_t i = 0; i < NKNOBS && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used,
					 "%s%s", i ? ", " : "", knobs[i].name);
	error_set(err, RETORT_USAGE, "%s: unknown backfill knob \"%s\"", where,
		  key);
	error_detail(err, "the backfill knobs are %s", names);
	error_hint(err, "Correct the name, or leave it out.");
	return -1;
}

/* One setting, before anything runs: a bad one is a usage error. */
static int knob_check(const struct knob knobs[NKNOBS], const char *where,
		      const char *key, const char *name, const char *value,
		      struct retort_error *err)
{
	const struct knob *kn = knob_named(knobs, name);

	if (!kn)
		return knob_unknown(knobs, where, key, err);
	if (knob_apply(kn, where, value, err) < 0) {
		err->status = RETORT_USAGE;
		return -1;
	}
	return 0;
}

int backfill_job_check_config(const struct config *cfg,
			      struct retort_error *err)
{
	static const char xprefix[] = "backfill.", iniprefix[] = "backfill_";
	struct retort_backfill_job none = { 0 };
	struct backfill_knobs scratch = { 0 };
	struct knob knobs[NKNOBS];

	knob_table(&scratch, &none, knobs);
	for (size_t i = 0; i < cfg->nini_backfill; i++) {
		const struct config_arg *a = &cfg->ini_backfill[i];

		if (strncmp(a->key, iniprefix, sizeof(iniprefix) - 1) == 0 &&
		    knob_check(knobs, "retort.ini", a->key,
			       a->key + sizeof(iniprefix) - 1, a->value,
			       err) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->nargs; i++) {
		const struct config_arg *a = &cfg->args[i];

		if (strncmp(a->key, xprefix, sizeof(xprefix) - 1) == 0 &&
		    knob_check(knobs, "-x", a->key,
			       a->key + sizeof(xprefix) - 1, a->value, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- names ---- */

/*
 * "s"."t" from s.t, "t" from t.  With a tenant schema, t is the tenant's
 * "tenant"."t": the walker's own statements run outside the batches'
 * transactions, where search_path is the session's, not the tenant's.
 */
static int quote_table(struct backfill_job *j, struct retort_error *err)
{
	const char *t = j->spec.table, *dot = strchr(t, '.');
	const char *tenant = db_tenant_schema(j->hc->db);
	char *schema;

	if (dot && (dot == t || !dot[1]))
		return error_set(
			err, RETORT_FAILED,
			"backfill table \"%s\" is not a name or schema.name",
			t);
	schema = dot ? strndup(t, (size_t)(dot - t))
		     : (tenant ? strdup(tenant) : NULL);
	if ((!dot && !tenant) || schema)
		j->table = db_quote_qualified(j->hc->db->conn, schema,
					      dot ? dot + 1 : t);
	free(schema);
	return j->table ? 0 : error_set(err, RETORT_FAILED, "out of memory");
}

static struct db_rows *query(struct backfill_job *j, const char *sql, int n,
			     const char *const *values,
			     struct retort_error *err)
{
	return db_query(j->hc->db, sql, n, values, err);
}

/* Whether the first column of the one row is true. */
static bool is_true(const struct db_rows *res)
{
	const char *v = res && db_nrows(res) == 1 ? db_value(res, 0, 0) : NULL;

	return v && strcmp(v, "t") == 0;
}

static int table_exists(struct backfill_job *j, struct retort_error *err)
{
	bool exists = false;

	if (db_table_exists(j->hc->db, j->table, &exists, err) < 0)
		return -1;
	if (exists)
		return 0;
	error_set(err, RETORT_FAILED, "backfill table %s does not exist",
		  j->table);
	error_hint(
		err,
		"Create it (or add the column) in a revision before this one; name it as schema.table when it is not on the search_path.");
	return -1;
}

static int add_key(struct backfill_job *j, const char *name, size_t len,
		   struct retort_error *err)
{
	int n = j->nkeys;
	char **keys = realloc(j->keys, (size_t)(n + 1) * sizeof(*keys));
	char **raw = keys ? realloc(j->raw_keys, (size_t)(n + 1) * sizeof(*raw))
			  : NULL;

	if (keys)
		j->keys = keys;
	if (raw)
		j->raw_keys = raw;
	if (!keys || !raw)
		return error_set(err, RETORT_FAILED, "out of memory");
	j->raw_keys[n] = strndup(name, len);
	j->keys[n] = j->raw_keys[n]
			     ? db_quote_ident(j->hc->db->conn, j->raw_keys[n])
			     : NULL;
	j->nkeys++;
	if (!j->keys[n] || !j->raw_keys[n])
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/* "a, b" as the revision wrote it: blanks around names ignored. */
static int keys_from_spec(struct backfill_job *j, struct retort_error *err)
{
	const char *p = j->spec.key;

	while (*p) {
		size_t len;

		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0)
			return error_set(
				err, RETORT_FAILED,
				"backfill key \"%s\" has an empty column name",
				j->spec.key);
		if (add_key(j, p, len, err) < 0)
			return -1;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

static int keys_from_primary_key(struct backfill_job *j,
				 struct retort_error *err)
{
	const char *params[] = { j->table };
	struct db_rows *res = query(
		j,
		"SELECT a.attname FROM pg_index i JOIN pg_attribute a"
		" ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
		" WHERE i.indrelid = to_regclass($1) AND i.indisprimary"
		" ORDER BY array_position(i.indkey::int2[], a.attnum)",
		1, params, err);
	int rc = 0;

	if (!res)
		return -1;
	for (size_t i = 0; rc == 0 && i < db_nrows(res); i++)
		rc = add_key(j, db_value(res, i, 0),
			     strlen(db_value(res, i, 0)), err);
	db_rows_free(res);
	if (rc == 0 && j->nkeys == 0) {
		error_set(err, RETORT_FAILED,
			  "backfill table %s has no primary key", j->table);
		error_hint(
			err,
			"Name a unique, indexed key in the job: .key = \"col\" or \"a, b\".");
		return -1;
	}
	return rc;
}

/* The key's column names as a text[] literal: {"a","b"}, a parameter. */
static void key_array(struct strbuf *names, const struct backfill_job *j)
{
	strbuf_add(names, "{");
	for (int i = 0; i < j->nkeys; i++) {
		strbuf_add(names, i ? ",\"" : "\"");
		for (const char *c = j->raw_keys[i]; *c; c++) {
			/* An array literal escapes " and \ with \. */
			if (*c == '"' || *c == '\\')
				strbuf_addc(names, '\\');
			strbuf_addc(names, *c);
		}
		strbuf_add(names, "\"");
	}
	strbuf_add(names, "}");
}

/*
 * A key the walk cannot seek with an index would make every batch scan
 * the whole table: refuse it rather than load a busy server.
 */
static int check_key_index(struct backfill_job *j, struct retort_error *err)
{
	struct strbuf names = STRBUF_INIT;
	const char *params[3];
	char n[16];
	struct db_rows *res;
	bool ok;

	key_array(&names, j);
	snprintf(n, sizeof(n), "%d", j->nkeys);
	params[0] = j->table;
	params[1] = n;
	params[2] = names.failed ? "{}" : strbuf_str(&names);
	res = query(j,
		    "SELECT EXISTS (SELECT 1 FROM pg_index i"
		    " WHERE i.indrelid = to_regclass($1) AND i.indpred IS NULL"
		    " AND i.indexprs IS NULL"
		    " AND (i.indkey::int2[])[0:$2::int - 1] = (SELECT"
		    " array_agg(a.attnum ORDER BY o.i) FROM unnest($3::text[])"
		    " WITH ORDINALITY AS o(name, i) JOIN pg_attribute a"
		    " ON a.attrelid = i.indrelid AND a.attname = o.name))",
		    3, params, err);
	strbuf_release(&names);
	if (!res)
		return -1;
	ok = is_true(res);
	db_rows_free(res);
	if (ok)
		return 0;
	error_set(err, RETORT_FAILED,
		  "backfill key (%s) of %s has no index that starts with it",
		  j->spec.key, j->table);
	error_detail(
		err,
		"without one every batch would scan the whole table to find its keys");
	error_hint(
		err,
		"Create an index on the key (CREATE INDEX CONCURRENTLY in a revision before this one), or use the primary key.");
	return -1;
}

static int resolve_keys(struct backfill_job *j, struct retort_error *err)
{
	if (!j->spec.key || !*j->spec.key)
		return keys_from_primary_key(j, err);
	if (keys_from_spec(j, err) < 0)
		return -1;
	return check_key_index(j, err);
}

/* ---- queries ---- */

/* `"a", "b"` with an optional prefix before and suffix after each. */
static void key_list(struct strbuf *b, const struct backfill_job *j,
		     const char *prefix, const char *suffix)
{
	for (int i = 0; i < j->nkeys; i++)
		strbuf_addf(b, "%s%s%s%s", i ? ", " : "", prefix, j->keys[i],
			    suffix);
}

/* SELECT k1, k2 FROM t [WHERE (k1, k2) > ($1, $2)] ORDER BY k1, k2
 * LIMIT $n: the batch's keys, straight from the index. */
static void batch_keys(struct strbuf *b, const struct backfill_job *j,
		       bool after)
{
	strbuf_add(b, "SELECT ");
	key_list(b, j, "", "");
	strbuf_addf(b, " FROM %s", j->table);
	if (after) {
		strbuf_add(b, " WHERE (");
		key_list(b, j, "", "");
		strbuf_add(b, ") > (");
		for (int i = 0; i < j->nkeys; i++)
			strbuf_addf(b, "%s$%d", i ? ", " : "", i + 1);
		strbuf_add(b, ")");
	}
	strbuf_add(b, " ORDER BY ");
	key_list(b, j, "", "");
	strbuf_addf(b, " LIMIT $%d", after ? j->nkeys + 1 : 1);
}

/* The batch's first (order "") or last (" DESC") row of keys, as alias. */
static void end_row(struct strbuf *b, const struct backfill_job *j,
		    const char *order, const char *alias)
{
	strbuf_add(b, "(SELECT ");
	key_list(b, j, "_rb.", "");
	strbuf_add(b, " FROM _rb ORDER BY ");
	key_list(b, j, "_rb.", order);
	strbuf_addf(b, " LIMIT 1) %s", alias);
}

/*
 * One keyset query per batch: the next `limit` keys after the last one
 * done (none for the first batch), returning their count, the first and
 * the last.  Never OFFSET: the index seeks straight to the start.  One
 * key whose type has min() and max() takes one pass; other keys (uuid,
 * composite) a CTE scanned for its first and last row.
 */
static char *bounds_sql(const struct backfill_job *j, bool after)
{
	struct strbuf b = STRBUF_INIT;

	if (j->minmax) {
		strbuf_addf(&b,
			    "SELECT count(*), min(_rs.%s)::text,"
			    " max(_rs.%s)::text FROM (",
			    j->keys[0], j->keys[0]);
		batch_keys(&b, j, after);
		strbuf_add(&b, ") _rs");
		return strbuf_finish(&b);
	}
	strbuf_add(&b, "WITH _rb AS (");
	batch_keys(&b, j, after);
	strbuf_add(&b, ") SELECT (SELECT count(*) FROM _rb), ");
	key_list(&b, j, "_rf.", "::text");
	strbuf_add(&b, ", ");
	key_list(&b, j, "_rl.", "::text");
	strbuf_add(&b, " FROM ");
	end_row(&b, j, "", "_rf");
	strbuf_add(&b, ", ");
	end_row(&b, j, " DESC", "_rl");
	return strbuf_finish(&b);
}

/* Whether the one key's type has pg_catalog's min() and max(). */
static void check_minmax(struct backfill_job *j)
{
	struct retort_error ignored;
	const char *params[2];
	struct db_rows *res;

	if (j->nkeys != 1)
		return;
	params[0] = j->table;
	params[1] = j->raw_keys[0];
	res = query(j,
		    "SELECT count(DISTINCT p.proname) = 2 FROM pg_aggregate a"
		    " JOIN pg_proc p ON p.oid = a.aggfnoid"
		    " WHERE p.proname IN ('min', 'max')"
		    " AND p.pronamespace = 'pg_catalog'::regnamespace"
		    " AND p.proargtypes[0] = (SELECT atttypid FROM pg_attribute"
		    " WHERE attrelid = to_regclass($1) AND attname = $2)",
		    2, params, &ignored);
	j->minmax = is_true(res);
	db_rows_free(res);
}

/*
 * Each batch's transaction: the lock's fence (db_begin_with) and the
 * job's timeouts.  A batch need not wait for its WAL to reach disk: a
 * server crash can lose only the last batches, each with its checkpoint
 * row (WAL is replayed in order), so the next run redoes exactly those.
 * The version row's COMMIT is synchronous and flushes them all.
 */
int backfill_job_begin(struct backfill_job *j, struct retort_error *err)
{
	const struct db_setting set[] = {
		{ "lock_timeout", j->k.lock_timeout },
		{ "statement_timeout", j->k.statement_timeout },
		{ "synchronous_commit", "off" },
	};

	return db_begin_with(j->hc->db, set, sizeof(set) / sizeof(set[0]), err);
}

static int build_queries(struct backfill_job *j, struct retort_error *err)
{
	check_minmax(j);
	j->first_sql = bounds_sql(j, false);
	j->next_sql = bounds_sql(j, true);
	if (!j->first_sql || !j->next_sql)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/* ---- estimates ---- */

/* The planner's row count: reltuples scaled to the table's size now. */
static void explain_rows(struct backfill_job *j)
{
	struct retort_error ignored;
	char sql[600];
	struct db_rows *res;
	const char *plan, *rows;

	snprintf(sql, sizeof(sql), "EXPLAIN SELECT 1 FROM %s", j->table);
	res = query(j, sql, 0, NULL, &ignored);
	plan = res && db_nrows(res) > 0 ? db_value(res, 0, 0) : NULL;
	rows = plan ? strstr(plan, "rows=") : NULL;
	if (rows)
		j->planner_rows = atoll(rows + 5);
	db_rows_free(res);
}

static bool parse_double(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return false;
	*out = strtod(s, &end);
	return *end == '\0';
}

static long long scalar_ll(struct backfill_job *j, const char *sql,
			   const char *param)
{
	struct retort_error ignored;
	const char *params[] = { param };
	struct db_rows *res = query(j, sql, param ? 1 : 0, params, &ignored);
	const char *v = res && db_nrows(res) == 1 ? db_value(res, 0, 0) : NULL;
	long long n = v ? atoll(v) : -1;

	db_rows_free(res);
	return n;
}

/*
 * How many rows to expect.  A small table is counted (cheap, and exact);
 * an analysed one has the planner's figure (reltuples scaled to its size
 * now); a large one never analysed is sampled: 1% of its pages.
 */
static void estimate_rows(struct backfill_job *j)
{
	char sql[700];
	long long pages, tuples;

	pages = scalar_ll(
		j,
		"SELECT CASE WHEN relkind = 'r' THEN"
		" pg_relation_size(oid) / current_setting('block_size')::int"
		" END FROM pg_class WHERE oid = to_regclass($1)",
		j->table);
	tuples = scalar_ll(j,
			   "SELECT reltuples::bigint FROM pg_class"
			   " WHERE oid = to_regclass($1)",
			   j->table);
	if (pages >= 0 && pages < SMALL_TABLE_PAGES) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", j->table);
		j->planner_rows = scalar_ll(j, sql, NULL);
	} else if (tuples < 0 && pages >= 0) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) * 100 FROM %s TABLESAMPLE SYSTEM (1)",
			 j->table);
		j->planner_rows = scalar_ll(j, sql, NULL);
	} else {
		explain_rows(j);
	}
	if (j->planner_rows < 0)
		j->planner_rows = 0;
}

/* A uuid's first 13 hex digits as a number: enough to place it. */
static bool parse_uuid(const char *s, double *out)
{
	double v = 0;
	int digits = 0;

	for (; *s && digits < 13; s++) {
		const char *hex = "0123456789abcdef";
		const char *d = strchr(hex, *s);

		if (*s == '-')
			continue;
		if (!d || !*d)
			return false;
		v = v * 16 + (double)(d - hex);
		digits++;
	}
	*out = v;
	return digits == 13;
}

static bool parse_key(int kind, const char *s, double *out)
{
	if (!s)
		return false;
	return kind == RANGE_UUID ? parse_uuid(s, out) : parse_double(s, out);
}

/* The key's type: numbers and (random) uuids spread evenly enough. */
static int range_kind(struct backfill_job *j)
{
	struct retort_error ignored;
	const char *params[] = { j->table, j->raw_keys[0] };
	struct db_rows *res =
		query(j,
		      "SELECT CASE WHEN atttypid = 'uuid'::regtype THEN 2"
		      " WHEN atttypid::regtype::text IN ('smallint', 'integer',"
		      " 'bigint', 'numeric', 'real', 'double precision') THEN 1"
		      " ELSE 0 END FROM pg_attribute"
		      " WHERE attrelid = to_regclass($1) AND attname = $2",
		      2, params, &ignored);
	int kind = 0;

	if (res && db_nrows(res) == 1)
		kind = atoi(db_value(res, 0, 0));
	db_rows_free(res);
	return kind;
}

/* One numeric or uuid key: where the last key stands between the first
 * and the last tells how far the walk has gone. */
static void estimate_range(struct backfill_job *j)
{
	struct retort_error ignored;
	char sql[1200];
	struct db_rows *res;
	int kind;

	if (j->nkeys != 1 || (kind = range_kind(j)) == 0)
		return;
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT %s FROM %s ORDER BY 1 LIMIT 1)::text,"
		 " (SELECT %s FROM %s ORDER BY 1 DESC LIMIT 1)::text",
		 j->keys[0], j->table, j->keys[0], j->table);
	res = query(j, sql, 0, NULL, &ignored);
	if (res && parse_key(kind, db_value(res, 0, 0), &j->range_lo) &&
	    parse_key(kind, db_value(res, 0, 1), &j->range_hi) &&
	    j->range_hi > j->range_lo)
		j->range_kind = kind;
	db_rows_free(res);
}

long long backfill_job_estimate(const struct backfill_job *j)
{
	long long done = j->ck.rows_done, est = j->planner_rows;
	double last, frac;

	if (j->ck.done)
		return done;
	if (j->range_kind && j->ck.nlast == 1 && done > 0 &&
	    parse_key(j->range_kind, j->ck.last[0], &last)) {
		frac = (last - j->range_lo) / (j->range_hi - j->range_lo);
		if (frac > 0.001 && frac <= 1)
			est = (long long)((double)done / frac + 0.5);
	}
	return est > done ? est : done;
}

void backfill_job_format_key(const struct backfill_job *j,
			     const char *const *values, char *buf, size_t size)
{
	size_t used = 0;

	if (!values) {
		snprintf(buf, size, "(start)");
		return;
	}
	used += (size_t)snprintf(buf, size, "%s", j->nkeys > 1 ? "(" : "");
	for (int i = 0; i < j->nkeys && used < size; i++) {
		/* A key is the table's text: escaped, as any printed text. */
		char shown[41];

		text_escape(values[i], shown, sizeof(shown));
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? ", " : "", shown);
	}
	if (j->nkeys > 1 && used < size)
		snprintf(buf + used, size - used, ")");
}

/* ---- the whole ---- */

static int check_spec(struct backfill_job *j,
		      const struct retort_backfill_job *spec,
		      struct retort_error *err)
{
	size_t n = spec->size < sizeof(j->spec) ? spec->size : sizeof(j->spec);

	if (spec->size < offsetof(struct retort_backfill_job, fn))
		return error_set(
			err, RETORT_FAILED,
			"retort_backfill() was given a job of %u bytes; build it with RETORT_BACKFILL(...)",
			(unsigned)spec->size);
	memcpy(&j->spec, spec, n);
	j->name = j->spec.name && *j->spec.name ? j->spec.name : "backfill";
	if (!j->spec.table || !*j->spec.table)
		return error_set(err, RETORT_FAILED,
				 "backfill \"%s\" names no table (.table)",
				 j->name);
	if (!j->spec.sql == !j->spec.fn) {
		error_set(
			err, RETORT_FAILED,
			"backfill \"%s\" needs exactly one batch body: .sql or .fn",
			j->name);
		error_hint(
			err,
			".sql takes the batch's first and last key as $1..$2n; .fn gets the connection and both keys.");
		return -1;
	}
	return 0;
}

int backfill_job_init(struct backfill_job *j, struct host_ctx *hc,
		      const struct retort_backfill_job *spec,
		      struct retort_error *err)
{
	memset(j, 0, sizeof(*j));
	j->hc = hc;
	if (check_spec(j, spec, err) < 0 || resolve_knobs(j, err) < 0)
		return -1;
	if (strcmp(j->name, "backfill") == 0)
		snprintf(j->label, sizeof(j->label), "%s", j->spec.table);
	else
		snprintf(j->label, sizeof(j->label), "%s (%s)", j->spec.table,
			 j->name);
	if (quote_table(j, err) < 0 || table_exists(j, err) < 0 ||
	    resolve_keys(j, err) < 0 || build_queries(j, err) < 0)
		return -1;
	estimate_rows(j);
	estimate_range(j);
	return 0;
}

void backfill_job_release(struct backfill_job *j)
{
	for (int i = 0; i < j->nkeys; i++) {
		free(j->keys[i]);
		free(j->raw_keys[i]);
	}
	free(j->keys);
	free(j->raw_keys);
	free(j->table);
	free(j->first_sql);
	free(j->next_sql);
	checkpoint_release(&j->ck);
	memset(j, 0, sizeof(*j));
}
