/*
 * config.h - retort.ini, .env, -x arguments and database URL normalisation.
 *
 * Pure apart from reading the files it is given: no libpq, no environment
 * lookups (the caller passes getenv()'s answers in), no printing.
 */
#ifndef RETORT_CONFIG_H
#define RETORT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Whether libpq knows a connection keyword (db_is_keyword). */
typedef bool config_keyword_fn(const char *name);

struct config_arg {
	char *key;
	char *value;
};

/* Every string is owned by the config and freed by config_release(). */
struct config {
	char *versions;	     /* built plugins; default "build/versions" */
	char *sources;	     /* where new revisions go; default "versions" */
	char *version_table; /* default "alembic_version" */
	char *version_table_schema; /* NULL: unqualified (search_path decides)
				     */
	char *ini_url;	  /* the ini's url, "" if set empty, NULL if unset */
	char *ini_url_at; /* "FILE:LINE" where the ini sets url, or NULL */
	char *url;	  /* resolved and normalised, NULL if none */
	/* one of "--url", "DATABASE_URL", ".env", "the ini file's url"; or NULL
	 */
	const char *url_origin; /* static text naming where url came from */
	/* Where the URL came from, for every connection error: "--url",
	 * "DATABASE_URL in .env", "url in retort.ini:12", or libpq's
	 * defaults when none is given.  Never the URL itself. */
	char *url_source;
	/* Lines about parameters dropped from the URL, for main to print as
	 * notes; NULL if none. */
	char *url_notes;
	/* Set by the caller before config_resolve_url to refuse a URL query
	 * parameter libpq does not know; NULL: libpq is left to judge. */
	config_keyword_fn *url_keyword;
	/* libpq's connect_timeout (seconds, "0" = for ever); NULL: default */
	char *connect_timeout;
	char *lock_timeout; /* wait for the migration lock; NULL = forever */
	char *ddl_lock_timeout;	 /* SET LOCAL lock_timeout per revision */
	char *statement_timeout; /* SET LOCAL statement_timeout per revision */
	char *lock_lease;	 /* the migration lock's lease; NULL = 30s */
	char *schema;	  /* the declared schema; default "db/schema.sql" */
	char *shadow_url; /* --shadow-url: autogenerate's scratch database */
	/* --unsafe-plugins: load plugins and a versions directory that others
	 * can write or that another user owns (plugin.c refuses them). */
	bool unsafe_plugins;
	bool allow_changed;	 /* --allow-changed: edited applied revisions */
	struct config_arg *args; /* -x key=value, in order given */
	size_t nargs;
	/* [retort] backfill_* keys as written, for runner/data/backfill.c,
	 * which checks their values (so the knob list lives in one place). */
	struct config_arg *ini_backfill;
	size_t nini_backfill;
	/* The directory of the retort.ini that config_find_ini() found in a
	 * parent of the working directory; NULL when it was in the working
	 * directory, given with -c, or not found. */
	char *ini_dir;
	/* When config_find_ini() found none: the directories it looked in,
	 * "/a/b, /a, /", for the error of a command that then misses it. */
	char *ini_searched;

	/* The ini's build: "auto" (NULL: the same) or "never"; --no-build
	 * sets no_build instead.  Either way no source is compiled before
	 * a command, and one with no current plugin is an error. */
	char *build;
	bool no_build;
	/* --versions without --sources: those plugins are not the build of
	 * the sources directory, which is then neither built nor checked. */
	bool versions_only;
	/* The ini's cc (the C compiler), NULL if unset. */
	char *cc;
	/* The ini's lint_large_rows: from how many estimated rows lint calls
	 * a table large; NULL = the default, 100000. */
	char *lint_large_rows;
	/* The directory of the ini file read (wherever it was found, or -c),
	 * NULL if none: where plugin_api.h is looked for first. */
	char *ini_file_dir;
	/* One tenant's schema (--tenant-schema, ini tenant_schema): retort's
	 * tables live in it and each revision runs with it first in
	 * search_path; NULL: none.  A fleet's --schemas-query sets it per
	 * target. */
	char *tenant_schema;
	/* The fleet run whose steps this process runs, recorded in each
	 * retort_history row; NULL outside a fleet run. */
	char *fleet_run;
};

/*
 * The tenant schema as set (--tenant-schema or the ini's tenant_schema):
 * a name PostgreSQL keeps whole, and never beside version_table_schema,
 * whose place it takes.  RETORT_USAGE otherwise.
 */
int config_check_tenant(const struct config *cfg, struct retort_error *err);

