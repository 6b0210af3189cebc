/* SPDX-License-Identifier: MIT */
/* The MQTT tools' shared options: rows, the URL, secrets, client setup. */
#include "prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "buf.h"
#include "env.h"
#include "log.h"
#include "mqttopt.h"
#include "opt.h"
#include "xalloc.h"

/* clang-format off */
const struct opt_row mqtt_opt_rows[] = {
	OPT_ARG('h', "host", "host", "localhost", "the broker's host"),
	OPT_ARG('p', "port", "port", "1883, 8883 with TLS",
	    "the broker's port"),
	OPT_ARG('L', "url", "url", NULL,
	    "mqtt[s]://[user[:password]@]host[:port][/topic]"),
	OPT_ARG(MQTT_OPT_UNIX, "unix", "path", NULL,
	    "connect to the broker's unix socket at path"),
	OPT_ARG('V', "protocol-version", "version", "5",
	    "the MQTT protocol version: 5, 311 or 31"),
	OPT_ARG('i', "id", "id", NULL, "the client id"),
	OPT_ARG('I', "id-prefix", "prefix", NULL,
	    "a client id of prefix, '-' and the process id"),
	OPT_ARG('k', "keepalive", "seconds", "60",
	    "the keepalive interval (0: none, else 5-65535)"),
	OPT_ARG('u', "username", "user", NULL, "the user name"),
	OPT_ARG('P', "pw", "password", NULL,
	    "the password (visible to other users: prefer MQTT_PASSWORD)"),
	OPT_ARG(MQTT_OPT_PASSWORD_FILE, "password-file", "path", NULL,
	    "read the password from the first line of path"),
	OPT_ARG(MQTT_OPT_CAFILE, "cafile", "path", NULL,
	    "verify the broker with the CA certificates in path; TLS on"),
	OPT_ARG(MQTT_OPT_CAPATH, "capath", "dir", NULL,
	    "verify the broker with the CA certificates in dir; TLS on"),
	OPT_ARG(MQTT_OPT_CERT, "cert", "path", NULL,
	    "a client certificate (PEM) for mutual TLS"),
	OPT_ARG(MQTT_OPT_KEY, "key", "path", NULL,
	    "the private key of --cert"),
	OPT_FLAG(MQTT_OPT_INSECURE, "insecure",
	    "do not check that the broker's certificate names the host"),
	OPT_ARG(MQTT_OPT_TLS_VERSION, "tls-version", "version", NULL,
	    "the TLS version: tlsv1.3, tlsv1.2 or tlsv1.1"),
	OPT_FLAG(MQTT_OPT_OS_CERTS, "tls-use-os-certs",
	    "verify the broker with the system's CA certificates; TLS on"),
	OPT_ARG(MQTT_OPT_RETRIES, "retries", "count", "10",
	    "failed connects in a row before giving up (or forever)"),
	OPT_ARG('q', "qos", "qos", "1",
	    "the QoS to publish or subscribe with: 0, 1 or 2"),
	OPT_SET(connect_opt_rows),
	OPT_END,
};
/* clang-format on */

/* How each shared option is stored: the table the handler walks. */
enum kind {
	K_STR, /* a non-empty string, kept as given */
	K_TLS_STR, /* the same, and TLS is on */
	K_PORT,
	K_URL,
	K_UNIX,
	K_VERSION,
	K_KEEPALIVE,
	K_PASSWORD,
	K_PASSWORD_FILE,
	K_INSECURE,
	K_OS_CERTS,
	K_TLS_VERSION,
	K_RETRIES,
};

struct handler {
	int id;
	enum kind kind;
	size_t off; /* of the char * member, for K_STR and K_TLS_STR */
};

#define OFF(m) offsetof(struct mqtt_opts, m)

static const struct handler handlers[] = {
    {'h', K_STR, OFF(host)},
    {'p', K_PORT, 0},
    {'L', K_URL, 0},
    {MQTT_OPT_UNIX, K_UNIX, 0},
    {'V', K_VERSION, 0},
    {'i', K_STR, OFF(id)},
    {'I', K_STR, OFF(id_prefix)},
    {'k', K_KEEPALIVE, 0},
    {'u', K_STR, OFF(user)},
    {'P', K_PASSWORD, 0},
    {MQTT_OPT_PASSWORD_FILE, K_PASSWORD_FILE, 0},
    {MQTT_OPT_CAFILE, K_TLS_STR, OFF(cafile)},
    {MQTT_OPT_CAPATH, K_TLS_STR, OFF(capath)},
    {MQTT_OPT_CERT, K_TLS_STR, OFF(cert)},
    {MQTT_OPT_KEY, K_TLS_STR, OFF(key)},
    {MQTT_OPT_INSECURE, K_INSECURE, 0},
    {MQTT_OPT_TLS_VERSION, K_TLS_VERSION, 0},
    {MQTT_OPT_OS_CERTS, K_OS_CERTS, 0},
    {MQTT_OPT_RETRIES, K_RETRIES, 0},
};

