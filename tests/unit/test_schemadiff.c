/*
 * test_schemadiff.c - unit tests for schemadiff.c (two catalogs in, the
 * ordered statements with their parts and hazards out) and codegen.c (the
 * C source of a revision).  Pure: catalogs are built here, no database.
 */
#include "schema/codegen.h"
#include "schema/schemadiff.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* An array literal and its length, for the two fields they fill. */
#define LIST(type, ...)                                                        \
	(type[]){ __VA_ARGS__ }, sizeof((type[]){ __VA_ARGS__ }) / sizeof(type)
#define COLS(...) LIST(struct cat_column, __VA_ARGS__)
#define CONS(...) LIST(struct cat_constraint, __VA_ARGS__)
#define IDXS(...) LIST(struct cat_index, __VA_ARGS__)
#define NONE NULL, 0

#define INT_COL(n)                                                             \
	{                                                                      \
		.name = n, .type = "integer"                                   \
	}
#define TEXT_COL(n)                                                            \
	{                                                                      \
		.name = n, .type = "text"                                      \
	}
#define PKEY(t)                                                                \
	{                                                                      \
		.name = t "_pkey", .kind = 'p', .def = "PRIMARY KEY (id)",     \
		.validated = true                                              \
	}

#define assert_ok(call, err)                                                   \
	ck_assert_msg((call) == 0, "%s failed: %s [%s]", #call, (err).msg,     \
		      (err).detail)

/* The casts the tests rely on, sorted by (source, target). */
static struct cat_cast casts[] = {
	{ "character varying", "text", 'i', 'b' },
	{ "integer", "bigint", 'i', 'f' },
	{ "text", "character varying", 'i', 'b' },
};

static struct catalog with_casts(struct catalog c)
{
	c.casts = casts;
	c.ncasts = N(casts);
	return c;
}

static const char *public_schema[] = { "public" };

static struct catalog tables(struct cat_table *t, size_t n)
{
	return with_casts((struct catalog){ .schemas = public_schema,
					    .nschemas = 1,
					    .tables = t,
					    .ntables = n });
}

static struct sd_plan plan_of(const struct catalog *old,
			      const struct catalog *new_)
{
	struct retort_error err = { 0 };
	struct sd_plan plan;

	assert_ok(schemadiff_plan(old, new_, &plan, &err), err);
	return plan;
}

/* The first change whose SQL (or, for irreversible steps, note) holds s. */
static const struct sd_change *find(const struct sd_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *text =
			l->items[i].sql ? l->items[i].sql : l->items[i].note;

		if (strstr(text, s))
			return &l->items[i];
	}
	return NULL;
}

static size_t position(const struct sd_list *l, const char *s)
{
	const struct sd_change *c = find(l, s);

	ck_assert_msg(c != NULL, "no statement holds \"%s\"", s);
	return (size_t)(c - l->items);
}

static const struct sd_change *must_find(const struct sd_list *l, const char *s)
{
	const struct sd_change *c = find(l, s);

	ck_assert_msg(c != NULL, "no statement holds \"%s\"", s);
	return c;
}

/* ---- quoting ---- */

