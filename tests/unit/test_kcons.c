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
#include "tests/unit/jquote.h"

#define NOW 1700000000000LL /* 2023-11-14T22:13:20Z */

/* ---- -o ---- */

/* Every case of a table is tried; each failure is printed with its case,
 * and the test fails at the end with the count. */
static void
table_done(int nfail, size_t ncases)
{
	if (nfail > 0)
		fail_msg("%d of %zu cases failed", nfail, ncases);
}

static void
test_offspec(void **state)
{
	/* kind, and value for OFF_ABS, OFF_TAIL and OFF_TIME; end: whether
	 * it is an end time (e@) */
	static const struct {
		const char *spec;
		enum offspec_kind kind;
		int64_t value;
		bool end;
	} cases[] = {
	    {"beginning", OFF_BEGINNING, 0, false},
	    {"end", OFF_END, 0, false},
	    {"stored", OFF_STORED, 0, false},
	    {"42", OFF_ABS, 42, false},
	    {"0", OFF_ABS, 0, false},
	    {"-10", OFF_TAIL, 10, false},
	    /* times: epoch ms after s@/e@, dates, relative */
	    {"s@1600000000000", OFF_TIME, 1600000000000LL, false},
	    {"e@1600000000001", OFF_TIME, 1600000000001LL, true},
	    {"2023-11-14T22:13:20Z", OFF_TIME, NOW, false},
	    {"2023-11-14T23:13:20+01:00", OFF_TIME, NOW, false},
	    {"2023-11-14", OFF_TIME, NOW - 80000000LL, false},
	    {"-10m", OFF_TIME, NOW - 600000, false},
	    {"-30s", OFF_TIME, NOW - 30000, false},
	    {"-2h", OFF_TIME, NOW - 7200000, false},
	    {"-1d", OFF_TIME, NOW - 86400000, false},
	    {"e@-5m", OFF_TIME, NOW - 300000, true},
	    {"s@2023-11-14T22:13:20.250Z", OFF_TIME, NOW + 250, false},
	};
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	int nfail = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		struct buf err = BUF_INIT;
		struct offspec o;
		bool e = !cases[i].end;

		if (offspec_parse(cases[i].spec, NOW, &o, &e, &err) != 0) {
			print_error(
			    "-o %s: %s\n", cases[i].spec, buf_cstr(&err));
			nfail++;
		} else if (o.kind != cases[i].kind || e != cases[i].end ||
		    (o.kind >= OFF_ABS && o.value != cases[i].value)) {
			print_error("-o %s: kind %d value %lld end %d, want "
				    "kind %d value %lld end %d\n",
			    cases[i].spec, (int)o.kind, (long long)o.value, e,
			    (int)cases[i].kind, (long long)cases[i].value,
			    cases[i].end);
			nfail++;
		}
		buf_free(&err);
	}
	table_done(nfail, n);
}

static void
test_offspec_bad(void **state)
{
	/* the spec, and what its error message says */
	static const char *const cases[][2] = {
	    {"", "expected beginning"},
	    {"-0", "at least one"},
	    {"start", "expected beginning"},
	    {"-10y", "expected beginning"},
	    {"s@", "not a time"},
	    {"e@yesterday", "not a time"},
	    {"99999999999999999999", "expected beginning"},
	    {"-99999999999d", "expected beginning"},
	    {"12abc", "expected beginning"},
	};
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	int nfail = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		struct buf err = BUF_INIT;
		struct offspec o;
		bool e;

		if (offspec_parse(cases[i][0], NOW, &o, &e, &err) != -1) {
			print_error("-o '%s' taken, want an error with '%s'\n",
			    cases[i][0], cases[i][1]);
			nfail++;
		} else if (strstr(buf_cstr(&err), cases[i][1]) == NULL) {
			print_error("-o '%s': error '%s', want '%s' in it\n",
			    cases[i][0], err.data, cases[i][1]);
			nfail++;
		}
		buf_free(&err);
	}
	table_done(nfail, n);
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

/* offsets with gaps (compaction, transaction markers), and rejects */
static void
test_acks_gaps_rejects(void **state)
{
	struct acks *k = acks_new();
	struct seen s;

	(void)state;
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
	acks_free(k);
}

