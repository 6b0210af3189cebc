/* SPDX-License-Identifier: MIT */
/* Signals as flags plus a self-pipe that a poll() loop can wait on. */
#ifndef IOTPIPE_SIG_H
#define IOTPIPE_SIG_H

#include <signal.h>

/* SIGINT and SIGTERM received so far; the second one means "stop now". */
extern volatile sig_atomic_t sig_stop;
/* Set by SIGHUP (reopen outputs); the consumer clears it. */
extern volatile sig_atomic_t sig_hup;
/* Set by SIGUSR1 (print stats now); the consumer clears it. */
extern volatile sig_atomic_t sig_usr1;

/*
 * Ignore SIGPIPE (a gone reader shows up as EPIPE), create a non-blocking,
 * close-on-exec self-pipe, and catch SIGINT, SIGTERM, SIGHUP and SIGUSR1
 * without SA_RESTART, so a blocking read() or write() returns EINTR.  The
 * handlers only set the flags above and write one byte to the pipe.
 * Calling it again is harmless.  Returns 0, or -1 with errno.
 */
int sig_init(void);

/*
 * SIGINT and SIGTERM back to their default action, for a one-shot command
 * with nothing to finish: the first one ends the process (status 130 or
 * 143 in the shell).  Returns 0, or -1 with errno.
 */
int sig_default_stop(void);

/* Read end of the self-pipe, for poll(); -1 before sig_init().  Borrowed. */
int sig_fd(void);

/* Read and discard the bytes waiting in the self-pipe; never blocks. */
void sig_drain(void);

#endif
