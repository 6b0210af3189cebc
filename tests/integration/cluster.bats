#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The programs against clusters whose members die: a 3-broker Kafka
# cluster (replication factor 3, min.insync.replicas 2) and a 2-node
# OpenSearch cluster (1 replica), started by tests/services/kafka.sh
# --brokers 3 and opensearch.sh --nodes 2.  A broker or a node is
# SIGKILLed mid-stream and started again; what must hold is what
# iotpipe(7), "Running against clusters", promises: every line a receipt
# or a reject, nothing in the topic or the index twice or missing, offsets
# committed only for what was indexed.  Run once, not again under the
# sanitizers (ONCE_TESTS in the Makefile).

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"
# shellcheck source=tests/services/opensearch.sh
source "$IOTPIPE_SRC/tests/services/opensearch.sh"
# shellcheck source=tests/services/mosquitto.sh
source "$IOTPIPE_SRC/tests/services/mosquitto.sh"
# shellcheck source=tests/lib/pipeline.sh
source "$IOTPIPE_SRC/tests/lib/pipeline.sh"

setup_file() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD ELASTICSEARCH_URL
    [[ -z ${IOTPIPE_TEST_KAFKA:-}${IOTPIPE_TEST_OPENSEARCH:-} ]] || return 0
    services_init
    local jvm t0=$SECONDS
    started kafka kafka_start --brokers 3 &
    jvm=$!
    started opensearch opensearch_start --nodes 2
    started mosquitto pipe_mosquitto
    wait "$jvm"
    printf '# clusters up in %s s: %s\n' "$((SECONDS - t0))" \
        "$({ kafka_cluster_rss; opensearch_cluster_rss; } 2>/dev/null | tr '\n' ' ')" >&3
}

setup() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD ELASTICSEARCH_URL
    [[ -z ${IOTPIPE_TEST_KAFKA:-}${IOTPIPE_TEST_OPENSEARCH:-} ]] ||
        skip "an external server cannot be a test cluster"
    T=$BATS_TEST_TMPDIR
    BG_PIDS=
}

teardown() {
    pipe_stop
    services_teardown
    local p
    for p in ${BG_PIDS:-}; do
        kill -KILL "$p" 2>/dev/null || true
    done
}

teardown_file() {
    [[ -z ${IOTPIPE_RUN_DIR:-} ]] || services_cleanup cluster
}

note() {
    printf '# %s\n' "$*" >&3
}

wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

lines_at_least() {
    [[ -f $1 && $(wc -l <"$1") -ge $2 ]]
}

# gen FIRST COUNT: keyed telemetry lines, seq FIRST.. (97 vehicles)
gen() {
    awk -v a="$1" -v n="$2" 'BEGIN {
        for (i = a; i < a + n; i++)
            printf "{\"vin\":\"V%05d\",\"seq\":%d,\"speed\":80.3}\n", i % 97, i
    }'
}

# leader TOPIC PARTITION: the broker that leads the partition now
leader() {
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list "$1" |
        jq -r --argjson p "$2" 'select(.topic and .partition == $p) | .leader'
}

# isr_size TOPIC PARTITION N: the partition's ISR has N members
isr_size() {
    [[ $(kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list "$1" 2>/dev/null |
        jq -r --argjson p "$2" 'select(.topic and .partition == $p) | .isr | length') == "$3" ]]
}

# all_in_sync TOPIC: every partition has its 3 replicas in sync
all_in_sync() {
    [[ $(kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list "$1" 2>/dev/null |
        jq -r 'select(.topic) | .isr | length' | sort -u) == 3 ]]
}

committed() {
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list -G "$1" "$2" |
        jq -r 'select(.topic) | "\(.partition) \(.committed)"' | sort -n
}

highs() {
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list "$1" |
        jq -r 'select(.topic) | "\(.partition) \(.high)"' | sort -n
}

# committed_sum GROUP TOPIC: the offsets the group committed, summed
committed_sum() {
    committed "$1" "$2" | awk '$2 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }'
}

count() {
    curl -fsS -XPOST "$OS_SVC_URL/$1/_refresh" >/dev/null
    curl -fsS "$OS_SVC_URL/$1/_count" | jq -r .count
}

# distinct INDEX FIELD: the distinct values of FIELD in INDEX (exact
# below 40000)
distinct() {
    curl -fsS -XPOST "$OS_SVC_URL/$1/_refresh" >/dev/null
    curl -fsS -H 'content-type: application/json' "$OS_SVC_URL/$1/_search" \
        -d "{\"size\":0,\"aggs\":{\"d\":{\"cardinality\":{\"field\":\"$2\",\"precision_threshold\":40000}}}}" |
        jq -r .aggregations.d.value
}

