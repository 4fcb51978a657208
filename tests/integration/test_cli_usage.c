/*
 * Integration: the command line itself.  Help goes to stdout with exit 0;
 * a usage mistake is exit 2 with the culprit named on stderr.  No database
 * is needed: nothing here may get as far as connecting.
 */
#include "harness.h"

static const char *const commands[] = {
	"upgrade", "downgrade", "current", "history", "heads",
};

#define N_COMMANDS (int)(sizeof(commands) / sizeof(commands[0]))

static void assert_usage_error(const struct harness_result *r,
			       const char *culprit)
{
	assert_exit(r, 2);
	assert_starts_with(r->err, "retort: ");
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
	for (int i = 0; i < N_COMMANDS; i++)
		assert_contains(r->out, commands[i]);
}
END_TEST

START_TEST(test_command_help)
{
	const char *cmd = commands[_i];
	const struct harness_result *r =
		harness_at(NULL, NULL, cmd, "--help", NULL);

	assert_ok(r);
	assert_contains(r->out, cmd);
}
END_TEST

START_TEST(test_command_short_help)
{
	const char *cmd = commands[_i];
	const struct harness_result *r =
		harness_at(NULL, NULL, cmd, "-h", NULL);

	assert_ok(r);
	assert_contains(r->out, cmd);
}
END_TEST

START_TEST(test_command_bad_option)
{
	const char *cmd = commands[_i];
	const struct harness_result *r =
		harness_at(NULL, "linear", cmd, "--bogus", "head", NULL);

	assert_usage_error(r, "--bogus");
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

START_TEST(test_no_command)
{
	const struct harness_result *r = harness_at(NULL, "linear", NULL);

	assert_exit(r, 2);
	ck_assert_str_ne(r->err, "");
}
END_TEST

START_TEST(test_missing_target)
{
	static const char *const cmds[] = { "upgrade", "downgrade" };
	const struct harness_result *r =
		harness_at(NULL, "linear", cmds[_i], NULL);

	assert_exit(r, 2);
	assert_contains(r->err, cmds[_i]);
	assert_str_eq(r->out, "");
}
END_TEST

START_TEST(test_extra_argument)
{
	assert_usage_error(
		harness_at(NULL, "linear", "upgrade", "head", "surplus", NULL),
		"upgrade");
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

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli_usage");
	TCase *tc = harness_tcase("help");

	tcase_add_loop_test(tc, test_help, 0, 2);
	tcase_add_loop_test(tc, test_command_help, 0, N_COMMANDS);
	tcase_add_loop_test(tc, test_command_short_help, 0, N_COMMANDS);
	suite_add_tcase(s, tc);

	tc = harness_tcase("usage_errors");
	tcase_add_loop_test(tc, test_command_bad_option, 0, N_COMMANDS);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_unknown_global_option);
	tcase_add_test(tc, test_no_command);
	tcase_add_loop_test(tc, test_missing_target, 0, 2);
	tcase_add_test(tc, test_extra_argument);
	tcase_add_test(tc, test_option_missing_value);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(cli_suite(), HARNESS_NO_DB);
}
