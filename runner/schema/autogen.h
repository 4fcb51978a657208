/*
 * autogen.h - `retort revision --autogenerate` and `retort check --schema`:
 * the database at head compared with the declared schema (db/schema.sql,
 * ini key `schema`), which is loaded into a shadow database to be read by
 * the same catalog queries.
 *
 * The shadow is the database --shadow-url names (it must be empty; the
 * schema is loaded in a transaction that is rolled back), or else a
 * temporary database created on the database's server and dropped
 * afterwards, on success, failure, SIGINT and SIGTERM alike.
 */
#ifndef RETORT_AUTOGEN_H
#define RETORT_AUTOGEN_H

#include <stdio.h>

#include "cli/cmd.h"
#include "schema/catalog.h"
#include "schema/sd_plan.h"
#include "store/shadow.h"

/*
 * Write the revision(s) that take the database at head to the declared
 * schema, and back, into the sources directory (args->version_path or
 * cfg.sources), each added to its meson.build.  Usually one revision; a
 * new index on an existing table adds a RETORT_NO_TRANSACTION revision
 * after it (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT), and values
 * added to an existing enum type one before it.  Prints "No changes
 * detected" and writes nothing when they agree.  Connects by itself (the
 * `revision` command needs no connection otherwise).
 */
int autogen_revision(struct app *app, const struct cmd_args *args,
		     struct retort_error *err);

/*
 * Print the differences between the database and the declared schema to
 * app->out and fail (RETORT_FAILED) when there are any; silent success
 * when they agree.  Connects by itself if app has no connection yet.
 */
int autogen_check_schema(struct app *app, struct retort_error *err);

/*
 * What the runner owns, left out of every schema compared: the version
 * table, retort_history, retort_backfill and retort_lock, the last three
 * beside the version table, as regclass text for catalog_read().
 */
#define AUTOGEN_NEXCLUDED 4
struct exclusions {
	const char *names[AUTOGEN_NEXCLUDED];
	char version[300], history[300], lock[300], backfill[300];
};

/* The runner's tables of db's version table (its schema, or the one
 * db's search_path finds it in). */
int autogen_runner_tables(struct db *db, struct exclusions *x,
			  struct retort_error *err);

/* db's schema, without the runner's tables, in a read-only transaction
 * of its own. */
int autogen_read_database(struct db *db, const struct exclusions *x,
			  struct catalog *out, struct retort_error *err);

/* The declared schema's path: the ini's `schema`, else db/schema.sql. */
const char *autogen_schema_path(const struct app *app);

/*
 * The declared schema, loaded into a shadow (the --shadow-url database,
 * which must be empty, in a transaction rolled back; else a scratch one,
 * dropped), read without the tables x names.  app must be connected.
 */
int autogen_read_declared(struct app *app, const struct exclusions *x,
			  struct catalog *out, struct retort_error *err);

/*
 * The shadow, open: the database --shadow-url names, connected as the
 * database is and refused unless empty, or else a scratch database on the
 * database's server.  Close it with shadow_close(), success or not.
 */
int autogen_open_shadow(struct app *app, struct shadow *s,
			struct retort_error *err);

/* The differences of plan, one a line, as `check --schema` lists them. */
void autogen_print_differences(FILE *out, const struct sd_plan *plan);

#endif
