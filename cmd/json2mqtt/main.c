/* SPDX-License-Identifier: MIT */
/* json2mqtt: publish each NDJSON line of the standard input to MQTT. */
#include "common/prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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
#include "common/env.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/mqttconn.h"
#include "common/mqttopt.h"
#include "common/ndjson.h"
#include "common/opt.h"
#include "common/reject.h"
#include "common/sig.h"
#include "common/stats.h"
#include "inflight.h"
#include "options.h"
#include "record.h"

#define READ_BUDGET 1024 /* lines read between two socket services */
#define MAX_STALLS 5 /* connections lost in a row with no progress */

struct run {
	const struct opts *o;
	struct mqtt_conn conn;
	struct topic_tmpl *tmpl;
	struct inflight *inflight;
	struct ndjson_reader *rd;
	struct arena *arena;
	struct reject_stream *rej;
	struct stats *st;
	uint64_t *in, *out, *rejected, *reconnects;
	struct buf tbuf, pbuf, why;
	unsigned long long acks; /* acknowledgements since the last loss */
	unsigned stalls; /* connections lost in a row without one */
	int stdin_flags; /* to restore, or -1 */
	/* The reader has handed out every whole line it holds: only then
	 * is stdin's readiness the sign of more input.  Lines left in its
	 * buffer (a read stopped by a full window) make no poll event. */
	bool drained;
	bool eof, failed;
	bool no_topic; /* a record with no topic and no -t: exit 1 at the end */
};

/* Count a reject and write it. */
static void
put_reject(struct run *r, const struct reject *rec)
{
	(*r->rejected)++;
	if (reject_write(r->rej, rec) < 0) {
		log_err("rejects: %s", strerror(errno));
		r->failed = true;
	}
}

static void
reject(struct run *r, const char *reason, unsigned long long lineno,
    const char *line, size_t len)
{
	struct reject rec;

	reject_init(&rec, reason, lineno, line, len);
	put_reject(r, &rec);
}

static void
on_publish(struct mosquitto *mosq, void *obj, int mid, int reason,
    const mosquitto_property *props)
{
	struct run *r = ((struct mqtt_conn *)obj)->arg;
	struct pending *p = inflight_take(r->inflight, mid);
	struct buf why = BUF_INIT;

	(void)mosq;
	(void)props;
	if (p == NULL)
		return;
	r->acks++;
	if (reason >= 128) {
		buf_printf(&why, "refused by the broker: %s",
		    mosquitto_reason_string(reason));
		reject(r, buf_cstr(&why), p->lineno, p->line.data, p->line.len);
		buf_free(&why);
	} else
		(*r->out)++;
	inflight_put(r->inflight, p);
}

/* QoS 0 messages still queued when the connection went are gone with it;
 * QoS 1 and 2 ones libmosquitto sends again after reconnecting. */
static void
on_down(struct mqtt_conn *c)
{
	struct run *r = c->arg;
	struct pending *p, *next;

	/* A broker that drops the connection over one message (too large
	 * for MQTT 3, which cannot say so) would see it again and again. */
	if (r->acks == 0 && inflight_count(r->inflight) > 0 &&
	    ++r->stalls >= MAX_STALLS) {
		log_err(
		    "connection lost %u times in a row with nothing "
		    "acknowledged: giving up (a message the broker refuses, "
		    "such as one over its size limit?)",
		    r->stalls);
		r->failed = true;
	} else if (r->acks > 0)
		r->stalls = 0;
	r->acks = 0;

	for (p = inflight_oldest(r->inflight); p != NULL; p = next) {
		next = p->next;
		if (p->qos != 0)
			continue;
		p = inflight_take(r->inflight, p->mid);
		reject(r, "connection lost before the message was sent",
		    p->lineno, p->line.data, p->line.len);
		inflight_put(r->inflight, p);
	}
}

static const char *
publish_error(int rc)
{
	switch (rc) {
	case MOSQ_ERR_OVERSIZE_PACKET:
		return "larger than the broker's maximum packet size";
	case MOSQ_ERR_PAYLOAD_SIZE:
		return "payload too large for MQTT";
	case MOSQ_ERR_MALFORMED_UTF8:
		return "topic is not valid MQTT UTF-8";
	case MOSQ_ERR_INVAL:
		return "invalid topic";
	case MOSQ_ERR_QOS_NOT_SUPPORTED:
		return "QoS not supported by the broker";
	default:
		return mosquitto_strerror(rc);
	}
}

