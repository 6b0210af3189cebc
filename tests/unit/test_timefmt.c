/* SPDX-License-Identifier: MIT */
/* Unit tests for vnorm's timestamps: strings, epochs, formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/timefmt.h"

#define T_2019 1560598757632LL /* 2019-06-15T11:39:17.632Z */

static void
check_string(const char *s, enum time_status want, int64_t want_ms)
{
	int64_t ms = -12345;
	enum time_status st = time_parse_string(s, strlen(s), &ms);

	if (st != want)
		fail_msg("'%s': status %d, want %d", s, st, want);
	if (want == TIME_OK && ms != want_ms)
		fail_msg("'%s': %lld ms, want %lld", s, (long long)ms,
		    (long long)want_ms);
}

static void
check_epoch(const char *s, enum time_status want, int64_t want_ms)
{
	int64_t ms = -12345;
	enum time_status st = time_parse_epoch(s, strlen(s), &ms);

	if (st != want)
		fail_msg("epoch '%s': status %d, want %d", s, st, want);
	if (want == TIME_OK && ms != want_ms)
		fail_msg("epoch '%s': %lld ms, want %lld", s, (long long)ms,
		    (long long)want_ms);
}

static void
check_format(int64_t ms, const char *want)
{
	char out[32];

	memset(out, 'x', sizeof(out));
	assert_int_equal(time_format(ms, out), 24);
	assert_int_equal(out[24], '\0');
	assert_string_equal(out, want);
}

/* ---- strings (vnorm(1) "Timestamps") ---- */

static void
test_separators(void **state)
{
	(void)state;
	check_string("2019-06-15T11:39:17.632Z", TIME_OK, T_2019);
	check_string("2019-06-15t11:39:17.632Z", TIME_OK, T_2019);
	check_string("2019-06-15 11:39:17.632Z", TIME_OK, T_2019);
	check_string("2019-06-15 11:39:17.632", TIME_OK, T_2019);
	check_string("2019-06-15_11:39:17.632Z", TIME_BAD, 0);
	check_string("2019-06-15  11:39:17.632Z", TIME_BAD, 0);
	check_string("2019-06-1511:39:17.632Z", TIME_BAD, 0);
}

static void
test_seconds_optional(void **state)
{
	(void)state;
	check_string("2019-06-15T11:39", TIME_OK, 1560598740000LL);
	check_string("2019-06-15T11:39Z", TIME_OK, 1560598740000LL);
	check_string("2019-06-15T11:39+00:00", TIME_OK, 1560598740000LL);
	check_string("2019-06-15T11:39:00", TIME_OK, 1560598740000LL);
	/* a fraction needs seconds */
	check_string("2019-06-15T11:39.5", TIME_BAD, 0);
	check_string("2019-06-15T11:39:", TIME_BAD, 0);
	check_string("2019-06-15T11:39:1", TIME_BAD, 0);
	check_string("2019-06-15T11:39:1Z", TIME_BAD, 0);
	check_string("2019-06-15T11", TIME_BAD, 0);
	check_string("2019-06-15T11:3", TIME_BAD, 0);
	check_string("2019-06-15T1:39", TIME_BAD, 0);
	check_string("2019-06-15T", TIME_BAD, 0);
}

