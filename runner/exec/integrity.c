/*
 * integrity.c - whether the revisions and the database agree, for `check`
 * and for upgrade and downgrade alike.
 *
 * Intact (RETORT_USAGE, exit 2, when not): every applied revision has its
 * plugin, no plugin is older than its source, and every applied revision's
 * checksum is the one its last upgrade recorded in retort_history.
 * Changes nothing; each finding names its first culprits.
 */
#include "exec/integrity.h"

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
static int check_rows_known(const struct integrity *in, char **rows, size_t n,
			    struct retort_error *err)
{
	struct findings f = { 0 };
	size_t rev;

	char shown[128];

	for (size_t i = 0; i < n; i++)
		if (!revmap_find(in->map, rows[i], &rev))
			finding_add(
				&f, text_escape(rows[i], shown, sizeof(shown)),
				"'%s' is in the version table %s, but no plugin defines it",
				shown, in->db->version_table);
	if (f.n == 0)
		return 0;
	if (f.n == 1)
		error_set(err, RETORT_USAGE,
			  "applied revision '%s' has no plugin in \"%s\"",
			  f.first, in->versions);
	else
		error_set(err, RETORT_USAGE,
			  "%zu applied revisions have no plugin in \"%s\"", f.n,
			  in->versions);
	return findings_report(
		&f,
		"Build the revisions (retort build, or meson compile -C build) or restore the missing plugins; if a revision was removed on purpose, move the database off it first (retort stamp).",
		err);
}

/*
 * The version table's rows as a revstate; with in, rows no plugin defines
 * fail first, listed (without, revmap_state() names the first).
 */
static int read_state(struct db *db, const struct revmap *map,
		      const struct integrity *in, struct revstate *state,
		      struct retort_error *err)
{
	char **rows = NULL;
	size_t n = 0;
	int rc = 0;

	if (db_read_versions(db, &rows, &n, err) < 0)
		return -1;
	if (in)
		rc = check_rows_known(in, rows, n, err);
	if (rc == 0)
		rc = revmap_state(map, (const char *const *)rows, n, state,
				  err);
	free_rows(rows, n);
	return rc;
}

int integrity_read_rows(struct db *db, const struct revmap *map,
			struct revstate *state, struct retort_error *err)
{
	return read_state(db, map, NULL, state, err);
}

int integrity_read_state(const struct integrity *in, struct revstate *state,
			 struct retort_error *err)
{
	return read_state(in->db, in->map, in, state, err);
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
static int check_stale(const struct integrity *in, const struct plan *plan,
		       struct retort_error *err)
{
	struct findings f = { 0 };

	plugin_find_stale(in->plugins, in->versions, plan, found_stale, &f);
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
		"Rebuild the revisions (retort build, or meson compile -C build), then run again.",
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

static int check_changed(const struct integrity *in,
			 const struct revstate *state, struct retort_error *err)
{
	struct audit_checksums trail = { 0 };
	struct findings f = { 0 };

	if (audit_last_checksums(in->db, &trail, err) < 0)
		return -1;
	for (size_t i = 0; i < in->map->n; i++)
		if (state->applied[i])
			check_one_applied(in->map->revs[i].meta, &trail, &f);
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

int integrity_intact(const struct integrity *in, bool allow_changed,
		     const struct plan *plan, const struct revstate *state,
		     struct retort_error *err)
{
	int rc = check_stale(in, plan, err);

	if (rc == 0 && !allow_changed)
		rc = check_changed(in, state, err);
	return rc;
}

int integrity_check(const struct integrity *in, bool allow_changed,
		    struct revstate *state, enum integrity_finding *found,
		    struct retort_error *err)
{
	*found = INTEGRITY_MISSING_PLUGIN;
	if (integrity_read_state(in, state, err) < 0)
		return -1;
	*found = INTEGRITY_STALE_PLUGIN;
	if (check_stale(in, NULL, err) < 0)
		return -1;
	*found = INTEGRITY_CHANGED;
	if (!allow_changed && check_changed(in, state, err) < 0)
		return -1;
	*found = INTEGRITY_INTACT;
	return 0;
}
