#!/usr/bin/env bash
# Out-of-tree revisions, in TAP: copy the project's own revision and write
# a second one into an empty directory, build each with nothing but
# `cc -shared -fPIC -I<root> $(pkg-config --cflags libpq)`, and run
# `retort upgrade head` on them against a fresh database.  Proves that a
# revision needs only plugin_api.h and libpq's headers, and links against
# nothing of the runner.
#
# Environment (from meson): RETORT_BIN, TESTDB (tests/lib/testdb), SRC_ROOT;
# RETORT_TEST_DATABASE_URL for the database (skipped without it, failed
# without it when RETORT_REQUIRE_DB=1).
set -euo pipefail

: "${RETORT_BIN:?}" "${TESTDB:?}" "${SRC_ROOT:?}"
cc=${CC:-cc}

if [[ ! -x $RETORT_BIN ]]; then
	echo "Bail out! RETORT_BIN ($RETORT_BIN) is not an executable"
	exit 1
fi

if [[ -z ${RETORT_TEST_DATABASE_URL:-} ]]; then
	if [[ ${RETORT_REQUIRE_DB:-} == 1 ]]; then
		echo "Bail out! RETORT_REQUIRE_DB=1 but RETORT_TEST_DATABASE_URL is not set"
		exit 1
	fi
	echo "1..0 # SKIP no DATABASE_URL"
	exit 0
fi

work=$(mktemp -d)
dbname=
cleanup() {
	if [[ -n $dbname ]]; then
		"$TESTDB" drop "$dbname" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

n=0
failed=0
# check DESCRIPTION COMMAND...: one TAP line for the command's status.
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		failed=$((failed + 1))
	fi
}

# run ARGS...: run retort, keeping stdout, stderr and the status.
run() {
	status=0
	"$RETORT_BIN" "$@" >"$work/out" 2>"$work/err" || status=$?
	sed 's/^/# stderr: /' "$work/err"
}

build() {
	# shellcheck disable=SC2046 # pkg-config's flags are several words
	"$cc" -std=c11 -Wall -Wextra -Werror -shared -fPIC -I"$SRC_ROOT" \
		$(pkg-config --cflags libpq) "$1" -o "${1%.c}.so"
}

# build_as_meson SOURCE: embed the source's SHA-256 and path, as the build
# does (scripts/source-checksum), so the runner can tell a stale build.
build_as_meson() {
	local sum
	sum=$(sha256sum <"$1")
	sum=${sum%% *}
	# shellcheck disable=SC2046 # pkg-config's flags are several words
	"$cc" -std=c11 -Wall -Wextra -Werror -shared -fPIC -I"$SRC_ROOT" \
		$(pkg-config --cflags libpq) -DRETORT_SOURCE_SHA256="\"$sum\"" \
		-DRETORT_SOURCE_PATH="\"$1\"" "$1" -o "${1%.c}.so"
}

# The source stamp (size first) the index remembers for a plugin; 0: none.
source_seen_size() {
	awk -F'\t' -v so="$1" '$1 == so { print $9 }' "$work/versions/.retort-index"
}

scalar() {
	"$TESTDB" scalar "$dbname" "$1"
}

echo "1..14"

mkdir "$work/versions"
cp "$SRC_ROOT/versions/001_create_users_table.c" "$work/versions/"
cat >"$work/versions/002_seed_user.c" <<'REV'
#include "plugin_api.h"

RETORT_REVISION(.revision = "002", .down_revision = "001",
		.message = "seed a user", .create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	const char *const who[1] = { retort_arg(ctx, "who") };

	retort_log(ctx, "seeding %s", who[0] ? who[0] : "(nobody)");
	return retort_exec_params(ctx,
		"INSERT INTO users (session_id) VALUES ($1)", 1, who);
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "DELETE FROM users");
}
REV

check "the project's revision builds out of tree" \
	build "$work/versions/001_create_users_table.c"
check "a revision using the host API builds out of tree" \
	build "$work/versions/002_seed_user.c"

mapfile -t created < <("$TESTDB" create out_of_tree)
if [[ ${#created[@]} -ne 2 ]]; then
	echo "Bail out! testdb could not create a database"
	exit 1
fi
dbname=${created[0]}
url=${created[1]}

run --url "$url" --versions "$work/versions" -x who=alice upgrade head
check "retort upgrade head exits 0" test "$status" -eq 0
check "it prints both revisions" grep -qx \
	"Running upgrade 001 -> 002, seed a user" "$work/out"
check "retort_log reaches stdout with the -x value" grep -q \
	"seeding alice" "$work/out"
check "the users table exists" \
	test "$(scalar "SELECT to_regclass('users') IS NOT NULL")" = t
check "the row holds the -x value" \
	test "$(scalar "SELECT string_agg(session_id, ',') FROM users")" = alice
check "alembic_version is at 002" \
	test "$(scalar "SELECT string_agg(version_num, ',') FROM alembic_version")" = 002

# A stale build is caught although sources are not re-read on every run:
# the index remembers each source's stamp from when it last matched.
src3=$work/versions/003_note.c
cat >"$src3" <<'REV'
#include "plugin_api.h"

RETORT_REVISION(.revision = "003", .down_revision = "002",
		.message = "a note", .create_date = "2026-11-25 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "COMMENT ON TABLE users IS 'note'");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(ctx, "COMMENT ON TABLE users IS NULL");
}
REV
check "a revision with its source's checksum builds" build_as_meson "$src3"
run --url "$url" --versions "$work/versions" upgrade head
check "it upgrades, the source matching its build" test "$status" -eq 0
check "the index remembers the matching source's stamp" \
	test "$(source_seen_size 003_note.so)" = "$(stat -c %s "$src3")"
touch "$src3"
run --url "$url" --versions "$work/versions" check
check "a touched but unchanged source is read again and still matches" \
	test "$status" -eq 0
printf '/* edited after the build */\n' >>"$src3"
run --url "$url" --versions "$work/versions" check
check "an edited source is caught: exit 2" test "$status" -eq 2
check "the error names the stale plugin" \
	grep -q '003_note.so" is older than its source' "$work/err"

[[ $failed -eq 0 ]]
