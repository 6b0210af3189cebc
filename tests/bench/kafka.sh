#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kprod and kcons against kcat, on one Kafka broker started here
# (tests/services/kafka.sh, topics of 6 partitions), with the same
# BENCH_LINES normalized vehicle documents of about 400 bytes
# (tests/bench/gen-raw.py --v3-share 0.93 | vnorm, cached).
#
# The headlines are like for like, the same librdkafka settings on both
# sides; defaults against defaults are reported beside them:
#   produce        kprod -t (its defaults: idempotent, acks=all, linger
#                  20 ms, lz4, a 64 MiB queue; batches librdkafka's)
#                  against kcat -P with those settings (-X ... -z lz4);
#                  beside it, against kcat -P with its own defaults (no
#                  compression, no idempotence, linger 5 ms)
#   produce keyed  kprod --key-field vin against kcat -P -K TAB with the
#                  same settings, fed the same lines with the vin's value
#                  and a tab in front (jq: a string's bytes, a number's
#                  text, other JSON compact, as --key-field takes it).
#                  One difference stays: a document without a vin gets
#                  no key from kprod and an empty one from kcat (both
#                  spread at random by the default partitioner); the run
#                  says how many there are
#   consume        kcons -t -e (fetch.wait.max.ms 100) against kcat -C -e
#                  -o beginning -X fetch.wait.max.ms=100, both into wc -l,
#                  on a topic holding the BENCH_LINES documents; beside
#                  it, against kcat's default wait (500 ms)
#   memory         kprod and kcons RSS sampled every 0.05 s during a run:
#                  the peak, after the first 10%, and at the end
#
# Where the produce time goes (perf, 1M documents, a warm broker, kprod's
# settings on both sides): 56-60 % of the client's CPU is librdkafka's
# broker thread (copying the messages into message sets, lz4, CRC, its
# poll loop), the same code doing the same work for kprod and kcat.  It is
# the longest path, so like for like the two tie within the noise of the
# runs; what is kprod's own costs less than kcat's (its main thread 0.65 s
# against 0.87 s, the broker thread 0.99 s against 1.11 s).
#
# Environment: IOTPIPE_BUILD (the programs), BENCH_LINES (1000000),
# BENCH_RUNS (5, at least 3), after BENCH_WARMUP (3) uncounted rounds of
# kcat -P and kprod, BENCH_SEED (1), IOTPIPE_CACHE, BENCH_SUMMARY (see
# all.sh), IOTPIPE_TEST_KAFKA (use that broker; its topics must
# auto-create).
# The table's broker_s is the CPU time the broker's JVM used during the
# run shown (on two cores it competes with the client for them).
# Every run's messages are counted (the topic's high watermarks, or the
# lines kcons and kcat wrote); a run that comes up short is reported and
# no ratio is printed for its measure.  Prints a table and "ratio" lines:
# kcat's seconds over ours, best and median, above 1.0 when iotpipe is
# faster (target: >= 1.0), and the load average seen after the runs.
# Exits 1 when something does not work or an iotpipe run came up short,
# 0 otherwise (a missed target is a figure, not a failure).

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
# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"

die() {
    printf 'bench/kafka: %s\n' "$*" >&2
    exit 1
}

for c in kprod kcons vnorm kcat jq "$python" /usr/bin/time; do
    command -v "$c" >/dev/null || die "$c not found"
done
[[ $n =~ ^[0-9]+$ && $n -ge 1000 ]] || die "BENCH_LINES must be a number >= 1000"
[[ $runs =~ ^[0-9]+$ && $runs -ge 3 ]] || die "BENCH_RUNS must be a number >= 3"
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
# kcat -K: the key, a tab, then the line as it is (jq would rewrite it);
# the key as kprod --key-field takes it: a string's bytes, a number's
# text, other JSON compact, nothing for a missing field or null
paste <(jq -r '.vin | if . == null then "" elif type == "string" then . else tojson end' "$docs") \
    "$docs" >"$keyed"
[[ $(wc -l <"$keyed") == "$n" ]] || die "$keyed: not $n lines (a vin with a newline?)"
nokey=$(jq -c 'select(.vin == null)' "$docs" | wc -l)
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

