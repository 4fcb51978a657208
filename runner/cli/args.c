/*
 * args.c - parsing a command's own options, from one table that says for
 * each option its spellings, whether it takes a value, and where it goes.
 * Never prints errors; cmd_print_options() writes help text only.
 */
#include "cli/cmd.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct option_spec {
	const char *name;    /* long form, without "--" */
	char letter;	     /* short form, or 0 */
	const char *metavar; /* the value's name in help, or NULL for a flag */
	enum cmd_option bit;
	size_t field; /* offset of a bool, or of a const char * when valued */
	const char *help;
};

#define FLAG(n, l, b, f, h)                                                    \
	{                                                                      \
		n, l, NULL, b, offsetof(struct cmd_args, f), h                 \
	}
#define VALUE(n, l, v, b, f, h)                                                \
	{                                                                      \
		n, l, v, b, offsetof(struct cmd_args, f), h                    \
	}

static const struct option_spec specs[] = {
	FLAG("verbose", 'v', OPT_VERBOSE, verbose, "more detail per revision"),
	FLAG("indicate-current", 'i', OPT_INDICATE_CURRENT, indicate_current,
	     "mark the database's current revision(s)"),
	FLAG("check-heads", 0, OPT_CHECK_HEADS, check_heads,
	     "exit 1 unless the database is at every head"),
	VALUE("rev-range", 'r', "A:B", OPT_REV_RANGE, rev_range,
	      "A:B, A:, :B (ids, head, base, current)"),
	FLAG("purge", 0, OPT_PURGE, purge,
	     "delete every version row before stamping"),
	FLAG("resolve-dependencies", 0, OPT_RESOLVE_DEPS, resolve_dependencies,
	     "treat dependencies as down revisions"),
	VALUE("message", 'm', "MSG", OPT_MESSAGE, message,
	      "the revision's message"),
	VALUE("rev-id", 0, "ID", OPT_REV_ID, rev_id,
	      "the new revision's id (default: 12 random hex digits)"),
	VALUE("head", 0, "REV", OPT_HEAD, head,
	      "the head (or label@head) the new revision follows"),
	FLAG("splice", 0, OPT_SPLICE, splice,
	     "allow --head to name a revision that is not a head"),
	VALUE("branch-label", 0, "LABEL", OPT_BRANCH_LABEL, branch_label,
	      "a branch label for the new revision"),
	VALUE("depends-on", 0, "REVS", OPT_DEPENDS_ON, depends_on,
	      "revisions (ids or labels) the new one depends on"),
	VALUE("version-path", 0, "DIR", OPT_VERSION_PATH, version_path,
	      "directory to write the new revision in"),
	FLAG("autogenerate", 0, OPT_AUTOGENERATE, autogenerate,
	     "generate upgrade() and downgrade() from db/schema.sql"),
	FLAG("schema", 0, OPT_SCHEMA, schema,
	     "compare the database with db/schema.sql"),
	FLAG("sample", 0, OPT_SAMPLE, sample,
	     "run one batch of each pending backfill and roll it back"),
	FLAG("allow-changed", 0, OPT_ALLOW_CHANGED, allow_changed,
	     "accept applied revisions edited since they ran"),
	FLAG("json", 0, OPT_JSON, json,
	     "print one JSON document instead of text"),
	VALUE("max-count", 'n', "N", OPT_COUNT, max_count,
	      "show only the newest N entries (default: all)"),
	VALUE("timeout", 0, "T", OPT_TIMEOUT, timeout,
	      "give up after T (30s, 10min; default and 0: no limit)"),
	FLAG("force", 0, OPT_FORCE, force,
	     "rebuild every revision source, stale or not"),
	VALUE("downgrade", 0, "TARGET", OPT_DOWNGRADE_PLAN, downgrade_target,
	      "plan `downgrade TARGET` instead of an upgrade"),
	FLAG("rehearse-on-target", 0, OPT_REHEARSE_ON_TARGET,
	     rehearse_on_target,
	     "rehearse on the target in one transaction, rolled back"),
	FLAG("sql", 0, OPT_SQL, sql,
	     "print the SQL script the run would send, rehearsed on a copy of the database's schema; change nothing"),
	FLAG("lint", 0, OPT_LINT, lint,
	     "refuse to run when lint finds a problem in a pending revision"),
	VALUE("targets", 0, "FILE", OPT_FLEET_SOURCE, targets_file,
	      "the targets, one \"URL\" or \"LABEL URL\" a line (- = stdin)"),
	VALUE("targets-query", 0, "SQL", OPT_FLEET_SOURCE, targets_query,
	      "the targets as rows (label, url) of SQL on --control-url"),
	VALUE("control-url", 0, "URL", OPT_FLEET_SOURCE, control_url,
	      "the database --targets-query reads"),
	VALUE("schemas-query", 0, "SQL", OPT_FLEET_SOURCE, schemas_query,
	      "one target per tenant schema: rows (schema) of SQL on --url"),
	VALUE("jobs", 'j', "N", OPT_FLEET_RUN, jobs,
	      "run N targets at once (default: 4)"),
	VALUE("per-host", 0, "M", OPT_FLEET_RUN, per_host,
	      "at most M targets at once on one host:port (default: no limit)"),
	VALUE("canary", 0, "K", OPT_FLEET_RUN, canary,
	      "the first K targets one at a time; any failure stops the fleet"),
	VALUE("on-error", 0, "stop|continue", OPT_FLEET_RUN, on_error,
	      "after a failure start no new target (stop, the default) or go on"),
	VALUE("retries", 0, "N", OPT_FLEET_RUN, retries,
	      "retry a transient failure N times (default: 2)"),
	VALUE("run", 0, "ID", OPT_RUN_ID, run_id,
	      "the targets that fleet run ID moved"),
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* The spec an argument names, and where its inline "=value" starts. */
static const struct option_spec *find_spec(const char *arg,
					   const char **inline_value)
{
	*inline_value = NULL;
	for (size_t i = 0; i < NSPECS; i++) {
		const struct option_spec *s = &specs[i];
		size_t len = strlen(s->name);

		if (arg[1] != '-') {
			if (s->letter && arg[1] == s->letter &&
			    (arg[2] == '\0' || s->metavar)) {
				*inline_value = arg[2] ? arg + 2 : NULL;
				return s;
			}
			continue;
		}
		if (strncmp(arg + 2, s->name, len) != 0)
			continue;
		if (arg[2 + len] == '\0')
			return s;
		if (arg[2 + len] == '=' && s->metavar) {
			*inline_value = arg + 3 + len;
			return s;
		}
	}
	return NULL;
}

static int unknown_option(const char *name, const char *arg,
			  struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "unknown option '%s' for '%s'", arg, name);
	error_hint(err, "Run `retort %s --help`.", name);
	return -1;
}

