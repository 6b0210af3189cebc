/* SPDX-License-Identifier: MIT */
/* The Kafka tools' shared option layer: -b -X -F, SASL/TLS, secrets. */
#include "prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "clock.h"
#include "compat.h"
#include "env.h"
#include "kafkaopt.h"
#include "log.h"
#include "sig.h"
#include "xalloc.h"

#define CONFFILE_MAX (1024 * 1024) /* a -F file larger than this is wrong */

void
kafka_opts_init(struct kafka_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout = CONNECT_TIMEOUT_DEFAULT;
}

void
kafka_opts_free(struct kafka_opts *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nprops; i++) {
		free(o->props[i].name);
		if (o->props[i].value != NULL) {
			/* a -F file may hold a secret */
			explicit_bzero(
			    o->props[i].value, strlen(o->props[i].value));
			free(o->props[i].value);
		}
		free(o->props[i].origin);
	}
	free(o->props);
	o->props = NULL;
	o->nprops = o->cap = 0;
}

bool
kafka_prop_secret(const char *name)
{
	return strstr(name, "password") != NULL ||
	    strstr(name, "secret") != NULL ||
	    strcmp(name, "ssl.key.pem") == 0 ||
	    strcmp(name, "sasl.oauthbearer.config") == 0;
}

static void
add_prop(struct kafka_opts *o, const char *name, size_t nlen, const char *value,
    const char *origin)
{
	struct kafka_prop *p;

	if (o->nprops == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		o->props = xreallocarray(o->props, o->cap, sizeof(*o->props));
	}
	p = &o->props[o->nprops++];
	p->name = xmemdup(name, nlen);
	p->value = xstrdup(value);
	p->origin = xstrdup(origin);
}

bool
kafka_opts_has(const struct kafka_opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nprops; i++)
		if (strcmp(o->props[i].name, name) == 0)
			return true;
	return false;
}

/* Trim blanks (space, tab) at both ends of p[0..*n). */
static const char *
trim(const char *p, size_t *n)
{
	while (*n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		(*n)--;
	}
	while (*n > 0 && (p[*n - 1] == ' ' || p[*n - 1] == '\t'))
		(*n)--;
	return p;
}

int
kafka_conffile_parse(const char *text, size_t len, const char *path,
    kafka_conffile_fn fn, void *arg, struct buf *err)
{
	struct buf name = BUF_INIT, value = BUF_INIT;
	const char *p = text, *end = text + len, *nl, *eq, *k, *v;
	unsigned line = 0;
	size_t n, kn, vn;
	int rc = 0;

	for (; p < end && rc == 0; p = nl + 1) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		k = trim(p, &n);
		if (n == 0 || *k == '#')
			continue;
		if (memchr(k, '\0', n) != NULL) {
			buf_printf(err, "%s:%u: NUL byte", path, line);
			rc = -1;
			break;
		}
		eq = memchr(k, '=', n);
		if (eq == NULL) {
			buf_printf(
			    err, "%s:%u: expected property=value", path, line);
			rc = -1;
			break;
		}
		kn = (size_t)(eq - k);
		v = eq + 1;
		vn = (size_t)(k + n - v);
		k = trim(k, &kn);
		v = trim(v, &vn);
		if (kn == 0) {
			buf_printf(
			    err, "%s:%u: empty property name", path, line);
			rc = -1;
			break;
		}
		buf_reset(&name);
		buf_add(&name, k, kn);
		buf_reset(&value);
		buf_add(&value, v, vn);
		rc = fn(arg, line, buf_cstr(&name), buf_cstr(&value), err);
	}
	buf_free(&name);
	if (value.data != NULL)
		explicit_bzero(value.data, value.cap);
	buf_free(&value);
	return rc;
}

struct file_ctx {
	struct kafka_opts *o;
	const char *path;
	bool secret;
};

static int
file_prop(void *arg, unsigned line, const char *name, const char *value,
    struct buf *err)
{
	struct file_ctx *f = arg;
	struct buf origin = BUF_INIT;

