/* SPDX-License-Identifier: MIT */
/*
 * NDJSON line reader with a bounded buffer, and the record writer with the
 * flush policy of the contract.
 */
#ifndef IOTPIPE_NDJSON_H
#define IOTPIPE_NDJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* ---- reader ---- */

enum ndjson_status {
	NDJSON_LINE, /* a record: line/len (no '\n', no trailing '\r') */
	NDJSON_TOOLONG, /* a line over max_line: first bytes in line/len,
			 * its full size in total; already skipped */
	NDJSON_TORN, /* the last line before an end of input, without
		      * '\n' and not a complete JSON value: what a writer
		      * killed mid-line leaves; no record (line/len hold
		      * it, total its size); see ndjson_warn_torn() */
	NDJSON_EOF, /* end of input */
	NDJSON_AGAIN, /* EAGAIN or EINTR: nothing yet, call again */
	NDJSON_ERROR, /* read error, errno set */
};

struct ndjson_line {
	const char *line; /* borrowed, valid until the next read; see
			   * ndjson_reader_on_read() */
	size_t len;
	unsigned long long lineno; /* 1-based physical line number */
	unsigned long long total; /* NDJSON_TOOLONG, NDJSON_TORN: bytes in
				   * the line */
};

struct ndjson_reader;

/*
 * A reader on fd (not owned: the caller closes it).  Lines longer than
 * max_line bytes (not counting "\r\n") are reported as NDJSON_TOOLONG with
 * their first NDJSON_TOOLONG_KEEP bytes and skipped without being buffered
 * whole.  Empty lines and lines of only spaces and tabs are skipped.
 * A last line without '\n' is a record when it is a complete JSON value
 * (a leading UTF-8 byte order mark aside), as files often end; otherwise
 * it is torn (NDJSON_TORN), at every end of input, so at each --follow
 * reopen too.  The check costs nothing per line: only a last line is
 * scanned.  Caller frees with ndjson_reader_free().
 */
struct ndjson_reader *ndjson_reader_new(int fd, size_t max_line);
void ndjson_reader_free(struct ndjson_reader *r);

#define NDJSON_TOOLONG_KEEP 1024

/* Whether p[0..n) is a blank line: empty, or only spaces and tabs.  The
 * reader skips these; a program that strips more (a byte order mark) asks
 * again. */
bool ndjson_blank(const char *p, size_t n);

enum ndjson_status ndjson_read(
    struct ndjson_reader *r, struct ndjson_line *out);

/* Call fn(arg) each time the reader is about to read(2) more input (and so
 * may wait): the place to flush output on a pipe.  The lines it handed out
 * since the last call are all still valid while fn runs (so a caller may
 * hold several; a line is valid until then, not only until the next
 * ndjson_read()). */
void ndjson_reader_on_read(
    struct ndjson_reader *r, void (*fn)(void *), void *arg);

/*
 * Wait for input with poll(2) on fd and on wakeup_fd (a signal self-pipe;
 * -1: none) before each read: when wakeup_fd becomes readable, or after
 * timeout_ms (-1: no limit), ndjson_read returns NDJSON_AGAIN without
 * reading, so no signal waits for the next line of input.  The caller
 * drains wakeup_fd.  Set the timeout again before each call as needed.
 */
void ndjson_reader_set_wakeup(struct ndjson_reader *r, int wakeup_fd);
void ndjson_reader_set_timeout(struct ndjson_reader *r, int timeout_ms);

/* The warning for NDJSON_TORN, the same in every program:
 * "prog: line 12: torn last line dropped: 157 bytes, no newline, not
 * complete JSON" (-q silences it).  The caller counts it as "torn". */
void ndjson_warn_torn(const struct ndjson_line *ln);

/* Continue reading from another fd; the line count is kept. */
void ndjson_reader_set_fd(struct ndjson_reader *r, int fd);

/*
 * --follow: at each end of input (the writer went away; its torn last
 * line dropped first) the reader closes its fd, opens path again without
 * blocking (O_NONBLOCK: a fifo with no writer yet waits in poll(2), not in
 * open(2)) and goes on, so NDJSON_EOF never comes.  From then on the
 * reader owns its fd (ndjson_reader_free() closes it) and polls before
 * each read, with the timeout of ndjson_reader_set_timeout() (0 for a
 * program that polls ndjson_reader_fd() itself).  A failed open is
 * NDJSON_ERROR with errno.
 */
void ndjson_reader_follow(struct ndjson_reader *r, const char *path);
/* The fd read now: it changes at each --follow reopen. */
int ndjson_reader_fd(const struct ndjson_reader *r);