static const struct {
	const char *in, *out;
} ident_cases[] = {
	{ "users", "users" },
	{ "_x1", "_x1" },
	{ "Users", "\"Users\"" },
	{ "user", "\"user\"" },
	{ "order", "\"order\"" },
	{ "name", "name" }, /* unreserved: quote_ident leaves it */
	{ "my table", "\"my table\"" },
	{ "a\"b", "\"a\"\"b\"" },
	{ "1x", "\"1x\"" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
};

START_TEST(test_quote_ident)
{
	char *q = sd_quote_ident(ident_cases[_i].in);

	ck_assert_str_eq(q, ident_cases[_i].out);
	free(q);
}
END_TEST

START_TEST(test_quote_literal)
{
	char *a = sd_quote_literal("it's"), *b = sd_quote_literal("a\\b'");

	ck_assert_str_eq(a, "'it''s'");
	ck_assert_str_eq(b, "E'a\\\\b'''");
	free(a);
	free(b);
}
END_TEST

/* ---- nothing to do ---- */

START_TEST(test_identical)
{
	struct cat_table t[] = { { "public", "users", false,
				   COLS(INT_COL("id"), TEXT_COL("name")),
				   CONS(PKEY("users")), NONE } };
	struct catalog a = tables(t, 1), b = tables(t, 1);
	struct sd_plan p = plan_of(&a, &b);

	ck_assert(sd_plan_is_empty(&p));
	ck_assert_uint_eq(p.down.n, 0);
	sd_plan_release(&p);
}
END_TEST

/* ---- tables and columns ---- */

START_TEST(test_create_table)
{
	struct cat_table t[] = { {
		"public",
		"My Table",
		false,
		COLS({ .name = "id",
		       .type = "bigint",
		       .not_null = true,
		       .identity = 'a',
		       .identity_opts = { "bigint", "1", "1", "1",
					  "9223372036854775807", "1", false } },
		     { .name = "total",
		       .type = "numeric(10,2)",
		       .generated = "(id * 2)" },
		     { .name = "note",
		       .type = "text",
		       .collation = "pg_catalog.\"C\"",
		       .default_expr = "'x'::text" }),
		CONS(PKEY("My Table")),
		IDXS({ "ix_note",
		       "CREATE INDEX ix_note ON public.\"My Table\" USING btree (note)",
		       false, true }),
	} };
	struct catalog a = tables(NULL, 0), b = tables(t, 1);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	c = must_find(&p.up, "CREATE TABLE public.\"My Table\" (\n"
			     "    id bigint GENERATED ALWAYS AS IDENTITY "
			     "NOT NULL,\n"
			     "    total numeric(10,2) GENERATED ALWAYS AS "
			     "((id * 2)) STORED,\n"
			     "    note text COLLATE pg_catalog.\"C\" DEFAULT "
			     "'x'::text\n)");
	ck_assert_uint_eq(c->hazards, 0);
	ck_assert_int_eq(c->part, SD_PART_MAIN);
	/* A new table is empty: its index is built in the transaction. */
	c = must_find(&p.up, "CREATE INDEX ix_note");
	ck_assert_int_eq(c->part, SD_PART_MAIN);
	ck_assert_uint_eq(c->hazards, 0);
	ck_assert(position(&p.up, "CREATE TABLE") <
		  position(&p.up, "ADD CONSTRAINT \"My Table_pkey\""));
	c = must_find(&p.down, "DROP TABLE public.\"My Table\"");
	ck_assert(c->hazards & SD_DATA_LOSS);
	ck_assert_uint_eq(p.down.n, 1);
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_add_and_drop_columns)
{
	struct cat_table t1[] = { { "public", "t", false,
				    COLS(INT_COL("id"), TEXT_COL("old")), NONE,
				    NONE } };
	struct cat_table t2[] = {
		{ "public", "t", false,
		  COLS(INT_COL("id"), TEXT_COL("new"),
		       { .name = "req", .type = "integer", .not_null = true },
		       { .name = "uid",
			 .type = "uuid",
			 .default_expr = "gen_random_uuid()" }),
		  NONE, NONE }
	};
	struct catalog a = tables(t1, 1), b = tables(t2, 1);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	c = must_find(&p.up, "DROP COLUMN old");
	ck_assert(c->hazards & SD_DATA_LOSS);
	ck_assert(c->hazards & SD_RENAME);
	ck_assert_ptr_nonnull(strstr(c->note, "RENAME COLUMN old TO new"));
	c = must_find(&p.up, "ADD COLUMN new text");
	ck_assert(c->hazards & SD_RENAME);
	c = must_find(&p.up, "ADD COLUMN req integer NOT NULL");
	ck_assert(c->hazards & SD_ROWS);
	c = must_find(&p.up, "ADD COLUMN uid uuid DEFAULT gen_random_uuid()");
	ck_assert(c->hazards & SD_REWRITE);
	ck_assert(c->hazards & SD_LOCK);
	/* Drops come last. */
	ck_assert(position(&p.up, "ADD COLUMN uid") <
		  position(&p.up, "DROP COLUMN old"));
	must_find(&p.down, "ADD COLUMN old text");
	c = must_find(&p.down, "DROP COLUMN req");
	ck_assert(c->hazards & SD_DATA_LOSS);
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_alter_column)
{
	struct cat_table t1[] = {
		{ "public", "t", false,
		  COLS({ .name = "a", .type = "integer", .default_expr = "0" },
		       { .name = "b", .type = "text" },
		       { .name = "c", .type = "character varying(10)" },
		       { .name = "d", .type = "character varying(20)" },
		       { .name = "e", .type = "text" }),
		  NONE, NONE }
	};
	struct cat_table t2[] = {
		{ "public", "t", false,
		  COLS({ .name = "a", .type = "bigint", .default_expr = "1" },
		       { .name = "b", .type = "integer" },
		       { .name = "c", .type = "character varying(20)" },
		       { .name = "d", .type = "character varying(10)" },
		       { .name = "e", .type = "text", .not_null = true }),
		  NONE, NONE }
	};
	struct catalog a = tables(t1, 1), b = tables(t2, 1);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	/* The default goes first: it might not cast to the new type. */
	ck_assert(position(&p.up, "ALTER COLUMN a DROP DEFAULT") <
		  position(&p.up, "ALTER COLUMN a TYPE bigint"));
	ck_assert(position(&p.up, "ALTER COLUMN a TYPE bigint") <
		  position(&p.up, "ALTER COLUMN a SET DEFAULT 1"));
	c = must_find(&p.up, "ALTER COLUMN a TYPE bigint");
	ck_assert(!(c->hazards & SD_USING));
	ck_assert(c->hazards & SD_REWRITE);
	c = must_find(&p.up, "ALTER COLUMN b TYPE integer USING b::integer");
	ck_assert(c->hazards & SD_USING);
	c = must_find(&p.up, "ALTER COLUMN c TYPE character varying(20)");
	ck_assert(!(c->hazards & SD_REWRITE));
	ck_assert(c->hazards & SD_LOCK);
	c = must_find(&p.up, "ALTER COLUMN d TYPE character varying(10)");
	ck_assert(c->hazards & SD_REWRITE);
	c = must_find(&p.up, "ALTER COLUMN e SET NOT NULL");
	ck_assert(c->hazards & SD_LOCK);
	ck_assert(c->hazards & SD_ROWS);
	must_find(&p.down, "ALTER COLUMN e DROP NOT NULL");
	c = must_find(&p.down, "ALTER COLUMN b TYPE text");
	ck_assert(!(c->hazards & SD_USING)); /* anything casts to text */
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_identity_changes)
{
	struct cat_seqopts def = { "integer",	 "1", "1",  "1",
				   "2147483647", "1", false };
	struct cat_seqopts by10 = def;
	struct cat_table t1[] = {
		{ "public", "t", false,
		  COLS({ .name = "a", .type = "integer", .default_expr = "7" },
		       { .name = "b",
			 .type = "integer",
			 .not_null = true,
			 .identity = 'd',
			 .identity_opts = def }),
		  NONE, NONE }
	};
	struct cat_table t2[1];
	struct catalog a, b;
	struct sd_plan p;

	by10.increment = "10";
	t2[0] = (struct cat_table){ "public",
				    "t",
				    false,
				    COLS({ .name = "a",
					   .type = "integer",
					   .not_null = true,
					   .identity = 'a',
					   .identity_opts = def },
					 { .name = "b",
					   .type = "integer",
					   .not_null = true,
					   .identity = 'a',
					   .identity_opts = by10 }),
				    NONE,
				    NONE };
	a = tables(t1, 1);
	b = tables(t2, 1);
	p = plan_of(&a, &b);
	ck_assert(position(&p.up, "ALTER COLUMN a DROP DEFAULT") <
		  position(&p.up, "ALTER COLUMN a SET NOT NULL"));
	ck_assert(position(&p.up, "ALTER COLUMN a SET NOT NULL") <
		  position(&p.up,
			   "ALTER COLUMN a ADD GENERATED ALWAYS AS IDENTITY"));
	must_find(&p.up, "ALTER COLUMN b SET GENERATED ALWAYS");
	must_find(&p.up, "ALTER COLUMN b SET INCREMENT BY 10 SET MINVALUE 1");
	must_find(&p.down, "ALTER COLUMN a DROP IDENTITY");
	ck_assert(position(&p.down, "ALTER COLUMN a DROP IDENTITY") <
		  position(&p.down, "ALTER COLUMN a SET DEFAULT 7"));
	sd_plan_release(&p);
}
END_TEST

/* ---- indexes and constraints on tables that exist ---- */

START_TEST(test_new_index_is_concurrent)
{
	struct cat_table t1[] = { { "public", "t", false,
				    COLS(INT_COL("id"), TEXT_COL("x")), NONE,
				    NONE } };
	struct cat_table t2[] = {
		{ "public", "t", false, COLS(INT_COL("id"), TEXT_COL("x")),
		  NONE,
		  IDXS({ "t_x", "CREATE INDEX t_x ON public.t USING btree (x)",
			 false, true }) }
	};
	struct catalog a = tables(t1, 1), b = tables(t2, 1);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	c = must_find(&p.up, "CREATE INDEX CONCURRENTLY t_x ON public.t");
	ck_assert_int_eq(c->part, SD_PART_POST);
	ck_assert_str_eq(c->guard,
			 "DROP INDEX CONCURRENTLY IF EXISTS public.t_x");
	ck_assert(!sd_list_has_part(&p.up, SD_PART_MAIN));
	c = must_find(&p.down, "DROP INDEX CONCURRENTLY IF EXISTS public.t_x");
	ck_assert_int_eq(c->part, SD_PART_POST);
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_changed_index_is_rebuilt)
{
	struct cat_table t1[] = {
		{ "public", "t", false, COLS(TEXT_COL("x")), NONE,
		  IDXS({ "t_x", "CREATE INDEX t_x ON public.t USING btree (x)",
			 false, true }) }
	};
	struct cat_table t2[] = {
		{ "public", "t", false, COLS(TEXT_COL("x")), NONE,
		  IDXS({ "t_x", "CREATE INDEX t_x ON public.t USING hash (x)",
			 false, true }) }
	};
	struct catalog a = tables(t1, 1), b = tables(t2, 1);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	ck_assert(position(&p.up, "DROP INDEX public.t_x") <
		  position(&p.up, "USING hash"));
	c = must_find(&p.up, "CREATE INDEX t_x ON public.t USING hash");
	ck_assert_int_eq(c->part, SD_PART_MAIN);
	ck_assert(c->hazards & SD_BLOCKS_WRITES);
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_new_keys_not_valid_then_validate)
{
	struct cat_table t1[] = {
		{ "public", "a", false, COLS(INT_COL("id"), INT_COL("b_id")),
		  CONS(PKEY("a")), NONE },
		{ "public", "b", false, COLS(INT_COL("id")), CONS(PKEY("b")),
		  NONE },
	};
	struct cat_table t2[] = {
		{ "public", "a", false, COLS(INT_COL("id"), INT_COL("b_id")),
		  CONS({ "a_b_fk", 'f',
			 "FOREIGN KEY (b_id) REFERENCES public.b(id)", true,
			 "public", "b" },
		       { "a_ck", 'c', "CHECK ((b_id > 0))", true, NULL, NULL },
		       PKEY("a")),
		  NONE },
		{ "public", "b", false, COLS(INT_COL("id")), CONS(PKEY("b")),
		  NONE },
	};
	struct catalog a = tables(t1, 2), b = tables(t2, 2);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	c = must_find(
		&p.up,
		"ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES public.b(id) NOT VALID");
	ck_assert_int_eq(c->part, SD_PART_MAIN);
	c = must_find(&p.up, "VALIDATE CONSTRAINT a_b_fk");
	ck_assert_int_eq(c->part, SD_PART_POST);
	must_find(&p.up, "ADD CONSTRAINT a_ck CHECK ((b_id > 0)) NOT VALID");
	must_find(&p.up, "VALIDATE CONSTRAINT a_ck");
	must_find(&p.down, "DROP CONSTRAINT a_b_fk");
	ck_assert(!sd_list_has_part(&p.down, SD_PART_POST));
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_key_change_rebuilds_foreign_keys)
{
	struct cat_table t1[] = {
		{ "public", "a", false, COLS(INT_COL("b_id")),
		  CONS({ "a_fk", 'f',
			 "FOREIGN KEY (b_id) REFERENCES public.b(id)", true,
			 "public", "b" }),
		  NONE },
		{ "public", "b", false, COLS(INT_COL("id"), INT_COL("k")),
		  CONS({ "b_pkey", 'p', "PRIMARY KEY (id)", true, NULL, NULL }),
		  NONE },
	};
	struct cat_table t2[] = {
		{ "public", "a", false, COLS(INT_COL("b_id")),
		  CONS({ "a_fk", 'f',
			 "FOREIGN KEY (b_id) REFERENCES public.b(id)", true,
			 "public", "b" }),
		  NONE },
		{ "public", "b", false, COLS(INT_COL("id"), INT_COL("k")),
		  CONS({ "b_pkey", 'p', "PRIMARY KEY (id) DEFERRABLE", true,
			 NULL, NULL }),
		  NONE },
	};
	struct catalog a = tables(t1, 2), b = tables(t2, 2);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	ck_assert(position(&p.up, "DROP CONSTRAINT a_fk") <
		  position(&p.up, "DROP CONSTRAINT b_pkey"));
	ck_assert(position(&p.up, "ADD CONSTRAINT b_pkey") <
		  position(&p.up, "ADD CONSTRAINT a_fk"));
	c = must_find(&p.up, "ADD CONSTRAINT b_pkey");
	ck_assert(c->hazards & SD_LOCK);
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_unique_index_for_new_key_stays_in_main)
{
	struct cat_table t1[] = {
		{ "public", "a", false, COLS(INT_COL("b_k")), NONE, NONE },
		{ "public", "b", false, COLS(INT_COL("k")), NONE, NONE },
	};
	struct cat_table t2[] = {
		{ "public", "a", false, COLS(INT_COL("b_k")),
		  CONS({ "a_fk", 'f',
			 "FOREIGN KEY (b_k) REFERENCES public.b(k)", true,
			 "public", "b" }),
		  NONE },
		{ "public", "b", false, COLS(INT_COL("k")), NONE,
		  IDXS({ "b_k",
			 "CREATE UNIQUE INDEX b_k ON public.b USING btree (k)",
			 true, true }) },
	};
	struct catalog a = tables(t1, 2), b = tables(t2, 2);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	c = must_find(&p.up, "CREATE UNIQUE INDEX b_k");
	ck_assert_int_eq(c->part, SD_PART_MAIN);
	ck_assert(position(&p.up, "CREATE UNIQUE INDEX b_k") <
		  position(&p.up, "ADD CONSTRAINT a_fk"));
	c = must_find(&p.down, "DROP INDEX public.b_k");
	ck_assert_int_eq(c->part, SD_PART_MAIN);
	sd_plan_release(&p);
}
END_TEST

/* ---- enum types ---- */

static struct catalog enums(struct cat_enum *e)
{
	return with_casts((struct catalog){ .schemas = public_schema,
					    .nschemas = 1,
					    .enums = e,
					    .nenums = 1 });
}

START_TEST(test_enum_values_added)
{
	const char *was[] = { "b", "d" }, *now[] = { "a", "b", "c", "d", "e" };
	struct cat_enum e1 = { "public", "mood", was, 2 };
	struct cat_enum e2 = { "public", "mood", now, 5 };
	struct catalog a = enums(&e1), b = enums(&e2);
	struct sd_plan p = plan_of(&a, &b);
	const struct sd_change *c;

	c = must_find(&p.up, "ALTER TYPE public.mood ADD VALUE 'a' BEFORE 'b'");
	ck_assert_int_eq(c->part, SD_PART_PRE);
	must_find(&p.up, "ADD VALUE 'c' AFTER 'b'");
	must_find(&p.up, "ADD VALUE 'e' AFTER 'd'");
	c = must_find(&p.down, "cannot remove a value");
	ck_assert_ptr_null(c->sql);
	ck_assert_int_eq(c->part, SD_PART_PRE);
	ck_assert_uint_eq(p.nproblems, 0);
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_enum_values_removed_or_reordered)
{
	const char *was[] = { "a", "b" }, *gone[] = { "a" },
		   *swapped[] = { "b", "a" };
	struct cat_enum e1 = { "public", "mood", was, 2 };
	struct cat_enum e2 = { "public", "mood", gone, 1 };
	struct cat_enum e3 = { "public", "mood", swapped, 2 };
	struct catalog a = enums(&e1), b = enums(&e2), c = enums(&e3);
	struct sd_plan p = plan_of(&a, &b);

	ck_assert_uint_eq(p.nproblems, 1);
	ck_assert_ptr_nonnull(strstr(p.problems[0], "public.mood"));
	ck_assert_ptr_nonnull(
		strstr(p.problems[0], "cannot remove or reorder"));
	sd_plan_release(&p);
	p = plan_of(&a, &c);
	ck_assert_uint_eq(p.nproblems, 1);
	sd_plan_release(&p);
}
END_TEST

/* ---- order, sequences, schemas ---- */

START_TEST(test_dependency_order)
{
	const char *schemas_a[] = { "old", "public" };
	const char *schemas_b[] = { "New Schema", "public" };
	const char *labels[] = { "x" };
	struct cat_enum e = { "old", "kind", labels, 1 };
	struct cat_extension ext = { "citext", "public" };
	struct cat_sequence seq = { "New Schema",
				    "s",
				    { "bigint", "1", "1", "1",
				      "9223372036854775807", "1", false },
				    NULL,
				    NULL };
	struct cat_table ta[] = { { "old", "t", false,
				    COLS({ .name = "k", .type = "old.kind" }),
				    NONE, NONE } };
	struct cat_table tb[] = {
		{ "New Schema", "t", false,
		  COLS({ .name = "n",
			 .type = "bigint",
			 .default_expr =
				 "nextval('\"New Schema\".s'::regclass)" }),
		  NONE, NONE }
	};
	struct catalog a = with_casts((struct catalog){ .schemas = schemas_a,
							.nschemas = 2,
							.enums = &e,
							.nenums = 1,
							.tables = ta,
							.ntables = 1 });
	struct catalog b = with_casts((struct catalog){ .schemas = schemas_b,
							.nschemas = 2,
							.exts = &ext,
							.nexts = 1,
							.seqs = &seq,
							.nseqs = 1,
							.tables = tb,
							.ntables = 1 });
	struct sd_plan p = plan_of(&a, &b);
	const char *order[] = {
		"CREATE SCHEMA \"New Schema\"",
		"CREATE EXTENSION citext WITH SCHEMA public",
		"CREATE SEQUENCE \"New Schema\".s",
		"CREATE TABLE \"New Schema\".t",
		"DROP TABLE old.t",
		"DROP TYPE old.kind",
		"DROP SCHEMA old",
	};

	for (size_t i = 1; i < N(order); i++)
		ck_assert_msg(position(&p.up, order[i - 1]) <
				      position(&p.up, order[i]),
			      "\"%s\" should come before \"%s\"", order[i - 1],
			      order[i]);
	ck_assert_ptr_nonnull(find(&p.up, "CREATE SEQUENCE \"New Schema\".s"));
	ck_assert_str_eq(must_find(&p.up, "CREATE SEQUENCE")->sql,
			 "CREATE SEQUENCE \"New Schema\".s");
	ck_assert(position(&p.down, "DROP TABLE \"New Schema\".t") <
		  position(&p.down, "DROP SEQUENCE \"New Schema\".s"));
	sd_plan_release(&p);
}
END_TEST

START_TEST(test_owned_sequence_goes_with_table)
{
	struct cat_sequence seq = { "public",
				    "t_id_seq",
				    { "integer", "1", "1", "1", "2147483647",
				      "1", false },
				    "t",
				    "id" };
	struct cat_table t[] = {
		{ "public", "t", false,
		  COLS({ .name = "id",
			 .type = "integer",
			 .not_null = true,
			 .default_expr =
				 "nextval('public.t_id_seq'::regclass)" }),
		  NONE, NONE }
	};
	struct catalog a = tables(NULL, 0);
	struct catalog b = tables(t, 1);
	struct sd_plan p;

	b.seqs = &seq;
	b.nseqs = 1;
	p = plan_of(&a, &b);
	ck_assert_str_eq(must_find(&p.up, "CREATE SEQUENCE")->sql,
			 "CREATE SEQUENCE public.t_id_seq AS integer");
	ck_assert(position(&p.up, "CREATE TABLE public.t") <
		  position(&p.up, "OWNED BY public.t.id"));
	ck_assert_ptr_null(find(&p.down, "DROP SEQUENCE"));
	sd_plan_release(&p);
}
END_TEST

/* ---- what autogenerate refuses ---- */

START_TEST(test_other_objects_refused)
{
	struct cat_other va = { "view", "public.v", "SELECT 1" };
	struct cat_other vb = { "view", "public.v", "SELECT 2" };
	struct cat_other fn = { "function", "public.f()", "..." };
	struct cat_other ob[] = { fn, vb };
	struct catalog a = tables(NULL, 0), b = tables(NULL, 0);
	struct sd_plan p;

	a.others = &va;
	a.nothers = 1;
	b.others = ob;
	b.nothers = 2;
	p = plan_of(&a, &b);
	ck_assert_uint_eq(p.nproblems, 2);
	ck_assert_ptr_nonnull(strstr(p.problems[0], "function public.f()"));
	ck_assert_ptr_nonnull(strstr(p.problems[0], "by hand"));
	ck_assert_ptr_nonnull(strstr(p.problems[1], "view public.v differs"));
	ck_assert(!sd_plan_is_empty(&p));
	sd_plan_release(&p);
}
END_TEST

/* ---- codegen ---- */

static struct sd_change change(enum sd_part part, unsigned hazards,
			       const char *sql, const char *note)
{
	return (struct sd_change){ part,
				   0,
				   hazards,
				   sql ? strdup(sql) : NULL,
				   strdup("a change"),
				   note ? strdup(note) : NULL,
				   NULL };
}

static char *render(enum sd_part part, struct sd_change *up, size_t nup,
		    struct sd_change *down, size_t ndown, const char *message)
{
	struct sd_list u = { up, nup, nup }, d = { down, ndown, ndown };
	struct codegen_revision rev = {
		"abc123",	 "001", message, "2026-11-25 10:00:00+00",
		"db/schema.sql", part,	&u,	 &d
	};

	return codegen_render(&rev);
}

static void free_changes(struct sd_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].sql);
		free(c[i].summary);
		free(c[i].note);
		free(c[i].guard);
	}
}