	(void)err;
	buf_printf(&origin, "%s:%u", f->path, line);
	add_prop(f->o, name, strlen(name), value, buf_cstr(&origin));
	buf_free(&origin);
	if (kafka_prop_secret(name))
		f->secret = true;
	return 0;
}

static int
read_conffile(struct kafka_opts *o, const char *path, struct buf *err)
{
	struct file_ctx f = {o, path, false};
	struct buf text = BUF_INIT;
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(err, "-F %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		buf_printf(err, "-F %s: %s", path,
		    S_ISDIR(st.st_mode) ? strerror(EISDIR) : strerror(errno));
		goto out;
	}
	for (;;) {
		buf_grow(&text, 65536);
		n = read(fd, text.data + text.len, text.cap - text.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(err, "-F %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		text.len += (size_t)n;
		if (text.len > CONFFILE_MAX) {
			buf_printf(err, "-F %s: larger than %d bytes", path,
			    CONFFILE_MAX);
			goto out;
		}
	}
	rc = kafka_conffile_parse(text.data != NULL ? text.data : "", text.len,
	    path, file_prop, &f, err);
	if (rc == 0 && f.secret && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRGRP | S_IROTH)))
		log_warn("-F %s: holds a secret and is readable by group or "
			 "others (mode %04o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
out:
	if (text.data != NULL)
		explicit_bzero(text.data, text.cap);
	buf_free(&text);
	close(fd);
	return rc;
}

/* clang-format off */
const struct opt_row kafka_opt_rows[] = {
	OPT_ARG('b', "brokers", "brokers", NULL,
	    "the bootstrap brokers, host:port separated by commas"),
	OPT_ARG('d', "debug", "contexts", NULL,
	    "librdkafka's debug contexts, such as broker,msg or all"),
	OPT_ARG('F', "config", "file", NULL,
	    "read librdkafka properties (name=value lines) from file"),
	OPT_ARG('X', "property", "property=value", NULL,
	    "set a librdkafka property (-X list: all of them)"),
	OPT_ARG(KAFKA_OPT_CAFILE, "cafile", "file", NULL,
	    "verify the broker against the CA certificates in file; TLS on"),
	OPT_ARG(KAFKA_OPT_CERT, "cert", "file", NULL,
	    "a client certificate (PEM) for mutual TLS"),
	OPT_ARG(KAFKA_OPT_KEY, "key", "file", NULL,
	    "the private key of --cert"),
	OPT_FLAG(KAFKA_OPT_INSECURE, "insecure",
	    "do not verify the broker's certificate; TLS on"),
	OPT_ARG(KAFKA_OPT_PASSWORD_FILE, "password-file", "file", NULL,
	    "read the SASL password from the first line of file"),
	OPT_FLAG(KAFKA_OPT_PRINT_CONFIG, "print-config",
	    "print the librdkafka properties that differ from its defaults"),
	OPT_ARG(KAFKA_OPT_SASL_MECHANISM, "sasl-mechanism", "mechanism", NULL,
	    "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; turns SASL over TLS on"),
	OPT_ARG(KAFKA_OPT_SASL_USER, "sasl-user", "user", NULL,
	    "the SASL user; the password from KAFKA_SASL_PASSWORD"),
	OPT_SET(connect_opt_rows),
	OPT_END,
};
/* clang-format on */

bool
kafka_opt_take(const struct opt_parser *p, struct kafka_opts *o)
{
	struct buf err = BUF_INIT;
	int rc;

	if (connect_opt_take(p, &o->connect_timeout))
		return true;
	if ((rc = kafka_opt_handle(o, p->row->id, p->arg, &err)) < 0)
		usage_error("%s", buf_cstr(&err));
	buf_free(&err);
	return rc > 0;
}

