#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# kibana-dash's data side against real OpenSearch (started here from Maven
# Central, as tests/integration/esbulk.bats does): vsim's vehicles (five,
# half an hour of simulated driving around Washington DC) through vnorm
# and esbulk --template vehicles, then each panel's aggregation built from
# the visualization's own visState (tests/lib/kibana-aggs.py) must find
# data, the index pattern's fields must be the ones the index maps, and
# --check must find the mapping right and name a wrong one. No Kibana runs
# here: the HTTP side is tests/cli/kibana-dash.bats.
# IOTPIPE_TEST_OPENSEARCH points the tests at a running server.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/opensearch.sh
source "$IOTPIPE_SRC/tests/services/opensearch.sh"

AGGS="$IOTPIPE_SRC/tests/lib/kibana-aggs.py"
# Washington DC and its suburbs, where vsim's vehicles drive
DC_BBOX=39.2,-77.6,38.7,-76.8
PATTERN='kdash-vehicles-*'

setup_file() {
    local pid
    unset IOTPIPE_RUN_DIR
    svc_init
    export IOTPIPE_RUN_DIR
    started opensearch opensearch_start &
    pid=$!
    # the documents, meanwhile: vsim's, the same every run (a seed, a
    # start), with routes, fuel, speed and positions
    export DOCS=$IOTPIPE_RUN_DIR/kdash-docs.ndjson
    "$IOTPIPE_BUILD/vsim" -n 5 --seed 1 --fast --duration 30m \
        --start 2019-06-15T11:00:00Z | "$IOTPIPE_BUILD/vnorm" >"$DOCS"
    wait "$pid"
}

teardown() {
    [[ -n ${BATS_TEST_COMPLETED:-} ]] || svc_mark_failed
}

teardown_file() {
    local kept=
    if [[ ${IOTPIPE_KEEP_LOGS:-0} == 1 || -f $IOTPIPE_RUN_DIR/failed ]]; then
        kept=1
    fi
    svc_cleanup 0
    if [[ -n $kept ]]; then
        printf '# kibana-dash: logs kept in %s\n' "$IOTPIPE_RUN_DIR" >&3
    fi
}

# indexed: the documents in OpenSearch once, through esbulk's template.
indexed() {
    need opensearch opensearch_use
    local n
    n=$(curl -fsS "$OS_SVC_URL/$PATTERN/_count" 2>/dev/null | jq -r '.count // 0') || n=0
    if [[ $n != "$(wc -l <"$DOCS")" ]]; then
        esbulk -u "$OS_SVC_URL" -i 'kdash-vehicles-%Y.%m.%d' --template vehicles \
            --rejects "$BATS_TEST_TMPDIR/rej" "$DOCS" || return 1
        [[ ! -s $BATS_TEST_TMPDIR/rej ]] || return 1
        curl -fsS -XPOST "$OS_SVC_URL/$PATTERN/_refresh" >/dev/null
    fi
    FILE=$BATS_TEST_TMPDIR/dash.ndjson
    kibana-dash --output "$FILE" --index-pattern "$PATTERN"
}

# panel ID [ARGS]: run the visualization's aggregation; the summary
# "buckets B leaves L values V docs D" is the last line, its numbers in
# B L V D.
panel() {
    run python3 "$AGGS" "$FILE" "$1" "$OS_SVC_URL" "$PATTERN" "${@:2}"
    assert_success
    [[ ${lines[-1]} =~ ^buckets\ [1-9][0-9]*\ leaves\ [1-9][0-9]*\ values\ [1-9] ]] ||
        fail "no data: ${lines[-1]}"
    read -r _ B _ L _ V _ D <<<"${lines[-1]}"
}

# count JQ-FILTER: how many of the documents it selects.
count() {
    jq -c "select($1)" "$DOCS" | wc -l
}

@test "events over time: date_histogram, then the average speed per vin, from the line chart's visState" {
    indexed
    panel iotpipe-vis-events-speed
    # the translation is the visualization's: the fields and the nesting
    assert_line --index 0 --partial '"date_histogram": {"field": "timestamp"'
    assert_line --index 0 --partial '"terms": {"field": "vin"'
    assert_line --index 0 --partial '"avg": {"field": "vehicle_speed"}'
    # every document is in a minute; every minute has a speed per vehicle
    ((D == $(count true))) || fail "docs $D"
    ((V == L)) || fail "leaves $L, with a speed $V"
}

