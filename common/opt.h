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
	const char *metrics_file; /* --metrics-file PATH; borrowed from argv */
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
	OPT_IO_INPUT,
	OPT_IO_FOLLOW,
	OPT_IO_OUTPUT,
	OPT_IO_REOPEN_TIMEOUT,
	OPT_METRICS_FILE,
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

/*
 * --metrics-file PATH, in every program's table (OPT_SET): the --stats
 * counters as a Prometheus textfile, rewritten atomically (stats.h,
 * stats_metrics_file()).  common_opt_take() takes it into
 * common_opts.metrics_file; a program without common_opt_rows calls
 * metrics_opt_take().
 */
extern const struct opt_row metrics_opt_rows[];

/* Take --metrics-file into *path: true; false for another option. */
bool metrics_opt_take(const struct opt_parser *p, const char **path);

/*
 * Where a program's records come from and go to, besides stdin and stdout
 * (a container opens a fifo in a shared volume), the same everywhere:
 *   --input PATH             read PATH instead of stdin
 *   --follow                 the input is a fifo: at its end (the writer
 *                            went away) open it again and wait for the next
 *   --output PATH            write to PATH instead of stdout: a fifo, or a
 *                            file appended to (made when missing)
 *   --reopen-timeout SECONDS when the reader of an --output fifo goes away,
 *                            wait this long for a new one, then exit 1
 * ndjson_open_input() and ndjson_open_output() open them.
 */
struct io_opts {
	const char *input; /* NULL: stdin (or the file operands) */
	bool follow;
	const char *output; /* NULL: stdout */
	double reopen_timeout; /* seconds */
};

#define IO_REOPEN_TIMEOUT_DEFAULT 60.0
#define IO_REOPEN_TIMEOUT_MAX 86400.0

/* NULL paths, no --follow, --reopen-timeout 60. */
void io_opts_init(struct io_opts *o);

/* The rows of --input and --follow, for a program that reads records,
 * and of --output and --reopen-timeout, for one that writes them. */
extern const struct opt_row io_input_rows[];
extern const struct opt_row io_output_rows[];

/* As common_opt_take(), for io_input_rows and io_output_rows. */
bool io_opt_take(const struct opt_parser *p, struct io_opts *o);

/*
 * After parsing, for a program reading records: --follow needs a fifo to
 * open again, the one input (*input, from --input or the only file
 * operand, NULL: stdin); a usage error otherwise.
 */
void io_check_follow(const struct io_opts *o, const char *input);

/*
 * For a program that also takes file operands (n of them): its inputs,
 * NULL-terminated: --input's path, or the operands, or "-" for stdin;
 * --input with operands is a usage error, and --follow is checked as by
 * io_check_follow().  The array is static storage or operands.
 */
char **io_inputs(const struct io_opts *o, char **operands, int n);

/*
 * --connect-timeout SECONDS, the one bound every program that talks to a
 * server puts on its first connection: a server that never answered is a
 * configuration mistake (exit 1 with the cause and the fix), not an
 * outage to ride out.  Once it has answered, the program's own retries
 * take over.
 */
#define CONNECT_TIMEOUT_DEFAULT 10.0
#define CONNECT_TIMEOUT_MAX 3600.0

enum { OPT_CONNECT_TIMEOUT = 0x1f00 };

/* The --connect-timeout row, for a program's table (OPT_SET). */
extern const struct opt_row connect_opt_rows[];

/* Take --connect-timeout into *seconds: true; false when p's option is
 * another one.  A bad value is a usage error (exit 2). */
bool connect_opt_take(const struct opt_parser *p, double *seconds);

#endif
