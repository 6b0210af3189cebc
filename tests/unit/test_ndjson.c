/* SPDX-License-Identifier: MIT */
/* Unit tests for common/ndjson: the bounded line reader and the writer. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/ndjson.h"
#include "common/sig.h"

/* ---- helpers ---- */

/* What the reader handed out, one event per call. */
struct event {
	enum ndjson_status st;
	char *text; /* NUL-terminated copy of line/len */
	size_t len;
	unsigned long long lineno, total;
};

struct events {
	struct event ev[256];
	size_t n;
};

static void
events_free(struct events *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->ev[i].text);
	e->n = 0;
}

/* Read to EOF (or error), recording every event; AGAIN is retried. */
static void
read_all(struct ndjson_reader *r, struct events *e)
{
	struct ndjson_line ln;
	enum ndjson_status st;

	for (;;) {
		st = ndjson_read(r, &ln);
		if (st == NDJSON_AGAIN)
			continue;
		assert_true(e->n < sizeof(e->ev) / sizeof(e->ev[0]));
		e->ev[e->n].st = st;
		e->ev[e->n].text = NULL;
		if (st == NDJSON_LINE || st == NDJSON_TOOLONG ||
		    st == NDJSON_TORN) {
			e->ev[e->n].text = malloc(ln.len + 1);
			assert_non_null(e->ev[e->n].text);
			memcpy(e->ev[e->n].text, ln.line, ln.len);
			e->ev[e->n].text[ln.len] = '\0';
			e->ev[e->n].len = ln.len;
			e->ev[e->n].lineno = ln.lineno;
			e->ev[e->n].total = ln.total;
		}
		e->n++;
		if (st == NDJSON_EOF || st == NDJSON_ERROR)
			return;
	}
}

