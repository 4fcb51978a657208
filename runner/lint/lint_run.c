/*
 * lint_run.c - a lint from end to end: the shadow, the rehearsal in it,
 * the target's facts, the judgement.  The shadow is always closed (a
 * scratch one dropped), also when the rehearsal fails.  Never prints.
 */
#include "lint/lint_run.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "exec/rehearse.h"
#include "store/facts.h"
#include "store/shadow.h"

double lint_run_large_rows(const struct config *cfg)
{
	if (cfg && cfg->lint_large_rows)
		return strtod(cfg->lint_large_rows, NULL);
	return LINT_DEFAULT_LARGE_ROWS;
}

/* Each step's waivers, from its revision's metadata. */
static int set_waivers(const struct revmap *map, struct capture *c,
		       struct retort_error *err)
{
	for (size_t i = 0; i < c->nsteps; i++) {
		struct capture_step *step = &c->steps[i];
		const char *allow;
		size_t rev;

		if (step->lint_allow || !revmap_find(map, step->revision, &rev))
			continue;
		allow = map->revs[rev].meta->lint_allow;
		if (allow && !(step->lint_allow = strdup(allow)))
			return error_set(err, RETORT_FAILED, "out of memory");
	}
	return 0;
}

/* The target's facts of every table the capture touched, then lint. */
static int judge(struct db *target, const struct capture *c,
		 const struct lint_settings *set, struct lint_report *report,
		 struct retort_error *err)
{
	struct table_facts *facts = NULL;
	char **names = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (lint_relations(c, &names, &n, err) < 0)
		return -1;
	facts = calloc(n ? n : 1, sizeof(*facts));
	if (!facts) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	if (facts_read(target, (const char *const *)names, n, facts, err) < 0)
		goto out;
	rc = lint_capture(c, facts, n, set, report, err);
out:
	if (facts)
		facts_release(facts, n);
	free(facts);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int lint_run_plan(struct db *target, const char *shadow_url,
		  const struct revmap *map, const struct plan *plan,
		  const struct step_opts *opts, const struct lint_settings *set,
		  struct capture *c, struct lint_report *report,
		  struct retort_error *err)
{
	struct shadow s = { 0 };
	struct retort_error rehearsal = { 0 };
	int rc;

	rc = shadow_clone_schema(&s, target, NULL, shadow_url, err);
	if (rc == 0 && rehearse_plan(&s.db, map, plan, opts, c, &rehearsal) < 0)
		rc = 1;
	if (shadow_close(&s, rc < 0 ? -1 : 0, err) < 0)
		return -1;
	if (set_waivers(map, c, err) < 0 ||
	    judge(target, c, set, report, err) < 0)
		return -1;
	if (rc == 1) {
		*err = rehearsal;
		return -1;
	}
	return 0;
}
