# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The whole pipeline, from vsim to the index, as fifo-chained processes:
# what demo.sh, tests/integration/pipeline.bats and tests/bench/pipeline.sh
# run, so that they run the same thing.
#
#   vsim ARGS | json2mqtt -q 1 -M 100                     the source
#   mqtt2json -m -q 1 --linger-ms 5 | vnorm --es-id | kprod the ingest
#   kcons -G indexer --acks ACKS | esbulk -w 4 --acks ACKS the indexer
#   every stage's --rejects into kprod -t telemetry.errors the error topic
#
# Ids are deterministic end to end: vnorm --es-id makes one from the
# document (vin, time, kind, signal), kprod makes it the Kafka key
# (--key-field @metadata.es._id) and esbulk the _id (--id
# @metadata.kafka.key), so a replay from Kafka, or a message the broker
# delivers twice, overwrites a document instead of adding one.  The key
# spreads a vehicle's records over the partitions: the index orders them
# by their timestamp, not by their offset.
#
# Source it with tests/services/*.sh loaded and mosquitto (pipe_mosquitto),
# Kafka and OpenSearch started: it reads MQTT_SVC_PORT, KAFKA_SVC_BOOTSTRAP
# and OS_SVC_URL (OS_SVC_URLS, every node, for a cluster: esbulk -u), and
# runs the programs it finds on PATH.
#
#   pipe_init DIR          fifos and logs in DIR, the topics, the error
#                          topic's producer; call first
#   pipe_indexer_start [KCONS-ARG]...
#                          kcons | esbulk, in the background (kcons -e, say,
#                          for a run that ends at the partitions' end)
#   pipe_ingest_start      mqtt2json | vnorm | kprod, in the background,
#                          once mqtt2json has subscribed
#   pipe_source ARGS...    vsim ARGS | json2mqtt, in the foreground; the
#                          lines of PIPE_INJECT follow vsim's
#   pipe_ingest_finish     mqtt2json stops once it has received what
#                          json2mqtt published; vnorm and kprod drain
#   pipe_indexer_finish    kcons stops once it has consumed what kprod
#                          produced and esbulk has acknowledged it
#   pipe_errors_finish     the error topic's producer drains
#   pipe_stop              kill what is left (for a trap)
#   pipe_stat STAGE FIELD  FIELD of STAGE's last stats line (json2mqtt,
#                          mqtt2json, vnorm, kprod, kcons, esbulk, errors),
#                          summed over the runs of a restarted stage
#   pipe_count             documents in the index (after a refresh)
#
# Knobs (set before pipe_init): PIPE_TOPIC (telemetry), PIPE_GROUP
# (indexer), PIPE_INDEX (vehicles-%Y.%m.%d), PIPE_PARTITIONS (3),
# PIPE_TIME=1 (run every stage under GNU time, which writes "elapsed user
# system max-RSS-KiB" to DIR/STAGE.time),
# PIPE_TEE (a command the source's lines are also written to; its standard
# output is /dev/null unless it says otherwise: json2mqtt must see the end),
# PIPE_TIMEOUT (seconds any wait may take, 120), PIPE_FLUSH_TIMEOUT
# (kcons --flush-timeout: how long a stopping kcons waits for the
# acknowledgements of what it wrote, 60).

PIPE_TOPIC=${PIPE_TOPIC:-telemetry}
PIPE_GROUP=${PIPE_GROUP:-indexer}
PIPE_INDEX=${PIPE_INDEX:-vehicles-%Y.%m.%d}
PIPE_PARTITIONS=${PIPE_PARTITIONS:-3}
PIPE_TIMEOUT=${PIPE_TIMEOUT:-120}
PIPE_DIR='' PIPE_ERRFD=''
PIPE_WRAP=()
declare -gA PIPE_PID=()
declare -ga PIPE_INJECT=("${PIPE_INJECT[@]}")

# The broker settings the pipeline needs at QoS 1 (see iotpipe(7),
# "Throughput"): an unlimited queue (mosquitto drops QoS 1 messages beyond
# max_queued_messages, 1000 by default, when a subscriber is slower than
# the publisher for a moment) and a window of 1000 messages in flight to a
# subscriber instead of 20.
pipe_mosquitto() {
    mosquitto_start --name pipeline --pipeline plain
}

_pipe_err() {
    printf 'pipeline: %s\n' "$*" >&2
    return 1
}

# _pipe_wrap STAGE: the command prefix of STAGE into PIPE_WRAP
_pipe_wrap() {
    PIPE_WRAP=()
    if [[ ${PIPE_TIME:-0} == 1 ]]; then
        PIPE_WRAP=(/usr/bin/time -f '%e %U %S %M' -o "$PIPE_DIR/$1.time")
    fi
}

