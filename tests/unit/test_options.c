/* SPDX-License-Identifier: MIT */
/* Unit tests for common/options: the parser, the usage, the messages. */
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

#include "common/buf.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/options.h"

enum { OWN_ZETA = OPT_OWN, OWN_ALPHA, OWN_MODE, OWN_SECRET };

/* clang-format off */
static const struct opt_row tool_rows[] = {
	OPT_FLAG('R', "no-retained", "leave out retained messages"),
	OPT_ARG('t', "topic", "topic", NULL, "the topic"),
	OPT_ARG('C', "count", "n", NULL, "stop after n"),
	OPT_FLAG(OWN_ZETA, "zeta", "the last flag"),
	OPT_ARG(OWN_ALPHA, "alpha", "x", "1", "the first option"),
	OPT_OPTARG(OWN_MODE, "mode", "m", NULL, "a mode, or the default"),
	{.id = OWN_SECRET, .name = "secret", .has_arg = no_argument,
	    .help = "not in the usage", .flags = OPT_HIDDEN},
	OPT_SET(opt_rows_basic_mqtt),
	OPT_END,
};
/* clang-format on */

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

static void
test_usage_order(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* style(9): letters without argument in one group (upper case
	 * first), long flags, letters with an argument, long options with
	 * one; hidden rows left out; wrapped at 80 under the first option */
	opt_usage(&b, "tool", tool_rows, "[file ...]");
	assert_string_equal(buf_cstr(&b),
	    "usage: tool [-dRv] [--help] [--quiet] [--version] [--zeta] "
	    "[-C n] [-t topic]\n"
	    "            [--alpha x] [--mode[=m]] [file ...]\n");
	buf_free(&b);
}

static void
test_help_text(void **state)
{
	static const struct opt_help help = {
	    .about = "do one thing well",
	    .env = "TOOL_URL\tthe server\nA_VERY_LONG_VARIABLE_NAME_HERE\tits "
		   "text",
	    .examples = "tool -t a\ntool --zeta",
	};
	struct buf b = BUF_INIT;

	(void)state;
	opt_help_text(&b, "tool", tool_rows, "[file ...]", &help);
	assert_string_equal(buf_cstr(&b),
	    "usage: tool [-dRv] [--help] [--quiet] [--version] [--zeta] "
	    "[-C n] [-t topic]\n"
	    "            [--alpha x] [--mode[=m]] [file ...]\n"
	    "\n"
	    "tool: do one thing well\n"
	    "\n"
	    "Options:\n"
	    "  -C, --count n               stop after n\n"
	    "  -d, --debug                 print debug messages (as -vv)\n"
	    "  -R, --no-retained           leave out retained messages\n"
	    "  -t, --topic topic           the topic\n"
	    "  -v, --verbose               say more on stderr; repeat for more\n"
	    "      --alpha x               the first option (default: 1)\n"
	    "      --help                  print the usage and exit\n"
	    "      --mode[=m]              a mode, or the default\n"
	    "      --quiet                 print errors only, no warnings\n"
	    "      --version               print the version and exit\n"
	    "      --zeta                  the last flag\n"
	    "\n"
	    "Environment:\n"
	    "  TOOL_URL                    the server\n"
	    "  A_VERY_LONG_VARIABLE_NAME_HERE\n"
	    "                              its text\n"
	    "\n"
	    "Examples:\n"
	    "  tool -t a\n"
	    "  tool --zeta\n"
	    "\n"
	    "See tool(1) and iotpipe(7).\n");
	/* no help: the usage, the options and the page all the same */
	buf_reset(&b);
	opt_help_text(&b, "tool", tool_rows, NULL, NULL);
	assert_non_null(strstr(buf_cstr(&b), "\nOptions:\n"));
	assert_null(strstr(buf_cstr(&b), "Environment"));
	assert_non_null(strstr(buf_cstr(&b), "See tool(1)"));
	buf_free(&b);
}

