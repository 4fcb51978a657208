/*
 * config_ini.c - the [retort] section of retort.ini (or of an alembic.ini),
 * read strictly: an unknown key or section, a duplicate, a value that
 * cannot work and a file that is not UTF-8 text are errors naming the
 * file and line, with the nearest known name for a misspelling.
 *
 * Reads only the file it is given; never prints.  A line of junk may hold
 * a password: errors quote a name only when it is plain enough.
 */
#include "config/config.h"

#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config/config_internal.h"
#include "base/text.h"

/* PostgreSQL truncates longer identifiers (NAMEDATALEN - 1) with a NOTICE. */
#define IDENTIFIER_MAX 63
/*
 * The version table's primary key is "<version_table>_pkc", as Alembic names
 * it, and must fit in IDENTIFIER_MAX too: cut short, a 63-byte table's key
 * would take the table's own name.
 */
#define PKEY_SUFFIX "_pkc"
#define VERSION_TABLE_MAX (IDENTIFIER_MAX - (int)(sizeof(PKEY_SUFFIX) - 1))

enum ini_key {
	KEY_VERSIONS,
	KEY_SOURCES,
	KEY_VERSION_TABLE,
	KEY_VERSION_TABLE_SCHEMA,
	KEY_URL,
	KEY_LOCK_TIMEOUT,
	KEY_DDL_LOCK_TIMEOUT,
	KEY_STATEMENT_TIMEOUT,
	KEY_LOCK_LEASE,
	KEY_SCHEMA,
	KEY_CONNECT_TIMEOUT,
	KEY_BUILD,
	KEY_CC,
	KEY_LINT_LARGE_ROWS,
	KEY_TENANT_SCHEMA,
	KEY_COUNT
};

static const char *const ini_key_names[KEY_COUNT] = {
	"versions",
	"sources",
	"version_table",
	"version_table_schema",
	"url",
	"lock_timeout",
	"ddl_lock_timeout",
	"statement_timeout",
	"lock_lease",
	"schema",
	"connect_timeout",
	"build",
	"cc",
	"lint_large_rows",
	"tenant_schema",
};

/*
 * The [retort] backfill_* keys: runner/data/backfill_job.c checks their values,
 * and its knob table must stay in step with this list, which exists so that
 * a misspelt knob is refused here, with the line, instead of ignored.
 */
static const char *const ini_backfill_names[] = {
	"backfill_batch_size",
	"backfill_min_batch",
	"backfill_max_batch",
	"backfill_target_ms",
	"backfill_pause_ms",
	"backfill_max_retries",
	"backfill_max_replication_lag_ms",
	"backfill_lock_timeout",
	"backfill_statement_timeout",
};

#define NBACKFILL_NAMES                                                        \
	(sizeof(ini_backfill_names) / sizeof(ini_backfill_names[0]))

/*
 * Sections that alembic.ini holds (retort can read one with -c): Alembic's
 * own, and logging.config's.  Any other section but [retort] is refused:
 * a misspelt [retort] would otherwise leave every setting unread.
 */
static const char *const ini_foreign_sections[] = {
	"alembic", "post_write_hooks", "loggers", "handlers", "formatters",
};
static const char *const ini_foreign_prefixes[] = {
	"logger_",
	"handler_",
	"formatter_",
};

/* State shared by the line reader and the handler during one ini_parse. */
struct ini_read {
	const char *path;
	FILE *file;
	char *here;	/* the file's directory, for %(here)s */
	int lineno;	/* the line inih is working on */
	bool indented;	/* it starts with white space: a continuation */
	int read_errno; /* why fgets() failed, 0 if it did not */
	int error_line; /* first line that failed our checks, 0 if none */
	char *values[KEY_COUNT];
	int lines[KEY_COUNT];
	struct config_arg *backfill; /* backfill_* keys, for backfill.c */
	size_t nbackfill;
	struct retort_error *err;
};

/*
 * Record a problem on the current line unless an earlier line has one:
 * inih reads on after an error, and the first error is the one to fix.
 */
static bool ini_first_error(struct ini_read *r)
{
	if (r->error_line > 0)
		return false;
	r->error_line = r->lineno;
	return true;
}

