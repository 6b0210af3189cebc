# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared helpers for the test services: a per-run scratch directory, free ports, detached starts, bounded waits, stops by process group, the life cycle of an instance, kept logs.
#
# Source it (the service scripts do): every function returns a status and
# prints `service: reason` on stderr; none of them exits the caller.
#
# Environment:
#   IOTPIPE_RUN_DIR       per-run scratch directory (made with mktemp when unset)
#   IOTPIPE_CACHE         downloads and compiled helpers (~/.cache/iotpipe)
#   IOTPIPE_KEEP_LOGS=1   keep the run directory even when everything passed
#   IOTPIPE_START_TIMEOUT seconds to wait for any service to become ready
#   IOTPIPE_JAVA          the java binary (default: $JAVA_HOME/bin/java, then PATH)
#   IOTPIPE_MVN_ARGS      extra arguments for mvn (e.g. "-o", "-s settings.xml")
#   IOTPIPE_MVN_TIMEOUT   seconds one Maven download may take (900)
#   IOTPIPE_M2            Maven local repository ($IOTPIPE_CACHE/m2)

[[ -n ${_IOTPIPE_SVC_LIB:-} ]] && return 0
_IOTPIPE_SVC_LIB=1

# Results of the helpers below, read by the service scripts.
# shellcheck disable=SC2034
SVC_PID='' SVC_JAVA='' SVC_CLASSPATH='' SVC_CA_CRT='' SVC_CA_KEY='' SVC_LOCK_FD=''

# What each service script declares of itself (svc_define).
declare -gA SVC_PREFIX=() SVC_DEFAULT=() SVC_GRACE=() SVC_TIMEOUT=()

IOTPIPE_CACHE=${IOTPIPE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/iotpipe}
export IOTPIPE_CACHE

# ---- messages

# svc_err SERVICE MESSAGE...: one line on stderr, house style.
svc_err() {
    local service=$1
    shift
    printf '%s: %s\n' "$service" "$*" >&2
}

# svc_fail SERVICE LOG MESSAGE...: say what failed, name the log, show its
# tail, and mark the run as failed so that its logs are kept.
svc_fail() {
    local service=$1 log=$2
    shift 2
    svc_err "$service" "$*; log: $log"
    if [[ -s $log ]]; then
        # the first lines that look like the cause, then the end of the log
        grep -m 3 -E 'already in use|ERROR|FATAL|[Ee]rror:|Exception:|[Ff]ailed' -- "$log" |
            cut -c 1-300 | sed 's/^/    cause: /' >&2
        tail -n 10 -- "$log" | cut -c 1-300 | sed 's/^/    | /' >&2
    fi
    svc_mark_failed
    return 1
}

# ---- time

# svc_now: seconds since the epoch with microseconds (bash 5 EPOCHREALTIME).
svc_now() {
    if [[ -n ${EPOCHREALTIME:-} ]]; then
        printf '%s\n' "${EPOCHREALTIME/,/.}"
    else
        date +%s.%N
    fi
}

# svc_elapsed START: seconds since START, two decimals.
svc_elapsed() {
    local now
    now=$(svc_now)
    awk -v a="$1" -v b="$now" 'BEGIN { printf "%.2f\n", b - a }'
}

# ---- the run directory

# svc_init: make sure IOTPIPE_RUN_DIR exists and is exported. Call it
# directly (not in $(...)) so that the export reaches the caller.
svc_init() {
    if [[ -z ${IOTPIPE_RUN_DIR:-} ]]; then
        IOTPIPE_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/iotpipe-run.XXXXXX") || {
            svc_err services "cannot create a run directory under ${TMPDIR:-/tmp}"
            return 1
        }
    fi
    if [[ ! -d $IOTPIPE_RUN_DIR ]]; then
        if ! mkdir -p -- "$IOTPIPE_RUN_DIR" || ! chmod 700 -- "$IOTPIPE_RUN_DIR"; then
            svc_err services "cannot create $IOTPIPE_RUN_DIR"
            return 1
        fi
    fi
    if [[ ! -O $IOTPIPE_RUN_DIR ]]; then
        svc_err services "$IOTPIPE_RUN_DIR: not owned by $(id -un)"
        return 1
    fi
    export IOTPIPE_RUN_DIR
}

# svc_mark_failed: keep the logs of this run at cleanup.
svc_mark_failed() {
    if [[ -n ${IOTPIPE_RUN_DIR:-} && -d $IOTPIPE_RUN_DIR ]]; then
        : >"$IOTPIPE_RUN_DIR/failed"
    fi
}

# svc_instance_dir SERVICE NAME: the directory of one instance.
svc_instance_dir() {
    printf '%s/%s-%s\n' "$IOTPIPE_RUN_DIR" "$1" "$2"
}

