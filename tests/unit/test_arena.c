/* SPDX-License-Identifier: MIT */
/* Unit tests for common/arena: alignment, blocks, reuse after a reset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/arena.h"

static void
test_arena_reuse(void **state)
{
	struct arena *a = arena_new();
	char *first, *p;
	int i, round;

	(void)state;
	first = arena_alloc(a, 10);
	for (round = 0; round < 50; round++) {
		arena_reset(a);
		p = arena_alloc(a, 10);
		/* the first block is kept and used again */
		assert_ptr_equal(p, first);
		for (i = 0; i < 10000; i++) {
			p = arena_alloc(a, (size_t)(i % 97));
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % 8, 0);
			memset(p, 0xA5, (size_t)(i % 97));
		}
	}
	p = arena_memdup(a, "abc", 3);
	assert_string_equal(p, "abc");
	p = arena_memdup(a, NULL, 0);
	assert_string_equal(p, "");
	/* zero-size allocations are distinct */
	assert_ptr_not_equal(arena_alloc(a, 0), arena_alloc(a, 0));
	arena_free(a);
	arena_free(NULL);
}

/* Allocations never overlap, across blocks and after a large one. */
static void
test_arena_blocks(void **state)
{
	static const size_t sizes[] = {1, 7, 8, 9, 4096, 16383, 16384, 16385,
	    65535, 65536, 65537, 200000, 3};
	struct arena *a = arena_new();
	unsigned char *p[64];
	size_t n[64], i, k, round;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 64; i++) {
			n[i] = sizes[(i + round) %
			    (sizeof(sizes) / sizeof(sizes[0]))];
			p[i] = arena_alloc(a, n[i]);
			assert_int_equal((uintptr_t)p[i] % 8, 0);
			memset(p[i], (int)i, n[i]);
		}
		/* each still holds its own byte: no allocation overlaps */
		for (i = 0; i < 64; i++)
			for (k = 0; k < n[i]; k += 511)
				assert_int_equal(p[i][k], (unsigned char)i);
		for (i = 0; i < 64; i++)
			assert_int_equal(p[i][n[i] - 1], (unsigned char)i);
		arena_reset(a);
	}
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arena_reuse),
	    cmocka_unit_test(test_arena_blocks),
	};

	return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
