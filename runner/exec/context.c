/*
 * context.c - the host's view of a retort_ctx.
 */
#include "exec/context.h"

#include <string.h>

struct host_ctx *host_of(retort_ctx *ctx)
{
	return (struct host_ctx *)ctx;
}

void host_record(struct host_ctx *hc, const struct retort_error *err)
{
	if (hc->failed)
		return;
	hc->error = *err;
	hc->failed = true;
}

int host_rec_prelude(struct host_ctx *hc, struct retort_error *err)
{
	if (!hc->rec || !db_prelude_pending(hc->db))
		return 0;
	if (recorder_runner_script(hc->rec, hc->db->prelude) < 0)
		return error_set(err, RETORT_FAILED,
				 "out of memory recording the rehearsal");
	return db_flush(hc->db, err);
}

long host_rec_begin(struct host_ctx *hc, enum capture_origin origin,
		    const char *sql, int nparams, const char *const *values,
		    double *t0)
{
	long idx = recorder_add(hc->rec, origin, sql, sql ? strlen(sql) : 0,
				nparams, values, hc->rec->caller);

	*t0 = recorder_now();
	return idx;
}

int host_rec_end(struct host_ctx *hc, long idx, double t0, bool ok)
{
	struct retort_error err;

	if (recorder_done(hc->rec, hc->db, idx, t0, ok, &err) == 0)
		return 0;
	host_record(hc, &err);
	return -1;
}