/* A temporary file holding data, positioned at its start. */
static int
temp_fd(const void *data, size_t len)
{
	char path[] = "/tmp/test_ndjson.XXXXXX";
	int fd = mkstemp(path);
	size_t off = 0;

	assert_true(fd >= 0);
	unlink(path);
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		assert_true(n > 0);
		off += (size_t)n;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
read_bytes(const void *data, size_t len, size_t max_line, struct events *e)
{
	int fd = temp_fd(data, len);
	struct ndjson_reader *r = ndjson_reader_new(fd, max_line);

	read_all(r, e);
	ndjson_reader_free(r);
	close(fd);
}

/*
 * Deterministic splitting: before each read(2) the reader calls on_read,
 * which puts the next chunk into the pipe, so every read sees exactly one
 * chunk.  When the data is gone the write end is closed (EOF).
 */
struct feed {
	int wfd;
	const char *data;
	size_t len, off, chunk;
	unsigned long calls;
};

static void
feed_next(void *arg)
{
	struct feed *f = arg;

	f->calls++;
	if (f->off < f->len) {
		size_t n =
		    f->len - f->off < f->chunk ? f->len - f->off : f->chunk;
		ssize_t w = write(f->wfd, f->data + f->off, n);

		assert_int_equal(w, (ssize_t)n);
		f->off += n;
	} else if (f->wfd >= 0) {
		close(f->wfd);
		f->wfd = -1;
	}
}

static void
read_chunked(const void *data, size_t len, size_t chunk, size_t max_line,
    struct events *e)
{
	int p[2];
	struct feed f;
	struct ndjson_reader *r;

	assert_int_equal(pipe(p), 0);
	memset(&f, 0, sizeof(f));
	f.wfd = p[1];
	f.data = data;
	f.len = len;
	f.chunk = chunk;
	r = ndjson_reader_new(p[0], max_line);
	ndjson_reader_on_read(r, feed_next, &f);
	read_all(r, e);
	ndjson_reader_free(r);
	if (f.wfd >= 0)
		close(f.wfd);
	close(p[0]);
}

static void
assert_event(const struct events *e, size_t i, enum ndjson_status st,
    const char *text, unsigned long long lineno)
{
	if (i >= e->n)
		fail_msg("event %zu missing (have %zu)", i, e->n);
	if (e->ev[i].st != st)
		fail_msg("event %zu: status %d, want %d (%s)", i, e->ev[i].st,
		    st, e->ev[i].text ? e->ev[i].text : "-");
	if (text != NULL &&
	    (e->ev[i].len != strlen(text) || strcmp(e->ev[i].text, text) != 0))
		fail_msg("event %zu: '%s' (%zu bytes), want '%s'", i,
		    e->ev[i].text, e->ev[i].len, text);
	if (lineno != 0 && e->ev[i].lineno != lineno)
		fail_msg("event %zu: line %llu, want %llu", i, e->ev[i].lineno,
		    lineno);
}

/* A recognisable pattern: byte i of a long line. */
static char
pat(size_t i)
{
	return (char)('a' + (i * 7 + i / 26) % 26);
}

static char *
long_line(size_t n)
{
	char *s = malloc(n + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		s[i] = pat(i);
	s[n] = '\0';
	return s;
}

/* The event is a TOOLONG report of a pattern line of total bytes. */
static void
assert_toolong(const struct events *e, size_t i, unsigned long long total,
    unsigned long long lineno)
{
	size_t k,
	    want = total < NDJSON_TOOLONG_KEEP ? total : NDJSON_TOOLONG_KEEP;

	assert_event(e, i, NDJSON_TOOLONG, NULL, lineno);
	assert_int_equal(e->ev[i].total, total);
	assert_int_equal(e->ev[i].len, want);
	for (k = 0; k < want; k++)
		if (e->ev[i].text[k] != pat(k))
			fail_msg("TOOLONG head differs at byte %zu", k);
}

/* ---- reader ---- */

static void
test_crlf_blank_lines(void **state)
{
	static const char in[] = "{\"a\":1}\r\n"
				 "\n"
				 "   \n"
				 "\t \t\r\n"
				 "\r\n"
				 "b\n"
				 "\r\r\n"
				 "c\rd\n"
				 " x \r\n"
				 "\n";
	struct events e = {0};

	(void)state;
	read_bytes(in, sizeof(in) - 1, 64, &e);
	assert_int_equal(e.n, 6);
	assert_event(&e, 0, NDJSON_LINE, "{\"a\":1}", 1);
	/* blank, space-only and CR-only lines are skipped but counted */
	assert_event(&e, 1, NDJSON_LINE, "b", 6);
	/* only one trailing CR goes */
	assert_event(&e, 2, NDJSON_LINE, "\r", 7);
	assert_event(&e, 3, NDJSON_LINE, "c\rd", 8);
	/* surrounding blanks of a real line are kept */
	assert_event(&e, 4, NDJSON_LINE, " x ", 9);
	assert_event(&e, 5, NDJSON_EOF, NULL, 0);
	events_free(&e);
}

static void
test_blank(void **state)
{
	(void)state;
	assert_true(ndjson_blank("", 0));
	assert_true(ndjson_blank(" \t  ", 4));
	assert_true(ndjson_blank(" x", 1)); /* only the first n bytes count */
	assert_false(ndjson_blank(" x", 2));
	assert_false(ndjson_blank("\r", 1)); /* the reader strips a CR first */
	assert_false(ndjson_blank("\xEF\xBB\xBF", 3)); /* a BOM is no blank */
}

static void
test_last_line_without_newline(void **state)
{
	struct events e = {0};

	(void)state;
	read_bytes("a\n2", 3, 64, &e);
	assert_int_equal(e.n, 3);
	assert_event(&e, 0, NDJSON_LINE, "a", 1);
	assert_event(&e, 1, NDJSON_LINE, "2", 2);
	assert_event(&e, 2, NDJSON_EOF, NULL, 0);
	events_free(&e);

	read_bytes("a\n2\r", 4, 64, &e);
	assert_event(&e, 1, NDJSON_LINE, "2", 2);
	assert_event(&e, 2, NDJSON_EOF, NULL, 0);
	events_free(&e);

	/* a blank last line is still not a record */
	read_bytes("a\n \t", 4, 64, &e);
	assert_int_equal(e.n, 2);
	assert_event(&e, 1, NDJSON_EOF, NULL, 0);
	events_free(&e);
	read_bytes("a\n\r", 3, 64, &e);
	assert_int_equal(e.n, 2);
	events_free(&e);

	/* empty input */
	read_bytes("", 0, 64, &e);
	assert_int_equal(e.n, 1);
	assert_event(&e, 0, NDJSON_EOF, NULL, 0);
	events_free(&e);

	/* EOF is sticky */
	{
		int fd = temp_fd("7", 1);
		struct ndjson_reader *r = ndjson_reader_new(fd, 8);
		struct ndjson_line ln;

		assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
		assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
		assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
		ndjson_reader_free(r);
		close(fd);
	}
}

/* A last line without '\n' that is not a complete JSON value is torn: what
 * a writer killed mid-line leaves, no record. */
static void
test_torn_last_line(void **state)
{
	static const char torn[] = "{\"a\":1}\n{\"vin\":\"WB\",\"speed\":8";
	struct events e = {0};

	(void)state;
	read_bytes(torn, sizeof(torn) - 1, 64, &e);
	assert_int_equal(e.n, 3);
	assert_event(&e, 0, NDJSON_LINE, "{\"a\":1}", 1);
	assert_event(&e, 1, NDJSON_TORN, "{\"vin\":\"WB\",\"speed\":8", 2);
	assert_int_equal(e.ev[1].total, 21);
	assert_event(&e, 2, NDJSON_EOF, NULL, 0);
	events_free(&e);

	/* the same cut across reads */
	read_chunked(torn, sizeof(torn) - 1, 3, 64, &e);
	assert_event(&e, 1, NDJSON_TORN, "{\"vin\":\"WB\",\"speed\":8", 2);
	events_free(&e);

	/* a CR before the end does not make it whole */
	read_bytes("[1,2\r", 5, 64, &e);
	assert_event(&e, 0, NDJSON_TORN, "[1,2", 1);
	events_free(&e);

	/* complete JSON without '\n' stays a record: a value of each kind,
	 * with a byte order mark and surrounding blanks */
	read_bytes("{\"a\":[1,{}]}", 12, 64, &e);
	assert_event(&e, 0, NDJSON_LINE, "{\"a\":[1,{}]}", 1);
	events_free(&e);
	read_bytes("\"s\"", 3, 64, &e);
	assert_event(&e, 0, NDJSON_LINE, "\"s\"", 1);
	events_free(&e);
	read_bytes("true", 4, 64, &e);
	assert_event(&e, 0, NDJSON_LINE, "true", 1);
	events_free(&e);
	read_bytes("\xEF\xBB\xBF{} ", 6, 64, &e);
	assert_event(&e, 0, NDJSON_LINE, "\xEF\xBB\xBF{} ", 1);
	events_free(&e);

	/* cut numbers, literals and escapes are torn; a cut inside a
	 * UTF-8 sequence too */
	read_bytes("tru", 3, 64, &e);
	assert_event(&e, 0, NDJSON_TORN, "tru", 1);
	events_free(&e);
	read_bytes("[\"a\\", 4, 64, &e);
	assert_event(&e, 0, NDJSON_TORN, "[\"a\\", 1);
	events_free(&e);
	read_bytes("\"\xC3", 2, 64, &e);
	assert_event(&e, 0, NDJSON_TORN, "\"\xC3", 1);
	events_free(&e);

	/* only the last line: a broken line with its '\n' is a record (a
	 * reject for the program), and a torn one over max_line is too long */
	read_bytes("{x\n{\"a\"", 7, 64, &e);
	assert_event(&e, 0, NDJSON_LINE, "{x", 1);
	assert_event(&e, 1, NDJSON_TORN, "{\"a\"", 2);
	events_free(&e);
	read_bytes("[1,2,3,4,5,6,7,8,9", 18, 16, &e);
	assert_int_equal(e.ev[0].st, NDJSON_TOOLONG);
	events_free(&e);
}

/* At each end of input the same rule: a --follow reader moving to the
 * next writer's fd drops what the last one tore, and the line count goes
 * on. */
static void
test_torn_each_reopen(void **state)
{
	int fd1 = temp_fd("{\"a\":1}\n{\"b\":", 13);
	int fd2 = temp_fd("{\"c\":3}\n{\"d\":4}", 15);
	struct ndjson_reader *r = ndjson_reader_new(fd1, 64);
	struct ndjson_line ln;

	(void)state;
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_TORN);
	assert_int_equal(ln.lineno, 2);
	assert_int_equal(ln.total, 5);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
	ndjson_reader_set_fd(r, fd2);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ln.lineno, 3);
	assert_int_equal(ln.len, 7);
	assert_memory_equal(ln.line, "{\"c\":3}", 7);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ln.lineno, 4);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
	ndjson_reader_free(r);
	close(fd1);
	close(fd2);
}

