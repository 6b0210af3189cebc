/* SPDX-License-Identifier: MIT */
/* Unit tests for common/kafkaopt: -F files, -X, secrets, --print-config. */
#include <sys/stat.h>

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
#include <librdkafka/rdkafka.h>

#include "common/buf.h"
#include "common/kafkaopt.h"
#include "common/log.h"
#include "common/options.h"

static char dir[] = "/tmp/iotpipe-test-kafkaopt-XXXXXX";

/* dir/name holding text with mode; the path (static storage). */
static const char *
file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* ---- -F file parsing ---- */

struct collected {
	struct buf b;
	int calls;
};

static int
collect(void *arg, unsigned line, const char *name, const char *value,
    struct buf *err)
{
	struct collected *c = arg;

	(void)err;
	c->calls++;
	buf_printf(&c->b, "%u:%s=%s|", line, name, value);
	return 0;
}

static const char *
parse(const char *text, int *rc, struct collected *c, struct buf *err)
{
	buf_reset(&c->b);
	buf_reset(err);
	c->calls = 0;
	*rc =
	    kafka_conffile_parse(text, strlen(text), "f.conf", collect, c, err);
	return buf_cstr(&c->b);
}

static void
test_conffile(void **state)
{
	struct collected c = {BUF_INIT, 0};
	struct buf err = BUF_INIT;
	int rc;

	(void)state;
	assert_string_equal(parse("a=1\nb = two words \n", &rc, &c, &err),
	    "1:a=1|2:b=two words|");
	assert_int_equal(rc, 0);
	/* comments, blank lines, CRLF, '=' in the value, no final newline */
	assert_string_equal(
	    parse("# c\n\n  \t\r\nx=y=z\r\n  # also\nlast=1", &rc, &c, &err),
	    "4:x=y=z|6:last=1|");
	assert_int_equal(rc, 0);
	/* an empty value is a value */
	assert_string_equal(parse("k=\n", &rc, &c, &err), "1:k=|");
	assert_int_equal(c.calls, 1);
	/* errors name the file and the line */
	parse("ok=1\nnope\n", &rc, &c, &err);
	assert_int_equal(rc, -1);
	assert_string_equal(
	    buf_cstr(&err), "f.conf:2: expected property=value");
	parse(" = x\n", &rc, &c, &err);
	assert_int_equal(rc, -1);
	assert_string_equal(buf_cstr(&err), "f.conf:1: empty property name");
	{
		static const char nul[] = "a=1\nb=x\0y\n";

		buf_reset(&err);
		rc = kafka_conffile_parse(
		    nul, sizeof(nul) - 1, "f.conf", collect, &c, &err);
		assert_int_equal(rc, -1);
		assert_string_equal(buf_cstr(&err), "f.conf:2: NUL byte");
	}
	assert_string_equal(parse("", &rc, &c, &err), "");
	assert_int_equal(rc, 0);
	buf_free(&c.b);
	buf_free(&err);
}

/* ---- secrets ---- */

static void
test_secret_names(void **state)
{
	(void)state;
	assert_true(kafka_prop_secret("sasl.password"));
	assert_true(kafka_prop_secret("ssl.key.password"));
	assert_true(kafka_prop_secret("ssl.keystore.password"));
	assert_true(kafka_prop_secret("sasl.oauthbearer.client.secret"));
	assert_true(kafka_prop_secret("ssl.key.pem"));
	assert_true(kafka_prop_secret("sasl.oauthbearer.config"));
	assert_false(kafka_prop_secret("sasl.username"));
	assert_false(kafka_prop_secret("ssl.key.location"));
	assert_false(kafka_prop_secret("bootstrap.servers"));
}

