#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real Apache Kafka broker (KRaft, one node, jars from Maven Central), or a cluster of them, and librdkafka's mock cluster (kmock) for the tests.
#
# As a library (source it; bash):
#   kafka_start [--name NAME] [--port PORT] [--heap SIZE]
#       KRaft broker+controller on 127.0.0.1: a PLAINTEXT listener and a
#       SASL_SSL one (SCRAM-SHA-256 and -512, and PLAIN, for a throwaway
#       user; a server certificate from the run's private CA)
#   kafka_start --brokers N [--name NAME] [--heap SIZE]
#       a cluster: a controller JVM and N broker JVMs on 127.0.0.10-19,
#       replication factor 3, min.insync.replicas 2 (see "a cluster" below)
#   kafka_kill_broker ID [NAME]   SIGKILL broker ID of a cluster
#   kafka_start_broker ID [NAME]  start it again: same port, same data
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
#   tests/services/kafka.sh start --brokers 3 [--name N]  prints the brokers
#   tests/services/kafka.sh kill-broker|start-broker ID [NAME]
#   tests/services/kafka.sh env|stop|restart|status|log [NAME]
#   tests/services/kafka.sh topic TOPIC PARTITIONS [NAME]
#   tests/services/kafka.sh fetch      download the jars only (for CI caches)
#   tests/services/kafka.sh clean

# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=${IOTPIPE_KAFKA_VERSION:-3.9.2}

svc_define kafka KAFKA default 60 90

_kafka_pom() {
    svc_pom kafka-broker-classpath <<EOF
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
EOF
}

# kafka_fetch: java and the broker's jars (downloaded once); sets
# SVC_JAVA and KAFKA_CP_ARGS, a java @argfile naming the jars.
kafka_fetch() {
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
    svc_use kafka "$@"
}

# kafka_tool CLASS ARGS...: run one of Kafka's command-line classes.
kafka_tool() {
    local class=$1 log4j
    shift
    kafka_fetch || return 1
    log4j=$IOTPIPE_CACHE/kafka-$KAFKA_VERSION/tools-log4j.properties
    [[ -s $log4j ]] || _kafka_log4j WARN >"$log4j"
    timeout 120 "$SVC_JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        "-Dlog4j.configuration=file:$log4j" "@$KAFKA_CP_ARGS" "$class" "$@"
}

# _kafka_launch DIR: format the storage on first start, start the broker,
# wait until it serves.
_kafka_launch() {
    local dir=$1 name log heap port opts=()
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
    svc_log_start "$log"
    svc_spawn kafka "$name" "$dir" "$log" "$SVC_JAVA" "-Xms$heap" "-Xmx$heap" \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        ${opts[@]+"${opts[@]}"} \
        -Djava.awt.headless=true "-Dlog4j.configuration=file:$dir/log4j.properties" \
        "-Dkafka.logs.dir=$dir/logs" "@$KAFKA_CP_ARGS" \
        kafka.Kafka "$dir/server.properties" || return 1
    svc_wait kafka "$SVC_PID" "$log" "${SVC_TIMEOUT[kafka]}" \
        _kafka_ready "$log" "$SVC_FROM" "$port" || return 1
    svc_launched kafka "$dir"
}

_kafka_ready() {
    tail -n "+$(($2 + 1))" -- "$1" | grep -q 'Kafka Server started' &&
        svc_port_open "$3"
}

