/*
 * Integration: the command line itself.  Help goes to stdout with exit 0;
 * a usage mistake is exit 2 with the culprit named on stderr and nothing
 * on stdout.  No database is needed: every run gets --url to a closed
 * port, so a command that went as far as connecting fails (exit 1,
 * "cannot connect") instead of passing.
 *
 * Every command is in the tables below: its -h and --help, an unknown
 * option, and the ways its arguments can be wrong.
 */
#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>

/* Each command with arguments it accepts, so only the option is wrong. */
struct command {
	const char *name;
	const char *args[4];
};

static const struct command commands[] = {
	{ "upgrade", { "head" } },
	{ "downgrade", { "base" } },
	{ "current", { NULL } },
	{ "history", { NULL } },
	{ "heads", { NULL } },
	{ "branches", { NULL } },
	{ "show", { "001" } },
	{ "stamp", { "head" } },
	{ "check", { NULL } },
	{ "revision", { "-m", "add a table" } },
	{ "merge", { "-m", "join", "heads" } },
	{ "init", { "project" } },
	{ "log", { NULL } },
	{ "wait", { "--timeout", "1s" } },
	{ "build", { NULL } },
	{ "plan", { "--rehearse-on-target", "head" } },
	{ "test", { NULL } },
	{ "lint", { "001" } },
};

#define N_COMMANDS (int)(sizeof(commands) / sizeof(commands[0]))

/* A command's arguments gone wrong, and what the error must say. */
struct misuse {
	const char *args[7];
	const char *says;
};

