/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for common/jsonx: arbitrary bytes through the strict
 * parser; what parses must emit to compact, valid UTF-8 JSON that parses
 * again to the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "tests/fuzz/fuzz.h"

static struct arena *a1, *a2;
static struct buf b1, b2, b3;

/* Compact: no raw control characters, so no line breaks either. */
static void
check_compact(const struct buf *b)
{
	size_t i;

	CHECK(utf8_valid(b->data, b->len));
	for (i = 0; i < b->len; i++)
		CHECK((unsigned char)b->data[i] >= 0x20);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct jval *v, *w;
	struct jsonx_error err;
	enum jsonx_status st;

	if (a1 == NULL) {
		a1 = arena_new();
		a2 = arena_new();
	}
	arena_reset(a1);
	arena_reset(a2);
	buf_reset(&b1);
	buf_reset(&b2);
	buf_reset(&b3);

	st = jsonx_parse(a1, in, size, &v, &err);
	CHECK(st == err.status);
	/* UTF-8 is checked first and alone decides EUTF8 */
	CHECK((st == JSONX_EUTF8) == !utf8_valid(in, size));
	if (jsonx_number_valid(in, size))
		CHECK(st == JSONX_OK && v->type == J_NUMBER && v->len == size);

	if (st != JSONX_OK) {
		CHECK(v == NULL);
		CHECK(err.offset <= size);
		jsonx_error_text(&err, &b1);
		CHECK(b1.len > 0);
		/* what a reject record does with the line */
		buf_reset(&b1);
		jsonx_emit_string_lossy(&b1, in, size);
		check_compact(&b1);
		CHECK(jsonx_parse(a2, b1.data, b1.len, &w, NULL) == JSONX_OK);
		CHECK(w->type == J_STRING);
		if (st != JSONX_EUTF8)
			CHECK(w->len == size && memcmp(w->u.s, in, size) == 0);
		return 0;
	}

	CHECK(v != NULL);
	jsonx_emit(&b1, v);
	check_compact(&b1);
	CHECK(jsonx_parse(a2, b1.data, b1.len, &w, &err) == JSONX_OK);
	jsonx_emit(&b2, w);
	CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);

	if (v->type == J_OBJECT) {
		jsonx_emit_without_meta(&b3, v);
		check_compact(&b3);
		arena_reset(a2);
		CHECK(jsonx_parse(a2, b3.data, b3.len, &w, NULL) == JSONX_OK);
		CHECK(w->type == J_OBJECT);
		CHECK(jsonx_meta(w) == NULL);
		CHECK(w->len + (jsonx_meta(v) != NULL ? 1 : 0) <= v->len);
	}
	/* strings round-trip through the strict emitter */
	if (v->type == J_STRING) {
		buf_reset(&b3);
		jsonx_emit_string(&b3, v->u.s, v->len);
		CHECK(
		    b3.len == b1.len && memcmp(b3.data, b1.data, b1.len) == 0);
		buf_reset(&b3);
		jsonx_emit_string_lossy(&b3, v->u.s, v->len);
		CHECK(
		    b3.len == b1.len && memcmp(b3.data, b1.data, b1.len) == 0);
	}
	return 0;
}
