/*
 * config.c - retort.ini, .env, -x arguments and database URL normalisation.
 *
 * Reads only the files it is given: no libpq, no getenv(), no printing.  A
 * URL, a password or the text of a .env line never reaches an error message:
 * errors name the file and the line number instead.
 */
#include "cli/config.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

/* PostgreSQL truncates longer identifiers (NAMEDATALEN - 1) with a NOTICE. */
#define IDENTIFIER_MAX 63
/*
 * The version table's primary key is "<version_table>_pkc", as Alembic names
 * it, and must fit in IDENTIFIER_MAX too: cut short, a 63-byte table's key
 * would take the table's own name.
 */
#define PKEY_SUFFIX "_pkc"
#define VERSION_TABLE_MAX (IDENTIFIER_MAX - (int)(sizeof(PKEY_SUFFIX) - 1))

static const char ORIGIN_CLI[] = "--url";
static const char ORIGIN_ENV[] = "DATABASE_URL";
static const char ORIGIN_DOTENV[] = ".env";
static const char ORIGIN_INI[] = "the ini file's url";

static int out_of_memory(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

static bool is_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ASCII only: the C library's classes follow the locale. */
static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A growing string; after a failed allocation it only remembers that. */
struct buf {
	char *s;
	size_t len;
	size_t cap;
	bool failed;
};

static void buf_add(struct buf *b, const char *p, size_t n)
{
	size_t cap;
	char *s;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = 2 * (b->len + n + 1);
		s = realloc(b->s, cap);
		if (s == NULL) {
			b->failed = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Hand the text to *out (the caller frees it); -1 if memory ran out. */
static int buf_finish(struct buf *b, char **out)
{
	buf_add(b, "", 0);
	if (b->failed) {
		free(b->s);
		b->s = NULL;
		return -1;
	}
	*out = b->s;
	b->s = NULL;
	return 0;
}

int config_init(struct config *cfg, struct retort_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->versions = strdup("build/versions");
	cfg->sources = strdup("versions");
	cfg->version_table = strdup("alembic_version");
	cfg->schema = strdup("db/schema.sql");
	if (!cfg->versions || !cfg->sources || !cfg->version_table ||
	    !cfg->schema) {
		config_release(cfg);
		return out_of_memory(err);
	}
	return 0;
}

void config_release(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nargs; i++) {
		free(cfg->args[i].key);
		free(cfg->args[i].value);
	}
	free(cfg->args);
	for (i = 0; i < cfg->nini_backfill; i++) {
		free(cfg->ini_backfill[i].key);
		free(cfg->ini_backfill[i].value);
	}
	free(cfg->ini_backfill);
	free(cfg->url);
	free(cfg->url_source);
	free(cfg->url_notes);
	free(cfg->connect_timeout);
	free(cfg->ini_url);
	free(cfg->ini_url_at);
	free(cfg->version_table_schema);
	free(cfg->lock_timeout);
	free(cfg->ddl_lock_timeout);
	free(cfg->statement_timeout);
	free(cfg->lock_lease);
	free(cfg->version_table);
	free(cfg->schema);
	free(cfg->shadow_url);
	free(cfg->sources);
	free(cfg->versions);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- retort.ini ---- */

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
	r->indented = is_blank(str[0]);
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
	struct buf b = { 0 };
	const char *pct;

	while ((pct = strchr(value, '%')) != NULL) {
		buf_add(&b, value, (size_t)(pct - value));
		if (strncmp(pct, here, strlen(here)) == 0) {
			buf_puts(&b, r->here);
			value = pct + strlen(here);
		} else if (pct[1] == '(') {
			free(b.s);
			return ini_bad_interpolation(r, key);
		} else {
			buf_add(&b, "%", 1);
			value = pct + (pct[1] == '%' ? 2 : 1);
		}
	}
	buf_puts(&b, value);
	if (buf_finish(&b, &r->values[key]) == 0)
		return 0;
	if (ini_first_error(r))
		out_of_memory(r->err);
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
	error_hint(r->err,
		   "Name a directory, or remove the line to use the default.");
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

/* Values that cannot work are refused here, where the line is known. */
static int ini_check(struct ini_read *r, int key)
{
	if (key == KEY_VERSIONS || key == KEY_SOURCES || key == KEY_SCHEMA)
		return ini_check_path(r, key);
	if (key == KEY_VERSION_TABLE)
		return ini_check_identifier(r, key, false);
	if (key == KEY_VERSION_TABLE_SCHEMA)
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

bool config_is_seconds(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && digits <= 9 && s[digits] == '\0';
}

bool config_is_duration(const char *s)
{
	static const char *const units[] = { "", "ms", "s", "min", "h" };
	size_t digits = strspn(s, "0123456789");

	if (digits == 0 || digits > 9)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + digits, units[i]) == 0)
			return true;
	return false;
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

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * Edits (insert, delete, change, swap two neighbours) from a to b, ignoring
 * case; SIZE_MAX past 63 characters, which no known name comes near.
 */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[64][64];
	size_t i, j, cost;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = lower(a[i - 1]) != lower(b[j - 1]);
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
				       d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 &&
			    lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
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
		"Fix or remove the line; [retort] knows versions, sources, version_table, version_table_schema, url, connect_timeout, lock_timeout, ddl_lock_timeout, statement_timeout, schema and backfill_* knobs (see README, Configuration).");
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
		return out_of_memory(r->err);
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
	int n = snprintf(NULL, 0, "%s:%d", r->path, r->lines[KEY_URL]);
	char *at = n < 0 ? NULL : malloc((size_t)n + 1);

	if (at == NULL)
		return out_of_memory(r->err);
	snprintf(at, (size_t)n + 1, "%s:%d", r->path, r->lines[KEY_URL]);
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
		&cfg->versions,		&cfg->sources,
		&cfg->version_table,	&cfg->version_table_schema,
		&cfg->ini_url,		&cfg->lock_timeout,
		&cfg->ddl_lock_timeout, &cfg->statement_timeout,
		&cfg->lock_lease,	&cfg->schema,
		&cfg->connect_timeout,
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
	struct buf b = { 0 };
	char chunk[4096];
	const unsigned char *p;
	size_t n, i, len;
	int line = 1;
	int ret = 0;

	while ((n = fread(chunk, 1, sizeof(chunk), file)) > 0)
		buf_add(&b, chunk, n);
	if (b.failed)
		return out_of_memory(err);
	p = (const unsigned char *)b.s;
	for (i = 0; i < b.len && ret == 0; i += len) {
		len = p[i] == '\0' ? 0 : utf8_len(p + i, b.len - i);
		if (len == 0)
			ret = ini_not_text(path, line,
					   p[i] == '\0' ? "has a NUL byte"
							: "is not valid UTF-8",
					   err);
		line += p[i] == '\n';
	}
	free(b.s);
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
		out_of_memory(err);
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

/* ---- .env ---- */

/*
 * A cursor over a whole .env file: quoted values may span lines.  why says
 * what is wrong with a refused entry; NULL there means memory ran out.
 */
struct dotenv {
	const char *p;
	const char *end;
	int line; /* the line p is on */
	const char *why;
};

static void dotenv_skip_blanks(struct dotenv *d)
{
	while (d->p < d->end && is_blank(*d->p))
		d->p++;
}

static bool dotenv_at_eol(const struct dotenv *d)
{
	return d->p == d->end || *d->p == '\n';
}

static void dotenv_skip_line(struct dotenv *d)
{
	while (!dotenv_at_eol(d))
		d->p++;
}

static bool is_name_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
}

/* "export " NAME blanks "=" */
static int dotenv_name(struct dotenv *d, const char **name, size_t *len)
{
	if (strncmp(d->p, "export", 6) == 0 && is_blank(d->p[6])) {
		d->p += 6;
		dotenv_skip_blanks(d);
	}
	if (!is_alpha(*d->p) && *d->p != '_') {
		d->why = "a name must start with a letter or '_'";
		return -1;
	}
	*name = d->p;
	while (d->p < d->end && is_name_char(*d->p))
		d->p++;
	*len = (size_t)(d->p - *name);
	dotenv_skip_blanks(d);
	if (*d->p != '=') {
		d->why = "the name is not followed by '='";
		return -1;
	}
	d->p++;
	return 0;
}

/* Single quotes: every character literal, up to the next quote. */
static int dotenv_single(struct dotenv *d, struct buf *b)
{
	const char *close = memchr(d->p + 1, '\'', (size_t)(d->end - d->p - 1));
	const char *q;

	if (close == NULL) {
		d->why = "the single-quoted value is not closed";
		return -1;
	}
	for (q = d->p + 1; q < close; q++)
		d->line += *q == '\n';
	buf_add(b, d->p + 1, (size_t)(close - d->p - 1));
	d->p = close + 1;
	return 0;
}

/* As python-dotenv decodes them; an unknown escape stays as written. */
static void dotenv_escape(struct buf *b, char c)
{
	static const char from[] = "nrt\"'\\";
	static const char to[] = "\n\r\t\"'\\";
	const char *hit = strchr(from, c);

	if (c != '\0' && hit != NULL) {
		buf_add(b, &to[hit - from], 1);
		return;
	}
	buf_add(b, "\\", 1);
	buf_add(b, &c, 1);
}

/* Double quotes: backslash escapes, up to the next unescaped quote. */
static int dotenv_double(struct dotenv *d, struct buf *b)
{
	d->p++;
	while (d->p < d->end && *d->p != '"') {
		if (*d->p == '\\' && d->p + 1 < d->end) {
			d->line += d->p[1] == '\n';
			dotenv_escape(b, d->p[1]);
			d->p += 2;
			continue;
		}
		d->line += *d->p == '\n';
		buf_add(b, d->p, 1);
		d->p++;
	}
	if (d->p == d->end) {
		d->why = "the double-quoted value is not closed";
		return -1;
	}
	d->p++;
	return 0;
}

/* Unquoted: to the end of the line or a '#' after white space, trimmed. */
static void dotenv_bare(struct dotenv *d, struct buf *b)
{
	const char *start = d->p;
	const char *end;

	while (!dotenv_at_eol(d) &&
	       !(*d->p == '#' && d->p > start && is_blank(d->p[-1])))
		d->p++;
	end = d->p;
	while (start < end && is_blank(*start))
		start++;
	while (end > start && is_blank(end[-1]))
		end--;
	buf_add(b, start, (size_t)(end - start));
}

/* The value after '=', then nothing but a comment to the end of the line. */
static int dotenv_value(struct dotenv *d, char **value)
{
	const char *after_eq = d->p;
	struct buf b = { 0 };
	int rc = 0;

	dotenv_skip_blanks(d);
	if (*d->p == '\'') {
		rc = dotenv_single(d, &b);
	} else if (*d->p == '"') {
		rc = dotenv_double(d, &b);
	} else {
		/* From just after '=': a blank before '#' makes a comment. */
		d->p = after_eq;
		dotenv_bare(d, &b);
	}
	dotenv_skip_blanks(d);
	if (rc == 0 && *d->p == '#')
		dotenv_skip_line(d);
	if (rc == 0 && !dotenv_at_eol(d)) {
		d->why = "text follows the closing quote";
		rc = -1;
	}
	if (rc == 0 && buf_finish(&b, value) < 0) {
		d->why = NULL;
		return -1;
	}
	if (rc < 0)
		free(b.s);
	return rc;
}

/* One NAME=VALUE entry; the last one naming key wins. */
static int dotenv_entry(struct dotenv *d, const char *key, char **out)
{
	const char *name;
	char *value = NULL;
	size_t len;

	if (dotenv_name(d, &name, &len) < 0 || dotenv_value(d, &value) < 0)
		return -1;
	if (len == strlen(key) && strncmp(name, key, len) == 0) {
		free(*out);
		*out = value;
		return 0;
	}
	free(value);
	return 0;
}

/* Every entry is checked, not only key's: junk is an error anywhere. */
static int dotenv_parse(struct dotenv *d, const char *key, char **out,
			int *bad_line)
{
	while (d->p < d->end) {
		*bad_line = d->line;
		dotenv_skip_blanks(d);
		if (*d->p == '#')
			dotenv_skip_line(d);
		else if (!dotenv_at_eol(d) && dotenv_entry(d, key, out) < 0)
			return -1;
		if (d->p < d->end) {
			d->p++;
			d->line++;
		}
	}
	return 0;
}

/* Windows editors end lines with CRLF; the CR is not part of a value. */
static void drop_crlf(char *text, size_t *len)
{
	size_t i;
	size_t j = 0;

	for (i = 0; i < *len; i++)
		if (text[i] != '\r' || (i + 1 < *len && text[i + 1] != '\n'))
			text[j++] = text[i];
	text[j] = '\0';
	*len = j;
}

static int read_failed(const char *path, int errnum, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "cannot read .env file \"%s\"", path);
	error_detail(err, "%s", strerror(errnum));
	error_hint(
		err,
		"Check the file's permissions, or set DATABASE_URL or --url instead.");
	return -1;
}

