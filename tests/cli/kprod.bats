#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# kprod without a broker: usage, option checks, configuration, secrets, and
# delivery accounting against librdkafka's in-process mock cluster
# (-X test.mock.num.brokers=1) or a port where nothing listens.

load ../lib/common

bats_require_minimum_version 1.5.0

MOCK=(-X test.mock.num.brokers=1)

setup() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD
    TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/kprod-cli.XXXXXX")
}

teardown() {
    rm -rf "$TMP"
}

# usage_fails ARGS...: exit 2, nothing on stdout; the error (in $ERR) is
# the line before the --help hint.
usage_fails() {
    run --separate-stderr kprod "$@" </dev/null
    assert_equal "$status" 2
    assert_equal "$output" ''
    assert_equal "${stderr_lines[-1]}" "Try 'kprod --help' for more information."
    ERR=${stderr_lines[-2]}
    [[ $ERR == "kprod: "* ]] || fail "no 'kprod:' prefix: $stderr"
}

# A port on 127.0.0.1 where nothing listens.
dead_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sigterm_300 ARGS...: kprod -t t ARGS on a dead port, fed 300 lines through a
# fifo, then SIGTERM: its exit status in $rc, its stderr in $TMP/err, its
# rejects in $TMP/rej, the seconds from the signal to its exit in $took.
sigterm_300() {
    local port pid t0
    port=$(dead_port)
    mkfifo "$TMP/in"
    kprod -q -b "127.0.0.1:$port" -t t "$@" --rejects "$TMP/rej" --stats 0 \
        <"$TMP/in" 2>"$TMP/err" &
    pid=$!
    exec 7>"$TMP/in"
    seq 1 300 | sed 's/.*/{"n":&}/' >&7
    sleep 1
    t0=$(date +%s.%N)
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    took=$(echo "$(date +%s.%N) - $t0" | bc)
    exec 7>&-
}

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr kprod --help
    assert_success
    assert_equal "$stderr" ''
    assert_line --index 0 --regexp '^usage: kprod \[-hqVv\] '
    assert_output --partial '[--key-field path]'
}

@test "--version names librdkafka" {
    run kprod --version
    assert_success
    assert_output --regexp '^kprod [0-9]+\.[0-9]+\.[0-9]+ \(iotpipe\) librdkafka [0-9.]+$'
}

@test "unknown options, missing arguments and operands exit 2" {
    usage_fails --bogus
    assert_equal "$ERR" "kprod: unknown option '--bogus'"
    usage_fails -t
    assert_equal "$ERR" "kprod: option '-t' needs an argument"
    usage_fails -t x file.ndjson
    assert_equal "$ERR" "kprod: unexpected operand 'file.ndjson' (kprod reads the standard input)"
}

