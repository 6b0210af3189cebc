/* SPDX-License-Identifier: MIT */
/* kcons -o: where to start (and stop) reading a partition. */
#ifndef IOTPIPE_KCONS_OFFSPEC_H
#define IOTPIPE_KCONS_OFFSPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

enum offspec_kind {
	OFF_BEGINNING, /* "beginning" */
	OFF_END, /* "end": only what arrives from now on */
	OFF_STORED, /* "stored": the group's committed offset */
	OFF_ABS, /* "N": offset N */
	OFF_TAIL, /* "-N": N messages before the end */
	OFF_TIME, /* "s@MS", a date, "-10m": the first message at or
		   * after value (epoch milliseconds) */
};

struct offspec {
	enum offspec_kind kind;
	int64_t value; /* OFF_ABS offset, OFF_TAIL count, OFF_TIME ms */
};

/*
 * Parse one -o argument at time now_ms (epoch milliseconds):
 *   beginning | end | stored | N | -N
 *   s@T    start at time T;  e@T   stop before time T (*is_end true)
 *   T alone (not a plain number) is s@T.
 * T is epoch milliseconds (digits), an RFC 3339 date-time
 * (2024-05-01T10:00:00Z, or a date alone), or a time relative to now: -N
 * followed by s, m, h or d (-10m: ten minutes ago).
 * Returns 0, or -1 with a reason appended to err.
 */
int offspec_parse(const char *s, int64_t now_ms, struct offspec *out,
    bool *is_end, struct buf *err);

/*
 * Parse a time T as above into *ms.  Returns 0, or -1 with a reason
 * appended to err.  For --reset-offsets too.
 */
int offspec_time(const char *s, int64_t now_ms, int64_t *ms, struct buf *err);

#endif
