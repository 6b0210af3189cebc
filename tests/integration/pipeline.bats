#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The whole pipeline, as tests/lib/pipeline.sh runs it for `make demo`, on
# real servers (mosquitto with the pipeline's settings, Kafka, OpenSearch):
# 20 simulated vehicles, vsim | json2mqtt -> mqtt2json -m | vnorm --es-id |
# kprod -> kcons --acks | esbulk --acks, the rejects of every stage in an
# error topic.  Counts are asserted at every stage; then esbulk and kcons
# are killed mid-run and restarted, and no document is missing or twice.
#
# Volume (environment): PIPELINE_TEST_MINUTES, the simulated minutes of
# each run (5: about 51,000 messages from 20 vehicles).

load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/mosquitto.sh
source "$IOTPIPE_SRC/tests/services/mosquitto.sh"
# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"
# shellcheck source=tests/services/opensearch.sh
source "$IOTPIPE_SRC/tests/services/opensearch.sh"
# shellcheck source=tests/lib/pipeline.sh
source "$IOTPIPE_SRC/tests/lib/pipeline.sh"

MINUTES=${PIPELINE_TEST_MINUTES:-5}
# three lines no vehicle sends: json2mqtt refuses the first (not JSON),
# vnorm the other two (no vin; February 29th of 2019)
INJECT=(
    'speed=50 (not JSON)'
    '{"@metadata":{"mqtt":{"topic":"connectedcar/telemetry/BROKEN"}},"name":"vehicle_speed","value":50}'
    '{"@metadata":{"mqtt":{"topic":"connectedcar/telemetry/BROKEN"}},"timestamp":"2019-02-29 10:00:00","vin":"BROKEN","name":"vehicle_speed","value":50}'
)

