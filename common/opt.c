/* SPDX-License-Identifier: MIT */
/* Number parsing and the options every iotpipe filter shares. */
#include "prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opt.h"

static int
fail(const char **errstr, const char *why)
{
	if (errstr != NULL)
		*errstr = why;
	return -1;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The leading digits of s into *v, *end just past them.  -1 when they
 * overflow (*v is then meaningless).
 */
static int
scan_digits(const char *s, unsigned long long *v, const char **end)
{
	unsigned long long n = 0;
	bool overflow = false;

	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (n > (ULLONG_MAX - d) / 10)
			overflow = true;
		else
			n = n * 10 + d;
	}
	*v = n;
	*end = s;
	return overflow ? -1 : 0;
}

static int
check_range(unsigned long long v, unsigned long long min,
    unsigned long long max, unsigned long long *out, const char **errstr)
{
	if (v < min)
		return fail(errstr, "too small");
	if (v > max)
		return fail(errstr, "too large");
	*out = v;
	return 0;
}

int
parse_uint_range(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **errstr)
{
	unsigned long long v;
	const char *end;

	if (s == NULL || !is_digit(*s))
		return fail(errstr, "invalid");
	if (scan_digits(s, &v, &end) < 0)
		/* Still "invalid" when junk follows the huge number. */
		return fail(errstr, *end != '\0' ? "invalid" : "too large");
	if (*end != '\0')
		return fail(errstr, "invalid");
	return check_range(v, min, max, out, errstr);
}

int
parse_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **errstr)
{
	unsigned long long v, mult = 1;
	const char *p;
	bool overflow;

	if (s == NULL || !is_digit(*s))
		return fail(errstr, "invalid");
	overflow = scan_digits(s, &v, &p) < 0;
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		p++;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		p++;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		p++;
		break;
	default:
		return fail(errstr, "invalid");
	}
	if (mult > 1 && strcmp(p, "iB") == 0)
		p += 2;
	if (*p != '\0')
		return fail(errstr, "invalid");
	if (overflow || v > ULLONG_MAX / mult)
		return fail(errstr, "too large");
	return check_range(v * mult, min, max, out, errstr);
}

int
parse_seconds(
    const char *s, double min, double max, double *out, const char **errstr)
{
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
	    1e19, 1e20, 1e21, 1e22};
	unsigned long long mant = 0;
	int sig = 0, scale = 0, ndig = 0;
	bool big = false;
	double v;

	if (s == NULL)
		return fail(errstr, "invalid");
	/*
	 * Exact below 2^53: at most 15 significant digits, one correctly
	 * rounded division by an exact power of ten (strtod's fast path).
	 */
	for (; is_digit(*s); s++, ndig++) {
		if (mant == 0 && *s == '0')
			continue;
		if (sig == 15) {
			big = true;
			continue;
		}
		mant = mant * 10 + (unsigned)(*s - '0');
		sig++;
	}
	if (*s == '.') {
		for (s++; is_digit(*s); s++, ndig++) {
			if (sig == 15 || (mant == 0 && *s == '0')) {
				if (sig < 15)
					scale++;
				continue;
			}
			mant = mant * 10 + (unsigned)(*s - '0');
			sig++;
			scale++;
		}
	}
	if (ndig == 0 || *s != '\0')
		return fail(errstr, "invalid");
	if (big)
		return fail(errstr, "too large");
	v = (double)mant;
	/* Powers of ten are exact doubles up to 1e22. */
	for (; scale > 22; scale -= 22)
		v /= pow10[22];
	v /= pow10[scale];
	if (v < min)
		return fail(errstr, "too small");
	if (v > max)
		return fail(errstr, "too large");
	*out = v;
	return 0;
}

void
common_opts_init(struct common_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rejects = NULL;
	o->max_line = COMMON_MAX_LINE_DEFAULT;
}

/* clang-format off */
const struct opt_row common_opt_rows[] = {
	OPT_ARG(OPT_REJECTS, "rejects", "path", NULL,
	    "write rejected records as NDJSON to path ('-': stdout)"),
	OPT_ARG(OPT_STATS, "stats", "seconds", NULL,
	    "print a JSON stats line on stderr every seconds (0: at exit only)"),
	OPT_FLAG(OPT_PROGRESS, "progress",
	    "draw a one-line live status on stderr if it is a terminal"),
	OPT_ARG(OPT_MAX_LINE, "max-line", "bytes", "1M",
	    "reject longer lines (k, M, G suffixes)"),
	OPT_FLAG(OPT_STRICT, "strict", "exit 3 if any record was rejected"),
	OPT_END,
};

const struct opt_row metrics_opt_rows[] = {
	OPT_ARG(OPT_METRICS_FILE, "metrics-file", "path", NULL,
	    "keep the stats counters in path, a Prometheus textfile"),
	OPT_END,
};

const struct opt_row connect_opt_rows[] = {
	OPT_ARG(OPT_CONNECT_TIMEOUT, "connect-timeout", "seconds", "10",
	    "exit 1 if the server never answered within seconds"),
	OPT_END,
};
/* clang-format on */

void
io_opts_init(struct io_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->reopen_timeout = IO_REOPEN_TIMEOUT_DEFAULT;
}

