#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# vnorm from the outside: usage and exit status, the sample goldens, the
# reasons and warnings of vnorm(1) "Rejects and warnings", one test per edge
# case (goldens in golden/vnorm/NN-name.{in,out,rejects}
# .ndjson), hostile input, and streams and signals.
#
# Reject goldens hold the reason without its ": detail" suffix (tests
# compare the reason text before it); everything else is compared byte for
# byte.

# stderr and stderr_lines come from bats' run; shellcheck takes each @test
# for a subshell, which is what the BG_PIDS notes are about.
# shellcheck disable=SC2154,SC2030,SC2031

load ../lib/common

bats_require_minimum_version 1.5.0

GOLDEN="$IOTPIPE_SRC/tests/cli/golden/vnorm"
RAW="$IOTPIPE_DATA/raw-vehicle-sample.ndjson"
NORM="$IOTPIPE_DATA/expected-normalized-sample.ndjson"
MERGED="$IOTPIPE_DATA/expected-merged-sample.ndjson"

V1=UX6FZSBYHWGKO925M
T1=ba06f103-735e-41b3-a70b-a8eb2af62099

setup() {
    T="$BATS_TEST_TMPDIR"
    BG_PIDS=()
}

teardown() {
    local pid live
    # the processes this test started and has not reaped (so their ids
    # cannot have been reused), by their id
    live=" $(jobs -p | tr '\n' ' ') "
    for pid in "${BG_PIDS[@]}"; do
        if [[ $live == *" $pid "* ]]; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}

# ---------------------------------------------------------------- helpers

# The reject lines on stdin with each reason cut before ": detail".
strip_detail() {
    sed -E 's/("reason":"[^"\\:]*): [^"\\]*"/\1"/'
}

# golden NAME [vnorm options...]: run vnorm on golden/vnorm/NAME.in.ndjson
# and compare stdout with NAME.out.ndjson and the rejects with
# NAME.rejects.ndjson; check in = out + rejected (+ merged).  Leaves
# $T/NAME.out, $T/NAME.rej and $T/NAME.err (-v warnings and stats).
golden() {
    local name=$1 rc=0
    shift
    vnorm "$@" -v --stats 0 --rejects "$T/$name.rej" \
        "$GOLDEN/$name.in.ndjson" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    if ((rc != 0)); then
        cat "$T/$name.err" >&2
        fail "vnorm exited $rc on $name"
    fi
    diff -u "$GOLDEN/$name.out.ndjson" "$T/$name.out"
    strip_detail <"$T/$name.rej" | diff -u "$GOLDEN/$name.rejects.ndjson" -
    check_counts "$T/$name.err" "$T/$name.out" "$T/$name.rej"
}

# check_counts ERR OUT [REJ]: the final stats line of ERR says
# in = out + rejected (+ merged), and out/rejected match the line counts.
check_counts() {
    local in out rej merged
    grep -q '"final":true' "$1" || fail "no final stats line in $1"
    in=$(stats_field "$1" in)
    out=$(stats_field "$1" out)
    rej=$(stats_field "$1" rejected)
    merged=$(stats_field "$1" 'merged // 0')
    ((in == out + rej + merged)) ||
        fail "in $in != out $out + rejected $rej + merged $merged"
    (($(wc -l <"$2") == out)) || fail "stats say out $out, $2 has $(wc -l <"$2")"
    if [[ -n ${3-} ]]; then
        (($(wc -l <"$3") == rej)) ||
            fail "stats say rejected $rej, $3 has $(wc -l <"$3")"
    fi
}

# The reasons of the reject lines in file $1, one per line, details cut.
reasons() {
    strip_detail <"$1" | jq -r '.error.reason'
}

# never CMD...: CMD must fail (a bare "! CMD" does not fail a bats test).
never() {
    if "$@"; then
        fail "unexpectedly succeeded: $*"
    fi
}

lines_are() { # FILE N
    [[ -f $1 ]] && (($(wc -l <"$1") == $2))
}

# in_is PID ERR N: ask PID for a stats line (SIGUSR1) and see if its
# latest one on ERR says "in":N.
in_is() {
    kill -USR1 "$1" 2>/dev/null || return 1
    sleep 0.05
    [[ $(stats_field "$2" in) == "$3" ]]
}

# one raw telemetry line of vehicle 1 with the given name and value
sig() {
    printf '{"timestamp":"2019-06-15 11:39:17.632000000","trip_id":"%s","vin":"%s","name":"%s","value":%s}\n' \
        "$T1" "$V1" "$1" "$2"
}

# a big input (about 8 MiB) for EPIPE tests
make_big() {
    local i files=()
    for ((i = 0; i < 400; i++)); do
        files+=("$RAW")
    done
    cat "${files[@]}" >"$T/big.ndjson"
}

# ------------------------------------------------------- usage and options

@test "--help prints the usage to stdout and exits 0" {
    run --separate-stderr vnorm --help
    assert_success
    assert_equal "$stderr" ""
    assert_line --index 0 --regexp '^usage: vnorm \[-hqVv\] '
    local opt
    for opt in --drop-unknown --es-id --follow --progress --strict \
        --vin-from-topic '--max-line bytes' '--merge[=ms]' '--rejects path' \
        '--stats seconds' 'file ...'; do
        assert_output --partial "$opt"
    done
    local help=$output
    run --separate-stderr vnorm -h
    assert_success
    assert_equal "$output" "$help"
}

@test "--version and -V print the version to stdout and exit 0" {
    run --separate-stderr vnorm --version
    assert_success
    assert_output --regexp '^vnorm [0-9]+\.[0-9]+\.[0-9]+.* \(iotpipe\)$'
    assert_equal "$stderr" ""
    local v=$output
    run --separate-stderr vnorm -V
    assert_success
    assert_equal "$output" "$v"
}

@test "an unknown long option exits 2 with the vnorm: prefix and the --help hint" {
    run --separate-stderr vnorm --bogus </dev/null
    assert_failure 2
    assert_equal "$output" ""
    assert_equal "${#stderr_lines[@]}" 2
    [[ ${stderr_lines[0]} == "vnorm: "*--bogus* ]]
    assert_equal "${stderr_lines[1]}" "Try 'vnorm --help' for more information."
}

@test "an unknown short option exits 2 with the vnorm: prefix and the --help hint" {
    run --separate-stderr vnorm -x </dev/null
    assert_failure 2
    assert_equal "$output" ""
    [[ ${stderr_lines[0]} == "vnorm: "*-x* ]]
    assert_equal "${stderr_lines[1]}" "Try 'vnorm --help' for more information."
}

@test "an option without its argument exits 2" {
    run --separate-stderr vnorm --rejects </dev/null
    assert_failure 2
    [[ ${stderr_lines[0]} == "vnorm: "*--rejects* ]]
    assert_equal "${stderr_lines[1]}" "Try 'vnorm --help' for more information."
}

@test "a bad --merge window exits 2" {
    local bad
    for bad in abc 0 -5 1.5 86400001 99999999999999999999999; do
        run --separate-stderr vnorm "--merge=$bad" </dev/null
        assert_failure 2
        assert_equal "$output" ""
        [[ ${stderr_lines[0]} == "vnorm: --merge"* ]]
        assert_equal "${stderr_lines[1]}" "Try 'vnorm --help' for more information."
    done
}

@test "a bad --max-line exits 2" {
    local bad
    for bad in abc '' 1 15 -1 2G 1X 12kb; do
        run --separate-stderr vnorm --max-line "$bad" </dev/null
        assert_failure 2
        assert_equal "$output" ""
        [[ ${stderr_lines[0]} == "vnorm: --max-line"* ]]
        assert_equal "${stderr_lines[1]}" "Try 'vnorm --help' for more information."
    done
}

@test "a bad --stats interval exits 2" {
    run --separate-stderr vnorm --stats soon </dev/null
    assert_failure 2
    [[ ${stderr_lines[0]} == "vnorm: --stats"* ]]
}

@test "--follow without a file operand exits 2" {
    run --separate-stderr vnorm --follow </dev/null
    assert_failure 2
    assert_equal "$output" ""
    [[ ${stderr_lines[0]} == "vnorm: "*--follow* ]]
    assert_equal "${stderr_lines[1]}" "Try 'vnorm --help' for more information."
    run --separate-stderr vnorm --follow - </dev/null
    assert_failure 2
}

# ------------------------------------------------------------------ goldens

@test "golden: the raw sample gives expected-normalized-sample byte for byte" {
    vnorm --stats 0 "$RAW" >"$T/out" 2>"$T/err"
    cmp "$NORM" "$T/out"
    assert_equal "$(stats_field "$T/err" in)" 127
    assert_equal "$(stats_field "$T/err" out)" 127
    assert_equal "$(stats_field "$T/err" rejected)" 0
    assert_equal "$(stats_field "$T/err" warnings)" 0
    # from stdin too
    vnorm <"$RAW" >"$T/out2"
    cmp "$NORM" "$T/out2"
}

