#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The debugging moves of kcat and mosquitto users, against a real
# mosquitto and a real Kafka broker (tests/services): json2mqtt -m and
# --raw, mqtt2json -F, kprod --raw, kcons -J, -f and --reset-offsets
# beginning|end.

load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/mosquitto.sh
source "$IOTPIPE_SRC/tests/services/mosquitto.sh"
# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"

setup_file() {
    unset MQTT_URL MQTT_PASSWORD KAFKA_BROKERS KAFKA_SASL_PASSWORD
    services_init
    TID=${IOTPIPE_RUN_DIR##*.}
    export TID=${TID,,}
    local jvm
    started kafka kafka_start &
    jvm=$!
    mosquitto_start plain >/dev/null
    wait "$jvm"
}

setup() {
    unset MQTT_URL MQTT_PASSWORD KAFKA_BROKERS KAFKA_SASL_PASSWORD
    T=$BATS_TEST_TMPDIR
}

teardown() {
    services_teardown
}

teardown_file() {
    services_cleanup debug
}

# pub ARGS...: mosquitto_pub on the broker
pub() {
    timeout 10 mosquitto_pub -h 127.0.0.1 -p "$(mqtt_port)" "$@"
}

mqtt_port() {
    svc_env_get "$(svc_instance_dir mosquitto plain)" MQTT_SVC_PORT
}

# msub TOPIC COUNT: mosquitto_sub in the background for COUNT messages,
# topic and payload to $T/sub; returns once it is subscribed.  Sets SUB.
msub() {
    # line-buffered: -d's SUBACK line tells it is subscribed
    timeout 20 stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$(mqtt_port)" -t "$1" \
        -C "$2" -v -d >"$T/sub.raw" 2>&1 &
    SUB=$!
    local i
    for ((i = 0; i < 100; i++)); do
        grep -qs 'SUBACK' "$T/sub.raw" && return 0
        sleep 0.05
    done
    fail "mosquitto_sub did not subscribe: $(cat "$T/sub.raw")"
}

# sub_lines: once msub's mosquitto_sub is done, the "topic payload"
# lines it printed (-v), without -d's lines
sub_lines() {
    grep -v '^Client \|^Subscribed' "$T/sub.raw"
}

# sub_done: wait for msub's mosquitto_sub (it exits after its -C count)
sub_done() {
    wait "$SUB" || fail "mosquitto_sub: $(cat "$T/sub.raw")"
}

@test "json2mqtt --raw: each line is the payload, JSON or not (echo ON | json2mqtt --raw -t cmd/light)" {
    msub 'cmd/#' 3
    run --separate-stderr json2mqtt -p "$(mqtt_port)" --raw -t cmd/light \
        --stats 0 < <(printf 'ON\n{"@metadata":{"x":1},"a":1}\nnot json at all\n')
    assert_success
    sub_done
    run sub_lines
    assert_line --index 0 'cmd/light ON'
    assert_line --index 1 'cmd/light {"@metadata":{"x":1},"a":1}'
    assert_line --index 2 'cmd/light not json at all'
}

@test "json2mqtt -m: one message, as it is, then exit; without -t a usage error" {
    msub 'cmd/#' 1
    run --separate-stderr json2mqtt -p "$(mqtt_port)" -t cmd/fan -m 'OFF now'
    assert_success
    sub_done
    run sub_lines
    assert_output 'cmd/fan OFF now'
    run --separate-stderr json2mqtt -p "$(mqtt_port)" -m OFF
    assert_failure 2
    [[ $stderr == *"-m needs -t topic"* ]]
}

@test "kprod --raw: echo hello | kprod --raw -t x; the line is the value, byte for byte" {
    need kafka kafka_use
    local topic=raw-$TID
    kafka_topic_create "$topic" 1
    run --separate-stderr kprod -b "$KAFKA_SVC_BOOTSTRAP" --raw -t "$topic" -k k1 \
        --stats 0 < <(printf 'hello\n{"@metadata":{"kafka":{"topic":"elsewhere"}},"a":1}\n')
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") out) == 2 ]]
    run kcat -b "$KAFKA_SVC_BOOTSTRAP" -C -t "$topic" -e -q -f '%k|%s\n'
    assert_success
    assert_line --index 0 'k1|hello'
    assert_line --index 1 'k1|{"@metadata":{"kafka":{"topic":"elsewhere"}},"a":1}'
}

@test "kcons -J is -m; --reset-offsets beginning and end as -o takes them" {
    need kafka kafka_use
    local topic=reset-$TID group=g-$TID
    kafka_topic_create "$topic" 1
    printf '{"n":1}\n{"n":2}\n{"n":3}\n' | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e -J
    assert_success
    assert_line --index 2 "{\"@metadata\":{\"kafka\":{\"topic\":\"$topic\",\"partition\":0,\"offset\":2,\"key\":null,\"timestamp\":$(jq -r '.["@metadata"].kafka.timestamp' <<<"${lines[2]}")}},\"n\":3}"
    # the group reads all, then is reset to the beginning and reads all again
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -e "$topic"
    assert_success
    [[ ${#lines[@]} == 3 ]]
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" \
        --reset-offsets beginning "$topic"
    assert_success
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -e "$topic"
    assert_success
    [[ ${#lines[@]} == 3 ]]
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" \
        --reset-offsets end "$topic"
    assert_success
    printf '{"n":4}\n' | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -e "$topic"
    assert_success
    assert_output '{"n":4}'
}

@test "kcons -f: kcat's format letters give the same text as kcat -f" {
    need kafka kafka_use
    local topic=fmt-$TID fmt='%t|%p|%o|%k|%K|%s|%S|%T|%h\n'
    kafka_topic_create "$topic" 1
    printf 'k1:{"a":1}\n:plain text\n' |
        kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "$topic" -K: -H src=test -H n=2
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e -f "$fmt"
    assert_success
    local ours=$output
    run kcat -b "$KAFKA_SVC_BOOTSTRAP" -C -t "$topic" -e -q -f "$fmt"
    assert_success
    assert_equal "$ours" "$output"
    [[ ${#lines[@]} == 2 ]]
    [[ ${lines[0]} == "$topic|0|0|k1|2|{\"a\":1}|7|"*"|src=test,n=2" ]]
    # a tab and %% as well
    run --separate-stderr kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e -c 1 -f '%o\t100%%\n'
    assert_output "$(printf '0\t100%%')"
}

@test "mqtt2json -F: mosquitto_sub's sequences, as mosquitto_sub -F prints them" {
    local port fmt='%t|%p|%q|%r|%l|%x|%%\t.'
    port=$(mqtt_port)
    pub -t dbg/ret -r -q 1 -m 'kept'
    # the retained one, then a live one; mosquitto_sub alongside
    timeout 20 mosquitto_sub -h 127.0.0.1 -p "$port" -t 'dbg/#' -q 1 -C 2 -F "$fmt" >"$T/peer" &
    local peer=$!
    run --separate-stderr timeout 20 mqtt2json -p "$port" -t 'dbg/#' -C 2 -F "$fmt" \
        < <(sleep 2; pub -t dbg/live -q 0 -m 'héllo'; sleep 5)
    assert_success
    wait "$peer"
    assert_equal "$output" "$(cat "$T/peer")"
    assert_line --index 0 "$(printf 'dbg/ret|kept|1|1|4|6b657074|%%\t.')"
    # %j and %I: the receive time; %j parses as JSON
    pub -t dbg/ret -r -q 1 -m 'a "quoted" one'
    run --separate-stderr timeout 20 mqtt2json -p "$port" -t dbg/ret -C 1 -F '%j'
    assert_success
    run jq -r '[.topic, .qos, .retain, .payload, (.tst | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}[+-][0-9]{4}$"))] | @tsv' <<<"$output"
    assert_output "$(printf 'dbg/ret\t1\t1\ta "quoted" one\ttrue')"
    run --separate-stderr timeout 20 mqtt2json -p "$port" -t dbg/ret -C 1 -F '%I'
    assert_success
    [[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4}$ ]]
    pub -t dbg/ret -r -n
}

@test "mqtt2json --received: the receive time in @metadata.mqtt, epoch ms; -m implied" {
    local before after got
    pub -t dbg/rcv -r -q 1 -m '{"a":1}'
    before=$(date +%s%3N)
    run --separate-stderr timeout 20 mqtt2json -p "$(mqtt_port)" -t dbg/rcv -C 1 --received
    assert_success
    after=$(date +%s%3N)
    got=$(jq -r '.["@metadata"].mqtt.received' <<<"$output")
    ((got >= before && got <= after)) || fail "received $got not in [$before, $after]: $output"
    [[ $(jq -c '.["@metadata"].mqtt | [.topic, .retain]' <<<"$output") == '["dbg/rcv",true]' ]]
    [[ $(jq -c 'del(.["@metadata"])' <<<"$output") == '{"a":1}' ]]
    pub -t dbg/rcv -r -n
}

@test "mqtt2json --remove-retained: each retained message is written, then cleared; -R excludes it" {
    pub -t dbg/rm/a -r -q 1 -m '{"a":1}'
    pub -t dbg/rm/b -r -q 1 -m '{"b":2}'
    run --separate-stderr timeout 20 mqtt2json -p "$(mqtt_port)" -t 'dbg/rm/#' \
        --retained-only --remove-retained -W 3 --stats 0
    assert_success
    assert_line '{"a":1}'
    assert_line '{"b":2}'
    [[ ${#lines[@]} == 2 ]]
    [[ $(stats_field <(printf '%s\n' "$stderr") removed) == 2 ]]
    # nothing retained is left
    run --separate-stderr timeout 20 mqtt2json -p "$(mqtt_port)" -t 'dbg/rm/#' \
        --retained-only -W 2
    assert_success
    assert_output ''
    run --separate-stderr mqtt2json -t a --remove-retained -R
    assert_failure 2
}

@test "kcons --stats gains the lag: what the partitions hold past what was read" {
    need kafka kafka_use
    local topic=lag-$TID
    kafka_topic_create "$topic" 1
    printf '{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n' | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -c 1 --stats 0
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") lag) == 3 ]] || fail "$stderr"
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e --stats 0
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") lag) == 0 ]] || fail "$stderr"
}

# bash_complete WORD...: what completions/bash/kcons offers for the command
# line WORD... (the last word is the one being completed)
bash_complete() {
    bash --norc --noprofile -c '
        source "$1"; shift
        COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
        COMP_LINE="$*" COMP_POINT=${#COMP_LINE}
        _kcons "$1" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}" 2>/dev/null
        printf "%s\n" "${COMPREPLY[@]}"' _ "$IOTPIPE_SRC/completions/bash/kcons" "$@"
}

@test "kcons completions: topics and groups from the broker (kcons --list), bounded in time" {
    need kafka kafka_use
    local topic=compl-$TID group=complgroup-$TID t0
    kafka_topic_create "$topic" 1
    printf '{"n":1}\n' | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    run timeout 60 kcons -q -b "$KAFKA_SVC_BOOTSTRAP" -G "$group" -e "$topic"
    assert_success
    assert_output '{"n":1}'
    run bash_complete kcons -b "$KAFKA_SVC_BOOTSTRAP" -t compl-
    assert_success
    assert_line "$topic"
    # the group, from --list's group lines
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list
    assert_success
    assert_line --regexp "^\\{\"group\":\"$group\",\"state\":\"Empty\",\"simple\":false\\}\$"
    run bash_complete kcons -b "$KAFKA_SVC_BOOTSTRAP" -G complgroup-
    assert_success
    assert_output "$group"
    # an operand with -G
    run bash_complete kcons -b "$KAFKA_SVC_BOOTSTRAP" -G g compl-
    assert_line "$topic"
    # nothing listens: no topics, in about 2 s
    t0=$SECONDS
    run bash_complete kcons -b 127.0.0.1:1 -t ""
    assert_success
    assert_output ''
    ((SECONDS - t0 <= 4)) || fail "took $((SECONDS - t0)) s"
}

@test "kcons -Q: offsets for times, as kcat -Q" {
    need kafka kafka_use
    local topic=query-$TID t1
    kafka_topic_create "$topic" 1
    printf '{"n":1}\n{"n":2}\n' | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    sleep 1
    t1=$(date +%s%3N)
    sleep 0.2
    printf '{"n":3}\n' | kprod -q -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic"
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -Q -t "$topic:0:0" \
        -t "$topic:0:$t1" -t "$topic:0:$((t1 + 3600000))"
    assert_success
    assert_line --index 0 "{\"topic\":\"$topic\",\"partition\":0,\"time\":0,\"offset\":0}"
    assert_line --index 1 "{\"topic\":\"$topic\",\"partition\":0,\"time\":$t1,\"offset\":2}"
    assert_line --index 2 "{\"topic\":\"$topic\",\"partition\":0,\"time\":$((t1 + 3600000)),\"offset\":-1}"
    # the same offsets as kcat -Q
    run kcat -b "$KAFKA_SVC_BOOTSTRAP" -Q -t "$topic:0:$t1"
    assert_success
    [[ $output == *"offset 2"* ]] || fail "kcat: $output"
}
