/*
 * sql_script.h - a rehearsal's record (capture.h) as the SQL script
 * upgrade --sql and downgrade --sql print: Alembic's offline mode, made
 * to be read before it runs, and to run with psql.
 *
 * Pure: no I/O, no libpq.  Everything the caller knows of the run (the
 * target, where it stands, each revision's "Running upgrade ..." line)
 * comes in struct sql_script_info.
 */
#ifndef RETORT_SQL_SCRIPT_H
#define RETORT_SQL_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "exec/capture.h"

struct sql_script_info {
	const char *version;	  /* retort's version */
	const char *target;	  /* "host H port P database D user U" */
	const char *command;	  /* "upgrade" or "downgrade" */
	const char *from;	  /* where the target stands ("<base>": none) */
	const char *to;		  /* the target asked for, resolved */
	const char *generated_at; /* "2026-12-08 00:40:00+00" */
	/* One line per step of the capture, as the run prints it:
	 * "Running upgrade 001 -> 002, add b"; NULL entries or array: the
	 * step's revision id alone. */
	const char *const *titles;
	size_t ntitles;
	/* Statements the run sends before its first revision (the version
	 * table and retort_history, created if missing), rendered first
	 * unless the capture holds statements of its own before its first
	 * step. */
	const char *const *preamble;
	size_t npreamble;
};

/*
 * Append the script for c to out.  Each statement is written as it was
 * sent, ending in ";" (not doubled); one sent with parameters has them
 * listed in a comment and runs as PREPARE of its text and EXECUTE with
 * its values (psql cannot bind $1); the revision having read data first,
 * a backfill's batches and COPY FROM STDIN (whose rows C code sends: not
 * part of the script) are said in comments.  Every revision comes after a
 * comment block (its Running line, plugin and mode); one that runs in a
 * transaction is inside BEGIN; and COMMIT; (the runner's own when the capture
 * holds them). -1 only when memory runs out.
 */
int sql_script_render(const struct capture *c,
		      const struct sql_script_info *info, struct strbuf *out,
		      struct retort_error *err);

/*
 * value as an SQL literal for a comment: 'it''s', E'two\nlines' when it
 * holds a backslash or a control character (so that no line break ends
 * the comment), NULL for a NULL value.
 */
void sql_script_literal(struct strbuf *out, const char *value);

#endif