int
kafka_opt_handle(struct kafka_opts *o, int c, const char *arg, struct buf *err)
{
	const char *eq;

	switch (c) {
	case 'b':
		if (arg == NULL || *arg == '\0') {
			buf_printf(err, "-b: empty broker list");
			return -1;
		}
		o->brokers = arg;
		return 1;
	case 'd':
		o->debug = arg;
		return 1;
	case 'F':
		return read_conffile(o, arg, err) < 0 ? -1 : 1;
	case 'X':
		if (strcmp(arg, "list") == 0) {
			o->list = true;
			return 1;
		}
		if (strcmp(arg, "dump") == 0) {
			o->print_config = true;
			return 1;
		}
		eq = strchr(arg, '=');
		if (eq == NULL || eq == arg) {
			buf_printf(err,
			    "-X %s: expected property=value (or -X list)", arg);
			return -1;
		}
		{
			char *name = xmemdup(arg, (size_t)(eq - arg));
			bool secret = kafka_prop_secret(name);

			if (secret)
				buf_printf(err,
				    "-X %s: no secrets on the command line "
				    "(every user can read it): use "
				    "KAFKA_SASL_PASSWORD, --password-file or "
				    "a -F file",
				    name);
			else
				add_prop(
				    o, arg, (size_t)(eq - arg), eq + 1, "-X");
			free(name);
			return secret ? -1 : 1;
		}
	case KAFKA_OPT_CAFILE:
		o->cafile = arg;
		return 1;
	case KAFKA_OPT_CERT:
		o->cert = arg;
		return 1;
	case KAFKA_OPT_KEY:
		o->key = arg;
		return 1;
	case KAFKA_OPT_INSECURE:
		o->insecure = true;
		return 1;
	case KAFKA_OPT_PASSWORD_FILE:
		o->password_file = arg;
		return 1;
	case KAFKA_OPT_PRINT_CONFIG:
		o->print_config = true;
		return 1;
	case KAFKA_OPT_SASL_MECHANISM:
		o->sasl_mechanism = arg;
		return 1;
	case KAFKA_OPT_SASL_USER:
		o->sasl_user = arg;
		return 1;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------- callbacks */

/* librdkafka's line, with every copy of the secret replaced by "***". */
static void
scrub(struct buf *b, const char *line, const char *secret)
{
	const char *p = line, *hit;
	size_t sl = secret != NULL ? strlen(secret) : 0;

	if (sl == 0) {
		buf_adds(b, line);
		return;
	}
	while ((hit = strstr(p, secret)) != NULL) {
		buf_add(b, p, (size_t)(hit - p));
		buf_adds(b, "***");
		p = hit + sl;
	}
	buf_adds(b, p);
}

static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *text)
{
	const struct kafka_client *kc = rd_kafka_opaque(rk);
	struct buf b = BUF_INIT;

	if (kc == NULL)
		return;
	if (level >= LOG_DEBUG && !kc->debug && log_verbosity() < 2)
		return;
	if (level >= LOG_NOTICE && level < LOG_DEBUG && log_verbosity() < 1)
		return;
	if (level <= LOG_WARNING && log_verbosity() < 0)
		return;
	scrub(&b, text, kc->secret);
	if (level >= LOG_DEBUG)
		log_err("kafka: %s: %s", fac, buf_cstr(&b));
	else
		log_err("kafka: %s", buf_cstr(&b));
	buf_free(&b);
}

static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_client *kc = opaque;
	struct buf b = BUF_INIT;
	char fatal[512];

	(void)rk;
	scrub(&b, reason, kc->secret);
	if (err == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    err == RD_KAFKA_RESP_ERR__RESOLVE ||
	    err == RD_KAFKA_RESP_ERR__SSL ||
	    err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
		kc->last_err = err;
		(void)strlcpy(
		    kc->last_reason, buf_cstr(&b), sizeof(kc->last_reason));
	}
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		kc->fatal = 1;
		fatal[0] = '\0';
		rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		buf_reset(&b);
		scrub(&b, fatal[0] ? fatal : reason, kc->secret);
		log_err("kafka: fatal error: %s", buf_cstr(&b));
	} else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		kc->all_down = 1;
		log_warn("kafka: all brokers are down: %s", buf_cstr(&b));
	} else if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
	    (err == RD_KAFKA_RESP_ERR__SSL &&
		strstr(reason, "certificate verify failed") != NULL)) {
		/* retrying will not change the password or the CA */
		kc->fatal = 1;
		log_err("kafka: giving up: %s", buf_cstr(&b));
	} else if (err == RD_KAFKA_RESP_ERR__SSL) {
		log_err("kafka: %s", buf_cstr(&b));
	} else {
		/* transport errors: librdkafka logs them as well */
		log_info("kafka: %s: %s", rd_kafka_err2str(err), buf_cstr(&b));
	}
	buf_free(&b);
}

