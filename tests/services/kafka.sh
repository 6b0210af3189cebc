#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real Apache Kafka broker (KRaft, one node, jars from Maven Central) and librdkafka's mock cluster (kmock) for the tests.
#
# As a library (source it; bash):
#   kafka_start [--name NAME] [--port PORT] [--heap SIZE]
#       KRaft broker+controller on 127.0.0.1: a PLAINTEXT listener and a
#       SASL_SSL one (SCRAM-SHA-256 and -512, and PLAIN, for a throwaway
#       user; a server certificate from the run's private CA)
#   kafka_stop [NAME]       controlled shutdown (SIGTERM)
#   kafka_restart [NAME]    stop and start again: same ports, same data
#   kafka_use [NAME]        load an instance's variables into this shell
#   kafka_topic_create TOPIC PARTITIONS [NAME]   (idempotent)
#   kafka_scram_user USER PASSWORD [NAME]        add or change a SCRAM user
#       (PLAIN knows the start's user and password only)
#   kafka_tool CLASS ARGS...  run a Kafka tool class (TopicCommand,
#       ConsumerGroupCommand, ...) with the broker's jars
# NAME defaults to "default". Start, restart and use export:
#   KAFKA_SVC_NAME KAFKA_SVC_VERSION KAFKA_SVC_BOOTSTRAP KAFKA_SVC_PORT
#   KAFKA_SVC_SASL_BOOTSTRAP KAFKA_SVC_SASL_PORT KAFKA_SVC_USER
#   KAFKA_SVC_PASSWORD KAFKA_SVC_CAFILE KAFKA_SVC_DIR KAFKA_SVC_LOG
#   KAFKA_SVC_PID KAFKA_SVC_EXTERNAL
# IOTPIPE_TEST_KAFKA=host:port uses that broker instead (no SASL listener:
# KAFKA_SVC_SASL_BOOTSTRAP is empty; stop/restart do nothing and return 3).
# IOTPIPE_KAFKA_VERSION picks another kafka_2.13 version (3.9.x; >= 4.1.0
# would need the log4j2 backend instead of reload4j); IOTPIPE_KAFKA_OPTS adds
# JVM options (e.g. -XX:TieredStopAtLevel=1 starts about a second sooner).
#
#   kmock_start [--name NAME] [--brokers N] [--topic TOPIC:PARTITIONS]...
#   kmock_cmd [--name NAME] COMMAND...   e.g. kmock_cmd err Produce
#       NOT_LEADER_FOR_PARTITION 3; prints the mock's answer, fails on error
#   kmock_stop [NAME]
# export KMOCK_BOOTSTRAP KMOCK_DIR KMOCK_LOG KMOCK_PID. The binary is
# $IOTPIPE_BUILD/tests/services/kmock (make build/tests/services/kmock).
# Only for faults a real broker will not make on demand.
#
# As a command:
#   tests/services/kafka.sh start [--name N] [--port P]  prints host:port
#   tests/services/kafka.sh env|stop|restart|status|log [NAME]
#   tests/services/kafka.sh topic TOPIC PARTITIONS [NAME]
#   tests/services/kafka.sh fetch      download the jars only (for CI caches)
#   tests/services/kafka.sh clean

# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=${IOTPIPE_KAFKA_VERSION:-3.9.2}

_KAFKA_VARS=(KAFKA_SVC_NAME KAFKA_SVC_VERSION KAFKA_SVC_BOOTSTRAP KAFKA_SVC_PORT
    KAFKA_SVC_CONTROLLER_PORT KAFKA_SVC_SASL_BOOTSTRAP KAFKA_SVC_SASL_PORT
    KAFKA_SVC_USER KAFKA_SVC_PASSWORD KAFKA_SVC_CAFILE KAFKA_SVC_DIR
    KAFKA_SVC_LOG KAFKA_SVC_PID KAFKA_SVC_EXTERNAL KAFKA_SVC_HEAP)

_kafka_pom() {
    cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.iotpipe.tests</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- TopicCommand, ConsumerGroupCommand; Connect is not needed -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion>
          <groupId>org.apache.kafka</groupId>
          <artifactId>connect-runtime</artifactId>
        </exclusion>
      </exclusions>
    </dependency>
    <!-- the logging backend, which Kafka 3.x declares compile-only -->
    <dependency>
      <groupId>ch.qos.reload4j</groupId>
      <artifactId>reload4j</artifactId>
      <version>1.2.25</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
}

# kafka_classpath: java and the broker's jars (downloaded once); sets
# SVC_JAVA and KAFKA_CP_ARGS, a java @argfile naming the jars.
kafka_classpath() {
    svc_java kafka || return 1
    svc_classpath kafka "kafka-$KAFKA_VERSION" "$(_kafka_pom)" || return 1
    KAFKA_CP_ARGS=$IOTPIPE_CACHE/kafka-$KAFKA_VERSION/classpath.args
    svc_classpath_args "$KAFKA_CP_ARGS"
}

