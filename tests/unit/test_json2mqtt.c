/* SPDX-License-Identifier: MIT */
/* Unit tests for json2mqtt's pure parts: topics, payloads, the in-flight
 * table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/json2mqtt/inflight.h"
#include "cmd/json2mqtt/record.h"
#include "common/arena.h"
#include "common/buf.h"
#include "tests/unit/arena_fixture.h"

static struct buf tbuf, pbuf, why;

static int
teardown(void **state)
{
	arena_teardown(state);
	buf_free(&tbuf);
	buf_free(&pbuf);
	buf_free(&why);
	return 0;
}

/* "topic payload" for line, or "REJECT: reason". */
static const char *
prep(const struct j2m_conf *c, const char *line)
{
	static char res[4096];
	struct j2m_pub pub;

	arena_reset(arena);
	buf_reset(&why);
	if (j2m_prepare(
		c, arena, line, strlen(line), &tbuf, &pbuf, &pub, &why) < 0)
		snprintf(res, sizeof(res), "REJECT: %s", buf_cstr(&why));
	else
		snprintf(res, sizeof(res), "%s %.*s", pub.topic, (int)pub.len,
		    pub.payload);
	return res;
}

static void
test_fixed_topic(void **state)
{
	struct j2m_conf c = {"cars/t", NULL, false};

	(void)state;
	/* the line as it came: spaces, escapes and numbers untouched */
	assert_string_equal(prep(&c, "{\"a\": 80.3, \"s\":\"\\u00e9\"}"),
	    "cars/t {\"a\": 80.3, \"s\":\"\\u00e9\"}");
	assert_string_equal(prep(&c, "[1,2]"), "cars/t [1,2]");
	assert_string_equal(
	    prep(&c, "\xEF\xBB\xBF{\"a\":1}"), "cars/t {\"a\":1}");
	/* @metadata is not published */
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"mqtt\":{\"topic\":\"x\"}},\"a\":1.50}"),
	    "cars/t {\"a\":1.50}");
	assert_string_equal(prep(&c, "{\"a\":"),
	    "REJECT: invalid JSON: unexpected end of input at byte 6");
	assert_string_equal(prep(&c, "caf\xe9"), "REJECT: invalid UTF-8");
}

static void
test_metadata_topic(void **state)
{
	struct j2m_conf c = {NULL, NULL, false};

	(void)state;
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"mqtt\":{\"topic\":\"a/b\"}},\"v\":1}"),
	    "a/b {\"v\":1}");
	assert_string_equal(prep(&c, "{\"v\":1}"),
	    "REJECT: no topic: no -t or --topic-template, and no "
	    "@metadata.mqtt.topic");
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"mqtt\":{\"topic\":\"a/#\"}}}"),
	    "REJECT: topic holds '+', '#' or NUL");
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"mqtt\":{\"topic\":\"\"}}}"),
	    "REJECT: empty topic");
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"mqtt\":{\"topic\":7}}}"),
	    "REJECT: no topic: no -t or --topic-template, and no "
	    "@metadata.mqtt.topic");
}

/* What mqtt2json -m wrapped goes out as the bytes it was. */
static void
test_unwrap(void **state)
{
	struct j2m_conf c = {NULL, NULL, false};

	(void)state;
	assert_string_equal(prep(&c,
				"{\"@metadata\":{\"mqtt\":{\"topic\":\"a\","
				"\"wrapped\":\"text\"}},\"value\":\"plain\"}"),
	    "a plain");
	assert_string_equal(prep(&c,
				"{\"@metadata\":{\"mqtt\":{\"topic\":\"a\","
				"\"wrapped\":\"json\"}},\"value\":[1, 2]}"),
	    "a [1,2]");
	assert_string_equal(prep(&c,
				"{\"@metadata\":{\"mqtt\":{\"topic\":\"a\","
				"\"wrapped\":\"base64\"}},\"value\":\"aGk=\","
				"\"encoding\":\"base64\"}"),
	    "a hi");
	assert_string_equal(prep(&c,
				"{\"@metadata\":{\"mqtt\":{\"topic\":\"a\","
				"\"wrapped\":\"null\"}},\"value\":null}"),
	    "a ");
	assert_string_equal(prep(&c,
				"{\"@metadata\":{\"mqtt\":{\"topic\":\"a\","
				"\"wrapped\":\"text\"}},\"value\":\"x\",\"y\":1}"),
	    "REJECT: wrapped record with members other than value");
}

