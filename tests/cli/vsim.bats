#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# vsim from the outside: determinism, the messages of vsim(1) (counts per
# tick, topics, VINs, route_id, timestamps, trip aggregates, DTCs, v3),
# durations, usage errors, signals and pipes, and its output through vnorm
# with no reject and no warning.

# stderr comes from bats' run; shellcheck takes each @test for a subshell,
# which is what the BG_PIDS notes are about.
# shellcheck disable=SC2154,SC2030,SC2031

load ../lib/common

bats_require_minimum_version 1.5.0

START=2019-06-15T11:39:15Z
ROUTES="$IOTPIPE_SRC/cmd/vsim/routes/routes.ndjson"

setup() {
    T="$BATS_TEST_TMPDIR"
    BG_PIDS=()
}

teardown() {
    local pid live
    # the processes this test started and has not reaped, by their id
    live=" $(jobs -p | tr '\n' ' ') "
    for pid in "${BG_PIDS[@]}"; do
        if [[ $live == *" $pid "* ]]; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}

# A route file with one short route (route-p's first points, about 700 m)
# and the triggers given, so a trip ends within a few minutes.
short_route() {
    printf '{"route_id":"short","profile":"aggressive","triggers":%s,"points":[[-77.221188,38.894186],[-77.222065,38.893667],[-77.224712,38.89464],[-77.224944,38.895801],[-77.2241,38.899394]]}\n' \
        "${1:-{\}}" >"$T/short.ndjson"
}

# ------------------------------------------------------------ determinism

@test "the same seed gives the same bytes; another seed other bytes" {
    vsim --fast -n 20 -c 60 --seed 7 --start "$START" >"$T/a"
    vsim --fast -n 20 -c 60 --seed 7 --start "$START" >"$T/b"
    vsim --fast -n 20 -c 60 --seed 8 --start "$START" >"$T/c"
    cmp "$T/a" "$T/b"
    ! cmp -s "$T/a" "$T/c"
    # v3 too
    vsim --fast -n 5 -c 20 --seed 7 --start "$START" --format v3 >"$T/d"
    vsim --fast -n 5 -c 20 --seed 7 --start "$START" --format v3 >"$T/e"
    cmp "$T/d" "$T/e"
}

@test "a fleet of 5 is the first 5 vehicles of a fleet of 10" {
    vsim --fast -n 5 -c 3 --seed 3 --start "$START" |
        jq -r .vin | sort -u >"$T/five"
    vsim --fast -n 10 -c 3 --seed 3 --start "$START" |
        jq -r .vin | sort -u >"$T/ten"
    [[ $(wc -l <"$T/five") == 5 && $(wc -l <"$T/ten") == 10 ]]
    comm -23 "$T/five" "$T/ten" >"$T/missing"
    [[ ! -s $T/missing ]]
}

# --------------------------------------------------------------- messages

@test "every tick of every vehicle: 16 signals and a location, in order" {
    vsim --fast -n 3 -c 10 --seed 1 --start "$START" >"$T/out"
    run jq -sr '
        [.[] | select(.name != "aggregated_telemetrics" and .name != "dtc")]
        | group_by(.vin) | map(length) | @text' "$T/out"
    assert_output '[170,170,170]'
    # the names of one burst, in the simulator's order, location last
    run jq -r 'select(.name != "aggregated_telemetrics") | .name' "$T/out"
    names=$(printf '%s\n' "${lines[@]:0:17}" | paste -sd ' ')
    [[ $names == "steering_wheel_angle torque_at_transmission engine_speed vehicle_speed acceleration accelerator_pedal_position parking_brake_status brake_pedal_status transmission_gear_position gear_lever_position odometer ignition_status fuel_level fuel_consumed_since_restart oil_temp brake location" ]]
    # value types: numbers, booleans, strings as vsim(1) lists them
    run jq -r 'select(.name == "parking_brake_status" or .name == "brake_pedal_status") | .value | type' "$T/out"
    refute_output --partial string
    [[ $(jq -r 'select(.name == "transmission_gear_position") | .value' "$T/out" |
        grep -cvE '^(first|second|third|fourth|fifth|sixth)$') == 0 ]]
}

