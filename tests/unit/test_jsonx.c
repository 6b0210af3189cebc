/* SPDX-License-Identifier: MIT */
/* Unit tests for common/jsonx: strict parsing, number policy, emitting. */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/jsonx.h"

/* ---- helpers ---- */

struct fx {
	struct arena *a;
	struct buf out;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx->a = arena_new();
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	arena_free(fx->a);
	buf_free(&fx->out);
	free(fx);
	return 0;
}

static enum jsonx_status
parse_n(struct fx *fx, const char *s, size_t n, struct jval **v,
    struct jsonx_error *err)
{
	arena_reset(fx->a);
	return jsonx_parse(fx->a, s, n, v, err);
}

static enum jsonx_status
parse(struct fx *fx, const char *s, struct jval **v)
{
	return parse_n(fx, s, strlen(s), v, NULL);
}

/* Parse s[0..n), which must succeed, and return its compact emission. */
static const char *
emit_of_n(struct fx *fx, const char *s, size_t n)
{
	struct jval *v = NULL;
	struct jsonx_error err;

	if (parse_n(fx, s, n, &v, &err) != JSONX_OK)
		fail_msg("parse of '%.*s' failed: status %d at %zu (%s)",
		    (int)n, s, err.status, err.offset,
		    err.detail ? err.detail : "-");
	assert_non_null(v);
	buf_reset(&fx->out);
	jsonx_emit(&fx->out, v);
	return buf_cstr(&fx->out);
}

static const char *
emit_of(struct fx *fx, const char *s)
{
	return emit_of_n(fx, s, strlen(s));
}

/* The parse of s[0..n) fails with status want. */
static void
expect_status_n(struct fx *fx, const char *s, size_t n, enum jsonx_status want)
{
	struct jval *v = (struct jval *)1;
	struct jsonx_error err;
	enum jsonx_status st = parse_n(fx, s, n, &v, &err);

	if (st != want)
		fail_msg("'%.*s': status %d, want %d (%s)", (int)n, s, st, want,
		    err.detail ? err.detail : "-");
	assert_int_equal(err.status, want);
	if (want != JSONX_OK)
		assert_null(v);
}

static void
expect_status(struct fx *fx, const char *s, enum jsonx_status want)
{
	expect_status_n(fx, s, strlen(s), want);
}

static char *
data_file(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "tests/unit/data/%s", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (run from the top of the tree)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* ---- number policy ---- */

static void
test_number_corpus_round_trips(void **state)
{
	static const char *const nums[] = {
	    "80.3",
	    "0.1",
	    "-0.0",
	    "1e400",
	    "1.184e2",
	    "61234.000000",
	    "123456789012345678901234567890",
	    "9007199254740993",
	    "-0",
	    "0",
	    "1E+2",
	    "1e-2",
	    "-1e400",
	    "4.9e-324",
	    "18446744073709551616",
	};
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	struct jval *v;
	size_t i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		/* alone, in an array and as a member value */
		assert_string_equal(emit_of(fx, nums[i]), nums[i]);
		assert_int_equal(parse(fx, nums[i], &v), JSONX_OK);
		assert_int_equal(v->type, J_NUMBER);
		assert_int_equal(v->len, strlen(nums[i]));
		assert_memory_equal(v->u.s, nums[i], v->len);

		buf_reset(&in);
		buf_printf(&in, "[%s,%s]", nums[i], nums[i]);
		assert_string_equal(emit_of(fx, buf_cstr(&in)), in.data);
		buf_reset(&in);
		buf_printf(&in, "{\"n\":%s}", nums[i]);
		assert_string_equal(emit_of(fx, buf_cstr(&in)), in.data);
	}
	buf_free(&in);
}

/* Every line of data/numbers.ndjson comes back byte for byte. */
static void
test_number_corpus_file(void **state)
{
	struct fx *fx = *state;
	size_t len, lines = 0;
	char *data = data_file("numbers.ndjson", &len);
	char *p = data, *nl;

	while ((nl = memchr(p, '\n', len - (size_t)(p - data))) != NULL) {
		size_t n = (size_t)(nl - p);

		*nl = '\0';
		assert_string_equal(emit_of_n(fx, p, n), p);
		lines++;
		p = nl + 1;
	}
	assert_true(lines >= 20);
	free(data);
}

static void
test_number_grammar(void **state)
{
	static const char *const bad[] = {
	    "01",
	    "-01",
	    "00",
	    "1.",
	    "-1.",
	    ".5",
	    "-.5",
	    "+1",
	    "1e",
	    "1e+",
	    "1E-",
	    "-",
	    "1.e5",
	    "0x1A",
	    "1_000",
	    "--1",
	    "1.5.5",
	    "1e5.3",
	    "1e5e5",
	    "0.",
	    "-a",
	    "1.5e+-3",
	    "[01]",
	    "{\"a\":1.}",
	    "[.5]",
	    "[+1]",
	    "[1.e2]",
	    "- 1",
	};
	static const char *const good[] = {
	    "0",
	    "-0",
	    "0.0",
	    "0e0",
	    "0E+0",
	    "-0.5e-7",
	    "10",
	    "1.25",
	    "1e10",
	    "123456789012345678901234567890.123456789e-123",
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_status(fx, bad[i], JSONX_ESYNTAX);
		if (bad[i][0] != '[' && bad[i][0] != '{')
			assert_false(
			    jsonx_number_valid(bad[i], strlen(bad[i])));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(jsonx_number_valid(good[i], strlen(good[i])));
		assert_string_equal(emit_of(fx, good[i]), good[i]);
	}
	assert_false(jsonx_number_valid("", 0));
	assert_false(jsonx_number_valid(" 1", 2));
	assert_false(jsonx_number_valid("1 ", 2));
	/* only n bytes count */
	assert_true(jsonx_number_valid("12x", 2));
	assert_false(jsonx_number_valid("1.5", 2));
}