@test "bad values and configurations exit 2 with one message" {
    local -a cases=(
        "-p x|-p: invalid partition 'x'"
        "-c 0|-c: too small count '0'"
        "-z brotli|-z: unknown codec 'brotli' (none, gzip, snappy, lz4, zstd)"
        "-H =v|-H =v: expected name=value"
        "--flush-timeout x|--flush-timeout: invalid seconds 'x' (0-86400)"
        "-X linger.ms|-X linger.ms: expected property=value (or -X list)"
        "-t t|no brokers: give -b host:port, KAFKA_BROKERS or -X bootstrap.servers"
        "-b h:1 -t t -X no.such.property=1|-X no.such.property: no such librdkafka property (see -X list)"
        "-b h:1 -t t -X linger.ms=abc|-X linger.ms=abc: Invalid value for configuration property \"queue.buffering.max.ms\""
        "-b h:1 -t t --sasl-user u|--sasl-user needs --sasl-mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"
        "-b h:1 -t t -X enable.idempotence=true -X acks=1|configuration: \`acks\` must be set to \`all\` when \`enable.idempotence\` is true"
        "-t t --receipts $TMP/r --rejects $TMP/r|--receipts and --rejects name the same file"
    )
    local c args msg
    for c in "${cases[@]}"; do
        args=${c%%|*}
        msg=${c#*|}
        # shellcheck disable=SC2086
        usage_fails $args
        assert_equal "$ERR" "kprod: $msg"
    done
}

@test "a secret is refused on -X and never echoed" {
    usage_fails -b h:1 -t t -X sasl.password=hunter2
    refute_output --partial hunter2
    [[ $stderr != *hunter2* ]]
    assert_equal "$ERR" "kprod: -X sasl.password: no secrets on the command line (every user can read it): use KAFKA_SASL_PASSWORD, --password-file or a -F file"
    usage_fails -b h:1 -t t -X ssl.key.password=hunter2
    [[ $stderr != *hunter2* ]]
}

@test "-X list prints librdkafka's properties" {
    run --separate-stderr kprod -X list
    assert_success
    assert_output --partial 'bootstrap.servers'
    assert_output --partial 'enable.idempotence'
}

@test "--print-config: safe defaults, the layers in order, secrets redacted" {
    printf 'linger.ms=50\nsasl.password=from-file-secret\n' >"$TMP/k.conf"
    chmod 600 "$TMP/k.conf"
    printf 'pw-file-secret\n' >"$TMP/pw"
    chmod 600 "$TMP/pw"
    KAFKA_BROKERS=env:9092 KAFKA_SASL_PASSWORD=env-secret \
        run --separate-stderr kprod --print-config -F "$TMP/k.conf" \
        --sasl-mechanism SCRAM-SHA-256 --sasl-user app
    assert_success
    assert_line 'metadata.broker.list=env:9092'
    assert_line 'enable.idempotence=true'
    assert_line 'compression.codec=lz4'
    assert_line 'queue.buffering.max.ms=50'
    assert_line 'queue.buffering.max.kbytes=65536'
    assert_line 'security.protocol=sasl_ssl'
    assert_line 'sasl.password=***'
    refute_output --partial secret
    # -b and --password-file win; -X dump is the same
    KAFKA_BROKERS=env:9092 KAFKA_SASL_PASSWORD=env-secret \
        run kprod -X dump -b flag:1 --password-file "$TMP/pw" -z zstd
    assert_success
    assert_line 'metadata.broker.list=flag:1'
    assert_line 'compression.codec=zstd'
    assert_line 'sasl.password=***'
    refute_output --partial secret
}

@test "-F: a missing file, a bad line, a readable secret" {
    usage_fails -F "$TMP/none.conf"
    assert_equal "$ERR" "kprod: -F $TMP/none.conf: No such file or directory"
    printf 'a=1\nno equals sign\n' >"$TMP/bad.conf"
    usage_fails -F "$TMP/bad.conf"
    assert_equal "$ERR" "kprod: $TMP/bad.conf:2: expected property=value"
    printf 'bootstrap.servers=x:1\nsasl.password=leaky\n' >"$TMP/open.conf"
    chmod 644 "$TMP/open.conf"
    run --separate-stderr kprod -F "$TMP/open.conf" --print-config
    assert_success
    [[ $stderr == *"holds a secret and is readable by group or others"* ]]
    [[ $stderr != *leaky* && $output != *leaky* ]]
}

@test "lines in = out + rejected; rejects carry the line number and reason" {
    printf '%s\n' '{"a":1}' 'not json' '{"@metadata":{"kafka":{"key":"k"}},"b":2}' \
        '' '[1,2]' '{"x":' >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t --rejects "$TMP/rej" \
        --receipts "$TMP/rcpt" --stats 0 <"$TMP/in"
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") in) == 5 ]]
    [[ $(stats_field <(printf '%s\n' "$stderr") out) == 3 ]]
    [[ $(stats_field <(printf '%s\n' "$stderr") rejected) == 2 ]]
    run jq -c '[.error.line, .error.reason, .input]' "$TMP/rej"
    assert_line --index 0 '[2,"invalid JSON: unexpected character at byte 1","not json"]'
    assert_line --index 1 '[6,"invalid JSON: unexpected end of input at byte 6","{\"x\":"]'
    run bash -c "jq -r '.line' '$TMP/rcpt' | sort -n"
    assert_output $'1\n3\n5'
    run jq -r '.topic' "$TMP/rcpt"
    assert_output $'t\nt\nt'
}

@test "--strict: rejects give exit 3; -c stops reading" {
    printf '{"a":1}\nbad\n' >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t --strict <"$TMP/in"
    assert_equal "$status" 3
    assert_equal "$stderr" "kprod: line 2: invalid JSON: unexpected character at byte 1"
    seq 1 100 >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t -c 10 --stats 0 <"$TMP/in"
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") in) == 10 ]]
}

@test "a full producer queue holds stdin back: nothing lost, order per partition kept" {
    seq 1 3000 | awk '{ printf "{\"vin\":\"V%d\",\"n\":%d}\n", $1 % 13, $1 }' >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t --key-field vin \
        -X queue.buffering.max.messages=50 --receipts "$TMP/rcpt" \
        --stats 0 <"$TMP/in"
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") out) == 3000 ]]
    # every line acknowledged once; per partition, offsets follow lines
    run jq -sc '[length, (map(.line) | unique | length),
        (group_by(.partition) | map(sort_by(.offset) | map(.line) |
            . == sort) | all)]' "$TMP/rcpt"
    assert_output '[3000,3000,true]'
}

