#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# json2mqtt without a broker: usage, option checks, refused connections,
# and secrets that never show up in any output.

load ../lib/common

bats_require_minimum_version 1.5.0

setup() {
    unset MQTT_URL MQTT_PASSWORD
    TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/j2m-cli.XXXXXX")
}

teardown() {
    rm -rf "$TMP"
}

# usage_fails ARGS...: exit 2; the error (in $ERR) is the line before the
# --help hint, which comes last (a -P warning may come first).
usage_fails() {
    run --separate-stderr json2mqtt "$@" </dev/null
    assert_equal "$status" 2
    assert_equal "$output" ''
    assert_equal "${stderr_lines[-1]}" "Try 'json2mqtt --help' for more information."
    ERR=${stderr_lines[-2]}
    [[ $ERR == "json2mqtt: "* ]] || fail "no 'json2mqtt:' prefix: $stderr"
}

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr json2mqtt --help
    assert_success
    assert_equal "$stderr" ''
    assert_line --index 0 --regexp '^usage: json2mqtt \[-drv\] '
    assert_output --partial '[--topic-template template]'
}

@test "--version" {
    run json2mqtt --version
    assert_success
    assert_output --regexp '^json2mqtt [0-9]+\.[0-9]+\.[0-9]+ \(iotpipe\)$'
}

@test "unknown options, missing arguments and operands exit 2" {
    usage_fails --bogus
    assert_equal "$ERR" "json2mqtt: unknown option '--bogus'"
    usage_fails -t
    assert_equal "$ERR" "json2mqtt: option '-t' needs an argument"
    usage_fails -t x file.ndjson
    assert_equal "$ERR" "json2mqtt: unexpected operand 'file.ndjson' (input is the standard input)"
}

@test "bad values and combinations" {
    local -a cases=(
        "-q 3|-q: invalid QoS '3' (0, 1 or 2)"
        "-M 0|-M: too small count '0' (1-65000)"
        "-M 70000|-M: too large count '70000' (1-65000)"
        "-t a/+|-t: invalid topic 'a/+' (no '+' or '#' when publishing)"
        "-t a/#|-t: invalid topic 'a/#' (no '+' or '#' when publishing)"
        "-t x --topic-template {vin}|-t and --topic-template exclude each other"
        "--topic-template a/{vin|--topic-template: '{' without '}'"
        "--topic-template a/{}|--topic-template: empty '{}'"
        "-p 0|-p: invalid port '0' (1-65535)"
        "-V 6|-V: unknown protocol version '6' (5, 311 or 31)"
        "--insecure|--insecure needs TLS (mqtts://, --cafile, --capath or --tls-use-os-certs)"
        "-P pw|a password needs a user name (-u)"
        "-L mqtt://h/a/%23|the topic in the URL has a wildcard"
    )
    local c args msg
    for c in "${cases[@]}"; do
        args=${c%%|*}
        msg=${c#*|}
        # shellcheck disable=SC2086
        usage_fails $args
        assert_equal "$ERR" "json2mqtt: $msg"
    done
}

@test "an unreachable broker: exit 1, nothing read, the reason printed" {
    run --separate-stderr json2mqtt -h 127.0.0.1 -p 1 -t x --retries 0 --stats 0 <<<'{"a":1}'
    assert_equal "$status" 1
    assert_equal "$output" ''
    # never connected: the cause and what to check, in one line
    assert_equal "${stderr_lines[0]}" "json2mqtt: mqtt://127.0.0.1:1: never connected: connect: Connection refused (gave up after 1 attempt): nothing listens there: is the broker running? check -h, -p / -L / MQTT_URL"
    assert_regex "${stderr_lines[1]}" '^\{"tool":"json2mqtt",.*"in":0,"out":0,"rejected":0,.*"final":true\}$'
}

@test "no secret appears in any output" {
    local secret=An0ther-S3cret
    printf '%s\n' "$secret" >"$TMP/pw"
    chmod 600 "$TMP/pw"
    run --separate-stderr json2mqtt -u bob -P "$secret" -h 127.0.0.1 -p 1 -t x --retries 0 -vv </dev/null
    assert_equal "$status" 1
    assert_equal "${stderr_lines[0]}" "json2mqtt: -P: a password on the command line can be seen by other users (ps); use MQTT_PASSWORD or --password-file"
    [[ $output$stderr != *"$secret"* ]] || fail "secret shown: $stderr"
    run --separate-stderr json2mqtt -L "mqtts://bob:$secret@127.0.0.1:1/t" --retries 0 -vv </dev/null
    [[ $output$stderr != *"$secret"* ]] || fail "secret shown: $stderr"
    MQTT_URL="mqtt://bob:$secret@127.0.0.1:1/t" run --separate-stderr json2mqtt --retries 0 -vv </dev/null
    assert_equal "$status" 1
    [[ $output$stderr != *"$secret"* ]] || fail "secret shown: $stderr"
    run --separate-stderr json2mqtt -u bob --password-file "$TMP/pw" -t x -p 1 -h 127.0.0.1 --retries 0 -vv </dev/null
    [[ $output$stderr != *"$secret"* ]] || fail "secret shown: $stderr"
    usage_fails -L "mqtt://bob:$secret@h:1/a/%23"
    [[ $stderr != *"$secret"* ]] || fail "secret shown: $stderr"
}

@test "the man page renders and states the at-most-once cases" {
    run bash -c "mandoc -Tutf8 '$IOTPIPE_SRC/man/json2mqtt.1' | col -b"
    assert_success
    assert_output --partial 'EXIT STATUS'
    assert_output --partial 'acknowledged'
}

@test "--raw and -m need a topic; -m takes one line, not empty" {
    run --separate-stderr "$IOTPIPE_BUILD/json2mqtt" --raw </dev/null
    assert_failure 2
    [[ $stderr == *"--raw needs -t topic"* ]]
    run --separate-stderr "$IOTPIPE_BUILD/json2mqtt" -m ON </dev/null
    assert_failure 2
    [[ $stderr == *"-m needs -t topic"* ]]
    run --separate-stderr "$IOTPIPE_BUILD/json2mqtt" -t a -m "$(printf 'a\nb')"
    assert_failure 2
    [[ $stderr == *"one line"* ]]
    run --separate-stderr "$IOTPIPE_BUILD/json2mqtt" -t a -m ''
    assert_failure 2
    [[ $stderr == *"empty message"* ]]
}
