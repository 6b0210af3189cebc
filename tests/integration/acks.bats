#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# kcons --acks | esbulk --acks against a real Kafka broker and a real
# OpenSearch: the acknowledgement fifo is made by whichever side comes
# first and is never a regular file; neither side waits forever for a
# partner that never comes (kcons(1), esbulk(1) --acks-timeout); a
# partition that moves between group members and comes back never lets
# the committed offset pass a record not acknowledged; and a chain whose
# processes are killed and restarted loses nothing.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"
# shellcheck source=tests/services/opensearch.sh
source "$IOTPIPE_SRC/tests/services/opensearch.sh"

setup_file() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD ELASTICSEARCH_URL
    services_init
    TID=${IOTPIPE_RUN_DIR##*.}
    export TID=${TID,,}
    local jvm
    started kafka kafka_start &
    jvm=$!
    started opensearch opensearch_start
    wait "$jvm"
}

setup() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD ELASTICSEARCH_URL
    T=$BATS_TEST_TMPDIR
    BG_PIDS=
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
    if [[ -n ${IOTPIPE_TEST_OPENSEARCH:-} ]]; then
        curl -fsS -XDELETE "$IOTPIPE_TEST_OPENSEARCH/acks-*-$TID" >/dev/null 2>&1 || true
    fi
    services_cleanup acks
}

# gen FIRST COUNT: small telemetry documents.
gen() {
    awk -v a="$1" -v n="$2" 'BEGIN {
        for (i = a; i < a + n; i++)
            printf "{\"vin\":\"V%05d\",\"seq\":%d,\"speed\":80.3}\n", i % 97, i
    }'
}

# produce TOPIC PARTITIONS COUNT: a topic with COUNT documents.
produce() {
    kafka_topic_create "$1" "$2"
    gen 0 "$3" | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$1" --key-field vin
}

# committed GROUP TOPIC: "partition committed" lines, by partition.
committed() {
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list -G "$1" "$2" |
        jq -r 'select(.topic) | "\(.partition) \(.committed)"' | sort -n
}

# highs TOPIC: "partition high" lines, by partition.
highs() {
    kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list "$1" |
        jq -r 'select(.topic) | "\(.partition) \(.high)"' | sort -n
}

# count INDEX: documents in INDEX after a refresh.
count() {
    curl -fsS -XPOST "$OS_SVC_URL/$1/_refresh" >/dev/null
    curl -fsS "$OS_SVC_URL/$1/_count" | jq -r .count
}

# ---- a partner that never comes

@test "esbulk --acks: a kcons that fails at start (a bad -X) does not leave it waiting: exit 1 at once, naming kcons" {
    need kafka kafka_use
    need opensearch opensearch_use
    local t0=$SECONDS
    # made beforehand, as the man pages' examples do: an open(2) that
    # blocks would wait here for ever
    mkfifo "$T/F"
    run --separate-stderr timeout 30 bash -c '
        kcons -b "$1" -G g -X bogus.prop=1 --acks "$2" t |
            esbulk -u "$3" -i "acks-x-$4" --acks "$2"
        echo "${PIPESTATUS[@]}"' _ "$KAFKA_SVC_BOOTSTRAP" "$T/F" "$OS_SVC_URL" "$TID"
    assert_success # not killed by timeout
    assert_output '2 1'
    [[ $((SECONDS - t0)) -lt 10 ]]
    [[ $stderr == *'esbulk: --acks '"$T"'/F: kcons never opened it: the input ended first'* ]]
    # and the exact command of the report: kcons without -G
    run --separate-stderr timeout 30 bash -c '
        kcons -X bogus.prop=1 --acks "$1" t | esbulk -u "$2" -i "acks-x-$3" --acks "$1"' \
        _ "$T/F" "$OS_SVC_URL" "$TID"
    assert_equal "$status" 1
    [[ $stderr == *'kcons never opened it'* ]]
    # a writer killed before it could open its end: the input ends
    run --separate-stderr timeout 30 bash -c '
        { sleep 1; kill -KILL $BASHPID; } | esbulk -u "$2" -i "acks-x-$3" --acks "$1"' \
        _ "$T/G" "$OS_SVC_URL" "$TID"
    assert_equal "$status" 1
    [[ $stderr == *'kcons never opened it: the input ended first'* ]]
    # no input to watch (a file operand): bounded by --acks-timeout
    gen 0 3 >"$T/in"
    t0=$SECONDS
    run --separate-stderr timeout 30 esbulk -u "$OS_SVC_URL" -i "acks-x-$TID" \
        --acks "$T/H" --acks-timeout 2 "$T/in"
    assert_equal "$status" 1
    [[ $stderr == *'kcons never opened it: waited 2 s (--acks-timeout)'* ]]
    [[ $((SECONDS - t0)) -lt 10 ]]
    # what either side made is a fifo, never a regular file
    [[ -p $T/F && -p $T/G && -p $T/H ]]
}

