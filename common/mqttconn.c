/* SPDX-License-Identifier: MIT */
/* The MQTT connection: connect, reconnect with backoff, the poll service. */
#include "prelude.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

/* The answer to the last CONNECT tried at the end of --connect-timeout
 * gets this long. */
#define CONNACK_GRACE_S 1.0

static const char *
ep(const struct mqtt_conn *c)
{
	return c->endpoint.data;
}

/* Connected once: the retries ride out an outage.  Never: a setting. */
static bool
never_up(const struct mqtt_conn *c)
{
	return c->connects == 0;
}

/*
 * The connection closed, or was garbled, between CONNECT and CONNACK: a
 * TLS listener spoken to in plain text closes it, an HTTP server answers
 * what libmosquitto cannot read.  No retry mends that.
 */
static bool
closed_early(int rc, int saved_errno)
{
	return rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_PROTOCOL ||
	    rc == MOSQ_ERR_MALFORMED_PACKET || rc == MOSQ_ERR_UNKNOWN ||
	    (rc == MOSQ_ERR_ERRNO && saved_errno == 0);
}

/* What to check when the broker never answered, for the cause rc. */
static const char *
reach_hint(const struct mqtt_conn *c, int rc, int saved_errno)
{
	if (c->o->unix_path != NULL)
		return "is the broker running? check --unix";
	if (rc == MOSQ_ERR_EAI)
		return "is the host name right? check -h / -L / MQTT_URL";
	if (rc == MOSQ_ERR_ERRNO && saved_errno == ECONNREFUSED)
		return "nothing listens there: is the broker running? "
		       "check -h, -p / -L / MQTT_URL";
	if (closed_early(rc, saved_errno) && !c->o->tls)
		return "something listens there, but it does not speak MQTT "
		       "in plain text: is it a TLS port (mqtts://, --cafile), "
		       "or another protocol's? check -p / -L / MQTT_URL";
	if (closed_early(rc, saved_errno))
		return "something listens there, but it does not answer as an "
		       "MQTT broker: check -p / -L / MQTT_URL";
	if (rc == MOSQ_ERR_TLS)
		return "the TLS handshake failed: is it a TLS port? check "
		       "--cafile, --insecure";
	return "is the broker running? check -h, -p / -L / MQTT_URL";
}

/* Give up on a broker that never answered: the cause and the fix, once. */
static void
never_reached(struct mqtt_conn *c, const char *why, const char *hint)
{
	log_err("%s: never connected%s%s (gave up after %llu attempt%s): %s",
	    ep(c), why[0] ? ": " : "", why, c->failures,
	    c->failures == 1 ? "" : "s", hint);
	c->fatal = true;
	c->state = MQTT_DOWN;
}

/* A failed attempt: schedule the next one, or give up.  rc and saved
 * errno name the cause for the first connection's hint. */
static void
fail_rc(struct mqtt_conn *c, const char *what, const char *why, int rc,
    int saved_errno)
{
	unsigned ms;

	if (never_up(c)) {
		buf_reset(&c->cause);
		buf_printf(&c->cause, "%s: %s", what, why);
		/* libmosquitto's texts end in a full stop */
		if (c->cause.len > 0 && c->cause.data[c->cause.len - 1] == '.')
			c->cause.data[--c->cause.len] = '\0';
		c->cause_rc = rc;
		c->cause_errno = saved_errno;
		ms = backoff_next_ms(&c->bo);
		c->failures++;
		/* a name that does not resolve now will not in a moment */
		if (rc == MOSQ_ERR_EAI || mono_now() >= c->first_deadline ||
		    (!c->o->retries_forever && c->failures > c->o->retries)) {
			never_reached(c, buf_cstr(&c->cause),
			    reach_hint(c, rc, saved_errno));
			return;
		}
		/* the last try at the end of --connect-timeout */
		c->next_attempt = mono_now() + ms / 1000.0;
		if (c->next_attempt > c->first_deadline)
			c->next_attempt = c->first_deadline;
		log_warn("%s: %s: %s; retrying in %.1fs", ep(c), what, why,
		    c->next_attempt - mono_now());
		return;
	}
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

static void
fail(struct mqtt_conn *c, const char *what, const char *why)
{
	fail_rc(c, what, why, MOSQ_ERR_SUCCESS, 0);
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
	} else if (was == MQTT_CONNECTING && never_up(c) &&
	    closed_early(rc, saved)) {
		/* a port that is not MQTT, or TLS spoken to in plain text:
		 * said once, at once */
		c->failures++;
		never_reached(c, "the connection closed before CONNACK",
		    reach_hint(c, rc, saved));
	} else if (was == MQTT_CONNECTING && never_up(c) &&
	    rc != MOSQ_ERR_TLS) {
		fail_rc(c, "connect", down_text(rc, saved), rc, saved);
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
	buf_free(&c->cause);
}

bool
mqtt_conn_never_up(struct mqtt_conn *c)
{
	if (c->fatal || !never_up(c))
		return c->fatal;
	never_reached(c,
	    c->cause.len > 0 ? buf_cstr(&c->cause)
			     : "ended before the broker answered",
	    reach_hint(c, c->cause_rc, c->cause_errno));
	return true;
}

void
mqtt_conn_tick(struct mqtt_conn *c)
{
	int rc;

	if (c->state == MQTT_CONNECTING && never_up(c) && !c->fatal &&
	    !c->closing && mono_now() >= c->first_deadline + CONNACK_GRACE_S) {
		/* no CONNACK in time: the port answers, but not as MQTT */
		c->failures++;
		never_reached(c, "no answer to CONNECT",
		    "is it an MQTT port, or a TLS one? check -p / -L / "
		    "MQTT_URL, --cafile, --connect-timeout");
		return;
	}
	if (c->state != MQTT_DOWN || c->fatal || c->closing ||
	    mono_now() < c->next_attempt)
		return;
	if (!c->started)
		c->first_deadline = mono_now() + c->o->connect_timeout;
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
	fail_rc(c, "connect",
	    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc), rc,
	    errno);
}

int
mqtt_conn_timeout_ms(const struct mqtt_conn *c)
{
	double left, wake;

	if (c->fatal)
		return 1000;
	/* wake for --connect-timeout too, whatever the state */
	wake = c->state == MQTT_DOWN ? c->next_attempt : mono_now() + 1.0;
	if (c->started && never_up(c) &&
	    c->first_deadline + CONNACK_GRACE_S < wake)
		wake = c->first_deadline + CONNACK_GRACE_S;
	left = wake - mono_now();
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

/* Bytes waiting on the connection's socket. */
static bool
pending(struct mqtt_conn *c)
{
	int n = 0;

	return ioctl(mosquitto_socket(c->mosq), FIONREAD, &n) == 0 && n > 0;
}

bool
mqtt_conn_read(struct mqtt_conn *c, int budget, const bool *stop)
{
	int i, rc;

	for (i = 0; i < budget; i++) {
		if (stop != NULL && *stop)
			return false;
		if (mosquitto_socket(c->mosq) < 0)
			return false;
		errno = 0;
		rc = mosquitto_loop_read(c->mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			check_tls(c, rc);
			return false;
		}
		/* the library's sign that the socket is drained, but not
		 * always a true one: errno may be left from libmosquitto's
		 * wake-up byte to its own socketpair, which nobody reads
		 * here, so that write fails with EAGAIN once it is full
		 * (after every acknowledgement queued in a callback).  The
		 * socket says whether more is there; without this, a
		 * subscriber read one message per poll. */
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && !pending(c))
			return false;
	}
	return true;
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
