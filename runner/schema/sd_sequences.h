/*
 * sd_sequences.h - the statements for sequences, and the sequence options
 * that identity columns (sd_columns.c) write too.
 */
#ifndef RETORT_SD_SEQUENCES_H
#define RETORT_SD_SEQUENCES_H

#include <stdbool.h>

#include "base/strbuf.h"
#include "schema/sd_differ.h"

/*
 * The options of o appended to b, all of them (every) or those that differ
 * from the defaults, each after prefix ("" or "SET "); the type only when
 * with_type.
 */
void sd_seq_options(struct strbuf *b, const struct cat_seqopts *o,
		    const char *prefix, bool with_type, bool every);
bool sd_seqopts_equal(const struct cat_seqopts *a, const struct cat_seqopts *b,
		      bool with_type);

/* Sequences: created, altered, owned, dropped (unless with their owner). */
void sd_diff_sequences(struct differ *d);

#endif
