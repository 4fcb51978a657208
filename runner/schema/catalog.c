/*
 * catalog.c - read a database's schema into a struct catalog.
 *
 * One query per object kind, each over PostgreSQL's catalogs, with the
 * server's own deparsers (pg_get_*def, format_type, pg_get_expr) for every
 * definition.  User objects are those with an OID at or above
 * FirstNormalObjectId (16384) that no extension owns; the public schema,
 * which initdb creates, is added by name.  Rows are read through the
 * database layer (db_query), never with libpq.  Never writes to the
 * database and never prints.
 */
#include "schema/catalog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "store/db.h"

/* ---- memory: everything of a catalog lives in its arena ---- */

struct cat_arena {
	struct cat_arena *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

#define ARENA_CHUNK 65536

static void *arena_alloc(struct catalog *cat, size_t size)
{
	struct cat_arena *a = cat->arena;
	void *p;

	size = (size + _Alignof(max_align_t) - 1) &
	       ~(size_t)(_Alignof(max_align_t) - 1);
	if (a == NULL || a->cap - a->used < size) {
		size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;

		a = malloc(sizeof(*a) + cap);
		if (a == NULL)
			return NULL;
		a->next = cat->arena;
		a->used = 0;
		a->cap = cap;
		cat->arena = a;
	}
	p = a->data + a->used;
	a->used += size;
	memset(p, 0, size);
	return p;
}

void catalog_release(struct catalog *cat)
{
	struct cat_arena *a, *next;

	if (cat == NULL)
		return;
	for (a = cat->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	memset(cat, 0, sizeof(*cat));
}

/*
 * A result set being read: its rows, the catalog its strings go to, and,
 * for a list of one item per row, the array they fill.
 */
struct rows {
	struct db_rows *res;
	struct catalog *cat;
	bool oom;
	void *items;
	size_t n;
};

/* Column col of row as text, "" for SQL NULL. */
static const char *value_at(const struct rows *r, size_t row, int col)
{
	const char *v = db_value(r->res, row, col);

	return v != NULL ? v : "";
}

/* Column col of row as an arena string; NULL for SQL NULL. */
static const char *text_at(struct rows *r, size_t row, int col)
{
	const char *v = db_value(r->res, row, col);
	size_t len;
	char *copy;

	if (v == NULL)
		return NULL;
	len = strlen(v);
	copy = arena_alloc(r->cat, len + 1);
	if (copy == NULL) {
		r->oom = true;
		return "";
	}
	memcpy(copy, v, len);
	return copy;
}

static bool bool_at(const struct rows *r, size_t row, int col)
{
	return value_at(r, row, col)[0] == 't';
}

static char char_at(const struct rows *r, size_t row, int col)
{
	return value_at(r, row, col)[0];
}

static void *alloc_array(struct rows *r, size_t n, size_t size)
{
	void *p = arena_alloc(r->cat, n * size + 1);

	if (p == NULL)
		r->oom = true;
	return p;
}

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

/* ---- the queries ---- */

/* Not a member of an extension: the extension's script made it. */
#define NOT_EXT(cls, oid)                                                      \
	" NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" cls       \
	"'::regclass AND e.objid = " oid " AND e.deptype = 'e') "

/* The plain tables autogenerate models; $1 the excluded relations. */
#define TABLES_CTE                                                             \
	"WITH t AS (SELECT c.oid, n.nspname, c.relname, c.relpersistence"      \
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"       \
	" WHERE c.relkind = 'r' AND NOT c.relispartition"                      \
	" AND c.relpersistence <> 't' AND c.oid >= 16384"                      \
	" AND c.oid <> ALL ($1::oid[]) AND" NOT_EXT("pg_class", "c.oid") ") "

static const char sql_excluded[] =
	"SELECT COALESCE(pg_catalog.array_agg(DISTINCT s.o)::pg_catalog.text,"
	" '{}') FROM (SELECT r.o FROM (SELECT pg_catalog.to_regclass(n)"
	"::pg_catalog.oid AS o FROM pg_catalog.unnest($1::pg_catalog.text[])"
	" n) r UNION ALL SELECT d.objid FROM pg_catalog.pg_depend d"
	" WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	" AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	" AND d.deptype OPERATOR(pg_catalog.=) ANY ('{a,i}'::pg_catalog.char[])"
	" AND d.refobjid OPERATOR(pg_catalog.=) ANY (SELECT pg_catalog"
	".to_regclass(n)::pg_catalog.oid FROM pg_catalog.unnest($1::pg_catalog"
	".text[]) n)) s WHERE s.o IS NOT NULL";

static const char sql_schemas[] =
	"SELECT n.nspname FROM pg_namespace n"
	" WHERE (n.oid >= 16384 OR n.nspname = 'public')"
	" AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname IS DISTINCT FROM $1"
	" AND" NOT_EXT("pg_namespace", "n.oid") "ORDER BY 1";

static const char sql_extensions[] =
	"SELECT x.extname, n.nspname FROM pg_extension x"
	" JOIN pg_namespace n ON n.oid = x.extnamespace ORDER BY 1";

static const char sql_enums[] =
	"SELECT n.nspname, t.typname, e.enumlabel FROM pg_type t"
	" JOIN pg_namespace n ON n.oid = t.typnamespace"
	" LEFT JOIN pg_enum e ON e.enumtypid = t.oid"
	" WHERE t.typtype = 'e' AND t.oid >= 16384 AND" NOT_EXT(
		"pg_type", "t.oid") "ORDER BY 1, 2, e.enumsortorder";

#define SEQ_COLUMNS                                                            \
	" format_type(s.seqtypid, NULL), s.seqstart::text,"                    \
	" s.seqincrement::text, s.seqmin::text, s.seqmax::text,"               \
	" s.seqcache::text, s.seqcycle "

static const char sql_sequences[] =
	"SELECT n.nspname, c.relname," SEQ_COLUMNS ", ot.relname, oa.attname"
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	" JOIN pg_sequence s ON s.seqrelid = c.oid"
	" LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass"
	" AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass"
	" AND d.deptype = 'a' AND d.refobjsubid > 0"
	" LEFT JOIN pg_class ot ON ot.oid = d.refobjid"
	" LEFT JOIN pg_attribute oa ON oa.attrelid = d.refobjid"
	" AND oa.attnum = d.refobjsubid"
	" WHERE c.relkind = 'S' AND c.oid >= 16384 AND c.oid <> ALL ($1::oid[])"
	" AND c.relpersistence <> 't' AND NOT EXISTS (SELECT 1 FROM pg_depend i"
	" WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid"
	" AND i.deptype = 'i') AND" NOT_EXT("pg_class",
					    "c.oid") "ORDER BY 1, 2";

static const char sql_casts[] =
	"SELECT format_type(castsource, NULL), format_type(casttarget, NULL),"
	" castcontext, castmethod FROM pg_cast ORDER BY 1, 2";

static const char sql_tables[] =
	TABLES_CTE "SELECT t.nspname, t.relname, t.relpersistence = 'u' FROM t"
		   " ORDER BY 1, 2";

static const char sql_columns[] = TABLES_CTE
	"SELECT t.nspname, t.relname, a.attname,"
	" format_type(a.atttypid, a.atttypmod),"
	" CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation"
	" THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,"
	" a.attnotnull, a.attidentity, a.attgenerated,"
	" pg_get_expr(ad.adbin, ad.adrelid)," SEQ_COLUMNS
	" FROM t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0"
	" AND NOT a.attisdropped JOIN pg_type ty ON ty.oid = a.atttypid"
	" LEFT JOIN pg_collation co ON co.oid = a.attcollation"
	" LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace"
	" LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid"
	" AND ad.adnum = a.attnum"
	" LEFT JOIN pg_depend d ON a.attidentity <> ''"
	" AND d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid"
	" AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass"
	" AND d.deptype = 'i'"
	" LEFT JOIN pg_sequence s ON s.seqrelid = d.objid"
	" ORDER BY 1, 2, a.attnum";

static const char sql_constraints[] = TABLES_CTE
	"SELECT t.nspname, t.relname, k.conname, k.contype,"
	" pg_get_constraintdef(k.oid), k.convalidated, fn.nspname, f.relname"
	" FROM t JOIN pg_constraint k ON k.conrelid = t.oid"
	" LEFT JOIN pg_class f ON f.oid = k.confrelid"
	" LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace"
	" WHERE k.contype IN ('p', 'u', 'c', 'f', 'x') ORDER BY 1, 2, 3";

static const char sql_indexes[] = TABLES_CTE
	"SELECT t.nspname, t.relname, i.relname, pg_get_indexdef(x.indexrelid),"
	" x.indisunique, x.indisvalid"
	" FROM t JOIN pg_index x ON x.indrelid = t.oid"
	" JOIN pg_class i ON i.oid = x.indexrelid"
	" WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k"
	" WHERE k.conindid = x.indexrelid AND k.conrelid = t.oid"
	" AND k.contype IN ('p', 'u', 'x')) ORDER BY 1, 2, 3";

/*
 * Everything else a user can create, as (class, object, subobject, kind,
 * definition); kind NULL means pg_identify_object()'s type.  A grant is
 * its ACL as text without the owner's own entries (NULL when only those).
 */
static const char sql_others[] =
	/* the ACLs of what can have one, and the owners */
	"WITH g(classid, objid, objsubid, acl, owner) AS ("
	"SELECT 'pg_class'::regclass, c.oid, 0, c.relacl, c.relowner"
	" FROM pg_class c WHERE c.relacl IS NOT NULL AND c.oid >= 16384"
	" AND c.oid <> ALL ($1::oid[])"
	" UNION ALL SELECT 'pg_class'::regclass, c.oid, a.attnum, a.attacl,"
	" c.relowner FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
	" WHERE a.attacl IS NOT NULL AND c.oid >= 16384"
	" AND c.oid <> ALL ($1::oid[])"
	" UNION ALL SELECT 'pg_namespace'::regclass, n.oid, 0, n.nspacl,"
	" n.nspowner FROM pg_namespace n WHERE n.nspacl IS NOT NULL"
	" AND (n.oid >= 16384 OR n.oid = 2200) AND n.nspname NOT LIKE 'pg\\_%'"
	" UNION ALL SELECT 'pg_proc'::regclass, p.oid, 0, p.proacl, p.proowner"
	" FROM pg_proc p WHERE p.proacl IS NOT NULL AND p.oid >= 16384"
	" UNION ALL SELECT 'pg_type'::regclass, t.oid, 0, t.typacl, t.typowner"
	" FROM pg_type t WHERE t.typacl IS NOT NULL AND t.oid >= 16384),"
	" o(classid, objid, objsubid, kind, def) AS ("
	/* relations other than plain tables and sequences */
	"SELECT 'pg_class'::regclass, c.oid, 0, CASE WHEN c.relispartition"
	" THEN 'partition' WHEN c.relkind = 'p' THEN 'partitioned table' END,"
	" CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid)"
	" WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid)"
	" WHEN c.relkind = 'r' THEN pg_get_expr(c.relpartbound, c.oid)"
	" ELSE (SELECT string_agg(quote_ident(a.attname) || ' '"
	" || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)"
	" FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0"
	" AND NOT a.attisdropped) END FROM pg_class c WHERE c.oid >= 16384"
	" AND c.oid <> ALL ($1::oid[]) AND c.relpersistence <> 't'"
	" AND (c.relkind IN ('v', 'm', 'c', 'f', 'p') OR c.relispartition)"
	/* indexes and constraints of those */
	" UNION ALL SELECT 'pg_class'::regclass, x.indexrelid, 0, NULL,"
	" pg_get_indexdef(x.indexrelid) FROM pg_index x"
	" JOIN pg_class r ON r.oid = x.indrelid WHERE x.indexrelid >= 16384"
	" AND r.relkind <> 't' AND (r.relkind <> 'r' OR r.relispartition)"
	" UNION ALL SELECT 'pg_constraint'::regclass, k.oid, 0, NULL,"
	" pg_get_constraintdef(k.oid) FROM pg_constraint k"
	" JOIN pg_class r ON r.oid = k.conrelid WHERE k.oid >= 16384"
	" AND (r.relkind <> 'r' OR r.relispartition)"
	/* table properties autogenerate does not write */
	" UNION ALL SELECT 'pg_class'::regclass, i.inhrelid, 0, 'inheritance',"
	" string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)"
	" FROM pg_inherits i JOIN pg_class r ON r.oid = i.inhrelid"
	" WHERE NOT r.relispartition AND r.relkind = 'r' GROUP BY i.inhrelid"
	" UNION ALL SELECT 'pg_class'::regclass, c.oid, 0,"
	" 'storage parameters', array_to_string(c.reloptions, ', ')"
	" FROM pg_class c WHERE c.reloptions IS NOT NULL AND c.oid >= 16384"
	" AND c.oid <> ALL ($1::oid[]) AND c.relkind IN ('r', 'S')"
	" UNION ALL SELECT 'pg_class'::regclass, c.oid, 0,"
	" 'row level security', CASE WHEN c.relforcerowsecurity"
	" THEN 'forced' ELSE 'enabled' END FROM pg_class c"
	" WHERE (c.relrowsecurity OR c.relforcerowsecurity) AND c.oid >= 16384"
	/* code and rules */
	" UNION ALL SELECT 'pg_proc'::regclass, p.oid, 0, NULL,"
	" CASE WHEN p.prokind = 'a' THEN (SELECT concat_ws(' ', a.aggtransfn,"
	" format_type(a.aggtranstype, NULL), a.aggfinalfn, a.agginitval)"
	" FROM pg_aggregate a WHERE a.aggfnoid = p.oid)"
	" ELSE pg_get_functiondef(p.oid) END FROM pg_proc p"
	" WHERE p.oid >= 16384"
	" UNION ALL SELECT 'pg_trigger'::regclass, g.oid, 0, NULL,"
	" pg_get_triggerdef(g.oid) FROM pg_trigger g WHERE NOT g.tgisinternal"
	" AND g.oid >= 16384 AND g.tgrelid <> ALL ($1::oid[])"
	" UNION ALL SELECT 'pg_policy'::regclass, p.oid, 0, NULL,"
	" concat_ws(' ', p.polcmd, p.polpermissive, (SELECT string_agg(CASE"
	" WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END,"
	" ',' ORDER BY 1) FROM unnest(p.polroles) r),"
	" pg_get_expr(p.polqual, p.polrelid),"
	" pg_get_expr(p.polwithcheck, p.polrelid)) FROM pg_policy p"
	" UNION ALL SELECT 'pg_rewrite'::regclass, w.oid, 0, NULL,"
	" pg_get_ruledef(w.oid) FROM pg_rewrite w WHERE w.oid >= 16384"
	" AND w.rulename <> '_RETURN'"
	/* types other than enums, row types, arrays and multiranges */
	" UNION ALL SELECT 'pg_type'::regclass, t.oid, 0, NULL,"
	" CASE WHEN t.typtype = 'd' THEN concat_ws(' ',"
	" format_type(t.typbasetype, t.typtypmod), CASE WHEN t.typnotnull"
	" THEN 'NOT NULL' END, 'DEFAULT ' || t.typdefault,"
	" (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid),"
	" ', ' ORDER BY k.conname) FROM pg_constraint k"
	" WHERE k.contypid = t.oid)) WHEN t.typtype = 'r' THEN"
	" (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r"
	" WHERE r.rngtypid = t.oid) END FROM pg_type t WHERE t.oid >= 16384"
	" AND t.typtype IN ('b', 'd', 'r', 'p') AND NOT EXISTS (SELECT 1"
	" FROM pg_type e WHERE e.typarray = t.oid)"
	/* the rest: that it exists is enough to stop */
	" UNION ALL SELECT 'pg_operator'::regclass, oid, 0, NULL, NULL"
	" FROM pg_operator WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_opclass'::regclass, oid, 0, NULL, NULL"
	" FROM pg_opclass WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_opfamily'::regclass, oid, 0, NULL, NULL"
	" FROM pg_opfamily WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_collation'::regclass, oid, 0, NULL, NULL"
	" FROM pg_collation WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_conversion'::regclass, oid, 0, NULL, NULL"
	" FROM pg_conversion WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_ts_config'::regclass, oid, 0, NULL, NULL"
	" FROM pg_ts_config WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_ts_dict'::regclass, oid, 0, NULL, NULL"
	" FROM pg_ts_dict WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_ts_parser'::regclass, oid, 0, NULL, NULL"
	" FROM pg_ts_parser WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_ts_template'::regclass, oid, 0, NULL, NULL"
	" FROM pg_ts_template WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_event_trigger'::regclass, oid, 0, NULL, NULL"
	" FROM pg_event_trigger WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_cast'::regclass, oid, 0, NULL, NULL"
	" FROM pg_cast WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid, 0, NULL, NULL"
	" FROM pg_foreign_data_wrapper WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_foreign_server'::regclass, oid, 0, NULL, NULL"
	" FROM pg_foreign_server WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_publication'::regclass, oid, 0, NULL, NULL"
	" FROM pg_publication WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_language'::regclass, oid, 0, NULL, NULL"
	" FROM pg_language WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_am'::regclass, oid, 0, NULL, NULL"
	" FROM pg_am WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_transform'::regclass, oid, 0, NULL, NULL"
	" FROM pg_transform WHERE oid >= 16384"
	" UNION ALL SELECT 'pg_statistic_ext'::regclass, s.oid, 0, NULL,"
	" pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s"
	" WHERE s.oid >= 16384"
	" UNION ALL SELECT 'pg_user_mapping'::regclass, m.umid, 0, NULL, NULL"
	" FROM pg_user_mappings m WHERE m.umid >= 16384"
	" UNION ALL SELECT 'pg_subscription'::regclass, s.oid, 0, NULL, NULL"
	" FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid"
	" WHERE d.datname = current_database()"
	/* comments */
	" UNION ALL SELECT d.classoid, d.objoid, d.objsubid, 'comment',"
	" d.description FROM pg_description d WHERE (d.objoid >= 16384"
	" OR d.classoid = 'pg_namespace'::regclass AND d.objoid = 2200)"
	/* an extension's comment comes with it, from its control file */
	" AND d.classoid <> 'pg_extension'::regclass"
	" AND NOT (d.classoid = 'pg_class'::regclass"
	" AND d.objoid = ANY ($1::oid[]))"
	/* grants, from g */
	" UNION ALL SELECT g.classid, g.objid, g.objsubid, 'privileges',"
	" (SELECT string_agg(CASE WHEN x.grantee = 0 THEN 'PUBLIC'"
	" ELSE quote_ident(pg_get_userbyid(x.grantee)) END || ' '"
	" || x.privilege_type || CASE WHEN x.is_grantable"
	" THEN ' WITH GRANT OPTION' ELSE '' END, ', ' ORDER BY 1)"
	" FROM aclexplode(g.acl) x WHERE x.grantee <> g.owner) FROM g"
	" UNION ALL SELECT 'pg_default_acl'::regclass, a.oid, 0, NULL,"
	" a.defaclacl::text FROM pg_default_acl a)"
	" SELECT CASE WHEN o.kind IN ('comment', 'privileges')"
	" THEN o.kind || ' on ' || i.type ELSE coalesce(o.kind, i.type) END,"
	" i.identity, o.def FROM o, LATERAL pg_identify_object(o.classid,"
	" o.objid, o.objsubid) i WHERE NOT EXISTS (SELECT 1 FROM pg_depend e"
	" WHERE e.classid = o.classid AND e.objid = o.objid"
	" AND e.deptype = 'e') AND NOT (o.kind = 'privileges'"
	" AND o.def IS NULL)";

/* ---- running them ---- */

struct reader {
	struct db *db;
	struct catalog *cat;
	const char *oids;   /* the excluded relations, '{...}' */
	const char *schema; /* the excluded schema, or NULL */
	struct retort_error *err;
};

/* The parameter each query takes: none, $1 the OIDs, or $1 the schema. */
enum param { NO_PARAM, OIDS_PARAM, SCHEMA_PARAM };

static int run_query(struct reader *rd, const char *sql, enum param param,
		     const char *what, struct rows *out)
{
	const char *value = param == OIDS_PARAM ? rd->oids : rd->schema;

	memset(out, 0, sizeof(*out));
	out->res = db_query(rd->db, sql, param != NO_PARAM, &value, rd->err);
	if (out->res == NULL) {
		error_prefix(rd->err, "cannot read the %s of the database",
			     what);
		return -1;
	}
	out->cat = rd->cat;
	return 0;
}

static int finish_rows(struct rows *r, struct retort_error *err)
{
	db_rows_free(r->res);
	r->res = NULL;
	return r->oom ? oom(err) : 0;
}

/* A kind of object read one per row into an array of items. */
struct list_query {
	const char *sql;
	enum param param;
	const char *what; /* for the error: "cannot read the <what> of ..." */
	size_t size;	  /* of an item */
	void (*fill)(struct rows *r, size_t row, void *item);
};

/* r->items and r->n: the query's rows, each filled into an item. */
static int read_items(struct reader *rd, const struct list_query *q,
		      struct rows *r)
{
	size_t n;