static void
test_max_line_boundary(void **state)
{
	struct events e = {0};
	size_t chunk;

	(void)state;
	for (chunk = 0; chunk < 4; chunk++) {
		static const size_t chunks[] = {0, 1, 3, 5};
		static const char in[] = "12345678\n"
					 "12345678\r\n"
					 "abcdefghi\n"
					 "abcdefgh\r\r\n"
					 "ok\n"
					 "123456789";

		if (chunks[chunk] == 0)
			read_bytes(in, sizeof(in) - 1, 8, &e);
		else
			read_chunked(in, sizeof(in) - 1, chunks[chunk], 8, &e);
		assert_int_equal(e.n, 7);
		/* exactly max_line bytes, with and without CR */
		assert_event(&e, 0, NDJSON_LINE, "12345678", 1);
		assert_event(&e, 1, NDJSON_LINE, "12345678", 2);
		/* one byte over: reported with its size and first bytes */
		assert_event(&e, 2, NDJSON_TOOLONG, "abcdefghi", 3);
		assert_int_equal(e.ev[2].total, 9);
		/* one CR is the terminator, the other is data */
		assert_event(&e, 3, NDJSON_TOOLONG, "abcdefgh\r", 4);
		assert_int_equal(e.ev[3].total, 9);
		/* the next line is read normally */
		assert_event(&e, 4, NDJSON_LINE, "ok", 5);
		/* over-long last line without '\n' */
		assert_event(&e, 5, NDJSON_TOOLONG, "123456789", 6);
		assert_int_equal(e.ev[5].total, 9);
		assert_event(&e, 6, NDJSON_EOF, NULL, 0);
		events_free(&e);
	}
}

