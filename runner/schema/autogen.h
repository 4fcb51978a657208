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

#include "cli/cmd.h"

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

#endif
