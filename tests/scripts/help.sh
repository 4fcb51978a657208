# shellcheck shell=bash
# help.sh - what `retort --help` and `retort COMMAND --help` say, as lists
# the tests of the man page and the completion scripts compare with: so a
# command or option added to the runner fails them until it is documented
# and completed.  Needs $RETORT_BIN.

# The commands, one a line: the first word of each line of "commands:".
help_commands() {
	"$RETORT_BIN" --help | awk '
		/^commands:$/ { on = 1; next }
		on && /^$/ { exit }
		on && /^  [^ ]/ { print $1 }'
}

# option_names: the option names that begin each line of stdin's
# "options:" section ("-c, --config FILE  ..." gives -c and --config).
option_names() {
	awk '
		/^options:$/ { on = 1; next }
		on && /^$/ { exit }
		on {
			for (i = 1; i <= NF && $i ~ /^-/; i++) {
				sub(/,$/, "", $i)
				print $i
			}
		}'
}

# help_global_options: the global options of `retort --help`.
help_global_options() {
	"$RETORT_BIN" --help | option_names
}

# help_command_options COMMAND: its options, as its --help lists them.
help_command_options() {
	"$RETORT_BIN" "$1" --help | option_names
}

# usage_options TEXT: the options a usage line names ("[-r A:B]" gives -r).
usage_options() {
	grep -oE -- '(^|[[ |])--?[A-Za-z][A-Za-z0-9-]*' <<<"$1" |
		sed 's/^[[ |]//'
}

# has_word TEXT WORD: WORD stands in TEXT as a whole option name (so that
# --head is not found in --heads).
has_word() {
	grep -qE -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|\$)" <<<"$1"
}
