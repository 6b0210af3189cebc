/* SPDX-License-Identifier: MIT */
/* vsim's options: what main() runs with. */
#ifndef IOTPIPE_VSIM_OPTIONS_H
#define IOTPIPE_VSIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/opt.h"
#include "emit.h"

enum pacing {
	PACE_REAL, /* simulated time runs as the clock does (--speedup 1) */
	PACE_SPEEDUP, /* --speedup X */
	PACE_RATE, /* --rate N messages/s */
	PACE_FAST, /* --fast: no sleeping */
};

struct opts {
	struct common_opts c; /* --stats, --progress, -q, -v */
	struct io_opts io; /* --output, --reopen-timeout */
	unsigned long long vehicles; /* -n */
	long long interval_ms; /* --interval */
	unsigned long long ticks; /* from -c or --duration; 0: no end */
	uint64_t seed; /* --seed, else random */
	bool seed_given;
	int64_t start_ms; /* --start, else now */
	bool start_given;
	enum pacing pacing;
	double speedup; /* PACE_REAL: 1 */
	double rate; /* PACE_RATE: messages/s */
	enum vsim_format format; /* --format */
	const char *routes; /* --routes FILE, or NULL: the built-in set */
};

/*
 * Parse a duration: digits then s, m, h or d ("90s", "30m", "2h", "1d"),
 * into *ms.  Returns 0, or -1 when s is not one or it exceeds a year.
 */
int vsim_parse_duration(const char *s, long long *ms);

/* Fill o from the command line; a usage error exits 2. */
void vsim_parse_args(int argc, char **argv, struct opts *o);

#endif