kafka_start() {
    local name port heap dir user pass a
    for a in "$@"; do
        if [[ $a == --brokers ]]; then
            kafka_cluster_start "$@"
            return
        fi
    done
    svc_start_args kafka 512m "$@" || return
    name=$SVC_NAME port=$SVC_PORT heap=$SVC_HEAP dir=$SVC_DIR

    if [[ -n ${IOTPIPE_TEST_KAFKA:-} ]]; then
        svc_external kafka "$name" BOOTSTRAP="$IOTPIPE_TEST_KAFKA" \
            PORT="${IOTPIPE_TEST_KAFKA##*:}" SASL_BOOTSTRAP=''
        return
    fi

    kafka_fetch || return 1
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

kafka_stop() {
    if _kafka_is_cluster "${1:-default}"; then
        kafka_cluster_stop "${1:-default}"
        return
    fi
    svc_stop kafka "$@"
}

kafka_restart() {
    if _kafka_is_cluster "${1:-default}"; then
        kafka_cluster_stop "${1:-default}" && kafka_cluster_launch "${1:-default}"
        return
    fi
    svc_restart kafka "$@"
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
    local topic=$1 parts=$2 name=${3:-default} bs rf
    bs=$(_kafka_bootstrap "$name") || return 1
    # a cluster's topics: replication factor N (at most 3)
    rf=$(svc_env_get "$(svc_instance_dir kafka "$name")" KAFKA_SVC_BROKERS) || rf=
    [[ $rf =~ ^[0-9]+$ ]] || rf=1
    ((rf <= 3)) || rf=3
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" \
        --create --if-not-exists --topic "$topic" --partitions "$parts" \
        --replication-factor "$rf" >/dev/null || {
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

# ---- a cluster: --brokers N
#
# One KRaft controller in a JVM of its own on 127.0.0.10 and N brokers,
# broker I on 127.0.0.(10+I), each a JVM of its own that a test may
# SIGKILL (kafka_kill_broker) and start again on the same port and data
# (kafka_start_broker).  The 127.0.0.0/8 block is all loopback on Linux,
# so every member has an address of its own and a log line naming an
# address names a member; the ports are still drawn free.
#
# Why the controller is separate, not combined with the brokers: a
# combined quorum of three voters is lost when two brokers die, and
# without a quorum nothing fences the dead brokers or shrinks the ISR, so
# a client sees request timeouts instead of the broker's own answer
# (NOT_ENOUGH_REPLICAS) that the tests of min.insync.replicas check; and
# a SIGKILLed combined node costs a controller election on top of the
# leader elections under test.  The price is one JVM more (256 MiB of
# heap) and a single controller, which the tests never kill.
#
# The cluster's defaults are what a deployment that must not lose data
# uses: replication factor N (at most 3), min.insync.replicas 2 (1 with
# one broker), no unclean leader election, the group and transaction
# logs replicated alike.  A broker is fenced 3 s after its last
# heartbeat (9 s by default), so leaders move soon after a kill.  Only
# PLAINTEXT listeners (KAFKA_SVC_SASL_BOOTSTRAP is empty).

_KAFKA_NET=127.0.0

# _kafka_is_cluster NAME: instance NAME is a cluster (started with --brokers)
_kafka_is_cluster() {
    local dir
    svc_init || return 1
    dir=$(svc_instance_dir kafka "$1")
    [[ -f $dir/env && $(svc_env_get "$dir" KAFKA_SVC_BROKERS) =~ ^[0-9]+$ ]]
}

# _kafka_cluster_props DIR ROLE ID ADDR PORT CADDR CPORT BROKERS
_kafka_cluster_props() {
    local dir=$1 role=$2 id=$3 addr=$4 port=$5 caddr=$6 cport=$7 n=$8 rf isr
    rf=$((n < 3 ? n : 3))
    isr=$((rf < 2 ? 1 : 2))
    cat <<EOP
# generated by tests/services/kafka.sh (cluster); no inline comments in .properties
node.id=$id
controller.quorum.voters=0@$caddr:$cport
controller.listener.names=CONTROLLER
log.dirs=$dir/data
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=8388608
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=3000
EOP
    if [[ $role == controller ]]; then
        cat <<EOP
process.roles=controller
listeners=CONTROLLER://$caddr:$cport
listener.security.protocol.map=CONTROLLER:PLAINTEXT
EOP
        return
    fi
    cat <<EOP
process.roles=broker
listeners=PLAINTEXT://$addr:$port
advertised.listeners=PLAINTEXT://$addr:$port
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$isr
unclean.leader.election.enable=false
auto.create.topics.enable=true
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
replica.lag.time.max.ms=10000
EOP
}

# _kafka_member_dir NAME ID: the directory of member ID (0: the controller)
_kafka_member_dir() {
    local d
    d=$(svc_instance_dir kafka "$1")
    if [[ $2 == 0 ]]; then
        printf '%s/controller\n' "$d"
    else
        printf '%s/broker-%s\n' "$d" "$2"
    fi
}

# _kafka_member_spawn NAME ID: start member ID of cluster NAME (its
# storage formatted) without waiting; sets SVC_PID, SVC_FROM, SVC_T0.
_kafka_member_spawn() {
    local name=$1 id=$2 dir heap opts=()
    dir=$(_kafka_member_dir "$name" "$id")
    if [[ $id == 0 ]]; then
        heap=256m
    else
        heap=$(svc_env_get "$(svc_instance_dir kafka "$name")" KAFKA_SVC_HEAP)
    fi
    if [[ -n ${IOTPIPE_KAFKA_OPTS:-} ]]; then
        read -r -a opts <<<"$IOTPIPE_KAFKA_OPTS"
    fi
    svc_log_start "$dir/kafka.log"
    svc_spawn kafka "$name-$id" "$dir" "$dir/kafka.log" "$SVC_JAVA" "-Xms$heap" "-Xmx$heap" \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        -XX:TieredStopAtLevel=1 ${opts[@]+"${opts[@]}"} \
        -Djava.awt.headless=true "-Dlog4j.configuration=file:$dir/log4j.properties" \
        "-Dkafka.logs.dir=$dir/logs" "@$KAFKA_CP_ARGS" \
        kafka.Kafka "$dir/server.properties"
}

# _kafka_member_wait NAME ID PID FROM T0: wait until member ID serves
_kafka_member_wait() {
    local name=$1 id=$2 pid=$3 from=$4 t0=$5 dir addr port
    dir=$(_kafka_member_dir "$name" "$id")
    addr=$(svc_env_get "$dir" ADDR)
    port=$(svc_env_get "$dir" PORT)
    svc_wait kafka "$pid" "$dir/kafka.log" "${SVC_TIMEOUT[kafka]}" \
        _kafka_member_ready "$dir/kafka.log" "$from" "$addr" "$port" || return 1
    printf 'ready after %s s\n' "$(svc_elapsed "$t0")" >>"$dir/kafka.log"
}

_kafka_member_ready() {
    tail -n "+$(($2 + 1))" -- "$1" | grep -q 'Kafka Server started' &&
        svc_port_open "$3" "$4"
}

# kafka_cluster_start --brokers N [--name NAME] [--heap SIZE]: the
# controller and N brokers (heap 384 MiB each by default); use it.
# KAFKA_SVC_BOOTSTRAP lists every broker; KAFKA_SVC_BROKERS is N and
# KAFKA_SVC_BROKER_I the host:port of broker I.
kafka_cluster_start() {
    local name=default heap=384m n='' dir cid id addr port cport t0 m pids=() vars=() boot=''
    while (($#)); do
        case $1 in
        --brokers) n=${2:-} && shift ;;
        --name) name=${2:-} && shift ;;
        --heap) heap=${2:-} && shift ;;
        *)
            svc_err kafka "unknown argument $1 (a cluster takes --brokers, --name, --heap)"
            return 2
            ;;
        esac
        shift
    done
    if [[ ! $n =~ ^[1-9]$ ]]; then
        svc_err kafka "--brokers takes 1 to 9, not '$n'"
        return 2
    fi
    if [[ ! $name =~ ^[A-Za-z0-9_.-]+$ ]]; then
        svc_err kafka "bad instance name: $name"
        return 2
    fi
    if [[ -n ${IOTPIPE_TEST_KAFKA:-} ]]; then
        svc_err kafka "IOTPIPE_TEST_KAFKA is set: an external server cannot be a test cluster"
        return 2
    fi
    svc_init || return 1
    kafka_fetch || return 1
    dir=$(svc_instance_dir kafka "$name")
    if [[ -f $dir/env ]] && _kafka_cluster_running "$name"; then
        svc_err kafka "cluster $name is already running"
        return 1
    fi
    rm -rf -- "$dir"
    mkdir -p -- "$dir" && chmod 700 -- "$dir" || return 1
    t0=$(svc_now)
    cid=-
    while [[ $cid == -* ]]; do
        cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    done
    cport=$(svc_free_port) || return 1
    for ((id = 0; id <= n; id++)); do
        m=$(_kafka_member_dir "$name" "$id")
        mkdir -p -- "$m/data" "$m/logs" || return 1
        addr=$_KAFKA_NET.$((10 + id))
        if ((id == 0)); then
            port=$cport
            _kafka_cluster_props "$m" controller 0 "$addr" "$port" "$addr" "$cport" "$n" \
                >"$m/server.properties"
        else
            port=$(svc_free_port) || return 1
            _kafka_cluster_props "$m" broker "$id" "$addr" "$port" "$_KAFKA_NET.10" "$cport" "$n" \
                >"$m/server.properties"
            boot+=${boot:+,}$addr:$port
            vars+=("KAFKA_SVC_BROKER_$id=$addr:$port")
        fi
        printf 'ADDR=%s\nPORT=%s\n' "$addr" "$port" >"$m/env"
        _kafka_log4j INFO >"$m/log4j.properties"
        _kafka_log4j WARN >"$m/tools-log4j.properties"
    done
    svc_env_write "$dir" KAFKA_SVC_NAME="$name" KAFKA_SVC_VERSION="$KAFKA_VERSION" \
        KAFKA_SVC_BOOTSTRAP="$boot" KAFKA_SVC_PORT="${boot##*:}" KAFKA_SVC_BROKERS="$n" \
        KAFKA_SVC_CONTROLLER="$_KAFKA_NET.10:$cport" "${vars[@]}" \
        KAFKA_SVC_SASL_BOOTSTRAP='' KAFKA_SVC_DIR="$dir" \
        KAFKA_SVC_LOG="$(_kafka_member_dir "$name" 1)/kafka.log" KAFKA_SVC_EXTERNAL=0 \
        KAFKA_SVC_HEAP="$heap" KAFKA_SVC_CLUSTER_ID="$cid" || return 1
    # the storage of every member, formatted in parallel (a JVM each)
    for ((id = 0; id <= n; id++)); do
        m=$(_kafka_member_dir "$name" "$id")
        timeout 120 "$SVC_JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
            "-Dlog4j.configuration=file:$m/tools-log4j.properties" \
            "@$KAFKA_CP_ARGS" kafka.tools.StorageTool format \
            -t "$cid" -c "$m/server.properties" >"$m/format.log" 2>&1 &
        pids[id]=$!
    done
    for ((id = 0; id <= n; id++)); do
        if ! wait "${pids[id]}"; then
            svc_fail kafka "$(_kafka_member_dir "$name" "$id")/format.log" \
                "formatting the KRaft storage of member $id failed"
            return 1
        fi
    done
    printf 'formatted after %s s\n' "$(svc_elapsed "$t0")" >"$dir/start.log"
    kafka_cluster_launch "$name" || return 1
    printf 'ready after %s s\n' "$(svc_elapsed "$t0")" >>"$dir/start.log"
    kafka_use "$name"
}