/* Over-long lines arriving in one read or in small pieces give the same
 * report: the full size and the first NDJSON_TOOLONG_KEEP bytes. */
static void
test_toolong_resync(void **state)
{
	static const size_t sizes[] = {
	    17, 1023, 1024, 1025, 3000, 70000, 200001};
	static const size_t chunks[] = {0, 1, 7, 10, 512, 4096, 60000};
	struct buf in = BUF_INIT;
	struct events e = {0};
	size_t s, c;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		char *l = long_line(sizes[s]);

		buf_reset(&in);
		buf_adds(&in, "first\n");
		buf_add(&in, l, sizes[s]);
		buf_adds(&in, "\r\nsecond\n");
		buf_add(&in, l, sizes[s]);
		buf_adds(&in, "\nthird\n");
		buf_add(&in, l, sizes[s]);
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			if (chunks[c] == 1 && sizes[s] > 5000)
				continue; /* slow and adds nothing */
			if (chunks[c] == 0)
				read_bytes(in.data, in.len, 16, &e);
			else
				read_chunked(
				    in.data, in.len, chunks[c], 16, &e);
			assert_int_equal(e.n, 7);
			assert_event(&e, 0, NDJSON_LINE, "first", 1);
			assert_toolong(&e, 1, sizes[s], 2);
			assert_event(&e, 2, NDJSON_LINE, "second", 3);
			assert_toolong(&e, 3, sizes[s], 4);
			assert_event(&e, 4, NDJSON_LINE, "third", 5);
			assert_toolong(&e, 5, sizes[s], 6);
			assert_event(&e, 6, NDJSON_EOF, NULL, 0);
			events_free(&e);
		}
		free(l);
	}
	buf_free(&in);
}

/* The same bytes cut at every possible size give the same records. */
static void
test_split_reads_equivalent(void **state)
{
	static const char in[] =
	    "{\"vin\":\"A\",\"n\":1}\r\n"
	    "\n"
	    "  \n"
	    "{\"vin\":\"B\",\"s\":\"a line a bit longer\"}\n"
	    "0123456789012345678901234567890123456789\n"
	    "\r\n"
	    "tail";
	struct events ref = {0}, e = {0};
	size_t chunk, i;

	(void)state;
	read_bytes(in, sizeof(in) - 1, 32, &ref);
	assert_int_equal(ref.n, 5);
	assert_event(&ref, 2, NDJSON_TOOLONG, NULL, 5);
	assert_int_equal(ref.ev[2].total, 40);
	for (chunk = 1; chunk <= sizeof(in); chunk++) {
		read_chunked(in, sizeof(in) - 1, chunk, 32, &e);
		assert_int_equal(e.n, ref.n);
		for (i = 0; i < ref.n; i++) {
			assert_int_equal(e.ev[i].st, ref.ev[i].st);
			assert_int_equal(e.ev[i].lineno, ref.ev[i].lineno);
			assert_int_equal(e.ev[i].total, ref.ev[i].total);
			if (ref.ev[i].text != NULL) {
				assert_int_equal(e.ev[i].len, ref.ev[i].len);
				assert_memory_equal(e.ev[i].text,
				    ref.ev[i].text, ref.ev[i].len);
			}
		}
		events_free(&e);
	}
	events_free(&ref);
}

/* A real concurrent writer, one byte per write(2). */
static void
test_split_writes_forked_writer(void **state)
{
	static const char in[] = "{\"a\":1}\r\n\n{\"b\":[1,2,3]}\n\"last\"";
	struct events e = {0};
	int p[2], status;
	pid_t pid;
	size_t i;

	(void)state;
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		for (i = 0; i < sizeof(in) - 1; i++) {
			if (write(p[1], in + i, 1) != 1)
				_exit(1);
			if (i % 4 == 0)
				usleep(200);
		}
		_exit(0);
	}
	close(p[1]);
	{
		struct ndjson_reader *r = ndjson_reader_new(p[0], 64);

		read_all(r, &e);
		ndjson_reader_free(r);
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(e.n, 4);
	assert_event(&e, 0, NDJSON_LINE, "{\"a\":1}", 1);
	assert_event(&e, 1, NDJSON_LINE, "{\"b\":[1,2,3]}", 3);
	assert_event(&e, 2, NDJSON_LINE, "\"last\"", 4);
	assert_event(&e, 3, NDJSON_EOF, NULL, 0);
	events_free(&e);
}

static long
max_rss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* 10 MiB on one line with max_line 1 KiB: reported, skipped, and never
 * held in memory whole. */
