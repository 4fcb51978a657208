/*
 * conninfo.c - reading the names in a connection string with libpq's own
 * parser, so that a fleet labels and groups its targets the way libpq
 * will connect to them.
 */
#include "store/conninfo.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

static void copy_value(char *dst, size_t size, const char *value)
{
	snprintf(dst, size, "%s", value ? value : "");
}

int conninfo_names(const char *url, struct conninfo_names *out,
		   struct retort_error *err)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &why);

	memset(out, 0, sizeof(*out));
	if (!opts) {
		PQfreemem(why);
		error_set(err, RETORT_USAGE, "invalid database URL");
		error_hint(
			err,
			"Use postgresql://user:password@host:port/dbname, keyword=value pairs (host=... dbname=...) or service=NAME.");
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!strcmp(o->keyword, "host"))
			copy_value(out->host, sizeof(out->host), o->val);
		else if (!strcmp(o->keyword, "port"))
			copy_value(out->port, sizeof(out->port), o->val);
		else if (!strcmp(o->keyword, "dbname"))
			copy_value(out->dbname, sizeof(out->dbname), o->val);
		else if (!strcmp(o->keyword, "service"))
			copy_value(out->service, sizeof(out->service), o->val);
	}
	PQconninfoFree(opts);
	return 0;
}
