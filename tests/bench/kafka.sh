#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kprod and kcons against kcat, on one Kafka broker started here
# (tests/services/kafka.sh, topics of 6 partitions), with the same
# BENCH_LINES normalized vehicle documents of about 400 bytes
# (tests/bench/gen-raw.py --v3-share 0.93 | vnorm, cached).
#
#   produce        kprod -t (its defaults: idempotent, acks=all, lz4)
#                  against kcat -P
#                  and against kcat -P with kprod's settings
#   produce keyed  kprod --key-field vin against kcat -P -K (the same
#                  lines with the vin and a tab in front); kprod
#                  --key-field vin against plain kcat -P too
#   consume        kcons -t -e against kcat -C -e -o beginning, both into
#                  wc -l, on a topic holding the BENCH_LINES documents
#   memory         kprod and kcons RSS sampled every 0.05 s during a run:
#                  the peak, after the first 10%, and at the end
#
# Environment: IOTPIPE_BUILD (the programs), BENCH_LINES (1000000),
# BENCH_RUNS (5), after BENCH_WARMUP (3) uncounted rounds of kcat -P and
# kprod, BENCH_SEED (1), IOTPIPE_CACHE,
# IOTPIPE_TEST_KAFKA (use that broker; its topics must auto-create).
# The table's broker_s is the CPU time the broker's JVM used during the
# run shown (on two cores it competes with the client for them).
# Prints a table and "ratio" lines: kcat's seconds over ours, above 1.0
# when iotpipe is faster (target: >= 1.0).  Exits 1 when a run loses or
# fails, 0 otherwise (a missed target is a figure, not a failure).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${IOTPIPE_BUILD:-$src/build}
n=${BENCH_LINES:-1000000}
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-3}
seed=${BENCH_SEED:-1}
python=${PYTHON:-python3}
PATH=$build:$PATH

# shellcheck source=tests/services/kafka.sh
source "$src/tests/services/kafka.sh"

die() {
    printf 'bench/kafka: %s\n' "$*" >&2
    exit 1
}

for c in kprod kcons vnorm kcat jq "$python" /usr/bin/time; do
    command -v "$c" >/dev/null || die "$c not found"
done
[[ $n =~ ^[0-9]+$ && $n -ge 1000 ]] || die "BENCH_LINES must be a number >= 1000"
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 ]] || die "BENCH_RUNS must be a number >= 1"
[[ $warmup =~ ^[0-9]+$ && $warmup -ge 1 ]] || die "BENCH_WARMUP must be a number >= 1"

svc_init || exit 1
svc_trap
work=$IOTPIPE_RUN_DIR/bench
mkdir -p "$work"

# ---- the documents (cached: generating 1M takes a minute)
cache=$IOTPIPE_CACHE/bench
mkdir -p "$cache"
docs=$cache/kafka-docs-$n-s$seed.ndjson
if [[ ! -s $docs ]]; then
    printf '# generating %d documents into %s\n' "$n" "$docs"
    "$python" "$here/gen-raw.py" -n "$n" --seed "$seed" --v3-share 0.93 |
        vnorm --quiet >"$docs.tmp" || die "generating the documents failed"
    mv -f "$docs.tmp" "$docs"
fi
[[ $(wc -l <"$docs") == "$n" ]] || die "$docs: not $n lines"
keyed=$work/keyed.txt
# kcat -K: the key, a tab, then the line as it is (jq would rewrite it)
paste <(jq -r '.vin // ""' "$docs") "$docs" >"$keyed"
bytes=$(wc -c <"$docs")

# ---- the broker: auto-created topics get 6 partitions
logs="the broker's log on disk"
if [[ -z ${IOTPIPE_TEST_KAFKA:-} ]]; then
    kafka_start --name bench >/dev/null || die "no broker"
    # deleted topics leave the disk (or memory) a second later, not a minute
    sed -i -e 's/^num.partitions=.*/num.partitions=6/' \
        -e '$a file.delete.delay.ms=1000' "$KAFKA_SVC_DIR/server.properties"
    # The broker's log in memory when /dev/shm allows: otherwise the
    # kernel writes back the gigabytes of earlier runs during later ones,
    # and which run it slows is chance (runs then vary by half).
    if shm=$(mktemp -d /dev/shm/iotpipe-bench-kafka.XXXXXX 2>/dev/null); then
        trap 'st=$?; rm -rf -- "$shm"; svc_cleanup "$st"' EXIT
        kafka_stop bench || die "broker stop failed"
        cp -a "$KAFKA_SVC_DIR/data/." "$shm/"
        sed -i "s|^log.dirs=.*|log.dirs=$shm|" "$KAFKA_SVC_DIR/server.properties"
        logs="the broker's log in $shm (tmpfs)"
    fi
    kafka_restart bench >/dev/null || die "broker restart failed"
