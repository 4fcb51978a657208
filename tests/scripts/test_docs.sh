#!/usr/bin/env bash
# Tests that retort(1), doc/retort.1, keeps up with the runner, in TAP:
# every command `retort --help` lists has its section in COMMANDS, naming
# every option its own --help lists; every global option is in GLOBAL
# OPTIONS; and groff and man render the page without a warning.  The
# lists come from the --help texts, so an option added to the runner
# fails this test until the page documents it.
#
# Environment (from meson): RETORT_BIN, SRC_ROOT.  Without groff or man
# the rendering checks are skipped, unless CI=true, where that fails.
set -uo pipefail

: "${RETORT_BIN:?}" "${SRC_ROOT:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2034 # lib.sh's verdict shows them
rc=0 out='' err=''

# shellcheck source=tests/scripts/lib.sh
. "$SRC_ROOT/tests/scripts/lib.sh"
# shellcheck source=tests/scripts/help.sh
. "$SRC_ROOT/tests/scripts/help.sh"

page=$SRC_ROOT/doc/retort.1

echo "# what --help says, parsed"
mapfile -t cmds < <(help_commands)
mapfile -t globals < <(help_global_options)
[[ ${#cmds[@]} -ge 12 && " ${cmds[*]} " == *" upgrade "* &&
	" ${cmds[*]} " == *" init "* ]]
verdict "retort --help lists the commands (${#cmds[@]})" $?
[[ ${#globals[@]} -ge 15 && " ${globals[*]} " == *" --url "* &&
	" ${globals[*]} " == *" -c "* ]]
verdict "retort --help lists the global options (${#globals[@]})" $?
[[ " ${cmds[*]} " != *" __complete-revisions "* ]]
verdict "retort --help does not list the completion helper" $?

# Every option a usage line shows has its line of help.
usage=$("$RETORT_BIN" --help | head -n 1)
missing=()
for o in $(usage_options "$usage"); do
	[[ " ${globals[*]} " == *" $o "* ]] || missing+=("$o")
done
[[ ${#missing[@]} -eq 0 ]]
verdict "every option of retort's usage line has a line in --help${missing[*]:+: missing ${missing[*]}}" $?
for c in "${cmds[@]}"; do
	help=$("$RETORT_BIN" "$c" --help)
	opts=$(option_names <<<"$help")
	missing=()
	[[ $help == "usage: retort $c"* ]] || missing+=("its usage line")
	for o in $(usage_options "$(head -n 1 <<<"$help")"); do
		has_word "$opts" "$o" || missing+=("$o")
	done
	[[ ${#missing[@]} -eq 0 ]]
	verdict "retort $c --help has a line for each option of its usage${missing[*]:+: missing ${missing[*]}}" $?
done

echo "# the page, rendered"
if command -v groff >/dev/null 2>&1; then
	warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[[ -z $warnings ]]
	verdict "groff -man -Tutf8 -ww renders it without a warning${warnings:+: $warnings}" $?
	# A wide line: nothing is wrapped, and no option split.
	groff -man -Tascii -P-cbou -rLL=250n "$page" >"$work/page.txt" 2>&1
else
	missing_tool groff "groff renders the page"
fi
if command -v man >/dev/null 2>&1; then
	warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >"$work/man.txt")
	[[ -z $warnings ]] && grep -q '^NAME' "$work/man.txt"
	verdict "man -l renders it at 80 columns without a warning${warnings:+: $warnings}" $?
else
	missing_tool man "man -l renders the page"
fi

# section TITLE: the page's text from heading TITLE to the next heading.
section() {
	awk -v t="$1" '/^[A-Z]/ { on = ($0 == t); next } on' "$work/page.txt"
}

# command_section NAME: NAME's subsection of COMMANDS.
command_section() {
	section COMMANDS | awk -v c="$1" '
		/^   [^ ]/ { on = ($1 == c); next }
		on'
}

if [[ -s $work/page.txt ]]; then
	echo "# every command and option documented"
	text=$(section "GLOBAL OPTIONS")
	missing=()
	for o in "${globals[@]}"; do
		has_word "$text" "$o" || missing+=("$o")
	done
	[[ -n $text && ${#missing[@]} -eq 0 ]]
	verdict "GLOBAL OPTIONS describes each global option${missing[*]:+: missing ${missing[*]}}" $?
	for c in "${cmds[@]}"; do
		text=$(command_section "$c")
		missing=()
		for o in $(help_command_options "$c"); do
			has_word "$text" "$o" || missing+=("$o")
		done
		[[ -n $text && ${#missing[@]} -eq 0 ]]
		verdict "COMMANDS has a section for $c naming its options${missing[*]:+: missing ${missing[*]}}" $?
	done
	text=$(command_section __complete-revisions)
	[[ $text == *"completion"* ]]
	verdict "COMMANDS describes the completion helper" $?
	text=$(section "EXIT STATUS")
	for s in 0 1 2 130 143; do
		grep -qE "^ +$s( |\$)" <<<"$text"
		verdict "EXIT STATUS describes status $s" $?
	done
	for s in TARGETS ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
		[[ -n $(section "$s") ]]
		verdict "the page has a $s section" $?
	done
fi

finish
