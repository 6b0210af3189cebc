/* SPDX-License-Identifier: MIT */
/* The reject stream: refused records as NDJSON lines, with the reason. */
#ifndef IOTPIPE_REJECT_H
#define IOTPIPE_REJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct reject_stream;

/*
 * Open the reject stream for --rejects path, in the name of tool (copied):
 *   NULL        no stream: each reject is a log_warn() line,
 *               "tool: line 12: missing vin" (-q silences it)
 *   "-"         descriptor 1 (not closed here), written with write(2) in
 *               whole lines, as ndjson_writer does, so lines never mix
 *   "/dev/fd/N" a dup of descriptor N
 *   other       open(O_WRONLY|O_CREAT|O_APPEND, 0644); a fifo blocks here
 *               until a reader opens it
 * A regular file is written in whole-line chunks and flushed by
 * reject_flush()/reject_close(); anything else gets each line at once.
 * Returns the stream (caller frees with reject_close()), or NULL with a
 * message appended to err ("--rejects PATH: reason").
 */
struct reject_stream *reject_open(
    const char *path, const char *tool, struct buf *err);

/*
 * Write one reject line:
 *   {"@metadata":META,"error":{"tool":"vnorm","reason":"missing vin",
 *   "line":1234},"input":"<input as a JSON string>"}
 * meta_json is copied verbatim (it must be one JSON value); NULL or a
 * zero meta_len leaves "@metadata" out.  line 0 leaves "line" out.  In
 * reason and input, invalid UTF-8 becomes U+FFFD and control characters
 * (NUL included) are escaped.  All arguments are borrowed.  Returns 0, or
 * -1 with errno on a write error (EPIPE when the reader went away); the
 * line is then lost.  A blocking write interrupted by a signal is retried
 * unless sig_stop >= 2.
 */
int reject_write(struct reject_stream *r, const char *meta_json,
    size_t meta_len, const char *reason, unsigned long long line,
    const char *input, size_t input_len);

/*
 * As reject_write(), with JSON object members spliced into "error" after
 * "line", verbatim: ",\"bytes\":123" or "\"bytes\":123" (the leading comma
 * is added when missing).  For "line too long", where input is a prefix.
 * extra_error_json NULL or extra_len 0 adds nothing.
 */
int reject_write_ex(struct reject_stream *r, const char *meta_json,
    size_t meta_len, const char *reason, unsigned long long line,
    const char *input, size_t input_len, const char *extra_error_json,
    size_t extra_len);

/* True when rejects are log lines (no --rejects): the reason is all that
 * is shown, so it should say where the record came from. */
bool reject_is_log(const struct reject_stream *r);
/* Write out buffered lines.  0, or -1 with errno. */
int reject_flush(struct reject_stream *r);

/*
 * SIGHUP: flush to the old file, then open the path again (log rotation).
 * Nothing to do for NULL, "-" and "/dev/fd/N" streams.  When the new open
 * fails the old file stays in use.  0, or -1 with errno.
 */
int reject_reopen(struct reject_stream *r);

/*
 * Flush, close (descriptor 1 is only flushed) and free.  NULL is a
 * no-op.  0, or -1 with errno when a flush or close failed; r is freed
 * either way.
 */
int reject_close(struct reject_stream *r);

#endif
