#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The containers, run for real with podman: the image of
# deploy/Containerfile (on a local Debian 12 slim base made with
# mmdebstrap, tests/services/image.sh), every program in it as uid 10001,
# and the pods of deploy/k8s played with `podman kube play` against the
# mosquitto, Kafka and OpenSearch started here on 127.0.0.1: messages
# published on the broker end up indexed, exactly; the indexer pod is
# deleted mid-stream, gracefully and then with SIGKILL, and played again:
# every document indexed once, none lost. What cannot run here (the
# official server images of deploy/compose.yaml, the HPA, a real
# kube-apiserver) is checked: the YAML parses, every flag is one the
# program's --help lists, every image is the project's or an official one
# with a pinned tag, every fifo is made before it is opened.
#
# Needs podman, runc, catatonit, mmdebstrap and python3-yaml (`make
# deps`), and root (podman kube play with host networking). podman reads
# tests/containers.conf (CONTAINERS_CONF). The base image is made once
# and kept in podman's storage (tests/services/image.sh rmi removes it).
#
# Volume (environment): CONTAINERS_TEST_MINUTES, the simulated minutes of
# the first batch published (2: 5,110 messages from 5 vehicles); the
# second runs until the indexer was deleted twice and played again.

load ../lib/common

bats_require_minimum_version 1.5.0

# shellcheck source=tests/services/mosquitto.sh
source "$IOTPIPE_SRC/tests/services/mosquitto.sh"
# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"
# shellcheck source=tests/services/opensearch.sh
source "$IOTPIPE_SRC/tests/services/opensearch.sh"
# shellcheck source=tests/services/image.sh
source "$IOTPIPE_SRC/tests/services/image.sh"
# shellcheck source=tests/lib/pipeline.sh
source "$IOTPIPE_SRC/tests/lib/pipeline.sh"

MINUTES=${CONTAINERS_TEST_MINUTES:-2}
PROGS=()
for d in "$IOTPIPE_SRC"/cmd/*/; do
    d=${d%/}
    PROGS+=("${d##*/}")
done

setup_file() {
    unset KAFKA_BROKERS KAFKA_SASL_PASSWORD MQTT_URL MQTT_PASSWORD \
        ELASTICSEARCH_URL ELASTICSEARCH_PASSWORD
    services_init
    image_env
    TID=${IOTPIPE_RUN_DIR##*.}
    export TID=${TID,,}
    local i k o t0=$SECONDS
    started image image_build &
    i=$!
    started kafka kafka_start &
    k=$!
    started opensearch opensearch_start &
    o=$!
    started mosquitto pipe_mosquitto
    wait "$i"
    printf '# image ready after %d s\n' $((SECONDS - t0)) >&3
    wait "$k"
    wait "$o"
}

setup() {
    need image :
    VERSION=$(image_version)
    BG_PIDS=()
}

teardown() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    services_teardown
}

teardown_file() {
    local p
    for p in ingest indexer vsim; do
        podman pod rm -f -t 0 "$p-$TID" >/dev/null 2>&1 || true
        podman volume rm -f "$p-$TID-pipes" >/dev/null 2>&1 || true
    done
    services_cleanup containers
}

# note TEXT: a TAP comment with a measured figure.
note() {
    printf '# %s\n' "$*" >&3
}

# servers: the variables of the three servers, or fail with why.
servers() {
    need mosquitto mosquitto_use pipeline
    need kafka kafka_use
    need opensearch opensearch_use
}

# play_yaml NAME: the test's copy of deploy/k8s/NAME.yaml with the
# ConfigMap (the endpoints of this run's servers), in $IOTPIPE_RUN_DIR.
play_yaml() {
    local f=$IOTPIPE_RUN_DIR/play-$1.yaml
    python3 "$IOTPIPE_SRC/tests/lib/kube-play.py" --suffix "$TID" \
        --set "MQTT_URL=mqtt://127.0.0.1:$MQTT_SVC_PORT" \
        --set "KAFKA_BROKERS=$KAFKA_SVC_BOOTSTRAP" \
        --set "ELASTICSEARCH_URL=$OS_SVC_URL" \
        "$IOTPIPE_SRC/deploy/k8s/config.yaml" "$IOTPIPE_SRC/deploy/k8s/$1.yaml" \
        >"$f" 2>/dev/null || return 1
    printf '%s\n' "$f"
}

# play NAME: podman kube play of the test's copy of deploy/k8s/NAME.yaml.
play() {
    local f
    f=$(play_yaml "$1") || fail "no play YAML for $1"
    podman kube play "$f" >"$IOTPIPE_RUN_DIR/play-$1.out" 2>&1 ||
        fail "podman kube play $1: $(cat "$IOTPIPE_RUN_DIR/play-$1.out")"
}

