/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/kafkameta: @metadata.kafka as kcons -m writes it,
 * and as kprod, esbulk and kcons --acks read it back.  JSON is spelled
 * with ' for " (see J()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkameta.h"
#include "tests/unit/arena_fixture.h"

#define NOW 1700000000000LL /* 2023-11-14T22:13:20Z */

/* s with every ' turned into ", in a buffer the next call reuses. */
static const char *
J(const char *s)
{
	static char out[1024];
	size_t i;

	assert_true(strlen(s) < sizeof(out));
	for (i = 0; s[i] != '\0'; i++)
		out[i] = s[i] == '\'' ? '"' : s[i];
	out[i] = '\0';
	return out;
}

/* @metadata.kafka of the record s (written with '), or NULL. */
static const struct jval *
kafka_of(const char *s)
{
	const char *text = J(s);
	struct jval *root;

	arena_reset(arena);
	assert_int_equal(
	    jsonx_parse(arena, text, strlen(text), &root, NULL), JSONX_OK);
	return kafkameta_find(root);
}

/* {'@metadata':{'kafka':{<members>}}} */
static const struct jval *
with(const char *members)
{
	char rec[512];

	snprintf(rec, sizeof(rec), "{'@metadata':{'kafka':{%s}}}", members);
	return kafka_of(rec);
}

static void
assert_bytes(const char *p, size_t n, const char *want, size_t wn)
{
	assert_int_equal(n, wn);
	assert_memory_equal(p, want, n);
}

/* ---- writing ---- */

static const char *
emit(const struct kafkameta *m, struct buf *b)
{
	buf_reset(b);
	kafkameta_emit(m, b);
	return buf_cstr(b);
}

static void
test_emit(void **state)
{
	static const struct kafkameta_header hs[] = {
	    {"h1", "v1", 2}, {"h2", NULL, 0}, {"bin", "\x00\xff", 2}};
	struct kafkameta m = {.topic = "t",
	    .partition = 3,
	    .offset = 41,
	    .key = "K",
	    .keylen = 1,
	    .timestamp = NOW};
	struct buf b = BUF_INIT;

	(void)state;
	assert_string_equal(emit(&m, &b),
	    J("'topic':'t','partition':3,'offset':41,'key':'K',"
	      "'timestamp':1700000000000"));
	/* no key, no timestamp, headers in order; bytes that are not UTF-8
	 * as {"base64":...} */
	m.key = NULL;
	m.timestamp = -1;
	m.headers = hs;
	m.nheaders = 3;
	assert_string_equal(emit(&m, &b),
	    J("'topic':'t','partition':3,'offset':41,'key':null,"
	      "'timestamp':null,'headers':[['h1','v1'],['h2',null],"
	      "['bin',{'base64':'AP8='}]]"));
	m.key = "\xff";
	m.nheaders = 0;
	m.offset = 9223372036854775807LL;
	m.partition = 0;
	m.timestamp = 0;
	assert_string_equal(emit(&m, &b),
	    J("'topic':'t','partition':0,'offset':9223372036854775807,"
	      "'key':{'base64':'/w=='},'timestamp':0"));
	/* an empty key is a key; text is escaped */
	m.topic = "a\"b";
	m.key = "";
	m.keylen = 0;
	assert_string_equal(emit(&m, &b),
	    J("'topic':'a\\'b','partition':0,'offset':9223372036854775807,"
	      "'key':'','timestamp':0"));
	buf_free(&b);
}

/* What kafkameta_emit() writes, every reader reads back. */
static void
test_round_trip(void **state)
{
	static const struct kafkameta_header hs[] = {
	    {"h1", "v\xc3\xa9", 3}, {"h2", NULL, 0}, {"bin", "\x00\xff", 2}};
	const struct kafkameta m = {.topic = "telemetry",
	    .partition = 5,
	    .offset = 123456789012LL,
	    .key = "\xfe\x01",
	    .keylen = 2,
	    .timestamp = NOW,
	    .headers = hs,
	    .nheaders = 3};
	struct buf b = BUF_INIT, id = BUF_INIT;
	const struct jval *k, *h;
	const char *s, *name, *value;
	size_t n, nlen, vlen, i;
	int32_t p;
	int64_t o, ts;

	(void)state;
	buf_adds(&b, "{\"@metadata\":{\"kafka\":{");
	kafkameta_emit(&m, &b);
	buf_adds(&b, "}},\"a\":1}");
	{
		struct jval *root;

		arena_reset(arena);
		assert_int_equal(
		    jsonx_parse(arena, b.data, b.len, &root, NULL), JSONX_OK);
		k = kafkameta_find(root);
	}
	assert_non_null(k);
	assert_true(kafkameta_position(k, &s, &p, &o));
	assert_string_equal(s, "telemetry");
	assert_int_equal(p, 5);
	assert_int_equal(o, 123456789012LL);
	assert_int_equal(kafkameta_key(arena, k, &s, &n), 1);
	assert_bytes(s, n, "\xfe\x01", 2);
	assert_int_equal(kafkameta_timestamp(k, &ts), 1);
	assert_int_equal(ts, NOW);
	assert_int_equal(kafkameta_headers(k, &h, &n), 1);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_true(
		    kafkameta_header(arena, h, i, &name, &nlen, &value, &vlen));
		assert_string_equal(name, hs[i].name);
		assert_int_equal(nlen, strlen(hs[i].name));
		if (hs[i].value == NULL)
			assert_null(value);
		else
			assert_bytes(value, vlen, hs[i].value, hs[i].len);
	}
	assert_null(kafkameta_wrapped(k));
	assert_int_equal(kafkameta_id(k, &id), 0);
	assert_string_equal(buf_cstr(&id), "telemetry+5+123456789012");
	buf_free(&b);
	buf_free(&id);
}

