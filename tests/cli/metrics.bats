#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --metrics-file (iotpipe(7), Metrics): the counters of --stats as a
# Prometheus textfile that parses strictly, rewritten at the stats
# interval while a program runs and at exit, renamed into place (no
# temporary file left), and a path that cannot be written is an error at
# start.

load ../lib/common

bats_require_minimum_version 1.5.0

RAW="$IOTPIPE_DATA/raw-vehicle-sample.ndjson"
PROMCHECK="$IOTPIPE_SRC/tests/lib/promcheck.py"

setup() {
    T="$BATS_TEST_TMPDIR"
    mkdir -p "$T/m"
}

# same_counts STATS-FILE PROM-SAMPLES: every counter of the final stats
# line is the matching iotpipe_NAME_total sample, and nothing else is
# there besides iotpipe_up and iotpipe_start_time_seconds.
same_counts() {
    local want got
    want=$(grep '^{"tool"' "$1" | tail -n 1 |
        jq -r 'del(.tool, .elapsed_s, .rate, .final) | to_entries[] |
            "iotpipe_\(.key)_total \(.value)"' | sort)
    got=$(grep -v '^iotpipe_up \|^iotpipe_start_time_seconds ' "$2" | sort)
    [[ -n $want ]]
    if [[ $want != "$got" ]]; then
        diff <(echo "$want") <(echo "$got") >&2
        return 1
    fi
}

@test "vnorm: the file at exit has the counts of --stats and parses" {
    { cat "$RAW"; echo 'not json'; } >"$T/in.ndjson"
    run --separate-stderr vnorm --stats 0 --metrics-file "$T/m/vnorm.prom" \
        "$T/in.ndjson"
    assert_success
    printf '%s\n' "$stderr" >"$T/err"
    run --separate-stderr python3 "$PROMCHECK" "$T/m/vnorm.prom" vnorm
    assert_success
    printf '%s\n' "$output" >"$T/samples"
    same_counts "$T/err" "$T/samples"
    grep -qx 'iotpipe_rejected_total 1' "$T/samples"
    grep -qx 'iotpipe_up 0' "$T/samples"
    # a start time near now, in seconds since the epoch
    start=$(awk '$1 == "iotpipe_start_time_seconds" { printf "%d", $2 }' \
        "$T/samples")
    ((start > $(date +%s) - 600 && start <= $(date +%s)))
    grep -q '^# TYPE iotpipe_in_total counter$' "$T/m/vnorm.prom"
    grep -q '^# TYPE iotpipe_up gauge$' "$T/m/vnorm.prom"
    # renamed into place: the directory holds the file and nothing else
    run ls -A "$T/m"
    assert_output vnorm.prom
}

@test "vsim: its own counters, in the file without --stats" {
    vsim --fast -n 3 -c 40 --seed 7 --start 2024-05-01T08:00:00Z \
        --metrics-file "$T/m/vsim.prom" >"$T/out"
    run --separate-stderr python3 "$PROMCHECK" "$T/m/vsim.prom" vsim
    assert_success
    printf '%s\n' "$output" >"$T/samples"
    lines=$(wc -l <"$T/out")
    grep -qx "iotpipe_out_total $lines" "$T/samples"
    grep -q '^iotpipe_telemetry_total [1-9]' "$T/samples"
    grep -qx 'iotpipe_up 0' "$T/samples"
    # the same run with --stats says the same
    vsim --fast -n 3 -c 40 --seed 7 --start 2024-05-01T08:00:00Z \
        --stats 0 --metrics-file "$T/m/vsim2.prom" >/dev/null 2>"$T/err"
    python3 "$PROMCHECK" "$T/m/vsim2.prom" vsim >"$T/samples2"
    same_counts "$T/err" "$T/samples2"
    run ls -A "$T/m"
    assert_output "$(printf 'vsim.prom\nvsim2.prom')"
}

@test "vnorm: rewritten at each --stats interval while it waits for input" {
    mkfifo "$T/fifo"
    vnorm --input "$T/fifo" --stats 0.2 --metrics-file "$T/m/v.prom" \
        >"$T/out" 2>"$T/err" &
    pid=$!
    exec 7>"$T/fifo"
    head -n 3 "$RAW" >&7
    # the input stays open: only the periodic write can show the 3
    for _ in $(seq 50); do
        grep -qx 'iotpipe_in_total{program="vnorm",file="v"} 3' "$T/m/v.prom" && break
        sleep 0.1
    done
    grep -qx 'iotpipe_in_total{program="vnorm",file="v"} 3' "$T/m/v.prom"
    grep -qx 'iotpipe_up{program="vnorm",file="v"} 1' "$T/m/v.prom"
    python3 "$PROMCHECK" "$T/m/v.prom" vnorm >/dev/null
    head -n 5 "$RAW" | tail -n 2 >&7
    exec 7>&-
    wait "$pid"
    grep -qx 'iotpipe_in_total{program="vnorm",file="v"} 5' "$T/m/v.prom"
    grep -qx 'iotpipe_up{program="vnorm",file="v"} 0' "$T/m/v.prom"
    run ls -A "$T/m"
    assert_output v.prom
}

@test "a path that cannot be written exits 1 at start, with the fix" {
    run -1 --separate-stderr vnorm --metrics-file "$T/nodir/v.prom" \
        </dev/null
    assert_output ''
    [[ $stderr == *"--metrics-file: cannot write $T/nodir/v.prom"* ]]
    [[ $stderr == *"directory this user can write"* ]]
    run -1 --separate-stderr vsim -c 1 --metrics-file "$T/nodir/v.prom"
    [[ $stderr == *"--metrics-file: cannot write"* ]]
    # a directory without write permission (root writes anywhere)
    if (($(id -u) != 0)); then
        mkdir "$T/ro"
        chmod 555 "$T/ro"
        run -1 --separate-stderr vnorm --metrics-file "$T/ro/v.prom" \
            </dev/null
        [[ $stderr == *"Permission denied"* ]]
        chmod 755 "$T/ro"
    fi
    run -2 --separate-stderr vnorm --metrics-file '' </dev/null
    [[ $stderr == *"--metrics-file: empty path"* ]]
}
