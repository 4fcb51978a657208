/*
 * rules.c - the lint rules: each one looks at one classified statement,
 * with what the rehearsal measured (locks, rewrites, lock_timeout) and
 * what the target holds (rows), and what earlier statements of the run
 * did (tables created, checks added).  A table created earlier in the
 * same run is never flagged: nothing uses it yet.  Pure: no I/O.
 */
#include "lint/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sqltext.h"

const struct lint_rule lint_rules[] = {
	{ "index-not-concurrent",
	  "CREATE INDEX without CONCURRENTLY on an existing table",
	  "it holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits",
	  "CREATE INDEX CONCURRENTLY, alone in a revision flagged RETORT_NO_TRANSACTION" },
	{ "concurrently-in-transaction",
	  "CREATE INDEX or REINDEX CONCURRENTLY inside a transaction",
	  "PostgreSQL refuses CONCURRENTLY inside a transaction block (a revision's transaction, or several statements in one call): the revision fails",
	  "flag the revision RETORT_NO_TRANSACTION and send the statement alone in its own retort_exec() call" },
	{ "volatile-default",
	  "ADD COLUMN with a volatile DEFAULT (random(), gen_random_uuid(), clock_timestamp(), nextval()...) or a stored generated column on an existing table",
	  "PostgreSQL computes it for every row, rewriting the whole table under an ACCESS EXCLUSIVE lock",
	  "add the column without that default (a constant or now() needs no rewrite), set the default for new rows, then fill the old rows with retort_backfill()" },
	{ "rewriting-type-change",
	  "ALTER COLUMN TYPE that rewrites an existing table",
	  "the table and its indexes are rewritten under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite",
	  "add a column of the new type, fill it with retort_backfill(), switch the code to it, then drop the old one (expand/contract); varchar(n) to a longer varchar or text needs no rewrite" },
	{ "set-not-null",
	  "ALTER COLUMN SET NOT NULL on an existing table without a validated CHECK (column IS NOT NULL)",
	  "PostgreSQL scans the whole table under an ACCESS EXCLUSIVE lock to prove there is no NULL",
	  "ADD CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT c in a later revision, then SET NOT NULL (PostgreSQL 12+ trusts the check and skips the scan) and drop c" },
	{ "constraint-not-not-valid",
	  "FOREIGN KEY or CHECK constraint added to an existing table without NOT VALID",
	  "every existing row is checked while a lock that blocks writes is held (ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key)",
	  "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later revision: validating takes only a SHARE UPDATE EXCLUSIVE lock" },
	{ "validate-in-same-transaction",
	  "VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID, on a large table",
	  "the strong lock of the ADD CONSTRAINT is still held while VALIDATE scans the table, so NOT VALID gains nothing",
	  "VALIDATE CONSTRAINT in a later revision" },
	{ "access-exclusive-on-large-table",
	  "ACCESS EXCLUSIVE lock on a large existing table held through a rewrite or a full scan",
	  "every read and write of the table, and every query queued behind them, waits until the rewrite or scan ends",
	  "the online form of the change (CONCURRENTLY, NOT VALID then VALIDATE, a new column filled with retort_backfill()), or a maintenance window" },
	{ "no-lock-timeout",
	  "SHARE or stronger lock on an existing table while lock_timeout is 0",
	  "waiting behind a long query, the lock request blocks every query queued after it for as long as it waits",
	  "set ddl_lock_timeout in retort.ini (or SET LOCAL lock_timeout = '5s' in the revision) and run again when it times out" },
	{ "large-data-change",
	  "UPDATE or DELETE of a large table in one statement",
	  "one transaction locks every row it touches, bloats the table and holds back vacuum and replicas until it commits",
	  "retort_backfill(): batches of bounded size, each committed, resumable" },
	{ "drop-column", "DROP COLUMN on an existing table",
	  "code still running that reads or writes the column (SELECT *, an ORM's column list) fails once it is gone",
	  "stop using the column in a release first, then drop it in a later revision (expand/contract)" },
	{ "drop-table", "DROP TABLE of an existing table",
	  "code still running that uses the table fails once it is gone",
	  "stop using the table in a release first, then drop it in a later revision (expand/contract)" },
	{ "rename-column", "RENAME COLUMN on an existing table",
	  "code still running that uses the old name fails once the rename commits",
	  "add the new column, write both, fill it with retort_backfill(), switch reads, then drop the old one (expand/contract)" },
	{ "rename-table", "RENAME TO of an existing table",
	  "code still running that uses the old name fails once the rename commits",
	  "create the new name as an updatable view of the old table (or the other way round) while code moves over, then drop it (expand/contract)" },
};

