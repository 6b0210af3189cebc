#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# What `make demo` runs: demo.sh, the vnorm part and then the whole
# pipeline from vsim on servers of its own (mosquitto, Kafka, OpenSearch),
# which it stops: the summary adds up, the index answers, the dashboard
# file is written.

load ../lib/common

bats_require_minimum_version 1.5.0

# row NAME: the count of NAME in the summary table
row() {
    awk -v n="$1" '$1 == n && NF == 2 { print $2 }' <<<"$output"
}

@test "demo.sh: vsim through MQTT, Kafka and OpenSearch; the counts add up; its servers stop" {
    local dir dash
    dir=$(mktemp -d "${BATS_TMPDIR:-/tmp}/demo-run.XXXXXX")
    # not in $dir: the run directory goes when the demo's servers stop
    dash=$BATS_TEST_TMPDIR/dashboard.ndjson
    # TMPDIR: the pipeline's fifos are in $dir too, so that pgrep finds
    # a stage left behind
    run env IOTPIPE_RUN_DIR="$dir" TMPDIR="$dir" DEMO_DASHBOARD="$dash" "$IOTPIPE_SRC/demo.sh"
    assert_success
    # the vnorm part
    assert_output --partial '"in":8,"out":3,"rejected":5'
    # the summary: json2mqtt refused 1 line, vnorm 2, nothing else was lost
    local generated published received normalized produced consumed indexed
    generated=$(row generated) published=$(row published)
    received=$(row received) normalized=$(row normalized)
    produced=$(row produced) consumed=$(row consumed) indexed=$(row indexed)
    ((generated > 5 * 17 * 900)) || fail "vsim wrote only $generated messages"
    assert_equal "$published" "$((generated + 2))"
    assert_equal "$received" "$published"
    assert_equal "$normalized" "$((received - 2))"
    assert_equal "$produced" "$normalized"
    assert_equal "$consumed" "$produced"
    assert_equal "$indexed" "$consumed"
    assert_equal "$(row rejected)" 3
    assert_output --partial 'rejected: json2mqtt 1, vnorm 2; all 3 in the error topic telemetry.errors'
    assert_output --partial "documents in the index: $indexed"
    assert_output --partial "it adds up: published $published = indexed $indexed + rejected after publishing 2"
    # the three answers: 5 vehicles with a speed and a fuel level, routes
    # whose documents add up to the index
    local speeds fuels routes
    speeds=$(sed -n '/^== average speed/,/^$/p' <<<"$output" | grep -cE '^[A-Z0-9]{17}  [0-9.]+$')
    assert_equal "$speeds" 5
    fuels=$(sed -n '/^== last fuel level/,/^$/p' <<<"$output" | grep -cE '^[A-Z0-9]{17}  [0-9T:.Z-]+  [0-9.]+$')
    assert_equal "$fuels" 5
    routes=$(sed -n '/^== documents per route/,/^$/p' <<<"$output" |
        awk '/^route-/ { s += $2 } END { print s + 0 }')
    assert_equal "$routes" "$indexed"
    # the dashboard file, and how to import it
    assert_output --partial "--form file=@$dash"
    assert [ -s "$dash" ]
    run jq -r .type "$dash"
    assert_line 'dashboard'
    # nothing of the demo's servers or stages is left running
    run pgrep -f -- "$dir"
    assert_failure
    rm -rf -- "$dir"
}
