/* SPDX-License-Identifier: MIT */
/* Unit tests for common/stats: counters, JSON stats lines, --progress. */
#define _XOPEN_SOURCE 700 /* posix_openpt() and friends */

#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/log.h"
#include "common/stats.h"
#include "tests/unit/capture.h"

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* Parse one stats line (with its '\n') with jansson; caller decrefs. */
static json_t *
parse_line(const char *line, size_t len)
{
	json_error_t e;
	json_t *j;

	assert_true(len > 2);
	assert_int_equal(line[len - 1], '\n');
	assert_int_equal(line[0], '{');
	j = json_loadb(line, len - 1, 0, &e);
	if (j == NULL)
		fail_msg("bad stats line: %s: %.*s", e.text, (int)len, line);
	assert_true(json_is_object(j));
	return j;
}

static json_int_t
int_member(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	assert_non_null(v);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static double
num_member(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	assert_non_null(v);
	assert_true(json_is_number(v));
	return json_number_value(v);
}

static void
test_counters(void **state)
{
	struct stats *s = stats_new("vnorm");
	uint64_t *in, *out, *rej, *merged, *again;
	char name[32];
	int i;

	(void)state;
	in = stats_counter(s, "in");
	out = stats_counter(s, "out");
	rej = stats_counter(s, "rejected");
	assert_true(in != out && out != rej && in != rej);
	assert_true(*in == 0 && *out == 0 && *rej == 0);
	merged = stats_counter(s, "merged");
	assert_true(*merged == 0);
	*in += 10;
	*merged = 3;
	/* Many more registrations: old pointers stay valid. */
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		*stats_counter(s, name) = (uint64_t)i;
	}
	again = stats_counter(s, "in");
	assert_ptr_equal(again, in);
	assert_ptr_equal(stats_counter(s, "merged"), merged);
	assert_true(*in == 10 && *merged == 3);
	assert_true(*stats_counter(s, "c199") == 199);
	stats_free(s);
	stats_free(NULL);
}

static void
test_line_format_and_order(void **state)
{
	struct stats *s = stats_new("vnorm");
	struct capture c;
	const char *p, *prev;
	char *out;
	json_t *j;
	size_t i;
	static const char *const order[] = {
	    "\"tool\":", "\"elapsed_s\":", "\"in\":", "\"out\":",
	    "\"rejected\":", "\"merged\":", "\"warnings\":", "\"rate\":"};

	(void)state;
	/* Registration order, not alphabetical: "warnings" before "merged"
	 * would be wrong here. */
	*stats_counter(s, "merged") = 2;
	stats_counter(s, "warnings");
	*stats_counter(s, "in") = 10;
	*stats_counter(s, "out") = 9;
	*stats_counter(s, "rejected") = 1;
	cap_begin(&c);
	stats_print(s); /* prints even with --stats off (SIGUSR1) */
	out = cap_end(&c);

	assert_int_equal(count_lines(out), 1);
	assert_true(
	    strncmp(out, "{\"tool\":\"vnorm\",\"elapsed_s\":", 28) == 0);
	/* Three decimals exactly. */
	p = strchr(out + 28, ',');
	assert_non_null(p);
	assert_int_equal(p - strchr(out + 28, '.'), 4);
	/* Compact: no blanks anywhere. */
	assert_null(strchr(out, ' '));
	prev = out;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		p = strstr(out, order[i]);
		assert_non_null(p);
		assert_true(p >= prev);
		prev = p;
	}
	assert_null(strstr(out, "final"));

	j = parse_line(out, strlen(out));
	assert_string_equal(
	    json_string_value(json_object_get(j, "tool")), "vnorm");
	assert_int_equal(int_member(j, "in"), 10);
	assert_int_equal(int_member(j, "out"), 9);
	assert_int_equal(int_member(j, "rejected"), 1);
	assert_int_equal(int_member(j, "merged"), 2);
	assert_int_equal(int_member(j, "warnings"), 0);
	assert_true(num_member(j, "elapsed_s") >= 0);
	assert_true(num_member(j, "rate") >= 0);
	assert_int_equal(json_object_size(j), 8);
	json_decref(j);
	free(out);
	stats_free(s);
}

