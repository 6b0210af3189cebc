#!/usr/bin/env bash
# vsim.sh: vsim --fast's throughput against a trivial C loop of printf's
# writing the same volume (the ceiling reference), and its memory at 10,000
# vehicles.
#
#   make bench                       (IOTPIPE_BUILD set by make)
#   tests/bench/vsim.sh              (binaries from <repo>/build)
#
# Pinned to one core, output to /dev/null: vsim --fast -n BENCH_VEHICLES for
# BENCH_DURATION of simulated time, BENCH_RUNS times, and the reference, a C
# program built here from a heredoc that prints as many lines of the same
# average length with one printf each, as many times, alternating (vsim
# first in odd runs); each vsim run must report (--stats 0) the message
# count of the counting run, else no ratio is printed. Prints the best and
# the median messages/s and MB/s of both, vsim's share of the ceiling, the
# load average seen after the runs, and
# the peak RSS (GNU time's %M, "Maximum resident set size" of time -v) of
# vsim --fast -n 10000, against the targets of issue 16: >= 500,000
# messages/s on one core, RSS <= 32 MiB at 10,000 vehicles.
#
# It is a benchmark, not a test: it exits 0 when a target is missed (and
# says "BELOW TARGET"), and 1 only when something does not work.
#
# Environment:
#   IOTPIPE_BUILD    directory holding vsim (default <repo>/build)
#   BENCH_VEHICLES   vehicles of the throughput runs (default 100)
#   BENCH_DURATION   simulated time of those runs (default 1h)
#   BENCH_RUNS       runs of each program (default 3, at least 3)
#   BENCH_SUMMARY    a file for the summary rows (tests/bench/all.sh)
#   CC               C compiler for the reference (default cc)

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${IOTPIPE_BUILD:-$src/build}
vsim=$build/vsim
vehicles=${BENCH_VEHICLES:-100}
duration=${BENCH_DURATION:-1h}
runs=${BENCH_RUNS:-3}
cc=${CC:-cc}
gnutime=/usr/bin/time
target_rate=500000
target_rss_mib=32
rss_vehicles=10000
# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"

die() {
    printf 'vsim.sh: %s\n' "$*" >&2
    exit 1
}

[[ $vehicles =~ ^[0-9]+$ && $runs =~ ^[0-9]+$ ]] ||
    die "BENCH_VEHICLES and BENCH_RUNS must be numbers"
((runs >= 3)) || die "BENCH_RUNS must be at least 3"
[[ -x $vsim ]] || die "no vsim binary at $vsim (run make, or set IOTPIPE_BUILD)"
command -v "$cc" >/dev/null || die "no C compiler ($cc)"
if [[ ! -x $gnutime ]] || ! "$gnutime" --version 2>&1 | grep -q GNU; then
    die "GNU time not found at $gnutime (apt-get install time)"
fi

pin=()
pin_note="not pinned (taskset missing or CPU 0 not allowed)"
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
    pin=(taskset -c 0)
    pin_note="pinned to CPU 0 (taskset -c 0)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsim-bench.XXXXXX") ||
    die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
bench_init "$tmp"

# ---- the reference: one printf per line, the same lines and bytes
cat >"$tmp/ref.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>

/* ref LINES BYTES: LINES lines of about BYTES / LINES bytes each, one
 * printf a line, with a few fields that change as vsim's do. */
int
main(int argc, char **argv)
{
	static const char *names[] = {"vehicle_speed", "engine_speed",
	    "odometer", "fuel_level", "oil_temp", "brake", "acceleration"};
	unsigned long long lines, bytes, i;
	char pad[4096];
	int fixed, len;

	if (argc != 3)
		return 2;
	lines = strtoull(argv[1], NULL, 10);
	bytes = strtoull(argv[2], NULL, 10);
	/* what the format below writes besides the padding */
	fixed = snprintf(NULL, 0, "{\"timestamp\":\"2019-06-15 11:39:%02d.%03d"
	    "000000\",\"vin\":\"UX6FZSBYHWGKO925M\",\"name\":\"%s\","
	    "\"value\":%.2f,\"pad\":\"\"}\n", 17, 632, names[0], 22.93);
	len = lines ? (int)(bytes / lines) - fixed : 0;
	if (len < 0)
		len = 0;
	if (len >= (int)sizeof(pad))
		len = sizeof(pad) - 1;
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = 'x';
	for (i = 0; i < lines; i++)
		printf("{\"timestamp\":\"2019-06-15 11:39:%02d.%03d000000\","
		    "\"vin\":\"UX6FZSBYHWGKO925M\",\"name\":\"%s\","
		    "\"value\":%.2f,\"pad\":\"%.*s\"}\n",
		    (int)(i / 1000 % 60), (int)(i % 1000), names[i % 7],
		    (double)(i % 10000) / 100, len, pad);
	return fflush(stdout) != 0;
}
EOF
"$cc" -O2 -o "$tmp/ref" "$tmp/ref.c" || die "cannot build the reference"

