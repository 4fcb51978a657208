/*
 * config_url.c - choosing the database URL (--url, DATABASE_URL, .env, the
 * ini's url) and making it one libpq accepts: SQLAlchemy's and asyncpg's
 * spellings are rewritten or dropped, and a URL that libpq would misread
 * (a raw '@' in a password) is refused.
 *
 * No libpq: whether it knows a parameter is asked through the config's
 * url_keyword.  A URL, a user name or a password never reaches an error
 * message: errors say where the URL came from instead.
 */
#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"

static const char ORIGIN_CLI[] = "--url";
static const char ORIGIN_ENV[] = "DATABASE_URL";
static const char ORIGIN_DOTENV[] = ".env";
static const char ORIGIN_INI[] = "the ini file's url";

/* RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"; 0 if none. */
static size_t url_scheme_len(const char *s)
{
	size_t n = 0;

	if (!config_is_alpha(s[0]))
		return 0;
	while (config_is_alpha(s[n]) || config_is_digit(s[n]) || s[n] == '+' ||
	       s[n] == '-' || s[n] == '.')
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
	return config_is_digit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
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
		for (n = 0; p + 1 + n < end && config_is_digit(p[1 + n]); n++)
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
		if (!config_is_alpha(s[i]) && !config_is_digit(s[i]) &&
		    s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* What normalising one URL needs besides the text. */
struct url_norm {
	config_keyword_fn *known; /* libpq's keywords; NULL: not checked */
	const char *source;	  /* where the URL came from, for notes */
	struct strbuf *notes;	  /* lines about dropped parameters, or NULL */
	struct strbuf out;
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
	strbuf_add(n->notes, line);
}

static int url_ssl(struct url_norm *n, const char *value, size_t len)
{
	const char *mode = ssl_to_sslmode(value, len);

	if (mode != NULL) {
		strbuf_add(&n->out, "sslmode=");
		strbuf_add(&n->out, mode);
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
	strbuf_addn(&n->out, n->any_param ? "&" : "?", 1);
	n->any_param = true;
	if (name_len == 3 && strncmp(param, "ssl", 3) == 0)
		return url_ssl(n, eq + 1, len - name_len - 1);
	snprintf(name, sizeof(name), "%.*s", (int)name_len, param);
	if (n->known != NULL && (name_len >= sizeof(name) || !n->known(name)))
		return url_unknown_param(n, param, name_len);
	strbuf_addn(&n->out, param, len);
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
	strbuf_add(&n->out, scheme);
	strbuf_add(&n->out, "://");
	if (query == NULL) {
		strbuf_add(&n->out, rest);
	} else {
		strbuf_addn(&n->out, rest, (size_t)(query - rest));
		if (url_add_query(n, query) < 0)
			return -1;
	}
	*out = strbuf_finish(&n->out);
	return *out != NULL ? 0 : config_out_of_memory(n->err);
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
	if (in == NULL || in[0] == '\0') {
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
		return *out ? 0 : config_out_of_memory(err);
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

	strbuf_release(&n.out);
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

/* Where the URL came from, in words, never the URL. */
static char *url_source(const struct config *cfg, const char *origin,
			const char *dotenv_path)
{
	struct strbuf b = STRBUF_INIT;

	if (origin == ORIGIN_CLI)
		strbuf_add(&b, "--url");
	else if (origin == ORIGIN_ENV)
		strbuf_add(&b, "the DATABASE_URL environment variable");
	else if (origin == ORIGIN_DOTENV)
		strbuf_addf(&b, "DATABASE_URL in %s", dotenv_path);
	else if (origin == ORIGIN_INI && cfg->ini_url_at != NULL)
		strbuf_addf(&b, "url in %s", cfg->ini_url_at);
	else if (origin == ORIGIN_INI)
		strbuf_add(&b, "the ini file's url");
	else
		strbuf_add(
			&b,
			"nowhere: no --url, DATABASE_URL, .env or ini url, so libpq's PG* variables and defaults chose the server");
	return strbuf_finish(&b);
}

/* Normalise the chosen URL, noting what was dropped from it. */
static int url_resolve_chosen(struct config *cfg, const char *chosen,
			      struct retort_error *err)
{
	struct strbuf notes = STRBUF_INIT;
	struct url_norm n = { .known = cfg->url_keyword,
			      .source = cfg->url_source,
			      .notes = &notes,
			      .err = err };
	int ret = url_normalize(&n, chosen, &cfg->url);

	strbuf_release(&n.out);
	if (ret == 0 && notes.len > 0) {
		cfg->url_notes = strbuf_finish(&notes);
		if (cfg->url_notes == NULL)
			ret = config_out_of_memory(err);
	}
	strbuf_release(&notes);
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
		ret = config_out_of_memory(err);
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
