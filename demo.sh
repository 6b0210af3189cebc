#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What iotpipe does: vnorm on the sample data in tests/data/ (1:1 and
# --merge modes, a reject stream, the stats line); then the whole pipeline
# on local servers it starts (mosquitto, Kafka, OpenSearch, from
# tests/services/), as tests/lib/pipeline.sh runs it: five simulated
# vehicles driving half an hour in about a minute,
#   vsim | json2mqtt;  mqtt2json -m | vnorm --es-id | kprod;
#   kcons -G indexer --acks FIFO | esbulk --acks FIFO;
#   every stage's rejects into kprod -t telemetry.errors,
# a summary that adds up, three answers from the index, and the Kibana
# dashboard as a file (kibana-dash --output).  Run by `make demo` as
# IOTPIPE_BUILD=<build dir> ./demo.sh; it builds and installs nothing (the
# servers' jars are fetched into the cache on first use).  It stops what
# it started.  DEMO_SERVERS=0 leaves the servers out; DEMO_DASHBOARD is
# the dashboard file (<build dir>/iotpipe-dashboard.ndjson);
# DEMO_SPEEDUP (30) and DEMO_MINUTES (30) pace the simulation.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${IOTPIPE_BUILD:-$src/build}
vnorm=$build/vnorm
raw=$src/tests/data/raw-vehicle-sample.ndjson

die() {
    printf 'demo.sh: %s\n' "$*" >&2
    exit 1
}

[[ -x $vnorm ]] || die "$vnorm: not built (run 'make demo')"
command -v jq >/dev/null || die "jq: not installed (run 'make deps' as root)"
[[ -r $raw ]] || die "$raw: missing"

tmp=$(mktemp -d)
# the servers' scripts stop what they started on exit (svc_cleanup)
# shellcheck source=tests/services/mosquitto.sh
source "$src/tests/services/mosquitto.sh"
# shellcheck source=tests/services/kafka.sh
source "$src/tests/services/kafka.sh"
# shellcheck source=tests/services/opensearch.sh
source "$src/tests/services/opensearch.sh"
# shellcheck source=tests/lib/pipeline.sh
source "$src/tests/lib/pipeline.sh"
trap 'st=$?; pipe_stop; rm -rf -- "$tmp"; svc_cleanup "$st"' EXIT

step() {
    printf '\n== %s\n' "$*"
}
cmd() {
    printf '$ %s\n' "$*"
}

step "1:1 mode: one document per raw simulator message"
for n in 4 52; do
    cmd "sed -n ${n}p raw-vehicle-sample.ndjson"
    sed -n "${n}p" "$raw"
    cmd "sed -n ${n}p raw-vehicle-sample.ndjson | vnorm"
    sed -n "${n}p" "$raw" | "$vnorm"
done

step "--merge: per-signal messages folded into snapshots (the thesis' shape)"
cmd "vnorm --merge --stats 0 raw-vehicle-sample.ndjson | wc -l"
"$vnorm" --merge --stats 0 "$raw" 2>"$tmp/merge.err" | tee "$tmp/merged" | wc -l
printf 'final stats line on stderr:\n'
grep '^{' "$tmp/merge.err" | tail -n 1
printf 'the snapshot at the thesis location:\n'
grep -m 1 '"lat":38.95618' "$tmp/merged" || die "no snapshot at the thesis location"

