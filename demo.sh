#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What iotpipe does, on the sample data in tests/data/: vnorm in 1:1 and
# --merge modes, a reject stream, the stats line; then the pipeline on local
# servers it starts (mosquitto, Kafka, OpenSearch, from tests/services/):
# json2mqtt -> mqtt2json | vnorm | kprod -> kcons | esbulk.  Run by `make
# demo` as IOTPIPE_BUILD=<build dir> ./demo.sh; it builds and installs
# nothing (the servers' jars are fetched into the cache on first use).
# DEMO_SERVERS=0 leaves the servers out.
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
trap 'st=$?; rm -rf -- "$tmp"; svc_cleanup "$st"' EXIT

step() {
    printf '\n== %s\n' "$*"
}
cmd() {
    printf '$ %s\n' "$*"
}

step "1:1 mode: one document per raw simulator message"
for n in 4 9 52 105; do
    cmd "sed -n ${n}p raw-vehicle-sample.ndjson"
    sed -n "${n}p" "$raw"
    cmd "sed -n ${n}p raw-vehicle-sample.ndjson | vnorm"
    sed -n "${n}p" "$raw" | "$vnorm"
done

step "the whole sample: $(wc -l <"$raw") raw messages"
cmd "vnorm raw-vehicle-sample.ndjson | wc -l"
"$vnorm" "$raw" | wc -l

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

step "--strict: the same input, now a failure"
cmd "vnorm --strict --quiet mixed.ndjson >/dev/null; echo \$?"
status=0
"$vnorm" --strict --quiet "$tmp/mixed.ndjson" >/dev/null || status=$?
printf '%s\n' "$status"

[[ ${DEMO_SERVERS:-1} == 0 ]] && exit 0

step "the pipeline on local servers: MQTT -> vnorm -> Kafka -> OpenSearch"
PATH=$build:$PATH
n=$(wc -l <"$raw")
printf 'starting mosquitto, Kafka and OpenSearch (the first time fetches their jars) ...\n'
mosquitto_start --name demo plain >/dev/null || die "mosquitto did not start"
kafka_start --name demo >/dev/null || die "Kafka did not start"
opensearch_start --name demo >/dev/null || die "OpenSearch did not start"
mqtt=$MQTT_SVC_PORT bs=$KAFKA_SVC_BOOTSTRAP url=$OS_SVC_URL
printf 'mosquitto on 127.0.0.1:%s, Kafka on %s, OpenSearch on %s\n' "$mqtt" "$bs" "$url"

cmd "mqtt2json -p $mqtt -t 'demo/#' -q 1 -C $n | vnorm | kprod -b $bs -t telemetry --key-field vin &"
# --idle-timeout: should a message go missing, the demo ends, it does not hang
mqtt2json -v -p "$mqtt" -t 'demo/#' -q 1 -C "$n" --idle-timeout 30 --stats 0 \
    2>"$tmp/m2j.err" |
    vnorm --stats 0 2>"$tmp/vnorm.err" |
    kprod -b "$bs" -t telemetry --key-field vin --stats 0 2>"$tmp/kprod.err" &
pipeline=$!
# publish once the subscription is in place (-v says when)
for _ in {1..300}; do
    grep -q 'subscribed to' "$tmp/m2j.err" 2>/dev/null && break
    sleep 0.1
done
grep -q 'subscribed to' "$tmp/m2j.err" ||
    die "mqtt2json did not subscribe: $(cat "$tmp/m2j.err")"
cmd "json2mqtt -p $mqtt -t demo/telemetry -q 1 <raw-vehicle-sample.ndjson"
json2mqtt -p "$mqtt" -t demo/telemetry -q 1 --stats 0 <"$raw" 2>"$tmp/j2m.err" ||
    die "json2mqtt failed: $(cat "$tmp/j2m.err")"
wait "$pipeline" || die "the MQTT -> Kafka pipeline failed: $(cat "$tmp"/*.err)"
for t in json2mqtt:j2m mqtt2json:m2j vnorm:vnorm kprod:kprod; do
    printf '%-10s %s\n' "${t%%:*}" "$(grep '^{' "$tmp/${t#*:}.err" | tail -n 1)"
done

cmd "kcons -b $bs -t telemetry -e | esbulk -u $url -i telemetry"
kcons -b "$bs" -t telemetry -e --stats 0 2>"$tmp/kcons.err" |
    esbulk -u "$url" -i telemetry --stats 0 2>"$tmp/esbulk.err" ||
    die "the Kafka -> OpenSearch pipeline failed: $(cat "$tmp/kcons.err" "$tmp/esbulk.err")"
for t in kcons esbulk; do
    printf '%-10s %s\n' "$t" "$(grep '^{' "$tmp/$t.err" | tail -n 1)"
done

curl -fsS -X POST "$url/telemetry/_refresh" >/dev/null || die "no refresh"
cmd "curl $url/telemetry/_count"
count=$(curl -fsS "$url/telemetry/_count" | jq .count)
printf '%s documents in the index\n' "$count"
[[ $count == "$n" ]] || die "$count documents in OpenSearch, not $n"
cmd "curl $url/telemetry/_search (documents per vehicle, top 3)"
curl -fsS -H 'Content-Type: application/json' "$url/telemetry/_search" -d \
    '{"size":0,"aggs":{"vin":{"terms":{"field":"vin.keyword","size":3}}}}' |
    jq -c '.aggregations.vin.buckets[] | {vin: .key, documents: .doc_count}'
printf '\nthe servers stop now; tests/services/*.sh start them for a session of your own\n'