static const struct misuse misuses[] = {
	{ { "upgrade" }, "'upgrade' takes a TARGET argument" },
	{ { "upgrade", "--sample" }, "'upgrade' takes a TARGET argument" },
	{ { "upgrade", "head", "surplus" }, "'upgrade' takes a TARGET" },
	{ { "downgrade" }, "'downgrade' takes a TARGET argument" },
	{ { "downgrade", "base", "surplus" }, "'downgrade' takes a TARGET" },
	{ { "current", "surplus" }, "'current' takes no arguments" },
	{ { "history", "surplus" }, "'history' takes no arguments" },
	{ { "history", "-r" }, "option '-r' needs a value" },
	{ { "history", "-r", "a:b:c" }, "History range requires" },
	{ { "history", "-r", "001:nosuch" },
	  "Can't locate revision identified by 'nosuch'" },
	{ { "heads", "surplus" }, "'heads' takes no arguments" },
	{ { "branches", "surplus" }, "'branches' takes no arguments" },
	{ { "show" }, "'show' takes a REV argument" },
	{ { "show", "001", "002" }, "'show' takes a REV argument" },
	{ { "show", "" }, "'show': the REV argument is empty" },
	{ { "show", "nosuch" },
	  "Can't locate revision identified by 'nosuch'" },
	{ { "stamp" }, "'stamp' takes one or more TARGET" },
	{ { "stamp", "--purge" }, "'stamp' takes one or more TARGET" },
	{ { "stamp", "head", "" }, "'stamp': the TARGET argument is empty" },
	{ { "upgrade", "" }, "'upgrade': the TARGET argument is empty" },
	{ { "downgrade", "" }, "'downgrade': the TARGET argument is empty" },
	{ { "upgrade", "a b" }, "malformed target 'a b'" },
	{ { "downgrade", "x@@y" }, "malformed target 'x@@y'" },
	{ { "stamp", "head", "a+b" }, "malformed target 'a+b'" },
	{ { "check", "surplus" }, "'check' takes no arguments" },
	{ { "revision" }, "a message is required" },
	{ { "revision", "-m" }, "option '-m' needs a value" },
	{ { "revision", "-m", "" }, "the message is empty" },
	{ { "revision", "-m", "x", "surplus" },
	  "'revision' takes no arguments" },
	{ { "revision", "-m", "x", "--rev-id", "bad id!" },
	  "invalid revision id \"bad id!\"" },
	{ { "revision", "-m", "x", "--head", "nosuch" },
	  "Can't locate revision identified by 'nosuch'" },
	{ { "merge", "heads" }, "a message is required" },
	{ { "merge", "-m", "x" }, "'merge' takes one or more REVS" },
	{ { "merge", "-m", "x", "" }, "'merge': the REVS argument is empty" },
	{ { "merge", "-m", "", "heads" }, "the message is empty" },
	{ { "merge", "-m", "x", "heads", "surplus" },
	  "Can't locate revision identified by 'surplus'" },
	{ { "merge", "-m", "x", "--rev-id", "bad id!", "heads" },
	  "invalid revision id \"bad id!\"" },
	{ { "show", "haed" }, "retort: hint: Did you mean 'head'?" },
	{ { "show", "0002" }, "retort: hint: Did you mean '002'?" },
	{ { "history", "-r", "001:haed" }, "Did you mean 'head'?" },
	{ { "merge", "-m", "x", "hedas" }, "Did you mean 'heads'?" },
	{ { "revision", "-m", "x", "--head", "hed" }, "Did you mean 'head'?" },
	{ { "wait", "surplus" }, "'wait' takes no arguments" },
	{ { "wait", "--timeout" }, "option '--timeout' needs a value" },
	{ { "wait", "--timeout", "x" }, "--timeout: \"x\" is not a duration" },
	{ { "wait", "--timeout=5 min" },
	  "--timeout: \"5 min\" is not a duration" },
	{ { "wait", "--timeout", "-1s" },
	  "--timeout: \"-1s\" is not a duration" },
	{ { "plan", "head", "surplus" }, "'plan' takes a TARGET argument" },
	{ { "plan", "--downgrade" }, "option '--downgrade' needs a value" },
	{ { "plan", "head", "--downgrade", "base" },
	  "'plan' takes either a TARGET or --downgrade TARGET" },
	{ { "plan", "--downgrade", "" }, "the --downgrade target is empty" },
	{ { "plan", "--sample" }, "unknown option '--sample' for 'plan'" },
	{ { "init" }, "'init' takes a DIR argument" },
	{ { "init", "" }, "'init': the DIR argument is empty" },
	{ { "init", "project", "surplus" }, "'init' takes a DIR argument" },
	{ { "init", "full" },
	  "Directory full already exists and is not empty" },
	{ { "log", "surplus" }, "'log' takes no arguments" },
	{ { "log", "-n" }, "option '-n' needs a value" },
	{ { "log", "--max-count" }, "option '--max-count' needs a value" },
	{ { "log", "-n", "0" }, "-n: \"0\" is not a whole number above zero" },
	{ { "log", "-n", "x" }, "-n: \"x\" is not a whole number above zero" },
	{ { "log", "-n", "-3" },
	  "-n: \"-3\" is not a whole number above zero" },
	{ { "log", "-n2x" }, "-n: \"2x\" is not a whole number above zero" },
	{ { "log", "-n", " 5" },
	  "-n: \" 5\" is not a whole number above zero" },
	{ { "log", "--max-count=" },
	  "-n: \"\" is not a whole number above zero" },
	{ { "log", "-n", "99999999999999999999" },
	  "-n: \"99999999999999999999\" is not a whole number above zero" },
	{ { "log", "-v" }, "unknown option '-v' for 'log'" },
	{ { "stamp", "--json", "head" },
	  "unknown option '--json' for 'stamp'" },
	{ { "upgrade", "--json", "head" },
	  "unknown option '--json' for 'upgrade'" },
	{ { "revision", "-m", "x", "--json" },
	  "unknown option '--json' for 'revision'" },
	{ { "history", "--json=yes" },
	  "unknown option '--json=yes' for 'history'" },
	{ { "history", "-n", "2" }, "unknown option '-n' for 'history'" },
	{ { "show", "--json" }, "'show' takes a REV argument" },
	{ { "test", "surplus" }, "'test' takes no arguments" },
	{ { "test", "head" }, "'test' takes no arguments" },
	{ { "test", "--json", "surplus" }, "'test' takes no arguments" },
	{ { "test", "--force" }, "unknown option '--force' for 'test'" },
	{ { "test", "--json=yes" }, "unknown option '--json=yes' for 'test'" },
	{ { "lint", "--lint" }, "unknown option '--lint' for 'lint'" },
	{ { "downgrade", "--lint", "base" },
	  "unknown option '--lint' for 'downgrade'" },
	{ { "lint", "--json=yes" }, "unknown option '--json=yes' for 'lint'" },
	{ { "lint", "001", "" }, "'lint': the REV argument is empty" },
	{ { "upgrade", "--sql", "--lint", "head" },
	  "--sql and --lint cannot be used together" },
	{ { "fleet" }, "'fleet' needs a subcommand: upgrade, downgrade" },
	{ { "fleet", "bogus" }, "unknown fleet subcommand 'bogus'" },
	{ { "fleet", "upgrade", "head" }, "a fleet command needs its targets" },
	{ { "fleet", "status" }, "a fleet command needs its targets" },
	{ { "fleet", "upgrade", "--targets", "t" },
	  "'fleet upgrade' takes a TARGET argument" },
	{ { "fleet", "stamp", "--targets=t", "head", "base" },
	  "'fleet stamp' takes a TARGET argument" },
	{ { "fleet", "upgrade", "--targets=t", "" },
	  "'fleet upgrade': the TARGET argument is empty" },
	{ { "fleet", "upgrade", "--targets=t", "-j", "0", "head" },
	  "-j: \"0\" is not a whole number of 1 or more" },
	{ { "fleet", "upgrade", "--targets=t", "--jobs=x", "head" },
	  "-j: \"x\" is not a whole number of 1 or more" },
	{ { "fleet", "upgrade", "--targets=t", "-j", "head" },
	  "-j: \"head\" is not a whole number" },
	{ { "fleet", "upgrade", "--targets=t", "--per-host=0", "head" },
	  "--per-host: \"0\" is not a whole number of 1 or more" },
	{ { "fleet", "upgrade", "--targets=t", "--canary=-1", "head" },
	  "--canary: \"-1\" is not a whole number of 0 or more" },
	{ { "fleet", "upgrade", "--targets=t", "--retries=2x", "head" },
	  "--retries: \"2x\" is not a whole number of 0 or more" },
	{ { "fleet", "upgrade", "--targets=t", "--on-error=maybe", "head" },
	  "--on-error: \"maybe\" is neither stop nor continue" },
	{ { "fleet", "upgrade", "--targets=t", "--schemas-query=q", "head" },
	  "a fleet takes one source of targets" },
	{ { "fleet", "upgrade", "--targets=t", "--control-url=u", "head" },
	  "--control-url goes with --targets-query only" },
	{ { "fleet", "upgrade", "--targets-query=q", "head" },
	  "--targets-query needs --control-url URL" },
	{ { "fleet", "upgrade", "--targets=t", "--run=x", "head" },
	  "unknown option '--run=x' for 'fleet upgrade'" },
	{ { "fleet", "stamp", "--targets=t", "--run=x", "head" },
	  "unknown option '--run=x' for 'fleet stamp'" },
	{ { "fleet", "upgrade", "--targets=t", "a b" },
	  "malformed target 'a b'" },
	{ { "fleet", "upgrade", "--targets=t", "nosuch" },
	  "Can't locate revision identified by 'nosuch'" },
	{ { "fleet", "downgrade", "--targets=t" },
	  "fleet downgrade needs TARGET or --run ID" },
	{ { "fleet", "downgrade", "--targets=t", "--run=x", "base" },
	  "fleet downgrade takes TARGET or --run ID, not both" },
	{ { "fleet", "status", "--targets=t", "--canary" },
	  "option '--canary' needs a value" },
	{ { "fleet", "status", "--targets=t", "--canary=1" },
	  "fleet status takes no --canary" },
	{ { "fleet", "status", "--targets=t", "--on-error=continue" },
	  "fleet status takes no --on-error" },
	{ { "fleet", "status", "--targets=t", "--retries=1" },
	  "fleet status takes no --retries" },
	{ { "fleet", "upgrade", "--targets=nosuch-file", "head" },
	  "nosuch-file" },
};

