/* SPDX-License-Identifier: MIT */
/* Numbers as vsim writes them: JavaScript's Number-to-text. */
#include "common/prelude.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

static const double pow10tab[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
static const int64_t ipow10[] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

int64_t
num_round(double v, int k)
{
	double x = floor(v * pow10tab[k] + 0.5);

	if (!(x > -9e15))
		return -9000000000000000LL;
	if (!(x < 9e15))
		return 9000000000000000LL;
	return (int64_t)x;
}

size_t
num_fixed(char *out, int64_t scaled, int k)
{
	char tmp[NUMFMT_MAX];
	uint64_t u, ip, fp;
	size_t n = 0, t = 0;
	int d;

	if (scaled == 0) {
		out[0] = '0';
		out[1] = '\0';
		return 1;
	}
	if (scaled < 0) {
		out[n++] = '-';
		u = (uint64_t)0 - (uint64_t)scaled;
	} else {
		u = (uint64_t)scaled;
	}
	ip = u / (uint64_t)ipow10[k];
	fp = u % (uint64_t)ipow10[k];
	do {
		tmp[t++] = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip > 0);
	while (t > 0)
		out[n++] = tmp[--t];
	if (fp != 0) {
		/* drop trailing zeros, then write the k' digits left */
		while (fp % 10 == 0) {
			fp /= 10;
			k--;
		}
		out[n++] = '.';
		for (d = k - 1; d >= 0; d--) {
			out[n + (size_t)d] = (char)('0' + fp % 10);
			fp /= 10;
		}
		n += (size_t)k;
	}
	out[n] = '\0';
	return n;
}

/*
 * The shortest digits that read back as v (v > 0): 15 significant digits
 * first (if they round-trip, no shorter text differs from them but by
 * trailing zeros), then 16, then 17, which always do.  Subnormals,
 * with less precision, are searched from one digit up.  *exp10 is the
 * decimal exponent of the first digit.
 */
static size_t
shortest_digits(double v, char *digits, int *exp10)
{
	char s[40];
	int prec;
	size_t n = 0;
	const char *p;

	/* subnormals carry fewer digits: search them from one digit up */
	for (prec = v < DBL_MIN ? 0 : 14; prec <= 16; prec++) {
		snprintf(s, sizeof(s), "%.*e", prec, v);
		if (prec == 16 || strtod(s, NULL) == v)
			break;
	}
	for (p = s; *p != 'e'; p++)
		if (*p != '.')
			digits[n++] = *p;
	*exp10 = (int)strtol(p + 1, NULL, 10);
	while (n > 1 && digits[n - 1] == '0')
		n--;
	return n;
}

size_t
num_shortest(char *out, double v)
{
	char dig[24];
	size_t n = 0, k, i;
	int e, point;

	if (v == 0) {
		out[0] = '0';
		out[1] = '\0';
		return 1;
	}
	if (v < 0) {
		out[n++] = '-';
		v = -v;
	}
	k = shortest_digits(v, dig, &e);
	point = e + 1; /* ECMAScript's n: digits before the decimal point */
	if ((int)k <= point && point <= 21) {
		memcpy(out + n, dig, k);
		n += k;
		for (i = k; i < (size_t)point; i++)
			out[n++] = '0';
	} else if (0 < point && point <= 21) {
		memcpy(out + n, dig, (size_t)point);
		n += (size_t)point;
		out[n++] = '.';
		memcpy(out + n, dig + point, k - (size_t)point);
		n += k - (size_t)point;
	} else if (-6 < point && point <= 0) {
		out[n++] = '0';
		out[n++] = '.';
		for (i = 0; i < (size_t)-point; i++)
			out[n++] = '0';
		memcpy(out + n, dig, k);
		n += k;
	} else {
		out[n++] = dig[0];
		if (k > 1) {
			out[n++] = '.';
			memcpy(out + n, dig + 1, k - 1);
			n += k - 1;
		}
		n += (size_t)snprintf(out + n, NUMFMT_MAX - n, "e%c%d",
		    point - 1 < 0 ? '-' : '+', abs(point - 1));
	}
	out[n] = '\0';
	return n;
}
