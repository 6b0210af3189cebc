#!/usr/bin/env bash
# vnorm.sh: vnorm's throughput and memory against an equivalent jq program.
#
#   make bench                       (IOTPIPE_BUILD set by make)
#   tests/bench/vnorm.sh             (binaries from <repo>/build)
#
# Generates BENCH_LINES raw simulator messages (tests/bench/gen-raw.py,
# cached under $IOTPIPE_CACHE/bench), then, on the same input, pinned to one
# core: vnorm in 1:1 mode and jq -c -f tests/bench/vnorm.jq, BENCH_RUNS
# times each, alternating (vnorm first in odd runs), then vnorm on a tenth
# of the input (RSS against input size) and vnorm --merge. Prints best and
# median lines/s and MB/s (10^6 bytes), the ratio of both, peak RSS, the
# targets of issue 2 (ratio >= 3.0, RSS <= 32 MiB), the load average seen
# after the runs, and how vnorm's output compares with jq's. Every 1:1 run
# must account for every input line (output lines plus rejects); when a
# run does not, no ratio is printed. Peak RSS comes from GNU time (%M),
# wall time from bash's EPOCHREALTIME around it (GNU time's %e where that
# is missing).
#
# It is a benchmark, not a test: it exits 0 when a target is missed (and
# says "BELOW TARGET"), and 1 only when something does not work (missing
# binary or tool, a program failing, a short input file).
#
# Environment:
#   IOTPIPE_BUILD    directory holding vnorm (default <repo>/build)
#   IOTPIPE_CACHE    cache root (default $HOME/.cache/iotpipe)
#   BENCH_LINES      raw messages to generate (default 1000000)
#   BENCH_SEED       generator seed (default 1)
#   BENCH_RUNS       runs of vnorm and of jq (default 3, at least 3)
#   BENCH_TMPDIR     where inputs and outputs go during the runs
#                    (default /dev/shm if writable, else $TMPDIR or /tmp)
#   PYTHON           python 3 interpreter (default python3)
#   BENCH_SUMMARY    a file for the summary rows (tests/bench/all.sh)

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${IOTPIPE_BUILD:-$src/build}
vnorm=$build/vnorm
lines=${BENCH_LINES:-1000000}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-3}
cache=${IOTPIPE_CACHE:-$HOME/.cache/iotpipe}/bench
python=${PYTHON:-python3}
gnutime=/usr/bin/time
jqprog=$here/vnorm.jq
# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"
target_ratio=3.0
target_rss_mib=32

die() {
    printf 'vnorm.sh: %s\n' "$*" >&2
    exit 1
}

# ---- preconditions
for v in BENCH_LINES:"$lines" BENCH_SEED:"$seed" BENCH_RUNS:"$runs"; do
    [[ ${v#*:} =~ ^[0-9]+$ ]] || die "${v%%:*} must be a number: ${v#*:}"
done
((lines >= 100)) || die "BENCH_LINES must be at least 100"
((runs >= 3)) || die "BENCH_RUNS must be at least 3"
[[ -x $vnorm ]] ||
    die "no vnorm binary at $vnorm (run make, or set IOTPIPE_BUILD)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
command -v "$python" >/dev/null || die "$python not found"
if [[ ! -x $gnutime ]] || ! "$gnutime" --version 2>&1 | grep -q GNU; then
    die "GNU time not found at $gnutime (apt-get install time)"
fi

pin=()
pin_note="not pinned (taskset missing or CPU 0 not allowed)"
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
    pin=(taskset -c 0)
    pin_note="pinned to CPU 0 (taskset -c 0)"
fi

tmproot=${BENCH_TMPDIR:-}
if [[ -z $tmproot ]]; then
    if [[ -d /dev/shm && -w /dev/shm ]]; then
        tmproot=/dev/shm
    else
        tmproot=${TMPDIR:-/tmp}
    fi
fi
tmp=$(mktemp -d "$tmproot/vnorm-bench.XXXXXX") ||
    die "cannot create a directory in $tmproot"
trap 'rm -rf "$tmp"' EXIT
bench_init "$tmp"

# ---- input, cached by size, seed and generator checksum
gensum=$(sha256sum "$here/gen-raw.py" | cut -c1-12)
if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w $cache ]]; then
    printf 'vnorm.sh: cannot write %s, not caching the input\n' "$cache" >&2
    cache=$tmp
fi
input=$cache/raw-$lines-s$seed-$gensum.ndjson
if [[ ! -s $input ]]; then
    printf 'generating %d raw messages into %s ...\n' "$lines" "$input"
    "$python" "$here/gen-raw.py" -n "$lines" --seed "$seed" >"$input.tmp.$$" ||
        {
            rm -f "$input.tmp.$$"
            die "gen-raw.py failed"
        }
    mv "$input.tmp.$$" "$input"
fi
in_lines=$(wc -l <"$input")
((in_lines == lines)) ||
    die "$input has $in_lines lines, expected $lines (delete it)"
cp "$input" "$tmp/in.ndjson"
small_lines=$((lines / 10))
head -n "$small_lines" "$input" >"$tmp/in-small.ndjson"
in_bytes=$(wc -c <"$tmp/in.ndjson")

# ---- measuring
# timed NAME IN OUT CMD...: run CMD <IN >OUT under GNU time, pinned; sets
# t_wall (seconds) and t_rss (KiB, GNU time's %M). The wall time is GNU
# time's %e, or bash's EPOCHREALTIME around it when available (10 ms
# resolution is coarse for vnorm). A failing command is a malfunction.
timed() {
    local name=$1 in=$2 out=$3 t0=${EPOCHREALTIME:-} t1
    shift 3
    if ! "$gnutime" -f '%e %M' -o "$tmp/time" "${pin[@]}" "$@" \
        <"$in" >"$out" 2>"$tmp/$name.stderr"; then
        sed -n '1,5p' "$tmp/$name.stderr" >&2
        die "$name failed: $*"
    fi
    t1=${EPOCHREALTIME:-}
    read -r t_wall t_rss <"$tmp/time" || die "cannot read GNU time's output"
    if [[ -n $t0 ]]; then
        t_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    fi
}

# best NAME N IN OUT CMD...: N runs; sets b_wall (the smallest) and b_rss
# (the largest).
best() {
    local name=$1 n=$2 in=$3 out=$4 i
    shift 4
    b_wall="" b_rss=0
    for ((i = 0; i < n; i++)); do
        timed "$name" "$in" "$out" "$@"
        if [[ -z $b_wall ]] ||
            awk -v a="$t_wall" -v b="$b_wall" 'BEGIN { exit !(a < b) }'; then
            b_wall=$t_wall
        fi
        ((t_rss > b_rss)) && b_rss=$t_rss
    done
    return 0
}

# rates WALL LINES BYTES: "lines/s MB/s" (a wall under 1 ms counts as 1 ms)
rates() {
    awk -v w="$1" -v l="$2" -v b="$3" 'BEGIN {
        if (w < 0.001) w = 0.001
        printf "%.0f %.1f\n", l / w, b / w / 1e6 }'
}

