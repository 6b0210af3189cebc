/* SPDX-License-Identifier: MIT */
/*
 * The MQTT tools' shared option layer: one table of connection, TLS and
 * authentication options (the idea of mosquitto's client_shared.c, without
 * its strcmp chain), the getopt tables and usage text built from option
 * tables, MQTT_URL and secrets, and a libmosquitto client set up from it.
 */
#ifndef IOTPIPE_MQTTOPT_H
#define IOTPIPE_MQTTOPT_H

#include <stdbool.h>

#include <getopt.h>

#include "backoff.h"
#include "buf.h"
#include "opt.h"

struct mosquitto;
struct mqtt5__property; /* mosquitto_property */

/* ---- option tables ---- */

/*
 * One option.  id is what getopt_long returns: the short letter when
 * there is one, else a value from an enum starting at OPT_COMMON_END
 * (the shared MQTT options) or MQTT_OPT_END (a tool's own).
 */
struct mqtt_optdef {
	int id;
	const char *name; /* long name, NULL for a letter only */
	int has_arg; /* no_argument, required_argument, optional_argument */
	const char *arg; /* the argument's name in the usage */
	bool hidden; /* accepted, documented, but left out of the usage */
};

#define MQTT_OPTDEF_END                                                        \
	{                                                                      \
		0, NULL, 0, NULL, false                                        \
	}

/* getopt_long values of the shared long-only MQTT options. */
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

/* The shared connection options: -h -p -L --unix -V -i -I -k -u -P ... */
extern const struct mqtt_optdef mqtt_optdefs[];
/* --rejects --stats --progress --max-line --strict (common/opt.h). */
extern const struct mqtt_optdef mqtt_common_optdefs[];

/* getopt_long values of the long-only options of mqtt_tool_optdefs; a
 * tool's own start at MQTT_TOOL_END. */
enum {
	MQTT_TOOL_HELP = MQTT_OPT_END,
	MQTT_TOOL_VERSION,
	MQTT_TOOL_QUIET,
	MQTT_TOOL_END
};

/* What every MQTT tool has besides: -d -v -q qos --help --version --quiet. */
extern const struct mqtt_optdef mqtt_tool_optdefs[];

/* A tool's name, its option tables (for --help) and where the options of
 * mqtt_tool_take() go. */
struct mqtt_tool {
	const char *prog;
	const struct mqtt_optdef *const *sets;
	struct common_opts *c;
	struct mqtt_opts *m;
	int *qos;
};

/*
 * Build getopt_long's tables from a NULL-terminated list of option tables:
 * *longopts (NULL-terminated) and *shortopts (":" first, so a missing
 * argument is reported as ':').  Caller frees both with free().
 */
void mqtt_getopt_tables(const struct mqtt_optdef *const *sets,
    struct option **longopts, char **shortopts);

/*
 * The usage text, style(9) order: letters without argument in one
 * bracket group, then long flags, then letters with an argument, then
 * long options with one, then operands (may be NULL).  Wrapped at 80
 * columns under the first option.  Appended to b, ending in "\n".
 */
void mqtt_usage(struct buf *b, const char *prog,
    const struct mqtt_optdef *const *sets, const char *operands);

/* The table entry for getopt value id, or NULL. */
const struct mqtt_optdef *mqtt_optdef_find(
    const struct mqtt_optdef *const *sets, int id);

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

	/* bookkeeping */
	const char *pw_argv; /* -P's argument: visible in ps */
	bool have_url; /* -L was given */
	struct mqtt_url url; /* -L, parsed */
	struct mqtt_url env; /* MQTT_URL, parsed */
};

#define MQTT_RETRIES_DEFAULT 10ULL

/* Defaults: MQTT 5, keepalive 60 s, 10 retries, no TLS. */
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
/* common_opt_handle(), then mqtt_opt_handle(): whether id was one of
 * theirs; a bad value is a usage_error(). */
