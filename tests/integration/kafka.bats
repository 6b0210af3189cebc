#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# kprod and kcons against a real Apache Kafka broker (KRaft) and, for
# injected faults only, librdkafka's mock cluster (kmock): volume, order,
# at-least-once under SIGKILL, a broker restart with idempotence, signals,
# offset administration, SASL/SCRAM over TLS, rejects, EPIPE, --acks and
# pausing instead of missing max.poll.interval.ms.
#
# Volumes (environment):
#   KAFKA_TEST_LINES          the kprod -> kcons test (1000000, as the issue
#                             asks; about 35 s here, under ASan too)
#   KAFKA_TEST_KILL_ROUNDS    SIGKILL rounds (10)
#   KAFKA_TEST_KILL_LINES     lines produced per round (5000)
#   KAFKA_TEST_RESTART_LINES  the broker restart test (200000)
# tests/bench/kafka.sh runs the 1M-line comparison with kcat.

load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"

setup_file() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD
    services_init
    TID=${IOTPIPE_RUN_DIR##*.}
    export TID=${TID,,}
    # the JVM and the mock start side by side
    local jvm
    started kafka kafka_start &
    jvm=$!
    started kmock kmock_start --brokers 3
    wait "$jvm"
}

setup() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD
    T=$BATS_TEST_TMPDIR
}

teardown() {
    services_teardown
    local p
    for p in ${BG_PIDS:-}; do
        kill -KILL "$p" 2>/dev/null || true
    done
}

teardown_file() {
    delete_test_topics
    services_cleanup kafka
}


# gen FIRST COUNT: telemetry lines of about 400 bytes; vin = seq mod 97.
gen() {
    awk -v a="$1" -v n="$2" 'BEGIN {
        pad = "telemetry-telemetry-telemetry-telemetry-telemetry-telemetry-telemetry-"
        for (i = a; i < a + n; i++)
            printf "{\"vin\":\"1FTEW1EP%09d\",\"seq\":%d,\"speed\":80.3,\"lat\":38.95618,\"lon\":-77.39835,\"odometer\":61234.000000,\"fuel_level\":99.9977398542493,\"gear\":\"drive\",\"ignition\":\"run\",\"note\":\"%s%s%s%s\"}\n", i % 97, i, pad, pad, pad, substr(pad, 1, 10 + i % 20)
    }'
}

# coords FILE...: "partition offset" of every line carrying
# @metadata.kafka (a line cut short by SIGKILL is skipped).
coords() {
    cat "$@" | jq -R -r 'fromjson? | .["@metadata"].kafka | select(. != null) |
        "\(.partition) \(.offset)"'
}

# highs TOPIC: "partition high" for each partition.
highs() {
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list "$1" |
        jq -r 'select(.topic) | "\(.partition) \(.high)"'
}


lines_at_least() {
    [[ -f $1 && $(wc -l <"$1") -ge $2 ]]
}

# ---- volume and order

