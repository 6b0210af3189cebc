/* SPDX-License-Identifier: MIT */
/* Unit tests for common/reject: the exact reject lines, one test per
 * filler, targets, reopen. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
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
#include "common/reject.h"

static char dir[] = "/tmp/iotpipe-test-reject-XXXXXX";

static const char *
tpath(const char *name)
{
	static char path[2][512];
	static int which;

	which = !which;
	snprintf(path[which], sizeof(path[which]), "%s/%s", dir, name);
	return path[which];
}

/* The whole file; caller frees.  A missing file reads as "". */
static char *
slurp(const char *path, size_t *lenp)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			buf_add(&b, chunk, (size_t)n);
		close(fd);
	}
	if (lenp != NULL)
		*lenp = b.len;
	buf_cstr(&b);
	return b.data;
}

static size_t
read_fd(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static int
group_setup(void **state)
{
	(void)state;
	log_init("vnorm");
	signal(SIGPIPE, SIG_IGN);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct reject_stream *
open_ok(const char *path)
{
	struct buf err = BUF_INIT;
	struct reject_stream *r = reject_open(path, "vnorm", &err);

	if (r == NULL)
		fail_msg("reject_open: %s", buf_cstr(&err));
	buf_free(&err);
	return r;
}

/* A reject with no extra members, as most tests here write it. */
static int
put(struct reject_stream *r, const char *meta, size_t meta_len,
    const char *reason, unsigned long long line, const char *input, size_t len)
{
	struct reject rec;

	reject_init(&rec, reason, line, input, len);
	reject_with_meta(&rec, meta, meta_len);
	return reject_write(r, &rec);
}

/* rec written alone to a fresh file, as the file holds it; caller frees. */
static char *
line_of(const char *name, const struct reject *rec)
{
	const char *path = tpath(name);
	struct reject_stream *r;
	char *got;

	r = open_ok(path);
	assert_int_equal(reject_write(r, rec), 0);
	assert_int_equal(reject_close(r), 0);
	got = slurp(path, NULL);
	unlink(path);
	return got;
}

static void
test_file_exact_bytes(void **state)
{
	static const char meta[] = "{\"mqtt\":{\"topic\":\"v/1\",\"qos\":1}}";
	static const char want[] =
	    "{\"@metadata\":{\"mqtt\":{\"topic\":\"v/1\",\"qos\":1}},"
	    "\"error\":{\"tool\":\"vnorm\",\"reason\":\"missing vin\","
	    "\"line\":1234},\"input\":\"{\\\"speed\\\":80.3}\"}\n"
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"invalid JSON\","
	    "\"line\":1235},\"input\":\"{\\\"a\\\":\"}\n";
	const char *path = tpath("exact.ndjson");
	struct reject_stream *r;
	char *got;

	(void)state;
	r = open_ok(path);
	assert_false(reject_is_log(r));
	assert_int_equal(put(r, meta, strlen(meta), "missing vin", 1234,
			     "{\"speed\":80.3}", 14),
	    0);
	/* No metadata: the member is left out, not null. */
	assert_int_equal(
	    put(r, NULL, 0, "invalid JSON", 1235, "{\"a\":", 5), 0);
	assert_int_equal(reject_close(r), 0);
	got = slurp(path, NULL);
	assert_string_equal(got, want);
	free(got);
}

static void
test_escaping(void **state)
{
	static const char input[] = "a\0b\"\\\n\t\x01\xff\xc3\x28"
				    "\xe2\x82\xac\r";
	static const char want[] =
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"bad \\\"x\\\"\","
	    "\"line\":7},\"input\":\"a\\u0000b\\\"\\\\\\n\\t\\u0001"
	    "\xef\xbf\xbd\xef\xbf\xbd("
	    "\xe2\x82\xac\\r\"}\n";
	const char *path = tpath("escape.ndjson");
	struct reject_stream *r;
	char *got;
	size_t len;

	(void)state;
	r = open_ok(path);
	assert_int_equal(
	    put(r, NULL, 0, "bad \"x\"", 7, input, sizeof(input) - 1), 0);
	assert_int_equal(reject_close(r), 0);
	got = slurp(path, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	free(got);
}

static void
test_members_and_no_line(void **state)
{
	static const char want[] =
	    "{\"@metadata\":{},\"error\":{\"tool\":\"vnorm\",\"reason\":"
	    "\"undeliverable\"},\"input\":\"x\"}\n"
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"r\",\"line\":9},"
	    "\"input\":\"\"}\n";
	const char *path = tpath("extra.ndjson");
	struct reject_stream *r;
	char *got;

	(void)state;
	r = open_ok(path);
	/* line 0: no line number known (a message, not a line). */
	assert_int_equal(put(r, "{}", 2, "undeliverable", 0, "x", 1), 0);
	/* A zero length leaves meta out; NULL input is "". */
	assert_int_equal(put(r, "{}", 0, "r", 9, NULL, 0), 0);
	assert_int_equal(reject_close(r), 0);
	got = slurp(path, NULL);
	assert_string_equal(got, want);
	free(got);
}

/* Every member of "error", in its order; NULL reason is "rejected". */
static void
test_every_member(void **state)
{
	static const char cause[] = "{\"type\":\"number_format_exception\"}";
	struct reject rec;
	char *got;

	(void)state;
	reject_init(&rec, NULL, 3, "\xff", 1);
	rec.bytes = 2;
	rec.base64 = true;
	rec.kafka_error = "MSG_SIZE_TOO_LARGE";
	rec.broker_error = "NOT_ENOUGH_REPLICAS";
	rec.possibly_persisted = true;
	rec.status = 400;
	rec.type = "mapper_parsing_exception";
	rec.caused_by = cause;
	rec.caused_by_len = strlen(cause);
	got = line_of("every.ndjson", &rec);
	assert_string_equal(got,
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"rejected\","
	    "\"line\":3,\"bytes\":2,\"truncated\":true,\"input_base64\":\"/w==\","
	    "\"kafka_error\":\"MSG_SIZE_TOO_LARGE\","
	    "\"broker_error\":\"NOT_ENOUGH_REPLICAS\",\"possibly_persisted\":true,"
	    "\"status\":400,\"type\":\"mapper_parsing_exception\","
	    "\"caused_by\":{\"type\":\"number_format_exception\"}},"
	    "\"input\":\"\xef\xbf\xbd\"}\n");
	free(got);
}

/* The filler for a line over --max-line: the same rule in every program. */
static void
test_filler_too_long(void **state)
{
	static const char line26[] = "{\"vin\":\"V1\",\"speed\":80.25}";
	struct reject rec;
	char big[3000];
	char *got;

	(void)state;
	assert_int_equal(strlen(line26), 26);
	/* 26 bytes over a limit of 16: the reader holds all of it, so
	 * "bytes" and no "truncated" */
	reject_init(&rec, "ignored", 1, line26, 26);
	reject_too_long(&rec, 26);
	assert_string_equal(rec.reason, "line too long");
	assert_int_equal(rec.input_len, 26);
	got = line_of("long1.ndjson", &rec);
	assert_string_equal(got,
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"line too long\","
	    "\"line\":1,\"bytes\":26},\"input\":"
	    "\"{\\\"vin\\\":\\\"V1\\\",\\\"speed\\\":80.25}\"}\n");
	free(got);

	/* the first bytes a reader kept of a longer line: "truncated" */
	memset(big, 'a', sizeof(big));
	reject_init(&rec, NULL, 2, big, REJECT_KEEP);
	reject_too_long(&rec, 5000000);
	assert_int_equal(rec.input_len, REJECT_KEEP);
	got = line_of("long2.ndjson", &rec);
	assert_non_null(strstr(got,
	    "\"line\":2,\"bytes\":5000000,\"truncated\":true},\"input\":\""));
	assert_int_equal(strlen(got), 105 + REJECT_KEEP);
	free(got);

	/* a whole record in memory (a message): cut to REJECT_KEEP */
	reject_init(&rec, NULL, 0, big, sizeof(big));
	reject_too_long(&rec, sizeof(big));
	assert_int_equal(rec.input_len, REJECT_KEEP);
	assert_int_equal(rec.bytes, sizeof(big));
}

/* The filler for a payload that may not be text. */
static void
test_filler_binary(void **state)
{
	static const char bin[] = "a\xff\x00z";
	struct reject rec;
	char big[2000];
	char *got;

	(void)state;
	/* UTF-8 text: nothing added */
	reject_init(&rec, "r", 0, "{\"a\":1}", 7);
	reject_binary(&rec);
	assert_int_equal(rec.bytes, 0);
	assert_false(rec.base64);
	/* not UTF-8: every byte kept */
	reject_init(&rec, "binary payload (not UTF-8)", 0, bin, 4);
	reject_binary(&rec);
	got = line_of("bin.ndjson", &rec);
	assert_string_equal(got,
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"binary payload (not "
	    "UTF-8)\",\"bytes\":4,\"input_base64\":\"Yf8Aeg==\"},"
	    "\"input\":\"a\xef\xbf\xbd\\u0000z\"}\n");
	free(got);
	/* too long but whole (a message over a small limit): both */
	reject_init(&rec, NULL, 0, bin, 4);
	reject_too_long(&rec, 4);
	reject_binary(&rec);
	assert_true(rec.base64);
	assert_int_equal(rec.bytes, 4);
	/* cut by the too-long filler: the first bytes are not the payload,
	 * so no base64 of them */
	memset(big, '\xff', sizeof(big));
	reject_init(&rec, NULL, 0, big, sizeof(big));
	reject_too_long(&rec, sizeof(big));
	reject_binary(&rec);
	assert_false(rec.base64);
	assert_int_equal(rec.bytes, sizeof(big));
	/* no payload at all (a Kafka null value) */
	reject_init(&rec, "r", 0, NULL, 0);
	reject_binary(&rec);
	assert_false(rec.base64);
}

/* The filler for a record that came with @metadata. */
static void
test_filler_with_meta(void **state)
{
	static const char meta[] = "{\"kafka\":{\"topic\":\"t\",\"offset\":3}}";
	struct reject rec;
	char *got;

	(void)state;
	reject_init(&rec, "r", 0, "x", 1);
	reject_with_meta(&rec, meta, strlen(meta));
	got = line_of("meta1.ndjson", &rec);
	assert_string_equal(got,
	    "{\"@metadata\":{\"kafka\":{\"topic\":\"t\",\"offset\":3}},"
	    "\"error\":{\"tool\":\"vnorm\",\"reason\":\"r\"},\"input\":\"x\"}\n");
	free(got);
	/* none: left out, not null */
	reject_with_meta(&rec, NULL, 5);
	assert_null(rec.meta);
	assert_int_equal(rec.meta_len, 0);
	got = line_of("meta2.ndjson", &rec);
	assert_string_equal(got,
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"r\"},\"input\":\"x\"}\n");
	free(got);
}

static void
test_regular_file_buffered(void **state)
{
	const char *path = tpath("buffered.ndjson");
	struct reject_stream *r;
	char *got;
	size_t len;
	int i;

	(void)state;
	r = open_ok(path);
	assert_int_equal(put(r, NULL, 0, "r", 1, "x", 1), 0);
	got = slurp(path, &len);
	assert_int_equal(len, 0); /* still in our buffer */
	free(got);
	assert_int_equal(reject_flush(r), 0);
	got = slurp(path, &len);
	assert_true(len > 0);
	assert_int_equal(got[len - 1], '\n');
	free(got);
	/* A big backlog goes out by itself, in whole lines. */
	for (i = 0; i < 2000; i++)
		assert_int_equal(put(r, NULL, 0, "r", 2, "y", 1), 0);
	got = slurp(path, &len);
	assert_true(len >= 65536);
	assert_int_equal(got[len - 1], '\n');
	free(got);
	assert_int_equal(reject_close(r), 0);
	assert_int_equal(reject_close(NULL), 0);
}

static void
test_appends(void **state)
{
	const char *path = tpath("append.ndjson");
	struct reject_stream *r;
	char *got;
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old\n", 4), 4);
	close(fd);
	r = open_ok(path);
	assert_int_equal(put(r, NULL, 0, "r", 1, "x", 1), 0);
	assert_int_equal(reject_close(r), 0);
	got = slurp(path, NULL);
	assert_true(strncmp(got, "old\n{\"error\":", 13) == 0);
	free(got);
}

static void
test_reopen_after_rename(void **state)
{
	const char *path = tpath("rot.ndjson");
	const char *old = tpath("rot.ndjson.1");
	struct reject_stream *r;
	char *got;

	(void)state;
	r = open_ok(path);
	assert_int_equal(put(r, NULL, 0, "first", 1, "a", 1), 0);
	/* logrotate: rename, then SIGHUP. */
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(put(r, NULL, 0, "second", 2, "b", 1), 0);
	assert_int_equal(reject_reopen(r), 0);
	assert_int_equal(put(r, NULL, 0, "third", 3, "c", 1), 0);
	assert_int_equal(reject_close(r), 0);

	got = slurp(old, NULL);
	assert_non_null(strstr(got, "\"first\""));
	assert_non_null(strstr(got, "\"second\""));
	assert_null(strstr(got, "\"third\""));
	free(got);
	got = slurp(path, NULL);
	assert_string_equal(got,
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"third\",\"line\":3},"
	    "\"input\":\"c\"}\n");
	free(got);
}

static void
test_reopen_failure_keeps_old(void **state)
{
	char sub[600], path[700];
	struct reject_stream *r;
	char *got;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/r.ndjson", sub);
	r = open_ok(path);
	assert_int_equal(put(r, NULL, 0, "one", 1, "a", 1), 0);
	/* The directory goes away: the reopen fails, the old fd stays. */
	assert_int_equal(rename(sub, tpath("sub.old")), 0);
	errno = 0;
	assert_int_equal(reject_reopen(r), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(put(r, NULL, 0, "two", 2, "b", 1), 0);
	assert_int_equal(reject_close(r), 0);
	got = slurp(tpath("sub.old/r.ndjson"), NULL);
	assert_non_null(strstr(got, "\"one\""));
	assert_non_null(strstr(got, "\"two\""));
	free(got);
}

static void
test_dev_fd(void **state)
{
	struct reject_stream *r;
	char name[32], buf[1024];
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	snprintf(name, sizeof(name), "/dev/fd/%d", fds[1]);
	r = open_ok(name);
	/* A pipe: every line at once, no flush needed. */
	assert_int_equal(put(r, NULL, 0, "r", 5, "z", 1), 0);
	assert_int_equal(reject_reopen(r), 0); /* nothing to reopen */
	assert_int_equal(put(r, NULL, 0, "s", 6, "w", 1), 0);
	/* Closing the stream leaves the caller's descriptor open. */
	assert_int_equal(reject_close(r), 0);
	assert_true(fcntl(fds[1], F_GETFD) >= 0);
	close(fds[1]);
	read_fd(fds[0], buf, sizeof(buf));
	close(fds[0]);
	assert_string_equal(buf,
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"r\",\"line\":5},"
	    "\"input\":\"z\"}\n"
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"s\",\"line\":6},"
	    "\"input\":\"w\"}\n");
}

static void
test_stdout(void **state)
{
	struct reject_stream *r;
	char buf[1024];
	int fds[2], saved;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fds[1], STDOUT_FILENO);
	close(fds[1]);
	r = open_ok("-");
	assert_int_equal(put(r, NULL, 0, "r", 1, "x", 1), 0);
	assert_int_equal(reject_close(r), 0);
	/* fd 1 is still open: closing the stream did not close it. */
	assert_int_equal(write(STDOUT_FILENO, "after\n", 6), 6);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	read_fd(fds[0], buf, sizeof(buf));
	close(fds[0]);
	assert_string_equal(buf,
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"r\",\"line\":1},"
	    "\"input\":\"x\"}\nafter\n");
}

static void
test_fifo(void **state)
{
	const char *path = tpath("fifo");
	struct reject_stream *r;
	char buf[1024];
	int rd;

	(void)state;
	assert_int_equal(mkfifo(path, 0600), 0);
	/* A reader first, so opening for writing does not wait. */
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	r = open_ok(path);
	assert_int_equal(put(r, NULL, 0, "r", 1, "x", 1), 0);
	/* Not a regular file: the line is there without a flush. */
	assert_int_equal(read(rd, buf, sizeof(buf)), 61);
	assert_memory_equal(buf,
	    "{\"error\":{\"tool\":\"vnorm\",\"reason\":\"r\",\"line\":1},"
	    "\"input\":\"x\"}\n",
	    61);
	/* The reader leaves: EPIPE, reported, not fatal. */
	close(rd);
	errno = 0;
	assert_int_equal(put(r, NULL, 0, "r", 2, "y", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(reject_close(r), 0);
}

static void
test_open_errors(void **state)
{
	struct buf err = BUF_INIT;
	char want[700];

	(void)state;
	assert_null(reject_open(tpath("no/such/dir/r"), "vnorm", &err));
	snprintf(want, sizeof(want),
	    "--rejects %s/no/such/dir/r: No such file or directory", dir);
	assert_string_equal(buf_cstr(&err), want);
	buf_reset(&err);
	assert_null(reject_open("/dev/fd/987", "vnorm", &err));
	assert_string_equal(
	    buf_cstr(&err), "--rejects /dev/fd/987: Bad file descriptor");
	buf_reset(&err);
	assert_null(reject_open(dir, "vnorm", &err));
	assert_non_null(strstr(buf_cstr(&err), ": Is a directory"));
	buf_free(&err);
}

static void
test_no_path_logs(void **state)
{
	struct reject_stream *r;
	struct reject rec;
	char buf[1024];
	int fds[2], saved;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	r = open_ok(NULL);
	assert_true(reject_is_log(r));
	assert_int_equal(put(r, "{}", 2, "missing vin", 12, "{}", 2), 0);
	reject_init(&rec, NULL, 13, "", 0);
	reject_too_long(&rec, 9);
	assert_int_equal(reject_write(r, &rec), 0);
	assert_int_equal(put(r, NULL, 0, "undeliverable", 0, "", 0), 0);
	log_set_verbosity(-1); /* -q */
	assert_int_equal(put(r, NULL, 0, "hidden", 14, "", 0), 0);
	log_set_verbosity(0);
	assert_int_equal(reject_reopen(r), 0);
	assert_int_equal(reject_flush(r), 0);
	assert_int_equal(reject_close(r), 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	read_fd(fds[0], buf, sizeof(buf));
	close(fds[0]);
	assert_string_equal(buf,
	    "vnorm: line 12: missing vin\n"
	    "vnorm: line 13: line too long\n"
	    "vnorm: undeliverable\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_exact_bytes),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_members_and_no_line),
	    cmocka_unit_test(test_every_member),
	    cmocka_unit_test(test_filler_too_long),
	    cmocka_unit_test(test_filler_binary),
	    cmocka_unit_test(test_filler_with_meta),
	    cmocka_unit_test(test_regular_file_buffered),
	    cmocka_unit_test(test_appends),
	    cmocka_unit_test(test_reopen_after_rename),
	    cmocka_unit_test(test_reopen_failure_keeps_old),
	    cmocka_unit_test(test_dev_fd),
	    cmocka_unit_test(test_stdout),
	    cmocka_unit_test(test_fifo),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_no_path_logs),
	};

	return cmocka_run_group_tests_name(
	    "reject", tests, group_setup, group_teardown);
}
