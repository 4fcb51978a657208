/*
 * cmd_check.c - is this database up to date and intact?
 *
 * Intact first (RETORT_USAGE, exit 2): every applied revision has its
 * plugin, no plugin is older than its source, and every applied revision's
 * checksum is the one its last upgrade recorded in retort_history.  Then up
 * to date (RETORT_FAILED, exit 1): the database is at every head.  Silent
 * when both hold, so scripts read the exit status.  Changes nothing.
 */
#include "cli/cmd.h"

#include "schema/autogen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "base/text.h"

/* The culprits an error's detail lists; the rest are counted. */
#define FINDINGS_LISTED 3

/* What one check found: how many, the first's name, detail lines. */
struct findings {
	size_t n;
	char first[512];
	struct retort_error lines; /* only .detail is used */
};

static void finding_add(struct findings *f, const char *first, const char *fmt,
			...) ERROR_PRINTF(3, 4);

static void finding_add(struct findings *f, const char *first, const char *fmt,
			...)
{
	char line[sizeof(f->lines.detail)];
	va_list ap;

	if (f->n++ == 0)
		snprintf(f->first, sizeof(f->first), "%s", first);
	if (f->n > FINDINGS_LISTED)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	error_detail(&f->lines, "%s", line);
}

/* Move the listed lines into err, whose message is set, and a hint. */
static int findings_report(const struct findings *f, const char *hint,
			   struct retort_error *err)
{
	error_detail(err, "%s", f->lines.detail);
	if (f->n > FINDINGS_LISTED)
		error_detail(err, "and %zu more", f->n - FINDINGS_LISTED);
	error_hint(err, "%s", hint);
	return -1;
}

static void free_rows(char **rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}

/*
 * Version-table rows no plugin defines.  (An applied revision below a row
 * cannot be missing alone: its child names it, and the graph refuses an
 * unknown down_revision before anything connects.)
 */
static int check_rows_known(struct app *app, char **rows, size_t n,
			    struct retort_error *err)
{
	struct findings f = { 0 };
	size_t rev;

	char shown[128];

	for (size_t i = 0; i < n; i++)
		if (!revmap_find(app->map, rows[i], &rev))
			finding_add(
				&f, text_escape(rows[i], shown, sizeof(shown)),
				"'%s' is in the version table %s, but no plugin defines it",
				shown, app->db.version_table);
	if (f.n == 0)
		return 0;
	if (f.n == 1)
		error_set(err, RETORT_USAGE,
			  "applied revision '%s' has no plugin in \"%s\"",
			  f.first, app->cfg.versions);
	else
		error_set(err, RETORT_USAGE,
			  "%zu applied revisions have no plugin in \"%s\"", f.n,
			  app->cfg.versions);
	return findings_report(
		&f,
		"Build the revisions (meson compile -C build) or restore the missing plugins; if a revision was removed on purpose, move the database off it first (retort stamp).",
		err);
}

int check_read_state(struct app *app, struct revstate *state,
		     struct retort_error *err)
{
	char **rows = NULL;
	size_t n = 0;
	int rc;

	if (db_read_versions(&app->db, &rows, &n, err) < 0)
		return -1;
	rc = check_rows_known(app, rows, n, err);
	if (rc == 0)
		rc = revmap_state(app->map, (const char *const *)rows, n, state,
				  err);
	free_rows(rows, n);
	return rc;
}

static void found_stale(const struct revision_meta *m, const char *now,
			void *findings)
{
	finding_add(
		findings, m->path,
		"revision %s was built from source checksum %s; \"%s\" is now %s",
		m->id, m->checksum, m->source_path, now);
}

/* Plugins older than their sources: running one runs yesterday's code. */
static int check_stale(struct app *app, const struct plan *plan,
		       struct retort_error *err)
{
	struct findings f = { 0 };