step "rejects: bad lines go to the --rejects stream, the good ones go on"
vin=UX6FZSBYHWGKO925M
ts='"timestamp":"2019-06-15 11:39:40.000000000"'
{
    head -n 2 "$raw"
    printf '%s\n' \
        "{$ts,\"name\":\"vehicle_speed\",\"value\":50}" \
        "{\"timestamp\":\"2019-02-29 10:00:00\",\"vin\":\"$vin\",\"name\":\"vehicle_speed\",\"value\":50}" \
        "{$ts,\"vin\":\"$vin\",\"name\":\"location\",\"latitude\":0,\"longitude\":0}" \
        "{$ts,\"vin\":\"$vin\",\"name\":\"oil_temp\",\"value\":null}" \
        'speed=50 (not JSON)'
    sed -n 3p "$raw"
} >"$tmp/mixed.ndjson"
cmd "cat mixed.ndjson"
cat "$tmp/mixed.ndjson"
cmd "vnorm --stats 0 --rejects /dev/fd/3 mixed.ndjson 3>&1 >docs.ndjson 2>stats | jq -c .error"
"$vnorm" --stats 0 --rejects /dev/fd/3 "$tmp/mixed.ndjson" \
    3>&1 >"$tmp/docs.ndjson" 2>"$tmp/stats" | jq -c .error
cmd "wc -l <docs.ndjson"
wc -l <"$tmp/docs.ndjson"
printf 'final stats line on stderr:\n'
grep '^{' "$tmp/stats" | tail -n 1

[[ ${DEMO_SERVERS:-1} == 0 ]] && exit 0

step "the whole pipeline on local servers: vsim -> MQTT -> vnorm -> Kafka -> OpenSearch"
PATH=$build:$PATH
speedup=${DEMO_SPEEDUP:-30} minutes=${DEMO_MINUTES:-30}
dash=${DEMO_DASHBOARD:-$build/iotpipe-dashboard.ndjson}
printf 'starting mosquitto, Kafka and OpenSearch (the first time fetches their jars) ...\n'
pipe_mosquitto >/dev/null || die "mosquitto did not start"
kafka_start --name demo >/dev/null || die "Kafka did not start"
opensearch_start --name demo >/dev/null || die "OpenSearch did not start"
printf 'mosquitto on 127.0.0.1:%s, Kafka on %s, OpenSearch on %s\n' \
    "$MQTT_SVC_PORT" "$KAFKA_SVC_BOOTSTRAP" "$OS_SVC_URL"

# the simulated half hour ends now, so that Kibana's "Last 1 hour" shows it
start=$(date -u -d "-$minutes minutes" +%Y-%m-%dT%H:%M:%SZ)
# three lines no vehicle sends, for the error topic: not JSON (json2mqtt
# refuses it), no vin and an impossible date (vnorm refuses them)
PIPE_INJECT=(
    'speed=50 (not JSON)'
    '{"@metadata":{"mqtt":{"topic":"connectedcar/telemetry/BROKEN"}},"name":"vehicle_speed","value":50}'
    '{"@metadata":{"mqtt":{"topic":"connectedcar/telemetry/BROKEN"}},"timestamp":"2019-02-29 10:00:00","vin":"BROKEN","name":"vehicle_speed","value":50}'
)
cmd "kcons -G indexer --acks acks -t telemetry | esbulk --acks acks --template vehicles -i 'vehicles-%Y.%m.%d' --id @metadata.kafka.key &"
cmd "mqtt2json -m -q 1 -t 'connectedcar/#' | vnorm --es-id | kprod -t telemetry --key-field @metadata.es._id &"
cmd "(each stage) --rejects errors;  kprod -t telemetry.errors <errors &"
pipe_init "$tmp/pipeline" || die "could not set the pipeline up"
pipe_indexer_start
pipe_ingest_start || die "the ingest did not start"
cmd "vsim -n 5 --seed 7 --start $start --duration ${minutes}m --speedup $speedup | json2mqtt -q 1 -M 100"
printf '(%s simulated minutes take about %s s)\n' "$minutes" "$((minutes * 60 / speedup))"
pipe_source -n 5 --seed 7 --start "$start" --duration "${minutes}m" \
    --speedup "$speedup" || die "the source failed"
pipe_ingest_finish || die "the ingest failed"
pipe_indexer_finish || die "the indexer failed"
pipe_errors_finish || die "the error topic's producer failed"

