#!/usr/bin/env bash
# Tests for scripts/new-revision, in TAP: each case runs the script (a
# wrapper around `retort revision`) on a mini project in a temporary
# directory (versions/meson.build and a few revisions) and checks the file
# it writes, meson.build, the exit status and the messages.  The generated
# sources are compiled with the project's plugin_api.h to prove that any
# message embeds safely.  RETORT_BIN (set by meson) names the binary the
# script runs.
#
# No set -e: every status is looked at, and a failing check must not stop
# the others.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
nr="$root/scripts/new-revision"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/scripts/lib.sh
. "$root/tests/scripts/lib.sh"

# run ARGS...: run new-revision (see capture).
run() {
	capture "$nr" "$@"
}

# The .down_revision value of a source: the id, or NULL.
down_of() {
	sed -n 's/.*\.down_revision = \("\([^"]*\)"\|NULL\).*/\1/p' "$1" |
		tr -d '"'
}

count_sources() {
	find "$1" -maxdepth 1 -name '*.c' | wc -l
}

# A mini project: a base revision whose fields are spread over several
# lines (with a decoy in a comment) and a second one written compactly.
make_project() {
	local dir=$1

	mkdir -p "$dir/versions"
	cat >"$dir/versions/meson.build" <<'EOF'
revision_sources = [
  'aaa_base.c',
  'bbb_second.c'  # no trailing comma
]

foreach src : revision_sources
  shared_module(src.substring(0, -2), src, kwargs: revision_kwargs)
endforeach
EOF
	cat >"$dir/versions/aaa_base.c" <<'EOF'
/* Not this one: .revision = "decoy", .down_revision = "nope" */
#include "plugin_api.h"

RETORT_REVISION(
    .revision      =   "aaa",
    .down_revision =
        NULL,                     // base
    .message       = "base",
    .create_date   = "2026-11-24 10:00:00+00",
);

int upgrade(retort_ctx *ctx) { (void)ctx; return 0; }
int downgrade(retort_ctx *ctx) { (void)ctx; return 0; }
EOF
	cat >"$dir/versions/bbb_second.c" <<'EOF'
#include "plugin_api.h"
RETORT_REVISION(.revision="bbb",.down_revision="aaa",.message="second",);
int upgrade(retort_ctx *ctx) { (void)ctx; return 0; }
int downgrade(retort_ctx *ctx) { (void)ctx; return 0; }
EOF
}

# --- usage ------------------------------------------------------------------
run -h
[[ $rc -eq 0 && $out == *"--rev-id"* ]]
verdict "-h prints the usage and exits 0" $?

run --sources "$work"
[[ $rc -eq 2 && $err == *"error: a message is required"* ]]
verdict "a missing -m is a usage error (exit 2)" $?

run -m x --bogus
[[ $rc -eq 2 && $err == *"--bogus"* ]]
verdict "an unknown option is a usage error (exit 2)" $?

# --- a revision on the current head ----------------------------------------
p="$work/p1"
make_project "$p"
run -m "Add Portfolios table!" --sources "$p/versions"
base=$(basename "$new")
id=${base%%_*}
[[ $rc -eq 0 && -f $new ]]
verdict "exits 0 and prints Alembic's Generating line with the path" $?
[[ $base =~ ^[0-9a-f]{12}_add_portfolios_table\.c$ ]]
verdict "the id is 12 hex digits and the name <id>_<slug>.c" $?
grep -q "\.revision = \"$id\"" "$new"
verdict "the revision carries that id" $?
[[ $(down_of "$new") == bbb ]]
verdict "down_revision is the current head (bbb)" $?
want_list="  'bbb_second.c',  # no trailing comma
  '$base',
]"
[[ $(sed -n 3,5p "$p/versions/meson.build") == "$want_list" ]]
verdict "meson.build lists the new file before the closing ]" $?
if have_compiler; then
	[[ $(compile_message "$new") == "Add Portfolios table!" ]]
	verdict "the fresh revision compiles with -Wall -Wextra -Werror" $?
else
	skip "the fresh revision compiles" "no C compiler or libpq"
fi

# --- --rev-id ---------------------------------------------------------------
run -m "custom id" --rev-id 003_custom --sources "$p/versions"
[[ $rc -eq 0 && $(basename "$new") == 003_custom_custom_id.c ]] &&
	grep -q '\.revision = "003_custom"' "$new"
verdict "--rev-id names the revision and the file" $?
[[ $(down_of "$p/versions/003_custom_custom_id.c") == "$id" ]]
verdict "it follows the previous new revision" $?

