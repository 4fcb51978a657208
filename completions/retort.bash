# bash completion for retort(1).
#
# Installed as <datadir>/bash-completion/completions/retort, where
# bash-completion loads it the first time `retort <Tab>` is pressed; or
# source it from ~/.bashrc.  It needs nothing of bash-completion itself.
#
# Completes the commands, the global options (before or after the
# command), each command's options, and targets: head, heads, base and the
# revision ids and branch labels of the project retort would use here,
# which `retort __complete-revisions` prints from the sources without
# connecting or compiling.
#
# tests/scripts/test_completion.sh checks it against `retort --help`.

_retort_commands='upgrade downgrade current history heads branches show
stamp check log wait build plan lint test revision merge init fleet'

_retort_global_options='-c --config --url --versions --sources -x -q --quiet
--no-build --lock-timeout --ddl-lock-timeout --statement-timeout
--lock-lease --connect-timeout --unsafe-plugins --allow-changed
--shadow-url --tenant-schema -h --help --version'

# Whether option $1 takes the next word as its value.
_retort_valued() {
	case $1 in
	-c | --config | --url | --versions | --sources | -x | --lock-timeout | \
		--ddl-lock-timeout | --statement-timeout | --lock-lease | \
		--connect-timeout | --shadow-url | --tenant-schema | -r | --rev-range | -m | \
		--message | --rev-id | --head | --branch-label | --depends-on | \
		--version-path | -n | --timeout | --downgrade | --targets | \
		--targets-query | --control-url | --schemas-query | -j | --jobs | \
		--per-host | --canary | --on-error | --retries | --run)
		return 0
		;;
	esac
	return 1
}

# _retort_command_options COMMAND: its own options, -h and --help.
_retort_command_options() {
	local opts
	case $1 in
	upgrade) opts='--sample --allow-changed --sql --lint' ;;
	downgrade) opts='--allow-changed --sql' ;;
	current) opts='-v --verbose --check-heads --json' ;;
	history) opts='-r --rev-range -v --verbose -i --indicate-current --json' ;;
	heads) opts='-v --verbose --resolve-dependencies --json' ;;
	branches) opts='-v --verbose --json' ;;
	show) opts='--json' ;;
	stamp) opts='--purge' ;;
	check) opts='--schema --allow-changed --json' ;;
	log) opts='-n --max-count --json' ;;
	wait) opts='--timeout' ;;
	build) opts='--force' ;;
	plan) opts='--downgrade --rehearse-on-target --json --allow-changed' ;;
	test) opts='--json' ;;
	lint) opts='--json --allow-changed' ;;
	revision) opts='-m --message --rev-id --head --splice --branch-label
		--depends-on --version-path --autogenerate' ;;
	merge) opts='-m --message --rev-id --branch-label' ;;
	fleet) opts='--targets --targets-query --control-url --schemas-query
		-j --jobs --per-host --canary --on-error --retries --run --json' ;;
	esac
	printf '%s\n' "$opts -h --help"
}

# _retort_revisions PROGRAM [GLOBAL-OPTION VALUE]...: ids and labels.
_retort_revisions() {
	local prog=$1
	shift
	if ! type -P -- "$prog" >/dev/null 2>&1; then
		prog=retort
	fi
	"$prog" "$@" __complete-revisions 2>/dev/null
}

_retort() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' word i
	local -a project=()

	if ((COMP_CWORD > 0)); then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi
	# The command, and the options that choose the project, wherever
	# they stand; the values of the other options are skipped.
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		-c | --config | --versions | --sources)
			project+=("$word" "${COMP_WORDS[i + 1]}")
			((i++))
			;;
		--config=* | --versions=* | --sources=*) project+=("$word") ;;
		-*) ! _retort_valued "$word" || ((i++)) ;;
		*) [[ -n $cmd ]] || cmd=$word ;;
		esac
	done

	COMPREPLY=()
	case $prev in
	-c | --config)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--targets)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--on-error)
		mapfile -t COMPREPLY < <(compgen -W "stop continue" -- "$cur")
		return 0
		;;
	--versions | --sources | --version-path)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0
		;;
	--head | --depends-on)
		mapfile -t COMPREPLY < <(compgen -W "head base $(_retort_revisions "${COMP_WORDS[0]}" "${project[@]}")" -- "$cur")
		return 0
		;;
	esac
	if ((COMP_CWORD > 1)) && _retort_valued "$prev"; then
		return 0 # a value of the user's own: a message, a URL, a duration
	fi

	if [[ $cur == -* ]]; then
		local opts=$_retort_global_options
		if [[ -n $cmd ]]; then
			opts="$(_retort_command_options "$cmd") $opts"
		fi
		# Each once: -h, --help and --allow-changed are both kinds.
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur" | sort -u)
		return 0
	fi

	case $cmd in
	'')
		mapfile -t COMPREPLY < <(compgen -W "$_retort_commands" -- "$cur")
		;;
	upgrade | downgrade | stamp | show)
		mapfile -t COMPREPLY < <(compgen -W "head heads base $(_retort_revisions "${COMP_WORDS[0]}" "${project[@]}")" -- "$cur")
		;;
	merge | lint)
		mapfile -t COMPREPLY < <(compgen -W "heads $(_retort_revisions "${COMP_WORDS[0]}" "${project[@]}")" -- "$cur")
		;;
	fleet)
		if [[ $prev == fleet ]]; then
			mapfile -t COMPREPLY < <(compgen -W "upgrade downgrade stamp status" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "head heads base $(_retort_revisions "${COMP_WORDS[0]}" "${project[@]}")" -- "$cur")
		fi
		;;
	init)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		;;
	esac
	return 0
}

complete -F _retort retort