/* ---- reading ---- */

static void
test_find(void **state)
{
	(void)state;
	assert_null(kafka_of("{'a':1}"));
	assert_null(kafka_of("[1]"));
	assert_null(kafka_of("{'@metadata':1}"));
	assert_null(kafka_of("{'@metadata':{'mqtt':{}}}"));
	assert_null(kafka_of("{'@metadata':{'kafka':[1]}}"));
	assert_null(kafka_of("{'@metadata':{'kafka':null}}"));
	assert_non_null(kafka_of("{'@metadata':{'kafka':{}}}"));
	/* the last of duplicate members, as everywhere */
	assert_non_null(kafka_of("{'@metadata':{'kafka':1,'kafka':{}}}"));
	/* no object: every member reads as absent */
	{
		const char *s;
		size_t n;
		int32_t p;
		int64_t ts;
		const struct jval *h;

		assert_false(kafkameta_topic(NULL, &s, &n));
		assert_int_equal(kafkameta_partition(NULL, &p), 0);
		assert_int_equal(kafkameta_key(arena, NULL, &s, &n), 0);
		assert_int_equal(kafkameta_timestamp(NULL, &ts), 0);
		assert_int_equal(kafkameta_headers(NULL, &h, &n), 0);
		assert_int_equal(n, 0);
		assert_null(kafkameta_wrapped(NULL));
	}
}

static void
test_topic(void **state)
{
	const char *s = NULL;
	size_t n = 0;

	(void)state;
	assert_true(kafkameta_topic(with("'topic':'t.x'"), &s, &n));
	assert_string_equal(s, "t.x");
	assert_int_equal(n, 3);
	assert_false(kafkameta_topic(with(""), &s, &n));
	assert_false(kafkameta_topic(with("'topic':null"), &s, &n));
	assert_false(kafkameta_topic(with("'topic':''"), &s, &n));
	assert_false(kafkameta_topic(with("'topic':7"), &s, &n));
	assert_false(kafkameta_topic(with("'topic':['t']"), &s, &n));
	assert_false(kafkameta_topic(with("'topic':'a\\u0000b'"), &s, &n));
}

