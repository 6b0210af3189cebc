#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# mqtt2json and json2mqtt against real mosquitto brokers started by
# tests/services/mosquitto.sh: round trips at QoS 0, 1 and 2, TLS, mutual
# TLS, passwords, durable sessions, broker restarts, hostile payloads,
# -C/-W/--idle-timeout, signals and EPIPE.
#
# MQTT_RT_COUNT sets the messages of each round trip (100000 by default;
# measured here: 100000 at QoS 0, 1 and 2 take about 16 s in the normal
# build and 23 s under ASan and UBSan).

load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/mosquitto.sh
source "$IOTPIPE_SRC/tests/services/mosquitto.sh"

# port_of NAME: the port of a started instance.
port_of() {
    svc_env_get "$(svc_instance_dir mosquitto "$1")" MQTT_SVC_PORT
}

setup_file() {
    unset MQTT_URL MQTT_PASSWORD
    services_init
    local n
    # mosquitto keeps 1000 queued messages per client by default and drops
    # the rest for a slow or absent subscriber, which would make every loss
    # count here meaningless: max_queued_messages 0 on the brokers that
    # count.  (With IOTPIPE_TEST_MQTT, plain is that broker, as it is.)
    export UNIX_SOCK
    UNIX_SOCK=$(svc_instance_dir mosquitto plain)/mqtt.sock
    mosquitto_start --conf 'max_queued_messages 0' --conf "listener 0 $UNIX_SOCK" \
        plain >/dev/null
    mosquitto_start --persist --name persist --conf 'max_queued_messages 0' \
        plain >/dev/null
    mosquitto_start --name small --conf 'max_packet_size 2048' plain >/dev/null
    mosquitto_start auth >/dev/null
    mosquitto_start tls >/dev/null
    mosquitto_start mtls >/dev/null

    # the round-trip input: telemetry lines of about 200 bytes
    n=${MQTT_RT_COUNT:-100000}
    export MQTT_RT_COUNT=$n
    export RT_INPUT=$IOTPIPE_RUN_DIR/rt-input.ndjson
    awk -v n="$n" 'BEGIN {
        for (i = 1; i <= n; i++)
            printf "{\"vin\":\"1FTEW1EP%09d\",\"seq\":%d,\"speed\":80.3,\"lat\":38.95618,\"lon\":-77.39835,\"odometer\":61234.000000,\"note\":\"%s\"}\n", i % 1000, i, substr("telemetry-telemetry-telemetry-telemetry-telemetry-telemetry-", 1, 40 + i % 20)
    }' >"$RT_INPUT"
}

teardown() {
    services_teardown
    # a broker paused by a test must not stay paused
    if [[ -n ${PAUSED_PID:-} ]]; then
        kill -CONT "$PAUSED_PID" 2>/dev/null || true
    fi
}

teardown_file() {
    services_cleanup mqtt
}

# sub OUT ERR ARGS...: mqtt2json ARGS in the background, stdout to OUT and
# stderr to ERR; returns once every -t is subscribed.  Sets SUB.
sub() {
    local out=$1 err=$2 i a want=0
    shift 2
    for a in "$@"; do
        [[ $a == -t ]] && want=$((want + 1))
    done
    mqtt2json -v "$@" >"$out" 2>"$err" &
    SUB=$!
    for ((i = 0; i < 100; i++)); do
        (($(grep -c '^mqtt2json: subscribed to ' "$err") >= want)) && return 0
        kill -0 "$SUB" 2>/dev/null || break
        sleep 0.05
    done
    cat "$err"
    fail "mqtt2json did not subscribe"
}

# reap PID: wait for it (at most 120 s) and set ST to its exit status.
reap() {
    local i
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$1" 2>/dev/null && kill -KILL "$1"
    ST=0
    wait "$1" || ST=$?
}

# stat FILE KEY: a counter of the last stats line in FILE.
stat() {
    stats_field "$1" "$2"
}

# pub ARGS...: mosquitto_pub on the plain broker.
pub() {
    timeout 10 mosquitto_pub -h 127.0.0.1 -p "$(port_of plain)" "$@"
}

# ---- round trips

roundtrip() {
    local q=$1 n=$MQTT_RT_COUNT port t0 secs
    port=$(port_of plain)
    sub "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/m2j.err" -p "$port" \
        -t "rt/q$q" -q "$q" -C "$n" -W 300 --stats 0
    t0=$(svc_now)
    run --separate-stderr timeout 300 json2mqtt -p "$port" -t "rt/q$q" -q "$q" \
        --stats 0 <"$RT_INPUT"
    assert_success
    printf '%s\n' "$stderr" >"$BATS_TEST_TMPDIR/j2m.err"
    reap "$SUB"
    secs=$(svc_elapsed "$t0")
    assert_equal "$ST" 0
    # byte-identical payloads, in order
    cmp "$RT_INPUT" "$BATS_TEST_TMPDIR/out"
    assert_equal "$(stat "$BATS_TEST_TMPDIR/j2m.err" in)" "$n"
    assert_equal "$(stat "$BATS_TEST_TMPDIR/j2m.err" out)" "$n"
    assert_equal "$(stat "$BATS_TEST_TMPDIR/j2m.err" rejected)" 0
    assert_equal "$(stat "$BATS_TEST_TMPDIR/m2j.err" in)" "$n"
    assert_equal "$(stat "$BATS_TEST_TMPDIR/m2j.err" out)" "$n"
    assert_equal "$(stat "$BATS_TEST_TMPDIR/m2j.err" rejected)" 0
    assert_equal "$(stat "$BATS_TEST_TMPDIR/m2j.err" reconnects)" 0
    printf '# QoS %s: %s messages through the broker in %s s\n' "$q" "$n" "$secs" >&3
}