static void ini_line_too_long(struct ini_read *r, int max)
{
	if (!ini_first_error(r))
		return;
	error_set(r->err, RETORT_USAGE, "%s:%d: line too long", r->path,
		  r->lineno);
	error_detail(r->err, "line %d is longer than %d characters", r->lineno,
		     max);
	error_hint(
		r->err,
		"Shorten the line; a long database URL can go in DATABASE_URL or .env instead.");
}

/*
 * Throw away the rest of a line that did not fit; false at the end of the
 * file, where the line did fit.  A line that fills the buffer exactly
 * counts as too long: newer inih versions would discard what follows it.
 */
static bool ini_skip_rest(FILE *file)
{
	int c = getc(file);

	if (c == EOF)
		return false;
	while (c != EOF && c != '\n')
		c = getc(file);
	return true;
}

/*
 * inih's fgets()-style reader, counting lines so that the handler can name
 * them.  inih would read an overlong line as several lines and pass a URL
 * on cut short; such a line becomes an error and reaches inih blank.
 */
static char *ini_read_line(char *str, int num, void *stream)
{
	struct ini_read *r = stream;
	size_t n;

	if (fgets(str, num, r->file) == NULL) {
		if (ferror(r->file))
			r->read_errno = errno ? errno : EIO;
		return NULL;
	}
	r->lineno++;
	r->indented = config_is_blank(str[0]);
	n = strlen(str);
	if (n > 0 && str[n - 1] != '\n' && ini_skip_rest(r->file)) {
		ini_line_too_long(r, num - 2);
		str[0] = '\n';
		str[1] = '\0';
	}
	return str;
}

static int ini_key_index(const char *name)
{
	int i;

	/* configparser, which reads alembic.ini, lower-cases keys. */
	for (i = 0; i < KEY_COUNT; i++)
		if (strcasecmp(name, ini_key_names[i]) == 0)
			return i;
	return -1;
}

static int ini_bad_interpolation(struct ini_read *r, int key)
{
	if (ini_first_error(r)) {
		error_set(r->err, RETORT_USAGE,
			  "%s:%d: unsupported %% interpolation in %s", r->path,
			  r->lineno, ini_key_names[key]);
		error_hint(
			r->err,
			"retort expands only %%(here)s (the ini file's directory) and %%%% (a literal %%).");
	}
	return -1;
}

/*
 * configparser's BasicInterpolation as alembic.ini uses it, reduced to what
 * a path or URL needs: %(here)s and %%, so a URL written for Alembic (with
 * %% for each % of its percent-encoding) works unchanged.  Any other '%' is
 * kept: a URL written for retort alone needs no doubling.
 */
static int ini_expand(struct ini_read *r, int key, const char *value)
{
	static const char here[] = "%(here)s";
	struct strbuf b = STRBUF_INIT;
	const char *pct;

	while ((pct = strchr(value, '%')) != NULL) {
		strbuf_addn(&b, value, (size_t)(pct - value));
		if (strncmp(pct, here, strlen(here)) == 0) {
			strbuf_add(&b, r->here);
			value = pct + strlen(here);
		} else if (pct[1] == '(') {
			strbuf_release(&b);
			return ini_bad_interpolation(r, key);
		} else {
			strbuf_addc(&b, '%');
			value = pct + (pct[1] == '%' ? 2 : 1);
		}
	}
	strbuf_add(&b, value);
	r->values[key] = strbuf_finish(&b);
	if (r->values[key] != NULL)
		return 0;
	if (ini_first_error(r))
		config_out_of_memory(r->err);
	return -1;
}

/* The second value for a key: a duplicate, or an indented continuation. */
static int ini_duplicate(struct ini_read *r, int key)
{
	const char *name = ini_key_names[key];

	if (!ini_first_error(r))
		return -1;
	if (r->indented) {
		error_set(r->err, RETORT_USAGE,
			  "%s:%d: indented line continues %s", r->path,
			  r->lineno, name);
		error_detail(
			r->err,
			"%s is set on line %d; retort reads one-line values",
			name, r->lines[key]);
		error_hint(r->err,
			   "Remove the indentation, or join the lines.");
		return -1;
	}
	error_set(r->err, RETORT_USAGE, "%s:%d: %s is set twice in [retort]",
		  r->path, r->lineno, name);
	error_detail(r->err, "first set on line %d", r->lines[key]);
	error_hint(r->err, "Keep one of the two lines.");
	return -1;
}

