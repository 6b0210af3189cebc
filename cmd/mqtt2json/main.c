/* SPDX-License-Identifier: MIT */
/* mqtt2json: subscribe to MQTT topics and write each message as NDJSON. */
#include "common/prelude.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/env.h"
#include "common/xalloc.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/mqttconn.h"
#include "common/mqttopt.h"
#include "common/ndjson.h"
#include "common/opt.h"
#include "common/reject.h"
#include "common/sig.h"
#include "common/stats.h"
#include "format.h"
#include "options.h"
#include "subs.h"
#include "topicfields.h"

#define READ_BUDGET 256 /* packets handled between two output flushes */

struct run {
	const struct opts *o;
	struct mqtt_conn conn;
	struct topic_fields *tf;
	bool human_time; /* -F needs the receive time */
	struct arena *arena;
	struct ndjson_writer *w;
	struct reject_stream *rej;
	struct stats *st;
	uint64_t *in, *out, *rejected, *filtered, *reconnects;
	uint64_t *removed; /* --remove-retained only */
	struct buf meta;
	struct m2j_userprop *props;
	size_t nprops, props_cap;
	struct subs *subs; /* the options' */
	double last_msg;
	double hold_until; /* --linger-ms: written out and acknowledged then */
	bool stop; /* no more messages: done, or output gone */
	bool unwritten; /* a message arrived that we did not write out */
	bool failed; /* exit status 1 */
};

static void
on_up(struct mqtt_conn *c)
{
	struct run *r = c->arg;
	const struct opts *o = r->o;
	int opt = 0;

	if (o->durable && !c->session_present)
		log_warn("%s: the broker holds no session for client id '%s' "
			 "(first run, or the broker lost it): what was "
			 "published meanwhile was not kept",
		    c->endpoint.data, o->m.id);
	/* an MQTT 3 session keeps its subscriptions, and subscribing again
	 * would bring the retained messages once more */
	if (c->session_present && o->m.version != MQTT_PROTOCOL_V5)
		return;
	if (o->durable && o->m.version == MQTT_PROTOCOL_V5)
		opt = MQTT_SUB_OPT_SEND_RETAIN_NEW;
	/* --remove-retained: not our own empty messages back */
	if (o->remove_retained && o->m.version == MQTT_PROTOCOL_V5)
		opt |= MQTT_SUB_OPT_NO_LOCAL;
	subs_subscribe(r->subs, c->mosq, o->m.qos, opt);
}

static void
on_subscribe(struct mosquitto *mosq, void *obj, int mid, int count,
    const int *granted, const mosquitto_property *props)
{
	struct run *r = ((struct mqtt_conn *)obj)->arg;

	(void)mosq;
	(void)props;
	if (count >= 1 && subs_suback(r->subs, mid, granted[0])) {
		log_err("every subscription was refused");
		r->failed = r->stop = true;
	}
}

/* The MQTT 5 user properties of a message, into r->props. */
static void
take_props(struct run *r, const mosquitto_property *props)
{
	const mosquitto_property *p;
	char *name, *value;
	bool skip = false;

	for (p = props;
	     (p = mosquitto_property_read_string_pair(
		  p, MQTT_PROP_USER_PROPERTY, &name, &value, skip)) != NULL;
	     skip = true) {
		if (r->nprops == r->props_cap) {
			r->props_cap = r->props_cap ? 2 * r->props_cap : 8;
			r->props = xreallocarray(
			    r->props, r->props_cap, sizeof(*r->props));
		}
		r->props[r->nprops].name = name;
		r->props[r->nprops].value = value;
		r->nprops++;
	}
}

static void
drop_props(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nprops; i++) {
		free((char *)r->props[i].name);
		free((char *)r->props[i].value);
	}
	r->nprops = 0;
}

static void
reject(struct run *r, const struct m2j_msg *m, const char *reason)
{
	struct reject rec;

	(*r->rejected)++;
	buf_reset(&r->meta);
	m2j_meta(m, &r->meta);
	reject_init(&rec, reason, *r->in, m->payload, m->len);
	reject_with_meta(&rec, r->meta.data, r->meta.len);
	if (m->len > (size_t)r->o->c.max_line) {
		reject_too_long(&rec, m->len);
		rec.reason = reason; /* a payload, not a line */
	}
	/* the reject keeps every byte: nothing is lost in silence */
	reject_binary(&rec);
	if (reject_write(r->rej, &rec) < 0) {
		log_err("rejects: %s", strerror(errno));
		r->failed = r->stop = true;
	}
}

