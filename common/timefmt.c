/* SPDX-License-Identifier: MIT */
/* Timestamps: every accepted form to epoch milliseconds and back. */
#include "prelude.h"

#include <stdbool.h>
#include <string.h>

#include "timefmt.h"

static bool
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s as a number, -1 if any is not a digit */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdig(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int
month_days(int y, int m)
{
	static const int md[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

enum time_status
time_parse_string(const char *s, size_t n, int64_t *ms)
{
	const char *p = s, *end = s + n;
	int y, mo, d, h, mi, sec = 0, frac = 0, fd = 0, off = 0;
	int64_t t;

	/* YYYY-MM-DD */
	if (n < 16 || (y = digits(p, 4)) < 0 || p[4] != '-' ||
	    (mo = digits(p + 5, 2)) < 0 || p[7] != '-' ||
	    (d = digits(p + 8, 2)) < 0)
		return TIME_BAD;
	p += 10;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return TIME_BAD;
	p++;
	if (end - p < 5 || (h = digits(p, 2)) < 0 || p[2] != ':' ||
	    (mi = digits(p + 3, 2)) < 0)
		return TIME_BAD;
	p += 5;
	if (p < end && *p == ':') {
		if (end - p < 3 || (sec = digits(p + 1, 2)) < 0)
			return TIME_BAD;
		p += 3;
		if (p < end && (*p == '.' || *p == ',')) {
			p++;
			while (p < end && isdig(*p)) {
				if (fd >= 9)
					return TIME_BAD;
				if (fd < 3)
					frac = frac * 10 + (*p - '0');
				fd++;
				p++;
			}
			if (fd == 0)
				return TIME_BAD;
			while (fd < 3) {
				frac *= 10;
				fd++;
			}
		}
	}
	if (p < end) {
		if ((*p == 'Z' || *p == 'z') && p + 1 == end) {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om = 0;

			p++;
			if (end - p < 2 || (oh = digits(p, 2)) < 0)
				return TIME_BAD;
			p += 2;
			if (p < end && *p == ':')
				p++;
			if (p < end) {
				if (end - p != 2 || (om = digits(p, 2)) < 0)
					return TIME_BAD;
				p += 2;
			} else if (p[-1] == ':') {
				return TIME_BAD;
			}
			if (oh > 23 || om > 59)
				return TIME_BAD;
			off = sign * (oh * 60 + om);
		} else {
			return TIME_BAD;
		}
	}
	if (p != end)
		return TIME_BAD;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return TIME_BAD;
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
	    mi * 60 + sec - (int64_t)off * 60;
	t = t * 1000 + frac;
	if (t < 0 || t >= TIME_MAX_MS)
		return TIME_RANGE;
	*ms = t;
	return TIME_OK;
}

enum time_status
time_parse_epoch(const char *s, size_t n, int64_t *ms)
{
	const char *p = s, *end = s + n;
	char dig[64];
	int nd = 0, intdigits, shift, i, exp = 0, esign = 1;
	bool seen_nonzero = false, neg = false;
	const char *digits_from;
	int64_t v = 0;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	/* collect significant digits, counting those before the point */
	intdigits = 0;
	digits_from = p;
	for (; p < end && isdig(*p); p++) {
		if (*p != '0')
			seen_nonzero = true;
		if (!seen_nonzero)
			continue;
		if (nd < (int)sizeof(dig))
			dig[nd++] = *p;
		intdigits++;
	}
	if (p < end && *p == '.') {
		for (p++; p < end && isdig(*p); p++) {
			if (!seen_nonzero && *p == '0') {
				intdigits--;
				continue;
			}
			seen_nonzero = true;
			if (nd < (int)sizeof(dig))
				dig[nd++] = *p;
		}
	}
	/* "", "-", "." or "e5" are not numbers: at least one digit */
	if (p == digits_from || (p == digits_from + 1 && *digits_from == '.'))
		return TIME_BAD;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			esign = *p++ == '-' ? -1 : 1;
		if (p == end || !isdig(*p))
			return TIME_BAD;
		for (; p < end && isdig(*p); p++)
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		exp *= esign;
	}
	if (p != end)
		return TIME_BAD;
	if (!seen_nonzero) {
		*ms = 0;
		return TIME_OK;
	}
	if (neg)
		return TIME_RANGE;
	/* value = 0.dig * 10^(intdigits + exp) */
	intdigits += exp;
	if (intdigits > 19)
		return TIME_RANGE;
	if (intdigits <= 11)
		shift = 3; /* seconds */
	else if (intdigits <= 14)
		shift = 0; /* milliseconds */
	else if (intdigits <= 17)
		shift = -3; /* microseconds */
	else
		shift = -6; /* nanoseconds */
	/* milliseconds = integer part of 0.dig * 10^(intdigits + shift) */
	for (i = 0; i < intdigits + shift; i++) {
		v = v * 10 + (i < nd ? dig[i] - '0' : 0);
		if (v >= TIME_MAX_MS)
			return TIME_RANGE;
	}
	*ms = v;
	return TIME_OK;
}

size_t
time_format(int64_t ms, char *out)
{
	int64_t days = ms / 86400000, rem = ms % 86400000;
	int y, m, d, h, mi, s, f;

	if (rem < 0) {
		rem += 86400000;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	h = (int)(rem / 3600000);
	mi = (int)(rem / 60000 % 60);
	s = (int)(rem / 1000 % 60);
	f = (int)(rem % 1000);
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = 'T';
	out[11] = (char)('0' + h / 10);
	out[12] = (char)('0' + h % 10);
	out[13] = ':';
	out[14] = (char)('0' + mi / 10);
	out[15] = (char)('0' + mi % 10);
	out[16] = ':';
	out[17] = (char)('0' + s / 10);
	out[18] = (char)('0' + s % 10);
	out[19] = '.';
	out[20] = (char)('0' + f / 100);
	out[21] = (char)('0' + f / 10 % 10);
	out[22] = (char)('0' + f % 10);
	out[23] = 'Z';
	out[24] = '\0';
	return 24;
}
