/*
 * sql_script.c - a capture rendered as a reviewable SQL script
 * (sql_script.h).
 *
 * The script is for a person first, psql second: everything retort adds
 * is a "--" comment, and text from outside (messages, paths, parameter
 * values) is escaped before it goes into one, so that no line break in it
 * can end the comment and turn the rest into SQL.  What cannot run as
 * written (COPY FROM STDIN, whose rows come from C; a backfill's batch,
 * which runs once per batch with its keys as parameters) is shown as
 * comment lines, so that the script still runs from top to bottom.
 * Pure: no I/O.
 */
#include "exec/sql_script.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/text.h"

/* ---- comments ---- */

/* "-- " and s escaped, with the line ended. */
static void comment(struct strbuf *out, const char *label, const char *s)
{
	char buf[2048];

	strbuf_addf(out, "-- %s%s\n", label, text_escape(s, buf, sizeof(buf)));
}

/* Each line of text as a comment line, for what the script must not run. */
static void commented_out(struct strbuf *out, const char *text)
{
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");

		strbuf_add(out, "--   ");
		strbuf_addn(out, p, len);
		strbuf_addc(out, '\n');
		p += len + (p[len] == '\n');
	}
}

void sql_script_literal(struct strbuf *out, const char *value)
{
	bool plain = true;

	if (!value) {
		strbuf_add(out, "NULL");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p == '\\' || *p < 0x20 || *p == 0x7f)
			plain = false;
	strbuf_add(out, plain ? "'" : "E'");
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '\'')
			strbuf_add(out, "''");
		else if (plain || (*p != '\\' && *p >= 0x20 && *p != 0x7f))
			strbuf_addc(out, (char)*p);
		else if (*p == '\\')
			strbuf_add(out, "\\\\");
		else if (*p == '\n')
			strbuf_add(out, "\\n");
		else if (*p == '\r')
			strbuf_add(out, "\\r");
		else if (*p == '\t')
			strbuf_add(out, "\\t");
		else
			strbuf_addf(out, "\\x%02x", *p);
	}
	strbuf_addc(out, '\'');
}

/* ---- one statement ---- */

/* Whether the last line of sql[0..len) holds "--": a comment there
 * would swallow a ";" after it. */
static bool comment_on_last_line(const char *sql, size_t len)
{
	size_t start = len;

	while (start > 0 && sql[start - 1] != '\n')
		start--;
	for (size_t i = start; i + 1 < len; i++)
		if (sql[i] == '-' && sql[i + 1] == '-')
			return true;
	return false;
}

/* The statement's text as sent, ended by ";" once. */
static void statement(struct strbuf *out, const char *sql)
{
	size_t len = strlen(sql);

	while (len > 0 && isspace((unsigned char)sql[len - 1]))
		len--;
	strbuf_addn(out, sql, len);
	if (len > 0 && sql[len - 1] == ';')
		strbuf_addc(out, '\n');
	else if (comment_on_last_line(sql, len))
		strbuf_add(out, "\n;\n");
	else
		strbuf_add(out, ";\n");
}

static void parameters(struct strbuf *out, const struct capture_stmt *st)
{
	strbuf_add(out, "-- parameters:");
	for (int i = 0; i < st->nparams; i++) {
		strbuf_addf(out, "%s $%d = ", i ? "," : "", i + 1);
		sql_script_literal(out, st->params ? st->params[i] : NULL);
	}
	strbuf_addc(out, '\n');
}

/*
 * psql cannot bind $1..$n: PREPARE the text as sent and EXECUTE it with
 * the values.  Without declared types the server infers the parameters'
 * types from the statement, as it did for the revision's PQexecParams.
 */
static void prepared(struct strbuf *out, const struct capture_stmt *st,
		     size_t index)
{
	size_t len = strlen(st->sql);

	while (len > 0 && (isspace((unsigned char)st->sql[len - 1]) ||
			   st->sql[len - 1] == ';'))
		len--;
	strbuf_addf(out, "PREPARE retort_stmt_%zu AS ", index);
	strbuf_addn(out, st->sql, len);
	strbuf_add(out, comment_on_last_line(st->sql, len) ? "\n;\n" : ";\n");
	strbuf_addf(out, "EXECUTE retort_stmt_%zu(", index);
	for (int i = 0; i < st->nparams; i++) {
		strbuf_add(out, i ? ", " : "");
		sql_script_literal(out, st->params ? st->params[i] : NULL);
	}
	strbuf_addf(out, ");\nDEALLOCATE retort_stmt_%zu;\n", index);
}

/* Whether the next word at *p is word (case aside); moves past it. */
static bool word(const char **p, const char *w)
{
	size_t n = strlen(w);

	*p += strspn(*p, " \t\r\n");
	if (strncasecmp(*p, w, n) != 0 || isalnum((unsigned char)(*p)[n]) ||
	    (*p)[n] == '_')
		return false;
	*p += n;
	return true;
}

/* COPY ... FROM STDIN, whatever sent it: psql would read the script's
 * next lines as its rows. */
static bool copy_from_stdin(const struct capture_stmt *st)
{
	const char *p = st->sql;

	if (st->origin == CAPTURE_COPY_IN)
		return true;
	if (!word(&p, "COPY"))
		return false;
	for (; *p; p++) {
		const char *q = p;

		if ((p == st->sql || !isalnum((unsigned char)p[-1])) &&
		    word(&q, "FROM") && word(&q, "STDIN"))
			return true;
	}
	return false;
}