@test "topics: connectedcar/telemetry|trip|dtc/<VIN> in @metadata.mqtt.topic" {
    short_route '{"dtc":1}'
    vsim --fast -n 4 -c 150 --seed 2 --start "$START" --routes "$T/short.ndjson" >"$T/out"
    run jq -r '
        (if .name == "aggregated_telemetrics" then "trip"
         elif .name == "dtc" then "dtc" else "telemetry" end) as $k
        | select(."@metadata".mqtt.topic != "connectedcar/\($k)/\(.vin)")
        | .name' "$T/out"
    assert_output ''
    run jq -r '."@metadata".mqtt.topic | split("/")[1]' "$T/out"
    assert_line telemetry
    assert_line trip
    assert_line dtc
}

@test "VINs are 17 of [A-Z0-9]; trip ids are UUIDs v4" {
    vsim --fast -n 50 -c 1 --seed 5 --start "$START" >"$T/out"
    [[ $(jq -r .vin "$T/out" | grep -cvE '^[A-Z0-9]{17}$') == 0 ]]
    [[ $(jq -r .vin "$T/out" | sort -u | wc -l) == 50 ]]
    [[ $(jq -r .trip_id "$T/out" |
        grep -cvE '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') == 0 ]]
}

@test "route_id is in every message, and is a route of the set" {
    vsim --fast -n 30 -c 50 --seed 6 --start "$START" >"$T/out"
    jq -r .route_id "$ROUTES" | sort >"$T/ids"
    jq -r '.route_id // "MISSING"' "$T/out" | sort -u >"$T/used"
    comm -23 "$T/used" "$T/ids" >"$T/unknown"
    [[ ! -s $T/unknown ]] || fail "unknown route ids: $(cat "$T/unknown")"
    # route-a is not in the simulator's manifest: never driven
    ! grep -qx route-a "$T/used"
    # v3 too
    vsim --fast -n 5 -c 5 --seed 6 --start "$START" --format v3 |
        jq -e 'select(.route_id | type != "string")' >"$T/bad" || true
    [[ ! -s $T/bad ]]
}

