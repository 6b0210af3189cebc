#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What iotpipe does so far, on the sample data in tests/data/: vnorm in 1:1
# and --merge modes, a reject stream, and the stats line.  Run by `make demo`
# as IOTPIPE_BUILD=<build dir> ./demo.sh; it builds and installs nothing.
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
trap 'rm -rf "$tmp"' EXIT

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
