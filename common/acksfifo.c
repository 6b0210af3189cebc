/* SPDX-License-Identifier: MIT */
/* The --acks fifo: made atomically, checked, opened without blocking. */
#include "prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "acksfifo.h"
#include "clock.h"
#include "sig.h"

#define RETRY_MS 20 /* between two tries of a writer's open */

int
acksfifo_make(const char *path)
{
	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

bool
acksfifo_is_fifo(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Try once: 1 open, 0 no reader yet, -1 error. */
static int
try_open(const char *path, int *fd)
{
	int fl;

	*fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENXIO || errno == EINTR ? 0 : -1;
	if ((fl = fcntl(*fd, F_GETFL)) < 0 ||
	    fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;

		close(*fd);
		*fd = -1;
		errno = e;
		return -1;
	}
	return 1;
}

enum acksfifo_wait
acksfifo_open_writer(const char *path, int watch_fd, double timeout_s, int *fd)
{
	double deadline = mono_now() + timeout_s;
	struct pollfd p[2];
	int rc;

	*fd = -1;
	for (;;) {
		/* never O_CREAT: a regular file made here would stand
		 * where the reader expects its fifo */
		if ((rc = try_open(path, fd)) == 1)
			return ACKSFIFO_OPEN;
		if (rc < 0 && errno == ENOENT && acksfifo_make(path) == 0)
			continue;
		if (rc < 0)
			return ACKSFIFO_ERROR;
		if (sig_stop)
			return ACKSFIFO_STOPPED;
		if (mono_now() >= deadline)
			return ACKSFIFO_TIMEOUT;
		/* events 0: a pipe reports its writer gone as POLLHUP even
		 * with data left in it; a regular file never wakes us */
		p[0].fd = watch_fd;
		p[0].events = 0;
		p[1].fd = sig_fd();
		p[1].events = POLLIN;
		if (poll(p, 2, RETRY_MS) > 0) {
			if (p[0].revents & (POLLHUP | POLLERR))
				return ACKSFIFO_ENDED;
			sig_drain();
		}
	}
}
