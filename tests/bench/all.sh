#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# all.sh: every benchmark of tests/bench/ in turn (make bench), then one
# summary table: measure, iotpipe, peer, best ratio, median ratio, load.
#
#   make bench                      (IOTPIPE_BUILD set by make)
#   tests/bench/all.sh [NAME...]    (NAME: vnorm kafka mqtt esbulk vsim pipeline)
#
# Each script runs with BENCH_SUMMARY set to one file where it appends its
# rows (tests/bench/lib.sh, bench_summary). A ratio is the peer's time
# over iotpipe's for the same work, above 1.0 when iotpipe is faster; "-"
# when a side came up short or was not measured (the script says why).
# A script that fails is named at the end and makes the exit status 1;
# the sizes are each script's own knobs (BENCH_LINES, BENCH_DOCS,
# BENCH_COUNT, BENCH_RUNS, ...: see the header of each).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
names=("$@")
((${#names[@]})) || names=(vnorm kafka mqtt esbulk vsim pipeline)

summary=$(mktemp "${TMPDIR:-/tmp}/iotpipe-bench-summary.XXXXXX") ||
    exit 1
trap 'rm -f "$summary"' EXIT
export BENCH_SUMMARY=$summary

failed=()
for name in "${names[@]}"; do
    [[ -x $here/$name.sh ]] || {
        printf 'all.sh: no benchmark %s (tests/bench/%s.sh)\n' "$name" "$name" >&2
        exit 2
    }
    printf '\n==== %s.sh\n' "$name"
    "$here/$name.sh" || failed+=("$name.sh")
done

printf '\n==== summary (ratio: the peer'"'"'s time over iotpipe'"'"'s, > 1.0 when iotpipe is faster)\n'
{
    printf 'measure\tiotpipe\tpeer\tbest ratio\tmedian ratio\tload\n'
    cat "$summary"
} | awk -F '\t' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
        if (NF > nf) nf = NF }
    END { for (r = 1; r <= NR; r++) { for (i = 1; i <= nf; i++)
            if (i < nf) printf "%-*s  ", w[i], c[r, i]; else print c[r, i] } }'
if ((${#failed[@]})); then
    printf 'failed: %s\n' "${failed[*]}"
    exit 1
fi
