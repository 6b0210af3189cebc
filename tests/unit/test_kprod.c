/* SPDX-License-Identifier: MIT */
/* Unit tests for kprod's record mapping: line -> topic, key, headers ... */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/kprod/record.h"
#include "cmd/kprod/why.h"
#include "common/arena.h"
#include "common/buf.h"
#include "tests/unit/arena_fixture.h"

static struct buf why;

static const char *
prep(const struct kp_conf *c, const char *line, struct kp_msg *m)
{
	arena_reset(arena);
	return kp_prepare(c, arena, line, strlen(line), m, &why);
}

static void
assert_bytes(const char *p, size_t n, const char *want)
{
	assert_non_null(p);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

static void
test_plain(void **state)
{
	struct kp_conf c = {.topic = "t", .partition = -1};
	const char *line = "{\"a\": 80.3,\"b\":[1e400]}";
	struct kp_msg m;

	(void)state;
	assert_null(prep(&c, line, &m));
	assert_string_equal(m.topic, "t");
	assert_int_equal(m.partition, -1);
	assert_null(m.key);
	/* the line as it is: numbers and spacing untouched */
	assert_true(m.value_is_line);
	assert_bytes(m.value, m.vlen, line);
	assert_int_equal(m.timestamp, 0);
	assert_int_equal(m.nheaders, 0);
	/* not an object: still JSON, still sent */
	assert_null(prep(&c, "[1,2]", &m));
	assert_bytes(m.value, m.vlen, "[1,2]");
	/* a byte order mark is not part of the value */
	assert_null(prep(&c, "\xEF\xBB\xBF{\"x\":1}", &m));
	assert_bytes(m.value, m.vlen, "{\"x\":1}");
}

static void
test_rejects(void **state)
{
	struct kp_conf c = {.topic = "t", .partition = -1};
	struct kp_msg m;

	(void)state;
	assert_string_equal(prep(&c, "not json", &m),
	    "invalid JSON: unexpected character at byte 1");
	assert_string_equal(prep(&c, "{\"a\":", &m),
	    "invalid JSON: unexpected end of input at byte 6");
	assert_string_equal(prep(&c, "\"\xff\"", &m), "invalid UTF-8");
	c.topic = NULL;
	assert_string_equal(prep(&c, "{\"a\":1}", &m),
	    "no topic: neither -t nor @metadata.kafka.topic");
}

static void
test_key_field(void **state)
{
	struct kp_conf c = {.topic = "t", .partition = -1, .key_field = "vin"};
	struct kp_msg m;

	(void)state;
	assert_null(prep(&c, "{\"vin\":\"V1\",\"n\":1}", &m));
	assert_bytes(m.key, m.keylen, "V1");
	assert_null(prep(&c, "{\"vin\":12.50}", &m));
	assert_bytes(m.key, m.keylen, "12.50");
	assert_null(prep(&c, "{\"vin\":true}", &m));
	assert_bytes(m.key, m.keylen, "true");
	/* escapes and containers go the long way, same result */
	assert_null(prep(&c, "{\"vin\":\"A\\u0042\"}", &m));
	assert_bytes(m.key, m.keylen, "AB");
	assert_null(prep(&c, "{\"vin\":{\"b\": 1}}", &m));
	assert_bytes(m.key, m.keylen, "{\"b\":1}");
	/* absent or null: no key, or -k */
	assert_null(prep(&c, "{\"n\":1}", &m));
	assert_null(m.key);
	c.key = "fixed";
	c.keylen = 5;
	assert_null(prep(&c, "{\"vin\":null}", &m));
	assert_bytes(m.key, m.keylen, "fixed");
	assert_null(prep(&c, "{\"vin\":\"V2\"}", &m));
	assert_bytes(m.key, m.keylen, "V2");
	/* a dotted path */
	c.key_field = "car.vin";
	assert_null(prep(&c, "{\"car\":{\"vin\":\"V3\"}}", &m));
	assert_bytes(m.key, m.keylen, "V3");
	/* the last of duplicate keys wins, on both paths */
	c.key_field = "vin";
	assert_null(prep(&c, "{\"vin\":\"a\",\"vin\":\"b\"}", &m));
	assert_bytes(m.key, m.keylen, "b");
}

static void
test_timestamp_field(void **state)
{
	struct kp_conf c = {.topic = "t", .partition = -1, .ts_field = "ts"};
	struct kp_msg m;

	(void)state;
	assert_null(prep(&c, "{\"ts\":1700000000123}", &m));
	assert_int_equal(m.timestamp, 1700000000123LL);
	assert_null(prep(&c, "{\"ts\":1700000000}", &m)); /* seconds */
	assert_int_equal(m.timestamp, 1700000000000LL);
	assert_null(prep(&c, "{\"ts\":\"2023-11-14T22:13:20.5Z\"}", &m));
	assert_int_equal(m.timestamp, 1700000000500LL);
	assert_null(prep(&c, "{\"ts\":\"1700000000123\"}", &m));
	assert_int_equal(m.timestamp, 1700000000123LL);
	assert_null(prep(&c, "{\"x\":1}", &m));
	assert_int_equal(m.timestamp, 0);
	assert_string_equal(prep(&c, "{\"ts\":\"yesterday\"}", &m),
	    "bad --timestamp-field value (epoch time or RFC 3339 expected)");
	assert_non_null(prep(&c, "{\"ts\":[1]}", &m));
	c.ts_field = "a.ts";
	assert_null(prep(&c, "{\"a\":{\"ts\":\"2023-11-14T22:13:20Z\"}}", &m));
	assert_int_equal(m.timestamp, 1700000000000LL);
}

static void
test_metadata(void **state)
{
	struct kp_header hs[] = {{"static", 6, "v", 1}};
	struct kp_conf c = {.partition = -1, .headers = hs, .nheaders = 1};
	const char *line =
	    "{\"@metadata\":{\"kafka\":{\"topic\":\"src\",\"partition\":2,"
	    "\"offset\":9,\"key\":\"K\",\"timestamp\":1700000000000,"
	    "\"headers\":[[\"h1\",\"v1\"],[\"h2\",null],[\"h3\","
	    "{\"base64\":\"AP8=\"}]]},\"mqtt\":{\"qos\":1}},"
	    "\"speed\": 80.3}";
	struct kp_msg m;

	(void)state;
	assert_null(prep(&c, line, &m));
	assert_string_equal(m.topic, "src");
	assert_int_equal(m.partition, 2);
	assert_bytes(m.key, m.keylen, "K");
	assert_int_equal(m.timestamp, 1700000000000LL);
	/* @metadata stripped, compact, numbers verbatim */
	assert_false(m.value_is_line);
	assert_bytes(m.value, m.vlen, "{\"speed\":80.3}");
	assert_int_equal(m.nheaders, 4);
	assert_bytes(m.headers[0].name, m.headers[0].nlen, "h1");
	assert_bytes(m.headers[0].value, m.headers[0].vlen, "v1");
	assert_null(m.headers[1].value);
	assert_int_equal(m.headers[2].vlen, 2);
	assert_memory_equal(m.headers[2].value, "\x00\xff", 2);
	assert_bytes(m.headers[3].name, m.headers[3].nlen, "static");

	/* -t wins, and then the partition of another topic is not used */
	c.topic = "dst";
	assert_null(prep(&c, line, &m));
	assert_string_equal(m.topic, "dst");
	assert_int_equal(m.partition, -1);
	/* -p wins */
	c.partition = 5;
	assert_null(prep(&c, line, &m));
	assert_int_equal(m.partition, 5);
	/* --key-field wins over the metadata key */
	c.key_field = "speed";
	assert_null(prep(&c, line, &m));
	assert_bytes(m.key, m.keylen, "80.3");

	/* headers as an object; key in base64 */
	c.key_field = NULL;
	assert_null(prep(&c,
	    "{\"@metadata\":{\"kafka\":{\"key\":{\"base64\":\"AQI=\"},"
	    "\"headers\":{\"a\":\"1\"}}},\"x\":1}",
	    &m));
	assert_int_equal(m.keylen, 2);
	assert_memory_equal(m.key, "\x01\x02", 2);
	assert_bytes(m.headers[0].name, m.headers[0].nlen, "a");
	/* a null key is no key; @metadata without kafka is just dropped */
	assert_null(prep(&c, "{\"@metadata\":{\"kafka\":{\"key\":null}}}", &m));
	assert_null(m.key);
	assert_null(prep(&c, "{\"@metadata\":{\"es\":{}},\"y\":2}", &m));
	assert_bytes(m.value, m.vlen, "{\"y\":2}");
	/* an RFC 3339 timestamp in the metadata */
	assert_null(prep(&c,
	    "{\"@metadata\":{\"kafka\":{\"timestamp\":"
	    "\"2023-11-14T22:13:20Z\"}}}",
	    &m));
	assert_int_equal(m.timestamp, 1700000000000LL);
}

static void
test_metadata_rejects(void **state)
{
	struct kp_conf c = {.partition = -1};
	struct kp_msg m;

	(void)state;
	assert_string_equal(prep(&c,
				"{\"@metadata\":{\"kafka\":{\"topic\":\"t\","
				"\"partition\":-1}}}",
				&m),
	    "bad @metadata.kafka.partition");
	assert_string_equal(prep(&c,
				"{\"@metadata\":{\"kafka\":{\"topic\":\"t\","
				"\"partition\":1.5}}}",
				&m),
	    "bad @metadata.kafka.partition");
	c.topic = "t";
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"kafka\":{\"key\":[1]}}}", &m),
	    "bad @metadata.kafka.key");
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"kafka\":{\"key\":{\"base64\":\"!\"}}}}",
		&m),
	    "bad @metadata.kafka.key");
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"kafka\":{\"headers\":[[\"a\"]]}}}", &m),
	    "bad @metadata.kafka.headers");
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"kafka\":{\"headers\":\"x\"}}}", &m),
	    "bad @metadata.kafka.headers");
	/* with or without -H: an empty string is no more headers than "x" */
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"kafka\":{\"headers\":\"\"}}}", &m),
	    "bad @metadata.kafka.headers");
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"kafka\":{\"timestamp\":true}}}", &m),
	    "bad @metadata.kafka.timestamp");
}