static void
test_fractions(void **state)
{
	static const struct {
		const char *s;
		int64_t frac;
	} ok[] = {
	    {"2019-06-15T11:39:17.6Z", 600},
	    {"2019-06-15T11:39:17.63Z", 630},
	    {"2019-06-15T11:39:17.632Z", 632},
	    {"2019-06-15T11:39:17.6329Z", 632},
	    {"2019-06-15T11:39:17.63299Z", 632},
	    {"2019-06-15T11:39:17.632999Z", 632},
	    {"2019-06-15T11:39:17.6329999Z", 632},
	    {"2019-06-15T11:39:17.63299999Z", 632},
	    {"2019-06-15T11:39:17.632999999Z", 632},
	    {"2019-06-15T11:39:17,632Z", 632},
	    {"2019-06-15T11:39:17,6", 600},
	    {"2019-06-15 11:39:17.632000000", 632},
	    {"2019-06-15T11:39:17.000Z", 0},
	    {"2019-06-15T11:39:17.0", 0},
	    {"2019-06-15T11:39:17.009+00", 9},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		check_string(ok[i].s, TIME_OK, T_2019 - 632 + ok[i].frac);
	/* ten digits is one too many */
	check_string("2019-06-15T11:39:17.6329999999Z", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.0000000000", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.Z", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17,", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17..5", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.5.5", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17:5", TIME_BAD, 0);
}

static void
test_zones(void **state)
{
	(void)state;
	check_string("2019-06-15T11:39:17.632z", TIME_OK, T_2019);
	check_string("2019-06-15T11:39:17.632+00", TIME_OK, T_2019);
	check_string("2019-06-15T11:39:17.632-00:00", TIME_OK, T_2019);
	check_string("2019-06-15T11:39:17.632+02", TIME_OK, 1560591557632LL);
	check_string("2019-06-15T11:39:17.632+0200", TIME_OK, 1560591557632LL);
	check_string("2019-06-15T11:39:17.632+02:00", TIME_OK, 1560591557632LL);
	check_string("2019-06-15T11:39:17.632-04:00", TIME_OK, 1560613157632LL);
	check_string("2019-06-15T11:39:17.632-0400", TIME_OK, 1560613157632LL);
	check_string("2019-06-15T11:39:17.632-04", TIME_OK, 1560613157632LL);
	check_string("2019-06-15T11:39:17.632+05:30", TIME_OK, 1560578957632LL);
	check_string("2019-06-15T11:39:17.632-0945", TIME_OK, 1560633857632LL);
	/* zone right after the minutes */
	check_string("2019-06-15T11:39+02:00", TIME_OK, 1560591540000LL);
	/* offsets may carry the time over a day */
	check_string("2019-12-31T23:30:00-01:00", TIME_OK, 1577838600000LL);

	check_string("2019-06-15T11:39:17.632+2", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+2:00", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+02:0", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+02:", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+020", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+02000", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+02:00Z", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+24:00", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+02:60", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632+", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632ZZ", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632Z ", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632 Z", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632UTC", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632 GMT", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17.632x", TIME_BAD, 0);
}

static void
test_calendar(void **state)
{
	(void)state;
	check_string("2019-02-29T00:00:00Z", TIME_BAD, 0);
	check_string("2020-02-29T12:00Z", TIME_OK, 1582977600000LL);
	check_string("2000-02-29T00:00Z", TIME_OK, 951782400000LL);
	check_string("1900-02-29T00:00Z", TIME_BAD, 0);
	check_string("2019-02-28T00:00Z", TIME_OK, 1551312000000LL);
	check_string("2019-04-31T00:00Z", TIME_BAD, 0);
	check_string("2019-04-30T00:00Z", TIME_OK, 1556582400000LL);
	check_string("2019-12-32T00:00Z", TIME_BAD, 0);
	check_string("2019-13-01T00:00Z", TIME_BAD, 0);
	check_string("2019-00-10T00:00Z", TIME_BAD, 0);
	check_string("2019-01-00T00:00Z", TIME_BAD, 0);
	check_string("2019-06-15T24:00Z", TIME_BAD, 0);
	check_string("2019-06-15T24:00:00Z", TIME_BAD, 0);
	check_string("2019-06-15T23:60Z", TIME_BAD, 0);
	check_string("2019-06-15T23:59:60Z", TIME_BAD, 0);
	check_string("2016-12-31T23:59:60Z", TIME_BAD, 0); /* a leap second */
	check_string("2019-06-15T99:00Z", TIME_BAD, 0);
	check_string("2019-06-15T23:59:59.999Z", TIME_OK, 1560643199999LL);
	/* shapes that are not the extended format */
	check_string("2019-6-15T11:39:17Z", TIME_BAD, 0);
	check_string("2019/06/15 11:39:17", TIME_BAD, 0);
	check_string("20190615T113917Z", TIME_BAD, 0);
	check_string("2019-06-15T11-39-17", TIME_BAD, 0);
	check_string("+2019-06-15T11:39Z", TIME_BAD, 0);
	check_string("19-06-15T11:39:17Z", TIME_BAD, 0);
	check_string("2019-06-15T11:39:17 +02:00", TIME_BAD, 0);
	check_string(" 2019-06-15T11:39:17Z", TIME_BAD, 0);
	check_string("2019-O6-15T11:39:17Z", TIME_BAD, 0);
	check_string("Sat, 15 Jun 2019 11:39:17 GMT", TIME_BAD, 0);
	check_string("", TIME_BAD, 0);
	check_string("2019", TIME_BAD, 0);
}

static void
test_date_only_refused(void **state)
{
	(void)state;
	check_string("2019-06-15", TIME_BAD, 0);
	check_string("2019-06-15Z", TIME_BAD, 0);
	check_string("2019-06-15T", TIME_BAD, 0);
	check_string("2019-06-15 ", TIME_BAD, 0);
	check_string("2019-06-15T00", TIME_BAD, 0);
}

/* Digits beyond milliseconds are cut, never rounded up. */
static void
test_truncation(void **state)
{
	char out[32];
	int64_t ms;

	(void)state;
	assert_int_equal(
	    time_parse_string("2019-12-31T23:59:59.9999Z", 25, &ms), TIME_OK);
	time_format(ms, out);
	assert_string_equal(out, "2019-12-31T23:59:59.999Z");
	check_string("2019-12-31T23:59:59.999999999", TIME_OK, 1577836799999LL);
	check_string("2019-06-15T11:39:17.6319", TIME_OK, T_2019 - 1);
	check_string(
	    "2099-12-31T23:59:59.999999999Z", TIME_OK, TIME_MAX_MS - 1);
}

static void
test_range(void **state)
{
	(void)state;
	check_string("1970-01-01T00:00:00Z", TIME_OK, 0);
	check_string("1970-01-01T00:00:00.000Z", TIME_OK, 0);
	check_string("1970-01-01T00:00:00-00:01", TIME_OK, 60000);
	check_string("1969-12-31T23:59:59Z", TIME_RANGE, 0);
	check_string("1969-12-31T23:59:59.999Z", TIME_RANGE, 0);
	check_string("1969-06-15T11:39Z", TIME_RANGE, 0);
	check_string("1970-01-01T00:30:00+01:00", TIME_RANGE, 0);
	check_string("0000-01-01T00:00Z", TIME_RANGE, 0);
	check_string("2099-12-31T23:59:59.999Z", TIME_OK, TIME_MAX_MS - 1);
	check_string("2099-12-31T23:59:59Z", TIME_OK, TIME_MAX_MS - 1000);
	check_string("2100-01-01T00:00:00Z", TIME_RANGE, 0);
	check_string("2100-01-01T00:00Z", TIME_RANGE, 0);
	check_string("2100-01-01T01:00+02:00", TIME_OK, TIME_MAX_MS - 3600000);
	check_string("2099-12-31T23:30:00-01:00", TIME_RANGE, 0);
	check_string("9999-12-31T23:59:59Z", TIME_RANGE, 0);
	assert_int_equal(TIME_MAX_MS, 4102444800000LL);
}

/* ---- epochs ---- */

static void
test_epoch_exact_decimal(void **state)
{
	(void)state;
	/* 1560598771.639 is 1560598771.6389999... as a double */
	check_epoch("1560598771.639", TIME_OK, 1560598771639LL);
	check_epoch("1560598771.6389999", TIME_OK, 1560598771638LL);
	check_epoch("1560598771.6399999", TIME_OK, 1560598771639LL);
	check_epoch(
	    "1560598771.639999999999999999999", TIME_OK, 1560598771639LL);
	check_epoch("1560598771.1", TIME_OK, 1560598771100LL);
	check_epoch("1560598771.000001", TIME_OK, 1560598771000LL);
	check_epoch("1560598771", TIME_OK, 1560598771000LL);
	check_epoch("1560598771.0", TIME_OK, 1560598771000LL);
	check_epoch("1560598771.639000", TIME_OK, 1560598771639LL);
}

static void
test_epoch_magnitudes(void **state)
{
	(void)state;
	/* < 1e11: seconds */
	check_epoch("0", TIME_OK, 0);
	check_epoch("1", TIME_OK, 1000);
	check_epoch("0.5", TIME_OK, 500);
	check_epoch("0.05", TIME_OK, 50);
	check_epoch("0.001", TIME_OK, 1);
	check_epoch("0.0009", TIME_OK, 0);
	check_epoch("4102444799.999", TIME_OK, TIME_MAX_MS - 1);
	check_epoch("4102444800", TIME_RANGE, 0);
	check_epoch("99999999999", TIME_RANGE, 0);
	check_epoch("99999999999.9", TIME_RANGE, 0);
	/* < 1e14: milliseconds */
	check_epoch("100000000000", TIME_OK, 100000000000LL);
	check_epoch("1560598771639", TIME_OK, 1560598771639LL);
	check_epoch("1560598771639.9", TIME_OK, 1560598771639LL);
	check_epoch("4102444799999", TIME_OK, TIME_MAX_MS - 1);
	check_epoch("4102444800000", TIME_RANGE, 0);
	check_epoch("99999999999999", TIME_RANGE, 0);
	/* < 1e17: microseconds */
	check_epoch("100000000000000", TIME_OK, 100000000000LL);
	check_epoch("1560598771639123", TIME_OK, 1560598771639LL);
	check_epoch("1560598771639999.9", TIME_OK, 1560598771639LL);
	check_epoch("4102444800000000", TIME_RANGE, 0);
	/* otherwise nanoseconds */
	check_epoch("100000000000000000", TIME_OK, 100000000000LL);
	check_epoch("1560598771639123456", TIME_OK, 1560598771639LL);
	check_epoch("1560598771639999999.5", TIME_OK, 1560598771639LL);
	check_epoch("4102444799999999999", TIME_OK, TIME_MAX_MS - 1);
	check_epoch("4102444800000000000", TIME_RANGE, 0);
	check_epoch("10000000000000000000", TIME_RANGE, 0);
	check_epoch("123456789012345678901234567890", TIME_RANGE, 0);
}

static void
test_epoch_exponents(void **state)
{
	(void)state;
	check_epoch("1.56e9", TIME_OK, 1560000000000LL);
	check_epoch("1.56E9", TIME_OK, 1560000000000LL);
	check_epoch("1.56e+9", TIME_OK, 1560000000000LL);
	check_epoch("1560598771639e-3", TIME_OK, 1560598771639LL);
	check_epoch("1.560598771639e12", TIME_OK, 1560598771639LL);
	check_epoch("1.560598771639e15", TIME_OK, 1560598771639LL);
	check_epoch("1.560598771639123456e18", TIME_OK, 1560598771639LL);
	check_epoch("15605987716.39e-1", TIME_OK, 1560598771639LL);
	check_epoch("0.1560598771639e10", TIME_OK, 1560598771639LL);
	check_epoch("1e10", TIME_RANGE, 0); /* seconds: year 2286 */
	check_epoch("1e9", TIME_OK, 1000000000000LL);
	check_epoch("1e11", TIME_OK, 100000000000LL);
	check_epoch("1e0", TIME_OK, 1000);
	check_epoch("1e-3", TIME_OK, 1);
	check_epoch("1e-4", TIME_OK, 0);
	check_epoch("1e-400", TIME_OK, 0);
	check_epoch("1e400", TIME_RANGE, 0);
	check_epoch("1e99999999", TIME_RANGE, 0);
	check_epoch("0e5", TIME_OK, 0);
}

static void
test_epoch_negative_and_bad(void **state)
{
	(void)state;
	check_epoch("-1", TIME_RANGE, 0);
	check_epoch("-1560598771", TIME_RANGE, 0);
	check_epoch("-0.001", TIME_RANGE, 0);
	check_epoch("-1e400", TIME_RANGE, 0);
	/* zero is zero, whatever its sign */
	check_epoch("-0", TIME_OK, 0);
	check_epoch("-0.0", TIME_OK, 0);
	check_epoch("1560598771x", TIME_BAD, 0);
	check_epoch("1560598771.639.1", TIME_BAD, 0);
	check_epoch("0x1A", TIME_BAD, 0);
	check_epoch("1,5", TIME_BAD, 0);
	check_epoch("NaN", TIME_BAD, 0);
	check_epoch("2019-06-15", TIME_BAD, 0);
	check_epoch(" 1", TIME_BAD, 0);
	/* no digits at all is not a number */
	check_epoch("", TIME_BAD, 0);
	check_epoch("-", TIME_BAD, 0);
	check_epoch(".", TIME_BAD, 0);
	check_epoch("e5", TIME_BAD, 0);
	check_epoch("1e", TIME_BAD, 0);
	check_epoch("1e+", TIME_BAD, 0);
}

/* ---- formatting ---- */

static void
test_format(void **state)
{
	(void)state;
	check_format(0, "1970-01-01T00:00:00.000Z");
	check_format(1, "1970-01-01T00:00:00.001Z");
	check_format(T_2019, "2019-06-15T11:39:17.632Z");
	check_format(951782400000LL, "2000-02-29T00:00:00.000Z");
	check_format(1582977600000LL, "2020-02-29T12:00:00.000Z");
	check_format(1577836799999LL, "2019-12-31T23:59:59.999Z");
	check_format(TIME_MAX_MS - 1, "2099-12-31T23:59:59.999Z");
	check_format(TIME_MAX_MS, "2100-01-01T00:00:00.000Z");
	check_format(-1, "1969-12-31T23:59:59.999Z");
	check_format(-86400000LL, "1969-12-31T00:00:00.000Z");
}

/* format then parse gives the same milliseconds, across the range */
static void
test_round_trip(void **state)
{
	char out[32];
	int64_t ms, back, step = 7919LL * 86400000 / 10000 + 12347;
	size_t n = 0;

	(void)state;
	for (ms = 0; ms < TIME_MAX_MS; ms += step) {
		assert_int_equal(time_format(ms, out), 24);
		assert_int_equal(time_parse_string(out, 24, &back), TIME_OK);
		if (back != ms)
			fail_msg("%s: %lld != %lld", out, (long long)back,
			    (long long)ms);
		/* the same instant as an epoch in ms, and in seconds */
		{
			char num[32];
			int k =
			    snprintf(num, sizeof(num), "%lld", (long long)ms);

			if (ms >= 100000000000LL) {
				assert_int_equal(
				    time_parse_epoch(num, (size_t)k, &back),
				    TIME_OK);
				assert_int_equal(back, ms);
			}
			k = snprintf(num, sizeof(num), "%lld.%03lld",
			    (long long)(ms / 1000), (long long)(ms % 1000));
			assert_int_equal(
			    time_parse_epoch(num, (size_t)k, &back), TIME_OK);
			assert_int_equal(back, ms);
		}
		n++;
	}
	assert_true(n > 10000);
	/* every day of a leap year and of a common year */
	for (ms = 946684800000LL; ms < 1009843200000LL; ms += 86400000) {
		time_format(ms + 86399999, out);
		assert_int_equal(time_parse_string(out, 24, &back), TIME_OK);
		assert_int_equal(back, ms + 86399999);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_separators),
	    cmocka_unit_test(test_seconds_optional),
	    cmocka_unit_test(test_fractions),
	    cmocka_unit_test(test_zones),
	    cmocka_unit_test(test_calendar),
	    cmocka_unit_test(test_date_only_refused),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_range),
	    cmocka_unit_test(test_epoch_exact_decimal),
	    cmocka_unit_test(test_epoch_magnitudes),
	    cmocka_unit_test(test_epoch_exponents),
	    cmocka_unit_test(test_epoch_negative_and_bad),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}