@test "kcons --acks: an esbulk that never opens the fifo does not leave it waiting: exit 1 after --acks-timeout, naming esbulk, nothing committed" {
    need kafka kafka_use
    local topic=acks-never-$TID group=acks-never-$TID t0=$SECONDS
    produce "$topic" 2 50
    # downstream reads the lines but never acknowledges (no esbulk --acks)
    run --separate-stderr timeout 60 bash -c '
        kcons -b "$1" -G "$2" --acks "$3" --acks-timeout 3 --stats 0 "$4" | cat >/dev/null
        echo "${PIPESTATUS[@]}"' _ "$KAFKA_SVC_BOOTSTRAP" "$group" "$T/F" "$topic"
    assert_success # not killed by timeout
    assert_output '1 0'
    [[ $((SECONDS - t0)) -lt 40 ]]
    [[ $stderr == *"kcons: --acks $T/F: nothing came back in 3 s after the first line written (--acks-timeout): is esbulk --acks $T/F running?"* ]]
    [[ $stderr == *'50 lines written but not acknowledged'* ]]
    [[ -p $T/F ]]
    run committed "$group" "$topic"
    refute_output --regexp ' [0-9]'
}

# ---- who makes the fifo

@test "esbulk started first against a missing --acks path makes a fifo, not a regular file: kcons then acknowledges everything" {
    need kafka kafka_use
    need opensearch opensearch_use
    local topic=acks-race-$TID group=acks-race-$TID n=300
    produce "$topic" 3 "$n"
    # esbulk first; kcons a second later, as a slow sidecar would
    run --separate-stderr timeout 90 bash -c '
        { sleep 1; kcons -b "$1" -G "$2" --acks "$3" -e --stats 0 "$4"; echo "kcons $?" >&2; } |
            esbulk -u "$5" -i "$4" --kafka-id --acks "$3" -q' \
        _ "$KAFKA_SVC_BOOTSTRAP" "$group" "$T/F" "$topic" "$OS_SVC_URL"
    assert_success
    [[ -p $T/F ]]
    [[ $stderr == *'kcons 0'* ]]
    [[ $(stats_field <(printf '%s\n' "$stderr") acked) == "$n" ]]
    [[ $stderr != *'not acknowledged'* ]]
    assert_equal "$(count "$topic")" "$n"
    assert_equal "$(committed "$group" "$topic")" "$(highs "$topic")"
    # both at once, a few times, each with a fresh path: never a regular
    # file, never acked:0
    local trial
    for trial in 1 2 3; do
        run --separate-stderr timeout 90 bash -c '
            kcons -b "$1" -G "$2" --acks "$3" -e -o beginning --stats 0 "$4" |
                esbulk -u "$5" -i "$4" --kafka-id --acks "$3" -q' \
            _ "$KAFKA_SVC_BOOTSTRAP" "$group-$trial" "$T/F$trial" "$topic" "$OS_SVC_URL"
        assert_success
        [[ -p $T/F$trial ]]
        [[ $(stats_field <(printf '%s\n' "$stderr") acked) == "$n" ]]
    done
    # a regular file where the fifo should be is refused by kcons
    : >"$T/R"
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" --acks "$T/R" "$topic"
    assert_equal "$status" 2
    [[ $stderr == *"--acks $T/R: not a fifo"* ]]
}

