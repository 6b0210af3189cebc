#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --progress in a real terminal (tmux): the status line never wraps at 40
# or 80 columns, every warning stands on a line of its own, the percentage
# shows for a file of known size, and a one-line summary is left at the
# end.  Skipped when tmux is missing (make deps installs it).

load ../lib/common

bats_require_minimum_version 1.5.0

RAW="$IOTPIPE_DATA/raw-vehicle-sample.ndjson"

setup() {
    command -v tmux >/dev/null || skip "no tmux"
    T="$BATS_TEST_TMPDIR"
    SOCK="$T/tmux.sock"
}

teardown() {
    # our own server only, by its socket
    [[ -n ${SOCK-} && -S $SOCK ]] && tmux -S "$SOCK" kill-server 2>/dev/null
    true
}

# in_terminal COLUMNS SCRIPT: run the bash script in a tmux pane of
# COLUMNS x 30; it ends by printing "EXIT=<status>".
in_terminal() {
    printf '%s\n' "$2" >"$T/run.sh"
    tmux -S "$SOCK" -f /dev/null new-session -d -x "$1" -y 30 \
        "bash $T/run.sh; sleep 60"
}

# capture [-J]: the pane's text, without trailing blanks (-J keeps them)
capture() {
    tmux -S "$SOCK" capture-pane -p "$@" -t 0 | sed 's/[[:space:]]*$//'
}

# wait_for REGEX: until the pane shows REGEX (10 s at most)
wait_for() {
    local i
    for ((i = 0; i < 100; i++)); do
        capture -J | grep -qE -- "$1" && return 0
        sleep 0.1
    done
    capture -J >&2
    return 1
}

# Six bursts of the sample with one bad line each, slow enough for a few
# redraws, through vnorm --progress.
slow_run() {
    in_terminal "$1" "
        for i in 1 2 3 4 5 6; do
            cat '$RAW'; echo \"not json \$i\"; sleep 0.3
        done | '$IOTPIPE_BUILD/vnorm' --progress >/dev/null
        echo EXIT=\$?"
    wait_for '^EXIT=[0-9]+$'
}

# check_pane COLUMNS: what the pane holds after slow_run
check_pane() {
    local line n_warn=0 n_sum=0
    # no screen line longer than the terminal (capture cuts there anyway)
    # and, joined, only warnings, the summary and EXIT: a wrapped or
    # glued status line would leave a stray line behind
    while IFS= read -r line; do
        if [[ $line =~ ^vnorm:\ line\ [0-9]+:\ invalid\ JSON ]]; then
            n_warn=$((n_warn + 1))
        elif [[ $line =~ ^vnorm:\ in\ 768\ out\ 762\ rejected\ 6\ in\ [0-9]+:[0-9][0-9]\ \([0-9]+/s\)$ ]]; then
            n_sum=$((n_sum + 1))
        elif [[ $line == EXIT=0 ]]; then
            :
        elif [[ -n $line ]]; then
            fail "stray line at $1 columns: '$line'
$(capture -J)"
        fi
    done < <(capture -J)
    ((n_warn == 6)) || fail "$n_warn warnings at $1 columns, want 6: $(capture -J)"
    ((n_sum == 1)) || fail "$n_sum summaries at $1 columns, want 1: $(capture -J)"
}

@test "--progress at 40 columns: no wrapped or stray lines, warnings on their own lines, a summary" {
    slow_run 40
    check_pane 40
}

@test "--progress at 80 columns: no wrapped or stray lines, warnings on their own lines, a summary" {
    slow_run 80
    check_pane 80
}

@test "--progress on a file of known size shows a percentage, fitted to 40 columns" {
    local i line
    for ((i = 0; i < 100; i++)); do cat "$RAW"; done >"$T/big.ndjson"
    # a slow reader downstream holds vnorm in the middle of the file
    in_terminal 40 "
        '$IOTPIPE_BUILD/vnorm' --progress '$T/big.ndjson' |
            { sleep 2; cat >/dev/null; }
        echo EXIT=\$?"
    wait_for '^vnorm: [0-9]+% '
    line=$(capture | grep -E '^vnorm: [0-9]+% ' | tail -n 1)
    [[ $line =~ ^vnorm:\ [0-9]+%\ (ETA\ [0-9:]+\ )?in\ [0-9]+ ]] ||
        fail "status line '$line'"
    ((${#line} < 40)) || fail "status line of ${#line} columns: '$line'"
    wait_for '^EXIT=0$'
    capture -J | grep -qE '^vnorm: in 12700 out 12700 rejected 0 in ' ||
        fail "no summary: $(capture -J)"
}
