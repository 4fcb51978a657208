/*
 * fuzz_target.c - libFuzzer target for Alembic's target grammar:
 * revmap_resolve() and revmap_plan(), both directions, on a fixed graph
 * from several database states.
 *
 * Whatever the target string, the calls return 0 or -1 with a message,
 * name only real revisions, free all they allocate and trip no sanitizer.
 */
#define _GNU_SOURCE /* memfd_create(), in fuzz.h */

#include "fuzz.h"
#include "graph/revmap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define REV(i, d, labels, deps)                                                \
	{                                                                      \
		.id = i, .down_revision = d, .branch_labels = labels,          \
		.depends_on = deps, .path = "versions/" i ".c"                 \
	}

/*
 * Two histories.  Main: a1b2 -> a1c3 -> b2d4, a branch point; b2d4 ->
 * c3e5 -> d4a7 and b2d4 -> c3f6 meet again in the merge e5b8 -> f6c9.
 * Extra: 0aa1 -> 0ab2 (which needs c3e5), a branch point for 0bc3 (which
 * needs the label core) and 1cd4.  Hex-like ids make "a1", "c3" and "0a"
 * ambiguous prefixes; "beef" and "headed" sit next to keywords.
 */
static const struct revision_meta metas[] = {
	REV("a1b2", NULL, "core", NULL),
	REV("a1c3", "a1b2", NULL, NULL),
	REV("b2d4", "a1c3", NULL, NULL),
	REV("c3e5", "b2d4", "left", NULL),
	REV("c3f6", "b2d4", "right", NULL),
	REV("d4a7", "c3e5", NULL, NULL),
	REV("e5b8", "d4a7, c3f6", NULL, NULL),
	REV("f6c9", "e5b8", "main_line", NULL),
	REV("0aa1", "", "extra", NULL),
	REV("0ab2", "0aa1", NULL, "c3e5"),
	REV("0bc3", "0ab2", "x1, x2", "core"),
	REV("1cd4", "0ab2", NULL, NULL),
	REV("beef", "f6c9", NULL, "0bc3"),
	REV("headed", "1cd4", NULL, NULL),
};

/* Version-table rows: none, one, and two heads on different branches. */
static const char *const rows_one[] = { "c3e5" };
static const char *const rows_two[] = { "f6c9", "0ab2" };
static const char *const rows_merged[] = { "d4a7", "c3f6" };

static struct revmap *map;
static struct revstate states[4];

static void init_failed(const char *what, const struct retort_error *err)
{
	fprintf(stderr, "fuzz_target: %s: %s\n%s\n", what, err->msg,
		err->detail);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *const *rows[] = { NULL, rows_one, rows_two, rows_merged };
	size_t nrows[] = { 0, N(rows_one), N(rows_two), N(rows_merged) };
	struct retort_error err;
	size_t i;

	(void)argc;
	(void)argv;
	error_clear(&err);
	if (revmap_build(metas, N(metas), &map, &err) < 0)
		init_failed("revmap_build", &err);
	for (i = 0; i < N(states); i++)
		if (revmap_state(map, rows[i], nrows[i], &states[i], &err) < 0)
			init_failed("revmap_state", &err);
	return 0;
}

static void check_list(const struct revlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->items[i] >= map->n)
			abort();
}

static void check_plan(const struct plan *plan)
{
	size_t i;

	for (i = 0; i < plan->n; i++) {
		if (plan->steps[i].rev >= map->n)
			abort();
		check_list(&plan->steps[i].remove);
		check_list(&plan->steps[i].insert);
	}
}

static void try_resolve(const struct revstate *state, const char *target)
{
	struct revlist list = { NULL, 0 };
	struct retort_error err;
	int rc;

	error_clear(&err);
	rc = revmap_resolve(map, state, target, &list, &err);
	fuzz_check_result(rc, &err);
	if (rc == 0)
		check_list(&list);
	revlist_release(&list);
}

static void try_plan(const struct revstate *state, enum plan_direction dir,
		     const char *target)
{
	struct plan plan = { NULL, 0 };
	struct retort_error err;
	int rc;

	error_clear(&err);
	rc = revmap_plan(map, state, dir, target, &plan, &err);
	fuzz_check_result(rc, &err);
	if (rc == 0)
		check_plan(&plan);
	plan_release(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *target = fuzz_strdup(data, size);
	size_t i;

	/* No state: a caller that has not connected (revision --head ...). */
	try_resolve(NULL, target);
	try_plan(NULL, PLAN_UPGRADE, target);
	try_plan(NULL, PLAN_DOWNGRADE, target);
	for (i = 0; i < N(states); i++) {
		try_resolve(&states[i], target);
		try_plan(&states[i], PLAN_UPGRADE, target);
		try_plan(&states[i], PLAN_DOWNGRADE, target);
	}
	free(target);
	return 0;
}
