/* SPDX-License-Identifier: MIT */
/* Program name, verbosity and "prog: message" lines on stderr. */
#ifndef IOTPIPE_LOG_H
#define IOTPIPE_LOG_H

#include <stddef.h>

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * Set the program name to the last path component of argv0 (borrowed:
 * argv0 must outlive every log call, as argv[0] does) and make the x*
 * allocators use it too.  NULL or "" leaves the default, "iotpipe".
 */
void log_init(const char *argv0);
/* The program name; borrowed, valid for the whole run. */
const char *log_progname(void);

/* -1 quiet (-q), 0 default, 1 -v, 2 -vv, and so on. */
void log_set_verbosity(int v);
int log_verbosity(void);

/*
 * Each of these writes "prog: <message>\n" to stderr with a single
 * write(2), so lines from several threads never interleave.  A trailing
 * newline in the message is not doubled.
 *   log_err    always
 *   log_warn   unless quiet
 *   log_info   from -v on
 *   log_debug  from -vv on
 */
void log_err(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);

/* log_err, then exit(1).  Only main() and setup code call it. */
_Noreturn void fatal(const char *fmt, ...) LOG_PRINTF(1, 2);
/*
 * "prog: <message>\nTry 'prog --help' for more information.\n", then
 * exit(2): a usage or configuration error.
 */
_Noreturn void usage_error(const char *fmt, ...) LOG_PRINTF(1, 2);

/*
 * Write p[0..n) to stderr as it is, in one write(2) when the kernel takes
 * it all; retried on EINTR and short writes.  For machine lines (stats)
 * that must not carry the "prog: " prefix.  0 ok, -1 with errno.
 */
int log_raw(const char *p, size_t n);

/*
 * The status line (--progress) at the bottom of stderr: text[0..n),
 * without a newline, replaces the one on screen; n 0 erases it.  While
 * one is on screen every other write to stderr through this module
 * (messages, log_raw) erases it first and draws it again after, in the
 * same write(2), so no message is glued onto it.  The caller fits it to
 * the terminal's width.
 */
void log_status(const char *text, size_t n);

#endif
