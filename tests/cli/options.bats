#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Usage, man pages and completions stay in step: for every
# program with a page in man/*.1, the options its --help prints must be in
# the page and in both completion files; every page must lint and render.

load ../lib/common

bats_require_minimum_version 1.5.0

MAN_DIR="$IOTPIPE_SRC/man"
BASH_DIR="$IOTPIPE_SRC/completions/bash"
ZSH_DIR="$IOTPIPE_SRC/completions/zsh"

# The programs that have a section 1 page, one per line.
tools() {
    local page
    for page in "$MAN_DIR"/*.1; do
        [[ -e $page ]] && basename "$page" .1
    done
}

# Every page, sections 1 and 7.
pages() {
    local page
    for page in "$MAN_DIR"/*.1 "$MAN_DIR"/*.7; do
        [[ -e $page ]] && printf '%s\n' "$page"
    done
}

help_of() {
    "$IOTPIPE_BUILD/$1" --help 2>/dev/null
}

# The usage block of --help: the "usage:" line and its indented
# continuation lines, without the "usage:" word, on one line.
usage_of() {
    help_of "$1" | awk '
        !u && /^usage:/ { u = 1; sub(/^usage:[ \t]*/, ""); print; next }
        u && /^[ \t]+[^ \t-]/ { print; next }
        u { exit }' | tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

# Long options named anywhere in --help, without the dashes.
long_opts() {
    help_of "$1" | grep -oE -- '--[A-Za-z0-9][A-Za-z0-9-]*' |
        sed 's/^--//' | sort -u
}

# Short option letters in the usage block: "[-hqVv]", "[-t topic]", "-X".
short_opts() {
    usage_of "$1" | grep -oE -- '(^|[[ |])-[A-Za-z0-9]+' |
        sed 's/^[[ |]*-//' | fold -w 1 | sort -u
}

# The SYNOPSIS of a rendered page on one line.
synopsis_of() {
    mandoc -Tutf8 -O width=1000 "$1" | col -b |
        sed -n '/^SYNOPSIS$/,/^[A-Z]/{/^[A-Z]/!p;}' |
        tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

# has_word FILE WORD: WORD occurs in FILE, not as part of a longer option.
has_word() {
    grep -qE -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|\$)" "$1"
}