@test "round trip at QoS 0: payloads byte-identical, stats consistent" {
    roundtrip 0
}

@test "round trip at QoS 1: payloads byte-identical, stats consistent" {
    roundtrip 1
}

@test "round trip at QoS 2: payloads byte-identical, stats consistent" {
    roundtrip 2
}

# burst_input FIRST LAST FILE: lines FIRST..LAST, different, under 70 bytes
burst_input() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        for (i = a; i <= b; i++)
            printf "{\"vin\":\"1FTEW1EP%09d\",\"seq\":%d,\"speed\":80.3,\"note\":\"burst\"}\n", i % 1000, i
    }' >"$3"
}

# burst Q: bursts of 800 lines (under 56,000 bytes, within a pipe's 64 KiB) into
# json2mqtt at QoS Q through a fifo that stays open, each written while
# json2mqtt is stopped so that one read takes it whole.  The lines beyond
# the in-flight window (100) once stayed in the reader's buffer, where no
# poll of stdin sees them, until EOF: each burst must arrive while the
# input is still open, and SIGUSR1's stats count every line.
burst() {
    local q=$1 rounds=6 per=800 t=$BATS_TEST_TMPDIR port pid i k n got
    n=$((rounds * per))
    port=$(port_of plain)
    sub "$t/out" "$t/m2j.err" -p "$port" -t "burst/q$q" -q "$q" -C "$n" \
        --stats 0
    mkfifo "$t/fifo"
    json2mqtt -p "$port" -t "burst/q$q" -q "$q" --stats 0 <"$t/fifo" \
        2>"$t/j2m.err" &
    pid=$!
    exec 7>"$t/fifo"
    : >"$t/in"
    for ((k = 1; k <= rounds; k++)); do
        burst_input $(((k - 1) * per + 1)) $((k * per)) "$t/burst"
        (($(wc -c <"$t/burst") < 65536)) || fail "a burst must fit a pipe"
        cat "$t/burst" >>"$t/in"
        kill -STOP "$pid"
        for ((i = 0; i < 100; i++)); do
            [[ $(awk '{ print $3 }' "/proc/$pid/stat") == T ]] && break
            sleep 0.01
        done
        cat "$t/burst" >&7
        kill -CONT "$pid"
        for ((i = 0; i < 300; i++)); do
            (($(wc -l <"$t/out") >= k * per)) && break
            sleep 0.1
        done
        got=$(wc -l <"$t/out")
        if ((got < k * per)); then
            exec 7>&-
            reap "$pid"
            fail "burst $k: $got of $((k * per)) arrived in 30 s with stdin open; then EOF: $(cat "$t/j2m.err")"
        fi
    done
    reap "$SUB"
    assert_equal "$ST" 0
    cmp "$t/in" "$t/out"
    kill -USR1 "$pid"
    for ((i = 0; i < 100; i++)); do
        grep -q '^{"tool"' "$t/j2m.err" && break
        sleep 0.05
    done
    assert_equal "$(stat "$t/j2m.err" in)" "$n"
    assert_equal "$(stat "$t/j2m.err" out)" "$n"
    assert_equal "$(stat "$t/j2m.err" rejected)" 0
    exec 7>&-
    reap "$pid"
    [[ $ST == 0 ]] || fail "json2mqtt exited $ST: $(cat "$t/j2m.err")"
    assert_equal "$(stat "$t/j2m.err" out)" "$n"
}

@test "bursts at QoS 0 with stdin held open: every message arrives before EOF" {
    burst 0
}

@test "bursts at QoS 1 with stdin held open: every message arrives before EOF" {
    burst 1
}

# The input ends right after a burst: the messages still on their way to
# the socket leave before json2mqtt exits (QoS 0 has no acknowledgement
# to wait for, only the socket to flush).
@test "a burst at QoS 0 then EOF: the last messages are sent before the exit" {
    local n=5000 t=$BATS_TEST_TMPDIR port
    port=$(port_of plain)
    burst_input 1 "$n" "$t/in"
    sub "$t/out" "$t/m2j.err" -p "$port" -t burst/eof -q 0 -C "$n" -W 60 \
        --stats 0
    # through a pipe, as in a shell pipeline
    run --separate-stderr json2mqtt -p "$port" -t burst/eof -q 0 --stats 0 \
        < <(cat "$t/in")
    assert_success
    printf '%s\n' "$stderr" >"$t/j2m.err"
    assert_equal "$(stat "$t/j2m.err" out)" "$n"
    reap "$SUB"
    assert_equal "$ST" 0
    cmp "$t/in" "$t/out"
}

# ---- TLS, mutual TLS, passwords

