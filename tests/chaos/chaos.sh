#!/usr/bin/env bash
# tests/chaos/chaos.sh - the fault-injection suite, in TAP: runners raced,
# killed with SIGKILL, interrupted, cut off from a restarted server, handed
# revisions that crash, bad connection settings and hostile names.  After
# every fault it looks at what the database holds: the version table must
# match the schema (no revision half-applied, none applied twice, none that
# was committed lost), and a rerun must complete.
#
#   tests/chaos/chaos.sh [--full] [SCENARIO...]
#
# Scenarios (default: all of them, in this order):
#   concurrent      8 runners started together on the 200 chaos revisions
#   kill9           SIGKILL at random moments of a 200-revision upgrade, to
#                   the runner's process group, the parent or the worker; a
#                   kill that lands after the run finished is checked as a
#                   complete run (exit 0, at head), and one such late kill
#                   always happens
#   signals         SIGINT/SIGTERM at random moments: exit 130/143; one
#                   that lands after the run finished is checked as a
#                   complete run, and one such late signal always happens
#   restart         PostgreSQL stopped and restarted in the middle of a run
#                   (its own cluster, through scripts/dev-db)
#   crash           revisions that segfault, abort, exit(0), leak a
#                   PGresult, or play with the transaction themselves
#   no_transaction  RETORT_NO_TRANSACTION: CONCURRENTLY succeeding, failing
#                   and timing out
#   timeouts        --ddl-lock-timeout and --statement-timeout
#   inputs          wrong password, unknown database, refused connection,
#                   bad URLs, unreadable or broken retort.ini, junk in .env
#   names           hostile version table names are quoted, never executed
#                   (5 names and a hostile schema; --full: 10 names); the
#                   longest accepted (59 bytes) works, longer are refused
#   pooler          through PgBouncer in transaction pooling mode: 4 and 8
#                   runners together (each exits 0, each revision applied
#                   once, afterwards no lock left held and a direct runner
#                   with --lock-timeout 2s gets it at once), SIGKILL to the
#                   lock's holder inside a slow revision then a run that
#                   completes within RETORT_TEST_LEASE_WAIT, a backfill, a
#                   backfill killed and resumed, examples/users_locale
#                   (2 kills; --full: 3 rounds of 4 and 8, 6 kills, larger
#                   tables)
#   fleet           `retort fleet upgrade` over 3 clusters of its own
#                   (scripts/dev-db start --tmpfs) × 4 databases (--full:
#                   × 100) on the fleet fixture, its runner killed with
#                   SIGKILL at random moments (2 kills; --full: 5), then a
#                   rerun that finishes the job: every database at 020,
#                   every version table matching its schema
#
# Counts: CI's by default (1 round of 8 runners, 5 kills, 2 signals, 1
# restart); --full is scripts/chaos's (3 rounds, 20 kills, 8 signals, 3
# restarts).  The last lines are a summary table as TAP comments: scenario,
# runs (runner invocations under a fault), failures (checks that failed),
# data lost (failed checks of the database's integrity) and known (checks
# of known runner bugs, reported as TODO until fixed).
#
# Environment (tests/chaos/meson.build sets the first four and CHAOS_BACKFILL
# and CHAOS_EXAMPLES):
#   RETORT_BIN                the runner
#   CHAOS_REVISIONS           the built chaos revisions (c001 ... c200)
#   RETORT_FIXTURES           the built fixture scenarios
#   CHAOS_DEV_DB              scripts/dev-db, which `restart` runs a cluster of
#                             its own with (RETORT_DEV_DB_STATE)
#   RETORT_TEST_DATABASE_URL  an admin postgresql:// URL that may CREATE
#                             DATABASE and CREATE ROLE; without it the suite
#                             skips (or fails when RETORT_REQUIRE_DB=1)
#   CHAOS_SEED                the seed of the random moments (printed)
#   RETORT_TEST_POOLER_URL    PgBouncer in transaction pooling mode in front
#                             of the same server (scripts/dev-db pgbouncer
#                             start); without it `pooler` skips (or fails
#                             when RETORT_REQUIRE_DB=1)
#   CHAOS_BACKFILL            the backfill fixture `counter` (meson sets it)
#   CHAOS_EXAMPLES            the built examples (meson sets it)
#   RETORT_TEST_LEASE_WAIT    seconds a pooled runner may wait for the lock
#                             of a runner killed with SIGKILL (default 15)
#   RETORT_TEST_LEASE_ARGS    options for every pooled runner, split on
#                             spaces (default: --lock-lease 3s)
#
# No set -e: every status is looked at, and a failing check must not stop
# the others.
set -uo pipefail

readonly all_scenarios=(concurrent kill9 signals restart crash no_transaction
	timeouts inputs names pooler fleet)
readonly head=200 # the chaos revisions: c001 ... c200

full=0
scenarios=()
work=
psql=
admin=
own_cluster=
t=0
scenario=
declare -A runs=() fails=() lost=() known=()
databases=()
roles=()
groups=()
fleet_clusters=()

# ---- TAP ----

pass() {
	t=$((t + 1))
	printf 'ok %d - %s: %s\n' "$t" "$scenario" "$1"
}

diag() {
	printf '%s\n' "$@" | cut -c1-2000 | sed 's/^/#   /'
}