static void
test_huge_line_bounded(void **state)
{
	const size_t big = 10 * 1024 * 1024;
	struct events e = {0};
	int p[2], status;
	pid_t pid;
	long before;

	(void)state;
	before = max_rss_kib();
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char chunk[4096];
		size_t off = 0, i;

		close(p[0]);
		if (write(p[1], "{\"ok\":1}\n", 9) != 9)
			_exit(1);
		while (off < big) {
			for (i = 0; i < sizeof(chunk); i++)
				chunk[i] = pat(off + i);
			if (write(p[1], chunk, sizeof(chunk)) !=
			    (ssize_t)sizeof(chunk))
				_exit(1);
			off += sizeof(chunk);
		}
		if (write(p[1], "\n{\"ok\":2}\n", 10) != 10)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	{
		struct ndjson_reader *r = ndjson_reader_new(p[0], 1024);

		read_all(r, &e);
		ndjson_reader_free(r);
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(e.n, 4);
	assert_event(&e, 0, NDJSON_LINE, "{\"ok\":1}", 1);
	assert_toolong(&e, 1, big, 2);
	assert_event(&e, 2, NDJSON_LINE, "{\"ok\":2}", 3);
	assert_event(&e, 3, NDJSON_EOF, NULL, 0);
	events_free(&e);
	/* the reader's buffer is max_line + one read: far below 10 MiB */
	assert_true(max_rss_kib() - before < 4 * 1024);
}

static void
test_huge_last_line_without_newline(void **state)
{
	const size_t big = 3 * 1024 * 1024 + 5;
	char *l = long_line(big);
	struct buf in = BUF_INIT;
	struct events e = {0};

	(void)state;
	buf_adds(&in, "a\n");
	buf_add(&in, l, big);
	read_bytes(in.data, in.len, 1024, &e);
	assert_int_equal(e.n, 3);
	assert_event(&e, 0, NDJSON_LINE, "a", 1);
	assert_toolong(&e, 1, big, 2);
	assert_event(&e, 2, NDJSON_EOF, NULL, 0);
	events_free(&e);
	/* and with a CR before EOF */
	buf_addc(&in, '\r');
	read_chunked(in.data, in.len, 60000, 1024, &e);
	assert_toolong(&e, 1, big, 2);
	assert_event(&e, 2, NDJSON_EOF, NULL, 0);
	events_free(&e);
	buf_free(&in);
	free(l);
}

static void
test_eagain_nonblocking(void **state)
{
	int p[2];
	struct ndjson_reader *r;
	struct ndjson_line ln;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	r = ndjson_reader_new(p[0], 64);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	assert_int_equal(write(p[1], "a\npar", 5), 5);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ln.len, 1);
	assert_int_equal(ln.lineno, 1);
	/* a partial line is kept across AGAIN */
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	assert_int_equal(write(p[1], "t\r", 2), 2);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	assert_int_equal(write(p[1], "\n", 1), 1);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ln.len, 4);
	assert_memory_equal(ln.line, "part", 4);
	assert_int_equal(ln.lineno, 2);
	close(p[1]);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
	ndjson_reader_free(r);
	close(p[0]);
}

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A signal interrupting a blocked read gives NDJSON_AGAIN, not an error. */
static void
test_eintr_again(void **state)
{
	struct sigaction sa, old;
	struct itimerval it;
	struct ndjson_reader *r;
	struct ndjson_line ln;
	int p[2];

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(pipe(p), 0);
	r = ndjson_reader_new(p[0], 64);
	/* repeating, so a signal that comes before read(2) blocks is
	 * followed by one that interrupts it */
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 50000;
	it.it_interval.tv_usec = 50000;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	memset(&it, 0, sizeof(it));
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_true(alarms > 0);
	assert_int_equal(write(p[1], "x\n", 2), 2);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	ndjson_reader_free(r);
	close(p[0]);
	close(p[1]);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
}

/* on_read runs before each read: here it produces the input, so a
 * non-blocking pipe never reports AGAIN. */
static void
test_on_read_before_read(void **state)
{
	static const char in[] = "one\ntwo\n\nthree\n";
	struct feed f;
	struct ndjson_reader *r;
	struct ndjson_line ln;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	memset(&f, 0, sizeof(f));
	f.wfd = p[1];
	f.data = in;
	f.len = sizeof(in) - 1;
	f.chunk = 2;
	r = ndjson_reader_new(p[0], 64);
	ndjson_reader_on_read(r, feed_next, &f);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_memory_equal(ln.line, "one", 3);
	/* "on" and "e\n": two reads, each after a call */
	assert_int_equal(f.calls, 2);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_memory_equal(ln.line, "two", 3);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_memory_equal(ln.line, "three", 5);
	assert_int_equal(ln.lineno, 4);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
	assert_int_equal(f.calls, 9);
	ndjson_reader_free(r);
	close(p[0]);
}

static void
count_call(void *arg)
{
	(*(unsigned long *)arg)++;
}