@test "a line over message.max.bytes: a reject with librdkafka's reason, the rest delivered" {
    {
        printf '{"n":1}\n'
        printf '{"big":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)"
        printf '{"n":3}\n'
    } >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t -X message.max.bytes=1000 \
        --rejects "$TMP/rej" --receipts "$TMP/rcpt" --stats 0 <"$TMP/in"
    assert_success
    run jq -c '[.error.line, .error.kafka_error]' "$TMP/rej"
    assert_output '[2,"MSG_SIZE_TOO_LARGE"]'
    # receipts come per partition, in any order between partitions
    run jq -sc 'map(.line) | sort' "$TMP/rcpt"
    assert_output '[1,3]'
}

@test "SIGTERM with a full queue: the lines held back are listed as not sent" {
    local rc
    sigterm_300 -X queue.buffering.max.messages=5 --flush-timeout 1
    assert_equal "$rc" 1
    # what was read is delivered or listed: 5 purged from the queue, the
    # rest never got into it
    local in
    in=$(stats_field "$TMP/err" in)
    ((in >= 6))
    [[ $(stats_field "$TMP/err" undelivered) == "$in" ]]
    [[ $(wc -l <"$TMP/rej") == "$in" ]]
    run jq -r '.error.kafka_error' "$TMP/rej"
    [[ $(sort <<<"$output" | uniq -c | awk '{ print $2 ":" $1 }' | paste -sd ' ') == \
        "_PURGE_QUEUE:5 _QUEUE_FULL:$((in - 5))" ]]
    run jq -r 'select(.error.kafka_error == "_QUEUE_FULL") | .error.reason' "$TMP/rej"
    [[ $(sort -u <<<"$output") == "not sent: stopped while the producer queue was full" ]]
    # the ones held back: lines 6 to $in, in input order
    run jq -r 'select(.error.kafka_error == "_QUEUE_FULL") | .error.line' "$TMP/rej"
    [[ $output == "$(seq 6 "$in")" ]]
}

@test "SIGTERM with a full queue: --flush-timeout bounds the whole wait, room and reports together" {
    local rc took
    sigterm_300 -X queue.buffering.max.messages=5 --flush-timeout 3
    assert_equal "$rc" 1
    # 3 s, once: not 3 s waiting for room and 3 s more for the reports
    echo "# exit $took s after SIGTERM" >&3
    (($(echo "$took >= 2.5 && $took < 5" | bc))) ||
        fail "exit $took s after SIGTERM with --flush-timeout 3"
    [[ $(stats_field "$TMP/err" undelivered) == "$(stats_field "$TMP/err" in)" ]]
}