static int ini_check_path(struct ini_read *r, int key)
{
	if (r->values[key][0] != '\0' || !ini_first_error(r))
		return 0;
	error_set(r->err, RETORT_USAGE, "%s:%d: %s is empty", r->path,
		  r->lineno, ini_key_names[key]);
	error_hint(r->err, "Name a %s, or remove the line to use the default.",
		   key == KEY_CC ? "compiler" : "directory");
	return -1;
}

static int ini_too_long(struct ini_read *r, int key, size_t len, int max)
{
	const char *name = ini_key_names[key];

	error_set(r->err, RETORT_USAGE, "%s:%d: %s is longer than %d bytes",
		  r->path, r->lineno, name, max);
	if (key == KEY_VERSION_TABLE)
		error_detail(
			r->err,
			"%s is %zu bytes; its primary key is named after it with \"%s\" appended (as Alembic names it), and PostgreSQL truncates identifiers to %d bytes, so the key's name would be cut short or collide with the table's",
			name, len, PKEY_SUFFIX, IDENTIFIER_MAX);
	else
		error_detail(
			r->err,
			"%s is %zu bytes; PostgreSQL truncates identifiers to %d",
			name, len, IDENTIFIER_MAX);
	error_hint(r->err, "Choose a name of at most %d bytes.", max);
	return -1;
}

static int ini_check_identifier(struct ini_read *r, int key, bool optional)
{
	const char *name = ini_key_names[key];
	size_t len = strlen(r->values[key]);
	int max = key == KEY_VERSION_TABLE ? VERSION_TABLE_MAX : IDENTIFIER_MAX;

	if (len == 0 && !optional && ini_first_error(r)) {
		error_set(r->err, RETORT_USAGE, "%s:%d: %s is empty", r->path,
			  r->lineno, name);
		error_hint(
			r->err,
			"Name a table, or remove the line to use \"alembic_version\".");
		return -1;
	}
	if (len <= (size_t)max || !ini_first_error(r))
		return 0;
	return ini_too_long(r, key, len, max);
}

static int ini_check_seconds(struct ini_read *r, int key)
{
	if (config_is_seconds(r->values[key]) || !ini_first_error(r))
		return 0;
	error_set(r->err, RETORT_USAGE,
		  "%s:%d: %s is not a whole number of seconds", r->path,
		  r->lineno, ini_key_names[key]);
	error_hint(
		r->err,
		"Write the seconds to wait for a connection, 0 to wait for ever.");
	return -1;
}

static bool is_near(const char *name, const char *known);
static bool ini_quotable(const char *name);

static int ini_check_build(struct ini_read *r, int key)
{
	const char *v = r->values[key];

	if (strcmp(v, "auto") == 0 || strcmp(v, "never") == 0 ||
	    !ini_first_error(r))
		return 0;
	if (ini_quotable(v))
		error_set(r->err, RETORT_USAGE,
			  "%s:%d: build is \"%s\", neither auto nor never",
			  r->path, r->lineno, v);
	else
		error_set(r->err, RETORT_USAGE,
			  "%s:%d: build is neither auto nor never", r->path,
			  r->lineno);
	if (is_near(v, "never") || is_near(v, "auto"))
		error_detail(r->err, "did you mean \"%s\"?",
			     is_near(v, "never") ? "never" : "auto");
	error_hint(
		r->err,
		"Write build = auto (compile stale revision sources before each command, the default) or build = never (production: only built plugins).");
	return -1;
}

/* lint_large_rows: a whole number, so that a typo is not read as 0. */
static int ini_check_rows(struct ini_read *r, int key)
{
	if (config_is_count(r->values[key]) || !ini_first_error(r))
		return 0;
	error_set(r->err, RETORT_USAGE,
		  "%s:%d: %s is not a whole number of rows", r->path, r->lineno,
		  ini_key_names[key]);
	error_hint(
		r->err,
		"Write the estimated rows from which lint calls a table large, e.g. lint_large_rows = 100000 (the default).");
	return -1;
}

