/* SPDX-License-Identifier: MIT */
/*
 * The acknowledgement fifo between kcons --acks (its reader) and esbulk
 * --acks (its writer): made by whichever side comes first, never a
 * regular file in its place, and opened without waiting forever.
 */
#ifndef IOTPIPE_ACKSFIFO_H
#define IOTPIPE_ACKSFIFO_H

#include <stdbool.h>

/* Make path a fifo (mode 0600) unless something is there already: an
 * atomic mkfifo(3), so a side that loses the race finds the other's.
 * Returns 0, or -1 with errno. */
int acksfifo_make(const char *path);

/* Whether fd is a fifo: what both sides check of what they opened. */
bool acksfifo_is_fifo(int fd);

enum acksfifo_wait {
	ACKSFIFO_OPEN, /* *fd is open for writing */
	ACKSFIFO_ENDED, /* watch_fd hung up: the partner will not come */
	ACKSFIFO_TIMEOUT, /* no reader within the time */
	ACKSFIFO_STOPPED, /* a signal (sig_stop) */
	ACKSFIFO_ERROR, /* errno set */
};

/*
 * Open the fifo at path for writing once a reader has it open, trying
 * again every few milliseconds (open(2) cannot tell when a reader comes)
 * for at most timeout_s seconds, while watching watch_fd (-1: none) for
 * its writer going away (the input ended: a partner that would have
 * opened the fifo died first) and the signal self-pipe.  The fifo is made
 * if missing; anything else than a fifo at path is opened as it is (a
 * regular file, /dev/null): the caller checks.  *fd is blocking and
 * close-on-exec.
 */
enum acksfifo_wait acksfifo_open_writer(
    const char *path, int watch_fd, double timeout_s, int *fd);

#endif