START_TEST(test_codegen_escapes)
{
	struct sd_change up[] = { change(
		SD_PART_MAIN, 0, "SELECT '\"x\\y?\?/' -- \t\001", NULL) };
	char *src = render(SD_PART_MAIN, up, 1, NULL, 0,
			   "tricky */ message \"quoted\" ?\?=");

	ck_assert_ptr_nonnull(src);
	ck_assert_ptr_nonnull(
		strstr(src, "\"SELECT '\\\"x\\\\y?\\?/' -- \\t\\001\""));
	ck_assert_ptr_nonnull(strstr(src, " * tricky * / message"));
	ck_assert_ptr_nonnull(strstr(
		src, ".message = \"tricky */ message \\\"quoted\\\" ?\\?=\""));
	ck_assert_ptr_null(strstr(src, "RETORT_NO_TRANSACTION"));
	ck_assert_ptr_nonnull(strstr(src, "int downgrade(retort_ctx *ctx)\n{\n"
					  "\t(void)ctx;\n\treturn 0;\n}\n"));
	free(src);
	free_changes(up, 1);
}
END_TEST

START_TEST(test_codegen_hazard_warning)
{
	struct sd_change up[] = { change(SD_PART_MAIN, SD_DATA_LOSS | SD_RENAME,
					 "ALTER TABLE t DROP COLUMN c",
					 "drops column t.c") },
			 down[] = { change(SD_PART_MAIN, 0,
					   "ALTER TABLE t ADD COLUMN c int",
					   NULL) };
	char *src = render(SD_PART_MAIN, up, 1, down, 1, "m");

	ck_assert_ptr_nonnull(strstr(
		src,
		"#warning \"retort HAZARD (data loss, rename): review, then delete this line\"\n"
		"\t/* HAZARD (data loss, rename): drops column t.c */\n"
		"\tif (retort_exec(ctx, \"ALTER TABLE t DROP COLUMN c\") < 0)\n"
		"\t\treturn -1;\n"));
	free(src);
	free_changes(up, 1);
	free_changes(down, 1);
}
END_TEST

