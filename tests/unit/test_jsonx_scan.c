/* SPDX-License-Identifier: MIT */
/* Unit tests for jsonx_scan(): it accepts exactly what jsonx_parse() does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "tests/unit/arena_fixture.h"

static bool
parses(const char *p, size_t n)
{
	struct jval *v;

	arena_reset(arena);
	return jsonx_parse(arena, p, n, &v, NULL) == JSONX_OK;
}

static bool
scans(const char *p, size_t n, struct jsonx_scan *s)
{
	return jsonx_scan(p, n, s) == JSONX_OK;
}

/* Both agree on p; returns whether it is JSON. */
static bool
agree(const char *p, size_t n)
{
	struct jsonx_scan s;
	bool a, b;

	memset(&s, 0, sizeof(s));
	a = parses(p, n);
	b = scans(p, n, &s);
	if (a != b)
		fail_msg("parse %d, scan %d: '%.*s'", a, b, (int)n, p);
	return a;
}

static void
test_edges(void **state)
{
	static const char *const ok[] = {"{}", "[]", "1", "-0", "0.5e-3",
	    "1E+2", "\"\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"", "true",
	    "false", "null", " \t\r\n{ \"a\" : [ 1 , {} ] }\n ",
	    "{\"a\":1,\"a\":2}", "\"\xc3\xa9\"", NULL};
	static const char *const bad[] = {"", " ", "01", "1.", ".5", "-", "+1",
	    "1e", "1e+", "0x1", "\"\\ud800\"", "\"\\udc00\"",
	    "\"\\ud800\\u0041\"", "\"\\x\"", "\"\\u12\"", "\"abc", "\"a\x01\"",
	    "{\"a\"}", "{\"a\":}", "{,}", "{\"a\":1,}", "[1,]", "[1 2]", "tru",
	    "nulll", "{} x", "\"\xc3\"", "\xed\xa0\x80", "{1:2}", "[", "{",
	    NULL};
	char deep[300];
	size_t i, n;
	int d;

	(void)state;
	for (i = 0; ok[i] != NULL; i++)
		assert_true(agree(ok[i], strlen(ok[i])));
	for (i = 0; bad[i] != NULL; i++)
		assert_false(agree(bad[i], strlen(bad[i])));
	/* nesting around JSONX_MAX_DEPTH, as arrays and inside an object */
	for (d = JSONX_MAX_DEPTH - 2; d <= JSONX_MAX_DEPTH + 2; d++) {
		n = 0;
		memset(deep, '[', (size_t)d);
		n = (size_t)d;
		memset(deep + n, ']', (size_t)d);
		n += (size_t)d;
		(void)agree(deep, n);
		n = 0;
		memcpy(deep, "{\"a\":", 5);
		n = 5;
		memset(deep + n, '[', (size_t)d - 1);
		n += (size_t)d - 1;
		memset(deep + n, ']', (size_t)d - 1);
		n += (size_t)d - 1;
		deep[n++] = '}';
		(void)agree(deep, n);
	}
}

static void
test_members(void **state)
{
	const char *p = "{\"vin\":\"V\\\"1\",\"ts\":17,\"@metadata\":{},"
			"\"o\":{\"vin\":\"inner\"},\"ts\":18}";
	struct jsonx_scan s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.keys[0] = "vin";
	s.keys[1] = "ts";
	s.keys[2] = "none";
	assert_true(scans(p, strlen(p), &s));
	assert_int_equal(s.type, J_OBJECT);
	assert_int_equal(s.members, 5);
	assert_true(s.has_meta);
	assert_true(s.compact);
	assert_false(s.key_escapes);
	/* a string's text without quotes, escapes flagged */
	assert_true(s.found[0].found);
	assert_int_equal(s.found[0].type, J_STRING);
	assert_true(s.found[0].escaped);
	assert_int_equal(s.found[0].len, 4);
	assert_memory_equal(s.found[0].p, "V\\\"1", 4);
	/* the last of duplicates; top level only */
	assert_int_equal(s.found[1].type, J_NUMBER);
	assert_memory_equal(s.found[1].p, "18", 2);
	assert_false(s.found[2].found);

	p = " {\"a\" :1}";
	memset(&s, 0, sizeof(s));
	assert_true(scans(p, strlen(p), &s));
	assert_false(s.compact);
	assert_false(s.has_meta);
	p = "{\"\\u0040metadata\":1}";
	assert_true(scans(p, strlen(p), &s));
	assert_true(s.key_escapes);
	p = "[{\"@metadata\":1}]";
	assert_true(scans(p, strlen(p), &s));
	assert_int_equal(s.type, J_ARRAY);
	assert_false(s.has_meta);
	assert_true(jsonx_scan("\"\xff\"", 3, &s) == JSONX_ESYNTAX);
}