/* ------------------------------------------------------------ URLs */

void
mqtt_url_free(struct mqtt_url *u)
{
	if (u == NULL)
		return;
	free(u->user);
	secret_free(u->password);
	free(u->host);
	free(u->topic);
	memset(u, 0, sizeof(*u));
}

int
mqtt_url_parse(const char *url, struct mqtt_url *u, struct buf *err)
{
	const char *p, *auth, *auth_end, *at, *colon, *hp, *hend, *portp;
	unsigned long long port;
	const char *errstr;
	char *tmp;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "mqtt://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "mqtts://", 8) == 0) {
		u->tls = true;
		p = url + 8;
	} else {
		buf_adds(err, "scheme must be mqtt:// or mqtts://");
		return -1;
	}
	auth = p;
	auth_end = auth + strcspn(auth, "/?#");
	if (*auth_end == '?' || *auth_end == '#') {
		buf_adds(err, "a query or fragment is not allowed");
		return -1;
	}
	/* the last '@' of the authority ends the userinfo */
	at = NULL;
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	hp = auth;
	if (at != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if ((u->user = url_pct_decode(
			 auth, (size_t)((colon ? colon : at) - auth))) == NULL)
			goto badesc;
		if (colon != NULL &&
		    (u->password = url_pct_decode(
			 colon + 1, (size_t)(at - colon - 1))) == NULL)
			goto badesc;
		hp = at + 1;
	}
	if (*hp == '[') {
		hend = memchr(hp, ']', (size_t)(auth_end - hp));
		if (hend == NULL) {
			buf_adds(err, "unterminated '[' in the host");
			goto fail;
		}
		u->host = xmemdup(hp + 1, (size_t)(hend - hp - 1));
		portp = hend + 1;
		if (portp < auth_end && *portp != ':') {
			buf_adds(err, "junk after ']' in the host");
			goto fail;
		}
	} else {
		hend = memchr(hp, ':', (size_t)(auth_end - hp));
		if (hend == NULL)
			hend = auth_end;
		u->host = xmemdup(hp, (size_t)(hend - hp));
		portp = hend;
	}
	if (u->host[0] == '\0') {
		buf_adds(err, "no host");
		goto fail;
	}
	if (portp < auth_end) {
		tmp = xmemdup(portp + 1, (size_t)(auth_end - portp - 1));
		if (parse_uint_range(tmp, 1, 65535, &port, &errstr) < 0) {
			buf_printf(err, "%s port", errstr);
			free(tmp);
			goto fail;
		}
		free(tmp);
		u->port = (int)port;
	}
	if (*auth_end == '/' && auth_end[1] != '\0') {
		u->topic = url_pct_decode(auth_end + 1, strlen(auth_end + 1));
		if (u->topic == NULL)
			goto badesc;
	}
	return 0;
badesc:
	buf_adds(err, "bad %-escape");
fail:
	mqtt_url_free(u);
	return -1;
}

/* ------------------------------------------------------------ options */

void
mqtt_opts_init(struct mqtt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->version = MQTT_PROTOCOL_V5;
	o->keepalive = MQTT_KEEPALIVE;
	o->retries = MQTT_RETRIES_DEFAULT;
	o->qos = 1;
	o->connect_timeout = CONNECT_TIMEOUT_DEFAULT;
}

void
mqtt_opts_free(struct mqtt_opts *o)
{
	secret_free(o->password);
	o->password = NULL;
	mqtt_url_free(&o->url);
	mqtt_url_free(&o->env);
}

/* "-p: " or "--cafile: ", the start of a message about option id. */
static void
prefix(struct buf *err, int id)
{
	const struct opt_row *r = opt_find(mqtt_opt_rows, id);

	if (r != NULL) {
		opt_row_label(r, err);
		buf_adds(err, ": ");
	}
}

#define BAD(...)                                                               \
	do {                                                                   \
		prefix(err, id);                                               \
		buf_printf(err, __VA_ARGS__);                                  \
		return -1;                                                     \
	} while (0)