	plugin_find_stale(&app->plugins, app->cfg.versions, plan, found_stale,
			  &f);
	if (f.n == 0)
		return 0;
	if (f.n == 1)
		error_set(err, RETORT_USAGE,
			  "revision plugin \"%s\" is older than its source",
			  f.first);
	else
		error_set(err, RETORT_USAGE,
			  "%zu revision plugins are older than their sources",
			  f.n);
	return findings_report(
		&f,
		"Rebuild the revisions (meson compile -C build), then run again.",
		err);
}

static bool is_binary_checksum(const char *text)
{
	return strncmp(text, "so:", 3) == 0;
}

/*
 * An applied revision whose checksum is not the one its last upgrade
 * recorded.  A revision applied before the trail existed (or by Alembic,
 * or stamped) has nothing to compare with; neither has a source checksum
 * against a plugin file's, when the build changed from one to the other.
 */
static void check_one_applied(const struct revision_meta *m,
			      const struct audit_checksums *trail,
			      struct findings *f)
{
	const struct audit_checksum *then = audit_checksums_find(trail, m->id);
	char now[AUDIT_CHECKSUM_SIZE];

	if (!then || !then->checksum)
		return;
	audit_checksum_text(m, now, sizeof(now));
	if (!now[0] ||
	    is_binary_checksum(now) != is_binary_checksum(then->checksum) ||
	    strcmp(now, then->checksum) == 0)
		return;
	finding_add(
		f, m->id,
		"revision %s (\"%s\") was applied with checksum %s; it is now %s",
		m->id, m->path, then->checksum, now);
}

static int check_changed(struct app *app, const struct revstate *state,
			 struct retort_error *err)
{
	struct audit_checksums trail = { 0 };
	struct findings f = { 0 };

	if (audit_last_checksums(&app->db, &trail, err) < 0)
		return -1;
	for (size_t i = 0; i < app->map->n; i++)
		if (state->applied[i])
			check_one_applied(app->map->revs[i].meta, &trail, &f);
	audit_checksums_release(&trail);
	if (f.n == 0)
		return 0;
	if (f.n == 1)
		error_set(err, RETORT_USAGE,
			  "applied revision '%s' was changed after it ran",
			  f.first);
	else
		error_set(err, RETORT_USAGE,
			  "%zu applied revisions were changed after they ran",
			  f.n);
	return findings_report(
		&f,
		"Put the revision back as it was applied and make the change in a new revision; if the edit is deliberate and changes nothing applied, pass --allow-changed.",
		err);
}

int check_intact(struct app *app, bool allow_changed, const struct plan *plan,
		 const struct revstate *state, struct retort_error *err)
{
	int rc = check_stale(app, plan, err);

	if (rc == 0 && !allow_changed)
		rc = check_changed(app, state, err);
	return rc;
}

int check_integrity(struct app *app, bool allow_changed, struct revstate *state,
		    struct retort_error *err)
{
	if (check_read_state(app, state, err) < 0)
		return -1;
	if (check_intact(app, allow_changed, NULL, state, err) == 0)
		return 0;
	revstate_release(state);
	return -1;
}

/*
 * At every head means every revision applied: with depends_on the table
 * holds fewer rows than the graph has heads, so rows cannot be counted.
 */
static bool at_heads(const struct revmap *map, const struct revstate *state)
{
	for (size_t i = 0; i < map->n; i++)
		if (!state->applied[i])
			return false;
	return true;
}

int cmd_check(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	struct revstate state = { 0 };
	bool ok;
	bool allow_changed = args->allow_changed || app->cfg.allow_changed;

	if (check_integrity(app, allow_changed, &state, err) < 0)
		return -1;
	ok = at_heads(app->map, &state);
	revstate_release(&state);
	if (ok)
		return args->schema ? autogen_check_schema(app, err) : 0;
	error_set(err, RETORT_FAILED, "Target database is not up to date.");
	error_hint(err, "Run `retort upgrade heads`.");
	return -1;
}
