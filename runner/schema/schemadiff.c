/*
 * schemadiff.c - two schemas in, the statements between them out.
 *
 * The upgrade and the downgrade are each computed from the two catalogs
 * (from -> to), never by inverting one another, so both get the same
 * ordering and hazard rules.  Statements are sorted by phase: schemas,
 * extensions, types and sequences first; then the foreign keys,
 * constraints and indexes about to change are dropped; tables and columns;
 * constraints, indexes, foreign keys; the drops of columns, tables,
 * sequences, types, extensions and schemas last.  Identifiers are quoted
 * here as quote_ident() would; every other piece of SQL is PostgreSQL's own
 * deparsed text from the catalogs.  Pure: no I/O, never prints.
 *
 * The work is shared out by kind of object: sd_objects.c (schemas,
 * extensions, enum types, what is not modelled), sd_sequences.c,
 * sd_tables.c with sd_columns.c and sd_keys.c; sd_differ.c is what they
 * have in common and sd_plan.c the result.
 */
#include "schema/schemadiff.h"

#include <string.h>

#include "schema/sd_differ.h"
#include "schema/sd_objects.h"
#include "schema/sd_sequences.h"
#include "schema/sd_tables.h"

static void run_differ(struct differ *d)
{
	sd_diff_schemas(d);
	sd_diff_enums(d);
	sd_diff_sequences(d);
	sd_diff_tables(d);
	if (!d->down)
		sd_diff_others(d);
	sd_list_sort(d->out);
	sd_differ_release(d);
}

int schemadiff_plan(const struct catalog *old, const struct catalog *new_,
		    struct sd_plan *out, struct retort_error *err)
{
	struct differ up = { .from = old,
			     .to = new_,
			     .old = old,
			     .new_ = new_,
			     .out = &out->up,
			     .plan = out };
	struct differ down = { .from = new_,
			       .to = old,
			       .old = old,
			       .new_ = new_,
			       .down = true,
			       .out = &out->down,
			       .plan = out };

	memset(out, 0, sizeof(*out));
	run_differ(&up);
	run_differ(&down);
	if (up.oom || down.oom) {
		sd_plan_release(out);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	return 0;
}
