/*
 * cmd_scaffold.c - revision, merge and init: what a new revision builds on,
 * decided by Alembic's rules and in its words, and a new migration project.
 *
 * Works from the revision sources (scaffold_scan), not the built plugins,
 * so a revision written a moment ago counts before it is compiled.  Every
 * check runs before anything is written, and the new revision is validated
 * together with the graph it joins: an error leaves the sources untouched.
 */
#define _XOPEN_SOURCE 700 /* realpath() is XSI */
#include "cli/cmd.h"

#include "base/clock.h"
#include "base/strbuf.h"
#include "schema/autogen.h"
#include "plugins/scaffold.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A revision about to be written, and the graph it joins. */
struct draft {
	const char *dir; /* the sources directory */
	struct source_set sources;
	struct revmap *map;
	struct revlist parents; /* down revisions, in the order given */
	char id[REVMAP_ID_MAX + 1];
	char *down_revision; /* "a, b", or NULL for a new base */
	char *depends_on;    /* resolved, or NULL */
	char *name;	     /* <id>_<slug>.c */
	char *branch_labels; /* checked, or NULL */
	const char *message;
};

static void draft_release(struct draft *d)
{
	free(d->name);
	free(d->branch_labels);
	free(d->depends_on);
	free(d->down_revision);
	revlist_release(&d->parents);
	revmap_free(d->map);
	source_set_release(&d->sources);
}

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

static const char *id_of(const struct draft *d, size_t rev)
{
	return d->map->revs[rev].meta->id;
}

static int check_message(const char *command, const struct cmd_args *args,
			 struct retort_error *err)
{
	const char *m = args->message;

	if (m == NULL) {
		error_set(err, RETORT_USAGE, "a message is required");
		error_hint(err, "retort %s -m \"add portfolios table\" ...",
			   command);
		return -1;
	}
	if (m[strspn(m, " \t\r\n\v\f")] == '\0') {
		error_set(err, RETORT_USAGE, "the message is empty");
		error_hint(err, "Say what the revision does: -m \"%s\".",
			   "add portfolios table");
		return -1;
	}
	return 0;
}

static int load_sources(struct draft *d, struct retort_error *err)
{
	if (scaffold_scan(d->dir, &d->sources, err) < 0)
		return -1;
	return revmap_build(d->sources.metas, d->sources.n, &d->map, err);
}

/* ---- the new revision's id ---- */

static bool is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static int invalid_id(const char *id, const char *why, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "invalid revision id \"%s\"", id);
	error_detail(err, "%s", why);
	error_hint(
		err,
		"An id is 1 to %d characters of A-Z, a-z, 0-9 and _, other than head, heads and base.",
		REVMAP_ID_MAX);
	return -1;
}

static int take_rev_id(struct draft *d, const char *id,
		       struct retort_error *err)
{
	size_t len = strlen(id), rev;

	if (len == 0 || len > REVMAP_ID_MAX)
		return invalid_id(id, "it must be 1 to 32 characters long",
				  err);
	for (size_t i = 0; i < len; i++)
		if (!is_id_char(id[i]))
			return invalid_id(
				id, "it may hold only letters, digits and '_'",
				err);
	if (!strcmp(id, "head") || !strcmp(id, "heads") || !strcmp(id, "base"))
		return invalid_id(id, "it is a target keyword", err);
	if (revmap_find(d->map, id, &rev)) {
		error_set(err, RETORT_USAGE,
			  "revision \"%s\" already exists in %s", id,
			  d->map->revs[rev].meta->path);
		error_hint(
			err,
			"Pick another --rev-id, or leave it out for a random one.");
		return -1;
	}
	memcpy(d->id, id, len + 1);
	return 0;
}

