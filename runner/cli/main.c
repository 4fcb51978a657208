/*
 * main.c - the retort command line: global options, the command table,
 * preparing what each command needs, printing errors, the exit status.
 *
 * The only file that prints an error or decides the exit status.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "proc/isolate.h"
#include "store/lease.h"
#include "base/strbuf.h"
#include "base/text.h"

#ifndef RETORT_VERSION
#define RETORT_VERSION "unknown"
#endif

enum cmd_needs {
	NEEDS_REVISIONS = 1 << 0,   /* the plugins, read and validated */
	NEEDS_DB = 1 << 1,	    /* a connection */
	RUNS_REVISIONS = 1 << 2,    /* in a worker process: crash isolation */
	CHECKS_EVERY_FILE = 1 << 3, /* no plugin taken on the index's word */
	/* Its arguments are targets, whose form is checked before
	 * connecting. */
	TAKES_TARGETS = 1 << 4,
};

struct command {
	const char *name;
	int (*run)(struct app *app, const struct cmd_args *args,
		   struct retort_error *err);
	unsigned needs;	  /* enum cmd_needs */
	unsigned options; /* enum cmd_option */
	int min_args, max_args;
	const char *arg; /* what its arguments are, for messages; NULL: none */
	const char *usage;
	const char *summary;
};