static void
test_x_option(void **state)
{
	struct kafka_opts o;
	struct buf err = BUF_INIT;

	(void)state;
	kafka_opts_init(&o);
	assert_int_equal(kafka_opt_handle(&o, 'X', "linger.ms=5", &err), 1);
	assert_int_equal(kafka_opt_handle(&o, 'X', "client.id=a=b", &err), 1);
	assert_int_equal(o.nprops, 2);
	assert_string_equal(o.props[1].name, "client.id");
	assert_string_equal(o.props[1].value, "a=b");
	assert_true(kafka_opts_has(&o, "linger.ms"));
	assert_false(kafka_opts_has(&o, "acks"));
	assert_int_equal(kafka_opt_handle(&o, 'X', "list", &err), 1);
	assert_true(o.list);
	assert_int_equal(kafka_opt_handle(&o, 'X', "dump", &err), 1);
	assert_true(o.print_config);
	assert_int_equal(kafka_opt_handle(&o, 'X', "novalue", &err), -1);
	assert_string_equal(
	    buf_cstr(&err), "-X novalue: expected property=value (or -X list)");
	buf_reset(&err);
	/* secrets stay off the command line, and out of the message */
	assert_int_equal(
	    kafka_opt_handle(&o, 'X', "sasl.password=hunter2", &err), -1);
	assert_null(strstr(buf_cstr(&err), "hunter2"));
	assert_non_null(strstr(buf_cstr(&err), "sasl.password"));
	assert_non_null(strstr(buf_cstr(&err), "KAFKA_SASL_PASSWORD"));
	assert_int_equal(o.nprops, 2);
	assert_int_equal(kafka_opt_handle(&o, 'q', NULL, &err), 0);
	kafka_opts_free(&o);
	buf_free(&err);
}

static void
test_f_option(void **state)
{
	struct kafka_opts o;
	struct buf err = BUF_INIT;
	const char *path;

	(void)state;
	kafka_opts_init(&o);
	path =
	    file("a.conf", "# x\nlinger.ms=7\nsasl.password = s3cret\n", 0600);
	assert_int_equal(kafka_opt_handle(&o, 'F', path, &err), 1);
	assert_int_equal(o.nprops, 2);
	assert_string_equal(o.props[1].name, "sasl.password");
	assert_string_equal(o.props[1].value, "s3cret");
	assert_non_null(strstr(o.props[0].origin, "a.conf:2"));
	assert_int_equal(kafka_opt_handle(&o, 'F', "/nonexistent/x", &err), -1);
	assert_string_equal(
	    buf_cstr(&err), "-F /nonexistent/x: No such file or directory");
	buf_reset(&err);
	path = file("bad.conf", "a=1\nbroken\n", 0600);
	assert_int_equal(kafka_opt_handle(&o, 'F', path, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "bad.conf:2: expected"));
	kafka_opts_free(&o);
	buf_free(&err);
}

/* ---- building and printing ---- */

static char *
printed(rd_kafka_conf_t *conf)
{
	struct buf b = BUF_INIT;
	char *s;

	kafka_conf_print(conf, &b);
	s = strdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void
test_build_and_print(void **state)
{
	static const struct kafka_default defs[] = {
	    {"linger.ms", "20"}, {"acks", "all"}, {NULL, NULL}};
	struct kafka_client kc;
	struct kafka_opts o;
	struct buf err = BUF_INIT;
	rd_kafka_conf_t *conf;
	const char *path;
	char *text;

	(void)state;
	memset(&kc, 0, sizeof(kc));
	unsetenv("KAFKA_BROKERS");
	setenv("KAFKA_SASL_PASSWORD", "from-env-pw", 1);
	kafka_opts_init(&o);
	/* no brokers anywhere */
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "no brokers"));
	buf_reset(&err);

	setenv("KAFKA_BROKERS", "env:9092", 1);
	assert_int_equal(kafka_opt_handle(&o, 'X', "linger.ms=33", &err), 1);
	o.sasl_user = "alice";
	o.sasl_mechanism = "SCRAM-SHA-512";
	o.cafile = "/etc/ca.pem";
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), 0);
	text = printed(conf);
	/* -X wins over the tool's default, the environment gives brokers;
	 * librdkafka prints the canonical names of aliases */
	assert_non_null(strstr(text, "queue.buffering.max.ms=33\n"));
	assert_non_null(strstr(text, "metadata.broker.list=env:9092\n"));
	assert_non_null(strstr(text, "security.protocol=sasl_ssl\n"));
	assert_non_null(strstr(text, "sasl.mechanisms=SCRAM-SHA-512\n"));
	assert_non_null(strstr(text, "sasl.username=alice\n"));
	assert_non_null(strstr(text, "ssl.ca.location=/etc/ca.pem\n"));
	/* the secret is redacted, and kept for scrubbing the logs */
	assert_non_null(strstr(text, "sasl.password=***\n"));
	assert_null(strstr(text, "from-env-pw"));
	assert_string_equal(kc.secret, "from-env-pw");
	free(text);
	rd_kafka_conf_destroy(conf);

	/* -b wins over KAFKA_BROKERS; --password-file over the env */
	o.brokers = "flag:1";
	o.password_file = path = file("pw", "file-pw\n", 0600);
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), 0);
	text = printed(conf);
	assert_non_null(strstr(text, "metadata.broker.list=flag:1\n"));
	assert_null(strstr(text, "file-pw"));
	assert_string_equal(kc.secret, "file-pw");
	free(text);
	rd_kafka_conf_destroy(conf);

	/* a bad value names its source; an unknown name says so */
	assert_int_equal(kafka_opt_handle(&o, 'X', "linger.ms=abc", &err), 1);
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "-X linger.ms=abc:"));
	buf_reset(&err);
	kafka_opts_free(&o);
	kafka_opts_init(&o);
	assert_int_equal(kafka_opt_handle(&o, 'X', "no.such.thing=1", &err), 1);
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), -1);
	assert_string_equal(buf_cstr(&err),
	    "-X no.such.thing: no such librdkafka property (see -X list)");
	buf_reset(&err);
	kafka_opts_free(&o);

	/* --sasl-user alone is not enough */
	kafka_opts_init(&o);
	o.sasl_user = "bob";
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "--sasl-mechanism"));
	buf_reset(&err);
	/* a TLS flag alone selects SSL; -X security.protocol wins */
	o.sasl_user = NULL;
	o.insecure = true;
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), 0);
	text = printed(conf);
	assert_non_null(strstr(text, "security.protocol=ssl\n"));
	assert_non_null(
	    strstr(text, "enable.ssl.certificate.verification=false\n"));
	free(text);
	rd_kafka_conf_destroy(conf);
	assert_int_equal(
	    kafka_opt_handle(&o, 'X', "security.protocol=plaintext", &err), 1);
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), 0);
	text = printed(conf);
	assert_null(strstr(text, "security.protocol="));
	free(text);
	rd_kafka_conf_destroy(conf);
	/* "topic." properties reach the topic configuration */
	assert_int_equal(
	    kafka_opt_handle(&o, 'X', "topic.message.timeout.ms=1234", &err),
	    1);
	assert_int_equal(kafka_conf_build(&o, defs, &kc, &kc, &conf, &err), 0);
	text = printed(conf);
	assert_non_null(strstr(text, "message.timeout.ms=1234\n"));
	free(text);
	rd_kafka_conf_destroy(conf);

	kafka_opts_free(&o);
	kafka_client_clear(&kc);
	assert_null(kc.secret);
	unsetenv("KAFKA_BROKERS");
	unsetenv("KAFKA_SASL_PASSWORD");
	buf_free(&err);
}

