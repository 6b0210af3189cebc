# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# tests/bench/lib.sh: what the benchmark scripts share, sourced by each:
# a series of timed runs kept in a file, its best and median, the load
# average seen during the runs, ratios refused when a run came up short,
# and the summary rows that tests/bench/all.sh (make bench) prints at the
# end.
#
# A series file holds one line per run: "SECONDS GOT WANT [EXTRA...]",
# the wall time, what the run delivered (documents indexed, messages
# received, lines written) and what it had to deliver. A run is short
# when GOT differs from WANT; a ratio against a series with a short run
# is not printed (a run that drops messages is not fast, it is wrong).
#
#   bench_init DIR          where the load samples go (call once)
#   bench_load_mark         sample the 1-minute load average (after a run)
#   bench_load [FILE...]    the samples taken after the runs of these
#                           series (all of them without a FILE), as
#                           "min-max" (or one value)
#   bench_record FILE SECONDS GOT WANT [EXTRA...]
#                           append a run to a series, sample the load
#                           (into FILE.load too)
#   bench_best FILE         the smallest SECONDS of a series
#   bench_median FILE       the median SECONDS (mean of the two middle
#                           runs for an even count)
#   bench_short FILE        status 0 when a run of the series is short;
#                           prints "GOT of WANT" of the first short run
#   bench_rate N SECONDS    N / SECONDS, rounded
#   bench_ratio OURS THEIRS sets r_best, r_median (THEIRS' seconds over
#                           OURS', above 1.0 when iotpipe is faster) and
#                           r_note; status 1 with r_best=r_median=- and
#                           the reason in r_note when a side is short or
#                           empty; r_load, the load during both series
#   bench_summary MEASURE IOTPIPE PEER BEST MEDIAN
#                           one row of the final table, with r_load (or
#                           every sample) (appended to $BENCH_SUMMARY
#                           when set)

bench_init() {
    bench_loads=$1/loads
    : >"$bench_loads"
}

bench_load_mark() {
    [[ -n ${bench_loads:-} && -r /proc/loadavg ]] || return 0
    cut -d' ' -f1 /proc/loadavg >>"$bench_loads"
}

bench_load() {
    local files=("$@") f
    if ((${#files[@]})); then
        for ((f = 0; f < ${#files[@]}; f++)); do
            files[f]=${files[f]}.load
        done
    else
        files=("${bench_loads:-/dev/null}")
    fi
    cat "${files[@]}" 2>/dev/null | grep -q . || {
        printf '%s' "$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"
        return 0
    }
    cat "${files[@]}" 2>/dev/null | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
        END { if (lo == hi) printf "%s", lo; else printf "%s-%s", lo, hi }'
}

bench_record() {
    local file=$1
    shift
    printf '%s\n' "$*" >>"$file"
    bench_load_mark
    [[ -r /proc/loadavg ]] && cut -d' ' -f1 /proc/loadavg >>"$file.load"
    return 0
}

bench_best() {
    sort -g "$1" | awk 'NR == 1 { print $1 }'
}

bench_median() {
    sort -g "$1" | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_short() {
    awk '$2 != $3 { printf "%s of %s", $2, $3; found = 1; exit } END { exit !found }' "$1"
}

bench_rate() {
    awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.001) s = 0.001; printf "%.0f", n / s }'
}

# shellcheck disable=SC2034 # r_best, r_median and r_note are for the caller
bench_ratio() {
    local ours=$1 theirs=$2 short
    r_best=- r_median=- r_note=
    r_load=$(bench_load "$ours" "$theirs")
    if [[ ! -s $ours || ! -s $theirs ]]; then
        r_note="no ratio: a side has no runs"
        return 1
    fi
    if short=$(bench_short "$ours"); then
        r_note="no ratio: iotpipe's side came up short ($short)"
        return 1
    fi
    if short=$(bench_short "$theirs"); then
        r_note="no ratio: the peer's side came up short ($short)"
        return 1
    fi
    r_best=$(awk -v a="$(bench_best "$ours")" -v b="$(bench_best "$theirs")" \
        'BEGIN { if (a < 0.001) a = 0.001; printf "%.2f", b / a }')
    r_median=$(awk -v a="$(bench_median "$ours")" -v b="$(bench_median "$theirs")" \
        'BEGIN { if (a < 0.001) a = 0.001; printf "%.2f", b / a }')
    r_note="$(wc -l <"$ours") and $(wc -l <"$theirs") runs"
    return 0
}

bench_summary() {
    local row
    row=$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$1" "$2" "$3" "$4" "$5" "${r_load:-$(bench_load)}")
    [[ -n ${BENCH_SUMMARY:-} ]] && printf '%s\n' "$row" >>"$BENCH_SUMMARY"
    return 0
}
