/*
 * lint.c - the walk of a capture: every statement of every upgrade step,
 * in the order sent, cut into single SQL statements and classified, then
 * judged by rules.c.  Checks the steps' .lint_allow waivers first.  Pure:
 * no I/O, no libpq.
 */
#include "lint/lint.h"

#include <stdlib.h>
#include <string.h>

#include "base/sqltext.h"
#include "base/strbuf.h"

void lint_report_init(struct lint_report *r)
{
	*r = (struct lint_report){ 0 };
}

void lint_report_release(struct lint_report *r)
{
	if (!r)
		return;
	free(r->items);
	lint_report_init(r);
}

static int unknown_rule(const struct capture_step *step, const char *id,
			size_t len, struct retort_error *err)
{
	struct strbuf known = STRBUF_INIT;
	size_t i;

	for (i = 0; i < lint_nrules; i++)
		strbuf_addf(&known, "%s%s", i ? ", " : "", lint_rules[i].id);
	error_set(err, RETORT_USAGE,
		  "revision %s waives an unknown lint rule \"%.*s\"",
		  step->revision, (int)(len > 64 ? 64 : len), id);
	error_detail(err, "its .lint_allow is \"%.200s\"; the rules are %s",
		     step->lint_allow, strbuf_str(&known));
	error_hint(
		err,
		"Write the ids of the rules to waive in .lint_allow, separated by commas.");
	strbuf_release(&known);
	return -1;
}

/* Every id in the step's .lint_allow names a rule. */
static int check_waivers(const struct capture_step *step,
			 struct retort_error *err)
{
	const char *p = step->lint_allow;

	while (p && *p) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n > 0 && !rules_find(p, n))
			return unknown_rule(step, p, n, err);
		p += n;
	}
	return 0;
}

static bool judged(const struct capture_step *step,
		   const struct lint_settings *set)
{
	size_t i;

	if (!step->upgrade)
		return false;
	if (set->nonly == 0)
		return true;
	for (i = 0; i < set->nonly; i++)
		if (strcmp(set->only[i], step->revision) == 0)
			return true;
	return false;
}

static size_t count_statements(const char *sql)
{
	struct sql_span sp;
	size_t pos = 0, n = 0, len = strlen(sql);

	while (sqltext_next_stmt(sql, len, &pos, &sp))
		n++;
	return n;
}

/* Each SQL statement of the captured statement w->stmt, judged. */
static void walk_statement(struct lint_walk *w)
{
	const char *sql = w->c->stmts[w->stmt].sql;
	struct sql_span sp;
	size_t pos = 0, len;

	if (!sql)
		return;
	len = strlen(sql);
	w->nsub = count_statements(sql);
	while (sqltext_next_stmt(sql, len, &pos, &sp)) {
		w->text = sp.s;
		w->len = sp.len;
		classify_sql(sp.s, sp.len, &w->cls);
		rules_judge(w);
	}
}

static void walk_step(struct lint_walk *w)
{
	const struct capture_step *step = &w->c->steps[w->step];
	size_t i;

	w->judged = judged(step, w->set);
	w->out->judged += w->judged ? 1 : 0;
	for (i = step->first; i < step->first + step->n && i < w->c->n; i++) {
		w->stmt = i;
		walk_statement(w);
	}
	rules_end_step(w);
}

int lint_capture(const struct capture *c, const struct table_facts *facts,
		 size_t nfacts, const struct lint_settings *set,
		 struct lint_report *out, struct retort_error *err)
{
	struct lint_walk w = {
		.c = c, .facts = facts, .nfacts = nfacts, .set = set, .out = out
	};
	size_t i;

	for (i = 0; i < c->nsteps; i++)
		if (judged(&c->steps[i], set) &&
		    check_waivers(&c->steps[i], err) < 0)
			return -1;
	for (i = 0; i < c->nsteps && !w.oom; i++) {
		w.step = i;
		walk_step(&w);
	}
	rules_walk_release(&w);
	if (w.oom)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/* name into list unless it is there already. */
static int add_relation(char ***list, size_t *n, size_t *cap, const char *name)
{
	size_t i;

	if (!name[0])
		return 0;
	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i], name) == 0)
			return 0;
	if (*n == *cap) {
		size_t grown_cap = *cap ? 2 * *cap : 8;
		char **grown = realloc(*list, grown_cap * sizeof(*grown));

		if (!grown)
			return -1;
		*list = grown;
		*cap = grown_cap;
	}
	(*list)[*n] = strdup(name);
	if (!(*list)[*n])
		return -1;
	(*n)++;
	return 0;
}

/* The tables the statements of st name, into the list. */
static int statement_tables(const struct capture_stmt *st, char ***list,
			    size_t *n, size_t *cap)
{
	struct sql_class cls;
	struct sql_span sp;
	size_t pos = 0, len = st->sql ? strlen(st->sql) : 0;

	while (sqltext_next_stmt(st->sql, len, &pos, &sp)) {
		classify_sql(sp.s, sp.len, &cls);
		if (add_relation(list, n, cap, cls.table) < 0)
			return -1;
	}
	return 0;
}

int lint_relations(const struct capture *c, char ***out, size_t *n,
		   struct retort_error *err)
{
	size_t i, j, cap = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < c->n; i++)
		for (j = 0; j < c->stmts[i].nlocks; j++)
			if (add_relation(out, n, &cap,
					 c->stmts[i].locks[j].relation) < 0)
				goto oom;
	for (i = 0; i < c->n; i++)
		if (statement_tables(&c->stmts[i], out, n, &cap) < 0)
			goto oom;
	return 0;
oom:
	for (i = 0; i < *n; i++)
		free((*out)[i]);
	free(*out);
	*out = NULL;
	*n = 0;
	return error_set(err, RETORT_FAILED, "out of memory");
}
