/*
 * cmd_complete.c - __complete-revisions, the hidden command the shell
 * completion scripts call: what a target may name in the project retort
 * would use here (each revision id, each branch label and its label@head
 * and label@base), one a line, sorted.
 *
 * It reads the revision sources, as `revision` and `merge` do, and the
 * versions directory's index, which holds what the last scan learnt of the
 * built plugins: never a connection, a compiler or a dlopen, so that a Tab
 * costs next to nothing and runs no revision code.  Whatever cannot be
 * read (no project here, a source that does not parse, no index) gives
 * fewer candidates, not an error: a shell completing a word has nowhere to
 * show one.
 */
#include "cli/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "plugins/index.h"
#include "plugins/scaffold.h"

/*
 * Only words an id or a label may be: a source that does not compile
 * may say anything, and the shell must get neither a control character
 * nor a word that splits.
 */
static bool is_word(const char *s, size_t len)
{
	if (len == 0 || len > REVMAP_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

static void add_word(struct strbuf *b, const char *s, size_t len,
		     const char *suffix)
{
	if (!is_word(s, len))
		return;
	strbuf_addn(b, s, len);
	strbuf_add(b, suffix);
	strbuf_addc(b, '\n');
}

/* A revision's id, and each of its comma-separated labels three ways. */
static void add_revision(struct strbuf *b, const char *id, const char *labels)
{
	const char *label;
	size_t len;

	if (id != NULL)
		add_word(b, id, strlen(id), "");
	while (revmap_list_next(&labels, &label, &len)) {
		add_word(b, label, len, "");
		add_word(b, label, len, "@head");
		add_word(b, label, len, "@base");
	}
}

static bool add_entry(const struct index_entry *e, size_t i, void *arg)
{
	(void)i;
	add_revision(arg, e->id, e->branch_labels);
	return true;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* text's lines sorted, each once; text is cut into its lines. */
static int print_sorted(char *text, FILE *out)
{
	size_t n = 0, i = 0;
	char **lines;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	lines = calloc(n + 1, sizeof(*lines));
	if (lines == NULL)
		return -1;
	for (char *p = text; *p; p = strchr(p, '\0') + 1) {
		lines[i++] = p;
		*strchr(p, '\n') = '\0';
	}
	qsort(lines, n, sizeof(*lines), by_text);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(lines[i], lines[i - 1]) != 0)
			fprintf(out, "%s\n", lines[i]);
	free(lines);
	return 0;
}

int cmd_complete_revisions(struct app *app, const struct cmd_args *args,
			   struct retort_error *err)
{
	struct strbuf b = STRBUF_INIT;
	struct retort_error ignored = { 0 };
	struct source_set sources;
	struct plugin_index idx;
	char *text;
	int rc;

	(void)args;
	if (scaffold_scan(app->cfg.sources, &sources, &ignored) == 0) {
		for (size_t i = 0; i < sources.n; i++)
			add_revision(&b, sources.items[i].id,
				     sources.items[i].branch_labels);
		source_set_release(&sources);
	}
	index_read(app->cfg.versions, &idx);
	index_each(&idx, add_entry, &b);
	index_release(&idx);
	text = strbuf_finish(&b);
	rc = text != NULL ? print_sorted(text, app->out) : -1;
	free(text);
	if (rc < 0)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}
