/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the record mappings of the Kafka tools, on any
 * bytes:
 *   kc_format (kcons): a payload becomes one line of valid JSON, or a
 *     reject; with -m the line carries @metadata.kafka;
 *   kp_prepare (kprod): a line becomes a message, or a reject with a
 *     reason; the value sent is valid JSON unless it was unwrapped;
 *   the round trip kcons -m | kprod keeps topic, partition, key, timestamp
 *     and the value of a compact object; a wrapped payload goes back as
 *     its bytes (text, base64) or as JSON (other JSON);
 *   offspec_parse (kcons -o) on the bytes as a string: no crash.
 * The first byte picks the options.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/kcons/format.h"
#include "cmd/kcons/offspec.h"
#include "cmd/kprod/record.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "tests/fuzz/fuzz.h"

static struct arena *arena, *check;

/* p[0..n) parses as JSON, holds no newline. */
static bool
one_json_line(const char *p, size_t n)
{
	struct jval *v;

	arena_reset(check);
	return memchr(p, '\n', n) == NULL &&
	    jsonx_parse(check, p, n, &v, NULL) == JSONX_OK;
}

/* The first letter of line's @metadata.kafka.wrapped, or 0. */
static char
wrapped_kind(const char *line, size_t n)
{
	const struct jval *v;
	struct jval *root;

	arena_reset(check);
	if (jsonx_parse(check, line, n, &root, NULL) != JSONX_OK ||
	    (v = jsonx_path(root, "@metadata.kafka.wrapped")) == NULL ||
	    v->type != J_STRING || v->len == 0)
		return 0;
	return v->u.s[0];
}

static void
kcons_side(uint8_t flags, const char *p, size_t n)
{
	static const struct kafkameta_header hv[] = {
	    {"h1", "v1", 2}, {"bin", "\xff\x00", 2}, {"none", NULL, 0}};
	struct kc_conf c = {.metadata = flags & 1,
	    .binary = flags & 2 ? PAYLOAD_BINARY_BASE64 : PAYLOAD_BINARY_REJECT};
	struct kc_msg m = {.topic = "t", .partition = 3, .offset = 41,
	    .key = flags & 4 ? "k\xc3\xa9y" : NULL, .keylen = 4, .payload = p,
	    .len = n, .timestamp = flags & 8 ? 1700000000123 : -1,
	    .headers = flags & 16 ? hv : NULL, .nheaders = flags & 16 ? 3 : 0};
	struct kp_conf kc = {.partition = -1};
	struct buf out = BUF_INIT, why = BUF_INIT;
	struct jsonx_scan s;
	struct kp_msg km;
	const char *r;

	arena_reset(arena);
	r = kc_format(&c, arena, &m, &out);
	if (r != NULL) {
		CHECK(*r != '\0');
		goto out;
	}
	CHECK(one_json_line(out.data, out.len));
	if (!c.metadata)
		goto out;
	/* kcons -m output is kprod input: routing survives */
	arena_reset(arena);
	r = kp_prepare(&kc, arena, out.data, out.len, &km, &why);
	CHECK(r == NULL);
	CHECK(strcmp(km.topic, "t") == 0 && km.partition == 3);
	CHECK(m.key == NULL ? km.key == NULL
			    : km.keylen == 4 && memcmp(km.key, m.key, 4) == 0);
	CHECK(km.timestamp == (m.timestamp < 0 ? 0 : m.timestamp));
	CHECK(km.nheaders == m.nheaders);
	/* what kcons wrapped, kprod unwraps */
	switch (wrapped_kind(out.data, out.len)) {
	case 't':
	case 'b':
		CHECK(km.vlen == n && (n == 0 || memcmp(km.value, p, n) == 0));
		break;
	case 'j':
		CHECK(one_json_line(km.value, km.vlen));
		break;
	case 'n':
		CHECK(0); /* a payload is never "no value" here */
		break;
	default:
		break;
	}
	/* a compact object without @metadata goes back byte for byte when
	 * it has no escapes (kprod writes a record it strips of @metadata
	 * compact, strings with their escapes normalized), else as the same
	 * compact JSON */
	memset(&s, 0, sizeof(s));
	if (jsonx_scan(p, n, &s) == JSONX_OK && s.type == J_OBJECT &&
	    s.compact && !s.has_meta && !s.key_escapes &&
	    (n < 3 || memcmp(p, "\xEF\xBB\xBF", 3) != 0)) {
		if (memchr(p, '\\', n) == NULL) {
			CHECK(km.vlen == n && memcmp(km.value, p, n) == 0);
		} else {
			struct jval *v;

			arena_reset(check);
			CHECK(jsonx_parse(check, p, n, &v, NULL) == JSONX_OK);
			buf_reset(&why);
			jsonx_emit(&why, v);
			CHECK(km.vlen == why.len &&
			    memcmp(km.value, why.data, why.len) == 0);
		}
	}
out:
	buf_free(&out);
	buf_free(&why);
}

static void
kprod_side(uint8_t flags, const char *p, size_t n)
{
	static const struct kp_header h = {"x", 1, "y", 1};
	struct kp_conf c = {.topic = flags & 1 ? "t" : NULL,
	    .partition = flags & 2 ? 5 : -1,
	    .key = flags & 4 ? "fixed" : NULL, .keylen = 5,
	    .key_field = flags & 8 ? (flags & 16 ? "car.vin" : "vin") : NULL,
	    .ts_field = flags & 32 ? "ts" : NULL,
	    .headers = flags & 64 ? &h : NULL, .nheaders = flags & 64 ? 1 : 0};
	struct buf why = BUF_INIT, meta = BUF_INIT;
	struct kp_msg m;
	const char *r;

	arena_reset(arena);
	r = kp_prepare(&c, arena, p, n, &m, &why);
	if (r != NULL) {
		CHECK(*r != '\0');
		arena_reset(arena);
		kp_line_meta(arena, p, n, &meta);
		CHECK(meta.len == 0 || one_json_line(meta.data, meta.len));
	} else {
		CHECK(m.topic != NULL && *m.topic != '\0');
		CHECK(c.topic == NULL || strcmp(m.topic, c.topic) == 0);
		CHECK(c.partition < 0 || m.partition == c.partition);
		CHECK(m.nheaders >= c.nheaders);
		CHECK(m.value_is_line || wrapped_kind(p, n) != 0 ||
		    one_json_line(m.value, m.vlen));
	}
	buf_free(&why);
	buf_free(&meta);
}

static void
offspec_side(const char *p, size_t n)
{
	struct buf err = BUF_INIT;
	struct offspec o;
	char *s = malloc(n + 1);
	bool end = false;

	CHECK(s != NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	if (offspec_parse(s, 1700000000000, &o, &end, &err) < 0)
		CHECK(err.len > 0);
	free(s);
	buf_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;

	if (size == 0)
		return 0;
	if (arena == NULL) {
		arena = arena_new();
		check = arena_new();
	}
	kcons_side(data[0], p, size - 1);
	kprod_side(data[0], p, size - 1);
	if (size < 256)
		offspec_side(p, size - 1);
	return 0;
}
