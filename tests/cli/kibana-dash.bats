#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# kibana-dash without Kibana (none can run here): the generated file
# against the rules of kibana-dash(1), OBJECTS (tests/lib/kibana-check.py),
# and the HTTP side against tests/services/fake-kibana.py answering as
# Kibana 7.17, Kibana 8.x and OpenSearch Dashboards 2.x do. The data side,
# against real OpenSearch, is tests/integration/kibana-dash.bats.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../lib/common

bats_require_minimum_version 1.5.0

CHECK="$IOTPIPE_SRC/tests/lib/kibana-check.py"
DEAD=http://127.0.0.1:1

setup_file() {
    local fl log i url
    export FAKE_DIR=$BATS_FILE_TMPDIR/fake
    mkdir -p "$FAKE_DIR"
    # a self-signed certificate for localhost and 127.0.0.1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
        -keyout "$FAKE_DIR/tls.key" -out "$FAKE_DIR/tls.crt" >/dev/null 2>&1 || return 1
    # a client certificate, its own CA, for mutual TLS
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kibana-dash \
        -keyout "$FAKE_DIR/client.key" -out "$FAKE_DIR/client.crt" >/dev/null 2>&1 || return 1
    # one fake per flavor, one that wants credentials, one over TLS, one
    # over mutual TLS
    for fl in kibana7 kibana8 osd auth tls mtls; do
        log=$FAKE_DIR/$fl.log
        if [[ $fl == tls ]]; then
            python3 "$IOTPIPE_SRC/tests/services/fake-kibana.py" --flavor kibana8 \
                --tls "$FAKE_DIR/tls.crt" "$FAKE_DIR/tls.key" >"$log" 2>&1 &
        elif [[ $fl == mtls ]]; then
            python3 "$IOTPIPE_SRC/tests/services/fake-kibana.py" --flavor osd \
                --tls "$FAKE_DIR/tls.crt" "$FAKE_DIR/tls.key" \
                --client-ca "$FAKE_DIR/client.crt" >"$log" 2>&1 &
        elif [[ $fl == auth ]]; then
            python3 "$IOTPIPE_SRC/tests/services/fake-kibana.py" --flavor kibana8 \
                --user elastic --password 's3cr3t pw' --api-key a2V5OnNlY3JldA== \
                >"$log" 2>&1 &
        else
            python3 "$IOTPIPE_SRC/tests/services/fake-kibana.py" --flavor "$fl" \
                >"$log" 2>&1 &
        fi
        printf '%s\n' "$!" >"$FAKE_DIR/$fl.pid"
    done
    for fl in kibana7 kibana8 osd auth tls mtls; do
        url=
        for ((i = 0; i < 200; i++)); do
            url=$(sed -n 's/^fake-kibana: listening on //p' "$FAKE_DIR/$fl.log")
            [[ -n $url ]] && break
            sleep 0.05
        done
        [[ -n $url ]] || { cat "$FAKE_DIR/$fl.log"; return 1; }
        printf '%s\n' "$url" >"$FAKE_DIR/$fl.url"
    done
}