setup_file() {
    services_init
    TID=${IOTPIPE_RUN_DIR##*.}
    export TID=${TID,,}
    local k o
    started kafka kafka_start &
    k=$!
    started opensearch opensearch_start &
    o=$!
    started mosquitto pipe_mosquitto
    wait "$k"
    wait "$o"
}

setup() {
    need mosquitto mosquitto_use pipeline
    need kafka kafka_use
    need opensearch opensearch_use
    PIPE_TIMEOUT=120
}

teardown() {
    pipe_stop
    services_teardown
}

teardown_file() {
    services_cleanup pipeline
}


# counts: every stage's figures, as a TAP comment and in the test's log
counts() {
    local s line=
    for s in vsim json2mqtt mqtt2json vnorm kprod kcons esbulk errors; do
        line+="$s in $(pipe_stat "$s" in) out $(pipe_stat "$s" out) rej $(pipe_stat "$s" rejected); "
    done
    note "$line"
}

@test "20 vehicles: the counts add up at every stage, every document is indexed once, the error topic holds exactly the rejects" {
    PIPE_TOPIC=tele-$TID PIPE_GROUP=indexer-$TID PIPE_INDEX="vehicles1-$TID-%Y.%m.%d"
    PIPE_INJECT=("${INJECT[@]}")
    pipe_init "$BATS_TEST_TMPDIR/p"
    pipe_indexer_start
    pipe_ingest_start
    pipe_source -n 20 --seed 11 --start 2019-06-15T11:00:00Z \
        --duration "${MINUTES}m" --speedup 60
    pipe_ingest_finish
    pipe_indexer_finish
    pipe_errors_finish
    counts

    local generated published received normalized produced consumed indexed
    generated=$(pipe_stat vsim out)
    ((generated > 20 * 17 * MINUTES * 30)) || fail "vsim wrote only $generated messages"
    # json2mqtt: everything in, one refused
    assert_equal "$(pipe_stat json2mqtt in)" "$((generated + 3))"
    assert_equal "$(pipe_stat json2mqtt rejected)" 1
    published=$(pipe_stat json2mqtt out)
    assert_equal "$published" "$((generated + 2))"
    # the broker lost nothing
    received=$(pipe_stat mqtt2json out)
    assert_equal "$received" "$published"
    assert_equal "$(pipe_stat mqtt2json rejected)" 0
    # vnorm: two refused, nothing else
    assert_equal "$(pipe_stat vnorm in)" "$received"
    assert_equal "$(pipe_stat vnorm rejected)" 2
    assert_equal "$(pipe_stat vnorm warnings)" 0
    normalized=$(pipe_stat vnorm out)
    assert_equal "$normalized" "$((received - 2))"
    # Kafka, both ways
    produced=$(pipe_stat kprod out)
    assert_equal "$produced" "$normalized"
    assert_equal "$(pipe_stat kprod rejected)" 0
    assert_equal "$(pipe_stat kprod undelivered)" 0
    consumed=$(pipe_stat kcons out)
    assert_equal "$consumed" "$produced"
    assert_equal "$(pipe_stat kcons acked)" "$consumed"
    # OpenSearch
    indexed=$(pipe_stat esbulk out)
    assert_equal "$(pipe_stat esbulk rejected)" 0
    assert_equal "$indexed" "$consumed"
    # indexed = published - rejected, and each document once: a duplicate
    # id would show as fewer documents than indexed, another id as more
    assert_equal "$indexed" "$((published - 2))"
    assert_equal "$(pipe_count)" "$indexed"
    # the group committed everything: nothing is left for the next member
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list -G "$PIPE_GROUP" "$PIPE_TOPIC"
    assert_success
    run jq -s -r '[.[] | select(.topic)] | map(.committed) | add' <<<"$output"
    assert_output "$produced"

    # the error topic: exactly the three rejects, with who refused them
    assert_equal "$(pipe_stat errors out)" 3
    run --separate-stderr timeout 60 kcons -b "$KAFKA_SVC_BOOTSTRAP" -e "$PIPE_TOPIC.errors"
    assert_success
    assert_equal "${#lines[@]}" 3
    run jq -r -s 'sort_by(.error.tool, .error.reason) | .[] | "\(.error.tool): \(.error.reason)"' <<<"$output"
    assert_line --index 0 --regexp '^json2mqtt: invalid JSON'
    assert_line --index 1 'vnorm: bad timestamp'
    assert_line --index 2 'vnorm: missing vin'
}

@test "SIGKILL of esbulk, then of kcons, mid-run, and a restart each time: no document missing, none twice" {
    PIPE_TOPIC=kill-$TID PIPE_GROUP=indexer-kill-$TID PIPE_INDEX="vehicles2-$TID-%Y.%m.%d"
    PIPE_INJECT=()
    # a kcons whose esbulk died waits this long for acknowledgements that
    # will not come; a member killed is gone from the group after
    # session.timeout.ms (librdkafka's 45 s would only slow the test)
    PIPE_FLUSH_TIMEOUT=20
    local -a group=(-X session.timeout.ms=6000)
    pipe_init "$BATS_TEST_TMPDIR/p"
    pipe_indexer_start "${group[@]}"
    pipe_ingest_start
    # about 15 s of publishing, long enough for two kills
    pipe_source -n 20 --seed 12 --start 2019-06-15T11:00:00Z \
        --duration "${MINUTES}m" --speedup 20 &
    local source=$! i first

    # esbulk dies once it has indexed something; kcons finds its reader
    # gone, waits for the acknowledgements and stops
    for ((i = 0; i < 600; i++)); do
        (($(pipe_stat esbulk out) > 0)) && break
        sleep 0.1
    done
    (($(pipe_stat esbulk out) > 0)) || fail "esbulk indexed nothing in 60 s"
    pipe_signal esbulk KILL
    pipe_wait esbulk || true
    PIPE_TIMEOUT=$((PIPE_FLUSH_TIMEOUT + 30))
    pipe_wait kcons || note "kcons after esbulk's SIGKILL: $(tail -n 2 "$PIPE_DIR/kcons.err" | tr '\n' ' ')"
    first=$(pipe_stat esbulk out)
    note "esbulk killed after $first documents"

    # again, and this time kcons dies; esbulk meets the end of its input
    pipe_indexer_start "${group[@]}"
    for ((i = 0; i < 900; i++)); do
        (($(pipe_stat esbulk out) > first)) && break
        sleep 0.1
    done
    (($(pipe_stat esbulk out) > first)) || fail "the restarted esbulk indexed nothing in 90 s"
    pipe_signal kcons KILL
    pipe_wait kcons || true
    pipe_wait esbulk || note "esbulk after kcons' SIGKILL: $(tail -n 2 "$PIPE_DIR/esbulk.err" | tr '\n' ' ')"
    note "kcons killed after $(pipe_stat kcons out) records written in all"

    # the third indexer runs until the ingest is done, and a last one
    # (kcons -e) takes what is left
    PIPE_TIMEOUT=120
    pipe_indexer_start "${group[@]}"
    wait "$source"
    pipe_ingest_finish
    pipe_signal kcons TERM
    pipe_wait kcons
    pipe_wait esbulk
    pipe_indexer_start "${group[@]}" -e
    pipe_wait kcons
    pipe_wait esbulk
    pipe_errors_finish
    counts

    local normalized
    normalized=$(pipe_stat vnorm out)
    assert_equal "$(pipe_stat vnorm rejected)" 0
    assert_equal "$(pipe_stat kprod out)" "$normalized"
    # replays: kcons wrote some records more than once
    (($(pipe_stat kcons out) >= normalized)) || fail "kcons wrote less than was produced"
    # every document, each once
    assert_equal "$(pipe_count)" "$normalized"
    # and the group has committed everything
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list -G "$PIPE_GROUP" "$PIPE_TOPIC"
    assert_success
    run jq -s -r '[.[] | select(.topic)] | map(.committed) | add' <<<"$output"
    assert_output "$normalized"
}