/* Mutations of valid and hostile lines: both must agree on every one. */
/*
 * Plain lines (no backslash, control or non-ASCII byte) are scanned
 * through a bitmap of their quotes, 64 bytes a word: strings of every
 * length starting at every offset within a word, cut short, and lines
 * around the map's size limit, where the byte-wise scan takes over.
 */
static void
test_quote_map(void **state)
{
	static char buf[8400];
	struct jsonx_scan s;
	size_t pad, len, n;

	(void)state;
	for (pad = 0; pad < 70; pad++)
		for (len = 0; len < 140; len++) {
			n = (size_t)snprintf(buf, sizeof(buf),
			    "{\"p\":\"%*s\",\"vin\":\"%*s\"}", (int)pad, "",
			    (int)len, "");
			memset(&s, 0, sizeof(s));
			s.keys[0] = "vin";
			assert_true(agree(buf, n));
			assert_true(scans(buf, n, &s));
			assert_true(s.found[0].found);
			assert_int_equal(s.found[0].len, len);
			assert_ptr_equal(s.found[0].p, buf + n - 2 - len);
			/* the closing quote or brace missing */
			assert_false(agree(buf, n - 2));
			assert_false(agree(buf, n - 1));
			/* a stray quote in the middle */
			if (len > 0) {
				buf[n - 2 - len / 2 - 1] = '"';
				assert_false(agree(buf, n));
			}
		}
	for (n = 8180; n < 8200; n++) {
		memset(buf, ' ', n);
		memcpy(buf, "{\"vin\":\"", 8);
		memcpy(buf + n - 2, "\"}", 2);
		memset(&s, 0, sizeof(s));
		s.keys[0] = "vin";
		assert_true(agree(buf, n));
		assert_true(scans(buf, n, &s));
		assert_int_equal(s.found[0].len, n - 10);
		buf[n - 2] = ' ';
		assert_false(agree(buf, n));
		buf[n - 2] = '"';
		buf[100] = '\x01';
		assert_false(agree(buf, n));
		buf[100] = '\\';
		assert_false(agree(buf, n));
		buf[101] = 't';
		assert_true(agree(buf, n));
	}
}

static void
test_differential(void **state)
{
	static const char alphabet[] = "{}[]\":,\\ \t\n0123456789-+.eEtrufalsn"
				       "u\x01\x7f\x80\xc3\xa9\xed\xa0\xf4";
	static const char *const seeds[] = {
	    "{\"timestamp\":\"2019-06-15T11:00:03.069Z\",\"vin\":\"ZJ17Q\","
	    "\"speed\":80.3,\"location\":{\"lat\":38.8,\"lon\":-77.1},"
	    "\"flags\":[true,false,null],\"s\":\"a\\u00e9\\n\"}",
	    "[1,-2.5e3,\"x\",{\"a\":[]},[[]],\"\\ud83d\\ude00\"]",
	    "{\"@metadata\":{\"kafka\":{\"offset\":1}},\"v\":\"\xc3\xa9\"}",
	    "\"just a string\"", "-0.0e+0", NULL};
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	char buf[512];
	size_t n, pos, k, nseeds = 0;
	int i, j, ok = 0;

	(void)state;
	while (seeds[nseeds] != NULL)
		nseeds++;
	for (i = 0; i < 200000; i++) {
		const char *s = seeds[i % nseeds];

		n = strlen(s);
		memcpy(buf, s, n);
		for (j = 0; j < 1 + i % 3; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pos = n > 0 ? (size_t)(x % n) : 0;
			k = (size_t)((x >> 32) % (sizeof(alphabet) - 1));
			switch ((x >> 20) % 3) {
			case 0:
				if (n > 0)
					buf[pos] = alphabet[k];
				break;
			case 1:
				if (n > 0) {
					memmove(buf + pos, buf + pos + 1,
					    n - pos - 1);
					n--;
				}
				break;
			default:
				if (n < sizeof(buf) - 1) {
					memmove(
					    buf + pos + 1, buf + pos, n - pos);
					buf[pos] = alphabet[k];
					n++;
				}
			}
		}
		ok += agree(buf, n);
	}
	/* enough of both kinds to mean something */
	assert_true(ok > 10000 && ok < 190000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_members),
	    cmocka_unit_test(test_quote_map),
	    cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests_name(
	    "jsonx_scan", tests, arena_setup, arena_teardown);
}