/* The whole file, NUL-terminated; *text stays NULL if it does not exist. */
static int read_text(const char *path, char **text, size_t *len,
		     struct retort_error *err)
{
	struct buf b = { 0 };
	char chunk[4096];
	FILE *file;
	size_t n;
	int ret = 0;

	file = fopen(path, "r");
	if (file == NULL)
		return errno == ENOENT ? 0 : read_failed(path, errno, err);
	while ((n = fread(chunk, 1, sizeof(chunk), file)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(file))
		ret = read_failed(path, errno ? errno : EIO, err);
	fclose(file);
	*len = b.len;
	if (ret == 0 && buf_finish(&b, text) < 0)
		ret = out_of_memory(err);
	free(b.s);
	return ret;
}

static int dotenv_malformed(const char *path, int line, const char *why,
			    struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "%s:%d: malformed line", path, line);
	error_detail(err, "line %d: %s", line, why);
	error_hint(
		err,
		"Lines of a .env file are NAME=VALUE, export NAME=VALUE, # comments or blank; quote a value with ' or \".");
	return -1;
}

static int line_of(const char *text, const char *at)
{
	int line = 1;

	for (; text < at; text++)
		line += *text == '\n';
	return line;
}

int config_read_dotenv(const char *path, const char *key, char **out,
		       struct retort_error *err)
{
	struct dotenv d = { 0 };
	char *text = NULL;
	const char *nul;
	size_t len = 0;
	int bad_line = 0;
	int ret = -1;