# index_create INDEX SHARDS: 1 replica, wait until green
index_create() {
    curl -fsS -XPUT "$OS_SVC_URL/$1" -H 'content-type: application/json' \
        -d "{\"settings\":{\"number_of_shards\":$2,\"number_of_replicas\":1},\"mappings\":{\"properties\":{\"seq\":{\"type\":\"long\"},\"vin\":{\"type\":\"keyword\"}}}}" \
        >/dev/null
    curl -fsS "$OS_SVC_URL/_cluster/health/$1?wait_for_status=green&timeout=60s" >/dev/null
}

# ---- kprod

@test "kprod: 200000 keyed lines while the partition leader's broker is SIGKILLed and restarted: each line once, per-key order kept" {
    need kafka kafka_use
    local n=${CLUSTER_TEST_LINES:-200000} topic=kill-leader pid rc=0 q victim t0
    q=$((n / 4))
    kafka_topic_create "$topic" 3
    wait_for 30 all_in_sync "$topic"
    gen 1 "$n" >"$T/in"
    mkfifo "$T/fifo"
    kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin --receipts "$T/rcpt" \
        --rejects "$T/rej" --stats 0 <"$T/fifo" 2>"$T/err" &
    pid=$!
    BG_PIDS=$pid
    exec 7>"$T/fifo"
    head -n "$q" "$T/in" >&7
    wait_for 60 lines_at_least "$T/rcpt" $((q / 2))
    victim=$(leader "$topic" 0)
    t0=$SECONDS
    kafka_kill_broker "$victim"
    sed -n "$((q + 1)),$((3 * q))p" "$T/in" >&7
    wait_for 60 lines_at_least "$T/rcpt" $((2 * q))
    note "broker $victim (leader of partition 0) killed; 2/4 delivered $((SECONDS - t0)) s later"
    kafka_start_broker "$victim"
    tail -n +$((3 * q + 1)) "$T/in" >&7
    exec 7>&-
    wait "$pid" || rc=$?
    BG_PIDS=
    assert_equal "$rc" 0
    # every line a receipt or a reject, none both
    { jq -r .line "$T/rcpt"; [[ ! -s $T/rej ]] || jq -r .error.line "$T/rej"; } | sort -n >"$T/lines"
    assert_equal "$(sort -nu "$T/lines" | wc -l)" "$n"
    assert_equal "$(wc -l <"$T/lines")" "$n"
    assert_equal "$(cat "$T/rej" 2>/dev/null | wc -l)" 0
    # the topic holds each line exactly once
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e >"$T/out"
    assert_equal "$(wc -l <"$T/out")" "$n"
    jq -r '"\(.vin) \(.seq)"' "$T/out" | sort >"$T/kv-out"
    jq -r '"\(.vin) \(.seq)"' "$T/in" | sort >"$T/kv-in"
    cmp -s "$T/kv-in" "$T/kv-out" || fail "the topic's keys and values differ from the input"
    # per key, the order of the input
    run awk '{ if (($1 in last) && $2 <= last[$1]) bad++; last[$1] = $2 } END { print bad + 0 }' \
        < <(jq -r '"\(.vin) \(.seq)"' "$T/out")
    assert_output 0
    note "kill-leader: $n lines, $(wc -l <"$T/rcpt") receipts, 0 rejects, $(wc -l <"$T/out") in the topic, order per key kept"
}

