/*
 * lint_view.c - printing lint's findings: each one names its revision,
 * its statement (first line), the rule, why it hurts and the safe form.
 * Text from revisions is escaped before it reaches the terminal.
 */
#include "cli/lint_view.h"

#include <string.h>

#include "base/json.h"
#include "base/text.h"
#include "cli/json_view.h"

static void text_finding(const struct lint_finding *f, FILE *out)
{
	fprintf(out, "  %s: ", f->rule->id);
	text_fput(f->statement, out);
	fputc('\n', out);
	if (f->fact[0]) {
		fputs("    fact: ", out);
		text_fput(f->fact, out);
		fputc('\n', out);
	}
	fprintf(out, "    why: %s\n    safe: %s\n", f->rule->why,
		f->rule->safe);
}

/* How many revisions have findings. */
static size_t revisions_with(const struct lint_report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (i == 0 || r->items[i].step != r->items[i - 1].step)
			n++;
	return n;
}

void lint_view_text(const struct revmap *map, const struct capture *c,
		    const struct lint_report *r, FILE *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct capture_step *s = &c->steps[r->items[i].step];

		if (i == 0 || r->items[i].step != r->items[i - 1].step) {
			fputs(i ? "\n" : "", out);
			text_fput(s->revision, out);
			fputs(", ", out);
			text_fput(revmap_message(map, s->revision), out);
			fputs(" (", out);
			text_fput(s->path, out);
			fputs("):\n", out);
		}
		text_finding(&r->items[i], out);
	}
	if (r->n)
		fputc('\n', out);
	if (r->n)
		fprintf(out, "%zu finding%s in %zu of %zu revision%s judged",
			r->n, r->n == 1 ? "" : "s", revisions_with(r),
			r->judged, r->judged == 1 ? "" : "s");
	else
		fprintf(out, "No findings in %zu revision%s judged", r->judged,
			r->judged == 1 ? "" : "s");
	if (r->waived)
		fprintf(out, ", %zu waived by .lint_allow", r->waived);
	fputs(".\n", out);
}

static void json_finding(struct json *j, const struct capture *c,
			 const struct lint_finding *f)
{
	const struct capture_stmt *st = &c->stmts[f->stmt];

	json_object_begin(j);
	json_key(j, "rule");
	json_string(j, f->rule->id);
	json_key(j, "statement");
	json_string(j, f->statement);
	json_key(j, "origin");
	json_string(j, capture_origin_name(st->origin));
	json_key(j, "call_site");
	json_string(j, st->call_site);
	json_key(j, "table");
	json_string(j, f->table[0] ? f->table : NULL);
	json_key(j, "fact");
	json_string(j, f->fact[0] ? f->fact : NULL);
	json_key(j, "why");
	json_string(j, f->rule->why);
	json_key(j, "safe");
	json_string(j, f->rule->safe);
	json_object_end(j);
}

static void close_revision(struct json *j)
{
	json_array_end(j);
	json_object_end(j);
}

/* The revisions with findings, each with its findings. */
static void json_revisions(struct json *j, const struct revmap *map,
			   const struct capture *c, const struct lint_report *r)
{
	json_array_begin(j);
	for (size_t i = 0; i < r->n; i++) {
		const struct capture_step *s = &c->steps[r->items[i].step];

		if (i == 0 || r->items[i].step != r->items[i - 1].step) {
			if (i)
				close_revision(j);
			json_object_begin(j);
			json_key(j, "revision");
			json_string(j, s->revision);
			json_key(j, "message");
			json_string(j, revmap_message(map, s->revision));
			json_key(j, "path");
			json_string(j, s->path);
			json_key(j, "findings");
			json_array_begin(j);
		}
		json_finding(j, c, &r->items[i]);
	}
	if (r->n)
		close_revision(j);
	json_array_end(j);
}

int lint_view_json(const struct revmap *map, const struct capture *c,
		   const struct lint_report *r, double large_rows, FILE *out,
		   struct retort_error *err)
{
	struct json j = JSON_INIT;

	json_view_begin(&j, "lint");
	json_key(&j, "rehearsal");
	json_string(&j, c->on_target ? "on_target" : "shadow");
	json_key(&j, "lint_large_rows");
	json_int(&j, (long long)large_rows);
	json_key(&j, "findings");
	json_int(&j, (long long)r->n);
	json_key(&j, "waived");
	json_int(&j, (long long)r->waived);
	json_key(&j, "judged");
	json_int(&j, (long long)r->judged);
	json_key(&j, "revisions");
	json_revisions(&j, map, c, r);
	return json_view_print(&j, out, err);
}

int lint_view_verdict(const struct lint_report *r, const char *what,
		      struct retort_error *err)
{
	size_t revs = revisions_with(r);

	if (r->n == 0)
		return 0;
	error_set(err, RETORT_FAILED,
		  "%s%slint found %zu problem%s in %zu revision%s",
		  what ? what : "", what ? ": " : "", r->n,
		  r->n == 1 ? "" : "s", revs, revs == 1 ? "" : "s");
	error_hint(
		err,
		"Rewrite each statement in its safe form, or waive a rule for a revision with RETORT_REVISION(.lint_allow = \"rule-id\").");
	return -1;
}
