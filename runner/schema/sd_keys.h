/*
 * sd_keys.h - the statements for a table's constraints and indexes.
 */
#ifndef RETORT_SD_KEYS_H
#define RETORT_SD_KEYS_H

#include <stdbool.h>

#include "schema/sd_differ.h"

/* Constraint k, or index x, of table t; existed: t is on both sides. */
void sd_add_constraint(struct differ *d, const struct cat_table *t,
		       const struct cat_constraint *k, bool existed);
void sd_drop_constraint(struct differ *d, const struct cat_table *t,
			const struct cat_constraint *k);
void sd_create_index(struct differ *d, const struct cat_table *t,
		     const struct cat_index *x, bool existed);

/* The constraints, then the indexes, of a table on both sides (a to b). */
void sd_diff_keys(struct differ *d, const struct cat_table *a,
		  const struct cat_table *b);

#endif