@test "timestamps: location first, signals 0-5 ms later, in order; trip after" {
    vsim --fast -n 5 -c 40 --seed 4 --start "$START" >"$T/out"
    # each burst: 17 telemetry lines of one VIN, then maybe a trip and a
    # DTC; check them per burst
    run jq -sr '
        def ms: (.timestamp[0:10] + "T" + .timestamp[11:19] + "Z"
            | fromdateiso8601) * 1000 + (.timestamp[20:23] | tonumber);
        [.[] | select(.name != "aggregated_telemetrics" and .name != "dtc")]
        | [range(0; length; 17) as $i | .[$i:$i + 17]]
        | map(. as $b | ($b[16] | ms) as $loc | [$b[0:16][] | ms] as $sig
              | select($b[16].name != "location"
                  or ($b | map(.vin) | unique | length) != 1
                  or $sig != ($sig | sort)
                  or ($sig | min) < $loc or ($sig | max) > $loc + 5))
        | length' "$T/out"
    assert_output 0
    # no message before --start; the format has no zone and six zeros
    run jq -r '.timestamp' "$T/out"
    refute_output --regexp '(^|'$'\n'')2019-06-15 11:39:1[0-4]'
    [[ $(jq -r .timestamp "$T/out" |
        grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}000000$') == 0 ]]
    # a trip aggregate follows its burst, stamped after its signals
    run jq -sr '
        . as $all | [range(1; length) as $i
            | select($all[$i].name == "aggregated_telemetrics")
            | select($all[$i - 1].vin != $all[$i].vin
                or $all[$i - 1].timestamp >= $all[$i].timestamp)] | length' "$T/out"
    assert_output 0
}

@test "trip aggregates: at the first tick, every 90 s, final with ignition off" {
    # 200 s of one vehicle on long routes: ticks 1, 46 and 91
    vsim --fast -n 1 -c 100 --seed 1 --start "$START" >"$T/out"
    run jq -r 'select(.name == "aggregated_telemetrics") | .timestamp[11:19]' "$T/out"
    [[ ${#lines[@]} == 3 ]]
    run jq -sr '[.[] | select(.name == "aggregated_telemetrics")] |
        [.[0].ignition_status, .[1].ignition_status, (.[0] | has("end_time"))] | @text' "$T/out"
    assert_output '["run","run",false]'
    # the first comes right after the first burst
    run jq -sr '.[17].name' "$T/out"
    assert_output aggregated_telemetrics
    # a short route ends: the final aggregate, then a new trip
    short_route
    vsim --fast -n 1 -c 200 --seed 1 --start "$START" --routes "$T/short.ndjson" >"$T/short"
    run jq -sr '[.[] | select(.ignition_status == "off")] | length' "$T/short"
    [[ $output -ge 1 ]]
    run jq -sr '
        (map(.name == "aggregated_telemetrics" and .ignition_status == "off") | index(true)) as $i
        | [.[$i].end_time != null, .[$i].geojson.key == "trip/\(.[$i].vin)/\(.[$i].trip_id).json",
           .[$i + 1].trip_id != .[$i].trip_id, .[$i + 1].vin == .[$i].vin,
           .[$i - 1].name == "location"] | all' "$T/short"
    assert_output true
    # the trip meter and the fuel start again at the new trip
    run jq -sr '
        (map(.ignition_status == "off") | index(true)) as $i
        | [.[$i + 1:][] | select(.name == "odometer")][0].value' "$T/short"
    [[ $(awk -v v="$output" 'BEGIN { print (v < 0.2) }') == 1 ]]
}

@test "DTC: sent at a route's dtc trigger, once per trip" {
    short_route '{"dtc":1}'
    vsim --fast -n 3 -c 60 --seed 9 --start "$START" --routes "$T/short.ndjson" >"$T/out"
    run jq -r 'select(.name == "dtc") | "\(.trip_id) \(.value)"' "$T/out"
    [[ ${#lines[@]} -ge 3 ]]
    # one per trip, with a code of an OBD-II family
    [[ $(printf '%s\n' "${lines[@]}" | cut -d' ' -f1 | sort | uniq -d | wc -l) == 0 ]]
    [[ $(printf '%s\n' "${lines[@]}" | cut -d' ' -f2 | grep -cvE '^[PBCU][0-9]{4}$') == 0 ]]
    # without a dtc trigger, none
    short_route '{"dtc":0,"brake":1}'
    vsim --fast -n 3 -c 60 --seed 9 --start "$START" --routes "$T/short.ndjson" >"$T/out"
    ! grep -q '"name":"dtc"' "$T/out"
}

@test "--format v3: one snapshot a tick, the v3 keys" {
    vsim --fast -n 2 -c 10 --seed 1 --start "$START" --format v3 >"$T/out"
    [[ $(wc -l <"$T/out") == 20 ]]
    run jq -r 'keys_unsorted | join(",")' "$T/out"
    assert_line --index 0 '@metadata,timestamp,trip_id,VIN,route_id,brake,steeringWheelAngle,torqueAtTransmission,engineSpeed,vehicleSpeed,acceleration,parkingBrakeStatus,brakePedalStatus,transmissionGearPosition,gearLeverPosition,odometer,ignitionStatus,fuelLevel,fuelConsumedSinceRestart,oilTemp,location,_id_'
    [[ $(jq -r .trip_id "$T/out" | grep -cvE '^[A-Za-z0-9_-]{21}$') == 0 ]]
    [[ $(jq -r '.location | "\(.latitude|type) \(.longitude|type)"' "$T/out" | sort -u) == "number number" ]]
    [[ $(jq -r '."@metadata".mqtt.topic == "connectedcar/telemetry/\(.VIN)"' "$T/out" | sort -u) == true ]]
    ! grep -q aggregated_telemetrics "$T/out"
}

@test "the model: odometer up, fuel down, speeds and gears in range" {
    vsim --fast -n 5 -c 600 --seed 11 --start "$START" >"$T/out"
    run jq -sr '
        def sig($n): [.[] | select(.name == $n)] | group_by(.trip_id) | map(map(.value));
        [ (sig("odometer") | map(. == sort) | all),
          (sig("fuel_level") | map(. == (sort | reverse)) | all),
          ([.[] | select(.name == "vehicle_speed") | .value] | (min >= 0 and max < 112.6)),
          ([.[] | select(.name == "engine_speed") | .value] | max <= 4200),
          ([.[] | select(.name == "fuel_level") | .value] | min > 90),
          ([.[] | select(.name == "transmission_gear_position") | .value] | unique | length >= 3)
        ] | all' "$T/out"
    assert_output true
}

# ------------------------------------------------------ durations, counts

@test "--duration: s, m, h, d are ticks of --interval; -c is the same thing" {
    [[ $(vsim --fast --seed 1 --start "$START" --duration 90s | grep -c '"name":"location"') == 45 ]]
    [[ $(vsim --fast --seed 1 --start "$START" --duration 30m | grep -c '"name":"location"') == 900 ]]
    [[ $(vsim --fast --seed 1 --start "$START" --duration 2h --interval 60000 | grep -c '"name":"location"') == 120 ]]
    [[ $(vsim --fast --seed 1 --start "$START" --duration 1d --interval 60000 | grep -c '"name":"location"') == 1440 ]]
    vsim --fast -n 2 --seed 1 --start "$START" --duration 10m >"$T/a"
    vsim --fast -n 2 --seed 1 --start "$START" -c 300 >"$T/b"
    cmp "$T/a" "$T/b"
    # the statistics count what was written
    vsim --fast -n 3 -c 10 --seed 1 --start "$START" --stats 0 >"$T/out" 2>"$T/err"
    [[ $(stats_field "$T/err" out) == $(wc -l <"$T/out") ]]
    [[ $(stats_field "$T/err" telemetry) == 510 ]]
    [[ $(stats_field "$T/err" trip) == 3 ]]
    [[ $(stats_field "$T/err" rejected) == 0 ]]
}

@test "--start sets the clock; --interval spaces the ticks" {
    vsim --fast -c 3 --interval 60000 --seed 1 --start 2024-05-01T10:00:00Z >"$T/out"
    run jq -r 'select(.name == "location") | .timestamp[0:16]' "$T/out"
    assert_line --index 0 '2024-05-01 10:01'
    assert_line --index 1 '2024-05-01 10:02'
    assert_line --index 2 '2024-05-01 10:03'
    run jq -r 'select(.name == "aggregated_telemetrics") | .start_time[0:16]' "$T/out"
    assert_line --index 0 '2024-05-01T10:00'
}

@test "--routes: another set in the same format; errors name the line" {
    short_route
    vsim --fast -n 3 -c 5 --seed 1 --start "$START" --routes "$T/short.ndjson" >"$T/out"
    [[ $(jq -r .route_id "$T/out" | sort -u) == short ]]
    printf '%s\n' '{"route_id":"x","points":[[1,2],[3,4]]}' '{"route_id":"y"}' >"$T/bad.ndjson"
    run -2 --separate-stderr vsim --fast -c 1 --routes "$T/bad.ndjson"
    [[ $stderr == *"vsim: --routes: $T/bad.ndjson: line 2: no \"points\" array"* ]]
    run -2 --separate-stderr vsim --fast -c 1 --routes "$T/none.ndjson"
    [[ $stderr == *"vsim: --routes: $T/none.ndjson: No such file"* ]]
    printf '%s\n' '{"route_id":"x","in_manifest":false,"points":[[1,2],[3,4]]}' >"$T/none-picked.ndjson"
    run -2 --separate-stderr vsim --fast -c 1 --routes "$T/none-picked.ndjson"
    [[ $stderr == *"no route to drive"* ]]
}

@test "the built-in routes are the committed route file, generated" {
    "$IOTPIPE_SRC/cmd/vsim/gen-routes.sh" "$ROUTES" >"$T/routes_data.c"
    cmp "$T/routes_data.c" "$IOTPIPE_SRC/cmd/vsim/routes_data.c"
    [[ -f $IOTPIPE_SRC/cmd/vsim/routes/LICENSE ]]
    run vsim --version
    assert_success
    assert_output --partial 'Apache License 2.0'
    assert_output --partial 'Amazon.com'
}

# ----------------------------------------------------------- usage errors

@test "bad values and combinations exit 2 with a message" {
    local args
    while IFS='|' read -r args want; do
        # shellcheck disable=SC2086
        run -2 --separate-stderr vsim $args
        [[ $stderr == "vsim: "*"$want"* ]] || fail "vsim $args: $stderr"
        [[ $stderr == *"Try 'vsim --help'"* ]] || fail "vsim $args: no hint"
        [[ -z $output ]] || fail "vsim $args wrote: $output"
    done <<'EOF'
-n 0|-n: too small number of vehicles '0'
-n x|-n: invalid number of vehicles 'x'
-n 1000001|too large
-c 0|-c: too small count '0'
--interval 50|--interval: too small interval '50'
--interval 2s|--interval: invalid interval '2s'
--duration 5x|--duration: invalid duration '5x'
--duration 90|--duration: invalid duration '90'
--duration 1s|--duration 1s is shorter than one tick
--duration 400d|--duration: invalid duration
-c 5 --duration 1h|-c and --duration exclude each other
--format v4|--format: unknown format 'v4'
--start yesterday|--start: invalid time 'yesterday'
--start 2100-01-01T00:00:00Z|--start: invalid time
--seed -1|--seed: invalid seed '-1'
--speedup 0|--speedup: invalid factor '0'
--rate 0|--rate: invalid rate '0'
--fast --rate 5|--fast and --rate exclude each other
--speedup 2 --fast|--speedup and --fast exclude each other
--routes=|--routes: empty path
--bogus|unknown option
extra|unexpected operand 'extra'
EOF
}

# --------------------------------------------------------- signals, pipes

@test "SIGTERM ends the run after the current burst, with the final stats" {
    vsim -n 3 --speedup 20 --seed 1 --start "$START" --stats 0 >"$T/out" 2>"$T/err" &
    local pid=$! rc=0
    BG_PIDS+=("$pid")
    # wait for a few bursts
    for _ in $(seq 100); do
        [[ $(wc -l <"$T/out") -ge 60 ]] && break
        sleep 0.05
    done
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    [[ $rc == 0 ]] || fail "status $rc: $(cat "$T/err")"
    grep -q '"final":true' "$T/err"
    [[ $(stats_field "$T/err" out) == $(wc -l <"$T/out") ]]
    # whole bursts only: 17 telemetry messages per tick of each vehicle
    run jq -sr '[.[] | select(.name != "aggregated_telemetrics" and .name != "dtc")]
        | group_by(.vin) | map(length % 17) | unique | @text' "$T/out"
    assert_output '[0]'
    # and the last line is whole
    tail -n 1 "$T/out" | jq -e . >/dev/null
}

@test "SIGINT likewise; the pacing sleeps are interrupted at once" {
    vsim -n 1 --interval 60000 --seed 1 --stats 0 >"$T/out" 2>"$T/err" &
    local pid=$! rc=0
    BG_PIDS+=("$pid")
    sleep 0.3
    kill -INT "$pid"
    wait "$pid" || rc=$?
    [[ $rc == 0 ]]
    [[ ! -s $T/out ]]
    grep -q '"final":true' "$T/err"
}

@test "SIGPIPE is quiet: vsim --fast | head -1 exits 0 with nothing on stderr" {
    run --separate-stderr bash -c 'set -o pipefail; vsim --fast | head -n 1'
    assert_success
    [[ -z $stderr ]]
    [[ ${#lines[@]} == 1 ]]
    echo "$output" | jq -e .vin >/dev/null
}

@test "pacing: real time with --speedup, and --rate" {
    local t0 t1
    # 3 ticks of 1 s at 10x: about 0.3 s
    t0=$(date +%s%N)
    vsim -c 3 --interval 1000 --speedup 10 --seed 1 >/dev/null
    t1=$(date +%s%N)
    (((t1 - t0) / 1000000 >= 250 && (t1 - t0) / 1000000 < 3000))
    # 10 ticks = 171 messages at 600/s: about 0.28 s
    t0=$(date +%s%N)
    vsim -c 10 --rate 600 --seed 1 >/dev/null
    t1=$(date +%s%N)
    (((t1 - t0) / 1000000 >= 200 && (t1 - t0) / 1000000 < 3000))
}

# ----------------------------------------------------------------- vnorm

# vnorm_clean ARGS: vsim's 100 vehicles x 1 simulated hour through vnorm
# with ARGS; no reject, no warning, and every message accounted for.
vnorm_clean() {
    vsim --fast -n 100 --duration 1h --seed 42 --start "$START" --stats 0 \
        2>"$T/vsim.err" | vnorm "$@" --stats 0 >/dev/null 2>"$T/vnorm.err"
    local made in out rej warn merged
    made=$(stats_field "$T/vsim.err" out)
    in=$(stats_field "$T/vnorm.err" in)
    out=$(stats_field "$T/vnorm.err" out)
    rej=$(stats_field "$T/vnorm.err" rejected)
    warn=$(stats_field "$T/vnorm.err" warnings)
    merged=$(stats_field "$T/vnorm.err" merged)
    [[ $made -gt 3000000 && $in == "$made" ]] || fail "vsim made $made, vnorm read $in"
    [[ $rej == 0 && $warn == 0 ]] || fail "$rej rejects, $warn warnings"
    if [[ $merged == null ]]; then
        [[ $out == "$in" ]]
    else
        [[ $((out + merged)) == "$in" ]]
        # one snapshot per burst: 100 vehicles x 1800 ticks
        [[ $merged == $((100 * 1800 * 16)) ]]
    fi
}

@test "through vnorm: 100 vehicles x 1 h, no reject, no warning, 1:1" {
    vnorm_clean
}

@test "through vnorm --merge: 100 vehicles x 1 h, no reject, no warning" {
    vnorm_clean --merge
}

@test "through vnorm: v3 and short routes that end, no reject, no warning" {
    short_route '{"dtc":1,"brake":1,"oiltemp":1}'
    vsim --fast -n 20 -c 900 --seed 3 --start "$START" --routes "$T/short.ndjson" |
        vnorm --stats 0 >/dev/null 2>"$T/err"
    [[ $(stats_field "$T/err" rejected) == 0 && $(stats_field "$T/err" warnings) == 0 ]]
    vsim --fast -n 20 -c 900 --seed 3 --start "$START" --format v3 |
        vnorm --merge --stats 0 >/dev/null 2>"$T/err"
    [[ $(stats_field "$T/err" rejected) == 0 && $(stats_field "$T/err" warnings) == 0 ]]
    [[ $(stats_field "$T/err" in) == 18000 ]]
}