	*out = NULL;
	if (read_text(path, &text, &len, err) < 0)
		goto out;
	ret = 0;
	if (text == NULL)
		goto out;
	drop_crlf(text, &len);
	nul = memchr(text, '\0', len);
	if (nul != NULL) {
		ret = dotenv_malformed(path, line_of(text, nul), "a NUL byte",
				       err);
		goto out;
	}
	d = (struct dotenv){ .p = text, .end = text + len, .line = 1 };
	if (dotenv_parse(&d, key, out, &bad_line) == 0)
		goto out;
	free(*out);
	*out = NULL;
	if (d.why == NULL)
		ret = out_of_memory(err);
	else
		ret = dotenv_malformed(path, bad_line, d.why, err);
out:
	free(text);
	return ret;
}

/* ---- database URL ---- */

/* RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"; 0 if none. */
static size_t url_scheme_len(const char *s)
{
	size_t n = 0;

	if (!is_alpha(s[0]))
		return 0;
	while (is_alpha(s[n]) || is_digit(s[n]) || s[n] == '+' || s[n] == '-' ||
	       s[n] == '.')
		n++;
	return s[n] == ':' ? n : 0;
}

/* "postgresql" or "postgres" before any "+driver", as libpq spells it. */
static const char *url_libpq_scheme(const char *s, size_t scheme_len)
{
	static const char *const schemes[] = { "postgresql", "postgres" };
	const char *plus = memchr(s, '+', scheme_len);
	size_t base = plus ? (size_t)(plus - s) : scheme_len;
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (base == strlen(schemes[i]) &&
		    strncasecmp(s, schemes[i], base) == 0)
			return schemes[i];
	return NULL;
}

