#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The first minutes: a server that was never reached is a configuration
# mistake.  Every program that talks to one exits 1, within its
# --connect-timeout (10 s by default; each case here is bounded at 15 s),
# with the cause and what to check, never 0.  A name that does not
# resolve, and a port that speaks another protocol, end it at once.

load ../lib/common

bats_require_minimum_version 1.5.0

setup() {
    unset KAFKA_BROKERS MQTT_URL ELASTICSEARCH_URL KIBANA_URL
    TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/first-minutes.XXXXXX")
    printf '{"a":1}\n' >"$TMP/one.ndjson"
    FAKE=
}

teardown() {
    if [[ -n $FAKE ]]; then
        kill "$FAKE" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}

# A port on the loopback that nothing listens on.
dead_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fake_server MODE: a listener on a free port, in $PORT, that reads what
# comes and then closes (MODE empty) or answers as an HTTP server (http).
fake_server() {
    python3 -c 'import socket, sys, threading
mode = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
def serve(c):
    try:
        c.settimeout(5)
        c.recv(4096)
        if mode == "http":
            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()' "$1" >"$TMP/port" &
    FAKE=$!
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s $TMP/port ]] && break
        sleep 0.1
    done
    PORT=$(cat "$TMP/port")
    [[ -n $PORT ]] || fail "the fake server did not start"
}

# timed MAX CMD...: run CMD (stdin from $IN, /dev/null by default) with
# stderr apart; fail when it took MAX seconds or more.
timed() {
    local max=$1 t0 t1
    shift
    t0=$EPOCHREALTIME
    run --separate-stderr "$@" <"${IN:-/dev/null}"
    t1=$EPOCHREALTIME
    ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    awk -v e="$ELAPSED" -v m="$max" 'BEGIN { exit !(e < m) }' ||
        fail "$1 took $ELAPSED s (bound $max s): $stderr"
}

# The last line of stderr is the cause and the fix, once.
says() {
    [[ $stderr == *"$1"* ]] || fail "no '$1' in: $stderr"
}

@test "kprod: nothing listens on the broker's port: exit 1 with the fix" {
    IN=$TMP/one.ndjson timed 15 kprod -b "127.0.0.1:$(dead_port)" -t x
    assert_equal "$status" 1
    assert_equal "$output" ''
    says "no Kafka broker answered"
    says "Connection refused"
    says "is the broker running? check -b / KAFKA_BROKERS"
}

@test "kprod: a broker name that does not resolve: exit 1 at once" {
    IN=$TMP/one.ndjson timed 5 kprod -b nosuch.invalid:9092 -t x
    assert_equal "$status" 1
    says "Failed to resolve"
    says "is the host name right? check -b / KAFKA_BROKERS"
}

@test "kprod --connect-timeout is the bound it says" {
    IN=$TMP/one.ndjson timed 4 kprod -b "127.0.0.1:$(dead_port)" -t x --connect-timeout 2
    assert_equal "$status" 1
    awk -v e="$ELAPSED" 'BEGIN { exit !(e >= 1.9) }' || fail "gave up after $ELAPSED s"
}

@test "kcons -G: nothing listens: exit 1, with or without -e" {
    local port
    port=$(dead_port)
    timed 15 kcons -b "127.0.0.1:$port" -G g1 x
    assert_equal "$status" 1
    assert_equal "$output" ''
    says "is the broker running? check -b / KAFKA_BROKERS"
    timed 15 kcons -b "127.0.0.1:$port" -G g1 -e x
    assert_equal "$status" 1
    says "no Kafka broker answered"
}

@test "kcons admin modes (--list, -Q, --reset-offsets, --commit) honour --connect-timeout" {
    local port mode
    port=$(dead_port)
    # --commit alone used to retry for some 45 s, whatever the bounds
    for mode in "--list" "-Q x:0:1700000000000" "--reset-offsets earliest -G g1 x" \
        "--commit x:0:1 -G g1"; do
        # shellcheck disable=SC2086 # the mode is words
        timed 4 kcons -b "127.0.0.1:$port" --connect-timeout 2 $mode
        assert_equal "$status" 1
        assert_equal "$output" ''
        says "no Kafka broker answered"
        says "is the broker running? check -b / KAFKA_BROKERS"
        awk -v e="$ELAPSED" 'BEGIN { exit !(e >= 1.9) }' ||
            fail "$mode: gave up after $ELAPSED s, before --connect-timeout"
    done
}

@test "kcons --idle-timeout never reached the broker: exit 1, not 0" {
    timed 15 kcons -b "127.0.0.1:$(dead_port)" --idle-timeout 5 -G g1 x
    assert_equal "$status" 1
    says "no Kafka broker answered"
}

@test "esbulk: nothing listens: exit 1 with the fix" {
    timed 15 esbulk -u "http://127.0.0.1:$(dead_port)" -i t "$TMP/one.ndjson"
    assert_equal "$status" 1
    assert_equal "$output" ''
    assert_equal "${stderr_lines[-1]%%: Failed*}" "esbulk: GET /"
    says "nothing listens there: is the server running? check -u / ELASTICSEARCH_URL"
}