_kafka_log4j() {
    # $1 = INFO for the broker, WARN for the tools
    cat <<EOF
log4j.rootLogger=$1, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.Target=System.err
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.server.KafkaConfig=WARN
EOF
}

# _kafka_props DIR PORT CPORT SPORT USER PASSWORD: server.properties
_kafka_props() {
    local dir=$1 port=$2 cport=$3 sport=$4 user=$5 pass=$6
    cat <<EOF
# generated by tests/services/kafka.sh; no inline comments in .properties
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SASL_SSL://127.0.0.1:$sport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=8388608
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user="$pass";
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$dir/server.pem
EOF
}

# kafka_use [NAME]: export the variables of instance NAME.
kafka_use() {
    local name=${1:-default} v
    svc_init || return 1
    for v in "${_KAFKA_VARS[@]}"; do
        unset "$v"
    done
    svc_env_load kafka "$(svc_instance_dir kafka "$name")"
}

# kafka_tool CLASS ARGS...: run one of Kafka's command-line classes.
kafka_tool() {
    local class=$1 log4j
    shift
    kafka_classpath || return 1
    log4j=$IOTPIPE_CACHE/kafka-$KAFKA_VERSION/tools-log4j.properties
    [[ -s $log4j ]] || _kafka_log4j WARN >"$log4j"
    timeout 120 "$SVC_JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        "-Dlog4j.configuration=file:$log4j" "@$KAFKA_CP_ARGS" "$class" "$@"
}

# _kafka_launch DIR: format the storage on first start, start the broker,
# wait until it serves.
_kafka_launch() {
    local dir=$1 name log heap t0 from port opts=()
    name=$(svc_env_get "$dir" KAFKA_SVC_NAME)
    heap=$(svc_env_get "$dir" KAFKA_SVC_HEAP)
    port=$(svc_env_get "$dir" KAFKA_SVC_PORT)
    log=$dir/kafka.log
    if [[ ! -f $dir/data/meta.properties ]]; then
        local cid user pass
        # URL-safe base64 of 16 random bytes, as Kafka's own ids; never
        # with a leading '-', which the tool's parser takes for an option
        # (one start in 64 failed with "--cluster-id: expected one
        # argument")
        cid=-
        while [[ $cid == -* ]]; do
            cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
        done
        user=$(svc_env_get "$dir" KAFKA_SVC_USER)
        pass=$(svc_env_get "$dir" KAFKA_SVC_PASSWORD)
        if ! timeout 120 "$SVC_JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
            "-Dlog4j.configuration=file:$dir/tools-log4j.properties" \
            "@$KAFKA_CP_ARGS" kafka.tools.StorageTool format \
            -t "$cid" -c "$dir/server.properties" \
            --add-scram "SCRAM-SHA-256=[name=$user,password=$pass]" \
            --add-scram "SCRAM-SHA-512=[name=$user,password=$pass]" \
            >"$dir/format.log" 2>&1; then
            svc_fail kafka "$dir/format.log" "formatting the KRaft storage failed"
            return 1
        fi
    fi
    if [[ -n ${IOTPIPE_KAFKA_OPTS:-} ]]; then
        read -r -a opts <<<"$IOTPIPE_KAFKA_OPTS"
    fi
    printf -- '--- start %s\n' "$(date '+%Y-%m-%dT%H:%M:%S')" >>"$log"
    from=$(wc -l <"$log")
    t0=$(svc_now)
    svc_spawn kafka "$name" "$dir" "$log" "$SVC_JAVA" "-Xms$heap" "-Xmx$heap" \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        ${opts[@]+"${opts[@]}"} \
        -Djava.awt.headless=true "-Dlog4j.configuration=file:$dir/log4j.properties" \
        "-Dkafka.logs.dir=$dir/logs" "@$KAFKA_CP_ARGS" \
        kafka.Kafka "$dir/server.properties" || return 1
    svc_wait kafka "$SVC_PID" "$log" 90 _kafka_ready "$log" "$from" "$port" || return 1
    printf 'ready after %s s\n' "$(svc_elapsed "$t0")" >>"$log"
    sed -i '/^KAFKA_SVC_PID=/d' "$dir/env"
    printf 'KAFKA_SVC_PID=%s\n' "$SVC_PID" >>"$dir/env"
}

_kafka_ready() {
    tail -n "+$(($2 + 1))" -- "$1" | grep -q 'Kafka Server started' &&
        svc_port_open "$3"
}