/* ------------------------------------------------ the first connection */

/* What to check, for the cause librdkafka gave. */
static const char *
reach_hint(int err, const char *reason)
{
	if (err == RD_KAFKA_RESP_ERR__RESOLVE)
		return "is the host name right? check -b / KAFKA_BROKERS";
	if (err == RD_KAFKA_RESP_ERR__SSL || strstr(reason, "SSL") != NULL ||
	    strstr(reason, "security.protocol") != NULL)
		return "does the listener speak TLS or SASL? check "
		       "security.protocol (-X), --cafile, --sasl-user";
	if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
		return "check --sasl-user and KAFKA_SASL_PASSWORD / "
		       "--password-file";
	if (strstr(reason, "Disconnected") != NULL)
		return "is it a Kafka listener? check -b / KAFKA_BROKERS";
	return "is the broker running? check -b / KAFKA_BROKERS";
}

int
kafka_await_broker(
    rd_kafka_t *rk, struct kafka_client *kc, double timeout_s, struct buf *err)
{
	const struct rd_kafka_metadata *md;
	double end = mono_now() + timeout_s, left;
	int slice;

	kc->last_err = 0;
	kc->last_reason[0] = '\0';
	while ((left = end - mono_now()) > 0 && !kc->fatal) {
		slice = left < 0.25 ? (int)(left * 1000) + 1 : 250;
		if (rd_kafka_metadata(rk, 0, NULL, &md, slice) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_metadata_destroy(md);
			return 0;
		}
		/* error_cb records the cause */
		rd_kafka_poll(rk, 0);
		/* a name that does not resolve will not resolve in 10 s */
		if (kc->last_err == RD_KAFKA_RESP_ERR__RESOLVE)
			break;
		if (sig_stop)
			break;
	}
	kafka_unreached_text(kc, timeout_s, err);
	return -1;
}

void
kafka_unreached_text(
    const struct kafka_client *kc, double timeout_s, struct buf *err)
{
	if (kc->last_reason[0] != '\0')
		buf_printf(err, "no Kafka broker answered: %s: %s",
		    kc->last_reason, reach_hint(kc->last_err, kc->last_reason));
	else
		buf_printf(err,
		    "no Kafka broker answered within %g s: is the broker "
		    "running? check -b / KAFKA_BROKERS, --connect-timeout",
		    timeout_s);
}

bool
kafka_reached(rd_kafka_t *rk)
{
	/* known once a broker answered a metadata request */
	return rd_kafka_controllerid(rk, 0) >= 0;
}

/* ---------------------------------------------------------- building */

/* Set one property; "topic.x" falls back to the topic property x. */
static int
set(rd_kafka_conf_t *conf, const char *origin, const char *name,
    const char *value, struct buf *err)
{
	char errstr[512];
	rd_kafka_conf_res_t res;

	res = rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr));
	if (res == RD_KAFKA_CONF_UNKNOWN && strncmp(name, "topic.", 6) == 0)
		res = rd_kafka_conf_set(
		    conf, name + 6, value, errstr, sizeof(errstr));
	if (res == RD_KAFKA_CONF_OK)
		return 0;
	if (kafka_prop_secret(name))
		buf_printf(err, "%s %s: invalid value", origin, name);
	else if (res == RD_KAFKA_CONF_UNKNOWN)
		buf_printf(err,
		    "%s %s: no such librdkafka property (see -X list)", origin,
		    name);
	else
		buf_printf(err, "%s %s=%s: %s", origin, name, value, errstr);
	return -1;
}

