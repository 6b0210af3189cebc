/* SPDX-License-Identifier: MIT */
/* kprod: publish each NDJSON line of the standard input to Kafka. */
#include "common/prelude.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/jsonx.h"
#include "common/kafkaopt.h"
#include "common/log.h"
#include "common/ndjson.h"
#include "common/opt.h"
#include "common/reject.h"
#include "common/sig.h"
#include "common/stats.h"
#include "common/xalloc.h"
#include "options.h"
#include "record.h"
#include "why.h"

#define READ_BUDGET 4096 /* lines between two services of librdkafka */
#define BATCH_MAX 1024 /* messages handed to librdkafka in one call */
#define MAX_TOPICS 64 /* topic handles kept for @metadata.kafka.topic */
#define PURGE_WAIT_MS 5000 /* for the reports of purged messages */
#define WHY_TIMEOUT_MS 2000 /* for each question about a timeout */

/*
 * What a message in flight carries to its delivery report: its input line
 * number, tagged into the opaque pointer (lineno << 1 | 1), or, when a
 * reject would need the line as read and the value is not that line, a
 * struct pline.
 */
struct pline {
	unsigned long long lineno;
	size_t len;
	char line[];
};

struct topic_handle {
	char *name;
	rd_kafka_topic_t *rkt;
};

struct run {
	struct kafka_client kc; /* first: librdkafka's callbacks find it */
	const struct opts *o;
	rd_kafka_t *rk;
	struct topic_handle topics[MAX_TOPICS];
	size_t ntopics;
	rd_kafka_topic_t *rkt; /* -t's */
	/* messages for -t and -p with no header and no timestamp, gathered
	 * for one rd_kafka_produce_batch(): their bytes are the reader's,
	 * valid until it reads again */
	rd_kafka_message_t *batch;
	size_t nbatch;
	struct ndjson_reader *rd;
	struct arena *arena, *dr_arena;
	struct reject_stream *rej;
	struct ndjson_writer *receipts;
	int receipts_fd;
	bool receipts_path; /* a path of ours: SIGHUP opens it again */
	struct stats *st;
	uint64_t *in, *out, *rejected, *undelivered;
	unsigned long long inflight;
	double deadline; /* for all waiting after a stop: 0 before one */
	struct buf why, meta, reason;
	struct kp_why *diag; /* why messages timed out */
	bool acks_all; /* acks=all: min.insync.replicas applies */
	int evfd[2]; /* librdkafka writes here when a report is ready */
	bool eof, failed, keep_lines;
	bool stop_reading; /* -c reached, receipts' reader gone */
	bool reached; /* a broker answered once */
	unsigned long long last_line; /* the line number last read */
	/* check_config_error(): the error, and the first line read after
	 * it was reported (0: none yet) */
	rd_kafka_resp_err_t cfg_err;
	unsigned long long cfg_after;
	double connect_deadline; /* --connect-timeout, from the start */
};

/* Count a reject and write it, with the line's @metadata if asked. */
static void
reject(struct run *r, struct reject *rec, bool with_meta)
{
	(*r->rejected)++;
	buf_reset(&r->meta);
	if (with_meta && rec->input != NULL) {
		arena_reset(r->dr_arena);
		kp_line_meta(r->dr_arena, rec->input, rec->input_len, &r->meta);
		reject_with_meta(rec, r->meta.data, r->meta.len);
	}
	if (reject_write(r->rej, rec) < 0 && !r->failed) {
		log_err("rejects: %s", strerror(errno));
		r->failed = true;
	}
}

static void
receipt(struct run *r, const rd_kafka_message_t *m, unsigned long long line)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	struct buf *b;

	if (r->receipts == NULL || ndjson_writer_gone(r->receipts))
		return;
	b = ndjson_writer_buf(r->receipts);
	buf_printf(b, "{\"line\":%llu,\"topic\":", line);
	jsonx_emit_string_lossy(b, topic, strlen(topic));
	buf_printf(b, ",\"partition\":%d,\"offset\":%lld}", (int)m->partition,
	    (long long)m->offset);
	if (ndjson_writer_commit(r->receipts) < 0)
		r->stop_reading = true;
}