static void one_statement(struct strbuf *out, const struct capture *c,
			  const struct capture_stmt *st)
{
	if (st->failed)
		strbuf_add(out,
			   "-- failed in the rehearsal: the run stops here\n");
	if (st->after_read)
		strbuf_add(
			out,
			"-- depends on data the revision read: the target may get other text\n");
	if (st->origin == CAPTURE_BACKFILL) {
		strbuf_add(
			out,
			"-- retort_backfill: runs once per batch, each batch in its own transaction, with the batch's first and last key as parameters; not run by this script\n");
		commented_out(out, st->sql);
		return;
	}
	if (copy_from_stdin(st)) {
		strbuf_add(
			out,
			"-- COPY FROM STDIN: the revision sends its rows from C as it runs; they are not part of this script, which does not run it\n");
		commented_out(out, st->sql);
		return;
	}
	if (st->nparams > 0) {
		parameters(out, st);
		prepared(out, st, (size_t)(st - c->stmts) + 1);
		return;
	}
	statement(out, st->sql);
}

/* ---- one revision ---- */

/* Whether the text starts (or ends) with the word w, as BEGIN or
 * COMMIT: the runner's own transaction control. */
static bool starts_with_word(const char *sql, const char *w)
{
	return word(&sql, w);
}

static bool ends_with_word(const char *sql, const char *w)
{
	size_t len = strlen(sql), n = strlen(w);

	while (len > 0 &&
	       (isspace((unsigned char)sql[len - 1]) || sql[len - 1] == ';'))
		len--;
	return len >= n && strncasecmp(sql + len - n, w, n) == 0 &&
	       (len == n || !isalnum((unsigned char)sql[len - n - 1]));
}

static const char *mode_line(enum capture_mode mode)
{
	switch (mode) {
	case CAPTURE_AUTOCOMMIT:
		return "autocommit (RETORT_NO_TRANSACTION): each statement commits on its own";
	case CAPTURE_BATCHED:
		return "batched (retort_backfill): each batch commits on its own";
	case CAPTURE_IN_TRANSACTION:
		break;
	}
	return "one transaction, with its version-table change";
}

static void step_header(struct strbuf *out, const struct capture_step *step,
			const char *title)
{
	strbuf_addc(out, '\n');
	comment(out, "", title ? title : step->revision);
	comment(out, "plugin: ", step->path ? step->path : "(unknown)");
	comment(out, "mode: ", mode_line(step->mode));
	if (step->failed)
		strbuf_add(out, "-- this revision failed in the rehearsal\n");
	strbuf_addc(out, '\n');
}

static void one_step(struct strbuf *out, const struct capture *c,
		     const struct capture_step *step, const char *title)
{
	const struct capture_stmt *first =
		step->n ? &c->stmts[step->first] : NULL;
	const struct capture_stmt *last =
		step->n ? &c->stmts[step->first + step->n - 1] : NULL;
	bool in_tx = step->mode == CAPTURE_IN_TRANSACTION;

	step_header(out, step, title);
	if (in_tx && !(first && first->origin == CAPTURE_RUNNER &&
		       starts_with_word(first->sql, "BEGIN")))
		strbuf_add(out, "BEGIN;\n");
	for (size_t i = 0; i < step->n; i++)
		one_statement(out, c, &c->stmts[step->first + i]);
	if (in_tx && !step->failed &&
	    !(last && last->origin == CAPTURE_RUNNER &&
	      (ends_with_word(last->sql, "COMMIT") ||
	       ends_with_word(last->sql, "END"))))
		strbuf_add(out, "COMMIT;\n");
}

/* ---- the whole ---- */

static void header(struct strbuf *out, const struct sql_script_info *info)
{
	char line[512];

	snprintf(line, sizeof(line), "retort %s %s --sql: from %s to %s",
		 info->version ? info->version : "",
		 info->command ? info->command : "upgrade",
		 info->from ? info->from : "<base>", info->to ? info->to : "");
	comment(out, "", line);
	comment(out, "target: ", info->target ? info->target : "(unknown)");
	comment(out, "generated at ",
		info->generated_at ? info->generated_at : "(unknown)");
	strbuf_add(
		out,
		"--\n-- Every statement retort and each revision sent when the run was rehearsed\n-- on a copy of the target's schema, in order and as sent.  Comments say\n-- what a revision's C code decides as it runs.\n");
}

/* Statements the capture holds before its first step, or the caller's. */
static void preamble(struct strbuf *out, const struct capture *c,
		     const struct sql_script_info *info)
{
	size_t before = c->nsteps ? c->steps[0].first : c->n;

	if (before == 0 && info->npreamble == 0)
		return;
	strbuf_add(out,
		   "\n-- retort's own tables, before the first revision\n\n");
	for (size_t i = 0; i < before; i++)
		one_statement(out, c, &c->stmts[i]);
	for (size_t i = 0; before == 0 && i < info->npreamble; i++)
		statement(out, info->preamble[i]);
}

int sql_script_render(const struct capture *c,
		      const struct sql_script_info *info, struct strbuf *out,
		      struct retort_error *err)
{
	header(out, info);
	if (c->nsteps > 0)
		preamble(out, c, info);
	for (size_t i = 0; i < c->nsteps; i++)
		one_step(out, c, &c->steps[i],
			 info->titles && i < info->ntitles ? info->titles[i]
							   : NULL);
	if (c->nsteps == 0)
		strbuf_add(
			out,
			"\n-- Nothing to do: the target is already there.\n");
	if (out->failed)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}
