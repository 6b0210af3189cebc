/* SPDX-License-Identifier: MIT */
/* Unit tests for mqtt2json's pure parts: payload formatting, topic fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/mqtt2json/format.h"
#include "cmd/mqtt2json/subs.h"
#include "cmd/mqtt2json/topicfields.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "tests/unit/arena_fixture.h"

static struct buf out;

static int
teardown(void **state)
{
	arena_teardown(state);
	buf_free(&out);
	return 0;
}

/* Format payload p (n bytes, or strlen) on topic; the line, or "REJECT:
 * reason". */
static const char *
fmt(const struct m2j_conf *c, const char *topic, const char *p, size_t n)
{
	static char res[4096];
	struct m2j_msg m;
	const char *why;

	memset(&m, 0, sizeof(m));
	m.topic = topic;
	m.payload = p;
	m.len = n == (size_t)-1 ? strlen(p) : n;
	m.qos = 1;
	buf_reset(&out);
	arena_reset(arena);
	why = m2j_format(c, arena, &m, &out);
	if (why != NULL) {
		assert_int_equal(out.len, 0);
		snprintf(res, sizeof(res), "REJECT: %s", why);
	} else
		snprintf(res, sizeof(res), "%.*s", (int)out.len, out.data);
	return res;
}

#define F(c, t, p) fmt(c, t, p, (size_t)-1)

static void
test_objects(void **state)
{
	struct m2j_conf c = {false, PAYLOAD_BINARY_REJECT, NULL, NULL, false};

	(void)state;
	/* compact objects pass byte for byte, numbers included */
	assert_string_equal(F(&c, "t", "{\"speed\":80.3,\"n\":1e400}"),
	    "{\"speed\":80.3,\"n\":1e400}");
	assert_string_equal(
	    F(&c, "t", "{\"s\":\"\\u00e9\"}"), "{\"s\":\"\\u00e9\"}");
	/* multi-line CRLF JSON becomes one compact line, numbers verbatim */
	assert_string_equal(
	    F(&c, "t",
		"{\r\n  \"a\": 61234.000000,\r\n  \"b\": [1, 2]\r\n}\r\n"),
	    "{\"a\":61234.000000,\"b\":[1,2]}");
	/* a byte order mark is dropped */
	assert_string_equal(F(&c, "t", "\xEF\xBB\xBF{\"a\":1}"), "{\"a\":1}");
}

