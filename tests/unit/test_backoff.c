/* SPDX-License-Identifier: MIT */
/* Unit tests for common/backoff: capped exponential backoff, full jitter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/backoff.h"

/* A generator that hands out the values of a script, then repeats. */
struct script {
	const uint64_t *v;
	size_t n, i;
};

static uint64_t
scripted(void *arg)
{
	struct script *s = arg;
	uint64_t v = s->v[s->i % s->n];

	s->i++;
	return v;
}

static uint64_t
all_ones(void *arg)
{
	(void)arg;
	return UINT64_MAX;
}

static void
test_ceiling_doubles_to_cap(void **state)
{
	static const unsigned want[] = {100, 200, 400, 800, 1000, 1000, 1000};
	struct backoff b;
	size_t i;

	(void)state;
	backoff_init(&b, 100, 1000);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(backoff_ceiling_ms(&b), want[i]);
		(void)backoff_next_ms(&b);
	}
}

static void
test_full_jitter_bounds(void **state)
{
	/* r % (ceiling + 1): 0 gives 0, all ones gives the top of the
	 * range or below, never above */
	static const uint64_t zero[] = {0};
	struct script s = {zero, 1, 0};
	struct backoff b;
	unsigned ms, i;

	(void)state;
	backoff_init(&b, 500, 30000);
	backoff_set_rng(&b, scripted, &s);
	for (i = 0; i < 10; i++)
		assert_int_equal(backoff_next_ms(&b), 0);
	backoff_init(&b, 500, 30000);
	backoff_set_rng(&b, all_ones, NULL);
	for (i = 0; i < 40; i++) {
		unsigned ceiling = backoff_ceiling_ms(&b);

		ms = backoff_next_ms(&b);
		assert_true(ms <= ceiling);
		assert_true(ms <= 30000);
	}
}

static void
test_exact_values(void **state)
{
	/* ceiling 100: 250 % 101 = 48; ceiling 200: 250 % 201 = 49;
	 * ceiling 400: 250 % 401 = 250; ceiling 800: 1000 % 801 = 199 */
	static const uint64_t v[] = {250, 250, 250, 1000};
	struct script s = {v, 4, 0};
	struct backoff b;

	(void)state;
	backoff_init(&b, 100, 60000);
	backoff_set_rng(&b, scripted, &s);
	assert_int_equal(backoff_next_ms(&b), 48);
	assert_int_equal(backoff_next_ms(&b), 49);
	assert_int_equal(backoff_next_ms(&b), 250);
	assert_int_equal(backoff_next_ms(&b), 199);
}

static void
test_draw_is_next_without_state(void **state)
{
	/* the same values as test_exact_values, attempt by attempt */
	(void)state;
	assert_int_equal(backoff_draw_ms(100, 60000, 0, 250), 48);
	assert_int_equal(backoff_draw_ms(100, 60000, 1, 250), 49);
	assert_int_equal(backoff_draw_ms(100, 60000, 2, 250), 250);
	assert_int_equal(backoff_draw_ms(100, 60000, 3, 1000), 199);
	/* capped, and never past the cap however late */
	assert_int_equal(backoff_draw_ms(100, 1000, 40, 1000), 1000);
	assert_true(backoff_draw_ms(100, 1000, UINT32_MAX, UINT64_MAX) <= 1000);
	/* the settings backoff_init() mends */
	assert_int_equal(backoff_draw_ms(0, 0, 0, 7), 1);
	assert_int_equal(backoff_draw_ms(500, 10, 0, 500), 500);
}

static void
test_random_state(void **state)
{
	uint64_t a, b;

	(void)state;
	backoff_seed(&a);
	assert_true(a != 0);
	b = a;
	/* the same state gives the same bits, and moves on */
	assert_true(backoff_random(&a) == backoff_random(&b));
	assert_true(a == b);
	assert_true(backoff_random(&a) != backoff_random(&a));
}

static void
test_reset(void **state)
{
	struct backoff b;
	int i;

	(void)state;
	backoff_init(&b, 10, 100000);
	for (i = 0; i < 5; i++)
		(void)backoff_next_ms(&b);
	assert_int_equal(backoff_ceiling_ms(&b), 320);
	backoff_reset(&b);
	assert_int_equal(backoff_ceiling_ms(&b), 10);
}

static void
test_no_overflow(void **state)
{
	struct backoff b;
	unsigned i;

	(void)state;
	backoff_init(&b, 4000000000U, 4000000000U);
	backoff_set_rng(&b, all_ones, NULL);
	for (i = 0; i < 100; i++)
		assert_true(backoff_next_ms(&b) <= 4000000000U);
	/* many attempts with a small base: the ceiling stays at the cap */
	backoff_init(&b, 1, 30000);
	for (i = 0; i < 10000; i++)
		assert_true(backoff_next_ms(&b) <= 30000);
	assert_int_equal(backoff_ceiling_ms(&b), 30000);
}

static void
test_odd_settings(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 0, 0); /* base 0 counts as 1, cap raised to it */
	assert_int_equal(backoff_ceiling_ms(&b), 1);
	assert_true(backoff_next_ms(&b) <= 1);
	backoff_init(&b, 500, 100); /* cap below base */
	assert_int_equal(backoff_ceiling_ms(&b), 500);
}

static void
test_default_rng_spreads(void **state)
{
	struct backoff b;
	unsigned seen_low = 0, seen_high = 0, i, ms;

	(void)state;
	/* the default generator covers the range: over 2000 draws from
	 * [0, 1000] both halves show up many times */
	for (i = 0; i < 2000; i++) {
		backoff_init(&b, 1000, 1000);
		b.state += i; /* distinct streams, as distinct processes get */
		ms = backoff_next_ms(&b);
		assert_true(ms <= 1000);
		if (ms < 500)
			seen_low++;
		else
			seen_high++;
	}
	assert_true(seen_low > 700);
	assert_true(seen_high > 700);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ceiling_doubles_to_cap),
	    cmocka_unit_test(test_full_jitter_bounds),
	    cmocka_unit_test(test_exact_values),
	    cmocka_unit_test(test_draw_is_next_without_state),
	    cmocka_unit_test(test_random_state),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_no_overflow),
	    cmocka_unit_test(test_odd_settings),
	    cmocka_unit_test(test_default_rng_spreads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