/* What kcons -m wrapped goes back to the bytes it held. */
static void
test_unwrap(void **state)
{
	static const struct {
		const char *line, *want; /* want NULL: no value */
	} ok[] = {
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"text\"}},"
	     "\"value\":\"a\\u0000b\"}",
		"a"}, /* checked by length below */
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"json\"}},"
	     "\"value\":[1, 2.50, \"x\"]}",
		"[1,2.50,\"x\"]"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"json\"}},"
	     "\"value\":null}",
		"null"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"base64\"}},"
	     "\"value\":\"//4=\",\"encoding\":\"base64\"}",
		"\xff\xfe"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"null\"}},"
	     "\"value\":null}",
		NULL},
	};
	static const struct {
		const char *line, *why;
	} bad[] = {
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"text\"}},"
	     "\"value\":\"x\",\"more\":1}",
		"wrapped record with members other than value"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"text\"}}}",
		"wrapped record with members other than value"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"text\"}},"
	     "\"value\":1}",
		"wrapped \"text\" that is not a string"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"null\"}},"
	     "\"value\":0}",
		"wrapped \"null\" with a value"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"base64\"}},"
	     "\"value\":\"!!\",\"encoding\":\"base64\"}",
		"wrapped \"base64\" that is not base64"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"base64\"}},"
	     "\"value\":\"//4=\",\"encoding\":\"hex\"}",
		"wrapped \"base64\" that is not base64"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":\"xml\"}},"
	     "\"value\":\"x\"}",
		"bad \"wrapped\" in @metadata (json, text, base64 or null)"},
	    {"{\"@metadata\":{\"kafka\":{\"wrapped\":1}},\"value\":\"x\"}",
		"bad \"wrapped\" in @metadata"},
	};
	struct kp_conf c = {.topic = "t", .partition = -1};
	struct kp_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_null(prep(&c, ok[i].line, &m));
		assert_false(m.value_is_line);
		if (ok[i].want == NULL) {
			assert_null(m.value);
			assert_int_equal(m.vlen, 0);
		} else if (i == 0) {
			assert_int_equal(m.vlen, 3);
			assert_memory_equal(m.value, "a\0b", 3);
		} else {
			assert_bytes(m.value, m.vlen, ok[i].want);
		}
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(prep(&c, bad[i].line, &m), bad[i].why);
}