# svc_start_args SERVICE HEAP ARGS...: the arguments of a JVM service's
# _start (--name NAME, --port PORT, --heap SIZE, HEAP by default) into
# SVC_NAME, SVC_PORT and SVC_HEAP; checks the name, runs svc_init and sets
# SVC_DIR, the instance's directory.  2: a bad argument; 1: no run directory.
# shellcheck disable=SC2034 # the SVC_ variables are the callers'
svc_start_args() {
    local svc=$1
    SVC_NAME=default SVC_PORT='' SVC_HEAP=$2
    shift 2
    while (($#)); do
        case $1 in
        --name) SVC_NAME=${2:-} && shift ;;
        --port) SVC_PORT=${2:-} && shift ;;
        --heap) SVC_HEAP=${2:-} && shift ;;
        *)
            svc_err "$svc" "unknown argument $1"
            return 2
            ;;
        esac
        shift
    done
    if [[ ! $SVC_NAME =~ ^[A-Za-z0-9_.-]+$ ]]; then
        svc_err "$svc" "bad instance name: $SVC_NAME"
        return 2
    fi
    svc_init || return 1
    SVC_DIR=$(svc_instance_dir "$svc" "$SVC_NAME")
}

# svc_not_running SERVICE NAME DIR: fails, saying so, while the instance in
# DIR still runs.
svc_not_running() {
    if [[ -f $3/pid ]] && svc_alive "$(<"$3/pid")"; then
        svc_err "$1" "instance $2 is already running (pid $(<"$3/pid"))"
        return 1
    fi
}

# ---- instance state: DIR/env holds shell assignments, DIR/pid the PID

# svc_env_write DIR NAME=VALUE...: replace DIR/env with these assignments.
svc_env_write() {
    local dir=$1 kv
    shift
    {
        for kv in "$@"; do
            printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"
        done
    } >"$dir/env.tmp" && mv -f -- "$dir/env.tmp" "$dir/env"
}

# svc_env_load SERVICE DIR: load DIR/env into the caller's shell (exported,
# so that bats tests started after setup_file see them too).
svc_env_load() {
    local service=$1 dir=$2 line
    if [[ ! -r $dir/env ]]; then
        svc_err "$service" "no instance at $dir (not started?)"
        return 1
    fi
    while IFS= read -r line; do
        eval "export $line"
    done <"$dir/env"
}

# svc_env_get DIR KEY: print one value from DIR/env.
svc_env_get() {
    (
        # shellcheck disable=SC1091
        source "$1/env" 2>/dev/null || exit 1
        printf '%s\n' "${!2:-}"
    )
}

# ---- processes

# svc_alive PID: the process exists and is not a zombie.
svc_alive() {
    local pid=$1 stat
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -d /proc/$pid ]]; then
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
        stat=${stat##*) }
        [[ ${stat:0:1} != Z ]]
    fi
}

# svc_group_alive PGID: some process of the group is alive.
svc_group_alive() {
    local pgid=$1 s
    if command -v ps >/dev/null 2>&1; then
        for s in $(ps -o stat= -g "$pgid" 2>/dev/null); do
            [[ $s == Z* ]] || return 0
        done
        return 1
    fi
    kill -0 -- "-$pgid" 2>/dev/null
}

# svc_register PID SERVICE NAME: remember PID for svc_cleanup (under a
# lock: services may be started in parallel).
svc_register() {
    (
        flock -w 10 9 || true
        printf '%s %s %s\n' "$1" "$2" "$3" >>"$IOTPIPE_RUN_DIR/pids"
    ) 9>>"$IOTPIPE_RUN_DIR/pids.lock"
}

svc_unregister() {
    local f=$IOTPIPE_RUN_DIR/pids
    [[ -f $f ]] || return 0
    (
        flock -w 10 9 || true
        awk -v p="$1" '$1 != p' "$f" >"$f.tmp" && mv -f -- "$f.tmp" "$f"
    ) 9>>"$IOTPIPE_RUN_DIR/pids.lock"
}