# measure CMD...: run CMD; sets m_rest to "cpu_seconds max_rss_kb
# broker_cpu_seconds" (the broker's CPU during the run: on two cores it
# competes with the client, and what the client sends decides its share)
# and m_secs
measure() {
    local t0 t1
    t0=$(broker_ticks)
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" || return 1
    t1=$(broker_ticks)
    read -r m_secs m_rest < <(awk -v t0="$t0" -v t1="$t1" -v hz="$hz" '{
        printf "%s %.2f %s %s\n", $1, $2 + $3, $4,
            t0 == "" ? "-" : sprintf("%.2f", (t1 - t0) / hz) }' "$work/time")
}

best() {
    sort -g "$1" | head -n 1
}

# count TOPIC: messages in the topic (the sum of the high watermarks)
count() {
    kcons -q -b "$bs" --list "$1" | jq -s '[.[] | select(.topic) | .high] | add'
}

row() {
    local name=$1 file=$2 secs cpu rss bcpu short=
    read -r secs _ _ cpu rss bcpu < <(best "$file")
    bench_short "$file" >/dev/null && short="  SHORT: $(bench_short "$file")"
    printf '%-44s %7s %7s %9.0f %7.1f %7s %8s %8s%s\n' "$name" "$secs" "$(bench_median "$file")" \
        "$(awk -v a="$n" -v b="$secs" 'BEGIN { print a / b }')" \
        "$(awk -v a="$bytes" -v b="$secs" 'BEGIN { print a / b / 1e6 }')" "$cpu" "$rss" "$bcpu" "$short"
}

results=()
# ratio WHAT OURS THEIRS [ref]: a target row, or a reference (no target);
# a summary row either way
ratio() {
    local what=$1 ours=$2 theirs=$3 target=1 tail=
    [[ ${4:-} == ref ]] && target=0
    if bench_ratio "$ours" "$theirs"; then
        if ((!target)); then
            tail="  (beside the headline)"
        elif awk -v a="$r_best" -v b="$r_median" 'BEGIN { exit !(a < 1.0 || b < 1.0) }'; then
            tail="  BELOW TARGET 1.0"
        fi
        results+=("$(printf 'ratio %-44s best %s (kcat %s s / iotpipe %s s), median %s (%s / %s)%s' \
            "$what" "$r_best" "$(bench_best "$theirs")" "$(bench_best "$ours")" \
            "$r_median" "$(bench_median "$theirs")" "$(bench_median "$ours")" "$tail")")
    else
        results+=("$(printf 'ratio %-44s %s' "$what" "$r_note")")
    fi
    bench_summary "kafka $what (lines/s)" \
        "$([[ $what == consume* ]] && echo kcons || echo kprod) $(bench_rate "$n" "$(bench_best "$ours")")" \
        "kcat $(bench_rate "$n" "$(bench_best "$theirs")")" "$r_best" "$r_median"
}

bench_init "$work"
printf '# %d documents, %.1f MB (%d bytes a line on average), %d runs after %d warm-up rounds: best and median\n' \
    "$n" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" $((bytes / n)) "$runs" "$warmup"
printf '# Kafka %s on %s; %s; load average %s\n' "${KAFKA_SVC_VERSION:-external}" "$bs" \
    "$(kprod --version)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '# %s\n' "$logs"
printf '# keyed: %d of %d documents have no vin (no key from kprod, an empty one from kcat)\n' "$nokey" "$n"
printf '%-44s %7s %7s %9s %7s %7s %8s %8s\n' test best median lines/s MB/s cpu_s rss_kb broker_s

# ---- produce
# kprod's defaults (kprod --print-config: idempotent, acks=all, linger
# 20 ms, lz4, a 64 MiB queue) for kcat
safe=(-X enable.idempotence=true -X acks=all -X linger.ms=20 -X queue.buffering.max.kbytes=65536 -z lz4)
series=(p-kprod p-kcat p-kcat-safe pk-kprod pk-kcat pk-kcat-safe c-kcons c-kcat c-kcat-100)
for f in "${series[@]}"; do
    : >"$work/$f"
