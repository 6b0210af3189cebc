/* SPDX-License-Identifier: MIT */
/* kcons -o: where to start (and stop) reading a partition. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/buf.h"
#include "offspec.h"

/* s is all decimal digits (at least one) and fits; *out set. */
static bool
digits(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

/* "-10m" style: *ms = now - duration. */
static int
relative(const char *s, int64_t now_ms, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {
	    {'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
	char num[32];
	size_t n = strlen(s), i;
	int64_t v;

	if (n < 3 || n >= sizeof(num) || s[0] != '-')
		return -1;
	memcpy(num, s + 1, n - 2);
	num[n - 2] = '\0';
	if (!digits(num, &v))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n - 1] == units[i].unit) {
			if (v > now_ms / units[i].ms)
				return -1;
			*ms = now_ms - v * units[i].ms;
			return 0;
		}
	return -1;
}

/* An RFC 3339 date-time, or a date alone (midnight UTC). */
static bool
date(const char *s, int64_t *ms)
{
	char buf[32];

	if (s[0] == '-')
		return false;
	if (time_parse_string(s, strlen(s), ms) == TIME_OK)
		return true;
	if (strlen(s) != 10)
		return false;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	return time_parse_string(buf, strlen(buf), ms) == TIME_OK;
}

int
offspec_time(const char *s, int64_t now_ms, int64_t *ms, struct buf *err)
{
	if (digits(s, ms))
		return 0;
	if (s[0] == '-' && relative(s, now_ms, ms) == 0)
		return 0;
	if (date(s, ms))
		return 0;
	buf_printf(err,
	    "'%s' is not a time (epoch milliseconds, RFC 3339, or -N "
	    "followed by s, m, h or d)",
	    s);
	return -1;
}

int
offspec_parse(const char *s, int64_t now_ms, struct offspec *out, bool *is_end,
    struct buf *err)
{
	int64_t v;

	*is_end = false;
	if (strcmp(s, "beginning") == 0) {
		out->kind = OFF_BEGINNING;
		out->value = 0;
		return 0;
	}
	if (strcmp(s, "end") == 0) {
		out->kind = OFF_END;
		out->value = 0;
		return 0;
	}
	if (strcmp(s, "stored") == 0) {
		out->kind = OFF_STORED;
		out->value = 0;
		return 0;
	}
	if (digits(s, &v)) {
		out->kind = OFF_ABS;
		out->value = v;
		return 0;
	}
	if (s[0] == '-' && digits(s + 1, &v)) {
		if (v == 0) {
			buf_printf(err,
			    "'-0': the tail needs at least one "
			    "message");
			return -1;
		}
		out->kind = OFF_TAIL;
		out->value = v;
		return 0;
	}
	if ((s[0] == 's' || s[0] == 'e') && s[1] == '@') {
		*is_end = s[0] == 'e';
		if (offspec_time(s + 2, now_ms, &v, err) < 0)
			return -1;
		out->kind = OFF_TIME;
		out->value = v;
		return 0;
	}
	if ((s[0] == '-' && relative(s, now_ms, &v) == 0) || date(s, &v)) {
		out->kind = OFF_TIME;
		out->value = v;
		return 0;
	}
	buf_printf(err,
	    "'%s': expected beginning, end, stored, N, -N, s@TIME, e@TIME "
	    "or a time",
	    s);
	return -1;
}
