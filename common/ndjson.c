/* SPDX-License-Identifier: MIT */
/* NDJSON line reader with a bounded buffer, and the record writer. */
#include "prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonx.h"
#include "log.h"
#include "ndjson.h"
#include "sig.h"
#include "xalloc.h"

#define READ_CHUNK (64 * 1024)

struct ndjson_reader {
	int fd;
	size_t max_line;
	char *buf;
	size_t cap; /* max_line + READ_CHUNK + 2 */
	size_t start, end; /* unconsumed bytes are buf[start..end) */
	size_t scan; /* bytes from start already known to hold no '\n' */
	unsigned long long lineno;
	bool eof;
	/* skipping the rest of an over-long line */
	bool skipping;
	unsigned long long skipped;
	char keep[NDJSON_TOOLONG_KEEP];
	size_t keeplen;
	void (*on_read)(void *);
	void *on_read_arg;
	int wakeup_fd; /* -1: plain blocking reads */
	int timeout_ms;
	const char *follow; /* --follow: the path to open again at EOF */
};

struct ndjson_reader *
ndjson_reader_new(int fd, size_t max_line)
{
	struct ndjson_reader *r = xcalloc(1, sizeof(*r));

	r->fd = fd;
	r->wakeup_fd = -1;
	r->timeout_ms = -1;
	r->max_line = max_line;
	/* room for one whole line of max_line plus "\r\n" and a read */
	r->cap = max_line + 2 + READ_CHUNK;
	r->buf = xmalloc(r->cap);
	return r;
}

