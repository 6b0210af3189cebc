/* SPDX-License-Identifier: MIT */
/* Record counters, the --stats JSON lines and the --progress status line. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "jsonx.h"
#include "log.h"
#include "reject.h"
#include "sig.h"
#include "stats.h"
#include "xalloc.h"
#include "banned.h"

#define PROGRESS_PERIOD 0.25 /* seconds between redraws */
#define RATE_WINDOW 1.0 /* seconds over which --progress takes a rate */

#ifdef CLOCK_MONOTONIC_COARSE
#define CLOCK_TICK CLOCK_MONOTONIC_COARSE
#else
#define CLOCK_TICK CLOCK_MONOTONIC
#endif

struct counter {
	uint64_t value; /* stats_counter() hands out its address */
	char *name;
	struct counter *next;
};

struct stats {
	char *tool;
	struct counter *head, *tail; /* registration order */
	const uint64_t *in, *out, *rejected;
	struct timespec start; /* CLOCK_MONOTONIC at stats_new() */
	struct timespec start_tick; /* CLOCK_TICK then */
	double interval; /* 0: no periodic lines */
	bool enabled, progress, finished;
	double next_line; /* elapsed seconds when a line is due */
	double next_draw; /* elapsed seconds when a redraw is due */
	double due; /* the sooner of the two, or a huge value */
	double win_t; /* --progress rate window: start time ... */
	uint64_t win_in; /* ... and "in" then */
	double rate; /* rate of the last complete window */
	bool have_rate;
	size_t drawn; /* columns of the progress line on screen, 0 none */
	struct buf line;
};

static const double never = 1e300;

static double
diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	    (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

/* Seconds since stats_new(). */
static double
elapsed(const struct stats *s)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	return diff(&now, &s->start);
}

/*
 * The same from the coarse clock (a vDSO read of the last timer tick),
 * cheap enough for every record; it may lag elapsed() by a tick.
 */
static double
elapsed_tick(const struct stats *s)
{
	struct timespec now;

	if (clock_gettime(CLOCK_TICK, &now) < 0)
		return 0;
	return diff(&now, &s->start_tick);
}

static void
schedule(struct stats *s)
{
	s->due = never;
	if (s->finished)
		return;
	if (s->enabled && s->interval > 0 && s->next_line < s->due)
		s->due = s->next_line;
	if (s->progress && s->next_draw < s->due)
		s->due = s->next_draw;
}

static struct counter *
add_counter(struct stats *s, const char *name)
{
	struct counter *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(name);
	if (s->tail != NULL)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	return c;
}

struct stats *
stats_new(const char *tool)
{
	struct stats *s = xcalloc(1, sizeof(*s));

	s->tool = xstrdup(tool != NULL ? tool : "");
	s->in = &add_counter(s, "in")->value;
	s->out = &add_counter(s, "out")->value;
	s->rejected = &add_counter(s, "rejected")->value;
	if (clock_gettime(CLOCK_MONOTONIC, &s->start) < 0)
		s->start = (struct timespec){0, 0};
	if (clock_gettime(CLOCK_TICK, &s->start_tick) < 0)
		s->start_tick = (struct timespec){0, 0};
	s->due = never;
	return s;
}

void
stats_free(struct stats *s)
{
	struct counter *c, *next;

	if (s == NULL)
		return;
	for (c = s->head; c != NULL; c = next) {
		next = c->next;
		free(c->name);
		free(c);
	}
	buf_free(&s->line);
	free(s->tool);
	free(s);
}

