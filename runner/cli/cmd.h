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

#include "config/config.h"
#include "store/db.h"
#include "base/error.h"
#include "exec/integrity.h"
#include "plugins/plugin.h"
#include "graph/revmap.h"

#define CMD_MAX_POSITIONAL 16

struct app {
	struct config cfg;
	struct plugin_set plugins;
	struct revmap *map; /* NULL until app_load_revisions() */
	struct db db;	    /* db.conn NULL until app_connect() */
	FILE *out;	    /* normal output: stdout */
	FILE *progress;	    /* waiting notices: stderr, NULL when quiet */
	bool quiet;	    /* -q: no progress lines */
};

/* A command's options; each command's table entry says which it takes. */
enum cmd_option {
	OPT_VERBOSE = 1 << 0,	       /* -v, --verbose */
	OPT_INDICATE_CURRENT = 1 << 1, /* -i, --indicate-current */
	OPT_CHECK_HEADS = 1 << 2,      /* --check-heads */
	OPT_REV_RANGE = 1 << 3,	       /* -r, --rev-range A:B */
	OPT_PURGE = 1 << 4,	       /* --purge */
	OPT_RESOLVE_DEPS = 1 << 5,     /* --resolve-dependencies */
	OPT_MESSAGE = 1 << 6,	       /* -m, --message MSG */
	OPT_REV_ID = 1 << 7,	       /* --rev-id ID */
	OPT_HEAD = 1 << 8,	       /* --head REV */
	OPT_SPLICE = 1 << 9,	       /* --splice */
	OPT_BRANCH_LABEL = 1 << 10,    /* --branch-label LABEL */
	OPT_DEPENDS_ON = 1 << 11,      /* --depends-on REVS */
	OPT_VERSION_PATH = 1 << 12,    /* --version-path DIR */
	OPT_AUTOGENERATE = 1 << 13,    /* --autogenerate */
	OPT_SCHEMA = 1 << 14,	       /* --schema */
	OPT_SAMPLE = 1 << 15,	       /* --sample */
	OPT_ALLOW_CHANGED = 1 << 16,   /* --allow-changed */
	OPT_JSON = 1 << 17,	       /* --json */
	OPT_COUNT = 1 << 18,	       /* -n, --max-count N */
	OPT_TIMEOUT = 1 << 19,	       /* --timeout T */
	OPT_FORCE = 1 << 20,	       /* --force (build) */
	/* plan --downgrade TARGET */
	OPT_DOWNGRADE_PLAN = 1 << 21,
	/* plan --rehearse-on-target */
	OPT_REHEARSE_ON_TARGET = 1 << 22,
	OPT_SQL = 1 << 23, /* --sql (upgrade, downgrade) */
	/* upgrade --lint */
	OPT_LINT = 1 << 24,
	/* fleet: --targets, --targets-query, --control-url, --schemas-query */
	OPT_FLEET_SOURCE = 1 << 25,
	/* fleet: -j, --per-host, --canary, --on-error, --retries */
	OPT_FLEET_RUN = 1 << 26,
	OPT_RUN_ID = 1 << 27, /* fleet: --run ID */
};

struct cmd_args {
	const char *positional[CMD_MAX_POSITIONAL];
	int npositional;
	bool verbose;
	bool indicate_current;
	bool check_heads;
	bool purge;
	bool resolve_dependencies;
	bool splice;
	bool autogenerate;
	bool schema;
	bool sample;
	bool allow_changed;
	bool force;
	bool help;
	const char *rev_range;
	const char *message;
	const char *rev_id;
	const char *head;
	const char *branch_label;
	const char *depends_on;
	const char *version_path;
	bool json;
	const char *max_count; /* as given; count holds it parsed */
	long count;	       /* -n N: N > 0; 0 when not given */
	const char *timeout;
	const char *downgrade_target; /* plan --downgrade TARGET */
	bool rehearse_on_target;
	bool sql;
	bool lint; /* upgrade --lint */
	/* fleet: the source of its targets, as given */
	const char *targets_file;
	const char *targets_query;
	const char *control_url;
	const char *schemas_query;
	/* fleet: the run's knobs as given; fleet_args_check() parses them */
	const char *jobs, *per_host, *canary, *on_error, *retries;
	const char *run_id; /* fleet status/downgrade --run ID */
	/* ... parsed: -1 where not given */
	long njobs, nper_host, ncanary, nretries;
	bool keep_going; /* --on-error continue */
};

/*
 * Parse argv[1..argc-1] of command `name` into args, accepting only the
 * options in `allowed` (enum cmd_option) plus -h/--help.  Options may stand
 * before or after arguments; "-1" is an argument, "--" ends options.
 */
int cmd_parse_args(const char *name, unsigned allowed, int argc, char **argv,
		   struct cmd_args *args, struct retort_error *err);

