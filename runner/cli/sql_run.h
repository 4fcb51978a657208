/*
 * sql_run.h - upgrade --sql and downgrade --sql: the SQL script a run
 * would send, from a rehearsal on a shadow copy of the target's schema.
 */
#ifndef RETORT_SQL_RUN_H
#define RETORT_SQL_RUN_H

#include "cli/cmd.h"

/*
 * Plan from where the target stands (read without the migration lock),
 * check the plan as the run would, rehearse it on a shadow holding the
 * target's schema and version rows (the global --shadow-url's database,
 * else a scratch one on the target's server), and print the script on
 * app->out; nothing else goes there.  The target is never written.  A
 * revision that fails in the rehearsal is exit 1 with PostgreSQL's error,
 * and no script is printed.
 */
int sql_run(struct app *app, enum plan_direction direction,
	    const struct cmd_args *args, struct retort_error *err);

#endif