# svc_spawn SERVICE NAME DIR LOG CMD...: start CMD in a session and
# process group of its own (so that stopping it takes its children along),
# detached from our stdin/stdout and from bats' fd 3; sets SVC_PID and
# writes it to DIR/pid.
#
# The server is not a child of the caller's shell, so that a bare `wait`
# there returns at once: a keeper, orphaned at once (the `( ... & )`) and
# adopted by init, starts it and waits for it, then appends
# "--- pid PID exited with status N (keeper K)" to LOG and ends
# (svc_exit_status reads the line; svc_stop_pid waits for the keeper too).
svc_spawn() {
    local service=$1 name=$2 dir=$3 log=$4 i
    shift 4
    SVC_PID=
    rm -f -- "$dir/pid"
    if ! command -v setsid >/dev/null 2>&1; then
        svc_err "$service" "setsid not found (util-linux)"
        return 1
    fi
    # The keeper and the server keep no descriptor of ours but 0-2 (bats
    # waits for the end of its fd 3, `$(...)` for its pipe).  The server
    # is the keeper's background job, so not a process group leader: its
    # setsid makes it one in place (no fork), and $! is its PID.
    # shellcheck disable=SC2016
    (
        setsid bash -c '
            for fd in /proc/$$/fd/*; do
                fd=${fd##*/}
                if ((fd > 2)); then eval "exec $fd>&-"; fi
            done
            setsid "$@" &
            pid=$!
            printf "%s\n" "$pid" >"$0.tmp" && mv -f "$0.tmp" "$0"
            st=0
            wait "$pid" || st=$?
            printf -- "--- pid %s exited with status %s (keeper %s)\n" "$pid" "$st" "$$"' \
            "$dir/pid" "$@" </dev/null >>"$log" 2>&1 &
    )
    for ((i = 0; i < 100; i++)); do
        [[ -s $dir/pid ]] && break
        sleep 0.05
    done
    if [[ ! -s $dir/pid ]]; then
        svc_fail "$service" "$log" "could not start $1"
        return 1
    fi
    SVC_PID=$(<"$dir/pid")
    svc_register "$SVC_PID" "$service" "$name"
}

# svc_exit_status PID LOG: print the exit status of the server PID that
# svc_spawn started with LOG, once its keeper has written it (up to 2 s
# after the end) and ended; status 1 when it is not known.
svc_exit_status() {
    local i line
    for ((i = 0; i < 20; i++)); do
        line=$(grep -E "^--- pid $1 exited with status [0-9]+ \(keeper [0-9]+\)\$" -- "$2" 2>/dev/null |
            tail -n 1)
        if [[ -n $line ]]; then
            line=${line#*status }
            svc_keeper_gone "${line#*keeper }"
            printf '%s\n' "${line%% *}"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# svc_keeper_of PID: print the PID of the keeper of server PID, if it has one.
svc_keeper_of() {
    local k
    k=$(ps -o ppid= -p "$1" 2>/dev/null) || return 1
    k=${k//[[:space:]]/}
    [[ $k =~ ^[0-9]+$ ]] && ((k > 1)) || return 1
    # a keeper's command line holds the line it will write
    grep -qa -- '--- pid %s exited with status' "/proc/$k/cmdline" 2>/dev/null || return 1
    printf '%s\n' "$k"
}

# svc_keeper_gone KEEPER: wait (up to 2 s) for a keeper that has written
# its line to end, so that nothing of the server is left when we return.
svc_keeper_gone() {
    local k=${1%)} i
    [[ $k =~ ^[0-9]+$ ]] || return 0
    for ((i = 0; i < 40; i++)); do
        svc_alive "$k" || return 0
        sleep 0.05
    done
}

# svc_local_dir SVC NAME PREFIX: the directory of instance NAME of SVC,
# one started here; status 1 when there is none, 3 when it is an external
# server (${PREFIX}_SVC_EXTERNAL=1 in its env: never stopped or restarted).
svc_local_dir() {
    local svc=$1 name=$2 prefix=$3 dir
    svc_init || return 1
    dir=$(svc_instance_dir "$svc" "$name")
    if [[ ! -f $dir/env ]]; then
        svc_err "$svc" "no instance named $name"
        return 1
    fi
    if [[ $(svc_env_get "$dir" "${prefix}_SVC_EXTERNAL") == 1 ]]; then
        svc_err "$svc" "$name is an external server: not stopped or restarted"
        return 3
    fi
    printf '%s\n' "$dir"
}

# svc_stop_local SVC NAME PREFIX GRACE: stop that local instance (SIGTERM,
# SIGKILL after GRACE seconds); nothing to do when it is not running.
svc_stop_local() {
    local dir
    dir=$(svc_local_dir "$1" "$2" "$3") || return
    if [[ -f $dir/pid ]]; then
        svc_stop_pid "$1" "$(<"$dir/pid")" "$4" || return 1
        rm -f -- "$dir/pid"
    fi
}

# svc_stop_pid SERVICE PID [TIMEOUT]: SIGTERM the process group, wait up to
# TIMEOUT seconds (default 30), then SIGKILL it. Returns 0 once nothing of
# the group is left.
svc_stop_pid() {
    local service=$1 pid=$2 timeout=${3:-30} deadline keeper=''
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    if svc_group_alive "$pid" || svc_alive "$pid"; then
        keeper=$(svc_keeper_of "$pid") || keeper=
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
        deadline=$((SECONDS + timeout))
        while svc_group_alive "$pid" || svc_alive "$pid"; do
            if ((SECONDS >= deadline)); then
                svc_err "$service" "pid $pid still running after ${timeout}s: killing it"
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
                deadline=$((SECONDS + 10))
                while svc_group_alive "$pid" || svc_alive "$pid"; do
                    ((SECONDS < deadline)) || {
                        svc_err "$service" "pid $pid survived SIGKILL"
                        return 1
                    }
                    sleep 0.1
                done
                break
            fi
            sleep 0.1
        done
    fi
    svc_keeper_gone "$keeper"
    svc_unregister "$pid"
}

# svc_wait SERVICE PID LOG TIMEOUT PROBE...: poll PROBE until it succeeds.
# Fails, with the log named and shown, when PID dies or TIMEOUT passes; on
# a timeout the process group is stopped, so that nothing is left behind.
svc_wait() {
    local service=$1 pid=$2 log=$3 timeout=$4 deadline delay=0.05 st
    shift 4
    timeout=${IOTPIPE_START_TIMEOUT:-$timeout}
    deadline=$((SECONDS + timeout))
    while :; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if ! svc_alive "$pid"; then
            st=$(svc_exit_status "$pid" "$log") || st=0
            if ((st != 0)); then
                svc_fail "$service" "$log" "exited during start-up with status $st"
            else
                svc_fail "$service" "$log" "exited during start-up"
            fi
            svc_stop_pid "$service" "$pid" 5 >/dev/null 2>&1
            return 1
        fi
        if ((SECONDS >= deadline)); then
            svc_fail "$service" "$log" "not ready after ${timeout}s"
            svc_stop_pid "$service" "$pid" 10
            return 1
        fi
        sleep "$delay"
        case $delay in
        0.05) delay=0.1 ;;
        0.1) delay=0.2 ;;
        *) ;;
        esac
    done
}

