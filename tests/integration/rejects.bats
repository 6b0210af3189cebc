#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The reject of a record over --max-line has one shape in every program
# (struct reject and reject_too_long() in common/reject.h; iotpipe(7),
# "Rejects and the error topic"): "bytes" always, "truncated":true only
# when "input" is not the whole record.  The line readers (vnorm, kprod,
# esbulk, json2mqtt) get the same lines; mqtt2json and kcons the same
# payloads from a real mosquitto and a real Kafka broker.  esbulk talks to
# the scripted endpoint (tests/services/fake-es.py): a line over --max-line
# is refused before any request, so no server sees it, and starting
# OpenSearch would test nothing more here.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/mosquitto.sh
source "$IOTPIPE_SRC/tests/services/mosquitto.sh"
# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"

# 26 bytes: over --max-line 16, and held whole by the reader.
LINE26='{"vin":"V1","speed":80.25}'

setup_file() {
    unset IOTPIPE_RUN_DIR MQTT_URL MQTT_PASSWORD KAFKA_BROKERS \
        KAFKA_SASL_PASSWORD ELASTICSEARCH_URL
    svc_init
    export IOTPIPE_RUN_DIR
    TID=${IOTPIPE_RUN_DIR##*.}
    export TID=${TID,,}
    local jvm
    started kafka kafka_start &
    jvm=$!
    started mosquitto mosquitto_start plain
    started fake-es fake_start
    wait "$jvm"
}

setup() {
    unset MQTT_URL MQTT_PASSWORD KAFKA_BROKERS KAFKA_SASL_PASSWORD \
        ELASTICSEARCH_URL
    T=$BATS_TEST_TMPDIR
    # a line of 3008 bytes: "input" keeps its first 1024
    printf '{"s":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)" >"$T/long"
    printf '%s\n' "$LINE26" >"$T/line26"
}

teardown() {
    [[ -n ${BATS_TEST_COMPLETED:-} ]] || svc_mark_failed
}

teardown_file() {
    delete_test_topics
    local kept=
    if [[ ${IOTPIPE_KEEP_LOGS:-0} == 1 || -f $IOTPIPE_RUN_DIR/failed ]]; then
        kept=1
    fi
    svc_cleanup 0
    if [[ -n $kept ]]; then
        printf '# rejects: logs kept in %s\n' "$IOTPIPE_RUN_DIR" >&3
    fi
}

# fake_start: the scripted endpoint, its URL in the run's directory.
fake_start() {
    local dir=$IOTPIPE_RUN_DIR/fake-es log i url
    mkdir -p "$dir"
    log=$dir/fake.log
    svc_spawn fake-es rejects "$dir" "$log" \
        python3 "$IOTPIPE_SRC/tests/services/fake-es.py" || return 1
    for ((i = 0; i < 200; i++)); do
        url=$(sed -n 's/^fake-es: listening on //p' "$log")
        if [[ -n $url ]]; then
            printf '%s\n' "$url" >"$IOTPIPE_RUN_DIR/fake-es.url"
            return 0
        fi
        sleep 0.05
    done
    cat "$log"
    return 1
}

fake_use() {
    FAKE_URL=$(cat "$IOTPIPE_RUN_DIR/fake-es.url")
}

# shape FILE: each reject in FILE without the program's name: the keys of
# "error", then reason, line, bytes, truncated, the length and the start
# of "input".
shape() {
    jq -c '[(.error | del(.tool) | keys), .error.reason, .error.line,
        .error.bytes, .error.truncated, (.input | length), .input[0:26]]' "$1"
}

# line_rejects IN MAXLINE: IN through vnorm, kprod, esbulk and json2mqtt
# with --max-line MAXLINE; each one's rejects in $T/<program>.rej, and its
# tool name checked.
line_rejects() {
    local in=$1 max=$2 p
    need mosquitto mosquitto_use plain
    need kafka kafka_use
    need fake-es fake_use
    kafka_topic_create "rej-$TID" 1
    vnorm --max-line "$max" --rejects "$T/vnorm.rej" <"$in" >/dev/null
    kprod -b "$KAFKA_SVC_BOOTSTRAP" -t "rej-$TID" --max-line "$max" \
        --rejects "$T/kprod.rej" <"$in"
    esbulk -u "$FAKE_URL" -i rej --max-line "$max" \
        --rejects "$T/esbulk.rej" <"$in"
    json2mqtt -h 127.0.0.1 -p "$MQTT_SVC_PORT" -t rej --max-line "$max" \
        --rejects "$T/json2mqtt.rej" <"$in"
    for p in vnorm kprod esbulk json2mqtt; do
        assert_equal "$(jq -r .error.tool "$T/$p.rej")" "$p"
    done
}

