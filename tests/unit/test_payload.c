/* SPDX-License-Identifier: MIT */
/* Unit tests for common/payload: the payload rules, apart from any
 * transport (kcons and mqtt2json test theirs on top). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/payload.h"
#include "tests/unit/arena_fixture.h"

static void
members(const void *arg, struct buf *out)
{
	buf_printf(out, "\"id\":%d", *(const int *)arg);
}

/* adds "site":"lab" when the object lacks it */
static void
fields(const void *arg, const struct jval *obj, bool first, struct buf *out)
{
	(void)arg;
	if (obj != NULL && jsonx_get(obj, "site") != NULL)
		return;
	buf_adds(out, first ? "\"site\":\"lab\"" : ",\"site\":\"lab\"");
}

static const int ID = 7;

/* The record for payload p[0..n) (p NULL: no value), or "REJECT: why". */
static const char *
rec(bool meta, bool with_fields, enum payload_binary bin, const char *p,
    size_t n)
{
	static struct buf out;
	struct payload_rules r = {bin, meta ? "t" : NULL, members,
	    with_fields ? fields : NULL, &ID, false};
	const char *why;

	buf_reset(&out);
	arena_reset(arena);
	why = payload_record(&r, arena, p, n, &out);
	if (why != NULL) {
		assert_int_equal(out.len, 0);
		buf_printf(&out, "REJECT: %s", why);
	}
	return buf_cstr(&out);
}

static const char *
rec_s(bool meta, bool with_fields, const char *p)
{
	return rec(meta, with_fields, PAYLOAD_BINARY_REJECT, p, strlen(p));
}

static void
test_objects(void **state)
{
	const char *same = "{\"a\":\"\\u00e9\",\"b\":80.30}";

	(void)state;
	/* compact: the same bytes, escapes and number text included */
	assert_string_equal(rec_s(false, false, same), same);
	/* with @metadata spliced in front of the same member bytes */
	assert_string_equal(rec_s(true, false, same),
	    "{\"@metadata\":{\"t\":{\"id\":7}},\"a\":\"\\u00e9\",\"b\":80.30}");
	assert_string_equal(
	    rec_s(true, false, "{}"), "{\"@metadata\":{\"t\":{\"id\":7}}}");
	/* white space: re-written compact, numbers verbatim */
	assert_string_equal(
	    rec_s(false, false, " {\"b\" : 1.50 ,\r\n \"c\":[1, 2]}\r\n"),
	    "{\"b\":1.50,\"c\":[1,2]}");
	/* the payload's own @metadata: merged, ours replacing its "t" */
	assert_string_equal(
	    rec_s(true, false,
		"{\"x\":1,\"@metadata\":{\"t\":0,\"es\":{\"_id\":\"k\"}}}"),
	    "{\"@metadata\":{\"es\":{\"_id\":\"k\"},\"t\":{\"id\":7}},\"x\":1}");
	/* ... and kept as it is when nothing is added */
	assert_string_equal(rec_s(false, false, "{\"@metadata\":{\"a\":1}}"),
	    "{\"@metadata\":{\"a\":1}}");
	/* fields: only those the object lacks */
	assert_string_equal(
	    rec_s(false, true, "{\"v\":1}"), "{\"v\":1,\"site\":\"lab\"}");
	assert_string_equal(
	    rec_s(false, true, "{\"site\":\"x\"}"), "{\"site\":\"x\"}");
	assert_string_equal(rec_s(false, true, "{}"), "{\"site\":\"lab\"}");
	assert_string_equal(rec_s(true, true, "{\"v\":1}"),
	    "{\"@metadata\":{\"t\":{\"id\":7}},\"v\":1,\"site\":\"lab\"}");
	/* a byte order mark is not part of the object */
	assert_string_equal(
	    rec_s(false, false, "\xEF\xBB\xBF{\"v\":1}"), "{\"v\":1}");
}

static void
test_wrapped(void **state)
{
	(void)state;
	assert_string_equal(rec_s(false, false, "[1, 2]"), "{\"value\":[1,2]}");
	assert_string_equal(rec_s(false, false, "42"), "{\"value\":42}");
	assert_string_equal(rec_s(false, false, "\"s\""), "{\"value\":\"s\"}");
	assert_string_equal(rec_s(false, false, "null"), "{\"value\":null}");
	/* text, empty text, and text that looks like broken JSON */
	assert_string_equal(rec_s(false, false, "on\t\"off\""),
	    "{\"value\":\"on\\t\\\"off\\\"\"}");
	assert_string_equal(rec_s(false, false, ""), "{\"value\":\"\"}");
	assert_string_equal(
	    rec_s(false, false, "{\"a\":"), "{\"value\":\"{\\\"a\\\":\"}");
	/* a mark before text that is not JSON stays: the text as it came */
	assert_string_equal(rec_s(false, false, "\xEF\xBB\xBFhi"),
	    "{\"value\":\"\xEF\xBB\xBFhi\"}");
	/* no value at all */
	assert_string_equal(rec(false, false, PAYLOAD_BINARY_REJECT, NULL, 0),
	    "{\"value\":null}");
	assert_string_equal(rec(true, true, PAYLOAD_BINARY_REJECT, NULL, 0),
	    "{\"@metadata\":{\"t\":{\"id\":7}},\"value\":null,\"site\":\"lab\"}");
	assert_string_equal(rec_s(true, true, "7"),
	    "{\"@metadata\":{\"t\":{\"id\":7}},\"value\":7,\"site\":\"lab\"}");
}