# kafka_cluster_launch NAME: start every member of cluster NAME (all at
# once: the brokers wait for the controller) and wait until each serves.
kafka_cluster_launch() {
    local name=$1 n id pids=() from=() t0=() dir
    dir=$(svc_instance_dir kafka "$name")
    n=$(svc_env_get "$dir" KAFKA_SVC_BROKERS)
    kafka_fetch || return 1
    for ((id = 0; id <= n; id++)); do
        _kafka_member_spawn "$name" "$id" || return 1
        pids[id]=$SVC_PID from[id]=$SVC_FROM t0[id]=$SVC_T0
    done
    for ((id = 0; id <= n; id++)); do
        _kafka_member_wait "$name" "$id" "${pids[id]}" "${from[id]}" "${t0[id]}" || return 1
    done
}

_kafka_cluster_running() {
    svc_members_alive _kafka_member_dir "$1" 0 \
        "$(svc_env_get "$(svc_instance_dir kafka "$1")" KAFKA_SVC_BROKERS)"
}

# kafka_cluster_stop NAME: SIGTERM every member, brokers first.
kafka_cluster_stop() {
    svc_members_stop kafka _kafka_member_dir "$1" 0 \
        "$(svc_env_get "$(svc_instance_dir kafka "$1")" KAFKA_SVC_BROKERS)"
}

