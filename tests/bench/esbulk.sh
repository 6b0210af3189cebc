#!/usr/bin/env bash
# esbulk.sh: esbulk against miku/esbulk on one real OpenSearch, its own
# ceiling against a discarding endpoint, and its peak memory.
#
#   tests/bench/esbulk.sh            (binaries from <repo>/build)
#
# One run of each, on the same BENCH_DOCS vehicle documents (gen-raw.py
# through vnorm, cached under $IOTPIPE_CACHE/bench), into the same
# OpenSearch node (tests/services/opensearch.sh, or IOTPIPE_TEST_OPENSEARCH):
#   1. esbulk    -s BENCH_SIZE -w BENCH_WORKERS into index bench-esbulk
#   2. miku/esbulk -size BENCH_SIZE -w BENCH_WORKERS into index bench-miku
#      (both indices made first with 1 shard, 0 replicas and refresh off,
#      which is what miku/esbulk does to its index by itself), and as a
#      reference for what the server takes, curl posting request bodies
#      built beforehand, BENCH_WORKERS at a time
#   3. esbulk against tests/services/fake-es.py --discard (the ceiling:
#      MB/s of input), esbulk on CPU 0 and the endpoint on CPU 1
# Prints docs/s, MB/s, the ratio esbulk/miku (target >= 1.0), the ceiling
# (target >= 100 MB/s) and peak RSS (target <= 64 MiB), and checks _count.
#
# miku/esbulk comes from MIKU_ESBULK (a binary), else from
# $IOTPIPE_CACHE/gobin/esbulk, else `go install
# github.com/miku/esbulk/cmd/esbulk@latest` into that directory (never into
# the source tree). Without it the comparison is skipped and said so.
#
# It is a benchmark, not a test: it exits 0 when a target is missed (and
# says "BELOW TARGET"), 1 only when something does not work.
#
# Environment:
#   IOTPIPE_BUILD   directory holding esbulk and vnorm (default <repo>/build)
#   IOTPIPE_CACHE   cache root (default $HOME/.cache/iotpipe)
#   BENCH_DOCS      documents (default 1000000)
#   BENCH_SEED      generator seed (default 1)
#   BENCH_SIZE      documents per request for both tools (default 1000)
#   BENCH_WORKERS   requests in flight for both tools (default 2)
#   BENCH_TMPDIR    where the documents go during the runs (default /dev/shm)
#   MIKU_ESBULK     path of a miku/esbulk binary
#   PYTHON          python 3 interpreter (default python3)

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${IOTPIPE_BUILD:-$src/build}
esbulk=$build/esbulk
vnorm=$build/vnorm
docs=${BENCH_DOCS:-1000000}
seed=${BENCH_SEED:-1}
size=${BENCH_SIZE:-1000}
workers=${BENCH_WORKERS:-2}
python=${PYTHON:-python3}
gnutime=/usr/bin/time
target_ratio=1.0
target_mbs=100
target_rss_mib=64

die() {
    printf 'esbulk.sh: %s\n' "$*" >&2
    exit 1
}

