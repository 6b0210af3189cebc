/* SPDX-License-Identifier: MIT */
/* Number parsing and the options every iotpipe filter shares. */
#ifndef IOTPIPE_OPT_H
#define IOTPIPE_OPT_H

#include <stdbool.h>

#include "options.h"

/*
 * strtonum-style: s must be a plain decimal number, digits only (no sign,
 * no blanks, no suffix), within [min, max].  Returns 0 and sets *out, or
 * returns -1, leaves *out alone and points *errstr (when not NULL) at a
 * static "invalid", "too small" or "too large".
 */
int parse_uint_range(const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out, const char **errstr);

/*
 * As parse_uint_range, with an optional binary suffix right after the
 * digits: k K KiB (1024), m M MiB, g G GiB.  "1MiB" is 1048576.  Overflow
 * is "too large".
 */
int parse_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **errstr);

/*
 * Decimal seconds: digits with an optional fraction ("10", "0.5", ".5",
 * "2."); no sign, exponent, blanks, "inf" or "nan", whatever the locale.
 * Fraction digits beyond the 15th significant digit are ignored.  Errors
 * as in parse_uint_range.
 */
int parse_seconds(
    const char *s, double min, double max, double *out, const char **errstr);

/* The options every filter takes; main() owns the struct. */
struct common_opts {
	const char *rejects; /* --rejects PATH; borrowed from argv */
	double stats_interval; /* --stats SECONDS; 0 = final line only */
	bool stats; /* any --stats was given */
	bool progress; /* --progress */
	unsigned long long max_line; /* --max-line BYTES */
	bool strict; /* --strict: exit 3 when records were rejected */
	int verbosity; /* -v / -q: the tool's letters update it */
};

#define COMMON_MAX_LINE_DEFAULT 1048576ULL /* 1 MiB */
#define COMMON_MAX_LINE_MIN 16ULL
#define COMMON_MAX_LINE_MAX 1073741824ULL /* 1 GiB */
#define COMMON_STATS_MAX 31536000.0 /* a year of seconds */

/* Defaults: no rejects path, no stats, max_line 1 MiB, verbosity 0. */
void common_opts_init(struct common_opts *o);

/* Ids of the shared long-only options. */
enum {
	OPT_REJECTS = 0x1000,
	OPT_STATS,
	OPT_PROGRESS,
	OPT_MAX_LINE,
	OPT_STRICT,
	OPT_COMMON_END
};

/* The rows of the shared options, for a program's table (OPT_SET). */
extern const struct opt_row common_opt_rows[];

/*
 * Take the option opt_next() returned when it is a shared one: stored in
 * o, true; false when it is not one of common_opt_rows.  A bad value is
 * a usage error ("--max-line: invalid size 'x'"), so this does not return
 * then.  The same convention as every *_opt_take().
 */
bool common_opt_take(const struct opt_parser *p, struct common_opts *o);

/* ---- legacy: goes when every program uses options.h ---- */
/*
 * struct option initialisers for the shared options, for the tool's own
 * table (no trailing comma):
 *
 *	static const struct option longopts[] = {
 *		{"help", no_argument, NULL, 'h'},
 *		COMMON_LONGOPTS,
 *		{NULL, 0, NULL, 0},
 *	};
 *
 * --help, --version, --verbose and --quiet stay with the tool, whose
 * letters differ.  Tool-specific long-only options start at
 * OPT_COMMON_END.
 */
/* clang-format off */
#define COMMON_LONGOPTS \
	{"rejects", required_argument, NULL, OPT_REJECTS}, \
	{"stats", required_argument, NULL, OPT_STATS}, \
	{"progress", no_argument, NULL, OPT_PROGRESS}, \
	{"max-line", required_argument, NULL, OPT_MAX_LINE}, \
	{"strict", no_argument, NULL, OPT_STRICT}
/* clang-format on */

/*
 * Handle getopt_long's result c with its optarg arg.  Returns 1 when c
 * is a shared option (stored in o), 0 when it is not.  A bad value is a
 * usage_error() naming the option ("--max-line: invalid size 'x'"), so
 * this does not return then.
 */
int common_opt_handle(struct common_opts *o, int c, const char *arg);

/*
 * The options whose letters differ from tool to tool but whose meaning
 * does not.  opt_help() prints text (the usage) on stdout and exits 0, or 1
 * when stdout fails; opt_version() prints "prog VERSION (iotpipe)" and
 * extra when not NULL, likewise.  opt_verbose() adds n levels (-v 1, -d 2;
 * after -q it starts from 0), opt_quiet() sets -1.  opt_bad() is the
 * usage_error() for getopt_long's ':' (a missing argument) and '?'.
 */
_Noreturn void opt_help(const char *text);
_Noreturn void opt_version(const char *prog, const char *extra);
void opt_verbose(struct common_opts *o, int n);
void opt_quiet(struct common_opts *o);
_Noreturn void opt_bad(int c, char *const *argv);

#endif
