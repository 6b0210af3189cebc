/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for esbulk's pure parts: an input line through the
 * _bulk request builder (the action and source must be one line each, and
 * the source must parse as JSON without "@metadata"), and the same bytes
 * as a _bulk response for 1 to 4 actions, as a template file and as the
 * value of a Retry-After header.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/esbulk/bulk.h"
#include "cmd/esbulk/server.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "common/retry.h"
#include "tests/fuzz/fuzz.h"

static struct arena *arena, *check;
static struct bulk_refusal ref;

static void
check_item(const struct bulk_batch *b)
{
	const struct bulk_item *it = &b->items[0];
	const char *src = b->body.data + it->off + it->action_len;
	size_t n = it->len - it->action_len - 1;
	struct jval *v;

	CHECK(it->off == 0 && it->len == b->body.len);
	CHECK(memchr(b->body.data, '\n', it->action_len - 1) == NULL);
	CHECK(b->body.data[it->action_len - 1] == '\n');
	CHECK(memchr(src, '\n', n) == NULL);
	CHECK(src[n] == '\n');
	CHECK(jsonx_parse(check, b->body.data, it->action_len - 1, &v, NULL) ==
	    JSONX_OK);
	arena_reset(check);
	CHECK(jsonx_parse(check, src, n, &v, NULL) == JSONX_OK);
	CHECK(v->type == J_OBJECT && jsonx_meta(v) == NULL);
	arena_reset(check);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ids[] = {"vin", "a.b", NULL};
	const char *p = (const char *)data;
	struct bulk_conf c;
	struct bulk_batch *b;
	struct bulk_result res[4];
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct es_server srv = {false, 8, 0, "8.0.0"};
	double after;
	size_t n;

	if (arena == NULL) {
		arena = arena_new();
		check = arena_new();
	}
	if (memchr(p, '\n', size) == NULL) {
		memset(&c, 0, sizeof(c));
		c.index = size % 2 ? "v-%Y.%m" : "v";
		c.index_dated = size % 2;
		c.date_field = "timestamp";
		c.id_fields = size % 3 == 0 ? ids : NULL;
		c.kafka_id = size % 3 == 1;
		b = bulk_batch_new();
		if (bulk_add_line(&c, b, arena, p, size, 1, &ref) == 0) {
			CHECK(b->n == 1);
			check_item(b);
		} else {
			CHECK(b->n == 0 && b->body.len == 0 &&
			    ref.reason.len > 0);
		}
		bulk_batch_free(b);
	}
	n = size > 0 ? (size_t)(data[0] % 4) + 1 : 1;
	if (bulk_parse_response(arena, p, size, n, res, &err) == 0) {
		size_t i;

		for (i = 0; i < n; i++) {
			struct buf r = BUF_INIT;
			struct bulk_error x = {0, BUF_INIT, BUF_INIT};

			(void)bulk_verdict(&res[i], BULK_OP_CREATE);
			bulk_result_reject(&res[i], &r, &x);
			buf_free(&r);
			bulk_error_free(&x);
		}
	}
	buf_reset(&err);
	if (template_body(arena, p, size, "v-*", &srv, &out, &err) == 0) {
		struct jval *v;

		CHECK(jsonx_parse(check, out.data, out.len, &v, NULL) ==
		    JSONX_OK);
		arena_reset(check);
	}
	buf_free(&err);
	buf_free(&out);
	if (retry_after_parse(p, size, 784111777, &after) == 0)
		CHECK(after >= 0 && after <= 31536000);
	return 0;
}