before=$(count_sources "$p/versions")
cp "$p/versions/meson.build" "$work/meson.before"
run -m "again" --rev-id 003_custom --sources "$p/versions"
[[ $rc -eq 2 && $err == *"already exists"* ]]
verdict "a duplicate --rev-id is rejected (exit 2)" $?
[[ $(count_sources "$p/versions") -eq $before ]] &&
	cmp -s "$p/versions/meson.build" "$work/meson.before"
verdict "and nothing is written" $?

run -m "bad" --rev-id "no-dashes" --sources "$p/versions"
[[ $rc -eq 2 && $err == *"invalid revision id"* ]]
verdict "an id with characters outside [A-Za-z0-9_] is rejected (exit 2)" $?
run -m "bad" --rev-id "$(printf 'x%.0s' {1..33})" --sources "$p/versions"
[[ $rc -eq 2 && $err == *"invalid revision id"* ]]
verdict "an id longer than 32 characters is rejected (exit 2)" $?
[[ $(count_sources "$p/versions") -eq $before ]]
verdict "and nothing is written" $?

# --- several heads ------------------------------------------------------------
run -m "branch" --rev-id ccc --head bbb --sources "$p/versions"
[[ $rc -eq 2 && $err == *"Revision bbb is not a head revision; please specify --splice"* ]]
verdict "--head on a revision that is not a head needs --splice (exit 2)" $?
[[ $(count_sources "$p/versions") -eq $before ]]
verdict "and nothing is written" $?

run -m "branch" --rev-id ccc --head bbb --splice --sources "$p/versions"
[[ $rc -eq 0 && $(down_of "$new") == bbb ]]
verdict "--head --splice builds on the named revision" $?

run -m "which head" --sources "$p/versions"
[[ $rc -eq 2 && $err == *"Multiple heads are present"* &&
	$err == *"heads: "*003_custom* && $err == *"heads: "*ccc* &&
	$err == *"--head"* ]]
verdict "several heads without --head: exit 2, listing them" $?
[[ $(count_sources "$p/versions") -eq $((before + 1)) ]]
verdict "and nothing is written" $?

run -m "no such head" --head zzz --sources "$p/versions"
[[ $rc -eq 2 && $err == *"zzz"* ]]
verdict "--head must name an existing revision (exit 2)" $?

run -m "on ccc" --head ccc --sources "$p/versions"
[[ $rc -eq 0 && $(down_of "$new") == ccc ]]
verdict "--head picks one of several heads" $?

# --- a hostile message ----------------------------------------------------------
p="$work/p2"
make_project "$p"
marker="$work/pwned"
msg="Quote \" back\\slash \$(touch $marker) \`touch $marker\` ??/ */ /* tab	x
second \"line\"\\"
run -m "$msg" --sources "$p/versions"
[[ $rc -eq 0 && -f $new ]]
verdict "a message with quotes, backslashes, \$(...), backticks, */, ??/ and newlines is accepted" $?
[[ ! -e $marker ]]
verdict "no shell ran (the marker file does not exist)" $?
if have_compiler; then
	want=${msg//$'\n'/ }
	want=${want//$'\t'/ }
	got=$(compile_message "$new" 2>&1)
	[[ $got == "$want" ]]
	verdict "it compiles under -Werror and .message is the message, control characters as spaces" $?
	[[ $got == "$want" ]] ||
		printf '#   want: %s\n#   got:  %s\n' "$want" "$got"
else
	skip "it compiles and .message is the message" "no C compiler or libpq"
fi

# --- the first revision ------------------------------------------------------------
p="$work/p3"
mkdir -p "$p/versions"
printf "revision_sources = []\n" >"$p/versions/meson.build"
run -m "first" --rev-id first --sources "$p/versions"
[[ $rc -eq 0 && $(down_of "$new") == NULL ]]
verdict "with no revisions, down_revision is NULL" $?
[[ $(cat "$p/versions/meson.build") == "revision_sources = ['first_first.c']" ]]
verdict "a one-line empty list gets the entry" $?

p="$work/p4"
mkdir -p "$p/versions"
printf "# nothing here\n" >"$p/versions/meson.build"
run -m "found" --sources "$p/versions"
[[ $rc -eq 0 && $(count_sources "$p/versions") -eq 1 &&
	$(cat "$p/versions/meson.build") == "# nothing here" ]]
verdict "a meson.build without the list (retort builds): the source alone is written" $?

finish