static void
test_template(void **state)
{
	struct buf err = BUF_INIT;
	struct topic_tmpl *t =
	    topic_tmpl_new("connectedcar/{kind}/{car.vin}/{{x}}", &err);
	struct j2m_conf c = {NULL, t, false};

	(void)state;
	assert_non_null(t);
	assert_string_equal(
	    prep(&c, "{\"kind\":\"telemetry\",\"car\":{\"vin\":\"V1\"}}"),
	    "connectedcar/telemetry/V1/{x} "
	    "{\"kind\":\"telemetry\",\"car\":{\"vin\":\"V1\"}}");
	assert_string_equal(prep(&c, "{\"kind\":7,\"car\":{\"vin\":\"ü/2\"}}"),
	    "connectedcar/7/ü/2/{x} {\"kind\":7,\"car\":{\"vin\":\"ü/2\"}}");
	assert_string_equal(prep(&c, "{\"kind\":\"t\"}"),
	    "REJECT: topic field 'car.vin' is missing");
	assert_string_equal(prep(&c, "{\"kind\":true,\"car\":{\"vin\":\"x\"}}"),
	    "REJECT: topic field 'kind' is not a string or a number");
	assert_string_equal(prep(&c, "{\"kind\":\"\",\"car\":{\"vin\":\"x\"}}"),
	    "REJECT: topic field 'kind' is empty");
	assert_string_equal(
	    prep(&c, "{\"kind\":\"+\",\"car\":{\"vin\":\"x\"}}"),
	    "REJECT: topic field 'kind' holds '+', '#' or NUL");
	assert_string_equal(
	    prep(&c, "{\"kind\":\"a\\u0000\",\"car\":{\"vin\":\"x\"}}"),
	    "REJECT: topic field 'kind' holds '+', '#' or NUL");
	topic_tmpl_free(t);

	/* the whole topic from @metadata, through the template */
	t = topic_tmpl_new("{@metadata.mqtt.topic}", &err);
	c.tmpl = t;
	assert_string_equal(
	    prep(&c, "{\"@metadata\":{\"mqtt\":{\"topic\":\"m/t\"}},\"a\":1}"),
	    "m/t {\"a\":1}");
	topic_tmpl_free(t);

	assert_null(topic_tmpl_new("a/{b", &err));
	assert_null(topic_tmpl_new("a/{}", &err));
	assert_null(topic_tmpl_new("a/b}", &err));
	assert_null(topic_tmpl_new("", &err));
	assert_null(topic_tmpl_new("{a{b}", &err));
	buf_free(&err);
}

static void
test_inflight(void **state)
{
	struct inflight *f = inflight_new();
	struct pending *p;
	char line[32];
	int mid;

	(void)state;
	assert_null(inflight_oldest(f));
	for (mid = 1; mid <= 1000; mid++) {
		snprintf(line, sizeof(line), "{\"n\":%d}", mid);
		assert_non_null(inflight_add(
		    f, mid, 1, (unsigned)mid + 10, line, strlen(line)));
	}
	assert_int_equal(inflight_count(f), 1000);
	assert_null(inflight_add(f, 5, 1, 0, "x", 1)); /* already there */
	assert_null(inflight_add(f, 0, 1, 0, "x", 1));
	assert_null(inflight_add(f, 65536, 1, 0, "x", 1));
	/* out of order acknowledgements */
	p = inflight_take(f, 500);
	assert_non_null(p);
	assert_int_equal(p->lineno, 510);
	assert_memory_equal(p->line.data, "{\"n\":500}", p->line.len);
	inflight_put(f, p);
	assert_null(inflight_take(f, 500));
	p = inflight_take(f, 1);
	inflight_put(f, p);
	assert_int_equal(inflight_oldest(f)->mid, 2);
	p = inflight_take(f, 1000);
	inflight_put(f, p);
	assert_int_equal(inflight_count(f), 997);
	/* entries are reused */
	assert_non_null(inflight_add(f, 1, 0, 99, "again", 5));
	assert_int_equal(inflight_count(f), 998);
	/* drain in order, oldest first */
	mid = 0;
	while ((p = inflight_oldest(f)) != NULL) {
		assert_true(p->mid != mid);
		mid = p->mid;
		p = inflight_take(f, p->mid);
		inflight_put(f, p);
	}
	assert_int_equal(mid, 1); /* re-added last */
	assert_int_equal(inflight_count(f), 0);
	inflight_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_topic),
	    cmocka_unit_test(test_metadata_topic),
	    cmocka_unit_test(test_unwrap),
	    cmocka_unit_test(test_template),
	    cmocka_unit_test(test_inflight),
	};

	return cmocka_run_group_tests(tests, arena_setup, teardown);
}
