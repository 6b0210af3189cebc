/* SPDX-License-Identifier: MIT */
/* Unit tests for common/opt: number parsing and the shared options. */
#include <sys/wait.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/opt.h"
#include "common/options.h"

#define ULL_MAX 18446744073709551615ULL

/* parse_uint_range(s) within [min, max]: the error string or "ok". */
static const char *
pur(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *v)
{
	const char *errstr = "unset";

	*v = 777;
	if (parse_uint_range(s, min, max, v, &errstr) == 0)
		return "ok";
	assert_int_equal(*v, 777); /* untouched on error */
	return errstr;
}

static void
test_uint_ok(void **state)
{
	unsigned long long v;

	(void)state;
	assert_string_equal(pur("0", 0, 10, &v), "ok");
	assert_int_equal(v, 0);
	assert_string_equal(pur("10", 0, 10, &v), "ok");
	assert_int_equal(v, 10);
	assert_string_equal(pur("007", 0, 10, &v), "ok");
	assert_int_equal(v, 7);
	assert_string_equal(pur("18446744073709551615", 0, ULL_MAX, &v), "ok");
	assert_true(v == ULL_MAX);
}

static void
test_uint_invalid(void **state)
{
	static const char *const bad[] = {"", "+5", "-5", " 5", "5 ", "5x", "x",
	    "0x10", "1.5", "1e3", "-0", "\t1", "5\n"};
	unsigned long long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(pur(bad[i], 0, 100, &v), "invalid");
	assert_int_equal(parse_uint_range(NULL, 0, 1, &v, NULL), -1);
	/* errstr may be NULL. */
	assert_int_equal(parse_uint_range("x", 0, 1, &v, NULL), -1);
}

static void
test_uint_range(void **state)
{
	unsigned long long v;

	(void)state;
	assert_string_equal(pur("4", 5, 10, &v), "too small");
	assert_string_equal(pur("11", 5, 10, &v), "too large");
	/* One past ULLONG_MAX overflows: too large, not wrapped. */
	assert_string_equal(
	    pur("18446744073709551616", 0, ULL_MAX, &v), "too large");
	assert_string_equal(
	    pur("99999999999999999999999", 0, ULL_MAX, &v), "too large");
	/* Junk after a huge number is still junk. */
	assert_string_equal(
	    pur("99999999999999999999999x", 0, ULL_MAX, &v), "invalid");
}

static const char *
psz(const char *s, unsigned long long *v)
{
	const char *errstr = "unset";

	if (parse_size(s, 16, 1ULL << 30, v, &errstr) == 0)
		return "ok";
	return errstr;
}

static void
test_size(void **state)
{
	static const struct {
		const char *s;
		unsigned long long v;
	} good[] = {
	    {"16", 16},
	    {"1024", 1024},
	    {"1k", 1024},
	    {"1K", 1024},
	    {"1KiB", 1024},
	    {"64k", 65536},
	    {"1M", 1048576},
	    {"1m", 1048576},
	    {"1MiB", 1048576},
	    {"3MiB", 3145728},
	    {"1G", 1073741824},
	    {"1GiB", 1073741824},
	    {"0001k", 1024},
	};
	static const char *const bad[] = {"", "k", "1KB", "1kb", "1Ki", "1iB",
	    "1 K", " 1K", "+1K", "-1K", "1.5M", "1T", "1Kx", "1KiBs", "M1"};
	unsigned long long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_string_equal(psz(good[i].s, &v), "ok");
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(psz(bad[i], &v), "invalid");
	assert_string_equal(psz("15", &v), "too small");
	assert_string_equal(psz("0k", &v), "too small");
	assert_string_equal(psz("2G", &v), "too large");
	assert_string_equal(psz("1048577k", &v), "too large");
	/* Overflow in the multiplication, and in the digits. */
	assert_string_equal(psz("18014398509481984k", &v), "too large");
	assert_string_equal(psz("99999999999999999999G", &v), "too large");
	assert_int_equal(parse_size("1k", 0, ULL_MAX, &v, NULL), 0);
}

static const char *
psec(const char *s, double *v)
{
	const char *errstr = "unset";

	if (parse_seconds(s, 0, 86400, v, &errstr) == 0)
		return "ok";
	return errstr;
}

static void
test_seconds(void **state)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
	    {"0", 0},
	    {"10", 10},
	    {"0.5", 0.5},
	    {".5", 0.5},
	    {"2.", 2},
	    {"0.1", 0.1},
	    {"80.3", 80.3},
	    {"000.250", 0.25},
	    {"86400", 86400},
	    {"86400.000", 86400},
	    {"0.000000000000000000000000000001", 1e-30},
	    {"1.23456789012345678", 1.23456789012345},
	};
	static const char *const bad[] = {"", ".", "-1", "+1", " 1", "1 ", "1s",
	    "1e3", "0x10", "inf", "nan", "1,5", "1..5", "..5", "1.5.", "-0.5"};
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_string_equal(psec(good[i].s, &v), "ok");
		/* Exact: no rounding error beyond the double's own. */
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(psec(bad[i], &v), "invalid");
	assert_string_equal(psec("86400.001", &v), "too large");
	assert_string_equal(psec("1000000000000000000000", &v), "too large");
	assert_int_equal(parse_seconds("0.1", 0.5, 1, &v, NULL), -1);
	assert_int_equal(parse_seconds(NULL, 0, 1, &v, NULL), -1);
}

