/* SPDX-License-Identifier: MIT */
/* Unit tests for kcons' pure parts: -o specs, the --acks tracker, lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/kcons/acks.h"
#include "cmd/kcons/format.h"
#include "cmd/kcons/offspec.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "tests/unit/arena_fixture.h"

#define NOW 1700000000000LL /* 2023-11-14T22:13:20Z */

/* ---- -o ---- */

static struct offspec
off(const char *s, bool *is_end)
{
	struct offspec o;
	struct buf err = BUF_INIT;

	assert_int_equal(offspec_parse(s, NOW, &o, is_end, &err), 0);
	buf_free(&err);
	return o;
}

static void
off_bad(const char *s, const char *msg)
{
	struct offspec o;
	struct buf err = BUF_INIT;
	bool e;

	assert_int_equal(offspec_parse(s, NOW, &o, &e, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), msg));
	buf_free(&err);
}

static void
test_offspec(void **state)
{
	struct offspec o;
	bool e;

	(void)state;
	o = off("beginning", &e);
	assert_int_equal(o.kind, OFF_BEGINNING);
	assert_false(e);
	assert_int_equal(off("end", &e).kind, OFF_END);
	assert_int_equal(off("stored", &e).kind, OFF_STORED);
	o = off("42", &e);
	assert_int_equal(o.kind, OFF_ABS);
	assert_int_equal(o.value, 42);
	o = off("0", &e);
	assert_int_equal(o.kind, OFF_ABS);
	assert_int_equal(o.value, 0);
	o = off("-10", &e);
	assert_int_equal(o.kind, OFF_TAIL);
	assert_int_equal(o.value, 10);
	/* times: epoch ms after s@/e@, dates, relative */
	o = off("s@1600000000000", &e);
	assert_int_equal(o.kind, OFF_TIME);
	assert_int_equal(o.value, 1600000000000LL);
	assert_false(e);
	o = off("e@1600000000001", &e);
	assert_int_equal(o.kind, OFF_TIME);
	assert_int_equal(o.value, 1600000000001LL);
	assert_true(e);
	o = off("2023-11-14T22:13:20Z", &e);
	assert_int_equal(o.kind, OFF_TIME);
	assert_int_equal(o.value, NOW);
	assert_false(e);
	o = off("2023-11-14T23:13:20+01:00", &e);
	assert_int_equal(o.value, NOW);
	o = off("2023-11-14", &e);
	assert_int_equal(o.value, NOW - 80000000LL);
	o = off("-10m", &e);
	assert_int_equal(o.kind, OFF_TIME);
	assert_int_equal(o.value, NOW - 600000);
	assert_int_equal(off("-30s", &e).value, NOW - 30000);
	assert_int_equal(off("-2h", &e).value, NOW - 7200000);
	assert_int_equal(off("-1d", &e).value, NOW - 86400000);
	o = off("e@-5m", &e);
	assert_true(e);
	assert_int_equal(o.value, NOW - 300000);
	o = off("s@2023-11-14T22:13:20.250Z", &e);
	assert_int_equal(o.value, NOW + 250);

	off_bad("", "expected beginning");
	off_bad("-0", "at least one");
	off_bad("start", "expected beginning");
	off_bad("-10y", "expected beginning");
	off_bad("s@", "not a time");
	off_bad("e@yesterday", "not a time");
	off_bad("99999999999999999999", "expected beginning");
	off_bad("-99999999999d", "expected beginning");
	off_bad("12abc", "expected beginning");
}

static void
test_offspec_time(void **state)
{
	struct buf err = BUF_INIT;
	int64_t ms;

	(void)state;
	assert_int_equal(offspec_time("-1h", NOW, &ms, &err), 0);
	assert_int_equal(ms, NOW - 3600000);
	assert_int_equal(offspec_time("123", NOW, &ms, &err), 0);
	assert_int_equal(ms, 123);
	assert_int_equal(offspec_time("latest", NOW, &ms, &err), -1);
	buf_free(&err);
}

/* ---- --acks ---- */

struct seen {
	char text[256];
};

static void
seen_fn(void *arg, const char *topic, int32_t partition, int64_t next)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s/%d=%lld;", topic,
	    (int)partition, (long long)next);
}

static const char *
collect(struct acks *k, struct seen *s)
{
	s->text[0] = '\0';
	acks_collect(k, seen_fn, s);
	return s->text;
}