static const struct command commands[] = {
	{ "upgrade", cmd_upgrade,
	  NEEDS_REVISIONS | NEEDS_DB | RUNS_REVISIONS | TAKES_TARGETS,
	  OPT_SAMPLE | OPT_ALLOW_CHANGED | OPT_SQL | OPT_LINT, 1, 1, "TARGET",
	  "upgrade [--sample] [--allow-changed] [--sql] [--lint] TARGET",
	  "Apply revisions up to TARGET (head, heads, an id, +N, ...)." },
	{ "downgrade", cmd_downgrade,
	  NEEDS_REVISIONS | NEEDS_DB | RUNS_REVISIONS | TAKES_TARGETS,
	  OPT_ALLOW_CHANGED | OPT_SQL, 1, 1, "TARGET",
	  "downgrade [--allow-changed] [--sql] TARGET",
	  "Revert revisions down to TARGET (base, an id, -N, ...)." },
	{ "current", cmd_current, NEEDS_REVISIONS | NEEDS_DB,
	  OPT_VERBOSE | OPT_CHECK_HEADS | OPT_JSON, 0, 0, NULL,
	  "current [-v] [--check-heads] [--json]",
	  "Show the revision(s) the database is at." },
	{ "history", cmd_history, NEEDS_REVISIONS,
	  OPT_VERBOSE | OPT_INDICATE_CURRENT | OPT_REV_RANGE | OPT_JSON, 0, 0,
	  NULL, "history [-r A:B] [-v] [-i] [--json]",
	  "List the revisions, newest first." },
	{ "heads", cmd_heads, NEEDS_REVISIONS,
	  OPT_VERBOSE | OPT_RESOLVE_DEPS | OPT_JSON, 0, 0, NULL,
	  "heads [-v] [--resolve-dependencies] [--json]",
	  "Show the revision graph's heads." },
	{ "branches", cmd_branches, NEEDS_REVISIONS, OPT_VERBOSE | OPT_JSON, 0,
	  0, NULL, "branches [-v] [--json]",
	  "Show the revision graph's branch points." },
	{ "show", cmd_show, NEEDS_REVISIONS, OPT_JSON, 1, 1, "REV",
	  "show [--json] REV",
	  "Show one revision (or head, heads, a label...) in full." },
	{ "stamp", cmd_stamp, NEEDS_REVISIONS | NEEDS_DB | TAKES_TARGETS,
	  OPT_PURGE, 1, CMD_MAX_POSITIONAL, "TARGET",
	  "stamp [--purge] TARGET...",
	  "Set the version table to TARGET without running any revision." },
	{ "check", cmd_check, NEEDS_REVISIONS | NEEDS_DB | CHECKS_EVERY_FILE,
	  OPT_SCHEMA | OPT_ALLOW_CHANGED | OPT_JSON, 0, 0, NULL,
	  "check [--schema] [--json]",
	  "Exit non-zero unless the database is at head with every applied revision's plugin present and unchanged." },
	{ "revision", cmd_revision, 0,
	  OPT_MESSAGE | OPT_REV_ID | OPT_HEAD | OPT_SPLICE | OPT_BRANCH_LABEL |
		  OPT_DEPENDS_ON | OPT_VERSION_PATH | OPT_AUTOGENERATE,
	  0, 0, NULL,
	  "revision -m MSG [--rev-id ID] [--head REV] [--splice] [--branch-label LABEL] [--depends-on REVS] [--version-path DIR] [--autogenerate]",
	  "Write a new revision source and add it to the build." },
	{ "merge", cmd_merge, 0, OPT_MESSAGE | OPT_REV_ID | OPT_BRANCH_LABEL, 1,
	  CMD_MAX_POSITIONAL, "REVS",
	  "merge -m MSG [--rev-id ID] [--branch-label LABEL] REVS...|heads",
	  "Write a merge revision joining REVS (or every head)." },
	{ "init", cmd_init, 0, 0, 1, 1, "DIR", "init DIR",
	  "Create a new migration project in DIR." },
	{ "log", cmd_log, NEEDS_DB, OPT_COUNT | OPT_JSON, 0, 0, NULL,
	  "log [-n N] [--json]",
	  "List the steps retort ran on the database (retort_history), newest first." },
	{ "wait", cmd_wait, NEEDS_REVISIONS, OPT_TIMEOUT, 0, 0, NULL,
	  "wait [--timeout T]",
	  "Wait until the database is at every head (another runner migrates it); exit 1 at the timeout." },
	{ "__complete-revisions", cmd_complete_revisions, 0, 0, 0, 0, NULL,
	  "__complete-revisions",
	  "Print the revision ids and branch labels a target may name, one a line, for the shell completion scripts." },
	{ "build", cmd_build, 0, OPT_FORCE, 0, 0, NULL, "build [--force]",
	  "Compile the revision sources whose plugins are missing or stale." },
	{ "plan", cmd_plan, NEEDS_REVISIONS | RUNS_REVISIONS | TAKES_TARGETS,
	  OPT_DOWNGRADE_PLAN | OPT_REHEARSE_ON_TARGET | OPT_JSON |
		  OPT_ALLOW_CHANGED,
	  0, 1, "TARGET",
	  "plan [--json] [--rehearse-on-target] [--downgrade TARGET | TARGET]",
	  "Show what upgrade TARGET (default head) would do, from a rehearsal: each statement, its locks and rewrites. Changes nothing." },
	{ "test", cmd_test, NEEDS_REVISIONS, OPT_JSON, 0, 0, NULL,
	  "test [--json]",
	  "Upgrade, downgrade and upgrade again each revision on a throwaway database, comparing schemas." },
	{ "lint", cmd_lint, NEEDS_REVISIONS | NEEDS_DB | RUNS_REVISIONS,
	  OPT_JSON | OPT_ALLOW_CHANGED, 0, CMD_MAX_POSITIONAL, "REV",
	  "lint [--json] [REV...]",
	  "Judge what the pending revisions (or REV...) would send, rehearsed in a shadow of the database: exit 1 on statements that would block its traffic or break running code. Changes nothing." },
	{ "fleet upgrade", cmd_fleet_upgrade, NEEDS_REVISIONS | TAKES_TARGETS,
	  OPT_FLEET_SOURCE | OPT_FLEET_RUN | OPT_JSON, 1, 1, "TARGET",
	  "fleet upgrade SOURCE [-j N] [--per-host M] [--canary K] [--on-error stop|continue] [--retries N] [--json] TARGET",
	  "Upgrade every database (or tenant schema) of SOURCE to TARGET, N at once, each in a process of its own; a table says where each one stands." },
	{ "fleet downgrade", cmd_fleet_downgrade,
	  NEEDS_REVISIONS | TAKES_TARGETS,
	  OPT_FLEET_SOURCE | OPT_FLEET_RUN | OPT_JSON | OPT_RUN_ID, 0, 1,
	  "TARGET",
	  "fleet downgrade SOURCE [-j N] [--per-host M] [--canary K] [--on-error stop|continue] [--retries N] [--json] (TARGET | --run ID)",
	  "Downgrade every target of SOURCE to TARGET, or each target fleet run ID moved back to where it was before that run." },
	{ "fleet stamp", cmd_fleet_stamp, NEEDS_REVISIONS | TAKES_TARGETS,
	  OPT_FLEET_SOURCE | OPT_FLEET_RUN | OPT_JSON, 1, 1, "TARGET",
	  "fleet stamp SOURCE [-j N] [--per-host M] [--canary K] [--on-error stop|continue] [--retries N] [--json] TARGET",
	  "Set every target's version table to TARGET without running any revision." },
	{ "fleet status", cmd_fleet_status, NEEDS_REVISIONS | TAKES_TARGETS,
	  OPT_FLEET_SOURCE | OPT_FLEET_RUN | OPT_JSON | OPT_RUN_ID, 0, 1,
	  "TARGET",
	  "fleet status SOURCE [-j N] [--per-host M] [--run ID] [--json] [TARGET]",
	  "Read where every target stands (no lock), grouped by revision; exit 1 unless all are at TARGET (default: heads)." },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *out)
{
	fputs("usage: retort [-c FILE] [--url URL] [--versions DIR] "
	      "[-x KEY=VALUE]... [-q] COMMAND [ARGS]\n\n"
	      "Alembic-compatible PostgreSQL migrations written in C.\n"
	      "The options below may stand before or after the command.\n\n"
	      "commands:\n",
	      out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		/* "__" commands are for the completion scripts, not people. */
		if (strncmp(commands[i].name, "__", 2) != 0)
			fprintf(out, "  %-30s %s\n", commands[i].usage,
				commands[i].summary);
	fputs("\noptions:\n"
	      "  -c, --config FILE   configuration file (default: retort.ini, "
	      "here or in a parent)\n"
	      "  --url URL           database URL (else DATABASE_URL, .env, "
	      "retort.ini)\n"
	      "  --versions DIR      directory of built revision plugins\n"
	      "  --sources DIR       directory of revision sources (default: "
	      "versions)\n"
	      "  --no-build          never compile a revision source; refuse "
	      "one with no current plugin\n"
	      "  -x KEY=VALUE        argument for revisions (retort_arg)\n"
	      "  -q, --quiet         no progress output\n"
	      "  --lock-timeout T    wait at most T for the migration lock "
	      "(default: no limit)\n"
	      "  --ddl-lock-timeout T  SET LOCAL lock_timeout for each "
	      "revision\n"
	      "  --statement-timeout T SET LOCAL statement_timeout for each "
	      "revision\n"
	      "  --lock-lease T      how long the migration lock outlives a "
	      "runner that died (default: 30s)\n"
	      "  --connect-timeout S wait at most S seconds for a connection "
	      "(default: 10; 0 = for ever)\n"
	      "  --unsafe-plugins    load plugins writable by others\n"
	      "  --allow-changed     accept applied revisions edited since\n"
	      "  --shadow-url URL    empty database for autogenerate and --sql "
	      "(default: a temporary one)\n"
	      "  --tenant-schema SCHEMA  one tenant's schema: retort's tables "
	      "there, first in search_path\n"
	      "  -h, --help          this help; COMMAND --help for a command's\n"
	      "  --version           print retort's version\n",
	      out);
}

static void print_command_usage(const struct command *cmd, FILE *out)
{
	fprintf(out, "usage: retort %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->options) {
		fputs("\noptions:\n", out);
		cmd_print_options(cmd->options, out);
	}
}

/*
 * One line as "retort: <tag>: <line>", its control characters escaped:
 * an error quotes the database, a revision and the server, none of which
 * may drive the terminal.
 */
static void print_line(const char *tag, const char *line, size_t len)
{
	fprintf(stderr, "retort: %s: ", tag);
	text_fputn(line, len, stderr);
	fputc('\n', stderr);
}

/*
 * Each line of text as "retort: <tag>: <line>", so that no line of a
 * message that slipped in with several (a revision's retort_fail text, a
 * server's hint) reaches stderr without the prefix.
 */
static void print_lines(const char *tag, const char *text)
{
	const char *line;
	size_t len;

	/* libpq indents its continuation lines with a tab. */
	while ((line = text_next_line(&text, &len)) != NULL)
		print_line(tag, line, len);
}

static void print_error(const struct retort_error *err)
{
	size_t len = strcspn(err->msg, "\r\n");

	print_line("error", err->msg, len);
	print_lines("detail", err->msg + len);
	print_lines("detail", err->detail);
	print_lines("hint", err->hint);
}

/*
 * The global options that take a value: --config and --url are main's own,
 * the others replace a setting of the ini file.
 */
enum global_value {
	GLOBAL_CONFIG,
	GLOBAL_URL,
	GLOBAL_VERSIONS,
	GLOBAL_LOCK_TIMEOUT,
	GLOBAL_DDL_LOCK_TIMEOUT,
	GLOBAL_STATEMENT_TIMEOUT,
	GLOBAL_LOCK_LEASE,
	GLOBAL_CONNECT_TIMEOUT,
	GLOBAL_SHADOW_URL,
	GLOBAL_SOURCES,
	GLOBAL_TENANT_SCHEMA,
	GLOBAL_NVALUES
};

struct global_opts {
	const char *values[GLOBAL_NVALUES]; /* as given, NULL when absent */
	bool unsafe_plugins, allow_changed;
	bool help, version;
	bool no_build;
};

static int usage_error(struct retort_error *err, const char *hint,
		       const char *fmt, ...) ERROR_PRINTF(3, 4);

static int usage_error(struct retort_error *err, const char *hint,
		       const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_set(err, RETORT_USAGE, "%s", msg);
	error_hint(err, "%s", hint);
	return -1;
}

/* getopt_long()'s answer for a global option's value: past every char. */
#define GLOBAL_VALUE_CODE(v) (0x100 + (v))

static const struct option global_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "url", required_argument, NULL, GLOBAL_VALUE_CODE(GLOBAL_URL) },
	{ "versions", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_VERSIONS) },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'R' },
	{ "lock-timeout", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_LOCK_TIMEOUT) },
	{ "ddl-lock-timeout", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_DDL_LOCK_TIMEOUT) },
	{ "statement-timeout", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_STATEMENT_TIMEOUT) },
	{ "unsafe-plugins", no_argument, NULL, 'P' },
	{ "allow-changed", no_argument, NULL, 'A' },
	{ "shadow-url", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_SHADOW_URL) },
	{ "lock-lease", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_LOCK_LEASE) },
	{ "connect-timeout", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_CONNECT_TIMEOUT) },
	{ "sql", no_argument, NULL, 'S' },
	{ "sources", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_SOURCES) },
	{ "no-build", no_argument, NULL, 'B' },
	{ "tenant-schema", required_argument, NULL,
	  GLOBAL_VALUE_CODE(GLOBAL_TENANT_SCHEMA) },
	{ NULL, 0, NULL, 0 },
};

