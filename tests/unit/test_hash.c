/* SPDX-License-Identifier: MIT */
/* Unit tests for common/hash.h: FNV-1a against its published values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/hash.h"

static void
test_fnv1a32(void **state)
{
	(void)state;
	assert_int_equal(fnv1a32("", 0), 0x811c9dc5u); /* the offset basis */
	assert_int_equal(fnv1a32("a", 1), 0xe40c292cu);
	assert_int_equal(fnv1a32("foobar", 6), 0xbf9cf968u);
	/* bytes, not chars: high bytes are not sign-extended, NUL counts */
	assert_int_equal(fnv1a32("\xff\0", 2), 0x6e1e20cau);
}

static void
test_fnv1a64(void **state)
{
	(void)state;
	assert_true(fnv1a64("", 0) == 0xcbf29ce484222325u);
	assert_true(fnv1a64("a", 1) == 0xaf63dc4c8601ec8cu);
	assert_true(fnv1a64("foobar", 6) == 0x85944171f73967e8u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fnv1a32),
	    cmocka_unit_test(test_fnv1a64),
	};

	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
