#!/usr/bin/env bash
# Tests of the shell completion scripts, in TAP.  bash: completions/
# retort.bash is sourced in a plain bash and _retort called with
# COMP_WORDS and COMP_CWORD as bash sets them; the candidates must hold
# every command and option that `retort --help` and each `retort COMMAND
# --help` list, and the ids and labels of a throwaway project.  zsh: the
# function is registered by compinit, and run with _arguments, _describe
# and compadd replaced by stubs that print what they are given.  Also
# `retort __complete-revisions` itself: silent without a project, no
# connection, no compiling.
#
# Environment (from meson): RETORT_BIN, SRC_ROOT, RETORT_FIXTURES.
# Without zsh its checks are skipped, unless CI=true, where that fails.
set -uo pipefail

: "${RETORT_BIN:?}" "${SRC_ROOT:?}" "${RETORT_FIXTURES:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=tests/scripts/lib.sh
. "$SRC_ROOT/tests/scripts/lib.sh"
# shellcheck source=tests/scripts/help.sh
. "$SRC_ROOT/tests/scripts/help.sh"

# The completion scripts call `retort` from PATH.
bindir=$work/bin
mkdir -p "$bindir"
ln -s "$RETORT_BIN" "$bindir/retort"
export PATH=$bindir:$PATH

# complete WORD...: bash's candidates for the command line WORD... (the
# last word is the one being completed), one a line, sorted.
complete_bash() {
	bash --norc --noprofile -c '
		. "$1/completions/retort.bash" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMPREPLY=()
		_retort
		printf "%s\n" "${COMPREPLY[@]}"' bash "$SRC_ROOT" "$@" |
		LC_ALL=C sort
}

