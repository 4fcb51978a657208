/*
 * suggest.c - the names of a graph nearest to a mistyped target, for "did
 * you mean" (see suggest.h).  Pure: never prints, never fails.
 */
#include "graph/suggest.h"

#include <stdint.h>
#include <string.h>

#include "base/text.h"
#include "graph/graph.h"

struct nearest {
	const char *word;
	size_t len;
	size_t best; /* the smallest distance seen, SIZE_MAX: none */
	const char *names[SUGGEST_MAX];
	size_t n;
};

/* A slip of the keyboard rather than another word: a short word may not
 * be half rewritten.  0 is a prefix of an id too short to match one. */
static bool is_near(size_t d, size_t len)
{
	return d <= 2 && d * 2 <= len;
}

static void consider(struct nearest *near, const char *name, size_t d)
{
	if (!is_near(d, near->len) || d > near->best)
		return;
	if (d < near->best) {
		near->best = d;
		near->n = 0;
	}
	for (size_t i = 0; i < near->n; i++)
		if (strcmp(near->names[i], name) == 0)
			return;
	if (near->n < SUGGEST_MAX)
		near->names[near->n++] = name;
}

/* Against the whole name, and (for an id) against its start: "ae2" is a
 * prefix of ae1027a6acf mistyped. */
static void consider_name(struct nearest *near, const char *name,
			  bool as_prefix)
{
	size_t nlen = strlen(name);

	consider(near, name,
		 text_edit_distance(near->word, near->len, name, nlen));
	if (as_prefix && near->len >= 3 && near->len < nlen)
		consider(near, name,
			 text_edit_distance(near->word, near->len, name,
					    near->len));
}

static void join(const struct nearest *near, struct strbuf *out)
{
	for (size_t i = 0; i < near->n; i++) {
		if (i > 0)
			strbuf_add(out, i + 1 == near->n ? " or " : ", ");
		strbuf_addf(out, "'%s'", near->names[i]);
	}
}

size_t suggest_targets(const struct revmap *map, const char *word, size_t len,
		       struct strbuf *out)
{
	static const char *const keywords[] = { "head", "heads", "base" };
	struct nearest near = { word, len, SIZE_MAX, { NULL }, 0 };

	if (len == 0)
		return 0;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		consider_name(&near, keywords[i], false);
	for (size_t r = 0; r < map->n; r++)
		consider_name(&near, id_of(map, r), true);
	for (size_t r = 0; r < map->n; r++)
		for (size_t k = 0; k < map->revs[r].nlabels; k++)
			consider_name(&near, map->revs[r].labels[k], false);
	join(&near, out);
	return near.n;
}
