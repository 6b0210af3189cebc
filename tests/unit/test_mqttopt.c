/* SPDX-License-Identifier: MIT */
/* Unit tests for common/mqttopt: URLs, the option table, MQTT_URL and
 * secrets, usage text, CONNACK classes, client setup. */
#include <sys/stat.h>

#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mqttconn.h"
#include "common/mqttopt.h"
#include "common/options.h"

static char dir[] = "/tmp/iotpipe-test-mqttopt-XXXXXX";

static const char *
path_in_dir(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static const char *
make_file(const char *name, const char *text, mode_t mode)
{
	const char *p = path_in_dir(name);
	int fd;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return p;
}

static int
group_setup(void **state)
{
	(void)state;
	log_init("mqtt2json");
	log_set_verbosity(-1); /* the -P warning is checked in the CLI tests */
	if (mkdtemp(dir) == NULL)
		return -1;
	unsetenv("MQTT_URL");
	unsetenv("MQTT_PASSWORD");
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- URLs */

static void
test_url_full(void **state)
{
	struct mqtt_url u;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(mqtt_url_parse("mqtts://alice:s3cr%40t@broker.example:"
					"8884/connectedcar/%2B/telemetry",
			     &u, &err),
	    0);
	assert_true(u.tls);
	assert_string_equal(u.user, "alice");
	assert_string_equal(u.password, "s3cr@t");
	assert_string_equal(u.host, "broker.example");
	assert_int_equal(u.port, 8884);
	assert_string_equal(u.topic, "connectedcar/+/telemetry");
	mqtt_url_free(&u);
	buf_free(&err);
}

static void
test_url_minimal_and_ipv6(void **state)
{
	struct mqtt_url u;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(mqtt_url_parse("mqtt://localhost", &u, &err), 0);
	assert_false(u.tls);
	assert_null(u.user);
	assert_null(u.password);
	assert_string_equal(u.host, "localhost");
	assert_int_equal(u.port, 0);
	assert_null(u.topic);
	mqtt_url_free(&u);
	assert_int_equal(
	    mqtt_url_parse("mqtt://[::1]:1884/a/%23", &u, &err), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 1884);
	assert_string_equal(u.topic, "a/#");
	mqtt_url_free(&u);
	assert_int_equal(mqtt_url_parse("mqtt://bob@h/", &u, &err), 0);
	assert_string_equal(u.user, "bob");
	assert_null(u.topic);
	mqtt_url_free(&u);
	buf_free(&err);
}

static void
test_url_bad(void **state)
{
	static const char *const bad[] = {"http://h", "h:1883", "mqtt://",
	    "mqtt://:1883", "mqtt://h:0", "mqtt://h:65536", "mqtt://h:x",
	    "mqtt://[::1", "mqtt://h?x=1", "mqtt://h/t%zz", "mqtt://u%00@h",
	    "mqtt://h/%4"};
	struct mqtt_url u;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		assert_int_equal(mqtt_url_parse(bad[i], &u, &err), -1);
		assert_true(err.len > 0);
	}
	/* the reason never holds the password */
	buf_reset(&err);
	assert_int_equal(
	    mqtt_url_parse("mqtt://u:hunter2@h:99999", &u, &err), -1);
	assert_null(strstr(buf_cstr(&err), "hunter2"));
	buf_free(&err);
}

/* ---- the option table */

static void
test_handle_values(void **state)
{
	struct mqtt_opts o;
	struct buf err = BUF_INIT;

	(void)state;
	mqtt_opts_init(&o);
	assert_int_equal(o.version, MQTT_PROTOCOL_V5);
	assert_int_equal(o.keepalive, 60);
	assert_int_equal(mqtt_opt_handle(&o, 'h', "broker", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'p', "1884", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'V', "311", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'k', "0", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'i', "car-1", &err), 1);
	assert_int_equal(
	    mqtt_opt_handle(&o, MQTT_OPT_RETRIES, "forever", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'q', "1", &err), 0); /* not ours */
	assert_string_equal(o.host, "broker");
	assert_int_equal(o.port, 1884);
	assert_int_equal(o.version, MQTT_PROTOCOL_V311);
	assert_int_equal(o.keepalive, 0);
	assert_string_equal(o.id, "car-1");
	assert_true(o.retries_forever);
	assert_int_equal(mqtt_opt_handle(&o, 'V', "mqttv31", &err), 1);
	assert_int_equal(o.version, MQTT_PROTOCOL_V31);
	assert_int_equal(mqtt_opt_handle(&o, MQTT_OPT_CAFILE, "/x", &err), 1);
	assert_true(o.tls);
	assert_int_equal(err.len, 0);
	mqtt_opts_free(&o);
	buf_free(&err);
}

/* the options every MQTT tool has besides the connection's */
/* The option table of an MQTT tool, parsed for real. */
static const struct opt_row tool_rows[] = {
    OPT_ARG('t', "topic", "topic", NULL, "the tool's own"),
    OPT_FLAG(OPT_OWN, "own", "the tool's own"),
    OPT_SET(opt_rows_basic_mqtt),
    OPT_SET(mqtt_opt_rows),
    OPT_SET(common_opt_rows),
    OPT_END,
};

static void
test_tool_take(void **state)
{
	char a0[] = "tool", a1[] = "-q", a2[] = "2", a3[] = "-q", a4[] = "0",
	     a5[] = "-v", a6[] = "-d", a7[] = "--quiet", a8[] = "-h",
	     a9[] = "broker", a10[] = "--strict", a11[] = "-t", a12[] = "a/b",
	     a13[] = "--own";
	char *argv[] = {
	    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, NULL};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	struct common_opts c;
	struct mqtt_opts m;
	struct opt_parser p;
	int id, qos[2] = {-1, -1}, nq = 0, verbosity[3], nv = 0, own = 0;

	(void)state;
	common_opts_init(&c);
	mqtt_opts_init(&m);
	assert_int_equal(m.qos, 1);
	assert_int_equal(c.verbosity, 0);
	assert_int_equal(m.keepalive, 60);
	opt_init(&p, "tool", tool_rows, NULL, argc, argv);
	while ((id = opt_next(&p)) != -1) {
		if (id == OPT_STRICT || id == 'h')
			verbosity[nv++] = p.verbosity;
		if (common_opt_take(&p, &c))
			continue;
		if (mqtt_opt_take(&p, &m)) {
			if (id == 'q')
				qos[nq++] = m.qos;
			continue;
		}
		/* the tool's own */
		assert_true(id == 't' || id == OPT_OWN);
		own++;
	}
	opt_end(&p);
	assert_int_equal(qos[0], 2);
	assert_int_equal(qos[1], 0);
	/* -v 1, -d 2 more: 3; --quiet then -1 (the parser's) */
	assert_int_equal(verbosity[0], -1);
	assert_string_equal(m.host, "broker"); /* the connection's -h */
	assert_true(c.strict); /* common/opt.h's */
	assert_int_equal(own, 2);
	mqtt_opts_free(&m);
}

/* -v and -d count through the parser: 1 + 2. */
static void
test_tool_verbosity(void **state)
{
	char a0[] = "tool", a1[] = "-v", a2[] = "-d";
	char *argv[] = {a0, a1, a2, NULL};
	struct opt_parser p;

	(void)state;
	opt_init(&p, "tool", tool_rows, NULL, 3, argv);
	assert_int_equal(opt_next(&p), -1);
	assert_int_equal(p.verbosity, 3);
	opt_end(&p);
}

static void
test_handle_bad_values(void **state)
{
	static const struct {
		int id;
		const char *arg, *msg;
	} bad[] = {
	    {'p', "0", "-p: invalid port '0' (1-65535)"},
	    {'p', "65536", "-p: invalid port '65536' (1-65535)"},
	    {'V', "4", "-V: unknown protocol version '4' (5, 311 or 31)"},
	    {'k', "3", "-k: invalid keepalive '3' (0, or 5-65535 seconds)"},
	    {'h', "", "-h: empty value"},
	    {MQTT_OPT_TLS_VERSION, "sslv3",
		"--tls-version: unknown TLS version 'sslv3' (tlsv1.3, "
		"tlsv1.2 or tlsv1.1)"},
	    {MQTT_OPT_RETRIES, "-1",
		"--retries: invalid count '-1' (a number, or 'forever')"},
	    {'L', "tcp://x", "-L: scheme must be mqtt:// or mqtts://"},
	};
	struct mqtt_opts o;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mqtt_opts_init(&o);
		buf_reset(&err);
		assert_int_equal(
		    mqtt_opt_handle(&o, bad[i].id, bad[i].arg, &err), -1);
		assert_string_equal(buf_cstr(&err), bad[i].msg);
		mqtt_opts_free(&o);
	}
	/* -P never echoes the value */
	mqtt_opts_init(&o);
	buf_reset(&err);
	assert_int_equal(mqtt_opt_handle(&o, 'P', "", &err), -1);
	assert_string_equal(buf_cstr(&err), "-P: empty password");
	mqtt_opts_free(&o);
	buf_free(&err);
}