const size_t lint_nrules = sizeof(lint_rules) / sizeof(lint_rules[0]);

const struct lint_rule *rules_find(const char *id, size_t len)
{
	size_t i;

	for (i = 0; i < lint_nrules; i++)
		if (strlen(lint_rules[i].id) == len &&
		    memcmp(lint_rules[i].id, id, len) == 0)
			return &lint_rules[i];
	return NULL;
}

void rules_relation_name(const char *rel, char out[CLASSIFY_QNAME])
{
	struct sql_lexer lx;
	struct sql_token t;
	size_t n = 0;

	out[0] = '\0';
	sqltext_lexer_init(&lx, rel, strlen(rel));
	while (sqltext_next(&lx, &t) && n + 1 < CLASSIFY_QNAME) {
		if (t.kind == SQL_TOK_DOT) {
			out[n++] = '.';
			out[n] = '\0';
		} else if (t.kind == SQL_TOK_WORD || t.kind == SQL_TOK_QIDENT)
			sqltext_name(&t, out + n, CLASSIFY_QNAME - n);
		else
			break;
		n = strlen(out);
	}
}

bool rules_same_relation(const char *a, const char *b)
{
	char na[CLASSIFY_QNAME], nb[CLASSIFY_QNAME];
	const char *da, *db;

	rules_relation_name(a, na);
	rules_relation_name(b, nb);
	if (strcmp(na, nb) == 0)
		return na[0] != '\0';
	da = strrchr(na, '.');
	db = strrchr(nb, '.');
	/* One qualified, one not: the same table when the names agree. */
	if (da && !db)
		return strcmp(da + 1, nb) == 0;
	if (db && !da)
		return strcmp(db + 1, na) == 0;
	return false;
}

/* "table\x1fsecond[\x1fthird]" into list; sets w->oom when it cannot. */
static void names_add(struct lint_walk *w, struct name_list *list,
		      const char *table, const char *second, const char *third)
{
	char buf[3 * CLASSIFY_QNAME];
	char **grown, *copy;

	snprintf(buf, sizeof(buf), "%s%s%s%s%s", table, second ? "\x1f" : "",
		 second ? second : "", third ? "\x1f" : "", third ? third : "");
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 8;

		grown = realloc(list->items, cap * sizeof(*grown));
		if (!grown) {
			w->oom = true;
			return;
		}
		list->items = grown;
		list->cap = cap;
	}
	copy = strdup(buf);
	if (!copy) {
		w->oom = true;
		return;
	}
	list->items[list->n++] = copy;
}

/*
 * The entry of list for table whose next part is rest ("" = the table
 * alone), or NULL.
 */
static const char *names_find(const struct name_list *list, const char *table,
			      const char *rest)
{
	char name[CLASSIFY_QNAME];
	size_t i;

	for (i = 0; i < list->n; i++) {
		const char *sep = strchr(list->items[i], '\x1f');
		size_t len = sep ? (size_t)(sep - list->items[i])
				 : strlen(list->items[i]);
		const char *tail = sep ? sep + 1 : "";

		size_t rest_len = strlen(rest);

		if (len >= sizeof(name) || strncmp(tail, rest, rest_len) != 0 ||
		    (tail[rest_len] != '\0' && tail[rest_len] != '\x1f'))
			continue;
		memcpy(name, list->items[i], len);
		name[len] = '\0';
		if (rules_same_relation(name, table))
			return list->items[i];
	}
	return NULL;
}

static void names_release(struct name_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->items[i]);
	free(list->items);
	*list = (struct name_list){ 0 };
}

void rules_walk_release(struct lint_walk *w)
{
	names_release(&w->created);
	names_release(&w->not_valid);
	names_release(&w->checked);
	names_release(&w->pending_checks);
}

void rules_end_step(struct lint_walk *w)
{
	names_release(&w->not_valid);
	w->lock_timeout[0] = '\0';
}

