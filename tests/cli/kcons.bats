#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# kcons without a broker: usage, option checks, configuration, secrets,
# and runs against librdkafka's in-process mock cluster or a dead port.

load ../lib/common

bats_require_minimum_version 1.5.0

MOCK=(-X test.mock.num.brokers=1)

setup() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD
    TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/kcons-cli.XXXXXX")
}

teardown() {
    rm -rf "$TMP"
}

usage_fails() {
    run --separate-stderr kcons "$@" </dev/null
    assert_equal "$status" 2
    assert_equal "$output" ''
    assert_equal "${stderr_lines[-1]}" "Try 'kcons --help' for more information."
    ERR=${stderr_lines[-2]}
    [[ $ERR == "kcons: "* ]] || fail "no 'kcons:' prefix: $stderr"
}

dead_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr kcons --help
    assert_success
    assert_equal "$stderr" ''
    # -J and -Q (kcat's letters) joined the group of flags
    assert_line --index 0 --regexp '^usage: kcons \[-ehJmQqVv\] '
    assert_output --partial '[--acks fifo]'
}

@test "a unique prefix of a visible option is that option: --li is --list" {
    # the parser's hidden --list-options starts with --li too
    run --separate-stderr kcons --li --help
    assert_success
    assert_output --partial 'usage: kcons'
    run --separate-stderr kcons --lis --list-o
    assert_success
    assert_output --partial $'\t--list\t'
    # a prefix of two visible options names both
    run -2 --separate-stderr kcons --re
    assert_equal "${stderr_lines[0]}" \
        "kcons: option '--re' is ambiguous: --reset-offsets, --rejects, --reopen-timeout"
}

@test "--version names librdkafka" {
    run kcons -V
    assert_success
    assert_output --regexp '^kcons [0-9]+\.[0-9]+\.[0-9]+ \(iotpipe\) librdkafka [0-9.]+$'
}

