# shellcheck shell=bash disable=SC2034,SC2154 # globals shared with the script
# lib.sh - what the shell test scripts share: TAP reporting (pass, flunk,
# skip, verdict, finish), running a program with its output kept (capture),
# and building a generated revision source to print its message
# (compile_message).  Sourced after the script has made its scratch
# directory $work.

# The project root, which holds plugin_api.h.
lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cc=${CC:-cc}
n=0
failures=0

pass() {
	n=$((n + 1))
	printf 'ok %d - %s\n' "$n" "$1"
}

# flunk DESCRIPTION [DIAGNOSTIC...]
flunk() {
	n=$((n + 1))
	failures=$((failures + 1))
	printf 'not ok %d - %s\n' "$n" "$1"
	shift
	if [[ $# -gt 0 ]]; then
		printf '%s\n' "$@" | sed 's/^/#   /'
	fi
}

skip() {
	n=$((n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$n" "$1" "$2"
}

# verdict DESCRIPTION STATUS, used as `[[ condition ]]; verdict "..." $?`:
# on failure, shows the last run's status and output.
verdict() {
	if [[ $2 -eq 0 ]]; then
		pass "$1"
	else
		flunk "$1" "exit status: $rc" "stdout: $out" "stderr: $err"
	fi
}

# finish: the TAP plan, and the script's status.
finish() {
	printf '1..%d\n' "$n"
	[[ $failures -eq 0 ]]
}

# capture PROGRAM ARGS...: run it in the current directory, setting out,
# err, rc, and new to the file of Alembic's "Generating PATH ...  done".
capture() {
	rc=0
	out=$("$@" 2>"$work/stderr") || rc=$?
	err=$(cat "$work/stderr")
	new=$(sed -n 's/^Generating \(.*\.c\) \.\.\.  done$/\1/p' <<<"$out")
}

have_compiler() {
	command -v "$cc" >/dev/null 2>&1 &&
		pkg-config --exists libpq 2>/dev/null
}

# compile_message SOURCE: build a revision source as strictly as the
# project does, with a main() printing its .message, and run that: proves
# any message embeds safely.
compile_message() {
	local -a cflags

	read -r -a cflags <<<"$(pkg-config --cflags libpq)"
	cat >"$work/main.c" <<'SRC'
#include <stdio.h>
#include "plugin_api.h"
extern const struct retort_revision retort_revision;
int main(void)
{
	fputs(retort_revision.message, stdout);
	return 0;
}
SRC
	"$cc" -std=c11 -pedantic -Wall -Wextra -Werror -I"$lib_root" \
		"${cflags[@]}" "$1" "$work/main.c" -o "$work/msg" &&
		"$work/msg"
}

# missing_tool TOOL WHAT: the checks WHAT need TOOL, which is not
# installed: skipped, but failed under CI (CI=true), where scripts/deps
# has installed it.
missing_tool() {
	if [[ ${CI:-} == true ]]; then
		flunk "$2: $1 is installed (scripts/deps installs it)"
	else
		skip "$2" "$1 is not installed"
	fi
}