@test "TLS: both tools with the private CA; the name is checked; plain MQTT fails" {
    mosquitto_use tls
    local port=$MQTT_SVC_PORT ca=$MQTT_SVC_CAFILE
    sub "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" -h localhost -p "$port" \
        --cafile "$ca" -t 'tls/#' -C 3 -W 20
    printf '{"n":%d}\n' 1 2 3 | json2mqtt -L "mqtts://127.0.0.1:$port/tls/x" --cafile "$ca"
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" $'{"n":1}\n{"n":2}\n{"n":3}'
    # a CA that did not sign the broker's certificate: fatal, no retries
    run --separate-stderr timeout 20 mqtt2json -h 127.0.0.1 -p "$port" \
        --capath /etc/ssl/certs -t x --retries 5
    assert_equal "$status" 1
    assert_equal "$stderr" "mqtt2json: mqtts://127.0.0.1:$port: connect: A TLS error occurred."
    # plain MQTT to the TLS port
    run --separate-stderr timeout 20 json2mqtt -h 127.0.0.1 -p "$port" -t x --retries 0 </dev/null
    assert_equal "$status" 1
    assert_regex "$stderr" "gave up after 1 attempt"
    # said once, and it says TLS, with the default --retries too
    run --separate-stderr timeout 20 mqtt2json -h 127.0.0.1 -p "$port" -t x
    assert_equal "$status" 1
    assert_equal "${#stderr_lines[@]}" 1
    [[ $stderr == *"never connected: the connection closed before CONNACK (gave up after 1 attempt): "*"is it a TLS port (mqtts://, --cafile)"* ]] ||
        fail "$stderr"
}

@test "json2mqtt with no -t: records with their own topic go out; the first without one stops it, exit 1, said once" {
    mosquitto_use plain
    local port=$MQTT_SVC_PORT
    sub "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" -h 127.0.0.1 -p "$port" \
        -t 'notopic/#' -C 1 -W 20
    printf '%s\n' '{"@metadata":{"mqtt":{"topic":"notopic/a"}},"n":1}' '{"n":2}' \
        '{"@metadata":{"mqtt":{"topic":"notopic/a"}},"n":3}' >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr json2mqtt -h 127.0.0.1 -p "$port" --stats 0 <"$BATS_TEST_TMPDIR/in"
    assert_equal "$status" 1
    [[ $(grep -c 'give -t TOPIC or --topic-template' <<<"$stderr") == 1 ]] || fail "$stderr"
    [[ $stderr == *"line 2: no topic"* ]] || fail "$stderr"
    # in = out + rejected: the third line was not read
    [[ $stderr == *'"in":2,"out":1,"rejected":1'* ]] || fail "$stderr"
    reap "$SUB"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" '{"n":1}'
}

@test "mutual TLS: the client certificate is needed" {
    mosquitto_use mtls
    local port=$MQTT_SVC_PORT
    sub "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" -h 127.0.0.1 -p "$port" \
        --cafile "$MQTT_SVC_CAFILE" --cert "$MQTT_SVC_CERT" --key "$MQTT_SVC_KEY" \
        -t 'mtls/#' -C 2 -W 20 -m
    printf '{"n":%d}\n' 1 2 | json2mqtt -h 127.0.0.1 -p "$port" -t mtls/a \
        --cafile "$MQTT_SVC_CAFILE" --cert "$MQTT_SVC_CERT" --key "$MQTT_SVC_KEY"
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(jq -c '[.["@metadata"].mqtt.topic, .n]' "$BATS_TEST_TMPDIR/out")" $'["mtls/a",1]\n["mtls/a",2]'
    run --separate-stderr timeout 20 mqtt2json -h 127.0.0.1 -p "$port" \
        --cafile "$MQTT_SVC_CAFILE" -t x --retries 0
    assert_equal "$status" 1
}

@test "password: the right one from MQTT_PASSWORD or a file; a wrong one exits 1 with the broker's reason and is never shown" {
    mosquitto_use auth
    local port=$MQTT_SVC_PORT user=$MQTT_SVC_USER pw=$MQTT_SVC_PASSWORD f out
    local wrong="wrong-$MQTT_SVC_PASSWORD"
    printf '%s\n' "$pw" >"$BATS_TEST_TMPDIR/pw"
    printf '%s\n' "$wrong" >"$BATS_TEST_TMPDIR/wrong"
    chmod 600 "$BATS_TEST_TMPDIR/pw" "$BATS_TEST_TMPDIR/wrong"
    MQTT_PASSWORD=$pw sub "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/m2j.err" \
        -d -h 127.0.0.1 -p "$port" -u "$user" -t 'auth/#' -C 2 -W 20 --stats 0 \
        --rejects "$BATS_TEST_TMPDIR/rej"
    printf '{"n":1}\nnot json\n{"n":2}\n' |
        json2mqtt -d -h 127.0.0.1 -p "$port" -u "$user" --password-file "$BATS_TEST_TMPDIR/pw" \
            -t auth/x --stats 0 --rejects "$BATS_TEST_TMPDIR/rej2" >"$BATS_TEST_TMPDIR/j2m.out" 2>"$BATS_TEST_TMPDIR/j2m.err"
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" $'{"n":1}\n{"n":2}'
    # wrong password, MQTT 5 and 3.1.1: refused at once, with the reason
    run --separate-stderr timeout 20 mqtt2json -h 127.0.0.1 -p "$port" -u "$user" \
        --password-file "$BATS_TEST_TMPDIR/wrong" -t x --retries 5 -vv --stats 0
    assert_equal "$status" 1
    printf '%s\n%s\n' "$output" "$stderr" >"$BATS_TEST_TMPDIR/wrong5.out"
    assert_regex "$stderr" "mqtt2json: mqtt://$user@127.0.0.1:$port: connection refused: (Not authorized|Bad user name or password)"
    run --separate-stderr timeout 20 json2mqtt -V 311 -h 127.0.0.1 -p "$port" -u "$user" \
        -P "$wrong" -t x --retries 5 -vv --stats 0 <<<'{"a":1}'
    assert_equal "$status" 1
    printf '%s\n%s\n' "$output" "$stderr" >"$BATS_TEST_TMPDIR/wrong3.out"
    assert_regex "$stderr" "connection refused: Connection Refused: (not authorised|bad user name or password)"
    # anonymous
    run --separate-stderr timeout 20 mqtt2json -h 127.0.0.1 -p "$port" -t x
    assert_equal "$status" 1
    # no output of any run holds either password, at -vv and -d
    for f in "$BATS_TEST_TMPDIR"/*; do
        [[ $f == */pw || $f == */wrong ]] && continue
        if grep -aF -e "$pw" "$f"; then
            fail "the password is in $f"
        fi
    done
}