# flunk DESCRIPTION [DIAGNOSTIC...]
flunk() {
	t=$((t + 1))
	fails[$scenario]=$((${fails[$scenario]:-0} + 1))
	printf 'not ok %d - %s: %s\n' "$t" "$scenario" "$1"
	shift
	[[ $# -eq 0 ]] || diag "$@"
}

skip() {
	t=$((t + 1))
	printf 'ok %d - %s: %s # SKIP %s\n' "$t" "$scenario" "$1" "$2"
}

# The last run, for a failure's diagnostics.
last_run() {
	printf '%s\n' "command: ${cmd:-}" "exit status: ${rc:-}" \
		"stdout (its end): $(tail -n 4 <<<"${out:-}")" \
		"stderr: $(head -n 12 <<<"${err:-}")"
}

# check DESCRIPTION COMMAND...: pass when COMMAND succeeds; else fail,
# showing why (set by the predicates) and the last run.
check() {
	local what=$1
	shift
	why=
	if "$@"; then
		pass "$what"
	else
		flunk "$what" ${why:+"why: $why"} "$(last_run)"
	fi
}

# check_data DESCRIPTION COMMAND...: a check of the database's integrity
# (the version table against the schema, nothing applied twice, nothing
# committed lost, nothing touched that must not be); a failure also
# counts as data lost.
check_data() {
	local before=${fails[$scenario]:-0}

	check "$@"
	if [[ ${fails[$scenario]:-0} -ne $before ]]; then
		lost[$scenario]=$((${lost[$scenario]:-0} + 1))
	fi
}

# known BUG DESCRIPTION COMMAND...: a check that a known runner bug fails
# today: TAP's TODO, so it shows without failing the suite, and passes
# unexpectedly (failing meson) once the bug is fixed.
known() {
	local bug=$1 what=$2
	shift 2
	why=
	t=$((t + 1))
	if "$@"; then
		printf 'ok %d - %s: %s # TODO %s\n' "$t" "$scenario" "$what" "$bug"
	else
		known[$scenario]=$((${known[$scenario]:-0} + 1))
		printf 'not ok %d - %s: %s # TODO %s\n' "$t" "$scenario" \
			"$what" "$bug"
		diag ${why:+"why: $why"} "$(last_run)"
	fi
}

ran() {
	runs[$scenario]=$((${runs[$scenario]:-0} + ${1:-1}))
}

# ---- predicates: return 0 or 1, and say why in $why ----

exit_is() {
	[[ $rc -eq $1 ]] && return 0
	why="exit status $rc, expected $1"
	return 1
}

err_has() {
	local s
	for s; do
		[[ $err == *"$s"* ]] || {
			why="stderr lacks \"$s\""
			return 1
		}
	done
}

# err_has_any TEXT...: stderr holds one of them.
err_has_any() {
	local s
	for s; do
		[[ $err == *"$s"* ]] && return 0
	done
	why="stderr holds none of: $*"
	return 1
}

out_has() {
	[[ $out == *"$1"* ]] && return 0
	why="stdout lacks \"$1\""
	return 1
}

# nowhere TEXT...: neither output holds any TEXT (a password, say).
nowhere() {
	local s
	for s; do
		[[ $out != *"$s"* && $err != *"$s"* ]] || {
			why="\"$s\" was printed"
			return 1
		}
	done
}

exit_in() {
	local s
	for s; do
		[[ $rc -eq $s ]] && return 0
	done
	why="exit status $rc, expected one of $*"
	return 1
}

# fails_with STATUS TEXT...: exit STATUS, a well-formed error holding TEXT.
fails_with() {
	exit_is "$1" && errors_well_formed && err_has "${@:2}"
}

# fails_fast MS TEXT...: stderr holds TEXT, and the run took under MS.
fails_fast() {
	err_has "${@:2}" && fast "$1"
}

# succeeds_with TEXT: exit 0, stdout holding TEXT.
succeeds_with() {
	exit_is 0 && out_has "$1"
}

# errors_well_formed: stderr is "retort: error:" then detail/hint lines.
errors_well_formed() {
	local line first=1
	[[ -n $err ]] || {
		why="stderr is empty"
		return 1
	}
	while IFS= read -r line; do
		if [[ $first -eq 1 && $line != 'retort: error: '* ]]; then
			why="stderr does not start with \"retort: error: \""
			return 1
		fi
		first=0
		if [[ $line != 'retort: '* ]]; then
			why="stderr line without the retort: prefix: $line"
			return 1
		fi
	done <<<"$err"
}

is() {
	[[ $1 == "$2" ]] && return 0
	why="got \"$1\", expected \"$2\""
	return 1
}

# ---- environment ----

bail() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

find_psql() {
	local p
	if p=$(command -v psql); then
		printf '%s\n' "$p"
		return
	fi
	p=$(compgen -G '/usr/lib/postgresql/*/bin/psql' | sort -V | tail -n 1)
	[[ -n $p ]] || return 1
	printf '%s\n' "$p"
}

# sql URL SQL [NAME=VALUE...]: run SQL (the values as psql variables, to be
# used as :'NAME'); prints the rows unaligned, columns joined by |.
sql() {
	local url=$1 text=$2 kv vars=()
	shift 2
	for kv; do
		vars+=(-v "$kv")
	done
	"$psql" -X -q -At -v ON_ERROR_STOP=1 "${vars[@]}" -d "$url" -f - \
		<<<"$text"
}

# The admin URL's parts: scheme://userinfo@hostport/db?query.
url_re='^(postgres(ql)?)://(([^@/]*)@)?([^/?]*)(/[^?]*)?(\?.*)?$'

# url_for DB [USER PASSWORD]: the admin URL pointed at database DB, as
# USER with PASSWORD if given.
url_for() {
	local db=$1 user=${2:-} password=${3:-} auth
	[[ $admin =~ $url_re ]] || bail "RETORT_TEST_DATABASE_URL is not a postgresql:// URL"
	auth=${BASH_REMATCH[4]}
	if [[ -n $user ]]; then
		auth="$user:$password"
	fi
	printf '%s://%s%s/%s%s\n' "${BASH_REMATCH[1]}" "${auth:+$auth@}" \
		"${BASH_REMATCH[5]}" "$db" "${BASH_REMATCH[7]}"
}

# The server's host:port as the admin URL names it.
hostport() {
	[[ $admin =~ $url_re ]] || bail "RETORT_TEST_DATABASE_URL is not a postgresql:// URL"
	printf '%s\n' "${BASH_REMATCH[5]}"
}

# new_db LABEL: a fresh database; sets db (its name) and url.
new_db() {
	db="chaos_${1}_$$_${#databases[@]}"
	sql "$admin" "CREATE DATABASE \"$db\"" ||
		bail "cannot create database $db"
	databases+=("$db")
	url=$(url_for "$db")
}

drop_databases() {
	local d
	for d in "${databases[@]}"; do
		sql "$admin" "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" \
			>/dev/null 2>&1
	done
	databases=()
}

cleanup() {
	local g r
	for g in "${groups[@]}"; do
		kill -KILL -- "-$g" 2>/dev/null
	done
	if [[ -n $admin ]]; then
		drop_databases
		for r in "${roles[@]}"; do
			sql "$admin" "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1
		done
	fi
	if [[ -n $own_cluster ]]; then
		RETORT_DEV_DB_STATE=$own_cluster "$CHAOS_DEV_DB" destroy \
			>/dev/null 2>&1
	fi
	for r in "${fleet_clusters[@]}"; do
		RETORT_DEV_DB_STATE=$r "$CHAOS_DEV_DB" destroy >/dev/null 2>&1
	done
	[[ -z $work ]] || rm -rf -- "$work"
}

# retort ARGS...: run the runner in $work (or $run_cwd) as $run_as,
# $run_timeout seconds at most; sets rc, out, err and cmd.
run_cwd=
run_as=()
run_timeout=120
retort() {
	cmd="retort $*"
	rc=0
	(cd "${run_cwd:-$work}" &&
		exec timeout -k 5 "$run_timeout" "${run_as[@]}" "$RETORT_BIN" "$@") \
		</dev/null >"$work/out" 2>"$work/err" || rc=$?
	out=$(<"$work/out")
	err=$(<"$work/err")
}

# unprivileged_run_as USER: as root, make `retort` run as USER (through
# runuser) and return 0 if USER can run it on the fixtures; as another
# user, return 0 with nothing to change.  Otherwise $why says why not.
unprivileged_run_as() {
	[[ $(id -u) -eq 0 ]] || return 0
	run_as=(runuser -u "$1" --)
	why=
	if ! command -v runuser >/dev/null; then
		why="runuser (util-linux) is not installed"
	elif ! id "$1" >/dev/null 2>&1; then
		why="there is no user $1"
	elif ! "${run_as[@]}" test -x "$RETORT_BIN" -a \
		-r "$RETORT_FIXTURES/linear/001_create_a.so"; then
		why="$1 cannot reach $RETORT_BIN and the fixtures: make the build directory and its parents readable and searchable by others"
	fi
	[[ -z $why ]] && return 0
	run_as=()
	return 1
}

# chaos ARGS...: retort on the chaos revisions and the current database.
chaos() {
	retort --url "$url" --versions "$CHAOS_REVISIONS" "$@"
}

# fixture SCENARIO ARGS...: retort on a fixture scenario.
fixture() {
	local dir=$RETORT_FIXTURES/$1
	shift
	retort --url "$url" --versions "$dir" "$@"
}

ms_to_s() {
	printf '%d.%03d\n' $(($1 / 1000)) $(($1 % 1000))
}

now_ms() {
	printf '%s\n' $(($(date +%s%N) / 1000000))
}

# ---- what the database holds ----

# versions [TABLE [SCHEMA]]: the version table's rows, comma-joined;
# "none" when it does not exist.
versions() {
	sql "$url" "SELECT CASE WHEN :'s' = '' THEN quote_ident(:'t')
		ELSE quote_ident(:'s') || '.' || quote_ident(:'t') END AS n \\gset
		SELECT to_regclass(:'n') IS NULL AS absent \\gset
		\\if :absent
		SELECT 'none';
		\\else
		SELECT coalesce(string_agg(version_num, ',' ORDER BY version_num),
			'') FROM :n;
		\\endif" t="${1:-alembic_version}" s="${2:-}"
}

# tables PATTERN: the public tables whose names match the LIKE pattern.
tables() {
	sql "$url" "SELECT coalesce(string_agg(relname, ',' ORDER BY relname),
		'') FROM pg_class WHERE relkind = 'r' AND relname LIKE :'p'
		AND relnamespace = 'public'::regnamespace" p="$1"
}

# versions_are ROWS [TABLE [SCHEMA]]
versions_are() {
	is "$(versions "${@:2}")" "$1"
}

tables_are() {
	is "$(tables "$1")" "$2"
}

# "1-5 7 9-10" from a sorted list of numbers.
ranges() {
	awk '{ for (i = 1; i <= NF; i++) {
		if (i > 1 && $i == prev + 1) { end = $i }
		else { if (i > 1) out = out range(start, end) " "; start = end = $i }
		prev = $i } }
		END { if (NF) out = out range(start, end); print out }
		function range(a, b) { return a == b ? a : a "-" b }'
}