/* The flags: what getopt_long() answered for one, the bool it sets. */
static bool *global_flag(int code, struct global_opts *g, struct app *app)
{
	switch (code) {
	case 'q':
		return &app->quiet;
	case 'h':
		return &g->help;
	case 'R':
		return &g->version;
	case 'P':
		return &g->unsafe_plugins;
	case 'A':
		return &g->allow_changed;
	case 'B':
		return &g->no_build;
	}
	return NULL;
}

/*
 * --sql is an option of upgrade and downgrade, as in Alembic: anywhere
 * else (before the command, or after another one) say where it goes.
 */
static int sql_elsewhere(struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "--sql is an option of upgrade and downgrade only");
	error_hint(
		err,
		"Write it after the command: `retort upgrade --sql TARGET` or `retort downgrade --sql TARGET` print the SQL script of that run and change nothing.");
	return -1;
}

/* One option getopt_long() found (code is its answer); a repeat wins. */
static int global_option(int code, char **argv, struct global_opts *g,
			 struct app *app, struct retort_error *err)
{
	bool *flag = global_flag(code, g, app);

	if (code == 'c')
		code = GLOBAL_VALUE_CODE(GLOBAL_CONFIG);
	if (code >= GLOBAL_VALUE_CODE(0) &&
	    code < GLOBAL_VALUE_CODE(GLOBAL_NVALUES)) {
		g->values[code - GLOBAL_VALUE_CODE(0)] = optarg;
		return 0;
	}
	if (flag != NULL) {
		*flag = true;
		return 0;
	}
	if (code == 'x')
		return config_add_arg(&app->cfg, optarg, err);
	if (code == 'S')
		return sql_elsewhere(err);
	if (code == ':')
		return usage_error(err, "Run `retort --help` for the options.",
				   "option '%s' needs a value",
				   argv[optind - 1]);
	return usage_error(err, "Run `retort --help` for the options.",
			   "unknown option '%s'", argv[optind - 1]);
}