@test "a line over --max-line is a reject with its size" {
    {
        printf '{"s":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)"
        printf '{"ok":1}\n'
    } >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t --max-line 1024 \
        --rejects - --stats 0 <"$TMP/in"
    assert_success
    run jq -c '[.error.reason, .error.line, .error.bytes, .error.truncated]' <<<"$output"
    assert_output '["line too long",1,3008,true]'
}

@test "receipts on a closed pipe: stop quietly, exit 0" {
    seq 1 20000 | sed 's/.*/{"n":&}/' >"$TMP/in"
    run --separate-stderr bash -c 'kprod "$@" --receipts - <"$0" | head -n 1' \
        "$TMP/in" "${MOCK[@]}" -t t
    assert_success
    assert_output --regexp '^\{"line":[0-9]+,"topic":"t",'
    assert_equal "$stderr" ''
}

@test "an unreachable broker: every line rejected with the broker error, exit 1" {
    local port
    port=$(dead_port)
    printf '{"n":1}\n{"n":2}\n' >"$TMP/in"
    run --separate-stderr kprod -q -b "127.0.0.1:$port" -t t \
        -X message.timeout.ms=1500 --rejects - --stats 0 <"$TMP/in"
    assert_failure 1
    run jq -c '[.error.line, .error.kafka_error, .input]' <<<"$output"
    assert_line --index 0 '[1,"_MSG_TIMED_OUT","{\"n\":1}"]'
    assert_line --index 1 '[2,"_MSG_TIMED_OUT","{\"n\":2}"]'
    [[ $stderr == *"kprod: 2 messages not delivered (listed on the reject stream)"* ]]
}

@test "SIGTERM: stop reading, flush up to --flush-timeout, list what is left" {
    local rc
    sigterm_300 --flush-timeout 1
    assert_equal "$rc" 1
    [[ $(stats_field "$TMP/err" in) == 300 ]]
    [[ $(stats_field "$TMP/err" undelivered) == 300 ]]
    [[ $(wc -l <"$TMP/rej") == 300 ]]
    run jq -r '.error.kafka_error' "$TMP/rej"
    [[ $(sort -u <<<"$output") == _PURGE_QUEUE ]]
}

@test "a second signal stops at once" {
    local port pid rc=0 t0
    port=$(dead_port)
    mkfifo "$TMP/in"
    kprod -q -b "127.0.0.1:$port" -t t --flush-timeout 60 --stats 0 \
        <"$TMP/in" 2>"$TMP/err" &
    pid=$!
    exec 7>"$TMP/in"
    seq 1 10 | sed 's/.*/{"n":&}/' >&7
    sleep 1
    t0=$SECONDS
    kill -TERM "$pid"
    sleep 0.5
    kill -INT "$pid"
    wait "$pid" || rc=$?
    exec 7>&-
    assert_equal "$rc" 1
    ((SECONDS - t0 < 10))
    [[ $(stats_field "$TMP/err" undelivered) == 10 ]]
}

@test "no secret appears in any output, debug included" {
    local port
    port=$(dead_port)
    printf 'sekrit-in-file\n' >"$TMP/pw"
    chmod 600 "$TMP/pw"
    echo '{"a":1}' >"$TMP/in"
    KAFKA_SASL_PASSWORD=sekrit-in-env run kprod -b "127.0.0.1:$port" -t t \
        --sasl-mechanism PLAIN --sasl-user u -X security.protocol=sasl_plaintext \
        -d all -vv -X message.timeout.ms=1000 --rejects - <"$TMP/in"
    assert_failure 1
    refute_output --partial sekrit
    run kprod -b "127.0.0.1:$port" -t t --password-file "$TMP/pw" \
        --sasl-mechanism PLAIN --sasl-user u -X security.protocol=sasl_plaintext \
        -d all -X message.timeout.ms=1000 <"$TMP/in"
    assert_failure 1
    refute_output --partial sekrit
    run kprod -b x:1 -t t --password-file "$TMP/none"
    assert_failure 2
    assert_output --partial "--password-file $TMP/none: No such file or directory"
}