# logs NAME CONTAINER: the container's log (stdout and stderr).
logs() {
    podman logs "$1-$TID-$2" 2>&1
}

# pod_logs NAME: the last lines of every container of the pod, for a
# failure's output.
pod_logs() {
    local c
    for c in $(podman pod inspect "$1-$TID" --format '{{range .Containers}}{{.Name}} {{end}}' 2>/dev/null); do
        printf -- '--- %s\n' "$c"
        podman logs --tail 8 "$c" 2>&1
    done
}

# wait_for SECONDS CMD...: poll CMD every 0.5 s.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

subscribed() {
    logs ingest mqtt2json | grep -q 'subscribed to'
}

count() {
    curl -fsS -X POST "$OS_SVC_URL/vehicles-*/_refresh" >/dev/null &&
        curl -fsS "$OS_SVC_URL/vehicles-*/_count" | jq .count
}

# count_is N: the index holds N documents.
count_is() {
    [[ $(count) == "$1" ]]
}

# count_above N
count_above() {
    local c
    c=$(count) && ((c > $1))
}

# lag_is_zero: the group "indexer" committed everything of "telemetry".
lag_is_zero() {
    local l
    l=$(kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list -G indexer telemetry 2>/dev/null |
        jq -s '[.[] | select(.topic) | .lag] | if length == 0 then -1 else add end') &&
        [[ $l == 0 ]]
}

# publish SEED VSIM-ARG...: vsim | json2mqtt on the host's broker; prints
# what json2mqtt published.
publish() {
    local err=$BATS_TEST_TMPDIR/json2mqtt-$1.err
    vsim -n 5 --seed "$1" --start 2019-06-15T11:00:00Z --duration "${MINUTES}m" \
        "${@:2}" --stats 0 2>/dev/null |
        json2mqtt -p "$MQTT_SVC_PORT" -q 1 -M 100 --stats 0 2>"$err" || return 1
    stats_field "$err" out
}

@test "the image: deploy/Containerfile on the local Debian 12 slim base, under 150 MB, uid 10001" {
    run podman image inspect --format '{{.Size}} {{.Config.User}}' "$IOTPIPE_IMAGE:$VERSION"
    assert_success
    local size=${output%% *}
    note "image $IOTPIPE_IMAGE:$VERSION: $((size / 1000000)) MB (base $(($(image_size "$IOTPIPE_BASE_IMAGE") / 1000000)) MB)"
    ((size < 150000000)) || fail "the image is $size bytes, not under 150 MB"
    assert_equal "${output#* }" "10001:10001"
    # the build stage's compiler and -dev packages stayed behind
    run podman run --rm --network=none "$IOTPIPE_IMAGE:$VERSION" \
        sh -c 'command -v cc; ls /usr/include/librdkafka 2>&1; id -u; id -g'
    assert_success
    refute_line --partial /cc
    assert_line --partial 'No such file'
    assert_line --index 1 10001
    assert_line --index 2 10001
}

@test "every program's --help and --version run in the image as uid 10001, with its man page and every library it needs" {
    # one container for all of them: a line per fact
    run podman run --rm --network=none "$IOTPIPE_IMAGE:$VERSION" sh -c '
        echo "uid $(id -u)"
        for p in "$@"; do
            h=$("$p" --help 2>&1); echo "help $p $? $(printf %s "$h" | head -n 1)"
            v=$("$p" --version 2>&1); echo "version $p $? $(printf %s "$v" | head -n 1)"
            [ -f "/usr/local/share/man/man1/$p.1" ] && echo "man $p"
            ldd "/usr/local/bin/$p" | grep -q "not found" && echo "missing $p $(ldd "/usr/local/bin/$p" | grep "not found" | tr -s " \n" " ")"
        done
        [ -f /usr/local/share/man/man7/iotpipe.7 ] && echo "man iotpipe(7)"
        true' sh "${PROGS[@]}"
    assert_success
    assert_line "uid 10001"
    local p
    for p in "${PROGS[@]}"; do
        assert_line --regexp "^help $p 0 usage: $p "
        assert_line --regexp "^version $p 0 $p $VERSION \(iotpipe\)"
        assert_line "man $p"
    done
    assert_line "man iotpipe(7)"
    refute_line --partial missing
    assert_equal "${#PROGS[@]}" 8
}

# metric_is CONTAINER PROG COUNTER N: PROG's --metrics-file in CONTAINER
# (/run/metrics/PROG.prom) says COUNTER is N.
metric_is() {
    podman exec "$1" cat "/run/metrics/$2.prom" 2>/dev/null |
        grep -qx "iotpipe_$3_total{program=\"$2\",file=\"$2\"} $4"
}