/*
 * Open --input path for reading, the same in every program: NULL or "-"
 * is stdin (not opened); with follow a fifo opened with O_NONBLOCK (see
 * ndjson_reader_follow), else open(2) read-only, which for a fifo waits
 * for its writer (EINTR when a signal came).  Returns the fd or -1 with
 * errno.
 */
int ndjson_open_input(const char *path, bool follow);

/*
 * For a program written around stdin: --input path opened as above
 * (a wait for a fifo's writer interrupted by a signal is resumed unless
 * sig_stop) and put on descriptor 0.  Nothing to do for NULL.  0, or -1
 * with errno.
 */
int ndjson_input_on_stdin(const char *path, bool follow);

/* ---- writer ---- */

struct ndjson_writer;

/*
 * Open --output path for writing, the same in every program: NULL or "-"
 * is stdout (not opened); a fifo is opened write-only, which waits for its
 * reader (EINTR when a signal came); anything else is appended to, made
 * with mode 0644 when missing.  Returns the fd or -1 with errno.
 */
int ndjson_open_output(const char *path);

/*
 * For a program written around stdout (kcons): --output path opened as
 * ndjson_writer_open() does and put on descriptor 1.  Nothing to do for
 * NULL.  0, or -1 with errno.
 */
int ndjson_output_on_stdout(const char *path);

/*
 * The writer of --output path (NULL or "-": stdout), opened as above (a
 * wait for a fifo's reader interrupted by a signal is resumed unless
 * sig_stop), waiting up to reopen_timeout_s for a new reader as
 * ndjson_writer_reopen() says.  The writer owns the fd it opened:
 * ndjson_writer_free() closes it.  NULL with errno on failure.
 */
struct ndjson_writer *ndjson_writer_open(
    const char *path, double reopen_timeout_s);

/*
 * A record writer on fd (not owned).  When fd is a regular file output is
 * buffered; on a pipe, fifo, socket or terminal the caller's
 * ndjson_writer_idle() flushes whenever it would wait for input (see
 * ndjson_reader_on_read), so no
 * record waits in a buffer while the program is idle.
 */
struct ndjson_writer *ndjson_writer_new(int fd);
void ndjson_writer_free(struct ndjson_writer *w);

/* The buffer to append one record to (without '\n'), then commit. */
struct buf *ndjson_writer_buf(struct ndjson_writer *w);
/* Terminate the record with '\n'; writes out when the buffer is large.
 * Returns 0, or -1 on a write error (see ndjson_writer_gone). */
int ndjson_writer_commit(struct ndjson_writer *w);
/* Flush if the output is interactive (pipe, fifo, tty, socket). */
int ndjson_writer_idle(struct ndjson_writer *w);
/* Write out everything buffered.  Returns 0 or -1 with errno. */
int ndjson_writer_flush(struct ndjson_writer *w);
/* True once a write failed with EPIPE: downstream went away. */
bool ndjson_writer_gone(const struct ndjson_writer *w);

/*
 * When fd is the --output fifo path: a write that fails because its
 * reader went away (EPIPE) waits up to timeout_s for a new reader, then
 * writes the rest from the first byte not written, so a restarted reader
 * gets every record whole and nothing twice.  What stays in the pipe when
 * the reader dies stays for the next one (the writer holds the pipe);
 * what the dead reader had read but not passed on is lost (see
 * iotpipe(7)).  No reader within timeout_s is an error (ETIMEDOUT, see
 * ndjson_writer_strerror); a SIGINT/SIGTERM while waiting ends the wait as
 * downstream gone.  path is borrowed.
 */
void ndjson_writer_reopen(
    struct ndjson_writer *w, const char *path, double timeout_s);
/*
 * The wait of ndjson_writer_reopen() for a writer of its own (kcons): the
 * reader of fifo path, open on fd, went away; wait up to timeout_s for a
 * new one and put it on fd (keeping fd's O_NONBLOCK).  What is left to
 * write goes on from the first byte not written.  0, or -1 with errno:
 * ETIMEDOUT, EPIPE when SIGINT/SIGTERM ended the wait, or open(2)'s.
 */
int ndjson_wait_reader(int fd, const char *path, double timeout_s);
/* Times the writer waited for a new reader (a counter for --stats). */
unsigned long long ndjson_writer_reopens(const struct ndjson_writer *w);
/* The text of ndjson_writer_error(): strerror(), or what --reopen-timeout
 * ran out on. */
const char *ndjson_writer_strerror(const struct ndjson_writer *w);
/* errno of the first write error other than EPIPE, or 0. */
int ndjson_writer_error(const struct ndjson_writer *w);

#endif