@test "kprod: min.insync.replicas unmet (two brokers down): retried, then rejected with the broker's reason; nothing delivered that is not in the topic" {
    need kafka kafka_use
    local topic=min-isr b lead others=() t0
    kafka_topic_create "$topic" 1
    wait_for 30 all_in_sync "$topic"
    gen 1 100 | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin
    # kill the two followers of partition 0: its leader stays, alone in the ISR
    lead=$(leader "$topic" 0)
    for b in 1 2 3; do
        [[ $b == "$lead" ]] || others+=("$b")
    done
    kafka_kill_broker "${others[0]}"
    kafka_kill_broker "${others[1]}"
    wait_for 30 isr_size "$topic" 0 1
    gen 101 200 >"$T/in"
    t0=$SECONDS
    run --separate-stderr kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin \
        -X message.timeout.ms=8000 --receipts "$T/rcpt" --rejects "$T/rej" --stats 0 <"$T/in"
    local st=$status errs=$stderr leader_log
    leader_log=$(_kafka_member_dir default "$lead")/kafka.log
    # the brokers back before anything can fail
    kafka_start_broker "${others[0]}"
    kafka_start_broker "${others[1]}"
    note "min.insync unmet: kprod gave up after $((SECONDS - t0)) s: ${errs//$'\n'/ | }"
    assert_equal "$st" 1
    ((SECONDS - t0 >= 7))
    [[ ! -s $T/rcpt ]]
    assert_equal "$(wc -l <"$T/rej")" 200
    # librdkafka retries NOT_ENOUGH_REPLICAS (retriable) until
    # message.timeout.ms: what the client sees in the end is its own
    # timeout; kprod asks the cluster why, and the reject and its log
    # name the broker's reason (the leader's log shows it refused)
    run jq -r '.error | "\(.kafka_error) \(.broker_error) \(.reason)"' "$T/rej"
    note "rejects: $(sort <<<"$output" | uniq -c | head -n 3 | tr '\n' ';')"
    assert_equal "$(jq -r .error.kafka_error "$T/rej" | sort -u)" _MSG_TIMED_OUT
    assert_equal "$(jq -r .error.broker_error "$T/rej" | sort -u)" NOT_ENOUGH_REPLICAS
    assert_equal "$(jq -r .error.reason "$T/rej" | sort -u)" \
        "Local: Message timed out: Broker: Not enough in-sync replicas (partition 0: 1 in-sync replica of 3, min.insync.replicas 2)"
    grep -q "topic $topic partition 0: messages timed out: Broker: Not enough in-sync replicas (1 in-sync replica of 3, min.insync.replicas 2): start the brokers that are down, or lower the topic's min.insync.replicas" <<<"$errs"
    grep -qE "NotEnoughReplicasException: The size of the current ISR Set\\($lead\\) is insufficient to satisfy the min.isr requirement of 2 for partition $topic-0" \
        "$leader_log" || fail "the leader did not refuse for min.insync.replicas"
    # nothing of the rejected lines in the topic (but what the reject
    # marks as possibly persisted); a new run delivers them all
    wait_for 60 all_in_sync "$topic"
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e >"$T/out"
    (($(jq -r 'select(.seq > 100) | .seq' "$T/out" | wc -l) <= $(grep -c possibly_persisted "$T/rej" || true)))
    run --separate-stderr kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin \
        --receipts "$T/rcpt2" <"$T/in"
    assert_success
    assert_equal "$(wc -l <"$T/rcpt2")" 200
}

# ---- kcons | esbulk as a consumer group

# chain_start I GROUP TOPIC INDEX: member I of the group, kcons --acks |
# esbulk --acks, in the background; its pids in CHAIN_K[I], CHAIN_E[I]
declare -gA CHAIN_K=() CHAIN_E=()
chain_start() {
    local i=$1 group=$2 topic=$3 index=$4
    rm -f -- "$T/data$i"
    mkfifo "$T/data$i"
    esbulk -u "$OS_SVC_URLS" -i "$index" --kafka-id --acks "$T/acks$i" -s 500 \
        --rejects "$T/rej$i" --stats 0 <"$T/data$i" 2>"$T/esb$i" &
    CHAIN_E[$i]=$!
    kcons -v -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" --acks "$T/acks$i" --stats 0 \
        -X session.timeout.ms=6000 -X heartbeat.interval.ms=1000 \
        "$topic" >"$T/data$i" 2>"$T/kc$i" &
    CHAIN_K[$i]=$!
    BG_PIDS+=" ${CHAIN_E[$i]} ${CHAIN_K[$i]}"
}

# chain_stop I: SIGTERM kcons (it waits for the acknowledgements of what
# it wrote and commits), then esbulk ends at its input's end
chain_stop() {
    local t0=$SECONDS
    kill -TERM "${CHAIN_K[$1]}" 2>/dev/null || true
    while { kill -0 "${CHAIN_K[$1]}" || kill -0 "${CHAIN_E[$1]}"; } 2>/dev/null &&
        ((SECONDS - t0 < 60)); do
        sleep 0.2
    done
}

# assignments FILE: how many assignments kcons -v logged
assignments() {
    grep -c 'assigned' "$1" 2>/dev/null || true
}

# produce_slowly TOPIC FIRST COUNT STEP: COUNT lines in steps of STEP, one a second
produce_slowly() {
    local i
    for ((i = $2; i < $2 + $3; i += $4)); do
        gen "$i" "$4" | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$1" --key-field vin
        sleep 1
    done
}

# caught_up GROUP TOPIC: the group committed everything there is
caught_up() {
    [[ $(committed "$1" "$2") == "$(highs "$2")" ]]
}