void
ndjson_reader_free(struct ndjson_reader *r)
{
	if (r == NULL)
		return;
	if (r->follow != NULL && r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}

void
ndjson_reader_set_fd(struct ndjson_reader *r, int fd)
{
	r->fd = fd;
	r->eof = false;
}

void
ndjson_reader_follow(struct ndjson_reader *r, const char *path)
{
	r->follow = path;
}

int
ndjson_reader_fd(const struct ndjson_reader *r)
{
	return r->fd;
}

int
ndjson_open_input(const char *path, bool follow)
{
	if (path == NULL || strcmp(path, "-") == 0)
		return STDIN_FILENO;
	return open(path, O_RDONLY | O_CLOEXEC | (follow ? O_NONBLOCK : 0));
}

int
ndjson_input_on_stdin(const char *path, bool follow)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	while ((fd = ndjson_open_input(path, follow)) < 0 && errno == EINTR &&
	    !sig_stop)
		;
	if (fd < 0)
		return -1;
	if (dup2(fd, STDIN_FILENO) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/* --follow at an end of input: the next writer's fifo. */
static int
reopen_input(struct ndjson_reader *r)
{
	int fd = ndjson_open_input(r->follow, true);

	if (fd < 0)
		return -1;
	close(r->fd);
	r->fd = fd;
	r->eof = false;
	return 0;
}

void
ndjson_reader_set_wakeup(struct ndjson_reader *r, int wakeup_fd)
{
	r->wakeup_fd = wakeup_fd;
}

void
ndjson_reader_set_timeout(struct ndjson_reader *r, int timeout_ms)
{
	r->timeout_ms = timeout_ms;
}

/* 1: input is ready; 0: woken up or timed out (NDJSON_AGAIN). */
static int
wait_input(struct ndjson_reader *r)
{
	struct pollfd pfd[2];
	int n;

	pfd[0].fd = r->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = r->wakeup_fd;
	pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	n = poll(pfd, 2, r->timeout_ms);
	if (n <= 0 || (pfd[1].revents & POLLIN))
		return 0;
	return 1;
}

void
ndjson_reader_on_read(struct ndjson_reader *r, void (*fn)(void *), void *arg)
{
	r->on_read = fn;
	r->on_read_arg = arg;
}

bool
ndjson_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/* Add what still fits of p[0..n) to the head kept of an over-long line:
 * its first NDJSON_TOOLONG_KEEP bytes, whatever the read sizes were. */
static void
keep_head(struct ndjson_reader *r, const char *p, size_t n)
{
	size_t room = NDJSON_TOOLONG_KEEP - r->keeplen;

	if (n > room)
		n = room;
	memcpy(r->keep + r->keeplen, p, n);
	r->keeplen += n;
}

/* Hand out buf[start..start+n) as a line (n excludes the '\n'). */
static enum ndjson_status
emit_line(
    struct ndjson_reader *r, size_t n, size_t consumed, struct ndjson_line *out)
{
	const char *p = r->buf + r->start;

	r->start += consumed;
	r->scan = 0;
	r->lineno++;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (r->skipping) {
		/* the tail of an over-long line */
		r->skipping = false;
		keep_head(r, p, n);
		out->line = r->keep;
		out->len = r->keeplen;
		out->total = r->skipped + n;
		out->lineno = r->lineno;
		return NDJSON_TOOLONG;
	}
	if (n > r->max_line) {
		out->line = p;
		out->len = n < NDJSON_TOOLONG_KEEP ? n : NDJSON_TOOLONG_KEEP;
		out->total = n;
		out->lineno = r->lineno;
		return NDJSON_TOOLONG;
	}
	out->line = p;
	out->len = n;
	out->total = n;
	out->lineno = r->lineno;
	return NDJSON_LINE;
}

/* Whether p[0..n) is one complete JSON value, a leading byte order mark
 * aside. */
static bool
complete_json(const char *p, size_t n)
{
	struct jsonx_scan scan;

	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		n -= 3;
	}
	memset(&scan, 0, sizeof(scan));
	return jsonx_scan(p, n, &scan) == JSONX_OK;
}

/* The bytes before an end of input, avail of them, with no '\n': a
 * record, a line too long, or torn. */
static enum ndjson_status
last_line(struct ndjson_reader *r, size_t avail, struct ndjson_line *out)
{
	enum ndjson_status st = emit_line(r, avail, avail, out);

	if (st != NDJSON_LINE)
		return st;
	if (ndjson_blank(out->line, out->len))
		return ndjson_read(r, out);
	return complete_json(out->line, out->len) ? NDJSON_LINE : NDJSON_TORN;
}

void
ndjson_warn_torn(const struct ndjson_line *ln)
{
	log_warn("line %llu: torn last line dropped: %llu bytes, no newline, "
		 "not complete JSON",
	    ln->lineno, ln->total);
}

enum ndjson_status
ndjson_read(struct ndjson_reader *r, struct ndjson_line *out)
{
	for (;;) {
		size_t avail = r->end - r->start;
		char *nl;
		ssize_t got;

		nl = memchr(r->buf + r->start + r->scan, '\n', avail - r->scan);
		if (nl != NULL) {
			size_t n = (size_t)(nl - (r->buf + r->start));
			enum ndjson_status st = emit_line(r, n, n + 1, out);

			if (st == NDJSON_LINE &&
			    ndjson_blank(out->line, out->len))
				continue;
			return st;
		}
		r->scan = avail;
		if (r->eof) {
			if (avail > 0 || r->skipping)
				return last_line(r, avail, out);
			if (r->follow == NULL)
				return NDJSON_EOF;
			if (reopen_input(r) < 0)
				return NDJSON_ERROR;
			continue;
		}
		/* before the buffer changes: the lines handed out so far
		 * stay valid until then */
		if (r->on_read)
			r->on_read(r->on_read_arg);
		/* a line longer than max_line (+ "\r"): keep its head, drop
		 * the rest as it comes */
		if (avail > r->max_line + 1) {
			if (!r->skipping) {
				r->skipping = true;
				r->keeplen = 0;
				r->skipped = 0;
			}
			/* keep one byte: it may be the '\r' of "\r\n" */
			keep_head(r, r->buf + r->start, avail - 1);
			r->skipped += avail - 1;
			r->buf[0] = r->buf[r->end - 1];
			r->start = 0;
			r->end = 1;
			r->scan = 1;
			avail = 1;
		}
		if (r->start > 0 && r->cap - r->end < READ_CHUNK) {
			memmove(r->buf, r->buf + r->start, avail);
			r->start = 0;
			r->end = avail;
		}
		if ((r->wakeup_fd >= 0 || r->follow != NULL) && !wait_input(r))
			return NDJSON_AGAIN;
		got = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				return NDJSON_AGAIN;
			return NDJSON_ERROR;
		}
		if (got == 0)
			r->eof = true;
		r->end += (size_t)got;
	}
}

/* ---------------------------------------------------------------- writer */

#define WRITE_HIGH (64 * 1024)

struct ndjson_writer {
	int fd;
	bool interactive;
	bool gone;
	int error;
	struct buf b;
	bool owned; /* fd opened by ndjson_writer_open() */
	const char *reopen; /* --output fifo: wait for its next reader */
	double reopen_timeout_s;
	unsigned long long reopens;
};

int
ndjson_open_output(const char *path)
{
	struct stat st;

	if (path == NULL || strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode))
		return open(path, O_WRONLY | O_CLOEXEC);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

void
ndjson_writer_reopen(
    struct ndjson_writer *w, const char *path, double timeout_s)
{
	struct stat st;

	if (path != NULL && stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
		w->reopen = path;
		w->reopen_timeout_s = timeout_s;
	}
}

unsigned long long
ndjson_writer_reopens(const struct ndjson_writer *w)
{
	return w->reopens;
}

const char *
ndjson_writer_strerror(const struct ndjson_writer *w)
{
	if (w->error == ETIMEDOUT && w->reopen != NULL)
		return "no new reader within --reopen-timeout";
	return strerror(w->error);
}

