#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The test services answer for real: mosquitto (plain, password, TLS, mutual TLS), Kafka, OpenSearch, Elasticsearch 8, kmock.
#
# Every server starts once, in setup_file (the JVMs in parallel); a test of
# a server that did not start fails with the reason and the log. Logs are
# kept when a test fails (or with IOTPIPE_KEEP_LOGS=1); the path is printed
# as a TAP comment. IOTPIPE_TEST_MQTT/KAFKA/OPENSEARCH/ELASTICSEARCH point
# the tests at existing servers (restart tests are then skipped).

# bats runs each @test in a subshell; that is the point, not a bug
# shellcheck disable=SC2030,SC2031

bats_require_minimum_version 1.5.0
load ../lib/common

# shellcheck source=tests/services/mosquitto.sh
source "$IOTPIPE_SRC/tests/services/mosquitto.sh"
# shellcheck source=tests/services/kafka.sh
source "$IOTPIPE_SRC/tests/services/kafka.sh"
# shellcheck source=tests/services/opensearch.sh
source "$IOTPIPE_SRC/tests/services/opensearch.sh"
# shellcheck source=tests/services/elasticsearch.sh
source "$IOTPIPE_SRC/tests/services/elasticsearch.sh"

setup_file() {
    services_init
    # topics, groups and indices carry the run's id: external servers may
    # hold those of earlier runs
    TID=${IOTPIPE_RUN_DIR##*.}
    export TID=${TID,,}
    local t0
    t0=$(svc_now)
    started mosquitto-plain mosquitto_start plain
    started mosquitto-auth mosquitto_start auth
    started mosquitto-tls mosquitto_start tls
    started mosquitto-mtls mosquitto_start mtls
    started mosquitto-persist mosquitto_start --persist --name persist plain
    started kmock kmock_start --brokers 3 --topic tk:2
    # the JVMs start side by side: together they take less than in a row
    local jobs=()
    started kafka kafka_start &
    jobs+=($!)
    started opensearch opensearch_start &
    jobs+=($!)
    started elasticsearch elasticsearch_start &
    jobs+=($!)
    wait "${jobs[@]}"
    printf '# services: started in %s s (%s)\n' "$(svc_elapsed "$t0")" "$IOTPIPE_RUN_DIR" >&3
}

teardown() {
    # a failed test keeps the logs of the whole run
    services_teardown
}

teardown_file() {
    # what the tests left on external servers
    if [[ -n ${IOTPIPE_TEST_OPENSEARCH:-} ]]; then
        curl -sS --max-time 30 -XDELETE "${IOTPIPE_TEST_OPENSEARCH%/}/bulk-test-$TID,geo-test-$TID" >/dev/null || true
    fi
    if [[ -n ${IOTPIPE_TEST_ELASTICSEARCH:-} ]]; then
        curl -sS --max-time 30 -XDELETE "${IOTPIPE_TEST_ELASTICSEARCH%/}/bulk-test-$TID,geo-test-$TID" >/dev/null || true
    fi
    delete_test_topics
    services_cleanup services
}

# gone PATTERN: no process has PATTERN in its command line.
gone() {
    run pgrep -af -- "$1"
    if [[ $status == 0 ]]; then
        fail "still running: $output"
    fi
}

# ---- mosquitto

# mqtt_roundtrip ARGS...: a persistent QoS 1 session receives 3 messages
# published at QoS 1 while it was away. ARGS: host, port, TLS, auth.
mqtt_roundtrip() {
    local id=iotpipe-rt-$RANDOM topic=iotpipe/test/$RANDOM i
    timeout 10 mosquitto_sub "$@" -i "$id" -c -q 1 -t "$topic" -E
    for i in 1 2 3; do
        timeout 10 mosquitto_pub "$@" -q 1 -t "$topic" -m "{\"n\":$i}"
    done
    run timeout 10 mosquitto_sub "$@" -i "$id" -c -q 1 -t "$topic" -C 3 -W 8
    assert_success
    assert_output $'{"n":1}\n{"n":2}\n{"n":3}'
}

@test "mosquitto: plain broker: QoS 1 round trip" {
    need mosquitto-plain mosquitto_use plain
    mqtt_roundtrip -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT"
}

@test "mosquitto: password broker: right password accepted, wrong one and anonymous refused" {
    need mosquitto-auth mosquitto_use auth
    mqtt_roundtrip -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT" \
        -u "$MQTT_SVC_USER" -P "$MQTT_SVC_PASSWORD"
    run timeout 10 mosquitto_pub -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT" \
        -u "$MQTT_SVC_USER" -P "not-$MQTT_SVC_PASSWORD" -q 1 -t t -m x
    assert_failure
    assert_output --partial 'not authorised'
    run timeout 10 mosquitto_pub -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT" -q 1 -t t -m x
    assert_failure
    assert_output --partial 'not authorised'
}

@test "mosquitto: TLS broker: round trip with the private CA, other CAs and plain MQTT refused" {
    need mosquitto-tls mosquitto_use tls
    [[ $MQTT_SVC_URL == mqtts://* ]]
    mqtt_roundtrip -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT" --cafile "$MQTT_SVC_CAFILE"
    # the name in the certificate is checked too
    mqtt_roundtrip -h localhost -p "$MQTT_SVC_PORT" --cafile "$MQTT_SVC_CAFILE"
    run timeout 10 mosquitto_pub -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT" \
        --capath /etc/ssl/certs -q 1 -t t -m x
    assert_failure
    run timeout 10 mosquitto_pub -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT" -q 1 -t t -m x
    assert_failure
}

@test "mosquitto: mutual TLS broker: client certificate required" {
    need mosquitto-mtls mosquitto_use mtls
    mqtt_roundtrip -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT" --cafile "$MQTT_SVC_CAFILE" \
        --cert "$MQTT_SVC_CERT" --key "$MQTT_SVC_KEY"
    run timeout 10 mosquitto_pub -h "$MQTT_SVC_HOST" -p "$MQTT_SVC_PORT" \
        --cafile "$MQTT_SVC_CAFILE" -q 1 -t t -m x
    assert_failure
    grep -q 'iotpipe-client' "$MQTT_SVC_LOG"
}

@test "mosquitto: restart keeps the retained message and the queued QoS 1 messages" {
    need mosquitto-persist mosquitto_use persist
    [[ $MQTT_SVC_EXTERNAL == 0 ]] || skip "external broker"
    local old_pid=$MQTT_SVC_PID
    timeout 10 mosquitto_sub -p "$MQTT_SVC_PORT" -i durable -c -q 1 -t 'keep/#' -E
    timeout 10 mosquitto_pub -p "$MQTT_SVC_PORT" -q 1 -r -t keep/retained -m '{"r":1}'
    timeout 10 mosquitto_pub -p "$MQTT_SVC_PORT" -q 1 -t keep/queued -m '{"q":1}'
    mosquitto_restart persist
    [[ $MQTT_SVC_PID != "$old_pid" ]]
    run timeout 10 mosquitto_sub -p "$MQTT_SVC_PORT" -i durable -c -q 1 -t 'keep/#' -C 2 -W 8 -v
    assert_success
    assert_line 'keep/retained {"r":1}'
    assert_line 'keep/queued {"q":1}'
    run timeout 10 mosquitto_sub -p "$MQTT_SVC_PORT" -t keep/retained -C 1 -W 8
    assert_output '{"r":1}'
}

@test "mosquitto: --conf adds its lines to the config: a size limit and a unix listener" {
    local sock=$IOTPIPE_RUN_DIR/conf.sock
    unset IOTPIPE_TEST_MQTT
    mosquitto_start --name conf --conf 'max_packet_size 100' --conf "listener 0 $sock" plain
    run tail -n 2 "$MQTT_SVC_DIR/mosquitto.conf"
    assert_output "max_packet_size 100"$'\n'"listener 0 $sock"
    timeout 10 mosquitto_pub -p "$MQTT_SVC_PORT" -q 1 -t t -m small
    run timeout 10 mosquitto_pub -p "$MQTT_SVC_PORT" -q 1 -t t -m "$(printf '%0200d' 0)"
    assert_failure
    [[ -S $sock ]]
    timeout 10 mosquitto_pub --unix "$sock" -q 1 -t t -m small
    # a restart keeps them
    mosquitto_restart conf
    run timeout 10 mosquitto_pub -p "$MQTT_SVC_PORT" -q 1 -t t -m "$(printf '%0200d' 0)"
    assert_failure
    mosquitto_stop conf
    # one line each, never empty
    run mosquitto_start --name conf2 --conf
    assert_failure 2
    assert_output 'mosquitto: --conf needs one line of mosquitto.conf'
    run mosquitto_start --name conf2 --conf $'a 1\nb 2' plain
    assert_failure 2
    run mosquitto_start --name conf2 --conf '' plain
    assert_failure 2
}

# ---- the servers are not children of the shell that starts them

@test "a bare wait after a start returns at once: the server is no child of the shell" {
    unset IOTPIPE_TEST_MQTT
    # shellcheck disable=SC2016
    run timeout 20 bash -c '
        source "$1/tests/services/mosquitto.sh"
        mosquitto_start --name waited plain >/dev/null || exit 1
        [[ -z $(jobs -p) ]] || echo "jobs left: $(jobs -p)"
        [[ $(ps -o ppid= -p "$MQTT_SVC_PID") -ne $$ ]] || echo "the broker is a child"
        wait
        echo waited
        mosquitto_restart waited >/dev/null || exit 1
        wait
        echo "waited again"
        svc_alive "$MQTT_SVC_PID" && echo running
        mosquitto_stop waited' _ "$IOTPIPE_SRC"
    assert_success
    assert_output $'waited\nwaited again\nrunning'
    gone "$IOTPIPE_RUN_DIR/mosquitto-waited/"
    # the keeper notes how the server ended, in its log
    grep -Eq '^--- pid [0-9]+ exited with status 0 \(keeper [0-9]+\)$' \
        "$IOTPIPE_RUN_DIR/mosquitto-waited/mosquitto.log"
}

# ---- Kafka

@test "kafka: 4 partitions, 10000 messages produced and consumed with kcat" {
    need kafka kafka_use
    kafka_topic_create "tele10k-$TID" 4
    run timeout 30 kcat -b "$KAFKA_SVC_BOOTSTRAP" -L -t "tele10k-$TID"
    assert_output --partial 'with 4 partitions'
    # keyed, so that the partitioner spreads them (null keys stick to one
    # partition per batch)
    seq 1 10000 | sed 's/.*/V&:{"vin":"V&","n":&}/' |
        timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "tele10k-$TID" -K: -X acks=all
    timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -C -t "tele10k-$TID" -o beginning -e -q \
        >"$BATS_TEST_TMPDIR/got"
    [[ $(wc -l <"$BATS_TEST_TMPDIR/got") -eq 10000 ]]
    [[ $(sort -u "$BATS_TEST_TMPDIR/got" | wc -l) -eq 10000 ]]
    grep -qx '{"vin":"V10000","n":10000}' "$BATS_TEST_TMPDIR/got"
    # all four partitions got some
    run timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -C -t "tele10k-$TID" -o beginning -e -q -f '%p\n'
    [[ $(sort -u <<<"$output" | wc -l) -eq 4 ]]
}

@test "kafka: a consumer group's committed offsets survive a consumer restart (kcat -G)" {
    need kafka kafka_use
    kafka_topic_create "grouped-$TID" 2
    seq 1 100 | timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "grouped-$TID"
    run timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -G "iotpipe-g1-$TID" \
        -X auto.offset.reset=earliest -e -q "grouped-$TID"
    assert_success
    [[ ${#lines[@]} -eq 100 ]]
    seq 101 150 | timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "grouped-$TID"
    run timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -G "iotpipe-g1-$TID" \
        -X auto.offset.reset=earliest -e -q "grouped-$TID"
    assert_success
    [[ ${#lines[@]} -eq 50 ]]
    [[ $(printf '%s\n' "${lines[@]}" | sort -n | head -n 1) == 101 ]]
}

@test "kafka: SASL_SSL listener: SCRAM user accepted, wrong password refused" {
    need kafka kafka_use
    [[ -n $KAFKA_SVC_SASL_BOOTSTRAP ]] || skip "external broker without SASL listener"
    local sasl=(-b "$KAFKA_SVC_SASL_BOOTSTRAP" -X security.protocol=SASL_SSL
        -X "ssl.ca.location=$KAFKA_SVC_CAFILE" -X "sasl.username=$KAFKA_SVC_USER")
    echo '{"auth":1}' | timeout 60 kcat "${sasl[@]}" -X sasl.mechanisms=SCRAM-SHA-512 \
        -X "sasl.password=$KAFKA_SVC_PASSWORD" -P -t "authed-$TID"
    run timeout 60 kcat "${sasl[@]}" -X sasl.mechanisms=SCRAM-SHA-256 \
        -X "sasl.password=$KAFKA_SVC_PASSWORD" -C -t "authed-$TID" -o beginning -e -q
    assert_success
    assert_output '{"auth":1}'
    run timeout 60 kcat "${sasl[@]}" -X sasl.mechanisms=SCRAM-SHA-256 \
        -X "sasl.password=wrong" -L -m 3
    assert_failure
    assert_output --partial 'Authentication failed'
}

@test "kafka: restart keeps topics, messages and committed offsets" {
    need kafka kafka_use
    [[ $KAFKA_SVC_EXTERNAL == 0 ]] || skip "external broker"
    kafka_topic_create "kept-$TID" 3
    seq 1 500 | timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "kept-$TID"
    run timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -G "iotpipe-g2-$TID" \
        -X auto.offset.reset=earliest -e -q "kept-$TID"
    [[ ${#lines[@]} -eq 500 ]]
    local port=$KAFKA_SVC_PORT
    kafka_restart default
    [[ $KAFKA_SVC_PORT == "$port" ]]
    run timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -C -t "kept-$TID" -o beginning -e -q
    [[ ${#lines[@]} -eq 500 ]]
    seq 501 510 | timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -P -t "kept-$TID"
    run timeout 60 kcat -b "$KAFKA_SVC_BOOTSTRAP" -G "iotpipe-g2-$TID" \
        -X auto.offset.reset=earliest -e -q "kept-$TID"
    assert_success
    [[ ${#lines[@]} -eq 10 ]]
}

# ---- OpenSearch and Elasticsearch: the same checks against both

# search_bulk URL: 1000 documents in one _bulk, all counted.
search_bulk() {
    local url=$1 i
    for ((i = 1; i <= 1000; i++)); do
        printf '{"index":{"_id":"%d"}}\n{"vin":"V%d","speed":%d.5}\n' "$i" $((i % 37)) $((i % 120))
    done >"$BATS_TEST_TMPDIR/bulk.ndjson"
    run curl -fsS --max-time 60 -H 'Content-Type: application/x-ndjson' \
        -XPOST "$url/bulk-test-$TID/_bulk?refresh=true" --data-binary "@$BATS_TEST_TMPDIR/bulk.ndjson"
    assert_success
    [[ $(jq -r '.errors' <<<"$output") == false ]]
    [[ $(jq -r '.items | length' <<<"$output") == 1000 ]]
    run curl -fsS --max-time 30 "$url/bulk-test-$TID/_count"
    assert_success
    [[ $(jq -r '.count' <<<"$output") == 1000 ]]
}

# search_geo URL: a geo_point mapping and a geotile_grid aggregation that
# returns buckets holding every document.
search_geo() {
    local url=$1 i
    run curl -fsS --max-time 30 -XPUT "$url/geo-test-$TID" -H 'Content-Type: application/json' \
        -d '{"settings":{"number_of_shards":1,"number_of_replicas":0},
             "mappings":{"properties":{"location":{"type":"geo_point"},
                                       "vin":{"type":"keyword"}}}}'
    assert_success
    for ((i = 0; i < 200; i++)); do
        printf '{"index":{}}\n{"vin":"V%d","location":{"lat":%d.%d,"lon":%d.%d}}\n' \
            "$i" $((40 + i % 3)) $((i % 10)) $((-4 + i % 5)) $((i % 7))
    done >"$BATS_TEST_TMPDIR/geo.ndjson"
    run curl -fsS --max-time 60 -H 'Content-Type: application/x-ndjson' \
        -XPOST "$url/geo-test-$TID/_bulk?refresh=true" --data-binary "@$BATS_TEST_TMPDIR/geo.ndjson"
    assert_success
    [[ $(jq -r '.errors' <<<"$output") == false ]]
    run curl -fsS --max-time 30 "$url/geo-test-$TID/_mapping"
    [[ $(jq -r '.["geo-test-'"$TID"'"].mappings.properties.location.type' <<<"$output") == geo_point ]]
    run curl -fsS --max-time 30 -H 'Content-Type: application/json' \
        "$url/geo-test-$TID/_search?size=0" \
        -d '{"aggs":{"tiles":{"geotile_grid":{"field":"location","precision":8}}}}'
    assert_success
    [[ $(jq '.aggregations.tiles.buckets | length' <<<"$output") -gt 1 ]]
    [[ $(jq '[.aggregations.tiles.buckets[].doc_count] | add' <<<"$output") -eq 200 ]]
    jq -e '.aggregations.tiles.buckets[0].key | test("^8/[0-9]+/[0-9]+$")' <<<"$output"
}

@test "opensearch: 2.x answers, _bulk of 1000 documents then _count" {
    need opensearch opensearch_use
    run curl -fsS --max-time 10 "$OS_SVC_URL/"
    assert_success
    [[ $(jq -r '.version.distribution' <<<"$output") == opensearch ]]
    [[ $(jq -r '.version.number' <<<"$output") == 2.* ]]
    search_bulk "$OS_SVC_URL"
}

@test "opensearch: geo_point mapping and geotile_grid buckets" {
    need opensearch opensearch_use
    search_geo "$OS_SVC_URL"
}

@test "opensearch: restart keeps the indexed documents" {
    need opensearch opensearch_use
    [[ $OS_SVC_EXTERNAL == 0 ]] || skip "external server"
    opensearch_restart default
    run curl -fsS --max-time 30 "$OS_SVC_URL/bulk-test-$TID/_count"
    assert_success
    [[ $(jq -r '.count' <<<"$output") == 1000 ]]
}

@test "elasticsearch: 8.x answers, _bulk of 1000 documents then _count" {
    need elasticsearch elasticsearch_use
    run curl -fsS --max-time 10 "$ES_SVC_URL/_nodes/_local"
    assert_success
    [[ $(jq -r '.nodes[].version' <<<"$output") == 8.* ]]
    search_bulk "$ES_SVC_URL"
}

@test "elasticsearch: geo_point mapping and geotile_grid buckets" {
    need elasticsearch elasticsearch_use
    search_geo "$ES_SVC_URL"
}

@test "elasticsearch: restart keeps the indexed documents" {
    need elasticsearch elasticsearch_use
    [[ $ES_SVC_EXTERNAL == 0 ]] || skip "external server"
    elasticsearch_restart default
    run curl -fsS --max-time 30 "$ES_SVC_URL/bulk-test-$TID/_count"
    assert_success
    [[ $(jq -r '.count' <<<"$output") == 1000 ]]
}

# ---- kmock: librdkafka's mock cluster, for injected faults only

@test "kmock: kcat through the mock; an injected error and a broker down are seen" {
    need kmock kmock_use
    printf 'a\nb\nc\n' | timeout 30 kcat -b "$KMOCK_BOOTSTRAP" -P -t tk
    run timeout 30 kcat -b "$KMOCK_BOOTSTRAP" -C -t tk -o beginning -e -q
    assert_success
    [[ $(sort <<<"$output" | tr '\n' ' ') == 'a b c ' ]]

    run kmock_cmd err Produce TOPIC_AUTHORIZATION_FAILED 1
    assert_success
    run timeout 30 kcat -b "$KMOCK_BOOTSTRAP" -P -t tk <<<'refused'
    assert_failure
    assert_output --partial 'Topic authorization failed'
    timeout 30 kcat -b "$KMOCK_BOOTSTRAP" -P -t tk <<<'d'
    run timeout 30 kcat -b "$KMOCK_BOOTSTRAP" -C -t tk -o beginning -e -q
    [[ $(sort <<<"$output" | tr '\n' ' ') == 'a b c d ' ]]

    run kmock_cmd down -1
    assert_success
    run timeout 30 kcat -b "$KMOCK_BOOTSTRAP" -L -m 2
    assert_failure
    run kmock_cmd up -1
    assert_success
    run timeout 30 kcat -b "$KMOCK_BOOTSTRAP" -L -m 5
    assert_success
    assert_output --partial '3 brokers'

    run kmock_cmd no-such-command
    assert_failure
    assert_output --partial 'error: no-such-command'
}

# ---- the scripts as commands

@test "command mode: mosquitto.sh start prints host:port; env, status, stop" {
    export IOTPIPE_RUN_DIR=$IOTPIPE_RUN_DIR/command
    unset IOTPIPE_TEST_MQTT
    local script=$IOTPIPE_SRC/tests/services/mosquitto.sh port
    run "$script" start --name cmd --conf 'max_packet_size 2048' plain
    assert_success
    assert_output --regexp '^127\.0\.0\.1:[0-9]+$'
    port=${output##*:}
    grep -qx 'max_packet_size 2048' "$IOTPIPE_RUN_DIR/mosquitto-cmd/mosquitto.conf"
    run "$script" env cmd
    assert_line "MQTT_SVC_PORT=$port"
    run "$script" status cmd
    assert_output --partial running
    timeout 10 mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t t -m x
    run "$script" stop cmd
    assert_success
    gone "$IOTPIPE_RUN_DIR/mosquitto-cmd/"
    run "$script" status cmd
    assert_failure
    run "$script" start bogus
    assert_failure 2
}

@test "command mode: kafka.sh start, topic, log, restart, stop; unknown commands exit 2" {
    export IOTPIPE_RUN_DIR=$IOTPIPE_RUN_DIR/command
    unset IOTPIPE_TEST_KAFKA
    local script=$IOTPIPE_SRC/tests/services/kafka.sh bs
    run "$script" start --name cmd
    assert_success
    assert_output --regexp '^127\.0\.0\.1:[0-9]+$'
    bs=$output
    run "$script" topic cmdtopic 3 cmd
    assert_success
    run kcat -b "$bs" -L -t cmdtopic -J
    assert_success
    assert_equal "$(jq '.topics[0].partitions | length' <<<"$output")" 3
    run "$script" log cmd
    assert_output "$IOTPIPE_RUN_DIR/kafka-cmd/kafka.log"
    [[ -s $output ]]
    run "$script" restart cmd
    assert_success
    assert_output "$bs"
    run "$script" status cmd
    assert_output --partial running
    run "$script" stop cmd
    assert_success
    gone "$IOTPIPE_RUN_DIR/kafka-cmd/"
    for bad in bogus cmd_topic ''; do
        run --separate-stderr "$script" "$bad"
        assert_failure 2
        [[ ${stderr_lines[0]} == "usage: kafka.sh start"* ]]
    done
}

# ---- failures are clear, bounded, and leave nothing behind

# Failures are provoked in a run directory of their own, so that they do
# not mark the whole run as failed (which keeps its logs), and always with
# servers of our own, external servers or not.
failures_dir() {
    IOTPIPE_RUN_DIR=$IOTPIPE_RUN_DIR/failures-$BATS_TEST_NUMBER
    unset IOTPIPE_TEST_MQTT IOTPIPE_TEST_KAFKA IOTPIPE_TEST_OPENSEARCH IOTPIPE_TEST_ELASTICSEARCH
    svc_init
}

# busy_port: start a broker in the failures directory; sets BUSY to its port.
busy_port() {
    mosquitto_start --name holder plain
    BUSY=$MQTT_SVC_PORT
}

@test "failure: busy port: mosquitto names itself, its log and the cause; no process left" {
    failures_dir
    busy_port
    run mosquitto_start --name clash --port "$BUSY" plain
    assert_failure
    assert_output --partial 'mosquitto: exited during start-up'
    assert_output --partial "log: $IOTPIPE_RUN_DIR/mosquitto-clash/mosquitto.log"
    assert_output --partial 'Address already in use'
    gone "$IOTPIPE_RUN_DIR/mosquitto-clash/"
    mosquitto_stop holder
}

@test "failure: busy port: kafka names itself, its log and the cause; no process left" {
    failures_dir
    busy_port
    run kafka_start --name clash --port "$BUSY"
    assert_failure
    assert_output --partial 'kafka: exited during start-up'
    assert_output --partial "log: $IOTPIPE_RUN_DIR/kafka-clash/kafka.log"
    assert_output --partial 'Address already in use'
    gone "$IOTPIPE_RUN_DIR/kafka-clash/"
    mosquitto_stop holder
}

@test "failure: a JVM that dies at start, a start that times out: named, bounded, no process left" {
    failures_dir
    run opensearch_start --name badheap --heap not-a-size
    assert_failure
    assert_output --partial 'opensearch: exited during start-up with status 1'
    assert_output --partial "log: $IOTPIPE_RUN_DIR/opensearch-badheap/opensearch.log"
    assert_output --partial 'Invalid'
    gone "$IOTPIPE_RUN_DIR/opensearch-badheap/"

    IOTPIPE_START_TIMEOUT=1 run kafka_start --name slow
    assert_failure
    assert_output --partial 'kafka: not ready after 1s'
    assert_output --partial "log: $IOTPIPE_RUN_DIR/kafka-slow/kafka.log"
    gone "$IOTPIPE_RUN_DIR/kafka-slow/"
}

@test "failure: missing Java, failed download, missing kmock: the service says what is wrong" {
    failures_dir
    IOTPIPE_JAVA=/nonexistent/java run kafka_start --name nojava
    assert_failure
    assert_output --partial 'kafka: java not found at /nonexistent/java'
    # an empty cache and Maven offline: the download fails at once
    IOTPIPE_CACHE=$BATS_TEST_TMPDIR/cache IOTPIPE_MVN_ARGS=-o run opensearch_start --name offline
    assert_failure
    assert_output --partial 'opensearch: downloading from Maven Central failed; log: '
    IOTPIPE_KMOCK=/nonexistent/kmock run kmock_start --name nobin
    assert_failure
    assert_output --partial 'kmock: /nonexistent/kmock not built'
    gone "$IOTPIPE_RUN_DIR/opensearch-offline/"
}

@test "external servers: the variables say so; stop and restart refuse with 3" {
    failures_dir
    IOTPIPE_TEST_OPENSEARCH=http://127.0.0.1:1/ opensearch_start --name ext
    assert_equal "$OS_SVC_URL" http://127.0.0.1:1
    assert_equal "$OS_SVC_EXTERNAL" 1
    assert_equal "$OS_SVC_NAME" ext
    run opensearch_restart ext
    assert_failure 3
    assert_output 'opensearch: ext is an external server: not stopped or restarted'
    # using an instance drops the variables of the one used before
    export OS_SVC_HEAP=stale
    opensearch_use ext
    [[ -z ${OS_SVC_HEAP:-} ]]
    IOTPIPE_TEST_ELASTICSEARCH=http://127.0.0.1:2 elasticsearch_start --name ext
    assert_equal "$ES_SVC_URL" http://127.0.0.1:2
    elasticsearch_use ext
    assert_equal "$ES_SVC_EXTERNAL" 1
    run elasticsearch_stop ext
    assert_failure 3
    IOTPIPE_TEST_MQTT=127.0.0.1:3 mosquitto_start --name ext plain
    assert_equal "$MQTT_SVC_URL" mqtt://127.0.0.1:3
    assert_equal "$MQTT_SVC_PORT" 3
    run mosquitto_stop ext
    assert_failure 3
    IOTPIPE_TEST_KAFKA=127.0.0.1:4 kafka_start --name ext
    assert_equal "$KAFKA_SVC_BOOTSTRAP" 127.0.0.1:4
    assert_equal "$KAFKA_SVC_SASL_BOOTSTRAP" ''
    run kafka_restart ext
    assert_failure 3
}

# ---- stopping: nothing is left behind

@test "stop: every service stops and no process of this run is left" {
    local name
    for name in plain auth tls mtls persist; do
        if [[ -f $IOTPIPE_RUN_DIR/mosquitto-$name/pid ]]; then
            mosquitto_stop "$name"
            gone "$IOTPIPE_RUN_DIR/mosquitto-$name/"
        fi
    done
    if [[ -f $IOTPIPE_RUN_DIR/kafka-default/pid ]]; then
        kafka_stop default
        gone "$IOTPIPE_RUN_DIR/kafka-default/"
    fi
    if [[ -f $IOTPIPE_RUN_DIR/opensearch-default/pid ]]; then
        opensearch_stop default
        gone "$IOTPIPE_RUN_DIR/opensearch-default/"
    fi
    if [[ -f $IOTPIPE_RUN_DIR/elasticsearch-default/pid ]]; then
        elasticsearch_stop default
        gone "$IOTPIPE_RUN_DIR/elasticsearch-default/"
    fi
    if [[ -f $IOTPIPE_RUN_DIR/kmock-default/pid ]]; then
        kmock_stop default
        gone "$IOTPIPE_RUN_DIR/kmock-default/"
    fi
    gone "$IOTPIPE_RUN_DIR/"
}