@test "--unix: both tools over the broker's unix socket" {
    [[ -S $UNIX_SOCK ]] || fail "the broker has no socket at $UNIX_SOCK"
    sub "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" --unix "$UNIX_SOCK" -t 'unix/#' -C 2 -W 20
    printf '{"n":%d}\n' 1 2 | json2mqtt --unix "$UNIX_SOCK" -t unix/x
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" $'{"n":1}\n{"n":2}'
    grep -q "unix:$UNIX_SOCK: connected" "$BATS_TEST_TMPDIR/err"
}

# ---- durable sessions and broker restarts

@test "json2mqtt: a torn last line (no newline, not complete JSON) is no record: a warning, counted as torn, no reject" {
    local port
    port=$(port_of plain)
    printf '{"n":1}\n{"n":2}\n{"n":3,"s":"ab' >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr timeout 30 json2mqtt -p "$port" -t torn/x -q 1 --strict \
        --rejects "$BATS_TEST_TMPDIR/rej" --stats 0 <"$BATS_TEST_TMPDIR/in"
    assert_success
    [[ ! -s $BATS_TEST_TMPDIR/rej ]] || fail "a torn line became a reject"
    assert_equal "${stderr_lines[0]}" "json2mqtt: line 3: torn last line dropped: 14 bytes, no newline, not complete JSON"
    assert_equal "$(stats_field <(printf '%s\n' "$stderr") torn)" 1
    assert_equal "$(stats_field <(printf '%s\n' "$stderr") out)" 2
    # complete JSON without a newline stays a record; --input reads a file
    printf '{"n":1}\n{"n":2}' >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr timeout 30 json2mqtt -p "$port" -t torn/x -q 1 \
        --input "$BATS_TEST_TMPDIR/in" --stats 0 </dev/null
    assert_success
    assert_equal "$(stats_field <(printf '%s\n' "$stderr") out)" 2
    assert_equal "$(stats_field <(printf '%s\n' "$stderr") torn)" null
}

@test "--durable at QoS 1: 10000 messages published while mqtt2json was stopped all arrive" {
    local port id=durable-$$ n=10000
    port=$(port_of plain)
    head -n "$n" "$RT_INPUT" >"$BATS_TEST_TMPDIR/in"
    # a first run makes the session (and says the broker had none)
    sub "$BATS_TEST_TMPDIR/out0" "$BATS_TEST_TMPDIR/err0" -p "$port" --durable -i "$id" -t 'dur/#'
    kill -TERM "$SUB"
    reap "$SUB"
    assert_equal "$ST" 0
    grep -q 'holds no session' "$BATS_TEST_TMPDIR/err0"
    run timeout 60 json2mqtt -p "$port" -t dur/x -q 1 <"$BATS_TEST_TMPDIR/in"
    assert_success
    run --separate-stderr timeout 120 mqtt2json -p "$port" --durable -i "$id" -t 'dur/#' \
        -C "$n" -W 100 --stats 0
    assert_success
    [[ $stderr != *'holds no session'* ]] || fail "session lost: $stderr"
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
    cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
}

@test "--linger-ms: messages leave together after the wait, in order, none lost; held ones are not acknowledged before a kill -9" {
    local port id=linger-$$ n=5000 t=$BATS_TEST_TMPDIR
    port=$(port_of plain)
    head -n "$n" "$RT_INPUT" >"$t/in"
    # a stream: every message, in order, and the same as without --linger-ms
    sub "$t/out" "$t/err" -p "$port" -t 'lin/#' -q 1 --linger-ms 20 -C "$n" -W 100 --stats 0
    run timeout 60 json2mqtt -p "$port" -t lin/x -q 1 <"$t/in"
    assert_success
    reap "$SUB"
    assert_equal "$ST" 0
    cmp "$t/in" "$t/out"
    # one message: held for the wait, then written (-C 2: the count
    # reached is written at once)
    sub "$t/out1" "$t/err1" -p "$port" -t 'lin1/#' -q 1 --linger-ms 1500 -C 2 -W 100
    pub -t lin1/x -q 1 -m '{"n":1}'
    sleep 0.3
    [[ ! -s $t/out1 ]] || fail "written before --linger-ms: $(cat "$t/out1")"
    for ((i = 0; i < 100; i++)); do
        [[ -s $t/out1 ]] && break
        sleep 0.1
    done
    assert_equal "$(cat "$t/out1")" '{"n":1}'
    pub -t lin1/x -q 1 -m '{"n":2}'
    reap "$SUB"
    assert_equal "$ST" 0
    # held messages are not acknowledged: killed during the wait, a
    # durable session gets them again
    sub "$t/out2" "$t/err2" -p "$port" --durable -i "$id" -t 'lin2/#' -q 1 --linger-ms 10000
    for i in 1 2 3; do pub -t lin2/x -q 1 -m "{\"n\":$i}"; done
    sleep 0.5
    kill -KILL "$SUB"
    reap "$SUB"
    [[ ! -s $t/out2 ]] || fail "written before --linger-ms: $(cat "$t/out2")"
    run --separate-stderr timeout 60 mqtt2json -p "$port" --durable -i "$id" -t 'lin2/#' -q 1 \
        -C 3 -W 30 --stats 0
    assert_success
    assert_equal "$output" $'{"n":1}\n{"n":2}\n{"n":3}'
}