# _kafka_broker_check ID NAME: ID is a broker of cluster NAME
_kafka_broker_check() {
    local n
    if ! _kafka_is_cluster "$2"; then
        svc_err kafka "$2 is not a cluster (started without --brokers)"
        return 1
    fi
    n=$(svc_env_get "$(svc_instance_dir kafka "$2")" KAFKA_SVC_BROKERS)
    if [[ ! $1 =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > n)); then
        svc_err kafka "no broker $1 in cluster $2 (1 to $n)"
        return 1
    fi
}

# kafka_broker_pid ID [NAME]: the PID of broker ID, when it runs
kafka_broker_pid() {
    local m
    _kafka_broker_check "$1" "${2:-default}" || return 1
    m=$(_kafka_member_dir "${2:-default}" "$1")
    [[ -f $m/pid ]] && svc_alive "$(<"$m/pid")" && cat -- "$m/pid"
}

# kafka_kill_broker ID [NAME]: SIGKILL broker ID (no controlled
# shutdown: its leaderships move once the controller fences it, 3 s
# later) and wait until it is gone.
kafka_kill_broker() {
    local id=$1 name=${2:-default}
    _kafka_broker_check "$id" "$name" || return 1
    svc_member_kill kafka "$(_kafka_member_dir "$name" "$id")"
}