bool mqtt_opt_take(
    struct common_opts *co, struct mqtt_opts *o, int id, const char *arg);
/* The defaults: common_opts_init(), mqtt_opts_init(), QoS 1. */
void mqtt_tool_init(const struct mqtt_tool *t);
/* mqtt_opt_take(), then the options of mqtt_tool_optdefs (--help prints
 * the usage of t->sets and exits, as --version does): whether id was one
 * of them; a bad value is a usage_error(). */
bool mqtt_tool_take(const struct mqtt_tool *t, int id, const char *arg);

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

/* ---- the connection: connect, reconnect with backoff, poll service ---- */

#define MQTT_BACKOFF_BASE_MS 500
#define MQTT_BACKOFF_CAP_MS 30000

enum mqtt_state {
	MQTT_DOWN, /* no socket; next_attempt says when to try */
	MQTT_CONNECTING, /* CONNECT sent, no CONNACK yet */
	MQTT_UP,
};

struct mqtt_conn {
	struct mosquitto *mosq; /* owned; user data is this struct */
	const struct mqtt_opts *o; /* borrowed */
	struct mqtt5__property *props; /* owned CONNECT properties */
	enum mqtt_state state;
	bool fatal; /* gave up: the tool ends with exit status 1 */
	bool closing; /* our own DISCONNECT is on its way */
	bool started; /* the first connect call was made */
	bool session_present; /* of the last CONNACK */
	double next_attempt; /* mqtt_now() time of the next connect */
	unsigned long long failures; /* failed attempts in a row */
	unsigned long long reconnects; /* connections after the first */
	unsigned long long connects;
	struct backoff bo;
	struct buf endpoint; /* for messages: never the password */
	/* the tool's hooks, called from the library's callbacks */
	void (*on_up)(struct mqtt_conn *c);
	void (*on_down)(struct mqtt_conn *c);
	void *arg; /* the tool's state */
};

/* Seconds on the monotonic clock. */
double mqtt_now(void);

/*
 * A connection (not opened yet: mqtt_conn_tick() does that) with the
 * client of mqtt_client_new().  props (MQTT 5 CONNECT properties, may be
 * NULL) are stolen.  The tool then sets its own message and publish
 * callbacks on c->mosq; their user data is c, and c->arg is the tool's.
 * 0, or -1 with the reason in err.  Free with mqtt_conn_free().
 */
int mqtt_conn_init(struct mqtt_conn *c, const struct mqtt_opts *o,
    const char *id, bool clean_start, struct mqtt5__property *props,
    struct buf *err);
void mqtt_conn_free(struct mqtt_conn *c);

/*
 * When down and the backoff has passed: connect.  A failure is logged
 * with the retry it leads to; after --retries failures in a row, or on a
 * refusal that retrying cannot fix, c->fatal is set.
 */
void mqtt_conn_tick(struct mqtt_conn *c);

/* Milliseconds the poll loop may sleep for the connection's sake. */
int mqtt_conn_timeout_ms(const struct mqtt_conn *c);

/* The socket and poll events to wait for, or -1 when there is none. */
int mqtt_conn_pollfd(const struct mqtt_conn *c, short *events);

/*
 * Read and handle up to budget packets, stopping early when the socket
 * has nothing more or *stop (may be NULL) becomes true.  Callbacks run
 * from here.
 */
void mqtt_conn_read(struct mqtt_conn *c, int budget, const bool *stop);

/* Send what libmosquitto has queued (acknowledgements, publishes), then
 * keepalive work.  The client runs in "threaded" mode, so nothing is
 * written to the socket but from here: a tool decides when acks leave. */
void mqtt_conn_write(struct mqtt_conn *c);

/* Send DISCONNECT and wait up to timeout_ms for it (and everything
 * queued before it) to leave.  Nothing happens when not connected. */
void mqtt_conn_close(struct mqtt_conn *c, int timeout_ms);

#endif
