/*
 * sd_objects.h - the statements for schemas, extensions and enum types,
 * and the problems for objects autogenerate does not model.
 */
#ifndef RETORT_SD_OBJECTS_H
#define RETORT_SD_OBJECTS_H

#include "schema/sd_differ.h"

/* Schemas, then extensions. */
void sd_diff_schemas(struct differ *d);
/* Enum types; values added in the PRE part, removed ones refused. */
void sd_diff_enums(struct differ *d);
/* Views, functions, grants, ...: differences become plan problems. */
void sd_diff_others(struct differ *d);

#endif
