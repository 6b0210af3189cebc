/* SPDX-License-Identifier: MIT */
/* vsim's command line: the option table, the usage, the checks. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/opt.h"
#include "common/timefmt.h"
#include "options.h"
#include "common/banned.h"

#define VEHICLES_MAX 1000000ULL
#define INTERVAL_MIN 100LL /* the 17 stamps of a tick span up to 8 ms */
#define INTERVAL_MAX 86400000LL
#define DURATION_MAX (366LL * 86400000LL)
#define SPEEDUP_MAX 1e6
#define RATE_MAX 1e9

static const char usage_text[] =
    "usage: vsim [-hqVv] [--fast] [--progress] [-c count] [-n vehicles]\n"
    "            [--duration time] [--format v2|v3] [--interval ms]\n"
    "            [--rate messages] [--routes file] [--seed seed]\n"
    "            [--speedup factor] [--start time] [--stats seconds]\n";

static const char notice[] =
    "Route data: the routes of the AWS IoT Device Simulator,\n"
    "Copyright Amazon.com, Inc. or its affiliates, licensed under the\n"
    "Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).\n";

enum {
	OPT_DURATION = OPT_COMMON_END,
	OPT_FAST,
	OPT_FORMAT,
	OPT_INTERVAL,
	OPT_RATE,
	OPT_ROUTES,
	OPT_SEED,
	OPT_SPEEDUP,
	OPT_START,
};

static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, 'V'},
    {"verbose", no_argument, NULL, 'v'},
    {"count", required_argument, NULL, 'c'},
    {"vehicles", required_argument, NULL, 'n'},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"fast", no_argument, NULL, OPT_FAST},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"rate", required_argument, NULL, OPT_RATE},
    {"routes", required_argument, NULL, OPT_ROUTES},
    {"seed", required_argument, NULL, OPT_SEED},
    {"speedup", required_argument, NULL, OPT_SPEEDUP},
    {"start", required_argument, NULL, OPT_START},
    {"stats", required_argument, NULL, OPT_STATS},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {NULL, 0, NULL, 0},
};

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

void
vsim_parse_args(int argc, char **argv, struct opts *o)
{
	const char *errstr, *pacing = NULL, *count_opt = NULL;
	const char *duration = NULL;
	unsigned long long v;
	long long duration_ms = 0;
	int c;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	o->vehicles = 1;
	o->interval_ms = 2000;
	o->pacing = PACE_REAL;
	o->speedup = 1;
	opterr = 0; /* one message of our own, with the vsim: prefix */
	while (
	    (c = getopt_long(argc, argv, ":c:hn:qVv", longopts, NULL)) != -1) {
		if (common_opt_handle(&o->c, c, optarg))
			continue;
		switch (c) {
		case 'c':
			if (parse_uint_range(
				optarg, 1, 1ULL << 40, &v, &errstr) < 0)
				usage_error("-c: %s count '%s' (ticks per "
					    "vehicle, at least 1)",
				    errstr, optarg);
			if (count_opt != NULL && strcmp(count_opt, "-c") != 0)
				usage_error("-c and --duration exclude each "
					    "other");
			count_opt = "-c";
			o->ticks = v;
			break;
		case 'h':
			opt_help(usage_text);
		case 'n':
			if (parse_uint_range(optarg, 1, VEHICLES_MAX,
				&o->vehicles, &errstr) < 0)
				usage_error("-n: %s number of vehicles '%s' "
					    "(1-%llu)",
				    errstr, optarg, VEHICLES_MAX);
			break;
		case 'q':
			opt_quiet(&o->c);
			break;
		case 'V':
			printf(
			    "vsim %s (iotpipe)\n%s", IOTPIPE_VERSION, notice);
			exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
		case 'v':
			opt_verbose(&o->c, 1);
			break;
		case OPT_DURATION:
			if (vsim_parse_duration(optarg, &duration_ms) < 0)
				usage_error("--duration: invalid duration "
					    "'%s' (a number and s, m, h or d: "
					    "90s, 30m, 2h, 1d; at most 366d)",
				    optarg);
			if (count_opt != NULL &&
			    strcmp(count_opt, "--duration") != 0)
				usage_error("-c and --duration exclude each "
					    "other");
			count_opt = "--duration";
			duration = optarg;
			break;
		case OPT_FAST:
			set_pacing(o, PACE_FAST, "--fast", &pacing);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "v2") == 0)
				o->format = FORMAT_V2;
			else if (strcmp(optarg, "v3") == 0)
				o->format = FORMAT_V3;
			else
				usage_error("--format: unknown format '%s' "
					    "(v2 or v3)",
				    optarg);
			break;
		case OPT_INTERVAL:
			if (parse_uint_range(optarg,
				(unsigned long long)INTERVAL_MIN,
				(unsigned long long)INTERVAL_MAX, &v,
				&errstr) < 0)
				usage_error("--interval: %s interval '%s' "
					    "(milliseconds, %lld-%lld)",
				    errstr, optarg, INTERVAL_MIN, INTERVAL_MAX);
			o->interval_ms = (long long)v;
			break;
		case OPT_RATE:
			if (parse_seconds(
				optarg, 0, RATE_MAX, &o->rate, &errstr) < 0 ||
			    !(o->rate > 0))
				usage_error("--rate: invalid rate '%s' "
					    "(messages per second, above 0, "
					    "at most 1e9)",
				    optarg);
			set_pacing(o, PACE_RATE, "--rate", &pacing);
			break;
		case OPT_ROUTES:
			if (*optarg == '\0')
				usage_error("--routes: empty path");
			o->routes = optarg;
			break;
		case OPT_SEED:
			if (parse_uint_range(
				optarg, 0, UINT64_MAX, &v, &errstr) < 0)
				usage_error("--seed: %s seed '%s' (0-%llu)",
				    errstr, optarg,
				    (unsigned long long)UINT64_MAX);
			o->seed = v;
			o->seed_given = true;
			break;
		case OPT_SPEEDUP:
			if (parse_seconds(optarg, 0, SPEEDUP_MAX, &o->speedup,
				&errstr) < 0 ||
			    !(o->speedup > 0))
				usage_error("--speedup: invalid factor '%s' "
					    "(above 0, at most 1000000)",
				    optarg);
			set_pacing(o, PACE_SPEEDUP, "--speedup", &pacing);
			break;
		case OPT_START:
			if (time_parse_string(optarg, strlen(optarg),
				&o->start_ms) != TIME_OK)
				usage_error("--start: invalid time '%s' (RFC "
					    "3339, 1970-2099: "
					    "2024-05-01T10:00:00Z)",
				    optarg);
			o->start_given = true;
			break;
		default:
			opt_bad(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected operand '%s' (vsim reads no input)",
		    argv[optind]);
	if (duration_ms > 0) {
		if (duration_ms < o->interval_ms)
			usage_error("--duration %s is shorter than one tick "
				    "(--interval %lld ms)",
			    duration, o->interval_ms);
		o->ticks = (unsigned long long)(duration_ms / o->interval_ms);
	}
}
