/*
 * schemadiff.h - the difference between two schemas as ordered SQL
 * statements, with the hazards of each.
 *
 * Pure: no I/O, no libpq.  Given the database at head (old) and the
 * declared schema (new), schemadiff_plan() writes the statements that take
 * old to new (up) and back (down), each tagged with the revision part it
 * belongs to, and lists what it cannot write.
 */
#ifndef RETORT_SCHEMADIFF_H
#define RETORT_SCHEMADIFF_H

#include "schema/catalog.h"
#include "schema/sd_plan.h"
#include "schema/sd_quote.h"
#include "base/error.h"

/* The whole difference.  Everything in *out is owned by it. */
int schemadiff_plan(const struct catalog *old, const struct catalog *new_,
		    struct sd_plan *out, struct retort_error *err);

#endif