# consistent: the chaos database's version table matches its schema: at
# version cN, tables t_1 ... t_N and no other, chaos_log holding exactly
# one row for each of c001 ... cN (and retort_history, when the runner
# keeps one, exactly one upgrade row each).  Sets applied to N.
consistent() {
	local flags has_v has_log has_h v tables_now want logged hist
	applied=0
	if ! flags=$(sql "$url" "SELECT to_regclass('alembic_version') IS NOT
		NULL, to_regclass('chaos_log') IS NOT NULL,
		to_regclass('retort_history') IS NOT NULL"); then
		why="cannot read the database"
		return 1
	fi
	IFS='|' read -r has_v has_log has_h <<<"$flags"
	v=
	if [[ $has_v == t ]]; then
		v=$(sql "$url" "SELECT coalesce(string_agg(version_num, ','), '')
			FROM alembic_version")
	fi
	case $v in
	'') applied=0 ;;
	c[0-9][0-9][0-9]) applied=$((10#${v#c})) ;;
	*)
		why="the version table holds \"$v\""
		return 1
		;;
	esac
	tables_now=$(sql "$url" "SELECT coalesce(string_agg(substr(relname, 3),
		' ' ORDER BY substr(relname, 3)::int), '') FROM pg_class
		WHERE relkind = 'r' AND relname ~ '^t_[0-9]+\$'
		AND relnamespace = 'public'::regnamespace")
	want=$(seq -s ' ' 1 "$applied")
	if [[ $tables_now != "$want" ]]; then
		why="at \"${v:-base}\" but the tables are t_{$(ranges <<<"$tables_now")}: a revision is half-applied"
		return 1
	fi
	if [[ $applied -eq 0 ]]; then
		[[ $has_log == f ]] && return 0
		why="at base but chaos_log exists"
		return 1
	fi
	logged=$(sql "$url" "SELECT count(*), count(DISTINCT rev), min(rev),
		max(rev) FROM chaos_log")
	if [[ $logged != "$applied|$applied|c001|$v" ]]; then
		why="at $v but chaos_log has rows, distinct revisions, first, last = $logged: a revision ran twice or its log row is lost"
		return 1
	fi
	[[ $has_h == t ]] || return 0
	hist=$(sql "$url" "SELECT count(*), count(DISTINCT revision)
		FROM retort_history WHERE direction = 'upgrade'
		AND revision LIKE 'c%'")
	if [[ $hist != "$applied|$applied" ]]; then
		why="at $v but retort_history has upgrade rows, distinct revisions = $hist"
		return 1
	fi
}

# consistent_at N: consistent, at cN.
consistent_at() {
	consistent || return 1
	[[ $applied -eq $1 ]] && return 0
	why="at $applied revisions, expected $1"
	return 1
}

has_history() {
	[[ $(sql "$url" "SELECT to_regclass('retort_history') IS NOT NULL") == t ]]
}

# history_is TEXT: retort_history's rows as "direction revision,...".
history_is() {
	if ! has_history; then
		why="no retort_history"
		return 1
	fi
	is "$(sql "$url" "SELECT coalesce(string_agg(direction || ' ' ||
		revision, ',' ORDER BY id), '') FROM retort_history")" "$1"
}

# check_history DESCRIPTION TEXT: the audit trail, when the runner keeps one.
check_history() {
	if has_history; then
		check "$1" history_is "$2"
	else
		skip "$1" "no retort_history in this build"
	fi
}

# quiet_db: wait (15 s at most) until no session but ours is connected to
# the database: a killed runner's backend has rolled back and gone.
quiet_db() {
	local i
	for ((i = 0; i < 150; i++)); do
		[[ $(sql "$url" "SELECT count(*) FROM pg_stat_activity WHERE
			datname = current_database() AND pid <> pg_backend_pid()
			AND backend_type = 'client backend'") == 0 ]] && return 0
		sleep 0.1
	done
	why="a session of the killed runner is still connected after 15 s"
	return 1
}

# group_gone PGID SECONDS: wait until no process of the group is left.
group_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		pgrep -g "$1" >/dev/null || return 0
		sleep 0.1
	done
	why="still running after $2 s: $(pgrep -a -g "$1" | tr '\n' ';')"
	return 1
}

# start_runner ARGS...: the chaos runner in a process group of its own, as
# a deploy system starts a job; sets pid (= its process group).  The
# revisions are $run_versions if set, else the chaos revisions.
start_runner() {
	setsid "$RETORT_BIN" --url "$url" \
		--versions "${run_versions:-$CHAOS_REVISIONS}" "$@" \
		</dev/null >"$work/bg.out" 2>"$work/bg.err" &
	pid=$!
	groups=("$pid")
	cmd="setsid retort $* (pid $pid)"
}

# end_group: forget the runner's process group, killing what is left of
# it (a group with a member left is still ours; an empty one may be reused).
end_group() {
	if pgrep -g "$pid" >/dev/null; then
		kill -KILL -- "-$pid" 2>/dev/null
		group_gone "$pid" 5
	fi
	groups=()
}

# finish_runner: wait for it; sets rc, out and err.
finish_runner() {
	rc=0
	# Quietly: bash would report a job killed by a signal on stderr.
	{ wait "$pid"; } 2>/dev/null || rc=$?
	out=$(<"$work/bg.out")
	err=$(<"$work/bg.err")
}

# hold_lock TABLE: another session takes ACCESS EXCLUSIVE on TABLE and
# keeps it until release_lock (60 s at most).
hold_lock() {
	local i
	PGAPPNAME=chaos_holder "$psql" -X -q -d "$url" -c "BEGIN; LOCK TABLE
		$1 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" \
		>/dev/null 2>&1 &
	holder=$!
	for ((i = 0; i < 100; i++)); do
		holding "$1" && return 0
		sleep 0.1
	done
	bail "the lock holder did not get its lock on $1"
}

holding() {
	[[ $(sql "$url" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
		USING (pid) WHERE a.application_name = 'chaos_holder'
		AND l.relation = to_regclass(:'t') AND l.granted
		AND l.mode = 'AccessExclusiveLock'" t="$1") == 1 ]]
}

release_lock() {
	sql "$url" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'chaos_holder'
		AND datname = current_database()" >/dev/null
	wait "$holder" 2>/dev/null
}

fast() {
	[[ $elapsed -lt $1 ]] && return 0
	why="took $elapsed ms, expected under $1 ms"
	return 1
}

# timed ARGS...: chaos ARGS, setting elapsed (ms).
timed() {
	local start
	start=$(now_ms)
	chaos "$@"
	elapsed=$(($(now_ms) - start))
}

# race N NAME CMD...: N copies of CMD started together, each with its
# output in $work/NAME<i>.out and .err; waits for all of them and sets
# rcs to their exit statuses, space-separated, in order.
race() {
	local n=$1 name=$2 i status
	local -a pids=()
	shift 2
	for ((i = 1; i <= n; i++)); do
		"$@" </dev/null >"$work/$name$i.out" 2>"$work/$name$i.err" &
		pids+=($!)
	done
	rcs=
	for ((i = 1; i <= n; i++)); do
		status=0
		wait "${pids[i - 1]}" || status=$?
		rcs+="$status "
	done
}

# ---- scenarios ----

# 8 runners started together: each revision applied exactly once, all exit
# 0.  Rounds after the first start from a database part of the way up.
scenario_concurrent() {
	local rounds=$((full ? 3 : 1)) nrun=8 r start_at rcs lines
	for ((r = 1; r <= rounds; r++)); do
		new_db concurrent
		start_at=$(((r - 1) * 70))
		if [[ $start_at -gt 0 ]]; then
			chaos -q upgrade "c$(printf '%03d' "$start_at")"
			[[ $rc -eq 0 ]] || bail "cannot upgrade to c$start_at: $err"
		fi
		race "$nrun" c "$RETORT_BIN" --url "$url" \
			--versions "$CHAOS_REVISIONS" upgrade head
		ran "$nrun"
		cmd="$nrun x retort upgrade head, together (round $r, from c$start_at)"
		out=$(cat "$work"/c*.out)
		err=$(cat "$work"/c*.err)
		rc=${rcs% }
		check "round $r: all $nrun runners exit 0" is "$rc" \
			"$(printf '0 %.0s' $(seq "$nrun") | sed 's/ $//')"
		check "round $r: stderr holds only lock-wait lines" \
			is "$(grep -v '^retort: waiting for the migration lock on "alembic_version", held by retort [^ ]* pid [0-9]* on ' <<<"$err" | grep -c .)" 0
		lines=$(grep -c '^Running upgrade' <<<"$out")
		check "round $r: the runs overlapped (a runner waited for the lock)" \
			err_has "retort: waiting for the migration lock"
		check "round $r: $((head - start_at)) revisions announced in all" \
			is "$lines" "$((head - start_at))"
		check "round $r: no revision announced twice" \
			is "$(grep '^Running upgrade' <<<"$out" | sort | uniq -d | head -n 3)" ""
		check_data "round $r: at c$head, each revision applied exactly once (chaos_log$(has_history && printf ', retort_history'))" \
			consistent_at "$head"
		rm -f "$work"/c*.out "$work"/c*.err
	done
}

# SIGKILL at random moments of an upgrade, to the whole process group (as
# a deploy system kills a job), to the parent alone, or to the worker alone
# (as the OOM killer might); after each, the database must be consistent
# and nothing committed lost; at the end a rerun completes.  A kill that
# comes after the run finished (its last revisions took less than the
# delay) is one of the outcomes, checked for what it is: a complete run.
scenario_kill9() {
	local kills=$((full ? 20 : 5)) k delay mode before=0
	local -a modes=(group parent worker)
	orphan_check
	late_kill
	new_db kill9
	for ((k = 1; k <= kills; k++)); do
		if [[ $before -eq $head ]]; then
			new_db kill9
			before=0
		fi
		delay=$((RANDOM % 1500 + 10))
		mode=${modes[RANDOM % 3]}
		start_runner -q -x chaos_sleep=0.02 upgrade head
		sleep "$(ms_to_s "$delay")"
		kill_runner "$mode"
		kill_outcome "kill $k" "SIGKILL to the $mode after $delay ms" \
			"$before"
		before=$applied
	done
	chaos upgrade head
	check "a rerun after the kills exits 0" exit_is 0
	check "the rerun runs the $((head - before)) revisions left" \
		is "$(grep -c '^Running upgrade' <<<"$out")" "$((head - before))"
	check_data "after the rerun: at c$head, each revision applied exactly once" \
		consistent_at "$head"
}

# kill_runner MODE: SIGKILL to the runner started by start_runner: its
# process group, the parent, or the worker (the group when there is no
# worker any more).  Sets mode to what was aimed at, and landed to 0 when
# nothing was left to kill: the run had ended by itself.
kill_runner() {
	local worker
	mode=$1
	landed=1
	worker=$(pgrep -P "$pid" | head -n 1)
	[[ $mode != worker || -n $worker ]] || mode=group
	case $mode in
	group) kill -KILL -- "-$pid" 2>/dev/null || landed=0 ;;
	parent) kill -KILL "$pid" 2>/dev/null || landed=0 ;;
	worker) kill -KILL "$worker" 2>/dev/null || landed=0 ;;
	esac
	finish_runner
	ran
}

# kill_outcome LABEL WHAT BEFORE: after kill_runner, what the run and the
# database show, whichever came first, the kill or the end of the run;
# BEFORE is the revision count the database had when the run started.
# Sets applied.
kill_outcome() {
	local label=$1 what=$2 before=$3
	if [[ $rc -eq 0 ]]; then
		# The runner said it was done: the kill came too late to stop
		# anything (or found no process).  The run must be whole.
		pass "$label ($what): the run had finished before the kill (exit 0)"
		check_data "$label: the finished run left c$head, each revision applied exactly once" \
			consistent_at "$head"
	elif [[ $landed -eq 0 ]]; then
		flunk "$label ($what): the runner was gone before the kill, yet it failed" \
			"$(last_run)"
	elif [[ $mode == worker ]]; then
		check "$label ($what): the parent reports it, exit 1" \
			fails_with 1 "killed by signal 9"
	fi
	check "$label ($what): no process of the run left within 15 s" \
		group_gone "$pid" 15
	end_group
	check "$label: its database session ends" quiet_db
	check_data "$label: the version table matches the schema" consistent
	check_data "$label: nothing committed is lost (c$before -> c$applied)" \
		test "$applied" -ge "$before"
}

# A kill that always comes late: the one revision left runs to its end,
# the runner exits and is reaped, then the group is killed (what a random
# delay longer than the run's last revisions does).
late_kill() {
	local i
	new_db kill9
	chaos -q upgrade "c$(printf '%03d' $((head - 1)))"
	[[ $rc -eq 0 ]] || bail "cannot upgrade to c$((head - 1)): $err"
	start_runner -q upgrade head
	for ((i = 0; i < 300; i++)); do
		pgrep -g "$pid" >/dev/null || break
		sleep 0.1
	done
	kill_runner group
	kill_outcome "late kill" "SIGKILL to the group after the run ended" \
		"$((head - 1))"
}

# The parent alone SIGKILLed while its worker sleeps 3 s inside c001: the
# worker must not run on as an orphan, but stop at once and roll back.
orphan_check() {
	local i
	new_db kill9
	start_runner -q -x chaos_sleep=3 upgrade c002
	for ((i = 0; i < 150; i++)); do
		[[ $(sql "$url" "SELECT count(*) FROM pg_stat_activity WHERE
			datname = current_database() AND state = 'active'
			AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()") == 1 ]] &&
			break
		sleep 0.1
	done
	check "the runner runs in a process group of its own (what a group kill needs)" \
		is "$(ps -o pgid= -p "$pid" | tr -d ' ')" "$pid"
	kill -KILL "$pid"
	finish_runner
	ran
	check "the parent SIGKILLed inside a revision: its worker stops within 2 s" \
		group_gone "$pid" 2
	end_group
	quiet_db
	check_data "the parent SIGKILLed inside a revision: c001 is rolled back" \
		consistent_at 0
}

# SIGINT or SIGTERM, to the parent (kill) or the group (Ctrl-C), at random
# moments: the run stops with 130 or 143, rolled back to a revision.
scenario_signals() {
	local count=$((full ? 8 : 2)) k delay sig to want
	local -a plan=(TERM:parent INT:group TERM:group INT:parent)
	late_signal
	new_db signals
	for ((k = 1; k <= count; k++)); do
		consistent
		[[ $applied -lt $((head - 40)) ]] || new_db signals
		sig=${plan[(k - 1) % 4]%%:*}
		to=${plan[(k - 1) % 4]#*:}
		want=143
		[[ $sig == INT ]] && want=130
		delay=$((RANDOM % 1200 + 300))
		start_runner -q -x chaos_sleep=0.02 upgrade head
		sleep "$(ms_to_s "$delay")"
		if [[ $to == group ]]; then
			kill -"$sig" -- "-$pid" 2>/dev/null
		else
			kill -"$sig" "$pid" 2>/dev/null
		fi
		finish_runner
		ran
		signal_outcome "SIG$sig" "to the $to after $delay ms" "$want"
	done
	chaos -q upgrade head
	check "a rerun after the signals exits 0" exit_is 0
	check_data "after the rerun: at c$head, each revision applied exactly once" \
		consistent_at "$head"
}

# signal_outcome SIGNAL WHAT STATUS: after a signal and finish_runner, what
# the run and the database show, whichever came first, the signal or the
# end of the run (then the run must be whole).
signal_outcome() {
	local label=$1 what=$2 want=$3
	if [[ $rc -eq 0 ]]; then
		pass "$label $what: the run had finished before the signal (exit 0)"
		check_data "$label: the finished run left c$head, each revision applied exactly once" \
			consistent_at "$head"
	else
		check "$label $what: exit $want" exit_is "$want"
		if [[ -n $err ]]; then
			check "$label: stderr says it was interrupted" \
				err_has "interrupted by $label"
		fi
	fi
	check "$label: no process of the run left within 15 s" \
		group_gone "$pid" 15
	end_group
	quiet_db
	check_data "$label: the version table matches the schema" consistent
}

# A signal that always comes late: the one revision left runs to its end
# and the runner exits before SIGTERM is sent.
late_signal() {
	local i
	new_db signals
	chaos -q upgrade "c$(printf '%03d' $((head - 1)))"
	[[ $rc -eq 0 ]] || bail "cannot upgrade to c$((head - 1)): $err"
	start_runner -q upgrade head
	for ((i = 0; i < 300; i++)); do
		pgrep -g "$pid" >/dev/null || break
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null
	finish_runner
	ran
	signal_outcome SIGTERM "to the parent after the run ended" 143
}

# PostgreSQL stopped (fast shutdown: sessions terminated) in the middle of
# a run, then started again.
scenario_restart() {
	local count=$((full ? 3 : 1)) k delay started own_admin saved_admin rev
	if [[ -z ${CHAOS_DEV_DB:-} || ! -x ${CHAOS_DEV_DB:-} ]]; then
		skip "restart" "CHAOS_DEV_DB does not name scripts/dev-db"
		return
	fi
	own_cluster=$work/cluster
	mkdir -p "$own_cluster"
	if ! started=$(RETORT_DEV_DB_STATE=$own_cluster "$CHAOS_DEV_DB" start 2>"$work/devdb.err"); then
		flunk "a cluster of its own starts (scripts/dev-db start)" \
			"$(<"$work/devdb.err")"
		return
	fi
	own_admin=$(sed -n 's/^DATABASE_URL=//p' <<<"$started")
	saved_admin=$admin
	admin=$own_admin
	for ((k = 1; k <= count; k++)); do
		new_db restart
		delay=$((RANDOM % 1500 + 300))
		start_runner -x chaos_sleep=0.02 upgrade head
		sleep "$(ms_to_s "$delay")"
		RETORT_DEV_DB_STATE=$own_cluster "$CHAOS_DEV_DB" stop \
			>/dev/null 2>&1
		local i
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			flunk "stop $k: the runner still runs 30 s after the server stopped"
			kill -KILL -- "-$pid"
		fi
		finish_runner
		group_gone "$pid" 15
		end_group
		ran
		check "stop $k after $delay ms: exit 1" exit_is 1
		check "stop $k: a clear error (retort: error: ..., the connection)" \
			err_has_any "terminating connection" \
			"server closed the connection" "cannot connect" \
			"connection to server"
		check "stop $k: the error names the revision it interrupted" \
			err_has_any "revision c" "cannot connect"
		check "stop $k: every stderr line has the retort: prefix" \
			errors_well_formed
		RETORT_DEV_DB_STATE=$own_cluster "$CHAOS_DEV_DB" start \
			>/dev/null 2>"$work/devdb.err" ||
			bail "the cluster did not start again: $(<"$work/devdb.err")"
		quiet_db
		check_data "stop $k: the version table matches the schema" consistent
		rev=$(grep -o 'revision c[0-9]*' <<<"$err" | head -n 1)
		rev=${rev#revision c}
		if [[ -n $rev && $err == *"rolled back"* ]]; then
			check_data "stop $k: revision c$rev, reported rolled back, is not applied" \
				test "$applied" -lt "$((10#$rev))"
		fi
		chaos -q upgrade head
		check "stop $k: a rerun exits 0" exit_is 0
		check_data "stop $k: after the rerun, at c$head, each revision applied once" \
			consistent_at "$head"
	done
	drop_databases
	admin=$saved_admin
	RETORT_DEV_DB_STATE=$own_cluster "$CHAOS_DEV_DB" destroy >/dev/null 2>&1
	own_cluster=
}

# crash_run MODE: the crash fixture with -x fault=MODE on a fresh database.
crash_run() {
	new_db crash
	# The sanitizers would turn a crash into their report and exit(1), and
	# an exit() into a leak report: the runner must see the real thing.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_abort=0:detect_leaks=0 \
		fixture crash -x "fault=$1" upgrade head
	ran
}

# crash_rerun MODE: without the fault, the upgrade completes.
crash_rerun() {
	fixture crash upgrade head
	check "$1: a rerun without the fault exits 0" exit_is 0
	check_data "$1: after the rerun, at 003 with each table once" \
		crash_at_head
}

crash_at_head() {
	versions_are 003 && tables_are 'crash%' crash_a,crash_b,crash_b2,crash_c &&
		is "$(sql "$url" "SELECT count(*) FROM crash_b")" 1
}

crash_at_001() {
	versions_are 001 && tables_are 'crash%' crash_a
}

# At 003, or at 001 with nothing of 002's transaction: never between.
crash_not_between() {
	crash_at_head && return 0
	versions_are 001 && tables_are crash_b2 ''
}

no_rollback_claim() {
	[[ $err != *"the revision and its version-table update were rolled back"* &&
		$err == *"stays applied"* ]] && return 0
	why="crash_b, which the revision committed itself, stays; stderr claims everything was rolled back"
	return 1
}

scenario_crash() {
	local mode what
	for mode in segv abort exit; do
		case $mode in
		segv) what="signal 11" ;;
		abort) what="signal 6" ;;
		exit) what="exit(0)" ;;
		esac
		crash_run "$mode"
		check "$mode: exit 1" exit_is 1
		check "$mode: the error names revision 002 and $what" \
			err_has "revision 002 (" "$what"
		check "$mode: the error says it was rolled back" err_has "rolled back"
		check_data "$mode: the database is at 001, nothing of 002 left" \
			crash_at_001
		check_history "$mode: the audit trail has 001 only" "upgrade 001"
		crash_rerun "$mode"
	done

	crash_run leak
	check "leak: a leaked PGresult is harmless: exit 0" exit_is 0
	check_data "leak: at 003 with each table once" crash_at_head

	crash_run begin
	check "begin: BEGIN inside the runner's transaction is harmless: exit 0" \
		exit_is 0
	check_data "begin: at 003 with each table once" crash_at_head

	crash_run commit
	check "commit: a revision that commits and opens its own transaction fails (exit 1)" \
		exit_is 1
	check "commit: the error says it ended the runner's transaction" \
		err_has "ended the runner's transaction itself"
	check "commit: the database is at 001 or 003, never between" \
		crash_not_between

	crash_run commit_fail
	check "commit_fail: exit 1" exit_is 1
	if [[ $(tables crash_b) == crash_b ]]; then
		check "commit_fail: the error does not claim a rollback of what the revision committed" \
			no_rollback_claim
	fi
	check_data "commit_fail: the version table still says 001" versions_are 001
}

# RETORT_NO_TRANSACTION: autocommit, then the version row.
scenario_no_transaction() {
	new_db no_transaction
	fixture no_transaction upgrade 003
	ran
	check "CREATE INDEX CONCURRENTLY and ALTER TYPE ADD VALUE: exit 0" \
		exit_is 0
	check "both announced" out_has "Running upgrade 002 -> 003, enum value"
	check "at 003 with the index valid" nt_state 003 nt_items_code_idx:t
	check "the enum value is added" \
		is "$(sql "$url" "SELECT enum_range(NULL::nt_mood)")" "{sad,ok,happy}"

	fixture no_transaction upgrade head
	ran
	check "CREATE UNIQUE INDEX CONCURRENTLY over duplicates: exit 1" exit_is 1
	check "the error names revision 004 and the duplicate (23505)" \
		err_has "revision 004 (" "23505"
	check "the error says the revision may be partly applied" \
		err_has_any "partly applied" "stay applied"
	check "the error says it ran outside a transaction" \
		err_has "RETORT_NO_TRANSACTION"
	check_data "the failed revision 004 is not recorded" not_recorded 004
	check "the version table stays at 003; the INVALID index is left" \
		nt_state 003 nt_items_code_idx:t,nt_items_code_key:f

	sql "$url" "DELETE FROM nt_items WHERE id = 2;
		DROP INDEX IF EXISTS nt_items_code_key" >/dev/null 2>&1
	fixture no_transaction upgrade head
	check "after the cleanup the hint asks for, a rerun exits 0" exit_is 0
	check "at 004, the unique index valid" \
		nt_state 004 nt_items_code_idx:t,nt_items_code_key:t
	check_history "the audit trail has each revision once" \
		"upgrade 001,upgrade 002,upgrade 003,upgrade 004"

	new_db no_transaction
	fixture no_transaction upgrade 001
	hold_lock nt_items
	local start
	start=$(now_ms)
	fixture no_transaction --ddl-lock-timeout 200ms upgrade 002
	elapsed=$(($(now_ms) - start))
	ran
	check "CONCURRENTLY behind another session's lock, --ddl-lock-timeout 200ms: exit 1" \
		exit_is 1
	check "it fails fast (under 10 s) with 55P03" fails_fast 10000 55P03
	check "the other session still holds its lock" holding nt_items
	release_lock
	check_data "the version table stays at 001, no index left" \
		nt_state 001 ""

	new_db no_transaction
	fixture no_transaction -x fault=leave_open upgrade 002
	ran
	check "leave_open: an autocommit revision that leaves a transaction open fails (exit 1)" \
		exit_is 1
	check_data "leave_open: the version row and the revision's open work agree" \
		leave_open_agrees
}

not_recorded() {
	[[ ,$(versions), != *",$1,"* ]] && return 0
	why="the version table holds $1"
	return 1
}

# nt_state VERSION INDEXES: the version row and index_state.
nt_state() {
	versions_are "$1" && is "$(index_state)" "$2"
}

# The version row and the autocommit revision's open work agree.
leave_open_agrees() {
	local left
	left=$(tables nt_open)
	versions_are 002 && [[ $left == nt_open ]] && return 0
	versions_are 001 && [[ -z $left ]] && return 0
	why="version $(versions), nt_open: \"$left\""
	return 1
}

# The nt_ indexes but the primary key, "name:valid", comma-joined.
index_state() {
	sql "$url" "SELECT coalesce(string_agg(c.relname || ':' ||
		i.indisvalid::text::char, ',' ORDER BY c.relname), '')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE c.relname LIKE 'nt\_%' AND NOT i.indisprimary"
}

# Per-revision timeouts.
scenario_timeouts() {
	new_db timeouts
	chaos -q upgrade c003
	[[ $rc -eq 0 ]] || bail "cannot upgrade to c003: $err"
	hold_lock chaos_log
	timed --ddl-lock-timeout 200ms upgrade c005
	ran
	check "--ddl-lock-timeout 200ms behind another session's lock: exit 1" \
		exit_is 1
	check "it fails fast (under 5 s) with SQLSTATE 55P03" \
		fails_fast 5000 55P03 "lock timeout"
	check "it names the revision and says it was rolled back" \
		err_has "revision c004 (" "rolled back"
	check "the other session still holds its lock" holding chaos_log
	release_lock
	check_data "the database stays at c003" consistent_at 3

	timed --statement-timeout 300ms -x chaos_sleep=5 upgrade c005
	ran
	check "--statement-timeout 300ms, a revision sleeping 5 s: exit 1" \
		exit_is 1
	check "it fails fast (under 4 s) with SQLSTATE 57014" \
		fails_fast 4000 57014 "statement timeout"
	check_data "the database stays at c003" consistent_at 3

	timed --statement-timeout 10s --ddl-lock-timeout 2s -x chaos_sleep=0.2 \
		upgrade c005
	check "generous timeouts: exit 0" exit_is 0
	check_data "at c005" consistent_at 5

	chaos --ddl-lock-timeout soon upgrade head
	check "--ddl-lock-timeout soon: a usage error (exit 2)" exit_is 2
	check_data "nothing touched" consistent_at 5
}

# untouched: the database has no version table.
untouched() {
	versions_are none
}

# A TCP port on the server's host where nothing listens.
free_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
			printf '%s\n' "$port"
			return
		}
	done
	bail "no free port"
}

scenario_inputs() {
	local role="chaos_pw_$$" good bad hp port u ini

	new_db inputs
	sql "$admin" "CREATE ROLE \"$role\" LOGIN PASSWORD 'Right-Pw-1';
		ALTER DATABASE \"$db\" OWNER TO \"$role\"" >/dev/null ||
		bail "cannot create role $role"
	roles+=("$role")
	good=$(url_for "$db" "$role" Right-Pw-1)
	bad=$(url_for "$db" "$role" Wr0ng-Pw-9)
	if "$psql" -X -q -At -d "$bad" -c 'SELECT 1' >/dev/null 2>&1; then
		skip "wrong password" "the server does not check passwords"
	else
		retort --url "$bad" --versions "$RETORT_FIXTURES/linear" upgrade head
		ran
		check "wrong password: exit 1" exit_is 1
		check "wrong password: a clear error naming the user and database" \
			fails_with 1 "cannot connect" "$role" "$db"
		check "wrong password: the password is never printed" nowhere Wr0ng-Pw-9
		check_data "wrong password: nothing touched" untouched
		retort --url "$good" --versions "$RETORT_FIXTURES/linear" current
		check "the right password connects (the failure was the password)" \
			exit_is 0
	fi

	u=$(url_for "chaos_nodb_$$")
	retort --url "$u" --versions "$RETORT_FIXTURES/linear" upgrade head
	ran
	check "unknown database: exit 1, naming it" \
		fails_with 1 "chaos_nodb_$$"
	check_data "unknown database: not created" \
		is "$(sql "$admin" "SELECT count(*) FROM pg_database WHERE datname = :'d'" d="chaos_nodb_$$")" 0

	port=$(free_port)
	retort --url "postgresql://$role:Wr0ng-Pw-9@127.0.0.1:$port/$db" \
		--versions "$RETORT_FIXTURES/linear" upgrade head
	ran
	check "refused connection: exit 1, naming the port" \
		fails_with 1 "$port"
	check "refused connection: the password is never printed" nowhere Wr0ng-Pw-9

	hp=$(hostport)
	bad_url 2 "an IPv6 host without its ]" \
		"postgresql://$role:Sekr3t-Pw-1@[::1/$db"
	bad_url 2 "a keyword without =" \
		"host=${hp%:*} dbname=$db password=Sekr3t-Pw-1 user"
	bad_url 2 "another scheme" "mysql://$role:Sekr3t-Pw-1@$hp/$db"
	bad_url 2 "an unknown URI parameter" \
		"postgresql://$role:Sekr3t-Pw-1@$hp/$db?nosuchoption=1"
	bad_url 12 "a port that is not a number" \
		"postgresql://$role:Sekr3t-Pw-1@${hp%:*}:notaport/$db"
	bad_url 12 "sslmode=bogus" \
		"postgresql://$role:Sekr3t-Pw-1@$hp/$db?sslmode=bogus"
	retort --url "" --versions "$RETORT_FIXTURES/linear" current
	ran
	check "an empty --url is a usage error (exit 2), not libpq's defaults" \
		fails_with 2 "--url is empty"

	# retort.ini that cannot be read: its url is good, so a runner that
	# went on would touch the database.
	ini=$work/ini
	mkdir -p "$ini/dir.ini"
	printf '[retort]\nurl = %s\nversions = %s\n' "$good" \
		"$RETORT_FIXTURES/linear" >"$ini/retort.ini"
	chmod 755 "$work" "$ini"
	run_cwd=$ini
	retort current
	check "retort.ini readable: its url connects (the control)" exit_is 0
	chmod 000 "$ini/retort.ini"
	# Root reads any file: as root, the runner runs as nobody, so the
	# refusal is tested whoever runs the suite.
	if unprivileged_run_as nobody; then
		retort upgrade head
		ran
		check "unreadable retort.ini: exit 2, naming it" \
			fails_with 2 retort.ini "Permission denied"
		check_data "unreadable retort.ini: nothing touched" untouched
	elif [[ ${CI:-} == true ]]; then
		flunk "unreadable retort.ini" "why: $why"
	else
		skip "unreadable retort.ini" "$why"
	fi
	run_as=()
	chmod 644 "$ini/retort.ini"
	retort -c dir.ini upgrade head
	ran
	check "retort.ini that is a directory: exit 2, naming it" \
		fails_with 2 dir.ini
	retort -c missing.ini upgrade head
	ran
	check "a missing -c file: exit 2, naming it" \
		fails_with 2 missing.ini
	printf 'this line is junk\n' >>"$ini/retort.ini"
	retort upgrade head
	ran
	check "retort.ini with a junk line: exit 2, naming file and line" \
		fails_with 2 retort.ini:4
	check_data "retort.ini problems: nothing touched" untouched

	# .env with junk lines: the URL on its first line is good.
	printf '[retort]\nversions = %s\n' "$RETORT_FIXTURES/linear" \
		>"$ini/retort.ini"
	dotenv 2 "a line that is not NAME=VALUE" \
		"DATABASE_URL=$good" "junk Sekr3t-Pw-2 here"
	dotenv 2 "binary garbage" "DATABASE_URL=$good" $'\x01\x02\xff\xfe Sekr3t-Pw-2'
	dotenv 2 "an unclosed quote" "DATABASE_URL='$good" "OTHER=Sekr3t-Pw-2"
	dotenv 2 "a line with no name" "=Sekr3t-Pw-2" "DATABASE_URL=$good"
	check_data ".env problems: nothing touched" untouched
	dotenv 0 "comments, blanks and export" "# the database" "" \
		"export DATABASE_URL=\"$good\"" "OTHER=1"
	check "the good .env: upgraded to head" versions_are 003
	run_cwd=
}

# bad_url STATUS WHAT URL: the URL is refused with STATUS (12: 1 or 2),
# without printing its password or touching the database.
bad_url() {
	retort --url "$3" --versions "$RETORT_FIXTURES/linear" upgrade head
	ran
	if [[ $1 -eq 12 ]]; then
		check "bad URL, $2: exit 1 or 2" exit_in 1 2
	else
		check "bad URL, $2: exit $1" exit_is "$1"
	fi
	check "bad URL, $2: a well-formed error" errors_well_formed
	check "bad URL, $2: the password is never printed" nowhere Sekr3t-Pw-1
	check_data "bad URL, $2: nothing touched" untouched
}

# dotenv STATUS WHAT LINE...: a .env of these lines in the run directory.
dotenv() {
	local status=$1 what=$2
	shift 2
	printf '%s\n' "$@" >"$ini/.env"
	retort upgrade head
	ran
	check ".env with $what: exit $status" exit_is "$status"
	if [[ $status -ne 0 ]]; then
		check ".env with $what: an error naming .env and the line" \
			fails_with "$status" .env:
		check ".env with $what: neither the password nor the line printed" \
			nowhere Right-Pw-1 Sekr3t-Pw-2
	fi
	rm -f "$ini/.env"
}

# Hostile version table names: quoted, never executed.  One database:
# each name takes the linear fixture up to head and back down to base.
scenario_names() {
	local name long59 long dir=$work/names
	long59=$(printf 'n%.0s' $(seq 59))
	mkdir -p "$dir"
	run_cwd=$dir
	new_db names
	sql "$url" "CREATE TABLE chaos_victim (id int);
		CREATE SCHEMA \"we\"\"ird sch;ema\"" >/dev/null
	local -a names=('alembic"; DROP TABLE chaos_victim; --'
		"v'); DROP TABLE chaos_victim;--" 'my version table'
		'semi;colon;DROP TABLE chaos_victim' "$long59")
	# shellcheck disable=SC2016 # '$1' is a name, not an expansion
	[[ $full -eq 0 ]] ||
		names+=('%s%n%x%p' 'back\slash' '$1' '"quoted"' 'ünïcödé')
	for name in "${names[@]}"; do
		hostile_name "$name" ""
	done
	hostile_name 'v"t' 'we"ird sch;ema'
	# "<name>_pkc", the primary key's name, must fit in 63 bytes.
	for long in "${long59}n" "${long59}nnnn"; do
		printf '[retort]\nversion_table = %s\n' "$long" >"$dir/retort.ini"
		fixture linear -q upgrade head
		ran
		check "a ${#long}-byte version_table is refused (exit 2), naming the limit" \
			fails_with 2 "version_table is longer than 59 bytes" _pkc
		check_data "a ${#long}-byte version_table: nothing created" \
			versions_are none "$long"
	done
	run_cwd=
}

only_victim() {
	tables_are chaos_victim chaos_victim && versions_are none
}

# hostile_name NAME SCHEMA: upgrade, current and downgrade with NAME (in
# SCHEMA, if not empty) as the version table.
hostile_name() {
	local name=$1 schema=$2 label
	label=$name${schema:+ in schema $schema}
	printf '[retort]\nversion_table = %s\n%s' "$name" \
		"${schema:+version_table_schema = $schema$'\n'}" >"$run_cwd/retort.ini"
	fixture linear -q upgrade head
	ran
	check "[$label] upgrade head: exit 0" exit_is 0
	check "[$label] the table of that exact name holds 003" \
		versions_are 003 "$name" "$schema"
	check_data "[$label] chaos_victim survives, no alembic_version appears" \
		only_victim
	fixture linear current
	check "[$label] current: 003 (head)" succeeds_with "003 (head)"
	fixture linear -q downgrade base
	check "[$label] downgrade base: exit 0" exit_is 0
	check "[$label] the table is empty" versions_are "" "$name" "$schema"
}

# ---- through PgBouncer in transaction pooling mode ----

# pooled DB: RETORT_TEST_POOLER_URL pointed at database DB.
pooled() {
	[[ $RETORT_TEST_POOLER_URL =~ $url_re ]] ||
		bail "RETORT_TEST_POOLER_URL is not a postgresql:// URL"
	printf '%s://%s%s/%s%s\n' "${BASH_REMATCH[1]}" \
		"${BASH_REMATCH[4]:+${BASH_REMATCH[4]}@}" "${BASH_REMATCH[5]}" \
		"$1" "${BASH_REMATCH[7]}"
}

# The pooler's pool_mode, from its admin console (SHOW CONFIG), or
# "unknown" when that cannot be read.
pool_mode() {
	local mode
	mode=$("$psql" -X -q -At -d "$(pooled pgbouncer)" -c 'SHOW CONFIG' \
		2>/dev/null | sed -n 's/^pool_mode|\([a-z]*\)|.*/\1/p')
	printf '%s\n' "${mode:-unknown}"
}

# no_lock_held: no advisory lock of the runner's class (runner/store/db.c's
# 1380275282) on the database, whoever holds it.
no_lock_held() {
	local held
	held=$(sql "$url" "SELECT coalesce(string_agg('pid ' || l.pid || ' ('
		|| coalesce(a.state, '?') || ', last: ' ||
		left(coalesce(a.query, ''), 50) || ')', '; '), '')
		FROM pg_locks l LEFT JOIN pg_stat_activity a USING (pid)
		WHERE l.locktype = 'advisory' AND l.classid = 1380275282::bigint::oid
		AND l.database = (SELECT oid FROM pg_database
		WHERE datname = current_database())")
	[[ -z $held ]] && return 0
	why="the migration lock is still held by server sessions: $held"
	return 1
}

# no_idle_in_transaction: no session of the database idle in a transaction.
no_idle_in_transaction() {
	local idle
	idle=$(sql "$url" "SELECT coalesce(string_agg('pid ' || pid || ': ' ||
		left(query, 50), '; '), '') FROM pg_stat_activity
		WHERE datname = current_database()
		AND state LIKE 'idle in transaction%'")
	[[ -z $idle ]] && return 0
	why="sessions idle in a transaction: $idle"
	return 1
}

