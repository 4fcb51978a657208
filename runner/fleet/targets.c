/*
 * targets.c - a fleet's target list and the targets file.
 */
#include "fleet/targets.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "store/conninfo.h"

/* The label a URL gets when none is given: host:port/dbname. */
static char *default_label(const struct conninfo_names *c)
{
	struct strbuf b = STRBUF_INIT;

	if (c->service[0])
		strbuf_addf(&b, "service=%s", c->service);
	else
		strbuf_addf(&b, "%s", c->host[0] ? c->host : "localhost");
	if (c->port[0])
		strbuf_addf(&b, ":%s", c->port);
	if (c->dbname[0])
		strbuf_addf(&b, "/%s", c->dbname);
	return strbuf_finish(&b);
}

static char *host_key(const struct conninfo_names *c)
{
	struct strbuf b = STRBUF_INIT;

	if (c->service[0] && !c->host[0])
		strbuf_addf(&b, "service=%s", c->service);
	else
		strbuf_addf(&b, "%s:%s", c->host[0] ? c->host : "localhost",
			    c->port[0] ? c->port : "5432");
	return strbuf_finish(&b);
}

static const struct fleet_target *find_label(const struct fleet_targets *t,
					     const char *label)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].label, label))
			return &t->v[i];
	return NULL;
}

static int grow(struct fleet_targets *t, struct retort_error *err)
{
	struct fleet_target *v;
	size_t cap = t->cap ? t->cap * 2 : 16;

	if (t->n < t->cap)
		return 0;
	v = realloc(t->v, cap * sizeof(*v));
	if (!v)
		return error_set(err, RETORT_FAILED, "out of memory");
	t->v = v;
	t->cap = cap;
	return 0;
}

static void target_free(struct fleet_target *x)
{
	free(x->label);
	free(x->url);
	free(x->schema);
	free(x->host_key);
}

int fleet_targets_add(struct fleet_targets *t, const char *label,
		      const char *url, const char *schema,
		      struct retort_error *err)
{
	struct conninfo_names names;
	struct fleet_target x = { 0 };

	if (conninfo_names(url, &names, err) < 0 || grow(t, err) < 0)
		return -1;
	x.label = label	   ? strdup(label)
		  : schema ? strdup(schema)
			   : default_label(&names);
	x.url = strdup(url);
	x.schema = schema ? strdup(schema) : NULL;
	x.host_key = host_key(&names);
	if (!x.label || !x.url || (schema && !x.schema) || !x.host_key) {
		target_free(&x);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	if (find_label(t, x.label)) {
		error_set(err, RETORT_USAGE, "two targets are called %s",
			  x.label);
		error_hint(
			err,
			"Give each target once; two that share a host and database need labels of their own (\"LABEL URL\").");
		target_free(&x);
		return -1;
	}
	t->v[t->n++] = x;
	return 0;
}

/* A first word that is no connection string is the line's label. */
static bool is_label(const char *word, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (word[i] == '=' ||
		    (word[i] == ':' && i + 2 < len && word[i + 1] == '/' &&
		     word[i + 2] == '/'))
			return false;
	return true;
}

/*
 * Cut a trailing comment: a "#" after a space or tab, outside a quoted
 * keyword value (password='a #b' keeps its "#").  A URL holds no space.
 */
static void cut_comment(char *line)
{
	bool quoted = false;

	for (char *p = line; *p; p++) {
		if (quoted && *p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '#' && p > line &&
			 (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

static int parse_line(struct fleet_targets *t, char *line, const char *path,
		      int lineno, struct retort_error *err)
{
	char *label = NULL, *url = line + strspn(line, " \t");
	size_t end, first;

	cut_comment(url);
	end = strlen(url);
	while (end > 0 && strchr(" \t\r", url[end - 1]))
		url[--end] = '\0';
	if (url[0] == '\0' || url[0] == '#')
		return 0;
	first = strcspn(url, " \t");
	if (is_label(url, first)) {
		label = url;
		url += first;
		url += strspn(url, " \t");
		label[first] = '\0';
		if (url[0] == '\0') {
			error_set(err, RETORT_USAGE,
				  "%s:%d: target %s has no URL", path, lineno,
				  label);
			error_hint(
				err,
				"Write one target a line: a libpq URL or service=NAME, optionally after a label (\"eu-1 postgresql://app@db1/app\").");
			return -1;
		}
	}
	if (fleet_targets_add(t, label, url, NULL, err) < 0) {
		error_prefix(err, "%s:%d", path, lineno);
		return -1;
	}
	return 0;
}

int fleet_targets_parse(struct fleet_targets *t, const char *text,
			const char *path, struct retort_error *err)
{
	char *copy = strdup(text), *line, *next;
	int lineno = 0, rc = 0;

	if (!copy)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (line = copy; rc == 0 && line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = parse_line(t, line, path, ++lineno, err);
	}
	free(copy);
	if (rc == 0 && t->n == 0) {
		error_set(err, RETORT_USAGE, "%s names no target", path);
		error_hint(
			err,
			"Write one target a line: a libpq URL or service=NAME, optionally after a label.");
		return -1;
	}
	return rc;
}

static int read_all(FILE *f, struct strbuf *b)
{
	char chunk[4096];
	size_t got;

	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_addn(b, chunk, got);
	return ferror(f) ? -1 : 0;
}

int fleet_targets_read_file(struct fleet_targets *t, const char *path,
			    struct retort_error *err)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	struct strbuf b = STRBUF_INIT;
	char *text;
	int rc;

	if (!f) {
		error_set(err, RETORT_USAGE, "cannot read the targets file %s",
			  path);
		error_detail(err, "%s", strerror(errno));
		error_hint(err, "Give --targets a file of one URL a line.");
		return -1;
	}
	rc = read_all(f, &b);
	if (!is_stdin)
		fclose(f);
	text = strbuf_finish(&b);
	if (rc < 0 || !text) {
		free(text);
		return error_set(err, RETORT_USAGE,
				 "cannot read the targets file %s", path);
	}
	rc = fleet_targets_parse(t, text, is_stdin ? "standard input" : path,
				 err);
	free(text);
	return rc;
}

void fleet_targets_release(struct fleet_targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		target_free(&t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
