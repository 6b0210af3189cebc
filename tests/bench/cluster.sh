#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What a cluster costs: kprod and kcons | esbulk against a 3-broker Kafka
# cluster (replication factor 3, min.insync.replicas 2) and against one
# broker, in the same run, and indexers scaled as a consumer group, all
# started here (tests/services/kafka.sh --brokers 3 and a single broker,
# opensearch.sh --nodes 2).  BENCH_LINES keyed telemetry lines of about
# 60 bytes, topics of 6 partitions.
#
#   produce single    kprod (its defaults: acks=all, idempotent) to one
#                     broker (replication factor 1)
#   produce cluster   the same to the cluster: every batch written to 3
#                     brokers, acknowledged once 2 have it
#   produce acks=1    the cluster again with -X acks=1 -X
#                     enable.idempotence=false: the cost of acks=all and
#                     min.insync 2 is the ratio of the two
#   index single/cluster
#                     kcons -e | esbulk into the 2-node OpenSearch (1
#                     replica), from the single broker's topic and from
#                     the cluster's
#   members 1, 2, 3   M chains kcons -G -e --acks | esbulk --acks at once
#                     on the cluster's topic, a fresh group each run; the
#                     time until the last one ends (a join costs the group
#                     a rebalance, seconds, which a short run feels)
#
# Environment: IOTPIPE_BUILD, BENCH_LINES (100000), BENCH_RUNS (3, at
# least 3).  Each measure is run BENCH_RUNS
# times; prints the best and median seconds and rates, the ratios, the
# load average seen, and where the time goes (the CPU seconds of the
# brokers' and nodes' JVMs over the whole run).  Exits 1 when something
# does not work or a run came up short.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${IOTPIPE_BUILD:-$src/build}
n=${BENCH_LINES:-100000}
runs=${BENCH_RUNS:-3}
PATH=$build:$PATH

# shellcheck source=tests/services/kafka.sh
source "$src/tests/services/kafka.sh"
# shellcheck source=tests/services/opensearch.sh
source "$src/tests/services/opensearch.sh"
# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"

((runs >= 3)) || runs=3
unset IOTPIPE_RUN_DIR
svc_init || exit 1
svc_trap
dir=$IOTPIPE_RUN_DIR/bench
mkdir -p -- "$dir"
bench_init "$dir"

say() {
    printf '%s\n' "$*" >&2
}

now() {
    svc_now
}

