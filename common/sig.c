/* SPDX-License-Identifier: MIT */
/* Signals as flags plus a self-pipe that a poll() loop can wait on. */
#include "prelude.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "sig.h"

volatile sig_atomic_t sig_stop;
volatile sig_atomic_t sig_hup;
volatile sig_atomic_t sig_usr1;

static int pipefd[2] = {-1, -1};

static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};

static void
handler(int signo)
{
	int saved = errno;
	unsigned char c = (unsigned char)signo;

	switch (signo) {
	case SIGINT:
	case SIGTERM:
		/* The handlers mask each other, so ++ cannot race itself. */
		if (sig_stop < 127)
			sig_stop++;
		break;
	case SIGHUP:
		sig_hup = 1;
		break;
	case SIGUSR1:
		sig_usr1 = 1;
		break;
	default:
		break;
	}
	/* A full pipe is already readable: losing the byte is fine. */
	if (pipefd[1] >= 0)
		(void)!write(pipefd[1], &c, 1);
	errno = saved;
}

static int
set_flags(int fd)
{
	int fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

int
sig_init(void)
{
	struct sigaction sa;
	size_t i;
	int fds[2], saved;

	if (pipefd[0] < 0) {
		if (pipe(fds) < 0)
			return -1;
		if (set_flags(fds[0]) < 0 || set_flags(fds[1]) < 0) {
			saved = errno;
			close(fds[0]);
			close(fds[1]);
			errno = saved;
			return -1;
		}
		pipefd[0] = fds[0];
		pipefd[1] = fds[1];
	}

	sa = (struct sigaction){0};
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;

	sa = (struct sigaction){0};
	sa.sa_handler = handler;
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls see EINTR */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(&sa.sa_mask, caught[i]);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (sigaction(caught[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

int
sig_default_stop(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return -1;
	return 0;
}

int
sig_fd(void)
{
	return pipefd[0];
}

void
sig_drain(void)
{
	unsigned char junk[64];
	int saved = errno;
	ssize_t n;

	if (pipefd[0] < 0)
		return;
	do
		n = read(pipefd[0], junk, sizeof(junk));
	while (n > 0 || (n < 0 && errno == EINTR));
	errno = saved;
}