@test "kcons --output FIFO --acks and esbulk --input FIFO --acks, each opening its own fifos as sidecars do: the acks fifo is opened first, neither waits for the other, everything acknowledged" {
    need kafka kafka_use
    need opensearch opensearch_use
    local topic=acks-io-$TID group=acks-io-$TID n=200 es rc=0
    produce "$topic" 3 "$n"
    mkfifo "$T/docs"
    # no shell opens a fifo for them: esbulk opens its --input only once
    # kcons has the acks fifo open, so kcons must open that before its
    # --output (whose open(2) waits for esbulk)
    esbulk -u "$OS_SVC_URL" -i "$topic" --kafka-id --acks "$T/A" --acks-timeout 20 \
        --input "$T/docs" -q --stats 0 2>"$T/esbulk.err" &
    es=$!
    BG_PIDS="$es"
    run --separate-stderr timeout 60 kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" \
        --acks "$T/A" --output "$T/docs" -e --stats 0 "$topic"
    assert_success # not killed by timeout
    [[ $(stats_field <(printf '%s\n' "$stderr") acked) == "$n" ]]
    wait "$es" || rc=$?
    assert_equal "$rc" 0
    [[ $(stats_field "$T/esbulk.err" out) == "$n" ]]
    [[ -p $T/A ]]
    assert_equal "$(count "$topic")" "$n"
    assert_equal "$(committed "$group" "$topic")" "$(highs "$topic")"
}

# ---- partitions that move

@test "--acks: partitions that go to a second member and come back: the committed offset never passes an unacknowledged record" {
    need kafka kafka_use
    local topic=acks-move-$TID group=acks-move-$TID
    produce "$topic" 4 400
    mkfifo "$T/FA" "$T/FB"
    # downstream acknowledges only even offsets: per partition the commit
    # point must stay at 1, however often the partition moves
    local ack='select(.["@metadata"].kafka.offset % 2 == 0) | {"@metadata": {kafka: .["@metadata"].kafka}}'
    kcons -v -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" --acks "$T/FA" --idle-timeout 20 \
        --stats 0 -X session.timeout.ms=6000 "$topic" 2>"$T/errA" |
        jq -c --unbuffered "$ack" >"$T/FA" &
    BG_PIDS+=" $!"
    local a=$!
    # A has everything written
    local i
    for ((i = 0; i < 60; i++)); do
        [[ $(grep -c 'assigned' "$T/errA") -ge 1 ]] && break
        sleep 0.5
    done
    sleep 3
    # B joins (partitions move to it), reads from the commit point, and
    # leaves at its end (they move back to A, read again from there)
    run --separate-stderr timeout 60 bash -c '
        kcons -b "$1" -G "$2" --acks "$3" -e --stats 0 "$4" |
            jq -c --unbuffered "$5" >"$3"' _ "$KAFKA_SVC_BOOTSTRAP" "$group" "$T/FB" "$topic" "$ack"
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") acked) -gt 0 ]]
    # A ends when idle, after taking the partitions back
    local t0=$SECONDS
    while kill -0 "$a" 2>/dev/null && ((SECONDS - t0 < 90)); do
        sleep 0.5
    done
    ! kill -0 "$a" 2>/dev/null
    [[ $(grep -c 'kcons: assigned:' "$T/errA") -ge 2 ]]
    run committed "$group" "$topic"
    assert_output $'0 1\n1 1\n2 1\n3 1'
}

# ---- a chain of restarted processes

