# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# What an OpenSearch node and an Elasticsearch node share in the tests: the start (or an external server), the wait for a yellow cluster, stop, restart, the command line.
#
# Sourced by tests/services/opensearch.sh and elasticsearch.sh, which
# differ only in how a node is fetched, laid out and launched. An engine
# SVC (variables PREFIX_SVC_*) calls search_define and defines:
#   SVC_fetch                   java and the node's files, downloaded once
#   _SVC_make DIR               lay out the instance directory DIR (empty)
#   _SVC_configure DIR PORT     write its configuration for HTTP port PORT
#   _SVC_spawn DIR NAME HEAP LOG   svc_spawn the node (HTTP port in DIR/env)
#   _SVC_reset DIR              optional: clear what a failed start left
# and its public functions are one line each: SVC_start calls
# search_start SVC, SVC_stop svc_stop SVC, and so on.
#
# Every instance exports PREFIX_SVC_ NAME VERSION URL PORT DIR LOG PID
# EXTERNAL HEAP. IOTPIPE_TEST_<SVC>=URL (IOTPIPE_TEST_OPENSEARCH,
# IOTPIPE_TEST_ELASTICSEARCH) uses that server instead: stop and restart
# then do nothing and return 3.

# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n ${_IOTPIPE_SVC_SEARCH:-} ]] && return 0
_IOTPIPE_SVC_SEARCH=1

declare -gA SEARCH_VERSION=()

# search_define SVC PREFIX VERSION TIMEOUT: an engine whose instances
# report VERSION and may take TIMEOUT seconds to start.
search_define() {
    svc_define "$1" "$2" default 60 "$4"
    SEARCH_VERSION[$1]=$3
}

# search_start SVC [--name NAME] [--port PORT] [--heap SIZE]: one node on
# http://127.0.0.1:PORT (a free port when none is given), 1 GiB heap by
# default, plain HTTP without authentication; use it.
search_start() {
    local svc=$1 name port heap dir external
    shift
    svc_start_args "$svc" 1g "$@" || return
    name=$SVC_NAME port=$SVC_PORT heap=$SVC_HEAP dir=$SVC_DIR

    external=IOTPIPE_TEST_${svc^^}
    if [[ -n ${!external:-} ]]; then
        svc_external "$svc" "$name" URL="${!external%/}"
        return
    fi

    svc_need "$svc" curl curl || return 1
    "${svc}_fetch" || return 1
    svc_not_running "$svc" "$name" "$dir" || return 1
    rm -rf -- "$dir"
    mkdir -p -- "$dir/tmp" && chmod 700 -- "$dir" || return 1
    "_${svc}_make" "$dir" || return 1

    local reset=''
    declare -F "_${svc}_reset" >/dev/null && reset=_${svc}_reset
    svc_launch_tries "$svc" "$dir" "$port" _search_configure "_${svc}_launch" "$reset" ||
        return 1
    svc_use "$svc" "$name"
}

# _search_configure PORT: for svc_launch_tries, in search_start (whose
# locals it reads).
_search_configure() {
    local p=${SVC_PREFIX[$svc]}_SVC_
    "_${svc}_configure" "$dir" "$1" &&
        svc_env_write "$dir" "${p}NAME=$name" "${p}VERSION=${SEARCH_VERSION[$svc]}" \
            "${p}URL=http://127.0.0.1:$1" "${p}PORT=$1" "${p}DIR=$dir" \
            "${p}LOG=$dir/$svc.log" "${p}EXTERNAL=0" "${p}HEAP=$heap"
}

# search_launch SVC DIR: start the node of DIR (configured) and wait until
# its cluster is yellow.
search_launch() {
    local svc=$1 dir=$2 p=${SVC_PREFIX[$1]}_SVC_ name heap port log
    name=$(svc_env_get "$dir" "${p}NAME")
    heap=$(svc_env_get "$dir" "${p}HEAP")
    port=$(svc_env_get "$dir" "${p}PORT")
    log=$dir/$svc.log
    svc_log_start "$log"
    "_${svc}_spawn" "$dir" "$name" "$heap" "$log" || return 1
    SVC_PID=$(<"$dir/pid")
    svc_wait "$svc" "$SVC_PID" "$log" "${SVC_TIMEOUT[$svc]}" \
        svc_http_ok "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=1s" ||
        return 1
    svc_launched "$svc" "$dir"
}

# search_usage SVC: the usage of SVC.sh as a command.
search_usage() {
    cat <<EOF
usage: $1.sh start [--name NAME] [--port PORT] [--heap SIZE]
       $1.sh env|stop|restart|status|log [NAME]
       $1.sh fetch | clean
EOF
}

# search_address SVC: what `SVC.sh start` prints: the URL.
search_address() {
    local url=${SVC_PREFIX[$1]}_SVC_URL
    printf '%s\n' "${!url}"
}
