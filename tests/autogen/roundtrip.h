/*
 * roundtrip.h - what the autogenerate suites share: a throwaway migration
 * project, the generated revisions built with the C compiler (without
 * -Werror: their #warning lines must show), and two ways to say that a
 * database has a schema: retort's own catalog comparison, and pg_dump
 * --schema-only as an independent check (column order aside).
 *
 * Environment (tests/autogen/meson.build): RETORT_BIN, RETORT_SOURCE_ROOT
 * (for plugin_api.h), RETORT_CC, RETORT_LIBPQ_CFLAGS, RETORT_PG_DUMP
 * (empty: the pg_dump check is skipped), RETORT_AUTOGEN_CASES.
 */
#ifndef RETORT_TEST_ROUNDTRIP_H
#define RETORT_TEST_ROUNDTRIP_H

#include <stdbool.h>

#include "harness.h"

/*
 * A project directory: retort.ini, versions/, build/, db/schema.sql.
 * With shadow set, retort runs with --shadow-url: an empty database that
 * serves every run (each loads the schema in a transaction it rolls back)
 * instead of a CREATE DATABASE per run.
 */
struct project {
	const char *dir;
	const struct harness_db *db;
	const struct harness_db *shadow;
};

/* Read a whole file into harness-owned memory; NULL if it is absent. */
const char *rt_read(const char *path);

/* A fresh project under the test's scratch directory, named name. */
struct project rt_project(const char *name, const struct harness_db *db);

/* Write the project's declared schema. */
void rt_declare(const struct project *p, const char *sql);

/* Run retort in the project with --url db and the arguments. */
const struct harness_result *rt_retort(const struct project *p,
				       ...) HARNESS_SENTINEL;

/* The generated sources, newest last, "\n"-joined names; count in *n. */
const char *rt_sources(const struct project *p, int *n);

/* Every source's text, concatenated. */
const char *rt_source_text(const struct project *p);

/*
 * Build every source in versions/ that has no plugin yet into build/,
 * with -std=c11 -Wall -Wextra and the project's other warnings but
 * without -Werror; fails the test if one does not compile or warns about
 * anything but a hazard's #warning.  Returns the compiler's output.
 */
const char *rt_build(const struct project *p);

/* A fresh database loaded with sql. */
const struct harness_db *rt_db_with(const char *label, const char *sql);

/* Drop every table of db's public schema (the property test's objects). */
void rt_reset(const struct harness_db *db);

/*
 * Fail the test unless db has the schema of reference: retort's catalogs
 * agree (no difference at all), and so do pg_dump's schema-only dumps
 * once column order and pg_dump's own preamble are set aside.  what names
 * the comparison in messages.
 */
void rt_assert_same_schema(const struct harness_db *db,
			   const struct harness_db *reference,
			   const char *what);

/* Whether RETORT_PG_DUMP names a pg_dump. */
bool rt_have_pg_dump(void);

/*
 * pg_dump --schema-only of db as a user pastes it into db/schema.sql:
 * everything, the runner's tables too, without psql's \restrict lines.
 */
const char *rt_dump_declared(const struct harness_db *db);

/* Whether a database named prefix... exists on db's server. */
bool rt_database_exists(const struct harness_db *db, const char *prefix);

#endif