kafka_start() {
    local name port heap dir user pass
    svc_start_args kafka 512m "$@" || return
    name=$SVC_NAME port=$SVC_PORT heap=$SVC_HEAP dir=$SVC_DIR

    if [[ -n ${IOTPIPE_TEST_KAFKA:-} ]]; then
        mkdir -p -- "$dir"
        svc_env_write "$dir" KAFKA_SVC_NAME="$name" KAFKA_SVC_BOOTSTRAP="$IOTPIPE_TEST_KAFKA" \
            KAFKA_SVC_PORT="${IOTPIPE_TEST_KAFKA##*:}" KAFKA_SVC_SASL_BOOTSTRAP='' \
            KAFKA_SVC_DIR="$dir" KAFKA_SVC_EXTERNAL=1
        kafka_use "$name"
        return
    fi

    kafka_classpath || return 1
    svc_not_running kafka "$name" "$dir" || return 1
    rm -rf -- "$dir"
    mkdir -p -- "$dir/data" "$dir/logs" && chmod 700 -- "$dir" || return 1
    svc_tls_cert kafka "$dir" server localhost server || return 1
    cat "$dir/server.key" "$dir/server.crt" >"$dir/server.pem"
    chmod 600 "$dir/server.pem"
    _kafka_log4j INFO >"$dir/log4j.properties"
    _kafka_log4j WARN >"$dir/tools-log4j.properties"
    user=iotpipe
    pass=$(svc_secret)

    svc_launch_tries kafka "$dir" "$port" _kafka_configure _kafka_launch \
        _kafka_reset || return 1
    kafka_use "$name"
}

# _kafka_configure PORT: for svc_launch_tries, in kafka_start; the
# controller and SASL ports are drawn anew for each try
_kafka_configure() {
    local cport sport
    cport=$(svc_free_port) || return 1
    sport=$(svc_free_port) || return 1
    _kafka_props "$dir" "$1" "$cport" "$sport" "$user" "$pass" >"$dir/server.properties" &&
        svc_env_write "$dir" KAFKA_SVC_NAME="$name" KAFKA_SVC_VERSION="$KAFKA_VERSION" \
            KAFKA_SVC_BOOTSTRAP="127.0.0.1:$1" KAFKA_SVC_PORT="$1" \
            KAFKA_SVC_CONTROLLER_PORT="$cport" \
            KAFKA_SVC_SASL_BOOTSTRAP="127.0.0.1:$sport" KAFKA_SVC_SASL_PORT="$sport" \
            KAFKA_SVC_USER="$user" KAFKA_SVC_PASSWORD="$pass" \
            KAFKA_SVC_CAFILE="$SVC_CA_CRT" KAFKA_SVC_DIR="$dir" \
            KAFKA_SVC_LOG="$dir/kafka.log" KAFKA_SVC_EXTERNAL=0 KAFKA_SVC_HEAP="$heap"
}

# _kafka_reset DIR: a data directory as new, after a start that failed
_kafka_reset() {
    rm -rf -- "$1/data" && mkdir -p -- "$1/data"
}

_kafka_dir() {
    svc_local_dir kafka "$1" KAFKA
}

kafka_stop() {
    svc_stop_local kafka "${1:-default}" KAFKA 60
}

kafka_restart() {
    local name=${1:-default} dir
    dir=$(_kafka_dir "$name") || return
    kafka_stop "$name" || return 1
    kafka_classpath || return 1
    _kafka_launch "$dir" || return 1
    kafka_use "$name"
}

# _kafka_bootstrap NAME: the PLAINTEXT bootstrap of instance NAME.
_kafka_bootstrap() {
    local b
    svc_init || return 1
    b=$(svc_env_get "$(svc_instance_dir kafka "$1")" KAFKA_SVC_BOOTSTRAP) || b=''
    if [[ -z $b ]]; then
        svc_err kafka "no instance named $1"
        return 1
    fi
    printf '%s\n' "$b"
}

kafka_topic_create() {
    local topic=$1 parts=$2 name=${3:-default} bs
    bs=$(_kafka_bootstrap "$name") || return 1
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" \
        --create --if-not-exists --topic "$topic" --partitions "$parts" \
        --replication-factor 1 >/dev/null || {
        svc_err kafka "cannot create topic $topic on $bs"
        return 1
    }
}

# kafka_topic_delete REGEX [NAME]: delete the topics whose whole name
# matches REGEX (Java's syntax)
kafka_topic_delete() {
    local re=$1 name=${2:-default} bs
    bs=$(_kafka_bootstrap "$name") || return 1
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" \
        --delete --if-exists --topic "$re" >/dev/null || {
        svc_err kafka "cannot delete topics $re on $bs"
        return 1
    }
}

kafka_scram_user() {
    local user=$1 pass=$2 name=${3:-default} bs mech
    bs=$(_kafka_bootstrap "$name") || return 1
    # one mechanism per request: the broker refuses two changes of one user
    for mech in SCRAM-SHA-256 SCRAM-SHA-512; do
        kafka_tool kafka.admin.ConfigCommand --bootstrap-server "$bs" --alter \
            --add-config "$mech=[password=$pass]" \
            --entity-type users --entity-name "$user" >/dev/null || {
            svc_err kafka "cannot set $mech credentials of $user on $bs"
            return 1
        }
    done
}

