/* SPDX-License-Identifier: MIT */
/* vsim: a simulated fleet of vehicles, their telemetry as NDJSON on stdout. */
#include "common/prelude.h"

#include <sys/random.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/ndjson.h"
#include "common/sig.h"
#include "common/stats.h"
#include "common/timefmt.h"
#include "fleet.h"
#include "options.h"
#include "routes.h"

#define WRITE_CHUNK (64 * 1024) /* write out once this much is buffered */

/* Everything the tick loop touches. */
struct run {
	const struct opts *o;
	struct fleet *fleet;
	struct ndjson_writer *w;
	struct stats *st;
	uint64_t *in, *out, *telemetry, *trip, *dtc;
	struct fleet_counts fc;
	double wall0; /* monotonic seconds at the first tick's reference */
	bool stop; /* downstream gone or an output error */
};

/* A seed nobody chose: from the kernel, else from the clock. */
static uint64_t
random_seed(void)
{
	uint64_t s;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
	    (uint64_t)getpid() << 32;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Output on a pipe goes out before any wait, so nothing sits in a buffer
 * while vsim sleeps. */
static void
flush_idle(struct run *r)
{
	if (ndjson_writer_idle(r->w) < 0)
		r->stop = true;
}

/*
 * Wait until the tick at simulated time ms is due: real time scaled by
 * --speedup, or the --rate budget of messages so far.  Signals, --stats
 * lines and SIGUSR1 are served while waiting.
 */
static void
pace(struct run *r, int64_t ms)
{
	const struct opts *o = r->o;
	double target;

	if (o->pacing == PACE_RATE)
		target = r->wall0 + (double)*r->out / o->rate;
	else
		target =
		    r->wall0 + (double)(ms - o->start_ms) / 1000.0 / o->speedup;
	for (;;) {
		double wait = target - mono_now();
		struct pollfd pfd = {.fd = sig_fd(), .events = POLLIN};
		int timeout, next;

		if (wait <= 0.0005 || sig_stop)
			return;
		flush_idle(r);
		if (r->stop)
			return;
		timeout = (int)(wait * 1000) + 1;
		next = stats_next_ms(r->st);
		if (next >= 0 && next < timeout)
			timeout = next;
		(void)poll(&pfd, 1, timeout);
		sig_drain();
		stats_serve_signals(r->st, NULL);
		stats_check(r->st);
	}
}

static void
run_ticks(struct run *r)
{
	const struct opts *o = r->o;
	struct buf *b = ndjson_writer_buf(r->w);
	size_t n = (size_t)o->vehicles, i;
	uint64_t tick, before, made;

	for (tick = 1; o->ticks == 0 || tick <= o->ticks; tick++)
		for (i = 0; i < n; i++) {
			if (o->pacing != PACE_FAST)
				pace(r, fleet_time(r->fleet, tick, i));
			/* a stop ends the run between two ticks, never in
			 * the middle of one */
			if (sig_stop || r->stop)
				return;
			before = r->fc.telemetry + r->fc.trip + r->fc.dtc;
			fleet_emit(r->fleet, tick, i, b, &r->fc);
			made =
			    r->fc.telemetry + r->fc.trip + r->fc.dtc - before;
			*r->in += made;
			*r->out += made;
			if (b->len >= WRITE_CHUNK &&
			    ndjson_writer_flush(r->w) < 0) {
				r->stop = true;
				return;
			}
			*r->telemetry = r->fc.telemetry;
			*r->trip = r->fc.trip;
			*r->dtc = r->fc.dtc;
			stats_tick(r->st);
			if (sig_usr1)
				stats_serve_signals(r->st, NULL);
		}
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct route_set routes;
	struct fleet_conf fc;
	struct buf err = BUF_INIT;
	char when[32];
	int rc = 0;

	log_init(argv[0]);
	vsim_parse_args(argc, argv, &o);
	log_set_verbosity(o.c.verbosity);
	if (!o.seed_given)
		o.seed = random_seed();
	if (!o.start_given)
		o.start_ms = now_ms();
	if (o.start_ms + (int64_t)o.interval_ms >= TIME_MAX_MS)
		usage_error("--start: too late (the clock must stay before "
			    "2100)");

	if (routes_load(&routes, o.routes, &err) < 0)
		usage_error("%s", buf_cstr(&err));
	if (sig_init() < 0)
		fatal("signals: %s", strerror(errno));
	time_format(o.start_ms, when);
	log_info("seed %llu, start %s, %llu vehicles, %zu routes",
	    (unsigned long long)o.seed, when, o.vehicles, routes.npick);

	memset(&fc, 0, sizeof(fc));
	fc.n = (size_t)o.vehicles;
	fc.seed = o.seed;
	fc.start_ms = o.start_ms;
	fc.interval_ms = o.interval_ms;
	fc.format = o.format;
	fc.routes = &routes;

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.fleet = fleet_new(&fc);
	if ((r.w = ndjson_writer_open(o.io.output, o.io.reopen_timeout)) ==
	    NULL)
		fatal("%s: %s", o.io.output, strerror(errno));
	r.st = stats_new("vsim");
	stats_configure(r.st, o.c.stats_interval, o.c.stats, o.c.progress);
	r.in = stats_counter(r.st, "in");
	r.out = stats_counter(r.st, "out");
	(void)stats_counter(r.st, "rejected");
	r.telemetry = stats_counter(r.st, "telemetry");
	r.trip = stats_counter(r.st, "trip");
	r.dtc = stats_counter(r.st, "dtc");
	stats_metrics_file(r.st, o.c.metrics_file);
	r.wall0 = mono_now();

	run_ticks(&r);

	if (ndjson_writer_flush(r.w) < 0 && !ndjson_writer_gone(r.w)) {
		log_err("%s: %s", o.io.output != NULL ? o.io.output : "stdout",
		    ndjson_writer_strerror(r.w));
		rc = 1;
	}
	rc = stats_finish(r.st, NULL, false, 0, rc);

	ndjson_writer_free(r.w);
	stats_free(r.st);
	fleet_free(r.fleet);
	routes_free(&routes);
	buf_free(&err);
	return rc;
}