static void
test_common_opts_init(void **state)
{
	struct common_opts o;

	(void)state;
	memset(&o, 0xa5, sizeof(o));
	common_opts_init(&o);
	assert_null(o.rejects);
	assert_true(o.stats_interval == 0);
	assert_false(o.stats);
	assert_false(o.progress);
	assert_true(o.max_line == 1048576);
	assert_false(o.strict);
	assert_int_equal(o.verbosity, 0);
}

/* argv from a NULL-terminated list of strings (static storage). */
static char **
make_argv(int *argc, ...)
{
	static char *v[32];
	va_list ap;
	char *s;
	int n = 0;

	va_start(ap, argc);
	while ((s = va_arg(ap, char *)) != NULL && n < 31)
		v[n++] = s;
	va_end(ap);
	v[n] = NULL;
	*argc = n;
	return v;
}

/* The table a tool writes, parsed for real. */
static const struct opt_row tool_rows[] = {
    OPT_FLAG('h', "hello", "a letter of the tool's own"),
    OPT_FLAG('v', "loud", "another"),
    OPT_FLAG(OPT_COMMON_END, "merge", "a long option of the tool's own"),
    OPT_SET(common_opt_rows),
    OPT_END,
};

static void
test_getopt_table(void **state)
{
	struct common_opts o;
	struct opt_parser p;
	char **argv;
	int c, argc, merge = 0, help = 0;

	(void)state;
	argv = make_argv(&argc, "vnorm", "--rejects", "r.ndjson", "--stats=2.5",
	    "--max-line", "64KiB", "--strict", "--progress", "--merge", "-h",
	    "in", (char *)NULL);
	common_opts_init(&o);
	opt_init(&p, "vnorm", tool_rows, NULL, argc, argv);
	while ((c = opt_next(&p)) != -1) {
		if (common_opt_take(&p, &o))
			continue;
		if (c == OPT_COMMON_END)
			merge++;
		else if (c == 'h')
			help++;
		else
			fail_msg("unexpected option %d", c);
	}
	assert_int_equal(opt_end(&p), argc - 1);
	assert_string_equal(o.rejects, "r.ndjson");
	assert_true(o.stats);
	assert_true(o.stats_interval == 2.5);
	assert_true(o.max_line == 65536);
	assert_true(o.strict);
	assert_true(o.progress);
	assert_int_equal(merge, 1);
	assert_int_equal(help, 1);
}

/* common_opt_take() of the one option in "prog OPT [ARG]". */
static bool
take(struct common_opts *o, const char *opt, const char *arg)
{
	struct opt_parser p;
	char **argv;
	bool taken;
	int argc;

	argv = make_argv(&argc, "vnorm", opt, arg, (char *)NULL);
	opt_init(&p, "vnorm", tool_rows, NULL, argc, argv);
	assert_int_not_equal(opt_next(&p), -1);
	taken = common_opt_take(&p, o);
	assert_int_equal(opt_next(&p), -1);
	opt_end(&p);
	return taken;
}

static void
test_handle_values(void **state)
{
	struct common_opts o;

	(void)state;
	common_opts_init(&o);
	assert_false(take(&o, "-v", NULL));
	assert_false(take(&o, "--merge", NULL));
	assert_true(take(&o, "--stats", "0"));
	assert_true(o.stats);
	assert_true(o.stats_interval == 0);
	assert_true(take(&o, "--max-line", "16"));
	assert_true(o.max_line == 16);
	assert_true(take(&o, "--max-line", "1GiB"));
	assert_true(o.max_line == 1073741824);
	assert_true(take(&o, "--rejects", "-"));
	assert_string_equal(o.rejects, "-");
}

/* take(OPT, arg) in a child: exit status and stderr. */
static char *
handle_in_child(const char *opt, const char *arg, int *status)
{
	char buf[1024];
	size_t len = 0;
	ssize_t n;
	int fds[2];
	pid_t pid;

	fflush(NULL);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct common_opts o;

		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		common_opts_init(&o);
		take(&o, opt, arg);
		_exit(0);
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
expect_usage(const char *opt, const char *arg, const char *first_line)
{
	char want[512];
	char *out;
	int status;

	out = handle_in_child(opt, arg, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	snprintf(want, sizeof(want),
	    "vnorm: %s\nTry 'vnorm --help' for more information.\n",
	    first_line);
	assert_string_equal(out, want);
	free(out);
}

static void
test_handle_bad_values(void **state)
{
	(void)state;
	log_init("vnorm");
	expect_usage("--max-line", "x", "--max-line: invalid size 'x'");
	expect_usage("--max-line", "15",
	    "--max-line: size '15' is too small (16 to 1073741824 bytes)");
	expect_usage("--max-line", "2G",
	    "--max-line: size '2G' is too large (16 to 1073741824 bytes)");
	expect_usage("--stats", "-1", "--stats: invalid interval '-1'");
	expect_usage("--stats", "1e9", "--stats: invalid interval '1e9'");
	expect_usage("--stats", "99999999",
	    "--stats: interval '99999999' is too large (max 31536000)");
	expect_usage("--rejects", "", "--rejects: empty path");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uint_ok),
	    cmocka_unit_test(test_uint_invalid),
	    cmocka_unit_test(test_uint_range),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_seconds),
	    cmocka_unit_test(test_common_opts_init),
	    cmocka_unit_test(test_getopt_table),
	    cmocka_unit_test(test_handle_values),
	    cmocka_unit_test(test_handle_bad_values),
	};

	return cmocka_run_group_tests_name("opt", tests, NULL, NULL);
}