# _pipe_run STAGE IN OUT CMD...: CMD in the background with the wrapper,
# stdin from IN and stdout to OUT when they are not empty (opened in the
# background: a fifo's open waits for the other end), its stderr (stats
# lines, messages) appended to DIR/STAGE.err; the pid in PIPE_PID[STAGE]
# (the wrapper's, when there is one).
_pipe_run() {
    local stage=$1 in=$2 out=$3
    shift 3
    printf -- '--- start %s\n' "$(date +%s)" >>"$PIPE_DIR/$stage.err"
    _pipe_wrap "$stage"
    {
        if [[ -n $in ]]; then exec <"$in"; fi
        if [[ -n $out ]]; then exec >"$out"; fi
        exec "${PIPE_WRAP[@]}" "$@"
    } 2>>"$PIPE_DIR/$stage.err" &
    PIPE_PID[$stage]=$!
}

# pipe_signal STAGE SIGNAL: signal the stage's program (through its
# wrapper, which may not pass signals on).
pipe_signal() {
    local pid=${PIPE_PID[$1]:-} child
    [[ -n $pid ]] || return 1
    if [[ ${PIPE_TIME:-0} == 1 ]]; then
        child=$(pgrep -P "$pid" | head -n 1)
        [[ -n $child ]] && pid=$child
    fi
    kill "-$2" "$pid" 2>/dev/null
}

