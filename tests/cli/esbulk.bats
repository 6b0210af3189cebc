#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# esbulk without a server: options, usage errors, an unreachable server,
# secrets that never show. Tests with servers are in
# tests/integration/esbulk.bats.

load ../lib/common

bats_require_minimum_version 1.5.0

# Nothing listens on port 1 of the loopback: connections are refused at once.
DEAD=http://127.0.0.1:1

@test "esbulk --help prints the usage on stdout and exits 0" {
    run --separate-stderr esbulk --help
    assert_success
    assert_output --partial 'usage: esbulk [-hqVv]'
    [[ -z $stderr ]]
}

@test "esbulk -V prints the version" {
    run esbulk -V
    assert_success
    assert_output --regexp '^esbulk [0-9.]+ \(iotpipe\)$'
}

@test "usage errors exit 2 with the esbulk: prefix and a hint" {
    local args
    while IFS= read -r args; do
        # shellcheck disable=SC2086
        run --separate-stderr esbulk $args
        ((status == 2)) || fail "esbulk $args: exit $status"
        [[ $stderr == esbulk:* ]] || fail "esbulk $args: stderr: $stderr"
        [[ $stderr == *"Try 'esbulk --help'"* ]] || fail "esbulk $args: no hint"
    done <<'EOF'
--bogus
-x
-s 0
-s 1000001
-w 0
-w x
-i
--gzip=sometimes
--op-type update
--auth digest
-i x-%s
--id a,,b
--id vin --kafka-id
--cert c.pem
--template-name t
--template /nonexistent/template.json -i x
--template vehicles
--batch-bytes 1
--max-retry-time -1
--compat 6
-u ftp://host
-u http://host:70000
--follow
--follow - 
--input /dev/null /dev/null
--input=
--follow --input /dev/null
--auth basic
--user u:p
EOF
}

@test "basic auth without a password and apikey without a key are usage errors" {
    run --separate-stderr env -u ELASTICSEARCH_PASSWORD esbulk --user elastic -u "$DEAD"
    assert_equal "$status" 2
    [[ $stderr == *"no secret"*ELASTICSEARCH_PASSWORD* ]]
    run --separate-stderr env -u ELASTICSEARCH_API_KEY esbulk --auth apikey -u "$DEAD"
    assert_equal "$status" 2
    [[ $stderr == *ELASTICSEARCH_API_KEY* ]]
}

@test "an unreachable server: retries until --max-retry-time, then exit 1" {
    run --separate-stderr esbulk -u "$DEAD" -i x --max-retry-time 0.5 --backoff-max 0.1 </dev/null
    assert_equal "$status" 1
    [[ $stderr == *"GET /: Failed to connect to 127.0.0.1 port 1"* ]] || fail "$stderr"
    [[ $stderr == *"gave up after"* ]] || fail "$stderr"
}

@test "--acks watches an --input fifo as it watches stdin: its writer gone first, exit 1 at once" {
    local T=$BATS_TEST_TMPDIR t0 pid
    mkfifo "$T/in" "$T/acks"
    # a writer that has the input open a second, then dies without a
    # kcons ever opening the acks fifo (a kcons --output that failed)
    bash -c 'exec 3>"$1"; sleep 1' _ "$T/in" &
    pid=$!
    t0=$SECONDS
    run --separate-stderr timeout 30 esbulk -u "$DEAD" -i x --acks "$T/acks" \
        --input "$T/in"
    assert_equal "$status" 1
    [[ $stderr == *"esbulk: --acks $T/acks: kcons never opened it: the input ended first"* ]] ||
        fail "$stderr"
    # not the --acks-timeout (60 s)
    (( SECONDS - t0 < 10 ))
    wait "$pid"
    # the fifo as the only operand, likewise
    bash -c 'exec 3>"$1"; sleep 1' _ "$T/in" &
    pid=$!
    run --separate-stderr timeout 30 esbulk -u "$DEAD" -i x --acks "$T/acks" "$T/in"
    assert_equal "$status" 1
    [[ $stderr == *"kcons never opened it: the input ended first"* ]] || fail "$stderr"
    wait "$pid"
    # a regular file never ends that way: bounded by --acks-timeout
    : >"$T/file"
    run --separate-stderr timeout 30 esbulk -u "$DEAD" -i x --acks "$T/acks" \
        --acks-timeout 1 --input "$T/file"
    assert_equal "$status" 1
    [[ $stderr == *"kcons never opened it: waited 1 s (--acks-timeout)"* ]] || fail "$stderr"
}