@test "kprod --key-field vin -> kcons -e: ${KAFKA_TEST_LINES:-1000000} lines, counts equal, one partition per vin, order per partition kept" {
    need kafka kafka_use
    local n=${KAFKA_TEST_LINES:-1000000} topic=order-$TID
    kafka_topic_create "$topic" 6
    gen 1 "$n" >"$T/in"
    run --separate-stderr kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin \
        --stats 0 <"$T/in"
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") out) == "$n" ]]
    kcons -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e -m --stats 0 >"$T/out" 2>"$T/err"
    [[ $(wc -l <"$T/out") == "$n" ]]
    [[ $(stats_field "$T/err" out) == "$n" ]]
    jq -r '[.["@metadata"].kafka.partition, .["@metadata"].kafka.offset, .vin, .seq] | @tsv' \
        "$T/out" >"$T/tsv"
    # every vin on one partition; within a partition, seq grows with the offset
    run awk -F'\t' '
        { if (($3 in part) && part[$3] != $1) { print "vin " $3 " on " part[$3] " and " $1; bad = 1 }
          part[$3] = $1 }
        END { exit bad }' "$T/tsv"
    assert_success
    run bash -c "sort -t\$'\t' -k1,1n -k2,2n '$T/tsv' | awk -F'\t' '
        { if ((\$3 in last) && \$4 <= last[\$3]) { print \"out of order: \" \$0; bad = 1 }
          last[\$3] = \$4 }
        END { exit bad }'"
    assert_success
    # the documents came back byte for byte (jq would rewrite numbers)
    sed 's/^{"@metadata":{"kafka":{[^}]*}},/{/' "$T/out" | sort >"$T/back"
    sort "$T/in" | cmp - "$T/back"
    note "order: $n lines through 6 partitions, $(cut -f1 "$T/tsv" | sort -u | wc -l) partitions used"
}

@test "kcons -m | kprod: the round trip keeps key, headers, timestamp and partition" {
    need kafka kafka_use
    local src=rt-src-$TID dst=rt-dst-$TID t0 at
    # ten minutes ago, out of reach of the broker's 7-day retention
    t0=$(($(date +%s) - 600))
    at=$(date -u -d "@$t0" +%Y-%m-%dT%H:%M:%S)
    kafka_topic_create "$src" 3
    kafka_topic_create "$dst" 3
    printf '{"vin":"A","ts":"%s.250Z","v":1}\n{"vin":"B","ts":"%sZ","v":2}\n' \
        "$at" "$at" >"$T/in"
    kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$src" --key-field vin --timestamp-field ts \
        -H origin=test -H flag <"$T/in"
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$src" -e -m >"$T/a"
    # the topic from @metadata.kafka, and with it the partition
    sed "s/\"topic\":\"$src\"/\"topic\":\"$dst\"/" "$T/a" |
        kprod -q -b "$KAFKA_SVC_BOOTSTRAP"
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$dst" -e -m >"$T/b"
    run jq -c -s 'sort_by(.vin) | map(.["@metadata"].kafka | [.partition, .key, .timestamp, .headers])' "$T/a"
    local want=$output
    run jq -c -s 'sort_by(.vin) | map(.["@metadata"].kafka | [.partition, .key, .timestamp, .headers])' "$T/b"
    assert_output "$want"
    assert_output --partial "\"A\",$((t0 * 1000 + 250)),[[\"origin\",\"test\"],[\"flag\",null]]"
    assert_output --partial "\"B\",$((t0 * 1000)),"
}

@test "kcons -m | kprod copies payloads that are not objects byte for byte, tombstones too" {
    need kafka kafka_use
    local src=rtp-src-$TID dst=rtp-dst-$TID
    kafka_topic_create "$src" 1
    kafka_topic_create "$dst" 1
    # JSON comes back compact, as kcons writes it: compact here
    printf 'a:plain text\nb:[1,2]\nc:"s"\nd:null\ne:{"a":1}\nf:\xff\xfe\ng:\n' |
        kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "$src" -K: -Z
    # without --binary base64 the last but one would be a reject
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$src" -e -m --binary base64 >"$T/a"
    run jq -r '.["@metadata"].kafka.wrapped' "$T/a"
    assert_output $'text\njson\njson\njson\nnull\nbase64\nnull'
    kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$dst" <"$T/a"
    # kcat shows a missing value as length -1
    kcat -b "$KAFKA_SVC_BOOTSTRAP" -C -t "$src" -e -q -f '%k %S:%s|' >"$T/src"
    kcat -b "$KAFKA_SVC_BOOTSTRAP" -C -t "$dst" -e -q -f '%k %S:%s|' >"$T/dst"
    grep -q 'g -1:|' "$T/src" || fail "no tombstone in: $(cat "$T/src")"
    cmp "$T/src" "$T/dst"
    # a wrapped record that gained a member is refused, not cut down
    printf '%s\n' '{"@metadata":{"kafka":{"wrapped":"text"}},"value":"x","more":1}' >"$T/bad"
    run --separate-stderr kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "$dst" --rejects - <"$T/bad"
    assert_success
    [[ $output == *'"reason":"wrapped record with members other than value"'* ]]
}

# ---- at-least-once under SIGKILL

@test "two kcons -G on 6 partitions, one SIGKILLed and restarted ${KAFKA_TEST_KILL_ROUNDS:-10} times: every offset written, no gap" {
    need kafka kafka_use
    local topic=kill-$TID group=kill-$TID rounds=${KAFKA_TEST_KILL_ROUNDS:-10}
    local per=${KAFKA_TEST_KILL_LINES:-5000} r a b p total=0 uniq dups gaps
    kafka_topic_create "$topic" 6
    # static members: a restarted one takes its partitions back at once
    # instead of after session.timeout.ms; commits every 100 ms, so that a
    # kill lands between commits of a running member (an offset committed
    # before its line is written would show as a gap)
    local common=(-b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -m -q -X session.timeout.ms=10000
        -X auto.commit.interval.ms=100)
    kcons "${common[@]}" -X group.instance.id=a "$topic" >"$T/out-a" &
    a=$!
    kcons "${common[@]}" -X group.instance.id=b "$topic" >"$T/out-b.0" &
    b=$!
    BG_PIDS="$a $b"
    sleep 3
    for ((r = 1; r <= rounds; r++)); do
        # about a second of production, so that the kill lands mid-stream
        gen $(((r - 1) * per + 1)) "$per" |
            awk -v every=$((per / 50 + 1)) '{ print; fflush() }
                NR % every == 0 { system("sleep 0.02") }' |
            kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin &
        p=$!
        sleep "0.$((RANDOM % 8 + 1))"
        kill -KILL "$b"
        wait "$b" || true
        wait "$p"
        kcons "${common[@]}" -X group.instance.id=b "$topic" >"$T/out-b.$r" &
        b=$!
        BG_PIDS="$a $b"
        sleep 1
    done
    highs "$topic" >"$T/highs"
    total=$(awk '{ s += $2 } END { print s }' "$T/highs")
    [[ $total == $((rounds * per)) ]]
    covered() {
        coords "$T"/out-* | sort -u | wc -l >"$T/uniq"
        [[ $(<"$T/uniq") -ge $total ]]
    }
    wait_for 120 covered
    kill -TERM "$a" "$b"
    wait "$a"
    wait "$b"
    BG_PIDS=
    coords "$T"/out-* >"$T/all"
    uniq=$(sort -u "$T/all" | wc -l)
    dups=$(($(wc -l <"$T/all") - uniq))
    # no gap: each partition has every offset from 0 to its high mark
    gaps=$(sort -u "$T/all" | awk 'NR == FNR { high[$1] = $2; next }
        { seen[$1]++ } END { for (p in high) g += high[p] - seen[p]; print g + 0 }' \
        "$T/highs" -)
    [[ $gaps == 0 ]]
    [[ $uniq == "$total" ]]
    note "SIGKILL: $rounds rounds, $total messages, all $uniq offsets written, $dups duplicates, 0 gaps, $(cat "$T"/out-* | jq -R 'fromjson? | 0' 2>/dev/null | wc -l) whole lines"
}

# catches_term PID: PID has a handler for SIGTERM (SigCgt bit 15).
# gone PID: the process has ended (a zombie until waited for counts).
gone() {
    ! kill -0 "$1" 2>/dev/null || [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == Z ]]
}

catches_term() {
    local mask
    mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $mask ]] && (((16#$mask >> 14) & 1))
}

@test "SIGTERM to five kcons -G while they join their group: every one exits 0 (librdkafka#4312)" {
    need kafka kafka_use
    local topic=join-$TID r i rc pids bad=0
    kafka_topic_create "$topic" 6
    gen 1 600 | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    # librdkafka before 2.3.0 aborts destroying a cooperative-sticky
    # consumer that joined and has no assignment yet: here it did in 4 of
    # 15 rounds before kcons left such a handle to the exit
    for ((r = 1; r <= 8; r++)); do
        pids=()
        for ((i = 1; i <= 5; i++)); do
            kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "join-$TID-$r" "$topic" \
                >/dev/null 2>"$T/err-$r-$i" &
            pids+=($!)
        done
        BG_PIDS="${pids[*]}"
        # the signal must find kcons' handler, not the exec of a loaded
        # machine (a process killed before main() is not what is tested)
        for i in "${pids[@]}"; do
            wait_for 30 catches_term "$i" || fail "kcons $i: no SIGTERM handler after 30 s"
        done
        sleep "$((r % 4)).$((r * 3 % 10))"
        kill -TERM "${pids[@]}"
        for i in "${!pids[@]}"; do
            rc=0
            # bounded: a kcons stuck after the signal fails the test,
            # with where it is, instead of hanging the suite
            if ! wait_for 60 gone "${pids[$i]}"; then
                printf 'round %d, kcons %d: still running 60 s after SIGTERM: %s\n' \
                    "$r" "$((i + 1))" "$(cat "/proc/${pids[$i]}/task/"*/wchan 2>/dev/null | sort | uniq -c | tr '\n' ' ')" >&2
                kill -KILL "${pids[$i]}" 2>/dev/null || true
            fi
            wait "${pids[$i]}" || rc=$?
            if ((rc != 0)); then
                bad=$((bad + 1))
                printf 'round %d, kcons %d: exit %d: %s\n' "$r" "$((i + 1))" "$rc" \
                    "$(cat "$T/err-$r-$((i + 1))")" >&2
            fi
        done
    done
    BG_PIDS=
    assert_equal "$bad" 0
}

# ---- the broker restarts; the producer stops

@test "broker restart during a kprod run of ${KAFKA_TEST_RESTART_LINES:-200000} lines: 0 lost, 0 duplicates" {
    need kafka kafka_use
    [[ $KAFKA_SVC_EXTERNAL == 0 ]] || skip "external broker"
    local n=${KAFKA_TEST_RESTART_LINES:-200000} topic=restart-$TID pid rc=0 half
    half=$((n / 2))
    kafka_topic_create "$topic" 3
    gen 1 "$n" >"$T/in"
    mkfifo "$T/fifo"
    kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin --receipts "$T/rcpt" \
        --rejects "$T/rej" --stats 0 <"$T/fifo" 2>"$T/err" &
    pid=$!
    BG_PIDS=$pid
    exec 7>"$T/fifo"
    head -n "$half" "$T/in" >&7
    wait_for 60 lines_at_least "$T/rcpt" $((half / 4))
    kafka_restart default >/dev/null
    tail -n +$((half + 1)) "$T/in" >&7
    exec 7>&-
    wait "$pid" || rc=$?
    BG_PIDS=
    assert_equal "$rc" 0
    [[ $(wc -l <"$T/rcpt") == "$n" ]]
    [[ ! -s $T/rej ]]
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e >"$T/out"
    [[ $(wc -l <"$T/out") == "$n" ]]
    [[ $(jq -r .seq "$T/out" | sort -u | wc -l) == "$n" ]]
    note "broker restart: $n lines, $(wc -l <"$T/out") in the topic, 0 lost, 0 duplicates"
}

@test "kprod SIGTERM mid-run: every line read is delivered or listed as undelivered" {
    need kafka kafka_use
    local topic=term-$TID pid rc=0 in out rej consumed
    kafka_topic_create "$topic" 3
    gen 1 300000 >"$T/in"
    mkfifo "$T/fifo"
    kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --receipts "$T/rcpt" --rejects "$T/rej" \
        --stats 0 <"$T/fifo" 2>"$T/err" &
    pid=$!
    BG_PIDS=$pid
    { cat "$T/in" >"$T/fifo"; } 2>/dev/null &
    wait_for 60 lines_at_least "$T/rcpt" 1000
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    BG_PIDS=
    ((rc == 0 || rc == 1))
    in=$(stats_field "$T/err" in)
    out=$(stats_field "$T/err" out)
    rej=$(stats_field "$T/err" rejected)
    ((in < 300000))
    [[ $((out + rej)) == "$in" ]]
    [[ $(wc -l <"$T/rcpt") == "$out" ]]
    [[ $(cat "$T/rej" 2>/dev/null | wc -l) == "$rej" ]]
    # receipts and rejects name disjoint lines, and together every line read
    { jq -r .line "$T/rcpt"; [[ ! -s $T/rej ]] || jq -r .error.line "$T/rej"; } | sort -n >"$T/lines"
    [[ $(sort -nu "$T/lines" | wc -l) == "$in" ]]
    [[ $(tail -n 1 "$T/lines") == "$in" ]]
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e >"$T/out"
    consumed=$(wc -l <"$T/out")
    ((consumed >= out))
    ((consumed <= out + $(grep -c possibly_persisted "$T/rej" 2>/dev/null || true)))
    note "SIGTERM: $in lines read, $out delivered, $rej undelivered, $consumed in the topic"
}

# ---- injected faults (kmock)

@test "kmock: NOT_LEADER_FOR_PARTITION and REQUEST_TIMED_OUT are retried; receipts complete" {
    need kmock kmock_use
    local topic=retry-$TID
    kmock_cmd topic "$topic" 3
    gen 1 2000 >"$T/in"
    kmock_cmd err Produce NOT_LEADER_FOR_PARTITION 5
    run --separate-stderr kprod -q -b "$KMOCK_BOOTSTRAP" -t "$topic" --receipts "$T/r1" \
        --rejects "$T/x1" --stats 0 <"$T/in"
    assert_success
    [[ $(wc -l <"$T/r1") == 2000 && ! -s $T/x1 ]]
    kmock_cmd err Produce REQUEST_TIMED_OUT 3
    run --separate-stderr kprod -q -b "$KMOCK_BOOTSTRAP" -t "$topic" --receipts "$T/r2" \
        --rejects "$T/x2" --stats 0 <"$T/in"
    assert_success
    [[ $(wc -l <"$T/r2") == 2000 && ! -s $T/x2 ]]
    [[ $(jq -r .line "$T/r2" | sort -nu | wc -l) == 2000 ]]
}

@test "kmock: -G -o beginning when the group's offsets cannot be read: -o left out, nothing read again" {
    need kmock kmock_use
    local topic=gofs-$TID group=gofs-$TID
    kmock_cmd topic "$topic" 2
    gen 1 300 | kprod -q -b "$KMOCK_BOOTSTRAP" -t "$topic" --stats 0
    run --separate-stderr kcons -q -b "$KMOCK_BOOTSTRAP" -G "$group" "$topic" -e
    assert_success
    assert_equal "${#lines[@]}" 300
    # the lookup kcons makes for -o fails once; before, -o then applied
    # to every partition and the group read all 300 again
    kmock_cmd err OffsetFetch GROUP_AUTHORIZATION_FAILED 1
    run --separate-stderr kcons -b "$KMOCK_BOOTSTRAP" -G "$group" "$topic" -e -o beginning
    assert_success
    assert_equal "${#lines[@]}" 0
    [[ $stderr == *"-o not applied, starting where the group would"* ]] || fail "$stderr"
}

@test "kmock: a refused batch and a broker down: rejects carry the broker's error, receipts + rejects = lines" {
    need kmock kmock_use
    local topic=refuse-$TID pid rc=0
    kmock_cmd topic "$topic" 1
    gen 1 500 >"$T/in"
    kmock_cmd err Produce TOPIC_AUTHORIZATION_FAILED 1
    run --separate-stderr kprod -q -b "$KMOCK_BOOTSTRAP" -t "$topic" --receipts "$T/r1" \
        --rejects "$T/x1" --stats 0 <"$T/in"
    assert_failure 1
    [[ -s $T/x1 ]]
    run jq -r .error.kafka_error "$T/x1"
    [[ $(sort -u <<<"$output") == TOPIC_AUTHORIZATION_FAILED ]]
    { jq -r .line "$T/r1"; jq -r .error.line "$T/x1"; } | sort -nu >"$T/l1"
    [[ $(wc -l <"$T/l1") == 500 ]]
    # every broker down: the messages time out
    kmock_cmd down -1
    run --separate-stderr kprod -q -b "$KMOCK_BOOTSTRAP" -t "$topic" -X message.timeout.ms=2000 \
        --receipts "$T/r2" --rejects "$T/x2" --stats 0 <"$T/in"
    kmock_cmd up -1
    assert_failure 1
    [[ ! -s $T/r2 ]]
    [[ $(wc -l <"$T/x2") == 500 ]]
    run jq -r .error.kafka_error "$T/x2"
    [[ $(sort -u <<<"$output") == _MSG_TIMED_OUT ]]
    # down for a while during a run: retried, all delivered
    mkfifo "$T/fifo"
    kprod -q -b "$KMOCK_BOOTSTRAP" -t "$topic" --receipts "$T/r3" --rejects "$T/x3" \
        <"$T/fifo" &
    pid=$!
    BG_PIDS=$pid
    exec 7>"$T/fifo"
    head -n 250 "$T/in" >&7
    wait_for 30 lines_at_least "$T/r3" 250
    kmock_cmd down -1
    tail -n +251 "$T/in" >&7
    sleep 2
    kmock_cmd up -1
    exec 7>&-
    wait "$pid" || rc=$?
    BG_PIDS=
    assert_equal "$rc" 0
    [[ $(wc -l <"$T/r3") == 500 && ! -s $T/x3 ]]
}

@test "kmock: a request the broker never answers in time: rejects marked possibly persisted" {
    need kmock kmock_use
    local topic=slow-$TID pid rc=0
    kmock_cmd topic "$topic" 1
    mkfifo "$T/fifo"
    kprod -q -b "$KMOCK_BOOTSTRAP" -t "$topic" -X message.timeout.ms=3000 \
        -X request.timeout.ms=1000 --receipts "$T/rcpt" --rejects "$T/rej" --stats 0 \
        <"$T/fifo" 2>"$T/err" &
    pid=$!
    BG_PIDS=$pid
    exec 7>"$T/fifo"
    gen 1 1 >&7
    wait_for 30 lines_at_least "$T/rcpt" 1
    # from now on every answer comes 4 s late: the produce requests are
    # sent, time out after 1 s, are retried, until the messages' 3 s are up
    kmock_cmd rtt -1 4000
    gen 2 19 >&7
    exec 7>&-
    wait "$pid" || rc=$?
    BG_PIDS=
    kmock_cmd rtt -1 0
    assert_equal "$rc" 1
    assert_equal "$(jq -r .line "$T/rcpt")" 1
    run jq -r '[.error.line, .error.kafka_error, .error.possibly_persisted] | @tsv' "$T/rej"
    assert_equal "${#lines[@]}" 19
    [[ $(cut -f1 <<<"$output" | sort -n | paste -sd ' ') == "$(seq 2 20 | paste -sd ' ')" ]]
    [[ $(cut -f2- <<<"$output" | sort -u) == "_MSG_TIMED_OUT"$'\t'"true" ]] ||
        fail "$output"
    [[ $(stats_field "$T/err" undelivered) == 19 ]]
}

@test "kmock: a group coordinator that stops answering: SIGTERM ends kcons -G within --flush-timeout, saying what was given up" {
    need kmock kmock_use
    local topic=leave-$TID pid rc=0 t0 took
    kmock_cmd topic "$topic" 2
    gen 1 300 | kprod -q -b "$KMOCK_BOOTSTRAP" -t "$topic" --stats 0
    kcons -b "$KMOCK_BOOTSTRAP" -G "leave-$TID" --flush-timeout 2 "$topic" \
        >"$T/out" 2>"$T/err" &
    pid=$!
    BG_PIDS=$pid
    wait_for 60 lines_at_least "$T/out" 300
    # every answer 30 s late from now on: leaving the group (the last
    # commit, LeaveGroup) waits on them, and used to wait as long
    kmock_cmd rtt -1 30000
    t0=$(date +%s)
    kill -TERM "$pid"
    wait_for 20 gone "$pid" || fail "kcons still running 20 s after SIGTERM: $(cat "/proc/$pid/task/"*/wchan 2>/dev/null | sort | uniq -c | tr "\n" " "); $(cat "$T/err")"
    wait "$pid" || rc=$?
    took=$(($(date +%s) - t0))
    BG_PIDS=
    kmock_cmd rtt -1 0
    assert_equal "$rc" 0
    ((took <= 8)) || fail "took $took s"
    grep -q -e "commit before rebalance: no answer within --flush-timeout (2 s)" "$T/err" &&
        grep -q -e "leaving the group took longer than --flush-timeout (2 s)" "$T/err" || fail "$(cat "$T/err")"
}

# ---- groups and offsets

@test "-e with groups exits; --list shows lag; --commit and --reset-offsets move the group" {
    need kafka kafka_use
    local topic=grp-$TID group=grp-$TID pid
    kafka_topic_create "$topic" 3
    gen 1 300 | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -e "$topic"
    assert_success
    [[ ${#lines[@]} == 300 ]]
    run kcons -b "$KAFKA_SVC_BOOTSTRAP" --list -G "$group" "$topic"
    assert_success
    [[ $(jq -s '[.[] | select(.topic) | .lag] | add' <<<"$output") == 0 ]]
    # nothing new: -e exits at once with nothing
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -e "$topic"
    assert_success
    assert_output ''
    run kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" --reset-offsets earliest "$topic"
    assert_success
    [[ $(jq -s '[.[] | .offset] | add' <<<"$output") == 0 ]]
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -e "$topic"
    [[ ${#lines[@]} == 300 ]]
    run kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" --commit "$topic:0:3"
    assert_success
    assert_output "{\"group\":\"$group\",\"topic\":\"$topic\",\"partition\":0,\"offset\":3}"
    run kcons -b "$KAFKA_SVC_BOOTSTRAP" --list -G "$group" "$topic"
    [[ $(jq -r 'select(.partition == 0 and .topic) | .committed' <<<"$output") == 3 ]]
    run kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" --reset-offsets -1h "$topic"
    assert_success
    # a pattern subscription
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group-re" -e "^grp-$TID\$"
    assert_success
    [[ ${#lines[@]} == 300 ]]
    # two members, both with -e, both exit; together they read all 300
    kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group-2" -e -q "$topic" >"$T/m1" &
    pid=$!
    BG_PIDS=$pid
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group-2" -e -q "$topic"
    assert_success
    wait "$pid"
    BG_PIDS=
    [[ $(($(wc -l <"$T/m1") + ${#lines[@]})) -ge 300 ]]
    # an active member: offsets cannot be set under it
    kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -q "$topic" >/dev/null &
    pid=$!
    BG_PIDS=$pid
    wait_for 30 bash -c "kcons -q -b '$KAFKA_SVC_BOOTSTRAP' --list -G '$group' '$topic' | grep -q '\"member\":\"kcons\"'"
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" --commit "$topic:0:0"
    assert_failure 1
    [[ $stderr == *"the group has active members"* ]]
    kill -TERM "$pid"
    wait "$pid"
    BG_PIDS=
}

@test "-o: tail, absolute, times, e@, end; in a group only without a committed offset" {
    need kafka kafka_use
    # timestamps of ten minutes ago: fixed dates years back would fall to
    # the broker's 7-day retention whenever its check ran during the test
    local topic=off-$TID i t0 at4
    t0=$((($(date +%s) - 600) * 1000))
    at4=$(date -u -d "@$((t0 / 1000 + 4))" +%Y-%m-%dT%H:%M:%SZ)
    kafka_topic_create "$topic" 1
    for ((i = 0; i < 10; i++)); do
        printf '{"i":%d,"ts":%d}\n' "$i" $((t0 + i * 1000))
    done | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --timestamp-field ts
    ofs() {
        kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e "$@" | jq -r .i | tr '\n' ' '
    }
    assert_equal "$(ofs -o -3)" "7 8 9 "
    assert_equal "$(ofs -o 5)" "5 6 7 8 9 "
    assert_equal "$(ofs -o "s@$((t0 + 3000))")" "3 4 5 6 7 8 9 "
    assert_equal "$(ofs -o "$at4")" "4 5 6 7 8 9 "
    assert_equal "$(ofs -o "e@$((t0 + 6000))")" "0 1 2 3 4 5 "
    assert_equal "$(ofs -o end)" ""
    # e@ alone ends the run too, without -e
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -o 2 -o "e@$((t0 + 4000))"
    assert_success
    assert_equal "$(jq -r .i <<<"$output" | tr '\n' ' ')" "2 3 "
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -c 4
    assert_equal "${#lines[@]}" 4
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "off-$TID" -e -o -2 "$topic"
    assert_equal "$(jq -r .i <<<"$output" | tr '\n' ' ')" "8 9 "
    # the group has an offset now: -o does not move it back
    printf '{"i":10,"ts":%d}\n' $((t0 + 10000)) |
        kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --timestamp-field ts
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "off-$TID" -e -o -5 "$topic"
    assert_equal "$(jq -r .i <<<"$output" | tr '\n' ' ')" "10 "
}

# ---- security

@test "SASL/SCRAM and PLAIN over TLS: password from the environment or a file; a wrong one exits 1 at once; never printed" {
    need kafka kafka_use
    [[ -n $KAFKA_SVC_SASL_BOOTSTRAP ]] || skip "external broker without SASL listener"
    local topic=sasl-$TID t0
    local sasl=(-b "$KAFKA_SVC_SASL_BOOTSTRAP" --sasl-user "$KAFKA_SVC_USER" --cafile "$KAFKA_SVC_CAFILE")
    printf '%s\n' "$KAFKA_SVC_PASSWORD" >"$T/pw"
    chmod 600 "$T/pw"
    echo '{"secure":1}' | KAFKA_SASL_PASSWORD=$KAFKA_SVC_PASSWORD \
        kprod "${sasl[@]}" --sasl-mechanism SCRAM-SHA-512 -t "$topic" -q
    run --separate-stderr kcons "${sasl[@]}" --sasl-mechanism SCRAM-SHA-256 \
        --password-file "$T/pw" -t "$topic" -e
    assert_success
    assert_output '{"secure":1}'
    # the broker's name is checked against its certificate
    run --separate-stderr kcons -b "localhost:$KAFKA_SVC_SASL_PORT" --sasl-user "$KAFKA_SVC_USER" \
        --cafile "$KAFKA_SVC_CAFILE" --sasl-mechanism SCRAM-SHA-256 \
        --password-file "$T/pw" -t "$topic" -e
    assert_success
    t0=$SECONDS
    echo '{"secure":2}' >"$T/in"
    KAFKA_SASL_PASSWORD=not-the-password-42 run --separate-stderr kprod "${sasl[@]}" \
        --sasl-mechanism SCRAM-SHA-512 -t "$topic" --flush-timeout 2 -d security <"$T/in"
    assert_failure 1
    ((SECONDS - t0 < 30))
    [[ $stderr == *"Authentication failed"* ]]
    [[ $stderr != *not-the-password-42* && $stderr != *"$KAFKA_SVC_PASSWORD"* ]]
    # another CA: the broker is not trusted
    KAFKA_SASL_PASSWORD=$KAFKA_SVC_PASSWORD run --separate-stderr kcons \
        -b "$KAFKA_SVC_SASL_BOOTSTRAP" --sasl-user "$KAFKA_SVC_USER" \
        --sasl-mechanism SCRAM-SHA-256 --cafile /etc/ssl/certs/ca-certificates.crt \
        -t "$topic" -e --timeout 5
    assert_failure 1
    [[ $stderr == *"certificate verify failed"* ]]
    # PLAIN over TLS, the same user
    echo '{"secure":3}' | KAFKA_SASL_PASSWORD=$KAFKA_SVC_PASSWORD \
        kprod "${sasl[@]}" --sasl-mechanism PLAIN -t "$topic" -q
    run --separate-stderr kcons "${sasl[@]}" --sasl-mechanism PLAIN \
        --password-file "$T/pw" -t "$topic" -o -1 -e
    assert_success
    assert_output '{"secure":3}'
}

# ---- what the payloads are

@test "payloads that are not JSON objects: wrapped; binary: a reject with its coordinates, or base64" {
    need kafka kafka_use
    local topic=pay-$TID
    kafka_topic_create "$topic" 1
    printf 'plain text\n[1, 2]\n{"ok":true}\n' | kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "$topic"
    printf 'k\t\xff\xfe\n' | kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "$topic" -K $'\t'
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e --rejects "$T/rej" --stats 0
    assert_success
    assert_equal "$output" $'{"value":"plain text"}\n{"value":[1,2]}\n{"ok":true}'
    [[ $(stats_field <(printf '%s\n' "$stderr") rejected) == 1 ]]
    run jq -c '[.error.reason, .["@metadata"].kafka.offset, .["@metadata"].kafka.key,
        .error.bytes, .error.input_base64]' "$T/rej"
    assert_output '["binary payload (not UTF-8)",3,"k",2,"//4="]'
    # without --rejects, the warning says where the message is
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -o 3 -e
    assert_success
    assert_equal "$stderr" "kcons: $topic [0] @3: binary payload (not UTF-8)"
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -o 3 -e --binary base64
    assert_output '{"value":"//4=","encoding":"base64"}'
}

@test "EPIPE: kcons | head -n 1 stops quietly with exit 0" {
    need kafka kafka_use
    local topic=pipe-$TID
    kafka_topic_create "$topic" 2
    gen 1 20000 | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    run --separate-stderr bash -c "kcons -b '$KAFKA_SVC_BOOTSTRAP' -G 'pipe-$TID' -e '$topic' | head -n 1; exit \${PIPESTATUS[0]}"
    assert_success
    assert_equal "${#lines[@]}" 1
    assert_equal "$stderr" ''
}

@test "a kcons with nothing to read notices that its reader went away: exit 0" {
    need kafka kafka_use
    local topic=quiet-$TID
    kafka_topic_create "$topic" 2
    # without writing, it would wait for a message that never comes
    run --separate-stderr timeout 20 bash -c "kcons -b '$KAFKA_SVC_BOOTSTRAP' -t '$topic' |
        sleep 1; exit \${PIPESTATUS[0]}"
    assert_success
    assert_equal "$stderr" ''
    run --separate-stderr timeout 20 bash -c "kcons -v -b '$KAFKA_SVC_BOOTSTRAP' -G 'quiet-$TID' '$topic' |
        sleep 1; exit \${PIPESTATUS[0]}"
    assert_success
    [[ $stderr == *'stdout: the reader went away'* ]]
}

# ---- end-to-end acknowledgements

@test "--acks: a downstream that acknowledges only even offsets: committed offsets never pass the first unacknowledged one" {
    need kafka kafka_use
    local topic=acks-$TID group=acks-$TID
    kafka_topic_create "$topic" 2
    gen 1 40 | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin
    mkfifo "$T/acks"
    run --separate-stderr bash -c '
        kcons -b "$1" -G "$2" --acks "$3" -e --flush-timeout 2 --stats 0 "$4" |
            jq -c --unbuffered "select(.[\"@metadata\"].kafka.offset % 2 == 0) |
                {\"@metadata\": {kafka: .[\"@metadata\"].kafka}}" >"$3"' \
        _ "$KAFKA_SVC_BOOTSTRAP" "$group" "$T/acks" "$topic"
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") acked) == 20 ]]
    [[ $stderr == *"20 lines written but not acknowledged"* ]]
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list -G "$group" "$topic"
    # offset 0 is acknowledged, offset 1 is not: 1 is where the group resumes
    run jq -r 'select(.topic) | .committed' <<<"$output"
    assert_output $'1\n1'
    # the next run starts there
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -e -m "$topic"
    [[ ${#lines[@]} == 38 ]]
}

# ---- a slow downstream

@test "a blocked stdout pauses the partitions instead of missing max.poll.interval.ms" {
    need kafka kafka_use
    local topic=slow-$TID n=30000
    kafka_topic_create "$topic" 3
    gen 1 "$n" | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --key-field vin
    # the reader sleeps three poll intervals before reading anything
    run --separate-stderr bash -c '
        kcons -v -b "$1" -G "$2" -X session.timeout.ms=6000 \
            -X max.poll.interval.ms=6000 -e "$3" |
            { sleep 18; cat; } | wc -l' _ "$KAFKA_SVC_BOOTSTRAP" "slow-$TID" "$topic"
    assert_success
    assert_output "$n"
    [[ $stderr == *"partitions paused"* ]]
    [[ $stderr != *"maximum poll interval"* ]]
    # assigned once: the member never left the group before the end
    [[ $(grep -c 'kcons: assigned:' <<<"$stderr") == 1 ]]
}

@test "kcons -G on a topic that does not exist: exit 1 at once, the topic named, with or without -e" {
    need kafka kafka_use
    local t0
    t0=$SECONDS
    run --separate-stderr timeout 60 kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "nosuch-$TID" -e "nosuchtopic-$TID"
    assert_equal "$status" 1
    assert_equal "$output" ''
    [[ $stderr == *"topic nosuchtopic-$TID: "*"does it exist? (kcons --list names the topics)"* ]] ||
        fail "$stderr"
    run --separate-stderr timeout 60 kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "nosuch-$TID" "nosuchtopic-$TID"
    assert_equal "$status" 1
    ((SECONDS - t0 < 30)) || fail "took $((SECONDS - t0)) s"
}

@test "kprod -t a topic that does not exist, the broker not creating it: exit 1 in seconds, said once with the fix, every line read listed" {
    need kafka kafka_use
    local topic=nosuch-prod-$TID pid t0
    mkfifo "$T/fifo"
    # a writer that would go on for a minute: kprod must not wait for it
    python3 -c 'import sys, time
for i in range(6000):
    print("{\"seq\":%d}" % i, flush=True)
    time.sleep(0.01)' >"$T/fifo" 2>/dev/null &
    pid=$!
    BG_PIDS=$pid
    t0=$SECONDS
    # the test broker creates topics; this client asks it not to
    run --separate-stderr timeout 60 kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" \
        -X allow.auto.create.topics=false -X topic.metadata.propagation.max.ms=1000 \
        --rejects "$T/rej" --stats 0 --input "$T/fifo"
    assert_equal "$status" 1
    ((SECONDS - t0 < 20)) || fail "took $((SECONDS - t0)) s"
    printf '%s\n' "$stderr" >"$T/err"
    assert_equal "$(grep -c "the topic does not exist and the broker does not create it: create it, or check -t" "$T/err")" 1
    grep -q "^kprod: topic $topic: " "$T/err"
    # nothing lost in silence: every line read is a reject, none delivered
    local in
    in=$(stats_field "$T/err" in)
    assert_equal "$(stats_field "$T/err" out)" 0
    assert_equal "$(stats_field "$T/err" rejected)" "$in"
    assert_equal "$(wc -l <"$T/rej")" "$in"
    ((in < 6000))
    # and the topic was not made
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list
    [[ $output != *"\"$topic\""* ]]
}

@test "--metrics-file: kprod and kcons leave their counts, kcons' lag a gauge (iotpipe(7), Metrics)" {
    need kafka kafka_use
    local topic=metrics-$TID
    kafka_topic_create "$topic" 2
    gen 0 300 | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" --stats 0 \
        --metrics-file "$T/kprod.prom" 2>"$T/kprod.err"
    python3 "$IOTPIPE_SRC/tests/lib/promcheck.py" "$T/kprod.prom" kprod >"$T/kprod.s"
    grep -qx 'iotpipe_out_total 300' "$T/kprod.s"
    grep -qx 'iotpipe_undelivered_total 0' "$T/kprod.s"
    grep -qx 'iotpipe_up 0' "$T/kprod.s"
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "metrics-$TID" -e "$topic" \
        --metrics-file "$T/kcons.prom" >/dev/null
    python3 "$IOTPIPE_SRC/tests/lib/promcheck.py" "$T/kcons.prom" kcons >"$T/kcons.s"
    grep -qx 'iotpipe_in_total 300' "$T/kcons.s"
    grep -qx 'iotpipe_out_total 300' "$T/kcons.s"
    grep -qx 'iotpipe_lag 0' "$T/kcons.s"
    grep -qx '# TYPE iotpipe_lag gauge' "$T/kcons.prom"
    run ls -A "$T"
    [[ $output != *.tmp* ]]
}

@test "plain Kafka client on the SASL_SSL listener: the TLS hint at the default verbosity, exit 1" {
    need kafka kafka_use
    [[ -n ${KAFKA_SVC_SASL_BOOTSTRAP:-} ]] || skip "no SASL_SSL listener"
    run --separate-stderr timeout 60 kcons -q -b "$KAFKA_SVC_SASL_BOOTSTRAP" -t "t-$TID" -e --timeout 5
    assert_equal "$status" 1
    [[ $stderr == *"SSL"* && $stderr == *"does the listener speak TLS or SASL? check security.protocol"* ]] ||
        fail "$stderr"
    run --separate-stderr timeout 60 kcons -q -b "$KAFKA_SVC_SASL_BOOTSTRAP" -G "g-$TID" -e "t-$TID" --connect-timeout 5
    assert_equal "$status" 1
    [[ $stderr == *"does the listener speak TLS or SASL?"* ]] || fail "$stderr"
}