@test "--linger-ms: a bad value is a usage error" {
    run --separate-stderr mqtt2json -t x --linger-ms 10001
    assert_equal "$status" 2
    [[ $stderr == *linger* ]] || fail "$stderr"
    run --separate-stderr mqtt2json -t x --linger-ms 5ms
    assert_equal "$status" 2
}

# restart_during_stream HOW: a durable subscriber and a QoS 1 publisher
# both run while the persistent broker is restarted; print what was lost
# and duplicated.  Sets LOST and DUPS.
restart_during_stream() {
    local how=$1 n=20000 port id=restart-$$-$1 pubpid i got
    port=$(port_of persist)
    head -n "$n" "$RT_INPUT" >"$BATS_TEST_TMPDIR/in"
    sub "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/m2j.err" -p "$port" --durable -i "$id" \
        -t 'rs/#' --retries forever -W 120 --idle-timeout 4 --stats 0
    # about 4000 messages a second, so the restart falls mid-stream
    awk '{ print; fflush() } NR % 400 == 0 { system("sleep 0.1") }' "$BATS_TEST_TMPDIR/in" |
        json2mqtt -p "$port" -t rs/x -q 1 --retries forever --stats 0 \
            2>"$BATS_TEST_TMPDIR/j2m.err" &
    pubpid=$!
    for ((i = 0; i < 100; i++)); do
        got=$(wc -l <"$BATS_TEST_TMPDIR/out")
        ((got >= n / 3)) && break
        sleep 0.05
    done
    mosquitto_use persist
    if [[ $how == kill ]]; then
        kill -KILL "$MQTT_SVC_PID"
    fi
    mosquitto_restart persist >/dev/null
    reap "$pubpid"
    assert_equal "$ST" 0
    reap "$SUB"
    assert_equal "$ST" 0
    LOST=$(sort -u "$BATS_TEST_TMPDIR/out" | comm -23 <(sort -u "$BATS_TEST_TMPDIR/in") - | wc -l)
    DUPS=$(($(wc -l <"$BATS_TEST_TMPDIR/out") - $(sort -u "$BATS_TEST_TMPDIR/out" | wc -l)))
    assert_equal "$(stat "$BATS_TEST_TMPDIR/j2m.err" out)" "$n"
    [[ $(stat "$BATS_TEST_TMPDIR/m2j.err" reconnects) -ge 1 ]] || fail "no reconnect"
    printf '# broker restart (%s) during %s messages: %s lost, %s duplicated\n' \
        "$how" "$n" "$LOST" "$DUPS" >&3
}

@test "broker restart with persistence during a stream (SIGTERM): nothing lost" {
    restart_during_stream term
    assert_equal "$LOST" 0
}

@test "broker killed (SIGKILL) and restarted during a stream: losses counted" {
    restart_during_stream kill
    # autosave every second: what the broker acknowledged in its last
    # second may be gone; the number is reported above, not asserted
    ((LOST <= 20000))
}

# libmosquitto queues a QoS 1 message published on a dead socket, sends it
# after the reconnect and yet answers "not connected": such a line was
# once rejected and then delivered all the same (seen in CI as out short
# by one burst of the restart test above).  Here json2mqtt is stopped
# while a burst waits on stdin and the broker goes, so that it wakes up to
# both at once.
@test "lines read in the round the connection drops are sent after the reconnect, not rejected" {
    local port id=wake-$$ t=$BATS_TEST_TMPDIR i pid
    port=$(port_of persist)
    sub "$t/out" "$t/m2j.err" -p "$port" --durable -i "$id" -t 'wake/#' \
        --retries forever
    mkfifo "$t/fifo"
    json2mqtt -p "$port" -t wake/x -q 1 --retries forever --stats 0 \
        <"$t/fifo" 2>"$t/j2m.err" &
    pid=$!
    exec 7>"$t/fifo"
    printf '{"n":%d}\n' 1 2 3 4 5 6 7 8 9 10 >&7
    for ((i = 0; i < 100; i++)); do
        (($(wc -l <"$t/out") >= 10)) && break
        sleep 0.05
    done
    assert_equal "$(wc -l <"$t/out")" 10
    kill -STOP "$pid"
    printf '{"n":%d}\n' 11 12 13 14 15 16 17 18 19 20 >&7
    mosquitto_use persist
    kill -TERM "$MQTT_SVC_PID" # it saves the subscriber's session
    for ((i = 0; i < 100; i++)); do
        kill -0 "$MQTT_SVC_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -CONT "$pid"
    mosquitto_restart persist >/dev/null
    exec 7>&-
    reap "$pid"
    [[ $ST == 0 ]] || fail "json2mqtt exited $ST: $(cat "$t/j2m.err")"
    assert_equal "$(stat "$t/j2m.err" in)" 20
    [[ $(stat "$t/j2m.err" rejected) == 0 ]] || fail "rejects: $(cat "$t/j2m.err")"
    assert_equal "$(stat "$t/j2m.err" out)" 20
    # the subscriber's session outlived the restart: all ten arrive
    for ((i = 0; i < 200; i++)); do
        (($(sort -u "$t/out" | grep -c '^{"n":1[1-9]}$\|^{"n":20}$') == 10)) && break
        sleep 0.1
    done
    kill -TERM "$SUB"
    reap "$SUB"
    [[ $ST == 0 ]] || fail "mqtt2json exited $ST: $(cat "$t/m2j.err")"
    for ((i = 11; i <= 20; i++)); do
        grep -qx "{\"n\":$i}" "$t/out" || fail "line $i never arrived: $(cat "$t/m2j.err")"
    done
}

