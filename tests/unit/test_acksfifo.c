/* SPDX-License-Identifier: MIT */
/* Unit tests for common/acksfifo: who makes the fifo, and a writer's open
 * that never blocks for a reader that never comes. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/acksfifo.h"
#include "common/clock.h"

static char dir[] = "/tmp/test_acksfifo.XXXXXX";

static const char *
path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static int
is_fifo_path(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* made if missing; one already there (the other side's) is fine */
static void
test_make(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(acksfifo_make(path("a")), 0);
	assert_true(is_fifo_path(path("a")));
	assert_int_equal(acksfifo_make(path("a")), 0);
	assert_true(is_fifo_path(path("a")));
	fd = open(path("a"), O_RDWR | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_true(acksfifo_is_fifo(fd));
	close(fd);
	/* a regular file stays what it is, and is told apart */
	fd = open(path("file"), O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_false(acksfifo_is_fifo(fd));
	close(fd);
	assert_int_equal(acksfifo_make(path("file")), 0);
	assert_false(is_fifo_path(path("file")));
	assert_int_equal(acksfifo_make(path("no/such/dir")), -1);
	assert_int_equal(errno, ENOENT);
}

/* no reader: back after the timeout, and the path is a fifo, not a
 * regular file */
static void
test_timeout(void **state)
{
	double t0 = mono_now();
	int fd;

	(void)state;
	assert_int_equal(
	    acksfifo_open_writer(path("b"), -1, 0.2, &fd), ACKSFIFO_TIMEOUT);
	assert_int_equal(fd, -1);
	assert_true(mono_now() - t0 >= 0.2);
	assert_true(mono_now() - t0 < 2);
	assert_true(is_fifo_path(path("b")));
}

/* the input's writer went away first: back at once */
static void
test_ended(void **state)
{
	double t0 = mono_now();
	int p[2], fd;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x\n", 2), 2); /* data left in it */
	close(p[1]);
	assert_int_equal(
	    acksfifo_open_writer(path("c"), p[0], 30, &fd), ACKSFIFO_ENDED);
	assert_true(mono_now() - t0 < 2);
	close(p[0]);
}

/* a reader there: open, blocking, and what it writes arrives */
static void
test_open(void **state)
{
	int r, fd, p[2], fl;
	char c;

	(void)state;
	assert_int_equal(acksfifo_make(path("d")), 0);
	r = open(path("d"), O_RDONLY | O_NONBLOCK);
	assert_true(r >= 0);
	assert_int_equal(pipe(p), 0); /* an input still open: no end */
	assert_int_equal(
	    acksfifo_open_writer(path("d"), p[0], 5, &fd), ACKSFIFO_OPEN);
	fl = fcntl(fd, F_GETFL);
	assert_int_equal(fl & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(fd, "\n", 1), 1);
	assert_int_equal(read(r, &c, 1), 1);
	assert_int_equal(c, '\n');
	close(fd);
	close(r);
	close(p[0]);
	close(p[1]);
	/* a regular file is opened as it is, for appending */
	assert_int_equal(
	    acksfifo_open_writer(path("file"), -1, 5, &fd), ACKSFIFO_OPEN);
	assert_false(acksfifo_is_fifo(fd));
	close(fd);
	/* what cannot be made is an error */
	assert_int_equal(acksfifo_open_writer(path("no/such/dir"), -1, 5, &fd),
	    ACKSFIFO_ERROR);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	const char *names[] = {"a", "b", "c", "d", "file"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)unlink(path(names[i]));
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_make),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_ended),
	    cmocka_unit_test(test_open),
	};

	return cmocka_run_group_tests_name("acksfifo", tests, setup, teardown);
}
