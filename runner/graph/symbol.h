/*
 * symbol.h - the revisions a symbol names, as Alembic's get_revisions()
 * and get_revision() read it: "head", "heads", "base", an id, a unique
 * prefix of an id or label longer than three characters, a branch label,
 * "label@SYM", and "-N" or "label@-N" below the heads.  Errors are
 * RETORT_USAGE in Alembic's words (can't locate, multiple revisions start
 * with, not a member of branch, multiple head revisions).
 *
 * A symbol is a struct token: a slice of the argument arg, which the
 * messages quote whole.
 */
#ifndef RETORT_SYMBOL_H
#define RETORT_SYMBOL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "graph/graph.h"
#include "graph/revmap.h"

/* A symbol as Alembic's _resolve_revision_number reads it. */
struct symbol {
	struct token label; /* empty: none */
	struct token id;    /* after the label */
	bool *lineage;	    /* the label's, or NULL; owned */
	bool keyword;	    /* id is head, heads or base: revs holds it */
	struct revlist revs;
};

/*
 * Split sym into label and id and resolve the keywords.  strict: resolve
 * the label even for "label@base" (get_revision does, get_revisions does
 * not).  Release *s even on failure.
 */
int symbol_read(const struct revmap *map, struct token sym, const char *arg,
		bool strict, struct symbol *s, struct retort_error *err);
void symbol_release(struct symbol *s);

/* Alembic's get_revisions() of one symbol; may hold POS_NONE, POS_BASE. */
int symbol_revisions(const struct revmap *map, struct token sym,
		     const char *arg, struct revlist *out,
		     struct retort_error *err);

/* Alembic's get_revision(): one revision, or POS_NONE for base. */
int symbol_revision(const struct revmap *map, struct token sym, const char *arg,
		    size_t *rev, struct retort_error *err);

/* The revision an id, a branch label or a unique prefix of one names. */
int symbol_ident(const struct revmap *map, struct token t, size_t *rev,
		 struct retort_error *err);

/*
 * The lineage a branch label (or a revision used as one) stands for: a
 * new array the caller frees, or NULL for an empty label.
 */
int symbol_branch_lineage(const struct revmap *map, struct token label,
			  bool **out, struct retort_error *err);

/* Whether one of the branch labels that apply to rev is name. */
bool symbol_has_label(const struct revmap *map, size_t rev, struct token name);

#endif
