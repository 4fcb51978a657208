/*
 * sd_tables.h - the statements for tables, their columns and keys.
 */
#ifndef RETORT_SD_TABLES_H
#define RETORT_SD_TABLES_H

#include "schema/sd_differ.h"

void sd_diff_tables(struct differ *d);

#endif
