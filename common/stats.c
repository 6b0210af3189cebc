/* SPDX-License-Identifier: MIT */
/*
 * Record counters, the --stats JSON lines, the --progress status line and
 * the --metrics-file Prometheus textfile.
 */
#include "prelude.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
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
	bool gauge; /* stats_gauge(): may go down */
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
	bool shown; /* a progress line is on screen */
	uint64_t total; /* --progress: the size of the work, 0 unknown */
	uint64_t (*done)(void *); /* ... and how much of it is done */
	void *done_arg;
	int in_fd; /* or: input bytes done, the offset of in_fd ... */
	uint64_t in_base; /* ... plus what came before it */
	void (*refresh)(void *); /* stats_set_refresh() */
	void *refresh_arg;
	struct buf line;
	struct buf bar; /* the progress line */
	char *metrics; /* --metrics-file, or NULL */
	char *metrics_tmp; /* ... and the file written, then renamed */
	double metrics_period; /* seconds between writes */
	double next_metrics; /* elapsed seconds when a write is due */
	double start_wall; /* CLOCK_REALTIME at stats_new(), seconds */
	bool metrics_failed; /* the last write failed (warned once) */
	struct buf prom; /* the text of the metrics file */
	char *prom_labels; /* program="...",file="..." of every sample */
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
	if (s->metrics != NULL && s->next_metrics < s->due)
		s->due = s->next_metrics;
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
	struct timespec wall;

	s->tool = xstrdup(tool != NULL ? tool : "");
	s->in = &add_counter(s, "in")->value;
	s->out = &add_counter(s, "out")->value;
	s->rejected = &add_counter(s, "rejected")->value;
	if (clock_gettime(CLOCK_MONOTONIC, &s->start) < 0)
		s->start = (struct timespec){0, 0};
	if (clock_gettime(CLOCK_TICK, &s->start_tick) < 0)
		s->start_tick = (struct timespec){0, 0};
	if (clock_gettime(CLOCK_REALTIME, &wall) == 0)
		s->start_wall =
		    (double)wall.tv_sec + (double)wall.tv_nsec / 1e9;
	s->due = never;
	s->in_fd = -1;
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
	buf_free(&s->bar);
	buf_free(&s->prom);
	free(s->metrics);
	free(s->metrics_tmp);
	free(s->prom_labels);
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

uint64_t *
stats_gauge(struct stats *s, const char *name)
{
	uint64_t *v = stats_counter(s, name);
	struct counter *c;

	for (c = s->head; c != NULL; c = c->next)
		if (&c->value == v)
			c->gauge = true;
	return v;
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

/* Erase the progress line. */
static void
clear_progress(struct stats *s)
{
	if (!s->shown)
		return;
	log_status(NULL, 0);
	s->shown = false;
}

/* The columns of the terminal on stderr, 0 when unknown. */
static size_t
term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) < 0)
		return 0;
	return ws.ws_col;
}

/* How much of s->total is done, or 0 when nobody said. */
static uint64_t
work_done(const struct stats *s)
{
	off_t off;

	if (s->done != NULL)
		return s->done(s->done_arg);
	if (s->in_fd >= 0 && (off = lseek(s->in_fd, 0, SEEK_CUR)) >= 0)
		return s->in_base + (uint64_t)off;
	return s->in_base;
}

