#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# kibana-dash's data side against real OpenSearch (started here from Maven
# Central, as tests/integration/esbulk.bats does): the sample telemetry
# through vnorm and esbulk --template vehicles, then each panel's
# aggregation built from the visualization's own visState
# (tests/lib/kibana-aggs.py) must find data, the index pattern's fields
# must be the ones the index maps, and --check must find the mapping right
# and name a wrong one. No Kibana runs here: the HTTP side is
# tests/cli/kibana-dash.bats. IOTPIPE_TEST_OPENSEARCH points the tests at a
# running server.

load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/opensearch.sh
source "$IOTPIPE_SRC/tests/services/opensearch.sh"

AGGS="$IOTPIPE_SRC/tests/lib/kibana-aggs.py"
# Washington DC and its suburbs, where the sample vehicles drive
DC_BBOX=39.2,-77.6,38.7,-76.8
PATTERN='kdash-vehicles-*'

setup_file() {
    local pid
    unset IOTPIPE_RUN_DIR
    svc_init
    export IOTPIPE_RUN_DIR
    started opensearch opensearch_start &
    pid=$!
    # the documents, meanwhile: the sample, and snapshots that name their
    # route (the sample has none; vsim's will)
    export DOCS=$IOTPIPE_RUN_DIR/kdash-docs.ndjson
    {
        cat "$IOTPIPE_DATA/raw-vehicle-sample.ndjson"
        local i r
        for i in 0 1 2 3 4 5 6 7 8; do
            r=$((i % 3))
            printf '{"vin":"UX6FZSBYHWGKO925M","timestamp":"2019-06-15 11:4%d:00.000000000","routeId":"route-%d","speed":%d,"latitude":38.95,"longitude":-77.39}\n' \
                "$i" "$r" $((20 + i))
        done
    } | "$IOTPIPE_BUILD/vnorm" >"$DOCS"
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

# panel ID [ARGS]: run the visualization's aggregation; prints the summary.
panel() {
    run python3 "$AGGS" "$FILE" "$1" "$OS_SVC_URL" "$PATTERN" "${@:2}"
    assert_success
    [[ ${lines[-1]} =~ ^buckets\ [1-9][0-9]*\ leaves\ [1-9][0-9]*\ values\ [1-9] ]] ||
        fail "no data: ${lines[-1]}"
}

@test "events over time: date_histogram, then the average speed per vin, from the line chart's visState" {
    indexed
    panel iotpipe-vis-events-speed
    # the translation is the visualization's: the fields and the nesting
    assert_line --index 0 --partial '"date_histogram": {"field": "timestamp"'
    assert_line --index 0 --partial '"terms": {"field": "vin"'
    assert_line --index 0 --partial '"avg": {"field": "vehicle_speed"}'
}

@test "heat map: the grid on location inside the DC bounding box (geohash as saved, geotile too)" {
    indexed
    panel iotpipe-vis-location-heatmap --bbox "$DC_BBOX"
    assert_line --index 0 --partial '"geohash_grid": {"field": "location"'
    panel iotpipe-vis-location-heatmap --bbox "$DC_BBOX" --grid geotile
    assert_line --index 0 --partial '"geotile_grid": {"field": "location"'
    assert_line --index 0 --partial '"geo_bounding_box"'
}

@test "routes: terms on route_id finds the routes" {
    indexed
    panel iotpipe-vis-routes-pie
    assert_line --index 0 --partial '"terms": {"field": "route_id"'
    [[ ${lines[-1]} == 'buckets 3 leaves 3 values 3' ]]
}

@test "fuel: the highest fuel_level per vin" {
    indexed
    panel iotpipe-vis-fuel-gauge
    assert_line --index 0 --partial '"max": {"field": "fuel_level"}'
    assert_line --index 0 --partial '"order": {"m1": "asc"}'
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
    curl -fsS -XDELETE "$OS_SVC_URL/kdash-bad-1" >/dev/null 2>&1 || true
    jq -c '{index: {_index: "kdash-bad-1"}}, .' "$DOCS" |
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