# kafka_start_broker ID [NAME]: start broker ID again (same address, port
# and data) and wait until it serves.
kafka_start_broker() {
    local id=$1 name=${2:-default} m
    _kafka_broker_check "$id" "$name" || return 1
    m=$(_kafka_member_dir "$name" "$id")
    if [[ -f $m/pid ]] && svc_alive "$(<"$m/pid")"; then
        svc_err kafka "broker $id of $name is already running"
        return 1
    fi
    kafka_fetch || return 1
    _kafka_member_spawn "$name" "$id" || return 1
    _kafka_member_wait "$name" "$id" "$SVC_PID" "$SVC_FROM" "$SVC_T0"
}

# kafka_cluster_rss [NAME]: the resident memory of each member, in MiB
kafka_cluster_rss() {
    local name=${1:-default} n id m
    n=$(svc_env_get "$(svc_instance_dir kafka "$name")" KAFKA_SVC_BROKERS) || return 1
    for ((id = 0; id <= n; id++)); do
        m=$(_kafka_member_dir "$name" "$id")
        if [[ -f $m/pid ]]; then
            printf '%s %s MiB\n' "$( ((id)) && echo "broker-$id" || echo controller)" \
                "$(($(ps -o rss= -p "$(<"$m/pid")") / 1024))"
        fi
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
       kafka.sh start --brokers N [--name NAME] [--heap SIZE]
       kafka.sh kill-broker|start-broker ID [NAME]
       kafka.sh env|stop|restart|status|log [NAME]
       kafka.sh topic TOPIC PARTITIONS [NAME]
       kafka.sh fetch | clean
EOF
}

kafka_cmd_topic() {
    kafka_topic_create "$@"
}

_kafka_address() {
    printf '%s\n' "$KAFKA_SVC_BOOTSTRAP"
}

kafka_main() {
    case ${1:-} in
    kill-broker | start-broker)
        local cmd=${1/-/_}
        shift
        svc_command_dir || return 1
        "kafka_$cmd" "$@"
        ;;
    *) svc_main kafka "$@" ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -u
    kafka_main "$@"
    exit
fi
