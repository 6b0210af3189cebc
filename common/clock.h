/* SPDX-License-Identifier: MIT */
/* Time for deadlines and intervals. */
#ifndef IOTPIPE_CLOCK_H
#define IOTPIPE_CLOCK_H

/* Seconds on the monotonic clock (unaffected by changes of the date):
 * only differences mean anything. */
double mono_now(void);

#endif