START_TEST(test_codegen_parts)
{
	struct sd_change up[] = {
		change(SD_PART_PRE, 0, "ALTER TYPE e ADD VALUE 'x'", NULL),
		change(SD_PART_POST, 0, "CREATE INDEX CONCURRENTLY i ON t (c)",
		       NULL),
	};
	struct sd_change down[] = {
		change(SD_PART_PRE, 0, NULL, "cannot remove 'x'"),
		change(SD_PART_POST, 0, "DROP INDEX CONCURRENTLY IF EXISTS i",
		       NULL),
	};
	char *pre = render(SD_PART_PRE, up, 2, down, 2, "m");
	char *post = render(SD_PART_POST, up, 2, down, 2, "m");

	ck_assert_ptr_nonnull(strstr(pre, "ADD VALUE"));
	ck_assert_ptr_null(strstr(pre, "CONCURRENTLY"));
	ck_assert_ptr_nonnull(
		strstr(pre, "return retort_fail(ctx, \"irreversible: %s\",\n"
			    "\t\t\t   \"cannot remove 'x'\");"));
	ck_assert_ptr_nonnull(strstr(post, ".flags = RETORT_NO_TRANSACTION"));
	ck_assert_ptr_nonnull(
		strstr(post, "DROP INDEX CONCURRENTLY IF EXISTS i"));
	ck_assert_ptr_null(strstr(post, "irreversible"));
	free(pre);
	free(post);
	free_changes(up, 2);
	free_changes(down, 2);
}
END_TEST