@test "esbulk: a host name that does not resolve: exit 1 at once" {
    timed 5 esbulk -u http://nosuch.invalid:9200 -i t "$TMP/one.ndjson"
    assert_equal "$status" 1
    says "is the host name right? check -u / ELASTICSEARCH_URL"
    # not retried like a refusal
    [[ $stderr != *"retry in"* ]] || fail "retried: $stderr"
}

@test "esbulk: a port that does not speak HTTP: exit 1 at once, said so" {
    fake_server empty
    timed 5 esbulk -u "http://127.0.0.1:$PORT" -i t "$TMP/one.ndjson"
    assert_equal "$status" 1
    says "Empty reply from server"
    says "it does not answer HTTP"
    [[ $stderr != *"retry in"* ]] || fail "retried: $stderr"
}

@test "json2mqtt: nothing listens: exit 1 with the fix, input or none" {
    local port
    port=$(dead_port)
    IN=$TMP/one.ndjson timed 15 json2mqtt -p "$port" -t a/b
    assert_equal "$status" 1
    says "never connected: connect: Connection refused (gave up after"
    says "nothing listens there: is the broker running?"
    timed 15 json2mqtt -p "$port" -t a/b
    assert_equal "$status" 1
    says "never connected"
}

@test "mqtt2json: nothing listens: exit 1 with the fix" {
    timed 15 mqtt2json -p "$(dead_port)" -t 'a/#'
    assert_equal "$status" 1
    assert_equal "$output" ''
    says "never connected: connect: Connection refused"
    says "check -h, -p / -L / MQTT_URL"
}

@test "mqtt2json: a host name that does not resolve: exit 1 at once" {
    timed 5 mqtt2json -h nosuch.invalid -t 'a/#'
    assert_equal "$status" 1
    says "is the host name right? check -h / -L / MQTT_URL"
}

@test "mqtt2json and json2mqtt on an HTTP port: exit 1 at once, not MQTT" {
    fake_server http
    timed 5 mqtt2json -p "$PORT" -t 'a/#'
    assert_equal "$status" 1
    says "the connection closed before CONNACK"
    says "does not speak MQTT"
    IN=$TMP/one.ndjson timed 5 json2mqtt -p "$PORT" -t a/b
    assert_equal "$status" 1
    says "does not speak MQTT"
}

@test "kibana-dash: nothing listens: exit 1 with the fix" {
    timed 15 kibana-dash -u "http://127.0.0.1:$(dead_port)"
    assert_equal "$status" 1
    says "nothing listens there: is the server running? check -u / KIBANA_URL"
}

@test "--connect-timeout takes seconds, the same in every program" {
    local p
    for p in kprod kcons json2mqtt mqtt2json esbulk kibana-dash; do
        run --separate-stderr "$p" --list-options
        assert_success
        [[ $output == *$'\t--connect-timeout\tseconds\t'*"(default: 10)"* ]] ||
            fail "$p: $output"
        run --separate-stderr "$p" --connect-timeout x
        assert_equal "$status" 2
        [[ $stderr == *"--connect-timeout: invalid duration 'x'"* ]] || fail "$p: $stderr"
    done
}

# ---- a configuration error is not a reject per line

@test "kprod with no -t: the first record without a topic stops it, exit 1, said once" {
    seq 1 1000 | sed 's/.*/{"n":&}/' >"$TMP/k1000.ndjson"
    IN=$TMP/k1000.ndjson timed 15 kprod -b "127.0.0.1:$(dead_port)" --stats 0
    assert_equal "$status" 1
    [[ $(grep -c 'give -t TOPIC' <<<"$stderr") == 1 ]] || fail "$stderr"
    says "line 1: no topic"
    # one reject, not 1000: the rest is not read
    [[ $stderr == *'"in":1,"out":0,"rejected":1'* ]] || fail "$stderr"
}

@test "esbulk -i with a name the server refuses: a usage error before any document" {
    local i
    for i in Vehicles 'a b' _x 'veh:1' 'Veh-%Y.%m'; do
        IN=$TMP/one.ndjson timed 5 esbulk -u "http://127.0.0.1:$(dead_port)" -i "$i"
        assert_equal "$status" 2
        says "-i: invalid index name"
    done
    IN=$TMP/one.ndjson timed 5 esbulk -u "http://127.0.0.1:$(dead_port)" -i _x
    says "must not be . or .. nor start with -, _ or +"
    IN=$TMP/one.ndjson timed 5 esbulk -u "http://127.0.0.1:$(dead_port)" -i Vehicles
    says "-i: invalid index name 'Vehicles': index names must be lowercase"
}

@test "mqtt2json -W or --idle-timeout before the broker ever answered: exit 1, not 0" {
    timed 8 mqtt2json -p "$(dead_port)" -t 'a/#' -W 2
    assert_equal "$status" 1
    says "never connected: connect: Connection refused"
    timed 8 mqtt2json -p "$(dead_port)" -t 'a/#' --idle-timeout 2
    assert_equal "$status" 1
    says "is the broker running?"
}
