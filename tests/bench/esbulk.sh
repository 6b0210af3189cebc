#!/usr/bin/env bash
# esbulk.sh: esbulk against miku/esbulk on one real OpenSearch, its own
# ceiling against a discarding endpoint, and its peak memory.
#
#   tests/bench/esbulk.sh            (binaries from <repo>/build)
#   MIKU_ESBULK_SRC=DIR tests/bench/esbulk.sh
#
# The same BENCH_DOCS vehicle documents (gen-raw.py through vnorm, cached
# under $IOTPIPE_CACHE/bench) go into the same OpenSearch node
# (tests/services/opensearch.sh, or IOTPIPE_TEST_OPENSEARCH), BENCH_RUNS
# times for each tool, esbulk first in odd runs and miku/esbulk first in
# even ones, each run into a new index (1 shard, 0 replicas, refresh off,
# which is what miku/esbulk does to its index by itself):
#   esbulk       -s BENCH_SIZE -w BENCH_WORKERS
#   miku/esbulk  -size BENCH_SIZE -w BENCH_WORKERS -verbose
# Both sides have the same end condition: the run is timed from the
# start of the process until it has ended and one _refresh of the index
# has returned; then _count must be BENCH_DOCS (a run with fewer is short,
# and no ratio is printed). miku/esbulk also resets the index's settings
# and calls _flush before it exits: that is part of its run, and is also
# reported apart (the time from its closing "docs in" log line, which
# -verbose prints, to its exit), with the ratio that leaves it out.
# Then the ceiling: esbulk against tests/services/fake-es.py --discard
# (MB/s of input, 3 runs), esbulk on CPU 0 and the endpoint on CPU 1.
# Prints best and median docs/s, the ratios (target >= 1.0), the ceiling
# (target >= 100 MB/s), peak RSS (target <= 64 MiB) and the load average
# seen after the runs.
#
# miku/esbulk comes from MIKU_ESBULK (a binary), else it is built from its
# source in MIKU_ESBULK_SRC (miku/esbulk v0.7.35: go build ./cmd/esbulk,
# Go >= 1.25, its dependencies from the Go module proxy) into
# $IOTPIPE_CACHE/bench/miku-esbulk-HASH/ (never into the source tree; a
# later run reuses it). With neither, the comparison is skipped and said
# so. miku/esbulk is GPL-3.0: it is only run here, never linked or shipped.
#
# It is a benchmark, not a test: it exits 0 when a target is missed (and
# says "BELOW TARGET"), 1 when something does not work or a run came up
# short.
#
# Environment:
#   IOTPIPE_BUILD   directory holding esbulk and vnorm (default <repo>/build)
#   IOTPIPE_CACHE   cache root (default $HOME/.cache/iotpipe)
#   BENCH_DOCS      documents (default 1000000)
#   BENCH_RUNS      runs of each tool (default 3, at least 3)
#   BENCH_SEED      generator seed (default 1)
#   BENCH_SIZE      documents per request for both tools (default 1000)
#   BENCH_WORKERS   requests in flight for both tools (default 2)
#   BENCH_TMPDIR    where the documents go during the runs (default /dev/shm)
#   BENCH_SUMMARY   a file for the summary rows (tests/bench/all.sh)
#   MIKU_ESBULK     path of a miku/esbulk binary
#   MIKU_ESBULK_SRC miku/esbulk's source directory, to build it from
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
runs=${BENCH_RUNS:-3}
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
    BENCH_WORKERS:"$workers" BENCH_RUNS:"$runs"; do
    [[ ${v#*:} =~ ^[0-9]+$ ]] || die "${v%%:*} must be a number: ${v#*:}"
done
((runs >= 3)) || die "BENCH_RUNS must be at least 3"
((docs >= 100)) || die "BENCH_DOCS must be at least 100"
[[ -x $esbulk && -x $vnorm ]] ||
    die "no esbulk or vnorm in $build (run make, or set IOTPIPE_BUILD)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
command -v curl >/dev/null || die "curl not found"
if [[ ! -x $gnutime ]] || ! "$gnutime" --version 2>&1 | grep -q GNU; then
    die "GNU time not found at $gnutime (apt-get install time)"
fi

# shellcheck source=tests/services/opensearch.sh
source "$src/tests/services/opensearch.sh"
# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"
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

# ---- miku/esbulk: a binary, or built from its source once (cached by
# the checksum of its go.mod, go.sum and Go files)
miku=${MIKU_ESBULK:-}
miku_note=
if [[ -n $miku ]]; then
    [[ -x $miku ]] || die "MIKU_ESBULK=$miku is not an executable"
elif [[ -n ${MIKU_ESBULK_SRC:-} ]]; then
    msrc=$MIKU_ESBULK_SRC
    [[ -f $msrc/go.mod && -d $msrc/cmd/esbulk ]] ||
        die "MIKU_ESBULK_SRC=$msrc does not hold miku/esbulk's source (go.mod, cmd/esbulk)"
    # Go 1.21 and later fetch the toolchain go.mod asks for by themselves
    gominor=$(go version 2>/dev/null | sed -n 's/.* go1\.\([0-9]*\).*/\1/p')
    if [[ -z $gominor ]]; then
        miku_note="MIKU_ESBULK_SRC is set but go is not installed (Go >= 1.25 builds miku/esbulk)"
    elif ((gominor < 21)); then
        miku_note="$(go version | cut -d' ' -f3) cannot build miku/esbulk (it needs Go >= 1.25; Go >= 1.21 fetches that)"
    fi
fi
if [[ -z $miku && -n ${MIKU_ESBULK_SRC:-} && -z $miku_note ]]; then
    msum=$(cd "$msrc" && find . -name '*.go' -o -name go.mod -o -name go.sum | LC_ALL=C sort |
        xargs sha256sum | sha256sum | cut -c1-12)
    mdir=$cache/miku-esbulk-$msum
    if [[ ! -x $mdir/esbulk ]]; then
        printf 'building miku/esbulk from %s into %s ...\n' "$msrc" "$mdir"
        mkdir -p "$mdir"
        (cd "$msrc" && timeout 900 go build -o "$mdir/esbulk.tmp" ./cmd/esbulk) \
            >"$tmp/go.log" 2>&1 || {
            tail -n 5 "$tmp/go.log" >&2
            die "building miku/esbulk failed (go build ./cmd/esbulk in $msrc)"
        }
        mv "$mdir/esbulk.tmp" "$mdir/esbulk"
    fi
    miku=$mdir/esbulk
elif [[ -z $miku && -z $miku_note ]]; then
    miku_note="neither MIKU_ESBULK (a binary) nor MIKU_ESBULK_SRC (its source, to build) is set"
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
    curl -fsS "$url/$1/_count" | jq -r .count
}

# run TOOL R: one run of TOOL into a new index, timed until the process
# has ended and one _refresh of the index has returned; checks _count.
# Appends "seconds count docs cpu_s rss_kb" to $tmp/TOOL, and for miku
# "seconds-less-its-closing-steps count docs" to $tmp/miku-core and the
# closing steps' seconds to $tmp/miku-extra.
run() {
    local tool=$1 r=$2 index=bench-$1-$2 t0 t1 tl='' c st=0 wall kept
    fresh "$index"
    t0=$EPOCHREALTIME
    if [[ $tool == esbulk ]]; then
        "$gnutime" -f '%U %S %M' -o "$tmp/time" "$esbulk" -u "$url" -i "$index" \
            -s "$size" -w "$workers" --stats 0 "$tmp/docs.ndjson" \
            >"$tmp/run.out" 2>"$tmp/run.err" || st=$?
    else
        # -verbose: its last log line before the closing steps ("N docs
        # in S at R docs/s") is stamped as it arrives
        { "$gnutime" -f '%U %S %M' -o "$tmp/time" "$miku" -server "$url" -index "$index" \
            -size "$size" -w "$workers" -verbose "$tmp/docs.ndjson" \
            2>&1 >"$tmp/run.out" || echo "exit status $?"; } |
            while IFS= read -r line; do
                [[ $line == *" docs in "* ]] && printf 'stamp %s\n' "$EPOCHREALTIME"
                printf '%s\n' "$line"
            done >"$tmp/run.err"
        grep -q '^exit status' "$tmp/run.err" && st=1
    fi
    t1=$EPOCHREALTIME
    if ((st)); then
        tail -n 5 "$tmp/run.err" >&2
        # miku/esbulk does not retry what the server refuses for a
        # moment (a 429): a failed run of it is said, and run once more
        if [[ $tool == miku && -z ${retried:-} ]]; then
            printf '  miku/esbulk failed (run %d, above): run again, once\n' "$r"
            curl -fsS -XDELETE "$url/$index" >/dev/null 2>&1 || true
            retried=1 run "$tool" "$r"
            return
        fi
        die "$tool failed (run $r)"
    fi
    curl -fsS -XPOST "$url/$index/_refresh" >/dev/null || die "_refresh of $index failed"
    wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
    c=$(count "$index")
    if [[ $c != "$ndocs" ]]; then
        printf '  %s run %d: _count %s, expected %s; the end of its stderr:\n' "$tool" "$r" "$c" "$ndocs"
        grep -v '^stamp ' "$tmp/run.err" | tail -n 3 | cut -c1-300 | sed 's/^/    /'
        # the whole stderr (esbulk's rejects and why) outlives the run
        kept=$(mktemp "${TMPDIR:-/tmp}/esbulk-bench-short-$tool-$r.XXXXXX.err") &&
            cp "$tmp/run.err" "$kept" && printf '    stderr kept in %s\n' "$kept"
        short=1
    fi
    read -r cpu rss < <(awk '{ printf "%.2f %s\n", $1 + $2, $3 }' "$tmp/time")
    bench_record "$tmp/$tool" "$wall" "$c" "$ndocs" "$cpu" "$rss"
    if [[ $tool == miku ]]; then
        tl=$(sed -n 's/^stamp //p' "$tmp/run.err" | tail -n 1)
        [[ -n $tl ]] || die "miku/esbulk -verbose printed no \"docs in\" line (not v0.7.35?)"
        awk -v l="$tl" -v e="$t1" 'BEGIN { printf "%.3f\n", e - l }' >>"$tmp/miku-extra"
        awk -v w="$wall" -v l="$tl" -v e="$t1" -v c="$c" -v n="$ndocs" \
            'BEGIN { printf "%.3f %s %s\n", w - (e - l), c, n }' >>"$tmp/miku-core"
    fi
    curl -fsS -XDELETE "$url/$index" >/dev/null 2>&1 || true
}

# line NAME FILE: best and median of a series, docs/s and MB/s of both
line() {
    local b m
    b=$(bench_best "$2") m=$(bench_median "$2")
    awk -v name="$1" -v n="$ndocs" -v by="$nbytes" -v b="$b" -v m="$m" 'BEGIN {
        printf "%-30s best %7.2f s %9.0f docs/s %6.1f MB/s   median %7.2f s %9.0f docs/s\n",
            name, b, n / b, by / b / 1e6, m, n / m }'
}

bench_init "$tmp"
printf 'esbulk benchmark: %d documents, %.1f MB, -s %d, -w %d, %d runs each, server %s\n' \
    "$ndocs" "$(awk -v b="$nbytes" 'BEGIN { print b / 1e6 }')" "$size" "$workers" "$runs" "$url"
printf '  %s; miku/esbulk: %s\n' "$("$esbulk" --version)" \
    "${miku:-not available${miku_note:+ ($miku_note)}}"
printf '  load average before the runs %s on %s CPUs (other work slows every run)\n' \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
echo

# 0. warm the server's JIT up with both tools, so that the first tool
# measured is not also the one that pays for it
head -n 200000 "$tmp/docs.ndjson" >"$tmp/warmup.ndjson"
fresh bench-warmup
"$esbulk" -u "$url" -i bench-warmup -s "$size" -w "$workers" -q "$tmp/warmup.ndjson" ||
    die "the warm-up run failed"
if [[ -n $miku ]]; then
    fresh bench-warmup
    "$miku" -server "$url" -index bench-warmup -size "$size" -w "$workers" \
        "$tmp/warmup.ndjson" >/dev/null 2>&1 || die "the warm-up run of miku/esbulk failed"
fi
curl -fsS -XDELETE "$url/bench-warmup" >/dev/null
rm -f "$tmp/warmup.ndjson"

# 1. the runs, alternating
short=0
: >"$tmp/esbulk"
: >"$tmp/miku"
: >"$tmp/miku-core"
: >"$tmp/miku-extra"
for ((r = 1; r <= runs; r++)); do
    if [[ -z $miku ]]; then
        run esbulk "$r"
    elif ((r % 2)); then
        run esbulk "$r"
        run miku "$r"
    else
        run miku "$r"
        run esbulk "$r"
    fi
done
# the closing steps left out, runs of the same load
[[ -n $miku ]] && cp "$tmp/miku.load" "$tmp/miku-core.load"
line "esbulk" "$tmp/esbulk"
e_rss=$(sort -n -k5 "$tmp/esbulk" | tail -n 1 | cut -d' ' -f5)
printf '%-30s %s (seconds, each to exit and _refresh)\n' "  runs" "$(cut -d' ' -f1 "$tmp/esbulk" | tr '\n' ' ')"
printf '%-30s best %s s, peak RSS %s MiB\n' "  client CPU" "$(sort -g -k4 "$tmp/esbulk" | head -n 1 | cut -d' ' -f4)" \
    "$(mib "$e_rss")"
ratio='' ratio_m='' core='' core_m=''
if [[ -n $miku ]]; then
    line "miku/esbulk" "$tmp/miku"
    printf '%-30s %s\n' "  runs" "$(cut -d' ' -f1 "$tmp/miku" | tr '\n' ' ')"
    printf '%-30s best %s s, peak RSS %s MiB\n' "  client CPU" "$(sort -g -k4 "$tmp/miku" | head -n 1 | cut -d' ' -f4)" \
        "$(mib "$(sort -n -k5 "$tmp/miku" | tail -n 1 | cut -d' ' -f5)")"
    printf '%-30s %s (its settings reset and _flush, seconds)\n' "  of which closing steps" \
        "$(tr '\n' ' ' <"$tmp/miku-extra")"
    line "miku/esbulk, closing left out" "$tmp/miku-core"
    if bench_ratio "$tmp/esbulk" "$tmp/miku"; then
        ratio=$r_best ratio_m=$r_median
        printf '%-30s best %s, median %s x miku/esbulk (docs/s)\n' "ratio" "$r_best" "$r_median"
    else
        printf '%-30s %s\n' "ratio" "$r_note"
    fi
    bench_summary "esbulk docs/s (exit + _refresh)" "esbulk $(bench_rate "$ndocs" "$(bench_best "$tmp/esbulk")")" \
        "miku/esbulk $(bench_rate "$ndocs" "$(bench_best "$tmp/miku")")" "$r_best" "$r_median"
    if bench_ratio "$tmp/esbulk" "$tmp/miku-core"; then
        core=$r_best core_m=$r_median
        printf '%-30s best %s, median %s x miku/esbulk without its closing steps\n' "ratio" "$r_best" "$r_median"
    else
        printf '%-30s %s\n' "ratio" "$r_note"
    fi
    bench_summary "esbulk docs/s, miku's closing steps left out" \
        "esbulk $(bench_rate "$ndocs" "$(bench_best "$tmp/esbulk")")" \
        "miku/esbulk $(bench_rate "$ndocs" "$(bench_best "$tmp/miku-core")")" "$r_best" "$r_median"
else
    bench_summary "esbulk docs/s (exit + _refresh)" "esbulk $(bench_rate "$ndocs" "$(bench_best "$tmp/esbulk")")" \
        "miku/esbulk not measured" - -
fi
printf '%-30s %s\n' "load average during the runs" "$(bench_load)"

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
: >"$tmp/ceiling"
for _ in 1 2 3; do
    t0=$EPOCHREALTIME
    "$gnutime" -f '%M' -o "$tmp/time" "${pin_es[@]}" "$esbulk" -u "$furl" -i bench -s 5000 -w 2 \
        "$tmp/docs.ndjson" >/dev/null 2>"$tmp/ceiling.err" || {
        tail -n 5 "$tmp/ceiling.err" >&2
        die "esbulk failed against fake-es.py"
    }
    bench_record "$tmp/ceiling" "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')" \
        "$ndocs" "$ndocs" "$(cat "$tmp/time")"
done
kill "$fake_pid" 2>/dev/null || true
wait "$fake_pid" 2>/dev/null || true
line "esbulk ceiling (fake-es.py)" "$tmp/ceiling"
best_wall=$(bench_best "$tmp/ceiling")
c_rss=$(sort -n -k4 "$tmp/ceiling" | tail -n 1 | cut -d' ' -f4)
ceiling=$(awk -v b="$nbytes" -v w="$best_wall" 'BEGIN { printf "%.1f", b / w / 1e6 }')

echo
peak=$e_rss
((c_rss > peak)) && peak=$c_rss
[[ -n $ratio ]] && ratio=$(awk -v a="$ratio" -v b="$ratio_m" 'BEGIN { print (a < b ? a : b) }')
verdict() {
    if awk -v a="$1" -v b="$2" -v op="$3" 'BEGIN { exit !(op == ">=" ? a >= b : a <= b) }'; then
        printf 'ok'
    else
        printf 'BELOW TARGET'
    fi
}
if [[ -n $ratio ]]; then
    printf 'target: docs/s ratio >= %s x miku/esbulk, best and median: %s (%s); without its closing steps %s, %s\n' \
        "$target_ratio" "$ratio" "$(verdict "$ratio" "$target_ratio" '>=')" "$core" "$core_m"
elif [[ -n $miku ]]; then
    printf 'target: docs/s ratio >= %s x miku/esbulk: no ratio (a run came up short)\n' "$target_ratio"
else
    printf 'target: docs/s ratio >= %s x miku/esbulk: not measured (%s)\n' "$target_ratio" \
        "$miku_note"
fi
if ((short)); then
    printf 'esbulk.sh: a run came up short (see _count above)\n' >&2
    exit 1
fi
printf 'target: ceiling >= %s MB/s: %s MB/s (%s)\n' "$target_mbs" "$ceiling" \
    "$(verdict "$ceiling" "$target_mbs" '>=')"
printf 'target: peak RSS <= %s MiB: %s MiB (%s)\n' "$target_rss_mib" "$(mib "$peak")" \
    "$(verdict "$(mib "$peak")" "$target_rss_mib" '<=')"