step "the summary: every record is indexed or rejected"
count=$(pipe_count) || die "no count from OpenSearch"
published=$(pipe_stat json2mqtt out) received=$(pipe_stat mqtt2json out)
normalized=$(pipe_stat vnorm out) produced=$(pipe_stat kprod out)
consumed=$(pipe_stat kcons out) indexed=$(pipe_stat esbulk out)
rejected=0 detail=
for s in json2mqtt mqtt2json vnorm kprod kcons esbulk; do
    r=$(pipe_stat "$s" rejected)
    rejected=$((rejected + r))
    ((r == 0)) || detail+=" $s $r,"
done
errors=$(pipe_stat errors out)
printf '%-11s %8s\n' stage records \
    generated "$(pipe_stat vsim out)" \
    published "$published" received "$received" normalized "$normalized" \
    rejected "$rejected" produced "$produced" consumed "$consumed" \
    indexed "$indexed"
printf 'rejected:%s; all %s in the error topic telemetry.errors\n' "${detail%,}" "$errors"
printf 'documents in the index: %s\n' "$count"
adds() {
    (($1)) || die "the counts do not add up: $2"
}
adds "received == published" "received $received, published $published"
adds "normalized + $(pipe_stat vnorm rejected) + $(pipe_stat mqtt2json rejected) == received" \
    "normalized $normalized + rejects != received $received"
adds "produced + $(pipe_stat kprod rejected) == normalized" "produced $produced != normalized $normalized"
adds "consumed == produced" "consumed $consumed, produced $produced"
adds "indexed + $(pipe_stat esbulk rejected) == consumed" "indexed $indexed != consumed $consumed"
adds "count == indexed" "$count documents in the index, $indexed indexed"
adds "errors == rejected" "$errors in the error topic, $rejected rejected"
printf 'it adds up: published %s = indexed %s + rejected after publishing %s\n' \
    "$published" "$indexed" "$((published - indexed))"

search() {
    curl -fsS -H 'Content-Type: application/json' "$OS_SVC_URL/vehicles-*/_search" -d "$1"
}
step "average speed per vehicle (km/h)"
search '{"size":0,"aggs":{"vin":{"terms":{"field":"vin","size":10},
    "aggs":{"speed":{"avg":{"field":"vehicle_speed"}}}}}}' |
    jq -r '.aggregations.vin.buckets[] | "\(.key)  \(.speed.value * 10 | round / 10)"'
step "documents per route"
search '{"size":0,"aggs":{"route":{"terms":{"field":"route_id","size":20}}}}' |
    jq -r '.aggregations.route.buckets[] | "\(.key)  \(.doc_count)"'
step "last fuel level per vehicle (%)"
search '{"size":0,"query":{"exists":{"field":"fuel_level"}},
    "aggs":{"vin":{"terms":{"field":"vin","size":10},"aggs":{"last":{"top_hits":{
    "size":1,"sort":[{"timestamp":"desc"}],"_source":["timestamp","fuel_level"]}}}}}}' |
    jq -r '.aggregations.vin.buckets[] | .key as $vin | .last.hits.hits[0]._source |
        "\($vin)  \(.timestamp)  \(.fuel_level * 100 | round / 100)"'

step "the dashboard"
cmd "kibana-dash --output $dash"
kibana-dash --output "$dash" || die "kibana-dash failed"
printf '%s: %s saved objects (data view vehicles-*, visualizations, dashboard)\n' \
    "$dash" "$(wc -l <"$dash")"
printf 'import it into Kibana 7.10+ or OpenSearch Dashboards (Stack Management >\n'
printf 'Saved objects > Import), or with curl:\n'
printf "  curl -X POST 'http://localhost:5601/api/saved_objects/_import?overwrite=true' \\\\\n"
printf "      -H 'kbn-xsrf: true' --form file=@%s\n" "$dash"
printf 'or let kibana-dash import it: kibana-dash -u http://localhost:5601\n'
printf 'the data is timestamped the last %s minutes: "Last 1 hour" shows it\n' "$minutes"
printf '\nthe pipeline and the servers stop now; tests/services/*.sh start them for a session of your own\n'