# svc_http_ok URL: a GET of URL answers 2xx within 5 seconds.
svc_http_ok() {
    curl -fsS --max-time 5 -o /dev/null -- "$1" 2>/dev/null
}

# svc_log_has LOG REGEX: the log contains a line matching REGEX.
svc_log_has() {
    grep -Eq -- "$2" "$1" 2>/dev/null
}

# svc_bind_failed LOG: the server's log says its port was taken.
svc_bind_failed() {
    grep -Eqi 'address already in use|BindException|failed to bind' "$1" 2>/dev/null
}

# svc_launch_tries SVC DIR PORT CONFIGURE LAUNCH [RESET]: start an
# instance whose log is DIR/SVC.log.  "CONFIGURE PORT" writes its
# configuration and env for PORT (the caller's locals are in scope),
# "LAUNCH DIR" starts it and waits until it serves.  With PORT empty a free
# port is drawn for each try, and when the server could not bind it
# (another process took it between the draw and the bind) the log is kept
# as SVC.log.N, "RESET DIR" clears what the failed start left, and the
# next port is tried: three tries in all.  A given PORT is tried once.
svc_launch_tries() {
    local svc=$1 dir=$2 port=$3 configure=$4 launch=$5 reset=${6:-} auto=0 try
    [[ -z $port ]] && auto=1
    for ((try = 1; try <= 3; try++)); do
        if ((auto)); then
            port=$(svc_free_port) || return 1
        fi
        "$configure" "$port" || return 1
        "$launch" "$dir" && return 0
        ((auto)) && svc_bind_failed "$dir/$svc.log" || return 1
        svc_err "$svc" "port $port was taken meanwhile: trying another one"
        mv -f -- "$dir/$svc.log" "$dir/$svc.log.$try"
        if [[ -n $reset ]]; then
            "$reset" "$dir" || return 1
        fi
    done
    return 1
}

# ---- ports