static void
test_on_read_counts(void **state)
{
	unsigned long calls = 0;
	struct ndjson_reader *r;
	struct ndjson_line ln;
	int fd = temp_fd("a\nb\nc\n", 6);

	(void)state;
	r = ndjson_reader_new(fd, 64);
	ndjson_reader_on_read(r, count_call, &calls);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(calls, 1);
	/* b and c come from the buffer */
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(calls, 1);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
	assert_int_equal(calls, 2);
	ndjson_reader_free(r);
	close(fd);
}

static void
test_read_error(void **state)
{
	struct ndjson_reader *r;
	struct ndjson_line ln;
	int fd = open("/dev/null", O_WRONLY);

	(void)state;
	assert_true(fd >= 0);
	r = ndjson_reader_new(fd, 64);
	errno = 0;
	assert_int_equal(ndjson_read(r, &ln), NDJSON_ERROR);
	assert_int_equal(errno, EBADF);
	ndjson_reader_free(r);
	close(fd);
	ndjson_reader_free(NULL);
}

static void
test_set_fd(void **state)
{
	struct ndjson_reader *r;
	struct ndjson_line ln;
	int p[2], fd2, fd3;

	(void)state;
	/* a partial line is continued from the next fd */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(write(p[1], "a\npar", 5), 5);
	r = ndjson_reader_new(p[0], 64);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	fd2 = temp_fd("t\nb\n", 4);
	ndjson_reader_set_fd(r, fd2);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ln.len, 4);
	assert_memory_equal(ln.line, "part", 4);
	assert_int_equal(ln.lineno, 2);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ln.lineno, 3);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
	/* after EOF (a --follow reopen) reading goes on, line count kept */
	fd3 = temp_fd("y\n", 2);
	ndjson_reader_set_fd(r, fd3);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_memory_equal(ln.line, "y", 1);
	assert_int_equal(ln.lineno, 4);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_EOF);
	ndjson_reader_free(r);
	close(p[0]);
	close(p[1]);
	close(fd2);
	close(fd3);
}

/* ---- writer ---- */

static off_t
fd_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

static void
put(struct ndjson_writer *w, const char *s)
{
	buf_adds(ndjson_writer_buf(w), s);
	assert_int_equal(ndjson_writer_commit(w), 0);
}

static void
test_writer_regular_file_buffered(void **state)
{
	int fd = temp_fd("", 0);
	struct ndjson_writer *w = ndjson_writer_new(fd);
	char back[32];
	size_t i;

	(void)state;
	put(w, "{\"a\":1}");
	put(w, "{\"b\":2}");
	/* a file is not interactive: idle does not flush */
	assert_int_equal(ndjson_writer_idle(w), 0);
	assert_int_equal(fd_size(fd), 0);
	assert_int_equal(ndjson_writer_flush(w), 0);
	assert_int_equal(fd_size(fd), 16);
	assert_int_equal(pread(fd, back, 16, 0), 16);
	assert_memory_equal(back, "{\"a\":1}\n{\"b\":2}\n", 16);
	/* a large backlog is written without a flush */
	for (i = 0; i < 20000; i++)
		put(w, "{\"n\":12345}");
	assert_true(fd_size(fd) > 16);
	assert_int_equal(ndjson_writer_flush(w), 0);
	assert_int_equal(fd_size(fd), 16 + 20000 * 12);
	assert_false(ndjson_writer_gone(w));
	assert_int_equal(ndjson_writer_error(w), 0);
	/* flushing nothing is fine */
	assert_int_equal(ndjson_writer_flush(w), 0);
	ndjson_writer_free(w);
	ndjson_writer_free(NULL);
	close(fd);
}