/* libpq ends "user:password@" at the first '@' before any '/'. */
static const char *url_host_start(const char *rest)
{
	const char *p = rest + strcspn(rest, "@/");

	return *p == '@' ? p + 1 : rest;
}

/* Where the query starts: a '?' in a password does not start it. */
static const char *url_query(const char *rest)
{
	return strchr(url_host_start(rest), '?');
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * libpq refuses a '%' that starts no %XX, and %00, quoting the text around
 * it (a password, maybe); they are refused here without quoting.
 */
static bool url_percent_ok(const char *s)
{
	for (s = strchr(s, '%'); s != NULL; s = strchr(s + 1, '%')) {
		if (!is_hex(s[1]) || !is_hex(s[2]))
			return false;
		if (s[1] == '0' && s[2] == '0')
			return false;
	}
	return true;
}

/* Every port of an authority (after ':', outside [IPv6]) is digits. */
static bool url_ports_numeric(const char *p, const char *end)
{
	bool in_brackets = false;
	size_t n;

	for (; p < end; p++) {
		if (*p == '[' || *p == ']') {
			in_brackets = *p == '[';
			continue;
		}
		if (*p != ':' || in_brackets)
			continue;
		for (n = 0; p + 1 + n < end && is_digit(p[1 + n]); n++)
			;
		if (n == 0 || (p + 1 + n < end && p[1 + n] != ','))
			return false;
	}
	return true;
}

/* An '@' in the query outside a value: "name@x=v" or "x@y" */
static bool url_query_stray_at(const char *query)
{
	const char *p = query + 1;
	const char *eq;
	const char *at;
	size_t len;

	for (;;) {
		len = strcspn(p, "&");
		eq = memchr(p, '=', len);
		at = memchr(p, '@', len);
		if (at != NULL && (eq == NULL || at < eq))
			return true;
		if (p[len] == '\0')
			return false;
		p += len + 1;
	}
}

/*
 * Whether libpq would read part of a user name or password as the host,
 * port, database or a parameter: libpq ends the credentials at the first
 * '@' before any '/', and the host at the next '/' or '?', so a raw '@'
 * or '/' in a password moves the rest of it there, where connection
 * errors print it.  A legitimate URL has no '@' after the credentials but
 * in a parameter's value (?user=me@corp); and that, with no credentials
 * before it and a port that is not a number, is a password holding '/'.
 */
static bool url_stray_at(const char *rest)
{
	const char *host = url_host_start(rest);
	const char *query = strchr(host, '?');
	const char *end = query ? query : host + strlen(host);

	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return true;
	if (query == NULL)
		return false;
	if (url_query_stray_at(query))
		return true;
	return host == rest && strchr(query, '@') != NULL &&
	       !url_ports_numeric(host, host + strcspn(host, "/?"));
}

static int url_stray_at_error(struct retort_error *err)
{
	/* Not a byte of the authority: the password is in it. */
	error_set(
		err, RETORT_USAGE,
		"the database URL has an '@' that libpq would not read as the end of the user name and password");
	error_detail(
		err,
		"libpq ends the user name and password at the first '@' before any '/', and the host at the next '/' or '?': a raw '@' or '/' in a password, or a raw '@' in a database name, would put the rest of it in the host, the database name or a parameter");
	error_hint(
		err,
		"Percent-encode the user name, password and database name: '@' as %%40, '/' as %%2F, '?' as %%3F, '%%' as %%25 (Python: urllib.parse.quote(password, safe=\"\")).");
	return -1;
}

static int url_percent_error(struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"the database URL has a '%%' that does not start a percent-encoded byte");
	error_detail(
		err,
		"in a URL, '%%' must be followed by two hexadecimal digits, and may not encode a NUL byte");
	error_hint(
		err,
		"Write a literal '%%' in a user name, password or database name as %%25.");
	return -1;
}