@test "the man page renders and states the delivery rules" {
    run bash -c "mandoc -Tutf8 '$IOTPIPE_SRC/man/kprod.1' | col -b"
    assert_success
    assert_output --partial 'DELIVERY'
    assert_output --partial 'possibly_persisted'
    assert_output --partial 'EXIT STATUS'
}

@test "a partition the topic does not have: every line a reject, undelivered, exit 1, whenever the lines come" {
    # with the lines at once they fail in delivery reports, after a pause
    # (the metadata known) when produced: both are failed deliveries
    for delay in 0 3; do
        run --separate-stderr bash -c 'sleep "$1"; printf "{\"n\":1}\n{\"n\":2}\n" |
            kprod -q "${@:3}" -t t -p 99 --rejects "$2" --stats 0' \
            _ "$delay" "$TMP/rej$delay" "${MOCK[@]}" </dev/null
        assert_equal "$status" 1
        assert_equal "$(jq -s 'length' "$TMP/rej$delay")" 2
        assert_equal "$(jq -r '.error.line' "$TMP/rej$delay" | sort | tr '\n' ' ')" "1 2 "
        assert_equal "$(jq -r '.error.kafka_error' "$TMP/rej$delay" | sort -u)" _UNKNOWN_PARTITION
        grep -q '"undelivered":2,.*"final":true' <<<"$stderr" ||
            fail "delay $delay: $stderr"
    done
}

@test "rejects reach a regular --rejects file while kprod waits for input, before any kill" {
    local pid
    mkfifo "$TMP/in"
    kprod -q -t t --rejects "$TMP/rej" --stats 0 "${MOCK[@]}" <"$TMP/in" 2>"$TMP/err" &
    pid=$!
    exec 7>"$TMP/in"
    printf '{"ok":1}\nnot json\n{"ok":2}\n[1,\n' >&7
    for _ in $(seq 50); do
        [[ $(wc -l <"$TMP/rej" 2>/dev/null) == 2 ]] && break
        sleep 0.1
    done
    kill -KILL "$pid"
    wait "$pid" || true
    exec 7>&-
    assert_equal "$(jq -r '.error.line' "$TMP/rej" | tr '\n' ' ')" "2 4 "
}

@test "SIGHUP opens --receipts and --rejects again: a rotated file gets no more lines" {
    local pid rc=0
    mkfifo "$TMP/in"
    kprod -q -t t --receipts "$TMP/rcpt" --rejects "$TMP/rej" --stats 0 "${MOCK[@]}" \
        <"$TMP/in" 2>"$TMP/err" &
    pid=$!
    exec 7>"$TMP/in"
    printf '{"n":1}\n{"n":2}\nnot json\n' >&7
    for _ in $(seq 100); do
        [[ $(wc -l <"$TMP/rcpt" 2>/dev/null) == 2 && $(wc -l <"$TMP/rej" 2>/dev/null) == 1 ]] &&
            break
        sleep 0.1
    done
    mv "$TMP/rcpt" "$TMP/rcpt.1"
    mv "$TMP/rej" "$TMP/rej.1"
    kill -HUP "$pid"
    sleep 0.5
    printf '{"n":4}\n[\n' >&7
    exec 7>&-
    wait "$pid" || rc=$?
    assert_equal "$rc" 0
    assert_equal "$(jq -r '.line' "$TMP/rcpt.1" | sort | tr '\n' ' ')" "1 2 "
    assert_equal "$(jq -r '.line' "$TMP/rcpt" | tr '\n' ' ')" "4 "
    assert_equal "$(jq -r '.error.line' "$TMP/rej.1")" 3
    assert_equal "$(jq -r '.error.line' "$TMP/rej")" 5
    # no error, and the counts of the whole run
    run grep -c '^kprod:' "$TMP/err"
    assert_output 0
    [[ $(stats_field "$TMP/err" out) == 3 && $(stats_field "$TMP/err" rejected) == 2 ]]
}

