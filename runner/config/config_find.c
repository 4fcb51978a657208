/*
 * config_find.c - finding retort.ini when no -c is given: in the working
 * directory, then in each parent up to the root, as git finds .git and
 * Meson its project; and the relative paths of one found in a parent,
 * made to mean what they mean from its directory.
 *
 * Reads nothing but whether the files exist; never prints.
 */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_internal.h"

static char *join_path(const char *dir, const char *name)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_add(&b, dir);
	if (b.len == 0 || strbuf_str(&b)[b.len - 1] != '/')
		strbuf_add(&b, "/");
	strbuf_add(&b, name);
	return strbuf_finish(&b);
}

/*
 * Cut dir (absolute) to its parent in place; false when that would be the
 * root.  The root is looked in only as the working directory: a
 * retort.ini there is far more often a stray (a container's image built
 * with one at /) than the project of a directory below it.
 */
static bool to_parent(char *dir)
{
	char *slash = strrchr(dir, '/');

	if (slash == NULL || slash == dir)
		return false;
	*slash = '\0';
	return true;
}

/* Whether dir is one of the colon-separated ceilings (a trailing slash
 * ignored), which the search never goes up into. */
static bool is_ceiling(const char *dir, const char *ceilings)
{
	size_t dlen = strlen(dir), len;

	while (ceilings != NULL && *ceilings != '\0') {
		len = strcspn(ceilings, ":");
		while (len > 1 && ceilings[len - 1] == '/')
			len--;
		if (len > 0 && len == dlen && strncmp(ceilings, dir, len) == 0)
			return true;
		ceilings += strcspn(ceilings, ":");
		ceilings += *ceilings == ':';
	}
	return false;
}

/* Note where it looked, for the error of a command that then needs it. */
static void add_searched(struct strbuf *searched, const char *dir)
{
	if (searched->len > 0)
		strbuf_add(searched, ", ");
	strbuf_add(searched, dir);
}

/*
 * The working directory's own file keeps the name it always had in
 * messages ("retort.ini:3: ..."); one in a parent is named in full.
 */
static int found(struct config *cfg, const char *dir, const char *cwd,
		 char **path)
{
	if (strcmp(dir, cwd) != 0)
		return (cfg->ini_dir = strdup(dir)) != NULL ? 0 : -1;
	free(*path);
	*path = strdup(CONFIG_INI_NAME);
	return *path != NULL ? 0 : -1;
}

int config_find_ini(struct config *cfg, const char *cwd, const char *ceilings,
		    char **path, struct retort_error *err)
{
	struct strbuf searched = STRBUF_INIT;
	char *dir = strdup(cwd);
	int rc = -1;

	*path = NULL;
	if (dir == NULL)
		goto out;
	do {
		free(*path);
		*path = join_path(dir, CONFIG_INI_NAME);
		if (*path == NULL)
			goto out;
		if (access(*path, F_OK) == 0) {
			rc = found(cfg, dir, cwd, path);
			goto out;
		}
		add_searched(&searched, dir);
	} while (to_parent(dir) && !is_ceiling(dir, ceilings));
	free(*path);
	*path = NULL;
	cfg->ini_searched = strbuf_finish(&searched);
	rc = cfg->ini_searched ? 0 : -1;
out:
	strbuf_release(&searched);
	free(dir);
	if (rc < 0) {
		free(*path);
		*path = NULL;
		return config_out_of_memory(err);
	}
	return 0;
}

/* A relative path of the ini's (or a default) made relative to its dir. */
static int rebase_one(char **field, const char *dir)
{
	char *joined;

	if (*field == NULL || (*field)[0] == '/')
		return 0;
	joined = join_path(dir, *field);
	if (joined == NULL)
		return -1;
	free(*field);
	*field = joined;
	return 0;
}

int config_rebase(struct config *cfg, struct retort_error *err)
{
	if (cfg->ini_dir == NULL)
		return 0;
	if (rebase_one(&cfg->versions, cfg->ini_dir) < 0 ||
	    rebase_one(&cfg->sources, cfg->ini_dir) < 0 ||
	    rebase_one(&cfg->schema, cfg->ini_dir) < 0)
		return config_out_of_memory(err);
	return 0;
}
