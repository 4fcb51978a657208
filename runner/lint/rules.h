/*
 * rules.h - the lint rules and the walk that applies them to one captured
 * statement at a time (rules.c); lint.c drives the walk over a capture.
 * Pure: no I/O, no libpq.
 */
#ifndef RETORT_RULES_H
#define RETORT_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/capture.h"
#include "lint/classify.h"
#include "store/facts.h"

#define LINT_DEFAULT_LARGE_ROWS 100000

/* A rule: its id is what users write in .lint_allow. */
struct lint_rule {
	const char *id;
	const char *what; /* what it flags */
	const char *why;  /* why that hurts the target */
	const char *safe; /* the safe form */
};

/* Every rule, in the order the README lists them. */
extern const struct lint_rule lint_rules[];
extern const size_t lint_nrules;

/* The rule named id[0..len), or NULL. */
const struct lint_rule *rules_find(const char *id, size_t len);

struct lint_settings {
	/* A table is large from this many estimated rows; a table whose
	 * size the target does not know (never analyzed) is not large. */
	double large_rows;
	/* The ids of the revisions to judge; none = every upgrade step.
	 * The others are still read for what they create. */
	const char *const *only;
	size_t nonly;
	/* The lock_timeout the runner sets for each revision
	 * (ddl_lock_timeout), NULL for none: what a statement the rehearsal
	 * could not measure (autocommit) ran with, unless the revision SET
	 * another. */
	const char *lock_timeout;
};

#define LINT_STATEMENT_MAX 120

struct lint_finding {
	const struct lint_rule *rule;
	size_t step;				/* index into capture.steps */
	size_t stmt;				/* index into capture.stmts */
	char statement[LINT_STATEMENT_MAX + 1]; /* its first line, cut */
	char table[CLASSIFY_QNAME];		/* the table it acts on */
	char fact[160]; /* what makes it hurt here, or "" */
};

struct lint_report {
	struct lint_finding *items; /* owned */
	size_t n, cap;
	size_t waived; /* findings a .lint_allow waiver silenced */
	size_t judged; /* upgrade steps judged */
};

/* Names met so far in the run, each "table" or "table\x1fcolumn". */
struct name_list {
	char **items;
	size_t n, cap;
};

/* Where the walk stands, and what the run did before this statement. */
struct lint_walk {
	const struct capture *c;
	const struct table_facts *facts;
	size_t nfacts;
	const struct lint_settings *set;
	struct lint_report *out;
	size_t step, stmt; /* the captured statement judged now */
	bool judged;	   /* its step is one to report on */
	const char *text;  /* the one SQL statement of it judged now */
	size_t len;
	struct sql_class cls;
	struct name_list created;   /* tables a revision of the run created */
	struct name_list not_valid; /* "table\x1fconstraint", this step */
	struct name_list checked;   /* "table\x1fcolumn": a validated
				       CHECK (column IS NOT NULL) */
	/* "table\x1fconstraint\x1fcolumn": CHECK (column IS NOT NULL)
	 * added NOT VALID, waiting for its VALIDATE */
	struct name_list pending_checks;
	size_t nsub;			  /* statements in the captured text */
	char lock_timeout[CLASSIFY_NAME]; /* the last SET of this step */
	bool oom;
};

/* Apply every rule to w->text (classified in w->cls). */
void rules_judge(struct lint_walk *w);

/* Forget what held for one step only (NOT VALID constraints, SETs). */
void rules_end_step(struct lint_walk *w);

void rules_walk_release(struct lint_walk *w);

/*
 * rel (as regclass prints it, or as a statement names it) as folded
 * parts "schema.name" into out; whether two such names are the same
 * table, one of them perhaps unqualified.
 */
void rules_relation_name(const char *rel, char out[CLASSIFY_QNAME]);
bool rules_same_relation(const char *a, const char *b);

#endif