@test "bad values and combinations exit 2 with one message" {
    mkdir "$TMP/dir"
    local -a cases=(
        "--bogus|unknown option '--bogus'"
        "-o|option '-o' needs an argument"
        "-b h:1|no topic: give -t topic, or -G group topic ..."
        "-b h:1 -G g -p 1 t|-p: not with -G (the group assigns partitions)"
        "-b h:1 ^tele.*|topic ^tele.*: a pattern needs -G"
        "-b h:1 -t t --acks $TMP/acks|--acks needs -G group: offsets are committed for a group"
        "-b h:1 -G g t --acks $TMP/dir|--acks $TMP/dir: not a fifo"
        "-b h:1 -t t -o stored|-o stored needs -G group (or -X group.id)"
        "-b h:1 -t t -o soon|-o 'soon': expected beginning, end, stored, N, -N, s@TIME, e@TIME or a time"
        "-b h:1 -t t -o 1 -o 2|-o: more than one start"
        "-b h:1 -t t -o e@1 -o e@2|-o: more than one end (e@)"
        "-b h:1 -t t -o e@never|-o 'never' is not a time (epoch milliseconds, RFC 3339, or -N followed by s, m, h or d)"
        "-b h:1 -t t -p x|-p: invalid partition 'x'"
        "-b h:1 -t t -c 0|-c: too small count '0'"
        "-b h:1 -t t --binary hex|--binary: unknown mode 'hex' (reject or base64)"
        "-b h:1 -t t --idle-timeout 0|--idle-timeout: too small seconds '0'"
        "-b h:1 --commit t:1:2|--commit needs -G group"
        "-b h:1 -G g --commit t:x:2|--commit t:x:2: invalid partition"
        "-b h:1 -G g --commit t:2|--commit t:2: expected topic:partition:offset"
        "-b h:1 -G g --reset-offsets latest|--reset-offsets needs the topics to reset"
        "-b h:1 -G g --reset-offsets someday t|--reset-offsets: 'someday' is not a time (epoch milliseconds, RFC 3339, or -N followed by s, m, h or d) (or earliest, latest)"
        "-b h:1 -G g --list --commit t:1:2|--list, --reset-offsets and --commit exclude each other"
        "-t t|no brokers: give -b host:port, KAFKA_BROKERS or -X bootstrap.servers"
        "-b h:1 -t t -X sasl.password=hunter2|-X sasl.password: no secrets on the command line (every user can read it): use KAFKA_SASL_PASSWORD, --password-file or a -F file"
    )
    local c args msg
    for c in "${cases[@]}"; do
        args=${c%%|*}
        msg=${c#*|}
        # shellcheck disable=SC2086
        usage_fails $args
        assert_equal "$ERR" "kcons: $msg"
    done
}

@test "--print-config: at-least-once settings; flags win over -X" {
    run --separate-stderr kcons --print-config -b b:1 -G grp -e \
        -X group.id=other -X enable.partition.eof=false t
    assert_success
    assert_line 'client.id=kcons'
    assert_line 'group.id=grp'
    assert_line 'enable.auto.offset.store=false'
    assert_line 'enable.partition.eof=true'
    assert_line 'partition.assignment.strategy=cooperative-sticky'
    assert_line 'auto.offset.reset=smallest'
    # -e: the broker's hold at a partition's end cut to 100 ms; -X wins
    assert_line 'fetch.wait.max.ms=100'
    run kcons --print-config -b b:1 -t t -e -X fetch.wait.max.ms=300
    assert_line 'fetch.wait.max.ms=300'
    run kcons --print-config -b b:1 -t t
    refute_line --partial 'fetch.wait.max.ms'
    # without a group: no commits at all
    run kcons -X dump -b b:1 -t t
    assert_success
    assert_line 'enable.auto.commit=false'
    assert_line 'group.id=kcons'
    printf 'top-secret\n' >"$TMP/pw"
    chmod 600 "$TMP/pw"
    run kcons --print-config -b b:1 -t t --password-file "$TMP/pw" \
        --sasl-mechanism SCRAM-SHA-512 --sasl-user u --cafile /ca.pem
    assert_success
    assert_line 'sasl.password=***'
    assert_line 'security.protocol=sasl_ssl'
    assert_line 'ssl.ca.location=/ca.pem'
    refute_output --partial top-secret
}

@test "a bad -X exits 2 before the --acks fifo is made or opened (esbulk would take it for its partner)" {
    run --separate-stderr kcons -b 127.0.0.1:1 -G g -X bogus.prop=1 --acks "$TMP/acks-x" t
    assert_equal "$status" 2
    [[ $stderr == *bogus.prop* ]]
    [[ ! -e $TMP/acks-x ]]
}

@test "-X list prints librdkafka's properties" {
    run kcons -X list
    assert_success
    assert_output --partial 'enable.auto.offset.store'
}

@test "-e on empty partitions exits 0, in plain and group mode" {
    run --separate-stderr kcons "${MOCK[@]}" -t t -e --stats 0
    assert_success
    assert_equal "$output" ''
    [[ $(stats_field <(printf '%s\n' "$stderr") in) == 0 ]]
    run --separate-stderr kcons "${MOCK[@]}" -G g -e t
    assert_success
}

@test "--idle-timeout and -o e@ with nothing to read" {
    local t0=$SECONDS now
    run --separate-stderr kcons "${MOCK[@]}" -t t --idle-timeout 1
    assert_success
    ((SECONDS - t0 < 10))
    # an end time and nothing before it: -e or --idle-timeout ends the wait
    now=$(date +%s%3N)
    t0=$SECONDS
    run --separate-stderr kcons "${MOCK[@]}" -t t -o "e@$now" -e --stats 0
    assert_success
    assert_equal "$output" ''
    [[ $(stats_field <(printf '%s\n' "$stderr") in) == 0 ]]
    run --separate-stderr kcons "${MOCK[@]}" -t t -o "e@$now" --idle-timeout 1
    assert_success
    assert_equal "$output" ''
    ((SECONDS - t0 < 10))
}

@test "SIGTERM stops a consumer waiting for messages: exit 0" {
    local pid rc=0
    kcons "${MOCK[@]}" -G g t --stats 0 >"$TMP/out" 2>"$TMP/err" &
    pid=$!
    sleep 2
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    assert_equal "$rc" 0
    grep -q '"final":true' "$TMP/err"
}

@test "an unreachable broker: --list gives up after --timeout, exit 1" {
    local port
    port=$(dead_port)
    run --separate-stderr kcons -q -b "127.0.0.1:$port" --list --timeout 1
    assert_failure 1
    assert_equal "$output" ''
    # the cause and the fix, as every mode says it (first-minutes.bats)
    [[ $stderr == "kcons: no Kafka broker answered: 127.0.0.1:$port/bootstrap: Connect to "*"Connection refused"*": is the broker running? check -b / KAFKA_BROKERS" ]] ||
        fail "$stderr"
    run --separate-stderr kcons -q -b "127.0.0.1:$port" -t t --timeout 1
    assert_failure 1
    [[ $stderr == "kcons: topic t: metadata: "* ]]
}

@test "admin modes: the first SIGINT or SIGTERM ends --list, --commit, --reset-offsets" {
    local port pid rc sig t0 args mute
    # a listener that never answers: every request waits for --timeout
    python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(300)' >"$TMP/port" &
    mute=$!
    for ((t0 = 0; t0 < 50; t0++)); do
        [[ -s $TMP/port ]] && break
        sleep 0.1
    done
    port=$(cat "$TMP/port")
    for sig in TERM INT; do
        for args in "--list" "-G g --commit t:0:5" "-G g --reset-offsets earliest t"; do
            t0=$SECONDS
            # shellcheck disable=SC2086 # words on purpose
            kcons -q -b "127.0.0.1:$port" --timeout 60 $args </dev/null \
                >"$TMP/out" 2>"$TMP/err" &
            pid=$!
            sleep 0.5
            kill "-$sig" "$pid"
            rc=0
            wait "$pid" || rc=$?
            [[ $rc == $((128 + $(kill -l "$sig"))) ]] || fail "$sig $args: status $rc: $(cat "$TMP/err")"
            ((SECONDS - t0 < 10)) || fail "$sig $args: took $((SECONDS - t0)) s"
        done
    done
    kill "$mute"
}

@test "no secret appears in any output, debug included" {
    local port
    port=$(dead_port)
    KAFKA_SASL_PASSWORD=sekrit-value run kcons -b "127.0.0.1:$port" -G g \
        --sasl-mechanism PLAIN --sasl-user u -X security.protocol=sasl_plaintext \
        -d all -vv --idle-timeout 2 --connect-timeout 2 t
    # never connected is exit 1 (it was 0 before --connect-timeout)
    assert_failure 1
    assert_output --partial 'sasl.password = [redacted]'
    refute_output --partial sekrit
}

@test "the man page renders and states the delivery rules" {
    run bash -c "mandoc -Tutf8 '$IOTPIPE_SRC/man/kcons.1' | col -b"
    assert_success
    assert_output --partial 'at-least-once'
    assert_output --partial 'EXIT STATUS'
}

@test "-J is -m (kcat's JSON envelope); --reset-offsets takes -o's beginning and end" {
    run --separate-stderr kcons --print-config -b b:1 -J -t t
    assert_success
    run --separate-stderr kcons --print-config -b b:1 -m -t t
    local with_m=$output
    run --separate-stderr kcons --print-config -b b:1 -J -t t
    assert_equal "$output" "$with_m"
    # beginning and end pass the option check as earliest and latest do
    for to in beginning end earliest latest; do
        run --separate-stderr kcons --print-config -b h:1 -G g --reset-offsets "$to" t
        assert_success
    done
    usage_fails -b h:1 -G g --reset-offsets someday t
    assert_equal "$ERR" "kcons: --reset-offsets: 'someday' is not a time (epoch milliseconds, RFC 3339, or -N followed by s, m, h or d) (or earliest, latest)"
}

@test "-f: kcat's letters are checked before connecting; -f excludes -m, -J and --acks" {
    usage_fails -b h:1 -t t -f '%t %y'
    [[ $ERR == "kcons: -f: unknown %-letter"* ]]
    usage_fails -b h:1 -t t -f 'a\q'
    [[ $ERR == "kcons: -f: unknown escape"* ]]
    usage_fails -b h:1 -t t -f '%s' -J
    assert_equal "$ERR" "kcons: -f excludes -m, -J and --acks (it writes a human view, not NDJSON)"
}

@test "-Q takes -t topic:partition:time, checked before connecting" {
    usage_fails -b h:1 -Q
    assert_equal "$ERR" "kcons: -Q needs -t topic:partition:time"
    usage_fails -b h:1 -Q -t telemetry
    assert_equal "$ERR" "kcons: -Q: 'telemetry': expected topic:partition:time"
    usage_fails -b h:1 -Q -t t:x:1
    assert_equal "$ERR" "kcons: -Q: 't:x:1': invalid partition"
    usage_fails -b h:1 -Q -t t:0:someday
    [[ $ERR == "kcons: -Q: 'someday' is not a time"* ]]
    usage_fails -b h:1 -Q --list -t t:0:1
    assert_equal "$ERR" "kcons: --list, --reset-offsets, --commit and -Q exclude each other"
}