else
    kafka_start --name bench >/dev/null || die "no broker"
fi
bs=$KAFKA_SVC_BOOTSTRAP
broker_pid=
[[ -z ${IOTPIPE_TEST_KAFKA:-} ]] && broker_pid=${KAFKA_SVC_PID:-}
hz=$(getconf CLK_TCK)

# broker_ticks: the CPU time the broker's JVM has used so far, in clock
# ticks (utime and stime, fields 14 and 15 of /proc/PID/stat, counted
# after the command name); empty when the broker is not ours
broker_ticks() {
    [[ -n $broker_pid && -r /proc/$broker_pid/stat ]] || return 0
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$broker_pid/stat"
}

# measure FILE CMD...: run CMD, append "seconds cpu_seconds max_rss_kb
# broker_cpu_seconds" (the broker's CPU during the run: on two cores it
# competes with the client, and what the client sends decides its share)
measure() {
    local file=$1 t0 t1
    shift
    t0=$(broker_ticks)
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" || return 1
    t1=$(broker_ticks)
    awk -v t0="$t0" -v t1="$t1" -v hz="$hz" '{
        printf "%s %.2f %s %s\n", $1, $2 + $3, $4,
            t0 == "" ? "-" : sprintf("%.2f", (t1 - t0) / hz) }' "$work/time" >>"$file"
}

best() {
    sort -g "$1" | head -n 1
}

# median FILE: the middle run's seconds (the lower middle of an even count)
median() {
    sort -g "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# count TOPIC: messages in the topic (the sum of the high watermarks)
count() {
    kcons -q -b "$bs" --list "$1" | jq -s '[.[] | select(.topic) | .high] | add'
}

row() {
    local name=$1 file=$2 secs cpu rss bcpu
    read -r secs cpu rss bcpu < <(best "$file")
    printf '%-38s %7s %7s %9.0f %7.1f %7s %8s %8s\n' "$name" "$secs" "$(median "$file")" \
        "$(awk -v a="$n" -v b="$secs" 'BEGIN { print a / b }')" \
        "$(awk -v a="$bytes" -v b="$secs" 'BEGIN { print a / b / 1e6 }')" "$cpu" "$rss" "$bcpu"
}

results=()
# ratio WHAT OURS THEIRS [ref]: a target row, or a reference (no target)
ratio() {
    local what=$1 ours theirs mours mtheirs target=1
    [[ ${4:-} == ref ]] && target=0
    ours=$(best "$2" | cut -d' ' -f1)
    theirs=$(best "$3" | cut -d' ' -f1)
    mours=$(median "$2")
    mtheirs=$(median "$3")
    results+=("$(awk -v w="$what" -v a="$ours" -v b="$theirs" -v ma="$mours" -v mb="$mtheirs" -v t="$target" \
        'BEGIN { printf "ratio %-34s %.2f (kcat %.2f s / iotpipe %.2f s), median %.2f (%.2f / %.2f)%s",
            w, b / a, b, a, mb / ma, mb, ma,
            (!t ? "  (reference)" : b / a >= 1.0 && mb / ma >= 1.0 ? "" : "  BELOW TARGET 1.0") }')")
}

printf '# %d documents, %.1f MB (%d bytes a line on average), %d runs after %d warm-up rounds: best and median\n' \
    "$n" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" $((bytes / n)) "$runs" "$warmup"
printf '# Kafka %s on %s; %s; load average %s\n' "${KAFKA_SVC_VERSION:-external}" "$bs" \
    "$(kprod --version)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '# %s\n' "$logs"
printf '%-38s %7s %7s %9s %7s %7s %8s %8s\n' test best median lines/s MB/s cpu_s rss_kb broker_s

# ---- produce
# kprod's defaults (idempotent, acks=all, linger 20 ms, lz4) for kcat
safe=(-X enable.idempotence=true -X acks=all -X linger.ms=20 -z lz4)
for f in p-kprod p-kcat p-kcat-safe pk-kprod pk-kcat c-kcons c-kcat; do
    : >"$work/$f"
done
# produce NAME: one run of that producer into a new topic, checked
produce() {
    local t=bench-$1-$r-$$
    case $1 in
    p-kprod) measure "$work/$1" kprod -q -b "$bs" -t "$t" <"$docs" ;;
    p-kcat) measure "$work/$1" kcat -b "$bs" -P -t "$t" <"$docs" ;;
    # kcat with kprod's delivery settings: what the safety costs, apart
    # from the program
    p-kcat-safe) measure "$work/$1" kcat -b "$bs" -P -t "$t" "${safe[@]}" <"$docs" ;;
    pk-kprod) measure "$work/$1" kprod -q -b "$bs" -t "$t" --key-field vin <"$docs" ;;
    pk-kcat) measure "$work/$1" kcat -b "$bs" -P -t "$t" -K $'\t' <"$keyed" ;;
    esac || die "$1 failed"
    [[ $(count "$t") == "$n" ]] || die "$1: $t holds $(count "$t") of $n"
}
# drop RUN's topics: every run starts on the same broker, not one holding
# gigabytes more each time (kcat's uncompressed ones slowed later runs by
# half); the first run's kcat -P topic stays for the consumers
drop() {
    local keep=
    (($1 == 1)) && keep='(?!p-kcat-1-)'
    kafka_topic_delete "bench-${keep}.*-$1-$$" bench ||
        printf '# could not delete the topics of run %s\n' "$1"
}
# first runs for the broker's JIT and caches, not counted: with one
# warm-up round the broker's CPU for the same input still fell by half
# from the first counted run to the fifth, and the runs' times with it
for ((r = 0; r > -warmup; r--)); do
    produce p-kcat
    produce p-kprod
    drop "$r"