# Collect problems and report them all at once, so one run names every gap.
problems=()
problem() {
    problems+=("$*")
}
report() {
    if ((${#problems[@]})); then
        fail "$(printf '%s\n' "${problems[@]}")"
    fi
}

@test "there is at least one program page in man/" {
    run tools
    assert_success
    refute_output ''
}

@test "every program page has its program in the build directory" {
    local t
    for t in $(tools); do
        [[ -x $IOTPIPE_BUILD/$t ]] ||
            problem "man/$t.1: no program $IOTPIPE_BUILD/$t"
    done
    report
}

@test "every program in the build directory has a page and completions" {
    local f t
    for f in "$IOTPIPE_BUILD"/*; do
        [[ -f $f && -x $f ]] || continue
        t=${f##*/}
        [[ -f $MAN_DIR/$t.1 ]] || problem "$t: no man/$t.1"
        [[ -f $BASH_DIR/$t ]] || problem "$t: no completions/bash/$t"
        [[ -f $ZSH_DIR/_$t ]] || problem "$t: no completions/zsh/_$t"
    done
    for f in "$BASH_DIR"/* "$ZSH_DIR"/_*; do
        [[ -e $f ]] || continue
        t=${f##*/}
        t=${t#_}
        [[ -f $MAN_DIR/$t.1 ]] || problem "${f#"$IOTPIPE_SRC"/}: no man/$t.1"
    done
    report
}

@test "--help prints the usage on stdout only and exits 0" {
    local t
    for t in $(tools); do
        run --separate-stderr "$IOTPIPE_BUILD/$t" --help
        ((status == 0)) || problem "$t --help: exit $status"
        [[ -z $stderr ]] || problem "$t --help: wrote to stderr: $stderr"
        [[ $output == "usage: $t "* ]] ||
            problem "$t --help: stdout does not start with 'usage: $t'"
    done
    report
}

@test "a value given to an option that takes none: exit 2, the option named (--help=x, --quiet=1)" {
    local t
    for t in $(tools); do
        run --separate-stderr "$IOTPIPE_BUILD/$t" --quiet=1
        ((status == 2)) || problem "$t --quiet=1: exit $status"
        [[ $stderr == "$t: option '--quiet' takes no argument"$'\n'* ]] ||
            problem "$t --quiet=1: $stderr"
        run --separate-stderr "$IOTPIPE_BUILD/$t" --help=x
        [[ $stderr == "$t: option '--help' takes no argument"$'\n'* ]] ||
            problem "$t --help=x: $stderr"
    done
    report
}

@test "usage matches the man page SYNOPSIS word for word" {
    local t usage synopsis
    for t in $(tools); do
        usage=$(usage_of "$t")
        synopsis=$(synopsis_of "$MAN_DIR/$t.1")
        if [[ -z $usage || $usage != "$synopsis" ]]; then
            problem "$t: usage:    '$usage'"
            problem "$t: SYNOPSIS: '$synopsis'"
        fi
    done
    report
}

@test "every long option is in the man page SYNOPSIS and options list" {
    local t o synopsis
    for t in $(tools); do
        [[ -n $(long_opts "$t") ]] || problem "$t --help: no long options"
        synopsis=$(synopsis_of "$MAN_DIR/$t.1")
        for o in $(long_opts "$t"); do
            # --help, --version and such are only in the list, not SYNOPSIS.
            if usage_of "$t" | grep -qE -- "--$o([^A-Za-z0-9-]|\$)"; then
                grep -qE -- "--$o([^A-Za-z0-9-]|\$)" <<<"$synopsis" ||
                    problem "man/$t.1: SYNOPSIS lacks --$o"
            fi
            grep -qE -- "^\.It .*Fl \\\\-$o([^A-Za-z0-9-]|\$)" \
                "$MAN_DIR/$t.1" ||
                problem "man/$t.1: no '.It Fl \\-$o' entry"
        done
    done
    report
}

@test "every short option is in the man page options list" {
    local t o
    for t in $(tools); do
        for o in $(short_opts "$t"); do
            grep -qE -- "^\.It Fl $o( |\$)" "$MAN_DIR/$t.1" ||
                problem "man/$t.1: no '.It Fl $o' entry"
        done
    done
    report
}

@test "every option is in the bash and zsh completions" {
    local t o
    for t in $(tools); do
        [[ -f $BASH_DIR/$t ]] || { problem "no completions/bash/$t"; continue; }
        [[ -f $ZSH_DIR/_$t ]] || { problem "no completions/zsh/_$t"; continue; }
        for o in $(long_opts "$t"); do
            has_word "$BASH_DIR/$t" "--$o" ||
                problem "completions/bash/$t: lacks --$o"
            has_word "$ZSH_DIR/_$t" "--$o" ||
                problem "completions/zsh/_$t: lacks --$o"
        done
        for o in $(short_opts "$t"); do
            has_word "$BASH_DIR/$t" "-$o" ||
                problem "completions/bash/$t: lacks -$o"
            has_word "$ZSH_DIR/_$t" "-$o" ||
                problem "completions/zsh/_$t: lacks -$o"
        done
    done
    report
}

@test "bash completion offers every long option after --" {
    local t o offered
    for t in $(tools); do
        [[ -f $BASH_DIR/$t ]] || { problem "no completions/bash/$t"; continue; }
        # A clean bash: the file must work without bash-completion loaded.
        offered=$(bash --norc --noprofile -c '
            source "$1" || exit 1
            fn=$(complete -p "$2" | sed -n "s/.*-F \([^ ]*\).*/\1/p")
            [[ -n $fn ]] || exit 1
            COMP_WORDS=("$2" --) COMP_CWORD=1
            COMP_LINE="$2 --" COMP_POINT=${#COMP_LINE}
            "$fn" "$2" -- "$2" 2>/dev/null
            printf "%s\n" "${COMPREPLY[@]}"' _ "$BASH_DIR/$t" "$t") ||
            { problem "completions/bash/$t: does not register for $t"; continue; }
        for o in $(long_opts "$t"); do
            grep -qxE -- "--$o=?" <<<"$offered" ||
                problem "completions/bash/$t: '$t --<TAB>' lacks --$o"
        done
    done
    report
}

# bash_complete FILE WORD...: what the bash completion in FILE offers for
# the command line WORD... (the last word is the one being completed)
bash_complete() {
    bash --norc --noprofile -c '
        f=$1; shift
        source "$f" || exit 1
        fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\).*/\1/p")
        [[ -n $fn ]] || exit 1
        COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
        COMP_LINE="$*" COMP_POINT=${#COMP_LINE}
        "$fn" "$1" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}" 2>/dev/null
        printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}

@test "bash completion of -X offers librdkafka's property names and enum values" {
    local t
    for t in kprod kcons; do
        run bash_complete "$BASH_DIR/$t" "$t" -X ""
        assert_success
        assert_line "bootstrap.servers="
        assert_line "security.protocol="
        run bash_complete "$BASH_DIR/$t" "$t" -X "security.protocol=sasl"
        assert_success
        assert_line "security.protocol=sasl_ssl"
        [[ $output != *security.protocol=plaintext* ]]
    done
    # each its own side: producer properties for kprod, consumer for kcons
    run bash_complete "$BASH_DIR/kprod" kprod -X "linger"
    assert_line "linger.ms="
    run bash_complete "$BASH_DIR/kcons" kcons -X "linger"
    [[ $output != *linger.ms=* ]]
    run bash_complete "$BASH_DIR/kcons" kcons -X "enable.auto.offset"
    assert_line "enable.auto.offset.store="
}

@test "completions pass bash -n and zsh -n; zsh files start with #compdef" {
    local t
    for t in $(tools); do
        bash -n "$BASH_DIR/$t" 2>/dev/null || problem "bash -n completions/bash/$t"
        zsh -n "$ZSH_DIR/_$t" 2>/dev/null || problem "zsh -n completions/zsh/_$t"
        [[ $(head -n 1 "$ZSH_DIR/_$t" 2>/dev/null) == "#compdef $t"* ]] ||
            problem "completions/zsh/_$t: first line is not '#compdef $t'"
    done
    report
}

@test "mandoc -Tlint -Wwarning passes on every page" {
    local p
    for p in $(pages); do
        run mandoc -Tlint -Wwarning "$p"
        ((status == 0)) || problem "${p#"$IOTPIPE_SRC"/}: mandoc exit $status: $output"
    done
    report
}

@test "every page renders with its NAME line" {
    local p name text
    for p in $(pages); do
        name=${p##*/}
        name=${name%.*}
        text=$(mandoc -Tutf8 "$p" | col -b) ||
            { problem "${p#"$IOTPIPE_SRC"/}: mandoc -Tutf8 failed"; continue; }
        grep -qx 'NAME' <<<"$text" ||
            problem "${p#"$IOTPIPE_SRC"/}: no NAME section"
        grep -qE "^ +$name(, [^ ]+)* (–|-|\\\\-) [^ ]" <<<"$text" ||
            problem "${p#"$IOTPIPE_SRC"/}: no '$name – description' line"
    done
    report
}

# The rows of a program's option table, from its hidden --list-options:
# "SHORT<TAB>LONG<TAB>ARG<TAB>HELP" a line.
rows_of() {
    "$IOTPIPE_BUILD/$1" --list-options
}

# The options a table declares: "-x" and "--name", one a line, sorted.
table_opts() {
    rows_of "$1" | awk -F'\t' '$1 != "" { print $1 } $2 != "" { print $2 }' |
        LC_ALL=C sort -u
}

# The options a zsh completion file offers in its _arguments specs.
zsh_opts() {
    awk '/^_arguments/ { a = 1; next } a && /^  \(?'"'"'/ { print }' "$1" |
        sed 's/\[.*//' |
        grep -oE -- "(^|[{,()* '])--?[A-Za-z0-9][A-Za-z0-9-]*" |
        sed "s/^[{,()* ']*//" | LC_ALL=C sort -u
}

# The long and short options in a SYNOPSIS (no operands' words).
synopsis_opts() {
    synopsis_of "$1" | grep -oE -- "\[--?[A-Za-z0-9][A-Za-z0-9-]*" |
        sed 's/^\[//' | while read -r w; do
            if [[ $w == --* ]]; then
                printf '%s\n' "$w"
            else
                # a group of letters: [-hqVv]
                w=${w#-}
                fold -w 1 <<<"$w" | sed 's/^/-/'
            fi
        done | LC_ALL=C sort -u
}

@test "every option table row has a one-line help text" {
    local t line
    for t in $(tools); do
        rows_of "$t" >/dev/null || { problem "$t --list-options failed"; continue; }
        while IFS= read -r line; do
            [[ $(cut -f4 <<<"$line") == ????????* ]] ||
                problem "$t: row '$line' has no help text"
        done < <(rows_of "$t")
    done
    report
}

@test "completions and SYNOPSIS offer exactly the options of the table" {
    local t want got
    for t in $(tools); do
        want=$(table_opts "$t")
        [[ -n $want ]] || { problem "$t: empty option table"; continue; }
        got=$(bash_complete "$BASH_DIR/$t" "$t" - | sed 's/=$//' |
            LC_ALL=C sort -u)
        [[ $got == "$want" ]] ||
            problem "completions/bash/$t: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
        got=$(zsh_opts "$ZSH_DIR/_$t")
        [[ $got == "$want" ]] ||
            problem "completions/zsh/_$t: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
        # SYNOPSIS: a row with a letter shows as the letter
        want=$(rows_of "$t" |
            awk -F'\t' '$1 != "" { print $1; next } { print $2 }' |
            LC_ALL=C sort -u)
        got=$(synopsis_opts "$MAN_DIR/$t.1")
        [[ $got == "$want" ]] ||
            problem "man/$t.1 SYNOPSIS: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
    done
    report
}

# The variables a page's ENVIRONMENT section names in its .It lines.
man_env() {
    sed -n '/^\.Sh ENVIRONMENT/,/^\.Sh /p' "$1" |
        sed -n -E 's/^\.(It )?Ev ([A-Z_][A-Z0-9_]*).*/\2/p' | LC_ALL=C sort -u
}

# The variables the Environment part of --help names.
help_env() {
    help_of "$1" | awk '/^Environment:$/ { e = 1; next } e && /^$/ { exit }
        e && /^  [A-Z_]/ { print $1 }' | LC_ALL=C sort -u
}

@test "--help says what the program does, each option with its help and default, the environment, examples and the page" {
    local t help line short long text def
    for t in $(tools); do
        help=$(help_of "$t")
        grep -qE "^$t: [a-z].{15,}" <<<"$help" ||
            problem "$t --help: no '$t: what it does' line"
        grep -qx 'Options:' <<<"$help" || problem "$t --help: no Options:"
        grep -qx 'Examples:' <<<"$help" || problem "$t --help: no Examples:"
        awk '/^Examples:$/ { e = 1; next } e && /^$/ { exit } e { print }' \
            <<<"$help" | grep -qw -- "$t" ||
            problem "$t --help: no example runs $t"
        grep -qx "See $t(1) and iotpipe(7)." <<<"$help" ||
            problem "$t --help: no 'See $t(1)'"
        [[ $(help_env "$t") == "$(man_env "$MAN_DIR/$t.1")" ]] ||
            problem "$t --help: Environment '$(help_env "$t" | tr '\n' ' ')' but man/$t.1 ENVIRONMENT '$(man_env "$MAN_DIR/$t.1" | tr '\n' ' ')'"
        # every row of the table: its label, its help and its default
        while IFS=$'\037' read -r short long _ text; do
            def=
            [[ $text == *' (default: '*')' ]] && def=${text##* (default: }
            text=${text%% (default: *}
            if [[ -n $short && -n $long ]]; then
                grep -qE -- "^  $short, $long([ =[]|\$)" <<<"$help" ||
                    problem "$t --help: no line for $short, $long"
            elif [[ -n $long ]]; then
                grep -qE -- "^      $long([ =[]|\$)" <<<"$help" ||
                    problem "$t --help: no line for $long"
            fi
            # the help text, rewrapped: compare with spaces squeezed
            tr -s ' \n' '  ' <<<"$help" | grep -qF -- "$text" ||
                problem "$t --help: lacks '$text'"
            [[ -z $def ]] || tr -s ' \n' '  ' <<<"$help" |
                grep -qF -- "(default: ${def%)})" ||
                problem "$t --help: lacks the default of ${long:-$short}"
        done < <(rows_of "$t" | tr '\t' '\037')
    done
    report
}

@test "every option in the man page's options list is in --help" {
    local t o help n
    for t in $(tools); do
        help=$(help_of "$t")
        n=$(grep -c '^\.It Fl ' "$MAN_DIR/$t.1")
        ((n > 0)) || problem "man/$t.1: no '.It Fl' entries"
        # .It Fl x ... or .It Fl \-name ... in DESCRIPTION
        while read -r o; do
            [[ $o == '\-'* ]] && o="--${o#\\-}" || o="-$o"
            grep -qE -- "(^|[ ,])$o([ ,=[]|\$)" <<<"$help" ||
                problem "man/$t.1: $o is not in $t --help"
        done < <(sed -n '/^\.Sh DESCRIPTION/,/^\.Sh /p' "$MAN_DIR/$t.1" |
            sed -n 's/^\.It Fl \([^ ]*\).*/\1/p' | sort -u)
    done
    report
}

@test "iotpipe(7) lists every program in cmd/ as existing, none as planned" {
    local d t
    for d in "$IOTPIPE_SRC"/cmd/*/; do
        t=$(basename "$d")
        grep -qx "\.It Xr $t 1" "$MAN_DIR/iotpipe.7" ||
            problem "man/iotpipe.7: the list of programs lacks '.It Xr $t 1'"
    done
    run grep -niE 'planned|not yet (written|available|implemented)|will (exist|come)' "$MAN_DIR/iotpipe.7"
    ((status != 0)) || problem "man/iotpipe.7: $output"
    report
}
