/* SPDX-License-Identifier: MIT */
/* vsim's command line: the option table, the usage, the checks. */
#include "common/prelude.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/opt.h"
#include "common/options.h"
#include "common/timefmt.h"
#include "options.h"

#define VEHICLES_MAX 1000000ULL
#define INTERVAL_MIN 100LL /* the 17 stamps of a tick span up to 8 ms */
#define INTERVAL_MAX 86400000LL
#define DURATION_MAX (366LL * 86400000LL)
#define SPEEDUP_MAX 1e6
#define RATE_MAX 1e9

/* The route data's notice (cmd/vsim/routes/README.md) goes with the
 * binary that carries the data. */
static const char notice[] =
    "(route data: AWS IoT Device Simulator, Copyright Amazon.com, Inc. or "
    "its affiliates, Apache License 2.0)";

enum {
	OPT_DURATION = OPT_OWN,
	OPT_FAST,
	OPT_FORMAT,
	OPT_INTERVAL,
	OPT_RATE,
	OPT_ROUTES,
	OPT_SEED,
	OPT_SPEEDUP,
	OPT_START,
};

/* clang-format off */
static const struct opt_row rows[] = {
	OPT_ARG('c', "count", "count", NULL,
	    "stop after count ticks of every vehicle"),
	OPT_ARG('n', "vehicles", "vehicles", "1", "how many vehicles drive"),
	OPT_ARG(OPT_DURATION, "duration", "time", NULL,
	    "stop after time of simulated time (90s, 30m, 2h, 1d)"),
	OPT_FLAG(OPT_FAST, "fast",
	    "no sleeping: simulated time runs as fast as the CPU allows"),
	OPT_ARG(OPT_FORMAT, "format", "v2|v3", "v2",
	    "the simulator's message format: v2 per signal, v3 snapshots"),
	OPT_ARG(OPT_INTERVAL, "interval", "ms", "2000",
	    "milliseconds between two ticks of a vehicle"),
	OPT_ARG(OPT_RATE, "rate", "messages", NULL,
	    "pace the output at this many messages per second"),
	OPT_ARG(OPT_ROUTES, "routes", "file", NULL,
	    "drive the routes of this NDJSON file, not the built-in ones"),
	OPT_ARG(OPT_SEED, "seed", "seed", NULL,
	    "the random seed: the same seed, the same output (default: random)"),
	OPT_ARG(OPT_SPEEDUP, "speedup", "factor", "1",
	    "run simulated time factor times faster than real time"),
	OPT_ARG(OPT_START, "start", "time", NULL,
	    "the simulated clock's start, RFC 3339 (default: now)"),
	OPT_ARG(OPT_STATS, "stats", "seconds", NULL,
	    "print a JSON stats line on stderr every seconds (0: at exit only)"),
	OPT_FLAG(OPT_PROGRESS, "progress",
	    "draw a one-line live status on stderr if it is a terminal"),
	OPT_SET(opt_rows_basic),
	OPT_SET(io_output_rows),
	OPT_SET(metrics_opt_rows),
	OPT_END,
};
/* clang-format on */

