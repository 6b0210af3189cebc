/* SPDX-License-Identifier: MIT */
/* Timestamps for vnorm: every accepted form to epoch milliseconds and back. */
#ifndef IOTPIPE_TIMEFMT_H
#define IOTPIPE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

enum time_status {
	TIME_OK = 0,
	TIME_BAD, /* "bad timestamp" */
	TIME_RANGE, /* "timestamp out of range" */
};

/* 1970-01-01T00:00:00Z <= t < 2100-01-01T00:00:00Z, in milliseconds */
#define TIME_MAX_MS 4102444800000LL

/*
 * Parse a date-time string: YYYY-MM-DD, 'T', 't' or ' ', HH:MM, optional
 * :SS, optional '.' or ',' and 1-9 fraction digits, optional zone Z, z,
 * +HH, +HHMM, +HH:MM (no zone: UTC).  Calendar-checked.  Fractions beyond
 * milliseconds are truncated.  On TIME_OK *ms holds the UTC time.
 */
enum time_status time_parse_string(const char *s, size_t n, int64_t *ms);

/*
 * Parse an epoch given as JSON number text (also numeric strings): the unit
 * follows the magnitude (< 1e11 s, < 1e14 ms, < 1e17 us, else ns), read
 * from the decimal digits, never through a double.
 */
enum time_status time_parse_epoch(const char *s, size_t n, int64_t *ms);

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25 bytes); returns 24. */
size_t time_format(int64_t ms, char *out);

#endif
