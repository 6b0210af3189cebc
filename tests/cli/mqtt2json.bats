#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# mqtt2json without a broker: usage, option checks, refused connections,
# and secrets that never show up in any output.

load ../lib/common

bats_require_minimum_version 1.5.0

setup() {
    unset MQTT_URL MQTT_PASSWORD
    TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/m2j-cli.XXXXXX")
}

teardown() {
    rm -rf "$TMP"
}

# usage_fails ARGS...: exit 2, one "mqtt2json:" line and the --help hint.
usage_fails() {
    run --separate-stderr mqtt2json "$@"
    assert_equal "$status" 2
    assert_equal "$output" ''
    [[ ${stderr_lines[0]} == "mqtt2json: "* ]] ||
        fail "no 'mqtt2json:' prefix: $stderr"
    assert_equal "${stderr_lines[1]}" "Try 'mqtt2json --help' for more information."
}

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr mqtt2json --help
    assert_success
    assert_equal "$stderr" ''
    assert_line --index 0 --regexp '^usage: mqtt2json \[-dmRv\] '
    assert_output --partial '[-t filter[@qos]]'
    assert_output --partial '[--password-file path]'
}

@test "--version" {
    run mqtt2json --version
    assert_success
    assert_output --regexp '^mqtt2json [0-9]+\.[0-9]+\.[0-9]+ \(iotpipe\)$'
}

@test "unknown options and missing arguments exit 2" {
    usage_fails --no-such-option -t x
    assert_equal "${stderr_lines[0]}" "mqtt2json: unknown option '--no-such-option'"
    usage_fails -Z -t x
    assert_equal "${stderr_lines[0]}" "mqtt2json: unknown option '-Z'"
    usage_fails -t
    assert_equal "${stderr_lines[0]}" "mqtt2json: option '-t' needs an argument"
    usage_fails -t x extra
    assert_equal "${stderr_lines[0]}" "mqtt2json: unexpected operand 'extra'"
}

@test "a topic is needed" {
    usage_fails
    assert_equal "${stderr_lines[0]}" "mqtt2json: no topic: give -t (or a topic in -L or MQTT_URL)"
}