/*
 * How many of argv[0..argc-1] an option of the command's own takes: 1 for
 * a flag or "--name=value", 2 with its value, 0 when the command does not
 * take it (main.c then tries it as a global option).  -h/--help count.
 */
int cmd_option_width(unsigned allowed, int argc, char *const *argv);

/* The option lines of a command's --help, for the options it takes. */
void cmd_print_options(unsigned allowed, FILE *out);

/* Read and validate every plugin in cfg.versions into app->map, with
 * these enum plugin_discover_flags besides the configuration's. */
int app_load_revisions(struct app *app, unsigned flags,
		       struct retort_error *err);
/* What app_build() did: plugins compiled, and removed for a deleted
 * source. */
struct app_built {
	size_t built, removed;
};
/*
 * Compile the revision sources that have no current plugin (all with
 * force) and remove the plugins whose source is gone, as the
 * configuration allows (build.h), then discover the plugins into
 * app->plugins with these enum plugin_discover_flags.  With --no-build or
 * build = never, it only refuses a source with no current plugin.
 */
int app_build(struct app *app, bool force, unsigned flags,
	      struct app_built *out, struct retort_error *err);
/* Connect with cfg.url and the configured version table. */
int app_connect(struct app *app, struct retort_error *err);
/*
 * RETORT_USAGE when a tenant schema is set: what (a command that
 * rehearses or prints a run on a copy or script of its own) cannot
 * serve one.  0 otherwise.
 */
int app_refuse_tenant(const struct app *app, const char *what,
		      struct retort_error *err);
/* Take the migration lock as the configuration says (lease.h); every
 * command that takes it gives it back with lease_release(&app->db). */
int app_lock(struct app *app, struct retort_error *err);
/* After the worker holding it died: give this runner's lock back over a
 * connection of this process's own.  Best effort, never fails. */
void app_give_back_lock(struct app *app);
/* The version table's rows as a revstate (revisions must be loaded). */
int app_read_state(struct app *app, struct revstate *state,
		   struct retort_error *err);
/* What integrity.h compares, for this app (revisions loaded, connected). */
struct integrity app_integrity(struct app *app);
/*
 * What upgrade checks before it runs a plan: no applied revision of the
 * plan edited since (unless allowed), every plugin present and current.
 */
int app_check_plan(struct app *app, bool allow_changed, const struct plan *plan,
		   const struct revstate *state, struct retort_error *err);
/*
 * The plan from where the database stands to target, read without the
 * migration lock and checked as upgrade checks it (no missing, stale or
 * edited plugin), for the commands that rehearse a plan and change
 * nothing.
 */
int app_plan_unlocked(struct app *app, enum plan_direction direction,
		      const char *target, bool allow_changed, struct plan *plan,
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
int cmd_branches(struct app *app, const struct cmd_args *args,
		 struct retort_error *err);
int cmd_show(struct app *app, const struct cmd_args *args,
	     struct retort_error *err);
int cmd_stamp(struct app *app, const struct cmd_args *args,
	      struct retort_error *err);
int cmd_check(struct app *app, const struct cmd_args *args,
	      struct retort_error *err);

int cmd_revision(struct app *app, const struct cmd_args *args,
		 struct retort_error *err);
int cmd_merge(struct app *app, const struct cmd_args *args,
	      struct retort_error *err);
int cmd_init(struct app *app, const struct cmd_args *args,
	     struct retort_error *err);
int cmd_log(struct app *app, const struct cmd_args *args,
	    struct retort_error *err);

/* For the shell completion scripts: the ids and labels a target may name. */
int cmd_complete_revisions(struct app *app, const struct cmd_args *args,
			   struct retort_error *err);
int cmd_wait(struct app *app, const struct cmd_args *args,
	     struct retort_error *err);
int cmd_build(struct app *app, const struct cmd_args *args,
	      struct retort_error *err);
int cmd_lint(struct app *app, const struct cmd_args *args,
	     struct retort_error *err);
int cmd_plan(struct app *app, const struct cmd_args *args,
	     struct retort_error *err);
/* retort fleet upgrade|downgrade|stamp|status (cmd_fleet.c). */
int cmd_fleet_upgrade(struct app *app, const struct cmd_args *args,
		      struct retort_error *err);
int cmd_fleet_downgrade(struct app *app, const struct cmd_args *args,
			struct retort_error *err);
int cmd_fleet_stamp(struct app *app, const struct cmd_args *args,
		    struct retort_error *err);
int cmd_fleet_status(struct app *app, const struct cmd_args *args,
		     struct retort_error *err);
/* The stairway on a throwaway database (schema/stairway.h). */
int cmd_test(struct app *app, const struct cmd_args *args,
	     struct retort_error *err);

#endif
