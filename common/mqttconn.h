/* SPDX-License-Identifier: MIT */
/*
 * The MQTT tools' connection: a libmosquitto client (common/mqttopt.h
 * builds it from the options) that connects, reconnects with backoff and
 * is served from the tool's own poll loop.
 */
#ifndef IOTPIPE_MQTTCONN_H
#define IOTPIPE_MQTTCONN_H

#include <stdbool.h>

#include "backoff.h"
#include "buf.h"
#include "mqttopt.h"

struct mosquitto;
struct mqtt5__property; /* mosquitto_property */

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
	double next_attempt; /* mono_now() time of the next connect */
	/* until the first CONNACK: when --connect-timeout ends (0 before
	 * the first try), and why the last try failed */
	double first_deadline;
	struct buf cause;
	int cause_rc, cause_errno;
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
 * refusal that retrying cannot fix, c->fatal is set.  A broker that never
 * answered is a configuration mistake, not an outage: when
 * --connect-timeout passes before the first CONNACK, or the host name
 * does not resolve, c->fatal is set with the cause and what to check.
 */
void mqtt_conn_tick(struct mqtt_conn *c);

/*
 * At the end of a run that was not stopped by a signal (-W, -C,
 * --idle-timeout, end of input): a broker never reached is an error, exit
 * 1, never 0.  Says so (the cause and the fix) and sets c->fatal when no
 * CONNACK ever came; returns c->fatal.
 */
bool mqtt_conn_never_up(struct mqtt_conn *c);

/* Milliseconds the poll loop may sleep for the connection's sake. */
int mqtt_conn_timeout_ms(const struct mqtt_conn *c);

/* The socket and poll events to wait for, or -1 when there is none. */
int mqtt_conn_pollfd(const struct mqtt_conn *c, short *events);

/*
 * Read and handle up to budget packets, stopping early when the socket
 * has nothing more or *stop (may be NULL) becomes true.  Callbacks run
 * from here.  True when the budget ran out (more may be waiting).
 */
bool mqtt_conn_read(struct mqtt_conn *c, int budget, const bool *stop);

/* Send what libmosquitto has queued (acknowledgements, publishes), then
 * keepalive work.  The client runs in "threaded" mode, so nothing is
 * written to the socket but from here: a tool decides when acks leave. */
void mqtt_conn_write(struct mqtt_conn *c);

/* Send DISCONNECT and wait up to timeout_ms for it (and everything
 * queued before it) to leave.  Nothing happens when not connected. */
void mqtt_conn_close(struct mqtt_conn *c, int timeout_ms);

#endif