static const struct capture_stmt *stmt_now(const struct lint_walk *w)
{
	return &w->c->stmts[w->stmt];
}

static const struct capture_step *step_now(const struct lint_walk *w)
{
	return &w->c->steps[w->step];
}

/* The statement that carries the measure of the current one's group. */
static const struct capture_stmt *measured(const struct lint_walk *w)
{
	const struct capture_step *step = step_now(w);
	size_t group = stmt_now(w)->measured_with, i = w->stmt;

	while (i + 1 < step->first + step->n &&
	       w->c->stmts[i + 1].measured_with == group)
		i++;
	return &w->c->stmts[i];
}

static const struct table_facts *facts_of(const struct lint_walk *w,
					  const char *table)
{
	size_t i;

	for (i = 0; i < w->nfacts; i++)
		if (w->facts[i].relation &&
		    rules_same_relation(w->facts[i].relation, table))
			return &w->facts[i];
	return NULL;
}

static bool target_has(const struct lint_walk *w, const char *table)
{
	const struct table_facts *f = facts_of(w, table);

	return f && f->exists;
}

/* Whether a lock on table was recorded, and if so whether it existed. */
static bool lock_existed(const struct lint_walk *w, const char *table,
			 bool *existed)
{
	size_t i, j;

	for (i = 0; i < w->c->n; i++)
		for (j = 0; j < w->c->stmts[i].nlocks; j++)
			if (rules_same_relation(
				    w->c->stmts[i].locks[j].relation, table)) {
				*existed = w->c->stmts[i].locks[j].existed;
				return true;
			}
	return false;
}

/*
 * Whether table is there before the run: not created by it, and not
 * known to be missing.  What nothing tells is taken to exist.
 */
static bool existing(const struct lint_walk *w, const char *table)
{
	const struct table_facts *f;
	bool existed;

	if (!table[0] || names_find(&w->created, table, ""))
		return false;
	f = facts_of(w, table);
	if (f)
		return f->exists;
	if (lock_existed(w, table, &existed))
		return existed;
	return true;
}

/* Whether table is large in the target; if so, the fact said in fact. */
static bool large(const struct lint_walk *w, const char *table, char *fact,
		  size_t size)
{
	const struct table_facts *f = facts_of(w, table);

	if (!existing(w, table) || !f || !f->exists || !f->rows_known ||
	    f->rows < w->set->large_rows)
		return false;
	snprintf(fact, size, "%s has about %.0f rows in the target", table,
		 f->rows);
	return true;
}