/* The options before the command; optind is left at the command. */
static int parse_global(int argc, char **argv, struct global_opts *g,
			struct app *app, struct retort_error *err)
{
	int code;

	opterr = 0;
	optind = 0; /* glibc: start afresh, for a second list */
	/* "+": stop at the command, whose options are parsed apart. */
	while ((code = getopt_long(argc, argv, "+:c:x:qh", global_longopts,
				   NULL)) != -1)
		if (global_option(code, argv, g, app, err) < 0)
			return -1;
	return 0;
}

/*
 * How many of argv[0..argc-1] a global option takes (itself, and its
 * value when not written "--name=value"), or 0 when argv[0] spells none.
 * After the command, a long option must be written in full.
 */
static int global_width(int argc, char *const *argv)
{
	const char *arg = argv[0];
	int with_value = argc > 1 ? 2 : 1;

	if (arg[0] != '-' || arg[1] == '\0')
		return 0;
	if (arg[1] != '-') {
		if (arg[1] == 'c' || arg[1] == 'x')
			return arg[2] != '\0' ? 1 : with_value;
		return strcmp(arg, "-q") == 0;
	}
	for (const struct option *o = global_longopts; o->name; o++) {
		size_t len = strlen(o->name);

		if (strncmp(arg + 2, o->name, len) != 0)
			continue;
		if (arg[2 + len] == '=' && o->has_arg)
			return 1;
		if (arg[2 + len] == '\0')
			return o->has_arg ? with_value : 1;
	}
	return 0;
}