bool
mqtt_opt_take(const struct opt_parser *p, struct mqtt_opts *o)
{
	struct buf err = BUF_INIT;
	unsigned long long v;
	int rc;

	if (connect_opt_take(p, &o->connect_timeout))
		return true;
	if (p->row->id == 'q') {
		if (parse_uint_range(p->arg, 0, 2, &v, NULL) < 0)
			opt_bad_value(p, NULL, "QoS", "0, 1 or 2");
		o->qos = (int)v;
		return true;
	}
	if ((rc = mqtt_opt_handle(o, p->row->id, p->arg, &err)) < 0)
		usage_error("%s", buf_cstr(&err));
	buf_free(&err);
	return rc > 0;
}

int
mqtt_opt_handle(struct mqtt_opts *o, int id, const char *arg, struct buf *err)
{
	const struct handler *h = NULL;
	unsigned long long v;
	const char *errstr;
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].id == id) {
			h = &handlers[i];
			break;
		}
	if (h == NULL)
		return 0;
	switch (h->kind) {
	case K_TLS_STR:
		o->tls = true;
		/* FALLTHROUGH */
	case K_STR:
		if (arg == NULL || *arg == '\0')
			BAD("empty value");
		*(const char **)((char *)o + h->off) = arg;
		break;
	case K_PORT:
		if (parse_uint_range(arg, 1, 65535, &v, &errstr) < 0)
			BAD("invalid port '%s' (1-65535)", arg);
		o->port = (int)v;
		break;
	case K_URL:
		mqtt_url_free(&o->url);
		if (mqtt_url_parse(arg, &o->url, err) < 0) {
			/* the reason is in err already; say whose it is */
			struct buf t = BUF_INIT;

			buf_add(&t, err->data, err->len);
			err->len = 0;
			buf_adds(err, "-L: ");
			buf_add(err, t.data, t.len);
			buf_free(&t);
			return -1;
		}
		o->have_url = true;
		break;
	case K_UNIX:
		if (arg == NULL || *arg == '\0')
			BAD("empty path");
		o->unix_path = (char *)arg;
		break;
	case K_VERSION:
		if (strcmp(arg, "5") == 0 || strcmp(arg, "mqttv5") == 0)
			o->version = MQTT_PROTOCOL_V5;
		else if (strcmp(arg, "311") == 0 ||
		    strcmp(arg, "mqttv311") == 0)
			o->version = MQTT_PROTOCOL_V311;
		else if (strcmp(arg, "31") == 0 || strcmp(arg, "mqttv31") == 0)
			o->version = MQTT_PROTOCOL_V31;
		else
			BAD("unknown protocol version '%s' (5, 311 or 31)",
			    arg);
		break;
	case K_KEEPALIVE:
		if (parse_uint_range(arg, 0, 65535, &v, &errstr) < 0 ||
		    (v > 0 && v < 5))
			BAD("invalid keepalive '%s' (0, or 5-65535 seconds)",
			    arg);
		o->keepalive = (int)v;
		break;
	case K_PASSWORD:
		/* the value is never echoed, even when it is rejected */
		if (arg == NULL || *arg == '\0')
			BAD("empty password");
		o->pw_argv = arg;
		break;
	case K_PASSWORD_FILE:
		if (arg == NULL || *arg == '\0')
			BAD("empty path");
		o->password_file = arg;
		break;
	case K_INSECURE:
		o->insecure = true;
		break;
	case K_OS_CERTS:
		o->os_certs = true;
		o->tls = true;
		break;
	case K_TLS_VERSION:
		if (strcmp(arg, "tlsv1.3") != 0 &&
		    strcmp(arg, "tlsv1.2") != 0 && strcmp(arg, "tlsv1.1") != 0)
			BAD("unknown TLS version '%s' (tlsv1.3, tlsv1.2 or "
			    "tlsv1.1)",
			    arg);
		o->tls_version = (char *)arg;
		break;
	case K_RETRIES:
		if (strcmp(arg, "forever") == 0) {
			o->retries_forever = true;
			break;
		}
		if (parse_uint_range(arg, 0, 4294967295ULL, &v, &errstr) < 0)
			BAD("invalid count '%s' (a number, or 'forever')", arg);
		o->retries = v;
		o->retries_forever = false;
		break;
	}
	return 1;
}

int
mqtt_opts_port(const struct mqtt_opts *o)
{
	if (o->port > 0)
		return o->port;
	return o->tls ? MQTT_PORT_TLS : MQTT_PORT;
}

