/* SPDX-License-Identifier: MIT */
/* Unit tests for common/compat (strlcpy) and common/banned.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/compat.h"

static void
test_strlcpy_fits(void **state)
{
	char dst[8];

	(void)state;
	memset(dst, 'x', sizeof(dst));
	assert_int_equal(strlcpy(dst, "abc", sizeof(dst)), 3);
	assert_string_equal(dst, "abc");
	assert_int_equal(strlcpy(dst, "", sizeof(dst)), 0);
	assert_string_equal(dst, "");
	/* Exactly size - 1 characters still fit. */
	assert_int_equal(strlcpy(dst, "1234567", sizeof(dst)), 7);
	assert_string_equal(dst, "1234567");
}

static void
test_strlcpy_truncates(void **state)
{
	char dst[4];

	(void)state;
	memset(dst, 'x', sizeof(dst));
	assert_int_equal(strlcpy(dst, "abcdef", sizeof(dst)), 6);
	assert_string_equal(dst, "abc");
	assert_int_equal(strlcpy(dst, "abcd", sizeof(dst)), 4);
	assert_string_equal(dst, "abc");
	assert_int_equal(strlcpy(dst, "abcdef", 1), 6);
	assert_string_equal(dst, "");
}

static void
test_strlcpy_size_zero(void **state)
{
	char dst[2] = {'q', 'r'};

	(void)state;
	/* Nothing written, not even the NUL: a way to measure src. */
	assert_int_equal(strlcpy(dst, "hello", 0), 5);
	assert_int_equal(dst[0], 'q');
	assert_int_equal(dst[1], 'r');
}

/* Include banned.h last, as opted-in .c files do, and look at what a
 * banned call turns into. */
#include "common/banned.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static void
test_banned_expands_to_error_name(void **state)
{
	(void)state;
	assert_string_equal(
	    XSTR(strcpy(a, b)), "sorry_strcpy_is_a_banned_function");
	assert_string_equal(
	    XSTR(strcat(a, b)), "sorry_strcat_is_a_banned_function");
	assert_string_equal(
	    XSTR(sprintf(buf, "%d", 1)), "sorry_sprintf_is_a_banned_function");
	assert_string_equal(XSTR(vsprintf(buf, fmt, ap)),
	    "sorry_vsprintf_is_a_banned_function");
	assert_string_equal(
	    XSTR(strtok(s, ",")), "sorry_strtok_is_a_banned_function");
	assert_string_equal(XSTR(gets(s)), "sorry_gets_is_a_banned_function");
	assert_string_equal(XSTR(atoi(s)), "sorry_atoi_is_a_banned_function");
	assert_string_equal(XSTR(atol(s)), "sorry_atol_is_a_banned_function");
	assert_string_equal(
	    XSTR(mktemp(s)), "sorry_mktemp_is_a_banned_function");
	assert_string_equal(
	    XSTR(gmtime(t)), "sorry_gmtime_is_a_banned_function");
	assert_string_equal(
	    XSTR(localtime(t)), "sorry_localtime_is_a_banned_function");
	/* The safe variants are untouched. */
	assert_string_equal(XSTR(gmtime_r(t, tm)), "gmtime_r(t, tm)");
	assert_string_equal(XSTR(strtok_r(s, d, p)), "strtok_r(s, d, p)");
	assert_string_equal(XSTR(snprintf(b, n, f)), "snprintf(b, n, f)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strlcpy_fits),
	    cmocka_unit_test(test_strlcpy_truncates),
	    cmocka_unit_test(test_strlcpy_size_zero),
	    cmocka_unit_test(test_banned_expands_to_error_name),
	};

	return cmocka_run_group_tests_name("compat", tests, NULL, NULL);
}
