/* SPDX-License-Identifier: MIT */
/*
 * Record counters, the --stats JSON lines, the --progress status line and
 * the --metrics-file Prometheus textfile.
 */
#ifndef IOTPIPE_STATS_H
#define IOTPIPE_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct stats;

/*
 * New counters for the program tool (copied), with "in", "out" and
 * "rejected" registered, at zero, and the clock started.  Caller frees
 * with stats_free().  Stats lines and progress are off until
 * stats_configure().
 */
struct stats *stats_new(const char *tool);
/* NULL is a no-op. */
void stats_free(struct stats *s);

/*
 * The counter called name, registered at zero on first use ("merged",
 * "warnings", "retries" ...).  Lines print the built-ins first, then the
 * others in registration order.  Borrowed: the pointer stays valid until
 * stats_free(), so hot loops increment through it.
 */
uint64_t *stats_counter(struct stats *s, const char *name);

/*
 * As stats_counter(), for a figure that goes down as well as up (a lag,
 * a mean latency): the same in the JSON line, a gauge in the metrics
 * file.
 */
uint64_t *stats_gauge(struct stats *s, const char *name);

/*
 * enabled: print a JSON line every interval_s seconds (0: none) and a
 * final one.  progress: redraw a one-line status on stderr, only when
 * stderr is a terminal.
 */
void stats_configure(
    struct stats *s, double interval_s, bool enabled, bool progress);

/*
 * --metrics-file path (NULL: none): the counters in Prometheus' text
 * format, for node_exporter's textfile collector, written now (so a path
 * that cannot be written is fatal() here, at start, with the fix), then
 * at every --stats interval (every METRICS_PERIOD seconds without one)
 * and at stats_final().  Each write goes to path.tmp, then rename(2):
 * a reader sees the old file or the new one, never half of one.  Call it
 * after stats_configure() and once the counters are registered.
 */
#define METRICS_PERIOD 10.0
void stats_metrics_file(struct stats *s, const char *path);

/*
 * For --progress: the size of the work (total units, 0 unknown), for a
 * percentage and an ETA, and done(arg), the units done, asked at each
 * redraw only.  With done NULL, the units are input bytes: the offset of
 * the fd of stats_set_input() plus its base.
 */
void stats_set_total(
    struct stats *s, uint64_t total, uint64_t (*done)(void *), void *arg);
/*
 * fn(arg) runs before each stats line and progress redraw (never per
 * record): a program brings counters that cost a look-up, such as a
 * consumer's lag, up to date there, and may call stats_set_total().
 */
void stats_set_refresh(struct stats *s, void (*fn)(void *), void *arg);
/* The input now being read is fd, after base bytes of earlier inputs. */
void stats_set_input(struct stats *s, int fd, uint64_t base);
/* The size of fd when it is a regular file, else 0 (unknown). */
uint64_t stats_file_size(int fd);

/*
 * Call once per record.  Cheap: one coarse clock read, and a line or a
 * progress redraw (at most 4 per second) only when one is due.
 */
void stats_tick(struct stats *s);

/*
 * As stats_tick(), for loops that wake up without a record (a poll()
 * timeout): reads the precise clock and prints what is due.
 */
void stats_check(struct stats *s);

/*
 * Milliseconds until stats_check() has something to print, for a poll()
 * timeout; -1 when nothing is scheduled.
 */
int stats_next_ms(const struct stats *s);

/*
 * Print a stats line now, whatever the configuration (SIGUSR1):
 * {"tool":"vnorm","elapsed_s":1.234,"in":10,"out":9,"rejected":1,
 * "merged":0,"rate":8.1} on one line, rate = in per second of elapsed.
 */
void stats_print(struct stats *s);

struct reject_stream;
/*
 * The signals every program serves the same way, when they came: SIGUSR1
 * prints a stats line now, SIGHUP reopens the reject stream rej (after
 * logrotate; a failure is logged and the old file kept).
 */
void stats_serve_signals(struct stats *s, struct reject_stream *rej);

/*
 * The end of a run, the same in every program: the final stats line, the
 * reject stream closed (a failure there makes the status 1), then exit
 * status 3 for --strict (strict) when records were rejected and rc was 0.
 * Returns the exit status.
 */
int stats_finish(struct stats *s, struct reject_stream *rej, bool strict,
    uint64_t rejected, int rc);

/*
 * At exit: clear the progress line and leave a one-line summary in its
 * place ("vnorm: in 10 out 9 rejected 1 in 0:02 (5/s)"), then print the
 * line with "final":true added when enabled.  Later ticks print nothing; a second
 * call does nothing.
 */
void stats_final(struct stats *s);

#endif