@test "the ingest and indexer pods (podman kube play of deploy/k8s) index what the host's broker got, exactly" {
    servers
    kafka_topic_create telemetry 3 >/dev/null
    kafka_topic_create telemetry.errors 1 >/dev/null
    local t0=$SECONDS published
    play indexer
    play ingest
    # the programs run as uid 10001, on the host's network
    run podman inspect --format '{{.Config.User}} {{.HostConfig.NetworkMode}} {{.HostConfig.ReadonlyRootfs}}' \
        "ingest-$TID-vnorm" "indexer-$TID-esbulk"
    assert_output "10001:10001 host true
10001:10001 host true"
    wait_for 90 subscribed || fail "mqtt2json did not subscribe: $(pod_logs ingest)"
    note "pods played and subscribed in $((SECONDS - t0)) s"

    published=$(publish 31 --fast) || fail "vsim | json2mqtt failed"
    ((published > 1000)) || fail "published only $published"
    printf '%s\n' "$published" >"$BATS_FILE_TMPDIR/published"
    wait_for 120 count_is "$published" ||
        fail "indexed $(count) of $published: $(pod_logs ingest; pod_logs indexer)"
    # and no more: nothing comes late
    sleep 2
    assert_equal "$(count)" "$published"
    wait_for 60 lag_is_zero || fail "the group did not commit everything"
    # each program's --metrics-file, in the volume node-exporter serves
    # (rewritten every 10 s)
    wait_for 30 metric_is ingest-$TID-kprod kprod out "$published" ||
        fail "kprod.prom: $(podman exec "ingest-$TID-kprod" cat /run/metrics/kprod.prom)"
    wait_for 30 metric_is indexer-$TID-esbulk esbulk out "$published" ||
        fail "esbulk.prom: $(podman exec "indexer-$TID-esbulk" cat /run/metrics/esbulk.prom)"
    run podman exec "ingest-$TID-kprod" cat /run/metrics/kprod.prom
    assert_line 'iotpipe_up{program="kprod",file="kprod"} 1'
    note "$published messages published and indexed in $((SECONDS - t0)) s"
}

@test "the indexer pod deleted mid-stream (SIGTERM, then SIGKILL) and played again: every document indexed once, none lost" {
    servers
    [[ -f $BATS_FILE_TMPDIR/published ]] || fail "needs the pods of the test before"
    local first second vs j2 t0=$SECONDS i
    first=$(<"$BATS_FILE_TMPDIR/published")
    # a source that runs until it is stopped, so that both deletions are
    # mid-stream however slow the machine is; json2mqtt's last stats line
    # says what it published
    mkfifo "$BATS_TEST_TMPDIR/src"
    vsim -n 5 --seed 32 --start 2019-06-15T11:00:00Z --duration 1d --speedup 8 \
        --stats 0 >"$BATS_TEST_TMPDIR/src" 2>/dev/null &
    vs=$!
    json2mqtt -p "$MQTT_SVC_PORT" -q 1 -M 100 --stats 0 <"$BATS_TEST_TMPDIR/src" \
        2>"$BATS_TEST_TMPDIR/json2mqtt.err" &
    j2=$!
    BG_PIDS=("$vs" "$j2")

    for i in 1 2; do
        wait_for 90 count_above "$(($(count) + 200))" ||
            fail "nothing indexed before deletion $i: $(pod_logs indexer)"
        if ((i == 1)); then
            # a pod deleted as the kubelet does it: SIGTERM, then the
            # grace period (podman kube down: 10 s)
            podman kube down "$IOTPIPE_RUN_DIR/play-indexer.yaml" >/dev/null
        else
            # a node lost: SIGKILL, nothing flushed
            podman pod rm -f -t 0 "indexer-$TID" >/dev/null
        fi
        note "indexer deleted ($i) at $(count) documents"
        play indexer
    done
    # the last indexer works too, then the source stops
    wait_for 90 count_above "$(($(count) + 200))" ||
        fail "nothing indexed after the second replay: $(pod_logs indexer)"
    kill -TERM "$vs"
    wait "$vs" || true
    wait "$j2" || fail "json2mqtt failed: $(tail -n 3 "$BATS_TEST_TMPDIR/json2mqtt.err")"
    second=$(stats_field "$BATS_TEST_TMPDIR/json2mqtt.err" out)
    ((second > 1000)) || fail "published only $second"

    wait_for 120 count_is "$((first + second))" ||
        fail "indexed $(count) of $((first + second)): $(pod_logs indexer)"
    sleep 2
    # ids are deterministic (vnorm --es-id, the Kafka key, esbulk --id):
    # a document replayed after a deletion overwrites itself, so the count
    # is exact: one more would be a duplicate, one less a loss
    assert_equal "$(count)" "$((first + second))"
    wait_for 60 lag_is_zero || fail "the group did not commit everything"
    # nothing was rejected on the way
    run kcons -q -b "$KAFKA_SVC_BOOTSTRAP" --list telemetry.errors
    assert_success
    run jq -s '[.[] | select(.topic) | .high] | add' <<<"$output"
    assert_output 0
    note "$second more published, the indexer deleted twice, all indexed once in $((SECONDS - t0)) s"
}