static void
test_rate(void **state)
{
	struct stats *s = stats_new("esbulk");
	struct capture c;
	char *out;
	json_t *j;
	double el, rate, want;

	(void)state;
	*stats_counter(s, "in") = 5000;
	*stats_counter(s, "retries") = 4;
	sleep_ms(100);
	cap_begin(&c);
	stats_print(s);
	out = cap_end(&c);
	j = parse_line(out, strlen(out));
	el = num_member(j, "elapsed_s");
	rate = num_member(j, "rate");
	assert_true(el >= 0.099 && el < 5);
	want = 5000 / el;
	/* elapsed_s is rounded to the ms, rate to 0.1. */
	assert_true(fabs(rate - want) <= want * 0.011 + 0.05);
	assert_int_equal(int_member(j, "retries"), 4);
	json_decref(j);
	free(out);
	stats_free(s);
}

static void
test_final(void **state)
{
	struct stats *s = stats_new("vnorm");
	struct capture c;
	char *out;
	json_t *j;
	int i;

	(void)state;
	stats_configure(s, 0, true, false);
	assert_int_equal(stats_next_ms(s), -1);
	cap_begin(&c);
	for (i = 0; i < 5000; i++) {
		(*stats_counter(s, "in"))++;
		stats_tick(s);
	}
	stats_check(s);
	stats_final(s);
	stats_final(s); /* once only */
	stats_tick(s);
	out = cap_end(&c);
	/* --stats 0: no periodic line, one final line. */
	assert_int_equal(count_lines(out), 1);
	j = parse_line(out, strlen(out));
	assert_true(json_is_true(json_object_get(j, "final")));
	assert_int_equal(int_member(j, "in"), 5000);
	assert_true(strstr(out, ",\"final\":true}\n") != NULL);
	json_decref(j);
	free(out);
	stats_free(s);
}

static void
test_disabled_prints_nothing(void **state)
{
	struct stats *s = stats_new("vnorm");
	struct capture c;
	char *out;
	int i;

	(void)state;
	stats_configure(s, 0.01, false, false);
	cap_begin(&c);
	for (i = 0; i < 20; i++) {
		stats_tick(s);
		sleep_ms(2);
	}
	stats_final(s);
	out = cap_end(&c);
	assert_string_equal(out, "");
	free(out);
	stats_free(s);

	/* Never configured: the same. */
	s = stats_new("vnorm");
	cap_begin(&c);
	stats_tick(s);
	stats_check(s);
	stats_final(s);
	out = cap_end(&c);
	assert_string_equal(out, "");
	free(out);
	stats_free(s);
}

static void
test_interval_lines(void **state)
{
	struct stats *s = stats_new("vnorm");
	struct capture c;
	char *out, *line, *nl;
	double last = 0, el = 0;
	size_t n, periodic = 0;
	json_t *j;
	int i;

	(void)state;
	stats_configure(s, 0.05, true, false);
	n = (size_t)stats_next_ms(s);
	assert_true(n > 0 && n <= 51);
	cap_begin(&c);
	/* At least 230 ms of records: lines at 50, 100, 150, 200 ms ... */
	for (i = 0; i < 115; i++) {
		(*stats_counter(s, "in"))++;
		stats_tick(s);
		sleep_ms(2);
	}
	stats_final(s);
	out = cap_end(&c);
	for (line = out; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		j = parse_line(line, (size_t)(nl - line + 1));
		el = num_member(j, "elapsed_s");
		assert_true(el >= last);
		last = el;
		assert_true(el >= 0.05);
		if (nl[1] != '\0') {
			assert_null(json_object_get(j, "final"));
			periodic++;
		} else
			assert_non_null(json_object_get(j, "final"));
		json_decref(j);
	}
	/* ... and never more than one per interval, however slow the
	 * machine (sanitizers) made the sleeps. */
	assert_true(el >= 0.23);
	assert_true(periodic >= 4);
	assert_true(periodic <= (size_t)(el / 0.05));
	free(out);
	stats_free(s);
}

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *p = calloc(1, 8192);
	size_t n;

	assert_non_null(p);
	if (f == NULL) {
		free(p);
		return NULL;
	}
	n = fread(p, 1, 8191, f);
	p[n] = '\0';
	fclose(f);
	return p;
}