/* --remove-retained: an empty retained message clears topic's. */
static void
remove_retained(struct run *r, const char *topic)
{
	int rc;

	rc = mosquitto_publish_v5(
	    r->conn.mosq, NULL, topic, 0, NULL, 1, true, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		log_warn("%s: removing the retained message: %s", topic,
		    mosquitto_strerror(rc));
	else
		(*r->removed)++;
}

static bool
skipped(const struct run *r, const struct mosquitto_message *msg)
{
	return (msg->retain && r->o->no_retained) ||
	    subs_skipped(r->subs, msg->topic);
}

static void
on_message(struct mosquitto *mosq, void *obj,
    const struct mosquitto_message *msg, const mosquitto_property *props)
{
	struct run *r = ((struct mqtt_conn *)obj)->arg;
	const struct opts *o = r->o;
	struct m2j_msg m;
	const char *why;

	(void)mosq;
	if (r->stop) {
		/* past -C or the output is gone: this one stays unwritten,
		 * so its acknowledgement must not leave */
		r->unwritten = true;
		return;
	}
	if (skipped(r, msg)) {
		(*r->filtered)++;
		return;
	}
	if (o->retained_only && !msg->retain) {
		r->stop = r->unwritten = true;
		return;
	}
	r->last_msg = mono_now();
	(*r->in)++;
	memset(&m, 0, sizeof(m));
	m.topic = msg->topic;
	m.payload = msg->payload;
	m.len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	m.qos = msg->qos;
	m.retain = msg->retain;
	if (o->fmt.received) {
		struct timespec now;

		if (clock_gettime(CLOCK_REALTIME, &now) == 0)
			m.received_ms =
			    (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	}
	take_props(r, props);
	m.props = r->props;
	m.nprops = r->nprops;
	if (o->fmt.human != NULL) {
		/* -F: a human view, bytes as they are, never a reject */
		struct timespec when = {0, 0};
		struct buf *b = ndjson_writer_buf(r->w);

		if (r->human_time && clock_gettime(CLOCK_REALTIME, &when) < 0)
			when.tv_sec = time(NULL);
		m2j_human(o->fmt.human, &m, &when, b);
		(*r->out)++;
		if (ndjson_writer_commit(r->w) < 0)
			r->stop = r->unwritten = true;
	} else if (m.len > (size_t)o->c.max_line)
		reject(r, &m, "payload too long");
	else {
		arena_reset(r->arena);
		why =
		    m2j_format(&o->fmt, r->arena, &m, ndjson_writer_buf(r->w));
		if (why != NULL)
			reject(r, &m, why);
		else {
			(*r->out)++;
			if (ndjson_writer_commit(r->w) < 0)
				r->stop = r->unwritten = true;
		}
	}
	drop_props(r);
	/* handed on (or to the rejects): clear it, as mosquitto_sub does */
	if (o->remove_retained && msg->retain && msg->payloadlen > 0 &&
	    !r->unwritten)
		remove_retained(r, msg->topic);
	if (o->count > 0 && *r->in >= o->count)
		r->stop = true;
	stats_tick(r->st);
}

/* Before any acknowledgement leaves: output and rejects written out. */
static bool
flush_all(struct run *r)
{
	if (ndjson_writer_flush(r->w) < 0) {
		r->stop = r->unwritten = true;
		return false;
	}
	if (reject_flush(r->rej) < 0) {
		log_err("rejects: %s", strerror(errno));
		r->failed = r->stop = r->unwritten = true;
		return false;
	}
	return true;
}

static int
min_ms(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static int
until_ms(double t)
{
	double left = t - mono_now();

	if (left <= 0)
		return 0;
	return left > 86400.0 ? 86400000 : (int)(left * 1000.0) + 1;
}

/*
 * --linger-ms: the messages read stay in the output buffer, and their
 * acknowledgements queued, until --linger-ms after the first of them, so
 * that they leave in one write and the next stage wakes once for them
 * all.  Then the socket is not watched either: what arrives meanwhile is
 * read at once at the end.  A full buffer is written at once anyway
 * (ndjson_writer_commit), its acknowledgements still held.
 */
static bool
lingering(struct run *r)
{
	if (r->o->linger_ms == 0)
		return false;
	if (ndjson_writer_buf(r->w)->len == 0) {
		r->hold_until = 0;
		return false;
	}
	if (r->hold_until == 0)
		r->hold_until = mono_now() + (double)r->o->linger_ms / 1000.0;
	return mono_now() < r->hold_until;
}

static void
loop(struct run *r)
{
	const struct opts *o = r->o;
	double start = mono_now();
	struct pollfd pfd[2];
	int timeout, n;
	bool w_timeout = false, more = false, hold;

	r->last_msg = start;
	while (!r->stop && !sig_stop && !r->conn.fatal) {
		stats_serve_signals(r->st, r->rej);
		if (o->timeout_s > 0 && mono_now() >= start + o->timeout_s) {
			w_timeout = true;
			break;
		}
		if (o->idle_s > 0 && mono_now() >= r->last_msg + o->idle_s)
			break;
		mqtt_conn_tick(&r->conn);
		if (r->conn.fatal)
			break;
		timeout = min_ms(
		    mqtt_conn_timeout_ms(&r->conn), stats_next_ms(r->st));
		if (o->timeout_s > 0)
			timeout =
			    min_ms(timeout, until_ms(start + o->timeout_s));
		if (o->idle_s > 0)
			timeout =
			    min_ms(timeout, until_ms(r->last_msg + o->idle_s));
		/* a read that ran out of budget goes on without waiting */
		if (more)
			timeout = 0;
		hold = !more && lingering(r);
		if (hold)
			timeout = min_ms(timeout, until_ms(r->hold_until));
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd =
		    hold ? -1 : mqtt_conn_pollfd(&r->conn, &pfd[1].events);
		pfd[1].revents = 0;
		n = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			r->failed = true;
			break;
		}
		if (n > 0 && pfd[0].revents)
			sig_drain();
		more = false;
		if (n > 0 && pfd[1].fd >= 0 &&
		    (pfd[1].revents & (POLLIN | POLLERR | POLLHUP)))
			more = mqtt_conn_read(&r->conn, READ_BUDGET, &r->stop);
		else if (hold && !lingering(r))
			/* the wait is over: what came meanwhile goes too */
			more = mqtt_conn_read(&r->conn, READ_BUDGET, &r->stop);
		if (!lingering(r)) {
			if (!flush_all(r))
				break;
			mqtt_conn_write(&r->conn);
		}
		stats_check(r->st);
	}
	/* an end without the broker ever reached is not a success */
	if (r->conn.fatal || (!sig_stop && mqtt_conn_never_up(&r->conn)))
		r->failed = true;
	if (w_timeout && o->count > 0 && *r->in < o->count) {
		log_err("-W %g: timed out after %llu of %llu messages",
		    o->timeout_s, (unsigned long long)*r->in, o->count);
		r->failed = true;
	}
}

static int
finish(struct run *r)
{
	int rc = r->failed ? 1 : 0;

	if (!r->unwritten && flush_all(r))
		mqtt_conn_close(&r->conn, 2000);
	/* otherwise the socket closes without the queued acknowledgements:
	 * the broker sends those messages again (duplicates, not losses) */
	if (ndjson_writer_error(r->w) != 0) {
		log_err("%s: %s",
		    r->o->io.output != NULL ? r->o->io.output : "stdout",
		    ndjson_writer_strerror(r->w));
		rc = 1;
	}
	*r->reconnects = r->conn.reconnects;
	return stats_finish(r->st, r->rej, r->o->c.strict, *r->rejected, rc);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct buf err = BUF_INIT;
	mosquitto_property *props = NULL;
	char *id;
	int rc;

	log_init(argv[0]);
	opts_parse(argc, argv, &o);
	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.subs = &o.subs;
	if (o.topic_fields != NULL &&
	    (r.tf = topic_fields_new(o.topic_fields, &err)) == NULL)
		usage_error("--topic-fields: %s", buf_cstr(&err));
	o.fmt.tf = r.tf;

	if ((r.rej = reject_open(o.c.rejects, "mqtt2json", &err)) == NULL)
		fatal("%s", buf_cstr(&err));
	if (sig_init() < 0)
		fatal("signals: %s", strerror(errno));
	mosquitto_lib_init();
	if (o.durable && o.m.version == MQTT_PROTOCOL_V5)
		mosquitto_property_add_int32(&props,
		    MQTT_PROP_SESSION_EXPIRY_INTERVAL, (uint32_t)o.expiry);
	id = mqtt_client_id(&o.m);
	if (mqtt_conn_init(&r.conn, &o.m, id, !o.durable, props, &err) < 0)
		fatal("%s", buf_cstr(&err));
	r.conn.arg = &r;
	r.conn.on_up = on_up;
	/*
	 * libmosquitto 2.0 counts a QoS 2 message against its receive
	 * maximum until PUBCOMP, the broker only until PUBREC: with the
	 * default of 20 the client ends a fast QoS 2 stream with "protocol
	 * error" (mosquitto_sub -V 5 -q 2 does too).  The broker's own
	 * max_inflight_messages still bounds what is in flight.
	 */
	mosquitto_int_option(r.conn.mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 65535);
	mosquitto_message_v5_callback_set(r.conn.mosq, on_message);
	mosquitto_subscribe_v5_callback_set(r.conn.mosq, on_subscribe);
	r.arena = arena_new();
	r.human_time = o.fmt.human != NULL && m2j_human_time(o.fmt.human);
	if ((r.w = ndjson_writer_open(o.io.output, o.io.reopen_timeout)) ==
	    NULL)
		fatal("%s: %s", o.io.output, strerror(errno));
	r.st = stats_new("mqtt2json");
	stats_configure(r.st, o.c.stats_interval, o.c.stats, o.c.progress);
	r.in = stats_counter(r.st, "in");
	r.out = stats_counter(r.st, "out");
	r.rejected = stats_counter(r.st, "rejected");
	r.filtered = stats_counter(r.st, "filtered");
	if (o.remove_retained)
		r.removed = stats_counter(r.st, "removed");
	r.reconnects = stats_counter(r.st, "reconnects");
	stats_metrics_file(r.st, o.c.metrics_file);

	loop(&r);
	rc = finish(&r);

	mqtt_conn_free(&r.conn);
	mosquitto_lib_cleanup();
	ndjson_writer_free(r.w);
	stats_free(r.st);
	arena_free(r.arena);
	topic_fields_free(r.tf);
	free(r.props);
	buf_free(&r.meta);
	buf_free(&err);
	free(id);
	subs_free(&o.subs);
	mqtt_opts_free(&o.m);
	return rc;
}