static void
test_writer_pipe_flushes_when_idle(void **state)
{
	struct ndjson_writer *w;
	char back[32];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	w = ndjson_writer_new(p[1]);
	put(w, "{\"a\":1}");
	/* buffered until idle */
	assert_int_equal(read(p[0], back, sizeof(back)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(ndjson_writer_idle(w), 0);
	assert_int_equal(read(p[0], back, sizeof(back)), 8);
	assert_memory_equal(back, "{\"a\":1}\n", 8);
	/* idle with nothing buffered writes nothing */
	assert_int_equal(ndjson_writer_idle(w), 0);
	assert_int_equal(read(p[0], back, sizeof(back)), -1);
	ndjson_writer_free(w);
	close(p[0]);
	close(p[1]);
}

static void
test_writer_socket_and_devnull(void **state)
{
	struct ndjson_writer *w;
	char back[16];
	int sv[2], fd;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	w = ndjson_writer_new(sv[0]);
	put(w, "1");
	assert_int_equal(ndjson_writer_idle(w), 0);
	assert_int_equal(recv(sv[1], back, sizeof(back), MSG_DONTWAIT), 2);
	ndjson_writer_free(w);
	close(sv[0]);
	close(sv[1]);

	/* a character device that is not a terminal is not interactive */
	fd = open("/dev/null", O_WRONLY);
	assert_true(fd >= 0);
	w = ndjson_writer_new(fd);
	put(w, "x");
	assert_int_equal(ndjson_writer_idle(w), 0);
	assert_int_equal(ndjson_writer_flush(w), 0);
	ndjson_writer_free(w);
	close(fd);
}

static void
test_writer_epipe(void **state)
{
	struct ndjson_writer *w;
	int p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	w = ndjson_writer_new(p[1]);
	put(w, "{\"a\":1}");
	assert_false(ndjson_writer_gone(w));
	assert_int_equal(ndjson_writer_idle(w), -1);
	assert_true(ndjson_writer_gone(w));
	/* EPIPE is not an error, downstream just left */
	assert_int_equal(ndjson_writer_error(w), 0);
	buf_adds(ndjson_writer_buf(w), "more");
	assert_int_equal(ndjson_writer_commit(w), -1);
	errno = 0;
	assert_int_equal(ndjson_writer_flush(w), -1);
	assert_int_equal(errno, EPIPE);
	/* the buffer does not grow without bound once gone */
	{
		size_t i;

		for (i = 0; i < 100000; i++) {
			buf_adds(ndjson_writer_buf(w), "0123456789");
			(void)ndjson_writer_commit(w);
		}
		assert_true(ndjson_writer_buf(w)->len < 128 * 1024);
	}
	ndjson_writer_free(w);
	close(p[1]);

	/* an explicit flush finds it too */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	w = ndjson_writer_new(p[1]);
	assert_int_equal(ndjson_writer_flush(w), 0);
	put(w, "x");
	assert_int_equal(ndjson_writer_flush(w), -1);
	assert_true(ndjson_writer_gone(w));
	ndjson_writer_free(w);
	close(p[1]);
}

static void
test_writer_other_error(void **state)
{
	struct ndjson_writer *w;
	int fd = open("/dev/full", O_WRONLY);

	(void)state;
	if (fd < 0)
		skip();
	w = ndjson_writer_new(fd);
	put(w, "x");
	assert_int_equal(ndjson_writer_flush(w), -1);
	assert_false(ndjson_writer_gone(w));
	assert_int_equal(ndjson_writer_error(w), ENOSPC);
	buf_adds(ndjson_writer_buf(w), "y");
	assert_int_equal(ndjson_writer_commit(w), -1);
	ndjson_writer_free(w);
	close(fd);
}

/* A writer stuck on a full pipe gives up at the second SIGINT/SIGTERM. */
static void
test_writer_second_signal(void **state)
{
	int p[2], fl;
	struct ndjson_writer *w;
	struct buf *b;
	char chunk[4096];

	(void)state;
	assert_int_equal(pipe(p), 0);
	fl = fcntl(p[1], F_GETFL);
	assert_int_equal(fcntl(p[1], F_SETFL, fl | O_NONBLOCK), 0);
	w = ndjson_writer_new(p[1]);
	b = ndjson_writer_buf(w);
	memset(chunk, 'x', sizeof(chunk));
	/* nobody reads: far more than a pipe holds */
	while (b->len < 1024 * 1024)
		buf_add(b, chunk, sizeof(chunk));
	sig_stop = 2;
	assert_int_equal(ndjson_writer_flush(w), -1);
	assert_int_equal(ndjson_writer_error(w), EINTR);
	assert_false(ndjson_writer_gone(w));
	sig_stop = 0;
	ndjson_writer_free(w);
	close(p[0]);
	close(p[1]);
}

/* A fifo in a fresh directory; the path is static storage until the next
 * call.  rm_fifo() removes both. */
static const char *
temp_fifo(void)
{
	static char dir[64], path[72];

	snprintf(dir, sizeof(dir), "/tmp/test_ndjson_fifo.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	return path;
}

static void
rm_fifo(const char *path)
{
	char dir[72];

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	unlink(path);
	rmdir(dir);
}

/* Read what fd has until end of input into b. */
static void
slurp(int fd, struct buf *b)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(b, chunk, (size_t)n);
}

/* --follow: each writer's end of input is followed by the next writer;
 * the torn line the first one left is dropped, nothing else. */
static void
test_reader_follow(void **state)
{
	const char *path = temp_fifo();
	struct ndjson_reader *r;
	struct ndjson_line ln;
	int fd, w;

	(void)state;
	fd = ndjson_open_input(path, true);
	assert_true(fd >= 0);
	r = ndjson_reader_new(fd, 64);
	ndjson_reader_follow(r, path);
	ndjson_reader_set_timeout(r, 0);
	/* no writer yet: nothing to read, and no end of input either */
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	w = open(path, O_WRONLY);
	assert_true(w >= 0);
	assert_int_equal(write(w, "{\"a\":1}\n{\"b\":", 13), 13);
	close(w);
	ndjson_reader_set_timeout(r, 1000);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_TORN);
	assert_int_equal(ln.lineno, 2);
	/* reopened: waits for the next writer */
	ndjson_reader_set_timeout(r, 0);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	assert_true(ndjson_reader_fd(r) >= 0);
	w = open(path, O_WRONLY);
	assert_true(w >= 0);
	assert_int_equal(write(w, "{\"c\":3}\n", 8), 8);
	close(w);
	ndjson_reader_set_timeout(r, 1000);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_LINE);
	assert_int_equal(ln.lineno, 3);
	assert_memory_equal(ln.line, "{\"c\":3}", 7);
	ndjson_reader_set_timeout(r, 0);
	assert_int_equal(ndjson_read(r, &ln), NDJSON_AGAIN);
	ndjson_reader_free(r); /* closes the fd it owns */
	rm_fifo(path);
}