# statements_done: wait (20 s at most) until no session of the database
# but ours runs a statement or sits in a transaction: a killed runner's
# server session has noticed and rolled back.  Pooled server connections
# stay, idle.
statements_done() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ $(sql "$url" "SELECT count(*) FROM pg_stat_activity WHERE
			datname = current_database() AND pid <> pg_backend_pid()
			AND backend_type = 'client backend'
			AND state <> 'idle'") == 0 ]] && return 0
		sleep 0.1
	done
	why="a server session still works 20 s after its runner was killed"
	return 1
}

# nothing_held LABEL REVISIONS TARGET: after a run through the pooler,
# nothing of the lock is left: no advisory lock, no session idle in a
# transaction, and a direct runner (not through the pooler) with
# --lock-timeout 2s gets the lock at once, for upgrade and stamp.
nothing_held() {
	local label=$1 versions=$2 target=$3
	check "$label: no migration lock left held on a server connection" \
		no_lock_held
	check "$label: no server session left idle in a transaction" \
		no_idle_in_transaction
	timed_direct "$versions" -q --lock-timeout 2s upgrade "$target"
	check "$label: a direct upgrade $target with --lock-timeout 2s gets the lock (exit 0)" \
		exit_is 0
	check "$label: ... at once (under 10 s)" fast 10000
	retort --url "$url" --versions "$versions" --lock-timeout 2s \
		stamp "$target"
	check "$label: a direct stamp $target with --lock-timeout 2s exits 0" \
		exit_is 0
}