#define N_MISUSES (int)(sizeof(misuses) / sizeof(misuses[0]))

#define PASSWORD "Cli-Sekr3t"

/*
 * Run retort in the test's directory, which holds an empty versions/
 * (revision and merge write there) and a non-empty full/ (init refuses
 * it), with --url to a closed port and the linear fixture's plugins.
 */
static const struct harness_result *run(const char *const *args)
{
	struct harness_run how = {
		.url = harness_fmt("postgresql://someone:" PASSWORD
				   "@127.0.0.1:%s/nowhere",
				   harness_free_port()),
		.versions = "linear",
	};

	mkdir(harness_fmt("%s/versions", harness_tmpdir()), 0755);
	mkdir(harness_fmt("%s/full", harness_tmpdir()), 0755);
	harness_write_file("full/README", "taken\n");
	return harness_retortv(&how, args);
}

/* argv of run(): cmd, then its arguments, then extra (may be NULL). */
static const char *const *with(const char *cmd, const char *const *args,
			       const char *extra)
{
	static const char *argv[16];
	int n = 0;

	argv[n++] = cmd;
	for (; *args != NULL; args++)
		argv[n++] = *args;
	argv[n++] = extra;
	argv[n] = NULL;
	return argv;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Neither the database nor the project was touched. */
static void assert_nothing_done(const struct harness_result *r)
{
	struct stat st;

	assert_not_contains(r->err, "cannot connect");
	ck_assert_msg(entries(harness_fmt("%s/versions", harness_tmpdir())) ==
			      0,
		      "%s wrote a revision", r->cmdline);
	ck_assert_msg(stat(harness_fmt("%s/project", harness_tmpdir()), &st) !=
			      0,
		      "%s created a project", r->cmdline);
	assert_not_contains(r->out, PASSWORD);
	assert_not_contains(r->err, PASSWORD);
}

/* Exit 2, one clear error on stderr naming the culprit, stdout empty. */
static void assert_usage_error(const struct harness_result *r,
			       const char *culprit)
{
	assert_exit(r, 2);
	assert_starts_with(r->err, "retort: error: ");
	assert_contains(r->err, culprit);
	assert_str_eq(r->out, "");
}

START_TEST(test_help)
{
	static const char *const flags[] = { "--help", "-h" };
	const struct harness_result *r =
		harness_at(NULL, NULL, flags[_i], NULL);

	assert_ok(r);
	assert_contains(r->out, "retort");
	assert_contains(r->out, "may stand before or after the command");
	for (int i = 0; i < N_COMMANDS; i++)
		assert_contains(r->out,
				harness_fmt("\n  %s ", commands[i].name));
}
END_TEST

/* CMD -h and CMD --help: its usage on stdout, exit 0, nothing else run. */
START_TEST(test_command_help)
{
	static const char *const flags[] = { "-h", "--help" };
	const struct command *c = &commands[_i / 2];
	const struct harness_result *r = run(
		with(c->name, (const char *const[]){ NULL }, flags[_i % 2]));

	assert_ok(r);
	assert_starts_with(r->out, harness_fmt("usage: retort %s", c->name));
	assert_nothing_done(r);
}
END_TEST

/* Help wins over the command's other arguments, as in git and Alembic. */
START_TEST(test_command_help_after_arguments)
{
	const struct command *c = &commands[_i];
	const struct harness_result *r = run(with(c->name, c->args, "-h"));

	assert_ok(r);
	assert_starts_with(r->out, harness_fmt("usage: retort %s", c->name));
	assert_nothing_done(r);
}
END_TEST

START_TEST(test_command_bad_option)
{
	const struct command *c = &commands[_i];
	const struct harness_result *r =
		run(with(c->name, c->args, "--no-such-option"));

	assert_usage_error(r, harness_fmt("unknown option '--no-such-option' "
					  "for '%s'",
					  c->name));
	assert_contains(r->err, harness_fmt("retort %s --help", c->name));
	assert_nothing_done(r);
}
END_TEST

/* A wrong count of arguments also shows the command's usage line. */
START_TEST(test_command_misuse)
{
	const struct misuse *m = &misuses[_i];
	const struct harness_result *r = run(m->args);

	assert_usage_error(r, m->says);
	if (strstr(m->says, "' takes ") != NULL)
		assert_contains(r->err, harness_fmt("retort: hint: usage: "
						    "retort %s",
						    m->args[0]));
	assert_nothing_done(r);
}
END_TEST

/* retort fleet --help and each subcommand's -h: usage on stdout, exit 0. */
START_TEST(test_fleet_help)
{
	static const char *const subs[] = { "upgrade", "downgrade", "stamp",
					    "status" };
	const struct harness_result *r;

	r = run((const char *const[]){ "fleet", "--help", NULL });
	assert_ok(r);
	assert_starts_with(r->out, "usage: retort fleet ");
	for (int i = 0; i < 4; i++)
		assert_contains(r->out, harness_fmt("  fleet %s ", subs[i]));
	assert_contains(r->out, "--on-error stop|continue");
	for (int i = 0; i < 4; i++) {
		r = run((const char *const[]){ "fleet", subs[i], "-h", NULL });
		assert_ok(r);
		assert_starts_with(
			r->out, harness_fmt("usage: retort fleet %s", subs[i]));
		assert_contains(r->out, "--targets FILE");
		assert_nothing_done(r);
	}
	r = harness_at(NULL, NULL, "--help", NULL);
	for (int i = 0; i < 4; i++)
		assert_contains(r->out, harness_fmt("\n  fleet %s ", subs[i]));
}
END_TEST

START_TEST(test_unknown_command)
{
	assert_usage_error(harness_at(NULL, "linear", "frobnicate", NULL),
			   "frobnicate");
}
END_TEST

START_TEST(test_unknown_global_option)
{
	assert_usage_error(
		harness_at(NULL, "linear", "--frob", "upgrade", "head", NULL),
		"--frob");
}
END_TEST

/* --sql belongs to upgrade and downgrade: before the command, after
 * another one, or with --sample, it is a usage error that says where it
 * goes, before anything is read or connected. */
START_TEST(test_sql_misplaced)
{
	static const char *const argvs[][5] = {
		{ "--sql", "upgrade", "head" },
		{ "history", "--sql" },
		{ "current", "--sql" },
		{ "stamp", "--sql", "head" },
		{ "upgrade", "--sql", "--sample", "head" },
	};
	const struct harness_result *r = run(argvs[_i]);

	if (_i < 4) {
		assert_usage_error(
			r, "--sql is an option of upgrade and downgrade only");
		assert_contains(r->err, "retort upgrade --sql TARGET");
	} else {
		assert_usage_error(
			r, "--sql and --sample cannot be used together");
	}
	assert_not_contains(r->err, "unknown option");
	assert_nothing_done(r);
}
END_TEST

/* upgrade --sql and downgrade --sql are the commands' own: their target is
 * checked before connecting, as without --sql. */
START_TEST(test_sql_checks_its_target_first)
{
	static const char *const argvs[][4] = {
		{ "upgrade", "--sql", "a b" },
		{ "downgrade", "a b", "--sql" },
	};
	const struct harness_result *r = run(argvs[_i]);

	assert_usage_error(r, "malformed target 'a b'");
	assert_nothing_done(r);
}
END_TEST

/* A global option after the command counts as one before it; one that
 * is neither global nor the command's stays an error. */
START_TEST(test_global_option_after_command)
{
	const struct harness_result *r = run((const char *const[]){
		"upgrade", "head", "--versions",
		harness_fmt("%s/nowhere", harness_tmpdir()), NULL });

	assert_exit(r, 2);
	assert_contains(r->err, "nowhere");
	assert_not_contains(r->err, "unknown option");
	r = run((const char *const[]){ "history", "-x", "k=v", "-q",
				       "--connect-timeout=5", NULL });
	assert_ok(r);
	assert_contains(r->out, "001");
	r = run((const char *const[]){ "history", "--connect-timeout", "x",
				       NULL });
	assert_usage_error(r, "--connect-timeout: \"x\" is not a whole number");
	r = run((const char *const[]){ "current", "-q", "--frob", NULL });
	assert_usage_error(r, "unknown option '--frob' for 'current'");
	r = run((const char *const[]){ "history", "--", "--quiet", NULL });
	assert_usage_error(r, "'history' takes no arguments");
}
END_TEST

START_TEST(test_no_command)
{
	const struct harness_result *r = harness_at(NULL, "linear", NULL);

	assert_exit(r, 2);
	ck_assert_str_ne(r->err, "");
}
END_TEST

START_TEST(test_option_missing_value)
{
	const struct harness_result *r =
		harness_at(NULL, "linear", "--url", NULL);

	assert_exit(r, 2);
	assert_contains(r->err, "url");
}
END_TEST

/* --tenant-schema: in --help, and a bad name or a clash with the ini's
 * version_table_schema refused before connecting (the URL leads
 * nowhere: exit 2, not a connection failure). */
START_TEST(test_tenant_schema_usage)
{
	char long_name[65];
	const struct harness_result *r = harness_at(NULL, NULL, "--help", NULL);

	assert_ok(r);
	assert_contains(r->out, "--tenant-schema SCHEMA");
	assert_usage_error(run((const char *const[]){
				   "current", "--tenant-schema", NULL }),
			   "tenant-schema");
	assert_usage_error(run((const char *const[]){ "--tenant-schema", "",
						      "current", NULL }),
			   "the tenant schema is empty");
	memset(long_name, 't', 64);
	long_name[64] = '\0';
	assert_usage_error(
		run((const char *const[]){ "--tenant-schema", long_name,
					   "current", NULL }),
		"the tenant schema is longer than 63 bytes");
	harness_write_file("retort.ini", "[retort]\nversion_table_schema = "
					 "shared\ntenant_schema = t1\n");
	assert_usage_error(run((const char *const[]){ "current", NULL }),
			   "a tenant schema and version_table_schema are both "
			   "set");
}
END_TEST

/*
 * The completion scripts' helper: not in --help (it is for scripts), but
 * a command like the others for its usage mistakes.
 */
START_TEST(test_completion_helper)
{
	const struct harness_result *r = harness_at(NULL, NULL, "--help", NULL);

	assert_ok(r);
	assert_not_contains(r->out, "__complete");
	r = run((const char *const[]){ "__complete-revisions", "-h", NULL });
	assert_ok(r);
	assert_starts_with(r->out, "usage: retort __complete-revisions");
	assert_usage_error(run((const char *const[]){ "__complete-revisions",
						      "surplus", NULL }),
			   "'__complete-revisions' takes no arguments");
	assert_usage_error(
		run((const char *const[]){ "__complete-revisions",
					   "--no-such-option", NULL }),
		"unknown option '--no-such-option'");
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli_usage");
	TCase *tc = harness_tcase("help");

	tcase_add_loop_test(tc, test_help, 0, 2);
	tcase_add_loop_test(tc, test_command_help, 0, 2 * N_COMMANDS);
	tcase_add_loop_test(tc, test_command_help_after_arguments, 0,
			    N_COMMANDS);
	suite_add_tcase(s, tc);

	tc = harness_tcase("usage_errors");
	tcase_add_loop_test(tc, test_command_bad_option, 0, N_COMMANDS);
	tcase_add_loop_test(tc, test_command_misuse, 0, N_MISUSES);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_fleet_help);
	tcase_add_test(tc, test_unknown_global_option);
	tcase_add_test(tc, test_no_command);
	tcase_add_loop_test(tc, test_sql_misplaced, 0, 5);
	tcase_add_loop_test(tc, test_sql_checks_its_target_first, 0, 2);
	tcase_add_test(tc, test_global_option_after_command);
	tcase_add_test(tc, test_option_missing_value);
	tcase_add_test(tc, test_tenant_schema_usage);
	tcase_add_test(tc, test_completion_helper);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(cli_suite(), HARNESS_NO_DB);
}