/* Values that cannot work are refused here, where the line is known. */
static int ini_check(struct ini_read *r, int key)
{
	if (key == KEY_LINT_LARGE_ROWS)
		return ini_check_rows(r, key);
	if (key == KEY_BUILD)
		return ini_check_build(r, key);
	if (key == KEY_CC)
		return ini_check_path(r, key);
	if (key == KEY_VERSIONS || key == KEY_SOURCES || key == KEY_SCHEMA)
		return ini_check_path(r, key);
	if (key == KEY_VERSION_TABLE)
		return ini_check_identifier(r, key, false);
	if (key == KEY_VERSION_TABLE_SCHEMA || key == KEY_TENANT_SCHEMA)
		return ini_check_identifier(r, key, true);
	if (key == KEY_CONNECT_TIMEOUT)
		return ini_check_seconds(r, key);
	if (key >= KEY_LOCK_TIMEOUT && r->values[key][0] &&
	    !config_is_duration(r->values[key]) && ini_first_error(r)) {
		error_set(r->err, RETORT_USAGE, "%s:%d: %s is not a duration",
			  r->path, r->lineno, ini_key_names[key]);
		error_hint(
			r->err,
			"Write a whole number with an optional unit: 500ms, 5s, 2min, 1h (0 = no limit).");
		return -1;
	}
	return 0;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* A backfill_* key is kept as written; runner/data/backfill.c checks it. */
static int ini_keep_backfill(struct ini_read *r, const char *name,
			     const char *value)
{
	struct config_arg *grown;

	grown = realloc(r->backfill, (r->nbackfill + 1) * sizeof(*grown));
	if (grown == NULL)
		return 0;
	r->backfill = grown;
	/* Lower-cased, as configparser reads keys and backfill.c looks. */
	grown[r->nbackfill].key = strdup(name);
	grown[r->nbackfill].value = strdup(value);
	r->nbackfill++;
	if (grown[r->nbackfill - 1].key != NULL)
		for (char *c = grown[r->nbackfill - 1].key; *c; c++)
			*c = lower(*c);
	return grown[r->nbackfill - 1].key && grown[r->nbackfill - 1].value;
}

static int ini_backfill_index(const char *name)
{
	size_t i;

	for (i = 0; i < NBACKFILL_NAMES; i++)
		if (strcasecmp(name, ini_backfill_names[i]) == 0)
			return (int)i;
	return -1;
}

/* Edits from a to b, ignoring case (text_edit_distance). */
static size_t edit_distance(const char *a, const char *b)
{
	return text_edit_distance(a, strlen(a), b, strlen(b));
}

/* Close enough to be a slip of the keyboard rather than another word. */
static bool is_near(const char *name, const char *known)
{
	size_t d = edit_distance(name, known);

	return d <= 2 || d * 3 <= strlen(known);
}

/* The known key nearest to name, or NULL when none is near. */
static const char *ini_nearest_key(const char *name)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	size_t d, i;

	for (i = 0; i < KEY_COUNT + NBACKFILL_NAMES; i++) {
		const char *known = i < KEY_COUNT
					    ? ini_key_names[i]
					    : ini_backfill_names[i - KEY_COUNT];

		d = edit_distance(name, known);
		if (d < best_d && is_near(name, known)) {
			best = known;
			best_d = d;
		}
	}
	return best;
}

/* A name plain enough to quote: a line of junk may hold a password. */
static bool ini_quotable(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 64 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-.") == len;
}

static int ini_unknown_key(struct ini_read *r, const char *name)
{
	const char *near = ini_nearest_key(name);

	if (!ini_first_error(r))
		return 0;
	if (ini_quotable(name))
		error_set(r->err, RETORT_USAGE,
			  "%s:%d: unknown key \"%s\" in [retort]", r->path,
			  r->lineno, name);
	else
		error_set(r->err, RETORT_USAGE,
			  "%s:%d: unknown key in [retort]", r->path, r->lineno);
	if (near != NULL)
		error_detail(r->err, "did you mean \"%s\"?", near);
	error_hint(
		r->err,
		"Fix or remove the line; [retort] knows versions, sources, version_table, version_table_schema, tenant_schema, url, connect_timeout, lock_timeout, ddl_lock_timeout, statement_timeout, schema, build, cc, lint_large_rows and backfill_* knobs (see README, Configuration).");
	return 0;
}

static bool ini_foreign_section(const char *section)
{
	size_t i;

	for (i = 0;
	     i < sizeof(ini_foreign_sections) / sizeof(ini_foreign_sections[0]);
	     i++)
		if (strcmp(section, ini_foreign_sections[i]) == 0)
			return true;
	for (i = 0;
	     i < sizeof(ini_foreign_prefixes) / sizeof(ini_foreign_prefixes[0]);
	     i++)
		if (strncmp(section, ini_foreign_prefixes[i],
			    strlen(ini_foreign_prefixes[i])) == 0)
			return true;
	return false;
}

