/*
 * text.h - text from outside retort made safe to print: what the database
 * holds (version rows, checkpoint rows), what a revision's metadata says
 * (messages, labels, dates), what a server answers (error messages and
 * details).  Control characters are escaped, so that such text can
 * neither drive the terminal (ESC sequences that clear the screen or
 * rewrite a line) nor start a line of its own in output that people and
 * scripts read line by line.
 *
 * The escapes: \n, \r and \t as such; any other C0 control character and
 * DEL as \xHH; a C1 control character (U+0080 to U+009F, which some
 * terminals obey like ESC) written in UTF-8 as \u00HH.  Everything else,
 * a backslash included, is written as it is.  Never allocates.
 */
#ifndef RETORT_TEXT_H
#define RETORT_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Write s (NULL: nothing) to out, escaped. */
void text_fput(const char *s, FILE *out);

/* Write the first n bytes of s to out, escaped. */
void text_fputn(const char *s, size_t n, FILE *out);

/*
 * s escaped into buf, which holds size bytes (size > 0): always
 * terminated, cut short before an escape that would not fit.  Returns buf.
 */
const char *text_escape(const char *s, char *buf, size_t size);

/*
 * Edits (insert, delete, change, swap two neighbours) from a to b, their
 * first la and lb bytes, ignoring ASCII case: for "did you mean".
 * SIZE_MAX past 63 characters, which no name worth suggesting comes near.
 */
size_t text_edit_distance(const char *a, size_t la, const char *b, size_t lb);

/*
 * The next non-empty line at *cursor, without the indent (spaces, tabs)
 * that libpq and lists give a continued line; *len is its length up to
 * the line break.  NULL when no line is left.  *cursor moves past it.
 */
const char *text_next_line(const char **cursor, size_t *len);

#endif