static void
test_getopt_tables(void **state)
{
	static const struct opt_row mine[] = {
	    OPT_ARG('t', "topic", "topic", NULL, "a topic"),
	    {.id = 'r', .has_arg = no_argument, .help = "a letter only"},
	    OPT_OPTARG(0x2000, "binary", "mode", NULL, "a mode"),
	    OPT_SET(mqtt_opt_rows),
	    OPT_END,
	};
	char a0[] = "tool";
	char *argv[] = {a0, NULL};
	struct opt_parser p;
	const char *so;
	size_t i;
	int found = 0;

	(void)state;
	opt_init(&p, "tool", mine, NULL, 1, argv);
	so = p.shortopts;
	assert_true(so[0] == ':');
	assert_non_null(strstr(so, "t:"));
	assert_non_null(strstr(so, "r"));
	assert_non_null(strstr(so, "h:"));
	assert_non_null(strstr(so, "P:"));
	for (i = 0; p.longopts[i].name != NULL; i++) {
		if (strcmp(p.longopts[i].name, "binary") == 0) {
			assert_int_equal(
			    p.longopts[i].has_arg, optional_argument);
			assert_int_equal(p.longopts[i].val, 0x2000);
			found++;
		}
		if (strcmp(p.longopts[i].name, "password-file") == 0) {
			assert_int_equal(
			    p.longopts[i].val, MQTT_OPT_PASSWORD_FILE);
			found++;
		}
	}
	assert_int_equal(found, 2);
	assert_non_null(opt_find(mine, 'L'));
	assert_null(opt_find(mine, 'Z'));
	opt_end(&p);
}

