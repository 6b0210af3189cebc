/* SPDX-License-Identifier: MIT */
/* The MQTT connection: connect, reconnect with backoff, the poll service. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "backoff.h"
#include "buf.h"
#include "clock.h"
#include "log.h"
#include "mqttconn.h"
#include "mqttopt.h"
#include "banned.h"

static const char *
ep(const struct mqtt_conn *c)
{
	return c->endpoint.data;
}

/* A failed attempt: schedule the next one, or give up. */
static void
fail(struct mqtt_conn *c, const char *what, const char *why)
{
	unsigned ms;

	c->failures++;
	if (!c->o->retries_forever && c->failures > c->o->retries) {
		log_err("%s: %s: %s (gave up after %llu attempt%s)", ep(c),
		    what, why, c->failures, c->failures == 1 ? "" : "s");
		c->fatal = true;
		return;
	}
	ms = backoff_next_ms(&c->bo);
	c->next_attempt = mono_now() + ms / 1000.0;
	log_warn(
	    "%s: %s: %s; retrying in %.1fs", ep(c), what, why, ms / 1000.0);
}

/* The text of a disconnect code: a MOSQ_ERR_* or an MQTT 5 reason code
 * that the broker sent in its DISCONNECT. */
static const char *
down_text(int rc, int saved_errno)
{
	if (rc >= 128)
		return mosquitto_reason_string(rc);
	if (rc == MOSQ_ERR_ERRNO)
		return strerror(saved_errno);
	return mosquitto_strerror(rc);
}

static void
on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
    const mosquitto_property *props)
{
	struct mqtt_conn *c = obj;

	(void)mosq;
	(void)props;
	if (rc == 0) {
		c->state = MQTT_UP;
		c->failures = 0;
		backoff_reset(&c->bo);
		c->session_present = (flags & 1) != 0;
		if (c->connects++ > 0)
			c->reconnects++;
		log_info("%s: connected%s", ep(c),
		    c->session_present ? " (session present)" : "");
		if (c->on_up != NULL)
			c->on_up(c);
		return;
	}
	c->state = MQTT_DOWN;
	if (mqtt_connack_fatal(c->o->version, rc)) {
		log_err("%s: connection refused: %s", ep(c),
		    mqtt_connack_text(c->o->version, rc));
		c->fatal = true;
		return;
	}
	fail(c, "connection refused", mqtt_connack_text(c->o->version, rc));
}

static void
on_disconnect(
    struct mosquitto *mosq, void *obj, int rc, const mosquitto_property *props)
{
	struct mqtt_conn *c = obj;
	enum mqtt_state was = c->state;
	int saved = errno;
	unsigned ms;

	(void)mosq;
	(void)props;
	c->state = MQTT_DOWN;
	if (c->fatal || c->closing || was == MQTT_DOWN) {
		/* nothing to retry */
	} else if (rc == MQTT_RC_SESSION_TAKEN_OVER) {
		log_err("%s: %s: another client connected with our client id",
		    ep(c), mosquitto_reason_string(rc));
		c->fatal = true;
	} else if (was == MQTT_CONNECTING && rc == MOSQ_ERR_TLS) {
		/* the handshake failed after connect() returned (a busy
		 * broker): a certificate, so the next try fails alike */
		log_err("%s: connect: %s", ep(c), mosquitto_strerror(rc));
		c->fatal = true;
	} else if (was == MQTT_CONNECTING)
		fail(c, "connect", down_text(rc, saved));
	else {
		ms = backoff_next_ms(&c->bo);
		c->next_attempt = mono_now() + ms / 1000.0;
		log_warn("%s: connection lost: %s; reconnecting in %.1fs",
		    ep(c), down_text(rc, saved), ms / 1000.0);
	}
	if (was == MQTT_UP && c->on_down != NULL)
		c->on_down(c);
}

static void
on_log(struct mosquitto *mosq, void *obj, int level, const char *text)
{
	(void)mosq;
	(void)obj;
	(void)level;
	log_debug("libmosquitto: %s", text);
}