int
vsim_parse_duration(const char *s, long long *ms)
{
	static const struct {
		char unit;
		long long ms;
	} units[] = {
	    {'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
	char num[24];
	unsigned long long v;
	size_t n = strlen(s), i;

	if (n < 2 || n - 1 >= sizeof(num))
		return -1;
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	if (parse_uint_range(
		num, 1, (unsigned long long)DURATION_MAX / 1000, &v, NULL) < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n - 1] == units[i].unit) {
			if (v >
			    (unsigned long long)(DURATION_MAX / units[i].ms))
				return -1;
			*ms = (long long)v * units[i].ms;
			return 0;
		}
	return -1;
}

static void
set_pacing(struct opts *o, enum pacing p, const char *name, const char **seen)
{
	if (*seen != NULL && strcmp(*seen, name) != 0)
		usage_error("%s and %s exclude each other (one pacing: real "
			    "time, --speedup, --rate or --fast)",
		    *seen, name);
	*seen = name;
	o->pacing = p;
}

/* What --help says besides the options. */
static const struct opt_help help = {
    .about = "simulate a fleet of vehicles and write their telemetry as NDJSON",
    .examples = "vsim -n 5 --speedup 30 --duration 30m | json2mqtt -t cars\n"
		"vsim -n 100 --fast --duration 1d --seed 7 > day.ndjson",
};

void
vsim_parse_args(int argc, char **argv, struct opts *o)
{
	const char *errstr, *pacing = NULL, *count_opt = NULL;
	const char *duration = NULL;
	unsigned long long v;
	long long duration_ms = 0;
	struct opt_parser p;
	int c, first;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	io_opts_init(&o->io);
	o->vehicles = 1;
	o->interval_ms = 2000;
	o->pacing = PACE_REAL;
	o->speedup = 1;
	opt_init(&p, "vsim", rows, NULL, argc, argv);
	p.help = &help;
	p.version_extra = notice;
	while ((c = opt_next(&p)) != -1) {
		if (common_opt_take(&p, &o->c) || io_opt_take(&p, &o->io))
			continue;
		switch (c) {
		case 'c':
			if (parse_uint_range(
				p.arg, 1, 1ULL << 40, &v, &errstr) < 0)
				opt_bad_value(&p, errstr, "count",
				    "ticks per vehicle, at least 1");
			if (count_opt != NULL && strcmp(count_opt, "-c") != 0)
				opt_error(&p,
				    "-c and --duration exclude each "
				    "other");
			count_opt = "-c";
			o->ticks = v;
			break;
		case 'n':
			if (parse_uint_range(p.arg, 1, VEHICLES_MAX,
				&o->vehicles, &errstr) < 0)
				opt_bad_value(&p, errstr, "number of vehicles",
				    "1-1000000");
			break;
		case OPT_DURATION:
			if (vsim_parse_duration(p.arg, &duration_ms) < 0)
				opt_bad_value(&p, NULL, "duration",
				    "a number and s, m, h or d: 90s, 30m, 2h, "
				    "1d; at most 366d");
			if (count_opt != NULL &&
			    strcmp(count_opt, "--duration") != 0)
				opt_error(&p,
				    "-c and --duration exclude each "
				    "other");
			count_opt = "--duration";
			duration = p.arg;
			break;
		case OPT_FAST:
			set_pacing(o, PACE_FAST, "--fast", &pacing);
			break;
		case OPT_FORMAT:
			if (strcmp(p.arg, "v2") == 0)
				o->format = FORMAT_V2;
			else if (strcmp(p.arg, "v3") == 0)
				o->format = FORMAT_V3;
			else
				opt_bad_value(
				    &p, "unknown", "format", "v2 or v3");
			break;
		case OPT_INTERVAL:
			if (parse_uint_range(p.arg,
				(unsigned long long)INTERVAL_MIN,
				(unsigned long long)INTERVAL_MAX, &v,
				&errstr) < 0)
				opt_bad_value(&p, errstr, "interval",
				    "milliseconds, 100-86400000");
			o->interval_ms = (long long)v;
			break;
		case OPT_RATE:
			if (parse_seconds(
				p.arg, 0, RATE_MAX, &o->rate, &errstr) < 0 ||
			    !(o->rate > 0))
				opt_bad_value(&p, NULL, "rate",
				    "messages per second, above 0, at most 1e9");
			set_pacing(o, PACE_RATE, "--rate", &pacing);
			break;
		case OPT_ROUTES:
			if (*p.arg == '\0')
				opt_error(&p, "empty path");
			o->routes = p.arg;
			break;
		case OPT_SEED:
			if (parse_uint_range(
				p.arg, 0, UINT64_MAX, &v, &errstr) < 0)
				opt_bad_value(&p, errstr, "seed",
				    "0-18446744073709551615");
			o->seed = v;
			o->seed_given = true;
			break;
		case OPT_SPEEDUP:
			if (parse_seconds(p.arg, 0, SPEEDUP_MAX, &o->speedup,
				&errstr) < 0 ||
			    !(o->speedup > 0))
				opt_bad_value(&p, NULL, "factor",
				    "above 0, at most 1000000");
			set_pacing(o, PACE_SPEEDUP, "--speedup", &pacing);
			break;
		case OPT_START:
			if (time_parse_string(
				p.arg, strlen(p.arg), &o->start_ms) != TIME_OK)
				opt_bad_value(&p, NULL, "time",
				    "RFC 3339, 1970-2099: 2024-05-01T10:00:00Z");
			o->start_given = true;
			break;
		default:
			opt_unhandled(&p);
		}
	}
	o->c.verbosity = p.verbosity;
	first = opt_end(&p);
	if (first < argc)
		usage_error("unexpected operand '%s' (vsim reads no input)",
		    argv[first]);
	if (duration_ms > 0) {
		if (duration_ms < o->interval_ms)
			usage_error("--duration %s is shorter than one tick "
				    "(--interval %lld ms)",
			    duration, o->interval_ms);
		o->ticks = (unsigned long long)(duration_ms / o->interval_ms);
	}
}