static void
test_version(void **state)
{
	(void)state;
	assert_true(strncmp(kafka_version(), "librdkafka ", 11) == 0);
}

static int
group_setup(void **state)
{
	(void)state;
	log_init("kafkaopt-test");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The shared rows in a tool's table, parsed for real. */
static void
test_take(void **state)
{
	static const struct opt_row rows[] = {
	    OPT_ARG('t', "topic", "topic", NULL, "the tool's own"),
	    OPT_SET(kafka_opt_rows),
	    OPT_END,
	};
	char a0[] = "kprod", a1[] = "-b", a2[] = "h:9092", a3[] = "-X",
	     a4[] = "linger.ms=5", a5[] = "--insecure", a6[] = "-t", a7[] = "t",
	     a8[] = "--sasl-user", a9[] = "u";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, NULL};
	struct kafka_opts o;
	struct opt_parser p;
	const struct opt_row *r;
	int c, own = 0;

	(void)state;
	kafka_opts_init(&o);
	opt_init(&p, "kprod", rows, NULL, 10, argv);
	while ((c = opt_next(&p)) != -1) {
		if (kafka_opt_take(&p, &o))
			continue;
		assert_int_equal(c, 't');
		own++;
	}
	opt_end(&p);
	assert_int_equal(own, 1);
	assert_string_equal(o.brokers, "h:9092");
	assert_true(o.insecure);
	assert_string_equal(o.sasl_user, "u");
	assert_true(kafka_opts_has(&o, "linger.ms"));
	kafka_opts_free(&o);
	/* every row says what it does, in one line */
	for (r = kafka_opt_rows; r->id != 0; r++) {
		assert_non_null(r->help);
		assert_true(strlen(r->help) > 5);
		assert_null(strchr(r->help, '\n'));
		assert_non_null(r->name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conffile),
	    cmocka_unit_test(test_secret_names),
	    cmocka_unit_test(test_x_option),
	    cmocka_unit_test(test_f_option),
	    cmocka_unit_test(test_build_and_print),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_take),
	};

	return cmocka_run_group_tests_name(
	    "kafkaopt", tests, group_setup, group_teardown);
}
