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
