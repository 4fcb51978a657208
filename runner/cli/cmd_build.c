/*
 * cmd_build.c - `retort build`: compile the revision sources whose plugins
 * are missing or stale (every one with --force), and remove the plugins of
 * deleted sources.  What every command that reads the graph does first,
 * as a command of its own, for a build step (Meson, CI) that ships the
 * plugins to run with --no-build.
 */
#include "cli/cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int no_sources(const char *dir, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "cannot read the sources directory \"%s\"",
		  dir);
	error_detail(err, "%s", strerror(errno));
	error_hint(
		err,
		"Run retort where its retort.ini is, or name the directory of revision sources with --sources DIR (ini: sources).");
	return -1;
}

int cmd_build(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	struct app_built built;
	struct stat st;

	if (app->cfg.versions_only) {
		error_set(
			err, RETORT_USAGE,
			"--versions without --sources: nothing says what to build");
		error_hint(
			err,
			"Name the revision sources too: retort --versions DIR --sources DIR build.");
		return -1;
	}
	if (stat(app->cfg.sources, &st) < 0)
		return no_sources(app->cfg.sources, err);
	/* Asked for by name: --no-build and build = never are for the
	 * commands that would build on their own. */
	app->cfg.no_build = false;
	free(app->cfg.build);
	app->cfg.build = NULL;
	if (app_build(app, args->force, 0, &built, err) < 0)
		return -1;
	if (built.built == 0 && built.removed == 0 && !app->quiet)
		fprintf(app->out,
			"Nothing to build: the plugins in %s are current\n",
			app->cfg.versions);
	return 0;
}