static bool
user_sets(const struct kafka_opts *o, const char *name)
{
	return kafka_opts_has(o, name);
}

int
kafka_conf_build(const struct kafka_opts *o,
    const struct kafka_default *defaults, struct kafka_client *kc, void *opaque,
    rd_kafka_conf_t **out, struct buf *err)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *brokers = o->brokers, *env;
	bool sasl = o->sasl_mechanism != NULL || o->sasl_user != NULL;
	bool tls = o->cafile != NULL || o->cert != NULL || o->key != NULL ||
	    o->insecure;
	char *secret = NULL;
	size_t i;

	*out = NULL;
	kc->debug = o->debug != NULL;
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_opaque(conf, opaque);
	if (set(conf, "default", "log.thread.name", "false", err) < 0)
		goto fail;
	for (i = 0; defaults != NULL && defaults[i].name != NULL; i++)
		if (set(conf, "default", defaults[i].name, defaults[i].value,
			err) < 0)
			goto fail;

	if ((env = env_get("KAFKA_BROKERS")) != NULL &&
	    set(conf, "KAFKA_BROKERS", "bootstrap.servers", env, err) < 0)
		goto fail;
	if (secret_load("KAFKA_SASL_PASSWORD", o->password_file, &secret, err) <
	    0)
		goto fail;
	if (o->password_file == NULL && secret != NULL &&
	    set(conf, "KAFKA_SASL_PASSWORD", "sasl.password", secret, err) < 0)
		goto fail;

	for (i = 0; i < o->nprops; i++)
		if (set(conf, o->props[i].origin, o->props[i].name,
			o->props[i].value, err) < 0)
			goto fail;

	if (brokers != NULL &&
	    set(conf, "-b", "bootstrap.servers", brokers, err) < 0)
		goto fail;
	if (brokers == NULL && env == NULL &&
	    !user_sets(o, "bootstrap.servers") &&
	    !user_sets(o, "metadata.broker.list") &&
	    !user_sets(o, "test.mock.num.brokers")) {
		buf_printf(err,
		    "no brokers: give -b host:port, KAFKA_BROKERS "
		    "or -X bootstrap.servers");
		goto fail;
	}
	if (o->debug != NULL && set(conf, "-d", "debug", o->debug, err) < 0)
		goto fail;

	if (o->sasl_user != NULL && o->sasl_mechanism == NULL &&
	    !user_sets(o, "sasl.mechanisms") &&
	    !user_sets(o, "sasl.mechanism")) {
		buf_printf(err,
		    "--sasl-user needs --sasl-mechanism (PLAIN, "
		    "SCRAM-SHA-256 or SCRAM-SHA-512)");
		goto fail;
	}
	if (o->sasl_mechanism != NULL &&
	    set(conf, "--sasl-mechanism", "sasl.mechanisms", o->sasl_mechanism,
		err) < 0)
		goto fail;
	if (o->sasl_user != NULL &&
	    set(conf, "--sasl-user", "sasl.username", o->sasl_user, err) < 0)
		goto fail;
	if (o->cafile != NULL &&
	    set(conf, "--cafile", "ssl.ca.location", o->cafile, err) < 0)
		goto fail;
	if (o->cert != NULL &&
	    set(conf, "--cert", "ssl.certificate.location", o->cert, err) < 0)
		goto fail;
	if (o->key != NULL &&
	    set(conf, "--key", "ssl.key.location", o->key, err) < 0)
		goto fail;
	if (o->insecure &&
	    (set(conf, "--insecure", "enable.ssl.certificate.verification",
		 "false", err) < 0 ||
		set(conf, "--insecure", "ssl.endpoint.identification.algorithm",
		    "none", err) < 0))
		goto fail;
	if ((sasl || tls) && !user_sets(o, "security.protocol") &&
	    set(conf, sasl ? "--sasl-mechanism" : "--cafile",
		"security.protocol", sasl ? "SASL_SSL" : "SSL", err) < 0)
		goto fail;
	if (o->password_file != NULL && secret != NULL &&
	    set(conf, "--password-file", "sasl.password", secret, err) < 0)
		goto fail;
	if (o->sasl_user != NULL && secret == NULL &&
	    !user_sets(o, "sasl.password")) {
		buf_printf(err,
		    "--sasl-user %s: no password: set "
		    "KAFKA_SASL_PASSWORD or give --password-file",
		    o->sasl_user);
		goto fail;
	}

	kafka_client_clear(kc);
	kc->secret = secret;
	*out = conf;
	return 0;