static void
process(struct run *r, enum ndjson_status s, const struct ndjson_line *ln)
{
	const struct opts *o = r->o;
	struct j2m_pub pub;
	int mid = 0, rc;

	(*r->in)++;
	if (s == NDJSON_TOOLONG) {
		struct reject rec;

		reject_init(&rec, NULL, ln->lineno, ln->line, ln->len);
		reject_too_long(&rec, ln->total);
		put_reject(r, &rec);
		return;
	}
	arena_reset(r->arena);
	buf_reset(&r->why);
	if ((rc = j2m_prepare(&o->rec, r->arena, ln->line, ln->len, &r->tbuf,
		 &r->pbuf, &pub, &r->why)) < 0) {
		reject(r, buf_cstr(&r->why), ln->lineno, ln->line, ln->len);
		if (rc == -2) {
			/* every record like it would be refused: stop here,
			 * once */
			log_err("line %llu: no topic: give -t TOPIC or "
				"--topic-template, or an @metadata.mqtt.topic "
				"in every record",
			    ln->lineno);
			r->eof = r->no_topic = true;
		}
		return;
	}
	rc = mosquitto_publish_v5(r->conn.mosq, &mid, pub.topic, (int)pub.len,
	    pub.payload, o->m.qos, o->retain, NULL);
	/* On a connection that has just gone, libmosquitto keeps a QoS 1 or
	 * 2 message queued, to send after the reconnect, and still says
	 * "not connected": it is in flight, not refused. */
	if (rc == MOSQ_ERR_NO_CONN && o->m.qos > 0 && mid != 0)
		rc = MOSQ_ERR_SUCCESS;
	if (rc != MOSQ_ERR_SUCCESS) {
		reject(r, publish_error(rc), ln->lineno, ln->line, ln->len);
		return;
	}
	if (inflight_add(r->inflight, mid, o->m.qos, ln->lineno, ln->line,
		ln->len) == NULL) {
		/* cannot happen with a window below 65535 */
		log_err("line %llu: message id %d already in flight",
		    ln->lineno, mid);
		r->failed = true;
	}
}

/* Read what stdin has, up to the window. */
static void
read_input(struct run *r)
{
	struct ndjson_line ln;
	enum ndjson_status s;
	int i;

	/* stopped short of NDJSON_AGAIN: lines may wait in the reader */
	r->drained = false;
	for (i = 0; i < READ_BUDGET && !sig_stop; i++) {
		/* the connection may have gone in this round's socket read */
		if (inflight_count(r->inflight) >= r->o->window ||
		    r->conn.state != MQTT_UP)
			return;
		s = ndjson_read(r->rd, &ln);
		if (s == NDJSON_AGAIN) {
			r->drained = true;
			return;
		}
		if (s == NDJSON_EOF) {
			r->eof = true;
			return;
		}
		if (s == NDJSON_ERROR) {
			log_err("%s: read: %s",
			    r->o->io.input != NULL ? r->o->io.input : "stdin",
			    strerror(errno));
			r->eof = r->failed = true;
			return;
		}
		if (s == NDJSON_TORN) {
			/* a killed writer's half line: no record */
			(*stats_counter(r->st, "torn"))++;
			ndjson_warn_torn(&ln);
			continue;
		}
		process(r, s, &ln);
		stats_tick(r->st);
		if (r->eof)
			return;
	}
}

/* Room in the window and a connection to publish on. */
static bool
can_read(const struct run *r)
{
	return !r->eof && !sig_stop && r->conn.state == MQTT_UP &&
	    inflight_count(r->inflight) < r->o->window;
}

static void
loop(struct run *r)
{
	struct pollfd pfd[3];
	bool reading, ready;
	int n, timeout;

	for (;;) {
		stats_serve_signals(r->st, r->rej);
		/* a second signal: stop at once, unacknowledged or not */
		if (sig_stop >= 2 || r->conn.fatal || r->failed)
			break;
		if ((r->eof || sig_stop) && inflight_count(r->inflight) == 0)
			break;
		mqtt_conn_tick(&r->conn);
		if (r->conn.fatal)
			break;
		reading = can_read(r);
		timeout = mqtt_conn_timeout_ms(&r->conn);
		n = stats_next_ms(r->st);
		if (n >= 0 && n < timeout)
			timeout = n;
		/* lines already in the reader's buffer: no waiting for
		 * stdin, which may stay silent until EOF */
		if (reading && !r->drained)
			timeout = 0;
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = mqtt_conn_pollfd(&r->conn, &pfd[1].events);
		pfd[2].fd =
		    reading && r->drained ? ndjson_reader_fd(r->rd) : -1;
		pfd[2].events = POLLIN;
		n = poll(pfd, 3, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			r->failed = true;
			break;
		}
		if (n > 0 && pfd[0].revents)
			sig_drain();
		/* acknowledgements first: they open the window for the
		 * input read in this same round */
		if (n > 0 && pfd[1].fd >= 0 &&
		    (pfd[1].revents & (POLLIN | POLLERR | POLLHUP)))
			mqtt_conn_read(&r->conn, READ_BUDGET, NULL);
		/* at QoS 0 the window opens in the write below, once the
		 * messages are on the socket: the next round reads on */
		ready = n > 0 && pfd[2].fd >= 0 && pfd[2].revents;
		if (can_read(r) && (ready || !r->drained))
			read_input(r);
		mqtt_conn_write(&r->conn);
		stats_check(r->st);
	}
}

