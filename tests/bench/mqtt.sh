#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mqtt2json and json2mqtt against mosquitto_sub and mosquitto_pub -l, on
# one mosquitto broker (tests/services/mosquitto.sh), 200-byte payloads.
#
#   receive   each subscriber drains the same N messages that the broker
#             queued for its persistent session (QoS 0 and 1; the broker
#             is set to queue QoS 0 too), into a pipe
#   publish   each publisher sends the same N lines (QoS 0 and 1) and
#             exits; QoS 1 counts until the last PUBACK; a subscriber
#             counts what arrived
#   memory    mqtt2json receives BENCH_RSS_COUNT messages while a sampler
#             reads its RSS twice a second: the peak, and the growth after
#             the first 10%
#
# Environment: IOTPIPE_BUILD (the programs), BENCH_COUNT (200000),
# BENCH_RSS_COUNT (1000000), BENCH_RUNS (3: the best run counts).
# Prints a table and "ratio" lines, above 1.0 when iotpipe is faster:
# receive, the peer's time over ours; publish, our delivered messages per
# second over the peer's (a subscriber counts what reached the broker).
# Exits 1 if an iotpipe run lost messages.

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

die() {
    printf 'bench/mqtt: %s\n' "$*" >&2
    exit 1
}

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

# measure FILE CMD...: run CMD, append "seconds cpu_seconds max_rss_kb" to FILE
measure() {
    local file=$1
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" || return 1
    awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$work/time" >>"$file"
}

# best FILE: the line with the smallest wall time; with a fourth column
# (delivered), the one with the most delivered per second
best() {
    awk '{ k = NF >= 4 ? -$4 / $1 : $1; print k, $0 }' "$1" | sort -g | head -n 1 | cut -d' ' -f2-
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

results=()
ratio() {
    local what=$1 ours=$2 theirs=$3
    results+=("$(awk -v w="$what" -v a="$ours" -v b="$theirs" \
        'BEGIN { printf "ratio %-22s %.2f (peer %.2f s / iotpipe %.2f s)", w, b / a, b, a }')")
}

printf '# %d messages of 200 bytes, best of %d runs, broker %s\n' "$n" "$runs" "$(mosquitto -h 2>/dev/null | head -n 1)"
printf '%-34s %8s %8s %9s %8s\n' test seconds msg/s cpu_s rss_kb

for q in 0 1; do
    for tool in iotpipe peer; do
        : >"$work/r-$tool-$q"
        for ((r = 1; r <= runs; r++)); do
            id=b$tool$q$r$$
            fill "$id" "$q"
            measure "$work/r-$tool-$q" bash -c "recv_$tool $id $q" || die "receive run failed"
            [[ $(cat "$work/count") == "$n" ]] || die "$tool QoS $q received $(cat "$work/count") of $n"
        done
        read -r secs cpu rss < <(best "$work/r-$tool-$q")
        printf '%-34s %8s %8.0f %9s %8s\n' "receive QoS $q $([[ $tool == iotpipe ]] && echo mqtt2json || echo mosquitto_sub)" \
            "$secs" "$(awk -v a="$n" -v b="$secs" 'BEGIN { print a / b }')" "$cpu" "$rss"
    done
    ratio "receive QoS $q" "$(best "$work/r-iotpipe-$q" | cut -d' ' -f1)" "$(best "$work/r-peer-$q" | cut -d' ' -f1)"
done

# publish: a subscriber counts what reached the broker, since a publisher
# that exits early has not delivered everything (mosquitto_pub -l drops
# what is still queued at the end of its input)
pub_run() {
    local tool=$1 q=$2 i
    mqtt2json -v -p "$port" -t bench/pub -q "$q" -C "$n" --idle-timeout 3 -W 300 \
        2>"$work/pubsub.err" | wc -l >"$work/delivered" &
    local sub=$!
    for ((i = 0; i < 100; i++)); do
        grep -q 'subscribed to' "$work/pubsub.err" && break
        sleep 0.05
    done
    if [[ $tool == iotpipe ]]; then
        measure "$work/p-$tool-$q" json2mqtt -p "$port" -t bench/pub -q "$q" --quiet \
            <"$work/in" || die "json2mqtt failed"
    else
        measure "$work/p-$tool-$q" mosquitto_pub -p "$port" -t bench/pub -q "$q" -l \
            <"$work/in" || die "mosquitto_pub failed"
    fi
    wait "$sub"
    # the delivered count goes on the line of this run
    sed -i "\$s/\$/ $(cat "$work/delivered")/" "$work/p-$tool-$q"
}

for q in 0 1; do
    for tool in iotpipe peer; do
        : >"$work/p-$tool-$q"
        for ((r = 1; r <= runs; r++)); do
            pub_run "$tool" "$q"
        done
        read -r secs cpu rss got < <(best "$work/p-$tool-$q")
        printf '%-34s %8s %8.0f %9s %8s  delivered %s of %s\n' \
            "publish QoS $q $([[ $tool == iotpipe ]] && echo json2mqtt || echo 'mosquitto_pub -l')" \
            "$secs" "$(awk -v a="$n" -v b="$secs" 'BEGIN { print a / b }')" "$cpu" "$rss" "$got" "$n"
    done
    [[ $(best "$work/p-iotpipe-$q" | cut -d' ' -f4) == "$n" ]] || die "json2mqtt lost messages"
    # delivered messages per second of run time, so a run that drops
    # messages does not look fast
    results+=("$(awk -v w="publish QoS $q" -v i="$(best "$work/p-iotpipe-$q")" -v p="$(best "$work/p-peer-$q")" '
        BEGIN {
            split(i, a, " "); split(p, b, " ")
            printf "ratio %-22s %.2f (delivered/s: peer %.0f (%d in %.2f s) / iotpipe %.0f (%d in %.2f s))",
                w, (a[4] / a[1]) / (b[4] / b[1]), b[4] / b[1], b[4], b[1], a[4] / a[1], a[4], a[1]
        }')")
done

printf '%s\n' "${results[@]}"

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
