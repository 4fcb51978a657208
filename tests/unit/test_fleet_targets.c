/*
 * test_fleet_targets.c - unit tests for fleet/targets.c: the targets
 * file's lines, labels given and made, and the mistakes it refuses.
 */
#include "fleet/targets.h"

#include <check.h>
#include <string.h>

static const char file[] =
	"# the EU region\n"
	"\n"
	"eu-1 postgresql://app:s3cret@db1.example:6432/app\n"
	"  eu-2\tservice=eu2  \n"
	"postgresql://app:s3cret@db3.example/app\n"
	"host=10.0.0.5 port=5433 dbname=shop user=app password=s3cret\r\n"
	"eu-4 postgresql://db4.example/app  # the new region\n"
	"eu-5\thost=db5 password='a #b' # quoted\n";

START_TEST(test_parse_file)
{
	struct fleet_targets t = { 0 };
	struct retort_error err = { 0 };

	ck_assert_int_eq(fleet_targets_parse(&t, file, "fleet.txt", &err), 0);
	ck_assert_uint_eq(t.n, 6);
	ck_assert_str_eq(t.v[0].label, "eu-1");
	ck_assert_str_eq(t.v[0].url,
			 "postgresql://app:s3cret@db1.example:6432/app");
	ck_assert_str_eq(t.v[0].host_key, "db1.example:6432");
	ck_assert_str_eq(t.v[1].label, "eu-2");
	ck_assert_str_eq(t.v[1].url, "service=eu2");
	ck_assert_str_eq(t.v[1].host_key, "service=eu2");
	ck_assert_str_eq(t.v[2].label, "db3.example/app");
	ck_assert_str_eq(t.v[2].host_key, "db3.example:5432");
	ck_assert_str_eq(t.v[3].label, "10.0.0.5:5433/shop");
	ck_assert_ptr_null(strstr(t.v[3].label, "s3cret"));
	ck_assert_ptr_null(t.v[3].schema);
	ck_assert_str_eq(t.v[4].label, "eu-4");
	ck_assert_str_eq(t.v[4].url, "postgresql://db4.example/app");
	ck_assert_str_eq(t.v[5].label, "eu-5");
	ck_assert_str_eq(t.v[5].url, "host=db5 password='a #b'");
	fleet_targets_release(&t);
}
END_TEST

START_TEST(test_schema_label)
{
	struct fleet_targets t = { 0 };
	struct retort_error err = { 0 };

	ck_assert_int_eq(fleet_targets_add(&t, NULL, "postgresql://h/app",
					   "tenant_7", &err),
			 0);
	ck_assert_str_eq(t.v[0].label, "tenant_7");
	ck_assert_str_eq(t.v[0].schema, "tenant_7");
	fleet_targets_release(&t);
}
END_TEST

static const struct {
	const char *text, *msg;
} refused[] = {
	{ "# nothing\n\n", "fleet.txt names no target" },
	{ "a postgresql://h/x\na postgresql://h/y\n",
	  "two targets are called a" },
	{ "postgresql://h/x\npostgresql://h/x\n",
	  "two targets are called h/x" },
	{ "eu-1\n", "fleet.txt:1: target eu-1 has no URL" },
	{ "\nx postgresql://u:s3cret@h/x?bogus=1\n", "invalid database URL" },
	{ "x host='unterminated password=s3cret\n", "invalid database URL" },
};

START_TEST(test_refused)
{
	struct fleet_targets t = { 0 };
	struct retort_error err = { 0 };

	ck_assert_int_eq(
		fleet_targets_parse(&t, refused[_i].text, "fleet.txt", &err),
		-1);
	ck_assert_int_eq(err.status, RETORT_USAGE);
	ck_assert_msg(strstr(err.msg, refused[_i].msg), "%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, "s3cret"));
	ck_assert_ptr_null(strstr(err.detail, "s3cret"));
	fleet_targets_release(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fleet_targets");
	TCase *tc = tcase_create("targets");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_file);
	tcase_add_test(tc, test_schema_label);
	tcase_add_loop_test(tc, test_refused, 0,
			    sizeof(refused) / sizeof(refused[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