START_TEST(test_codegen_long_statement_lines)
{
	char sql[400];
	struct sd_change up[1];
	char *src;

	memset(sql, 0, sizeof(sql));
	for (int i = 0; i < 30; i++)
		strcat(sql, "word1234 ");
	up[0] = change(SD_PART_MAIN, 0, sql, NULL);
	src = render(SD_PART_MAIN, up, 1, NULL, 0, "m");
	for (char *line = src; line && *line;) {
		char *end = strchr(line, '\n');
		size_t cols = 0;

		for (char *c = line; c < (end ? end : line + strlen(line)); c++)
			cols += *c == '\t' ? 8 - cols % 8 : 1;
		ck_assert_msg(cols <= 80, "line too long: %.*s",
			      (int)(end ? end - line : (long)strlen(line)),
			      line);
		line = end ? end + 1 : NULL;
	}
	free(src);
	free_changes(up, 1);
}
END_TEST

static Suite *schemadiff_suite(void)
{
	Suite *s = suite_create("schemadiff");
	TCase *tc;

	tc = tcase_create("sd_quote_ident");
	tcase_add_loop_test(tc, test_quote_ident, 0, N(ident_cases));
	tcase_add_test(tc, test_quote_literal);
	suite_add_tcase(s, tc);

	tc = tcase_create("schemadiff_plan");
	tcase_add_test(tc, test_identical);
	tcase_add_test(tc, test_create_table);
	tcase_add_test(tc, test_add_and_drop_columns);
	tcase_add_test(tc, test_alter_column);
	tcase_add_test(tc, test_identity_changes);
	tcase_add_test(tc, test_new_index_is_concurrent);
	tcase_add_test(tc, test_changed_index_is_rebuilt);
	tcase_add_test(tc, test_new_keys_not_valid_then_validate);
	tcase_add_test(tc, test_key_change_rebuilds_foreign_keys);
	tcase_add_test(tc, test_unique_index_for_new_key_stays_in_main);
	tcase_add_test(tc, test_enum_values_added);
	tcase_add_test(tc, test_enum_values_removed_or_reordered);
	tcase_add_test(tc, test_dependency_order);
	tcase_add_test(tc, test_owned_sequence_goes_with_table);
	tcase_add_test(tc, test_other_objects_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("codegen_render");
	tcase_add_test(tc, test_codegen_escapes);
	tcase_add_test(tc, test_codegen_hazard_warning);
	tcase_add_test(tc, test_codegen_parts);
	tcase_add_test(tc, test_codegen_long_statement_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(schemadiff_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