static int store(const struct option_spec *s, const char *value,
		 struct cmd_args *args)
{
	char *base = (char *)args;

	if (s->metavar)
		memcpy(base + s->field, &value, sizeof(value));
	else
		*(bool *)(base + s->field) = true;
	return 0;
}

/* Handle argv[*i], an option; may consume the next argument as its value. */
static int parse_option(const char *name, unsigned allowed, int argc,
			char **argv, int *i, struct cmd_args *args,
			struct retort_error *err)
{
	const char *arg = argv[*i], *value;
	const struct option_spec *s;

	if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
		args->help = true;
		return 0;
	}
	s = find_spec(arg, &value);
	if (!s || !(allowed & s->bit))
		return unknown_option(name, arg, err);
	if (s->metavar && !value) {
		if (*i + 1 >= argc) {
			error_set(err, RETORT_USAGE,
				  "option '%s' needs a value", arg);
			error_hint(err, "Run `retort %s --help`.", name);
			return -1;
		}
		value = argv[++*i];
	}
	return store(s, value, args);
}

/* Whether text is written as a whole number in [min, max], into *n. */
static bool whole_number(const char *text, long min, long max, long *n)
{
	char *end;

	errno = 0;
	*n = strtol(text, &end, 10);
	return errno == 0 && text[0] >= '0' && text[0] <= '9' && *end == '\0' &&
	       *n >= min && *n <= max;
}

/* -n N: a whole number above zero, refused before anything connects. */
static int parse_count(const char *name, struct cmd_args *args,
		       struct retort_error *err)
{
	const char *text = args->max_count;
	long n;

	if (text == NULL)
		return 0;
	if (!whole_number(text, 1, LONG_MAX, &n)) {
		error_set(err, RETORT_USAGE,
			  "-n: \"%s\" is not a whole number above zero", text);
		error_hint(
			err,
			"Give the number of entries to show, as in `retort %s -n 20`.",
			name);
		return -1;
	}
	args->count = n;
	return 0;
}