done
# produce NAME: one run of that producer into a new topic, checked
produce() {
    local t=bench-$1-$r-$$
    case $1 in
    p-kprod) measure kprod -q -b "$bs" -t "$t" <"$docs" ;;
    p-kcat) measure kcat -b "$bs" -P -t "$t" <"$docs" ;;
    # kcat with kprod's delivery settings: what the safety costs, apart
    # from the program
    p-kcat-safe) measure kcat -b "$bs" -P -t "$t" "${safe[@]}" <"$docs" ;;
    pk-kprod) measure kprod -q -b "$bs" -t "$t" --key-field vin <"$docs" ;;
    pk-kcat) measure kcat -b "$bs" -P -t "$t" -K $'\t' <"$keyed" ;;
    pk-kcat-safe) measure kcat -b "$bs" -P -t "$t" -K $'\t' "${safe[@]}" <"$keyed" ;;
    esac || die "$1 failed"
    bench_record "$work/$1" "$m_secs" "$(count "$t")" "$n" "$m_rest"
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
: >"$work/p-kcat.load"
: >"$work/p-kprod.load"
# each run in a different order: whoever runs after whom, or first after
# a pause, does not always favour the same program
for ((r = 1; r <= runs; r++)); do
    if ((r % 2)); then
        order=(p-kprod p-kcat-safe p-kcat pk-kprod pk-kcat-safe pk-kcat)
    else
        order=(pk-kcat pk-kcat-safe pk-kprod p-kcat p-kcat-safe p-kprod)
    fi
    for f in "${order[@]}"; do
        produce "$f"
    done
    drop "$r"
done
row "produce kprod" "$work/p-kprod"
row "produce kcat -P, kprod's settings" "$work/p-kcat-safe"
row "produce kcat -P, its defaults" "$work/p-kcat"
row "produce keyed kprod --key-field vin" "$work/pk-kprod"
row "produce keyed kcat -P -K, kprod's settings" "$work/pk-kcat-safe"
row "produce keyed kcat -P -K, its defaults" "$work/pk-kcat"
ratio "produce, like for like" "$work/p-kprod" "$work/p-kcat-safe"
ratio "produce keyed, like for like" "$work/pk-kprod" "$work/pk-kcat-safe"
ratio "produce, defaults vs defaults" "$work/p-kprod" "$work/p-kcat" ref
ratio "produce keyed, defaults vs defaults" "$work/pk-kprod" "$work/pk-kcat" ref
lost=() # iotpipe runs that came up short: reported, then exit status 1
for f in p-kprod pk-kprod; do
    if bench_short "$work/$f" >/dev/null; then
        lost+=("$f came up short: $(bench_short "$work/$f")")
    fi
done

# ---- consume: the topic kcat filled in the first run
topic=bench-p-kcat-1-$$
# shellcheck disable=SC2016 # bash -c's own arguments
consume() {
    case $1 in
    c-kcons) measure bash -c 'kcons -q -b "$1" -t "$2" -e | wc -l >"$3"' \
        _ "$bs" "$topic" "$work/c-count" ;;
    c-kcat) measure bash -c 'kcat -b "$1" -C -t "$2" -o beginning -e -q | wc -l >"$3"' \
        _ "$bs" "$topic" "$work/c-count" ;;
    c-kcat-100) measure bash -c 'kcat -b "$1" -C -t "$2" -o beginning -e -q -X fetch.wait.max.ms=100 | wc -l >"$3"' \
        _ "$bs" "$topic" "$work/c-count" ;;
    esac || die "$1 failed"
    bench_record "$work/$1" "$m_secs" "$(<"$work/c-count")" "$n" "$m_rest"
}
for ((r = 1; r <= runs; r++)); do
    if ((r % 2)); then
        order=(c-kcons c-kcat-100 c-kcat)
    else
        order=(c-kcat c-kcat-100 c-kcons)
    fi
    for f in "${order[@]}"; do
        consume "$f"
    done
done
row "consume kcons -e | wc -l" "$work/c-kcons"
row "consume kcat -C -e, fetch wait 100 ms" "$work/c-kcat-100"
row "consume kcat -C -e, its defaults" "$work/c-kcat"
ratio "consume, like for like" "$work/c-kcons" "$work/c-kcat-100"
ratio "consume, defaults vs defaults" "$work/c-kcons" "$work/c-kcat" ref
if bench_short "$work/c-kcons" >/dev/null; then
    lost+=("kcons came up short: $(bench_short "$work/c-kcons")")
fi

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
printf '# load average during the runs %s\n' "$(bench_load)"
for f in "${series[@]}"; do
    printf 'runs %-12s %s  broker_s %s\n' "$f" "$(awk '{ printf "%s(%s) ", $1, $2 }' "$work/$f")" \
        "$(cut -d' ' -f6 "$work/$f" | tr '\n' ' ')"
done
rss_report kprod "$work/rss-kprod"
rss_report kcons "$work/rss-kcons"
if ((${#lost[@]})); then
    printf 'bench/kafka: %s\n' "${lost[@]}" >&2
    exit 1
fi
