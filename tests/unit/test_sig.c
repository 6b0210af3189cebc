/* SPDX-License-Identifier: MIT */
/* Unit tests for common/sig: flags, the self-pipe, EINTR, SIGPIPE. */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/sig.h"

static int
readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int
group_setup(void **state)
{
	(void)state;
	return sig_init();
}

static int
reset(void **state)
{
	(void)state;
	sig_drain();
	sig_stop = sig_hup = sig_usr1 = 0;
	return 0;
}

static void
test_fd_flags(void **state)
{
	int fd = sig_fd();

	(void)state;
	assert_true(fd > 2);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* A second init keeps the same pipe. */
	assert_int_equal(sig_init(), 0);
	assert_int_equal(sig_fd(), fd);
}

static void
test_usr1(void **state)
{
	(void)state;
	assert_false(readable(sig_fd()));
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(sig_usr1, 1);
	assert_int_equal(sig_stop, 0);
	assert_int_equal(sig_hup, 0);
	assert_true(readable(sig_fd()));
	sig_drain();
	assert_false(readable(sig_fd()));
	/* The consumer clears the flag; the next signal sets it again. */
	sig_usr1 = 0;
	raise(SIGUSR1);
	assert_int_equal(sig_usr1, 1);
}

static void
test_hup(void **state)
{
	(void)state;
	raise(SIGHUP);
	assert_int_equal(sig_hup, 1);
	assert_int_equal(sig_usr1, 0);
	assert_true(readable(sig_fd()));
}

static void
test_stop_counts(void **state)
{
	(void)state;
	raise(SIGTERM);
	assert_int_equal(sig_stop, 1);
	raise(SIGINT);
	assert_int_equal(sig_stop, 2);
	raise(SIGTERM);
	assert_int_equal(sig_stop, 3);
	assert_true(readable(sig_fd()));
}

static void
test_full_pipe_does_not_block(void **state)
{
	int i;

	(void)state;
	/* Far more than a pipe holds: the handler must not block. */
	for (i = 0; i < 70000; i++)
		raise(SIGUSR1);
	assert_int_equal(sig_usr1, 1);
	sig_drain();
	assert_false(readable(sig_fd()));
}

static void
test_errno_kept(void **state)
{
	(void)state;
	errno = ERANGE;
	raise(SIGUSR1);
	assert_int_equal(errno, ERANGE);
}

static void
test_handlers_installed(void **state)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};
	struct sigaction sa;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		assert_int_equal(sigaction(sigs[i], NULL, &sa), 0);
		assert_true(sa.sa_handler != SIG_DFL);
		assert_true(sa.sa_handler != SIG_IGN);
		assert_false(sa.sa_flags & SA_RESTART);
	}
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
}

static void
test_sigpipe_is_epipe(void **state)
{
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	errno = 0;
	assert_int_equal(write(fds[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(fds[1]);
}

/*
 * A blocking read() returns EINTR when a signal comes.  A child sends
 * SIGUSR1 every 20 ms, so one lands while the read waits.
 */
static void
test_blocking_read_interrupted(void **state)
{
	int fds[2], status;
	char c;
	ssize_t n;
	pid_t parent = getpid(), pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int i;

		for (i = 0; i < 250; i++) {
			usleep(20000);
			kill(parent, SIGUSR1);
		}
		_exit(0);
	}
	n = read(fds[0], &c, 1);
	assert_int_equal(n, -1);
	assert_int_equal(errno, EINTR);
	assert_int_equal(sig_usr1, 1);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	close(fds[1]);
}

/* After sig_default_stop() the first SIGTERM or SIGINT ends the process;
 * SIGPIPE stays ignored.  In a child, to keep this process's handlers. */
static void
test_default_stop(void **state)
{
	static const int sigs[] = {SIGTERM, SIGINT};
	size_t i;
	pid_t pid;
	int status;

	(void)state;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (sig_default_stop() < 0 || raise(SIGPIPE) != 0)
				_exit(2);
			raise(sigs[i]);
			_exit(sig_stop == 0 ? 3 : 4);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), sigs[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_fd_flags, reset),
	    cmocka_unit_test_setup(test_usr1, reset),
	    cmocka_unit_test_setup(test_hup, reset),
	    cmocka_unit_test_setup(test_stop_counts, reset),
	    cmocka_unit_test_setup(test_full_pipe_does_not_block, reset),
	    cmocka_unit_test_setup(test_errno_kept, reset),
	    cmocka_unit_test_setup(test_handlers_installed, reset),
	    cmocka_unit_test_setup(test_sigpipe_is_epipe, reset),
	    cmocka_unit_test_setup(test_blocking_read_interrupted, reset),
	    cmocka_unit_test_setup(test_default_stop, reset),
	};

	return cmocka_run_group_tests_name("sig", tests, group_setup, NULL);
}