/* "1:02" or "3:01:02". */
static void
add_duration(struct buf *b, double secs)
{
	unsigned long long t =
	    secs > 0 && secs < 1e9 ? (unsigned long long)secs : 0;

	if (t >= 3600)
		buf_printf(
		    b, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
	else
		buf_printf(b, "%llu:%02llu", t / 60, t % 60);
}

static void
add_progress(struct stats *s, double now)
{
	size_t width;
	uint64_t done;
	double rate, pct;

	if (s->refresh != NULL)
		s->refresh(s->refresh_arg);
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
	buf_reset(&s->bar);
	buf_printf(&s->bar, "%s: ", s->tool);
	/* What matters most first, as a narrow terminal cuts the end. */
	if (s->total > 0) {
		done = work_done(s);
		if (done > s->total)
			done = s->total;
		pct = 100.0 * (double)done / (double)s->total;
		buf_printf(
		    &s->bar, "%.0f%% ", pct < 100 && pct > 99.5 ? 99 : pct);
		if (done > 0 && done < s->total) {
			buf_adds(&s->bar, "ETA ");
			add_duration(&s->bar,
			    now * (double)(s->total - done) / (double)done);
			buf_addc(&s->bar, ' ');
		}
	}
	buf_printf(&s->bar,
	    "in %" PRIu64 " out %" PRIu64 " rejected %" PRIu64 "  %.0f/s",
	    *s->in, *s->out, *s->rejected, rate);
	/* Never wrap: a wrapped line leaves a stray line per redraw. */
	width = term_width();
	if (width > 1 && s->bar.len > width - 1)
		s->bar.len = width - 1;
	log_status(s->bar.data, s->bar.len);
	s->shown = true;
}

static void
add_json(struct stats *s, double now, bool final)
{
	struct counter *c;
	double rate = now > 0 ? (double)*s->in / now : 0;

	if (s->refresh != NULL)
		s->refresh(s->refresh_arg);
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

/*
 * The metrics file's text, Prometheus' text exposition format: each
 * family's HELP and TYPE, then its one sample labelled with the program
 * and the file's name (node_exporter reads a directory of them: names
 * there are unique, so two programs of one kind, such as the two kprods
 * of a pod, never give the same series).  HELP texts never name the
 * program: node_exporter merges the files of a directory, and a family
 * must say the same in each.
 */
static void
add_prom(struct stats *s, bool up)
{
	struct counter *c;

	buf_reset(&s->prom);
	buf_printf(&s->prom,
	    "# HELP iotpipe_up 1 while the program runs, 0 once it has exited.\n"
	    "# TYPE iotpipe_up gauge\n"
	    "iotpipe_up{%s} %d\n",
	    s->prom_labels, up ? 1 : 0);
	buf_printf(&s->prom,
	    "# HELP iotpipe_start_time_seconds When the program started, "
	    "seconds since the Unix epoch.\n"
	    "# TYPE iotpipe_start_time_seconds gauge\n"
	    "iotpipe_start_time_seconds{%s} %.3f\n",
	    s->prom_labels, s->start_wall);
	for (c = s->head; c != NULL; c = c->next) {
		buf_printf(&s->prom,
		    "# HELP iotpipe_%s%s The \"%s\" figure of --stats.\n"
		    "# TYPE iotpipe_%s%s %s\n"
		    "iotpipe_%s%s{%s} %" PRIu64 "\n",
		    c->name, c->gauge ? "" : "_total", c->name, c->name,
		    c->gauge ? "" : "_total", c->gauge ? "gauge" : "counter",
		    c->name, c->gauge ? "" : "_total", s->prom_labels,
		    c->value);
	}
}

/* A label value: \, " and newline escaped, as the text format wants. */
static void
add_label_value(struct buf *b, const char *v, size_t n)
{
	size_t i;

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		if (v[i] == '\\' || v[i] == '"')
			buf_addc(b, '\\');
		if (v[i] == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, v[i]);
	}
	buf_addc(b, '"');
}

/* Write all of b to fd: 0, or -1 with errno. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The metrics file rewritten: the text to metrics_tmp, then renamed over
 * the file.  No fsync: the file says what is true now and is rewritten
 * within a period; after a crash a stale or empty one is no loss.  0, or
 * -1 with errno and no temporary file left.
 */
static int
write_metrics(struct stats *s, bool up)
{
	int fd, e;

	add_prom(s, up);
	fd = open(
	    s->metrics_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_all(fd, s->prom.data, s->prom.len) < 0) {
		e = errno;
		(void)close(fd);
		(void)unlink(s->metrics_tmp);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || rename(s->metrics_tmp, s->metrics) < 0) {
		e = errno;
		(void)unlink(s->metrics_tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* A periodic write: a failure is warned about once, not fatal (the
 * records matter more than their counters), and the next write tries
 * again. */
static void
update_metrics(struct stats *s, bool up)
{
	if (write_metrics(s, up) < 0) {
		if (!s->metrics_failed)
			log_warn("--metrics-file: %s: %s", s->metrics,
			    strerror(errno));
		s->metrics_failed = true;
		return;
	}
	if (s->metrics_failed)
		log_info("--metrics-file: %s: written again", s->metrics);
	s->metrics_failed = false;
}

void
stats_metrics_file(struct stats *s, const char *path)
{
	struct buf tmp = BUF_INIT;
	const char *base;
	size_t n;

	if (path == NULL)
		return;
	s->metrics = xstrdup(path);
	buf_printf(&tmp, "%s.tmp", path);
	s->metrics_tmp = xstrdup(buf_cstr(&tmp));
	buf_reset(&tmp);
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".prom") == 0)
		n -= 5;
	buf_adds(&tmp, "program=");
	add_label_value(&tmp, s->tool, strlen(s->tool));
	buf_adds(&tmp, ",file=");
	add_label_value(&tmp, base, n);
	s->prom_labels = xstrdup(buf_cstr(&tmp));
	buf_free(&tmp);
	s->metrics_period = s->interval > 0 && s->interval < METRICS_PERIOD
	    ? s->interval
	    : METRICS_PERIOD;
	if (write_metrics(s, true) < 0)
		fatal("--metrics-file: cannot write %s: %s (give a path in a "
		      "directory this user can write, such as "
		      "node_exporter's --collector.textfile.directory)",
		    path, strerror(errno));
	s->next_metrics = elapsed(s) + s->metrics_period;
	schedule(s);
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
		add_json(s, now, false);
		flush_line(s);
	}
	if (s->progress && now >= s->next_draw) {
		add_progress(s, now);
		s->next_draw = now + PROGRESS_PERIOD;
	}
	if (s->metrics != NULL && now >= s->next_metrics) {
		if (!line && s->refresh != NULL)
			s->refresh(s->refresh_arg);
		update_metrics(s, true);
		while (s->next_metrics <= now)
			s->next_metrics += s->metrics_period;
	}
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
	add_json(s, now, false);
	flush_line(s);
}

void
stats_final(struct stats *s)
{
	double now;

	if (s == NULL || s->finished)
		return;
	s->finished = true;
	clear_progress(s);
	now = elapsed(s);
	if (s->progress) {
		/* the run in one line, left on screen */
		buf_printf(&s->line,
		    "%s: in %" PRIu64 " out %" PRIu64 " rejected %" PRIu64
		    " in ",
		    s->tool, *s->in, *s->out, *s->rejected);
		add_duration(&s->line, now);
		buf_printf(&s->line, " (%.0f/s)\n",
		    now > 0 ? (double)*s->in / now : 0);
	}
	if (s->enabled)
		add_json(s, now, true);
	if (s->line.len > 0)
		flush_line(s);
	if (s->metrics != NULL) {
		if (!s->enabled && s->refresh != NULL)
			s->refresh(s->refresh_arg);
		update_metrics(s, false);
	}
	schedule(s);
}

void
stats_set_total(
    struct stats *s, uint64_t total, uint64_t (*done)(void *), void *arg)
{
	s->total = total;
	s->done = done;
	s->done_arg = arg;
}

void
stats_set_refresh(struct stats *s, void (*fn)(void *), void *arg)
{
	s->refresh = fn;
	s->refresh_arg = arg;
}

void
stats_set_input(struct stats *s, int fd, uint64_t base)
{
	s->in_fd = fd;
	s->in_base = base;
}

uint64_t
stats_file_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return 0;
	return (uint64_t)st.st_size;
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