static bool waived(const struct capture_step *step, const char *id)
{
	const char *p = step->lint_allow;
	size_t len = strlen(id);

	while (p && *p) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == len && memcmp(p, id, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* The first line of the statement judged now, cut to fit. */
static void first_line(const struct lint_walk *w, char *out)
{
	size_t n = strcspn(w->text, "\n");

	if (n > w->len)
		n = w->len;
	if (n > LINT_STATEMENT_MAX)
		n = LINT_STATEMENT_MAX;
	memcpy(out, w->text, n);
	out[n] = '\0';
}

static void emit(struct lint_walk *w, const char *id, const char *table,
		 const char *fact)
{
	struct lint_report *r = w->out;
	struct lint_finding *f;

	if (!w->judged)
		return;
	if (waived(step_now(w), id)) {
		r->waived++;
		return;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		struct lint_finding *grown =
			realloc(r->items, cap * sizeof(*grown));

		if (!grown) {
			w->oom = true;
			return;
		}
		r->items = grown;
		r->cap = cap;
	}
	f = &r->items[r->n++];
	*f = (struct lint_finding){ .rule = rules_find(id, strlen(id)),
				    .step = w->step,
				    .stmt = w->stmt };
	first_line(w, f->statement);
	snprintf(f->table, sizeof(f->table), "%s", table);
	snprintf(f->fact, sizeof(f->fact), "%s", fact ? fact : "");
}

/* Whether it ran inside a transaction block, explicit or implicit. */
static bool in_transaction(const struct lint_walk *w)
{
	return (step_now(w)->mode == CAPTURE_IN_TRANSACTION &&
		!stmt_now(w)->autocommit) ||
	       w->nsub > 1;
}

static bool rewrote(const struct lint_walk *w, const char *table)
{
	const struct capture_stmt *m = measured(w);
	size_t i;

	for (i = 0; i < m->nrewrites; i++)
		if (rules_same_relation(m->rewrites[i], table))
			return true;
	return false;
}

static bool is_strong(const char *mode)
{
	return strcmp(mode, "ShareLock") == 0 ||
	       strcmp(mode, "ShareRowExclusiveLock") == 0 ||
	       strcmp(mode, "ExclusiveLock") == 0 ||
	       strcmp(mode, "AccessExclusiveLock") == 0;
}

/* A strong lock on table that the measure of this statement recorded;
 * -1 when nothing was measured (autocommit), so the text must tell. */
static int measured_strong(const struct lint_walk *w, const char *table)
{
	const struct capture_stmt *m = measured(w);
	size_t i;

	if (stmt_now(w)->autocommit || m->nlocks == 0)
		return -1;
	for (i = 0; i < m->nlocks; i++)
		if (is_strong(m->locks[i].mode) &&
		    rules_same_relation(m->locks[i].relation, table))
			return 1;
	return 0;
}

/* Whether the text alone says it takes SHARE or stronger on its table. */
static bool text_strong(const struct sql_class *cls)
{
	size_t i;

	switch (cls->kind) {
	case SQL_CREATE_INDEX:
	case SQL_REINDEX:
		return !cls->concurrently;
	case SQL_DROP_TABLE:
	case SQL_VACUUM_FULL:
	case SQL_CLUSTER:
		return true;
	case SQL_ALTER_TABLE:
		for (i = 0; i < cls->nalters; i++)
			if (cls->alters[i].kind != ALTER_VALIDATE_CONSTRAINT)
				return true;
		return false;
	default:
		return false;
	}
}

static bool timeout_is_zero(const char *v)
{
	return strcmp(v, "0") == 0 || strcmp(v, "0ms") == 0 ||
	       strcmp(v, "0s") == 0 || strcmp(v, "default") == 0;
}

static void judge_lock_timeout(struct lint_walk *w)
{
	const char *table = w->cls.table, *timeout = stmt_now(w)->lock_timeout;
	char fact[160];
	int strong;

	if (!timeout && w->lock_timeout[0])
		timeout = w->lock_timeout;
	if (!timeout)
		timeout = w->set->lock_timeout ? w->set->lock_timeout : "0";
	if (!timeout_is_zero(timeout) || !existing(w, table))
		return;
	strong = measured_strong(w, table);
	if (strong == 0 || (strong < 0 && !text_strong(&w->cls)))
		return;
	snprintf(fact, sizeof(fact), "lock_timeout was %s as it ran", timeout);
	emit(w, "no-lock-timeout", table, fact);
}

/* access-exclusive-on-large-table, once for the statement. */
static void judge_large_lock(struct lint_walk *w, bool rewrite_or_scan)
{
	char fact[160];

	if ((rewrite_or_scan || rewrote(w, w->cls.table)) &&
	    large(w, w->cls.table, fact, sizeof(fact)))
		emit(w, "access-exclusive-on-large-table", w->cls.table, fact);
}

static void judge_index(struct lint_walk *w)
{
	if (w->cls.concurrently && in_transaction(w))
		emit(w, "concurrently-in-transaction", w->cls.table, NULL);
	else if (w->cls.kind == SQL_CREATE_INDEX && !w->cls.concurrently &&
		 existing(w, w->cls.table))
		emit(w, "index-not-concurrent", w->cls.table, NULL);
}

static void judge_dml(struct lint_walk *w)
{
	char fact[160];

	if (step_now(w)->mode == CAPTURE_BATCHED ||
	    stmt_now(w)->origin == CAPTURE_BACKFILL)
		return;
	if (large(w, w->cls.table, fact, sizeof(fact)))
		emit(w, "large-data-change", w->cls.table, fact);
}

/* ADD CONSTRAINT: judged, and remembered for SET NOT NULL and VALIDATE. */
static bool judge_add_constraint(struct lint_walk *w, const struct sql_alter *a)
{
	const char *table = w->cls.table;
	bool checks = a->constraint_kind == CONSTRAINT_CHECK ||
		      a->constraint_kind == CONSTRAINT_FOREIGN_KEY;

	if (a->not_valid) {
		names_add(w, &w->not_valid, table, a->constraint, NULL);
		if (a->checks_not_null[0])
			names_add(w, &w->pending_checks, table, a->constraint,
				  a->checks_not_null);
		return false;
	}
	if (a->checks_not_null[0])
		names_add(w, &w->checked, table, a->checks_not_null, NULL);
	if (checks && existing(w, table))
		emit(w, "constraint-not-not-valid", table, NULL);
	return a->constraint_kind != CONSTRAINT_FOREIGN_KEY;
}

static void judge_validate(struct lint_walk *w, const struct sql_alter *a)
{
	const char *table = w->cls.table, *pending;
	char fact[160];

	pending = names_find(&w->pending_checks, table, a->constraint);
	if (pending)
		names_add(w, &w->checked, table, strrchr(pending, '\x1f') + 1,
			  NULL);
	if (names_find(&w->not_valid, table, a->constraint) &&
	    in_transaction(w) && large(w, table, fact, sizeof(fact)))
		emit(w, "validate-in-same-transaction", table, fact);
}

static void judge_rename_table(struct lint_walk *w, const struct sql_alter *a)
{
	if (existing(w, w->cls.table))
		emit(w, "rename-table", w->cls.table, NULL);
	else if (names_find(&w->created, w->cls.table, ""))
		names_add(w, &w->created, a->new_name, NULL, NULL);
}

/* One ALTER TABLE subcommand; whether it rewrites or scans under ACCESS
 * EXCLUSIVE. */
static bool judge_alter(struct lint_walk *w, const struct sql_alter *a)
{
	const char *table = w->cls.table;
	bool exists = existing(w, table);

	switch (a->kind) {
	case ALTER_ADD_COLUMN:
		if (exists && a->volatile_default)
			emit(w, "volatile-default", table, NULL);
		return a->volatile_default;
	case ALTER_COLUMN_TYPE:
		if (!(rewrote(w, table) ||
		      (stmt_now(w)->autocommit && !a->to_text)))
			return false;
		if (exists)
			emit(w, "rewriting-type-change", table, NULL);
		return true;
	case ALTER_SET_NOT_NULL:
		if (names_find(&w->checked, table, a->column))
			return false;
		if (exists)
			emit(w, "set-not-null", table, NULL);
		return true;
	case ALTER_ADD_CONSTRAINT:
		return judge_add_constraint(w, a);
	case ALTER_VALIDATE_CONSTRAINT:
		judge_validate(w, a);
		return false;
	case ALTER_DROP_COLUMN:
		if (exists)
			emit(w, "drop-column", table, NULL);
		return false;
	case ALTER_RENAME_COLUMN:
		if (exists)
			emit(w, "rename-column", table, NULL);
		return false;
	case ALTER_RENAME_TABLE:
		judge_rename_table(w, a);
		return false;
	default:
		return false;
	}
}

static void judge_alter_table(struct lint_walk *w)
{
	bool heavy = false;
	size_t i;

	for (i = 0; i < w->cls.nalters; i++)
		heavy |= judge_alter(w, &w->cls.alters[i]);
	judge_large_lock(w, heavy);
}

void rules_judge(struct lint_walk *w)
{
	switch (w->cls.kind) {
	case SQL_CREATE_TABLE:
		/* IF NOT EXISTS of a table the target has creates nothing. */
		if (!target_has(w, w->cls.table))
			names_add(w, &w->created, w->cls.table, NULL, NULL);
		return;
	case SQL_SET_LOCK_TIMEOUT:
		snprintf(w->lock_timeout, sizeof(w->lock_timeout), "%s",
			 w->cls.value);
		return;
	case SQL_CREATE_INDEX:
	case SQL_REINDEX:
		judge_index(w);
		break;
	case SQL_ALTER_TABLE:
		judge_alter_table(w);
		break;
	case SQL_DROP_TABLE:
		if (existing(w, w->cls.table))
			emit(w, "drop-table", w->cls.table, NULL);
		break;
	case SQL_UPDATE:
	case SQL_DELETE:
		judge_dml(w);
		break;
	case SQL_VACUUM_FULL:
	case SQL_CLUSTER:
		judge_large_lock(w, true);
		break;
	default:
		return;
	}
	judge_lock_timeout(w);
}