@test "kcons --acks | esbulk --acks, SIGKILLed in turn and restarted: every document indexed once, nothing rejected" {
    need kafka kafka_use
    need opensearch opensearch_use
    local topic=acks-kill-$TID group=acks-kill-$TID n=${ACKS_TEST_DOCS:-20000} round
    produce "$topic" 3 "$n"
    for round in 1 2 3 4; do
        # one chain as two sidecars would run it: separate processes,
        # a fifo between them, another for the acknowledgements
        rm -f "$T/data"
        mkfifo "$T/data"
        esbulk -u "$OS_SVC_URL" -i "$topic" --kafka-id --acks "$T/acks" -s 200 \
            --rejects "$T/rej$round" --stats 0 <"$T/data" 2>"$T/esb$round" &
        local e=$!
        # a killed member stays in the group until its session times
        # out: the broker's least (6 s), not librdkafka's 45 s
        kcons -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" --acks "$T/acks" -e --stats 0 \
            -X session.timeout.ms=6000 "$topic" >"$T/data" 2>"$T/kc$round" &
        local k=$!
        BG_PIDS+=" $e $k"
        sleep "0.$((RANDOM % 9 + 1))"
        # odd rounds kill kcons, even ones esbulk; the other ends by itself
        # (a writer without reader, a reader at the end of its input), and
        # must have left before the next round: a member still in the
        # group would keep partitions from the last run, whose -e ends
        # with its own
        if ((round % 2)); then kill -KILL "$k"; else kill -KILL "$e"; fi
        local t0=$SECONDS
        while { kill -0 "$e" || kill -0 "$k"; } 2>/dev/null && ((SECONDS - t0 < 120)); do
            sleep 0.2
        done
        printf '# round %d: %s killed, the other ended in %d s\n' "$round" \
            "$( ((round % 2)) && echo kcons || echo esbulk)" $((SECONDS - t0)) >&3
        if kill -0 "$k" 2>/dev/null; then
            cat "$T/kc$round" >&3
            fail "round $round: kcons still running 120 s after esbulk was killed"
        fi
        if kill -0 "$e" 2>/dev/null; then
            cat "$T/esb$round" >&3
            fail "round $round: esbulk still running 120 s after kcons was killed"
        fi
    done
    # the last run, left alone
    run --separate-stderr timeout 120 bash -c '
        kcons -v -b "$1" -G "$2" --acks "$3" -e --stats 0 "$4" 2>"$7" |
            esbulk -u "$5" -i "$4" --kafka-id --acks "$3" --rejects "$6" -q' \
        _ "$KAFKA_SVC_BOOTSTRAP" "$group" "$T/acks" "$topic" "$OS_SVC_URL" \
        "$T/rej-last" "$T/kc-last"
    assert_success
    local got
    got=$(count "$topic")
    if [[ $got != "$n" ]]; then
        printf '# committed:\n%s\n# highs:\n%s\n' "$(committed "$group" "$topic")" \
            "$(highs "$topic")" >&3
        sed 's/^/# last kcons: /' "$T/kc-last" >&3
    fi
    assert_equal "$got" "$n"
    assert_equal "$(committed "$group" "$topic")" "$(highs "$topic")"
    # a kcons killed in the middle of a write leaves a torn last line,
    # which esbulk drops with a warning (the writer resends it), never a
    # reject; no other reject, and nothing indexed twice or missing (above)
    printf '# rejects: %s\n' "$(jq -r .error.reason "$T"/rej* | sort | uniq -c | tr '\n' ';')" >&3
    assert_equal "$(jq -r .error.reason "$T"/rej* | grep -cv '^invalid JSON')" 0
    assert_equal "$(jq -r .error.reason "$T"/rej* | grep -c '^invalid JSON')" 0
    assert_equal "$(cat "$T"/rej* | wc -l)" 0
    # what was torn is counted, never more than one line per killed kcons
    local torn=0 f v
    for f in "$T"/esb*; do
        v=$(stats_field "$f" torn)
        [[ -z $v || $v == null ]] || torn=$((torn + v))
    done
    printf '# torn lines dropped: %s\n' "$torn" >&3
    ((torn <= 2))
}