@test "golden: the raw sample with --merge gives expected-merged-sample byte for byte" {
    vnorm --merge --stats 0 "$RAW" >"$T/out" 2>"$T/err"
    cmp "$MERGED" "$T/out"
    assert_equal "$(stats_field "$T/err" in)" 127
    assert_equal "$(stats_field "$T/err" out)" 15
    assert_equal "$(stats_field "$T/err" rejected)" 0
    assert_equal "$(stats_field "$T/err" merged)" 112
    vnorm --merge=1000 <"$RAW" >"$T/out2"
    cmp "$MERGED" "$T/out2"
}

@test "golden files: every input has its out and rejects golden" {
    local in n=0
    for in in "$GOLDEN"/*.in.ndjson; do
        [[ -f ${in%.in.ndjson}.out.ndjson ]] || fail "no out golden for $in"
        [[ -f ${in%.in.ndjson}.rejects.ndjson ]] || fail "no rejects golden for $in"
        n=$((n + 1))
    done
    ((n >= 27))
}

# --------------------------------------------------------------- properties

@test "property: determinism, the same input gives the same bytes" {
    cat "$RAW" "$GOLDEN"/*.in.ndjson >"$T/all"
    vnorm --rejects "$T/rej1" "$T/all" >"$T/out1"
    vnorm --rejects "$T/rej2" "$T/all" >"$T/out2"
    cmp "$T/out1" "$T/out2"
    cmp "$T/rej1" "$T/rej2"
    vnorm --merge --rejects "$T/mrej1" "$T/all" >"$T/mout1"
    vnorm --merge --rejects "$T/mrej2" "$T/all" >"$T/mout2"
    cmp "$T/mout1" "$T/mout2"
    cmp "$T/mrej1" "$T/mrej2"
    # and through a pipe, where reads return pieces of lines
    # shellcheck disable=SC2002
    cat "$T/all" | vnorm --rejects "$T/rej3" >"$T/out3"
    cmp "$T/out1" "$T/out3"
    cmp "$T/rej1" "$T/rej3"
}

@test "property: idempotency, vnorm | vnorm = vnorm" {
    vnorm "$RAW" | vnorm --stats 0 >"$T/twice" 2>"$T/err"
    cmp "$NORM" "$T/twice"
    assert_equal "$(stats_field "$T/err" rejected)" 0
    # every golden output, read again, is unchanged
    local out
    for out in "$GOLDEN"/*.out.ndjson; do
        vnorm --rejects "$T/rej" "$out" >"$T/again"
        diff -u "$out" "$T/again"
        [[ ! -s $T/rej ]] || fail "re-reading $out rejected: $(cat "$T/rej")"
    done
}

@test "property: idempotency of --merge output" {
    vnorm --merge "$RAW" | vnorm >"$T/a"
    cmp "$MERGED" "$T/a"
    vnorm --merge "$RAW" | vnorm --merge >"$T/b"
    cmp "$MERGED" "$T/b"
    # 1:1 output merged gives what merging the raw input gives
    vnorm "$RAW" | vnorm --merge >"$T/c"
    cmp "$MERGED" "$T/c"
}

# A sample with bad lines around and between good ones.
make_mixed() {
    {
        echo 'not json'
        sed -n 1,20p "$RAW"
        echo '{"vin":"X"}'
        echo '[1,2,3]'
        sed -n 21,60p "$RAW"
        printf '{"vin":"X","timestamp":0,"name":"vehicle_speed","value":"NaN"}\n'
        printf '\xff\xfe\n'
        sed -n 61,127p "$RAW"
        echo '{"unterminated":'
    } >"$T/mixed"
}

@test "property: in = out + rejected from the final stats line (1:1)" {
    make_mixed
    vnorm --stats 0 --rejects "$T/rej" "$T/mixed" >"$T/out" 2>"$T/err"
    check_counts "$T/err" "$T/out" "$T/rej"
    assert_equal "$(stats_field "$T/err" in)" 133
    assert_equal "$(stats_field "$T/err" out)" 127
    assert_equal "$(stats_field "$T/err" rejected)" 6
    assert_equal "$(stats_field "$T/err" final)" true
    run jq -r '.merged // "absent"' < <(grep '"final":true' "$T/err")
    assert_output absent
}

@test "property: in = out + rejected + merged with --merge" {
    make_mixed
    vnorm --merge --stats 0 --rejects "$T/rej" "$T/mixed" >"$T/out" 2>"$T/err"
    check_counts "$T/err" "$T/out" "$T/rej"
    assert_equal "$(stats_field "$T/err" in)" 133
    assert_equal "$(stats_field "$T/err" out)" 15
    assert_equal "$(stats_field "$T/err" rejected)" 6
    assert_equal "$(stats_field "$T/err" merged)" 112
    cmp "$MERGED" "$T/out"
}

@test "property: a reject never stops the stream" {
    # a bad line before, between and after every good one
    local line i=0
    while IFS= read -r line; do
        case $((i++ % 4)) in
        0) echo '{"broken":' ;;
        1) echo '{"vin":"X","timestamp":0}' ;;
        2) printf '\xc0\x80\n' ;;
        3) echo 'null' ;;
        esac
        printf '%s\n' "$line"
    done <"$RAW" >"$T/in"
    echo 'trailing garbage' >>"$T/in"
    vnorm --stats 0 --rejects "$T/rej" "$T/in" >"$T/out" 2>"$T/err"
    cmp "$NORM" "$T/out"
    assert_equal "$(wc -l <"$T/rej")" 128
    assert_equal "$(stats_field "$T/err" rejected)" 128
    # each reject names its line
    run jq -r '.error.line' "$T/rej"
    assert_line --index 0 1
    assert_line --index 1 3
    assert_line --index 127 255
}

# ------------------------------------------------------------------ edge cases

@test "edge 1: 17 messages per tick, each with its own timestamp; location published last, stamped first" {
    golden 01-tick
    # 1:1 is the expected sample, lines 36-52
    sed -n 36,52p "$NORM" | cmp - "$T/01-tick.out"
    # each document keeps its own timestamp
    run jq -r .timestamp "$T/01-tick.out"
    assert_line --index 16 '2019-06-15T11:39:31.639Z'
    # merged: one snapshot, stamped with the earliest member (the location)
    vnorm --merge "$GOLDEN/01-tick.in.ndjson" >"$T/m"
    assert_equal "$(wc -l <"$T/m")" 1
    sed -n 6p "$MERGED" | cmp - "$T/m"
}

@test "edge 2: unordered and lost messages (swapped brake/oil_temp, one message missing)" {
    golden 02-unordered-lost
    sed -n '53,57p;59,69p' "$NORM" | cmp - "$T/02-unordered-lost.out"
    # merging does not care about the order, and misses only the lost field
    vnorm --merge "$GOLDEN/02-unordered-lost.in.ndjson" >"$T/m"
    assert_equal "$(wc -l <"$T/m")" 1
    run jq -c '[.kind, .brake, .oil_temp, has("accelerator_pedal_position"), .timestamp]' "$T/m"
    assert_output '["snapshot",0,187.3,false,"2019-06-15T11:39:32.900Z"]'
}

@test "edge 3: value is a number, a boolean or a string depending on name" {
    golden 03-value-types
    run reasons "$T/03-value-types.rej"
    assert_output $'bad value\nbad value\nbad value'
    run grep -c '"vehicle_speed":22.93}$' "$T/03-value-types.out"
    assert_output 1
}

@test "edge 4: \"value\": null is a reject \"null value\", a null lenient field is dropped" {
    golden 04-null-value
    run reasons "$T/04-null-value.rej"
    assert_output $'null value\nnull value\nmissing value'
    grep -q 'line 5: dropped field vehicle_speed_mean: null' "$T/04-null-value.err"
    assert_equal "$(stats_field "$T/04-null-value.err" warnings)" 1
}

@test "edge 5: 17-digit trip doubles and 6-decimal coordinates keep their text" {
    golden 05-trip-precision
    sed -n 17,18p "$NORM" | cmp - "$T/05-trip-precision.out"
    grep -q '"vehicle_speed_mean":11.467249572956383,' "$T/05-trip-precision.out"
    grep -q '"location":{"lat":38.956084,"lon":-77.39671}' "$T/05-trip-precision.out"
    grep -q '"location":{"lat":38.95608,"lon":-77.39671}' "$T/05-trip-precision.out"
}

@test "edge 6: two timestamp formats in one message; durations in milliseconds" {
    golden 06-time-formats
    sed -n 123p "$NORM" | cmp - <(sed -n 1p "$T/06-time-formats.out")
    run jq -r '[.start_time, .end_time, .idle_duration] | @tsv' "$T/06-time-formats.out"
    assert_line --index 0 $'2019-06-15T11:36:02.818Z\t2019-06-15T11:39:35.140Z\t29691'
    grep -q '"idle_duration":49404.000000}$' "$T/06-time-formats.out"
    grep -q 'line 3: dropped field start_time: bad timestamp' "$T/06-time-formats.err"
}

@test "edge 7: end_time and geojson only in the final trip message; ignition off only there" {
    golden 07-final-trip
    run jq -c '[.kind, .ignition_status, has("end_time"), (.extra.geojson != null)]' "$T/07-final-trip.out"
    assert_output $'["trip","run",false,false]\n["trip","off",true,true]\n["trip","run",false,false]'
}

@test "edge 8: odometer and fuel restart, the trip id changes, the VIN does not" {
    golden 08-restart
    # merged: the new trip_id starts a new snapshot although within the window
    vnorm --merge "$GOLDEN/08-restart.in.ndjson" >"$T/m"
    run grep -o '"trip_id":"[^"]*".*' "$T/m"
    assert_output - <<'EOF'
"trip_id":"ad5ea460-bc60-47ba-9c1e-980d9b8a7945","kind":"snapshot","odometer":3.042,"fuel_level":99.85}
"trip_id":"0d6bd6a4-6ab5-4b0e-9d0a-1a2b3c4d5e6f","kind":"snapshot","odometer":0.0,"fuel_level":100}
EOF
}

@test "edge 9: location jumps between vertices and repeats while stopped" {
    golden 09-location-jumps
    run jq -c .location "$T/09-location-jumps.out"
    assert_output $'{"lat":38.91871,"lon":-77.22728}\n{"lat":38.91871,"lon":-77.22728}\n{"lat":38.91871,"lon":-77.22728}\n{"lat":38.79,"lon":-76.927}'
}

@test "edge 10: VINs with I/O/Q and no check digit pass; only 1-64 bytes without control characters" {
    golden 10-vin
    run jq -r .vin "$T/10-vin.out"
    assert_line --index 0 BSTZ9IEK39HHYZB6I
    assert_line --index 3 x
    assert_line --index 4 UX6FZSBYHWGKO925M
    run reasons "$T/10-vin.rej"
    assert_output $'invalid vin\ninvalid vin\ninvalid vin\ninvalid vin\ninvalid vin\nmissing vin'
}

@test "edge 11: no route id from the simulator; route/routeId become a route_id string" {
    golden 11-route-id
    run jq -r '.route_id // "none"' "$T/11-route-id.out"
    assert_output $'none\nroute-e\n7\nnone'
    never grep -q route_id "$NORM"
    grep -q 'dropped field route_id: empty' "$T/11-route-id.err"
}

@test "edge 12: DTC codes of every family and hex codes without a letter" {
    golden 12-dtc
    run jq -r .dtc "$T/12-dtc.out"
    assert_output $'P0171\nP1690\nB1001\nB2AAA\nC1234\nC2100\nU1000\nU2021\n0171\nP0300'
    run reasons "$T/12-dtc.rej"
    assert_output $'bad dtc\nbad dtc\nbad dtc\nnull value\nno telemetry fields'
}

@test "edge 13: v3 snapshots: camelCase, VIN, nested location, _id_, nanoid trip ids" {
    golden 13-v3-snapshot
    sed -n 124,127p "$NORM" | cmp - <(head -n 4 "$T/13-v3-snapshot.out")
    sed -n 5p "$T/13-v3-snapshot.out" |
        grep -qx '{"timestamp":"2023-09-14T08:12:43.117Z","vin":"YVOKYS9RYAPB2JJUK","trip_id":"-_aZ09-_bY18-_cX27-_d","device_id":"Xk2Qa90","kind":"snapshot","vehicle_speed":75,"accelerator_pedal_position":31,"location":{"lat":38.9583,"lon":-77.45179}}'
}

@test "edge 14: generic devices: epoch ms as a string, local time without zone, +77 longitude kept" {
    golden 14-generic-device
    run jq -c '[.timestamp, .location]' "$T/14-generic-device.out"
    assert_output $'["2019-06-15T11:39:31.639Z",{"lat":38.9072,"lon":77.0369}]\n["2019-06-15T11:39:31.000Z",{"lat":38.9072,"lon":-77.0369}]'
}

@test "edge 15: an OpenXC trace without VIN, with a metadata line and CRLF, is rejected \"missing vin\"" {
    golden 15-openxc
    run reasons "$T/15-openxc.rej"
    assert_output $'missing vin\nmissing vin\nmissing vin\nmissing vin'
    # with a VIN from the MQTT topic it normalizes; the metadata line has no
    # timestamp, the unknown signal door_status goes to extra
    golden 15-openxc-topic --vin-from-topic
    run reasons "$T/15-openxc-topic.rej"
    assert_output 'missing timestamp'
    run jq -c 'del(."@metadata")' "$T/15-openxc-topic.out"
    assert_line --index 0 '{"timestamp":"2013-11-22T15:15:51.285Z","vin":"OPENXC00000000001","kind":"telemetry","steering_wheel_angle":45}'
    assert_line --index 1 '{"timestamp":"2013-11-22T15:15:51.285Z","vin":"OPENXC00000000001","kind":"telemetry","latitude":42.292834}'
    assert_line --index 2 '{"timestamp":"2013-11-22T15:15:51.301Z","vin":"OPENXC00000000001","kind":"telemetry","extra":{"event":true,"door_status":"driver"}}'
}

@test "edge 16: FreeRTOS: a multi-line CRLF payload is rejected line by line; compacted ones normalize" {
    golden 16-freertos
    run reasons "$T/16-freertos.rej"
    assert_output $'invalid JSON\ninvalid JSON\ninvalid JSON\ninvalid JSON\ninvalid JSON\ninvalid JSON\ninvalid JSON\nbad value'
    run jq -r .error.line "$T/16-freertos.rej"
    assert_output $'1\n2\n3\n4\n5\n6\n7\n13'
    grep -q '"odometer":49404.000000}$' "$T/16-freertos.out"
    grep -q '"brake_pedal_status":false}$' "$T/16-freertos.out"
    grep -q '"kind":"snapshot","ignition_status":"run"}$' "$T/16-freertos.out"
    grep -q 'dropped field trip_id: empty' "$T/16-freertos.err"
}

@test "edge 17: the thesis document: spaces in keys, misspelt key, gear 5, \"false\", 6-digit fraction" {
    golden 17-thesis
    run cat "$T/17-thesis.out"
    assert_output '{"timestamp":"2019-06-15T11:39:31.639Z","vin":"BSTZ9IEK39HHYZB6I","kind":"snapshot","vehicle_speed":118.4,"engine_speed":3232.5,"torque_at_transmission":259.6,"accelerator_pedal_position":41,"brake":0,"parking_brake_status":false,"steering_wheel_angle":0,"acceleration":0.5,"transmission_gear_position":"fifth","transmission_gear":5,"ignition_status":"run","odometer":42254,"fuel_level":76.8,"fuel_consumed_since_restart":0.453435,"oil_temp":80.3,"location":{"lat":38.95618,"lon":-77.39835}}'
    assert_equal "$(stats_field "$T/17-thesis.err" warnings)" 0
}

@test "edge 18: numbers as strings, with spaces, or invalid (NaN, 1,5, 0x1A)" {
    golden 18-numeric-strings
    run jq -c '.vehicle_speed' "$T/18-numeric-strings.out"
    assert_output $'118.4\n118.4\n-35\n118.4'
    grep -q '"vehicle_speed":-3.5e1}$' "$T/18-numeric-strings.out"
    run reasons "$T/18-numeric-strings.rej"
    assert_output "$(printf 'bad value\n%.0s' {1..9} | head -c -1)"
    grep -q 'line 13: dropped field engine_speed: not a number' "$T/18-numeric-strings.err"
}

@test "edge 19: location variants, swapped, out of range, (0,0), a lone coordinate" {
    golden 19-location-variants
    run jq -c .location "$T/19-location-variants.out"
    assert_line --index 0 '{"lat":38.95618,"lon":-77.39835}'
    assert_line --index 8 '{"lat":38.95618,"lon":-77.39835}'
    # swapped but in range: not detected, not guessed at
    assert_line --index 9 '{"lat":-77.39835,"lon":38.95618}'
    run reasons "$T/19-location-variants.rej"
    assert_output $'latitude out of range\nno GPS fix\nno GPS fix\nbad location\nbad location\nbad location\nbad location\nbad location\nnull value'
    # a lone latitude stays a plain number; --merge pairs it (edge 15/19)
    grep -q '"kind":"snapshot","vehicle_speed":81.57,"latitude":38.95618}$' "$T/19-location-variants.out"
    grep -q 'line 23: dropped field location: no GPS fix' "$T/19-location-variants.err"
    { sig vehicle_speed 1; printf '{"timestamp":"2019-06-15 11:39:17.633000000","trip_id":"%s","vin":"%s","name":"latitude","value":38.9}\n{"timestamp":"2019-06-15 11:39:17.634000000","trip_id":"%s","vin":"%s","name":"longitude","value":-77.3}\n' "$T1" "$V1" "$T1" "$V1"; } |
        vnorm --merge >"$T/m"
    run jq -c '[.location, has("latitude"), has("longitude")]' "$T/m"
    assert_output '[{"lat":38.9,"lon":-77.3},false,false]'
}

@test "edge 19: a longitude out of range is \"longitude out of range\"" {
    printf '{"timestamp":0,"vin":"X","name":"location","latitude":38.9,"longitude":-180.5}\n' |
        vnorm --rejects "$T/rej" >"$T/out"
    run reasons "$T/rej"
    assert_output 'longitude out of range'
    [[ ! -s $T/out ]]
}

@test "edge 20: epoch seconds/ms/us/ns as numbers or strings, read from the decimal text" {
    golden 20-epoch
    run jq -r .timestamp "$T/20-epoch.out"
    local i expect=(2019-06-15T11:39:31.000Z)
    for ((i = 0; i < 9; i++)); do
        expect+=(2019-06-15T11:39:31.639Z)
    done
    expect+=(2013-11-22T15:15:51.285Z 2019-06-15T11:39:31.639Z
        2019-06-15T11:39:31.639Z 1970-01-01T00:00:00.001Z
        1973-03-03T09:46:40.000Z 2019-06-15T11:39:31.000Z)
    assert_output "$(printf '%s\n' "${expect[@]}")"
    run reasons "$T/20-epoch.rej"
    assert_output $'timestamp out of range\ntimestamp out of range\ntimestamp out of range\ntimestamp out of range'
}

@test "edge 21: zones, comma decimals, impossible dates, leap second, years outside 1970-2099" {
    golden 21-time-strings
    run jq -r .timestamp "$T/21-time-strings.out"
    assert_line --index 1 2019-06-15T11:39:31.639Z  # +02:00
    assert_line --index 2 2019-06-15T11:39:31.639Z  # -0400
    assert_line --index 5 2019-06-15T11:39:31.639Z  # t, comma, z
    assert_line --index 7 2019-06-15T23:59:59.999Z  # truncated, not rounded
    run jq -r '"\(.error.line) \(.error.reason)"' "$T/21-time-strings.rej"
    assert_line '10 bad timestamp'             # 2019-02-29
    assert_line '15 bad timestamp'             # 23:59:60
    assert_line '18 timestamp out of range'    # 1969
    assert_line '22 timestamp out of range'    # 2100
    assert_line '25 bad timestamp'             # date only
    assert_line '28 missing timestamp'         # null
    assert_line '29 missing timestamp'         # absent
}

@test "edge 22: NaN/Infinity tokens are invalid JSON, 1e400 is a bad value, -0 and 2^53+1 keep their text" {
    golden 22-number-tokens
    run reasons "$T/22-number-tokens.rej"
    assert_output $'invalid JSON\ninvalid JSON\ninvalid JSON\nbad value\nbad value'
    run grep -o '"vehicle_speed":[^,}]*' "$T/22-number-tokens.out"
    assert_output $'"vehicle_speed":-0\n"vehicle_speed":-0.0\n"vehicle_speed":9007199254740993\n"vehicle_speed":123456789012345678901234567890\n"vehicle_speed":80.3\n"vehicle_speed":0.1\n"vehicle_speed":1.184e2\n"vehicle_speed":1'
    grep -q '"extra":{"sensor_raw":1e400,"counter":123456789012345678901234567890}}$' "$T/22-number-tokens.out"
}

@test "edge 23: duplicate keys and alias collisions: last wins, warnings with -v, counted" {
    golden 23-duplicates
    run jq -c '[.vin, .timestamp, .vehicle_speed, .extra]' "$T/23-duplicates.out"
    assert_line --index 0 '["UX6FZSBYHWGKO925M","2019-06-15T11:39:17.632Z",2,null]'
    assert_line --index 1 '["UX6FZSBYHWGKO925M","2019-06-15T11:39:17.632Z",3,null]'
    assert_line --index 2 '["UX6FZSBYHWGKO925M","2019-06-15T11:39:17.632Z",1,{"foo":3,"bar":2}]'
    assert_line --index 3 '["UX6FZSBYHWGKO925M","2019-06-15T11:39:17.632Z",1,null]'
    assert_line --index 4 '["UX6FZSBYHWGKO925M","2019-06-15T11:39:18.000Z",1,null]'
    assert_line --index 5 '["UX6FZSBYHWGKO925M","2019-06-15T11:39:17.632Z",3,null]'
    run grep -v '^{' "$T/23-duplicates.err"
    assert_output - <<'EOF'
vnorm: line 1: duplicate key speed
vnorm: line 2: key collision vehicle_speed
vnorm: line 2: key collision vehicle_speed
vnorm: line 3: duplicate key foo
vnorm: line 4: key collision vin
vnorm: line 5: key collision timestamp
vnorm: line 6: key collision vehicle_speed
EOF
    assert_equal "$(stats_field "$T/23-duplicates.err" warnings)" 7
    # without -v they are counted but not printed
    vnorm --stats 0 "$GOLDEN/23-duplicates.in.ndjson" >/dev/null 2>"$T/err"
    assert_equal "$(grep -vc '^{' "$T/err")" 0
    assert_equal "$(stats_field "$T/err" warnings)" 7
}

@test "edge 24: long lines are rejected with their size and the stream resynchronises" {
    golden 24-long-lines --max-line 64
    run jq -c '[.error.line, .error.reason, .error.bytes, .error.truncated]' "$T/24-long-lines.rej"
    assert_output $'[2,"line too long",144,null]\n[6,"line too long",65,null]'
    # exactly max-line bytes pass, with or without a CR before the LF
    run jq -c .vehicle_speed "$T/24-long-lines.out"
    assert_output $'1\n3\n4\n5\n7'
}

@test "edge 24: nesting of 64 levels passes, 65 is \"nesting too deep\"" {
    local open63 close63
    open63=$(printf '%*s' 63 '' | tr ' ' '[')
    close63=$(printf '%*s' 63 '' | tr ' ' ']')
    {
        printf '{"vin":"X","timestamp":0,"speed":1,"deep":%s%s}\n' "$open63" "$close63"
        printf '{"vin":"X","timestamp":0,"speed":2,"deep":%s[]%s}\n' "$open63" "$close63"
        printf '{"vin":"X","timestamp":0,"speed":3,"deep":%s}\n' \
            "$(printf '{"a":%.0s' {1..63})1$(printf '}%.0s' {1..63})"
        printf '{"vin":"X","timestamp":0,"speed":4,"deep":%s}\n' \
            "$(printf '{"a":%.0s' {1..64})1$(printf '}%.0s' {1..64})"
    } >"$T/in"
    vnorm --rejects "$T/rej" "$T/in" >"$T/out"
    run jq -c .vehicle_speed "$T/out"
    assert_output $'1\n3'
    grep -qF "\"extra\":{\"deep\":$open63$close63}}" "$T/out"
    run reasons "$T/rej"
    assert_output $'nesting too deep\nnesting too deep'
}

@test "edge 25: invalid UTF-8, overlong forms, lone surrogates, \\u0000, BOM, raw control characters" {
    golden 25-encoding
    run jq -r '"\(.error.line) \(.error.reason)"' < <(strip_detail <"$T/25-encoding.rej")
    assert_output - <<'EOF'
2 invalid UTF-8
3 invalid UTF-8
4 invalid UTF-8
5 invalid UTF-8
6 invalid UTF-8
7 invalid UTF-8
8 invalid JSON
9 invalid JSON
10 invalid JSON
13 invalid vin
14 bad timestamp
16 invalid JSON
17 invalid JSON
18 invalid JSON
EOF
    # the lone surrogate has its own detail
    run jq -r 'select(.error.line <= 10 and .error.line >= 8) | .error.reason' "$T/25-encoding.rej"
    assert_output $'invalid JSON: lone surrogate\ninvalid JSON: lone surrogate\ninvalid JSON: lone surrogate'
    # invalid bytes are replaced by U+FFFD in the reject's input
    run jq -r 'select(.error.line == 3) | .input' "$T/25-encoding.rej"
    assert_output --partial $'"note":"\xef\xbf\xbd\xef\xbf\xbd"'
    # \u0000 survives in strings and keys, written back as \u0000 (no C string cut)
    grep -qF '"extra":{"note":"a\u0000b","k\u0000ey":1,"vin\u0000junk":"Z"}}' "$T/25-encoding.out"
    # the reject stream is valid UTF-8 JSON
    iconv -f UTF-8 -t UTF-8 "$T/25-encoding.rej" >/dev/null
    jq -e . "$T/25-encoding.rej" >/dev/null
}

@test "edge 25: a line holding only a BOM (and blanks) is skipped like an empty line" {
    printf '\xef\xbb\xbf\n\xef\xbb\xbf  \t\n{"vin":"X","timestamp":0,"speed":1}\n' |
        vnorm --stats 0 --rejects "$T/rej" >"$T/out" 2>"$T/err"
    [[ ! -s $T/rej ]] || fail "rejected: $(cat "$T/rej")"
    assert_equal "$(stats_field "$T/err" in)" 1
    assert_equal "$(wc -l <"$T/out")" 1
}

@test "edge 26: empty and blank lines, CRLF, two values on a line, arrays and scalars, no final newline" {
    golden 26-line-framing
    run jq -c .vehicle_speed "$T/26-line-framing.out"
    assert_output $'1\n4\n6\n8'
    run jq -r '"\(.error.line) \(.error.reason)"' < <(strip_detail <"$T/26-line-framing.rej")
    assert_output - <<'EOF'
5 invalid JSON
8 not a JSON object
9 not a JSON object
10 not a JSON object
11 not a JSON object
12 not a JSON object
13 not a JSON object
15 invalid JSON
EOF
    # blank lines are not records
    assert_equal "$(stats_field "$T/26-line-framing.err" in)" 12
    # output lines are LF-terminated, no CR comes through
    never grep -q $'\r' "$T/26-line-framing.out"
    # an empty input is no record at all
    vnorm --stats 0 </dev/null >"$T/empty" 2>"$T/err"
    [[ ! -s $T/empty ]]
    assert_equal "$(stats_field "$T/err" in)" 0
}

@test "edge 27: @metadata from mqtt2json/kcons passes through untouched" {
    golden 27-metadata
    # byte for byte as it came, numbers included
    run grep -o '^{"@metadata":{[^}]*}}' "$T/27-metadata.out"
    assert_line --index 0 '{"@metadata":{"mqtt":{"topic":"connectedcar/telemetry/UX6FZSBYHWGKO925M","qos":0,"retain":false}}'
    grep -qF '{"@metadata":{"kafka":{"topic":"telemetry.raw","partition":3,"offset":18446744073709551615,"key":null,"timestamp":1560598757633,"headers":[{"k":"v"}]},"ratio":1.50,"big":1E400,"ü":"é"},"timestamp":' "$T/27-metadata.out"
    grep -qF '{"@metadata":"opaque",' "$T/27-metadata.out"
    # a reject carries the record's @metadata as received
    run jq -c '."@metadata"' "$T/27-metadata.rej"
    assert_output '{"mqtt":{"topic":"connectedcar/telemetry/UX6FZSBYHWGKO925M"}}'
    # also through --merge (the first member's)
    vnorm --merge "$GOLDEN/27-metadata.in.ndjson" 2>/dev/null >"$T/m"
    grep -qF '{"@metadata":{"mqtt":{"topic":"connectedcar/telemetry/UX6FZSBYHWGKO925M","qos":0,"retain":false}},"timestamp":"2019-06-15T11:39:17.632Z"' "$T/m"
}

# ---------------------------------------------------------- options at work

@test "--vin-from-topic takes the VIN from the last segment of @metadata.mqtt.topic" {
    {
        printf '{"@metadata":{"mqtt":{"topic":"connectedcar/telemetry/%s"}},"timestamp":"2019-06-15 11:39:17.632000000","name":"vehicle_speed","value":22.93}\n' "$V1"
        printf '{"@metadata":{"mqtt":{"topic":"connectedcar/telemetry/%s"}},"timestamp":"2019-06-15 11:39:17.632000000","vin":"PAYLOADWINS000001","name":"vehicle_speed","value":22.93}\n' "$V1"
        printf '{"timestamp":"2019-06-15 11:39:17.632000000","name":"vehicle_speed","value":22.93}\n'
    } >"$T/in"
    vnorm --vin-from-topic --rejects "$T/rej" "$T/in" >"$T/out"
    run jq -r .vin "$T/out"
    assert_output $'UX6FZSBYHWGKO925M\nPAYLOADWINS000001'
    run reasons "$T/rej"
    assert_output 'missing vin'
    # off by default
    vnorm --rejects "$T/rej2" "$T/in" >"$T/out2"
    assert_equal "$(wc -l <"$T/out2")" 1
    assert_equal "$(wc -l <"$T/rej2")" 2
}

@test "--es-id adds a deterministic @metadata.es._id and keeps the rest of @metadata" {
    {
        sed -n 4p "$RAW"
        sed -n 52p "$RAW"
        printf '{"@metadata":{"mqtt":{"topic":"t"},"es":{"_index":"cars","_id":"old"}},"timestamp":"2019-06-15 11:39:33.646000000","vin":"%s","name":"dtc","value":"P0171"}\n' "$V1"
    } >"$T/in"
    vnorm --es-id "$T/in" >"$T/out"
    run jq -c '."@metadata"' "$T/out"
    assert_output - <<'EOF'
{"es":{"_id":"1560598757632:UX6FZSBYHWGKO925M:telemetry:vehicle_speed"}}
{"es":{"_id":"1560598771639:UX6FZSBYHWGKO925M:location"}}
{"mqtt":{"topic":"t"},"es":{"_index":"cars","_id":"1560598773646:UX6FZSBYHWGKO925M:dtc"}}
EOF
    # the rest of each document is what vnorm writes without --es-id
    vnorm "$T/in" >"$T/plain"
    diff <(jq -c 'del(."@metadata")' "$T/out") <(jq -c 'del(."@metadata")' "$T/plain")
    # deterministic: a replay gives the same ids
    vnorm --es-id "$T/in" | cmp - "$T/out"
}

@test "--drop-unknown drops unknown fields instead of keeping them in extra" {
    printf '{"vin":"X","timestamp":0,"speed":3,"foo":1,"extra":{"bar":2}}\n' >"$T/in"
    run vnorm "$T/in"
    assert_output '{"timestamp":"1970-01-01T00:00:00.000Z","vin":"X","kind":"snapshot","vehicle_speed":3,"extra":{"foo":1,"bar":2}}'
    run vnorm --drop-unknown "$T/in"
    assert_output '{"timestamp":"1970-01-01T00:00:00.000Z","vin":"X","kind":"snapshot","vehicle_speed":3}'
    # the sample's final trip message loses its geojson
    run vnorm --drop-unknown <(sed -n 123p "$RAW")
    refute_output --partial extra
    refute_output --partial geojson
}

@test "-v prints warnings on stderr, and they are counted in the stats either way" {
    printf '{"vin":"X","timestamp":0,"speed":1,"rpm":"fast","location":{"lat":1,"lon":2},"lat":3,"lon":4}\n' >"$T/in"
    run --separate-stderr vnorm -v --stats 0 "$T/in"
    assert_success
    assert_output '{"timestamp":"1970-01-01T00:00:00.000Z","vin":"X","kind":"snapshot","vehicle_speed":1,"location":{"lat":1,"lon":2}}'
    [[ $stderr == *"vnorm: line 1: ignored latitude/longitude: location container present"* ]]
    [[ $stderr == *"vnorm: line 1: dropped field engine_speed: not a number"* ]]
    run --separate-stderr vnorm --stats 0 "$T/in"
    [[ $stderr != *"dropped field"* ]]
    assert_equal "$(grep '"final":true' <<<"$stderr" | jq .warnings)" 2
}

@test "--stats 0 prints one final JSON stats line on stderr with the counters" {
    run --separate-stderr vnorm --stats 0 "$RAW"
    assert_success
    assert_equal "${#stderr_lines[@]}" 1
    run jq -r '[.tool, .in, .out, .rejected, .warnings, .final, (.rate|type), (.elapsed_s|type)] | @tsv' <<<"$stderr"
    assert_output $'vnorm\t127\t127\t0\t0\ttrue\tnumber\tnumber'
    # without --stats, nothing on stderr
    run --separate-stderr vnorm "$RAW"
    assert_equal "$stderr" ""
}

# ---------------------------------------------------------------- hostile

@test "hostile: NaN, Infinity and -Infinity tokens anywhere are invalid JSON" {
    {
        sig vehicle_speed NaN
        sig vehicle_speed Infinity
        sig vehicle_speed -Infinity
        printf '{"vin":"X","timestamp":0,"speed":1,"other":NaN}\n'
        printf '{"@metadata":{"x":Infinity},"vin":"X","timestamp":0,"speed":1}\n'
        printf 'NaN\n'
        sig vehicle_speed 1
    } >"$T/in"
    run --separate-stderr vnorm --stats 0 --rejects "$T/rej" "$T/in"
    assert_success
    assert_equal "${#lines[@]}" 1
    run reasons "$T/rej"
    assert_output "$(printf 'invalid JSON\n%.0s' {1..6} | head -c -1)"
}

@test "hostile: 1e400 is a bad value in a signal, kept verbatim in an unknown field" {
    {
        sig vehicle_speed 1e400
        sig vehicle_speed '"1e400"'
        sig vehicle_speed -1e400
        printf '{"vin":"X","timestamp":0,"speed":1,"raw":1e400,"deep":{"x":[-1E+400]}}\n'
        printf '{"vin":"X","timestamp":1e400,"speed":1}\n'
        printf '{"vin":"X","timestamp":0,"name":"location","latitude":1e400,"longitude":1}\n'
        printf '{"vin":"X","timestamp":0,"speed":1,"rpm":1e400}\n'
    } >"$T/in"
    vnorm -v --stats 0 --rejects "$T/rej" "$T/in" >"$T/out" 2>"$T/err"
    run reasons "$T/rej"
    assert_output $'bad value\nbad value\nbad value\ntimestamp out of range\nbad location'
    run cat "$T/out"
    assert_line --index 0 '{"timestamp":"1970-01-01T00:00:00.000Z","vin":"X","kind":"snapshot","vehicle_speed":1,"extra":{"raw":1e400,"deep":{"x":[-1E+400]}}}'
    assert_line --index 1 '{"timestamp":"1970-01-01T00:00:00.000Z","vin":"X","kind":"snapshot","vehicle_speed":1}'
    grep -q 'line 7: dropped field engine_speed: ' "$T/err"
    never grep -qi 'inf' "$T/out"
}

@test "hostile: 100000 levels of nesting are a reject, not a crash" {
    {
        printf '{"vin":"X","timestamp":0,"speed":1,"deep":'
        head -c 100000 /dev/zero | tr '\0' '['
        head -c 100000 /dev/zero | tr '\0' ']'
        printf '}\n'
        head -c 100000 /dev/zero | tr '\0' '['
        printf '\n'
        head -c 100000 /dev/zero | tr '\0' '{' | sed 's/{/{"a":/g'
        printf '\n'
        printf '{"vin":"X","timestamp":0,"speed":2}\n'
    } >"$T/in"
    run --separate-stderr vnorm --stats 0 --rejects "$T/rej" "$T/in"
    assert_success
    assert_output '{"timestamp":"1970-01-01T00:00:00.000Z","vin":"X","kind":"snapshot","vehicle_speed":2}'
    run reasons "$T/rej"
    assert_output $'nesting too deep\nnesting too deep\nnesting too deep'
}

@test "hostile: a 10 MiB line is \"line too long\" by default and processed with --max-line 16M" {
    {
        printf '{"vin":"X","timestamp":0,"speed":1}\n'
        printf '{"vin":"X","timestamp":0,"speed":2,"pad":"'
        head -c 10485760 /dev/zero | tr '\0' a
        printf '"}\n'
        printf '{"vin":"X","timestamp":0,"speed":3}\n'
    } >"$T/in"
    vnorm --stats 0 --rejects "$T/rej" "$T/in" >"$T/out" 2>"$T/err"
    run jq -c .vehicle_speed "$T/out"
    assert_output $'1\n3'
    run jq -c '[.error.reason, .error.line, .error.bytes, .error.truncated, (.input|length)]' "$T/rej"
    assert_output '["line too long",2,10485804,true,1024]'
    check_counts "$T/err" "$T/out" "$T/rej"
    # the same line read from a pipe, in small pieces
    vnorm --rejects "$T/rej2" <"$T/in" | cmp - "$T/out"
    cmp "$T/rej" "$T/rej2"
    vnorm --max-line 16M --stats 0 --rejects "$T/rej3" "$T/in" >"$T/out3" 2>"$T/err3"
    [[ ! -s $T/rej3 ]]
    assert_equal "$(wc -l <"$T/out3")" 3
    # the document holds the whole pad
    {
        printf '{"timestamp":"1970-01-01T00:00:00.000Z","vin":"X","kind":"snapshot","vehicle_speed":2,"extra":{"pad":"'
        head -c 10485760 /dev/zero | tr '\0' a
        printf '"}}\n'
    } >"$T/doc"
    sed -n 2p "$T/out3" | cmp - "$T/doc"
}

@test "hostile: 1 MiB of binary garbage: valid JSON out, in = out + rejected, exit 0" {
    head -c 1048576 /dev/urandom >"$T/garbage"
    # some garbage with a few good records in between
    { head -c 300000 "$T/garbage"; printf '\n'; sed -n 1,5p "$RAW"; tail -c +300001 "$T/garbage"; } >"$T/in"
    local rc=0
    vnorm --stats 0 --rejects - "$T/in" >"$T/out" 2>"$T/err" || rc=$?
    assert_equal "$rc" 0
    # every line, documents and rejects alike, is one valid UTF-8 JSON object
    iconv -f UTF-8 -t UTF-8 "$T/out" >/dev/null
    assert_equal "$(jq -c 'type' "$T/out" | sort -u)" '"object"'
    assert_equal "$(jq -c . "$T/out" | wc -l)" "$(wc -l <"$T/out")"
    local in out rej
    in=$(stats_field "$T/err" in)
    out=$(stats_field "$T/err" out)
    rej=$(stats_field "$T/err" rejected)
    ((in == out + rej))
    ((out >= 5))
    assert_equal "$(wc -l <"$T/out")" $((out + rej))
    sed -n 1,5p "$NORM" >"$T/expect"
    grep -F -f "$T/expect" "$T/out" | cmp - "$T/expect"
}

# ------------------------------------------------------ streams and signals

@test "--rejects FILE gets the reject lines; stdout only documents" {
    make_mixed
    vnorm --rejects "$T/rej" "$T/mixed" >"$T/out" 2>"$T/err"
    cmp "$NORM" "$T/out"
    [[ ! -s $T/err ]]
    run jq -c '[.error.tool, .error.line]' "$T/rej"
    assert_output $'["vnorm",1]\n["vnorm",22]\n["vnorm",23]\n["vnorm",64]\n["vnorm",65]\n["vnorm",133]'
    run jq -r .input "$T/rej"
    assert_line --index 0 'not json'
    assert_line --index 1 '{"vin":"X"}'
    # appended to, not truncated
    vnorm --rejects "$T/rej" "$T/mixed" >/dev/null
    assert_equal "$(wc -l <"$T/rej")" 12
}

@test "--rejects - writes rejects to stdout among the documents, in input order" {
    make_mixed
    vnorm --rejects - "$T/mixed" >"$T/out" 2>"$T/err"
    [[ ! -s $T/err ]]
    assert_equal "$(wc -l <"$T/out")" 133
    grep -v '^{"error":' "$T/out" | cmp - "$NORM"
    # 1:1: output line k is input line k's document or reject
    run grep -n '^{"error":' "$T/out"
    assert_equal "$(cut -d: -f1 <<<"$output" | tr '\n' ' ')" '1 22 23 64 65 133 '
    # the same when stdout is a pipe
    vnorm --rejects - "$T/mixed" | cat >"$T/out2"
    cmp "$T/out" "$T/out2"
}

@test "--rejects /dev/fd/3 writes rejects to descriptor 3" {
    make_mixed
    vnorm --rejects /dev/fd/3 "$T/mixed" >"$T/out" 2>"$T/err" 3>"$T/fd3"
    cmp "$NORM" "$T/out"
    [[ ! -s $T/err ]]
    assert_equal "$(wc -l <"$T/fd3")" 6
    run reasons "$T/fd3"
    assert_line --index 0 'invalid JSON'
    assert_line --index 1 'missing timestamp'
    # a descriptor that is not open is an error
    run --separate-stderr vnorm --rejects /dev/fd/59 </dev/null
    assert_failure 1
    [[ ${stderr_lines[0]} == "vnorm: --rejects /dev/fd/59: "* ]]
}

@test "without --rejects each reject is one \"vnorm: line N:\" line on stderr; -q silences them" {
    make_mixed
    run --separate-stderr vnorm "$T/mixed"
    assert_success
    assert_equal "${#lines[@]}" 127
    assert_equal "${#stderr_lines[@]}" 6
    assert_equal "${stderr_lines[0]%%: invalid JSON*}" 'vnorm: line 1'
    assert_equal "${stderr_lines[1]}" 'vnorm: line 22: missing timestamp'
    assert_equal "${stderr_lines[2]}" 'vnorm: line 23: not a JSON object'
    assert_equal "${stderr_lines[3]}" 'vnorm: line 64: bad value'
    assert_equal "${stderr_lines[4]}" 'vnorm: line 65: invalid UTF-8'
    run --separate-stderr vnorm -q "$T/mixed"
    assert_success
    assert_equal "${#lines[@]}" 127
    assert_equal "$stderr" ""
    # still counted
    run --separate-stderr vnorm -q --stats 0 "$T/mixed"
    assert_equal "$(jq .rejected <<<"$stderr")" 6
}

@test "--strict exits 3 when records were rejected, 0 when none were" {
    make_mixed
    run --separate-stderr vnorm --strict --rejects "$T/rej" "$T/mixed"
    assert_failure 3
    assert_equal "${#lines[@]}" 127
    run vnorm --strict "$RAW"
    assert_success
    run vnorm --strict --merge "$RAW"
    assert_success
}

@test "EPIPE: vnorm < big | head -1 stops quietly with status 0" {
    make_big
    run bash -c 'set -o pipefail; vnorm <"$1" 2>"$2" | head -n 1' _ "$T/big.ndjson" "$T/err"
    assert_success
    assert_output "$(head -n 1 "$NORM")"
    assert_equal "$(cat "$T/err")" ""
    # with a file operand, --merge and --stats: only the final stats line
    run bash -c 'set -o pipefail; vnorm --merge --stats 0 "$1" 2>"$2" | head -n 1' _ "$T/big.ndjson" "$T/err"
    assert_success
    never grep -qi 'pipe' "$T/err"
    assert_equal "$(grep -vc '^{"tool":"vnorm"' "$T/err")" 0
    # rejects to stdout (--rejects -) when stdout goes away
    { sed -n 1p "$RAW"; yes garbage | head -n 200000; } >"$T/garbage"
    run bash -c 'set -o pipefail; vnorm --rejects - "$1" 2>"$2" | head -n 2' _ "$T/garbage" "$T/err"
    assert_success
    assert_line --index 0 "$(head -n 1 "$NORM")"
    assert_equal "$(cat "$T/err")" ""
}

@test "SIGTERM mid-stream from a slow producer: final stats, exit 0, promptly" {
    mkfifo "$T/in"
    vnorm --stats 0 "$T/in" >"$T/out" 2>"$T/err" 3>&- &
    local vp=$! rc=0 t0 t1
    BG_PIDS+=("$vp")
    exec {wfd}>"$T/in"
    sed -n 1,5p "$RAW" >&"$wfd"
    wait_for 5 in_is "$vp" "$T/err" 5
    t0=$(date +%s%N)
    kill -TERM "$vp"
    wait "$vp" || rc=$?
    t1=$(date +%s%N)
    exec {wfd}>&-
    assert_equal "$rc" 0
    (((t1 - t0) < 2000000000)) || fail "took $(((t1 - t0) / 1000000)) ms to stop"
    grep -q '"final":true' "$T/err"
    assert_equal "$(stats_field "$T/err" in)" 5
    assert_equal "$(stats_field "$T/err" out)" 5
    sed -n 1,5p "$NORM" | cmp - "$T/out"
    # nothing but stats lines on stderr
    assert_equal "$(grep -vc '^{"tool":"vnorm"' "$T/err")" 0
}

@test "SIGTERM with --merge writes the open groups before exiting" {
    mkfifo "$T/in"
    vnorm --merge --stats 0 "$T/in" >"$T/out" 2>"$T/err" 3>&- &
    local vp=$! rc=0
    BG_PIDS+=("$vp")
    exec {wfd}>"$T/in"
    sed -n 36,52p "$RAW" >&"$wfd"
    wait_for 5 in_is "$vp" "$T/err" 17
    kill -TERM "$vp"
    wait "$vp" || rc=$?
    exec {wfd}>&-
    assert_equal "$rc" 0
    sed -n 6p "$MERGED" | cmp - "$T/out"
    assert_equal "$(stats_field "$T/err" merged)" 16
}

@test "SIGUSR1 prints a stats line without stopping" {
    mkfifo "$T/in"
    vnorm --stats 0 "$T/in" >"$T/out" 2>"$T/err" 3>&- &
    local vp=$! rc=0
    BG_PIDS+=("$vp")
    exec {wfd}>"$T/in"
    sed -n 1,3p "$RAW" >&"$wfd"
    wait_for 5 in_is "$vp" "$T/err" 3
    grep -q '"in":3,"out":3,' "$T/err"
    # not a final line, and vnorm goes on
    never grep -q '"final"' "$T/err"
    sed -n 4,10p "$RAW" >&"$wfd"
    exec {wfd}>&-
    wait "$vp" || rc=$?
    assert_equal "$rc" 0
    sed -n 1,10p "$NORM" | cmp - "$T/out"
    assert_equal "$(stats_field "$T/err" in)" 10
    assert_equal "$(grep -c '"final":true' "$T/err")" 1
}

@test "SIGHUP reopens --rejects: after a rename, later rejects go to a new file" {
    mkfifo "$T/in"
    vnorm --stats 0 --rejects "$T/rej" "$T/in" >"$T/out" 2>"$T/err" 3>&- &
    local vp=$! rc=0
    BG_PIDS+=("$vp")
    exec {wfd}>"$T/in"
    printf 'first bad\n' >&"$wfd"
    sed -n 1p "$RAW" >&"$wfd"
    wait_for 5 in_is "$vp" "$T/err" 2
    mv "$T/rej" "$T/rej.1"
    kill -HUP "$vp"
    printf 'second bad\n' >&"$wfd"
    sed -n 2p "$RAW" >&"$wfd"
    exec {wfd}>&-
    wait "$vp" || rc=$?
    assert_equal "$rc" 0
    run jq -r '"\(.error.line) \(.input)"' "$T/rej.1"
    assert_output '1 first bad'
    run jq -r '"\(.error.line) \(.input)"' "$T/rej"
    assert_output '3 second bad'
    sed -n 1,2p "$NORM" | cmp - "$T/out"
}

@test "--follow on a fifo: two writers one after the other, all records out, SIGTERM ends it" {
    mkfifo "$T/in" "$T/outfifo"
    cat "$T/outfifo" >"$T/out" 3>&- &
    BG_PIDS+=("$!")
    local cp=$!
    vnorm --follow --stats 0 "$T/in" >"$T/outfifo" 2>"$T/err" 3>&- &
    local vp=$! rc=0
    BG_PIDS+=("$vp")
    sed -n 1,3p "$RAW" >"$T/in" # first writer, then it goes away
    wait_for 5 lines_are "$T/out" 3
    sed -n 4,6p "$RAW" >"$T/in" # a second writer, like a restarted sidecar
    wait_for 5 lines_are "$T/out" 6
    kill -TERM "$vp"
    wait "$vp" || rc=$?
    wait "$cp"
    assert_equal "$rc" 0
    sed -n 1,6p "$NORM" | cmp - "$T/out"
    assert_equal "$(stats_field "$T/err" in)" 6
    # a clean stop: nothing on stderr but the stats line
    run grep -v '^{"tool":"vnorm"' "$T/err"
    assert_output ''
}

@test "SIGUSR1 and SIGHUP are served while --follow waits for the next writer" {
    mkfifo "$T/in"
    vnorm --follow --stats 0 --rejects "$T/rej" "$T/in" >"$T/out" 2>"$T/err" 3>&- &
    local vp=$! rc=0
    BG_PIDS+=("$vp")
    { sed -n 1,2p "$RAW"; echo bad; } >"$T/in"
    # the writer is gone: vnorm waits to reopen the fifo, and still answers
    wait_for 5 in_is "$vp" "$T/err" 3
    mv "$T/rej" "$T/rej.1"
    kill -HUP "$vp"
    wait_for 5 test -e "$T/rej"
    echo 'bad again' >"$T/in"
    wait_for 5 in_is "$vp" "$T/err" 4
    kill -TERM "$vp"
    wait "$vp" || rc=$?
    assert_equal "$rc" 0
    assert_equal "$(jq -r .input "$T/rej.1")" bad
    assert_equal "$(jq -r .input "$T/rej")" 'bad again'
}

@test "output is flushed while vnorm waits for input" {
    local l1 l2
    l1=$(sed -n 1p "$RAW")
    l2=$(sed -n 2p "$RAW")
    run bash -c '
        { printf "%s\n" "$1"; sleep 0.5; : >"$3/second"; printf "%s\n" "$2"; } |
            vnorm | {
                IFS= read -r first
                if [[ -e $3/second ]]; then echo late; else echo early; fi
                printf "%s\n" "$first"
                cat
            }' _ "$l1" "$l2" "$T"
    assert_success
    assert_line --index 0 early
    assert_line --index 1 "$(sed -n 1p "$NORM")"
    assert_line --index 2 "$(sed -n 2p "$NORM")"
}

@test "several file operands are read in order, - is stdin" {
    sed -n 1,40p "$RAW" >"$T/a"
    sed -n 41,80p "$RAW" >"$T/b"
    sed -n 81,127p "$RAW" >"$T/c"
    vnorm --stats 0 "$T/a" - "$T/c" <"$T/b" >"$T/out" 2>"$T/err"
    cmp "$NORM" "$T/out"
    assert_equal "$(stats_field "$T/err" in)" 127
    vnorm --merge "$T/a" "$T/b" "$T/c" | cmp - "$MERGED"
}

@test "a missing file: exit 1 with \"vnorm: PATH: No such file or directory\", other files still read" {
    sed -n 1,10p "$RAW" >"$T/a"
    run --separate-stderr vnorm "$T/a" "$T/missing" "$T/a"
    assert_failure 1
    assert_equal "${#lines[@]}" 20
    assert_equal "$stderr" "vnorm: $T/missing: No such file or directory"
    run --separate-stderr vnorm "$T/missing"
    assert_failure 1
    assert_equal "$output" ""
    assert_equal "$stderr" "vnorm: $T/missing: No such file or directory"
}

@test "reading a directory is an error: exit 1" {
    run --separate-stderr vnorm "$T"
    assert_failure 1
    assert_equal "$output" ""
    [[ $stderr == "vnorm: $T"*"Is a directory"* ]]
}

@test "an unwritable --rejects path is an error: exit 1" {
    run --separate-stderr vnorm --rejects "$T/no/such/dir/rej" </dev/null
    assert_failure 1
    [[ ${stderr_lines[0]} == "vnorm: --rejects $T/no/such/dir/rej: No such file or directory" ]]
}

@test "--stats prints its periodic lines while the input is idle, and SIGTERM ends an idle wait at once" {
    mkfifo "$BATS_TEST_TMPDIR/in"
    vnorm --stats 0.2 "$BATS_TEST_TMPDIR/in" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
    pid=$!
    exec 7>"$BATS_TEST_TMPDIR/in"
    sleep 1
    kill -TERM "$pid"
    wait "$pid"
    status=$?
    exec 7>&-
    assert_equal "$status" 0
    # at least three periodic lines were printed before any input came
    periodic=$(grep -c '^{"tool":"vnorm","elapsed_s":[0-9.]*,"in":0,' "$BATS_TEST_TMPDIR/err")
    [ "$periodic" -ge 3 ]
    grep -q '"final":true' "$BATS_TEST_TMPDIR/err"
}

@test "a torn last line (no newline, not complete JSON) is no record: a warning, counted as torn, no reject" {
    head -n 2 "$RAW" >"$T/in"
    printf '{"vin":"%s","name":"vehicle_speed","val' "$V1" >>"$T/in"
    run --separate-stderr vnorm --strict --rejects "$T/rej" --stats 0 <"$T/in"
    assert_success
    assert_equal "${#lines[@]}" 2
    [[ ! -s $T/rej ]] || fail "a torn line became a reject: $(cat "$T/rej")"
    assert_equal "${stderr_lines[0]}" "vnorm: line 3: torn last line dropped: 54 bytes, no newline, not complete JSON"
    assert_equal "$(stats_field <(printf '%s\n' "$stderr") torn)" 1
    assert_equal "$(stats_field <(printf '%s\n' "$stderr") in)" 2
    # complete JSON without a newline stays a record, as files often end
    head -n 3 "$RAW" | head -c -1 >"$T/in"
    run --separate-stderr vnorm --stats 0 <"$T/in"
    assert_success
    assert_equal "${#lines[@]}" 3
    assert_equal "$(stats_field <(printf '%s\n' "$stderr") torn)" null
}

@test "--input PATH reads PATH as a file operand would; --output PATH appends; bad combinations exit 2" {
    vnorm --input "$RAW" --output "$T/out" --stats 0 2>"$T/err"
    cmp "$NORM" "$T/out"
    # appended to, not truncated: a restarted program adds to the file
    vnorm --input "$RAW" --output "$T/out" 2>/dev/null
    cat "$NORM" "$NORM" | cmp - "$T/out"
    run --separate-stderr vnorm --input "$RAW" "$RAW"
    assert_equal "$status" 2
    assert_equal "${stderr_lines[0]}" "vnorm: --input and file operands: give one or the other"
    run --separate-stderr vnorm --follow --input "$RAW"
    assert_equal "$status" 2
    assert_equal "${stderr_lines[0]}" "vnorm: --follow: $RAW is not a fifo"
    run --separate-stderr vnorm --reopen-timeout x
    assert_equal "$status" 2
    [[ ${stderr_lines[0]} == "vnorm: --reopen-timeout: "* ]]
    run --separate-stderr vnorm --input "$T/missing"
    assert_equal "$status" 1
    assert_equal "${stderr_lines[0]}" "vnorm: $T/missing: No such file or directory"
}

@test "--follow --input: a writer killed mid-line leaves a torn line, dropped and counted; the next writer is read" {
    mkfifo "$T/in"
    vnorm --input "$T/in" --follow --stats 0 --rejects "$T/rej" >"$T/out" 2>"$T/err" 3>&- &
    local vp=$! rc=0
    BG_PIDS+=("$vp")
    { sed -n 1,2p "$RAW"; sed -n 3p "$RAW" | head -c 40; } >"$T/in"
    wait_for 5 in_is "$vp" "$T/err" 2
    sed -n 3,4p "$RAW" >"$T/in"
    wait_for 5 in_is "$vp" "$T/err" 4
    kill -TERM "$vp"
    wait "$vp" || rc=$?
    assert_equal "$rc" 0
    sed -n 1,4p "$NORM" | cmp - "$T/out"
    [[ ! -s $T/rej ]] || fail "a torn line became a reject: $(cat "$T/rej")"
    assert_equal "$(stats_field "$T/err" torn)" 1
    grep -q '^vnorm: line 3: torn last line dropped: 40 bytes, no newline, not complete JSON$' "$T/err"
}

@test "--output on a fifo: its reader killed and restarted, every record reaches one reader once; no reader within --reopen-timeout is exit 1" {
    mkfifo "$T/in" "$T/o"
    cat "$T/o" >"$T/out1" 3>&- &
    local cp=$! vp rc=0
    BG_PIDS+=("$cp")
    vnorm --input "$T/in" --follow --output "$T/o" --stats 0 -v 2>"$T/err" 3>&- &
    vp=$!
    BG_PIDS+=("$vp")
    sed -n 1,3p "$RAW" >"$T/in"
    wait_for 5 lines_are "$T/out1" 3
    kill -KILL "$cp"
    wait "$cp" || true
    # written while no one reads: vnorm waits for the next reader
    sed -n 4,6p "$RAW" >"$T/in"
    wait_for 5 grep -q 'reader gone' "$T/err"
    cat "$T/o" >"$T/out2" 3>&- &
    cp=$!
    BG_PIDS+=("$cp")
    wait_for 5 lines_are "$T/out2" 3
    kill -TERM "$vp"
    wait "$vp" || rc=$?
    assert_equal "$rc" 0
    wait "$cp"
    sed -n 1,6p "$NORM" | cmp - <(cat "$T/out1" "$T/out2")

    # the reader never comes back: exit 1, saying why
    sed -n 1,3000p "$RAW" >"$T/big"
    for ((i = 0; i < 20; i++)); do cat "$T/big"; done >"$T/many"
    head -c 10 "$T/o" >/dev/null 3>&- &
    BG_PIDS+=("$!")
    run --separate-stderr vnorm --input "$T/many" --output "$T/o" --reopen-timeout 0.3
    assert_equal "$status" 1
    assert_equal "${stderr_lines[-1]}" "vnorm: $T/o: no new reader within --reopen-timeout"
}

@test "several files: each reject and each message names its file and line, like a compiler" {
    printf '{"a":1}\n' >"$T/a.ndjson"
    printf '{}\nnot json\n' >"$T/b.ndjson"
    run --separate-stderr "$IOTPIPE_BUILD/vnorm" --rejects "$T/rej" \
        "$T/a.ndjson" "$T/b.ndjson"
    assert_success
    run jq -c '.error | [.file, .line, .reason]' "$T/rej"
    assert_line --index 0 "[\"$T/a.ndjson\",1,\"missing vin\"]"
    assert_line --index 1 "[\"$T/b.ndjson\",1,\"missing vin\"]"
    assert_line --index 2 --regexp "^\[\"$T/b.ndjson\",2,\"invalid JSON"
    # without --rejects: "vnorm: FILE:LINE: reason" on stderr
    run --separate-stderr "$IOTPIPE_BUILD/vnorm" "$T/a.ndjson" - \
        <"$T/b.ndjson"
    assert_success
    [[ ${stderr_lines[0]} == "vnorm: $T/a.ndjson:1: missing vin" ]]
    [[ ${stderr_lines[1]} == "vnorm: stdin:1: missing vin" ]]
    [[ ${stderr_lines[2]} == "vnorm: stdin:2: invalid JSON"* ]]
    # one input: no "file", as before
    run --separate-stderr "$IOTPIPE_BUILD/vnorm" --rejects - "$T/b.ndjson"
    assert_success
    [[ $(jq -c '.error | has("file")' <<<"${lines[0]}") == false ]]
}