/*
 * Line lineno, for the -t topic, failed with err.  Before any delivery
 * succeeded, an error that every other record meets too (the topic does
 * not exist and the broker does not create it, the partition of -p does
 * not, the user may not write there) is a configuration mistake, not a
 * bad record, once it persists: when a line read after the first such
 * failure was reported fails the same way (one refused request, which
 * a broker may answer once, is not that).  Then say it once with the fix
 * and end as on a fatal error: what is in flight is purged and listed as
 * not delivered, and nothing more is read.
 */
static void
check_config_error(
    struct run *r, rd_kafka_resp_err_t err, unsigned long long lineno)
{
	const char *fix;

	if (r->kc.fatal || *r->out > 0)
		return;
	switch (err) {
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
		fix = "the topic does not exist and the broker does not "
		      "create it: create it, or check -t";
		break;
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
		fix = "the topic has no such partition: check -p";
		break;
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
		fix = "this user may not write to it: check --sasl-user and "
		      "the topic's ACLs";
		break;
	default:
		return;
	}
	if (r->cfg_after == 0 || err != r->cfg_err) {
		r->cfg_err = err;
		r->cfg_after = r->last_line + 1;
		return;
	}
	if (lineno < r->cfg_after)
		return;
	log_err(
	    "topic %s: %s: %s", r->o->rec.topic, rd_kafka_err2str(err), fix);
	r->kc.fatal = 1;
	r->deadline = mono_now();
}

/* A message timed out: the broker's reason, when the cluster shows one. */
static void
timed_out_why(struct run *r, const rd_kafka_message_t *m, struct reject *rec)
{
	rd_kafka_resp_err_t e;
	const char *text;

	if (m->partition < 0 || sig_stop >= 2)
		return;
	e = kp_why(r->diag, rd_kafka_topic_name(m->rkt), m->partition,
	    WHY_TIMEOUT_MS, &text);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	buf_reset(&r->reason);
	buf_printf(&r->reason, "%s: %s (partition %d: %s)", rec->reason,
	    rd_kafka_err2str(e), (int)m->partition, text);
	rec->reason = buf_cstr(&r->reason);
	rec->broker_error = rd_kafka_err2name(e);
}

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct run *r = opaque;
	uintptr_t tag = (uintptr_t)m->_private;
	struct pline *pl = tag & 1 ? NULL : m->_private;
	unsigned long long lineno = pl != NULL ? pl->lineno : tag >> 1;
	struct reject rec;

	(void)rk;
	r->inflight--;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		(*r->out)++;
		receipt(r, m, lineno);
		free(pl);
		return;
	}
	(*r->undelivered)++;
	if (r->rkt != NULL && m->rkt == r->rkt)
		check_config_error(r, m->err, lineno);
	/* the line as read, or the value sent when that is the line */
	if (pl != NULL)
		reject_init(
		    &rec, rd_kafka_err2str(m->err), lineno, pl->line, pl->len);
	else
		reject_init(
		    &rec, rd_kafka_err2str(m->err), lineno, m->payload, m->len);
	rec.kafka_error = rd_kafka_err2name(m->err);
	if (m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
		timed_out_why(r, m, &rec);
	rec.possibly_persisted = rd_kafka_message_status(m) ==
	    RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED;
	reject(r, &rec, true);
	free(pl);
}

static rd_kafka_topic_t *
topic_handle(struct run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ntopics; i++)
		if (strcmp(r->topics[i].name, name) == 0)
			return r->topics[i].rkt;
	if (r->ntopics == MAX_TOPICS)
		return NULL;
	r->topics[i].rkt = rd_kafka_topic_new(r->rk, name, NULL);
	if (r->topics[i].rkt == NULL)
		return NULL;
	r->topics[i].name = xstrdup(name);
	r->ntopics++;
	return r->topics[i].rkt;
}