@test "a 26-byte line over --max-line 16: the same reject from vnorm, kprod, esbulk and json2mqtt" {
    line_rejects "$T/line26" 16
    local p want
    want='[["bytes","line","reason"],"line too long",1,26,null,26,'
    want+="$(jq -Rc . "$T/line26")]"
    for p in vnorm kprod esbulk json2mqtt; do
        run shape "$T/$p.rej"
        assert_output "$want"
        # the input is the line, whole, as a JSON string
        assert_equal "$(jq -r .input "$T/$p.rej")" "$LINE26"
    done
}

@test "a 3008-byte line over --max-line 1k: the same truncated reject from vnorm, kprod, esbulk and json2mqtt" {
    line_rejects "$T/long" 1k
    local p
    for p in vnorm kprod esbulk json2mqtt; do
        run shape "$T/$p.rej"
        assert_output '[["bytes","line","reason","truncated"],"line too long",1,3008,true,1024,"{\"s\":\"xxxxxxxxxxxxxxxxxxxx"]'
    done
}

# m2j_rejects MAXLINE FILE...: publish each FILE as one message to a
# mqtt2json with --max-line MAXLINE; its rejects in $T/m2j.rej.
m2j_rejects() {
    local max=$1 i n pid f
    shift
    need mosquitto mosquitto_use plain
    n=$#
    mqtt2json -v -h 127.0.0.1 -p "$MQTT_SVC_PORT" -t "rej/$TID/#" -C "$n" \
        -W 30 --max-line "$max" --rejects "$T/m2j.rej" >/dev/null 2>"$T/m2j.err" &
    pid=$!
    for ((i = 0; i < 100; i++)); do
        grep -q '^mqtt2json: subscribed to ' "$T/m2j.err" && break
        sleep 0.05
    done
    for f in "$@"; do
        timeout 10 mosquitto_pub -h 127.0.0.1 -p "$MQTT_SVC_PORT" \
            -t "rej/$TID/${f##*/}" -f "$f"
    done
    rc=0
    wait "$pid" || rc=$?
    assert_equal "$rc" 0
}

@test "mqtt2json: payloads over --max-line, with the same rule for bytes and truncated" {
    printf '%s' "$LINE26" >"$T/p26"
    printf '%s' "$(head -c 3000 /dev/zero | tr '\0' x)" >"$T/p3000"
    printf 'a\xffz' >"$T/pbin"
    m2j_rejects 16 "$T/p26" "$T/p3000" "$T/pbin"
    run jq -c '[.["@metadata"].mqtt.topic, .error.reason, (.error | keys),
        .error.bytes, .error.truncated, (.input | length)]' "$T/m2j.rej"
    assert_output - <<EOF
["rej/$TID/p26","payload too long",["bytes","line","reason","tool"],26,null,26]
["rej/$TID/p3000","payload too long",["bytes","line","reason","tool","truncated"],3000,true,1024]
["rej/$TID/pbin","binary payload (not UTF-8)",["bytes","input_base64","line","reason","tool"],3,null,3]
EOF
    # the 26 bytes whole, the binary one byte for byte
    assert_equal "$(jq -r 'select(.error.bytes == 26) | .input' "$T/m2j.rej")" "$LINE26"
    jq -r 'select(.error.bytes == 3) | .error.input_base64' "$T/m2j.rej" |
        base64 -d | cmp - "$T/pbin"
}

@test "kcons: lines over --max-line, with the same rule for bytes and truncated" {
    need kafka kafka_use
    local topic=kc-$TID
    kafka_topic_create "$topic" 1
    {
        printf '%s\n' "$LINE26"
        head -c 3000 /dev/zero | tr '\0' x
        printf '\n'
    } | kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "$topic"
    printf 'a\xffz\n' | kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "$topic"
    run --separate-stderr kcons -b "$KAFKA_SVC_BOOTSTRAP" -t "$topic" -e \
        --max-line 16 --rejects "$T/kc.rej" --stats 0
    assert_success
    run jq -c '[.["@metadata"].kafka.offset, .error.reason, (.error | keys),
        .error.bytes, .error.truncated, (.input | length)]' "$T/kc.rej"
    # the third is not UTF-8: its reason says so, and every byte is kept
    assert_output - <<'EOF'
[0,"line too long",["bytes","reason","tool"],26,null,26]
[1,"line too long",["bytes","reason","tool","truncated"],3000,true,1024]
[2,"binary payload (not UTF-8)",["bytes","input_base64","reason","tool"],3,null,3]
EOF
    assert_equal "$(jq -r 'select(.error.bytes == 26) | .input' "$T/kc.rej")" "$LINE26"
}