# count_at_least INDEX N: N documents or more in INDEX
count_at_least() {
    (($(count "$1") >= $2))
}

# reassigned BEFORE FILE...: kcons -v logged more than BEFORE assignments
reassigned() {
    local before=$1 f total=0
    shift
    for f in "$@"; do
        total=$((total + $(assignments "$f")))
    done
    ((total > before))
}

@test "kcons -G: three kcons|esbulk --acks members, one SIGKILLed mid-stream, one added later: _count exact, no duplicate, commits never ahead of the index" {
    need kafka kafka_use
    need opensearch opensearch_use
    local topic=group-kill group=group-kill index=group-kill n=${CLUSTER_GROUP_DOCS:-30000}
    local p i t0 before pause c s v others
    kafka_topic_create "$topic" 6
    index_create "$index" 2
    wait_for 30 all_in_sync "$topic"
    for i in 1 2 3; do
        chain_start "$i" "$group" "$topic" "$index"
    done
    wait_for 60 reassigned 2 "$T/kc1" "$T/kc2" "$T/kc3"
    produce_slowly "$topic" 1 "$n" $((n / 10)) &
    p=$!
    BG_PIDS+=" $p"
    wait_for 60 count_at_least "$index" $((n / 5))
    # a member that holds partitions now dies as a whole: its kcons and
    # its esbulk
    v=1
    for i in 1 2 3; do
        if grep 'assigned' "$T/kc$i" | tail -n 1 | grep -q '\['; then
            v=$i
            break
        fi
    done
    others=()
    for i in 1 2 3; do
        ((i == v)) || others+=("$T/kc$i")
    done
    before=$(($(assignments "${others[0]}") + $(assignments "${others[1]}")))
    kill -KILL "${CHAIN_K[$v]}" "${CHAIN_E[$v]}"
    t0=$SECONDS
    # what the group committed is indexed (read the commits first: both grow)
    s=$(committed_sum "$group" "$topic")
    c=$(count "$index")
    ((s <= c)) || fail "committed $s offsets, only $c documents indexed"
    wait_for 60 reassigned "$before" "${others[@]}"
    pause=$((SECONDS - t0))
    note "member $v SIGKILLed: the partitions moved after $pause s (session.timeout.ms 6000)"
    chain_start 4 "$group" "$topic" "$index"
    wait "$p"
    wait_for 120 caught_up "$group" "$topic"
    for i in 1 2 3 4; do
        ((i == v)) || chain_stop "$i"
    done
    for i in 1 2 3 4; do
        grep 'assigned' "$T/kc$i" | sed "s/^/#   member $i: /" >&3
    done
    assert_equal "$(count "$index")" "$n"
    assert_equal "$(distinct "$index" seq)" "$n"
    assert_equal "$(committed "$group" "$topic")" "$(highs "$topic")"
    # the member added later took partitions
    grep 'assigned' "$T/kc4" | grep -q '\[' || fail "member 4 never had a partition"
    assert_equal "$(cat "$T"/rej[1234] 2>/dev/null | wc -l)" 0
    note "group: $n documents; indexed by members 1-4: $(for i in 1 2 3 4; do c=$(stats_field "$T/esb$i" out); echo "${c:--}"; done | tr '\n' ' ')(member $v killed: what it indexed and had not committed was read again); _count $n"
}

@test "kcons -G: a broker SIGKILLed under a running consumer group: nothing lost, nothing skipped" {
    need kafka kafka_use
    need opensearch opensearch_use
    local topic=group-broker group=group-broker index=group-broker n=${CLUSTER_GROUP_DOCS:-30000}
    local p i victim
    kafka_topic_create "$topic" 3
    index_create "$index" 2
    wait_for 30 all_in_sync "$topic"
    for i in 1 2; do
        chain_start "$i" "$group" "$topic" "$index"
    done
    produce_slowly "$topic" 1 "$n" $((n / 10)) &
    p=$!
    BG_PIDS+=" $p"
    wait_for 60 count_at_least "$index" $((n / 5))
    victim=$(leader "$topic" 0)
    kafka_kill_broker "$victim"
    note "broker $victim (leader of partition 0) SIGKILLed at $(count "$index") documents indexed"
    sleep 5
    kafka_start_broker "$victim"
    wait "$p"
    wait_for 120 caught_up "$group" "$topic"
    for i in 1 2; do
        chain_stop "$i"
    done
    assert_equal "$(count "$index")" "$n"
    assert_equal "$(distinct "$index" seq)" "$n"
    assert_equal "$(committed "$group" "$topic")" "$(highs "$topic")"
    assert_equal "$(cat "$T"/rej[12] 2>/dev/null | wc -l)" 0
}

