/*
 * cmd.h - what main.c prepares for a command, and the commands.
 *
 * main.c parses the global and per-command options into struct cmd_args,
 * loads what the command's table entry asks for into struct app, then
 * calls the command.  Commands print their normal output to app->out and
 * return errors; only main.c prints those.
 */
#ifndef RETORT_CMD_H
#define RETORT_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "plugin.h"
#include "revmap.h"

#define CMD_MAX_POSITIONAL 16

struct app {
	struct config cfg;
	struct plugin_set plugins;
	struct revmap *map; /* NULL until app_load_revisions() */
	struct db db;	    /* db.conn NULL until app_connect() */
	FILE *out;	    /* normal output: stdout */
	bool quiet;	    /* -q: no progress lines */
};

struct cmd_args {
	const char *positional[CMD_MAX_POSITIONAL];
	int npositional;
	bool verbose;	       /* -v */
	bool indicate_current; /* history -i */
	bool check_heads;      /* current --check-heads */
	const char *rev_range; /* history -r A:B */
};

/* Read and validate every plugin in cfg.versions into app->map. */
int app_load_revisions(struct app *app, struct retort_error *err);
/* Connect with cfg.url and the configured version table. */
int app_connect(struct app *app, struct retort_error *err);
/* The version table's rows as a revstate (revisions must be loaded). */
int app_read_state(struct app *app, struct revstate *state,
		   struct retort_error *err);
void app_release(struct app *app);

int cmd_upgrade(struct app *app, const struct cmd_args *args,
		struct retort_error *err);
int cmd_downgrade(struct app *app, const struct cmd_args *args,
		  struct retort_error *err);
int cmd_current(struct app *app, const struct cmd_args *args,
		struct retort_error *err);
int cmd_history(struct app *app, const struct cmd_args *args,
		struct retort_error *err);
int cmd_heads(struct app *app, const struct cmd_args *args,
	      struct retort_error *err);

#endif