/* --output on a fifo: the reader goes away mid-stream; the writer waits
 * for the next one and goes on from the first byte not written, so the
 * two readers together get every record once, whole. */
static void
test_writer_reopen(void **state)
{
	const char *path = temp_fifo();
	struct ndjson_writer *w;
	struct buf got = BUF_INIT, want = BUF_INIT;
	int rd, st, p2c[2];
	pid_t pid;
	size_t i;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 40000; i++)
		buf_printf(&want, "{\"n\":%zu}\n", i);
	assert_int_equal(pipe(p2c), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the readers: the first takes a little and dies; the second
		 * comes after a while and reads to the end */
		struct buf b = BUF_INIT;
		char head[100];
		int fd = open(path, O_RDONLY);

		if (fd < 0 || read(fd, head, sizeof(head)) <= 0)
			_exit(1);
		close(fd);
		usleep(200000);
		if ((fd = open(path, O_RDONLY)) < 0)
			_exit(1);
		slurp(fd, &b);
		if (write(p2c[1], b.data, b.len) != (ssize_t)b.len)
			_exit(1);
		_exit(0);
	}
	close(p2c[1]);
	w = ndjson_writer_open(path, 5);
	assert_non_null(w);
	for (i = 0; i < 40000; i++) {
		buf_printf(ndjson_writer_buf(w), "{\"n\":%zu}", i);
		assert_int_equal(ndjson_writer_commit(w), 0);
	}
	assert_int_equal(ndjson_writer_flush(w), 0);
	assert_int_equal(ndjson_writer_reopens(w), 1);
	ndjson_writer_free(w); /* closes the fifo: the reader's end */
	slurp(p2c[0], &got);
	close(p2c[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the first reader took the first 100 bytes; the rest came whole */
	assert_int_equal(got.len, want.len - 100);
	assert_memory_equal(got.data, want.data + 100, got.len);
	buf_free(&got);
	buf_free(&want);

	/* no reader within the timeout: an error that says so */
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	w = ndjson_writer_open(path, 0.1);
	assert_non_null(w);
	close(rd);
	buf_adds(ndjson_writer_buf(w), "{}");
	assert_int_equal(ndjson_writer_commit(w), 0);
	assert_int_equal(ndjson_writer_flush(w), -1);
	assert_false(ndjson_writer_gone(w));
	assert_int_equal(ndjson_writer_error(w), ETIMEDOUT);
	assert_string_equal(
	    ndjson_writer_strerror(w), "no new reader within --reopen-timeout");
	ndjson_writer_free(w);
	rm_fifo(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_huge_line_bounded),
	    cmocka_unit_test(test_crlf_blank_lines),
	    cmocka_unit_test(test_blank),
	    cmocka_unit_test(test_last_line_without_newline),
	    cmocka_unit_test(test_torn_last_line),
	    cmocka_unit_test(test_torn_each_reopen),
	    cmocka_unit_test(test_max_line_boundary),
	    cmocka_unit_test(test_toolong_resync),
	    cmocka_unit_test(test_split_reads_equivalent),
	    cmocka_unit_test(test_split_writes_forked_writer),
	    cmocka_unit_test(test_huge_last_line_without_newline),
	    cmocka_unit_test(test_eagain_nonblocking),
	    cmocka_unit_test(test_eintr_again),
	    cmocka_unit_test(test_on_read_before_read),
	    cmocka_unit_test(test_on_read_counts),
	    cmocka_unit_test(test_read_error),
	    cmocka_unit_test(test_set_fd),
	    cmocka_unit_test(test_writer_regular_file_buffered),
	    cmocka_unit_test(test_writer_pipe_flushes_when_idle),
	    cmocka_unit_test(test_writer_socket_and_devnull),
	    cmocka_unit_test(test_writer_epipe),
	    cmocka_unit_test(test_writer_other_error),
	    cmocka_unit_test(test_writer_second_signal),
	    cmocka_unit_test(test_reader_follow),
	    cmocka_unit_test(test_writer_reopen),
	};

	return cmocka_run_group_tests_name("ndjson", tests, NULL, NULL);
}