	if (run_query(rd, q->sql, q->param, q->what, r) < 0)
		return -1;
	n = db_nrows(r->res);
	r->items = alloc_array(r, n, q->size);
	for (size_t i = 0; i < n && !r->oom; i++)
		q->fill(r, i, (char *)r->items + i * q->size);
	r->n = r->oom ? 0 : n;
	return finish_rows(r, rd->err);
}

static void fill_schema(struct rows *r, size_t row, void *item)
{
	*(const char **)item = text_at(r, row, 0);
}

static void fill_extension(struct rows *r, size_t row, void *item)
{
	struct cat_extension *x = item;

	x->name = text_at(r, row, 0);
	x->schema = text_at(r, row, 1);
}

static void read_seqopts(struct rows *r, size_t row, int col,
			 struct cat_seqopts *o)
{
	o->type = text_at(r, row, col);
	o->start = text_at(r, row, col + 1);
	o->increment = text_at(r, row, col + 2);
	o->min = text_at(r, row, col + 3);
	o->max = text_at(r, row, col + 4);
	o->cache = text_at(r, row, col + 5);
	o->cycle = bool_at(r, row, col + 6);
}

static void fill_sequence(struct rows *r, size_t row, void *item)
{
	struct cat_sequence *s = item;

	s->schema = text_at(r, row, 0);
	s->name = text_at(r, row, 1);
	read_seqopts(r, row, 2, &s->opts);
	s->owned_table = text_at(r, row, 9);
	s->owned_column = text_at(r, row, 10);
}

static void fill_table(struct rows *r, size_t row, void *item)
{
	struct cat_table *t = item;

	t->schema = text_at(r, row, 0);
	t->name = text_at(r, row, 1);
	t->unlogged = bool_at(r, row, 2);
}

static void fill_cast(struct rows *r, size_t row, void *item)
{
	struct cat_cast *c = item;

	c->source = text_at(r, row, 0);
	c->target = text_at(r, row, 1);
	c->context = char_at(r, row, 2);
	c->method = char_at(r, row, 3);
}

static void fill_other(struct rows *r, size_t row, void *item)
{
	struct cat_other *o = item;

	o->kind = text_at(r, row, 0);
	o->identity = text_at(r, row, 1);
	o->def = text_at(r, row, 2);
}

enum list { L_SCHEMAS, L_EXTENSIONS, L_SEQUENCES, L_TABLES, L_CASTS, L_OTHERS };

static const struct list_query lists[] = {
	[L_SCHEMAS] = { sql_schemas, SCHEMA_PARAM, "schemas", sizeof(char *),
			fill_schema },
	[L_EXTENSIONS] = { sql_extensions, NO_PARAM, "extensions",
			   sizeof(struct cat_extension), fill_extension },
	[L_SEQUENCES] = { sql_sequences, OIDS_PARAM, "sequences",
			  sizeof(struct cat_sequence), fill_sequence },
	[L_TABLES] = { sql_tables, OIDS_PARAM, "tables",
		       sizeof(struct cat_table), fill_table },
	[L_CASTS] = { sql_casts, NO_PARAM, "casts", sizeof(struct cat_cast),
		      fill_cast },
	[L_OTHERS] = { sql_others, OIDS_PARAM, "other objects",
		       sizeof(struct cat_other), fill_other },
};

#define NLISTS (sizeof(lists) / sizeof(lists[0]))

static int read_lists(struct reader *rd)
{
	struct catalog *c = rd->cat;
	struct rows r[NLISTS];

	for (size_t k = 0; k < NLISTS; k++)
		if (read_items(rd, &lists[k], &r[k]) < 0)
			return -1;
	c->schemas = r[L_SCHEMAS].items;
	c->nschemas = r[L_SCHEMAS].n;
	c->exts = r[L_EXTENSIONS].items;
	c->nexts = r[L_EXTENSIONS].n;
	c->seqs = r[L_SEQUENCES].items;
	c->nseqs = r[L_SEQUENCES].n;
	c->tables = r[L_TABLES].items;
	c->ntables = r[L_TABLES].n;
	c->casts = r[L_CASTS].items;
	c->ncasts = r[L_CASTS].n;
	c->others = r[L_OTHERS].items;
	c->nothers = r[L_OTHERS].n;
	return 0;
}

/* The rows from first on that name the same object: (schema, name). */
static size_t same_object(const struct rows *r, size_t first)
{
	size_t end = first, n = db_nrows(r->res);

	while (end < n &&
	       strcmp(value_at(r, first, 0), value_at(r, end, 0)) == 0 &&
	       strcmp(value_at(r, first, 1), value_at(r, end, 1)) == 0)
		end++;
	return end - first;
}

/* Rows are (schema, type, label), one per label, a NULL label for none. */
static int read_enums(struct reader *rd)
{
	struct rows r;
	size_t k = 0, n;

	if (run_query(rd, sql_enums, NO_PARAM, "enum types", &r) < 0)
		return -1;
	n = db_nrows(r.res);
	rd->cat->enums = alloc_array(&r, n, sizeof(*rd->cat->enums));
	for (size_t i = 0; i < n && !r.oom;) {
		struct cat_enum *e = &rd->cat->enums[k++];
		size_t count = same_object(&r, i);

		e->schema = text_at(&r, i, 0);
		e->name = text_at(&r, i, 1);
		e->labels = alloc_array(&r, count, sizeof(char *));
		for (size_t end = i + count; i < end && !r.oom; i++)
			if (db_value(r.res, i, 2) != NULL)
				e->labels[e->nlabels++] = text_at(&r, i, 2);
	}
	rd->cat->nenums = r.oom ? 0 : k;
	return finish_rows(&r, rd->err);
}

/*
 * Rows (schema, table, ...) grouped by table, in table order: call fill
 * for each table's first row and count.  A table the result names but the
 * catalog lacks (created between the queries: impossible in one snapshot)
 * is skipped.
 */
static void group_by_table(struct rows *r,
			   void (*fill)(struct rows *r, struct cat_table *t,
					size_t first, size_t count))
{
	size_t n = db_nrows(r->res);

	for (size_t i = 0; i < n && !r->oom;) {
		size_t count = same_object(r, i);
		struct cat_table *t = (struct cat_table *)catalog_table(
			r->cat, value_at(r, i, 0), value_at(r, i, 1));

		if (t != NULL)
			fill(r, t, i, count);
		i += count;
	}
}

static void fill_columns(struct rows *r, struct cat_table *t, size_t first,
			 size_t count)
{
	t->cols = alloc_array(r, count, sizeof(*t->cols));
	for (size_t i = first; i < first + count && !r->oom; i++) {
		struct cat_column *c = &t->cols[t->ncols++];
		char generated = char_at(r, i, 7);

		c->name = text_at(r, i, 2);
		c->type = text_at(r, i, 3);
		c->collation = text_at(r, i, 4);
		c->not_null = bool_at(r, i, 5);
		c->identity = char_at(r, i, 6);
		if (generated)
			c->generated = text_at(r, i, 8);
		else
			c->default_expr = text_at(r, i, 8);
		if (c->identity)
			read_seqopts(r, i, 9, &c->identity_opts);
	}
}

static void fill_constraints(struct rows *r, struct cat_table *t, size_t first,
			     size_t count)
{
	static const char not_valid[] = " NOT VALID";

	t->cons = alloc_array(r, count, sizeof(*t->cons));
	for (size_t i = first; i < first + count && !r->oom; i++) {
		struct cat_constraint *k = &t->cons[t->ncons++];
		char *def;
		size_t len;

		k->name = text_at(r, i, 2);
		k->kind = char_at(r, i, 3);
		def = (char *)text_at(r, i, 4);
		k->validated = bool_at(r, i, 5);
		k->ref_schema = text_at(r, i, 6);
		k->ref_table = text_at(r, i, 7);
		/* The deparser says NOT VALID; the model keeps it apart. */
		len = strlen(def);
		if (!k->validated && len > strlen(not_valid) &&
		    strcmp(def + len - strlen(not_valid), not_valid) == 0)
			def[len - strlen(not_valid)] = '\0';
		k->def = def;
	}
}

static void fill_indexes(struct rows *r, struct cat_table *t, size_t first,
			 size_t count)
{
	t->idx = alloc_array(r, count, sizeof(*t->idx));
	for (size_t i = first; i < first + count && !r->oom; i++) {
		struct cat_index *x = &t->idx[t->nidx++];

		x->name = text_at(r, i, 2);
		x->def = text_at(r, i, 3);
		x->unique = bool_at(r, i, 4);
		x->valid = bool_at(r, i, 5);
	}
}

static int read_grouped(struct reader *rd, const char *sql, const char *what,
			void (*fill)(struct rows *, struct cat_table *, size_t,
				     size_t))
{
	struct rows r;

	if (run_query(rd, sql, OIDS_PARAM, what, &r) < 0)
		return -1;
	group_by_table(&r, fill);
	return finish_rows(&r, rd->err);
}

/* ---- order: everything by strcmp, whatever the server's collation ---- */

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

int catalog_cmp_schema(const void *a, const void *b)
{
	return cmp_str(*(const char *const *)a, *(const char *const *)b);
}

int catalog_cmp_extension(const void *a, const void *b)
{
	return cmp_str(((const struct cat_extension *)a)->name,
		       ((const struct cat_extension *)b)->name);
}

#define CMP_QUALIFIED(fn, type)                                                \
	int fn(const void *a, const void *b)                                   \
	{                                                                      \
		const type *x = a, *y = b;                                     \
		int c = cmp_str(x->schema, y->schema);                         \
		return c ? c : cmp_str(x->name, y->name);                      \
	}

CMP_QUALIFIED(catalog_cmp_enum, struct cat_enum)
CMP_QUALIFIED(catalog_cmp_sequence, struct cat_sequence)
CMP_QUALIFIED(catalog_cmp_table, struct cat_table)

static int cmp_con(const void *a, const void *b)
{
	return cmp_str(((const struct cat_constraint *)a)->name,
		       ((const struct cat_constraint *)b)->name);
}

static int cmp_idx(const void *a, const void *b)
{
	return cmp_str(((const struct cat_index *)a)->name,
		       ((const struct cat_index *)b)->name);
}

static int cmp_cast(const void *a, const void *b)
{
	const struct cat_cast *x = a, *y = b;
	int c = cmp_str(x->source, y->source);

	return c ? c : cmp_str(x->target, y->target);
}

int catalog_cmp_other(const void *a, const void *b)
{
	const struct cat_other *x = a, *y = b;
	int c = cmp_str(x->kind, y->kind);

	return c ? c : cmp_str(x->identity, y->identity);
}

/* qsort(), which must not be given NULL even for no items. */
static void sort(void *base, size_t n, size_t size,
		 int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static void sort_catalog(struct catalog *cat)
{
	sort(cat->schemas, cat->nschemas, sizeof(*cat->schemas),
	     catalog_cmp_schema);
	sort(cat->exts, cat->nexts, sizeof(*cat->exts), catalog_cmp_extension);
	sort(cat->enums, cat->nenums, sizeof(*cat->enums), catalog_cmp_enum);
	sort(cat->seqs, cat->nseqs, sizeof(*cat->seqs), catalog_cmp_sequence);
	sort(cat->tables, cat->ntables, sizeof(*cat->tables),
	     catalog_cmp_table);
	sort(cat->others, cat->nothers, sizeof(*cat->others),
	     catalog_cmp_other);
	sort(cat->casts, cat->ncasts, sizeof(*cat->casts), cmp_cast);
}

const struct cat_cast *catalog_cast(const struct catalog *cat,
				    const char *source, const char *target)
{
	struct cat_cast key = { .source = source, .target = target };

	if (cat->ncasts == 0)
		return NULL;
	return bsearch(&key, cat->casts, cat->ncasts, sizeof(key), cmp_cast);
}

static void sort_table_parts(struct catalog *cat)
{
	for (size_t i = 0; i < cat->ntables; i++) {
		struct cat_table *t = &cat->tables[i];

		sort(t->cons, t->ncons, sizeof(*t->cons), cmp_con);
		sort(t->idx, t->nidx, sizeof(*t->idx), cmp_idx);
	}
}

const struct cat_table *catalog_table(const struct catalog *cat,
				      const char *schema, const char *name)
{
	struct cat_table key = { .schema = schema, .name = name };

	if (cat->ntables == 0)
		return NULL;
	return bsearch(&key, cat->tables, cat->ntables, sizeof(key),
		       catalog_cmp_table);
}

const struct cat_column *catalog_column(const struct cat_table *t,
					const char *name)
{
	for (size_t i = 0; t != NULL && i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

const struct cat_constraint *catalog_constraint(const struct cat_table *t,
						const char *name)
{
	for (size_t i = 0; t != NULL && i < t->ncons; i++)
		if (strcmp(t->cons[i].name, name) == 0)
			return &t->cons[i];
	return NULL;
}

const struct cat_index *catalog_index(const struct cat_table *t,
				      const char *name)
{
	for (size_t i = 0; t != NULL && i < t->nidx; i++)
		if (strcmp(t->idx[i].name, name) == 0)
			return &t->idx[i];
	return NULL;
}

/* ---- the whole read ---- */

/* '{"a","b"}': a text[] literal of the non-NULL names. */
static char *text_array(const char *const *names, size_t n)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		if (b.len > 1)
			strbuf_addc(&b, ',');
		strbuf_addc(&b, '"');
		for (const char *c = names[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				strbuf_addc(&b, '\\');
			strbuf_addc(&b, *c);
		}
		strbuf_addc(&b, '"');
	}
	strbuf_addc(&b, '}');
	return strbuf_finish(&b);
}

/* The OIDs of the excluded relations, and their dependents, as '{...}'. */
static int excluded_oids(struct db *db, const char *const *exclude,
			 size_t nexclude, char **out, struct retort_error *err)
{
	char *names = text_array(exclude, nexclude);
	const char *params[1] = { names };
	struct db_rows *res;
	const char *v;

	if (names == NULL)
		return oom(err);
	res = db_query(db, sql_excluded, 1, params, err);
	free(names);
	if (res == NULL) {
		error_prefix(err, "cannot read the database's schema");
		return -1;
	}
	/* An aggregate: one row, never NULL (COALESCE). */
	v = db_nrows(res) == 1 ? db_value(res, 0, 0) : NULL;
	*out = v ? strdup(v) : NULL;
	db_rows_free(res);
	if (v == NULL)
		return error_set(
			err, RETORT_FAILED,
			"cannot read the database's schema: no answer to the query of the runner's tables");
	return *out ? 0 : oom(err);
}

static int read_all(struct reader *rd)
{
	if (read_lists(rd) < 0 || read_enums(rd) < 0)
		return -1;
	/* Tables are looked up by name from here on. */
	sort(rd->cat->tables, rd->cat->ntables, sizeof(*rd->cat->tables),
	     catalog_cmp_table);
	if (read_grouped(rd, sql_columns, "columns", fill_columns) < 0 ||
	    read_grouped(rd, sql_constraints, "constraints", fill_constraints) <
		    0 ||
	    read_grouped(rd, sql_indexes, "indexes", fill_indexes) < 0)
		return -1;
	sort_catalog(rd->cat);
	sort_table_parts(rd->cat);
	return 0;
}

int catalog_read(struct db *db, const char *const *exclude, size_t nexclude,
		 const char *exclude_schema, struct catalog *out,
		 struct retort_error *err)
{
	struct reader rd = { db, out, NULL, exclude_schema, err };
	char *oids = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* Resolved before the search_path empties: the names may rely on it. */
	if (excluded_oids(db, exclude, nexclude, &oids, err) < 0)
		goto out;
	if (db_exec(db, "SELECT pg_catalog.set_config('search_path', '', true)",
		    0, NULL, err) < 0) {
		error_prefix(err, "cannot read the database's schema");
		goto out;
	}
	rd.oids = oids;
	rc = read_all(&rd);
out:
	free(oids);
	if (rc < 0)
		catalog_release(out);
	return rc;
}
