#!/usr/bin/env bash
# Build libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and run
# each for FUZZ_SECONDS (default 60) on a corpus seeded from the test data.
#   tests/fuzz/run.sh [target ...]      default: every tests/fuzz/fuzz_*.c
# Prints, per target, the executions and the crashes; exits 1 on any crash.
set -euo pipefail

cd "$(dirname "$0")/../.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_OUT=${FUZZ_OUT:-build-fuzz}
CLANG=${CLANG:-clang}
MAX_LEN=4096

if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "run.sh: $CLANG not found (make deps installs clang)" >&2
    exit 2
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for f in tests/fuzz/fuzz_*.c; do
        t=${f##*/}
        targets+=("${t%.c}")
    done
fi

CPPFLAGS=(-I. -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
    "-DIOTPIPE_VERSION=\"fuzz\"")
SAN=("-fsanitize=address,undefined" -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
CFLAGS=(-std=c11 -g -O1 -Wall -Wextra)

# Library code the targets link: common/ and vnorm's pure parts, compiled
# once with coverage instrumentation into an archive (the linker takes
# only the objects a target needs, so common/ modules for MQTT, Kafka or
# HTTP pull in no library).
mkdir -p "$FUZZ_OUT/obj"
read -r -a pkgcflags <<<"$(pkg-config --cflags libmosquitto jansson \
    libcurl rdkafka 2>/dev/null || true)"
objs=()
for src in common/*.c cmd/vnorm/normalize.c cmd/vnorm/merge.c \
    cmd/kprod/record.c cmd/kcons/format.c cmd/kcons/offspec.c \
    cmd/esbulk/bulk.c cmd/esbulk/server.c; do
    obj="$FUZZ_OUT/obj/${src//\//_}"
    obj=${obj%.c}.o
    "$CLANG" "${CPPFLAGS[@]}" "${CFLAGS[@]}" "${pkgcflags[@]}" \
        -fsanitize=fuzzer-no-link "${SAN[@]}" -c -o "$obj" "$src"
    objs+=("$obj")
done
rm -f "$FUZZ_OUT/libfuzz.a"
ar rcs "$FUZZ_OUT/libfuzz.a" "${objs[@]}"

# Seeds: every line of the sample data and of the unit-test fixtures, and
# runs of a few lines for the targets that read several records.
seed_corpus() {
    local dir=$1 f
    mkdir -p "$dir"
    for f in tests/data/*.ndjson tests/unit/data/*; do
        [[ -f $f ]] || continue
        split -l 1 -a 5 "$f" "$dir/line-${f//\//_}-"
        split -l 6 -a 5 "$f" "$dir/lines-${f//\//_}-"
    done
    # whole small fixtures, and a few hand-made shapes
    for f in tests/unit/data/*; do
        [[ -f $f && $(wc -c <"$f") -le $MAX_LEN ]] && cp "$f" "$dir/"
    done
    printf '%s' '{"a":1}' >"$dir/hand-1"
    printf '{"a":1}\r\n\n  \n{"b":2}' >"$dir/hand-2"
    printf '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]' \
        >"$dir/hand-3"
}

crashes_total=0
summary=()
for t in "${targets[@]}"; do
    src=tests/fuzz/$t.c
    if [[ ! -f $src ]]; then
        echo "run.sh: no such target: $t" >&2
        exit 2
    fi
    bin=$FUZZ_OUT/$t
    "$CLANG" "${CPPFLAGS[@]}" "${CFLAGS[@]}" -fsanitize=fuzzer "${SAN[@]}" \
        -o "$bin" "$src" "$FUZZ_OUT/libfuzz.a" -lm

    corpus=$FUZZ_OUT/corpus-$t
    artifacts=$FUZZ_OUT/artifacts-$t
    seed_corpus "$corpus"
    mkdir -p "$artifacts"
    dict=()
    [[ -f tests/fuzz/json.dict ]] && dict=(-dict=tests/fuzz/json.dict)

    log=$FUZZ_OUT/$t.log
    before=$(find "$artifacts" -type f | wc -l)
    echo "== $t: ${FUZZ_SECONDS}s"
    set +e
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$FUZZ_SECONDS" -max_len="$MAX_LEN" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "${dict[@]}" "$corpus" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    after=$(find "$artifacts" -type f | wc -l)
    crashes=$((after - before))
    if [[ $rc -ne 0 && $crashes -eq 0 ]]; then
        crashes=1 # died without an artifact: count it, show the log
    fi
    if [[ $crashes -gt 0 ]]; then
        # the report without libFuzzer's progress lines, which push the
        # failed check out of a short tail; then each new input, so that
        # a CI log alone is enough to reproduce it
        grep -av '^#[0-9]' "$log" | grep -av '^INFO: ' | head -n 80 >&2
        find "$artifacts" -type f -newer "$bin" | while read -r a; do
            echo "-- $a (base64):" >&2
            base64 -w 0 "$a" >&2
            echo >&2
        done
    fi
    crashes_total=$((crashes_total + crashes))
    summary+=("$t: executions ${execs:-unknown}, crashes $crashes")
done

printf '%s\n' "${summary[@]}"
if [[ $crashes_total -gt 0 ]]; then
    echo "run.sh: $crashes_total crash(es); inputs in $FUZZ_OUT/artifacts-*/" >&2
    exit 1
fi