/* RFC 8259's number, as a state machine: an oracle apart from the parser. */
static bool
ref_number(const char *p, size_t n)
{
	enum {
		START,
		MINUS,
		ZERO,
		INT,
		DOT,
		FRAC,
		E,
		ESIGN,
		EXP,
		BAD
	} st = START;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];
		bool d = c >= '0' && c <= '9';

		switch (st) {
		case START:
			st = c == '-' ? MINUS : c == '0' ? ZERO : d ? INT : BAD;
			break;
		case MINUS:
			st = c == '0' ? ZERO : d ? INT : BAD;
			break;
		case ZERO:
		case INT:
			if (d && st == INT)
				break;
			st = c == '.' ? DOT : c == 'e' || c == 'E' ? E : BAD;
			break;
		case DOT:
		case FRAC:
			if (d) {
				st = FRAC;
				break;
			}
			st = st == FRAC && (c == 'e' || c == 'E') ? E : BAD;
			break;
		case E:
			st = c == '+' || c == '-' ? ESIGN : d ? EXP : BAD;
			break;
		case ESIGN:
		case EXP:
			st = d ? EXP : BAD;
			break;
		default:
			return false;
		}
		if (st == BAD)
			return false;
	}
	return st == ZERO || st == INT || st == FRAC || st == EXP;
}

/*
 * Every string of up to 6 bytes over the bytes that matter to a number,
 * and runs of digits of every length up to 40 ended by every kind of byte
 * (the digits are counted eight bytes at a time).
 */
static void
test_number_exhaustive(void **state)
{
	static const char alphabet[] = "0159-+.eEx/:";
	const size_t na = sizeof(alphabet) - 1;
	char buf[64];
	size_t len, k, i, code, total;

	(void)state;
	for (len = 1; len <= 6; len++) {
		for (total = 1, i = 0; i < len; i++)
			total *= na;
		for (code = 0; code < total; code++) {
			for (k = code, i = 0; i < len; i++, k /= na)
				buf[i] = alphabet[k % na];
			if (jsonx_number_valid(buf, len) !=
			    ref_number(buf, len))
				fail_msg("'%.*s': %d", (int)len, buf,
				    ref_number(buf, len));
		}
	}
	for (len = 0; len <= 40; len++)
		for (i = 0; i < na; i++) {
			const char *const heads[] = {"1", "-9", "0.", "1e+"};

			for (k = 0; k < 4; k++) {
				size_t h = strlen(heads[k]), n;

				memcpy(buf, heads[k], h);
				memset(buf + h, '7', len);
				buf[h + len] = alphabet[i];
				for (n = h + len; n <= h + len + 1; n++)
					if (jsonx_number_valid(buf, n) !=
					    ref_number(buf, n))
						fail_msg("'%.*s'", (int)n, buf);
			}
		}
}

/* ---- strings ---- */

