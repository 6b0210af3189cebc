#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# What `make demo` runs: demo.sh, the vnorm part and then the pipeline on
# servers of its own (mosquitto, Kafka, OpenSearch), which it stops.

load ../lib/common

bats_require_minimum_version 1.5.0

@test "demo.sh: the sample through MQTT, Kafka and OpenSearch; its servers stop" {
    local dir
    dir=$(mktemp -d "${BATS_TMPDIR:-/tmp}/demo-run.XXXXXX")
    run env IOTPIPE_RUN_DIR="$dir" "$IOTPIPE_SRC/demo.sh"
    assert_success
    # the vnorm part
    assert_output --partial '"in":8,"out":3,"rejected":5'
    # every stage took the 127 messages, and the index holds them
    for tool in json2mqtt mqtt2json vnorm kprod kcons esbulk; do
        [[ $output == *"\"tool\":\"$tool\""*'"in":127,"out":127'* ]] ||
            fail "$tool did not pass the 127 messages on"
    done
    assert_output --partial '127 documents in the index'
    assert_output --partial '{"vin":"UX6FZSBYHWGKO925M","documents":53}'
    # nothing of the demo's servers is left running
    run pgrep -f -- "$dir"
    assert_failure
    rm -rf -- "$dir"
}