# cpu PID: user+system seconds of a process so far
cpu() {
    awk '{ printf "%.1f\n", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

say "cluster bench: $n lines, $runs runs per measure; starting the servers"
t0=$(now)
kafka_start --name single >/dev/null || exit 1
single=$KAFKA_SVC_BOOTSTRAP
kafka_start --brokers 3 --name cluster >/dev/null || exit 1
cluster=$KAFKA_SVC_BOOTSTRAP
opensearch_start --nodes 2 --name bench >/dev/null || exit 1
urls=$OS_SVC_URLS url=$OS_SVC_URL
say "servers up in $(svc_elapsed "$t0") s"

jvms=()
for f in "$IOTPIPE_RUN_DIR"/kafka-single/pid "$IOTPIPE_RUN_DIR"/kafka-cluster/*/pid \
    "$IOTPIPE_RUN_DIR"/opensearch-bench/*/pid; do
    [[ -f $f ]] && jvms+=("$f")
done
cpu_start() {
    local f
    for f in "${jvms[@]}"; do
        printf '%s %s\n' "$f" "$(cpu "$(<"$f")")"
    done >"$dir/cpu0"
}
cpu_report() {
    local f c0 c1 who
    while read -r f c0; do
        c1=$(cpu "$(<"$f")")
        who=${f%/pid}
        who=${who#"$IOTPIPE_RUN_DIR"/}
        printf '  %-28s %6.1f s CPU\n' "$who" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')"
    done <"$dir/cpu0"
}

awk -v n="$n" 'BEGIN {
    for (i = 1; i <= n; i++)
        printf "{\"vin\":\"V%05d\",\"seq\":%d,\"speed\":80.3}\n", i % 97, i
}' >"$dir/in"

# high BOOTSTRAP TOPIC: messages in the topic
high() {
    kcons -q -b "$1" --list "$2" | jq -s '[.[] | select(.topic) | .high] | add'
}

# settled BOOTSTRAP TOPIC: wait (10 s at most) until the topic holds n
settled() {
    local i
    for ((i = 0; i < 50; i++)); do
        [[ $(high "$1" "$2") == "$n" ]] && return 0
        sleep 0.2
    done
}

count() {
    curl -fsS -XPOST "$url/$1/_refresh" >/dev/null
    curl -fsS "$url/$1/_count" | jq -r .count
}

# produce SERIES BOOTSTRAP TOPIC [KPROD-ARG...]: into TOPIC-1, TOPIC-2, ...
produce() {
    local series=$dir/$1 bs=$2 prefix=$3 r topic t s
    shift 3
    for ((r = 1; r <= runs; r++)); do
        topic=$prefix-$r
        kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --create \
            --topic "$topic" --partitions 6 \
            --replication-factor "$([[ $bs == *,* ]] && echo 3 || echo 1)" >/dev/null || return 1
        t=$(now)
        kprod -q -b "$bs" -t "$topic" --key-field vin "$@" <"$dir/in" || return 1
        s=$(svc_elapsed "$t")
        # with acks=1 the high watermark follows the followers' copy
        settled "$bs" "$topic"
        bench_record "$series" "$s" "$(high "$bs" "$topic")" "$n"
    done
}

# index SERIES BOOTSTRAP TOPIC
index() {
    local series=$dir/$1 bs=$2 topic=$3 r t s
    for ((r = 1; r <= runs; r++)); do
        curl -fsS -XDELETE "$url/bench-$1" >/dev/null 2>&1
        curl -fsS -XPUT "$url/bench-$1" -H 'content-type: application/json' \
            -d '{"settings":{"number_of_shards":2,"number_of_replicas":1}}' >/dev/null || return 1
        t=$(now)
        kcons -q -m -b "$bs" -e -t "$topic" | esbulk -q -u "$urls" -i "bench-$1" --kafka-id || return 1
        s=$(svc_elapsed "$t")
        bench_record "$series" "$s" "$(count "bench-$1")" "$n"
    done
}

# members M TOPIC: M chains at once in a fresh group
members() {
    local m=$1 topic=$2 series=$dir/members-$1 r i t s pids=() ok
    for ((r = 1; r <= runs; r++)); do
        curl -fsS -XDELETE "$url/bench-m" >/dev/null 2>&1
        curl -fsS -XPUT "$url/bench-m" -H 'content-type: application/json' \
            -d '{"settings":{"number_of_shards":2,"number_of_replicas":1}}' >/dev/null || return 1
        pids=()
        t=$(now)
        for ((i = 1; i <= m; i++)); do
            rm -f -- "$dir/acks$i"
            kcons -q -b "$cluster" -G "bench-$m-$r" --acks "$dir/acks$i" -e "$topic" |
                esbulk -q -u "$urls" -i bench-m --kafka-id --acks "$dir/acks$i" &
            pids+=($!)
        done
        ok=1
        for i in "${pids[@]}"; do
            wait "$i" || ok=
        done
        s=$(svc_elapsed "$t")
        [[ -n $ok ]] || say "members $m run $r: a chain failed"
        bench_record "$series" "$s" "$(count bench-m)" "$n"
    done
}

cpu_start
say "produce: single broker"
produce p-single "$single" single || exit 1
say "produce: cluster, acks=all"
produce p-cluster "$cluster" cluster || exit 1
say "produce: cluster, acks=1"
produce p-acks1 "$cluster" acks1 -X acks=1 -X enable.idempotence=false || exit 1
say "index: one uncounted run (the nodes' JIT and the index's first segments)"
runs_saved=$runs runs=1
index warmup "$cluster" cluster-1 || exit 1
runs=$runs_saved
say "index: from the single broker"
index i-single "$single" single-1 || exit 1
say "index: from the cluster"
index i-cluster "$cluster" cluster-1 || exit 1
for m in 1 2 3; do
    say "index: $m members"
    members "$m" cluster-1 || exit 1
done

status=0
row() {
    local name=$1 f=$dir/$2 b m
    b=$(bench_best "$f") m=$(bench_median "$f")
    if bench_short "$f" >/dev/null; then
        status=1
        printf '%-28s SHORT: %s\n' "$name" "$(bench_short "$f")"
        return
    fi
    printf '%-28s best %6.2f s %8s/s   median %6.2f s %8s/s\n' "$name" "$b" \
        "$(bench_rate "$n" "$b")" "$m" "$(bench_rate "$n" "$m")"
}
ratio() {
    local a=$dir/$2 b=$dir/$3
    if bench_short "$a" >/dev/null || bench_short "$b" >/dev/null; then
        printf 'ratio %-22s none: a run came up short\n' "$1"
        return
    fi
    printf 'ratio %-22s best %s  median %s\n' "$1" \
        "$(awk -v x="$(bench_best "$a")" -v y="$(bench_best "$b")" 'BEGIN { printf "%.2f", x / y }')" \
        "$(awk -v x="$(bench_median "$a")" -v y="$(bench_median "$b")" 'BEGIN { printf "%.2f", x / y }')"
}

printf '\n%s lines, %s runs each, load average %s\n' "$n" "$runs" "$(bench_load)"
row 'produce single broker' p-single
row 'produce cluster acks=all' p-cluster
row 'produce cluster acks=1' p-acks1
row 'index from single broker' i-single
row 'index from cluster' i-cluster
row 'index 1 member' members-1
row 'index 2 members' members-2
row 'index 3 members' members-3
ratio 'produce cluster/single' p-single p-cluster
ratio 'produce acks=all/acks=1' p-acks1 p-cluster
ratio 'index cluster/single' i-single i-cluster
ratio 'members 2/1' members-1 members-2
ratio 'members 3/1' members-1 members-3
printf '(a ratio A/B is the throughput of A over that of B: below 1.0, A is slower)\n'
printf 'CPU of the servers over the whole run:\n'
cpu_report
exit "$status"
