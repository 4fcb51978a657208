/*
 * cmd_scaffold.c - revision, merge and init: writing new revision sources
 * and new migration projects.
 */
#include "cmd.h"

static int not_yet(const char *name, struct retort_error *err)
{
	return error_set(err, RETORT_USAGE, "'%s' is not available yet", name);
}

int cmd_revision(struct app *app, const struct cmd_args *args,
		 struct retort_error *err)
{
	(void)app;
	(void)args;
	return not_yet("revision", err);
}

int cmd_merge(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	(void)app;
	(void)args;
	return not_yet("merge", err);
}

int cmd_init(struct app *app, const struct cmd_args *args,
	     struct retort_error *err)
{
	(void)app;
	(void)args;
	return not_yet("init", err);
}