/* clang-format off */
const struct opt_row io_input_rows[] = {
	OPT_ARG(OPT_IO_INPUT, "input", "path", NULL,
	    "read records from path (a file or fifo) instead of stdin"),
	OPT_FLAG(OPT_IO_FOLLOW, "follow",
	    "reopen the input fifo at end-of-file and go on reading"),
	OPT_END,
};

const struct opt_row io_output_rows[] = {
	OPT_ARG(OPT_IO_OUTPUT, "output", "path", NULL,
	    "write records to path (a fifo, or a file appended to) instead of stdout"),
	OPT_ARG(OPT_IO_REOPEN_TIMEOUT, "reopen-timeout", "seconds", "60",
	    "wait this long for a new reader of the --output fifo, then exit 1"),
	OPT_END,
};
/* clang-format on */

bool
io_opt_take(const struct opt_parser *p, struct io_opts *o)
{
	const char *errstr = "invalid";

	switch (p->row->id) {
	case OPT_IO_INPUT:
		if (*p->arg == '\0')
			opt_error(p, "empty path");
		o->input = p->arg;
		return true;
	case OPT_IO_FOLLOW:
		o->follow = true;
		return true;
	case OPT_IO_OUTPUT:
		if (*p->arg == '\0')
			opt_error(p, "empty path");
		o->output = p->arg;
		return true;
	case OPT_IO_REOPEN_TIMEOUT:
		if (parse_seconds(p->arg, 0, IO_REOPEN_TIMEOUT_MAX,
			&o->reopen_timeout, &errstr) < 0) {
			if (strcmp(errstr, "invalid") == 0)
				opt_bad_value(p, NULL, "timeout", NULL);
			opt_error(p, "timeout '%s' is %s (max %.0f)", p->arg,
			    errstr, IO_REOPEN_TIMEOUT_MAX);
		}
		return true;
	default:
		return false;
	}
}

void
io_check_follow(const struct io_opts *o, const char *input)
{
	struct stat st;

	if (!o->follow)
		return;
	if (input == NULL || strcmp(input, "-") == 0)
		usage_error("--follow needs one input to reopen: a fifo, "
			    "given with --input or as the only file operand");
	if (stat(input, &st) == 0 && !S_ISFIFO(st.st_mode))
		usage_error("--follow: %s is not a fifo", input);
}

char **
io_inputs(const struct io_opts *o, char **operands, int n)
{
	static char dash[] = "-";
	static char *one[2];

	if (o->input != NULL && n > 0)
		usage_error("--input and file operands: give one or the other");
	if (o->follow && n > 1)
		usage_error("--follow needs one input to reopen, not %d", n);
	if (o->input != NULL)
		one[0] = (char *)o->input;
	else
		one[0] = n > 0 ? operands[0] : dash;
	io_check_follow(o, one[0]);
	return n > 1 ? operands : one;
}

bool
connect_opt_take(const struct opt_parser *p, double *seconds)
{
	const char *errstr = "invalid";
	char hint[64];

	if (p->row->id != OPT_CONNECT_TIMEOUT)
		return false;
	if (parse_seconds(
		p->arg, 0.001, CONNECT_TIMEOUT_MAX, seconds, &errstr) < 0) {
		if (strcmp(errstr, "invalid") == 0)
			opt_bad_value(p, NULL, "duration", NULL);
		(void)snprintf(
		    hint, sizeof(hint), "0.001 to %.0f", CONNECT_TIMEOUT_MAX);
		opt_error(p, "duration '%s' is %s (%s)", p->arg, errstr, hint);
	}
	return true;
}

bool
metrics_opt_take(const struct opt_parser *p, const char **path)
{
	if (p->row->id != OPT_METRICS_FILE)
		return false;
	if (*p->arg == '\0')
		opt_error(p, "empty path");
	*path = p->arg;
	return true;
}

bool
common_opt_take(const struct opt_parser *p, struct common_opts *o)
{
	const char *errstr = "invalid";
	char hint[64];

	switch (p->row->id) {
	case OPT_REJECTS:
		if (*p->arg == '\0')
			opt_error(p, "empty path");
		o->rejects = p->arg;
		return true;
	case OPT_STATS:
		if (parse_seconds(p->arg, 0, COMMON_STATS_MAX,
			&o->stats_interval, &errstr) < 0) {
			if (strcmp(errstr, "invalid") == 0)
				opt_bad_value(p, NULL, "interval", NULL);
			(void)snprintf(
			    hint, sizeof(hint), "max %.0f", COMMON_STATS_MAX);
			opt_error(p, "interval '%s' is %s (%s)", p->arg, errstr,
			    hint);
		}
		o->stats = true;
		return true;
	case OPT_PROGRESS:
		o->progress = true;
		return true;
	case OPT_MAX_LINE:
		if (parse_size(p->arg, COMMON_MAX_LINE_MIN, COMMON_MAX_LINE_MAX,
			&o->max_line, &errstr) < 0) {
			if (strcmp(errstr, "invalid") == 0)
				opt_bad_value(p, NULL, "size", NULL);
			opt_error(p, "size '%s' is %s (%llu to %llu bytes)",
			    p->arg, errstr, COMMON_MAX_LINE_MIN,
			    COMMON_MAX_LINE_MAX);
		}
		return true;
	case OPT_STRICT:
		o->strict = true;
		return true;
	case OPT_METRICS_FILE:
		return metrics_opt_take(p, &o->metrics_file);
	default:
		return false;
	}
}
