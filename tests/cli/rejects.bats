#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The too-long reject without servers: vnorm, and kprod on librdkafka's
# in-process mock cluster, give the same line (the rule of iotpipe(7),
# "Rejects and the error topic").  tests/integration/rejects.bats holds the
# same check for esbulk, json2mqtt, mqtt2json and kcons, which need a
# server before they read.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../lib/common

bats_require_minimum_version 1.5.0

setup() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD
    T=$BATS_TEST_TMPDIR
}

# both IN MAXLINE: IN through vnorm and kprod with --max-line MAXLINE;
# their rejects in $T/vnorm.rej and $T/kprod.rej, the tool's name checked
# and taken out.
both() {
    vnorm --max-line "$2" --rejects "$T/vnorm.rej" <"$1" >/dev/null
    kprod -X test.mock.num.brokers=1 -t t --max-line "$2" \
        --rejects "$T/kprod.rej" <"$1"
    assert_equal "$(jq -r .error.tool "$T/vnorm.rej")" vnorm
    assert_equal "$(jq -r .error.tool "$T/kprod.rej")" kprod
}

# the reject without the tool's name
untooled() {
    jq -c 'del(.error.tool)' "$1"
}

@test "a 26-byte line over --max-line 16: bytes, the whole line, no truncated" {
    printf '%s\n' '{"vin":"V1","speed":80.25}' >"$T/in"
    both "$T/in" 16
    run untooled "$T/vnorm.rej"
    assert_output '{"error":{"reason":"line too long","line":1,"bytes":26},"input":"{\"vin\":\"V1\",\"speed\":80.25}"}'
    assert_equal "$(untooled "$T/kprod.rej")" "$output"
}

@test "a 3008-byte line: bytes, the first 1024 bytes and truncated, the same in both" {
    printf '{"s":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)" >"$T/in"
    both "$T/in" 1k
    run jq -c '[.error.bytes, .error.truncated, (.input | length)]' "$T/vnorm.rej"
    assert_output '[3008,true,1024]'
    assert_equal "$(untooled "$T/kprod.rej")" "$(untooled "$T/vnorm.rej")"
}

@test "without --rejects, the same warning from both" {
    printf '%s\n' '{"vin":"V1","speed":80.25}' >"$T/in"
    run --separate-stderr vnorm --max-line 16 <"$T/in"
    assert_success
    assert_equal "$stderr" 'vnorm: line 1: line too long'
    run --separate-stderr kprod -X test.mock.num.brokers=1 -t t --max-line 16 <"$T/in"
    assert_success
    assert_equal "$stderr" 'kprod: line 1: line too long'
}