static void
test_parse_loop(void **state)
{
	struct opt_parser p;
	char **argv;
	int argc, c, zeta = 0, first;
	const char *mode = "unset", *alpha = NULL, *topic = NULL;

	(void)state;
	argv = make_argv(&argc, "tool", "-v", "-t", "a/b", "--zeta", "-dv",
	    "--alpha=2", "--mode", "--secret", "--count", "5", "in",
	    (char *)NULL);
	opt_init(&p, "tool", tool_rows, NULL, argc, argv);
	while ((c = opt_next(&p)) != -1) {
		switch (c) {
		case 't':
			topic = p.arg;
			break;
		case 'C':
			assert_string_equal(p.arg, "5");
			assert_ptr_equal(p.row, opt_find(tool_rows, 'C'));
			break;
		case OWN_ZETA:
			zeta++;
			break;
		case OWN_ALPHA:
			alpha = p.arg;
			break;
		case OWN_MODE:
			mode = p.arg;
			break;
		case OWN_SECRET:
			zeta += 10;
			break;
		default:
			fail_msg("unexpected option %d", c);
		}
	}
	/* -v, -d and -v again: 1 + 2 + 1, none of them returned */
	assert_int_equal(p.verbosity, 4);
	first = opt_end(&p);
	assert_int_equal(first, argc - 1);
	assert_string_equal(argv[first], "in");
	assert_string_equal(topic, "a/b");
	assert_string_equal(alpha, "2");
	assert_null(mode); /* an optional argument needs '=' */
	assert_int_equal(zeta, 11);

	/* --quiet after -v is -1; -v after --quiet starts from 0 */
	argv = make_argv(&argc, "tool", "-v", "--quiet", (char *)NULL);
	opt_init(&p, "tool", tool_rows, NULL, argc, argv);
	assert_int_equal(opt_next(&p), -1);
	assert_int_equal(p.verbosity, -1);
	opt_end(&p);
	argv = make_argv(&argc, "tool", "--quiet", "-v", (char *)NULL);
	opt_init(&p, "tool", tool_rows, NULL, argc, argv);
	assert_int_equal(opt_next(&p), -1);
	assert_int_equal(p.verbosity, 1);
	opt_end(&p);
}

/* ---- what exits: run in a child, stdout and stderr together */

static const struct opt_row *child_rows;
static const char *child_what;

static void
child_parse(int argc, char **argv)
{
	struct common_opts o;
	struct opt_parser p;
	int c;

	common_opts_init(&o);
	opt_init(&p, "tool", child_rows, "[file ...]", argc, argv);
	p.version_extra = "librdkafka 9.9";
	while ((c = opt_next(&p)) != -1) {
		if (common_opt_take(&p, &o))
			continue;
		if (c == 'C')
			opt_bad_value(&p, "too small", "count", "1-10");
		if (c == 't')
			opt_bad_value(&p, NULL, "topic", NULL);
		if (c == OWN_ALPHA)
			opt_error(&p, "empty %s", child_what);
		if (c == OWN_ZETA)
			opt_unhandled(&p);
	}
	opt_end(&p);
}

static char *
in_child(int *status, const struct opt_row *rows, int argc, char **argv)
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
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		child_rows = rows;
		child_parse(argc, argv);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	buf[len] = '\0';
	assert_int_equal(waitpid(pid, status, 0), pid);
	assert_true(WIFEXITED(*status));
	*status = WEXITSTATUS(*status);
	return strdup(buf);
}

static bool expect_prefix; /* expect(): want is what the output starts with */

static void
expect(const struct opt_row *rows, int want_status, const char *want, ...)
{
	char *argv[16], *s, *out;
	int argc = 0, status;
	va_list ap;

	argv[argc++] = (char *)"tool";
	va_start(ap, want);
	while ((s = va_arg(ap, char *)) != NULL)
		argv[argc++] = s;
	va_end(ap);
	argv[argc] = NULL;
	out = in_child(&status, rows, argc, argv);
	if (expect_prefix && strlen(out) > strlen(want))
		out[strlen(want)] = '\0';
	assert_string_equal(out, want);
	assert_int_equal(status, want_status);
	free(out);
}