static void
test_wrapping(void **state)
{
	struct m2j_conf c = {false, PAYLOAD_BINARY_REJECT, NULL, NULL, false};

	(void)state;
	assert_string_equal(F(&c, "t", "42"), "{\"value\":42}");
	{
		/* wrapping adds a level: a payload at the limit is a reject */
		char deep[2 * JSONX_MAX_DEPTH + 1];

		memset(deep, '[', JSONX_MAX_DEPTH);
		memset(deep + JSONX_MAX_DEPTH, ']', JSONX_MAX_DEPTH);
		deep[2 * JSONX_MAX_DEPTH] = '\0';
		assert_string_equal(
		    F(&c, "t", deep), "REJECT: JSON nested too deeply");
		assert_string_equal(
		    fmt(&c, "t", deep + 1, 2 * JSONX_MAX_DEPTH - 2),
		    "{\"value\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		    "[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		    "]]]]]]]]]]]]]]}");
	}
	assert_string_equal(F(&c, "t", "[1, 2]"), "{\"value\":[1,2]}");
	assert_string_equal(F(&c, "t", "\"x\""), "{\"value\":\"x\"}");
	assert_string_equal(F(&c, "t", "null"), "{\"value\":null}");
	assert_string_equal(
	    F(&c, "t", "hello world"), "{\"value\":\"hello world\"}");
	assert_string_equal(F(&c, "t", ""), "{\"value\":\"\"}");
	assert_string_equal(F(&c, "t", "line1\r\nline2\t\"q\""),
	    "{\"value\":\"line1\\r\\nline2\\t\\\"q\\\"\"}");
	assert_string_equal(
	    F(&c, "t", "{\"a\":1"), "{\"value\":\"{\\\"a\\\":1\"}");
	assert_string_equal(
	    fmt(&c, "t", "a\0b", 3), "{\"value\":\"a\\u0000b\"}");
	assert_string_equal(F(&c, "t", "ñandú 🚗"), "{\"value\":\"ñandú 🚗\"}");
}

static void
test_binary(void **state)
{
	struct m2j_conf c = {false, PAYLOAD_BINARY_REJECT, NULL, NULL, false};

	(void)state;
	assert_string_equal(fmt(&c, "t", "\xff\xfe\x00\x01", 4),
	    "REJECT: binary payload (not UTF-8)");
	assert_string_equal(
	    F(&c, "t", "caf\xe9"), "REJECT: binary payload (not UTF-8)");
	c.binary = PAYLOAD_BINARY_BASE64;
	assert_string_equal(fmt(&c, "t", "\xff\xfe\x00\x01", 4),
	    "{\"value\":\"//4AAQ==\",\"encoding\":\"base64\"}");
	c.metadata = true;
	assert_string_equal(fmt(&c, "b/x", "\x80", 1),
	    "{\"@metadata\":{\"mqtt\":{\"topic\":\"b/x\",\"qos\":1,"
	    "\"retain\":false,\"wrapped\":\"base64\"}},\"value\":\"gA==\","
	    "\"encoding\":\"base64\"}");
}

static void
test_metadata(void **state)
{
	struct m2j_conf c = {true, PAYLOAD_BINARY_REJECT, NULL, NULL, false};
	struct m2j_userprop props[] = {{"k", "v"}, {"k", "w\"2"}};
	struct m2j_msg m;

	(void)state;
	assert_string_equal(F(&c, "car/1", "{\"a\":1}"),
	    "{\"@metadata\":{\"mqtt\":{\"topic\":\"car/1\",\"qos\":1,"
	    "\"retain\":false}},\"a\":1}");
	/* an @metadata of the payload's own is merged, its mqtt replaced */
	assert_string_equal(
	    F(&c, "t",
		"{\"a\":1,\"@metadata\":{\"es\":{\"_id\":\"x\"},"
		"\"mqtt\":{\"topic\":\"old\"}}}"),
	    "{\"@metadata\":{\"es\":{\"_id\":\"x\"},\"mqtt\":{\"topic\":\"t\","
	    "\"qos\":1,\"retain\":false}},\"a\":1}");
	assert_string_equal(F(&c, "t", "7"),
	    "{\"@metadata\":{\"mqtt\":{\"topic\":\"t\",\"qos\":1,\"retain\":"
	    "false,\"wrapped\":\"json\"}},\"value\":7}");
	/* topics with quotes and non-ASCII stay valid JSON */
	assert_string_equal(F(&c, "a/\"b\"/ü", "{}"),
	    "{\"@metadata\":{\"mqtt\":{\"topic\":\"a/\\\"b\\\"/ü\",\"qos\":1,"
	    "\"retain\":false}}}");
	/* MQTT 5 user properties, repeated names kept */
	memset(&m, 0, sizeof(m));
	m.topic = "t";
	m.payload = "{}";
	m.len = 2;
	m.qos = 2;
	m.retain = true;
	m.props = props;
	m.nprops = 2;
	buf_reset(&out);
	m2j_meta(&m, &out);
	assert_string_equal(buf_cstr(&out),
	    "{\"mqtt\":{\"topic\":\"t\",\"qos\":2,\"retain\":true,"
	    "\"user_properties\":[[\"k\",\"v\"],[\"k\",\"w\\\"2\"]]}}");
}

static void
test_topic_fields_format(void **state)
{
	struct buf err = BUF_INIT;
	struct topic_fields *tf =
	    topic_fields_new("connectedcar/+kind/+vin", &err);
	struct m2j_conf c = {false, PAYLOAD_BINARY_REJECT, tf, NULL, false};

	(void)state;
	assert_non_null(tf);
	assert_string_equal(F(&c, "connectedcar/telemetry/ABC", "{\"s\":1}"),
	    "{\"s\":1,\"kind\":\"telemetry\",\"vin\":\"ABC\"}");
	/* the payload's own field wins */
	assert_string_equal(
	    F(&c, "connectedcar/telemetry/ABC", "{\"vin\":\"P\"}"),
	    "{\"vin\":\"P\",\"kind\":\"telemetry\"}");
	assert_string_equal(F(&c, "connectedcar/telemetry/ABC", "{}"),
	    "{\"kind\":\"telemetry\",\"vin\":\"ABC\"}");
	assert_string_equal(F(&c, "connectedcar/telemetry/ABC", "3"),
	    "{\"value\":3,\"kind\":\"telemetry\",\"vin\":\"ABC\"}");
	/* no match: no fields */
	assert_string_equal(F(&c, "other/x/y", "{\"s\":1}"), "{\"s\":1}");
	topic_fields_free(tf);
	buf_free(&err);
}

static void
test_topic_fields_match(void **state)
{
	struct topic_capture caps[4];
	struct buf err = BUF_INIT;
	struct topic_fields *tf;

	(void)state;
	tf = topic_fields_new("fleet/+/+vin/#rest", &err);
	assert_non_null(tf);
	assert_int_equal(topic_fields_count(tf), 2);
	assert_true(topic_fields_match(tf, "fleet/a/V1/x/y", 14, caps));
	assert_int_equal(caps[0].vlen, 2);
	assert_memory_equal(caps[0].value, "V1", 2);
	assert_memory_equal(caps[1].name, "rest", 4);
	assert_int_equal(caps[1].vlen, 3);
	assert_memory_equal(caps[1].value, "x/y", 3);
	/* '#' matches the parent level too, with an empty rest */
	assert_true(topic_fields_match(tf, "fleet/a/V1", 10, caps));
	assert_int_equal(caps[1].vlen, 0);
	assert_false(topic_fields_match(tf, "fleet/a", 7, caps));
	assert_false(topic_fields_match(tf, "fleet2/a/V1", 11, caps));
	topic_fields_free(tf);

	tf = topic_fields_new("a/+x", &err);
	assert_false(topic_fields_match(tf, "a/b/c", 5, caps));
	assert_true(topic_fields_match(tf, "a/", 2, caps));
	assert_int_equal(caps[0].vlen, 0);
	topic_fields_free(tf);

	assert_null(topic_fields_new("a/#x/b", &err));
	assert_null(topic_fields_new("a/+/b", &err)); /* nothing taken */
	assert_null(topic_fields_new("+v/+v", &err));
	assert_null(topic_fields_new("a+b/+c", &err));
	buf_free(&err);
}

static void
test_subs(void **state)
{
	struct subs s = {0};
	struct buf err = BUF_INIT;

	(void)state;
	log_init("mqtt2json");
	log_set_verbosity(-1);
	assert_int_equal(subs_add(&s, "cars/#", &err), 0);
	assert_int_equal(subs_add(&s, "a/+/b@2", &err), 0);
	assert_int_equal(subs_add(&s, "x@1@0", &err), 0);
	assert_int_equal(subs_add(&s, "@1", &err), 0); /* too short for a QoS */
	assert_int_equal(s.n, 4);
	assert_string_equal(s.v[0].filter, "cars/#");
	assert_int_equal(s.v[0].qos, -1);
	assert_string_equal(s.v[1].filter, "a/+/b");
	assert_int_equal(s.v[1].qos, 2);
	assert_string_equal(s.v[2].filter, "x@1");
	assert_int_equal(s.v[2].qos, 0);
	assert_string_equal(s.v[3].filter, "@1");
	assert_int_equal(subs_add(&s, "a/#/b", &err), -1);
	assert_string_equal(buf_cstr(&err), "invalid topic filter 'a/#/b'");
	buf_reset(&err);
	assert_int_equal(subs_add(&s, "@2", &err), 0);
	assert_int_equal(subs_add(&s, "x@9", &err), 0); /* no QoS 9 */
	assert_string_equal(s.v[5].filter, "x@9");
	assert_int_equal(subs_add(&s, "a+@1", &err), -1);

	assert_int_equal(subs_add_skip(&s, "cars/noise/#", &err), 0);
	assert_int_equal(subs_add_skip(&s, "+/debug", &err), 0);
	assert_int_equal(subs_add_skip(&s, "a/#/b", &err), -1);
	assert_true(subs_skipped(&s, "cars/noise/x/y"));
	assert_true(subs_skipped(&s, "cars/noise"));
	assert_true(subs_skipped(&s, "x/debug"));
	assert_false(subs_skipped(&s, "cars/telemetry/x"));

	/* SUBACKs: refused only when every filter is */
	s.v[0].mid = 10;
	s.v[1].mid = 11;
	s.n = 2;
	assert_false(subs_suback(&s, 10, 1));
	assert_false(subs_suback(&s, 99, 128)); /* unknown mid */
	assert_false(subs_suback(&s, 10, 135));
	assert_false(subs_suback(&s, 10, 135)); /* counted once */
	assert_true(subs_suback(&s, 11, 128));
	s.n = 6;
	subs_free(&s);
	assert_int_equal(s.n, 0);
	buf_free(&err);
}

/* -F: mosquitto_sub's sequences; %j is JSON with the payload a string. */
static void
test_human(void **state)
{
	struct m2j_msg m;
	struct timespec when = {1700000000, 123456789};
	struct buf b = BUF_INIT;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.topic = "cars/1";
	m.payload = "a\"b";
	m.len = 3;
	m.qos = 1;
	m.retain = true;
	assert_null(m2j_human_check("%t %p %q %r %l %x %X %j %I %U %% \\n\\0"));
	assert_non_null(m2j_human_check("%J"));
	assert_non_null(m2j_human_check("\\z"));
	assert_false(m2j_human_time("%t %p %%I"));
	assert_true(m2j_human_time("%t %U"));
	m2j_human("%t %p %q %r %l %x %X %U %%\\t.", &m, &when, &b);
	assert_string_equal(buf_cstr(&b),
	    "cars/1 a\"b 1 1 3 612262 612262 1700000000.123456789 %\t.");
	buf_reset(&b);
	m2j_human("%j", &m, &when, &b);
	assert_non_null(strstr(buf_cstr(&b),
	    "\",\"topic\":\"cars/1\",\"qos\":1,\"retain\":1,"
	    "\"payload\":\"a\\\"b\"}"));
	assert_true(strncmp(buf_cstr(&b), "{\"tst\":\"20", 10) == 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_objects),
	    cmocka_unit_test(test_wrapping),
	    cmocka_unit_test(test_binary),
	    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_topic_fields_format),
	    cmocka_unit_test(test_topic_fields_match),
	    cmocka_unit_test(test_subs),
	    cmocka_unit_test(test_human),
	};

	return cmocka_run_group_tests(tests, arena_setup, teardown);
}
