/* SPDX-License-Identifier: MIT */
/* Unit tests for common/base64: RFC 4648 vectors, strict decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/base64.h"
#include "common/buf.h"

static void
test_vectors(void **state)
{
	static const char *const v[][2] = {{"", ""}, {"f", "Zg=="},
	    {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		base64_append(&b, v[i][0], strlen(v[i][0]));
		assert_int_equal(b.len, strlen(v[i][1]));
		assert_memory_equal(b.data, v[i][1], b.len);
		buf_reset(&b);
		assert_int_equal(
		    base64_decode_append(&b, v[i][1], strlen(v[i][1])), 0);
		assert_int_equal(b.len, strlen(v[i][0]));
		if (b.len)
			assert_memory_equal(b.data, v[i][0], b.len);
	}
	buf_free(&b);
}

/* The vectors of the old http_base64() test, and appending: what the
 * buffer held stays in front (the Basic header builds on a prefix). */
static void
test_append(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	base64_append(&b, "", 0);
	assert_string_equal(buf_cstr(&b), "");
	base64_append(&b, "f", 1);
	assert_string_equal(buf_cstr(&b), "Zg==");
	buf_reset(&b);
	base64_append(&b, "fo", 2);
	assert_string_equal(buf_cstr(&b), "Zm8=");
	buf_reset(&b);
	base64_append(&b, "foobar", 6);
	assert_string_equal(buf_cstr(&b), "Zm9vYmFy");
	buf_reset(&b);
	base64_append(&b, "\xff\xfe", 2);
	assert_string_equal(buf_cstr(&b), "//4=");
	buf_reset(&b);
	buf_adds(&b, "Basic ");
	base64_append(&b, "f", 1);
	base64_append(&b, "oo", 2);
	assert_string_equal(buf_cstr(&b), "Basic Zg==b28=");
	buf_free(&b);
}

static void
test_binary_round_trip(void **state)
{
	unsigned char bytes[256];
	struct buf e = BUF_INIT, d = BUF_INIT;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(255 - i);
	for (n = 0; n <= sizeof(bytes); n += 17) {
		buf_reset(&e);
		buf_reset(&d);
		base64_append(&e, bytes, n);
		assert_int_equal(base64_decode_append(&d, e.data, e.len), 0);
		assert_int_equal(d.len, n);
		if (n)
			assert_memory_equal(d.data, bytes, n);
	}
	buf_free(&e);
	buf_free(&d);
}

static void
test_strict(void **state)
{
	static const char *const bad[] = {"Zg",
	    "Zg=", "Z===", "Zh==", "Zm9=", "Zm 9", "Zm9v\n", "Zm-_", "=Zm9",
	    "Zg==Zg==", "Zm9vYg=a"};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	buf_adds(&b, "keep");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    base64_decode_append(&b, bad[i], strlen(bad[i])), -1);
		assert_int_equal(b.len, 4); /* untouched on failure */
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_append),
	    cmocka_unit_test(test_binary_round_trip),
	    cmocka_unit_test(test_strict),
	};

	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