@test "--max-retry-time is the bound it says: no wait runs past it" {
    local t0 t1
    # the default --backoff-max (30 s) draws waits far beyond 3 s
    t0=$EPOCHREALTIME
    run --separate-stderr esbulk -u "$DEAD" -i x --max-retry-time 3 </dev/null
    t1=$EPOCHREALTIME
    assert_equal "$status" 1
    [[ $stderr == *"gave up after"* ]] || fail "$stderr"
    # a refused connection fails at once: the last try is at 3 s
    awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 2.9 && b - a < 4) }' ||
        fail "gave up after $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
}

@test "SIGINT while retrying the first connection: exit 1 with a message" {
    local err=$BATS_TEST_TMPDIR/err pid i
    esbulk -u "$DEAD" -i x --max-retry-time 60 </dev/null 2>"$err" &
    pid=$!
    for ((i = 0; i < 100; i++)); do
        grep -q 'retry in' "$err" && break
        sleep 0.05
    done
    grep -q 'retry in' "$err" || fail "no retry: $(cat "$err")"
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    assert_equal "$status" 1
    grep -q 'GET /: .*stopped by a signal while retrying; no document was sent' "$err" ||
        fail "$(cat "$err")"
}

@test "secrets never show: not in URLs, errors or -vv output" {
    local pwfile=$BATS_TEST_TMPDIR/pw
    printf 's3cr3t-file\n' >"$pwfile"
    chmod 600 "$pwfile"
    run --separate-stderr esbulk -vv -u "http://elastic:s3cr3t-url@127.0.0.1:1" \
        -i x --max-retry-time 0.2 --backoff-max 0.1 </dev/null
    assert_equal "$status" 1
    [[ $stderr != *s3cr3t* ]] || fail "password printed: $stderr"
    [[ $stderr == *"password in the URL"* ]]
    run --separate-stderr env ELASTICSEARCH_API_KEY=s3cr3t-key \
        esbulk -vv -u "$DEAD" -i x --max-retry-time 0.2 --backoff-max 0.1 </dev/null
    assert_equal "$status" 1
    [[ $stderr != *s3cr3t* ]] || fail "API key printed: $stderr"
    run --separate-stderr env ELASTICSEARCH_PASSWORD=s3cr3t-env \
        esbulk -vv --user elastic --password-file "$pwfile" -u "$DEAD" \
        --max-retry-time 0.2 --backoff-max 0.1 </dev/null
    assert_equal "$status" 1
    [[ $stderr != *s3cr3t* ]] || fail "password printed: $stderr"
    # a bad URL is echoed with its password hidden
    run --separate-stderr esbulk -u "http://elastic:s3cr3t-bad@host:99999"
    assert_equal "$status" 2
    [[ $stderr != *s3cr3t* ]] || fail "password printed: $stderr"
    [[ $stderr == *'elastic:***@host'* ]] || fail "$stderr"
}

@test "the man page renders and names every exit status" {
    run bash -c "mandoc -Tutf8 '$IOTPIPE_SRC/man/esbulk.1' | col -b"
    assert_success
    assert_output --partial 'EXIT STATUS'
    assert_output --partial 'ELASTICSEARCH_API_KEY'
    assert_output --partial 'Retries and rejects'
}
