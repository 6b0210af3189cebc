/* SPDX-License-Identifier: MIT */
/* Unit tests for common/env: env_get, secret loading, URL redaction. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
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
#include "common/env.h"
#include "common/log.h"
#include "tests/unit/capture.h"

static char dir[] = "/tmp/iotpipe-test-env-XXXXXX";

/* dir/name with the given bytes and mode; the path (static storage). */
static const char *
make_file(const char *name, const char *data, size_t len, mode_t mode)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static int
group_setup(void **state)
{
	(void)state;
	log_init("kprod");
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

static void
test_env_get(void **state)
{
	(void)state;
	unsetenv("IOTPIPE_TEST_X");
	assert_null(env_get("IOTPIPE_TEST_X"));
	setenv("IOTPIPE_TEST_X", "", 1);
	assert_null(env_get("IOTPIPE_TEST_X"));
	setenv("IOTPIPE_TEST_X", "mqtt://h:1883", 1);
	assert_string_equal(env_get("IOTPIPE_TEST_X"), "mqtt://h:1883");
	setenv("IOTPIPE_TEST_X", " ", 1);
	assert_string_equal(env_get("IOTPIPE_TEST_X"), " ");
	unsetenv("IOTPIPE_TEST_X");
}

/* secret_load from a file with these bytes: 0 and the secret, or -1. */
static void
expect_file_secret(const char *data, size_t len, const char *want)
{
	struct buf err = BUF_INIT;
	const char *path;
	char *out = (char *)1;

	path = make_file("pw", data, len, 0600);
	assert_int_equal(secret_load("IOTPIPE_TEST_PW", path, &out, &err), 0);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(err.len, 0);
	secret_free(out);
	buf_free(&err);
}

static void
test_secret_file_first_line(void **state)
{
	(void)state;
	/* The file wins over the environment. */
	setenv("IOTPIPE_TEST_PW", "from-env", 1);
	expect_file_secret("s3cret\n", 7, "s3cret");
	expect_file_secret("s3cret\r\n", 8, "s3cret");
	expect_file_secret("s3cret", 6, "s3cret");
	expect_file_secret("s3cret\r", 7, "s3cret");
	expect_file_secret("s3cret\nsecond line\n", 19, "s3cret");
	expect_file_secret(" spaced pw \n", 12, " spaced pw ");
	expect_file_secret("a\rb\n", 4, "a\rb");
	unsetenv("IOTPIPE_TEST_PW");
}

/* secret_load(file) must fail; the message, checked to hold no secret. */
static char *
expect_file_error(const char *path, const char *secret)
{
	struct buf err = BUF_INIT;
	char *out = (char *)1, *msg;

	assert_int_equal(secret_load("IOTPIPE_TEST_PW", path, &out, &err), -1);
	assert_null(out);
	msg = strdup(buf_cstr(&err));
	buf_free(&err);
	assert_non_null(msg);
	if (secret != NULL)
		assert_null(strstr(msg, secret));
	assert_null(strchr(msg, '\n'));
	return msg;
}

static void
test_secret_file_errors(void **state)
{
	char want[600], *msg, *big;
	const char *path;

	(void)state;
	/* A missing file does not fall back on the environment. */
	setenv("IOTPIPE_TEST_PW", "hunter2", 1);
	snprintf(want, sizeof(want), "%s/missing", dir);
	msg = expect_file_error(want, "hunter2");
	snprintf(want, sizeof(want),
	    "--password-file %s/missing: No such file or directory", dir);
	assert_string_equal(msg, want);
	free(msg);
	unsetenv("IOTPIPE_TEST_PW");

	msg = expect_file_error(dir, NULL);
	assert_non_null(strstr(msg, "Is a directory"));
	free(msg);

	path = make_file("empty", "", 0, 0600);
	msg = expect_file_error(path, NULL);
	assert_non_null(strstr(msg, ": empty first line"));
	free(msg);

	path = make_file("nl", "\r\nsecond", 8, 0600);
	msg = expect_file_error(path, "second");
	assert_non_null(strstr(msg, ": empty first line"));
	free(msg);

	path = make_file("nul", "ab\0cd\n", 6, 0600);
	msg = expect_file_error(path, NULL);
	assert_non_null(strstr(msg, "NUL byte"));
	free(msg);

	/* Longest accepted first line, then one byte more. */
	big = malloc(SECRET_MAX + 3);
	assert_non_null(big);
	memset(big, 'z', SECRET_MAX + 2);
	memcpy(big + SECRET_MAX, "\r\n", 2);
	path = make_file("max", big, SECRET_MAX + 2, 0600);
	assert_int_equal(strlen(path), strlen(dir) + 4);
	{
		struct buf err = BUF_INIT;
		char *out;

		assert_int_equal(secret_load(NULL, path, &out, &err), 0);
		assert_int_equal(strlen(out), SECRET_MAX);
		secret_free(out);
		buf_free(&err);
	}
	memset(big, 'z', SECRET_MAX + 2);
	path = make_file("toolong", big, SECRET_MAX + 1, 0600);
	msg = expect_file_error(path, NULL);
	assert_non_null(strstr(msg, "first line longer than 65535 bytes"));
	free(msg);
	free(big);
}

static void
test_secret_file_unreadable(void **state)
{
	const char *path;
	char *msg;
	int status;
	pid_t pid;

	(void)state;
	path = make_file("noperm", "topsecret\n", 10, 0000);
	if (geteuid() != 0) {
		msg = expect_file_error(path, "topsecret");
		assert_non_null(strstr(msg, "Permission denied"));
		free(msg);
		return;
	}
	/* Root reads anything: try as nobody, in a child. */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct buf err = BUF_INIT;
		char *out = NULL;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		if (secret_load(NULL, path, &out, &err) != -1 || out != NULL)
			_exit(1);
		if (strstr(buf_cstr(&err), "Permission denied") == NULL ||
		    strstr(buf_cstr(&err), "topsecret") != NULL)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_secret_file_mode_warning(void **state)
{
	struct buf err = BUF_INIT;
	struct capture c;
	const char *path;
	char *out, *msg, want[600];

	(void)state;
	path = make_file("open", "pw-visible\n", 11, 0644);
	cap_begin(&c);
	assert_int_equal(secret_load(NULL, path, &out, &err), 0);
	msg = cap_end(&c);
	assert_string_equal(out, "pw-visible");
	snprintf(want, sizeof(want),
	    "kprod: --password-file %s: readable by group or others "
	    "(mode 0644); chmod 600 it\n",
	    path);
	assert_string_equal(msg, want);
	assert_null(strstr(msg, "pw-visible"));
	free(msg);
	secret_free(out);

	/* Mode 0600: silence.  -q: silence too. */
	path = make_file("closed", "pw\n", 3, 0600);
	cap_begin(&c);
	assert_int_equal(secret_load(NULL, path, &out, &err), 0);
	secret_free(out);
	path = make_file("open2", "pw\n", 3, 0640);
	log_set_verbosity(-1);
	assert_int_equal(secret_load(NULL, path, &out, &err), 0);
	log_set_verbosity(0);
	secret_free(out);
	msg = cap_end(&c);
	assert_string_equal(msg, "");
	free(msg);
	buf_free(&err);
}

static void
test_secret_env_fallback(void **state)
{
	struct buf err = BUF_INIT;
	char *out;

	(void)state;
	setenv("IOTPIPE_TEST_PW", "env-secret", 1);
	assert_int_equal(secret_load("IOTPIPE_TEST_PW", NULL, &out, &err), 0);
	assert_string_equal(out, "env-secret");
	secret_free(out);

	/* Empty counts as unset: no secret, and no error. */
	setenv("IOTPIPE_TEST_PW", "", 1);
	out = (char *)1;
	assert_int_equal(secret_load("IOTPIPE_TEST_PW", NULL, &out, &err), 0);
	assert_null(out);
	unsetenv("IOTPIPE_TEST_PW");
	out = (char *)1;
	assert_int_equal(secret_load("IOTPIPE_TEST_PW", NULL, &out, &err), 0);
	assert_null(out);
	out = (char *)1;
	assert_int_equal(secret_load(NULL, NULL, &out, &err), 0);
	assert_null(out);
	assert_int_equal(err.len, 0);
	secret_free(NULL);
	buf_free(&err);
}

static void
expect_redact(const char *in, const char *want)
{
	char *got = url_redact(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_url_redact(void **state)
{
	(void)state;
	expect_redact(
	    "mqtt://user:pw@host:1883/x", "mqtt://user:***@host:1883/x");
	expect_redact(
	    "https://h/?api_key=abc&x=1", "https://h/?api_key=***&x=1");
	/* Nothing to hide. */
	expect_redact("mqtt://host:1883", "mqtt://host:1883");
	expect_redact("mqtt://user@host:1883", "mqtt://user@host:1883");
	expect_redact(
	    "https://h/path?x=1&y=2#frag", "https://h/path?x=1&y=2#frag");
	expect_redact("", "");
	expect_redact("https://h/?", "https://h/?");
	/* Empty password: nothing to hide either. */
	expect_redact("mqtt://user:@host", "mqtt://user:@host");
	/* A raw '@' or ':' in the password: the last '@' ends it. */
	expect_redact("mqtts://u:p@ss:w@h:8883", "mqtts://u:***@h:8883");
	/* A raw '/' or '#' in the password makes a bad URL; still hidden. */
	expect_redact("mqtt://u:pa/ss@h/t", "mqtt://u:***@h/t");
	expect_redact("mqtt://u:a#b@h", "mqtt://u:***@h");
	/* '@' in a path or query is not userinfo. */
	expect_redact("https://h/users/@me?email=a@b.c",
	    "https://h/users/@me?email=a@b.c");
	/* Query names, ignoring case, anywhere in the name. */
	expect_redact("https://u:p@h:9200/_bulk?Token=t&ApiKey=k&sig=s&a=1",
	    "https://u:***@h:9200/_bulk?Token=***&ApiKey=***&sig=***&a=1");
	expect_redact("https://h/?password=x&access_token=y&client_secret=z",
	    "https://h/?password=***&access_token=***&client_secret=***");
	expect_redact("https://h/?X-Amz-Signature=abc&X-Amz-Credential=d#f",
	    "https://h/?X-Amz-Signature=***&X-Amz-Credential=***#f");
	expect_redact("https://h/?auth=1&api_key&key=&x=token",
	    "https://h/?auth=***&api_key&key=&x=token");
	expect_redact("https://h/?a=1&&token=2&", "https://h/?a=1&&token=***&");
	/* No scheme: the authority comes first. */
	expect_redact("user:pw@broker:9092", "user:***@broker:9092");
	expect_redact("broker1:9092,broker2:9092", "broker1:9092,broker2:9092");
	assert_null(url_redact(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_env_get),
	    cmocka_unit_test(test_secret_file_first_line),
	    cmocka_unit_test(test_secret_file_errors),
	    cmocka_unit_test(test_secret_file_unreadable),
	    cmocka_unit_test(test_secret_file_mode_warning),
	    cmocka_unit_test(test_secret_env_fallback),
	    cmocka_unit_test(test_url_redact),
	};

	return cmocka_run_group_tests_name(
	    "env", tests, group_setup, group_teardown);
}
