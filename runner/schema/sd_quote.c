/*
 * sd_quote.c - quote_ident() and quote_literal() as PostgreSQL writes
 * them, for the revisions autogenerate writes.  The keyword list is the
 * server's (PG 15): a name that is one of them is quoted.  Pure: no I/O.
 */
#include "schema/sd_quote.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

/* Keywords quote_ident() quotes: every category but unreserved (PG 15). */
static const char *const keywords[] = {
	"all",
	"analyse",
	"analyze",
	"and",
	"any",
	"array",
	"as",
	"asc",
	"asymmetric",
	"authorization",
	"between",
	"bigint",
	"binary",
	"bit",
	"boolean",
	"both",
	"case",
	"cast",
	"char",
	"character",
	"check",
	"coalesce",
	"collate",
	"collation",
	"column",
	"concurrently",
	"constraint",
	"create",
	"cross",
	"current_catalog",
	"current_date",
	"current_role",
	"current_schema",
	"current_time",
	"current_timestamp",
	"current_user",
	"dec",
	"decimal",
	"default",
	"deferrable",
	"desc",
	"distinct",
	"do",
	"else",
	"end",
	"except",
	"exists",
	"extract",
	"false",
	"fetch",
	"float",
	"for",
	"foreign",
	"freeze",
	"from",
	"full",
	"grant",
	"greatest",
	"group",
	"grouping",
	"having",
	"ilike",
	"in",
	"initially",
	"inner",
	"inout",
	"int",
	"integer",
	"intersect",
	"interval",
	"into",
	"is",
	"isnull",
	"join",
	"lateral",
	"leading",
	"least",
	"left",
	"like",
	"limit",
	"localtime",
	"localtimestamp",
	"national",
	"natural",
	"nchar",
	"none",
	"normalize",
	"not",
	"notnull",
	"null",
	"nullif",
	"numeric",
	"offset",
	"on",
	"only",
	"or",
	"order",
	"out",
	"outer",
	"overlaps",
	"overlay",
	"placing",
	"position",
	"precision",
	"primary",
	"real",
	"references",
	"returning",
	"right",
	"row",
	"select",
	"session_user",
	"setof",
	"similar",
	"smallint",
	"some",
	"substring",
	"symmetric",
	"table",
	"tablesample",
	"then",
	"time",
	"timestamp",
	"to",
	"trailing",
	"treat",
	"trim",
	"true",
	"union",
	"unique",
	"user",
	"using",
	"values",
	"varchar",
	"variadic",
	"verbose",
	"when",
	"where",
	"window",
	"with",
	"xmlattributes",
	"xmlconcat",
	"xmlelement",
	"xmlexists",
	"xmlforest",
	"xmlnamespaces",
	"xmlparse",
	"xmlpi",
	"xmlroot",
	"xmlserialize",
	"xmltable",
};

static int cmp_keyword(const void *key, const void *item)
{
	return strcmp(key, *(const char *const *)item);
}

static bool is_keyword(const char *s)
{
	return bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
		       sizeof(keywords[0]), cmp_keyword) != NULL;
}

static bool is_plain_ident(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return !is_keyword(s);
}

char *sd_quote_ident(const char *name)
{
	struct strbuf b = STRBUF_INIT;

	if (is_plain_ident(name)) {
		strbuf_add(&b, name);
		return strbuf_finish(&b);
	}
	strbuf_addc(&b, '"');
	for (const char *p = name; *p; p++)
		strbuf_addn(&b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
	strbuf_addc(&b, '"');
	return strbuf_finish(&b);
}

char *sd_quote_literal(const char *s)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_add(&b, strchr(s, '\\') ? "E'" : "'");
	for (const char *p = s; *p; p++) {
		if (*p == '\'' || *p == '\\')
			strbuf_addc(&b, *p);
		strbuf_addc(&b, *p);
	}
	strbuf_addc(&b, '\'');
	return strbuf_finish(&b);
}