# timed_direct VERSIONS ARGS...: retort on the database, not pooled; sets
# elapsed (ms).
timed_direct() {
	local start versions=$1
	shift
	start=$(now_ms)
	retort --url "$url" --versions "$versions" "$@"
	elapsed=$(($(now_ms) - start))
}

# The extra options for pooled runners (a lease short enough that a killed
# runner's lock expires within the wait below), and how long a runner may wait for a killed runner's lock.
lease_args() {
	local -a a=(--lock-lease 3s)
	# shellcheck disable=SC2206 # split on spaces, as documented
	[[ -z ${RETORT_TEST_LEASE_ARGS:-} ]] || a=($RETORT_TEST_LEASE_ARGS)
	lease=("${a[@]}")
}

lease_wait() {
	local w=${RETORT_TEST_LEASE_WAIT:-15}
	[[ $w =~ ^[0-9]+$ && $w -gt 0 ]] || w=15
	printf '%s\n' "$w"
}

# N runners through the pooler, started together on a fresh database:
# every one exits 0, each revision applied once, nothing left held.
pooler_together() {
	local nrun=$1 round=$2 purl i rcs
	new_db pooler
	purl=$(pooled "$db")
	race "$nrun" p timeout -k 5 30 "$RETORT_BIN" --url "$purl" \
		--versions "$CHAOS_REVISIONS" "${lease[@]}" \
		--lock-timeout 20s -q upgrade head
	ran "$nrun"
	cmd="$nrun x retort upgrade head through the pooler, together (round $round)"
	out=$(cat "$work"/p*.out)
	err=$(for ((i = 1; i <= nrun; i++)); do
		sed "s/^/[runner $i] /" "$work/p$i.err"
	done)
	rc=${rcs% }
	check "$nrun runners, round $round: all exit 0" is "$rc" \
		"$(printf '0 %.0s' $(seq "$nrun") | sed 's/ $//')"
	check_data "$nrun runners, round $round: at c$head, each revision applied exactly once" \
		consistent_at "$head"
	nothing_held "$nrun runners, round $round" "$CHAOS_REVISIONS" "c$head"
	rm -f "$work"/p*.out "$work"/p*.err
}