fail:
	secret_free(secret);
	rd_kafka_conf_destroy(conf);
	return -1;
}

void
kafka_client_clear(struct kafka_client *kc)
{
	secret_free(kc->secret);
	kc->secret = NULL;
}

/* ---------------------------------------------------------- printing */

/* Not configuration a user wrote: callbacks, opaques, pointers. */
static bool
internal(const char *name)
{
	size_t n = strlen(name);

	return (n > 3 && strcmp(name + n - 3, "_cb") == 0) ||
	    strcmp(name, "opaque") == 0 ||
	    strcmp(name, "default_topic_conf") == 0 ||
	    strcmp(name, "ssl_engine_callback_data") == 0 ||
	    strcmp(name, "builtin.features") == 0;
}

static const char *
lookup(const char **arr, size_t cnt, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < cnt; i += 2)
		if (strcmp(arr[i], name) == 0)
			return arr[i + 1];
	return NULL;
}

static void
print_diff(
    const char **arr, size_t cnt, const char **def, size_t dcnt, struct buf *b)
{
	size_t i;

	for (i = 0; i + 1 < cnt; i += 2) {
		const char *d = lookup(def, dcnt, arr[i]);

		if (internal(arr[i]) ||
		    (d != NULL && strcmp(d, arr[i + 1]) == 0))
			continue;
		buf_printf(b, "%s=%s\n", arr[i],
		    kafka_prop_secret(arr[i]) ? "***" : arr[i + 1]);
	}
}

void
kafka_conf_print(rd_kafka_conf_t *conf, struct buf *b)
{
	rd_kafka_conf_t *fresh = rd_kafka_conf_new();
	rd_kafka_topic_conf_t *tc, *ftc;
	const char **arr, **def;
	size_t cnt, dcnt;

	arr = rd_kafka_conf_dump(conf, &cnt);
	def = rd_kafka_conf_dump(fresh, &dcnt);
	print_diff(arr, cnt, def, dcnt, b);
	rd_kafka_conf_dump_free(arr, cnt);
	rd_kafka_conf_dump_free(def, dcnt);

	tc = rd_kafka_conf_get_default_topic_conf(conf);
	if (tc != NULL) {
		ftc = rd_kafka_topic_conf_new();
		arr = rd_kafka_topic_conf_dump(tc, &cnt);
		def = rd_kafka_topic_conf_dump(ftc, &dcnt);
		print_diff(arr, cnt, def, dcnt, b);
		rd_kafka_conf_dump_free(arr, cnt);
		rd_kafka_conf_dump_free(def, dcnt);
		rd_kafka_topic_conf_destroy(ftc);
	}
	rd_kafka_conf_destroy(fresh);
}

void
kafka_properties_show(FILE *fp)
{
	rd_kafka_conf_properties_show(fp);
}

const char *
kafka_version(void)
{
	static char v[64];

	snprintf(v, sizeof(v), "librdkafka %s", rd_kafka_version_str());
	return v;
}
