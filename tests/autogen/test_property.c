/*
 * Property test: for random pairs of schemas (A, B), with B a random
 * mutation of A (tables, columns and their types, nullability and
 * defaults, primary, unique, check and foreign keys, indexes), the
 * revisions autogenerate writes take a database at A to B, and their
 * downgrades take it back to A, by retort's catalog comparison and by
 * pg_dump.  Bounded in time: RETORT_PROPERTY_SECONDS (default 40) and
 * RETORT_PROPERTY_ITERATIONS (default 500); RETORT_PROPERTY_SEED replays
 * a run (each failure names its seed and iteration).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "roundtrip.h"
#include "schema/schemadiff.h"

#define NTABLES 4
#define NCOLS 8 /* slot 0: id, slot 1: parent_id */

enum type {
	T_INT,
	T_BIGINT,
	T_NUMERIC,
	T_TEXT,
	T_VARCHAR20,
	T_VARCHAR40,
	T_BOOL,
	T_TIMESTAMPTZ,
	T_DATE,
	T_JSONB,
	T_UUID,
	NTYPES
};

static const char *const type_sql[NTYPES] = {
	"integer",     "bigint",      "numeric(10,2)", "text",
	"varchar(20)", "varchar(40)", "boolean",       "timestamptz",
	"date",	       "jsonb",	      "uuid",
};

static const char *const default_sql[NTYPES] = {
	"7",
	"7",
	"1.50",
	"'d'",
	"'d'",
	"'d'",
	"true",
	"now()",
	"CURRENT_DATE",
	"'{}'",
	"gen_random_uuid()",
};

static const char *const table_names[NTABLES] = { "alpha", "Beta Table",
						  "order", "d\xc3\xa9lta" };
static const char *const column_names[NCOLS] = {
	"id",	  "parent_id", "amount", "Col Two",
	"select", "note",      "when",	 "Data \"x\"",
};

struct column {
	bool present, not_null, has_default, unique, check, indexed;
	enum type type;
};

struct table {
	bool present;
	int parent; /* the table parent_id references, or -1 */
	struct column cols[NCOLS];
};

struct schema {
	struct table t[NTABLES];
};

/* xorshift: deterministic from the seed on every platform. */
static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static bool chance(unsigned percent)
{
	return rnd(100) < percent;
}

static enum type id_type(int table)
{
	return table % 2 ? T_BIGINT : T_INT;
}

static void random_column(struct column *c, int slot, int table)
{
	c->present = slot == 0 || chance(60);
	c->type = slot == 0 ? id_type(table) : (enum type)rnd(NTYPES);
	c->not_null = slot == 0 || chance(30);
	c->has_default = slot > 1 && chance(30);
	c->unique = slot > 1 && chance(15);
	c->check = slot > 1 && chance(20);
	c->indexed = slot > 0 && chance(25);
}

static void random_table(struct table *t, int table)
{
	t->present = true;
	t->parent = chance(50) ? (int)rnd(NTABLES) : -1;
	for (int j = 0; j < NCOLS; j++)
		random_column(&t->cols[j], j, table);
}

/* Another type the column can be converted to (and back) with a cast. */
static enum type related_type(enum type t)
{
	static const enum type numbers[] = { T_INT, T_BIGINT, T_NUMERIC };
	static const enum type texts[] = { T_TEXT, T_VARCHAR20, T_VARCHAR40 };

	if (t <= T_NUMERIC && chance(70))
		return numbers[rnd(3)];
	if (t >= T_TEXT && t <= T_VARCHAR40)
		return texts[rnd(3)];
	return T_TEXT;
}

static void mutate_column(struct column *c, int slot, int table)
{
	if (slot == 0)
		return;
	if (chance(15)) {
		bool was = c->present;

		random_column(c, slot, table);
		c->present = !was;
		return;
	}
	if (slot > 1 && chance(20))
		c->type = related_type(c->type);
	if (chance(20))
		c->not_null = !c->not_null;
	if (slot > 1 && chance(20))
		c->has_default = !c->has_default;
	if (slot > 1 && chance(15))
		c->unique = !c->unique;
	if (slot > 1 && chance(15))
		c->check = !c->check;
	if (chance(20))
		c->indexed = !c->indexed;
}

static struct schema mutate(const struct schema *a)
{
	struct schema b = *a;

	for (int i = 0; i < NTABLES; i++) {
		struct table *t = &b.t[i];

		if (chance(12)) {
			if (t->present)
				t->present = false;
			else
				random_table(t, i);
			continue;
		}
		if (chance(20))
			t->parent = chance(70) ? (int)rnd(NTABLES) : -1;
		for (int j = 0; j < NCOLS; j++)
			mutate_column(&t->cols[j], j, i);
	}
	return b;
}

/* ---- SQL ---- */

static const char *q(const char *name)
{
	char *s = sd_quote_ident(name);
	const char *kept = harness_fmt("%s", s);

	free(s);
	return kept;
}

static const char *suffixed(int table, const char *column, const char *what)
{
	return q(harness_fmt("%s_%s_%s", table_names[table], column, what));
}

static const char *check_sql(const struct column *c, const char *col)
{
	if (c->type <= T_NUMERIC)
		return harness_fmt("%s > 0", col);
	if (c->type <= T_VARCHAR40)
		return harness_fmt("length(%s) < 100", col);
	return harness_fmt("%s IS NOT NULL", col);
}

static enum type parent_type(const struct table *t)
{
	return t->parent >= 0 ? id_type(t->parent) : T_INT;
}