# wait_applied N: wait (30 s at most) until the runner has committed cN
# (0), or has ended (1).
wait_applied() {
	local v deadline=$(($(now_ms) + 30000))
	while [[ $(now_ms) -lt $deadline ]]; do
		kill -0 "$pid" 2>/dev/null || return 1
		v=$(sql "$url" "SELECT CASE WHEN to_regclass('alembic_version')
			IS NULL THEN '' ELSE (SELECT max(version_num)
			FROM alembic_version) END")
		[[ ${v:-c000} < $(printf 'c%03d' "$1") ]] || return 0
		sleep 0.02
	done
	return 1
}

# SIGKILL to a pooled runner while it holds the lock, inside a slow
# revision; then a runner through the pooler completes the run within
# RETORT_TEST_LEASE_WAIT seconds (it may wait for the dead runner's lease
# to expire), each revision once, and nothing stays held.
pooler_kill() {
	local k=$1 target=20 at delay purl bound start
	bound=$(lease_wait)
	new_db pooler
	purl=$(pooled "$db")
	at=$((RANDOM % 5 + 1))
	delay=$((RANDOM % 150))
	url=$purl start_runner "${lease[@]}" -q -x chaos_sleep=0.2 \
		upgrade "c0$target"
	if ! wait_applied "$at"; then
		finish_runner
		flunk "kill $k: the pooled runner did not reach c00$at" \
			"$(last_run)"
		end_group
		return
	fi
	sleep "$(ms_to_s "$delay")"
	kill -KILL -- "-$pid" 2>/dev/null
	finish_runner
	ran
	check "kill $k (SIGKILL to the group $delay ms after c00$at): no process of the run left within 15 s" \
		group_gone "$pid" 15
	end_group
	check "kill $k: the killed runner's server session ends its work" \
		statements_done
	check_data "kill $k: the version table matches the schema" consistent
	check_data "kill $k: nothing committed is lost (c00$at -> c$(printf '%03d' "$applied"))" \
		test "$applied" -ge "$at"
	start=$(now_ms)
	retort --url "$purl" --versions "$CHAOS_REVISIONS" "${lease[@]}" \
		--lock-timeout "${bound}s" -q upgrade "c0$target"
	elapsed=$(($(now_ms) - start))
	ran
	check "kill $k: the next runner through the pooler completes the run (exit 0)" \
		exit_is 0
	check "kill $k: ... within RETORT_TEST_LEASE_WAIT=$bound s (and 5 s more)" \
		fast $(((bound + 5) * 1000))
	check_data "kill $k: at c0$target, each revision applied exactly once" \
		consistent_at "$target"
	nothing_held "kill $k" "$CHAOS_REVISIONS" "c0$target"
}

# ---- a backfill through the pooler (tests/backfill/fixtures/counter) ----

# Fixed batches of N rows.
fixed() {
	printf '%s\n' -x "backfill.batch_size=$1" -x "backfill.min_batch=$1" \
		-x "backfill.max_batch=$1"
}

has_checkpoints() {
	[[ $(sql "$url" "SELECT to_regclass('retort_backfill') IS NOT NULL") == t ]]
}

# The rows the checkpoint says are done; -1 before its table exists.
rows_done() {
	if has_checkpoints; then
		sql "$url" "SELECT coalesce(sum(rows_done), 0) FROM retort_backfill"
	else
		printf '%s\n' -1
	fi
}

# Between runs: every row counted at most once, and exactly the rows up to
# the checkpoint's last key, as many as it says.
backfill_consistent() {
	local state
	if ! has_checkpoints; then
		state=$(sql "$url" "SELECT count(*) FILTER (WHERE b NOT IN (0, 1))
			|| '|' || count(*) FILTER (WHERE b <> 0) || '|0' FROM t")
	else
		state=$(sql "$url" "SELECT (SELECT count(*) FROM t
			WHERE b NOT IN (0, 1)), (SELECT count(*) FROM t
			LEFT JOIN retort_backfill r ON true
			WHERE (t.b = 1) IS DISTINCT FROM
			(t.id <= coalesce(r.last_key[1]::bigint, -1))),
			(SELECT count(*) FROM t WHERE b = 1) - coalesce((SELECT
			sum(rows_done) FROM retort_backfill), 0)")
	fi
	[[ $state == '0|0|0' ]] && return 0
	why="rows counted twice, rows not matching the checkpoint's last key, rows done minus the checkpoint's count = $state"
	return 1
}

# Done: every row counted exactly once, no checkpoint left, at 002.
backfill_done() {
	local wrong
	wrong=$(sql "$url" "SELECT count(*) FROM t
		WHERE b <> 1 OR c IS DISTINCT FROM a * 2")
	[[ $wrong == 0 ]] || {
		why="$wrong rows not counted exactly once"
		return 1
	}
	versions_are 002 || return 1
	is "$(sql "$url" "SELECT count(*) FROM retort_backfill")" 0
}

pooler_backfill() {
	local rows=$((full ? 100000 : 20000)) purl target
	local -a batch
	mapfile -t batch < <(fixed 200)
	new_db pooler
	purl=$(pooled "$db")
	# A fresh database: nothing to wait for, only the rows take time.
	run_timeout=300 retort --url "$purl" --versions "$CHAOS_BACKFILL" \
		"${lease[@]}" -x "rows=$rows" "${batch[@]}" upgrade head
	ran
	check "backfill of $rows rows through the pooler: exit 0" exit_is 0
	check_data "backfill: every row counted exactly once, no checkpoint left" \
		backfill_done
	nothing_held "backfill" "$CHAOS_BACKFILL" head

	new_db pooler
	purl=$(pooled "$db")
	run_timeout=300 retort --url "$purl" --versions "$CHAOS_BACKFILL" \
		-x "rows=$rows" upgrade 001
	[[ $rc -eq 0 ]] || bail "cannot upgrade the backfill fixture to 001: $err"
	mapfile -t batch < <(fixed 100)
	target=$((RANDOM % (rows / 2) + 500))
	url=$purl run_versions=$CHAOS_BACKFILL start_runner -q "${lease[@]}" \
		-x backfill.pause_ms=10 "${batch[@]}" upgrade head
	local deadline=$(($(now_ms) + 20000)) done_then
	while [[ $(now_ms) -lt $deadline ]]; do
		kill -0 "$pid" 2>/dev/null || break
		[[ $(rows_done) -lt $target ]] || break
		sleep 0.01
	done
	done_then=$(rows_done)
	kill -KILL -- "-$pid" 2>/dev/null
	finish_runner
	ran
	check "backfill killed (SIGKILL at $done_then rows done): no process of the run left within 15 s" \
		group_gone "$pid" 15
	end_group
	if [[ $rc -eq 0 ]]; then
		# It finished before the kill landed: a complete run.
		pass "backfill: the run had finished before the kill (exit 0)"
		check_data "backfill: the finished run counted every row exactly once" \
			backfill_done
		return
	fi
	check "backfill through the pooler: batches committed within 20 s" \
		test "$done_then" -gt 0
	check "backfill killed: its server session ends its work" statements_done
	check_data "backfill killed: each row counted at most once, as the checkpoint says ($(rows_done) rows)" \
		backfill_consistent
	retort --url "$purl" --versions "$CHAOS_BACKFILL" "${lease[@]}" \
		--lock-timeout "$(lease_wait)s" "${batch[@]}" upgrade head
	ran
	check "backfill resumed through the pooler: exit 0" exit_is 0
	check "backfill resumed: it says it resumes after the last batch" \
		err_or_out_has "resuming backfill of t"
	check_data "backfill resumed: every row counted exactly once, no checkpoint left" \
		backfill_done
	nothing_held "backfill resumed" "$CHAOS_BACKFILL" head
}

err_or_out_has() {
	[[ $out == *"$1"* || $err == *"$1"* ]] && return 0
	why="neither output holds \"$1\""
	return 1
}

# The README's walkthrough, examples/users_locale, through the pooler.
pooler_example() {
	local users=$((full ? 200000 : 20000)) purl
	[[ -n ${CHAOS_EXAMPLES:-} && -d ${CHAOS_EXAMPLES:-}/users_locale ]] || {
		skip "examples/users_locale through the pooler" "CHAOS_EXAMPLES is not set"
		return
	}
	new_db pooler
	purl=$(pooled "$db")
	run_timeout=300 retort --url "$purl" \
		--versions "$CHAOS_EXAMPLES/users_locale" "${lease[@]}" -q \
		-x "users=$users" upgrade head
	ran
	check "examples/users_locale, $users users, through the pooler: exit 0" \
		exit_is 0
	check_data "examples/users_locale: every user's locale derived" \
		is "$(sql "$url" "SELECT count(*) FROM users WHERE locale IS
			DISTINCT FROM coalesce(metadata_->>'locale', 'en')")" 0
	nothing_held "examples/users_locale" "$CHAOS_EXAMPLES/users_locale" head
}

# Everything through PgBouncer in transaction pooling mode: 4 and 8
# runners together, SIGKILL to the lock's holder, a backfill, a backfill
# killed and resumed, the README's example.
scenario_pooler() {
	local rounds=$((full ? 3 : 1)) kills=$((full ? 6 : 2)) r k mode
	local -a lease
	if [[ -z ${RETORT_TEST_POOLER_URL:-} ]]; then
		if [[ ${RETORT_REQUIRE_DB:-} == 1 ]]; then
			flunk "a pooler to run through" \
				"RETORT_REQUIRE_DB=1 but RETORT_TEST_POOLER_URL is not set (scripts/dev-db pgbouncer start prints it)"
		else
			skip "the pooler scenario" "no RETORT_TEST_POOLER_URL"
		fi
		return
	fi
	[[ -n ${CHAOS_BACKFILL:-} ]] || bail "CHAOS_BACKFILL is not set (meson sets it)"
	mode=$(pool_mode)
	if [[ $mode != transaction && $mode != unknown ]]; then
		flunk "the pooler pools by transaction" \
			"RETORT_TEST_POOLER_URL pools by $mode"
		return
	fi
	lease_args
	# A runner stuck on a lock (a timeout the pooler lost) must not hold
	# up the suite: the wait's bound and some.
	run_timeout=$(($(lease_wait) + 15))
	for ((r = 1; r <= rounds; r++)); do
		pooler_together 4 "$r"
		pooler_together 8 "$r"
	done
	for ((k = 1; k <= kills; k++)); do
		pooler_kill "$k"
	done
	pooler_backfill
	pooler_example
	run_timeout=120
}

# ---- main ----

summary() {
	local s total_runs=0 total_fails=0 total_lost=0 total_known=0
	printf '# %-16s %6s %9s %10s %6s\n' scenario runs failures "data lost" known
	for s in "${scenarios[@]}"; do
		printf '# %-16s %6d %9d %10d %6d\n' "$s" "${runs[$s]:-0}" \
			"${fails[$s]:-0}" "${lost[$s]:-0}" "${known[$s]:-0}"
		total_runs=$((total_runs + ${runs[$s]:-0}))
		total_fails=$((total_fails + ${fails[$s]:-0}))
		total_lost=$((total_lost + ${lost[$s]:-0}))
		total_known=$((total_known + ${known[$s]:-0}))
	done
	printf '# %-16s %6d %9d %10d %6d\n' total "$total_runs" "$total_fails" \
		"$total_lost" "$total_known"
}

# ---- fleet ----

# The fleet fixture's marker tables, each with the revision that creates
# it: a database at revision V has exactly those up to V.
readonly fleet_markers="accounts:1 plans:3 projects:6 sleep_marks:7 events:9
api_keys:13 invoices:16 settings:20"

# fleet_version URL: the revision a fleet database is at, "none" if it
# has no version table or no row.
fleet_version() {
	"$psql" -X -q -At -d "$1" <<'SQL'
SELECT to_regclass('alembic_version') IS NULL AS absent \gset
\if :absent
SELECT 'none';
\else
SELECT coalesce(max(version_num), 'none') FROM alembic_version;
\endif
SQL
}

# fleet_consistent URL: the version table and the marker tables agree
# (no revision half-applied); sets why.
fleet_consistent() {
	local got v
	v=$(fleet_version "$1")
	[[ $v == none ]] && v=0
	got=$("$psql" -X -q -At -d "$1" -v markers="$fleet_markers" \
		-v v="$((10#$v))" <<'SQL'
SELECT coalesce(string_agg(m, ' '), 'ok') FROM (
	SELECT split_part(x, ':', 1) AS m
	FROM regexp_split_to_table(:'markers', '\s+') AS x
	WHERE (to_regclass(split_part(x, ':', 1)) IS NOT NULL)
		<> (split_part(x, ':', 2)::int <= :v)) bad;
SQL
)
	[[ $got == ok ]] && return 0
	why="$1 (at $v): version and tables disagree on: $got"
	return 1
}

# fleet_start_clusters N: N clusters of the scenario's own, in memory;
# sets fleet_urls (each cluster's admin URL).
fleet_start_clusters() {
	local k state started
	fleet_urls=()
	for ((k = 1; k <= $1; k++)); do
		state=$work/fleet-cluster-$k
		fleet_clusters+=("$state")
		started=$(RETORT_DEV_DB_STATE=$state "$CHAOS_DEV_DB" start \
			--tmpfs 2>"$work/devdb.err") || return 1
		fleet_urls+=("$(sed -n 's/^DATABASE_URL=//p' <<<"$started")")
	done
}

# fleet_make_targets PER_CLUSTER: that many databases on each cluster,
# listed in $work/fleet.targets; sets fleet_dbs (their URLs).
fleet_make_targets() {
	local k c u
	fleet_dbs=()
	: >"$work/fleet.targets"
	for ((c = 0; c < ${#fleet_urls[@]}; c++)); do
		for ((k = 0; k < $1; k++)); do
			sql "${fleet_urls[c]}" "CREATE DATABASE fleet_$k STRATEGY FILE_COPY" ||
				return 1
			u=${fleet_urls[c]%/postgres}/fleet_$k
			fleet_dbs+=("$u")
			printf 'c%d-db%03d %s\n' "$c" "$k" "$u" >>"$work/fleet.targets"
		done
	done
}

# fleet_versions: how many databases are at each revision ("020:12 ...").
fleet_versions() {
	local u
	for u in "${fleet_dbs[@]}"; do
		fleet_version "$u"
	done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }'
}

fleet_all_consistent() {
	local u
	for u in "${fleet_dbs[@]}"; do
		fleet_consistent "$u" || return 1
	done
}

# fleet_run ARGS...: the fleet runner in a process group of its own.
fleet_run() {
	setsid "$RETORT_BIN" --versions "$RETORT_FIXTURES/fleet" \
		--lock-lease 3s -x fleet_sleep_ms=150 fleet upgrade \
		--targets "$work/fleet.targets" -j 8 "$@" head \
		</dev/null >"$work/bg.out" 2>"$work/bg.err" &
	pid=$!
	groups=("$pid")
	cmd="setsid retort fleet upgrade --targets FILE -j 8 $* head (pid $pid)"
}

# SIGKILL to the fleet runner (the parent only, as the OOM killer or a
# deploy system's timeout would) at random moments, then a rerun: every
# database ends at 020 and no revision is ever left half-applied.
scenario_fleet() {
	local per=$((full ? 100 : 4)) kills=$((full ? 5 : 2)) k delay
	if ! fleet_start_clusters 3; then
		flunk "3 clusters of its own start (scripts/dev-db start --tmpfs)" \
			"$(<"$work/devdb.err")"
		return
	fi
	fleet_make_targets "$per" || bail "cannot create the fleet's databases"
	for ((k = 1; k <= kills; k++)); do
		delay=$((RANDOM % 3000 + 200))
		fleet_run
		sleep "$(ms_to_s "$delay")"
		kill -KILL "$pid" 2>/dev/null
		finish_runner
		ran
		check "kill $k after $delay ms: no process of the run left within 30 s" \
			group_gone "$pid" 30
		end_group
		check_data "kill $k: every version table matches its schema ($(fleet_versions))" \
			fleet_all_consistent
	done
	fleet_run
	finish_runner
	end_group
	ran
	check "the rerun after $kills kills exits 0" exit_is 0
	check_data "after the rerun: all $((per * 3)) databases at 020 ($(fleet_versions))" \
		is "$(fleet_versions)" "020:$((per * 3)) "
	check_data "after the rerun: every version table matches its schema" \
		fleet_all_consistent
	for k in "${fleet_clusters[@]}"; do
		RETORT_DEV_DB_STATE=$k "$CHAOS_DEV_DB" destroy >/dev/null 2>&1
	done
	fleet_clusters=()
}

main() {
	local s seed
	while [[ $# -gt 0 ]]; do
		case $1 in
		--full) full=1 ;;
		-h | --help)
			sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' \
				"${BASH_SOURCE[0]}"
			exit 0
			;;
		*)
			[[ " ${all_scenarios[*]} " == *" $1 "* ]] ||
				bail "unknown scenario \"$1\" (one of: ${all_scenarios[*]})"
			scenarios+=("$1")
			;;
		esac
		shift
	done
	[[ ${#scenarios[@]} -gt 0 ]] || scenarios=("${all_scenarios[@]}")

	admin=${RETORT_TEST_DATABASE_URL:-}
	if [[ -z $admin ]]; then
		[[ ${RETORT_REQUIRE_DB:-} != 1 ]] ||
			bail "RETORT_REQUIRE_DB=1 but RETORT_TEST_DATABASE_URL is not set"
		printf '1..0 # SKIP no DATABASE_URL\n'
		exit 0
	fi
	for s in RETORT_BIN CHAOS_REVISIONS RETORT_FIXTURES; do
		[[ -n ${!s:-} ]] || bail "$s is not set (meson sets it)"
	done
	psql=$(find_psql) || bail "psql not found (apt-get install postgresql-client)"
	# The runner must see only what each case gives it.
	unset DATABASE_URL PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD \
		PGDATABASE PGSERVICE PGOPTIONS
	work=$(mktemp -d /tmp/retort-chaos.XXXXXX)
	chmod 755 "$work"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	seed=${CHAOS_SEED:-$(($(date +%s%N) % 32768))}
	RANDOM=$seed
	printf '# CHAOS_SEED=%s (set it to repeat the random moments)\n' "$seed"
	for s in "${scenarios[@]}"; do
		scenario=$s
		SECONDS=0
		"scenario_$s"
		drop_databases
		printf '# %s took %d s\n' "$s" "$SECONDS"
	done
	printf '1..%d\n' "$t"
	summary
	local total=0
	for s in "${scenarios[@]}"; do
		total=$((total + ${fails[$s]:-0}))
	done
	[[ $total -eq 0 ]]
}

main "$@"
