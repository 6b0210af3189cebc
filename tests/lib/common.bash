# Shared bats helpers: load with `load ../lib/common` from tests/*/NAME.bats.
# shellcheck shell=bash

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# Root of the source tree and of the build (make passes IOTPIPE_BUILD).
IOTPIPE_SRC="$(cd "$(dirname "${BATS_TEST_FILENAME}")/../.." && pwd)"
IOTPIPE_BUILD="${IOTPIPE_BUILD:-$IOTPIPE_SRC/build}"
IOTPIPE_DATA="$IOTPIPE_SRC/tests/data"
export IOTPIPE_SRC IOTPIPE_BUILD IOTPIPE_DATA
PATH="$IOTPIPE_BUILD:$PATH"
export PATH

# The value of "key" in the last JSON stats line on stderr-file $1.
stats_field() {
    grep '^{"tool"' "$1" | tail -n 1 | jq -r ".$2"
}

# note TEXT: a TAP comment with a measured figure.
note() {
    printf '# %s\n' "$*" >&3
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds (0) or
# SECONDS have passed (1).
wait_for() {
    local deadline=$((SECONDS + $1 + 1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# In teardown_file: delete the topics of this file's run (named *-$TID)
# from the test broker, if one was started.
delete_test_topics() {
    [[ -n ${IOTPIPE_TEST_KAFKA:-} ]] || return 0
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$IOTPIPE_TEST_KAFKA" \
        --delete --if-exists --topic ".*-$TID" >/dev/null 2>&1 || true
}

# For integration tests that start servers in setup_file, in the
# background, and check them in each test:
#   started KEY CMD...    run CMD, keeping its output and status under KEY
#   need KEY USE-FUNC [INSTANCE]
#                         KEY started: load its variables with USE-FUNC
#                         INSTANCE (default); else fail with what it said
#   services_init         in setup_file: a fresh run directory, exported
#   services_teardown     in teardown: a failed test keeps the run's logs
#   services_cleanup LABEL
#                         in teardown_file: stop every server of the run;
#                         say where its logs are when they are kept
services_init() {
    unset IOTPIPE_RUN_DIR
    svc_init
    export IOTPIPE_RUN_DIR
}

services_teardown() {
    [[ -n ${BATS_TEST_COMPLETED:-} ]] || svc_mark_failed
}

services_cleanup() {
    local kept=
    if [[ ${IOTPIPE_KEEP_LOGS:-0} == 1 || -f $IOTPIPE_RUN_DIR/failed ]]; then
        kept=1
    fi
    svc_cleanup 0
    if [[ -n $kept ]]; then
        printf '# %s: logs kept in %s\n' "$1" "$IOTPIPE_RUN_DIR" >&3
    fi
}

started() {
    local out=$IOTPIPE_RUN_DIR/start-$1.out rc=0
    "${@:2}" >"$out" 2>&1 || rc=$?
    printf '%s\n' "$rc" >"$IOTPIPE_RUN_DIR/start-$1.rc"
}

need() {
    local rc
    rc=$(cat "$IOTPIPE_RUN_DIR/start-$1.rc" 2>/dev/null) || rc=missing
    if [[ $rc != 0 ]]; then
        cat "$IOTPIPE_RUN_DIR/start-$1.out" 2>/dev/null
        fail "$1 did not start (status $rc)"
    fi
    "$2" "${3:-default}"
}
