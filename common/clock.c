/* SPDX-License-Identifier: MIT */
/* Time for deadlines and intervals. */
#include "prelude.h"

#include <time.h>

#include "clock.h"

double
mono_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