# ---- hostile payloads and topics

@test "hostile payloads: each gives the right line or a reject" {
    local port t=$BATS_TEST_TMPDIR
    port=$(port_of plain)
    printf '{\r\n  "speed": 80.30,\r\n  "big": 1e400,\r\n  "s": "a\\u00e9"\r\n}\r\n' >"$t/crlf"
    printf 'caf\xe9' >"$t/latin1"
    head -c 64 /dev/urandom >"$t/random"
    printf '\xff\xfe\x00' >>"$t/random" # never UTF-8
    awk 'BEGIN { printf "{\"blob\":\""; for (i = 0; i < 262144 - 11; i++) printf "x"; printf "\"}" }' >"$t/big"
    [[ $(wc -c <"$t/big") == 262144 ]]
    sub "$t/out" "$t/err" -p "$port" -t 'h/#' -t 'ñ/#' -m -C 9 -W 30 --stats 0 \
        --rejects "$t/rej"
    pub -t h/crlf -f "$t/crlf"
    pub -t h/latin1 -f "$t/latin1"
    pub -t h/random -f "$t/random"
    pub -t h/big -f "$t/big"
    pub -t h/empty -n
    pub -t 'h//double/' -m 'plain text'
    pub -t 'ñ/ü/🚗' -m '[1,2]'
    pub -t 'h/"q"\' -m '"str"'
    printf 'a\0b' >"$t/nul"
    pub -t h/nul -f "$t/nul"
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(stat "$t/err" in)" 9
    assert_equal "$(stat "$t/err" out)" 7
    assert_equal "$(stat "$t/err" rejected)" 2
    # every line is JSON
    jq -c . "$t/out" >/dev/null
    jq -c . "$t/rej" >/dev/null
    # exact lines: numbers verbatim (80.30, 1e400), never re-printed
    run grep -v '"blob"' "$t/out"
    assert_output - <<'EOF'
{"@metadata":{"mqtt":{"topic":"h/crlf","qos":0,"retain":false}},"speed":80.30,"big":1e400,"s":"aé"}
{"@metadata":{"mqtt":{"topic":"h/empty","qos":0,"retain":false,"wrapped":"text"}},"value":""}
{"@metadata":{"mqtt":{"topic":"h//double/","qos":0,"retain":false,"wrapped":"text"}},"value":"plain text"}
{"@metadata":{"mqtt":{"topic":"ñ/ü/🚗","qos":0,"retain":false,"wrapped":"json"}},"value":[1,2]}
{"@metadata":{"mqtt":{"topic":"h/\"q\"\\","qos":0,"retain":false,"wrapped":"json"}},"value":"str"}
{"@metadata":{"mqtt":{"topic":"h/nul","qos":0,"retain":false,"wrapped":"text"}},"value":"a\u0000b"}
EOF
    # the 256 KiB payload passes whole, byte for byte
    grep -F '"blob"' "$t/out" | jq -jc 'del(.["@metadata"])' | cmp - "$t/big"
    # the two binary payloads are rejects that keep every byte
    run jq -r '[.["@metadata"].mqtt.topic, .error.reason, .error.bytes] | @tsv' "$t/rej"
    assert_output $'h/latin1\tbinary payload (not UTF-8)\t4\nh/random\tbinary payload (not UTF-8)\t67'
    jq -r 'select(.["@metadata"].mqtt.topic == "h/random") | .error.input_base64' "$t/rej" |
        base64 -d | cmp - "$t/random"
}

@test "--binary=base64 carries binary payloads with an explicit marker" {
    local port t=$BATS_TEST_TMPDIR
    port=$(port_of plain)
    head -c 1000 /dev/urandom >"$t/random"
    printf '\xc0' >>"$t/random"
    sub "$t/out" "$t/err" -p "$port" -t 'b64/#' -C 1 -W 20 --binary=base64
    pub -t b64/x -f "$t/random"
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(jq -r .encoding "$t/out")" base64
    jq -r .value "$t/out" | base64 -d | cmp - "$t/random"
}