/* Every row says what it does, in one line. */
static void
test_rows_have_help(void **state)
{
	const struct opt_row *r;

	(void)state;
	for (r = mqtt_opt_rows; r->id != 0; r++) {
		assert_non_null(r->help);
		assert_true(strlen(r->help) > 5);
		assert_null(strchr(r->help, '\n'));
		assert_non_null(r->name);
		if (r->has_arg != no_argument)
			assert_non_null(r->arg);
	}
}

/* ---- finishing: MQTT_URL, secrets, combinations */

static int
finish(struct mqtt_opts *o, const char *env_url, struct buf *err)
{
	buf_reset(err);
	return mqtt_opts_finish(o, env_url, err);
}

static void
test_finish_env_url(void **state)
{
	struct mqtt_opts o;
	struct buf err = BUF_INIT;

	(void)state;
	mqtt_opts_init(&o);
	assert_int_equal(finish(&o, "mqtts://carol:pw@env-host/t/x", &err), 0);
	assert_string_equal(o.host, "env-host");
	assert_int_equal(mqtt_opts_port(&o), 8883);
	assert_string_equal(o.user, "carol");
	assert_string_equal(o.password, "pw");
	assert_true(o.tls);
	assert_true(o.os_certs); /* mqtts:// without a CA: the system's */
	assert_string_equal(o.topic, "t/x");
	mqtt_opts_free(&o);

	/* -h given: MQTT_URL (and its password) is not used at all */
	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, 'h', "flag-host", &err), 1);
	assert_int_equal(finish(&o, "mqtt://carol:pw@env-host", &err), 0);
	assert_string_equal(o.host, "flag-host");
	assert_null(o.user);
	assert_null(o.password);
	assert_int_equal(mqtt_opts_port(&o), 1883);
	mqtt_opts_free(&o);

	/* -L wins over MQTT_URL; -p wins over -L's port */
	mqtt_opts_init(&o);
	assert_int_equal(
	    mqtt_opt_handle(&o, 'L', "mqtt://dave@l-host:1999/lt", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'p', "2000", &err), 1);
	assert_int_equal(finish(&o, "mqtt://carol:pw@env-host", &err), 0);
	assert_string_equal(o.host, "l-host");
	assert_string_equal(o.user, "dave");
	assert_null(o.password);
	assert_int_equal(mqtt_opts_port(&o), 2000);
	assert_string_equal(o.topic, "lt");
	mqtt_opts_free(&o);

	mqtt_opts_init(&o);
	assert_int_equal(finish(&o, "mqtt://", &err), -1);
	assert_string_equal(buf_cstr(&err), "MQTT_URL: no host");
	mqtt_opts_free(&o);
	buf_free(&err);
}