static void
test_string_escapes(void **state)
{
	struct fx *fx = *state;
	struct jval *v;

	assert_int_equal(
	    parse(fx, "\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"", &v), JSONX_OK);
	assert_int_equal(v->type, J_STRING);
	assert_int_equal(v->len, 14);
	assert_memory_equal(v->u.s, "q\" b\\ s/ \b\f\n\r\t", 14);
	/* "\/" is emitted as "/", the others in their short form */
	assert_string_equal(emit_of(fx, "\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\""),
	    "\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t\"");
	/* \u escapes: ASCII, 2-byte, 3-byte, upper and lower hex */
	assert_string_equal(emit_of(fx, "\"\\u0041\\u00e9\\u00E9\\u20AC\""),
	    "\"A\xC3\xA9\xC3\xA9\xE2\x82\xAC\"");
	/* other control characters as \u00XX */
	assert_string_equal(
	    emit_of(fx, "\"\\u0001\\u001F\\u007f\""), "\"\\u0001\\u001f\x7f\"");
	/* DEL and '<' are not escaped; the fast path copies them */
	assert_string_equal(emit_of(fx, "\"a<b>&\x7f\""), "\"a<b>&\x7f\"");
	/* escapes in keys too */
	assert_string_equal(
	    emit_of(fx, "{\"k\\n\\u0041\":1}"), "{\"k\\nA\":1}");
	/* a long string around an escape (fast path then slow path) */
	assert_string_equal(emit_of(fx, "\"0123456789abcdef\\u0020tail\""),
	    "\"0123456789abcdef tail\"");
}

static void
test_string_bad_escapes(void **state)
{
	static const char *const bad[] = {
	    "\"\\x41\"",
	    "\"\\u12\"",
	    "\"\\u12G4\"",
	    "\"\\'\"",
	    "\"\\U0041\"",
	    "\"\\",
	    "\"abc",
	    "\"abc\\\"",
	    "\"\\u004",
	    "\"\\0\"",
	    "{\"a\\q\":1}",
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_status(fx, bad[i], JSONX_ESYNTAX);
}

static void
test_string_nul(void **state)
{
	struct fx *fx = *state;
	const char *in = "{\"a\\u0000b\":\"x\\u0000y\",\"\\u0000\":0}";
	struct jval *v, *x;

	assert_int_equal(parse(fx, in, &v), JSONX_OK);
	assert_int_equal(v->len, 2);
	assert_int_equal(v->u.members[0].klen, 3);
	assert_memory_equal(v->u.members[0].key, "a\0b", 4);
	x = jsonx_getn(v, "a\0b", 3);
	assert_non_null(x);
	assert_int_equal(x->len, 3);
	assert_memory_equal(x->u.s, "x\0y", 3);
	/* NUL-terminated copies, the prefix key does not match */
	assert_null(jsonx_get(v, "a"));
	assert_non_null(jsonx_getn(v, "\0", 1));
	/* re-escaped as \u0000 */
	assert_string_equal(emit_of(fx, in), in);
}

static void
test_string_surrogates(void **state)
{
	static const char *const lone[] = {
	    "\"\\ud83d\"", "\"\\uD83D\"", "\"\\uD83Dx\"", "\"\\uD83D\\n\"",
	    "\"\\uD83D\\uD83D\"", "\"\\uD83D\\u0041\"", "\"\\uDE00\"",
	    "\"\\uDFFF\"", "\"\\uDC00\\uD800\"", "\"\\uD800\\uE000\"",
	    "{\"\\uDBFF\":1}", "[\"ok\",\"\\uD800\"]",
	    "\"\\uD83D\\uDE0", /* a truncated pair */
	};
	struct fx *fx = *state;
	struct jsonx_error err;
	struct jval *v;
	struct buf t = BUF_INIT;
	size_t i;

	/* pairs become 4-byte UTF-8: U+1F600, U+10000, U+10FFFF */
	assert_string_equal(
	    emit_of(fx, "\"\\uD83D\\uDE00\""), "\"\xF0\x9F\x98\x80\"");
	assert_string_equal(
	    emit_of(fx, "\"\\ud83d\\ude00\""), "\"\xF0\x9F\x98\x80\"");
	assert_string_equal(
	    emit_of(fx, "\"\\uD800\\uDC00\""), "\"\xF0\x90\x80\x80\"");
	assert_string_equal(
	    emit_of(fx, "\"\\uDBFF\\uDFFF\""), "\"\xF4\x8F\xBF\xBF\"");
	assert_string_equal(
	    emit_of(fx, "{\"\\uD83D\\uDE00k\":\"a\\uD83D\\uDE00\"}"),
	    "{\"\xF0\x9F\x98\x80k\":\"a\xF0\x9F\x98\x80\"}");
	/* neighbours of the surrogate range are ordinary */
	assert_string_equal(
	    emit_of(fx, "\"\\uD7FF\\uE000\""), "\"\xED\x9F\xBF\xEE\x80\x80\"");

	for (i = 0; i < sizeof(lone) / sizeof(lone[0]); i++)
		expect_status(fx, lone[i], JSONX_ESURROGATE);
	assert_int_equal(
	    parse_n(fx, "\"\\uDE00\"", 8, &v, &err), JSONX_ESURROGATE);
	assert_int_equal(err.offset, 1);
	jsonx_error_text(&err, &t);
	assert_string_equal(buf_cstr(&t), "invalid JSON: lone surrogate");
	buf_free(&t);
}

static void
test_string_control_chars(void **state)
{
	struct fx *fx = *state;
	struct jsonx_error err;
	struct jval *v;
	char s[8];
	int c;

	for (c = 0; c < 0x20; c++) {
		s[0] = '"';
		s[1] = 'a';
		s[2] = (char)c;
		s[3] = 'b';
		s[4] = '"';
		assert_int_equal(parse_n(fx, s, 5, &v, &err), JSONX_ESYNTAX);
		assert_int_equal(err.offset, 2);
	}
	/* in keys and after an escape (the slow path) */
	expect_status(fx, "{\"a\tb\":1}", JSONX_ESYNTAX);
	expect_status(fx, "\"\\n\x01\"", JSONX_ESYNTAX);
	expect_status(fx, "\"\\n \x1f\"", JSONX_ESYNTAX);
	/* DEL is allowed raw */
	expect_status(fx, "\"\x7f\"", JSONX_OK);
}

static void
test_invalid_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
#define B(x) {x, sizeof(x) - 1}
	    B("\xC0\x80"), /* overlong NUL */
	    B("\xC1\xBF"), /* overlong */
	    B("\xE0\x80\x80"), /* overlong 3-byte */
	    B("\xE0\x9F\xBF"), /* overlong 3-byte, top */
	    B("\xED\xA0\x80"), /* encoded surrogate D800 */
	    B("\xED\xBF\xBF"), /* encoded surrogate DFFF */
	    B("\xF0\x80\x80\x80"), /* overlong 4-byte */
	    B("\xF0\x8F\xBF\xBF"), /* overlong 4-byte, top */
	    B("\xF4\x90\x80\x80"), /* above U+10FFFF */
	    B("\xF5\x80\x80\x80"), /* F5 lead */
	    B("\xF8\x88\x80\x80\x80"),
	    B("\xFC\x84\x80\x80\x80\x80"),
	    B("\xFE"),
	    B("\xFF"),
	    B("\x80"), /* lone continuation */
	    B("\xBF"),
	    B("\xC3"), /* truncated 2-byte */
	    B("\xC3"
	      "A"),
	    B("\xE2\x82"), /* truncated 3-byte */
	    B("\xE2\x82"
	      "A"),
	    B("\xE2"
	      "A"
	      "\x82"),
	    B("\xF0\x9F\x98"), /* truncated 4-byte */
	    B("\xF0\x9F\x98"
	      "A"),
	    B("\xF0\x9F"
	      "A"
	      "\x80"),
#undef B
	};
	static const char *const good[] = {
	    "\xC2\x80",
	    "\xDF\xBF",
	    "\xE0\xA0\x80",
	    "\xED\x9F\xBF",
	    "\xEE\x80\x80",
	    "\xEF\xBF\xBF",
	    "\xF0\x90\x80\x80",
	    "\xF4\x8F\xBF\xBF",
	    "\xF0\x9F\x98\x80",
	};
	struct fx *fx = *state;
	struct jsonx_error err;
	struct jval *v;
	struct buf in = BUF_INIT, t = BUF_INIT;
	size_t i, pad;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(utf8_valid(bad[i].s, bad[i].n));
		/* inside a string, after ASCII runs of every length (the
		 * 8-byte fast path), and outside a string */
		for (pad = 0; pad < 20; pad++) {
			buf_reset(&in);
			buf_add(&in, "{\"k\":\"", 6);
			buf_add(&in, "abcdefghijklmnopqrst", pad);
			buf_add(&in, bad[i].s, bad[i].n);
			buf_add(&in, "\"}", 2);
			assert_int_equal(parse_n(fx, in.data, in.len, &v, &err),
			    JSONX_EUTF8);
			assert_null(v);
			assert_true(err.offset >= 6 + pad);
			assert_true(err.offset < 6 + pad + bad[i].n);
		}
		buf_reset(&in);
		buf_add(&in, "[1,", 3);
		buf_add(&in, bad[i].s, bad[i].n);
		buf_addc(&in, ']');
		expect_status_n(fx, in.data, in.len, JSONX_EUTF8);
		/* as a key */
		buf_reset(&in);
		buf_add(&in, "{\"", 2);
		buf_add(&in, bad[i].s, bad[i].n);
		buf_add(&in, "\":1}", 4);
		expect_status_n(fx, in.data, in.len, JSONX_EUTF8);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(utf8_valid(good[i], strlen(good[i])));
		buf_reset(&in);
		buf_printf(&in, "\"%s\"", good[i]);
		assert_string_equal(emit_of(fx, buf_cstr(&in)), in.data);
	}
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("plain ascii longer than eight", 29));
	/* the offset of the first bad byte, and the text */
	assert_int_equal(
	    parse_n(fx, "\"0123456789\xC0\x80\"", 14, &v, &err), JSONX_EUTF8);
	assert_int_equal(err.offset, 11);
	jsonx_error_text(&err, &t);
	assert_string_equal(buf_cstr(&t), "invalid UTF-8");
	buf_free(&t);
	buf_free(&in);
}

