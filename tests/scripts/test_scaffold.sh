#!/usr/bin/env bash
# Tests for `retort revision`, `merge` and `init`, in TAP, on throwaway
# projects in a temporary directory: the files written, meson.build, the
# exit status, Alembic's wording, and that an error writes nothing.
#
# Then the README's walkthrough for a new user: `meson install` retort into
# a temporary prefix, `retort init` a project, `retort revision`, build it
# with dependency('retort') through the installed retort.pc, and
# `retort upgrade head` / `downgrade base` on a fresh database.
#
# Environment (from meson): RETORT_BIN, SRC_ROOT, TESTDB (tests/lib/testdb);
# RETORT_TEST_DATABASE_URL for the database steps (skipped without it,
# failed without it when RETORT_REQUIRE_DB=1).
#
# No set -e: every status is looked at, and a failing check must not stop
# the others.
set -uo pipefail

: "${RETORT_BIN:?}" "${SRC_ROOT:?}"
work=$(mktemp -d)
dbname=
cleanup() {
	if [[ -n $dbname ]]; then
		"$TESTDB" drop "$dbname" >/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/scripts/lib.sh
. "$SRC_ROOT/tests/scripts/lib.sh"

# run ARGS...: run retort (see capture).
run() {
	capture "$RETORT_BIN" "$@"
}

# field FILE NAME: the string value of .NAME in a generated source, or NULL.
field() {
	sed -n "s/.*\\.$2 = \\(\"\\([^\"]*\\)\"\\|NULL\\).*/\\1/p" "$1" |
		tr -d '"'
}

# A snapshot of a directory's names and contents, to prove nothing changed.
snapshot() {
	(
		cd "$1" || exit 1
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat --
		find . | LC_ALL=C sort
	)
}

# unchanged DESCRIPTION: the project is as the last `snapshot` saw it.
unchanged() {
	[[ $(snapshot "$p") == "$snap" ]]
	verdict "$1" $?
}

# A project whose sources exercise the scanner: fields over several lines,
# decoys in comments and strings, concatenated literals, a helper file
# with no revision, and a revision with a branch label.
make_project() {
	mkdir -p "$1/versions"
	cat >"$1/retort.ini" <<'EOF'
[retort]
sources = versions
EOF
	cat >"$1/versions/meson.build" <<'EOF'
revision_sources = [
  'aaa_base.c',
  'bbb_second.c'  # no trailing comma
]
EOF
	cat >"$1/versions/aaa_base.c" <<'EOF'
/* Not this one: RETORT_REVISION(.revision = "decoy") */
#include "plugin_api.h"
#define NOT_THIS RETORT_REVISION(.revision = "decoy2")
static const char *s = "RETORT_REVISION(.revision = \"decoy3\")";

RETORT_REVISION(
    .revision      =   "a" "aa",  // concatenated
    .down_revision =
        NULL,
    .message       = "base, with \"quotes\"",
    .branch_labels = "core",
);
EOF
	cat >"$1/versions/bbb_second.c" <<'EOF'
#include "plugin_api.h"
RETORT_REVISION(.revision="bbb",.down_revision="aaa",.flags=0,.message="x",);
EOF
	printf 'int helper(void);\nint helper(void) { return 0; }\n' \
		>"$1/versions/helper.c"
}

echo "# revision"

p="$work/p1"
make_project "$p"
cd "$p" || exit 1

run revision -h
[[ $rc -eq 0 && $out == *"--rev-id"* && $out == *"--splice"* ]]
verdict "revision -h prints its usage and exits 0" $?

run revision -m x --bogus
[[ $rc -eq 2 && $err == *"--bogus"* ]]
verdict "revision: an unknown option is a usage error (exit 2)" $?

snap=$(snapshot "$p")
run revision
[[ $rc -eq 2 && $err == *"a message is required"* ]]
verdict "revision without -m: exit 2" $?
unchanged "and nothing is written"

run revision -m "Add Portfolios table!"
base=$(basename "$new")
first=${base%%_*}
[[ $rc -eq 0 && -f $new && $new == /* ]]
verdict "revision exits 0 and prints 'Generating <absolute path> ...  done'" $?
[[ $base =~ ^[0-9a-f]{12}_add_portfolios_table\.c$ ]]
verdict "the id is 12 random hex digits, the file <id>_<slug>.c" $?
[[ $(field "$new" revision) == "$first" && $(field "$new" down_revision) == bbb ]]
verdict "the scanner found the single head (bbb) through comments and strings" $?
[[ $(sed -n 3,5p versions/meson.build) == "  'bbb_second.c',  # no trailing comma
  '$base',
]" ]]
verdict "meson.build lists it, the previous entry given its comma" $?

run revision -m "second" --rev-id 002_two
[[ $rc -eq 0 && $(basename "$new") == 002_two_second.c &&
	$(field "$new" down_revision) == "$first" ]]
verdict "a revision not yet built counts: the next one follows it" $?

snap=$(snapshot "$p")
for bad in no-dashes "$(printf 'x%.0s' {1..33})" head base 002_two; do
	run revision -m "bad" --rev-id "$bad"
	[[ $rc -eq 2 && ($err == *"invalid revision id"* ||
		$err == *"already exists"*) ]]
	verdict "--rev-id '${bad:0:12}' is refused (exit 2)" $?
done
unchanged "and nothing is written"

run revision -m "branch" --head bbb
[[ $rc -eq 2 && $err == *"Revision bbb is not a head revision; please specify --splice to create a new branch from this revision"* ]]
verdict "--head on a revision that is not a head needs --splice (Alembic's words)" $?
unchanged "and nothing is written"

run revision -m "branch" --head bbb --splice --rev-id side1 --branch-label side
[[ $rc -eq 0 && $(field "$new" down_revision) == bbb &&
	$(field "$new" branch_labels) == side ]]
verdict "--head REV --splice --branch-label: a labelled branch" $?

snap=$(snapshot "$p")
run revision -m "which"
[[ $rc -eq 2 && $err == *"Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge."* &&
	$err == *"heads: "*side1* && $err == *"heads: "*002_two* ]]
verdict "several heads: exit 2, Alembic's message, the heads listed" $?
unchanged "and nothing is written"

run revision -m "on side" --head side@head --rev-id side2
[[ $rc -eq 0 && $(field "$new" down_revision) == side1 ]]
verdict "--head label@head builds on that branch's head" $?

run revision -m "again" --head side2 --branch-label side
[[ $rc -eq 2 && $err == *"Branch name 'side' already used"* ]]
verdict "a branch label already in use is refused (exit 2)" $?

run revision -m "new root" --head base --rev-id root2
[[ $rc -eq 0 && $(field "$new" down_revision) == NULL ]]
verdict "--head base starts a new root" $?

run revision -m "deps" --head root2 --rev-id dep1 --depends-on "002_,core"
[[ $rc -eq 0 && $(field "$new" depends_on) == "002_two, core" ]]
verdict "--depends-on: a prefix becomes the full id, a label stays a label" $?

run revision -m "deps" --head dep1 --depends-on nosuch
[[ $rc -eq 2 && $err == *"Can't locate revision identified by 'nosuch'"* ]]
verdict "--depends-on an unknown revision: exit 2" $?

run revision -m "elsewhere" --version-path "$work/other" --rev-id o1
[[ $rc -eq 2 && $err == *"$work/other"* ]]
verdict "--version-path to a missing directory: exit 2" $?
mkdir "$work/other"
run revision -m "elsewhere" --version-path "$work/other" --rev-id o1
[[ $rc -eq 0 && $new == "$work/other/o1_elsewhere.c" &&
	$out != *"meson.build"* ]]
verdict "--version-path writes there; without a meson.build it needs none" $?

echo "# the scanner's errors"

p="$work/p2"
make_project "$p"
cd "$p" || exit 1
printf '#include "plugin_api.h"\n#define ID "x"\nRETORT_REVISION(\n  .revision = ID,\n);\n' \
	>versions/ccc_macro.c
snap=$(snapshot "$p")
run revision -m "x"
[[ $rc -eq 2 && $err == *"versions/ccc_macro.c:4"* &&
	$err == *".revision is neither string literals nor NULL"* ]]
verdict "a .revision that is not a literal: exit 2 naming file and line" $?
unchanged "and nothing is written"
printf 'RETORT_REVISION(.revision = "ccc", .down_revision = "zzz");\n' \
	>versions/ccc_macro.c
run revision -m "x"
[[ $rc -eq 2 && $err == *"zzz"* ]]
verdict "an unknown down_revision in the sources: exit 2" $?
rm versions/ccc_macro.c

printf '# no list\n' >versions/meson.build
run revision -m "unlisted" --rev-id unlisted
[[ $rc -eq 0 && -f versions/unlisted_unlisted.c &&
	$(cat versions/meson.build) == "# no list" ]]
verdict "a meson.build without revision_sources: the source is written, meson.build left alone" $?
rm versions/unlisted_unlisted.c

echo "# a hostile message"
printf 'revision_sources = []\n' >versions/meson.build
marker="$work/pwned"
msg="Quote \" back\\slash \$(touch $marker) \`touch $marker\` ??/ ??? */ /* tab	x
second \"line\"\\"
run revision -m "$msg" --rev-id hostile
[[ $rc -eq 0 && -f $new && ! -e $marker ]]
verdict "quotes, backslashes, \$(...), backticks, */, trigraphs, newlines: written, no shell ran" $?
[[ $(cat versions/meson.build) == "revision_sources = ['$(basename "$new")']" ]]
verdict "a one-line list stays one line" $?
if have_compiler; then
	want=${msg//$'\n'/ }
	want=${want//$'\t'/ }
	got=$(compile_message "$new" 2>&1)
	[[ $got == "$want" ]]
	verdict "it compiles under -Werror and .message round-trips" $?
else
	skip "it compiles and .message round-trips" "no C compiler or libpq"
fi

echo "# merge"

p="$work/p3"
make_project "$p"
cd "$p" || exit 1
run revision -m "left" --rev-id left
run revision -m "right" --rev-id right --head bbb --splice

run merge -h
[[ $rc -eq 0 && $out == *"heads"* ]]
verdict "merge -h prints its usage and exits 0" $?

snap=$(snapshot "$p")
run merge -m "one" left
[[ $rc -eq 2 && $err == *"at least two"* ]]
verdict "merge of one revision: exit 2" $?
run merge -m "dup" left left
[[ $rc -eq 2 && $err == *"Duplicate head revisions specified"* ]]
verdict "merge naming a revision twice: exit 2, Alembic's words" $?
run merge -m "not a head" left bbb
[[ $rc -eq 2 && $err == *"Revision bbb is not a head revision"* ]]
verdict "merge of a revision that is not a head: exit 2, Alembic's words" $?
run merge -m "unknown" left nosuch
[[ $rc -eq 2 && $err == *"Can't locate revision identified by 'nosuch'"* ]]
verdict "merge of an unknown revision: exit 2" $?
run merge left right
[[ $rc -eq 2 && $err == *"a message is required"* ]]
verdict "merge without -m: exit 2" $?
unchanged "and nothing is written"

run merge -m "join heads" --rev-id m1 --branch-label joined heads
[[ $rc -eq 0 && $(basename "$new") == m1_join_heads.c &&
	$(field "$new" down_revision) =~ ^(left,\ right|right,\ left)$ &&
	$(field "$new" branch_labels) == joined ]]
verdict "merge heads: one revision whose down_revision lists both heads" $?
run revision -m "after"
[[ $rc -eq 0 && $(field "$new" down_revision) == m1 ]]
verdict "after the merge there is one head again" $?

echo "# init"

cd "$work" || exit 1
run init -h
[[ $rc -eq 0 && $out == *"init DIR"* ]]
verdict "init -h prints its usage and exits 0" $?
run init
[[ $rc -eq 2 ]]
verdict "init without DIR: exit 2" $?

run init shop
files=(meson.build versions/meson.build retort.ini .env.example .gitignore)
ok=0
for f in "${files[@]}"; do
	[[ -f shop/$f ]] || ok=1
	[[ $out == *"Generating $work/shop/$f ...  done"* ]] || ok=1
done
[[ $rc -eq 0 && $ok -eq 0 && -d shop/versions &&
	$out == *"Creating directory $work/shop ...  done"* ]]
verdict "init creates the project and says what it created" $?
grep -q "find_program('retort')" shop/meson.build &&
	grep -q "'build'\]" shop/versions/meson.build &&
	! grep -q "revision_sources" shop/versions/meson.build &&
	grep -qx "sources = versions" shop/retort.ini &&
	grep -qx "versions = build/versions" shop/retort.ini &&
	grep -qx "build/" shop/.gitignore && grep -qx ".env" shop/.gitignore &&
	grep -q "^DATABASE_URL=" shop/.env.example
verdict "meson.build, versions/meson.build, retort.ini, .gitignore, .env.example" $?

p="$work/shop"
snap=$(snapshot "$p")
run init shop
[[ $rc -eq 2 && $err == *"Directory shop already exists and is not empty"* ]]
verdict "init on a non-empty directory: exit 2, Alembic's words" $?
unchanged "and nothing is written"
: >afile
run init afile
[[ $rc -eq 2 && $err == *"not a directory"* ]]
verdict "init on a file: exit 2" $?
mkdir empty
run init empty
[[ $rc -eq 0 && -f empty/retort.ini && $out != *"Creating directory $work/empty ..."* ]]
verdict "init in an existing empty directory" $?
run init deep/er/shop
[[ $rc -eq 0 && -f deep/er/shop/versions/meson.build ]]
verdict "init creates missing parents" $?

cd shop || exit 1
cp versions/meson.build "$work/versions-meson.before"
run revision -m "first"
[[ $rc -eq 0 && $(field "$new" down_revision) == NULL ]] &&
	cmp -s versions/meson.build "$work/versions-meson.before"
verdict "in the new project, retort revision writes the first revision; meson.build needs no edit" $?

echo "# the README walkthrough: install, init, revision, build, upgrade"

# install_retort: build this source tree into a temporary prefix.
prefix="$work/prefix"
install_retort() {
	meson setup "$work/build" "$SRC_ROOT" --prefix "$prefix" \
		-Dtests=false >"$work/setup.log" 2>&1 &&
		meson install -C "$work/build" >"$work/install.log" 2>&1
}
if ! command -v meson >/dev/null || ! have_compiler; then
	skip "meson install" "no meson, C compiler or libpq"
	finish
	exit
fi
rc=0
install_retort || rc=$?
out=$(tail -n 20 "$work/install.log" 2>/dev/null)
err=$(tail -n 20 "$work/setup.log")
[[ $rc -eq 0 ]]
verdict "meson install into a temporary prefix" $?
if [[ $rc -ne 0 ]]; then
	printf '1..%d\n' "$n"
	exit 1
fi
pc=$(find "$prefix" -name retort.pc | head -n 1)
[[ -x $prefix/bin/retort && -f $prefix/include/retort/plugin_api.h &&
	-n $pc ]]
verdict "it installs bin/retort, include/retort/plugin_api.h and retort.pc" $?
checksum_script=$(pkg-config --variable=source_checksum "$pc")
[[ $checksum_script == "$prefix/"*/retort/source-checksum && -x $checksum_script ]]
verdict "it installs source-checksum, named by retort.pc's source_checksum" $?
export PKG_CONFIG_PATH="${pc%/*}${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PATH="$prefix/bin:$PATH"
RETORT_BIN=retort

cd "$work" || exit 1
run init cafe
[[ $rc -eq 0 && $(command -v retort) == "$prefix/bin/retort" ]]
verdict "the installed retort inits a project" $?
cd cafe || exit 1
run revision -m "create menu table"
rev=$new
id=$(field "$rev" revision)
sed -i 's|/\* write the schema change here.*|return retort_exec(ctx, "CREATE TABLE menu (id int PRIMARY KEY)");|;
	s|/\* undo upgrade() here.*|return retort_exec(ctx, "DROP TABLE menu");|' "$rev"
[[ $rc -eq 0 ]] && grep -q "CREATE TABLE menu" "$rev"
verdict "retort revision -m, then the revision is written by hand" $?
plugin=build/versions/$(basename "${rev%.c}").so

# db_steps: the walkthrough against a database, retort building the
# revision itself: no meson, no build step.
db_steps() {
	mapfile -t created < <("$TESTDB" create scaffold)
	dbname=${created[0]:-}
	export DATABASE_URL=${created[1]:-}
	run upgrade head
	[[ $rc -eq 0 && $out == *"Running upgrade  -> $id, create menu table"* &&
		$err == *"Building $id create menu table"* && -f $plugin ]]
	verdict "DATABASE_URL=... retort upgrade head builds the revision (no meson) and runs it" $?
	[[ $("$TESTDB" scalar "$dbname" "SELECT to_regclass('menu') IS NOT NULL") == t &&
		$("$TESTDB" scalar "$dbname" "SELECT version_num FROM alembic_version") == "$id" ]]
	verdict "the table exists and alembic_version holds the revision" $?
	run current
	[[ $rc -eq 0 && $out == *"$id (head)"* && $err != *Building* ]]
	verdict "retort current: <id> (head), nothing built again" $?
	run downgrade base
	[[ $rc -eq 0 && $("$TESTDB" scalar "$dbname" "SELECT to_regclass('menu') IS NULL") == t ]]
	verdict "retort downgrade base drops it again" $?

	# An edit to an applied revision is rebuilt, and then refused as
	# edited since it ran: building never bypasses that check.
	run upgrade head
	run check
	[[ $rc -eq 0 ]]
	verdict "at head with the plugin as built: retort check exits 0" $?
	printf '/* edited after it ran */\n' >>"$rev"
	run --no-build check
	[[ $rc -eq 2 && $err == *"versions/$(basename "$rev") has no current plugin in build/versions (--no-build)"* &&
		$err == *"retort build"* ]]
	verdict "--no-build: the edited source has no current plugin: exit 2 naming it" $?
	run check
	[[ $rc -eq 2 && $err == *"Building $id create menu table"* &&
		$err == *"applied revision '$id' was changed after it ran"* ]]
	verdict "check rebuilds the edited source, then refuses the applied revision edited since it ran" $?
	run downgrade base
	[[ $rc -eq 2 && $err == *"changed after it ran"* &&
		$("$TESTDB" scalar "$dbname" "SELECT to_regclass('menu') IS NOT NULL") == t ]]
	verdict "nor does downgrade run the edited revision" $?
	run check --allow-changed
	[[ $rc -eq 0 ]]
	verdict "retort check --allow-changed accepts the edit" $?
}

if [[ -n ${RETORT_TEST_DATABASE_URL:-} && -n ${TESTDB:-} ]]; then
	db_steps
elif [[ ${RETORT_REQUIRE_DB:-} == 1 ]]; then
	flunk "upgrade head on a database" \
		"RETORT_REQUIRE_DB=1 but RETORT_TEST_DATABASE_URL is not set"
else
	skip "upgrade head and downgrade base" "no DATABASE_URL"
fi

# The project's meson build runs the installed retort's builder: a
# source removed is a revision removed, with no list to edit.
rm -f "$plugin"
rc=0
out=$({ meson setup build && meson compile -C build; } 2>&1) || rc=$?
err=
[[ $rc -eq 0 && -f $plugin && $out == *"Building $id create menu table"* ]]
verdict "meson setup build && meson compile -C build runs retort build" $?
rm "$rev"
rc=0
out=$(meson compile -C build 2>&1) || rc=$?
[[ $rc -eq 0 && ! -e $plugin && $out == *"Removing "*"/$(basename "$plugin"): its source "*"/$(basename "$rev") is gone"* ]]
verdict "the source removed: meson compile removes its plugin" $?
run history
[[ $rc -eq 0 && -z $out ]]
verdict "and retort history no longer counts it" $?

finish