@test "bad values are usage errors that name the option" {
    local -a cases=(
        "-p 0|-p: invalid port '0' (1-65535)"
        "-p 65536|-p: invalid port '65536' (1-65535)"
        "-q 3|-q: invalid QoS '3' (0, 1 or 2)"
        "-V 4|-V: unknown protocol version '4' (5, 311 or 31)"
        "-k 2|-k: invalid keepalive '2' (0, or 5-65535 seconds)"
        "-C 0|-C: too small count '0'"
        "-W soon|-W: invalid time 'soon' (seconds)"
        "--idle-timeout -1|--idle-timeout: invalid time '-1' (seconds)"
        "--binary hex|--binary: unknown mode 'hex' (reject or base64)"
        "--tls-version sslv3|--tls-version: unknown TLS version 'sslv3' (tlsv1.3, tlsv1.2 or tlsv1.1)"
        "--retries many|--retries: invalid count 'many' (a number, or 'forever')"
        "--max-line 1x|--max-line: invalid size '1x'"
        "-L http://h|-L: scheme must be mqtt:// or mqtts://"
        "-L mqtt://h:0|-L: too small port"
    )
    local c args msg
    for c in "${cases[@]}"; do
        args=${c%%|*}
        msg=${c#*|}
        # shellcheck disable=SC2086
        usage_fails -t x $args
        assert_equal "${stderr_lines[0]}" "mqtt2json: $msg"
    done
}

@test "bad topic filters and patterns" {
    usage_fails -t 'a/#/b'
    assert_equal "${stderr_lines[0]}" "mqtt2json: -t: invalid topic filter 'a/#/b'"
    usage_fails -t 'a/b+'
    usage_fails -t x -T 'a/#/b'
    assert_equal "${stderr_lines[0]}" "mqtt2json: -T: invalid topic filter 'a/#/b'"
    usage_fails -t x --topic-fields 'a/+/b'
    assert_equal "${stderr_lines[0]}" "mqtt2json: --topic-fields: no field to take: name a level as +name or #name"
    usage_fails -t x --topic-fields '+v/+v'
    assert_equal "${stderr_lines[0]}" "mqtt2json: --topic-fields: field 'v' named twice"
}

@test "option combinations" {
    usage_fails -t x --durable
    assert_equal "${stderr_lines[0]}" "mqtt2json: --durable needs a fixed client id (-i)"
    usage_fails -t x -x 60
    assert_equal "${stderr_lines[0]}" "mqtt2json: -x needs --durable"
    usage_fails -t x -R --retained-only
    usage_fails -t x --unix /tmp/s -h host
    assert_equal "${stderr_lines[0]}" "mqtt2json: --unix excludes -h, -p and -L"
    usage_fails -t x -i a -I b
    usage_fails -t x --insecure
    assert_equal "${stderr_lines[0]}" "mqtt2json: --insecure needs TLS (mqtts://, --cafile, --capath or --tls-use-os-certs)"
    usage_fails -t x --cafile "$TMP/none.crt"
    assert_equal "${stderr_lines[0]}" "mqtt2json: --cafile $TMP/none.crt: No such file or directory"
    usage_fails -t x --cert "$TMP/c" --key "$TMP/k"
    usage_fails -t x --password-file "$TMP/none"
    assert_equal "${stderr_lines[0]}" "mqtt2json: --password-file $TMP/none: No such file or directory"
}

@test "a topic from -L or MQTT_URL is enough" {
    run --separate-stderr mqtt2json -L 'mqtt://127.0.0.1:1/a/%23' --retries 0
    assert_equal "$status" 1
    MQTT_URL='mqtt://127.0.0.1:1/a/b' run --separate-stderr mqtt2json --retries 0
    assert_equal "$status" 1
    MQTT_URL='ftp://x' run --separate-stderr mqtt2json -t x
    assert_equal "$status" 2
    assert_equal "${stderr_lines[0]}" "mqtt2json: MQTT_URL: scheme must be mqtt:// or mqtts://"
}

@test "an unreachable broker: exit 1 after the retries, with the reason" {
    run --separate-stderr mqtt2json -h 127.0.0.1 -p 1 -t x --retries 0
    assert_equal "$status" 1
    assert_equal "$output" ''
    # never connected: the cause and what to check, in one line
    assert_equal "$stderr" "mqtt2json: mqtt://127.0.0.1:1: never connected: connect: Connection refused (gave up after 1 attempt): nothing listens there: is the broker running? check -h, -p / -L / MQTT_URL"
    run --separate-stderr mqtt2json -h 127.0.0.1 -p 1 -t x --retries 2 --stats 0
    assert_equal "$status" 1
    assert_equal "${#stderr_lines[@]}" 4
    assert_regex "${stderr_lines[0]}" 'connect: Connection refused; retrying in [0-9.]+s$'
    assert_regex "${stderr_lines[3]}" '^\{"tool":"mqtt2json",.*"in":0,"out":0,"rejected":0,.*"final":true\}$'
    run --separate-stderr mqtt2json --unix "$TMP/no.sock" -t x --retries 0
    assert_equal "$status" 1
    assert_equal "$stderr" "mqtt2json: unix:$TMP/no.sock: never connected: connect: No such file or directory (gave up after 1 attempt): is the broker running? check --unix"
}

@test "-P warns that ps shows it; no secret appears anywhere" {
    local secret=Sup3r-Secr3t-Pw pwfile=$TMP/pw
    printf '%s\n' "$secret" >"$pwfile"
    chmod 600 "$pwfile"
    # every path that prints something about the connection
    run --separate-stderr mqtt2json -u alice -P "$secret" -h 127.0.0.1 -p 1 -t x --retries 0 -vv
    assert_equal "$status" 1
    assert_equal "${stderr_lines[0]}" "mqtt2json: -P: a password on the command line can be seen by other users (ps); use MQTT_PASSWORD or --password-file"
    refute_output --partial "$secret"
    [[ $stderr != *"$secret"* ]] || fail "secret in stderr: $stderr"
    run --separate-stderr mqtt2json -L "mqtt://alice:$secret@127.0.0.1:1/x" --retries 0 -vv
    assert_equal "$status" 1
    [[ $stderr == *"mqtt://alice@127.0.0.1:1"* ]] || fail "endpoint not named: $stderr"
    [[ $stderr != *"$secret"* ]] || fail "secret in stderr: $stderr"
    MQTT_URL="mqtt://alice:$secret@127.0.0.1:1/x" run --separate-stderr mqtt2json --retries 0 -vv
    assert_equal "$status" 1
    [[ $stderr != *"$secret"* ]] || fail "secret in stderr: $stderr"
    [[ $stderr != *"-P:"* ]] || fail "MQTT_URL is not the command line: $stderr"
    MQTT_PASSWORD=$secret run --separate-stderr mqtt2json -u alice -h 127.0.0.1 -p 1 -t x --retries 0 -vv
    [[ $stderr != *"$secret"* ]] || fail "secret in stderr: $stderr"
    run --separate-stderr mqtt2json -u alice --password-file "$pwfile" -h 127.0.0.1 -p 1 -t x --retries 0 -vv
    [[ $stderr != *"$secret"* ]] || fail "secret in stderr: $stderr"
    # usage errors with a secret on the line
    run --separate-stderr mqtt2json -P "$secret" -t x
    assert_equal "$status" 2
    [[ $stderr != *"$secret"* ]] || fail "secret in stderr: $stderr"
    run --separate-stderr mqtt2json -L "mqtt://alice:$secret@h:99999/x"
    assert_equal "$status" 2
    [[ $stderr != *"$secret"* ]] || fail "secret in stderr: $stderr"
    run --separate-stderr mqtt2json -L "mqtt://alice:$secret@/x"
    assert_equal "$status" 2
    [[ $stderr != *"$secret"* ]] || fail "secret in stderr: $stderr"
}

@test "a password file readable by others gets a warning" {
    printf 'pw\n' >"$TMP/pw"
    chmod 644 "$TMP/pw"
    run --separate-stderr mqtt2json -u a --password-file "$TMP/pw" -h 127.0.0.1 -p 1 -t x --retries 0
    assert_equal "$status" 1
    assert_equal "${stderr_lines[0]}" "mqtt2json: --password-file $TMP/pw: readable by group or others (mode 0644); chmod 600 it"
}

@test "the man page renders and names every exit status" {
    run bash -c "mandoc -Tutf8 '$IOTPIPE_SRC/man/mqtt2json.1' | col -b"
    assert_success
    assert_output --partial 'EXIT STATUS'
    assert_output --partial 'at most once'
}

@test "-F: mosquitto_sub's sequences are checked before connecting; -F excludes -m" {
    run --separate-stderr "$IOTPIPE_BUILD/mqtt2json" -t a -F '%t %z'
    assert_failure 2
    [[ $stderr == *"-F: unknown %-letter"* ]]
    run --separate-stderr "$IOTPIPE_BUILD/mqtt2json" -t a -F 'x\q'
    assert_failure 2
    [[ $stderr == *"-F: unknown escape"* ]]
    run --separate-stderr "$IOTPIPE_BUILD/mqtt2json" -t a -F '%t %p' -m
    assert_failure 2
    [[ $stderr == *"-F excludes -m"* ]]
}