@test "json2mqtt rejects: bad JSON, bad topics, over the broker's packet size; each with its reason" {
    local port t=$BATS_TEST_TMPDIR
    port=$(port_of small)
    awk 'BEGIN { printf "{\"vin\":\"BIG\",\"p\":\""; for (i = 0; i < 3000; i++) printf "x"; print "\"}" }' >"$t/big"
    {
        printf '{"vin":"V1","n":1}\n'
        printf 'not json\n'
        printf '{"vin":"a+b"}\n'
        printf '{"n":3}\n'
        cat "$t/big"
        printf '{"vin":"ü/2","n":4}\n'
    } >"$t/in"
    sub "$t/out" "$t/m2j.err" -h 127.0.0.1 -p "$port" -t 'r/#' -C 2 -W 20 -m
    run --separate-stderr timeout 20 json2mqtt -p "$port" --topic-template 'r/{vin}' \
        --rejects "$t/rej" --stats 0 <"$t/in"
    assert_success
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(jq -c '[.["@metadata"].mqtt.topic, .n]' "$t/out")" $'["r/V1",1]\n["r/ü/2",4]'
    run jq -r '[.error.line, .error.reason] | @tsv' "$t/rej"
    assert_output - <<'EOF'
2	invalid JSON: unexpected character at byte 1
3	topic field 'vin' holds '+', '#' or NUL
4	topic field 'vin' is missing
5	larger than the broker's maximum packet size
EOF
    # the reject keeps the line it refused
    assert_equal "$(jq -r 'select(.error.line == 5) | .input' "$t/rej")" "$(cat "$t/big")"
    assert_equal "$(stat <(printf '%s\n' "$stderr") in)" 6
    assert_equal "$(stat <(printf '%s\n' "$stderr") out)" 2
    assert_equal "$(stat <(printf '%s\n' "$stderr") rejected)" 4
    # MQTT 3.1.1 cannot announce the limit: the broker drops the
    # connection at each try, and json2mqtt gives up instead of looping
    run --separate-stderr timeout 60 json2mqtt -V 311 -p "$port" -t r/x \
        --rejects "$t/rej3" --stats 0 <"$t/big"
    assert_equal "$status" 1
    assert_regex "$stderr" 'connection lost 5 times in a row with nothing acknowledged'
    assert_equal "$(jq -r '[.error.line, .error.reason] | @tsv' "$t/rej3")" $'1\tnot acknowledged by the broker'
    # with --strict the rejects give exit status 3
    run timeout 20 json2mqtt -p "$port" --topic-template 'r/{vin}' --strict -q 0 --quiet <"$t/in"
    assert_equal "$status" 3
}

@test "mqtt2json -m | json2mqtt replays to the topics in @metadata" {
    local port t=$BATS_TEST_TMPDIR
    port=$(port_of plain)
    sub "$t/out" "$t/err" -p "$port" -t 'replay/#' -C 2 -W 20 -m
    printf '%s\n' '{"@metadata":{"mqtt":{"topic":"replay/a"}},"v":1}' \
        '{"@metadata":{"mqtt":{"topic":"replay/b/c"}},"v":2}' | json2mqtt -p "$port"
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(jq -c '[.["@metadata"].mqtt.topic, .v]' "$t/out")" $'["replay/a",1]\n["replay/b/c",2]'
    # payloads that are not objects go out again as the bytes they were
    sub "$t/w" "$t/werr" -p "$port" -t 'wrap/#' -C 4 -W 20 -m --binary base64
    pub -t wrap/text -m 'plain text'
    pub -t wrap/json -m '[1,2]'
    printf 'a\0b\xff' >"$t/bin"
    pub -t wrap/bin -f "$t/bin"
    pub -t wrap/empty -n
    reap "$SUB"
    assert_equal "$ST" 0
    sub "$t/copy" "$t/cerr" -p "$port" -t 'copy/#' -C 4 -W 20 -m --binary base64
    sed 's|"topic":"wrap/|"topic":"copy/|' "$t/w" | json2mqtt -p "$port" -q 0
    reap "$SUB"
    assert_equal "$ST" 0
    # the same bytes make the same lines: compare, topics and all
    assert_equal "$(sort "$t/copy")" "$(sed 's|"topic":"wrap/|"topic":"copy/|' "$t/w" | sort)"
    grep -q '"wrapped":"base64"}},"value":"YQBi/w==","encoding":"base64"}$' "$t/copy"
    grep -q '"topic":"copy/empty".*"wrapped":"text"}},"value":""}$' "$t/copy"
}

# ---- filters, metadata, topic fields

@test "-T, -R, --retained-only, --topic-fields, user properties, per-topic QoS" {
    local port t=$BATS_TEST_TMPDIR
    port=$(port_of plain)
    pub -t f/ret/VIN9 -r -m '{"last":1}'
    sub "$t/out" "$t/err" -p "$port" -t 'f/#@2' -T 'f/noise/#' -R -m -C 2 -W 20 \
        --topic-fields 'f/+kind/+vin' --stats 0
    pub -t f/noise/x -m '{"no":1}'
    pub -t f/telemetry/VIN1 -q 2 -m '{"speed":1}' -D publish user-property source sim
    pub -t f/location/VIN2 -q 1 -m '{"vin":"OWN"}'
    reap "$SUB"
    assert_equal "$ST" 0
    # sorted: a QoS 2 message is handed over on its PUBREL, so the QoS 1
    # one published after it may be written first
    run bash -c "jq -c '[.[\"@metadata\"].mqtt, .kind, .vin]' '$t/out' | sort"
    assert_output - <<'EOF'
[{"topic":"f/location/VIN2","qos":1,"retain":false},"location","OWN"]
[{"topic":"f/telemetry/VIN1","qos":2,"retain":false,"user_properties":[["source","sim"]]},"telemetry","VIN1"]
EOF
    # the retained message and the filtered topic were counted, not lost
    assert_equal "$(stat "$t/err" filtered)" 2
    run timeout 20 mqtt2json -p "$port" -t 'f/ret/#' --retained-only -W 1
    assert_success
    assert_output '{"last":1}'
    pub -t f/ret/VIN9 -r -n
}