/* A pipe, socket or terminal on stdin is read without blocking, so a
 * half line never holds up the acknowledgements; the flags come back at
 * exit.  A regular file never blocks anyway. */
static int
stdin_nonblock(void)
{
	struct stat st;
	int fl;

	if (fstat(STDIN_FILENO, &st) < 0 ||
	    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
		isatty(STDIN_FILENO)))
		return -1;
	if ((fl = fcntl(STDIN_FILENO, F_GETFL)) < 0 ||
	    fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fl;
}

/* -m: the message becomes the only line of stdin, through a pipe (it
 * fits the pipe's buffer: options.c bounds it). */
static void
message_as_stdin(const char *msg)
{
	int fds[2];
	size_t n = strlen(msg);

	if (pipe(fds) < 0)
		fatal("pipe: %s", strerror(errno));
	if (write(fds[1], msg, n) != (ssize_t)n || write(fds[1], "\n", 1) != 1)
		fatal("-m: pipe: %s", strerror(errno));
	close(fds[1]);
	if (dup2(fds[0], STDIN_FILENO) < 0)
		fatal("dup2: %s", strerror(errno));
	close(fds[0]);
}

static int
finish(struct run *r)
{
	struct pending *p;
	size_t lost = inflight_count(r->inflight);
	int rc = r->failed || r->conn.fatal || r->no_topic ? 1 : 0;

	if (lost == 0)
		mqtt_conn_close(&r->conn, 2000);
	/* everything accepted and not acknowledged is a reject: exit 1 */
	while ((p = inflight_oldest(r->inflight)) != NULL) {
		p = inflight_take(r->inflight, p->mid);
		reject(r, "not acknowledged by the broker", p->lineno,
		    p->line.data, p->line.len);
		inflight_put(r->inflight, p);
	}
	if (lost > 0) {
		log_err("%zu message%s not acknowledged by the broker", lost,
		    lost == 1 ? "" : "s");
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
	char *id;
	int rc;

	log_init(argv[0]);
	opts_parse(argc, argv, &o);
	memset(&r, 0, sizeof(r));
	r.o = &o;
	if (o.template != NULL &&
	    (r.tmpl = topic_tmpl_new(o.template, &err)) == NULL)
		usage_error("--topic-template: %s", buf_cstr(&err));
	o.rec.tmpl = r.tmpl;

	if ((r.rej = reject_open(o.c.rejects, "json2mqtt", &err)) == NULL)
		fatal("%s", buf_cstr(&err));
	if (sig_init() < 0)
		fatal("signals: %s", strerror(errno));
	mosquitto_lib_init();
	id = mqtt_client_id(&o.m);
	if (mqtt_conn_init(&r.conn, &o.m, id, true, NULL, &err) < 0)
		fatal("%s", buf_cstr(&err));
	r.conn.arg = &r;
	r.conn.on_down = on_down;
	mosquitto_publish_v5_callback_set(r.conn.mosq, on_publish);
	mosquitto_int_option(r.conn.mosq, MOSQ_OPT_SEND_MAXIMUM, (int)o.window);
	r.inflight = inflight_new();
	r.arena = arena_new();
	if (o.message != NULL)
		message_as_stdin(o.message);
	else if (ndjson_input_on_stdin(o.io.input, o.io.follow) < 0)
		fatal("%s: %s", o.io.input, strerror(errno));
	r.stdin_flags = stdin_nonblock();
	r.drained = true; /* the first read waits for stdin */
	r.rd = ndjson_reader_new(STDIN_FILENO, (size_t)o.c.max_line);
	if (o.io.follow) {
		/* the loop polls the reader's fd: no wait in the reader */
		ndjson_reader_follow(r.rd, o.io.input);
		ndjson_reader_set_timeout(r.rd, 0);
	}
	r.st = stats_new("json2mqtt");
	stats_configure(r.st, o.c.stats_interval, o.c.stats, o.c.progress);
	/* --progress: a percentage when stdin is a regular file */
	stats_set_total(r.st, stats_file_size(STDIN_FILENO), NULL, NULL);
	stats_set_input(r.st, STDIN_FILENO, 0);
	r.in = stats_counter(r.st, "in");
	r.out = stats_counter(r.st, "out");
	r.rejected = stats_counter(r.st, "rejected");
	r.reconnects = stats_counter(r.st, "reconnects");
	stats_metrics_file(r.st, o.c.metrics_file);

	loop(&r);
	rc = finish(&r);

	if (r.stdin_flags >= 0)
		(void)fcntl(STDIN_FILENO, F_SETFL, r.stdin_flags);
	mqtt_conn_free(&r.conn);
	mosquitto_lib_cleanup();
	ndjson_reader_free(r.rd);
	inflight_free(r.inflight);
	stats_free(r.st);
	arena_free(r.arena);
	topic_tmpl_free(r.tmpl);
	buf_free(&r.tbuf);
	buf_free(&r.pbuf);
	buf_free(&r.why);
	buf_free(&err);
	free(id);
	mqtt_opts_free(&o.m);
	return rc;
}