static int
check_readable(const char *opt, const char *path, bool dir, struct buf *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		buf_printf(err, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		buf_printf(err, "%s %s: %s", opt, path, strerror(ENOTDIR));
		return -1;
	}
	if (!dir && S_ISDIR(st.st_mode)) {
		buf_printf(err, "%s %s: %s", opt, path, strerror(EISDIR));
		return -1;
	}
	if (access(path, R_OK) < 0) {
		buf_printf(err, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	return 0;
}

int
mqtt_opts_finish(struct mqtt_opts *o, const char *env_url, struct buf *err)
{
	const struct mqtt_url *src = NULL;
	bool explicit_pw = false;
	const char *v;

	if (o->have_url)
		src = &o->url;
	else if (env_url != NULL && o->host == NULL && o->unix_path == NULL) {
		if (mqtt_url_parse(env_url, &o->env, err) < 0) {
			struct buf t = BUF_INIT;

			buf_add(&t, err->data, err->len);
			err->len = 0;
			buf_adds(err, "MQTT_URL: ");
			buf_add(err, t.data, t.len);
			buf_free(&t);
			return -1;
		}
		src = &o->env;
	}
	if (o->unix_path != NULL &&
	    (o->host != NULL || o->port != 0 || o->have_url)) {
		buf_adds(err, "--unix excludes -h, -p and -L");
		return -1;
	}
	if (src != NULL) {
		if (o->host == NULL)
			o->host = src->host;
		if (o->port == 0)
			o->port = src->port;
		if (o->user == NULL)
			o->user = src->user;
		if (src->tls)
			o->tls = true;
		o->topic = src->topic;
	}

	/* the password: the most explicit source wins */
	if (o->password_file != NULL) {
		if (secret_load(NULL, o->password_file, &o->password, err) < 0)
			return -1;
		explicit_pw = true;
	} else if (o->pw_argv != NULL) {
		log_warn("-P: a password on the command line can be seen by "
			 "other users (ps); use MQTT_PASSWORD or "
			 "--password-file");
		o->password = xstrdup(o->pw_argv);
		explicit_pw = true;
	} else if (o->have_url && o->url.password != NULL) {
		log_warn("-L: a password in the URL can be seen by other "
			 "users (ps); use MQTT_PASSWORD or --password-file");
		o->password = xstrdup(o->url.password);
		explicit_pw = true;
	} else if ((v = env_get("MQTT_PASSWORD")) != NULL) {
		o->password = xstrdup(v);
	} else if (src == &o->env && o->env.password != NULL) {
		o->password = xstrdup(o->env.password);
	}
	if (o->password != NULL && o->user == NULL) {
		if (explicit_pw) {
			buf_adds(err, "a password needs a user name (-u)");
			return -1;
		}
		/* MQTT_PASSWORD alone: certificate login, say */
		secret_free(o->password);
		o->password = NULL;
	}

	if (o->id != NULL && o->id_prefix != NULL) {
		buf_adds(err, "-i and -I exclude each other");
		return -1;
	}
	if (o->id != NULL && o->version == MQTT_PROTOCOL_V31 &&
	    strlen(o->id) > 23) {
		buf_adds(
		    err, "-i: MQTT 3.1 allows at most 23 bytes of client id");
		return -1;
	}
	if (o->id != NULL &&
	    mosquitto_validate_utf8(o->id, (int)strlen(o->id)) != 0) {
		buf_adds(err, "-i: the client id is not valid UTF-8");
		return -1;
	}
	if ((o->cert != NULL) != (o->key != NULL)) {
		buf_adds(err, "--cert and --key go together");
		return -1;
	}
	if (o->unix_path != NULL && o->tls) {
		buf_adds(err, "--unix does not take TLS options");
		return -1;
	}
	if (!o->tls && (o->insecure || o->tls_version != NULL)) {
		buf_printf(err,
		    "%s needs TLS (mqtts://, --cafile, --capath or "
		    "--tls-use-os-certs)",
		    o->insecure ? "--insecure" : "--tls-version");
		return -1;
	}
	if (o->tls && o->cafile == NULL && o->capath == NULL) {
		if (o->cert != NULL) {
			buf_adds(err, "--cert needs --cafile or --capath");
			return -1;
		}
		/* mqtts:// alone: the system's CAs, as a browser would */
		o->os_certs = true;
	}
	if (o->cafile != NULL &&
	    check_readable("--cafile", o->cafile, false, err) < 0)
		return -1;
	if (o->capath != NULL &&
	    check_readable("--capath", o->capath, true, err) < 0)
		return -1;
	if (o->cert != NULL &&
	    check_readable("--cert", o->cert, false, err) < 0)
		return -1;
	if (o->key != NULL && check_readable("--key", o->key, false, err) < 0)
		return -1;
	return 0;
}

void
mqtt_endpoint(const struct mqtt_opts *o, struct buf *b)
{
	const char *h = o->host != NULL ? o->host : "localhost";

	if (o->unix_path != NULL) {
		buf_printf(b, "unix:%s", o->unix_path);
		return;
	}
	buf_adds(b, o->tls ? "mqtts://" : "mqtt://");
	if (o->user != NULL)
		buf_printf(b, "%s@", o->user);
	if (strchr(h, ':') != NULL)
		buf_printf(b, "[%s]:%d", h, mqtt_opts_port(o));
	else
		buf_printf(b, "%s:%d", h, mqtt_opts_port(o));
}

char *
mqtt_client_id(const struct mqtt_opts *o)
{
	struct buf b = BUF_INIT;
	char *s;

	if (o->id != NULL)
		return xstrdup(o->id);
	if (o->id_prefix == NULL)
		return NULL;
	buf_printf(&b, "%s-%ld", o->id_prefix, (long)getpid());
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

struct mosquitto *
mqtt_client_new(const struct mqtt_opts *o, const char *id, bool clean_start,
    void *obj, struct buf *err)
{
	struct mosquitto *mosq;
	int rc;

	mosq = mosquitto_new(id, clean_start, obj);
	if (mosq == NULL) {
		buf_printf(
		    err, "cannot create the MQTT client: %s", strerror(errno));
		return NULL;
	}
	rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, o->version);
	if (rc == MOSQ_ERR_SUCCESS && o->tls) {
		if (o->cafile != NULL || o->capath != NULL)
			rc = mosquitto_tls_set(
			    mosq, o->cafile, o->capath, o->cert, o->key, NULL);
		if (rc == MOSQ_ERR_SUCCESS && o->os_certs)
			rc = mosquitto_int_option(
			    mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_opts_set(
			    mosq, 1, o->tls_version, NULL);
		if (rc == MOSQ_ERR_SUCCESS && o->insecure)
			rc = mosquitto_tls_insecure_set(mosq, true);
		if (rc != MOSQ_ERR_SUCCESS) {
			buf_printf(
			    err, "TLS setup: %s", mosquitto_strerror(rc));
			mosquitto_destroy(mosq);
			return NULL;
		}
	}
	if (rc == MOSQ_ERR_SUCCESS && (o->user != NULL || o->password != NULL))
		rc = mosquitto_username_pw_set(mosq, o->user, o->password);
	if (rc != MOSQ_ERR_SUCCESS) {
		/* never the password itself */
		buf_printf(err, "client setup: %s", mosquitto_strerror(rc));
		mosquitto_destroy(mosq);
		return NULL;
	}
	return mosq;
}

int
mqtt_client_connect(struct mosquitto *mosq, const struct mqtt_opts *o,
    const struct mqtt5__property *props)
{
	const mosquitto_property *p =
	    o->version == MQTT_PROTOCOL_V5 ? props : NULL;

	if (o->unix_path != NULL)
		return mosquitto_connect_bind_v5(
		    mosq, o->unix_path, 0, o->keepalive, NULL, p);
	return mosquitto_connect_bind_v5(mosq,
	    o->host != NULL ? o->host : "localhost", mqtt_opts_port(o),
	    o->keepalive, NULL, p);
}

const char *
mqtt_connack_text(int version, int rc)
{
	if (version == MQTT_PROTOCOL_V5)
		return mosquitto_reason_string(rc);
	return mosquitto_connack_string(rc);
}

bool
mqtt_connack_fatal(int version, int rc)
{
	if (version != MQTT_PROTOCOL_V5)
		return rc != CONNACK_REFUSED_SERVER_UNAVAILABLE;
	switch (rc) {
	case MQTT_RC_UNSPECIFIED:
	case MQTT_RC_SERVER_UNAVAILABLE:
	case MQTT_RC_SERVER_BUSY:
	case MQTT_RC_QUOTA_EXCEEDED:
	case MQTT_RC_CONNECTION_RATE_EXCEEDED:
		return false;
	default:
		return true;
	}
}
