/*
 * shadow.h - the shadow database, where autogenerate loads the declared
 * schema to read it with the same catalog queries as the database itself.
 *
 * Either a database the user names (--shadow-url), connected to as the
 * main connection is: the same connect timeout, and SIGINT or SIGTERM
 * stops the attempt at once; or a scratch database created on the
 * database's own server (retort_shadow_<pid>_<random>, from template0) and
 * dropped by shadow_close().  From the moment a shadow is connected (a
 * scratch one: from before its CREATE DATABASE) until shadow_close(),
 * SIGINT and SIGTERM only cancel the statement running on either
 * connection and are remembered (shadow_interrupted), so that the drop
 * runs whatever happens; only SIGKILL can leave a scratch database
 * behind.  One shadow at a time.  Never prints.
 */
#ifndef RETORT_SHADOW_H
#define RETORT_SHADOW_H

#include <stdbool.h>

#include "base/error.h"
#include "store/db.h"

struct shadow {
	struct db *admin; /* borrowed: the database's connection */
	struct db db;	  /* the shadow's connection; run queries on it */
	char name[64];	  /* the shadow database's name */
	bool created;	  /* a scratch database (CREATE DATABASE was sent) */
	bool cloned;	  /* shadow_clone_schema() filled it */
};

/*
 * Connect s to the database url names (a URL or keyword/value string),
 * with admin's connect timeout unless url sets its own.  Errors are
 * db_connect_timeout()'s.  Call shadow_close() after, success or not.
 */
int shadow_connect(struct shadow *s, struct db *admin, const char *url,
		   struct retort_error *err);

/*
 * Create a scratch database through admin, and connect s to it with
 * admin's settings.  Call shadow_close() after, success or not: it drops
 * the database.
 */
int shadow_create(struct shadow *s, struct db *admin, struct retort_error *err);

/*
 * Run script (plain SQL, any number of statements, as psql -f would send
 * them in one piece) on the shadow.  On failure err holds PostgreSQL's
 * error and *position the 1-based character position in script it gives,
 * or 0 when it gives none.
 */
int shadow_run_script(struct shadow *s, const char *script, long *position,
		      struct retort_error *err);

/*
 * A shadow holding the target's schema at its current revision: a scratch
 * database on target's server (shadow_url NULL), else the database
 * shadow_url names (a URL or keyword/value string, normalised as the
 * database URL is), which must be empty (RETORT_USAGE otherwise: the
 * rule autogenerate's --shadow-url follows).  pg_dump --schema-only
 * --no-owner --no-privileges of target (found on PATH; the password
 * reaches it through its environment only), without psql's
 * meta-commands, is loaded with shadow_run_script(); then target's
 * version-table rows are copied into the shadow's version table, of the
 * same schema and name (created when the target has none yet).  Run the
 * plan on &s->db.  target_url is not needed (target's connection holds
 * every setting) and may be NULL.  Reads target, never writes it.  Call
 * shadow_close() after, success or not: it drops a scratch database and
 * empties a given one again.
 */
int shadow_clone_schema(struct shadow *s, struct db *target,
			const char *target_url, const char *shadow_url,
			struct retort_error *err);

/* 0 when the shadow holds no user objects (tables, types, routines,
 * extensions, schemas); RETORT_USAGE naming it otherwise. */
int shadow_check_empty(struct shadow *s, struct retort_error *err);

/*
 * conn's settings as libpq settled them, as a keyword/value string for
 * database dbname; the password (and sslpassword) only when asked.  The caller
 * frees it; NULL when out of memory.
 */
char *shadow_conninfo(struct pg_conn *conn, const char *dbname, bool password);

/* 0, or -1 with err saying "interrupted by SIGINT" (or SIGTERM, exit
 * status 130 or 143) once a signal asked the shadow's work to stop. */
int shadow_interrupted(struct retort_error *err);

/*
 * Close the shadow's connection, drop a scratch database (empty a given
 * one that shadow_clone_schema() filled), and stop catching signals.  Returns
 * rc, or -1 when the drop fails (its error in err, or added to err's detail
 * when rc already failed).  Accepts a zeroed shadow.
 */
int shadow_close(struct shadow *s, int rc, struct retort_error *err);

#endif