static void
test_non_json_tokens(void **state)
{
	static const char *const bad[] = {
	    "NaN",
	    "-NaN",
	    "nan",
	    "Infinity",
	    "-Infinity",
	    "+Infinity",
	    "inf",
	    "-inf",
	    "{\"v\":NaN}",
	    "{\"v\":Infinity}",
	    "{\"v\":-Infinity}",
	    "[NaN]",
	    "[1,Infinity]",
	    "undefined",
	    "None",
	    "True",
	    "FALSE",
	    "Null",
	    "nul",
	    "tru",
	    "fals",
	    "nulls",
	    "truex",
	    "[truex]",
	    "{\"a\":nul}",
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_status(fx, bad[i], JSONX_ESYNTAX);
	assert_string_equal(
	    emit_of(fx, "[true,false,null]"), "[true,false,null]");
}

static void
test_syntax_errors(void **state)
{
	static const char *const bad[] = {
	    "[1,]",
	    "[1,,2]",
	    "[,1]",
	    "[,]",
	    "{\"a\":1,}",
	    "{,}",
	    "{,\"a\":1}",
	    "/* c */ {}",
	    "{} /* c */",
	    "// c\n{}",
	    "{} // c",
	    "#{}",
	    "{'a':1}",
	    "'x'",
	    "{\"a\":'x'}",
	    "{a:1}",
	    "{\"a\" 1}",
	    "{\"a\":}",
	    "{\"a\"}",
	    "{\"a\":1 \"b\":2}",
	    "[1 2]",
	    "[1:2]",
	    "{\"a\":1} {\"b\":2}",
	    "{\"a\":1}{\"b\":2}",
	    "1 2",
	    "[] []",
	    "[]x",
	    "{}}",
	    "[]]",
	    "]",
	    "}",
	    "[",
	    "{",
	    "{\"a\":1",
	    "[1",
	    "[1,",
	    "\"abc",
	    ":",
	    ",",
	    "{\"a\":1,",
	    "\xEF\xBB\xBF{}",
	    "{1:2}",
	    "{null:1}",
	    "[-]",
	    "{\"a\"::1}",
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_status(fx, bad[i], JSONX_ESYNTAX);
}

static void
test_error_text_and_offset(void **state)
{
	struct fx *fx = *state;
	struct jsonx_error err;
	struct jval *v;
	struct buf t = BUF_INIT;

	assert_int_equal(
	    parse_n(fx, "{\"a\":tru}", 9, &v, &err), JSONX_ESYNTAX);
	assert_int_equal(err.offset, 5);
	assert_non_null(err.detail);
	jsonx_error_text(&err, &t);
	assert_non_null(strstr(buf_cstr(&t), "invalid JSON: "));
	assert_non_null(strstr(t.data, "at byte 6"));
	/* trailing data is reported where it starts */
	assert_int_equal(parse_n(fx, "{} x", 4, &v, &err), JSONX_ESYNTAX);
	assert_int_equal(err.offset, 3);
	/* NULL err is allowed */
	arena_reset(fx->a);
	assert_int_equal(jsonx_parse(fx->a, "[", 1, &v, NULL), JSONX_ESYNTAX);
	assert_null(v);
	buf_reset(&t);
	err.status = JSONX_EDEPTH;
	jsonx_error_text(&err, &t);
	assert_string_equal(buf_cstr(&t), "nesting too deep");
	buf_free(&t);
}

/* ---- nesting ---- */

static void
nest(struct buf *b, int depth, int objects)
{
	int i;

	buf_reset(b);
	for (i = 0; i < depth; i++)
		buf_adds(b, objects && i % 2 ? "{\"k\":" : "[");
	buf_addc(b, '1');
	for (i = depth; i-- > 0;)
		buf_addc(b, objects && i % 2 ? '}' : ']');
}

static void
test_depth_limit(void **state)
{
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	struct jsonx_error err;
	struct jval *v;
	int objects;

	for (objects = 0; objects < 2; objects++) {
		nest(&in, JSONX_MAX_DEPTH, objects);
		assert_string_equal(
		    emit_of_n(fx, in.data, in.len), buf_cstr(&in));
		nest(&in, JSONX_MAX_DEPTH + 1, objects);
		assert_int_equal(
		    parse_n(fx, in.data, in.len, &v, &err), JSONX_EDEPTH);
		assert_null(v);
	}
	/* depth counts containers only: 64 containers plus scalars */
	nest(&in, 63, 0);
	buf_reset(&in);
	buf_adds(&in, "{\"a\":");
	{
		int i;

		for (i = 0; i < 63; i++)
			buf_addc(&in, '[');
		buf_adds(&in, "\"s\",1,null");
		for (i = 0; i < 63; i++)
			buf_addc(&in, ']');
	}
	buf_addc(&in, '}');
	expect_status_n(fx, in.data, in.len, JSONX_OK);
	/* a deep value after a shallow one: the depth is restored */
	buf_reset(&in);
	buf_adds(&in, "[[[[1]]],");
	{
		int i;

		for (i = 0; i < 63; i++)
			buf_addc(&in, '[');
		for (i = 0; i < 63; i++)
			buf_addc(&in, ']');
	}
	buf_addc(&in, ']');
	expect_status_n(fx, in.data, in.len, JSONX_OK);
	buf_free(&in);
}

static void
test_deep_nesting_no_crash(void **state)
{
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	int i;

	nest(&in, 10000, 0);
	expect_status_n(fx, in.data, in.len, JSONX_EDEPTH);
	nest(&in, 10000, 1);
	expect_status_n(fx, in.data, in.len, JSONX_EDEPTH);
	/* unterminated */
	buf_reset(&in);
	for (i = 0; i < 100000; i++)
		buf_addc(&in, '[');
	expect_status_n(fx, in.data, in.len, JSONX_EDEPTH);
	buf_reset(&in);
	for (i = 0; i < 20000; i++)
		buf_adds(&in, "{\"a\":");
	expect_status_n(fx, in.data, in.len, JSONX_EDEPTH);
	/* the parser is fine afterwards */
	assert_string_equal(emit_of(fx, "[[1]]"), "[[1]]");
	buf_free(&in);
}

/* ---- white space, empty input ---- */

static void
test_whitespace(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
#define W(x) {x, sizeof(x) - 1}
	    W(""),
	    W(" "),
	    W("\t\r\n "),
	    W("\f{}"),
	    W("{}\v"),
	    W("\xC2\xA0{}"),
	    W("{}\xC2\xA0"),
	    W("{\"a\":\f1}"),
	    W("\0"),
	    W("{}\0"),
	    W("{\"a\":1}\0"),
#undef W
	};
	struct fx *fx = *state;
	size_t i;

	assert_string_equal(
	    emit_of(fx, " \t\r\n{ \"a\" :\t[ 1 ,\r\n2 ] ,\"b\" : { } } \n\t"),
	    "{\"a\":[1,2],\"b\":{}}");
	assert_string_equal(emit_of(fx, "  7  "), "7");
	assert_string_equal(emit_of(fx, "\"  s  \""), "\"  s  \"");
	assert_string_equal(emit_of(fx, "[ ]"), "[]");
	assert_string_equal(emit_of(fx, "{\n}"), "{}");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_status_n(fx, bad[i].s, bad[i].n, JSONX_ESYNTAX);
	/* scalars at the top level are values too */
	assert_string_equal(emit_of(fx, "null"), "null");
	assert_string_equal(emit_of(fx, "\"x\""), "\"x\"");
}

/* ---- objects: duplicates, access, metadata ---- */

static void
test_duplicate_keys(void **state)
{
	struct fx *fx = *state;
	const char *in = "{\"a\":1,\"b\":2,\"a\":3,\"c\":{\"d\":1,\"d\":2}}";
	struct jval *v, *a;

	assert_int_equal(parse(fx, in, &v), JSONX_OK);
	assert_int_equal(v->type, J_OBJECT);
	assert_int_equal(v->len, 4);
	assert_string_equal(v->u.members[0].key, "a");
	assert_string_equal(v->u.members[1].key, "b");
	assert_string_equal(v->u.members[2].key, "a");
	a = jsonx_get(v, "a");
	assert_non_null(a);
	assert_int_equal(a->type, J_NUMBER);
	assert_memory_equal(a->u.s, "3", 1);
	assert_memory_equal(jsonx_path(v, "c.d")->u.s, "2", 1);
	assert_null(jsonx_get(v, "z"));
	/* both kept, in order */
	assert_string_equal(emit_of(fx, in), in);
}

static void
test_path_and_get(void **state)
{
	struct fx *fx = *state;
	struct jval *v, *t;

	assert_int_equal(parse(fx,
			     "{\"@metadata\":{\"mqtt\":{\"topic\":\"a/b/VIN\","
			     "\"qos\":1}},\"x\":[1],\"y\":{\"\":{\"z\":2}}}",
			     &v),
	    JSONX_OK);
	t = jsonx_path(v, "@metadata.mqtt.topic");
	assert_non_null(t);
	assert_int_equal(t->type, J_STRING);
	assert_memory_equal(t->u.s, "a/b/VIN", 7);
	assert_non_null(jsonx_path(v, "@metadata.mqtt"));
	assert_non_null(jsonx_path(v, "x"));
	assert_null(jsonx_path(v, "x.0"));
	assert_null(jsonx_path(v, "@metadata.mqtt.topic.more"));
	assert_null(jsonx_path(v, "@metadata.kafka.topic"));
	assert_null(jsonx_path(v, "nope"));
	assert_null(jsonx_path(v, ""));
	assert_memory_equal(jsonx_path(v, "y..z")->u.s, "2", 1);
	assert_null(jsonx_get(NULL, "a"));
	assert_null(jsonx_path(NULL, "a.b"));
	assert_null(jsonx_getn(jsonx_get(v, "x"), "a", 1));

	assert_int_equal(parse(fx, "[1]", &v), JSONX_OK);
	assert_null(jsonx_path(v, "a"));
	assert_null(jsonx_meta(v));
}

static void
test_meta(void **state)
{
	struct fx *fx = *state;
	struct jval *v, *m;
	struct buf b = BUF_INIT;

	assert_int_equal(parse(fx,
			     "{\"a\":1,\"@metadata\":{\"k\":[1,2]},\"b\":"
			     "{\"@metadata\":3}}",
			     &v),
	    JSONX_OK);
	m = jsonx_meta(v);
	assert_non_null(m);
	assert_int_equal(m->type, J_OBJECT);
	jsonx_emit(&b, m);
	assert_string_equal(buf_cstr(&b), "{\"k\":[1,2]}");
	buf_reset(&b);
	/* only the top-level member goes */
	jsonx_emit_without_meta(&b, v);
	assert_string_equal(buf_cstr(&b), "{\"a\":1,\"b\":{\"@metadata\":3}}");

	assert_int_equal(parse(fx, "{\"@metadata\":5}", &v), JSONX_OK);
	assert_int_equal(jsonx_meta(v)->type, J_NUMBER);
	buf_reset(&b);
	jsonx_emit_without_meta(&b, v);
	assert_string_equal(buf_cstr(&b), "{}");

	assert_int_equal(parse(fx, "{\"@metadata\":{},\"x\":1}", &v), JSONX_OK);
	buf_reset(&b);
	jsonx_emit_without_meta(&b, v);
	assert_string_equal(buf_cstr(&b), "{\"x\":1}");

	/* duplicates: every top-level copy is left out */
	assert_int_equal(parse(fx,
			     "{\"@metadata\":1,\"x\":1,\"@metadata\":2,"
			     "\"@metadatax\":3}",
			     &v),
	    JSONX_OK);
	assert_memory_equal(jsonx_meta(v)->u.s, "2", 1);
	buf_reset(&b);
	jsonx_emit_without_meta(&b, v);
	assert_string_equal(buf_cstr(&b), "{\"x\":1,\"@metadatax\":3}");

	assert_int_equal(parse(fx, "{\"x\":1}", &v), JSONX_OK);
	assert_null(jsonx_meta(v));
	buf_reset(&b);
	jsonx_emit_without_meta(&b, v);
	assert_string_equal(buf_cstr(&b), "{\"x\":1}");
	/* a non-object is emitted whole */
	assert_int_equal(parse(fx, "[{\"@metadata\":1}]", &v), JSONX_OK);
	buf_reset(&b);
	jsonx_emit_without_meta(&b, v);
	assert_string_equal(buf_cstr(&b), "[{\"@metadata\":1}]");
	buf_free(&b);
}

static void
test_build_objects(void **state)
{
	struct fx *fx = *state;
	struct jval *o, *inner, *v;
	struct buf b = BUF_INIT;
	int i;

	arena_reset(fx->a);
	o = jsonx_new_object(fx->a);
	jsonx_emit(&b, o);
	assert_string_equal(buf_cstr(&b), "{}");
	jsonx_obj_append(fx->a, o, "a", 1, jsonx_new_number(fx->a, "80.3", 4));
	jsonx_obj_set(fx->a, o, "b", jsonx_new_string(fx->a, "x\0y", 3));
	jsonx_obj_set(fx->a, o, "a", jsonx_new_number(fx->a, "1e400", 5));
	jsonx_obj_append(fx->a, o, "q\"\n", 3, jsonx_new_object(fx->a));
	inner = jsonx_new_object(fx->a);
	jsonx_obj_set(fx->a, inner, "es", jsonx_new_string(fx->a, "id", 2));
	jsonx_obj_set(fx->a, o, "@metadata", inner);
	buf_reset(&b);
	jsonx_emit(&b, o);
	assert_string_equal(buf_cstr(&b),
	    "{\"a\":1e400,\"b\":\"x\\u0000y\",\"q\\\"\\n\":{},"
	    "\"@metadata\":{\"es\":\"id\"}}");
	/* the emitted text parses back to the same bytes */
	assert_string_equal(emit_of(fx, b.data), b.data);

	/* append does not replace; get finds the last */
	arena_reset(fx->a);
	o = jsonx_new_object(fx->a);
	for (i = 0; i < 200; i++) {
		char k[16];
		int n = snprintf(k, sizeof(k), "k%d", i % 100);

		jsonx_obj_append(fx->a, o, k, (size_t)n,
		    jsonx_new_number(fx->a, k + 1, (size_t)n - 1));
	}
	assert_int_equal(o->len, 200);
	v = jsonx_get(o, "k7");
	assert_non_null(v);
	assert_ptr_equal(v, o->u.members[107].val);
	/* set replaces the last of the duplicates, in place */
	jsonx_obj_set(fx->a, o, "k7", jsonx_new_number(fx->a, "-1", 2));
	assert_int_equal(o->len, 200);
	assert_memory_equal(o->u.members[107].val->u.s, "-1", 2);
	assert_memory_equal(o->u.members[7].val->u.s, "7", 1);
	buf_free(&b);
}

/* ---- emitting strings ---- */

static void
test_emit_string_all_controls(void **state)
{
	struct fx *fx = *state;
	struct buf b = BUF_INIT;
	char raw[128];
	struct jval *v;
	int c;

	for (c = 0; c < 128; c++)
		raw[c] = (char)c;
	jsonx_emit_string(&b, raw, sizeof(raw));
	/* no raw control character in the output */
	for (c = 0; c < (int)b.len; c++)
		assert_true((unsigned char)b.data[c] >= 0x20);
	assert_int_equal(parse_n(fx, b.data, b.len, &v, NULL), JSONX_OK);
	assert_int_equal(v->type, J_STRING);
	assert_int_equal(v->len, sizeof(raw));
	assert_memory_equal(v->u.s, raw, sizeof(raw));
	buf_reset(&b);
	jsonx_emit_string(&b, "", 0);
	assert_string_equal(buf_cstr(&b), "\"\"");
	buf_free(&b);
}

static void
test_emit_string_lossy(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
#define L(x, w) {x, sizeof(x) - 1, w}
	    L("plain \xC3\xA9 \xF0\x9F\x98\x80",
		"\"plain \xC3\xA9 \xF0\x9F\x98\x80\""),
	    L("a\xFF"
	      "b",
		"\"a\xEF\xBF\xBD"
		"b\""),
	    L("\xC0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""),
	    L("x\xE2\x82", "\"x\xEF\xBF\xBD\xEF\xBF\xBD\""),
	    L("\xE2\x82"
	      "A",
		"\"\xEF\xBF\xBD\xEF\xBF\xBD"
		"A\""),
	    L("\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""),
	    L("\xF5\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""),
	    L("\x80\xC3\xA9", "\"\xEF\xBF\xBD\xC3\xA9\""),
	    L("q\"\\\n\x01\0z", "\"q\\\"\\\\\\n\\u0001\\u0000z\""),
	    L("", "\"\""),
#undef L
	};
	struct fx *fx = *state;
	struct buf b = BUF_INIT, b2 = BUF_INIT;
	size_t i;
	unsigned c;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		jsonx_emit_string_lossy(&b, cases[i].in, cases[i].n);
		assert_string_equal(buf_cstr(&b), cases[i].want);
		/* always valid UTF-8 and valid JSON */
		assert_true(utf8_valid(b.data, b.len));
		expect_status_n(fx, b.data, b.len, JSONX_OK);
		/* valid input: same as the strict emitter */
		if (utf8_valid(cases[i].in, cases[i].n)) {
			buf_reset(&b2);
			jsonx_emit_string(&b2, cases[i].in, cases[i].n);
			assert_int_equal(b.len, b2.len);
			assert_memory_equal(b.data, b2.data, b.len);
		}
	}
	/* every single byte */
	for (c = 0; c < 256; c++) {
		char ch = (char)c;

		buf_reset(&b);
		jsonx_emit_string_lossy(&b, &ch, 1);
		assert_true(utf8_valid(b.data, b.len));
		expect_status_n(fx, b.data, b.len, JSONX_OK);
	}
	buf_free(&b);
	buf_free(&b2);
}

/* ---- larger documents, scratch reuse ---- */

static void
test_large_documents(void **state)
{
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	struct jval *v;
	int i, round;

	/* many members and items: the scratch stacks grow */
	buf_addc(&in, '{');
	for (i = 0; i < 5000; i++)
		buf_printf(&in, "%s\"k%d\":[%d,{\"n\":[%d.5,\"s\"]},[]]",
		    i ? "," : "", i, i, i);
	buf_addc(&in, '}');
	assert_string_equal(emit_of_n(fx, in.data, in.len), buf_cstr(&in));
	assert_int_equal(parse_n(fx, in.data, in.len, &v, NULL), JSONX_OK);
	assert_int_equal(v->len, 5000);
	assert_memory_equal(
	    jsonx_path(jsonx_get(v, "k4999")->u.items[1], "n")->u.items[0]->u.s,
	    "4999.5", 6);

	/* a string above the parser's 1 MiB scratch, with escapes; twice,
	 * the scratch buffer is dropped and made again */
	for (round = 0; round < 2; round++) {
		buf_reset(&in);
		buf_addc(&in, '"');
		for (i = 0; i < 300000; i++)
			buf_adds(&in, "ab\\n");
		buf_addc(&in, '"');
		assert_int_equal(
		    parse_n(fx, in.data, in.len, &v, NULL), JSONX_OK);
		assert_int_equal(v->len, 900000);
		assert_memory_equal(v->u.s + 899998, "b\n", 2);
		assert_string_equal(
		    emit_of_n(fx, in.data, in.len), buf_cstr(&in));
	}
	buf_free(&in);
}

/* A failed parse deep inside leaves nothing behind for the next one. */
static void
test_reuse_after_failure(void **state)
{
	struct fx *fx = *state;

	expect_status(fx, "{\"a\":[1,2,{\"b\":[3,{\"c\":tru", JSONX_ESYNTAX);
	assert_string_equal(emit_of(fx, "{\"x\":[9]}"), "{\"x\":[9]}");
	expect_status(fx, "[{\"a\":1},{\"b\":2},{\"c\":\xFF}]", JSONX_EUTF8);
	assert_string_equal(
	    emit_of(fx, "[{\"a\":1},{\"b\":2}]"), "[{\"a\":1},{\"b\":2}]");
	expect_status(fx, "[[[[[[[[[1]]]]]]]]", JSONX_ESYNTAX);
	assert_string_equal(emit_of(fx, "[[1],[2]]"), "[[1],[2]]");
}

/* Every parsable line of the hostile fixture: emit(parse(x)) is a fixed
 * point, and failing lines fail the same way twice. */
static void
test_hostile_fixture(void **state)
{
	struct fx *fx = *state;
	size_t len, lines = 0, ok = 0;
	char *data = data_file("hostile.ndjson", &len);
	char *p = data, *nl;
	struct buf first = BUF_INIT;

	while ((nl = memchr(p, '\n', len - (size_t)(p - data))) != NULL) {
		size_t n = (size_t)(nl - p);
		struct jval *v;
		enum jsonx_status st = parse_n(fx, p, n, &v, NULL);

		lines++;
		if (st == JSONX_OK) {
			ok++;
			buf_reset(&first);
			jsonx_emit(&first, v);
			assert_string_equal(
			    emit_of_n(fx, first.data, first.len),
			    buf_cstr(&first));
		} else {
			assert_int_equal(parse_n(fx, p, n, &v, NULL), st);
		}
		p = nl + 1;
	}
	assert_true(lines > 40);
	assert_true(ok > 10);
	buf_free(&first);
	free(data);
}

static void
test_arena_large(void **state)
{
	struct arena *a = arena_new();
	size_t sizes[] = {16 * 1024 + 1, 64 * 1024, 64 * 1024 + 1, 1024 * 1024,
	    10 * 1024 * 1024 + 3};
	char *p[5], *small;
	size_t i;
	int round;

	(void)state;
	for (round = 0; round < 3; round++) {
		small = arena_alloc(a, 100);
		memset(small, 1, 100);
		for (i = 0; i < 5; i++) {
			p[i] = arena_alloc(a, sizes[i]);
			assert_int_equal((uintptr_t)p[i] % 8, 0);
			memset(p[i], (int)i, sizes[i]);
		}
		/* nothing overlaps */
		for (i = 0; i < 5; i++) {
			assert_int_equal(p[i][0], (char)i);
			assert_int_equal(p[i][sizes[i] - 1], (char)i);
		}
		assert_int_equal(small[99], 1);
		arena_reset(a);
	}
	arena_free(a);
}

/* An allocation whose rounded size overflows must die, not hand back a
 * few bytes. */
static void
test_arena_overflow_dies(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct arena *a = arena_new();
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 2);
		(void)arena_alloc(a, SIZE_MAX - 3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_number_corpus_round_trips),
	    cmocka_unit_test(test_number_corpus_file),
	    cmocka_unit_test(test_number_grammar),
	    cmocka_unit_test(test_number_exhaustive),
	    cmocka_unit_test(test_string_escapes),
	    cmocka_unit_test(test_string_bad_escapes),
	    cmocka_unit_test(test_string_nul),
	    cmocka_unit_test(test_string_surrogates),
	    cmocka_unit_test(test_string_control_chars),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_non_json_tokens),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_error_text_and_offset),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_deep_nesting_no_crash),
	    cmocka_unit_test(test_whitespace),
	    cmocka_unit_test(test_duplicate_keys),
	    cmocka_unit_test(test_path_and_get),
	    cmocka_unit_test(test_meta),
	    cmocka_unit_test(test_build_objects),
	    cmocka_unit_test(test_emit_string_all_controls),
	    cmocka_unit_test(test_emit_string_lossy),
	    cmocka_unit_test(test_large_documents),
	    cmocka_unit_test(test_reuse_after_failure),
	    cmocka_unit_test(test_hostile_fixture),
	    cmocka_unit_test(test_arena_large),
	    cmocka_unit_test(test_arena_overflow_dies),
	};

	return cmocka_run_group_tests_name("jsonx", tests, setup, teardown);
}