static void
test_binary_and_depth(void **state)
{
	static char deep[200];
	const char bin[] = {'\xff', '\x00', 'a'};
	struct payload_rules r = {
	    PAYLOAD_BINARY_REJECT, "t", members, NULL, &ID, false};
	struct buf b = BUF_INIT;
	int i;

	(void)state;
	assert_string_equal(rec(false, false, PAYLOAD_BINARY_REJECT, bin, 3),
	    "REJECT: binary payload (not UTF-8)");
	assert_string_equal(rec(true, true, PAYLOAD_BINARY_BASE64, bin, 3),
	    "{\"@metadata\":{\"t\":{\"id\":7}},\"value\":\"/wBh\","
	    "\"encoding\":\"base64\",\"site\":\"lab\"}");
	/* 64 levels is the limit: an array 63 deep is 64 once wrapped, one
	 * 64 deep would be 65 */
	for (i = 0; i < 63; i++)
		deep[i] = '[';
	for (i = 0; i < 63; i++)
		deep[63 + i] = ']';
	buf_adds(&b, "{\"value\":");
	buf_add(&b, deep, 126);
	buf_addc(&b, '}');
	assert_string_equal(
	    rec(false, false, PAYLOAD_BINARY_REJECT, deep, 126), buf_cstr(&b));
	buf_reset(&b);
	memmove(deep + 1, deep, 126);
	deep[0] = '[';
	deep[127] = ']';
	assert_string_equal(rec(false, false, PAYLOAD_BINARY_REJECT, deep, 128),
	    "REJECT: JSON nested too deeply");
	payload_meta(&r, &b);
	assert_string_equal(buf_cstr(&b), "{\"t\":{\"id\":7}}");
	buf_free(&b);
}

/* mark_wrapped: each kind of wrapper says what it holds; an object, a
 * record without @metadata and a reject say nothing. */
static void
test_mark_wrapped(void **state)
{
	static const struct {
		const char *in; /* NULL: no payload */
		size_t n;
		const char *want;
	} cases[] = {
	    {NULL, 0,
		"{\"@metadata\":{\"t\":{\"id\":7,\"wrapped\":\"null\"}},"
		"\"value\":null}"},
	    {"null", 4,
		"{\"@metadata\":{\"t\":{\"id\":7,\"wrapped\":\"json\"}},"
		"\"value\":null}"},
	    {"[1, 2]", 6,
		"{\"@metadata\":{\"t\":{\"id\":7,\"wrapped\":\"json\"}},"
		"\"value\":[1,2]}"},
	    {"\"s\"", 3,
		"{\"@metadata\":{\"t\":{\"id\":7,\"wrapped\":\"json\"}},"
		"\"value\":\"s\"}"},
	    {"s", 1,
		"{\"@metadata\":{\"t\":{\"id\":7,\"wrapped\":\"text\"}},"
		"\"value\":\"s\"}"},
	    {"", 0,
		"{\"@metadata\":{\"t\":{\"id\":7,\"wrapped\":\"text\"}},"
		"\"value\":\"\"}"},
	    {"\xff", 1,
		"{\"@metadata\":{\"t\":{\"id\":7,\"wrapped\":\"base64\"}},"
		"\"value\":\"/w==\",\"encoding\":\"base64\"}"},
	    {"{\"a\":1}", 7, "{\"@metadata\":{\"t\":{\"id\":7}},\"a\":1}"},
	    {"{ \"a\": 1 }", 10, "{\"@metadata\":{\"t\":{\"id\":7}},\"a\":1}"},
	};
	struct payload_rules r = {
	    PAYLOAD_BINARY_BASE64, "t", members, NULL, &ID, true};
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		arena_reset(arena);
		assert_null(payload_record(
		    &r, arena, cases[i].in, cases[i].n, &out));
		assert_string_equal(buf_cstr(&out), cases[i].want);
	}
	/* no namespace: nowhere to say it */
	r.ns = NULL;
	buf_reset(&out);
	assert_null(payload_record(&r, arena, "s", 1, &out));
	assert_string_equal(buf_cstr(&out), "{\"value\":\"s\"}");
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_objects),
	    cmocka_unit_test(test_wrapped),
	    cmocka_unit_test(test_binary_and_depth),
	    cmocka_unit_test(test_mark_wrapped),
	};

	return cmocka_run_group_tests_name(
	    "payload", tests, arena_setup, arena_teardown);
}