static int ini_unknown_section(struct ini_read *r, const char *section)
{
	if (!ini_first_error(r))
		return 0;
	if (section[0] == '\0') {
		error_set(r->err, RETORT_USAGE,
			  "%s:%d: setting outside any section", r->path,
			  r->lineno);
		error_hint(r->err,
			   "Put retort's settings under a [retort] line.");
		return 0;
	}
	if (ini_quotable(section))
		error_set(r->err, RETORT_USAGE, "%s:%d: unknown section [%s]",
			  r->path, r->lineno, section);
	else
		error_set(r->err, RETORT_USAGE, "%s:%d: unknown section",
			  r->path, r->lineno);
	if (is_near(section, "retort"))
		error_detail(r->err, "did you mean [retort]?");
	error_hint(
		r->err,
		"retort reads [retort]; besides it, a file may hold only alembic.ini's sections ([alembic], [post_write_hooks], [loggers], [handlers], [formatters], [logger_*], [handler_*], [formatter_*]).");
	return 0;
}

/* inih's handler: nonzero to go on, zero to mark the line as an error. */
static int ini_handle(void *user, const char *section, const char *name,
		      const char *value)
{
	struct ini_read *r = user;
	int key;

	if (strcmp(section, "retort") != 0)
		return ini_foreign_section(section)
			       ? 1
			       : ini_unknown_section(r, section);
	key = ini_key_index(name);
	if (key < 0 && ini_backfill_index(name) >= 0)
		return ini_keep_backfill(r, name, value);
	if (key < 0)
		return ini_unknown_key(r, name);
	if (r->values[key] != NULL)
		return ini_duplicate(r, key) == 0;
	if (ini_expand(r, key, value) < 0)
		return 0;
	r->lines[key] = r->lineno;
	return ini_check(r, key) == 0;
}

static int ini_open_failed(const char *path, bool missing_ok, int errnum,
			   struct retort_error *err)
{
	if (errnum == ENOENT && missing_ok)
		return 0;
	if (errnum == ENOENT) {
		error_set(err, RETORT_USAGE, "ini file \"%s\" does not exist",
			  path);
		error_hint(
			err,
			"Give the path of the configuration file with -c FILE, or run retort where its retort.ini is.");
		return -1;
	}
	error_set(err, RETORT_USAGE, "cannot read ini file \"%s\"", path);
	error_detail(err, "%s", strerror(errnum));
	error_hint(
		err,
		"Check that the file is readable, or give another with -c FILE.");
	return -1;
}

/* Turn ini_parse_stream()'s answer and ours into one error, the earliest. */
static int ini_result(struct ini_read *r, int rc)
{
	if (r->read_errno != 0)
		return ini_open_failed(r->path, false, r->read_errno, r->err);
	if (r->error_line > 0 && (rc <= 0 || r->error_line <= rc))
		return -1;
	if (rc == -2)
		return config_out_of_memory(r->err);
	if (rc == 0)
		return 0;
	error_set(r->err, RETORT_USAGE, "%s:%d: malformed line", r->path, rc);
	error_detail(
		r->err,
		"line %d is not a [section] header, a key = value pair, a comment or blank",
		rc);
	error_hint(r->err,
		   "Fix the line, or start it with # to make it a comment.");
	return -1;
}

/* "path:line" of the ini's url, for an error about its value. */
static int ini_url_at(struct config *cfg, struct ini_read *r)
{
	struct strbuf b = STRBUF_INIT;
	char *at;

	strbuf_addf(&b, "%s:%d", r->path, r->lines[KEY_URL]);
	at = strbuf_finish(&b);
	if (at == NULL)
		return config_out_of_memory(r->err);
	free(cfg->ini_url_at);
	cfg->ini_url_at = at;
	return 0;
}

/*
 * A value left empty for an optional key means "unset", except url: it
 * stays "", because an empty URL, when it is the one chosen, is an error
 * (config_resolve_url), not a licence for libpq's defaults.
 */