uint64_t *
stats_counter(struct stats *s, const char *name)
{
	struct counter *c;

	for (c = s->head; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return &c->value;
	return &add_counter(s, name)->value;
}

void
stats_configure(struct stats *s, double interval_s, bool enabled, bool progress)
{
	double now = elapsed(s);

	s->interval = interval_s > 0 ? interval_s : 0;
	s->enabled = enabled;
	s->progress = progress && isatty(STDERR_FILENO);
	s->next_line = s->interval;
	while (s->interval > 0 && s->next_line <= now)
		s->next_line += s->interval;
	s->next_draw = 0; /* the first tick draws */
	s->win_t = now;
	s->win_in = *s->in;
	schedule(s);
}

/* Blank out the progress line, leaving the cursor at column 0. */
static void
add_clear(struct stats *s)
{
	size_t i;

	if (s->drawn == 0)
		return;
	buf_addc(&s->line, '\r');
	for (i = 0; i < s->drawn; i++)
		buf_addc(&s->line, ' ');
	buf_addc(&s->line, '\r');
	s->drawn = 0;
}

static void
add_progress(struct stats *s, double now)
{
	size_t start, len, old = s->drawn;
	double rate;

	/* The rate of the last second or so; the average until then. */
	if (now - s->win_t >= RATE_WINDOW) {
		s->rate = (double)(*s->in - s->win_in) / (now - s->win_t);
		s->have_rate = true;
		s->win_t = now;
		s->win_in = *s->in;
	}
	if (s->have_rate)
		rate = s->rate;
	else
		rate = now > 0 ? (double)*s->in / now : 0;
	buf_addc(&s->line, '\r');
	start = s->line.len;
	buf_printf(&s->line,
	    "%s: in %" PRIu64 " out %" PRIu64 " rejected %" PRIu64 "  %.0f/s",
	    s->tool, *s->in, *s->out, *s->rejected, rate);
	len = s->line.len - start;
	/* Blank the tail of a longer previous line. */
	for (; old > len; old--)
		buf_addc(&s->line, ' ');
	s->drawn = len;
}

static void
add_json(struct stats *s, double now, bool final)
{
	struct counter *c;
	double rate = now > 0 ? (double)*s->in / now : 0;

	buf_adds(&s->line, "{\"tool\":");
	jsonx_emit_string(&s->line, s->tool, strlen(s->tool));
	buf_printf(&s->line, ",\"elapsed_s\":%.3f", now > 0 ? now : 0);
	for (c = s->head; c != NULL; c = c->next) {
		buf_addc(&s->line, ',');
		jsonx_emit_string(&s->line, c->name, strlen(c->name));
		buf_printf(&s->line, ":%" PRIu64, c->value);
	}
	buf_printf(&s->line, ",\"rate\":%.1f", rate);
	if (final)
		buf_adds(&s->line, ",\"final\":true");
	buf_adds(&s->line, "}\n");
}

static void
flush_line(struct stats *s)
{
	(void)log_raw(s->line.data, s->line.len);
	buf_reset(&s->line);
}

void
stats_check(struct stats *s)
{
	double now;
	bool line = false;

	if (s == NULL || s->due == never)
		return;
	now = elapsed(s);
	if (s->enabled && s->interval > 0 && now >= s->next_line) {
		line = true;
		while (s->next_line <= now)
			s->next_line += s->interval;
	}
	if (line) {
		add_clear(s);
		add_json(s, now, false);
	}
	if (s->progress && (line || now >= s->next_draw)) {
		add_progress(s, now);
		s->next_draw = now + PROGRESS_PERIOD;
	}
	if (s->line.len > 0)
		flush_line(s);
	schedule(s);
}

void
stats_tick(struct stats *s)
{
	if (s == NULL || s->due == never || elapsed_tick(s) < s->due)
		return;
	stats_check(s);
}

int
stats_next_ms(const struct stats *s)
{
	double left;

	if (s == NULL || s->due == never)
		return -1;
	left = s->due - elapsed(s);
	if (left <= 0)
		return 0;
	if (left > 86400.0)
		return 86400 * 1000;
	/* Round up, so the wakeup does not come a hair too early. */
	return (int)(left * 1000.0) + 1;
}

void
stats_print(struct stats *s)
{
	double now;

	if (s == NULL)
		return;
	now = elapsed(s);
	add_clear(s);
	add_json(s, now, false);
	if (s->progress && !s->finished)
		add_progress(s, now);
	flush_line(s);
}

void
stats_final(struct stats *s)
{
	if (s == NULL || s->finished)
		return;
	s->finished = true;
	add_clear(s);
	if (s->enabled)
		add_json(s, elapsed(s), true);
	if (s->line.len > 0)
		flush_line(s);
	schedule(s);
}

void
stats_serve_signals(struct stats *s, struct reject_stream *rej)
{
	if (sig_hup) {
		sig_hup = 0;
		if (reject_reopen(rej) < 0)
			log_err("rejects: reopen: %s", strerror(errno));
	}
	if (sig_usr1) {
		sig_usr1 = 0;
		stats_print(s);
	}
}

int
stats_finish(struct stats *s, struct reject_stream *rej, bool strict,
    uint64_t rejected, int rc)
{
	stats_final(s);
	if (reject_close(rej) < 0) {
		log_err("rejects: %s", strerror(errno));
		rc = 1;
	}
	if (rc == 0 && strict && rejected > 0)
		rc = 3;
	return rc;
}