static void
test_metrics_file(void **state)
{
	char dir[] = "/tmp/test_stats.XXXXXX", path[64], tmp[80], *text, *t;
	struct stats *s = stats_new("esbulk");
	uint64_t *in = stats_counter(s, "in");

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/esbulk.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	stats_configure(s, 0.02, false, false);
	*stats_counter(s, "retries") = 2;
	*stats_gauge(s, "latency_ms") = 7;
	stats_metrics_file(s, path);
	/* written at once, up */
	text = slurp(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "iotpipe_up{program=\"esbulk\",file=\"esbulk\"} 1\n"));
	assert_non_null(
	    strstr(text, "iotpipe_in_total{program=\"esbulk\",file=\"esbulk\"} 0\n"));
	free(text);
	/* rewritten at the interval, without a stats line */
	*in = 5;
	sleep_ms(30);
	stats_check(s);
	text = slurp(path);
	assert_non_null(
	    strstr(text, "iotpipe_in_total{program=\"esbulk\",file=\"esbulk\"} 5\n"));
	free(text);
	*in = 6;
	stats_final(s);
	text = slurp(path);
	/* the start time aside, exactly this */
	t = strstr(text, "# HELP iotpipe_in_total");
	assert_non_null(t);
	assert_string_equal(t,
	    "# HELP iotpipe_in_total The \"in\" figure of --stats.\n"
	    "# TYPE iotpipe_in_total counter\n"
	    "iotpipe_in_total{program=\"esbulk\",file=\"esbulk\"} 6\n"
	    "# HELP iotpipe_out_total The \"out\" figure of --stats.\n"
	    "# TYPE iotpipe_out_total counter\n"
	    "iotpipe_out_total{program=\"esbulk\",file=\"esbulk\"} 0\n"
	    "# HELP iotpipe_rejected_total The \"rejected\" figure of --stats.\n"
	    "# TYPE iotpipe_rejected_total counter\n"
	    "iotpipe_rejected_total{program=\"esbulk\",file=\"esbulk\"} 0\n"
	    "# HELP iotpipe_retries_total The \"retries\" figure of --stats.\n"
	    "# TYPE iotpipe_retries_total counter\n"
	    "iotpipe_retries_total{program=\"esbulk\",file=\"esbulk\"} 2\n"
	    "# HELP iotpipe_latency_ms The \"latency_ms\" figure of --stats.\n"
	    "# TYPE iotpipe_latency_ms gauge\n"
	    "iotpipe_latency_ms{program=\"esbulk\",file=\"esbulk\"} 7\n");
	assert_non_null(strstr(text, "iotpipe_up{program=\"esbulk\",file=\"esbulk\"} 0\n"));
	assert_non_null(strstr(text,
	    "# TYPE iotpipe_start_time_seconds gauge\n"
	    "iotpipe_start_time_seconds{program=\"esbulk\",file=\"esbulk\"} 1"));
	free(text);
	/* renamed into place: no temporary file left */
	assert_int_equal(access(tmp, F_OK), -1);
	stats_free(s);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_stats_check_when_idle(void **state)
{
	struct stats *s = stats_new("mqtt2json");
	struct capture c;
	char *out;
	int ms;

	(void)state;
	stats_configure(s, 0.03, true, false);
	cap_begin(&c);
	stats_check(s); /* too early */
	ms = stats_next_ms(s);
	assert_true(ms >= 0 && ms <= 31);
	sleep_ms(ms + 5);
	assert_int_equal(stats_next_ms(s), 0);
	stats_check(s); /* no record, but a line is due */
	stats_final(s);
	out = cap_end(&c);
	assert_int_equal(count_lines(out), 2);
	/* The first line is the periodic one. */
	assert_true(strstr(out, "final") > strchr(out, '\n'));
	free(out);
	stats_free(s);
}

static void
test_progress_needs_tty(void **state)
{
	struct stats *s = stats_new("vnorm");
	struct capture c;
	char *out;

	(void)state;
	cap_begin(&c); /* a regular file, not a terminal */
	stats_configure(s, 0, false, true);
	stats_tick(s);
	sleep_ms(300);
	stats_tick(s);
	stats_final(s);
	out = cap_end(&c);
	assert_string_equal(out, "");
	free(out);
	stats_free(s);
}

/* Everything the pty master has to read within ms milliseconds. */
static size_t
drain_pty(int master, char *buf, size_t cap, int ms)
{
	struct pollfd p = {.fd = master, .events = POLLIN};
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1 && poll(&p, 1, ms) == 1) {
		n = read(master, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		ms = 20;
	}
	buf[len] = '\0';
	return len;
}

#define ERASE "\r\033[K"
#define starts(s, lit) (strncmp((s), (lit), sizeof(lit) - 1) == 0)