static void ini_commit(struct config *cfg, struct ini_read *r)
{
	char **fields[KEY_COUNT] = {
		&cfg->versions,
		&cfg->sources,
		&cfg->version_table,
		&cfg->version_table_schema,
		&cfg->ini_url,
		&cfg->lock_timeout,
		&cfg->ddl_lock_timeout,
		&cfg->statement_timeout,
		&cfg->lock_lease,
		&cfg->schema,
		&cfg->connect_timeout,
		&cfg->build,
		&cfg->cc,
		&cfg->lint_large_rows,
		&cfg->tenant_schema,
	};
	int i;

	for (i = 0; i < KEY_COUNT; i++) {
		if (r->values[i] == NULL)
			continue;
		free(*fields[i]);
		*fields[i] = r->values[i];
		r->values[i] = NULL;
		if ((*fields[i])[0] == '\0' && i != KEY_URL) {
			free(*fields[i]);
			*fields[i] = NULL;
		}
	}
}

/* The backfill_* keys move to cfg; older ones (a second file) to r. */
static void ini_take_backfill(struct config *cfg, struct ini_read *r)
{
	struct config_arg *old = cfg->ini_backfill;
	size_t nold = cfg->nini_backfill;

	cfg->ini_backfill = r->backfill;
	cfg->nini_backfill = r->nbackfill;
	r->backfill = old;
	r->nbackfill = nold;
}

/*
 * Bytes a UTF-8 sequence starting at p takes (1 to 4), or 0 if it is not
 * one: no overlong forms, surrogates or code points past U+10FFFF.
 */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xBF;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		n = 3;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xE0)
		lo = 0xA0;
	else if (p[0] == 0xED)
		hi = 0x9F;
	else if (p[0] == 0xF0)
		lo = 0x90;
	else if (p[0] == 0xF4)
		hi = 0x8F;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

static int ini_not_text(const char *path, int line, const char *why,
			struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "%s:%d: not a text file", path, line);
	error_detail(err, "line %d %s", line, why);
	error_hint(
		err,
		"The configuration file must be UTF-8 text; check that -c names it and not another file.");
	return -1;
}

/*
 * inih would read a NUL as the end of its line and pass bytes of any
 * encoding on: a file that is not UTF-8 text is refused whole.
 */
static int ini_check_text(const char *path, FILE *file,
			  struct retort_error *err)
{
	struct strbuf b = STRBUF_INIT;
	const unsigned char *p;
	size_t i, len;
	int line = 1;
	int ret = 0;

	config_read_rest(file, &b);
	if (b.failed) {
		strbuf_release(&b);
		return config_out_of_memory(err);
	}
	p = (const unsigned char *)strbuf_str(&b);
	for (i = 0; i < b.len && ret == 0; i += len) {
		len = p[i] == '\0' ? 0 : utf8_len(p + i, b.len - i);
		if (len == 0)
			ret = ini_not_text(path, line,
					   p[i] == '\0' ? "has a NUL byte"
							: "is not valid UTF-8",
					   err);
		line += p[i] == '\n';
	}
	strbuf_release(&b);
	rewind(file);
	return ret;
}

/* The directory part of path as given: "." for "retort.ini". */
static char *dir_of(const char *path)
{
	char *copy = strdup(path);
	char *dir = NULL;

	if (copy != NULL)
		dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

int config_read_ini(struct config *cfg, const char *path, bool missing_ok,
		    struct retort_error *err)
{
	struct ini_read r = { .path = path, .err = err };
	int ret = -1;
	int rc;
	int i;

	r.file = fopen(path, "r");
	if (r.file == NULL)
		return ini_open_failed(path, missing_ok, errno, err);
	r.here = dir_of(path);
	if (r.here == NULL) {
		config_out_of_memory(err);
		goto out;
	}
	if (ini_check_text(path, r.file, err) < 0)
		goto out;
	/* Our own reader (not ini_parse) so that errors can name lines. */
	rc = ini_parse_stream(ini_read_line, &r, ini_handle, &r);
	if (ini_result(&r, rc) < 0)
		goto out;
	if (r.values[KEY_URL] != NULL && ini_url_at(cfg, &r) < 0)
		goto out;
	ini_commit(cfg, &r);
	ini_take_backfill(cfg, &r);
	free(cfg->ini_file_dir);
	cfg->ini_file_dir = r.here;
	r.here = NULL;
	ret = 0;
out:
	for (size_t j = 0; j < r.nbackfill; j++) {
		free(r.backfill[j].key);
		free(r.backfill[j].value);
	}
	free(r.backfill);
	for (i = 0; i < KEY_COUNT; i++)
		free(r.values[i]);
	free(r.here);
	fclose(r.file);
	return ret;
}