# ---- esbulk against two nodes

@test "esbulk -u node1,node2: a node SIGKILLed mid-stream, then restarted: every document indexed once, retries counted, nothing given up" {
    need opensearch opensearch_use
    local index=node-kill n=${CLUSTER_ES_DOCS:-100000} q pid rc=0
    q=$((n / 4))
    index_create "$index" 2
    gen 1 "$n" >"$T/in"
    mkfifo "$T/fifo"
    esbulk -u "$OS_SVC_URLS" -i "$index" --id seq --rejects "$T/rej" --stats 0 \
        <"$T/fifo" 2>"$T/err" &
    pid=$!
    BG_PIDS=$pid
    exec 7>"$T/fifo"
    head -n "$q" "$T/in" >&7
    wait_for 60 count_at_least "$index" $((q / 2))
    opensearch_kill_node 2
    sed -n "$((q + 1)),$((3 * q))p" "$T/in" >&7
    opensearch_start_node 2
    tail -n +$((3 * q + 1)) "$T/in" >&7
    exec 7>&-
    wait "$pid" || rc=$?
    BG_PIDS=
    assert_equal "$rc" 0
    [[ ! -s $T/rej ]] || fail "rejects: $(head -n 3 "$T/rej")"
    assert_equal "$(stats_field "$T/err" out)" "$n"
    (($(stats_field "$T/err" retries) > 0))
    # ids are the seq field: n documents are n distinct ones
    assert_equal "$(count "$index")" "$n"
    note "node 2 killed and restarted: $n documents, $(stats_field "$T/err" retries) retried, $(stats_field "$T/err" requests) requests, 0 rejected"
}

# ---- the whole pipeline

@test "the pipeline through both clusters, a broker and a node SIGKILLed and restarted during the run: published - rejected = indexed" {
    need mosquitto mosquitto_use pipeline
    need kafka kafka_use
    need opensearch opensearch_use
    local faults published indexed
    PIPE_TIMEOUT=120 PIPE_TOPIC=telemetry PIPE_GROUP=indexer PIPE_INDEX="vehicles-%Y.%m.%d"
    PIPE_INJECT=('speed=50 (not JSON)')
    pipe_init "$T/p"
    pipe_indexer_start
    pipe_ingest_start
    # the failures, while vsim runs (about 24 s): broker 2, then node 2
    (
        sleep 6
        kafka_kill_broker 2 && echo "$(date +%T) broker 2 killed"
        sleep 4
        opensearch_kill_node 2 && echo "$(date +%T) node 2 killed"
        kafka_start_broker 2 && echo "$(date +%T) broker 2 back"
        opensearch_start_node 2 && echo "$(date +%T) node 2 back"
    ) >"$T/faults" 2>&1 &
    faults=$!
    BG_PIDS=$faults
    pipe_source -n 20 --seed 7 --start 2019-06-15T11:00:00Z --duration 4m --speedup 10
    wait "$faults"
    BG_PIDS=
    pipe_ingest_finish
    pipe_indexer_finish
    pipe_errors_finish
    note "faults: $(tr '\n' ';' <"$T/faults")"
    local s line=
    for s in json2mqtt mqtt2json vnorm kprod kcons esbulk; do
        line+="$s out $(pipe_stat "$s" out) rej $(pipe_stat "$s" rejected); "
    done
    note "$line esbulk retries $(pipe_stat esbulk retries)"
    grep -c 'killed' "$T/faults" | grep -qx 2 || fail "$(cat "$T/faults")"
    published=$(pipe_stat json2mqtt out)
    assert_equal "$(pipe_stat json2mqtt rejected)" 1
    assert_equal "$(pipe_stat mqtt2json out)" "$published"
    assert_equal "$(pipe_stat vnorm rejected)" 0
    assert_equal "$(pipe_stat kprod rejected)" 0
    assert_equal "$(pipe_stat kprod out)" "$published"
    assert_equal "$(pipe_stat esbulk rejected)" 0
    indexed=$(pipe_stat esbulk out)
    # what kcons read again after a rebalance is indexed again, over the
    # same id: the index holds each document once
    ((indexed >= published))
    assert_equal "$(pipe_count)" "$published"
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list -G "$PIPE_GROUP" "$PIPE_TOPIC"
    run jq -s -r '[.[] | select(.topic)] | map(.committed) | add' <<<"$output"
    assert_output "$(pipe_stat kprod out)"
}