/*
 * Split the command's argv: the global options among its arguments (that
 * the command does not take itself) go to globals[1..], the rest to
 * own[]; both lists keep their order.  Each array has room for argc + 1.
 */
static void split_globals(const struct command *cmd, int argc, char **argv,
			  char **own, int *nown, char **globals, int *nglobals)
{
	int i = 1, width;

	own[(*nown)++] = argv[0];
	globals[(*nglobals)++] = argv[0];
	while (i < argc && strcmp(argv[i], "--") != 0) {
		width = cmd_option_width(cmd->options, argc - i, argv + i);
		if (width == 0 && (width = global_width(argc - i, argv + i))) {
			while (width-- > 0)
				globals[(*nglobals)++] = argv[i++];
			continue;
		}
		for (width = width ? width : 1; width-- > 0;)
			own[(*nown)++] = argv[i++];
	}
	while (i < argc)
		own[(*nown)++] = argv[i++];
	own[*nown] = globals[*nglobals] = NULL;
}

/*
 * The command's own options and arguments into args; the global options
 * written after the command count as if they stood before it.
 */
static int parse_command_line(const struct command *cmd, int argc, char **argv,
			      struct global_opts *g, struct app *app,
			      struct cmd_args *args, struct retort_error *err)
{
	char **own = calloc((size_t)argc + 1, sizeof(*own));
	char **globals = calloc((size_t)argc + 1, sizeof(*globals));
	int nown = 0, nglobals = 0, rc = -1;

	if (!own || !globals) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	split_globals(cmd, argc, argv, own, &nown, globals, &nglobals);
	if (nglobals > 1 && parse_global(nglobals, globals, g, app, err) < 0)
		goto out;
	rc = cmd_parse_args(cmd->name, cmd->options, nown, own, args, err);
out:
	free(own);
	free(globals);
	return rc;
}

static int arg_count_error(const struct command *cmd, struct retort_error *err)
{
	if (cmd->arg == NULL)
		error_set(err, RETORT_USAGE, "'%s' takes no arguments",
			  cmd->name);
	else if (cmd->max_args == 1)
		error_set(err, RETORT_USAGE, "'%s' takes a %s argument",
			  cmd->name, cmd->arg);
	else
		error_set(err, RETORT_USAGE, "'%s' takes one or more %s",
			  cmd->name, cmd->arg);
	error_hint(err, "usage: retort %s", cmd->usage);
	return -1;
}

/* An empty argument names nothing: refused before anything is read or
 * connected, like a missing one. */