@test "the vsim pod (deploy/k8s/vsim.yaml) publishes to the host's broker, and the pipeline indexes it" {
    servers
    local before t0=$SECONDS
    before=$(count)
    play vsim
    wait_for 90 count_above "$((before + 100))" ||
        fail "nothing of vsim indexed: $(pod_logs vsim; pod_logs ingest)"
    run logs vsim vsim
    refute_output --partial 'vsim: error'
    note "vsim's pod: $(($(count) - before)) documents indexed in $((SECONDS - t0)) s"
    podman kube down "$IOTPIPE_RUN_DIR/play-vsim.yaml" >/dev/null
}

@test "deploy/: the YAML parses; every flag is in its program's --help; every image is the project's or official and pinned; every fifo is made first" {
    run --separate-stderr python3 "$IOTPIPE_SRC/tests/lib/deploy-facts.py" "$IOTPIPE_SRC/deploy" "${PROGS[@]}"
    assert_success
    local facts=$output kind a b where n=0 images=0 help
    declare -A seen=()
    while IFS=$'\t' read -r kind a b where; do
        case $kind in
        flag)
            # a row of the program's option table, as --help lists it
            help=$("$IOTPIPE_BUILD/$a" --help)
            grep -qE -- "(^|[ ,\[])$b([ ,=\[]|$)" <<<"$help" ||
                fail "$where: $a $b is not an option of $a (see $a --help)"
            seen[$a]=1
            n=$((n + 1))
            ;;
        image)
            [[ $a == *:* && ${a##*:} != latest ]] || fail "$where: $a: no pinned tag"
            case $a in
            localhost/iotpipe:"$VERSION") ;;
            localhost/*) fail "$where: $a: the project's image is localhost/iotpipe:$VERSION" ;;
            docker.io/library/debian:12 | docker.io/library/debian:12-slim) ;;
            eclipse-mosquitto:[0-9]*.[0-9]*.[0-9]* | apache/kafka:[0-9]*.[0-9]*.[0-9]*) ;;
            docker.elastic.co/elasticsearch/elasticsearch:8.[0-9]*.[0-9]*) ;;
            docker.elastic.co/kibana/kibana:8.[0-9]*.[0-9]*) ;;
            opensearchproject/opensearch:[0-9]*.[0-9]*.[0-9]*) ;;
            opensearchproject/opensearch-dashboards:[0-9]*.[0-9]*.[0-9]*) ;;
            quay.io/prometheus/node-exporter:v[0-9]*.[0-9]*.[0-9]*) ;;
            *) fail "$where: $a is neither the project's image nor an official one with a pinned version" ;;
            esac
            images=$((images + 1))
            ;;
        fifo) [[ $b == made ]] || fail "$where: $a is opened but no init container (compose: fifos) makes it" ;;
        grace) ((a > b)) || fail "$where: a grace period of $a s is not above the programs' timeout of $b s" ;;
        nonroot) [[ $a == yes ]] || fail "$where: runs as root" ;;
        limits) [[ $a == yes ]] || fail "$where: no resource requests and limits" ;;
        *) fail "unknown fact: $kind" ;;
        esac
    done <<<"$facts"
    # every program the files run was seen, and the files are not empty
    for a in mqtt2json vnorm kprod kcons esbulk vsim json2mqtt kibana-dash; do
        [[ -n ${seen[$a]:-} ]] || fail "no flag of $a checked: is it in deploy/?"
    done
    note "$n flags checked against --help, $images image names"
    # each k8s workload in one namespace-free file set, selectors matching
    run python3 -c '
import sys, yaml, glob
for p in sorted(glob.glob(sys.argv[1] + "/k8s/*.yaml")):
    for d in yaml.safe_load_all(open(p)):
        if d and d.get("kind") == "Deployment":
            sel = d["spec"]["selector"]["matchLabels"]
            lab = d["spec"]["template"]["metadata"]["labels"]
            bad = {k: v for k, v in sel.items() if lab.get(k) != v}
            print(p.rsplit("/", 1)[1], d["metadata"]["name"], "ok" if not bad else bad)
' "$IOTPIPE_SRC/deploy"
    assert_success
    refute_output --regexp ' \{'
    assert_line "indexer.yaml indexer ok"
    assert_line "ingest.yaml ingest ok"
    assert_line "vsim.yaml vsim ok"
}