static void
test_line_meta(void **state)
{
	struct buf b = BUF_INIT;
	const char *l = "{\"@metadata\": {\"mqtt\": {\"qos\": 1}}, \"a\": 1}";

	(void)state;
	kp_line_meta(arena, l, strlen(l), &b);
	assert_string_equal(buf_cstr(&b), "{\"mqtt\":{\"qos\":1}}");
	buf_reset(&b);
	kp_line_meta(arena, "{\"a\":1}", 7, &b);
	assert_int_equal(b.len, 0);
	kp_line_meta(arena, "bad", 3, &b);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static int
teardown(void **state)
{
	arena_teardown(state);
	buf_free(&why);
	return 0;
}

/* Why a partition refuses writes, from what the cluster says of it. */
static void
test_why_explain(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* the leader alone in sync, two needed: acks=all writes refused */
	assert_int_equal(kp_why_explain(1, 3, 1, 2, true, &b),
	    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
	assert_string_equal(
	    buf_cstr(&b), "1 in-sync replica of 3, min.insync.replicas 2");
	buf_reset(&b);
	/* acks=1 writes do not need the others */
	assert_int_equal(
	    kp_why_explain(1, 3, 1, 2, false, &b), RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(b.len, 0);
	/* enough in sync, or min.insync.replicas not known: nothing */
	assert_int_equal(
	    kp_why_explain(2, 3, 2, 2, true, &b), RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(
	    kp_why_explain(2, 3, 1, 0, true, &b), RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(b.len, 0);
	/* no leader at all */
	assert_int_equal(kp_why_explain(-1, 3, 0, 2, true, &b),
	    RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
	assert_string_equal(
	    buf_cstr(&b), "no leader: 0 of its 3 replicas in sync");
	buf_reset(&b);
	assert_int_equal(kp_why_explain(3, 3, 0, 3, true, &b),
	    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
	assert_string_equal(
	    buf_cstr(&b), "0 in-sync replicas of 3, min.insync.replicas 3");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_key_field),
	    cmocka_unit_test(test_timestamp_field),
	    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_metadata_rejects),
	    cmocka_unit_test(test_unwrap),
	    cmocka_unit_test(test_line_meta),
	    cmocka_unit_test(test_why_explain),
	};

	return cmocka_run_group_tests_name(
	    "kprod", tests, arena_setup, teardown);
}