/* a revoked partition: its late acks are unknown */
static void
test_acks_revoked(void **state)
{
	struct acks *k = acks_new();
	struct seen s;

	(void)state;
	acks_add(k, "t", 2, 0, false);
	acks_add(k, "t", 2, 1, false);
	acks_drop(k, "t", 2);
	assert_int_equal(acks_pending(k), 0);
	assert_int_equal(acks_ack(k, "t", 2, 0), ACKS_UNKNOWN);
	assert_string_equal(collect(k, &s), "");
	acks_free(k);
}

/*
 * A rewound partition (sought back, a range replayed) keeps what is
 * pending: the prefix never passes a record written and not acknowledged.
 */
static void
test_acks_rewound(void **state)
{
	struct acks *k = acks_new();
	struct seen s;

	(void)state;
	acks_add(k, "t", 3, 100, false);
	acks_add(k, "t", 3, 50, false);
	assert_int_equal(acks_pending(k), 2);
	assert_int_equal(acks_ack(k, "t", 3, 100), ACKS_OK);
	assert_string_equal(collect(k, &s), "");
	assert_int_equal(acks_ack(k, "t", 3, 50), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/3=101;");
	acks_free(k);
	acks_free(NULL);
}

/* 100..109 written; sought back to 105 and read again to 109: 100..104
 * stay pending, and acknowledging the second copies moves nothing */
static void
test_acks_rewound_midway(void **state)
{
	struct acks *k = acks_new();
	struct seen s;
	int64_t o;

	(void)state;
	for (o = 100; o < 110; o++)
		acks_add(k, "t", 0, o, false);
	for (o = 105; o < 110; o++)
		acks_add(k, "t", 0, o, false);
	assert_int_equal(acks_pending(k), 10);
	for (o = 105; o < 110; o++)
		assert_int_equal(acks_ack(k, "t", 0, o), ACKS_OK);
	assert_string_equal(collect(k, &s), "");
	/* the other copy of a record acknowledged already */
	assert_int_equal(acks_ack(k, "t", 0, 107), ACKS_UNKNOWN);
	for (o = 100; o < 104; o++)
		assert_int_equal(acks_ack(k, "t", 0, o), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=104;");
	assert_int_equal(acks_pending(k), 1);
	assert_int_equal(acks_ack(k, "t", 0, 104), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=110;");
	assert_int_equal(acks_pending(k), 0);
	acks_free(k);
}

/* sought back below the acknowledged prefix: done already, no entry,
 * and the commit point does not go back */
static void
test_acks_rewound_below_prefix(void **state)
{
	struct acks *k = acks_new();
	struct seen s;
	int64_t o;

	(void)state;
	for (o = 0; o < 10; o++)
		acks_add(k, "t", 0, o, false);
	for (o = 0; o < 5; o++)
		assert_int_equal(acks_ack(k, "t", 0, o), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=5;");
	for (o = 2; o < 12; o++)
		acks_add(k, "t", 0, o, o == 11);
	assert_int_equal(acks_pending(k), 6); /* 5..10 */
	assert_int_equal(acks_ack(k, "t", 0, 3), ACKS_UNKNOWN);
	assert_string_equal(collect(k, &s), "");
	for (o = 5; o < 11; o++)
		assert_int_equal(acks_ack(k, "t", 0, o), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=12;");
	acks_free(k);
}

/* a record written, then rejected on a replay: done; and a reject put
 * in front of the pending ones moves the prefix only up to them */
static void
test_acks_rewound_rejects(void **state)
{
	struct acks *k = acks_new();
	struct seen s;

	(void)state;
	acks_add(k, "t", 0, 20, false);
	acks_add(k, "t", 0, 21, false);
	acks_add(k, "t", 0, 20, true);
	assert_int_equal(acks_pending(k), 1);
	assert_string_equal(collect(k, &s), "t/0=21;");
	acks_add(k, "t", 0, 10, true); /* below the prefix: ignored */
	assert_string_equal(collect(k, &s), "");
	acks_free(k);
	k = acks_new();
	acks_add(k, "t", 0, 20, false);
	acks_add(k, "t", 0, 10, true);
	assert_string_equal(collect(k, &s), "t/0=11;");
	assert_int_equal(acks_ack(k, "t", 0, 20), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=21;");
	acks_free(k);
}

/* many entries, a rewind into the middle of a ring that wrapped */
static void
test_acks_rewound_ring(void **state)
{
	struct acks *k = acks_new();
	struct seen s;
	int64_t o;

	(void)state;
	for (o = 0; o < 100; o++)
		acks_add(k, "t", 0, o, false);
	for (o = 0; o < 60; o++)
		assert_int_equal(acks_ack(k, "t", 0, o), ACKS_OK);
	for (o = 100; o < 300; o += 2)
		acks_add(k, "t", 0, o, false);
	for (o = 101; o < 300; o += 2) /* the gaps, read on a replay */
		acks_add(k, "t", 0, o, false);
	assert_string_equal(collect(k, &s), "t/0=60;");
	assert_int_equal(acks_pending(k), 240);
	for (o = 299; o >= 60; o--)
		assert_int_equal(acks_ack(k, "t", 0, o), ACKS_OK);
	assert_string_equal(collect(k, &s), "t/0=300;");
	assert_int_equal(acks_pending(k), 0);
	acks_free(k);
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

/* The line of a payload (NULL: none), as kcons writes it; JSON in
 * single quotes (tests/unit/jquote.h). */
static void
test_format_payloads(void **state)
{
	static const char *const cases[][2] = {
	    {"{'a':80.3}", "{'a':80.3}"},
	    /* not compact: re-emitted, numbers kept */
	    {"{ 'a' : 1e400,\n 'b': [1, 2] }", "{'a':1e400,'b':[1,2]}"},
	    {"[1, 2]", "{'value':[1,2]}"},
	    {"42", "{'value':42}"},
	    {"plain 'text'", "{'value':'plain \\'text\\''}"},
	    {"", "{'value':''}"},
	    {NULL, "{'value':null}"},
	    {"\xEF\xBB\xBF{'bom':1}", "{'bom':1}"},
	};
	struct kc_conf c = {false, PAYLOAD_BINARY_REJECT, NULL};
	struct buf b = BUF_INIT;
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	int nfail = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		const char *in = cases[i][0] ? J(cases[i][0]) : NULL;
		const char *want = J(cases[i][1]);
		struct kc_msg m = msg(in);
		const char *why = fmt(&c, &m, &b);

		if (why != NULL) {
			print_error(
			    "%s: rejected: %s\n", in ? in : "(none)", why);
			nfail++;
		} else if (strcmp(buf_cstr(&b), want) != 0) {
			print_error("%s\n  gave %s\n  want %s\n",
			    in ? in : "(none)", b.data, want);
			nfail++;
		}
	}
	buf_free(&b);
	table_done(nfail, n);
}

/* binary: a reject, or base64 when asked */
static void
test_format_binary(void **state)
{
	struct kc_conf c = {false, PAYLOAD_BINARY_REJECT, NULL};
	struct buf b = BUF_INIT;
	struct kc_msg m = msg("\xff\xfe");

	(void)state;
	assert_string_equal(fmt(&c, &m, &b), "binary payload (not UTF-8)");
	assert_int_equal(b.len, 0);
	c.binary = PAYLOAD_BINARY_BASE64;
	assert_null(fmt(&c, &m, &b));
	assert_string_equal(
	    buf_cstr(&b), J("{'value':'//4=','encoding':'base64'}"));
	buf_free(&b);
}

/* A wrapped value is one level deeper than the payload: at the limit it
 * would make a line no reader takes, so it is a reject. */
static void
test_format_depth(void **state)
{
	struct kc_conf c = {false, PAYLOAD_BINARY_REJECT, NULL};
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

/* m's line with --metadata is want (single quotes), and parses. */
static void
expect_meta_line(struct kc_msg *m, const char *want)
{
	struct kc_conf c = {true, PAYLOAD_BINARY_BASE64, NULL};
	struct buf b = BUF_INIT;
	struct jval *v;

	assert_null(fmt(&c, m, &b));
	assert_string_equal(buf_cstr(&b), J(want));
	assert_int_equal(jsonx_parse(arena, b.data, b.len, &v, NULL), JSONX_OK);
	buf_free(&b);
}

static void
test_format_metadata(void **state)
{
	struct kc_msg m = msg(J("{'a':1}"));

	(void)state;
	m.key = "K";
	m.keylen = 1;
	expect_meta_line(&m,
	    "{'@metadata':{'kafka':{'topic':'t','partition':3,'offset':41,"
	    "'key':'K','timestamp':1700000000000}},'a':1}");
}

/* an empty object, headers in order, a binary key, no timestamp */
static void
test_format_metadata_headers(void **state)
{
	struct kafkameta_header hs[] = {
	    {"h1", "v1", 2}, {"h2", NULL, 0}, {"bin", "\x00\xff", 2}};
	struct kc_msg m = msg("{}");

	(void)state;
	m.key = "\xff";
	m.keylen = 1;
	m.timestamp = -1;
	m.headers = hs;
	m.nheaders = 3;
	expect_meta_line(&m,
	    "{'@metadata':{'kafka':{'topic':'t','partition':3,'offset':41,"
	    "'key':{'base64':'/w=='},'timestamp':null,"
	    "'headers':[['h1','v1'],['h2',null],['bin',{'base64':'AP8='}]]}}}");
}

/* merged with the payload's own @metadata, kafka replaced */
static void
test_format_metadata_merged(void **state)
{
	struct kc_msg m =
	    msg(J("{'x':1,'@metadata':{'es':{'_id':'1'},'kafka':0}}"));

	(void)state;
	m.timestamp = 5;
	expect_meta_line(&m,
	    "{'@metadata':{'es':{'_id':'1'},'kafka':{'topic':'t',"
	    "'partition':3,'offset':41,'key':null,'timestamp':5}},'x':1}");
}

/* wrapped values get it too, and say that they are wrapped */
static void
test_format_metadata_wrapped(void **state)
{
	struct kc_msg m = msg("7");

	(void)state;
	m.timestamp = 5;
	expect_meta_line(&m,
	    "{'@metadata':{'kafka':{'topic':'t','partition':3,'offset':41,"
	    "'key':null,'timestamp':5,'wrapped':'json'}},'value':7}");
}

/* the reject metadata */
static void
test_reject_metadata(void **state)
{
	struct kc_msg m = msg("7");
	struct buf b = BUF_INIT;

	(void)state;
	m.timestamp = 5;
	kc_meta(&m, &b);
	assert_string_equal(buf_cstr(&b),
	    J("{'kafka':{'topic':'t','partition':3,'offset':41,"
	      "'key':null,'timestamp':5}}"));
	buf_free(&b);
}

static int
teardown(void **state)
{
	jquote_free();
	return arena_teardown(state);
}

/* -f: kcat's letters and escapes; a missing key is empty, length -1. */
static void
test_human(void **state)
{
	struct kafkameta_header h[2] = {{"src", "vsim", 4}, {"n", NULL, 0}};
	struct kc_msg m = msg("{\"a\":1}");
	struct buf b = BUF_INIT;

	(void)state;
	assert_null(kc_human_check("%t %p %o %k %K %s %S %T %h %%\\n\\t"));
	assert_non_null(kc_human_check("%y"));
	assert_non_null(kc_human_check("%"));
	assert_non_null(kc_human_check("\\q"));
	assert_false(kc_human_headers("%s\\n"));
	assert_false(kc_human_headers("%%h"));
	assert_true(kc_human_headers("%s %h"));
	m.headers = h;
	m.nheaders = 2;
	kc_human("%t|%p|%o|%k|%K|%s|%S|%h|%%\\t\\n", &m, &b);
	assert_string_equal(
	    buf_cstr(&b), "t|3|41||-1|{\"a\":1}|7|src=vsim,n=|%\t\n");
	buf_reset(&b);
	m.key = "k1";
	m.keylen = 2;
	m.payload = NULL;
	kc_human("%k %K %s %S %T", &m, &b);
	buf_reset(&b);
	kc_human("%k %K %S", &m, &b);
	assert_string_equal(buf_cstr(&b), "k1 2 -1");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_offspec),
	    cmocka_unit_test(test_offspec_bad),
	    cmocka_unit_test(test_offspec_time),
	    cmocka_unit_test(test_acks_prefix),
	    cmocka_unit_test(test_acks_gaps_rejects),
	    cmocka_unit_test(test_acks_revoked),
	    cmocka_unit_test(test_acks_rewound),
	    cmocka_unit_test(test_acks_rewound_midway),
	    cmocka_unit_test(test_acks_rewound_below_prefix),
	    cmocka_unit_test(test_acks_rewound_rejects),
	    cmocka_unit_test(test_acks_rewound_ring),
	    cmocka_unit_test(test_acks_many),
	    cmocka_unit_test(test_format_payloads),
	    cmocka_unit_test(test_format_binary),
	    cmocka_unit_test(test_format_depth),
	    cmocka_unit_test(test_format_metadata),
	    cmocka_unit_test(test_format_metadata_headers),
	    cmocka_unit_test(test_format_metadata_merged),
	    cmocka_unit_test(test_format_metadata_wrapped),
	    cmocka_unit_test(test_reject_metadata),
	    cmocka_unit_test(test_human),
	};

	return cmocka_run_group_tests_name(
	    "kcons", tests, arena_setup, teardown);
}