#define TRY "Try 'tool --help' for more information.\n"

static void
test_exits_and_messages(void **state)
{
	static const struct opt_row basic[] = {
	    OPT_ARG('C', "count", "n", NULL, "stop after n"),
	    OPT_SET(opt_rows_basic),
	    OPT_END,
	};

	(void)state;
	log_init("tool");
	child_what = "path";
	/* --help starts with the usage, then a blank line (opt_help_text) */
	expect_prefix = true;
	expect(tool_rows, 0,
	    "usage: tool [-dRv] [--help] [--quiet] [--version] [--zeta] "
	    "[-C n] [-t topic]\n"
	    "            [--alpha x] [--mode[=m]] [file ...]\n\n",
	    "--help", (char *)NULL);
	expect(basic, 0, "usage: tool [-hqVv] [-C n] [file ...]\n\n", "-h",
	    (char *)NULL);
	expect_prefix = false;
	expect(basic, 0, "tool " IOTPIPE_VERSION " (iotpipe) librdkafka 9.9\n",
	    "-V", (char *)NULL);
	expect(tool_rows, 2, "tool: unknown option '--bogus'\n" TRY, "--bogus",
	    (char *)NULL);
	expect(tool_rows, 2, "tool: unknown option '-Z'\n" TRY, "-Z",
	    (char *)NULL);
	expect(tool_rows, 2, "tool: option '-t' needs an argument\n" TRY, "-t",
	    (char *)NULL);
	expect(tool_rows, 2, "tool: option '--alpha' needs an argument\n" TRY,
	    "--alpha", (char *)NULL);
	/* the one convention for a bad value, short or long spelling */
	expect(tool_rows, 2, "tool: -C: too small count '0' (1-10)\n" TRY,
	    "--count", "0", (char *)NULL);
	expect(tool_rows, 2, "tool: -t: invalid topic 'a/#'\n" TRY, "-t", "a/#",
	    (char *)NULL);
	expect(tool_rows, 2, "tool: --alpha: empty path\n" TRY,
	    "--alpha=", (char *)NULL);
	/* a row the program forgot to handle is a bug: exit 1 */
	expect(tool_rows, 1,
	    "tool: --zeta: in the option table but not "
	    "handled\n",
	    "--zeta", (char *)NULL);
	/* a shared set's bad value */
	expect(common_opt_rows, 2, "tool: --max-line: invalid size 'x'\n" TRY,
	    "--max-line", "x", (char *)NULL);
}

static void
test_duplicates_are_fatal(void **state)
{
	static const struct opt_row twice_id[] = {
	    OPT_FLAG('v', "loud", "a second -v"),
	    OPT_SET(opt_rows_basic),
	    OPT_END,
	};
	static const struct opt_row twice_name[] = {
	    OPT_FLAG(OPT_OWN, "help", "a second --help"),
	    OPT_SET(opt_rows_basic),
	    OPT_END,
	};

	(void)state;
	log_init("tool");
	expect(twice_id, 1, "tool: option table: id 118 twice\n", (char *)NULL);
	expect(
	    twice_name, 1, "tool: option table: --help twice\n", (char *)NULL);
}

static void
test_list_options(void **state)
{
	static const struct opt_row rows[] = {
	    OPT_ARG('C', "count", "n", "10", "stop after n"),
	    OPT_FLAG(OWN_ZETA, "zeta", "the last flag"),
	    {.id = 'x', .has_arg = no_argument, .help = "a letter only"},
	    {.id = OWN_SECRET,
		.name = "secret",
		.has_arg = no_argument,
		.help = "hidden",
		.flags = OPT_HIDDEN},
	    OPT_END,
	};
	struct buf b = BUF_INIT;

	(void)state;
	opt_list(&b, rows);
	assert_string_equal(buf_cstr(&b),
	    "-C\t--count\tn\tstop after n (default: 10)\n"
	    "\t--zeta\t\tthe last flag\n"
	    "-x\t\t\ta letter only\n");
	buf_free(&b);
	log_init("tool");
	expect(rows, 0,
	    "-C\t--count\tn\tstop after n (default: 10)\n"
	    "\t--zeta\t\tthe last flag\n"
	    "-x\t\t\ta letter only\n",
	    "--list-options", (char *)NULL);
}