# pipe_wait STAGE: wait for the stage, at most PIPE_TIMEOUT seconds (then
# kill it and fail).
pipe_wait() {
    local pid=${PIPE_PID[$1]:-} i rc=0
    [[ -n $pid ]] || return 0
    for ((i = 0; i < PIPE_TIMEOUT * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        pipe_signal "$1" KILL
        wait "$pid" 2>/dev/null || true
        PIPE_PID[$1]=''
        _pipe_err "$1 still running after ${PIPE_TIMEOUT}s: killed; see $PIPE_DIR/$1.err"
        return 1
    fi
    wait "$pid" || rc=$?
    PIPE_PID[$1]=''
    ((rc == 0)) || _pipe_err "$1 exited with status $rc: $(tail -n 3 "$PIPE_DIR/$1.err")"
}

pipe_stat() {
    [[ -f $PIPE_DIR/$1.err ]] || {
        printf '0\n'
        return
    }
    # the last stats line of each run of the stage, summed
    awk -v f="$2" '
        /^--- start/ { if (line != "") runs[++n] = line; line = ""; next }
        /^\{"tool"/ { line = $0 }
        END {
            if (line != "") runs[++n] = line
            s = 0
            for (i = 1; i <= n; i++)
                if (match(runs[i], "\"" f "\":[0-9.]+")) {
                    v = substr(runs[i], RSTART, RLENGTH); sub(/.*:/, "", v); s += v
                }
            print s
        }' "$PIPE_DIR/$1.err"
}

# _pipe_until STAGE FIELD TARGET: wait until the stage's FIELD (its last
# stats line, printed every second) reaches TARGET, or it exits; fail when
# FIELD did not move for PIPE_TIMEOUT seconds (a loaded machine is slow,
# a stalled pipeline does not move).
_pipe_until() {
    local i=0 pid=${PIPE_PID[$1]:-} v last=-1
    while ((i < PIPE_TIMEOUT * 10)); do
        v=$(pipe_stat "$1" "$2")
        ((v >= $3)) && return 0
        [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null && return 0
        if ((v != last)); then
            last=$v i=0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    _pipe_err "$1: $2 stuck at $last for ${PIPE_TIMEOUT}s, short of $3"
}

pipe_init() {
    PIPE_DIR=$1
    mkdir -p -- "$PIPE_DIR" || return 1
    local f
    for f in errors acks received normalized docs; do
        rm -f -- "$PIPE_DIR/$f"
        mkfifo -- "$PIPE_DIR/$f" || return 1
    done
    kafka_topic_create "$PIPE_TOPIC" "$PIPE_PARTITIONS" "$KAFKA_SVC_NAME" >/dev/null || return 1
    kafka_topic_create "$PIPE_TOPIC.errors" 1 "$KAFKA_SVC_NAME" >/dev/null || return 1
    # one producer for the rejects of every stage: each writes a reject as
    # one line in one write(2), so lines from several writers do not mix
    _pipe_run errors "$PIPE_DIR/errors" '' kprod -b "$KAFKA_SVC_BOOTSTRAP" \
        -t "$PIPE_TOPIC.errors" --stats 1
    # held open, so that the producer sees no end between two writers
    exec {PIPE_ERRFD}>"$PIPE_DIR/errors"
}

# shellcheck disable=SC2120 # KCONS-ARG... is optional
pipe_indexer_start() {
    _pipe_run kcons '' "$PIPE_DIR/docs" kcons -b "$KAFKA_SVC_BOOTSTRAP" \
        -G "$PIPE_GROUP" --acks "$PIPE_DIR/acks" \
        --flush-timeout "${PIPE_FLUSH_TIMEOUT:-60}" \
        --stats 1 --rejects "$PIPE_DIR/errors" -t "$PIPE_TOPIC" "$@"
    _pipe_run esbulk "$PIPE_DIR/docs" '' esbulk -u "${OS_SVC_URLS:-$OS_SVC_URL}" \
        --template vehicles -i "$PIPE_INDEX" --id @metadata.kafka.key -w 4 \
        --acks "$PIPE_DIR/acks" --stats 1 --rejects "$PIPE_DIR/errors"
}

pipe_ingest_start() {
    local i
    _pipe_run mqtt2json '' "$PIPE_DIR/received" mqtt2json -v \
        -p "$MQTT_SVC_PORT" -t 'connectedcar/#' -q 1 -m --linger-ms 5 \
        --idle-timeout "$PIPE_TIMEOUT" --stats 1 --rejects "$PIPE_DIR/errors"
    _pipe_run vnorm "$PIPE_DIR/received" "$PIPE_DIR/normalized" vnorm \
        --es-id --stats 1 --rejects "$PIPE_DIR/errors"
    _pipe_run kprod "$PIPE_DIR/normalized" '' kprod -b "$KAFKA_SVC_BOOTSTRAP" \
        -t "$PIPE_TOPIC" --key-field @metadata.es._id --stats 1 \
        --rejects "$PIPE_DIR/errors"
    # publish only once the subscription is in place (-v says when)
    for ((i = 0; i < PIPE_TIMEOUT * 10; i++)); do
        grep -q 'subscribed to' "$PIPE_DIR/mqtt2json.err" && return 0
        sleep 0.1
    done
    _pipe_err "mqtt2json did not subscribe: $(tail -n 3 "$PIPE_DIR/mqtt2json.err")"
}

pipe_source() {
    local rc=0
    printf -- '--- start %s\n' "$(date +%s)" >>"$PIPE_DIR/vsim.err"
    printf -- '--- start %s\n' "$(date +%s)" >>"$PIPE_DIR/json2mqtt.err"
    local -a vwrap jwrap
    _pipe_wrap vsim
    vwrap=("${PIPE_WRAP[@]}")
    _pipe_wrap json2mqtt
    jwrap=("${PIPE_WRAP[@]}")
    {
        "${vwrap[@]}" vsim --stats 0 "$@" 2>>"$PIPE_DIR/vsim.err"
        ((${#PIPE_INJECT[@]} == 0)) || printf '%s\n' "${PIPE_INJECT[@]}"
    } | if [[ -n ${PIPE_TEE:-} ]]; then tee >(exec >/dev/null; eval "$PIPE_TEE"); else cat; fi |
        "${jwrap[@]}" json2mqtt -p "$MQTT_SVC_PORT" -q 1 -M 100 --stats 1 \
            --rejects "$PIPE_DIR/errors" 2>>"$PIPE_DIR/json2mqtt.err" &
    # in the background, so that pipe_stop can end it (vsim then meets
    # EPIPE and ends too)
    PIPE_PID[json2mqtt]=$!
    wait "${PIPE_PID[json2mqtt]}" || rc=$?
    PIPE_PID[json2mqtt]=''
    ((rc == 0)) || _pipe_err "vsim | json2mqtt failed: $(tail -n 3 "$PIPE_DIR/json2mqtt.err")"
}

pipe_ingest_finish() {
    _pipe_until mqtt2json out "$(pipe_stat json2mqtt out)" || return 1
    pipe_signal mqtt2json TERM
    pipe_wait mqtt2json && pipe_wait vnorm && pipe_wait kprod
}

pipe_indexer_finish() {
    local produced
    produced=$(pipe_stat kprod out)
    _pipe_until kcons out "$produced" || return 1
    # what kcons wrote, esbulk indexed or rejected
    _pipe_until esbulk in "$(pipe_stat kcons out)" || return 1
    pipe_signal kcons TERM
    pipe_wait kcons && pipe_wait esbulk
}

pipe_errors_finish() {
    if [[ -n $PIPE_ERRFD ]]; then
        exec {PIPE_ERRFD}>&-
        PIPE_ERRFD=''
    fi
    pipe_wait errors
}

pipe_stop() {
    local s
    for s in "${!PIPE_PID[@]}"; do
        [[ -n ${PIPE_PID[$s]} ]] || continue
        pipe_signal "$s" KILL || true
        kill -KILL "${PIPE_PID[$s]}" 2>/dev/null || true
        PIPE_PID[$s]=''
    done
    if [[ -n $PIPE_ERRFD ]]; then
        exec {PIPE_ERRFD}>&-
        PIPE_ERRFD=''
    fi
}

pipe_count() {
    curl -fsS -X POST "$OS_SVC_URL/${PIPE_INDEX%%-%*}-*/_refresh" >/dev/null &&
        curl -fsS "$OS_SVC_URL/${PIPE_INDEX%%-%*}-*/_count" | jq .count
}