@test "a torn last line (no newline, not complete JSON) is no record: a warning, counted as torn, no reject" {
    printf '{"n":1}\n{"n":2}\n{"n":3,"s":"ab' >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t --strict --rejects "$TMP/rej" \
        --receipts "$TMP/rcpt" --stats 0 <"$TMP/in"
    assert_success
    [[ ! -s $TMP/rej ]] || fail "a torn line became a reject: $(cat "$TMP/rej")"
    [[ $stderr == *"kprod: line 3: torn last line dropped: 14 bytes, no newline, not complete JSON"* ]] ||
        fail "no torn warning: $stderr"
    [[ $(stats_field <(printf '%s\n' "$stderr") torn) == 1 ]]
    [[ $(stats_field <(printf '%s\n' "$stderr") in) == 2 ]]
    [[ $(stats_field <(printf '%s\n' "$stderr") out) == 2 ]]
    run bash -c "jq -r '.line' '$TMP/rcpt' | sort -n"
    assert_output $'1\n2'
    # complete JSON without a newline stays a record
    printf '{"n":1}\n{"n":2}' >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t --stats 0 <"$TMP/in"
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") out) == 2 ]]
    [[ $(stats_field <(printf '%s\n' "$stderr") torn) == null ]]
}

@test "--input PATH instead of stdin; --follow needs --input, a fifo" {
    printf '{"n":1}\n{"n":2}\n' >"$TMP/in"
    run --separate-stderr kprod "${MOCK[@]}" -t t --input "$TMP/in" --stats 0 </dev/null
    assert_success
    [[ $(stats_field <(printf '%s\n' "$stderr") out) == 2 ]]
    usage_fails -t t --follow
    [[ $ERR == "kprod: --follow needs one input to reopen"* ]]
    usage_fails -t t --follow --input "$TMP/in"
    assert_equal "$ERR" "kprod: --follow: $TMP/in is not a fifo"
}

@test "--follow --input on a fifo: two writers in turn, the first one's torn line dropped" {
    mkfifo "$TMP/f"
    kprod "${MOCK[@]}" -t t --input "$TMP/f" --follow --receipts "$TMP/rcpt" \
        --stats 0 2>"$TMP/err" &
    local kp=$! rc=0 i
    printf '{"n":1}\n{"n":2}\n{"n":' >"$TMP/f"
    # the next writer once kprod saw the end of this one (a writer back
    # at once would join the torn line, which would then be a reject)
    for ((i = 0; i < 100; i++)); do
        kill -USR1 "$kp"
        sleep 0.1
        [[ $(stats_field "$TMP/err" torn) == 1 ]] && break
    done
    printf '{"n":3}\n' >"$TMP/f"
    for ((i = 0; i < 100; i++)); do
        [[ -f $TMP/rcpt && $(wc -l <"$TMP/rcpt") -ge 3 ]] && break
        sleep 0.1
    done
    kill -TERM "$kp"
    wait "$kp" || rc=$?
    assert_equal "$rc" 0
    run bash -c "jq -r '.line' '$TMP/rcpt' | sort -n"
    assert_output $'1\n2\n4'
    [[ $(stats_field "$TMP/err" torn) == 1 ]]
    [[ $(stats_field "$TMP/err" in) == 3 ]]
}

@test "--raw needs -t and excludes --key-field and --timestamp-field" {
    run --separate-stderr "$IOTPIPE_BUILD/kprod" --raw </dev/null
    assert_failure 2
    [[ $stderr == *"--raw needs -t topic"* ]]
    run --separate-stderr "$IOTPIPE_BUILD/kprod" --raw -t x --key-field vin </dev/null
    assert_failure 2
    [[ $stderr == *"--raw excludes --key-field"* ]]
}