static void
test_acks_prefix(void **state)
{
	struct acks *k = acks_new();
	struct seen s;
	int64_t o;

	(void)state;
	for (o = 0; o < 10; o++)
		acks_add(k, "t", 0, o, false);
	assert_int_equal(acks_pending(k), 10);
	assert_string_equal(collect(k, &s), "");
	/* out of order: nothing is safe until offset 0 is in */
	assert_int_equal(acks_ack(k, "t", 0, 2), ACKS_OK);
	assert_int_equal(acks_ack(k, "t", 0, 1), ACKS_OK);
	assert_string_equal(collect(k, &s), "");
	assert_int_equal(acks_ack(k, "t", 0, 0), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=3;");
	assert_string_equal(collect(k, &s), ""); /* reported once */
	assert_int_equal(acks_pending(k), 7);
	/* duplicates and strangers */
	assert_int_equal(acks_ack(k, "t", 0, 2), ACKS_UNKNOWN);
	assert_int_equal(acks_ack(k, "t", 0, 99), ACKS_UNKNOWN);
	assert_int_equal(acks_ack(k, "t", 1, 3), ACKS_UNKNOWN);
	assert_int_equal(acks_ack(k, "u", 0, 3), ACKS_UNKNOWN);
	/* only even offsets: the prefix stops at the first odd one */
	assert_int_equal(acks_ack(k, "t", 0, 4), ACKS_OK);
	assert_int_equal(acks_ack(k, "t", 0, 6), ACKS_OK);
	assert_int_equal(acks_ack(k, "t", 0, 8), ACKS_OK);
	assert_string_equal(collect(k, &s), "");
	assert_int_equal(acks_ack(k, "t", 0, 3), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=5;");
	assert_int_equal(acks_pending(k), 3);
	acks_free(k);
}

static void
test_acks_gaps_rejects_partitions(void **state)
{
	struct acks *k = acks_new();
	struct seen s;

	(void)state;
	/* offsets with gaps (compaction, transaction markers) */
	acks_add(k, "t", 0, 10, false);
	acks_add(k, "t", 0, 15, true); /* rejected here: no ack coming */
	acks_add(k, "t", 0, 20, false);
	acks_add(k, "t", 1, 7, true);
	assert_int_equal(acks_pending(k), 2);
	assert_string_equal(collect(k, &s), "t/1=8;");
	assert_int_equal(acks_ack(k, "t", 0, 20), ACKS_OK);
	assert_string_equal(collect(k, &s), "");
	assert_int_equal(acks_ack(k, "t", 0, 10), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=21;");
	assert_int_equal(acks_pending(k), 0);

	/* a revoked partition: its late acks are unknown */
	acks_add(k, "t", 2, 0, false);
	acks_add(k, "t", 2, 1, false);
	acks_drop(k, "t", 2);
	assert_int_equal(acks_pending(k), 0);
	assert_int_equal(acks_ack(k, "t", 2, 0), ACKS_UNKNOWN);
	assert_string_equal(collect(k, &s), "");

	/* a rewound partition forgets what was pending */
	acks_add(k, "t", 3, 100, false);
	acks_add(k, "t", 3, 50, false);
	assert_int_equal(acks_pending(k), 1);
	assert_int_equal(acks_ack(k, "t", 3, 100), ACKS_UNKNOWN);
	assert_int_equal(acks_ack(k, "t", 3, 50), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/3=51;");
	acks_free(k);
	acks_free(NULL);
}

static void
test_acks_many(void **state)
{
	struct acks *k = acks_new();
	struct seen s;
	int64_t o;

	(void)state;
	/* the ring grows and wraps: ack in two interleaved passes */
	for (o = 0; o < 5000; o++)
		acks_add(k, "big", 0, o * 2, false);
	for (o = 4999; o >= 1; o--)
		assert_int_equal(acks_ack(k, "big", 0, o * 2), ACKS_OK);
	assert_string_equal(collect(k, &s), "");
	assert_int_equal(acks_ack(k, "big", 0, 0), ACKS_OK);
	assert_string_equal(collect(k, &s), "big/0=9999;");
	for (o = 5000; o < 5100; o++)
		acks_add(k, "big", 0, o * 2, false);
	assert_int_equal(acks_ack(k, "big", 0, 10000), ACKS_OK);
	assert_string_equal(collect(k, &s), "big/0=10001;");
	assert_int_equal(acks_pending(k), 99);
	acks_free(k);
}

/* ---- lines ---- */

static const char *
fmt(const struct kc_conf *c, const struct kc_msg *m, struct buf *out)
{
	buf_reset(out);
	arena_reset(arena);
	return kc_format(c, arena, m, out);
}

static struct kc_msg
msg(const char *payload)
{
	struct kc_msg m;

	memset(&m, 0, sizeof(m));
	m.topic = "t";
	m.partition = 3;
	m.offset = 41;
	m.payload = payload;
	m.len = payload != NULL ? strlen(payload) : 0;
	m.timestamp = NOW;
	return m;
}

static void
test_format_payloads(void **state)
{
	struct kc_conf c = {false, PAYLOAD_BINARY_REJECT};
	struct buf b = BUF_INIT;
	struct kc_msg m;

	(void)state;
	m = msg("{\"a\":80.3}");
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b), "{\"a\":80.3}");
	/* not compact: re-emitted, numbers kept */
	m = msg("{ \"a\" : 1e400,\n \"b\": [1, 2] }");
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b), "{\"a\":1e400,\"b\":[1,2]}");
	m = msg("[1, 2]");
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b), "{\"value\":[1,2]}");
	m = msg("42");
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b), "{\"value\":42}");
	m = msg("plain \"text\"");
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b), "{\"value\":\"plain \\\"text\\\"\"}");
	m = msg("");
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b), "{\"value\":\"\"}");
	m = msg(NULL);
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b), "{\"value\":null}");
	m = msg("\xEF\xBB\xBF{\"bom\":1}");
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b), "{\"bom\":1}");
	/* binary: a reject, or base64 when asked */
	m = msg("\xff\xfe");
	assert_string_equal(fmt(&c, &m, &b), "binary payload (not UTF-8)");
	assert_int_equal(b.len, 0);
	c.binary = PAYLOAD_BINARY_BASE64;
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(
	    buf_cstr(&b), "{\"value\":\"//4=\",\"encoding\":\"base64\"}");
	buf_free(&b);
}