static void
test_progress_on_tty(void **state)
{
	struct stats *s;
	struct termios t;
	char buf[4096], *nl;
	const char *name;
	int master, slave, saved;
	size_t len;

	(void)state;
	log_init("vnorm");
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    (name = ptsname(master)) == NULL)
		skip();
	slave = open(name, O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	/* No "\n" -> "\r\n" translation: compare the bytes we wrote. */
	assert_int_equal(tcgetattr(slave, &t), 0);
	t.c_oflag &= ~(tcflag_t)OPOST;
	assert_int_equal(tcsetattr(slave, TCSANOW, &t), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(slave, STDERR_FILENO);

	s = stats_new("vnorm");
	stats_configure(s, 0, true, true);
	stats_tick(s); /* first draw right away */
	*stats_counter(s, "in") = 7;
	*stats_counter(s, "out") = 6;
	*stats_counter(s, "rejected") = 1;
	stats_tick(s); /* within 250 ms: no redraw */
	/* Each draw erases the line first ("\r" and erase to its end). */
	len = drain_pty(master, buf, sizeof(buf), 500);
	assert_string_equal(buf, ERASE "vnorm: in 0 out 0 rejected 0  0/s");

	sleep_ms(300);
	stats_tick(s);
	len = drain_pty(master, buf, sizeof(buf), 500);
	assert_true(len > 0);
	assert_true(starts(buf, ERASE "vnorm: in 7 out 6 rejected 1  "));
	assert_true(strcmp(buf + len - 2, "/s") == 0);

	/* SIGUSR1 line: erase, JSON line, progress drawn again. */
	stats_print(s);
	len = drain_pty(master, buf, sizeof(buf), 500);
	assert_true(starts(buf, ERASE "{\"tool\":\"vnorm\""));
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	assert_true(starts(nl + 1, ERASE "vnorm: in 7 out 6 rejected 1  "));

	/* Any other message erases the line and draws it again after. */
	log_warn("line 3: invalid JSON");
	drain_pty(master, buf, sizeof(buf), 500);
	assert_true(starts(buf, ERASE "vnorm: line 3: invalid JSON\n"));
	assert_non_null(strstr(buf, "\n" ERASE "vnorm: in 7 out 6"));

	/* Final: the line is erased, a summary is left, then the JSON. */
	stats_final(s);
	drain_pty(master, buf, sizeof(buf), 500);
	assert_true(
	    starts(buf, ERASE "vnorm: in 7 out 6 rejected 1 in 0:00 ("));
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	assert_true(starts(nl + 1, "{\"tool\":\"vnorm\""));
	assert_non_null(strstr(buf, ",\"final\":true}\n"));
	/* erased once: nothing after the final line */
	log_warn("after");
	drain_pty(master, buf, sizeof(buf), 500);
	assert_string_equal(buf, "vnorm: after\n");

	dup2(saved, STDERR_FILENO);
	close(saved);
	close(slave);
	close(master);
	stats_free(s);
}

static uint64_t
half_done(void *arg)
{
	return *(uint64_t *)arg;
}

/* A 30-column terminal and known work: percent and ETA first, the line cut
 * to 29 columns so it never wraps. */
static void
test_progress_fits_and_percent(void **state)
{
	struct stats *s;
	struct termios t;
	struct winsize ws = {.ws_row = 24, .ws_col = 30};
	char buf[4096];
	const char *name;
	int master, slave, saved;
	uint64_t done = 50;

	(void)state;
	log_init("vnorm");
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    (name = ptsname(master)) == NULL)
		skip();
	slave = open(name, O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	t.c_oflag &= ~(tcflag_t)OPOST;
	assert_int_equal(tcsetattr(slave, TCSANOW, &t), 0);
	assert_int_equal(ioctl(slave, TIOCSWINSZ, &ws), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(slave, STDERR_FILENO);

	s = stats_new("vnorm");
	stats_configure(s, 0, false, true);
	stats_set_total(s, 100, half_done, &done);
	*stats_counter(s, "in") = 123456789;
	sleep_ms(20);
	stats_tick(s);
	drain_pty(master, buf, sizeof(buf), 500);
	assert_true(starts(buf, ERASE "vnorm: 50% ETA 0:00 in 1234"));
	assert_int_equal(strlen(buf), sizeof(ERASE) - 1 + 29);
	stats_final(s);
	drain_pty(master, buf, sizeof(buf), 500);
	assert_true(
	    starts(buf, ERASE "vnorm: in 123456789 out 0 rejected 0 in "));

	dup2(saved, STDERR_FILENO);
	close(saved);
	close(slave);
	close(master);
	stats_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_line_format_and_order),
	    cmocka_unit_test(test_rate),
	    cmocka_unit_test(test_final),
	    cmocka_unit_test(test_disabled_prints_nothing),
	    cmocka_unit_test(test_interval_lines),
	    cmocka_unit_test(test_stats_check_when_idle),
	    cmocka_unit_test(test_progress_needs_tty),
	    cmocka_unit_test(test_progress_on_tty),
	    cmocka_unit_test(test_progress_fits_and_percent),
	    cmocka_unit_test(test_metrics_file),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
