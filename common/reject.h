/* SPDX-License-Identifier: MIT */
/* The reject stream: refused records as NDJSON lines, with the reason;
 * the reject record, its fillers and its one emitter. */
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
 * One reject, as reject_write() puts it on a line:
 *   {"@metadata":META,"error":{"tool":"vnorm","reason":"missing vin",
 *   "line":1234,...},"input":"<input as a JSON string>"}
 * Every member at zero (NULL, false) is left out of the line, so a record
 * starts as { 0 } or from reject_init(), and the fillers below add what a
 * kind of reject carries.  Pointers are borrowed: they must stay valid
 * until reject_write() returns.
 */
struct reject {
	const char *meta; /* "@metadata": one JSON value, copied verbatim */
	size_t meta_len; /* 0: no "@metadata" */
	const char *reason; /* NULL: "rejected" */
	const char *file; /* NULL: no "file" (one input, or not a file) */
	unsigned long long line; /* 0: no "line" (a message, not a line) */
	const char *input; /* the record as received, or its first bytes */
	size_t input_len;
	/*
	 * Members of "error" after "line", in this order.  "truncated":true
	 * is not a member of its own: it is written whenever bytes is more
	 * than input_len, so it cannot disagree with "input".
	 */
	unsigned long long bytes; /* the record's size in bytes */
	bool base64; /* "input_base64": every byte of input */
	const char *kafka_error; /* librdkafka's name of the error */
	const char *broker_error; /* a broker's error behind kafka_error */
	bool possibly_persisted; /* the broker may hold it all the same */
	int status; /* the HTTP status of a server's refusal */
	const char *type; /* the server's error type */
	const char *caused_by; /* the server's cause: a JSON object, verbatim */
	size_t caused_by_len;
};

/* Bytes of a record over the size limit that "input" keeps. */
#define REJECT_KEEP 1024

/* A record of input[0..len) refused for reason at line (0: none); every
 * other member zero. */
void reject_init(struct reject *rec, const char *reason,
    unsigned long long line, const char *input, size_t len);

/*
 * Filler for a record over --max-line: reason "line too long", "bytes"
 * its size, and "input" its first bytes, at most REJECT_KEEP.  input_len
 * is what the caller holds of it (the whole record, or the first bytes a
 * reader kept); "truncated":true follows when that is less than bytes.
 * The same rule in every program: "bytes" always, "truncated" only when
 * "input" is not the whole record.
 */
void reject_too_long(struct reject *rec, unsigned long long bytes);

/*
 * Filler for a payload that may not be text: when input is whole and not
 * UTF-8 ("input" then shows U+FFFD for the bytes that are not), "bytes"
 * and "input_base64" keep every byte.  Valid UTF-8 and a record cut by
 * reject_too_long() are left as they are.
 */
void reject_binary(struct reject *rec);

/* Filler for a record that came with @metadata: meta[0..len), one JSON
 * value (NULL or 0: none). */
void reject_with_meta(struct reject *rec, const char *meta, size_t len);

/*
 * Write rec to r as one line, or, without a stream (reject_open(NULL)),
 * log it: "tool: line 12: reason" (-q silences it).  In reason and input,
 * invalid UTF-8 becomes U+FFFD and control characters (NUL included) are
 * escaped.  Returns 0, or -1 with errno on a write error (EPIPE when the
 * reader went away); the line is then lost.  A blocking write interrupted
 * by a signal is retried unless sig_stop >= 2.
 */
int reject_write(struct reject_stream *r, const struct reject *rec);

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