/* 12 random lowercase hex digits, as Alembic's uuid4().hex[-12:]. */
static int random_id(char id[13], struct retort_error *err)
{
	unsigned char bytes[6];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got;

	if (f == NULL)
		return error_set(err, RETORT_FAILED,
				 "cannot open /dev/urandom: %s",
				 strerror(errno));
	got = fread(bytes, 1, sizeof(bytes), f);
	fclose(f);
	if (got != sizeof(bytes))
		return error_set(err, RETORT_FAILED,
				 "cannot read /dev/urandom");
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(id + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static int choose_id(struct draft *d, const char *rev_id,
		     struct retort_error *err)
{
	size_t rev;

	if (rev_id != NULL)
		return take_rev_id(d, rev_id, err);
	do {
		if (random_id(d->id, err) < 0)
			return -1;
	} while (revmap_find(d->map, d->id, &rev));
	return 0;
}

/* Append item to the list "a, b" (NULL is the empty list). */
static int append_item(char **list, const char *item, struct retort_error *err)
{
	struct strbuf b = STRBUF_INIT;
	char *joined;

	if (*list != NULL && **list != '\0') {
		strbuf_add(&b, *list);
		strbuf_add(&b, ", ");
	}
	strbuf_add(&b, item);
	joined = strbuf_finish(&b);
	if (joined == NULL)
		return oom(err);
	free(*list);
	*list = joined;
	return 0;
}

/* ---- what it builds on ---- */

static int append_revs(struct revlist *to, const struct revlist *from,
		       struct retort_error *err)
{
	size_t *grown;

	if (from->n == 0)
		return 0;
	grown = realloc(to->items, (to->n + from->n) * sizeof(*grown));
	if (grown == NULL)
		return oom(err);
	memcpy(grown + to->n, from->items, from->n * sizeof(*grown));
	to->items = grown;
	to->n += from->n;
	return 0;
}

/* Resolve a target (an id, prefix, label, label@head, heads...) onto
 * d->parents. */
static int add_parents(struct draft *d, const char *target,
		       struct retort_error *err)
{
	struct revlist found = { NULL, 0 };
	int rc;

	if (revmap_resolve(d->map, NULL, target, &found, err) < 0)
		return -1;
	rc = append_revs(&d->parents, &found, err);
	revlist_release(&found);
	return rc;
}

static int multiple_heads(struct draft *d, struct retort_error *err)
{
	char heads[512];

	revmap_join_ids(d->map, &d->map->heads, heads, sizeof(heads));
	error_set(
		err, RETORT_USAGE,
		"Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.");
	error_detail(err, "heads: %s", heads);
	error_hint(
		err,
		"Pass --head REV to build on one of them, or join them first with `retort merge -m MESSAGE heads`.");
	return -1;
}

/*
 * revision --head: "head" by default, as Alembic.  Where the target asks
 * for one head of several (head, label@head), Alembic answers in the words
 * of generate_revision(), which name the way out: --head or a merge.
 */
static int revision_parents(struct draft *d, const char *head,
			    struct retort_error *err)
{
	static const char several[] = "Multiple head revisions are present";

	if (head == NULL || !strcmp(head, "head")) {
		if (d->map->heads.n > 1)
			return multiple_heads(d, err);
		head = "head";
	}
	if (add_parents(d, head, err) == 0)
		return 0;
	if (strncmp(err->msg, several, strlen(several)) == 0)
		return multiple_heads(d, err);
	return -1;
}

/* merge REVS...: each resolved, "heads" standing for every head. */
static int merge_parents(struct draft *d, const struct cmd_args *args,
			 struct retort_error *err)
{
	char ids[512];

	for (int i = 0; i < args->npositional; i++)
		if (add_parents(d, args->positional[i], err) < 0)
			return -1;
	if (d->parents.n >= 2)
		return 0;
	revmap_join_ids(d->map, &d->parents, ids, sizeof(ids));
	error_set(err, RETORT_USAGE,
		  "a merge needs at least two revisions to join");
	error_detail(err, "given: %s", ids[0] ? ids : "(none: base)");
	error_hint(
		err,
		"Name two or more heads, or 'heads' for all; with a single head, write a plain revision with `retort revision -m MESSAGE`.");
	return -1;
}

static int check_duplicates(const struct draft *d, struct retort_error *err)
{
	for (size_t i = 0; i < d->parents.n; i++)
		for (size_t j = 0; j < i; j++)
			if (d->parents.items[i] == d->parents.items[j]) {
				error_set(err, RETORT_USAGE,
					  "Duplicate head revisions specified");
				error_detail(err, "%s is named twice",
					     id_of(d, d->parents.items[i]));
				error_hint(err, "Name each revision once.");
				return -1;
			}
	return 0;
}

/* Alembic builds on heads only, unless --splice starts a branch. */
static int check_heads(struct draft *d, bool splice, bool merging,
		       struct retort_error *err)
{
	char heads[512];

	if (check_duplicates(d, err) < 0)
		return -1;
	if (splice)
		return 0;
	for (size_t i = 0; i < d->parents.n; i++) {
		size_t rev = d->parents.items[i];

		if (revmap_is_head(d->map, rev))
			continue;
		revmap_join_ids(d->map, &d->map->heads, heads, sizeof(heads));
		error_set(
			err, RETORT_USAGE,
			"Revision %s is not a head revision; please specify --splice to create a new branch from this revision",
			id_of(d, rev));
		error_detail(err, "heads: %s", heads);
		error_hint(
			err, "%s",
			merging ? "A merge joins heads: name heads only."
				: "Pass --splice to branch off there, or --head one of the heads.");
		return -1;
	}
	return 0;
}

static int set_down_revision(struct draft *d, struct retort_error *err)
{
	for (size_t i = 0; i < d->parents.n; i++)
		if (append_item(&d->down_revision,
				id_of(d, d->parents.items[i]), err) < 0)
			return -1;
	return 0;
}

/* ---- depends_on ---- */

static bool has_label(const struct revision *r, const char *label, size_t len)
{
	for (size_t i = 0; i < r->nlabels; i++)
		if (strlen(r->labels[i]) == len &&
		    !memcmp(r->labels[i], label, len))
			return true;
	return false;
}

/*
 * One --depends-on entry as Alembic records it: a branch label stays a
 * label (it follows the branch), anything else becomes the full id.
 */
static int resolve_dependency(struct draft *d, const char *entry, size_t len,
			      char *buf, size_t size, struct retort_error *err)
{
	struct revlist found = { NULL, 0 };
	char target[128];
	const struct revision *r;

	snprintf(target, sizeof(target), "%.*s", (int)len, entry);
	if (revmap_resolve(d->map, NULL, target, &found, err) < 0)
		return -1;
	if (found.n != 1) {
		revlist_release(&found);
		error_set(err, RETORT_USAGE,
			  "--depends-on '%s' does not name one revision",
			  target);
		error_hint(
			err,
			"Name each dependency by its id, a unique prefix or a branch label.");
		return -1;
	}
	r = &d->map->revs[found.items[0]];
	snprintf(buf, size, "%s",
		 has_label(r, entry, len) ? target : r->meta->id);
	revlist_release(&found);
	return 0;
}

/* Comma- or blank-separated, as one option or several values in one. */
static int resolve_depends_on(struct draft *d, const char *spec,
			      struct retort_error *err)
{
	static const char seps[] = ", \t";
	char item[REVMAP_ID_MAX * 4];

	for (const char *p = spec + strspn(spec, seps); *p != '\0';
	     p += strspn(p, seps)) {
		size_t len = strcspn(p, seps);

		if (resolve_dependency(d, p, len, item, sizeof(item), err) <
			    0 ||
		    append_item(&d->depends_on, item, err) < 0)
			return -1;
		p += len;
	}
	return 0;
}

/* ---- branch labels ---- */

static int check_label(const struct draft *d, const char *label, size_t len,
		       struct retort_error *err)
{
	size_t rev;
	char name[128];

	snprintf(name, sizeof(name), "%.*s", (int)len, label);
	if (len >= sizeof(name))
		goto invalid;
	for (size_t i = 0; i < len; i++)
		if (!is_id_char(label[i]))
			goto invalid;
	if (!strcmp(name, "head") || !strcmp(name, "heads") ||
	    !strcmp(name, "base"))
		goto invalid;
	for (rev = 0; rev < d->map->n; rev++)
		if (has_label(&d->map->revs[rev], label, len) ||
		    !strcmp(id_of(d, rev), name))
			break;
	if (rev == d->map->n)
		return 0;
	error_set(err, RETORT_USAGE, "Branch name '%s' already used by %s",
		  name, id_of(d, rev));
	error_detail(err, "file: %s", d->map->revs[rev].meta->path);
	error_hint(err, "Pick another --branch-label.");
	return -1;
invalid:
	error_set(err, RETORT_USAGE, "invalid branch label \"%s\"", name);
	error_hint(
		err,
		"A branch label is letters, digits and '_', other than head, heads and base.");
	return -1;
}

/*
 * Alembic takes one label; the field is a list, so several are taken too,
 * and written as "a, b".
 */
static int check_labels(struct draft *d, const char *spec,
			struct retort_error *err)
{
	static const char seps[] = ", \t";
	char name[128];

	if (spec[strspn(spec, seps)] == '\0') {
		error_set(err, RETORT_USAGE, "the branch label is empty");
		error_hint(err, "Pass --branch-label NAME.");
		return -1;
	}
	for (const char *p = spec + strspn(spec, seps); *p != '\0';
	     p += strspn(p, seps)) {
		size_t len = strcspn(p, seps);

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (check_label(d, p, len, err) < 0 ||
		    append_item(&d->branch_labels, name, err) < 0)
			return -1;
		p += len;
	}
	return 0;
}

/* ---- validating and writing ---- */

/*
 * Build the graph again with the new revision in it: revmap's own checks
 * (label syntax and clashes, references, cycles) judge it before any file
 * exists.
 */
static int verify_draft(struct draft *d, struct retort_error *err)
{
	struct source_set *s = &d->sources;
	struct revmap *map = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", d->dir, d->name);
	/* scaffold_scan() leaves a spare slot for exactly this. */
	s->metas[s->n] = (struct revision_meta){
		.id = d->id,
		.down_revision = d->down_revision,
		.message = d->message,
		.branch_labels = d->branch_labels,
		.depends_on = d->depends_on,
		.path = path,
	};
	if (revmap_build(s->metas, s->n + 1, &map, err) < 0)
		return -1;
	revmap_free(map);
	return 0;
}

/* Alembic's line, with the absolute path it prints. */
static void print_generated(FILE *out, const char *dir, const char *name)
{
	char *real = realpath(dir, NULL);

	fprintf(out, "Generating %s/%s ...  done\n", real ? real : dir, name);
	free(real);
}

static int write_draft(struct app *app, struct draft *d,
		       struct retort_error *err)
{
	char date[32];
	struct scaffold_revision rev = {
		d->id, d->down_revision, d->message,
		date,  d->branch_labels, d->depends_on
	};
	char *text;
	bool listed;
	int rc;

	clock_now_utc(date, sizeof(date));
	text = scaffold_render(&rev);
	if (text == NULL)
		return oom(err);
	rc = scaffold_write_revision(d->dir, d->name, text, &listed, err);
	free(text);
	if (rc < 0)
		return -1;
	print_generated(app->out, d->dir, d->name);
	return 0;
}

/* What revision and merge share once the parents are known. */
static int draft_finish(struct app *app, struct draft *d,
			const struct cmd_args *args, struct retort_error *err)
{
	if (args->branch_label && check_labels(d, args->branch_label, err) < 0)
		return -1;
	if (set_down_revision(d, err) < 0)
		return -1;
	d->name = scaffold_file_name(d->id, d->message);
	if (d->name == NULL)
		return oom(err);
	if (verify_draft(d, err) < 0)
		return -1;
	return write_draft(app, d, err);
}

int cmd_revision(struct app *app, const struct cmd_args *args,
		 struct retort_error *err)
{
	struct draft d = { .dir = args->version_path ? args->version_path
						     : app->cfg.sources,
			   .message = args->message };
	int rc = -1;

	if (args->autogenerate)
		return autogen_revision(app, args, err);
	if (check_message("revision", args, err) < 0 ||
	    load_sources(&d, err) < 0 || choose_id(&d, args->rev_id, err) < 0)
		goto out;
	if (revision_parents(&d, args->head, err) < 0 ||
	    check_heads(&d, args->splice, false, err) < 0)
		goto out;
	if (args->depends_on &&
	    resolve_depends_on(&d, args->depends_on, err) < 0)
		goto out;
	rc = draft_finish(app, &d, args, err);
out:
	draft_release(&d);
	return rc;
}

int cmd_merge(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	struct draft d = { .dir = app->cfg.sources, .message = args->message };
	int rc = -1;

	if (check_message("merge", args, err) < 0 ||
	    load_sources(&d, err) < 0 || choose_id(&d, args->rev_id, err) < 0 ||
	    merge_parents(&d, args, err) < 0 ||
	    check_heads(&d, false, true, err) < 0)
		goto out;
	rc = draft_finish(app, &d, args, err);
out:
	draft_release(&d);
	return rc;
}

/* ---- init ---- */

int cmd_init(struct app *app, const struct cmd_args *args,
	     struct retort_error *err)
{
	const char *dir = args->positional[0];
	bool existed = access(dir, F_OK) == 0;
	char *real;

	if (scaffold_init(dir, err) < 0)
		return -1;
	real = realpath(dir, NULL);
	if (real == NULL)
		return error_set(err, RETORT_FAILED,
				 "cannot resolve \"%s\": %s", dir,
				 strerror(errno));
	if (!existed)
		fprintf(app->out, "Creating directory %s ...  done\n", real);
	fprintf(app->out, "Creating directory %s/versions ...  done\n", real);
	for (size_t i = 0; i < scaffold_nproject_files; i++)
		fprintf(app->out, "Generating %s/%s ...  done\n", real,
			scaffold_project_files[i]);
	fprintf(app->out,
		"Please edit configuration/connection settings in '%s/retort.ini' (or set DATABASE_URL, see .env.example) before proceeding.\n"
		"Then:\n"
		"  cd %s\n"
		"  retort revision -m \"first revision\"\n"
		"  retort upgrade head      (builds the revision, then applies it)\n",
		real, real);
	free(real);
	return 0;
}