# ---- kmock: librdkafka's mock cluster as a process (fault injection only)

_kmock_bin() {
    local bin=${IOTPIPE_KMOCK:-${IOTPIPE_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}/tests/services/kmock}
    if [[ ! -x $bin ]]; then
        svc_err kmock "$bin not built (run: make build/tests/services/kmock)"
        return 1
    fi
    printf '%s\n' "$bin"
}

kmock_use() {
    local name=${1:-default}
    svc_init || return 1
    unset KMOCK_BOOTSTRAP KMOCK_DIR KMOCK_LOG KMOCK_PID
    svc_env_load kmock "$(svc_instance_dir kmock "$name")"
}

kmock_start() {
    local name=default brokers=1 topics=() bin dir log t0 bs
    while (($#)); do
        case $1 in
        --name) name=${2:-} && shift ;;
        --brokers) brokers=${2:-} && shift ;;
        --topic) topics+=(-t "${2:-}") && shift ;;
        *)
            svc_err kmock "unknown argument $1"
            return 2
            ;;
        esac
        shift
    done
    svc_init || return 1
    bin=$(_kmock_bin) || return 1
    dir=$(svc_instance_dir kmock "$name")
    svc_not_running kmock "$name" "$dir" || return 1
    rm -rf -- "$dir"
    mkdir -p -- "$dir" && chmod 700 -- "$dir" || return 1
    log=$dir/kmock.log
    t0=$(svc_now)
    svc_spawn kmock "$name" "$dir" "$log" "$bin" -b "$brokers" -c "$dir/ctl" \
        ${topics[@]+"${topics[@]}"} || return 1
    svc_wait kmock "$SVC_PID" "$log" 10 _kmock_ready "$log" || return 1
    bs=$(grep -m 1 -E '^[0-9.]+:[0-9]+' "$log")
    printf 'ready after %s s\n' "$(svc_elapsed "$t0")" >>"$dir/start.log"
    svc_env_write "$dir" KMOCK_BOOTSTRAP="$bs" KMOCK_DIR="$dir" KMOCK_LOG="$log" \
        KMOCK_PID="$SVC_PID"
    kmock_use "$name"
}

_kmock_ready() {
    grep -qE '^[0-9.]+:[0-9]+' "$1"
}

# kmock_cmd [--name NAME] COMMAND...: send one command, wait for its answer.
kmock_cmd() {
    local name=default dir n i reply
    if [[ ${1:-} == --name ]]; then
        name=${2:-}
        shift 2
    fi
    svc_init || return 1
    dir=$(svc_instance_dir kmock "$name")
    if [[ ! -p $dir/ctl ]] || ! svc_alive "$(cat "$dir/pid" 2>/dev/null)"; then
        svc_err kmock "instance $name is not running"
        return 1
    fi
    n=$(grep -cE '^(ok|error): ' "$dir/kmock.log" || true)
    # kmock holds the fifo open; the timeout covers one that died just now
    if ! printf '%s\n' "$*" | timeout 5 tee -- "$dir/ctl" >/dev/null; then
        svc_fail kmock "$dir/kmock.log" "cannot send '$*'"
        return 1
    fi
    for ((i = 0; i < 100; i++)); do
        reply=$({ grep -E '^(ok|error): ' "$dir/kmock.log" || true; } | sed -n "$((n + 1))p")
        if [[ -n $reply ]]; then
            printf '%s\n' "$reply"
            [[ $reply == ok:* ]]
            return
        fi
        sleep 0.1
    done
    svc_fail kmock "$dir/kmock.log" "no answer to '$*' within 10s"
}

kmock_stop() {
    local name=${1:-default} dir
    svc_init || return 1
    dir=$(svc_instance_dir kmock "$name")
    if [[ -f $dir/pid ]]; then
        svc_stop_pid kmock "$(<"$dir/pid")" 10 || return 1
        rm -f -- "$dir/pid"
    fi
}

_kafka_usage() {
    cat <<'EOF'
usage: kafka.sh start [--name NAME] [--port PORT] [--heap SIZE]
       kafka.sh env|stop|restart|status|log [NAME]
       kafka.sh topic TOPIC PARTITIONS [NAME]
       kafka.sh fetch | clean
EOF
}

kafka_fetch() {
    kafka_classpath
}

kafka_cmd_topic() {
    kafka_topic_create "$@"
}

_kafka_address() {
    printf '%s\n' "$KAFKA_SVC_BOOTSTRAP"
}

kafka_main() {
    svc_main kafka default "$@"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -u
    kafka_main "$@"
    exit
fi
