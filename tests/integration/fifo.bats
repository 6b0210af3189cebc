#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Chains of programs joined by fifos (mkfifo), each program its own
# process, the way sidecar containers sharing a volume run them: every
# stage is killed with SIGKILL in turn and restarted, and the chain goes
# on without a hand on it (--input, --follow, --output and
# --reopen-timeout; iotpipe(7), "Composing with fifos and containers").
# Counts at both ends are reconciled, and what was lost is measured and
# reported as a TAP comment ("# ").
#
# Volume (environment):
#   FIFO_TEST_MESSAGES  messages published through the three-stage chain
#                       (8000, at about 1000 a second)

load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"
# shellcheck source=tests/services/mosquitto.sh
source "$IOTPIPE_SRC/tests/services/mosquitto.sh"

setup_file() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD MQTT_URL MQTT_PASSWORD
    services_init
    TID=${IOTPIPE_RUN_DIR##*.}
    export TID=${TID,,}
    local jvm
    started kafka kafka_start &
    jvm=$!
    # no cap on what the broker queues for a durable subscriber that is
    # being restarted: a cap would make the loss count meaningless
    started mosquitto mosquitto_start --conf 'max_queued_messages 0' plain
    wait "$jvm"
}

setup() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD MQTT_URL MQTT_PASSWORD
    T=$BATS_TEST_TMPDIR
    BG_PIDS=()
}

teardown() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    services_teardown
}

teardown_file() {
    delete_test_topics
    services_cleanup fifo
}



# count_in FILE PATTERN: lines of FILE matching PATTERN (0 for no file).
count_in() {
    if [[ -f $1 ]]; then
        grep -c -- "$2" "$1" || true
    else
        echo 0
    fi
}

# in_topic TOPIC: the messages a topic holds.
in_topic() {
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list "$1" |
        jq -r 'select(.topic) | .high' | awk '{ s += $1 } END { print s + 0 }'
}

topic_has() {
    (($(in_topic "$1") >= $2))
}

# raw FIRST COUNT: raw telemetry that vnorm takes, numbered by "seq"
# (vnorm keeps it under "extra"), about 200 bytes a line.
raw() {
    awk -v a="$1" -v n="$2" 'BEGIN {
        for (i = a; i < a + n; i++)
            printf "{\"timestamp\":\"2019-06-15 11:39:17.631000000\",\"trip_id\":\"ba06f103-735e-41b3-a70b-a8eb2af62099\",\"vin\":\"UX6FZSBYHWGKO%04d\",\"name\":\"vehicle_speed\",\"value\":%d.5,\"seq\":%d}\n", i % 97, i % 200, i
    }'
}

# subscribed_more BEFORE: mqtt2json has said "subscribed" more than BEFORE
# times.
subscribed_more() {
    (($(count_in "$T/m2j.err" '^mqtt2json: subscribed to ') > $1))
}

# ---- the three stages, each (re)started the same way; stderr appended

start_m2j() {
    local before
    before=$(count_in "$T/m2j.err" '^mqtt2json: subscribed to ')
    mqtt2json -v -p "$MQTT_SVC_PORT" -q 1 --durable -i "fifo-$TID" -t 'fifo/#' \
        --retries forever --output "$T/m2v" --stats 0 2>>"$T/m2j.err" &
    M2J=$!
    BG_PIDS+=("$M2J")
    wait_for 20 subscribed_more "$before"
}

start_vnorm() {
    vnorm --input "$T/m2v" --follow --output "$T/v2k" --rejects "$T/vnorm.rej" \
        --stats 0 2>>"$T/vnorm.err" &
    VN=$!
    BG_PIDS+=("$VN")
}

start_kprod() {
    kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "$TOPIC" --input "$T/v2k" --follow \
        --rejects "$T/kprod.rej" --stats 0 2>>"$T/kprod.err" &
    KP=$!
    BG_PIDS+=("$KP")
}

# kill_restart NAME: SIGKILL the stage and start it again.
kill_restart() {
    local pid
    case $1 in
    mqtt2json) pid=$M2J ;;
    vnorm) pid=$VN ;;
    kprod) pid=$KP ;;
    esac
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    sleep 0.3
    case $1 in
    mqtt2json) start_m2j ;;
    vnorm) start_vnorm ;;
    kprod) start_kprod ;;
    esac
}

# term NAME PID: SIGTERM, and the stage must end with status 0.
term() {
    local rc=0
    kill -TERM "$2"
    wait "$2" || rc=$?
    [[ $rc == 0 ]] || fail "$1 ended with status $rc: $(tail -n 5 "$T/$1.err")"
}