/*
 * Parameters of asyncpg and SQLAlchemy's asyncpg dialect that .env files
 * carry for the application's engine; libpq knows none of them, and none
 * changes which database a migration reaches.
 */
static const char *url_foreign_param(const char *name, size_t len)
{
	static const char *const params[][2] = {
		{ "prepared_statement_cache_size", "asyncpg" },
		{ "statement_cache_size", "asyncpg" },
		{ "max_cached_statement_lifetime", "asyncpg" },
		{ "max_cacheable_statement_size", "asyncpg" },
		{ "command_timeout", "asyncpg" },
		{ "timeout", "asyncpg" },
		{ "server_settings", "asyncpg" },
		{ "direct_tls", "asyncpg" },
		{ "async_fallback", "SQLAlchemy" },
	};
	size_t i;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (len == strlen(params[i][0]) &&
		    strncmp(name, params[i][0], len) == 0)
			return params[i][1];
	return NULL;
}

/*
 * SQLAlchemy's asyncpg dialect takes "ssl"; libpq knows only "sslmode" and
 * refuses a URI with a parameter it does not know.
 */
static const char *ssl_to_sslmode(const char *value, size_t len)
{
	static const char *const map[][2] = {
		{ "true", "require" },	      { "false", "disable" },
		{ "disable", "disable" },     { "allow", "allow" },
		{ "prefer", "prefer" },	      { "require", "require" },
		{ "verify-ca", "verify-ca" }, { "verify-full", "verify-full" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (len == strlen(map[i][0]) &&
		    strncasecmp(value, map[i][0], len) == 0)
			return map[i][1];
	return NULL;
}

/* A name or value short and plain enough to quote in a message. */
static bool is_word(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return false;
	for (i = 0; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* What normalising one URL needs besides the text. */
struct url_norm {
	config_keyword_fn *known; /* libpq's keywords; NULL: not checked */
	const char *source;	  /* where the URL came from, for notes */
	struct buf *notes;	  /* lines about dropped parameters, or NULL */
	struct buf out;
	bool any_param;
	struct retort_error *err;
};

static int url_param_error(struct url_norm *n, const char *what,
			   const char *name, size_t len)
{
	if (is_word(name, len))
		error_set(n->err, RETORT_USAGE, "%s \"%.*s\"", what, (int)len,
			  name);
	else
		error_set(n->err, RETORT_USAGE, "%s (its name is not a word)",
			  what);
	return -1;
}

static void url_note(struct url_norm *n, const char *kind, const char *name,
		     size_t len)
{
	char line[256];

	if (n->notes == NULL)
		return;
	snprintf(line, sizeof(line), "ignoring the %s parameter \"%.*s\"%s%s\n",
		 kind, (int)len, name, n->source ? " in " : "",
		 n->source ? n->source : "");
	buf_puts(n->notes, line);
}

static int url_ssl(struct url_norm *n, const char *value, size_t len)
{
	const char *mode = ssl_to_sslmode(value, len);

	if (mode != NULL) {
		buf_puts(&n->out, "sslmode=");
		buf_puts(&n->out, mode);
		return 0;
	}
	if (is_word(value, len))
		error_set(
			n->err, RETORT_USAGE,
			"invalid value \"%.*s\" for the URL parameter \"ssl\"",
			(int)len, value);
	else
		error_set(n->err, RETORT_USAGE,
			  "invalid value for the URL parameter \"ssl\"");
	error_hint(
		n->err,
		"Write ssl=true, ssl=false, or an sslmode: disable, allow, prefer, require, verify-ca, verify-full.");
	return -1;
}

static int url_unknown_param(struct url_norm *n, const char *name, size_t len)
{
	url_param_error(n, "unknown URL parameter", name, len);
	error_hint(
		n->err,
		"Remove it; libpq's connection parameters (sslmode, connect_timeout, application_name, options...) are listed at https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS.");
	return -1;
}

/* One parameter of the query, "name=value", kept, mapped or dropped. */
static int url_param(struct url_norm *n, const char *param, size_t len)
{
	const char *eq = memchr(param, '=', len);
	size_t name_len = eq ? (size_t)(eq - param) : len;
	const char *kind = url_foreign_param(param, name_len);
	char name[128];

	if (len == 0)
		return 0;
	if (eq == NULL) {
		url_param_error(n, "URL parameter without '=' and value", param,
				len);
		error_hint(n->err, "Write name=value in the URL's query.");
		return -1;
	}
	if (kind != NULL) {
		url_note(n, kind, param, name_len);
		return 0;
	}
	buf_add(&n->out, n->any_param ? "&" : "?", 1);
	n->any_param = true;
	if (name_len == 3 && strncmp(param, "ssl", 3) == 0)
		return url_ssl(n, eq + 1, len - name_len - 1);
	snprintf(name, sizeof(name), "%.*s", (int)name_len, param);
	if (n->known != NULL && (name_len >= sizeof(name) || !n->known(name)))
		return url_unknown_param(n, param, name_len);
	buf_add(&n->out, param, len);
	return 0;
}

static int url_add_query(struct url_norm *n, const char *query)
{
	size_t len;

	query++;
	for (;;) {
		len = strcspn(query, "&");
		if (url_param(n, query, len) < 0)
			return -1;
		if (query[len] == '\0')
			return 0;
		query += len + 1;
	}
}

/* rest: everything after "scheme://". */
static int url_rewrite(struct url_norm *n, const char *scheme, const char *rest,
		       char **out)
{
	const char *query = url_query(rest);

	if (url_stray_at(rest))
		return url_stray_at_error(n->err);
	if (!url_percent_ok(rest))
		return url_percent_error(n->err);
	buf_puts(&n->out, scheme);
	buf_puts(&n->out, "://");
	if (query == NULL) {
		buf_puts(&n->out, rest);
	} else {
		buf_add(&n->out, rest, (size_t)(query - rest));
		if (url_add_query(n, query) < 0)
			return -1;
	}
	if (buf_finish(&n->out, out) < 0)
		return out_of_memory(n->err);
	return 0;
}

static int url_unsupported(const char *in, size_t scheme_len,
			   struct retort_error *err)
{
	/* The scheme alone: the rest may hold a password. */
	error_set(err, RETORT_USAGE, "unsupported database URL scheme \"%.*s\"",
		  (int)scheme_len, in);
	error_hint(
		err,
		"retort speaks to PostgreSQL: use postgresql://, postgres:// or postgresql+driver:// (the +driver is dropped), or a keyword/value string such as \"host=localhost dbname=app\".");
	return -1;
}

static int url_normalize(struct url_norm *n, const char *in, char **out)
{
	struct retort_error *err = n->err;
	const char *scheme;
	size_t scheme_len;

	*out = NULL;
	if (!is_set(in)) {
		error_set(err, RETORT_USAGE, "empty database URL");
		error_hint(
			err,
			"Give a postgresql:// URL or a keyword/value string such as \"host=localhost dbname=app\".");
		return -1;
	}
	scheme_len = url_scheme_len(in);
	if (scheme_len == 0) {
		/* A keyword/value string: libpq reads it as it is. */
		*out = strdup(in);
		return *out ? 0 : out_of_memory(err);
	}
	scheme = url_libpq_scheme(in, scheme_len);
	if (scheme == NULL)
		return url_unsupported(in, scheme_len, err);
	if (strncmp(in + scheme_len, "://", 3) != 0) {
		error_set(
			err, RETORT_USAGE,
			"database URL scheme \"%.*s\" is not followed by \"//\"",
			(int)scheme_len, in);
		error_hint(
			err,
			"Write postgresql://user@host:port/dbname, or a keyword/value string such as \"host=localhost dbname=app\".");
		return -1;
	}
	return url_rewrite(n, scheme, in + scheme_len + 3, out);
}

int config_normalize_url(const char *in, char **out, struct retort_error *err)
{
	struct url_norm n = { .err = err };
	int rc = url_normalize(&n, in, out);

	free(n.out.s);
	return rc;
}

/*
 * A source given but empty would leave libpq to its defaults (PG* variables,
 * the local socket): a database other than the one meant.
 */
static int url_empty(const char *origin, const char *where,
		     struct retort_error *err)
{
	if (origin == ORIGIN_CLI) {
		error_set(err, RETORT_USAGE,
			  "the database URL given with --url is empty");
		error_hint(
			err,
			"Give --url a postgresql:// URL or a keyword/value string such as \"host=localhost dbname=app\", or leave --url out to use DATABASE_URL, .env or retort.ini.");
	} else if (origin == ORIGIN_ENV) {
		error_set(
			err, RETORT_USAGE,
			"the database URL in the DATABASE_URL environment variable is empty");
		error_hint(
			err,
			"Set DATABASE_URL to a postgresql:// URL, or unset it (unset DATABASE_URL) to use .env or retort.ini.");
	} else if (origin == ORIGIN_DOTENV) {
		error_set(err, RETORT_USAGE, "%s: DATABASE_URL is empty",
			  where);
		error_hint(
			err,
			"Set DATABASE_URL in the file to a postgresql:// URL, or remove the line to use retort.ini's url.");
	} else {
		error_set(err, RETORT_USAGE, "%s: url is empty",
			  where ? where : "the ini file");
		error_hint(
			err,
			"Set url to a postgresql:// URL, or remove the line to let libpq's PG* variables choose the database.");
	}
	error_detail(
		err,
		"an empty database URL does not fall back to the next source (--url, DATABASE_URL, .env, the ini's url) nor to libpq's defaults");
	return -1;
}

/* printf into a new string; NULL if memory ran out. */
static char *format(const char *fmt, ...) ERROR_PRINTF(1, 2);

static char *format(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Where the URL came from, in words, never the URL. */
static char *url_source(const struct config *cfg, const char *origin,
			const char *dotenv_path)
{
	if (origin == ORIGIN_CLI)
		return format("--url");
	if (origin == ORIGIN_ENV)
		return format("the DATABASE_URL environment variable");
	if (origin == ORIGIN_DOTENV)
		return format("DATABASE_URL in %s", dotenv_path);
	if (origin == ORIGIN_INI && cfg->ini_url_at != NULL)
		return format("url in %s", cfg->ini_url_at);
	if (origin == ORIGIN_INI)
		return format("the ini file's url");
	return format(
		"nowhere: no --url, DATABASE_URL, .env or ini url, so libpq's PG* variables and defaults chose the server");
}

/* Normalise the chosen URL, noting what was dropped from it. */
static int url_resolve_chosen(struct config *cfg, const char *chosen,
			      struct retort_error *err)
{
	struct buf notes = { 0 };
	struct url_norm n = { .known = cfg->url_keyword,
			      .source = cfg->url_source,
			      .notes = &notes,
			      .err = err };
	int ret = url_normalize(&n, chosen, &cfg->url);

	free(n.out.s);
	if (ret == 0 && notes.len > 0 &&
	    buf_finish(&notes, &cfg->url_notes) < 0)
		ret = out_of_memory(err);
	free(notes.s);
	if (ret < 0)
		error_detail(err, "the URL came from %s", cfg->url_source);
	return ret;
}

int config_resolve_url(struct config *cfg, const char *cli_url,
		       const char *env_url, const char *dotenv_path,
		       struct retort_error *err)
{
	const char *chosen = NULL;
	const char *origin = NULL;
	char *dotenv_url = NULL;
	int ret = -1;

	free(cfg->url);
	free(cfg->url_source);
	free(cfg->url_notes);
	cfg->url = cfg->url_source = cfg->url_notes = NULL;
	cfg->url_origin = NULL;
	if (cli_url != NULL) {
		chosen = cli_url;
		origin = ORIGIN_CLI;
	} else if (env_url != NULL) {
		chosen = env_url;
		origin = ORIGIN_ENV;
	} else {
		/* Read only when needed: a broken .env must not block --url. */
		if (dotenv_path != NULL &&
		    config_read_dotenv(dotenv_path, "DATABASE_URL", &dotenv_url,
				       err) < 0)
			goto out;
		chosen = dotenv_url != NULL ? dotenv_url : cfg->ini_url;
		origin = dotenv_url != NULL ? ORIGIN_DOTENV : ORIGIN_INI;
	}
	cfg->url_source = url_source(cfg, chosen ? origin : NULL, dotenv_path);
	if (cfg->url_source == NULL) {
		ret = out_of_memory(err);
		goto out;
	}
	ret = 0;
	if (chosen == NULL)
		goto out;
	/* Blanks alone are empty too: libpq reads them as no settings. */
	if (chosen[strspn(chosen, " \t\r\n")] == '\0') {
		ret = url_empty(origin,
				origin == ORIGIN_DOTENV ? dotenv_path
							: cfg->ini_url_at,
				err);
		goto out;
	}
	ret = url_resolve_chosen(cfg, chosen, err);
	if (ret == 0)
		cfg->url_origin = origin;
out:
	free(dotenv_url);
	return ret;
}

/* ---- -x key=value ---- */

static int arg_malformed(struct retort_error *err, const char *what)
{
	/* Not the argument itself: -x may carry a password. */
	error_set(err, RETORT_USAGE, "-x argument %s", what);
	error_hint(
		err,
		"Write -x key=value; the value may contain '=' or be empty (-x key=).");
	return -1;
}

int config_add_arg(struct config *cfg, const char *key_value,
		   struct retort_error *err)
{
	const char *eq = strchr(key_value, '=');
	struct config_arg *args;
	char *key = NULL;
	char *value = NULL;

	if (eq == NULL)
		return arg_malformed(err, "has no '='");
	if (eq == key_value)
		return arg_malformed(err, "has an empty key");
	key = strndup(key_value, (size_t)(eq - key_value));
	value = strdup(eq + 1);
	if (key == NULL || value == NULL)
		goto fail;
	args = realloc(cfg->args, (cfg->nargs + 1) * sizeof(*args));
	if (args == NULL)
		goto fail;
	cfg->args = args;
	args[cfg->nargs].key = key;
	args[cfg->nargs].value = value;
	cfg->nargs++;
	return 0;
fail:
	free(value);
	free(key);
	return out_of_memory(err);
}

const char *config_arg(const struct config *cfg, const char *key)
{
	size_t i;

	for (i = cfg->nargs; i > 0; i--)
		if (strcmp(cfg->args[i - 1].key, key) == 0)
			return cfg->args[i - 1].value;
	return NULL;
}

const char *config_ini_backfill(const struct config *cfg, const char *key)
{
	size_t i;

	for (i = cfg->nini_backfill; i > 0; i--)
		if (strcmp(cfg->ini_backfill[i - 1].key, key) == 0)
			return cfg->ini_backfill[i - 1].value;
	return NULL;
}