@test "heat map: the grid on location inside the DC bounding box (geohash as saved, geotile too)" {
    indexed
    panel iotpipe-vis-location-heatmap --bbox "$DC_BBOX"
    assert_line --index 0 --partial '"geohash_grid": {"field": "location"'
    panel iotpipe-vis-location-heatmap --bbox "$DC_BBOX" --grid geotile
    assert_line --index 0 --partial '"geotile_grid": {"field": "location"'
    assert_line --index 0 --partial '"geo_bounding_box"'
    # vsim drives in DC: every position is inside the box
    ((D > 0 && D == $(count .location))) || fail "docs $D in the box"
}

@test "routes: terms on route_id finds the routes" {
    indexed
    panel iotpipe-vis-routes-pie
    assert_line --index 0 --partial '"terms": {"field": "route_id"'
    # each of vsim's routes (fewer than the pie's ten), every document
    ((B == $(jq -r .route_id "$DOCS" | sort -u | wc -l))) || fail "routes $B"
    ((B >= 3 && D == $(count true))) || fail "routes $B, docs $D"
}

@test "fuel: the highest fuel_level per vin" {
    indexed
    panel iotpipe-vis-fuel-gauge
    assert_line --index 0 --partial '"max": {"field": "fuel_level"}'
    assert_line --index 0 --partial '"order": {"m1": "asc"}'
    # the five vehicles, each with a fuel level
    ((B == 5 && V == 5)) || fail "vehicles $B, with fuel $V"
}

@test "the index pattern's fields are the ones esbulk --template vehicles maps, with the same types" {
    indexed
    local want got
    want=$(jq -r 'select(.type == "index-pattern") | .attributes.fields | fromjson | .[]
                  | select(.name | startswith("_") | not) | "\(.name) \(.esTypes[0])"' "$FILE" | sort)
    got=$(curl -fsS "$OS_SVC_URL/$PATTERN/_mapping" |
        jq -r '[.[].mappings.properties | to_entries[] | select(.value.type != null and .value.type != "object")
                | "\(.key) \(.value.type)"] | unique | .[]' | sort)
    assert_equal "$want" "$got"
}

@test "--check with ELASTICSEARCH_URL: the mapping is right; a location that is not geo_point is named" {
    indexed
    ELASTICSEARCH_URL=$OS_SVC_URL run --separate-stderr kibana-dash \
        --output "$BATS_TEST_TMPDIR/x.ndjson" --index-pattern "$PATTERN" --check -v
    assert_success
    [[ $stderr == *"has every field the dashboard uses"* ]]
    # dynamic mapping: location becomes two floats, vin text
    head -n 2000 "$DOCS" | grep -q '"location":' || fail "no position in the first documents"
    curl -fsS -XDELETE "$OS_SVC_URL/kdash-bad-1" >/dev/null 2>&1 || true
    head -n 2000 "$DOCS" | jq -c '{index: {_index: "kdash-bad-1"}}, del(."@metadata")' |
        curl -fsS -H 'Content-Type: application/x-ndjson' -XPOST \
            "$OS_SVC_URL/_bulk?refresh=true" --data-binary @- >/dev/null
    ELASTICSEARCH_URL=$OS_SVC_URL run --separate-stderr kibana-dash \
        --output "$BATS_TEST_TMPDIR/x.ndjson" --index-pattern 'kdash-bad-*' --check
    assert_failure 1
    [[ $stderr == *"location (--location-field): geo_point needed, index kdash-bad-1 maps it as an object"* ]]
    [[ $stderr == *"vin (--vin-field): keyword needed, index kdash-bad-1 maps it as text"* ]]
    # no index at all
    ELASTICSEARCH_URL=$OS_SVC_URL run --separate-stderr kibana-dash \
        --output "$BATS_TEST_TMPDIR/x.ndjson" --index-pattern 'kdash-none-*' --check
    assert_failure 1
    [[ $stderr == *"no index matches 'kdash-none-*'"* ]]
}