@test "mqtt2json -> vnorm -> kprod through fifos: each stage SIGKILLed and restarted, the chain resumes, counts reconcile" {
    need kafka kafka_use
    need mosquitto mosquitto_use plain
    local n=${FIFO_TEST_MESSAGES:-8000} pub rc=0 published produced distinct dups
    local vrej krej torn lost window bytes
    TOPIC=fifo-$TID
    kafka_topic_create "$TOPIC" 3
    mkfifo "$T/m2v" "$T/v2k"
    raw 1 "$n" >"$T/in"

    # any start order: a fifo's open waits for the other end
    start_kprod
    start_vnorm
    start_m2j
    # a first message through the whole chain: every stage is up
    raw 0 1 | json2mqtt -p "$MQTT_SVC_PORT" -t fifo/probe -q 1
    wait_for 60 topic_has "$TOPIC" 1 || fail "the probe never reached Kafka"

    # about 1000 messages a second while the stages are killed in turn
    awk '{ print; fflush() } NR % 100 == 0 { system("sleep 0.1") }' "$T/in" |
        json2mqtt -p "$MQTT_SVC_PORT" -t fifo/x -q 1 --retries forever --stats 0 \
            2>"$T/j2m.err" &
    pub=$!
    BG_PIDS+=("$pub")
    sleep 1.5
    kill_restart vnorm
    sleep 1.5
    kill_restart kprod
    sleep 1.5
    kill_restart mqtt2json
    sleep 1
    kill_restart vnorm
    wait "$pub" || rc=$?
    assert_equal "$rc" 0
    published=$(stats_field "$T/j2m.err" out)
    assert_equal "$published" "$n"

    # the chain drains: wait until Kafka stops growing
    local last=-1 now
    for ((i = 0; i < 60; i++)); do
        now=$(in_topic "$TOPIC")
        ((now == last)) && break
        last=$now
        sleep 1
    done
    term mqtt2json "$M2J"
    term vnorm "$VN"
    term kprod "$KP"

    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$TOPIC" -e >"$T/out"
    jq -r '.extra.seq' "$T/out" | awk '$1 > 0' | sort -n >"$T/seqs"
    produced=$(wc -l <"$T/seqs")
    distinct=$(uniq <"$T/seqs" | wc -l)
    dups=$((produced - distinct))
    vrej=$(count_in "$T/vnorm.rej" .)
    krej=$(count_in "$T/kprod.rej" .)
    torn=$(($(count_in "$T/vnorm.err" 'torn last line') + $(count_in "$T/kprod.err" 'torn last line')))
    lost=$((published - distinct - vrej - krej))

    # nothing refused: a torn line is no reject, it never reaches the
    # error topic
    assert_equal "$vrej" 0
    assert_equal "$krej" 0
    # the stated loss window: what a killed reader had read from its fifo
    # and not passed on, at most one read of 64 KiB each for the three
    # reader kills (vnorm twice, kprod once), counted in lines of input
    bytes=$(($(wc -c <"$T/in") / n))
    window=$((3 * 65536 / bytes))
    note "fifo chain: published $published, produced $distinct (+$dups duplicates), rejected $((vrej + krej)), torn $torn, lost $lost (window $window lines of $bytes bytes)"
    ((lost >= 0)) || fail "more produced than published"
    ((lost <= window)) || fail "lost $lost, over the stated window of $window"
    # every stage saw its neighbour restart and went on
    grep -q 'reader gone' "$T/m2j.err" || fail "mqtt2json never waited for a new vnorm"
    [[ $(count_in "$T/m2j.err" '^mqtt2json: subscribed to ') -ge 2 ]]
}

@test "kcons --output to a fifo whose reader goes and another comes: nothing lost, nothing twice; none comes: exit 1 after --reopen-timeout" {
    need kafka kafka_use
    local topic=fifo-kcons-$TID n=3000 k rc=0 t0
    kafka_topic_create "$topic" 2
    # some 3 MB: far more than a pipe holds (the programs make theirs
    # hold 1 MiB), so kcons meets the reader gone with lines still to write
    awk -v n="$n" 'BEGIN {
        pad = sprintf("%1000s", ""); gsub(/ /, "x", pad)
        for (i = 0; i < n; i++) printf "{\"seq\":%d,\"pad\":\"%s\"}\n", i, pad
    }' |
        kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    mkfifo "$T/out"
    kcons -b "$KAFKA_SVC_BOOTSTRAP" -e --output "$T/out" --reopen-timeout 30 \
        --stats 0 -v "$topic" 2>"$T/kc.err" &
    k=$!
    BG_PIDS+=("$k")
    # the first reader takes 200 lines, one read(2) of a byte at a time
    # (bash's read on a pipe), so it takes no more than it keeps, and goes
    bash -c 'for ((i = 0; i < 200; i++)); do
            IFS= read -r l || break
            printf "%s\n" "$l"
        done' <"$T/out" >"$T/got"
    assert_equal "$(wc -l <"$T/got")" 200
    # a while without a reader: kcons waits for the next one
    sleep 2
    kill -0 "$k" || fail "kcons ended: $(cat "$T/kc.err")"
    cat <"$T/out" >>"$T/got"
    wait "$k" || rc=$?
    assert_equal "$rc" 0
    grep -q 'reader gone; waiting up to 30 s' "$T/kc.err"
    grep -q 'a new reader came' "$T/kc.err"
    # every record once, in the order of its partition
    assert_equal "$(wc -l <"$T/got")" "$n"
    assert_equal "$(jq -r .seq "$T/got" | sort -n | uniq | wc -l)" "$n"
    assert_equal "$(stats_field "$T/kc.err" out)" "$n"
    # a reader that never comes back: kcons ends, exit 1, within the bound
    rm -f "$T/out"
    mkfifo "$T/out"
    t0=$SECONDS
    kcons -b "$KAFKA_SVC_BOOTSTRAP" -e --output "$T/out" --reopen-timeout 2 \
        "$topic" 2>"$T/kc2.err" &
    k=$!
    BG_PIDS+=("$k")
    head -c 100 <"$T/out" >/dev/null
    rc=0
    wait "$k" || rc=$?
    assert_equal "$rc" 1
    ((SECONDS - t0 < 20))
    grep -q "$T/out: no new reader within --reopen-timeout (2 s)" "$T/kc2.err" ||
        fail "$(cat "$T/kc2.err")"
}