static void
test_finish_password_sources(void **state)
{
	struct mqtt_opts o;
	struct buf err = BUF_INIT;
	const char *pwfile = make_file("pw", "from-file\r\n", 0600);

	(void)state;
	/* --password-file beats -P, which beats MQTT_PASSWORD */
	setenv("MQTT_PASSWORD", "from-env", 1);
	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, 'u', "u", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'P', "from-argv", &err), 1);
	assert_int_equal(
	    mqtt_opt_handle(&o, MQTT_OPT_PASSWORD_FILE, pwfile, &err), 1);
	assert_int_equal(finish(&o, NULL, &err), 0);
	assert_string_equal(o.password, "from-file");
	mqtt_opts_free(&o);

	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, 'u', "u", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'P', "from-argv", &err), 1);
	assert_int_equal(finish(&o, NULL, &err), 0);
	assert_string_equal(o.password, "from-argv");
	mqtt_opts_free(&o);

	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, 'u', "u", &err), 1);
	assert_int_equal(finish(&o, "mqtt://x:url-pw@h", &err), 0);
	assert_string_equal(o.password, "from-env");
	mqtt_opts_free(&o);

	/* MQTT_PASSWORD without a user name: dropped, not an error */
	mqtt_opts_init(&o);
	assert_int_equal(finish(&o, NULL, &err), 0);
	assert_null(o.password);
	mqtt_opts_free(&o);
	unsetenv("MQTT_PASSWORD");

	/* an explicit password without a user name is an error */
	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, 'P', "x", &err), 1);
	assert_int_equal(finish(&o, NULL, &err), -1);
	assert_string_equal(
	    buf_cstr(&err), "a password needs a user name (-u)");
	mqtt_opts_free(&o);

	/* a missing password file names the file, not a secret */
	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, MQTT_OPT_PASSWORD_FILE,
			     path_in_dir("nope"), &err),
	    1);
	assert_int_equal(finish(&o, NULL, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "--password-file"));
	assert_non_null(strstr(buf_cstr(&err), "nope"));
	mqtt_opts_free(&o);
	buf_free(&err);
}

