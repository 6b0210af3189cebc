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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fnv1a32),
	};

	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