# ---- -C, -W, --idle-timeout, signals, EPIPE

@test "-C, -W and --idle-timeout" {
    local port t=$BATS_TEST_TMPDIR t0 secs
    port=$(port_of plain)
    sub "$t/out" "$t/err" -p "$port" -t 'c/#' -C 3 -W 20
    for i in 1 2 3 4 5; do pub -t c/x -m "{\"i\":$i}"; done
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(wc -l <"$t/out")" 3
    # -W alone ends with status 0; with -C not reached it is an error
    t0=$(svc_now)
    run timeout 20 mqtt2json -p "$port" -t 'c/none' -W 1
    assert_success
    secs=$(svc_elapsed "$t0")
    awk -v s="$secs" 'BEGIN { exit !(s >= 1 && s < 5) }'
    run --separate-stderr timeout 20 mqtt2json -p "$port" -t 'c/none' -W 0.5 -C 2
    assert_equal "$status" 1
    assert_equal "$stderr" "mqtt2json: -W 0.5: timed out after 0 of 2 messages"
    # --idle-timeout: ends 0.5 s after the last message
    sub "$t/out2" "$t/err2" -p "$port" -t 'c/#' --idle-timeout 0.8 -W 20
    pub -t c/x -m '{"i":1}'
    sleep 0.4
    pub -t c/x -m '{"i":2}'
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(wc -l <"$t/out2")" 2
}

@test "SIGTERM: mqtt2json writes what it read, prints the final stats, exits 0" {
    local port t=$BATS_TEST_TMPDIR
    port=$(port_of plain)
    sub "$t/out" "$t/err" -p "$port" -t 's/#' --stats 0
    pub -t s/x -m '{"a":1}'
    sleep 0.3
    kill -TERM "$SUB"
    reap "$SUB"
    assert_equal "$ST" 0
    assert_equal "$(cat "$t/out")" '{"a":1}'
    assert_equal "$(stat "$t/err" in)" 1
    assert_equal "$(stat "$t/err" final)" true
}

@test "EPIPE: mqtt2json | head -1 stops quietly with status 0" {
    local port t=$BATS_TEST_TMPDIR
    port=$(port_of plain)
    (
        mqtt2json -v -p "$port" -t 'e/#' -W 30 2>"$t/err"
        echo "$?" >"$t/status"
    ) | head -n 1 >"$t/out" &
    local pipe=$! i
    for ((i = 0; i < 100; i++)); do
        grep -q 'subscribed to' "$t/err" 2>/dev/null && break
        sleep 0.05
    done
    # more than a pipe holds, so writes go on after head has left
    head -n 2000 "$RT_INPUT" | json2mqtt -p "$port" -t e/x -q 0
    reap "$pipe"
    for ((i = 0; i < 100; i++)); do
        [[ -s $t/status ]] && break
        sleep 0.1
    done
    assert_equal "$(cat "$t/status")" 0
    assert_equal "$(wc -l <"$t/out")" 1
    run grep -v -e 'connected' -e 'subscribed' "$t/err"
    assert_output ''
}

@test "json2mqtt: a second SIGTERM stops at once; unacknowledged messages become rejects and the status is 1" {
    local port t=$BATS_TEST_TMPDIR j
    mosquitto_use persist
    port=$MQTT_SVC_PORT
    mkfifo "$t/fifo"
    json2mqtt -p "$port" -t sig/x -q 1 --stats 0 --rejects "$t/rej" <"$t/fifo" 2>"$t/err" &
    j=$!
    exec 7>"$t/fifo"
    printf '{"n":%d}\n' 1 2 3 >&7
    sleep 0.5
    PAUSED_PID=$MQTT_SVC_PID
    kill -STOP "$PAUSED_PID"
    printf '{"n":%d}\n' 4 5 6 7 8 >&7
    sleep 0.5
    kill -TERM "$j"
    sleep 0.5
    kill -0 "$j" # still waiting for the acknowledgements
    kill -TERM "$j"
    reap "$j"
    exec 7>&-
    kill -CONT "$PAUSED_PID"
    PAUSED_PID=
    assert_equal "$ST" 1
    assert_equal "$(stat "$t/err" in)" 8
    assert_equal "$(stat "$t/err" out)" 3
    assert_equal "$(stat "$t/err" rejected)" 5
    run jq -r '[.error.line, .error.reason, .input] | @tsv' "$t/rej"
    assert_output - <<'EOF'
4	not acknowledged by the broker	{"n":4}
5	not acknowledged by the broker	{"n":5}
6	not acknowledged by the broker	{"n":6}
7	not acknowledged by the broker	{"n":7}
8	not acknowledged by the broker	{"n":8}
EOF
    grep -q '5 messages not acknowledged by the broker' "$t/err"
}