static void
test_finish_combinations(void **state)
{
	static const struct {
		int id1;
		const char *a1;
		int id2;
		const char *a2;
		const char *msg;
	} bad[] = {
	    {MQTT_OPT_UNIX, "/s", 'h', "h", "--unix excludes -h, -p and -L"},
	    {'i', "a", 'I', "b", "-i and -I exclude each other"},
	    {MQTT_OPT_INSECURE, NULL, 0, NULL,
		"--insecure needs TLS (mqtts://, --cafile, --capath or "
		"--tls-use-os-certs)"},
	    {MQTT_OPT_TLS_VERSION, "tlsv1.2", 0, NULL,
		"--tls-version needs TLS (mqtts://, --cafile, --capath or "
		"--tls-use-os-certs)"},
	    {MQTT_OPT_CERT, "/c", 0, NULL, "--cert and --key go together"},
	    {MQTT_OPT_CERT, "/c", MQTT_OPT_KEY, "/k",
		"--cert needs --cafile or --capath"},
	    {MQTT_OPT_UNIX, "/s", MQTT_OPT_OS_CERTS, NULL,
		"--unix does not take TLS options"},
	};
	struct mqtt_opts o;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mqtt_opts_init(&o);
		assert_int_equal(
		    mqtt_opt_handle(&o, bad[i].id1, bad[i].a1, &err), 1);
		if (bad[i].id2 != 0)
			assert_int_equal(
			    mqtt_opt_handle(&o, bad[i].id2, bad[i].a2, &err),
			    1);
		assert_int_equal(finish(&o, NULL, &err), -1);
		assert_string_equal(buf_cstr(&err), bad[i].msg);
		mqtt_opts_free(&o);
	}
	/* a CA file that is not there */
	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, MQTT_OPT_CAFILE,
			     path_in_dir("no-ca.crt"), &err),
	    1);
	assert_int_equal(finish(&o, NULL, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "--cafile"));
	assert_non_null(strstr(buf_cstr(&err), "No such file"));
	mqtt_opts_free(&o);
	/* MQTT 3.1 client ids: at most 23 bytes */
	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, 'V', "31", &err), 1);
	assert_int_equal(
	    mqtt_opt_handle(&o, 'i', "abcdefghijklmnopqrstuvwxyz", &err), 1);
	assert_int_equal(finish(&o, NULL, &err), -1);
	mqtt_opts_free(&o);
	buf_free(&err);
}

static void
test_endpoint_and_id(void **state)
{
	struct mqtt_opts o;
	struct buf err = BUF_INIT, b = BUF_INIT;
	char *id, want[64];

	(void)state;
	mqtt_opts_init(&o);
	assert_int_equal(
	    mqtt_opt_handle(&o, 'L', "mqtts://eve:topsecret@[::1]/t", &err), 1);
	assert_int_equal(finish(&o, NULL, &err), 0);
	mqtt_endpoint(&o, &b);
	assert_string_equal(buf_cstr(&b), "mqtts://eve@[::1]:8883");
	assert_null(strstr(buf_cstr(&b), "topsecret"));
	assert_null(mqtt_client_id(&o));
	mqtt_opts_free(&o);

	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, 'I', "car", &err), 1);
	id = mqtt_client_id(&o);
	snprintf(want, sizeof(want), "car-%ld", (long)getpid());
	assert_string_equal(id, want);
	free(id);
	buf_reset(&b);
	assert_int_equal(mqtt_opt_handle(&o, MQTT_OPT_UNIX, "/run/m", &err), 1);
	assert_int_equal(finish(&o, NULL, &err), 0);
	mqtt_endpoint(&o, &b);
	assert_string_equal(buf_cstr(&b), "unix:/run/m");
	mqtt_opts_free(&o);
	buf_free(&b);
	buf_free(&err);
}

