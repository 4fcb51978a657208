/*
 * sd_columns.h - the statements for a table's columns.
 */
#ifndef RETORT_SD_COLUMNS_H
#define RETORT_SD_COLUMNS_H

#include <stdbool.h>

#include "schema/sd_differ.h"

/*
 * "name type [COLLATE c] [GENERATED ...] [DEFAULT e] [NOT NULL]", for
 * CREATE TABLE and ADD COLUMN; kept (see sd_keep).
 */
const char *sd_column_def(struct differ *d, const struct cat_column *c);

/* The columns of a table on both sides, a (this side) to b. */
void sd_diff_columns(struct differ *d, const struct cat_table *a,
		     const struct cat_table *b);

/*
 * Whether def (a constraint's or an index's) names a column that goes
 * from a to b by being dropped and added again (made generated): the
 * object must then be dropped and written again too.
 */
bool sd_touches_replaced(struct differ *d, const struct cat_table *a,
			 const struct cat_table *b, const char *def);

#endif