# ---- measuring
# timed CMD...: run CMD >/dev/null under GNU time, pinned; sets t_wall
# (seconds, from bash's EPOCHREALTIME) and t_rss (KiB); stderr in
# $tmp/stderr. A failing command is a malfunction.
timed() {
    local t0=$EPOCHREALTIME t1
    if ! "$gnutime" -f '%M' -o "$tmp/time" "${pin[@]}" "$@" \
        >/dev/null 2>"$tmp/stderr"; then
        sed -n '1,5p' "$tmp/stderr" >&2
        die "failed: $*"
    fi
    t1=$EPOCHREALTIME
    read -r t_rss <"$tmp/time" || die "cannot read GNU time's output"
    t_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# rate WALL COUNT: COUNT per second (a wall under 1 ms counts as 1 ms)
rate() {
    awk -v w="$1" -v n="$2" 'BEGIN { if (w < 0.001) w = 0.001; printf "%.0f", n / w }'
}

mb() {
    awk -v w="$1" -v b="$2" 'BEGIN { if (w < 0.001) w = 0.001; printf "%.1f", b / w / 1e6 }'
}

# ---- the volume: one run of vsim counted
args=(--fast -n "$vehicles" --duration "$duration" --seed 1
    --start 2019-06-15T11:39:15Z)
"$vsim" "${args[@]}" --stats 0 2>"$tmp/count.err" | wc -c >"$tmp/bytes" ||
    die "vsim failed: $(cat "$tmp/count.err")"
messages=$(grep -o '"out":[0-9]*' "$tmp/count.err" | tail -n 1 | cut -d: -f2)
bytes=$(cat "$tmp/bytes")
[[ -n $messages && $messages -gt 0 ]] || die "no stats line from vsim"

printf 'vsim benchmark: %d vehicles x %s simulated: %d messages, %.1f MB\n' \
    "$vehicles" "$duration" "$messages" \
    "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')"
printf '  %s; output to /dev/null; %d runs each\n' "$pin_note" "$runs"
printf "  %s\n" "$("$vsim" --version | cut -d" " -f1-3)"
if [[ -r /proc/loadavg ]]; then
    read -r load1 _ </proc/loadavg
    printf '  load average %s on %s CPUs (other work on CPU 0 slows both)\n' \
        "$load1" "$(nproc 2>/dev/null || echo '?')"
fi
echo

: >"$tmp/s-vsim"
: >"$tmp/s-ref"
for ((r = 1; r <= runs; r++)); do
    if ((r % 2)); then order=(vsim ref); else order=(ref vsim); fi
    for who in "${order[@]}"; do
        if [[ $who == vsim ]]; then
            timed "$vsim" "${args[@]}" --stats 0
            got=$(grep -o '"out":[0-9]*' "$tmp/stderr" | tail -n 1 | cut -d: -f2)
        else
            timed "$tmp/ref" "$messages" "$bytes"
            got=$messages
        fi
        bench_record "$tmp/s-$who" "$t_wall" "${got:-0}" "$messages"
    done
done
v_best=$(bench_best "$tmp/s-vsim") v_median=$(bench_median "$tmp/s-vsim")
f_best=$(bench_best "$tmp/s-ref") f_median=$(bench_median "$tmp/s-ref")

printf '%-22s best %7.3f s %10s msg/s %7s MB/s   median %7.3f s %10s msg/s\n' \
    "vsim --fast" "$v_best" "$(rate "$v_best" "$messages")" \
    "$(mb "$v_best" "$bytes")" "$v_median" "$(rate "$v_median" "$messages")"
printf '%-22s best %7.3f s %10s msg/s %7s MB/s   median %7.3f s %10s msg/s\n' \
    "printf loop (ceiling)" "$f_best" "$(rate "$f_best" "$messages")" \
    "$(mb "$f_best" "$bytes")" "$f_median" "$(rate "$f_median" "$messages")"
if bench_ratio "$tmp/s-vsim" "$tmp/s-ref"; then
    printf '%-22s best %sx, median %sx of the printf loop\n' "vsim share" "$r_best" "$r_median"
else
    printf '%-22s %s\n' "vsim share" "$r_note"
fi
bench_summary "vsim --fast (msg/s; peer: the printf loop, a ceiling)" \
    "vsim $(rate "$v_best" "$messages")" "printf loop $(rate "$f_best" "$messages")" \
    "$r_best" "$r_median"
printf '%-22s %s\n' "load average" "$(bench_load)"

timed "$vsim" --fast -n "$rss_vehicles" -c 50 --seed 1
rss=$t_rss
printf '%-22s %s MiB (vsim --fast -n %d -c 50)\n' "peak RSS" \
    "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$rss_vehicles"

echo
v_rate=$(rate "$v_best" "$messages")
if ((v_rate >= target_rate)); then
    printf 'target: >= %d messages/s on one core: met (%d)\n' "$target_rate" "$v_rate"
else
    printf 'target: >= %d messages/s on one core: BELOW TARGET (%d)\n' \
        "$target_rate" "$v_rate"
fi
if ((rss <= target_rss_mib * 1024)); then
    printf 'target: RSS <= %d MiB at %d vehicles: met\n' "$target_rss_mib" "$rss_vehicles"
else
    printf 'target: RSS <= %d MiB at %d vehicles: BELOW TARGET\n' \
        "$target_rss_mib" "$rss_vehicles"
fi