/* A wrapped value is one level deeper than the payload: at the limit it
 * would make a line no reader takes, so it is a reject. */
static void
test_format_depth(void **state)
{
	struct kc_conf c = {false, PAYLOAD_BINARY_REJECT};
	struct buf b = BUF_INIT, text = BUF_INIT;
	struct kc_msg m;
	struct jval *v;
	int i;

	(void)state;
	for (i = 0; i < JSONX_MAX_DEPTH; i++)
		buf_addc(&text, '[');
	for (i = 0; i < JSONX_MAX_DEPTH; i++)
		buf_addc(&text, ']');
	m = msg(buf_cstr(&text));
	assert_string_equal(fmt(&c, &m, &b), "JSON nested too deeply");
	/* one level less: wrapped, and the line parses */
	m.payload = text.data + 1;
	m.len = text.len - 2;
	assert_null(fmt(&c, &m, &b));
	assert_int_equal(jsonx_parse(arena, b.data, b.len, &v, NULL), JSONX_OK);
	assert_int_equal(jsonx_depth(v), JSONX_MAX_DEPTH);
	buf_free(&b);
	buf_free(&text);
}

static void
test_format_metadata(void **state)
{
	struct kc_conf c = {true, PAYLOAD_BINARY_BASE64};
	struct kafkameta_header hs[] = {
	    {"h1", "v1", 2}, {"h2", NULL, 0}, {"bin", "\x00\xff", 2}};
	struct buf b = BUF_INIT;
	struct kc_msg m;

	(void)state;
	m = msg("{\"a\":1}");
	m.key = "K";
	m.keylen = 1;
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b),
	    "{\"@metadata\":{\"kafka\":{\"topic\":\"t\",\"partition\":3,"
	    "\"offset\":41,\"key\":\"K\",\"timestamp\":1700000000000}},"
	    "\"a\":1}");
	/* an empty object, headers in order, a binary key, no timestamp */
	m = msg("{}");
	m.key = "\xff";
	m.keylen = 1;
	m.timestamp = -1;
	m.headers = hs;
	m.nheaders = 3;
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b),
	    "{\"@metadata\":{\"kafka\":{\"topic\":\"t\",\"partition\":3,"
	    "\"offset\":41,\"key\":{\"base64\":\"/w==\"},\"timestamp\":null,"
	    "\"headers\":[[\"h1\",\"v1\"],[\"h2\",null],[\"bin\","
	    "{\"base64\":\"AP8=\"}]]}}}");
	/* merged with the payload's own @metadata, kafka replaced */
	m = msg("{\"x\":1,\"@metadata\":{\"es\":{\"_id\":\"1\"},\"kafka\":0}}");
	m.key = NULL;
	m.nheaders = 0;
	m.timestamp = 5;
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b),
	    "{\"@metadata\":{\"es\":{\"_id\":\"1\"},\"kafka\":{\"topic\":\"t\","
	    "\"partition\":3,\"offset\":41,\"key\":null,\"timestamp\":5}},"
	    "\"x\":1}");
	/* wrapped values get it too, and say that they are wrapped */
	m = msg("7");
	m.timestamp = 5;
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(buf_cstr(&b),
	    "{\"@metadata\":{\"kafka\":{\"topic\":\"t\",\"partition\":3,"
	    "\"offset\":41,\"key\":null,\"timestamp\":5,\"wrapped\":"
	    "\"json\"}},\"value\":7}");
	/* every line parses */
	{
		struct jval *v;

		assert_int_equal(
		    jsonx_parse(arena, b.data, b.len, &v, NULL), JSONX_OK);
	}
	/* the reject metadata */
	buf_reset(&b);
	kc_meta(&m, &b);
	assert_string_equal(buf_cstr(&b),
	    "{\"kafka\":{\"topic\":\"t\",\"partition\":3,\"offset\":41,"
	    "\"key\":null,\"timestamp\":5}}");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_offspec),
	    cmocka_unit_test(test_offspec_time),
	    cmocka_unit_test(test_acks_prefix),
	    cmocka_unit_test(test_acks_gaps_rejects_partitions),
	    cmocka_unit_test(test_acks_many),
	    cmocka_unit_test(test_format_payloads),
	    cmocka_unit_test(test_format_depth),
	    cmocka_unit_test(test_format_metadata),
	};

	return cmocka_run_group_tests_name(
	    "kcons", tests, arena_setup, arena_teardown);
}
