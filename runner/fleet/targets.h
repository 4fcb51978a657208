/*
 * targets.h - a fleet's targets: the databases (or tenant schemas) one
 * fleet command runs over, each with the label its output names it by.
 *
 * A label never holds a password: one given in a targets file is the
 * user's word; a default one is made from the URL's host, port and
 * database (conninfo.h), never from the URL's text.
 */
#ifndef RETORT_FLEET_TARGETS_H
#define RETORT_FLEET_TARGETS_H

#include <stddef.h>

#include "base/error.h"

struct fleet_target {
	char *label;	/* what the output calls it; unique in the fleet */
	char *url;	/* what to connect with: may hold a password */
	char *schema;	/* the tenant's schema, or NULL: the database's own */
	char *host_key; /* "host:port" (or "service=NAME"), for --per-host */
};

struct fleet_targets {
	struct fleet_target *v;
	size_t n, cap;
};

/*
 * Append a target.  label NULL: made from the URL (host:port/dbname, the
 * defaults left out), or the schema's name when schema is set.  A URL
 * libpq cannot parse, or a label already taken, is RETORT_USAGE.
 */
int fleet_targets_add(struct fleet_targets *t, const char *label,
		      const char *url, const char *schema,
		      struct retort_error *err);

/*
 * A targets file's text: one target a line, "URL" or "LABEL URL" (a first
 * word holding neither "=" nor "://" is a label), blank lines and lines
 * starting with "#" skipped, and a " #" comment after a target cut off
 * (not inside a quoted keyword value).  path names the file in errors, with the
 * line.  No target at all is RETORT_USAGE.
 */
int fleet_targets_parse(struct fleet_targets *t, const char *text,
			const char *path, struct retort_error *err);

/* fleet_targets_parse() of the file at path ("-": standard input). */
int fleet_targets_read_file(struct fleet_targets *t, const char *path,
			    struct retort_error *err);

void fleet_targets_release(struct fleet_targets *t);

#endif
