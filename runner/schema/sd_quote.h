/*
 * sd_quote.h - names and strings quoted for the SQL that autogenerate
 * writes, as PostgreSQL's quote_ident() and quote_literal() would.
 *
 * Pure: no I/O, no libpq (the revisions are written before any connection
 * to the server they will run on).
 */
#ifndef RETORT_SD_QUOTE_H
#define RETORT_SD_QUOTE_H

/*
 * name as PostgreSQL's quote_ident() writes it: bare when it is lower
 * case letters, digits and '_' and no keyword, else in double quotes with
 * quotes doubled.  The caller frees it; NULL when out of memory.
 */
char *sd_quote_ident(const char *name);

/* A string literal: 'it''s', or E'a\\b' when it holds a backslash. */
char *sd_quote_literal(const char *s);

#endif
