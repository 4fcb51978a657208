#!/usr/bin/env bash
# Tests that `meson install` puts retort(1) and the completion scripts
# where man, bash-completion and zsh find them, in TAP: this build is
# installed with --destdir into a scratch directory, then each is found
# the way the README tells a user of a prefix of their own to find it
# (MANPATH; XDG_DATA_DIRS for bash-completion; fpath for zsh).
#
# Environment (from meson): SRC_ROOT, BUILD_ROOT.  Without man,
# bash-completion or zsh those checks are skipped, unless CI=true, where
# that fails.
set -uo pipefail

: "${SRC_ROOT:?}" "${BUILD_ROOT:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2034 # lib.sh's verdict shows them
rc=0 out='' err=''

# shellcheck source=tests/scripts/lib.sh
. "$SRC_ROOT/tests/scripts/lib.sh"

# option NAME: the build's value of a directory option.
option() {
	meson introspect --buildoptions "$BUILD_ROOT" |
		python3 -c 'import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}

prefix=$(option prefix)
mandir=$(option mandir)
datadir=$(option datadir)
dest=$work/dest
root=$dest$prefix

meson install -C "$BUILD_ROOT" --no-rebuild --destdir "$dest" \
	>"$work/install.log" 2>&1
rc=$?
out=$(tail -n 20 "$work/install.log")
verdict "meson install --destdir" $rc

cmp -s "$SRC_ROOT/doc/retort.1" "$root/$mandir/man1/retort.1"
verdict "the man page is installed as <mandir>/man1/retort.1" $?
cmp -s "$SRC_ROOT/completions/retort.bash" \
	"$root/$datadir/bash-completion/completions/retort"
verdict "bash completion: <datadir>/bash-completion/completions/retort" $?
cmp -s "$SRC_ROOT/completions/_retort" \
	"$root/$datadir/zsh/site-functions/_retort"
verdict "zsh completion: <datadir>/zsh/site-functions/_retort" $?

if command -v man >/dev/null 2>&1; then
	out=$(MANPATH=$root/$mandir: MANWIDTH=80 man retort 2>&1)
	grep -q 'retort - PostgreSQL migrations' <<<"$out"
	verdict "MANPATH=<prefix>/share/man: man retort shows it" $?
else
	missing_tool man "man retort"
fi

bash_completion=/usr/share/bash-completion/bash_completion
if [[ -r $bash_completion ]]; then
	# bash-completion looks in $XDG_DATA_DIRS/bash-completion/completions
	# when `retort` is first completed.
	out=$(XDG_DATA_DIRS=$root/$datadir:/usr/share bash --norc -c '
		. "$1"
		__load_completion retort
		complete -p retort' bash "$bash_completion" 2>&1)
	[[ $out == "complete -F _retort retort" ]]
	verdict "bash-completion loads it through XDG_DATA_DIRS" $?
else
	missing_tool bash-completion "bash-completion loading"
fi

if command -v zsh >/dev/null 2>&1; then
	out=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit
		compinit -u -D 2>&1; print -r -- ${_comps[retort]}' zsh \
		"$root/$datadir/zsh/site-functions")
	[[ $out == _retort ]]
	verdict "zsh's compinit finds it through fpath" $?
else
	missing_tool zsh "zsh's compinit"
fi

finish
