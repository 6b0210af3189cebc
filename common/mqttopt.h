/* SPDX-License-Identifier: MIT */
/*
 * The MQTT tools' connection settings: the rows of the connection, TLS and
 * authentication options (the idea of mosquitto's client_shared.c, without
 * its strcmp chain), the mqtt:// URL parser, MQTT_URL and secrets, and a
 * libmosquitto client set up from them.  The connection itself is in
 * common/mqttconn.h.
 */
#ifndef IOTPIPE_MQTTOPT_H
#define IOTPIPE_MQTTOPT_H

#include <stdbool.h>

#include "buf.h"
#include "opt.h"
#include "options.h"

struct mosquitto;
struct mqtt5__property; /* mosquitto_property */

/* Ids of the shared long-only MQTT options. */
enum {
	MQTT_OPT_UNIX = OPT_COMMON_END,
	MQTT_OPT_PASSWORD_FILE,
	MQTT_OPT_CAFILE,
	MQTT_OPT_CAPATH,
	MQTT_OPT_CERT,
	MQTT_OPT_KEY,
	MQTT_OPT_INSECURE,
	MQTT_OPT_TLS_VERSION,
	MQTT_OPT_OS_CERTS,
	MQTT_OPT_RETRIES,
	MQTT_OPT_END
};

/*
 * The shared connection options, for a tool's table (OPT_SET, with
 * opt_rows_basic_mqtt): -h -p -L --unix -V -i -I -k -u -P, TLS, --retries
 * and mosquitto's -q QoS.
 */
extern const struct opt_row mqtt_opt_rows[];

/* ---- the connection settings ---- */

/*
 * Parsed form of mqtt://[user[:password]@]host[:port][/topic] and
 * mqtts://...  Strings are owned by the struct (mqtt_url_free); host is
 * "" never: a URL without a host is an error.  IPv6 hosts come in
 * brackets: mqtt://[::1]:1883.  The topic is the path without its first
 * '/', NULL when the URL has no path; "%xx" escapes in the user, password
 * and topic are decoded (a topic filter's '#' must be written %23).
 */
struct mqtt_url {
	bool tls;
	char *user, *password, *host, *topic;
	int port; /* 0 when absent */
};

/* 0, or -1 with "reason" appended to err (never the password). */
int mqtt_url_parse(const char *url, struct mqtt_url *out, struct buf *err);
void mqtt_url_free(struct mqtt_url *u);

#define MQTT_PORT 1883
#define MQTT_PORT_TLS 8883
#define MQTT_KEEPALIVE 60

struct mqtt_opts {
	/* borrowed from argv, or from the parsed URLs below */
	char *host; /* NULL: localhost */
	int port; /* 0: 1883, or 8883 with TLS */
	char *unix_path;
	int version; /* 5, 4 (3.1.1) or 3 (3.1): MQTT_PROTOCOL_V* */
	char *id, *id_prefix;
	int keepalive;
	char *user;
	char *password; /* the secret: owned, wiped by mqtt_opts_free */
	const char *password_file;
	bool tls; /* mqtts:// or any TLS option */
	char *cafile, *capath, *cert, *key, *tls_version;
	bool insecure, os_certs;
	char *topic; /* the path of -L or MQTT_URL, NULL when none */
	unsigned long long
	    retries; /* failed connects in a row before giving up */
	bool retries_forever;
	double connect_timeout; /* --connect-timeout: the first CONNACK */
	int qos; /* -q: the QoS of publishes or subscriptions */

	/* bookkeeping */
	const char *pw_argv; /* -P's argument: visible in ps */
	bool have_url; /* -L was given */
	struct mqtt_url url; /* -L, parsed */
	struct mqtt_url env; /* MQTT_URL, parsed */
};

#define MQTT_RETRIES_DEFAULT 10ULL

/* Defaults: MQTT 5, keepalive 60 s, 10 retries, no TLS, QoS 1. */
void mqtt_opts_init(struct mqtt_opts *o);
/* Wipe the secret and free what the struct owns; o is then unusable. */
void mqtt_opts_free(struct mqtt_opts *o);

/*
 * Handle getopt value id with optarg arg.  1: a shared MQTT option, stored
 * (arg borrowed: it must outlive o, as argv does); 0: not one of ours;
 * -1: a bad value, with "-p: invalid port 'x'"-style text appended to err.
 */
int mqtt_opt_handle(
    struct mqtt_opts *o, int id, const char *arg, struct buf *err);
/*
 * Take the option opt_next() returned when it is one of mqtt_opt_rows:
 * true; false when it is not.  -q sets o->qos (0, 1 or 2); the others go
 * through mqtt_opt_handle().  A bad value is a usage error, exit 2.
 */
bool mqtt_opt_take(const struct opt_parser *p, struct mqtt_opts *o);

/*
 * After the options: take MQTT_URL (env_url, may be NULL) for what the
 * flags left unset, load the password (--password-file, -P or -L, then
 * MQTT_PASSWORD, then MQTT_URL's), warn once when the password came from
 * the command line, and check the combinations.  0, or -1 with one line of
 * text in err (a usage error: exit 2).
 */
int mqtt_opts_finish(struct mqtt_opts *o, const char *env_url, struct buf *err);

/* The port that will be used (the default depends on TLS). */
int mqtt_opts_port(const struct mqtt_opts *o);

/*
 * "mqtt://user@host:1883" or "unix:/path" for messages: never a
 * password.  Appended to b.
 */
void mqtt_endpoint(const struct mqtt_opts *o, struct buf *b);

/*
 * The client id for this run: -i, or -I plus "-" and the pid, or NULL
 * (the broker assigns one in MQTT 5; libmosquitto makes one for 3.x).
 * Caller frees with free().
 */
char *mqtt_client_id(const struct mqtt_opts *o);

/*
 * A libmosquitto client with the protocol version, TLS and credentials of
 * o, and obj as its user data (mosquitto_lib_init() must have been
 * called).  NULL with the reason in err.  Caller frees with
 * mosquitto_destroy().
 */
struct mosquitto *mqtt_client_new(const struct mqtt_opts *o, const char *id,
    bool clean_start, void *obj, struct buf *err);

/*
 * Open the connection (TCP or the unix socket) and queue the CONNECT;
 * props are MQTT 5 CONNECT properties or NULL.  Returns a MOSQ_ERR_*
 * value; with MOSQ_ERR_ERRNO, errno says why.
 */
int mqtt_client_connect(struct mosquitto *mosq, const struct mqtt_opts *o,
    const struct mqtt5__property *props);

/*
 * The text of a CONNACK refusal: MQTT 5 reason codes through
 * mosquitto_reason_string(), 3.x return codes through
 * mosquitto_connack_string().  Static storage.
 */
const char *mqtt_connack_text(int version, int rc);

/* True when a CONNACK code means "your credentials or identity are
 * refused", which retrying will not fix. */
bool mqtt_connack_fatal(int version, int rc);

#endif