mib() {
    awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

printf 'vnorm benchmark: %d lines, %.1f MB (%d bytes), gen-raw.py seed %d\n' \
    "$lines" "$(awk -v b="$in_bytes" 'BEGIN { print b / 1e6 }')" \
    "$in_bytes" "$seed"
printf '  input %s\n  %s; inputs and outputs in %s\n' \
    "$input" "$pin_note" "$tmp"
printf '  %s, %s\n' "$("$vnorm" --version 2>&1 | head -n 1)" "$(jq --version)"
if [[ -r /proc/loadavg ]]; then
    read -r load1 _ </proc/loadavg
    printf '  load average %s on %s CPUs %s\n' "$load1" \
        "$(nproc 2>/dev/null || echo '?')" \
        "(other work on CPU 0 slows both tools)"
fi
echo

# accounted NAME OUT: output lines plus the rejects on NAME's stderr
# (vnorm: one line each; jq: one reject record each, not newline-ended)
accounted() {
    local out rej
    out=$(wc -l <"$2")
    if [[ $1 == vnorm ]]; then
        rej=$(grep -c '^vnorm: line ' "$tmp/$1.stderr" || true)
    else
        rej=$(grep -o '"reason":' "$tmp/$1.stderr" | wc -l)
    fi
    echo $((out + rej))
}
: >"$tmp/s-vnorm"
: >"$tmp/s-jq"
v_rss=0 j_rss=0
for ((r = 1; r <= runs; r++)); do
    if ((r % 2)); then order=(vnorm jq); else order=(jq vnorm); fi
    for tool in "${order[@]}"; do
        if [[ $tool == vnorm ]]; then
            timed vnorm "$tmp/in.ndjson" "$tmp/vnorm.out" "$vnorm"
            ((t_rss > v_rss)) && v_rss=$t_rss
        else
            timed jq "$tmp/in.ndjson" "$tmp/jq.out" jq -c -f "$jqprog"
            ((t_rss > j_rss)) && j_rss=$t_rss
        fi
        bench_record "$tmp/s-$tool" "$t_wall" "$(accounted "$tool" "$tmp/$tool.out")" "$lines"
    done
done
v_wall=$(bench_best "$tmp/s-vnorm") j_wall=$(bench_best "$tmp/s-jq")
for tool in vnorm jq; do
    b=$(bench_best "$tmp/s-$tool") m=$(bench_median "$tmp/s-$tool")
    read -r lps mbs < <(rates "$b" "$lines" "$in_bytes")
    read -r mlps _ < <(rates "$m" "$lines" "$in_bytes")
    printf '%-16s best %7.3f s %10s lines/s %7s MB/s   median %7.3f s %10s lines/s   peak RSS %s MiB%s\n' \
        "$([[ $tool == vnorm ]] && echo 'vnorm (1:1)' || echo 'jq vnorm.jq')" "$b" "$lps" "$mbs" \
        "$m" "$mlps" "$(mib "$([[ $tool == vnorm ]] && echo "$v_rss" || echo "$j_rss")")" \
        "$(bench_short "$tmp/s-$tool" >/dev/null && echo "  SHORT: $(bench_short "$tmp/s-$tool") lines accounted for")"
done

if bench_ratio "$tmp/s-vnorm" "$tmp/s-jq"; then
    ratio=$(awk -v a="$r_best" -v b="$r_median" 'BEGIN { print (a < b ? a : b) }')
    printf '%-16s best %s, median %s x jq (%s)\n' "ratio vnorm/jq" "$r_best" "$r_median" "$r_note"
else
    ratio=0
    printf '%-16s %s\n' "ratio vnorm/jq" "$r_note"
fi
bench_summary "vnorm 1:1 (lines/s)" "vnorm $(rates "$v_wall" "$lines" "$in_bytes" | cut -d' ' -f1)" \
    "jq $(rates "$j_wall" "$lines" "$in_bytes" | cut -d' ' -f1)" "$r_best" "$r_median"
printf '%-16s %s\n' "load average" "$(bench_load)"

best vnorm-merge "$runs" "$tmp/in.ndjson" "$tmp/merge.out" "$vnorm" --merge
m_docs=$(wc -l <"$tmp/merge.out")
read -r m_lps m_mbs < <(rates "$b_wall" "$lines" "$in_bytes")
printf '%-16s best of %d: %7.3f s %10s lines/s %7s MB/s   (%d documents)\n' \
    "vnorm --merge" "$runs" "$b_wall" "$m_lps" "$m_mbs" "$m_docs"

best vnorm-small 1 "$tmp/in-small.ndjson" "$tmp/small.out" "$vnorm"
s_rss=$b_rss
printf '%-16s %d lines: %s MiB; %d lines: %s MiB\n' "vnorm RSS" \
    "$small_lines" "$(mib "$s_rss")" "$lines" "$(mib "$v_rss")"

# ---- targets
echo
verdict() { # verdict OK TEXT
    if [[ $1 == 1 ]]; then
        printf 'target met:     %s\n' "$2"
    else
        printf 'BELOW TARGET:   %s\n' "$2"
    fi
}
ok=$(awk -v r="$ratio" -v t="$target_ratio" 'BEGIN { print (r >= t) }')
verdict "$ok" "ratio vnorm/jq $ratio, the lower of best and median (target >= $target_ratio)"
ok=$(awk -v k="$v_rss" -v t="$target_rss_mib" 'BEGIN { print (k <= t * 1024) }')
verdict "$ok" "peak RSS $(mib "$v_rss") MiB (target <= $target_rss_mib MiB)"
# "whatever the input size": 10x the input may not cost more than 1 MiB
ok=$(awk -v a="$s_rss" -v b="$v_rss" 'BEGIN { print (b - a <= 1024) }')
verdict "$ok" "RSS independent of input size ($(mib "$s_rss") MiB at\
 $small_lines lines, $(mib "$v_rss") MiB at $lines)"

# ---- correctness notes (informative, never fatal)
echo
out_lines=$(wc -l <"$tmp/vnorm.out")
jq_lines=$(wc -l <"$tmp/jq.out")
rejected=$(grep -c '^vnorm: line ' "$tmp/vnorm.stderr" || true)
printf 'vnorm 1:1: %d in, %d out, %d rejects on stderr' \
    "$lines" "$out_lines" "$rejected"
if ((out_lines + rejected != lines)); then
    printf ' (in != out + rejected!)'
fi
echo
if ((rejected > 0)); then
    grep '^vnorm: line ' "$tmp/vnorm.stderr" | cut -c1-200 | head -n 5 |
        sed 's/^/  /'
fi
jq_rej=$(grep -o '"reason":"[^"]*"' "$tmp/jq.stderr" | sort | uniq -c |
    tr -s ' ' | tr '\n' ';' || true)
printf 'jq: %d out%s\n' "$jq_lines" "${jq_rej:+, rejects:$jq_rej}"
printf 'vnorm vs jq (A = vnorm, B = jq): '
"$python" "$here/compare.py" --show 3 "$tmp/vnorm.out" "$tmp/jq.out" ||
    die "compare.py failed"

data=$src/tests/data
if [[ -r $data/raw-vehicle-sample.ndjson ]]; then
    golden=$data/expected-normalized-sample.ndjson
    jq -c -f "$jqprog" <"$data/raw-vehicle-sample.ndjson" >"$tmp/sample.jq" ||
        die "jq failed on the sample"
    "$vnorm" <"$data/raw-vehicle-sample.ndjson" >"$tmp/sample.vnorm" \
        2>/dev/null || die "vnorm failed on the sample"
    same() { # same A B: lines identical at the same position
        paste -d '\n' "$1" "$2" |
            awk 'NR % 2 { a = $0; next } a == $0 { n++ } END { print n + 0 }'
    }
    printf 'sample goldens (%d lines): ' "$(wc -l <"$golden")"
    printf 'jq program %d identical, vnorm %d identical\n' \
        "$(same "$golden" "$tmp/sample.jq")" \
        "$(same "$golden" "$tmp/sample.vnorm")"
fi