/*
 * SIGHUP: --receipts is opened again, as the reject stream is, for a log
 * rotation; the receipts written before the signal go to the old file.
 * The new file takes the old descriptor's number, so the writer goes on.
 */
static void
reopen_receipts(struct run *r)
{
	int fd;

	if (!r->receipts_path || ndjson_writer_gone(r->receipts))
		return;
	if (ndjson_writer_flush(r->receipts) < 0)
		log_err("--receipts %s: %s", r->o->receipts,
		    strerror(ndjson_writer_error(r->receipts)));
	fd = open(
	    r->o->receipts, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, r->receipts_fd) < 0 ||
	    fcntl(r->receipts_fd, F_SETFD, FD_CLOEXEC) < 0)
		log_err("--receipts %s: reopen: %s", r->o->receipts,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Never reached is a configuration mistake, not an outage: when no broker
 * answered within --connect-timeout, say why and what to check, and end
 * as on a fatal error, without the wait of --flush-timeout (what is in
 * flight is purged and listed as not delivered).
 */
static void
check_reached(struct run *r)
{
	struct buf err = BUF_INIT;

	if (r->reached || r->kc.fatal)
		return;
	if (*r->out > 0 || kafka_reached(r->rk)) {
		r->reached = true;
		return;
	}
	/* a name that does not resolve will not in a moment */
	if (mono_now() < r->connect_deadline &&
	    r->kc.last_err != RD_KAFKA_RESP_ERR__RESOLVE)
		return;
	kafka_unreached_text(&r->kc, r->o->k.connect_timeout, &err);
	log_err("%s", buf_cstr(&err));
	buf_free(&err);
	r->kc.fatal = 1;
	r->deadline = mono_now();
}

/* Serve delivery reports, waiting up to ms for the first one. */
static void
service(struct run *r, int ms)
{
	char junk[64];

	rd_kafka_poll(r->rk, ms);
	check_reached(r);
	while (read(r->evfd[0], junk, sizeof(junk)) > 0)
		;
	if (sig_hup)
		reopen_receipts(r); /* before stats_serve_signals clears it */
	stats_serve_signals(r->st, r->rej);
	stats_check(r->st);
}

/*
 * Whether the time to wait after a stop is over.  The first signal or
 * fatal error starts --flush-timeout, once, for all that follows: the wait
 * for room for the lines already read and the wait for their reports
 * together take no longer.
 */
static bool
stop_expired(struct run *r)
{
	if (!sig_stop && !r->kc.fatal)
		return false;
	if (r->deadline == 0)
		r->deadline = mono_now() + r->o->flush_timeout;
	return mono_now() >= r->deadline;
}

/*
 * librdkafka's queue is full: serve reports so that it empties.  False when
 * the line is given up instead: the line is accepted, so after a first
 * signal it still gets what is left of --flush-timeout to find room; a
 * second signal or a fatal error ends that.
 */
static bool
await_room(struct run *r)
{
	if (sig_stop >= 2 || r->kc.fatal || stop_expired(r))
		return false;
	service(r, 100);
	return true;
}

/* A line librdkafka did not take.  Only a message over
 * message.max.bytes is refused for what it is; any other error (a
 * partition or topic that does not exist, a full queue at the stop, a
 * fatal error) is a delivery that failed, as it is when the same error
 * comes later in a delivery report: exit status 1. */
static void
unsent(struct run *r, rd_kafka_resp_err_t err, unsigned long long lineno,
    const char *line, size_t len)
{
	struct reject rec;

	if (err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
		(*r->undelivered)++;
	reject_init(&rec,
	    err == RD_KAFKA_RESP_ERR__QUEUE_FULL
		? "not sent: stopped while the producer queue was full"
		: rd_kafka_err2str(err),
	    lineno, line, len);
	rec.kafka_error = rd_kafka_err2name(err);
	reject(r, &rec, true);
}

/*
 * Hand the gathered messages to librdkafka in one call, which reads the
 * clock and takes the topic's lock once for all of them.  On a full queue
 * it takes a prefix and fails the rest (librdkafka stops at the first
 * QUEUE_FULL), which is handed again once there is room: the order stays.
 */
static void
produce_gathered(struct run *r)
{
	rd_kafka_message_t *b = r->batch;
	size_t n = r->nbatch, i, k;
	int taken;

	r->nbatch = 0;
	while (n > 0) {
		taken = rd_kafka_produce_batch(r->rkt, r->o->rec.partition,
		    RD_KAFKA_MSG_F_COPY, b, (int)n);
		r->inflight += (unsigned long long)taken;
		for (i = 0, k = 0; i < n; i++) {
			if (b[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
				continue;
			if (b[i].err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				b[k++] = b[i]; /* again */
			else {
				/* the -t topic */
				check_config_error(
				    r, b[i].err, (uintptr_t)b[i]._private >> 1);
				unsent(r, b[i].err,
				    (uintptr_t)b[i]._private >> 1, b[i].payload,
				    b[i].len);
			}
		}
		if ((n = k) > 0 && !await_room(r)) {
			for (i = 0; i < n; i++)
				unsent(r, RD_KAFKA_RESP_ERR__QUEUE_FULL,
				    (uintptr_t)b[i]._private >> 1, b[i].payload,
				    b[i].len);
			n = 0;
		}
	}
}

/* Hand one message to librdkafka; on a full queue, serve reports until
 * there is room (backpressure: stdin waits). */
static void
produce(struct run *r, const struct kp_msg *m, unsigned long long lineno,
    const char *line, size_t len)
{
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_topic_t *rkt;
	rd_kafka_message_t *g;
	struct pline *pl = NULL;
	rd_kafka_vu_t vu[9];
	rd_kafka_error_t *error;
	rd_kafka_resp_err_t err;
	size_t i, n = 0;

	if (m->borrowed && m->topic == r->o->rec.topic && r->rkt != NULL &&
	    m->partition == r->o->rec.partition && m->nheaders == 0 &&
	    m->timestamp == 0) {
		g = &r->batch[r->nbatch++];
		memset(g, 0, sizeof(*g));
		g->payload = (void *)m->value;
		g->len = m->vlen;
		g->key = (void *)m->key;
		g->key_len = m->keylen;
		g->_private = (void *)(uintptr_t)(lineno << 1 | 1);
		if (r->nbatch == BATCH_MAX)
			produce_gathered(r);
		return;
	}
	produce_gathered(r); /* first: the order stays */
	rkt = topic_handle(r, m->topic);
	if (r->keep_lines && !m->value_is_line) {
		pl = xmalloc(sizeof(*pl) + len);
		pl->lineno = lineno;
		pl->len = len;
		memcpy(pl->line, line, len);
	}
	if (rkt != NULL) {
		vu[n].vtype = RD_KAFKA_VTYPE_RKT;
		vu[n++].u.rkt = rkt;
	} else {
		vu[n].vtype = RD_KAFKA_VTYPE_TOPIC;
		vu[n++].u.cstr = m->topic;
	}
	vu[n].vtype = RD_KAFKA_VTYPE_PARTITION;
	vu[n++].u.i32 = m->partition;
	vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
	vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
	vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
	vu[n].u.mem.ptr = (void *)m->value;
	vu[n++].u.mem.size = m->vlen;
	vu[n].vtype = RD_KAFKA_VTYPE_KEY;
	vu[n].u.mem.ptr = (void *)m->key;
	vu[n++].u.mem.size = m->keylen;
	vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
	vu[n++].u.ptr =
	    pl != NULL ? (void *)pl : (void *)(uintptr_t)(lineno << 1 | 1);
	if (m->timestamp != 0) {
		vu[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
		vu[n++].u.i64 = m->timestamp;
	}
	if (m->nheaders > 0) {
		hdrs = rd_kafka_headers_new(m->nheaders);
		for (i = 0; i < m->nheaders; i++)
			rd_kafka_header_add(hdrs, m->headers[i].name,
			    (ssize_t)m->headers[i].nlen, m->headers[i].value,
			    (ssize_t)m->headers[i].vlen);
		vu[n].vtype = RD_KAFKA_VTYPE_HEADERS;
		vu[n++].u.headers = hdrs;
	}
	for (;;) {
		error = rd_kafka_produceva(r->rk, vu, n);
		if (error == NULL) {
			r->inflight++;
			return;
		}
		err = rd_kafka_error_code(error);
		rd_kafka_error_destroy(error);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !await_room(r))
			break;
	}
	if (hdrs != NULL)
		rd_kafka_headers_destroy(hdrs);
	free(pl);
	if (rkt != NULL && rkt == r->rkt)
		check_config_error(r, err, lineno);
	unsent(r, err, lineno, line, len);
}

static void
process(struct run *r, enum ndjson_status s, const struct ndjson_line *ln)
{
	struct kp_msg m;
	struct reject rec;
	const char *why;

	(*r->in)++;
	if (s == NDJSON_TOOLONG) {
		reject_init(&rec, NULL, ln->lineno, ln->line, ln->len);
		reject_too_long(&rec, ln->total);
		reject(r, &rec, false);
		return;
	}
	arena_reset(r->arena);
	why = kp_prepare(&r->o->rec, r->arena, ln->line, ln->len, &m, &r->why);
	if (why != NULL) {
		reject_init(&rec, why, ln->lineno, ln->line, ln->len);
		reject(r, &rec, true);
		if (why == kp_no_topic) {
			/* not the record's fault: every record like it would
			 * be refused, so stop here, once */
			log_err("line %llu: no topic: give -t TOPIC, or an "
				"@metadata.kafka.topic in every record",
			    ln->lineno);
			r->stop_reading = r->failed = true;
		}
		return;
	}
	produce(r, &m, ln->lineno, ln->line, ln->len);
}

/* The reader is about to read (and so to move the lines it gave). */
static void
before_read(void *arg)
{
	struct run *r = arg;

	produce_gathered(r);
	if (r->receipts != NULL && ndjson_writer_idle(r->receipts) < 0)
		r->stop_reading = true;
}

/* Waiting: receipts and rejects leave even for a regular file, where a
 * reader may be following them, and a kill loses none of them. */
static void
flush_outputs_now(struct run *r)
{
	if (r->receipts != NULL && !ndjson_writer_gone(r->receipts) &&
	    ndjson_writer_flush(r->receipts) < 0)
		r->stop_reading = true;
	if (reject_flush(r->rej) < 0) {
		log_err("rejects: %s", strerror(errno));
		r->failed = r->stop_reading = true;
	}
}

/* Read what stdin has now, up to the budget.  Returns false when it has
 * nothing more for the moment. */
static bool
read_lines(struct run *r)
{
	struct ndjson_line ln;
	enum ndjson_status s;
	int i;

	for (i = 0; i < READ_BUDGET; i++) {
		if (sig_stop || r->kc.fatal || r->stop_reading || r->eof)
			return true;
		if (r->o->count > 0 && *r->in >= r->o->count) {
			r->eof = true;
			return true;
		}
		ndjson_reader_set_timeout(r->rd, 0);
		s = ndjson_read(r->rd, &ln);
		if (s == NDJSON_AGAIN)
			return false;
		if (s == NDJSON_EOF) {
			r->eof = true;
			return true;
		}
		if (s == NDJSON_ERROR) {
			log_err("%s: read: %s",
			    r->o->io.input != NULL ? r->o->io.input : "stdin",
			    strerror(errno));
			r->eof = r->failed = true;
			return true;
		}
		if (s == NDJSON_TORN) {
			/* a killed writer's half line: no record */
			(*stats_counter(r->st, "torn"))++;
			ndjson_warn_torn(&ln);
			continue;
		}
		r->last_line = ln.lineno;
		process(r, s, &ln);
		stats_tick(r->st);
	}
	return true;
}

static bool
read_input(struct run *r)
{
	bool more = read_lines(r);

	produce_gathered(r);
	return more;
}

static void
loop(struct run *r)
{
	struct pollfd pfd[3];
	int timeout;

	while (!sig_stop && !r->eof && !r->kc.fatal && !r->stop_reading) {
		bool more = read_input(r);

		service(r, 0);
		if (more)
			continue;
		flush_outputs_now(r);
		timeout = stats_next_ms(r->st);
		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
		pfd[0].fd = ndjson_reader_fd(r->rd);
		pfd[1].fd = sig_fd();
		pfd[2].fd = r->evfd[0];
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			r->failed = true;
			break;
		}
		sig_drain();
	}
}

/* Wait for the reports of what is in flight: as long as librdkafka
 * retries at end of input, --flush-timeout after a signal or a fatal
 * error; then purge the rest, which is reported as undelivered. */
static void
drain(struct run *r)
{
	int i;

	while (r->inflight > 0 && sig_stop < 2) {
		if (stop_expired(r))
			break;
		flush_outputs_now(r);
		service(r, 100);
		sig_drain();
	}
	if (r->inflight == 0)
		return;
	rd_kafka_purge(
	    r->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	for (i = 0; r->inflight > 0 && i < PURGE_WAIT_MS / 10; i++)
		rd_kafka_poll(r->rk, 10);
	if (r->inflight > 0) {
		log_err("%llu messages without a delivery report", r->inflight);
		r->failed = true;
	}
}

/* --receipts PATH: "-", /dev/fd/N (a copy of that descriptor) or a
 * file of ours (*ours set), appended to. */
static int
open_output(const char *path, bool *ours)
{
	unsigned long long n;

	*ours = false;
	if (strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	if (strncmp(path, "/dev/fd/", 8) == 0 &&
	    parse_uint_range(path + 8, 0, 1 << 30, &n, NULL) == 0)
		return fcntl((int)n, F_DUPFD_CLOEXEC, 3);
	*ours = true;
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Build the client; exits 2 on a configuration error. */
static rd_kafka_t *
client(struct run *r, struct opts *o)
{
	struct buf err = BUF_INIT;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char errstr[512], acks[16];
	size_t acks_len = sizeof(acks);

	if (kafka_conf_build(&o->k, kp_defaults, &r->kc, r, &conf, &err) < 0)
		usage_error("%s", buf_cstr(&err));
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if (o->k.print_config) {
		kafka_conf_print(conf, &err);
		fwrite(err.data, 1, err.len, stdout);
		rd_kafka_conf_destroy(conf);
		buf_free(&err);
		kafka_client_clear(&r->kc);
		kafka_opts_free(&o->k);
		free(o->headers);
		exit(fflush(stdout) == 0 ? 0 : 1);
	}
	if (rd_kafka_conf_get(conf, "acks", acks, &acks_len) ==
		RD_KAFKA_CONF_OK &&
	    (strcmp(acks, "all") == 0 || strcmp(acks, "-1") == 0))
		r->acks_all = true;
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		rd_kafka_conf_destroy(conf);
		usage_error("configuration: %s", errstr);
	}
	buf_free(&err);
	return rk;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct buf err = BUF_INIT;
	rd_kafka_queue_t *mq;
	size_t i;
	int rc = 0;

	log_init(argv[0]);
	/* SIGPIPE ignored from here on: a reader gone is EPIPE */
	if (sig_init() < 0)
		fatal("signals: %s", strerror(errno));
	kp_parse_args(argc, argv, &o);
	log_set_verbosity(o.c.verbosity);
	if (o.k.list) {
		kafka_properties_show(stdout);
		kafka_opts_free(&o.k);
		free(o.headers);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.receipts_fd = -1;
	r.keep_lines = o.c.rejects != NULL;
	r.rk = client(&r, &o);
	r.connect_deadline = mono_now() + o.k.connect_timeout;
	r.diag = kp_why_new(r.rk, r.acks_all);

	if ((r.rej = reject_open(o.c.rejects, "kprod", &err)) == NULL)
		fatal("%s", buf_cstr(&err));
	if (o.receipts != NULL) {
		if ((r.receipts_fd =
			    open_output(o.receipts, &r.receipts_path)) < 0)
			fatal("--receipts %s: %s", o.receipts, strerror(errno));
		r.receipts = ndjson_writer_new(r.receipts_fd);
	}
	if (pipe(r.evfd) < 0 || fcntl(r.evfd[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(r.evfd[1], F_SETFL, O_NONBLOCK) < 0)
		fatal("pipe: %s", strerror(errno));
	mq = rd_kafka_queue_get_main(r.rk);
	rd_kafka_queue_io_event_enable(mq, r.evfd[1], "r", 1);
	r.arena = arena_new();
	r.dr_arena = arena_new();
	if (ndjson_input_on_stdin(o.io.input, o.io.follow) < 0)
		fatal("%s: %s", o.io.input, strerror(errno));
	r.st = stats_new("kprod");
	stats_configure(r.st, o.c.stats_interval, o.c.stats, o.c.progress);
	/* --progress: a percentage when the input is a regular file */
	stats_set_total(r.st, stats_file_size(STDIN_FILENO), NULL, NULL);
	stats_set_input(r.st, STDIN_FILENO, 0);
	r.in = stats_counter(r.st, "in");
	r.out = stats_counter(r.st, "out");
	r.rejected = stats_counter(r.st, "rejected");
	r.undelivered = stats_counter(r.st, "undelivered");
	stats_metrics_file(r.st, o.c.metrics_file);
	r.rd = ndjson_reader_new(STDIN_FILENO, (size_t)o.c.max_line);
	if (o.io.follow)
		ndjson_reader_follow(r.rd, o.io.input);
	ndjson_reader_on_read(r.rd, before_read, &r);
	ndjson_reader_set_wakeup(r.rd, sig_fd());
	if (o.rec.topic != NULL &&
	    (r.rkt = topic_handle(&r, o.rec.topic)) == NULL)
		fatal("topic %s: %s", o.rec.topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
	r.batch = xcalloc(BATCH_MAX, sizeof(*r.batch));

	loop(&r);
	drain(&r);
	/* an end without a broker ever reached is not a success */
	while (!r.reached && !r.kc.fatal && !sig_stop && !r.failed)
		service(&r, 100);

	if (*r.undelivered > 0) {
		log_err("%llu message%s not delivered%s",
		    (unsigned long long)*r.undelivered,
		    *r.undelivered == 1 ? "" : "s",
		    o.c.rejects != NULL ? " (listed on the reject stream)"
					: "");
		rc = 1;
	}
	if (r.kc.fatal || r.failed)
		rc = 1;
	if (r.receipts != NULL) {
		if (ndjson_writer_flush(r.receipts) < 0 &&
		    !ndjson_writer_gone(r.receipts)) {
			log_err("--receipts %s: %s", o.receipts,
			    strerror(ndjson_writer_error(r.receipts)));
			rc = 1;
		}
		if (r.receipts_fd > STDOUT_FILENO && close(r.receipts_fd) < 0) {
			log_err(
			    "--receipts %s: %s", o.receipts, strerror(errno));
			rc = 1;
		}
	}
	rc = stats_finish(r.st, r.rej, o.c.strict, *r.rejected, rc);

	rd_kafka_queue_destroy(mq);
	for (i = 0; i < r.ntopics; i++) {
		rd_kafka_topic_destroy(r.topics[i].rkt);
		free(r.topics[i].name);
	}
	kp_why_free(r.diag);
	rd_kafka_destroy(r.rk);
	rd_kafka_wait_destroyed(5000);
	close(r.evfd[0]);
	close(r.evfd[1]);
	ndjson_reader_free(r.rd);
	free(r.batch);
	ndjson_writer_free(r.receipts);
	stats_free(r.st);
	arena_free(r.arena);
	arena_free(r.dr_arena);
	kafka_client_clear(&r.kc);
	kafka_opts_free(&o.k);
	free(o.headers);
	buf_free(&r.why);
	buf_free(&r.meta);
	buf_free(&r.reason);
	buf_free(&err);
	return rc;
}