/* Fill cfg with the defaults. */
int config_init(struct config *cfg, struct retort_error *err);
/* Free everything; accepts a zeroed or released config. */
void config_release(struct config *cfg);

/*
 * Read the [retort] section of an ini file over the defaults: versions,
 * sources, version_table, version_table_schema, url, connect_timeout, the
 * timeouts, schema, build, cc and the backfill_* knobs.  "%(here)s" in a value
 * is the ini file's directory (as in alembic.ini).  An unknown key, a section
 * that is neither [retort] nor one of alembic.ini's, a setting outside any
 * section and a file that is not UTF-8 text are errors naming the file and
 * line (and the nearest known name), as is a malformed line (RETORT_USAGE).
 * A missing file is an error unless missing_ok.
 */
int config_read_ini(struct config *cfg, const char *path, bool missing_ok,
		    struct retort_error *err);

/* The file config_find_ini() looks for. */
#define CONFIG_INI_NAME "retort.ini"

/*
 * Look for retort.ini in cwd (absolute: the working directory), then in
 * each parent directory below the root, as git looks for .git, but never
 * in a directory of ceilings (RETORT_CEILING_DIRECTORIES: absolute paths
 * separated by colons, as GIT_CEILING_DIRECTORIES; NULL: none) or above
 * one.  *path is the first found (the caller frees it), and cfg->ini_dir
 * its directory when that is not cwd.  None found: *path NULL and
 * cfg->ini_searched set.  Fails only when out of memory.
 */
int config_find_ini(struct config *cfg, const char *cwd, const char *ceilings,
		    char **path, struct retort_error *err);

/*
 * After reading a retort.ini found in a parent directory (cfg->ini_dir
 * set): versions, sources and schema, written relative or left to their
 * defaults, become relative to that directory, as %(here)s would make
 * them.  The command line's values are applied after, as given.
 */
int config_rebase(struct config *cfg, struct retort_error *err);

/*
 * The value of key in a .env file (KEY=VALUE lines, optional "export ",
 * single or double quotes, # comments, blank lines).  *out is NULL when
 * the file or the key is absent.  A line that is none of these is an error
 * naming the file and line number, never the line's text (it may hold a
 * password).  The caller frees *out.
 */
int config_read_dotenv(const char *path, const char *key, char **out,
		       struct retort_error *err);

/*
 * Choose the URL, first to last: cli_url (--url), env_url (DATABASE_URL),
 * the .env file at dotenv_path, the ini's url; any may be NULL.  Sets
 * cfg->url (normalised), cfg->url_origin, cfg->url_source and
 * cfg->url_notes (asyncpg parameters dropped); leaves url and url_origin
 * NULL when none is given, so libpq's PG* variables and defaults apply.  The
 * first source given decides: given but empty, it is an error (RETORT_USAGE)
 * naming the source, never a fall-back to the next one or to libpq's defaults.
 */
int config_resolve_url(struct config *cfg, const char *cli_url,
		       const char *env_url, const char *dotenv_path,
		       struct retort_error *err);

/*
 * Make a URL libpq accepts: "postgresql+driver://" and "postgres+driver://"
 * lose the "+driver"; SQLAlchemy's "?ssl=require" becomes sslmode; libpq
 * URIs and keyword/value strings pass through unchanged; asyncpg's own
 * parameters (prepared_statement_cache_size, command_timeout...) are
 * dropped.  A URI with an '@' that libpq would not read as the end of the
 * password (a raw '@' or '/' in it), or a bad percent-encoding, is
 * refused (RETORT_USAGE).  The caller frees *out.  Never copies the URL,
 * nor any part of its user name or password, into an error message.
 */
int config_normalize_url(const char *in, char **out, struct retort_error *err);

/*
 * A whole number of seconds for connect_timeout, as libpq reads it ("0" =
 * wait for ever).
 */
bool config_is_seconds(const char *s);

/* A whole number of at most 15 digits (lint_large_rows). */
bool config_is_count(const char *s);

/* Record "-x key=value"; a missing '=' or empty key is RETORT_USAGE. */
int config_add_arg(struct config *cfg, const char *key_value,
		   struct retort_error *err);

/*
 * A PostgreSQL duration retort accepts for a timeout: a whole number with
 * an optional unit, ms, s, min or h ("0" = no limit).
 */
bool config_is_duration(const char *s);

/* The last value given for key, or NULL.  Borrowed from cfg. */
const char *config_arg(const struct config *cfg, const char *key);

/* The ini's [retort] value of a backfill_* key, or NULL.  Borrowed. */
const char *config_ini_backfill(const struct config *cfg, const char *key);

#endif