int
mqtt_conn_init(struct mqtt_conn *c, const struct mqtt_opts *o, const char *id,
    bool clean_start, struct mqtt5__property *props, struct buf *err)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->props = props;
	c->state = MQTT_DOWN;
	backoff_init(&c->bo, MQTT_BACKOFF_BASE_MS, MQTT_BACKOFF_CAP_MS);
	mqtt_endpoint(o, &c->endpoint);
	buf_cstr(&c->endpoint);
	c->mosq = mqtt_client_new(o, id, clean_start, c, err);
	if (c->mosq == NULL)
		return -1;
	/* queue packets; only mqtt_conn_write() puts them on the wire */
	mosquitto_threaded_set(c->mosq, true);
	mosquitto_connect_v5_callback_set(c->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(c->mosq, on_disconnect);
	if (log_verbosity() >= 2)
		mosquitto_log_callback_set(c->mosq, on_log);
	return 0;
}

void
mqtt_conn_free(struct mqtt_conn *c)
{
	if (c->mosq != NULL)
		mosquitto_destroy(c->mosq);
	c->mosq = NULL;
	mosquitto_property_free_all(&c->props);
	buf_free(&c->endpoint);
}

void
mqtt_conn_tick(struct mqtt_conn *c)
{
	int rc;

	if (c->state != MQTT_DOWN || c->fatal || c->closing ||
	    mono_now() < c->next_attempt)
		return;
	errno = 0;
	if (c->started)
		rc = mosquitto_reconnect(c->mosq);
	else
		rc = mqtt_client_connect(c->mosq, c->o, c->props);
	c->started = true;
	if (rc == MOSQ_ERR_SUCCESS) {
		c->state = MQTT_CONNECTING;
		return;
	}
	if (rc == MOSQ_ERR_TLS || rc == MOSQ_ERR_INVAL ||
	    rc == MOSQ_ERR_NOT_SUPPORTED) {
		/* a certificate or a setting: the next try fails alike */
		log_err("%s: connect: %s", ep(c), mosquitto_strerror(rc));
		c->fatal = true;
		return;
	}
	fail(c, "connect",
	    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
}

int
mqtt_conn_timeout_ms(const struct mqtt_conn *c)
{
	double left;

	if (c->state != MQTT_DOWN || c->fatal)
		return 1000;
	left = c->next_attempt - mono_now();
	if (left <= 0)
		return 0;
	return left > 1.0 ? 1000 : (int)(left * 1000.0) + 1;
}

int
mqtt_conn_pollfd(const struct mqtt_conn *c, short *events)
{
	int fd = mosquitto_socket(c->mosq);

	*events = 0;
	if (fd < 0)
		return -1;
	*events = POLLIN;
	if (mosquitto_want_write(c->mosq))
		*events |= POLLOUT;
	return fd;
}

/* A TLS failure reported by a read or write step rather than through the
 * disconnect callback: during the handshake it is a certificate problem,
 * which no retry mends. */
static void
check_tls(struct mqtt_conn *c, int rc)
{
	if (rc != MOSQ_ERR_TLS || c->fatal || c->state != MQTT_CONNECTING)
		return;
	log_err("%s: connect: %s", ep(c), mosquitto_strerror(rc));
	c->fatal = true;
	c->state = MQTT_DOWN;
}

void
mqtt_conn_read(struct mqtt_conn *c, int budget, const bool *stop)
{
	int i, rc;

	for (i = 0; i < budget; i++) {
		if (stop != NULL && *stop)
			break;
		if (mosquitto_socket(c->mosq) < 0)
			break;
		errno = 0;
		rc = mosquitto_loop_read(c->mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			check_tls(c, rc);
			break;
		}
		/* the library's own sign that the socket is drained */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
	}
}

void
mqtt_conn_write(struct mqtt_conn *c)
{
	if (mosquitto_socket(c->mosq) < 0)
		return;
	if (mosquitto_want_write(c->mosq))
		check_tls(c, mosquitto_loop_write(c->mosq, 1));
	if (mosquitto_socket(c->mosq) >= 0)
		(void)mosquitto_loop_misc(c->mosq);
}

void
mqtt_conn_close(struct mqtt_conn *c, int timeout_ms)
{
	double deadline = mono_now() + timeout_ms / 1000.0;
	struct pollfd pfd;

	if (c->state != MQTT_UP)
		return;
	c->closing = true;
	if (mosquitto_disconnect_v5(c->mosq, 0, NULL) != MOSQ_ERR_SUCCESS)
		return;
	while (mosquitto_socket(c->mosq) >= 0 && mono_now() < deadline) {
		pfd.fd = mosquitto_socket(c->mosq);
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		if (mosquitto_loop_write(c->mosq, 1) != MOSQ_ERR_SUCCESS)
			break;
	}
}