teardown_file() {
    local f pid
    for f in "$FAKE_DIR"/*.pid; do
        [[ -e $f ]] || continue
        pid=$(<"$f")
        kill "$pid" 2>/dev/null || true
    done
}

# fake FLAVOR: its URL, after forgetting objects, requests and script.
fake() {
    local u
    u=$(<"$FAKE_DIR/$1.url")
    curl -fsS --cacert "$FAKE_DIR/tls.crt" --cert "$FAKE_DIR/client.crt" \
        --key "$FAKE_DIR/client.key" -XPOST "$u/_fake/reset" >/dev/null
    printf '%s\n' "$u"
}

# script URL JSON: what the fake does next.
script() {
    curl -fsS -XPOST --data "$2" "$1/_fake/script" >/dev/null
}

# requests URL: the requests the fake saw, one JSON line each.
requests() {
    curl -fsS "$1/_fake/requests"
}

kd() {
    run --separate-stderr kibana-dash "$@"
}

# final KEYS [TEXT]: the final stats line of TEXT (the last kd's stderr),
# as [KEY, ...].
final() {
    grep '^{"tool"' <<<"${2-$stderr}" | jq -c "select(.final) | [$1]"
}

# ---- options

@test "kibana-dash --help prints the usage on stdout and exits 0" {
    kd --help
    assert_success
    assert_output --partial 'usage: kibana-dash [-hqVv]'
    [[ -z $stderr ]]
}

@test "kibana-dash -V prints the version" {
    run kibana-dash -V
    assert_success
    assert_output --regexp '^kibana-dash [0-9.]+ \(iotpipe\)$'
}

@test "usage errors exit 2 with the kibana-dash: prefix and a hint" {
    local args
    while IFS= read -r args; do
        # shellcheck disable=SC2086
        run --separate-stderr kibana-dash $args
        ((status == 2)) || fail "kibana-dash $args: exit $status"
        [[ $stderr == kibana-dash:* ]] || fail "kibana-dash $args: stderr: $stderr"
        [[ $stderr == *"Try 'kibana-dash --help'"* ]] || fail "kibana-dash $args: no hint"
    done <<'EOF'
--bogus
-x
--flavor elastic
--id-prefix Big
--id-prefix -x
--id-prefix a_b
--output dash.json
--output x.ndjson --delete
--space Fleet
--space a/b
--tenant
--wait -1
--wait x
--timeout 0
--stats x
--vin-field
--index-pattern a/b
--check --delete
--check --output x.ndjson
--cert c.pem
--key k.pem
-u ftp://kibana
file.ndjson
EOF
}

@test "a password only from the environment or a file, never argv; a missing one is a usage error" {
    kd -u "$DEAD" --user elastic
    assert_failure 2
    [[ $stderr == *KIBANA_PASSWORD* ]]
    kd -u "$DEAD" --password-file /dev/null
    assert_failure 2
    [[ $stderr == *"--password-file needs --user"* ]]
}

# ---- the file: kibana-dash(1), OBJECTS

@test "--output: the objects pass the checklist, in the file's order" {
    local f=$BATS_TEST_TMPDIR/dash.ndjson
    kd --output "$f" --stats 0
    assert_success
    run python3 "$CHECK" "$f"
    assert_success
    assert_output 'ok: 7 objects'
    run jq -r '"\(.type) \(.id)"' "$f"
    assert_output - <<'EOF'
index-pattern iotpipe-index-pattern
visualization iotpipe-vis-vin-control
visualization iotpipe-vis-events-speed
visualization iotpipe-vis-location-heatmap
visualization iotpipe-vis-routes-pie
visualization iotpipe-vis-fuel-gauge
dashboard iotpipe-dashboard
EOF
    # nothing sent: in 7, out 7, no requests
    [[ $(final '.in, .out, .rejected, .requests') == '[7,7,0,0]' ]]
}

@test "--output: the same file for both flavors and for a --space, byte for byte, every time" {
    local d=$BATS_TEST_TMPDIR
    kibana-dash --output "$d/a.ndjson"
    kibana-dash --output "$d/b.ndjson" --flavor kibana
    kibana-dash --output "$d/c.ndjson" --flavor osd
    kibana-dash --output "$d/d.ndjson" --space fleet
    kibana-dash --output - >"$d/e.ndjson"
    for f in b c d e; do
        cmp "$d/a.ndjson" "$d/$f.ndjson"
    done
    run python3 "$CHECK" "$d/c.ndjson"
    assert_success
}

@test "--output: the portable profile: pinned migration versions, no 8.x-only types or keys" {
    local f=$BATS_TEST_TMPDIR/dash.ndjson
    kibana-dash --output "$f"
    run jq -r '"\(.type) \(.migrationVersion | to_entries[0] | "\(.key) \(.value)")"' "$f"
    assert_output - <<'EOF'
index-pattern index-pattern 7.6.0
visualization visualization 7.10.0
visualization visualization 7.10.0
visualization visualization 7.10.0
visualization visualization 7.10.0
visualization visualization 7.10.0
dashboard dashboard 7.9.3
EOF
    run grep -E 'coreMigrationVersion|typeMigrationVersion|controlGroupInput|"lens"|compatibilityMode' "$f"
    assert_failure
    # the visualization types and the panels' grid, as kibana-dash(1) draws it
    run jq -r 'select(.type == "visualization") | .attributes.visState | fromjson | .type' "$f"
    assert_output - <<'EOF'
input_control_vis
line
tile_map
pie
gauge
EOF
    run jq -c 'select(.type == "dashboard") | .attributes.panelsJSON | fromjson | map(.gridData | [.x, .y, .w, .h])' "$f"
    assert_output '[[0,0,48,6],[0,6,48,15],[0,21,24,18],[24,21,24,18],[0,39,48,12]]'
}

@test "--output: the fuel gauge is red under 25, yellow under 50; the index pattern has esbulk's vehicle fields" {
    local f=$BATS_TEST_TMPDIR/dash.ndjson
    kibana-dash --output "$f"
    run jq -c 'select(.id == "iotpipe-vis-fuel-gauge") | .attributes.visState | fromjson | .params.gauge | [.colorSchema, .invertColors, .colorsRange]' "$f"
    assert_output '["Green to Red",true,[{"from":0,"to":25},{"from":25,"to":50},{"from":50,"to":100}]]'
    run jq -r 'select(.type == "index-pattern") | .attributes.fields | fromjson | map(select(.name | startswith("_") | not)) | .[] | select(.name == "location" or .name == "timestamp" or .name == "vin" or .name == "route_id" or .name == "vehicle_speed" or .name == "fuel_level") | "\(.name) \(.type) \(.esTypes[0])"' "$f"
    assert_output - <<'EOF'
timestamp date date
vin string keyword
route_id string keyword
vehicle_speed number float
fuel_level number float
location geo_point geo_point
EOF
}

@test "--output: other field names, id prefix, pattern and title: every reference follows" {
    local f=$BATS_TEST_TMPDIR/fleet.ndjson
    kd --output "$f" --id-prefix fleet-2 --index-pattern 'trucks-*' \
        --title 'Trucks' --time-field '@timestamp' --vin-field device.vin \
        --speed-field speed_kmh --location-field pos --route-field trip_id \
        --fuel-field tank_pct --space fleet
    assert_success
    run python3 "$CHECK" "$f"
    assert_success
    run jq -r '.id' "$f"
    assert_output --partial 'fleet-2-dashboard'
    refute_output --partial 'iotpipe'
    run jq -r '[.attributes.title, (.attributes.timeFieldName // empty)] | join(" ")' "$f"
    assert_line 'trucks-* @timestamp'
    assert_line '[Trucks] Fuel level per vehicle'
    assert_line 'Trucks'
    # the aggregations use the given names, and the old names are gone
    run jq -r 'select(.type == "visualization") | .attributes.visState | fromjson | (.aggs[].params.field // empty), (.params.controls[]?.fieldName)' "$f"
    assert_output - <<'EOF'
device.vin
speed_kmh
@timestamp
device.vin
pos
trip_id
tank_pct
device.vin
EOF
    run jq -r 'select(.type == "index-pattern") | .attributes.fields | fromjson | .[].name' "$f"
    assert_line 'pos'
    refute_line 'location'
    refute_line 'vin'
    # trip_id is the route now: once, as in the template
    [[ $(grep -cx trip_id <<<"$output") == 1 ]]
}

@test "the checker itself finds what it checks: a broken file fails" {
    local f=$BATS_TEST_TMPDIR/dash.ndjson g=$BATS_TEST_TMPDIR/bad.ndjson
    kibana-dash --output "$f"
    # overlapping panels, a dangling reference, an 8.x key, a wrong field type
    jq -c 'if .type == "dashboard" then .attributes.panelsJSON |= (fromjson | .[1].gridData.y = 3 | tojson) | .references[0].id = "nope" else . end
           | if .type == "index-pattern" then .attributes.fields |= (fromjson | map(if .name == "location" then .type = "number" else . end) | tojson) else . end
           | if .id == "iotpipe-vis-routes-pie" then .coreMigrationVersion = "8.8.0" else . end' "$f" >"$g"
    run python3 "$CHECK" "$g"
    assert_failure
    assert_output --partial 'overlap'
    assert_output --partial 'resolves nowhere'
    assert_output --partial 'coreMigrationVersion'
    assert_output --partial 'field location is number'
}

# ---- HTTP, against the scripted endpoint

@test "import into Kibana 8.x: status, then one multipart POST with both XSRF headers and overwrite only" {
    local u
    u=$(fake kibana8)
    kd -u "$u" -v --stats 0
    assert_success
    assert_output "$u/app/dashboards#/view/iotpipe-dashboard"
    [[ $stderr == *"Kibana 8.15.3"* ]]
    run requests "$u"
    run jq -c '[.method, .path, .headers["kbn-xsrf"], .headers["osd-xsrf"], .filename, .part_type, (.headers["content-type"] // "" | startswith("multipart/form-data; boundary="))]' <<<"$output"
    assert_output - <<'EOF'
["GET","/api/status","true","true",null,null,false]
["POST","/api/saved_objects/_import?overwrite=true","true","true","iotpipe.ndjson","application/ndjson",true]
EOF
    run curl -fsS "$u/_fake/objects"
    [[ $(wc -l <<<"$output") == 7 ]]
    [[ $(final '.out, .requests') == '[7,2]' ]]
    # idempotent: a rerun overwrites, nothing more is stored
    kd -u "$u"
    assert_success
    run curl -fsS "$u/_fake/objects"
    [[ $(wc -l <<<"$output") == 7 ]]
}

@test "a reader that went away (EPIPE): exit 0, no noise; the objects are in" {
    local u
    u=$(fake kibana8)
    # shellcheck disable=SC2016 # expanded by the inner bash
    run --separate-stderr bash -c 'kibana-dash -u "$1" | exec true; echo "status ${PIPESTATUS[0]}"' _ "$u"
    assert_output 'status 0'
    [[ -z $stderr ]] || fail "$stderr"
    run curl -fsS "$u/_fake/objects"
    [[ $(wc -l <<<"$output") == 7 ]]
    # --output - to a reader that reads nothing
    # shellcheck disable=SC2016 # expanded by the inner bash
    run --separate-stderr bash -c 'kibana-dash --output - | exec true; echo "status ${PIPESTATUS[0]}"'
    assert_output 'status 0'
    [[ -z $stderr ]] || fail "$stderr"
}

@test "import into Kibana 7.17 and OpenSearch Dashboards 2.x: each checks its own XSRF header" {
    local u fl
    for fl in kibana7 osd; do
        u=$(fake "$fl")
        kd -u "$u" -v
        assert_success
        assert_output "$u/app/dashboards#/view/iotpipe-dashboard"
        run curl -fsS "$u/_fake/objects"
        [[ $(wc -l <<<"$output") == 7 ]]
    done
    [[ $stderr == *"OpenSearch Dashboards 2.17.1"* ]]
}

@test "--flavor osd against a status without a version (anonymous Kibana 8) goes on; auto stops and says why" {
    local u
    u=$(fake osd)
    script "$u" '{"redacted": true}'
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"holds no version"* ]]
    kd -u "$u" --flavor osd
    assert_success
}

@test "a space: the import and the dashboard URL under /s/SPACE; OSD refuses --space; an unknown space is a 404 with a hint" {
    local u
    u=$(fake kibana8)
    kd -u "$u" --space fleet
    assert_success
    assert_output "$u/s/fleet/app/dashboards#/view/iotpipe-dashboard"
    run requests "$u"
    assert_line --partial '"path": "/s/fleet/api/saved_objects/_import?overwrite=true"'
    kd -u "$u" --space nope
    assert_failure 1
    [[ $stderr == *"HTTP 404"*"space that does not exist"* ]]
    u=$(fake osd)
    kd -u "$u" --space fleet
    assert_failure 2
    [[ $stderr == *"OpenSearch Dashboards has no spaces"* ]]
}

@test "--tenant: the securitytenant header for OpenSearch Dashboards; Kibana has none" {
    local u
    u=$(fake osd)
    kd -u "$u" --tenant global
    assert_success
    run requests "$u"
    [[ $(grep -c '"securitytenant": "global"' <<<"$output") == 2 ]]
    u=$(fake kibana8)
    kd -u "$u" --tenant global
    assert_failure 2
    [[ $stderr == *"Kibana has spaces"* ]]
    run requests "$u"
    refute_output --partial '"POST"'
}

@test "a conflict or a missing reference: nothing imported, exit 1, one line per error" {
    local u
    u=$(fake kibana8)
    script "$u" '{"import": "conflict"}'
    kd -u "$u" --stats 0
    assert_failure 1
    [[ $stderr == *"nothing was imported"* ]]
    [[ $stderr == *"dashboard iotpipe-dashboard: conflict"* ]]
    run curl -fsS "$u/_fake/objects"
    assert_output ''
    u=$(fake kibana7)
    script "$u" '{"import": "missing_references"}'
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"nothing was imported"* ]]
    [[ $(grep -c ': missing_references index-pattern:gone$' <<<"$stderr") == 5 ]]
}

@test "an unknown error on one object: a partial import, named, exit 1" {
    local u
    u=$(fake osd)
    script "$u" '{"import": "unknown"}'
    kd -u "$u" --stats 0
    assert_failure 1
    [[ $stderr == *"1 of 7 objects were not imported"* ]]
    [[ $stderr == *"dashboard iotpipe-dashboard: unknown: [attributes.bogus]"* ]]
    [[ $(final '.out, .rejected') == '[6,1]' ]]
}

@test "unsupported_type: those objects are not written, the others are; named, exit 1" {
    local u
    u=$(fake kibana8)
    script "$u" '{"import": "unsupported_type"}'
    kd -u "$u" --stats 0
    assert_failure 1
    [[ $stderr == *"5 of 7 objects were not imported"* ]]
    [[ $(grep -c '^visualization iotpipe-vis-[a-z-]*: unsupported_type$' <<<"$stderr") == 5 ]]
    [[ $(final '.in, .out, .rejected') == '[7,2,5]' ]]
    run curl -fsS "$u/_fake/objects"
    [[ $(wc -l <<<"$output") == 2 ]]
}

@test "a 400 for a query parameter the version does not know: exit 1 with Kibana's reason" {
    local u fl
    for fl in kibana7 kibana8 osd; do
        u=$(fake "$fl")
        script "$u" '{"import": "400"}'
        kd -u "$u" --stats 0
        assert_failure 1
        [[ $stderr == *"HTTP 400: [request query.overwrite]: definition for this key is missing; nothing was imported"* ]] ||
            fail "$stderr"
        [[ $stderr != *"JSON"* ]]
        [[ $(final '.out, .rejected') == '[0,7]' ]]
    done
}

@test "Kibana 8 regenerates ids in another space: the new ids are reported" {
    local u
    u=$(fake kibana8)
    script "$u" '{"import": "regenerate"}'
    kd -u "$u" --space fleet --check
    assert_success
    [[ $stderr == *"dashboard iotpipe-dashboard is "*" in this space"* ]]
    # the URL and --check's reads use the new ids
    refute_output --partial 'iotpipe-dashboard'
    assert_output --regexp "^$u/s/fleet/app/dashboards#/view/[0-9a-f-]{36}\$"
    run requests "$u"
    [[ $(grep -c '"method": "GET", "path": "/s/fleet/api/saved_objects/' <<<"$output") == 7 ]]
    refute_output --partial '"path": "/s/fleet/api/saved_objects/dashboard/iotpipe-dashboard"'
}

@test "401, 403, 413, 500 and an HTML login page: exit 1 with what it means, no JSON parse error" {
    local u
    u=$(fake auth)
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"HTTP 401"*"KIBANA_PASSWORD"* ]]
    u=$(fake kibana8)
    script "$u" '{"403": true}'
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"HTTP 403"*"privileges"* ]]
    u=$(fake kibana8)
    script "$u" '{"413": true}'
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"HTTP 413"*"maxImportPayloadBytes"*"nothing was imported"* ]]
    u=$(fake kibana7)
    script "$u" '{"500": true}'
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"HTTP 500"* ]]
    u=$(fake kibana8)
    script "$u" '{"html": true}'
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"HTML page, not the Kibana API"* ]]
    [[ $stderr != *"JSON"* ]]
    # a wrong base path: a 404 on the API, said as such
    u=$(fake osd)
    kd -u "$u/_dashboards"
    assert_failure 1
    [[ $stderr == *"/_dashboards/api/status: HTTP 404"*"wrong base path"* ]]
}

@test "credentials: basic from KIBANA_USER/KIBANA_PASSWORD or --password-file, ApiKey from KIBANA_API_KEY; never printed" {
    local u pw=$BATS_TEST_TMPDIR/pw
    u=$(fake auth)
    KIBANA_USER=elastic KIBANA_PASSWORD='s3cr3t pw' kd -u "$u" -vv
    assert_success
    [[ $stderr != *s3cr3t* ]]
    printf 's3cr3t pw\n' >"$pw"
    chmod 600 "$pw"
    kd -u "$u" --user elastic --password-file "$pw"
    assert_success
    KIBANA_API_KEY=a2V5OnNlY3JldA== kd -u "$u"
    assert_success
    run requests "$u"
    assert_line --partial '"authorization": "ApiKey ..."'
    assert_line --partial '"authorization": "Basic ..."'
    KIBANA_USER=elastic KIBANA_PASSWORD=wrong kd -u "$u"
    assert_failure 1
    [[ $stderr != *wrong* ]]
}

@test "KIBANA_URL is read; -u wins" {
    local u
    u=$(fake kibana7)
    KIBANA_URL=$u kd
    assert_success
    KIBANA_URL=$DEAD kd -u "$u"
    assert_success
}

@test "--wait: 503 while starting, then the import; without --wait the 503 is an exit 1 with the hint" {
    local u
    u=$(fake kibana8)
    script "$u" '{"starting": 2}'
    kd -u "$u" --wait 30
    assert_success
    [[ $(grep -c 'waiting for Kibana' <<<"$stderr") == 2 ]]
    u=$(fake kibana7)
    script "$u" '{"starting": 5}'
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"HTTP 503"*"--wait SECONDS"* ]]
    # bounded: a short wait gives up
    u=$(fake osd)
    script "$u" '{"starting": 100}'
    kd -u "$u" --wait 1
    assert_failure 1
    [[ $stderr == *"not ready after 1 s"* ]]
}

# bg OUT ERR ARGS...: kibana-dash ARGS in the background; its pid in PID.
bg() {
    local out=$1 err=$2
    shift 2
    kibana-dash "$@" >"$out" 2>"$err" &
    PID=$!
}

# until FILE PATTERN: wait (5 s at most) for an extended regex in FILE.
until_seen() {
    local i
    for ((i = 0; i < 100; i++)); do
        grep -Eq "$2" "$1" && return 0
        sleep 0.05
    done
    fail "no '$2' in $1: $(cat "$1")"
}

# until_posted URL: wait (5 s at most) until the fake at URL has an import.
until_posted() {
    local i
    for ((i = 0; i < 100; i++)); do
        requests "$1" | grep -q '"POST"' && return 0
        sleep 0.05
    done
    fail "no import reached the fake"
}

# reaped: the exit status of PID, in status.
reaped() {
    status=0
    wait "$PID" || status=$?
}

@test "SIGTERM or SIGINT during --wait: stops at once, says nothing was imported, exit 1, the final stats" {
    local u sig out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err t0
    for sig in TERM INT; do
        u=$(fake kibana8)
        script "$u" '{"starting": 1000}'
        bg "$out" "$err" -u "$u" --wait 60 --stats 0
        until_seen "$err" 'waiting for Kibana'
        t0=$EPOCHREALTIME
        kill -"$sig" "$PID"
        reaped
        assert_equal "$status" 1
        # at once, not at the next try or the end of --wait
        awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 1.5) }' ||
            fail "SIG$sig took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }') s"
        grep -q '^kibana-dash: stopped by a signal while waiting for Kibana; nothing was imported$' "$err" ||
            fail "$(cat "$err")"
        [[ ! -s $out ]]
        run requests "$u"
        refute_output --partial '"POST"'
        [[ $(final '.in, .out, .rejected' "$(<"$err")") == '[7,0,7]' ]] || fail "$(cat "$err")"
    done
}

@test "a signal during the import: the import in flight gets its answer; a second signal stops at once" {
    local u out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
    # one signal: Kibana has the objects; its answer is awaited and told
    u=$(fake kibana8)
    script "$u" '{"slow": 2}'
    bg "$out" "$err" -u "$u" --stats 0
    until_posted "$u"
    kill -INT "$PID"
    reaped
    assert_equal "$status" 0
    grep -q "waiting for Kibana's answer to the import in flight (a second signal stops at once)" "$err"
    grep -q 'the import in flight finished: 7 objects imported' "$err"
    assert_equal "$(<"$out")" "$u/app/dashboards#/view/iotpipe-dashboard"
    # one signal with --check: imported, the check is not done, exit 1
    u=$(fake kibana8)
    script "$u" '{"slow": 2}'
    bg "$out" "$err" -u "$u" --check --stats 0
    until_posted "$u"
    kill -TERM "$PID"
    reaped
    assert_equal "$status" 1
    grep -q 'stopped by a signal: the objects were imported; --check was not done' "$err"
    run requests "$u"
    refute_output --partial '"GET", "path": "/api/saved_objects/'
    # two signals: no answer to wait for, and it says the outcome is unknown
    u=$(fake kibana8)
    script "$u" '{"slow": 5}'
    bg "$out" "$err" -u "$u" --stats 0
    until_posted "$u"
    kill -INT "$PID"
    until_seen "$err" 'in flight'
    kill -INT "$PID"
    reaped
    assert_equal "$status" 1
    grep -q 'stopped by a second signal while Kibana imported: what it imported is unknown; run kibana-dash again (it overwrites) or with --delete' "$err" ||
        fail "$(cat "$err")"
    [[ ! -s $out ]]
    [[ $(final '.out, .rejected' "$(<"$err")") == '[0,7]' ]]
}

@test "--stats SECONDS: a line every SECONDS while --wait lasts, then the final line with every field" {
    local u
    u=$(fake kibana8)
    script "$u" '{"starting": 1}'
    kd -u "$u" --wait 30 --stats 0.5
    assert_success
    # one 503, a 2 s pause: at least three lines on the way
    (($(grep -c '^{"tool":"kibana-dash","elapsed_s":[0-9.]*,"in":7,"out":0,"rejected":0,"requests":1,"rate":[0-9.]*}$' <<<"$stderr") >= 3)) ||
        fail "$stderr"
    run jq -c 'select(.final) | keys_unsorted' <<<"$(grep '^{' <<<"$stderr")"
    assert_output '["tool","elapsed_s","in","out","rejected","requests","rate","final"]'
    [[ $(final '.tool, .in, .out, .rejected, .requests, .final, (.elapsed_s >= 2), (.rate > 0)') == '["kibana-dash",7,7,0,3,true,true,true]' ]] ||
        fail "$stderr"
    # SIGUSR1 prints a line now, as in every program
    u=$(fake kibana8)
    script "$u" '{"starting": 1000}'
    bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" -u "$u" --wait 60
    until_seen "$BATS_TEST_TMPDIR/err" 'waiting for Kibana'
    kill -USR1 "$PID"
    until_seen "$BATS_TEST_TMPDIR/err" '^\{"tool":"kibana-dash"'
    kill -TERM "$PID"
    reaped
    assert_equal "$status" 1
}

@test "an unreachable Kibana: exit 1, and --wait says so while it waits" {
    kd -u "$DEAD"
    assert_failure 1
    [[ $stderr == *"127.0.0.1"* ]]
    kd -u "$DEAD" --wait 0.5
    assert_failure 1
    [[ $stderr == *"waiting for Kibana"* ]]
}

@test "--check reads each object back; a missing one is named" {
    local u
    u=$(fake kibana8)
    kd -u "$u" --check -v
    assert_success
    [[ $stderr == *"the 7 objects are in Kibana"* ]]
    run requests "$u"
    [[ $(grep -c '"method": "GET", "path": "/api/saved_objects/' <<<"$output") == 7 ]]
    assert_line --partial '"path": "/api/saved_objects/index-pattern/iotpipe-index-pattern"'
    # an import that loses an object (an unknown error): --check names it
    u=$(fake osd)
    script "$u" '{"import": "unknown"}'
    kd -u "$u" --check
    assert_failure 1
}

@test "--delete removes exactly its objects, dashboard first; a second run finds none; other objects stay" {
    local u
    u=$(fake kibana8)
    kibana-dash -u "$u" --id-prefix other >/dev/null
    kibana-dash -u "$u" >/dev/null
    kd -u "$u" --delete -v --stats 0
    assert_success
    [[ $stderr == *"deleted 7 objects, 0 were not there"* ]]
    run requests "$u"
    run jq -r 'select(.method == "DELETE") | .path' <<<"$output"
    assert_line --index 0 '/api/saved_objects/dashboard/iotpipe-dashboard'
    assert_line --index 6 '/api/saved_objects/index-pattern/iotpipe-index-pattern'
    run curl -fsS "$u/_fake/objects"
    [[ $(wc -l <<<"$output") == 7 ]]
    refute_output --partial '"id": "iotpipe-'
    kd -u "$u" --delete -v
    assert_success
    [[ $stderr == *"deleted 0 objects, 7 were not there"* ]]
    # in a space
    kibana-dash -u "$u" --space fleet >/dev/null
    kd -u "$u" --space fleet --delete
    assert_success
    run requests "$u"
    assert_line --partial '"method": "DELETE", "path": "/s/fleet/api/saved_objects/dashboard/iotpipe-dashboard"'
}

@test "man/kibana-dash-layout.svg is the drawing of today's default dashboard" {
    run bash -c 'kibana-dash --output - | python3 "$1/man/kibana-dash-layout.py"' _ "$IOTPIPE_SRC"
    assert_success
    assert_equal "$output" "$(<"$IOTPIPE_SRC/man/kibana-dash-layout.svg")"
    assert_output --partial '[Vehicle telemetry] Vehicle locations (heat map)'
    assert_output --partial 'gauge, 48 x 12 at (0,39)'
    # what each panel aggregates, the fuel bands, the 48-column ruler
    assert_output --partial '>count, avg vehicle_speed by date_histogram timestamp, terms vin<'
    assert_output --partial '>max fuel_level by terms vin<'
    assert_output --partial '>0 to 25<'
    assert_output --partial 'Kibana dashboard, 48-column grid'
    # a title too long for its panel wraps, then ends in an ellipsis
    run bash -c 'kibana-dash --output - --title "$2" | python3 "$1/man/kibana-dash-layout.py"' _ "$IOTPIPE_SRC" \
        "$(printf 'word%.0s ' {1..40})"
    assert_success
    assert_output --partial '…</text>'
}

@test "the scripted endpoint refuses what the real ones refuse, and kibana-dash sends none of it" {
    local u fl f=$BATS_TEST_TMPDIR/dash.ndjson
    kibana-dash --output "$f"
    # a query parameter the version does not know: 400, as Kibana 7.17 and OSD
    for fl in kibana7 osd; do
        u=$(fake "$fl")
        run curl -sS -H 'kbn-xsrf: true' -H 'osd-xsrf: true' -F "file=@$f" \
            "$u/api/saved_objects/_import?overwrite=true&compatibilityMode=true"
        assert_output --partial '"statusCode": 400'
        assert_output --partial '[request query.compatibilityMode]: definition for this key is missing'
    done
    # each server checks its own XSRF header only
    u=$(fake kibana8)
    run curl -sS -H 'osd-xsrf: true' -F "file=@$f" "$u/api/saved_objects/_import?overwrite=true"
    assert_output --partial 'Request must contain a kbn-xsrf header.'
    u=$(fake osd)
    run curl -sS -H 'kbn-xsrf: true' -F "file=@$f" "$u/api/saved_objects/_import?overwrite=true"
    assert_output --partial 'Request must contain a osd-xsrf header.'
    # a file name that does not end in .ndjson
    run curl -sS -H 'osd-xsrf: true' -F "file=@$f;filename=dash.json" "$u/api/saved_objects/_import"
    assert_output --partial 'Invalid file extension .json'
    # kibana-dash: overwrite only, to every flavor, and a 200 each time
    for fl in kibana7 kibana8 osd; do
        u=$(fake "$fl")
        kd -u "$u"
        assert_success
        run requests "$u"
        run jq -r 'select(.method == "POST") | .path' <<<"$output"
        assert_output '/api/saved_objects/_import?overwrite=true'
    done
}

@test "TLS: verified by default; --cafile trusts the server; --insecure is explicit; --cert and --key for mutual TLS" {
    local u
    u=$(fake tls)
    [[ $u == https://* ]]
    kd -u "$u"
    assert_failure 1
    [[ $stderr == *"certificate"* ]]
    kd -u "$u" --cafile "$FAKE_DIR/tls.crt"
    assert_success
    assert_output "$u/app/dashboards#/view/iotpipe-dashboard"
    kd -u "$u" --insecure
    assert_success
    # mutual TLS: the server wants a client certificate
    u=$(fake mtls)
    kd -u "$u" --cafile "$FAKE_DIR/tls.crt"
    assert_failure 1
    # the server's refusal reads differently from one run to the next
    [[ $stderr == "kibana-dash: $u"* && -z $output ]] || fail "$stderr"
    kd -u "$u" --cafile "$FAKE_DIR/tls.crt" --cert "$FAKE_DIR/client.crt" --key "$FAKE_DIR/client.key"
    assert_success
    assert_output "$u/app/dashboards#/view/iotpipe-dashboard"
}