# includes LIST WORD...: every WORD is a line of LIST; sets missing.
includes() {
	local list=$1 w
	shift
	missing=()
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$list" || missing+=("$w")
	done
	[[ ${#missing[@]} -eq 0 ]]
}

# A project: two revisions in its sources, one with a branch label, and
# nothing built.
project=$work/shop
(
	mkdir -p "$project" && cd "$project" &&
		"$RETORT_BIN" init . >/dev/null &&
		"$RETORT_BIN" revision -m first --rev-id aaa111 \
			--branch-label core >/dev/null &&
		"$RETORT_BIN" revision -m second --rev-id bbb222 >/dev/null
)
verdict "a throwaway project with two revisions" $?
cd "$project" || exit 1

echo "# retort __complete-revisions"
capture "$RETORT_BIN" --url "postgresql://u:pw@127.0.0.1:1/x" __complete-revisions
[[ $rc -eq 0 && -z $err && $out == $'aaa111\nbbb222\ncore\ncore@base\ncore@head' ]]
verdict "prints the sources' ids and labels, sorted, connecting to nothing" $?
[[ ! -e build ]]
verdict "compiles nothing (no build/ appears)" $?
mkdir -p "$work/empty"
(cd "$work/empty" && capture "$RETORT_BIN" __complete-revisions &&
	[[ $rc -eq 0 && -z $out && -z $err ]])
verdict "without a project: nothing on stdout or stderr, exit 0" $?
cp -r "$RETORT_FIXTURES/branched" "$work/built"
"$RETORT_BIN" --versions "$work/built" --unsafe-plugins history >/dev/null 2>&1
(cd "$work/empty" &&
	capture "$RETORT_BIN" --versions "$work/built" __complete-revisions &&
	[[ $rc -eq 0 && -z $err && $out == $'001\n002a\n002b\n003' ]])
verdict "reads the built plugins' ids from the versions directory's index" $?
printf 'RETORT_REVISION(.revision = x);\n' >"$project/versions/zzz_bad.c"
capture "$RETORT_BIN" --versions "$work/built" __complete-revisions
[[ $rc -eq 0 && -z $err && $out == $'001\n002a\n002b\n003' ]]
verdict "a source that does not parse: the index's candidates, silently" $?
rm "$project/versions/zzz_bad.c"
"$RETORT_BIN" __complete-revisions --help >/dev/null
verdict "__complete-revisions --help" $?

echo "# bash"
mapfile -t cmds < <(help_commands)
[[ ${#cmds[@]} -ge 12 ]]
verdict "retort --help lists the commands (${#cmds[@]})" $?
got=$(complete_bash retort '')
includes "$got" "${cmds[@]}"
verdict "retort <Tab>: every command${missing[*]:+; missing ${missing[*]}}" $?
! grep -q __complete <<<"$got"
verdict "retort <Tab>: not the completion helper" $?
includes "$(complete_bash retort up)" upgrade &&
	[[ $(complete_bash retort up) == upgrade ]]
verdict "retort up<Tab>: upgrade" $?
mapfile -t globals < <(help_global_options)
includes "$(complete_bash retort -)" "${globals[@]}"
verdict "retort -<Tab>: every global option${missing[*]:+; missing ${missing[*]}}" $?
for c in "${cmds[@]}"; do
	mapfile -t opts < <(help_command_options "$c")
	got=$(complete_bash retort "$c" -)
	includes "$got" "${opts[@]}" -h --help "${globals[@]}"
	verdict "retort $c -<Tab>: its options and the global ones${missing[*]:+; missing ${missing[*]}}" $?
done
includes "$(complete_bash retort upgrade --)" --sample --allow-changed
verdict "retort upgrade --<Tab>: --sample, --allow-changed" $?
got=$(complete_bash retort upgrade '')
includes "$got" head heads base aaa111 bbb222 core core@head core@base
verdict "retort upgrade <Tab>: head, heads, base, the ids and labels${missing[*]:+; missing ${missing[*]}}" $?
[[ $(complete_bash retort -q downgrade aa) == aaa111 ]]
verdict "retort -q downgrade aa<Tab>: aaa111" $?
[[ $(complete_bash retort show core@) == $'core@base\ncore@head' ]]
verdict "retort show core@<Tab>: core@base, core@head" $?
includes "$(complete_bash retort merge -m x '')" heads aaa111 bbb222
verdict "retort merge -m x <Tab>: heads and the ids" $?
includes "$(complete_bash retort revision --head '')" aaa111 core@head
verdict "retort revision --head <Tab>: the ids and labels" $?
[[ -z $(complete_bash retort revision -m '') ]]
verdict "retort revision -m <Tab>: nothing (a message is the user's)" $?
(cd "$work/empty" && [[ $(complete_bash retort upgrade '') == $'base\nhead\nheads' ]])
verdict "retort upgrade <Tab> without a project: head, heads, base" $?
printf '[retort]\nsources = %%(here)s/shop/versions\n' >"$work/other.ini"
(cd "$work/empty" &&
	includes "$(complete_bash retort -c "$work/other.ini" upgrade '')" aaa111 core)
verdict "retort -c OTHER.ini upgrade <Tab>: the ids of the sources it names" $?
(cd "$work/empty" &&
	includes "$(complete_bash retort --versions "$work/built" stamp '')" 002a 003)
verdict "retort --versions DIR stamp <Tab>: that directory's ids" $?

echo "# zsh"
if ! command -v zsh >/dev/null 2>&1; then
	missing_tool zsh "zsh completion"
	finish
	exit
fi

zsh -n "$SRC_ROOT/completions/_retort"
verdict "zsh -n: _retort parses" $?
got=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit
	compinit -u -D 2>&1; print -r -- ${_comps[retort]}' zsh "$SRC_ROOT/completions")
[[ $got == _retort ]]
verdict "compinit registers _retort for retort" $?

# zsh_run STATE WORD...: run _retort with words=(WORD...) and stubs in
# place of zsh's completion builtins: the first _arguments moves to
# STATE; then each stub prints what it was given, one a line.
zsh_run() {
	zsh -f -c '
		fpath=("$1" $fpath); autoload -Uz _retort
		next=$2; shift 2
		_arguments() {
			if [[ -n $next ]]; then state=$next; next=; return 0; fi
			print -rl -- "$@"
		}
		_describe() { print -rl -- ${(P)4}; }
		compadd() { print -rl -- "${@[${@[(i)--]}+1,-1]}"; }
		words=("$@") CURRENT=$#
		_retort' zsh "$SRC_ROOT/completions" "$@" 2>&1
}

# spec_names: the option names of _arguments specs on stdin.
spec_names() {
	sed -n 's/^\(([^)]*)\)\{0,1\}\**\(--\{0,1\}[A-Za-z0-9-]*\).*/\2/p'
}

got=$(zsh_run command retort "" | cut -d: -f1)
includes "$got" "${cmds[@]}"
verdict "zsh: retort <Tab>: every command${missing[*]:+; missing ${missing[*]}}" $?
got=$(zsh_run "" retort "" | spec_names)
includes "$got" "${globals[@]}"
verdict "zsh: retort -<Tab>: every global option${missing[*]:+; missing ${missing[*]}}" $?
for c in "${cmds[@]}"; do
	mapfile -t opts < <(help_command_options "$c")
	got=$(zsh_run args "$c" "" | spec_names)
	includes "$got" "${opts[@]}" -h --help "${globals[@]}"
	verdict "zsh: retort $c -<Tab>: its options and the global ones${missing[*]:+; missing ${missing[*]}}" $?
done
got=$(zsh -f -c '
	fpath=("$1" $fpath); autoload -Uz _retort
	_arguments() { return 1; }
	compadd() { print -rl -- "${@[${@[(i)--]}+1,-1]}"; }
	words=(retort upgrade "") _retort     # its first run defines the helpers
	_retort_prog=retort _retort_targets' zsh "$SRC_ROOT/completions" 2>&1)
includes "$got" head heads base aaa111 bbb222 core core@head
verdict "zsh: retort upgrade <Tab>: head, heads, base, the ids and labels${missing[*]:+; missing ${missing[*]}; got ${got//$'\n'/ }}" $?

# zsh_tab LINE WORD...: what an interactive zsh (in a pseudo-terminal,
# compinit loading _retort) shows after LINE and a Tab, once every WORD is
# on the screen or 20 seconds have passed.
zsh_tab() {
	zsh -f -c '
		zmodload zsh/zpty || exit 1
		zpty -b z "zsh -f -i"
		zpty -w z "PS1=\"> \"; fpath=(${(q)1} \$fpath);
			autoload -Uz compinit; compinit -u -D;
			zstyle \":completion:*\" format \"[%d]\""
		line=$2; shift 2
		zpty -w -n z "$line"$'"'"'\t'"'"'
		screen=
		for i in {1..40}; do
			sleep 0.5
			while zpty -r -t z chunk; do screen+=$chunk; done
			missing=0
			for w; do [[ $screen == *"$w"* ]] || missing=1; done
			(( missing )) || break
		done
		zpty -d z
		print -r -- "$screen"' zsh "$SRC_ROOT/completions" "$@" 2>&1 |
		sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | tr -d '\r'
}

got=$(zsh_tab 'retort upgrade ' aaa111 bbb222 core@head heads)
words=$(tr -s ' \t' '\n' <<<"$got")
includes "$words" aaa111 bbb222 core core@head core@base head heads base
verdict "zsh, interactive: retort upgrade <Tab> lists the targets${missing[*]:+; missing ${missing[*]}}" $?
got=$(zsh_tab 'retort upgrade --' -- --sample --allow-changed --url)
words=$(tr -s ' \t' '\n' <<<"$got")
includes "$words" --sample --allow-changed --url --help
verdict "zsh, interactive: retort upgrade --<Tab> lists its options and the global ones${missing[*]:+; missing ${missing[*]}}" $?

finish
