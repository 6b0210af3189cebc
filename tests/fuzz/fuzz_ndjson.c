/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the NDJSON reader: the input goes through a pipe in
 * pieces of varying size (chosen from a hash of the input) to a reader
 * with a small max_line, and every event is compared with a plain model
 * of the line rules (a last line without '\n' that is not complete JSON
 * is torn).  Each record also goes through jsonx: what parses
 * emits to bytes that parse again to the same bytes.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/jsonx.h"
#include "common/ndjson.h"
#include "tests/fuzz/fuzz.h"

/* Before each read(2) the reader calls feed(), which writes the next
 * piece; at the end it closes the write end. */
struct feeder {
	int wfd;
	const uint8_t *data;
	size_t size, off;
	uint64_t rng;
};

static void
feed(void *arg)
{
	struct feeder *f = arg;
	size_t n;

	if (f->off >= f->size) {
		if (f->wfd >= 0) {
			close(f->wfd);
			f->wfd = -1;
		}
		return;
	}
	f->rng = f->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	n = (f->rng >> 33) % 4 == 0 ? 1 + (f->rng >> 40) % 4096
				    : 1 + (f->rng >> 40) % 17;
	if (n > f->size - f->off)
		n = f->size - f->off;
	CHECK(write(f->wfd, f->data + f->off, n) == (ssize_t)n);
	f->off += n;
}

static bool
blank(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

static struct arena *a1, *a2;
static struct buf b1, b2;

/* The model of a whole last line: complete JSON, a byte order mark
 * aside, with jsonx_parse() (the reader scans). */
static bool
whole(const uint8_t *p, size_t n)
{
	struct jval *v;

	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		n -= 3;
	}
	arena_reset(a1);
	return jsonx_parse(a1, (const char *)p, n, &v, NULL) == JSONX_OK;
}

static void
check_json(const char *line, size_t len)
{
	struct jval *v, *w;

	arena_reset(a1);
	arena_reset(a2);
	if (jsonx_parse(a1, line, len, &v, NULL) != JSONX_OK)
		return;
	buf_reset(&b1);
	buf_reset(&b2);
	jsonx_emit(&b1, v);
	CHECK(memchr(b1.data, '\n', b1.len) == NULL);
	CHECK(jsonx_parse(a2, b1.data, b1.len, &w, NULL) == JSONX_OK);
	jsonx_emit(&b2, w);
	CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {
	    0, 1, 2, 3, 16, 100, 1023, 1024, 1025, 4096};
	uint64_t h = fnv1a64(data, size);
	size_t max_line =
	    h % 3 == 0 ? (size_t)(h >> 8) % 300 : limits[(h >> 8) % 10];
	struct feeder f;
	struct ndjson_reader *r;
	struct ndjson_line ln;
	size_t pos = 0;
	unsigned long long lineno = 0;
	int p[2];

	if (a1 == NULL) {
		signal(SIGPIPE, SIG_IGN);
		a1 = arena_new();
		a2 = arena_new();
	}
	CHECK(pipe(p) == 0);
	memset(&f, 0, sizeof(f));
	f.wfd = p[1];
	f.data = data;
	f.size = size;
	f.rng = h;
	r = ndjson_reader_new(p[0], max_line);
	ndjson_reader_on_read(r, feed, &f);

	/* the model: split on '\n', drop one '\r', skip blank lines */
	for (;;) {
		enum ndjson_status st;
		const uint8_t *s = data + pos, *nl = NULL;
		size_t n, seg = 0;
		bool want_record = false;

		while (pos < size) {
			nl = memchr(s, '\n', size - pos);
			seg = nl ? (size_t)(nl - s) : size - pos;
			n = seg;
			lineno++;
			if (n > 0 && s[n - 1] == '\r')
				n--;
			if (n > max_line || !blank(s, n)) {
				want_record = true;
				break;
			}
			pos += seg + (nl ? 1 : 0);
			s = data + pos;
		}
		do
			st = ndjson_read(r, &ln);
		while (st == NDJSON_AGAIN);
		if (!want_record) {
			CHECK(st == NDJSON_EOF);
			break;
		}
		n = seg;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		CHECK(ln.lineno == lineno);
		if (n > max_line) {
			size_t keep =
			    n < NDJSON_TOOLONG_KEEP ? n : NDJSON_TOOLONG_KEEP;

			CHECK(st == NDJSON_TOOLONG);
			CHECK(ln.total == n);
			CHECK(ln.len == keep);
			CHECK(memcmp(ln.line, s, keep) == 0);
		} else if (nl == NULL && !whole(s, n)) {
			CHECK(st == NDJSON_TORN);
			CHECK(ln.len == n && ln.total == n);
			CHECK(memcmp(ln.line, s, n) == 0);
		} else {
			CHECK(st == NDJSON_LINE);
			CHECK(ln.len == n);
			CHECK(memcmp(ln.line, s, n) == 0);
			check_json(ln.line, ln.len);
		}
		pos += seg + 1;
		if (pos > size)
			pos = size;
	}
	/* EOF stays EOF */
	CHECK(ndjson_read(r, &ln) == NDJSON_EOF);
	ndjson_reader_free(r);
	if (f.wfd >= 0)
		close(f.wfd);
	close(p[0]);
	return 0;
}