int
ndjson_wait_reader(int fd, const char *path, double timeout_s)
{
	double waited = 0;
	int nfd, fl, ofl;

	log_info("%s: reader gone; waiting up to %g s for the next", path,
	    timeout_s);
	for (;;) {
		if (sig_stop) {
			errno = EPIPE;
			return -1;
		}
		nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (nfd >= 0)
			break;
		if (errno != ENXIO && errno != EINTR)
			return -1;
		if (waited >= timeout_s) {
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(20000);
		waited += 0.02;
	}
	/* the new fd takes the old one's number and its O_NONBLOCK */
	if ((ofl = fcntl(fd, F_GETFL)) < 0 || (fl = fcntl(nfd, F_GETFL)) < 0 ||
	    fcntl(nfd, F_SETFL, (fl & ~O_NONBLOCK) | (ofl & O_NONBLOCK)) < 0 ||
	    dup2(nfd, fd) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int saved = errno;

		close(nfd);
		errno = saved;
		return -1;
	}
	close(nfd);
	log_info("%s: a new reader came", path);
	return 0;
}

/* The reader of the --output fifo went away: wait for the next one.  0
 * when a reader came, -1 with w->gone or w->error set. */
static int
wait_reader(struct ndjson_writer *w)
{
	w->reopens++;
	if (ndjson_wait_reader(w->fd, w->reopen, w->reopen_timeout_s) == 0)
		return 0;
	if (errno == EPIPE)
		w->gone = true;
	else
		w->error = errno;
	return -1;
}

struct ndjson_writer *
ndjson_writer_new(int fd)
{
	struct ndjson_writer *w = xcalloc(1, sizeof(*w));
	struct stat st;

	w->fd = fd;
	w->interactive = !(fstat(fd, &st) == 0 &&
	    (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ||
		(S_ISCHR(st.st_mode) && !isatty(fd))));
	buf_grow(&w->b, WRITE_HIGH + 4096);
	return w;
}

int
ndjson_output_on_stdout(const char *path)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	while (
	    (fd = ndjson_open_output(path)) < 0 && errno == EINTR && !sig_stop)
		;
	if (fd < 0)
		return -1;
	if (dup2(fd, STDOUT_FILENO) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

struct ndjson_writer *
ndjson_writer_open(const char *path, double reopen_timeout_s)
{
	struct ndjson_writer *w;
	int fd;

	while (
	    (fd = ndjson_open_output(path)) < 0 && errno == EINTR && !sig_stop)
		;
	if (fd < 0)
		return NULL;
	w = ndjson_writer_new(fd);
	w->owned = fd != STDOUT_FILENO;
	ndjson_writer_reopen(w, path, reopen_timeout_s);
	return w;
}

void
ndjson_writer_free(struct ndjson_writer *w)
{
	if (w == NULL)
		return;
	if (w->owned)
		close(w->fd);
	buf_free(&w->b);
	free(w);
}

struct buf *
ndjson_writer_buf(struct ndjson_writer *w)
{
	return &w->b;
}

int
ndjson_writer_flush(struct ndjson_writer *w)
{
	size_t off = 0;

	if (w->gone || w->error) {
		w->b.len = 0;
		errno = w->gone ? EPIPE : w->error;
		return -1;
	}
	while (off < w->b.len) {
		ssize_t n = write(w->fd, w->b.data + off, w->b.len - off);

		if (n < 0) {
			if ((errno == EINTR || errno == EAGAIN ||
				errno == EWOULDBLOCK) &&
			    sig_stop >= 2) {
				/* a second ^C stops a writer stuck on a full
				 * pipe, as the contract says */
				w->error = EINTR;
				w->b.len = 0;
				return -1;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* a non-blocking stdout: wait, we must not
				 * drop records */
				usleep(1000);
				continue;
			}
			if (errno == EPIPE && w->reopen != NULL) {
				if (wait_reader(w) == 0)
					continue;
			} else if (errno == EPIPE)
				w->gone = true;
			else
				w->error = errno;
			w->b.len = 0;
			return -1;
		}
		off += (size_t)n;
	}
	w->b.len = 0;
	return 0;
}

int
ndjson_writer_commit(struct ndjson_writer *w)
{
	buf_addc(&w->b, '\n');
	if (w->b.len >= WRITE_HIGH)
		return ndjson_writer_flush(w);
	return w->gone || w->error ? -1 : 0;
}

int
ndjson_writer_idle(struct ndjson_writer *w)
{
	if (w->interactive && w->b.len > 0)
		return ndjson_writer_flush(w);
	return w->gone || w->error ? -1 : 0;
}

bool
ndjson_writer_gone(const struct ndjson_writer *w)
{
	return w->gone;
}

int
ndjson_writer_error(const struct ndjson_writer *w)
{
	return w->error;
}