static int check_args(const struct command *cmd, const struct cmd_args *args,
		      struct retort_error *err)
{
	if (args->npositional < cmd->min_args ||
	    args->npositional > cmd->max_args)
		return arg_count_error(cmd, err);
	for (int i = 0; i < args->npositional; i++) {
		if (args->positional[i][0] != '\0')
			continue;
		error_set(err, RETORT_USAGE, "'%s': the %s argument is empty",
			  cmd->name, cmd->arg);
		error_hint(err, "usage: retort %s", cmd->usage);
		return -1;
	}
	if (args->timeout && !config_is_duration(args->timeout)) {
		error_set(err, RETORT_USAGE,
			  "--timeout: \"%s\" is not a duration", args->timeout);
		error_hint(
			err,
			"Write a whole number with an optional unit: 500ms, 30s, 10min, 1h (0 = no limit).");
		return -1;
	}
	if (args->sql && args->sample)
		return usage_error(
			err,
			"--sample runs one batch of each pending backfill on the database; --sql prints the whole run's SQL: use one at a time.",
			"--sql and --sample cannot be used together");
	if (args->sql && args->lint)
		return usage_error(
			err,
			"--sql prints the run's SQL and runs nothing, so there is nothing for --lint to refuse: run `retort lint` for the findings.",
			"--sql and --lint cannot be used together");
	for (int i = 0; (cmd->needs & TAKES_TARGETS) && i < args->npositional;
	     i++)
		if (revmap_check_target(args->positional[i], err) < 0)
			return -1;
	return 0;
}

