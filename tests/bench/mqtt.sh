#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mqtt2json and json2mqtt against mosquitto_sub and mosquitto_pub -l, on
# one mosquitto broker (tests/services/mosquitto.sh), 200-byte payloads.
#
#   receive   each subscriber drains the same N messages that the broker
#             queued for its persistent session (QoS 0 and 1; the broker
#             is set to queue QoS 0 too), into a pipe; the run ends when
#             the subscriber has N (-C N) and exits
#   publish   each publisher sends the same N lines (QoS 0 and 1) to a
#             subscriber (mqtt2json -C N) that was listening before; the
#             run is timed from the publisher's start until that
#             subscriber has every message.  Both publishers read the
#             lines through a pipe held open until then: mosquitto_pub -l
#             exits at the end of its input with what is still queued
#             undelivered (a few thousand of 200,000 at QoS 1), so its
#             exit is no end of the work.  The figure is delivered/s.
#   memory    mqtt2json receives BENCH_RSS_COUNT messages while a sampler
#             reads its RSS twice a second: the peak, and the growth after
#             the first 10%
#
# BENCH_RUNS runs of each (at least 3), iotpipe first in odd runs and the
# peer first in even ones; best and median, and the load average seen
# after the runs.  A run in which the subscriber did not get all N counts
# as short, and no ratio is printed for its measure.
#
# Environment: IOTPIPE_BUILD (the programs), BENCH_COUNT (200000),
# BENCH_RSS_COUNT (1000000), BENCH_RUNS (3), BENCH_SUMMARY (see all.sh).
# Prints a table and "ratio" lines, the peer's time over ours for the
# same N messages (above 1.0 when iotpipe is faster).  Exits 1 when
# something does not work, or, after printing everything, when an iotpipe
# run came up short.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${IOTPIPE_BUILD:-$src/build}
n=${BENCH_COUNT:-200000}
rss_n=${BENCH_RSS_COUNT:-1000000}
runs=${BENCH_RUNS:-3}
PATH=$build:$PATH

# shellcheck source=tests/services/mosquitto.sh
source "$src/tests/services/mosquitto.sh"
# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"

die() {
    printf 'bench/mqtt: %s\n' "$*" >&2
    exit 1
}

[[ $n =~ ^[0-9]+$ && $n -ge 100 ]] || die "BENCH_COUNT must be a number >= 100"
[[ $rss_n =~ ^[0-9]+$ && $rss_n -ge 100 ]] || die "BENCH_RSS_COUNT must be a number >= 100"
[[ $runs =~ ^[0-9]+$ && $runs -ge 3 ]] || die "BENCH_RUNS must be a number >= 3"
for c in mqtt2json json2mqtt mosquitto_sub mosquitto_pub mosquitto; do
    command -v "$c" >/dev/null || die "$c not found"
done

svc_init || exit 1
svc_trap
mosquitto_start --name bench --conf 'max_queued_messages 0' \
    --conf 'queue_qos0_messages true' --conf 'max_inflight_messages 100' \
    plain >/dev/null || die "no broker"
port=$MQTT_SVC_PORT
work=$IOTPIPE_RUN_DIR/bench
mkdir -p "$work"

# 200-byte JSON payloads (201 bytes with the newline), all different
gen() {
    awk -v n="$1" 'BEGIN {
        for (pad = ""; length(pad) < 300;)
            pad = pad "abcdefghijklmnopqrstuvwxyz"
        for (i = 1; i <= n; i++) {
            s = sprintf("{\"vin\":\"1FTEW1EP%09d\",\"seq\":%d,\"speed\":80.3,\"lat\":38.95618,\"lon\":-77.39835,\"note\":\"", i % 1000, i)
            s = s substr(pad, 1, 198 - length(s)) "\"}"
            print s
        }
    }'
}
gen "$n" >"$work/in"
[[ $(head -n 1 "$work/in" | tr -d '\n' | wc -c) == 200 ]] || die "payloads are not 200 bytes"