done
: >"$work/p-kcat"
: >"$work/p-kprod"
# each run in a different order: whoever runs after whom, or first after
# a pause, does not always favour the same program
for ((r = 1; r <= runs; r++)); do
    if ((r % 2)); then
        order=(p-kprod p-kcat p-kcat-safe pk-kprod pk-kcat)
    else
        order=(pk-kcat pk-kprod p-kcat-safe p-kcat p-kprod)
    fi
    for f in "${order[@]}"; do
        produce "$f"
    done
    drop "$r"
done
row "produce kprod" "$work/p-kprod"
row "produce kcat -P" "$work/p-kcat"
row "produce kcat -P, kprod's settings" "$work/p-kcat-safe"
row "produce keyed kprod --key-field vin" "$work/pk-kprod"
row "produce keyed kcat -P -K" "$work/pk-kcat"
ratio "produce" "$work/p-kprod" "$work/p-kcat"
ratio "produce --key-field vs kcat -P -K" "$work/pk-kprod" "$work/pk-kcat"
ratio "produce --key-field vs kcat -P" "$work/pk-kprod" "$work/p-kcat"
ratio "produce vs kcat -P with kprod's settings" "$work/p-kprod" "$work/p-kcat-safe" ref

# ---- consume: the topic kcat filled in the first run
topic=bench-p-kcat-1-$$
# shellcheck disable=SC2016 # bash -c's own arguments
consume() {
    case $1 in
    c-kcons) measure "$work/$1" bash -c 'kcons -q -b "$1" -t "$2" -e | wc -l >"$3"' \
        _ "$bs" "$topic" "$work/c-count" ;;
    c-kcat) measure "$work/$1" bash -c 'kcat -b "$1" -C -t "$2" -o beginning -e -q | wc -l >"$3"' \
        _ "$bs" "$topic" "$work/c-count" ;;
    esac || die "$1 failed"
    [[ $(<"$work/c-count") == "$n" ]] || die "$1 wrote $(<"$work/c-count") of $n lines"
}
for ((r = 1; r <= runs; r++)); do
    if ((r % 2)); then
        consume c-kcons
        consume c-kcat
    else
        consume c-kcat
        consume c-kcons
    fi
done
row "consume kcons -e | wc -l" "$work/c-kcons"
row "consume kcat -C -e | wc -l" "$work/c-kcat"
ratio "consume" "$work/c-kcons" "$work/c-kcat"

# ---- memory over a whole run
sample() {
    while kill -0 "$1" 2>/dev/null; do
        awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null
        sleep 0.05
    done
}
rss_report() {
    awk -v who="$1" -v n="$n" '
        { v[NR] = $1; if ($1 > max) max = $1 }
        END {
            w = int(NR / 10) + 1
            printf "rss %-6s %d lines: %d samples, peak %d KiB, after 10%% %d KiB, at the end %d KiB\n",
                who, n, NR, max, v[w], v[NR]
        }' "$2"
}
kprod -q -b "$bs" -t "bench-rss-$$" --key-field vin <"$docs" &
pid=$!
sample "$pid" >"$work/rss-kprod"
wait "$pid" || die "kprod failed in the memory run"
kcons -q -b "$bs" -t "bench-rss-$$" -e >/dev/null &
pid=$!
sample "$pid" >"$work/rss-kcons"
wait "$pid" || die "kcons failed in the memory run"

printf '%s\n' "${results[@]}"
for f in p-kprod p-kcat p-kcat-safe pk-kprod pk-kcat c-kcons c-kcat; do
    printf 'runs %-12s %s  broker_s %s\n' "$f" "$(cut -d' ' -f1 "$work/$f" | tr '\n' ' ')" \
        "$(cut -d' ' -f4 "$work/$f" | tr '\n' ' ')"
done
rss_report kprod "$work/rss-kprod"
rss_report kcons "$work/rss-kcons"