# svc_port_open [HOST] PORT: something accepts connections there.
svc_port_open() {
    local host=127.0.0.1 port
    if (($# > 1)); then
        host=$1
        shift
    fi
    port=$1
    (exec 9<>"/dev/tcp/$host/$port") 2>/dev/null
}

# svc_free_port: print a TCP port that is free on 127.0.0.1 now and has not
# been handed out before in this run. The kernel picks it (bind to port 0);
# never a fixed port.
svc_free_port() {
    local port i used=${IOTPIPE_RUN_DIR:-/nonexistent}/ports
    for ((i = 0; i < 50; i++)); do
        port=
        if command -v perl >/dev/null 2>&1; then
            port=$(perl -MIO::Socket::INET -e \
                '$s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "tcp") or exit 1; print $s->sockport, "\n"' \
                2>/dev/null) || port=
        fi
        if [[ -z $port ]]; then
            port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        fi
        svc_port_open "$port" && continue
        if [[ -f $used ]] && grep -qx -- "$port" "$used"; then
            continue
        fi
        [[ -d ${used%/*} ]] && printf '%s\n' "$port" >>"$used"
        printf '%s\n' "$port"
        return 0
    done
    svc_err services "no free TCP port found on 127.0.0.1"
    return 1
}

# ---- tools

# svc_need SERVICE COMMAND PACKAGE: COMMAND is installed, or say which
# Debian package brings it.
svc_need() {
    command -v "$2" >/dev/null 2>&1 && return 0
    svc_err "$1" "$2 not found: install the Debian package $3 (as root: make deps)"
    return 1
}

# svc_java SERVICE: set SVC_JAVA to a java binary of version 17 or later.
svc_java() {
    local service=$1 java ver major
    java=${IOTPIPE_JAVA:-}
    if [[ -z $java && -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
        java=$JAVA_HOME/bin/java
    fi
    if [[ -z $java ]]; then
        java=$(command -v java 2>/dev/null) || java=
    fi
    if [[ -z $java || ! -x $java ]]; then
        svc_err "$service" "java not found${java:+ at $java}: install a JDK >= 17 (Debian: default-jdk-headless; as root: make deps) or set IOTPIPE_JAVA"
        return 1
    fi
    ver=$("$java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
    major=${ver%%.*}
    if [[ ! $major =~ ^[0-9]+$ ]] || ((major < 17)); then
        svc_err "$service" "$java: Java ${ver:-of unknown version} found, 17 or later needed"
        return 1
    fi
    # shellcheck disable=SC2034
    SVC_JAVA=$(readlink -f -- "$java")
}

# svc_lock FILE: take an exclusive lock (up to 30 min: a first download may
# be slow) on FILE; sets SVC_LOCK_FD. svc_unlock releases it.
svc_lock() {
    local fd
    exec {fd}>"$1" || return 1
    if ! flock -w 1800 "$fd"; then
        exec {fd}>&-
        return 1
    fi
    SVC_LOCK_FD=$fd
}

svc_unlock() {
    if [[ -n ${SVC_LOCK_FD:-} ]]; then
        exec {SVC_LOCK_FD}>&-
        SVC_LOCK_FD=
    fi
}

# svc_maven SERVICE DIR LOG GOAL ARGS...: run mvn in DIR (which holds a
# pom.xml), bounded by IOTPIPE_MVN_TIMEOUT, with the local repository under
# the cache.
svc_maven() {
    local service=$1 dir=$2 log=$3 extra=()
    shift 3
    svc_need "$service" mvn maven || return 1
    if [[ -n ${IOTPIPE_MVN_ARGS:-} ]]; then
        read -r -a extra <<<"$IOTPIPE_MVN_ARGS"
    fi
    # one Maven at a time: they share the local repository, and Maven 3.8
    # does not lock it
    mkdir -p -- "$IOTPIPE_CACHE"
    (
        cd -- "$dir" &&
            flock -w 1800 "$IOTPIPE_CACHE/.maven.lock" \
                timeout "${IOTPIPE_MVN_TIMEOUT:-900}" mvn -B -ntp -Dstyle.color=never \
                "-Dmaven.repo.local=${IOTPIPE_M2:-$IOTPIPE_CACHE/m2}" \
                ${extra[@]+"${extra[@]}"} "$@"
    ) </dev/null >>"$log" 2>&1
    local rc=$?
    printf '\n' >>"$log"
    return "$rc"
}

# svc_pom ARTIFACT: the pom.xml of a project ARTIFACT that only depends
# on what stdin lists (<dependency> elements), for svc_classpath.
svc_pom() {
    cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.iotpipe.tests</groupId>
  <artifactId>$1</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
EOF
    cat
    printf '  </dependencies>\n</project>\n'
}

# svc_classpath SERVICE KEY POM: make sure the jars that POM (a pom.xml
# text) depends on are in the cache; set SVC_CLASSPATH to them. The first
# call downloads from Maven Central; later calls read a cached list.
svc_classpath() {
    local service=$1 key=$2 pom=$3 dir cp jar ok=1 log t0 jars=()
    dir=$IOTPIPE_CACHE/$key
    mkdir -p -- "$dir" || {
        svc_err "$service" "cannot create $dir"
        return 1
    }
    svc_lock "$dir/.lock" || {
        svc_err "$service" "$dir/.lock: cannot take the download lock"
        return 1
    }
    if [[ -s $dir/classpath && -f $dir/pom.xml ]] && [[ $(<"$dir/pom.xml") == "$pom" ]]; then
        cp=$(<"$dir/classpath")
        IFS=: read -r -a jars <<<"$cp"
        for jar in "${jars[@]}"; do
            [[ -f $jar ]] || ok=
        done
        if [[ -n $ok ]]; then
            SVC_CLASSPATH=$cp
            svc_unlock
            return 0
        fi
    fi
    printf '%s\n' "$pom" >"$dir/pom.xml"
    log=$dir/maven.log
    : >"$log"
    t0=$(svc_now)
    svc_err "$service" "downloading from Maven Central into $dir (first run only)"
    rm -f -- "$dir/classpath" "$dir/classpath.tmp"
    if ! svc_maven "$service" "$dir" "$log" dependency:build-classpath \
        "-Dmdep.outputFile=$dir/classpath.tmp" || [[ ! -s $dir/classpath.tmp ]]; then
        svc_unlock
        svc_fail "$service" "$log" "downloading from Maven Central failed"
        return 1
    fi
    mv -f -- "$dir/classpath.tmp" "$dir/classpath"
    printf 'download %s s\n' "$(svc_elapsed "$t0")" >>"$log"
    # shellcheck disable=SC2034
    SVC_CLASSPATH=$(<"$dir/classpath")
    svc_unlock
}

# svc_classpath_args FILE: write `-cp "$SVC_CLASSPATH"` to FILE, a java
# @argfile, so that `ps` shows a short command line.  The temporary file
# is this shell's own: runs that share the cache write FILE at once.
svc_classpath_args() {
    printf -- '-cp "%s"\n' "$SVC_CLASSPATH" >"$1.$BASHPID.tmp" &&
        mv -f -- "$1.$BASHPID.tmp" "$1"
}

# ---- TLS: one private CA per run, certificates for servers and clients

# svc_tls_ca SERVICE: create the run's CA once; sets SVC_CA_CRT, SVC_CA_KEY.
svc_tls_ca() {
    local service=$1 dir
    svc_need "$service" openssl openssl || return 1
    dir=$IOTPIPE_RUN_DIR/ca
    SVC_CA_CRT=$dir/ca.crt
    SVC_CA_KEY=$dir/ca.key
    mkdir -p -- "$dir" && chmod 700 -- "$dir"
    svc_lock "$dir/.lock" || return 1
    if [[ ! -s $SVC_CA_CRT ]]; then
        if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -days 30 -subj "/CN=iotpipe test CA" -keyout "$SVC_CA_KEY" \
            -out "$SVC_CA_CRT.tmp" >"$dir/openssl.log" 2>&1; then
            svc_unlock
            svc_fail "$service" "$dir/openssl.log" "cannot create the test CA"
            return 1
        fi
        mv -f -- "$SVC_CA_CRT.tmp" "$SVC_CA_CRT"
    fi
    svc_unlock
}

# svc_tls_cert SERVICE DIR NAME CN server|client: issue DIR/NAME.crt and
# DIR/NAME.key (PKCS#8, unencrypted) from the run's CA. Server certificates
# name localhost and 127.0.0.1.
svc_tls_cert() {
    local service=$1 dir=$2 name=$3 cn=$4 kind=$5 ext
    svc_tls_ca "$service" || return 1
    if [[ $kind == server ]]; then
        ext=$'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
    else
        ext=$'extendedKeyUsage=clientAuth\n'
    fi
    printf '%s' "$ext" >"$dir/$name.ext"
    if ! {
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$cn" \
            -keyout "$dir/$name.key" -out "$dir/$name.csr" &&
            openssl x509 -req -in "$dir/$name.csr" -CA "$SVC_CA_CRT" -CAkey "$SVC_CA_KEY" \
                -CAcreateserial -CAserial "$dir/$name.srl" -days 30 \
                -extfile "$dir/$name.ext" -out "$dir/$name.crt"
    } >"$dir/openssl.log" 2>&1; then
        svc_fail "$service" "$dir/openssl.log" "cannot issue a certificate for $cn"
        return 1
    fi
    rm -f -- "$dir/$name.csr" "$dir/$name.ext" "$dir/$name.srl"
    chmod 600 "$dir/$name.key"
}

# svc_secret: print a random password for a throwaway test account.
svc_secret() {
    od -An -N12 -tx1 /dev/urandom | tr -d ' \n'
    printf '\n'
}

# ---- cleanup

# svc_cleanup [STATUS]: stop every process this run started (newest first;
# also those of run directories nested in it), then remove the run
# directory, unless IOTPIPE_KEEP_LOGS=1, STATUS is not 0, or a failure was
# recorded; then say where the logs are.
svc_cleanup() {
    local status=${1:-0} pid service name lines=() i f
    [[ -n ${IOTPIPE_RUN_DIR:-} && -d $IOTPIPE_RUN_DIR ]] || return 0
    for f in "$IOTPIPE_RUN_DIR"/*/pids "$IOTPIPE_RUN_DIR/pids"; do
        [[ -f $f ]] || continue
        mapfile -t lines <"$f"
        for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
            read -r pid service name <<<"${lines[i]}"
            if ! svc_stop_pid "${service:-services}" "$pid" 30; then
                svc_err "${service:-services}" "${name:-?}: pid $pid could not be stopped"
                status=1
            fi
        done
    done
    if [[ ${IOTPIPE_KEEP_LOGS:-0} == 1 || $status != 0 || -f $IOTPIPE_RUN_DIR/failed ]]; then
        svc_err services "logs kept in $IOTPIPE_RUN_DIR"
    else
        rm -rf -- "$IOTPIPE_RUN_DIR"
    fi
    return 0
}

# svc_trap: for scripts that source the services: clean up on exit and on
# INT/TERM, keeping the logs when the script fails.
svc_trap() {
    trap 'svc_cleanup $?' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# ---- instances: the life cycle the service scripts share
#
# A service SVC runs as instances, each named (--name) and living in its
# own directory (svc_instance_dir) with DIR/env (its PREFIX_SVC_*
# variables), DIR/pid and DIR/SVC.log; several instances of one service
# run side by side. The script declares itself with svc_define and
# provides _SVC_launch DIR (start the server of DIR, whose env is written,
# and wait until it serves) and, when a start needs downloads, SVC_fetch;
# the functions below do the rest.

# svc_define SVC PREFIX DEFAULT GRACE TIMEOUT: SVC's variables are
# PREFIX_SVC_*, its instance is DEFAULT when none is named, a stop waits
# GRACE seconds before SIGKILL, a start TIMEOUT seconds at most
# (IOTPIPE_START_TIMEOUT overrides it).
# shellcheck disable=SC2034 # the SVC_ variables are the callers'
svc_define() {
    SVC_PREFIX[$1]=$2 SVC_DEFAULT[$1]=$3 SVC_GRACE[$1]=$4 SVC_TIMEOUT[$1]=$5
}

# svc_use SVC [NAME]: export the variables of instance NAME, dropping those
# of the instance used before.
svc_use() {
    local svc=$1 v
    svc_init || return 1
    for v in $(compgen -v "${SVC_PREFIX[$svc]}_SVC_"); do
        unset "$v"
    done
    svc_env_load "$svc" "$(svc_instance_dir "$svc" "${2:-${SVC_DEFAULT[$svc]}}")"
}

# svc_external SVC NAME KEY=VALUE...: make instance NAME stand for a server
# that runs elsewhere (the IOTPIPE_TEST_* variables): its env holds these
# variables (KEY without the prefix), NAME, DIR and EXTERNAL=1; use it.
svc_external() {
    local svc=$1 name=$2 p=${SVC_PREFIX[$1]}_SVC_ dir kv vars=()
    shift 2
    dir=$(svc_instance_dir "$svc" "$name")
    for kv in "$@"; do
        vars+=("$p$kv")
    done
    mkdir -p -- "$dir" &&
        svc_env_write "$dir" "${p}NAME=$name" ${vars[@]+"${vars[@]}"} "${p}DIR=$dir" "${p}EXTERNAL=1" &&
        svc_use "$svc" "$name"
}

# svc_env_set DIR KEY VALUE: set one variable of DIR/env.
svc_env_set() {
    {
        grep -v -- "^$2=" "$1/env"
        printf '%s=%q\n' "$2" "$3"
    } >"$1/env.tmp" && mv -f -- "$1/env.tmp" "$1/env"
}

# svc_log_start LOG: mark a start in LOG; sets SVC_T0 (now) and SVC_FROM,
# the lines LOG had before, for a readiness probe that reads only the
# lines of this start.
# shellcheck disable=SC2034 # the SVC_ variables are the callers'
svc_log_start() {
    printf -- '--- start %s\n' "$(date '+%Y-%m-%dT%H:%M:%S')" >>"$1"
    SVC_FROM=$(wc -l <"$1")
    SVC_T0=$(svc_now)
}

# svc_launched SVC DIR: after a start of DIR that succeeded: say in its
# log how long it took (since svc_log_start) and record SVC_PID in its env.
svc_launched() {
    printf 'ready after %s s\n' "$(svc_elapsed "$SVC_T0")" >>"$2/$1.log"
    svc_env_set "$2" "${SVC_PREFIX[$1]}_SVC_PID" "$SVC_PID"
}

# svc_stop SVC [NAME]: stop a local instance (SIGTERM, SIGKILL after its
# grace time); nothing to do when it is not running; 3 for an external one.
svc_stop() {
    svc_stop_local "$1" "${2:-${SVC_DEFAULT[$1]}}" "${SVC_PREFIX[$1]}" "${SVC_GRACE[$1]}"
}

# svc_restart SVC [NAME]: stop a local instance and start it again, same
# ports and data; use it.
svc_restart() {
    local svc=$1 name=${2:-${SVC_DEFAULT[$1]}} dir
    dir=$(svc_local_dir "$svc" "$name" "${SVC_PREFIX[$svc]}") || return
    svc_stop "$svc" "$name" || return 1
    if declare -F "${svc}_fetch" >/dev/null; then
        "${svc}_fetch" || return 1
    fi
    "_${svc}_launch" "$dir" || return 1
    svc_use "$svc" "$name"
}

# ---- cluster members: the processes of one clustered instance, each in a
# directory of its own holding its pid and its SERVICE.log. DIRFN NAME ID
# prints the directory of member ID of instance NAME.

# svc_members_alive DIRFN NAME FIRST LAST: a member FIRST..LAST runs.
svc_members_alive() {
    local id m
    for ((id = $3; id <= $4; id++)); do
        m=$("$1" "$2" "$id")
        [[ -f $m/pid ]] && svc_alive "$(<"$m/pid")" && return 0
    done
    return 1
}

# svc_members_stop SVC DIRFN NAME FIRST LAST: SIGTERM each member, LAST
# first (SIGKILL after SVC's grace).
svc_members_stop() {
    local id m rc=0
    for ((id = $5; id >= $4; id--)); do
        m=$("$2" "$3" "$id")
        if [[ -f $m/pid ]]; then
            svc_stop_pid "$1" "$(<"$m/pid")" "${SVC_GRACE[$1]}" || rc=1
            rm -f -- "$m/pid"
        fi
    done
    return "$rc"
}

# svc_member_kill SVC DIR: SIGKILL the member in DIR (its process group),
# wait until it is gone, and say so in its log.
svc_member_kill() {
    local m=$2 pid i
    [[ -f $m/pid ]] || return 0
    pid=$(<"$m/pid")
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        svc_group_alive "$pid" || svc_alive "$pid" || break
        sleep 0.1
    done
    svc_exit_status "$pid" "$m/$1.log" >/dev/null || true
    svc_unregister "$pid"
    rm -f -- "$m/pid"
    printf -- '--- killed (SIGKILL) %s\n' "$(date '+%Y-%m-%dT%H:%M:%S')" >>"$m/$1.log"
}

# ---- command mode shared by the service scripts

# svc_command_dir: for `tests/services/X.sh start ...` from a shell: one
# stable run directory per user, so that a later `stop` finds the server.
svc_command_dir() {
    if [[ -z ${IOTPIPE_RUN_DIR:-} ]]; then
        IOTPIPE_RUN_DIR=${TMPDIR:-/tmp}/iotpipe-services.$(id -u)
    fi
    svc_init
}

# svc_command_clean: stop every server started from the command line and
# remove their directory.
svc_command_clean() {
    svc_command_dir || return 1
    rm -f -- "$IOTPIPE_RUN_DIR/failed"
    IOTPIPE_KEEP_LOGS=0 svc_cleanup 0
}

# svc_main SERVICE ARGS...: the command line of tests/services/
# SERVICE.sh.  The script defines _SERVICE_usage, SERVICE_start,
# SERVICE_restart, SERVICE_stop and _SERVICE_address (what start and
# restart print); where it has them, SERVICE_fetch (`fetch`: download what
# the server needs) and SERVICE_cmd_X for a command X of its own.  env,
# status and log take the default instance (svc_define) when given none.
svc_main() {
    local svc=$1 default=${SVC_DEFAULT[$1]} cmd=${2:-} dir
    shift
    (($#)) && shift
    case $cmd in
    -h | --help | help)
        "_${svc}_usage"
        return 0
        ;;
    start | stop | restart | env | status | log | clean) ;;
    *)
        if [[ $cmd == fetch ]] && declare -F "${svc}_fetch" >/dev/null; then
            "${svc}_fetch"
            return
        fi
        if [[ -z $cmd || $cmd == *[!a-z]* ]] ||
            ! declare -F "${svc}_cmd_$cmd" >/dev/null; then
            "_${svc}_usage" >&2
            return 2
        fi
        ;;
    esac
    svc_command_dir || return 1
    dir=$(svc_instance_dir "$svc" "${1:-$default}")
    case $cmd in
    start | restart)
        "${svc}_$cmd" "$@" || return
        "_${svc}_address"
        ;;
    stop) "${svc}_stop" "$@" ;;
    env) cat -- "$dir/env" ;;
    status)
        if [[ -f $dir/pid ]] && svc_alive "$(<"$dir/pid")"; then
            printf 'running (pid %s)\n' "$(<"$dir/pid")"
        else
            printf 'stopped\n'
            return 1
        fi
        ;;
    log) printf '%s\n' "$dir/$svc.log" ;;
    clean) svc_command_clean ;;
    *) "${svc}_cmd_$cmd" "$@" ;;
    esac
}