static const char *table_sql(const struct table *t, int i)
{
	const char *sql = harness_fmt("CREATE TABLE %s (\n", q(table_names[i]));
	const char *sep = "";

	for (int j = 0; j < NCOLS; j++) {
		const struct column *c = &t->cols[j];
		const char *col = q(column_names[j]);
		enum type type = j == 1 ? parent_type(t) : c->type;

		if (!c->present)
			continue;
		sql = harness_fmt("%s%s    %s %s%s%s", sql, sep, col,
				  type_sql[type],
				  c->has_default ? " DEFAULT " : "",
				  c->has_default ? default_sql[type] : "");
		if (c->not_null)
			sql = harness_fmt("%s NOT NULL", sql);
		sep = ",\n";
	}
	sql = harness_fmt("%s,\n    CONSTRAINT %s PRIMARY KEY (id)", sql,
			  suffixed(i, "id", "pk"));
	for (int j = 2; j < NCOLS; j++) {
		const struct column *c = &t->cols[j];
		const char *col = q(column_names[j]);

		if (c->present && c->unique)
			sql = harness_fmt(
				"%s,\n    CONSTRAINT %s UNIQUE (%s)", sql,
				suffixed(i, column_names[j], "uq"), col);
		if (c->present && c->check)
			sql = harness_fmt("%s,\n    CONSTRAINT %s CHECK (%s)",
					  sql,
					  suffixed(i, column_names[j], "ck"),
					  check_sql(c, col));
	}
	return harness_fmt("%s\n);\n", sql);
}

static const char *schema_sql(const struct schema *s)
{
	const char *sql = "";

	for (int i = 0; i < NTABLES; i++)
		if (s->t[i].present)
			sql = harness_fmt("%s%s", sql, table_sql(&s->t[i], i));
	for (int i = 0; i < NTABLES; i++) {
		const struct table *t = &s->t[i];

		for (int j = 1; t->present && j < NCOLS; j++)
			if (t->cols[j].present && t->cols[j].indexed)
				sql = harness_fmt(
					"%sCREATE INDEX %s ON %s (%s);\n", sql,
					suffixed(i, column_names[j], "ix"),
					q(table_names[i]), q(column_names[j]));
		if (t->present && t->cols[1].present && t->parent >= 0 &&
		    s->t[t->parent].present)
			sql = harness_fmt(
				"%sALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY "
				"(parent_id) REFERENCES %s;\n",
				sql, q(table_names[i]),
				suffixed(i, "parent", "fk"),
				q(table_names[t->parent]));
	}
	return sql;
}

/* ---- the property ---- */

static unsigned long long seed;
static int iteration;

static void report(const char *a, const char *b)
{
	fprintf(stderr,
		"# property failure: RETORT_PROPERTY_SEED=%llu, iteration %d\n"
		"# --- A ---\n%s# --- B ---\n%s",
		seed, iteration, a, b);
}

/* The databases every iteration reuses, emptied between them. */
struct dbs {
	const struct harness_db *db, *ref, *shadow;
};

static void load(const struct harness_db *db, const char *sql)
{
	rt_reset(db);
	if (*sql)
		harness_exec(db, sql);
}

static void round_trip(const struct dbs *d, const char *a, const char *b)
{
	struct project p = rt_project(harness_fmt("p%d", iteration), d->db);
	const char *what =
		harness_fmt("seed %llu iteration %d", seed, iteration);
	const struct harness_result *r;

	p.shadow = d->shadow;
	load(d->db, a);
	rt_declare(&p, b);
	r = rt_retort(&p, "revision", "--autogenerate", "-m", "step", NULL);
	if (r->exit_code != 0)
		report(a, b);
	assert_ok(r);
	rt_build(&p);
	r = rt_retort(&p, "upgrade", "head", NULL);
	if (r->exit_code != 0)
		report(a, b);
	assert_ok(r);
	load(d->ref, b);
	rt_assert_same_schema(d->db, d->ref, harness_fmt("%s, upgrade", what));
	r = rt_retort(&p, "revision", "--autogenerate", "-m", "again", NULL);
	assert_str_eq(r->out, "No changes detected\n");
	r = rt_retort(&p, "downgrade", "base", NULL);
	if (r->exit_code != 0)
		report(a, b);
	assert_ok(r);
	load(d->ref, a);
	rt_assert_same_schema(d->db, d->ref,
			      harness_fmt("%s, downgrade", what));
}

static long env_long(const char *name, long fallback)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : fallback;
}

START_TEST(test_random_round_trips)
{
	long seconds = env_long("RETORT_PROPERTY_SECONDS", 40);
	long iterations = env_long("RETORT_PROPERTY_ITERATIONS", 500);
	time_t start = time(NULL);
	struct dbs d = { harness_db_fresh("prop"), harness_db_fresh("ref"),
			 harness_db_fresh("shadow") };

	seed = (unsigned long long)env_long("RETORT_PROPERTY_SEED",
					    (long)time(NULL));
	rng_state = seed * 2654435761ULL + 1;
	for (iteration = 0;
	     iteration < iterations && time(NULL) - start < seconds;
	     iteration++) {
		struct schema a = { 0 }, b;

		for (int i = 0; i < NTABLES; i++)
			if (chance(75))
				random_table(&a.t[i], i);
		b = mutate(&a);
		round_trip(&d, schema_sql(&a), schema_sql(&b));
	}
	ck_assert_msg(iteration > 0, "no iteration ran");
	printf("# %d random round trips, seed %llu\n", iteration, seed);
}
END_TEST

static Suite *property_suite(void)
{
	Suite *s = suite_create("autogen_property");
	TCase *tc = harness_tcase("random_schemas");

	tcase_set_timeout(tc, (double)env_long("RETORT_PROPERTY_SECONDS", 40) +
				      300);
	tcase_add_test(tc, test_random_round_trips);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(property_suite(), HARNESS_NEEDS_DB);
}