/* A command-line value replaces the ini's. */
static int override(char **field, const char *value, const char *option,
		    bool duration, struct retort_error *err)
{
	char *copy;

	if (!value)
		return 0;
	if (duration && !config_is_duration(value)) {
		error_set(err, RETORT_USAGE, "%s: \"%s\" is not a duration",
			  option, value);
		error_hint(
			err,
			"Write a whole number with an optional unit: 500ms, 5s, 2min, 1h (0 = no limit).");
		return -1;
	}
	copy = strdup(value);
	if (!copy)
		return error_set(err, RETORT_FAILED, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static int override_seconds(char **field, const char *value,
			    struct retort_error *err)
{
	if (value && !config_is_seconds(value)) {
		error_set(
			err, RETORT_USAGE,
			"--connect-timeout: \"%s\" is not a whole number of seconds",
			value);
		error_hint(
			err,
			"Give the seconds to wait for a connection, 0 to wait for ever.");
		return -1;
	}
	return override(field, value, "--connect-timeout", false, err);
}

/* The command line's settings over the ini's, each checked. */
static int override_all(struct config *cfg, const char *const *values,
			struct retort_error *err)
{
	if (override(&cfg->versions, values[GLOBAL_VERSIONS], "--versions",
		     false, err) < 0 ||
	    override(&cfg->sources, values[GLOBAL_SOURCES], "--sources", false,
		     err) < 0 ||
	    override(&cfg->lock_timeout, values[GLOBAL_LOCK_TIMEOUT],
		     "--lock-timeout", true, err) < 0 ||
	    override(&cfg->ddl_lock_timeout, values[GLOBAL_DDL_LOCK_TIMEOUT],
		     "--ddl-lock-timeout", true, err) < 0 ||
	    override(&cfg->statement_timeout, values[GLOBAL_STATEMENT_TIMEOUT],
		     "--statement-timeout", true, err) < 0 ||
	    override(&cfg->lock_lease, values[GLOBAL_LOCK_LEASE],
		     "--lock-lease", true, err) < 0 ||
	    override(&cfg->shadow_url, values[GLOBAL_SHADOW_URL],
		     "--shadow-url", false, err) < 0 ||
	    override_seconds(&cfg->connect_timeout,
			     values[GLOBAL_CONNECT_TIMEOUT], err) < 0 ||
	    override(&cfg->tenant_schema, values[GLOBAL_TENANT_SCHEMA],
		     "--tenant-schema", false, err) < 0 ||
	    config_check_tenant(cfg, err) < 0)
		return -1;
	if (cfg->lock_lease && lease_duration_ms(cfg->lock_lease) < 1000) {
		error_set(err, RETORT_USAGE,
			  "the lock lease \"%s\" is shorter than 1s",
			  cfg->lock_lease);
		error_hint(
			err,
			"Give --lock-lease (ini lock_lease) a duration of 1s or more: 30s, 2min.");
		return -1;
	}
	return 0;
}

/*
 * -c FILE, or the retort.ini of the working directory or of the nearest
 * parent that has one; relative paths in one found in a parent mean what
 * they mean from there.
 */
static int read_ini(struct config *cfg, const char *config_path,
		    struct retort_error *err)
{
	char *cwd = NULL, *found = NULL;
	int rc = -1;

	if (config_path != NULL)
		return config_read_ini(cfg, config_path, false, err);
	cwd = getcwd(NULL, 0);
	/* A working directory that is gone: only its own file counts. */
	if (cwd == NULL)
		return config_read_ini(cfg, CONFIG_INI_NAME, true, err);
	if (config_find_ini(cfg, cwd, getenv("RETORT_CEILING_DIRECTORIES"),
			    &found, err) == 0)
		rc = found == NULL
			     ? 0
			     : (config_read_ini(cfg, found, false, err) < 0
					? -1
					: config_rebase(cfg, err));
	free(found);
	free(cwd);
	return rc;
}

/* The .env beside the retort.ini found in a parent, else the working
 * directory's; the caller frees it. */
static char *dotenv_path(const struct config *cfg)
{
	struct strbuf b = STRBUF_INIT;

	if (cfg->ini_dir != NULL)
		strbuf_addf(&b, "%s/", cfg->ini_dir);
	strbuf_add(&b, ".env");
	return strbuf_finish(&b);
}

static int load_config(struct app *app, const struct global_opts *g,
		       struct retort_error *err)
{
	struct config *cfg = &app->cfg;
	char *dotenv;
	int rc;

	if (read_ini(cfg, g->values[GLOBAL_CONFIG], err) < 0 ||
	    override_all(cfg, g->values, err) < 0)
		return -1;
	cfg->unsafe_plugins = g->unsafe_plugins;
	cfg->allow_changed = g->allow_changed;
	cfg->no_build = g->no_build;
	cfg->versions_only = g->values[GLOBAL_VERSIONS] != NULL &&
			     g->values[GLOBAL_SOURCES] == NULL;
	cfg->url_keyword = db_is_keyword;
	dotenv = dotenv_path(cfg);
	if (dotenv == NULL)
		return error_set(err, RETORT_FAILED, "out of memory");
	rc = config_resolve_url(&app->cfg, g->values[GLOBAL_URL],
				getenv("DATABASE_URL"), dotenv, err);
	free(dotenv);
	if (rc < 0)
		return -1;
	if (cfg->url_notes != NULL)
		print_lines("note", cfg->url_notes);
	return 0;
}

struct invocation {
	struct app *app;
	const struct command *cmd;
	const struct cmd_args *args;
};

/* Connect (in the worker, when isolated) and run the command. */
static int invoke(void *arg, struct retort_error *err)
{
	const struct invocation *inv = arg;

	if ((inv->cmd->needs & NEEDS_DB) && app_connect(inv->app, err) < 0)
		return -1;
	return inv->cmd->run(inv->app, inv->args, err);
}

static int prepare_and_run(struct app *app, const struct command *cmd,
			   const struct cmd_args *args,
			   struct retort_error *err)
{
	struct invocation inv = { app, cmd, args };

	/* Validate every revision before connecting: nothing is touched
	 * when the set is bad. */
	if ((cmd->needs & NEEDS_REVISIONS) &&
	    app_load_revisions(app,
			       (cmd->needs & CHECKS_EVERY_FILE)
				       ? PLUGIN_CHECK_EVERY_FILE
				       : 0,
			       err) < 0)
		return -1;
	if (!(cmd->needs & RUNS_REVISIONS))
		return invoke(&inv, err);
	lease_init_holder();
	if (isolate_call(invoke, &inv, err) == 0)
		return 0;
	/* A worker that died cannot give the migration lock back: its
	 * parent does, rather than leave it held until the lease expires. */
	if (isolate_worker_died())
		app_give_back_lock(app);
	return -1;
}

/*
 * "fleet" and its next word name one command ("fleet upgrade"); the
 * others are one word.  *width: how many of argv the name took.
 */
static const struct command *find_command_at(int argc, char **argv, int *width,
					     struct retort_error *err)
{
	static const char hint[] =
		"Run `retort fleet upgrade --help` for a subcommand's options.";
	char name[64];
	const struct command *cmd;

	*width = 1;
	if (strcmp(argv[0], "fleet") != 0)
		return find_command(argv[0]);
	if (argc > 1 && strlen(argv[1]) < 32) {
		snprintf(name, sizeof(name), "fleet %s", argv[1]);
		if ((cmd = find_command(name)) != NULL) {
			*width = 2;
			return cmd;
		}
	}
	if (argc > 1)
		usage_error(err, hint,
			    "unknown fleet subcommand '%s': it is upgrade, "
			    "downgrade, stamp or status",
			    argv[1]);
	else
		usage_error(err, hint, "%s",
			    "'fleet' needs a subcommand: upgrade, downgrade, "
			    "stamp or status");
	return NULL;
}

/* `retort fleet --help`: the four subcommands and every fleet option. */
static bool fleet_help(int argc, char **argv, FILE *out)
{
	unsigned options = 0;

	if (strcmp(argv[0], "fleet") != 0 || argc < 2 ||
	    (strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--help") != 0))
		return false;
	fputs("usage: retort fleet upgrade|downgrade|stamp|status SOURCE "
	      "OPTIONS TARGET\n\n"
	      "Run one command over many databases or tenant schemas.\n\n"
	      "subcommands:\n",
	      out);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strncmp(commands[i].name, "fleet ", 6) != 0)
			continue;
		fprintf(out, "  %s\n", commands[i].usage);
		options |= commands[i].options;
	}
	fputs("\noptions:\n", out);
	cmd_print_options(options, out);
	return true;
}

static int run_command(struct app *app, struct global_opts *g, int argc,
		       char **argv, struct retort_error *err)
{
	const struct command *cmd;
	struct cmd_args args = { 0 };
	int width;

	if (argc == 0)
		return usage_error(err, "Run `retort --help` for the commands.",
				   "%s", "no command given");
	if (fleet_help(argc, argv, app->out))
		return 0;
	cmd = find_command_at(argc, argv, &width, err);
	if (!cmd && strcmp(argv[0], "fleet") == 0)
		return -1;
	if (!cmd)
		return usage_error(err, "Run `retort --help` for the commands.",
				   "unknown command '%s'", argv[0]);
	if (parse_command_line(cmd, argc - (width - 1), argv + (width - 1), g,
			       app, &args, err) < 0)
		return -1;
	if (g->version) {
		printf("retort %s\n", RETORT_VERSION);
		return 0;
	}
	if (args.help) {
		print_command_usage(cmd, app->out);
		return 0;
	}
	if (check_args(cmd, &args, err) < 0)
		return -1;
	if (load_config(app, g, err) < 0)
		return -1;
	if (app->quiet)
		app->progress = NULL;
	return prepare_and_run(app, cmd, &args, err);
}

static int finish_output(struct retort_error *err)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	return error_set(err, RETORT_FAILED, "cannot write to standard output");
}

int main(int argc, char **argv)
{
	struct app app = { .out = stdout, .progress = stderr };
	struct global_opts g = { 0 };
	struct retort_error err = { 0 };
	int rc, cmd_at = 0;

#ifdef RETORT_NO_ISOLATION
	isolate_set_enabled(false);
#endif
	rc = config_init(&app.cfg, &err);
	if (rc == 0)
		rc = parse_global(argc, argv, &g, &app, &err);
	cmd_at = optind;
	if (rc == 0 && g.version)
		printf("retort %s\n", RETORT_VERSION);
	else if (rc == 0 && (g.help || cmd_at == argc))
		print_usage(g.help ? stdout : stderr);
	else if (rc == 0)
		rc = run_command(&app, &g, argc - cmd_at, argv + cmd_at, &err);
	if (rc == 0 && !g.help && !g.version && cmd_at == argc)
		rc = usage_error(&err, "Run `retort --help` for the commands.",
				 "%s", "no command given");
	if (rc == 0)
		rc = finish_output(&err);
	app_release(&app);
	if (rc == 0)
		return RETORT_OK;
	print_error(&err);
	return err.status != RETORT_OK ? (int)err.status : RETORT_FAILED;
}