static void
test_partition(void **state)
{
	static const struct {
		const char *member;
		int rc;
		int32_t want;
	} cases[] = {
	    {"", 0, 0},
	    {"'partition':null", 0, 0},
	    {"'partition':0", 1, 0},
	    {"'partition':-0", 1, 0},
	    {"'partition':7", 1, 7},
	    {"'partition':2147483647", 1, 2147483647},
	    {"'partition':2147483648", -1, 0},
	    {"'partition':99999999999999999999", -1, 0},
	    {"'partition':-1", -1, 0},
	    {"'partition':1.5", -1, 0},
	    {"'partition':1e2", -1, 0},
	    {"'partition':'3'", -1, 0},
	    {"'partition':true", -1, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int32_t p = -7;

		if (kafkameta_partition(with(cases[i].member), &p) !=
			cases[i].rc ||
		    p != (cases[i].rc == 1 ? cases[i].want : -7))
			fail_msg("partition: {%s}: %d", cases[i].member, p);
	}
}

/* kcons --acks: topic, partition and offset, all three required. */
static void
test_position(void **state)
{
	static const struct {
		const char *members;
		bool ok;
		int64_t offset;
	} cases[] = {
	    {"'topic':'t','partition':1,'offset':0", true, 0},
	    {"'offset':999999999999999999,'partition':1,'topic':'t'", true,
		999999999999999999LL},
	    {"'topic':'t','partition':1,'offset':-0", true, 0},
	    {"'topic':'t','partition':1", false, 0},
	    {"'topic':'t','offset':1", false, 0},
	    {"'partition':1,'offset':1", false, 0},
	    {"'topic':'t','partition':null,'offset':1", false, 0},
	    {"'topic':'t','partition':1,'offset':null", false, 0},
	    {"'topic':'','partition':1,'offset':1", false, 0},
	    {"'topic':1,'partition':1,'offset':1", false, 0},
	    {"'topic':'t','partition':'1','offset':1", false, 0},
	    {"'topic':'t','partition':1,'offset':'1'", false, 0},
	    {"'topic':'t','partition':1,'offset':-1", false, 0},
	    {"'topic':'t','partition':1,'offset':1.0", false, 0},
	    {"'topic':'t','partition':1,'offset':99999999999999999999", false,
		0},
	    {"'topic':'t','partition':2147483648,'offset':1", false, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = NULL;
		int32_t p = -1;
		int64_t o = -1;

		if (kafkameta_position(with(cases[i].members), &t, &p, &o) !=
		    cases[i].ok)
			fail_msg("position: {%s}: not %s", cases[i].members,
			    cases[i].ok ? "read" : "refused");
		if (!cases[i].ok)
			continue;
		assert_string_equal(t, "t");
		assert_int_equal(p, 1);
		assert_int_equal(o, cases[i].offset);
	}
}

static void
test_key(void **state)
{
	const char *k = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(kafkameta_key(arena, with(""), &k, &n), 0);
	assert_int_equal(kafkameta_key(arena, with("'key':null"), &k, &n), 0);
	assert_int_equal(kafkameta_key(arena, with("'key':'v1'"), &k, &n), 1);
	assert_bytes(k, n, "v1", 2);
	assert_int_equal(kafkameta_key(arena, with("'key':''"), &k, &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(
	    kafkameta_key(arena, with("'key':{'base64':'/w=='}"), &k, &n), 1);
	assert_bytes(k, n, "\xff", 1);
	assert_int_equal(
	    kafkameta_key(arena, with("'key':{'base64':''}"), &k, &n), 1);
	assert_int_equal(n, 0);
	/* anything else is bad */
	assert_int_equal(kafkameta_key(arena, with("'key':5"), &k, &n), -1);
	assert_int_equal(kafkameta_key(arena, with("'key':[1]"), &k, &n), -1);
	assert_int_equal(kafkameta_key(arena, with("'key':{}"), &k, &n), -1);
	assert_int_equal(
	    kafkameta_key(arena, with("'key':{'base64':'!'}"), &k, &n), -1);
	assert_int_equal(
	    kafkameta_key(arena, with("'key':{'base64':'/w'}"), &k, &n), -1);
	assert_int_equal(
	    kafkameta_key(arena, with("'key':{'base64':1}"), &k, &n), -1);
	assert_int_equal(
	    kafkameta_key(arena, with("'key':{'base64':'/w==','x':1}"), &k, &n),
	    -1);
	assert_int_equal(
	    kafkameta_key(arena, with("'key':{'b64':'/w=='}"), &k, &n), -1);
}

static void
test_timestamp(void **state)
{
	int64_t ms = -7;

	(void)state;
	assert_int_equal(kafkameta_timestamp(with(""), &ms), 0);
	assert_int_equal(kafkameta_timestamp(with("'timestamp':null"), &ms), 0);
	assert_int_equal(ms, -7);
	assert_int_equal(
	    kafkameta_timestamp(with("'timestamp':1700000000000"), &ms), 1);
	assert_int_equal(ms, NOW);
	assert_int_equal(kafkameta_timestamp(with("'timestamp':0"), &ms), 1);
	assert_int_equal(ms, 0);
	assert_int_equal(kafkameta_timestamp(
			     with("'timestamp':'2023-11-14T22:13:20Z'"), &ms),
	    1);
	assert_int_equal(ms, NOW);
	assert_int_equal(kafkameta_timestamp(with("'timestamp':-5"), &ms), -1);
	assert_int_equal(kafkameta_timestamp(with("'timestamp':1.5"), &ms), -1);
	assert_int_equal(
	    kafkameta_timestamp(with("'timestamp':1e12"), &ms), -1);
	assert_int_equal(
	    kafkameta_timestamp(with("'timestamp':true"), &ms), -1);
	assert_int_equal(kafkameta_timestamp(with("'timestamp':'x'"), &ms), -1);
	/* a string of digits is not a date */
	assert_int_equal(
	    kafkameta_timestamp(with("'timestamp':'1700000000000'"), &ms), -1);
}

/* Header i of the headers of k, as "name=value" ("name" for none). */
static const char *
header(const struct jval *hs, size_t i, struct buf *b)
{
	const char *name, *value;
	size_t nlen, vlen;

	buf_reset(b);
	if (!kafkameta_header(arena, hs, i, &name, &nlen, &value, &vlen))
		return "BAD";
	buf_add(b, name, nlen);
	if (value != NULL) {
		buf_addc(b, '=');
		buf_add(b, value, vlen);
	}
	return buf_cstr(b);
}

static void
test_headers(void **state)
{
	const struct jval *hs = NULL;
	struct buf b = BUF_INIT;
	size_t n = 9, i;

	(void)state;
	assert_int_equal(kafkameta_headers(with(""), &hs, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(kafkameta_headers(with("'headers':null"), &hs, &n), 0);
	assert_int_equal(n, 0);
	/* pairs in order, a name twice is kept twice */
	assert_int_equal(kafkameta_headers(with("'headers':[['a','1'],['b',"
						"null],['c',{'base64':'eA=='}],"
						"['a','2']]"),
			     &hs, &n),
	    1);
	assert_int_equal(n, 4);
	assert_string_equal(header(hs, 0, &b), "a=1");
	assert_string_equal(header(hs, 1, &b), "b");
	assert_string_equal(header(hs, 2, &b), "c=x");
	assert_string_equal(header(hs, 3, &b), "a=2");
	/* an object reads as its members in order */
	assert_int_equal(
	    kafkameta_headers(with("'headers':{'x':'1','y':null}"), &hs, &n),
	    1);
	assert_int_equal(n, 2);
	assert_string_equal(header(hs, 0, &b), "x=1");
	assert_string_equal(header(hs, 1, &b), "y");
	assert_int_equal(kafkameta_headers(with("'headers':[]"), &hs, &n), 1);
	assert_int_equal(n, 0);
	/* neither an array nor an object, empty or not */
	assert_int_equal(kafkameta_headers(with("'headers':'x'"), &hs, &n), -1);
	assert_int_equal(kafkameta_headers(with("'headers':''"), &hs, &n), -1);
	assert_int_equal(
	    kafkameta_headers(with("'headers':true"), &hs, &n), -1);
	assert_int_equal(kafkameta_headers(with("'headers':0"), &hs, &n), -1);
	/* bad pairs and values */
	assert_int_equal(kafkameta_headers(with("'headers':[['a'],['b','1',2],"
						"[1,'v'],'a',['a',1],"
						"['a',{'base64':'!'}],"
						"['a',['v']]]"),
			     &hs, &n),
	    1);
	assert_int_equal(n, 7);
	for (i = 0; i < n; i++)
		assert_string_equal(header(hs, i, &b), "BAD");
	assert_int_equal(
	    kafkameta_headers(
		with("'headers':{'x':1,'y':{'base64':'!'}}"), &hs, &n),
	    1);
	assert_string_equal(header(hs, 0, &b), "BAD");
	assert_string_equal(header(hs, 1, &b), "BAD");
	buf_free(&b);
}

static void
test_wrapped(void **state)
{
	const struct jval *w;

	(void)state;
	assert_null(kafkameta_wrapped(with("'topic':'t'")));
	w = kafkameta_wrapped(with("'topic':'t','wrapped':'json'"));
	assert_non_null(w);
	assert_int_equal(w->type, J_STRING);
	assert_string_equal(w->u.s, "json");
	/* as it is: payload_unwrap() judges it */
	w = kafkameta_wrapped(with("'wrapped':7"));
	assert_non_null(w);
	assert_int_equal(w->type, J_NUMBER);
}

/* esbulk --kafka-id: the three as written, strings or numbers. */
static void
test_id(void **state)
{
	struct buf id = BUF_INIT;

	(void)state;
	assert_int_equal(
	    kafkameta_id(with("'topic':'t','partition':2,'offset':41"), &id),
	    0);
	assert_string_equal(buf_cstr(&id), "t+2+41");
	buf_reset(&id);
	assert_int_equal(
	    kafkameta_id(with("'topic':7,'partition':'p','offset':1.5"), &id),
	    0);
	assert_string_equal(buf_cstr(&id), "7+p+1.5");
	/* one missing or of another type: id unchanged */
	buf_reset(&id);
	buf_adds(&id, "x");
	assert_int_equal(
	    kafkameta_id(with("'topic':'t','partition':2"), &id), -1);
	assert_int_equal(
	    kafkameta_id(with("'topic':'t','partition':2,'offset':null"), &id),
	    -1);
	assert_int_equal(
	    kafkameta_id(with("'topic':['t'],'partition':2,'offset':1"), &id),
	    -1);
	assert_int_equal(kafkameta_id(NULL, &id), -1);
	assert_string_equal(buf_cstr(&id), "x");
	buf_free(&id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_emit),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_topic),
	    cmocka_unit_test(test_partition),
	    cmocka_unit_test(test_position),
	    cmocka_unit_test(test_key),
	    cmocka_unit_test(test_timestamp),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_wrapped),
	    cmocka_unit_test(test_id),
	};

	return cmocka_run_group_tests_name(
	    "kafkameta", tests, arena_setup, arena_teardown);
}