/* A fleet knob's value: a whole number of at least min, else -1. */
static int fleet_number(const char *option, const char *text, long min,
			long *out, struct retort_error *err)
{
	*out = -1;
	if (text == NULL || whole_number(text, min, 100000, out))
		return 0;
	error_set(err, RETORT_USAGE,
		  "%s: \"%s\" is not a whole number of %ld or more", option,
		  text, min);
	error_hint(err, "Give %s a whole number, as in `%s %ld`.", option,
		   option, min + 1);
	return -1;
}

static int fleet_source_error(const char *what, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "%s", what);
	error_hint(
		err,
		"Give exactly one source of targets: --targets FILE, --targets-query SQL --control-url URL, or --schemas-query SQL.");
	return -1;
}

/* One source of targets, and --control-url only with --targets-query. */
static int check_fleet_source(unsigned allowed, const struct cmd_args *args,
			      struct retort_error *err)
{
	int n = (args->targets_file != NULL) + (args->targets_query != NULL) +
		(args->schemas_query != NULL);

	if (n == 0 && (allowed & OPT_FLEET_SOURCE) && !args->help)
		return fleet_source_error("a fleet command needs its targets",
					  err);
	if (n > 1)
		return fleet_source_error("a fleet takes one source of targets",
					  err);
	if (args->control_url && !args->targets_query)
		return fleet_source_error(
			"--control-url goes with --targets-query only", err);
	if (args->targets_query && !args->control_url)
		return fleet_source_error(
			"--targets-query needs --control-url URL, the database it reads",
			err);
	return 0;
}

/* The fleet options: numbers, stop|continue, one source of targets. */
static int parse_fleet(unsigned allowed, struct cmd_args *args,
		       struct retort_error *err)
{
	if (fleet_number("-j", args->jobs, 1, &args->njobs, err) < 0 ||
	    fleet_number("--per-host", args->per_host, 1, &args->nper_host,
			 err) < 0 ||
	    fleet_number("--canary", args->canary, 0, &args->ncanary, err) <
		    0 ||
	    fleet_number("--retries", args->retries, 0, &args->nretries, err) <
		    0 ||
	    check_fleet_source(allowed, args, err) < 0)
		return -1;
	if (args->on_error && strcmp(args->on_error, "stop") != 0 &&
	    strcmp(args->on_error, "continue") != 0) {
		error_set(err, RETORT_USAGE,
			  "--on-error: \"%s\" is neither stop nor continue",
			  args->on_error);
		error_hint(
			err,
			"--on-error stop starts no new target after a failure; --on-error continue runs every target.");
		return -1;
	}
	args->keep_going =
		args->on_error && strcmp(args->on_error, "continue") == 0;
	return 0;
}

static bool is_option(const char *arg)
{
	/* "-1" and "-" are targets, not options. */
	return arg[0] == '-' && arg[1] != '\0' &&
	       !(arg[1] >= '0' && arg[1] <= '9');
}

int cmd_parse_args(const char *name, unsigned allowed, int argc, char **argv,
		   struct cmd_args *args, struct retort_error *err)
{
	bool options_done = false;

	for (int i = 1; i < argc; i++) {
		if (!options_done && !strcmp(argv[i], "--")) {
			options_done = true;
			continue;
		}
		if (!options_done && is_option(argv[i])) {
			if (parse_option(name, allowed, argc, argv, &i, args,
					 err) < 0)
				return -1;
			continue;
		}
		if (args->npositional == CMD_MAX_POSITIONAL) {
			error_set(err, RETORT_USAGE,
				  "too many arguments for '%s'", name);
			return -1;
		}
		args->positional[args->npositional++] = argv[i];
	}
	if (parse_count(name, args, err) < 0)
		return -1;
	return parse_fleet(allowed, args, err);
}

int cmd_option_width(unsigned allowed, int argc, char *const *argv)
{
	const struct option_spec *s;
	const char *value;

	if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))
		return 1;
	s = find_spec(argv[0], &value);
	if (!s || !(allowed & s->bit))
		return 0;
	return s->metavar && !value && argc > 1 ? 2 : 1;
}

void cmd_print_options(unsigned allowed, FILE *out)
{
	for (size_t i = 0; i < NSPECS; i++) {
		const struct option_spec *s = &specs[i];
		char left[48];

		if (!(allowed & s->bit))
			continue;
		if (s->letter)
			snprintf(left, sizeof(left), "-%c, --%s %s", s->letter,
				 s->name, s->metavar ? s->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s %s", s->name,
				 s->metavar ? s->metavar : "");
		fprintf(out, "  %-30s %s\n", left, s->help);
	}
}
