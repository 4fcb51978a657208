/* test_lint.h - what the lint_rules suite's files share. */
#ifndef RETORT_TEST_LINT_H
#define RETORT_TEST_LINT_H

#include <check.h>

/* test_classify.c's cases, run by test_lint_rules.c's suite. */
TCase *classify_tcase(void);

#endif
