/* SPDX-License-Identifier: MIT */
/* Unit tests for common/log: prefix, levels, single-line writes, exits. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "tests/unit/capture.h"

static int
setup(void **state)
{
	(void)state;
	log_init("/usr/local/bin/vnorm");
	log_set_verbosity(0);
	return 0;
}

static void
test_progname(void **state)
{
	(void)state;
	assert_string_equal(log_progname(), "vnorm");
	assert_string_equal(xalloc_progname, "vnorm");
	log_init("kprod");
	assert_string_equal(log_progname(), "kprod");
	log_init("./build/esbulk");
	assert_string_equal(log_progname(), "esbulk");
	/* Nothing usable: the name stays. */
	log_init(NULL);
	assert_string_equal(log_progname(), "esbulk");
	log_init("");
	assert_string_equal(log_progname(), "esbulk");
	log_init("/usr/local/bin/vnorm");
}

static void
test_levels_default(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	assert_int_equal(log_verbosity(), 0);
	cap_begin(&c);
	log_err("open %s: %s", "x.ndjson", "No such file or directory");
	log_warn("line %d: missing vin", 12);
	log_info("connected");
	log_debug("batch of %d", 500);
	out = cap_end(&c);
	assert_string_equal(out,
	    "vnorm: open x.ndjson: No such file or directory\n"
	    "vnorm: line 12: missing vin\n");
	free(out);
}

static void
test_levels_quiet_and_verbose(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	log_set_verbosity(-1);
	cap_begin(&c);
	log_err("e");
	log_warn("w");
	log_info("i");
	log_debug("d");
	log_set_verbosity(1);
	log_warn("w1");
	log_info("i1");
	log_debug("d1");
	log_set_verbosity(2);
	log_info("i2");
	log_debug("d2");
	log_set_verbosity(0);
	out = cap_end(&c);
	assert_string_equal(out,
	    "vnorm: e\n"
	    "vnorm: w1\nvnorm: i1\n"
	    "vnorm: i2\nvnorm: d2\n");
	free(out);
}

static void
test_newline_not_doubled(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	cap_begin(&c);
	log_err("already ends\n");
	log_err("%s", "");
	out = cap_end(&c);
	assert_string_equal(out, "vnorm: already ends\nvnorm: \n");
	free(out);
}

/*
 * A SOCK_SEQPACKET socket keeps write(2) boundaries: one recv() returns
 * what one write() sent, so a line that took two writes would show up.
 */
static void
test_one_write_per_line(void **state)
{
	char *big, *rx;
	size_t n = 5000, want;
	ssize_t got;
	int sv[2], saved;

	(void)state;
	big = malloc(n + 1);
	rx = malloc(n + 100);
	assert_non_null(big);
	assert_non_null(rx);
	memset(big, 'a', n);
	big[n] = '\0';
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	saved = dup(STDERR_FILENO);
	dup2(sv[0], STDERR_FILENO);
	log_err("%s", big);
	log_warn("short");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(sv[0]);

	got = recv(sv[1], rx, n + 100, 0);
	want = strlen("vnorm: ") + n + 1;
	assert_int_equal(got, (ssize_t)want);
	assert_memory_equal(rx, "vnorm: aaa", 10);
	assert_int_equal(rx[want - 1], '\n');
	got = recv(sv[1], rx, n + 100, 0);
	assert_int_equal(got, (ssize_t)strlen("vnorm: short\n"));
	assert_memory_equal(rx, "vnorm: short\n", (size_t)got);
	close(sv[1]);
	free(rx);
	free(big);
}

static void
test_errno_kept(void **state)
{
	struct capture c;

	(void)state;
	cap_begin(&c);
	errno = ENOENT;
	log_err("x");
	assert_int_equal(errno, ENOENT);
	free(cap_end(&c));
}

static void
test_log_raw(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	cap_begin(&c);
	assert_int_equal(log_raw("{\"a\":1}\n", 8), 0);
	out = cap_end(&c);
	assert_string_equal(out, "{\"a\":1}\n");
	free(out);
}

/* Run fn in a child with stderr on a pipe; its status and stderr. */
static char *
run_child(void (*fn)(void), int *status)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int fds[2];
	pid_t pid;

	fflush(NULL);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		fn();
		_exit(99);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	buf[len] = '\0';
	assert_int_equal(waitpid(pid, status, 0), pid);
	return strdup(buf);
}

static void
call_fatal(void)
{
	fatal("cannot open %s: %s", "in.ndjson", "Permission denied");
}

static void
call_usage_error(void)
{
	usage_error("--max-line: invalid size '%s'", "x");
}

static void
test_fatal_exits_1(void **state)
{
	int status;
	char *out;

	(void)state;
	out = run_child(call_fatal, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_string_equal(
	    out, "vnorm: cannot open in.ndjson: Permission denied\n");
	free(out);
}

static void
test_usage_error_exits_2(void **state)
{
	int status;
	char *out;

	(void)state;
	out = run_child(call_usage_error, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	assert_string_equal(out,
	    "vnorm: --max-line: invalid size 'x'\n"
	    "Try 'vnorm --help' for more information.\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_progname, setup),
	    cmocka_unit_test_setup(test_levels_default, setup),
	    cmocka_unit_test_setup(test_levels_quiet_and_verbose, setup),
	    cmocka_unit_test_setup(test_newline_not_doubled, setup),
	    cmocka_unit_test_setup(test_one_write_per_line, setup),
	    cmocka_unit_test_setup(test_errno_kept, setup),
	    cmocka_unit_test_setup(test_log_raw, setup),
	    cmocka_unit_test_setup(test_fatal_exits_1, setup),
	    cmocka_unit_test_setup(test_usage_error_exits_2, setup),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