static void
test_connack_classes(void **state)
{
	(void)state;
	/* refusals that retrying cannot fix are fatal */
	assert_true(mqtt_connack_fatal(
	    MQTT_PROTOCOL_V311, CONNACK_REFUSED_BAD_USERNAME_PASSWORD));
	assert_true(mqtt_connack_fatal(
	    MQTT_PROTOCOL_V311, CONNACK_REFUSED_NOT_AUTHORIZED));
	assert_false(mqtt_connack_fatal(
	    MQTT_PROTOCOL_V311, CONNACK_REFUSED_SERVER_UNAVAILABLE));
	assert_true(mqtt_connack_fatal(
	    MQTT_PROTOCOL_V5, MQTT_RC_BAD_USERNAME_OR_PASSWORD));
	assert_true(
	    mqtt_connack_fatal(MQTT_PROTOCOL_V5, MQTT_RC_NOT_AUTHORIZED));
	assert_true(mqtt_connack_fatal(MQTT_PROTOCOL_V5, MQTT_RC_BANNED));
	assert_false(mqtt_connack_fatal(MQTT_PROTOCOL_V5, MQTT_RC_SERVER_BUSY));
	assert_false(
	    mqtt_connack_fatal(MQTT_PROTOCOL_V5, MQTT_RC_QUOTA_EXCEEDED));
	assert_string_equal(mqtt_connack_text(MQTT_PROTOCOL_V5, 135),
	    mosquitto_reason_string(135));
	assert_string_equal(mqtt_connack_text(MQTT_PROTOCOL_V311, 5),
	    mosquitto_connack_string(5));
}

static void
test_client_new(void **state)
{
	struct mqtt_opts o;
	struct buf err = BUF_INIT;
	struct mosquitto *m;
	const char *ca = make_file("ca.crt", "not a certificate\n", 0644);

	(void)state;
	mosquitto_lib_init();
	mqtt_opts_init(&o);
	assert_int_equal(mqtt_opt_handle(&o, 'u', "u", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'P', "pw", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, MQTT_OPT_CAFILE, ca, &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, MQTT_OPT_INSECURE, NULL, &err), 1);
	assert_int_equal(finish(&o, NULL, &err), 0);
	m = mqtt_client_new(&o, "id-1", true, NULL, &err);
	assert_non_null(m);
	mosquitto_destroy(m);
	/* a durable session needs an id: libmosquitto refuses without */
	m = mqtt_client_new(&o, NULL, false, NULL, &err);
	assert_null(m);
	assert_non_null(strstr(buf_cstr(&err), "cannot create"));
	mqtt_opts_free(&o);
	mosquitto_lib_cleanup();
	buf_free(&err);
}

static void
test_conn_refused_gives_up(void **state)
{
	struct mqtt_opts o;
	struct mqtt_conn c;
	struct buf err = BUF_INIT;

	(void)state;
	mosquitto_lib_init();
	mqtt_opts_init(&o);
	/* port 1 on loopback: nothing listens; two retries, then fatal */
	assert_int_equal(mqtt_opt_handle(&o, 'h', "127.0.0.1", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, 'p', "1", &err), 1);
	assert_int_equal(mqtt_opt_handle(&o, MQTT_OPT_RETRIES, "2", &err), 1);
	assert_int_equal(finish(&o, NULL, &err), 0);
	assert_int_equal(mqtt_conn_init(&c, &o, NULL, true, NULL, &err), 0);
	while (!c.fatal) {
		c.next_attempt = 0; /* no waiting in a unit test */
		mqtt_conn_tick(&c);
		assert_int_equal(c.state, MQTT_DOWN);
	}
	assert_int_equal(c.failures, 3);
	assert_true(mqtt_conn_timeout_ms(&c) > 0);
	mqtt_conn_free(&c);
	mqtt_opts_free(&o);
	mosquitto_lib_cleanup();
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_full),
	    cmocka_unit_test(test_url_minimal_and_ipv6),
	    cmocka_unit_test(test_url_bad),
	    cmocka_unit_test(test_handle_values),
	    cmocka_unit_test(test_handle_bad_values),
	    cmocka_unit_test(test_tool_take),
	    cmocka_unit_test(test_tool_verbosity),
	    cmocka_unit_test(test_getopt_tables),
	    cmocka_unit_test(test_rows_have_help),
	    cmocka_unit_test(test_finish_env_url),
	    cmocka_unit_test(test_finish_password_sources),
	    cmocka_unit_test(test_finish_combinations),
	    cmocka_unit_test(test_endpoint_and_id),
	    cmocka_unit_test(test_connack_classes),
	    cmocka_unit_test(test_client_new),
	    cmocka_unit_test(test_conn_refused_gives_up),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