/*
 * A prefix of one visible option and of hidden ones is the visible one:
 * --li is --list although the parser's hidden --list-options starts so
 * too; a prefix of two visible options is an error naming both.
 */
static void
test_prefix_ignores_hidden(void **state)
{
	enum { OWN_LIST = OWN_SECRET + 1, OWN_ALPINE, OWN_SELECT };
	static const struct opt_row rows[] = {
	    OPT_FLAG(OWN_LIST, "list", "list them"),
	    OPT_ARG(OWN_ALPHA, "alpha", "x", NULL, "the first option"),
	    OPT_ARG(OWN_ALPINE, "alpine", "x", NULL, "a second a"),
	    OPT_ARG(OWN_SELECT, "select", "what", NULL, "select what"),
	    {.id = OWN_SECRET,
		.name = "secret",
		.has_arg = required_argument,
		.arg = "s",
		.help = "hidden",
		.flags = OPT_HIDDEN},
	    OPT_END,
	};
	struct opt_parser p;
	char **argv;
	int argc;

	(void)state;
	argv = make_argv(&argc, "tool", "--li", "in", "--se", "v", "--lis",
	    "--sel=w", "--secret", "s", "last", (char *)NULL);
	opt_init(&p, "tool", rows, NULL, argc, argv);
	assert_int_equal(opt_next(&p), OWN_LIST);
	assert_null(p.arg);
	assert_ptr_equal(p.row, opt_find(rows, OWN_LIST));
	assert_int_equal(opt_next(&p), OWN_SELECT);
	assert_string_equal(p.arg, "v");
	assert_int_equal(opt_next(&p), OWN_LIST);
	assert_int_equal(opt_next(&p), OWN_SELECT);
	assert_string_equal(p.arg, "w");
	/* spelled out, a hidden option is still taken */
	assert_int_equal(opt_next(&p), OWN_SECRET);
	assert_string_equal(p.arg, "s");
	assert_int_equal(opt_next(&p), -1);
	/* the operands, in order, after the options (getopt permutes) */
	assert_int_equal(opt_end(&p), argc - 2);
	assert_string_equal(argv[argc - 2], "in");
	assert_string_equal(argv[argc - 1], "last");

	log_init("tool");
	expect(rows, 2,
	    "tool: option '--al' is ambiguous: --alpha, --alpine\n" TRY, "--al",
	    "x", (char *)NULL);
	expect(rows, 2, "tool: option '--list' takes no argument\n" TRY,
	    "--li=x", (char *)NULL);
	expect(rows, 2, "tool: option '--select' needs an argument\n" TRY,
	    "--se", (char *)NULL);
	expect(rows, 2, "tool: unknown option '--bogus'\n" TRY, "--bogus",
	    (char *)NULL);
}

/* Every shared row says what it does, in one line. */
static void
test_shared_rows_have_help(void **state)
{
	const struct opt_row *sets[] = {
	    opt_rows_basic, opt_rows_basic_mqtt, common_opt_rows, NULL};
	const struct opt_row *r;
	size_t i;

	(void)state;
	for (i = 0; sets[i] != NULL; i++)
		for (r = sets[i]; r->id != 0; r++) {
			assert_non_null(r->help);
			assert_true(strlen(r->help) > 10);
			assert_null(strchr(r->help, '\n'));
			assert_non_null(r->name);
			if (r->has_arg != no_argument)
				assert_non_null(r->arg);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage_order),
	    cmocka_unit_test(test_help_text),
	    cmocka_unit_test(test_parse_loop),
	    cmocka_unit_test(test_exits_and_messages),
	    cmocka_unit_test(test_duplicates_are_fatal),
	    cmocka_unit_test(test_list_options),
	    cmocka_unit_test(test_prefix_ignores_hidden),
	    cmocka_unit_test(test_shared_rows_have_help),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