for v in BENCH_DOCS:"$docs" BENCH_SEED:"$seed" BENCH_SIZE:"$size" \
    BENCH_WORKERS:"$workers"; do
    [[ ${v#*:} =~ ^[0-9]+$ ]] || die "${v%%:*} must be a number: ${v#*:}"
done
[[ -x $esbulk && -x $vnorm ]] ||
    die "no esbulk or vnorm in $build (run make, or set IOTPIPE_BUILD)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
command -v curl >/dev/null || die "curl not found"
if [[ ! -x $gnutime ]] || ! "$gnutime" --version 2>&1 | grep -q GNU; then
    die "GNU time not found at $gnutime (apt-get install time)"
fi

# shellcheck source=tests/services/opensearch.sh
source "$src/tests/services/opensearch.sh"
unset IOTPIPE_RUN_DIR
svc_init || die "no run directory"
svc_trap

cache=$IOTPIPE_CACHE/bench
mkdir -p "$cache"
tmproot=${BENCH_TMPDIR:-}
if [[ -z $tmproot ]]; then
    tmproot=/dev/shm
    [[ -d $tmproot && -w $tmproot ]] || tmproot=${TMPDIR:-/tmp}
fi
tmp=$(mktemp -d "$tmproot/esbulk-bench.XXXXXX") || die "cannot create a directory in $tmproot"
trap 'rm -rf "$tmp"; svc_cleanup $?' EXIT

# ---- the documents: raw messages (cached, as tests/bench/vnorm.sh does),
# normalized by vnorm, without @metadata so that both tools send the same
gensum=$(sha256sum "$here/gen-raw.py" | cut -c1-12)
raw=$cache/raw-$docs-s$seed-$gensum.ndjson
if [[ ! -s $raw ]]; then
    printf 'generating %d raw messages into %s ...\n' "$docs" "$raw"
    "$python" "$here/gen-raw.py" -n "$docs" --seed "$seed" >"$raw.tmp.$$" ||
        die "gen-raw.py failed"
    mv "$raw.tmp.$$" "$raw"
fi
"$vnorm" <"$raw" >"$tmp/docs.ndjson" 2>/dev/null || die "vnorm failed"
ndocs=$(wc -l <"$tmp/docs.ndjson")
nbytes=$(wc -c <"$tmp/docs.ndjson")

# ---- miku/esbulk
miku=${MIKU_ESBULK:-}
miku_note=
if [[ -z $miku && -x $IOTPIPE_CACHE/gobin/esbulk ]]; then
    miku=$IOTPIPE_CACHE/gobin/esbulk
fi
if [[ -z $miku ]]; then
    if command -v go >/dev/null; then
        mkdir -p "$IOTPIPE_CACHE/gobin"
        if GOBIN=$IOTPIPE_CACHE/gobin timeout 600 go install \
            github.com/miku/esbulk/cmd/esbulk@latest >"$tmp/go.log" 2>&1; then
            miku=$IOTPIPE_CACHE/gobin/esbulk
        else
            miku_note="go install failed: $(grep -m1 -o '[0-9]\{3\} [A-Za-z ]*' "$tmp/go.log" || tail -n 1 "$tmp/go.log")"
        fi
    else
        miku_note="go not installed"
    fi
fi

# ---- the server
if [[ -n ${IOTPIPE_TEST_OPENSEARCH:-} ]]; then
    url=${IOTPIPE_TEST_OPENSEARCH%/}
else
    printf 'starting OpenSearch ...\n'
    opensearch_start --heap 2g >/dev/null || die "OpenSearch did not start"
    url=$OS_SVC_URL
fi

mib() {
    awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# fresh INDEX: a new index like miku/esbulk's bulk-load settings
fresh() {
    curl -fsS -XDELETE "$url/$1" >/dev/null 2>&1 || true
    curl -fsS -XPUT -H 'Content-Type: application/json' "$url/$1" -d \
        '{"settings":{"number_of_shards":1,"number_of_replicas":0,"refresh_interval":"-1"}}' \
        >/dev/null || die "cannot create index $1"
}

count() {
    curl -fsS -XPOST "$url/$1/_refresh" >/dev/null
    curl -fsS "$url/$1/_count" | jq -r .count
}

# timed NAME CMD...: run CMD under GNU time; sets t_wall (s) and t_rss (KiB)
timed() {
    local name=$1 t0 t1
    shift
    t0=$EPOCHREALTIME
    if ! "$gnutime" -f '%e %M' -o "$tmp/time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
        tail -n 5 "$tmp/$name.err" >&2
        die "$name failed: $*"
    fi
    t1=$EPOCHREALTIME
    read -r _ t_rss <"$tmp/time"
    t_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

report() {
    awk -v n="$2" -v b="$3" -v w="$4" -v r="$5" -v name="$1" 'BEGIN {
        printf "%-22s %8.2f s %9.0f docs/s %7.1f MB/s   peak RSS %.1f MiB\n",
            name, w, n / w, b / w / 1e6, r / 1024 }'
}

printf 'esbulk benchmark: %d documents, %.1f MB, -s %d, -w %d, server %s\n' \
    "$ndocs" "$(awk -v b="$nbytes" 'BEGIN { print b / 1e6 }')" "$size" "$workers" "$url"
printf '  %s; miku/esbulk: %s\n' "$("$esbulk" --version)" \
    "${miku:-not available${miku_note:+ ($miku_note)}}"
if [[ -r /proc/loadavg ]]; then
    read -r load1 _ </proc/loadavg
    printf '  load average %s on %s CPUs (other work slows every run)\n' "$load1" "$(nproc)"
fi
echo

# 0. warm the server's JIT up, so that the first tool measured is not
# also the one that pays for it
fresh bench-warmup
head -n 200000 "$tmp/docs.ndjson" >"$tmp/warmup.ndjson"
"$esbulk" -u "$url" -i bench-warmup -s "$size" -w "$workers" -q "$tmp/warmup.ndjson" ||
    die "the warm-up run failed"
curl -fsS -XDELETE "$url/bench-warmup" >/dev/null
rm -f "$tmp/warmup.ndjson"

# 1. esbulk into OpenSearch
fresh bench-esbulk
timed esbulk "$esbulk" -u "$url" -i bench-esbulk -s "$size" -w "$workers" \
    --stats 0 "$tmp/docs.ndjson"
e_wall=$t_wall e_rss=$t_rss
report "esbulk" "$ndocs" "$nbytes" "$e_wall" "$e_rss"
e_count=$(count bench-esbulk)
[[ $e_count == "$ndocs" ]] || printf '  esbulk: _count %s, expected %s\n' "$e_count" "$ndocs"

# 2. miku/esbulk into the same OpenSearch
ratio=
if [[ -n $miku ]]; then
    fresh bench-miku
    timed miku "$miku" -server "$url" -index bench-miku -size "$size" \
        -w "$workers" "$tmp/docs.ndjson"
    m_wall=$t_wall m_rss=$t_rss
    report "miku/esbulk" "$ndocs" "$nbytes" "$m_wall" "$m_rss"
    m_count=$(count bench-miku)
    [[ $m_count == "$ndocs" ]] || printf '  miku/esbulk: _count %s, expected %s\n' "$m_count" "$ndocs"
    ratio=$(awk -v e="$e_wall" -v m="$m_wall" 'BEGIN { printf "%.2f", m / e }')
    printf '%-22s %s x miku/esbulk (docs/s)\n' "ratio" "$ratio"
fi

# 2b. a reference for what the server takes: curl posting request bodies
# built beforehand (no JSON work at all), -w at a time
fresh bench-curl
mkdir -p "$tmp/bodies"
awk -v size="$size" -v dir="$tmp/bodies" '{
    f = sprintf("%s/%08d", dir, int((NR - 1) / size))
    print "{\"index\":{\"_index\":\"bench-curl\"}}" > f
    print > f
    if (NR % size == 0) close(f)
}' "$tmp/docs.ndjson"
cat >"$tmp/post.sh" <<EOF
#!/bin/sh
for f in "\$@"; do
    curl -fsS -o /dev/null -H 'Content-Type: application/x-ndjson' \
        --data-binary "@\$f" '$url/_bulk' || exit 1
done
EOF
chmod +x "$tmp/post.sh"
# shellcheck disable=SC2016 # expanded by the inner sh
timed curl sh -c 'find "$1" -type f | sort | xargs -P "$2" -n 50 "$3"' _ \
    "$tmp/bodies" "$workers" "$tmp/post.sh"
report "curl, bodies prebuilt" "$ndocs" "$nbytes" "$t_wall" "$t_rss"
c_count=$(count bench-curl)
[[ $c_count == "$ndocs" ]] || printf '  curl: _count %s, expected %s\n' "$c_count" "$ndocs"
curl_ratio=$(awk -v e="$e_wall" -v c="$t_wall" 'BEGIN { printf "%.2f", c / e }')
printf '%-22s %s x curl with prebuilt bodies (docs/s)\n' "ratio" "$curl_ratio"
rm -rf "$tmp/bodies"
curl -fsS -XDELETE "$url/bench-esbulk,bench-miku,bench-curl" >/dev/null 2>&1 || true

# 3. the ceiling: a local endpoint that reads and drops every body
pin_es=() pin_fake=()
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null &&
    taskset -c 1 true 2>/dev/null; then
    pin_es=(taskset -c 0) pin_fake=(taskset -c 1)
fi
"${pin_fake[@]}" "$python" "$src/tests/services/fake-es.py" --discard >"$tmp/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do
    furl=$(sed -n 's/^fake-es: listening on //p' "$tmp/fake.log")
    [[ -n $furl ]] && break
    sleep 0.05
done
[[ -n ${furl:-} ]] || die "fake-es.py did not start"
best_wall=
for _ in 1 2 3; do
    timed ceiling "${pin_es[@]}" "$esbulk" -u "$furl" -i bench -s 5000 -w 2 "$tmp/docs.ndjson"
    if [[ -z $best_wall ]] || awk -v a="$t_wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
        best_wall=$t_wall c_rss=$t_rss
    fi
done
kill "$fake_pid" 2>/dev/null || true
wait "$fake_pid" 2>/dev/null || true
report "esbulk ceiling" "$ndocs" "$nbytes" "$best_wall" "$c_rss"
ceiling=$(awk -v b="$nbytes" -v w="$best_wall" 'BEGIN { printf "%.1f", b / w / 1e6 }')

echo
peak=$e_rss
((c_rss > peak)) && peak=$c_rss
verdict() {
    if awk -v a="$1" -v b="$2" -v op="$3" 'BEGIN { exit !(op == ">=" ? a >= b : a <= b) }'; then
        printf 'ok'
    else
        printf 'BELOW TARGET'
    fi
}
if [[ -n $ratio ]]; then
    printf 'target: docs/s ratio >= %s x miku/esbulk: %s (%s)\n' "$target_ratio" "$ratio" \
        "$(verdict "$ratio" "$target_ratio" '>=')"
else
    printf 'target: docs/s ratio >= %s x miku/esbulk: not measured (%s)\n' "$target_ratio" \
        "${miku_note:-no binary}"
fi
printf 'target: ceiling >= %s MB/s: %s MB/s (%s)\n' "$target_mbs" "$ceiling" \
    "$(verdict "$ceiling" "$target_mbs" '>=')"
printf 'target: peak RSS <= %s MiB: %s MiB (%s)\n' "$target_rss_mib" "$(mib "$peak")" \
    "$(verdict "$(mib "$peak")" "$target_rss_mib" '<=')"