# measure FILE CMD...: run CMD under GNU time; sets m_secs, m_cpu, m_rss
measure() {
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" || return 1
    read -r m_secs m_cpu m_rss < <(awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$work/time")
}

# fill ID QOS: queue n messages for the persistent session ID
fill() {
    local id=$1 q=$2
    # register the session, then leave
    timeout 10 mosquitto_sub -p "$port" -i "$id" -c -q "$q" -t "bench/$id" -E ||
        die "cannot make session $id"
    timeout 300 json2mqtt -p "$port" -t "bench/$id" -q "$q" -M 1000 --quiet <"$work/in" ||
        die "cannot fill $id"
}

recv_iotpipe() {
    local id=$1 q=$2
    mqtt2json -p "$port" --durable -i "$id" -q "$q" -t "bench/$id" -C "$n" -W 300 --quiet |
        wc -l >"$work/count"
}

recv_peer() {
    local id=$1 q=$2
    mosquitto_sub -p "$port" -i "$id" -c -q "$q" -t "bench/$id" -C "$n" -W 300 |
        wc -l >"$work/count"
}

export -f recv_iotpipe recv_peer
export port n work

# the run order of run R: iotpipe first when R is odd
order() {
    if (($1 % 2)); then echo iotpipe peer; else echo peer iotpipe; fi
}

results=()
lost=() # iotpipe runs that came up short: reported, then exit status 1
# row LABEL FILE: best and median seconds, delivered/s of the best run,
# the CPU and RSS of the best run
row() {
    local label=$1 file=$2 secs cpu rss short
    read -r secs _ _ cpu rss < <(sort -g "$file" | head -n 1)
    short=
    bench_short "$file" >/dev/null && short="  SHORT: $(bench_short "$file")"
    printf '%-34s %8s %8s %9s %8s %8s%s\n' "$label" "$secs" "$(bench_median "$file")" \
        "$(bench_rate "$n" "$secs")" "$cpu" "$rss" "$short"
}
# ratio MEASURE OURS THEIRS IOTPIPE PEER: a ratio line and a summary row
ratio() {
    local what=$1 ours=$2 theirs=$3 ob tb
    ob=$(bench_best "$ours") tb=$(bench_best "$theirs")
    if bench_ratio "$ours" "$theirs"; then
        results+=("$(printf 'ratio %-22s best %s, median %s (delivered/s, best: %s %s, %s %s; %s)' \
            "$what" "$r_best" "$r_median" "$4" "$(bench_rate "$n" "$ob")" "$5" \
            "$(bench_rate "$n" "$tb")" "$r_note")")
    else
        results+=("$(printf 'ratio %-22s %s' "$what" "$r_note")")
    fi
    bench_summary "mqtt $what (msg/s)" "$4 $(bench_rate "$n" "$ob")" \
        "$5 $(bench_rate "$n" "$tb")" "$r_best" "$r_median"
}

bench_init "$work"
printf '# %d messages of 200 bytes, %d runs each (order alternating), broker %s\n' "$n" "$runs" \
    "$(mosquitto -h 2>/dev/null | head -n 1)"
printf '# load average before the runs %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %8s %8s %8s %9s %8s\n' test best_s median_s msg/s cpu_s rss_kb

for q in 0 1; do
    : >"$work/r-iotpipe-$q"
    : >"$work/r-peer-$q"
    for ((r = 1; r <= runs; r++)); do
        for tool in $(order "$r"); do
            id=b$tool$q$r$$
            fill "$id" "$q"
            measure bash -c "recv_$tool $id $q" || die "$tool: receive run failed"
            bench_record "$work/r-$tool-$q" "$m_secs" "$(<"$work/count")" "$n" "$m_cpu" "$m_rss"
        done
    done
    row "receive QoS $q mqtt2json" "$work/r-iotpipe-$q"
    row "receive QoS $q mosquitto_sub" "$work/r-peer-$q"
    if bench_short "$work/r-iotpipe-$q" >/dev/null; then
        lost+=("mqtt2json received $(bench_short "$work/r-iotpipe-$q") at QoS $q")
    fi
    ratio "receive QoS $q" "$work/r-iotpipe-$q" "$work/r-peer-$q" mqtt2json mosquitto_sub
done

# pub_run TOOL QOS: one publish run, timed until the subscriber has all n
pub_run() {
    local tool=$1 q=$2 i sub pub t0 t1 cmd
    : >"$work/pubsub.err"
    mqtt2json -v -p "$port" -t bench/pub -q "$q" -C "$n" --idle-timeout 10 -W 600 \
        2>"$work/pubsub.err" | wc -l >"$work/delivered" &
    sub=$!
    for ((i = 0; i < 200; i++)); do
        grep -q 'subscribed to' "$work/pubsub.err" && break
        sleep 0.05
    done
    grep -q 'subscribed to' "$work/pubsub.err" || die "the publish run's subscriber did not subscribe"
    if [[ $tool == iotpipe ]]; then
        cmd=(json2mqtt -p "$port" -t bench/pub -q "$q" --quiet)
    else
        cmd=(mosquitto_pub -p "$port" -t bench/pub -q "$q" -l)
    fi
    t0=$EPOCHREALTIME
    # the input stays open until the subscriber is done (then EOF ends
    # the publisher): both publishers see the same end of input
    {
        cat "$work/in"
        while kill -0 "$sub" 2>/dev/null; do sleep 0.02; done
    } | /usr/bin/time -f '%U %S %M' -o "$work/time" "${cmd[@]}" &
    pub=$!
    wait "$sub"
    t1=$EPOCHREALTIME
    wait "$pub" || die "$tool publisher failed (QoS $q)"
    read -r cpu rss < <(awk '{ printf "%.2f %s\n", $1 + $2, $3 }' "$work/time")
    bench_record "$work/p-$tool-$q" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
        "$(<"$work/delivered")" "$n" "$cpu" "$rss"
}

for q in 0 1; do
    : >"$work/p-iotpipe-$q"
    : >"$work/p-peer-$q"
    for ((r = 1; r <= runs; r++)); do
        for tool in $(order "$r"); do
            pub_run "$tool" "$q"
        done
    done
    row "publish QoS $q json2mqtt" "$work/p-iotpipe-$q"
    row "publish QoS $q mosquitto_pub -l" "$work/p-peer-$q"
    if bench_short "$work/p-iotpipe-$q" >/dev/null; then
        lost+=("json2mqtt: the subscriber had $(bench_short "$work/p-iotpipe-$q") at QoS $q when it gave up (10 s without a message)")
    fi
    ratio "publish QoS $q" "$work/p-iotpipe-$q" "$work/p-peer-$q" json2mqtt "mosquitto_pub -l"
done

printf '%s\n' "${results[@]}"
printf '# load average during the runs %s\n' "$(bench_load)"
for f in r-iotpipe-0 r-peer-0 r-iotpipe-1 r-peer-1 p-iotpipe-0 p-peer-0 p-iotpipe-1 p-peer-1; do
    printf 'runs %-12s %s\n' "$f" "$(awk '{ printf "%s(%s) ", $1, $2 }' "$work/$f")"
done

# ---- memory over a long run
gen "$rss_n" >"$work/in-rss"
# $! must be mqtt2json itself, not the last command of a pipeline
mqtt2json -v -p "$port" -t bench/rss -q 1 -C "$rss_n" -W 600 --stats 0 \
    2>"$work/rss.err" > >(wc -l >"$work/rss.count") &
m2j=$!
for ((i = 0; i < 100; i++)); do
    grep -q 'subscribed to' "$work/rss.err" && break
    sleep 0.05
done
sample() {
    while kill -0 "$1" 2>/dev/null; do
        awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null
        sleep 0.5
    done
}
sample "$m2j" >"$work/rss.samples" &
sampler=$!
json2mqtt -p "$port" -t bench/rss -q 1 --quiet <"$work/in-rss" &
pub=$!
sample "$pub" >"$work/rss-pub.samples" &
pubsampler=$!
wait "$pub" || die "json2mqtt failed in the memory run"
wait "$m2j" || die "mqtt2json failed in the memory run"
wait "$sampler" "$pubsampler"
for ((i = 0; i < 50; i++)); do
    [[ -s $work/rss.count ]] && break
    sleep 0.1
done
[[ $(cat "$work/rss.count") == "$rss_n" ]] || die "memory run received $(cat "$work/rss.count") of $rss_n"
for f in rss rss-pub; do
    awk -v who="$([[ $f == rss ]] && echo mqtt2json || echo json2mqtt)" -v n="$rss_n" '
        { v[NR] = $1; if ($1 > max) max = $1 }
        END {
            w = int(NR / 10) + 1
            printf "rss %-10s %d messages: %d samples, peak %d KiB, after 10%% %d KiB, at the end %d KiB\n",
                who, n, NR, max, v[w], v[NR]
        }' "$work/$f.samples"
done
if ((${#lost[@]})); then
    printf 'bench/mqtt: %s\n' "${lost[@]}" >&2
    exit 1
fi
