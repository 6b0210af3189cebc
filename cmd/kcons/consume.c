/* SPDX-License-Identifier: MIT */
/*
 * kcons' consume mode: read messages, write lines, store an offset only
 * once its line is written (or, with --acks, acknowledged downstream),
 * pause partitions rather than stop polling while the output blocks.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "acks.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkaopt.h"
#include "common/log.h"
#include "common/ndjson.h"
#include "common/reject.h"
#include "common/sig.h"
#include "common/stats.h"
#include "common/xalloc.h"
#include "format.h"
#include "kcons.h"

#define BATCH 1000 /* messages per rd_kafka_consume_batch_queue() */
#define WRITE_HIGH (256 * 1024) /* output a batch may make, about */
#define PAUSE_AFTER 1.0 /* seconds of blocked output before pausing */
#define REVOKE_DRAIN_MS 1000 /* for lines of revoked partitions */
#define ACKS_MAX_PENDING 100000 /* unacknowledged lines before pausing */
#define EMPTY_GRACE 5.0 /* -e: seconds with no partition assigned */
#define IDLE_POLL_MS 100
#define KICK_EVERY 0.05 /* seconds between two wake-ups of the fetcher */
#define KICK_LOW 2000 /* messages queued: below, wake the fetcher */

/* An assigned partition. */
struct ppart {
	char *topic;
	int32_t partition;
	int64_t store; /* offset to store once the output is written; -1 */
	bool eof; /* -e: at the end */
	bool done; /* e@: at the end time */
};

struct kc_run {
	struct kafka_client kc; /* first: librdkafka's callbacks find it */
	const struct kc_opts *o;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	struct arena *arena;
	struct reject_stream *rej;
	bool rejects_stdout;
	struct stats *st;
	uint64_t *in, *out, *rejected, *acked, *ack_unknown;

	/* the output: lines not written yet are ob[ooff..len) */
	struct buf ob;
	size_t ooff;
	int oflags; /* stdout's flags to restore, or -1 */
	bool ogone, oclosed;
	int oerr;
	double blocked_since; /* 0: not blocked */

	struct ppart *parts;
	size_t nparts, pcap, phit;
	bool assigned_once;
	double assigned_at; /* the last rebalance */
	bool paused;

	struct acks *acks;
	int afd;
	struct ndjson_reader *ard;

	bool unstored; /* offsets to store once the output is written */
	bool stop; /* no more messages are handled */
	bool failed;
	bool abort; /* a second signal */
	double last_msg;
	double kicked_at;
	size_t avg_line; /* bytes a line, a moving average */
	struct kc_header *hv;
	size_t hcap;
	struct buf meta, extra;
	rd_kafka_topic_partition_list_t *store_list;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t
kc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ partitions */

static struct ppart *
part_find(struct kc_run *r, const char *topic, int32_t partition)
{
	size_t i;

	if (r->phit < r->nparts && r->parts[r->phit].partition == partition &&
	    strcmp(r->parts[r->phit].topic, topic) == 0)
		return &r->parts[r->phit];
	for (i = 0; i < r->nparts; i++)
		if (r->parts[i].partition == partition &&
		    strcmp(r->parts[i].topic, topic) == 0)
			return &r->parts[r->phit = i];
	return NULL;
}

static void
part_add(struct kc_run *r, const char *topic, int32_t partition)
{
	struct ppart *p = part_find(r, topic, partition);

	if (p == NULL) {
		if (r->nparts == r->pcap) {
			r->pcap = r->pcap ? r->pcap * 2 : 16;
			r->parts =
			    xreallocarray(r->parts, r->pcap, sizeof(*r->parts));
		}
		p = &r->parts[r->nparts++];
		p->topic = xstrdup(topic);
		p->partition = partition;
	}
	p->store = -1;
	p->eof = p->done = false;
}

static void
part_remove(struct kc_run *r, const char *topic, int32_t partition)
{
	struct ppart *p = part_find(r, topic, partition);

	if (p == NULL)
		return;
	free(p->topic);
	*p = r->parts[--r->nparts];
	r->phit = 0;
}

/* ---------------------------------------------------------------- output */

/* Write what is buffered: 1 all written, 0 would block, -1 gone/error. */
static int
out_drain(struct kc_run *r)
{
	ssize_t n;

	if (r->ogone || r->oerr)
		return -1;
	while (r->ooff < r->ob.len) {
		n = write(
		    STDOUT_FILENO, r->ob.data + r->ooff, r->ob.len - r->ooff);
		if (n < 0) {
			if (errno == EINTR) {
				if (sig_stop >= 2)
					return 0;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (r->blocked_since == 0)
					r->blocked_since = now_s();
				return 0;
			}
			if (errno == EPIPE)
				r->ogone = true;
			else
				r->oerr = errno;
			r->ob.len = r->ooff = 0;
			return -1;
		}
		r->ooff += (size_t)n;
	}
	r->ob.len = r->ooff = 0;
	r->blocked_since = 0;
	return 1;
}

/* Wait up to ms for a signal, room on stdout (want_out) or acks. */
static void
wait_fds(struct kc_run *r, bool want_out, int ms)
{
	struct pollfd pfd[3];

	pfd[0].fd = sig_fd();
	pfd[0].events = POLLIN;
	pfd[1].fd = want_out ? STDOUT_FILENO : -1;
	pfd[1].events = POLLOUT;
	pfd[2].fd = r->afd;
	pfd[2].events = POLLIN;
	(void)poll(pfd, 3, ms);
	sig_drain();
}

/* Offsets of what is now written: stored, so the next commit has them. */
static void
store_written(struct kc_run *r)
{
	rd_kafka_topic_partition_list_t *l;
	size_t i;

	r->unstored = false;
	if (reject_flush(r->rej) < 0) {
		log_err("rejects: %s", strerror(errno));
		r->failed = r->stop = true;
		return;
	}
	l = rd_kafka_topic_partition_list_new((int)r->nparts);
	for (i = 0; i < r->nparts; i++) {
		if (r->parts[i].store < 0)
			continue;
		rd_kafka_topic_partition_list_add(
		    l, r->parts[i].topic, r->parts[i].partition)
		    ->offset = r->parts[i].store;
		r->parts[i].store = -1;
	}
	/* a partition revoked meanwhile says __STATE: its lines will be
	 * read again by the new owner, which at-least-once allows */
	if (l->cnt > 0)
		(void)rd_kafka_offsets_store(r->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
}

/* ------------------------------------------------------------------ acks */

static void
ack_store(void *arg, const char *topic, int32_t partition, int64_t next)
{
	struct kc_run *r = arg;

	rd_kafka_topic_partition_list_add(r->store_list, topic, partition)
	    ->offset = next;
}

/* Store the offsets that acknowledgements made safe. */
static void
acks_store(struct kc_run *r)
{
	acks_collect(r->acks, ack_store, r);
	if (r->store_list->cnt > 0) {
		(void)rd_kafka_offsets_store(r->rk, r->store_list);
		rd_kafka_topic_partition_list_destroy(r->store_list);
		r->store_list = rd_kafka_topic_partition_list_new(16);
	}
}

static bool
json_int(const struct jval *v, int64_t *out)
{
	int64_t x = 0;
	size_t i;

	if (v == NULL || v->type != J_NUMBER || v->len == 0 || v->len > 18)
		return false;
	for (i = 0; i < v->len; i++) {
		if (v->u.s[i] < '0' || v->u.s[i] > '9')
			return false;
		x = x * 10 + (v->u.s[i] - '0');
	}
	*out = x;
	return true;
}

static void
read_acks(struct kc_run *r)
{
	struct ndjson_line ln;
	enum ndjson_status s;
	const struct jval *t;
	struct jval *root;
	int64_t part, off;

	while ((s = ndjson_read(r->ard, &ln)) == NDJSON_LINE ||
	    s == NDJSON_TOOLONG) {
		arena_reset(r->arena);
		if (s == NDJSON_LINE &&
		    jsonx_parse(r->arena, ln.line, ln.len, &root, NULL) ==
			JSONX_OK &&
		    (t = jsonx_path(root, "@metadata.kafka.topic")) != NULL &&
		    t->type == J_STRING &&
		    json_int(
			jsonx_path(root, "@metadata.kafka.partition"), &part) &&
		    part <= INT32_MAX &&
		    json_int(
			jsonx_path(root, "@metadata.kafka.offset"), &off) &&
		    acks_ack(r->acks, t->u.s, (int32_t)part, off) == ACKS_OK) {
			(*r->acked)++;
			continue;
		}
		(*r->ack_unknown)++;
		log_debug("--acks: ignored: %.*s",
		    (int)(ln.len > 200 ? 200 : ln.len), ln.line);
	}
	if (s == NDJSON_ERROR) {
		log_err("--acks %s: %s", r->o->acks, strerror(errno));
		r->failed = r->stop = true;
	}
	acks_store(r);
}

/* ---------------------------------------------------------------- pauses */

static void
set_paused(struct kc_run *r, bool on)
{
	rd_kafka_topic_partition_list_t *a = NULL, *l;
	int i;

	if (on == r->paused)
		return;
	r->paused = on;
	if (rd_kafka_assignment(r->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (on) {
		rd_kafka_pause_partitions(r->rk, a);
		if (!r->stop)
			log_info("output blocked or too many lines "
				 "unacknowledged: partitions paused");
	} else {
		/* those at their e@ end stay paused */
		l = rd_kafka_topic_partition_list_new(a->cnt);
		for (i = 0; i < a->cnt; i++) {
			struct ppart *p = part_find(
			    r, a->elems[i].topic, a->elems[i].partition);

			if (p == NULL || !p->done)
				rd_kafka_topic_partition_list_add(l,
				    a->elems[i].topic, a->elems[i].partition);
		}
		rd_kafka_resume_partitions(r->rk, l);
		rd_kafka_topic_partition_list_destroy(l);
		log_info("partitions resumed");
	}
	rd_kafka_topic_partition_list_destroy(a);
}

static void
pause_one(struct kc_run *r, const char *topic, int32_t partition)
{
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(l, topic, partition);
	rd_kafka_pause_partitions(r->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
}

/* ------------------------------------------------------------- rebalance */

int
kc_resolve(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list,
    const struct offspec *spec, int timeout_ms, struct buf *err)
{
	rd_kafka_resp_err_t e;
	int i;

	for (i = 0; i < list->cnt; i++) {
		rd_kafka_topic_partition_t *p = &list->elems[i];

		switch (spec->kind) {
		case OFF_BEGINNING:
			p->offset = RD_KAFKA_OFFSET_BEGINNING;
			break;
		case OFF_END:
			p->offset = RD_KAFKA_OFFSET_END;
			break;
		case OFF_STORED:
			p->offset = RD_KAFKA_OFFSET_STORED;
			break;
		case OFF_ABS:
			p->offset = spec->value;
			break;
		case OFF_TAIL:
			p->offset = RD_KAFKA_OFFSET_TAIL(spec->value);
			break;
		case OFF_TIME:
			p->offset = spec->value;
			break;
		}
	}
	if (spec->kind != OFF_TIME || list->cnt == 0)
		return 0;
	e = rd_kafka_offsets_for_times(rk, list, timeout_ms);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		buf_printf(err, "offsets for time %lld: %s",
		    (long long)spec->value, rd_kafka_err2str(e));
		return -1;
	}
	for (i = 0; i < list->cnt; i++) {
		rd_kafka_topic_partition_t *p = &list->elems[i];

		if (p->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			buf_printf(err, "topic %s [%d]: offset for time: %s",
			    p->topic, (int)p->partition,
			    rd_kafka_err2str(p->err));
			return -1;
		}
		if (p->offset < 0) /* nothing that late yet */
			p->offset = RD_KAFKA_OFFSET_END;
	}
	return 0;
}

/* Group mode: -o applies to the partitions the group has no offset for. */
static void
start_offsets(struct kc_run *r, rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_topic_partition_list_t *c, *fresh;
	struct buf err = BUF_INIT;
	int i;

	c = rd_kafka_topic_partition_list_copy(parts);
	if (rd_kafka_committed(r->rk, c, r->o->timeout_ms) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		for (i = 0; i < c->cnt; i++)
			c->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
	}
	fresh = rd_kafka_topic_partition_list_new(c->cnt);
	for (i = 0; i < c->cnt; i++)
		if (c->elems[i].offset < 0)
			rd_kafka_topic_partition_list_add(
			    fresh, c->elems[i].topic, c->elems[i].partition);
	if (kc_resolve(r->rk, fresh, &r->o->start, r->o->timeout_ms, &err) <
	    0) {
		log_warn("%s: starting where the group would", buf_cstr(&err));
	} else {
		for (i = 0; i < fresh->cnt; i++)
			rd_kafka_topic_partition_list_find(parts,
			    fresh->elems[i].topic, fresh->elems[i].partition)
			    ->offset = fresh->elems[i].offset;
	}
	rd_kafka_topic_partition_list_destroy(fresh);
	rd_kafka_topic_partition_list_destroy(c);
	buf_free(&err);
}

/* Before partitions go: what is written gets committed. */
static void
drop_revoked(
    struct kc_run *r, rd_kafka_topic_partition_list_t *parts, bool lost)
{
	rd_kafka_resp_err_t e;
	double deadline = now_s() + REVOKE_DRAIN_MS / 1000.0;
	int i;

	if (!lost) {
		while (r->ob.len > 0 && out_drain(r) == 0 &&
		    now_s() < deadline && sig_stop < 2)
			wait_fds(r, true, 50);
		if (r->ob.len == 0 && !r->ogone && !r->oerr && r->unstored)
			store_written(r);
		if (r->acks != NULL)
			read_acks(r);
		e = rd_kafka_commit(r->rk, NULL, 0);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR &&
		    e != RD_KAFKA_RESP_ERR__NO_OFFSET)
			log_warn(
			    "commit before rebalance: %s", rd_kafka_err2str(e));
	}
	for (i = 0; i < parts->cnt; i++) {
		part_remove(
		    r, parts->elems[i].topic, parts->elems[i].partition);
		if (r->acks != NULL)
			acks_drop(r->acks, parts->elems[i].topic,
			    parts->elems[i].partition);
	}
}

static void
log_parts(const char *what, const rd_kafka_topic_partition_list_t *parts)
{
	struct buf b = BUF_INIT;
	int i;

	if (log_verbosity() < 1)
		return;
	for (i = 0; i < parts->cnt; i++)
		buf_printf(&b, "%s%s [%d]", i ? ", " : "",
		    parts->elems[i].topic, (int)parts->elems[i].partition);
	log_info("%s: %s", what, parts->cnt ? buf_cstr(&b) : "none");
	buf_free(&b);
}

static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kc_run *r = opaque;
	bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
	int i;

	r->assigned_at = now_s();
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		log_parts("assigned", parts);
		if (r->o->has_start)
			start_offsets(r, parts);
		if (coop)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			e = rd_kafka_assign(rk, parts);
		for (i = 0; i < parts->cnt; i++)
			part_add(r, parts->elems[i].topic,
			    parts->elems[i].partition);
		r->assigned_once = true;
		if (r->paused || r->stop)
			rd_kafka_pause_partitions(rk, parts);
	} else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		log_parts("revoked", parts);
		drop_revoked(r, parts, rd_kafka_assignment_lost(rk));
		if (coop)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			e = rd_kafka_assign(rk, NULL);
	} else {
		log_err("rebalance: %s", rd_kafka_err2str(err));
		drop_revoked(r, parts, true);
		e = rd_kafka_assign(rk, NULL);
	}
	if (error != NULL) {
		log_err("rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		r->failed = r->stop = true;
	} else if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("rebalance: %s", rd_kafka_err2str(e));
		r->failed = r->stop = true;
	}
}

/* -------------------------------------------------------------- messages */

static void
reject(struct kc_run *r, const struct kc_msg *km, const char *reason)
{
	const char *input = km->payload != NULL ? km->payload : "";
	size_t len = km->len;

	(*r->rejected)++;
	buf_reset(&r->meta);
	kc_meta(km, &r->meta);
	if (len > NDJSON_TOOLONG_KEEP && strcmp(reason, "line too long") == 0) {
		buf_printf(&r->extra, ",\"bytes\":%zu,\"truncated\":true", len);
		len = NDJSON_TOOLONG_KEEP;
	}
	/* rejects on stdout come after the lines before them */
	if (r->rejects_stdout && out_drain(r) < 0) {
		r->stop = true;
		return;
	}
	if (reject_write_ex(r->rej, r->meta.data, r->meta.len, reason, 0, input,
		len, r->extra.data, r->extra.len) < 0) {
		if (!(r->rejects_stdout && errno == EPIPE)) {
			log_err("rejects: %s", strerror(errno));
			r->failed = true;
		}
		r->stop = true;
	}
	buf_reset(&r->extra);
}

static void
event(struct kc_run *r, const rd_kafka_message_t *m)
{
	const char *topic = m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : NULL;
	struct ppart *p;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (topic != NULL &&
		    (p = part_find(r, topic, m->partition)) != NULL)
			p->eof = true;
		log_debug("%s [%d]: at the end (offset %lld)", topic,
		    (int)m->partition, (long long)m->offset);
		return;
	}
	switch (m->err) {
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
		if (r->o->group != NULL) {
			log_warn("%s%s%s", topic ? "topic " : "",
			    topic ? topic : "", rd_kafka_message_errstr(m));
			return;
		}
		/* FALLTHROUGH */
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR__FATAL:
		if (topic != NULL)
			log_err("topic %s [%d]: %s", topic, (int)m->partition,
			    rd_kafka_message_errstr(m));
		else
			log_err("%s", rd_kafka_message_errstr(m));
		r->failed = r->stop = true;
		return;
	default:
		if (topic != NULL)
			log_warn("topic %s [%d]: %s", topic, (int)m->partition,
			    rd_kafka_message_errstr(m));
		else
			log_warn("%s", rd_kafka_message_errstr(m));
	}
}

static void
headers(struct kc_run *r, const rd_kafka_message_t *m, struct kc_msg *km)
{
	rd_kafka_headers_t *h;
	const void *val;
	const char *name;
	size_t size, i;

	km->headers = NULL;
	km->nheaders = 0;
	if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	for (i = 0; rd_kafka_header_get_all(h, i, &name, &val, &size) ==
	     RD_KAFKA_RESP_ERR_NO_ERROR;
	     i++) {
		if (i == r->hcap) {
			r->hcap = r->hcap ? r->hcap * 2 : 8;
			r->hv = xreallocarray(r->hv, r->hcap, sizeof(*r->hv));
		}
		r->hv[i].name = name;
		r->hv[i].value = val;
		r->hv[i].len = size;
	}
	km->headers = r->hv;
	km->nheaders = i;
}

static void
message(struct kc_run *r, const rd_kafka_message_t *m)
{
	const char *topic, *why;
	struct kc_msg km;
	struct ppart *p;
	size_t start;

	if (m->err) {
		event(r, m);
		return;
	}
	topic = rd_kafka_topic_name(m->rkt);
	/* gone in a rebalance: its new owner reads it */
	if (r->stop || (p = part_find(r, topic, m->partition)) == NULL ||
	    p->done)
		return;
	km.topic = topic;
	km.partition = m->partition;
	km.offset = m->offset;
	km.key = m->key;
	km.keylen = m->key_len;
	km.payload = m->payload;
	km.len = m->len;
	km.timestamp = rd_kafka_message_timestamp(m, NULL);
	if (r->o->has_end && km.timestamp >= r->o->end_ms) {
		p->done = true;
		pause_one(r, topic, m->partition);
		log_info("%s [%d]: at the end time", topic, (int)m->partition);
		return;
	}
	(*r->in)++;
	p->eof = false;
	km.headers = NULL;
	km.nheaders = 0;
	if (r->o->fmt.metadata)
		headers(r, m, &km);
	arena_reset(r->arena);
	start = r->ob.len;
	why = kc_format(&r->o->fmt, r->arena, &km, &r->ob);
	if (why == NULL && r->ob.len - start > r->o->c.max_line) {
		r->ob.len = start;
		why = "line too long";
	}
	r->unstored = true;
	if (why != NULL) {
		if (!r->o->fmt.metadata)
			headers(r, m, &km);
		if (r->acks != NULL)
			acks_add(r->acks, topic, m->partition, m->offset, true);
		else
			p->store = m->offset + 1;
		reject(r, &km, why);
	} else {
		buf_addc(&r->ob, '\n');
		(*r->out)++;
		if (r->acks != NULL)
			acks_add(
			    r->acks, topic, m->partition, m->offset, false);
		else
			p->store = m->offset + 1;
	}
	if (r->o->count > 0 && *r->in >= r->o->count)
		r->stop = true;
	stats_tick(r->st);
}

static void
handle(struct kc_run *r, rd_kafka_message_t *m)
{
	message(r, m);
	rd_kafka_message_destroy(m);
}

/*
 * librdkafka 2.0's fetcher stops while its queue is over
 * queued.min.messages or queued.max.messages.kbytes and looks again only
 * once a second, so a consumer slower than the network waits most of that
 * second with nothing to do.  When the queue runs low while partitions are
 * behind their high watermark, seek them to where they are: that wakes the
 * fetcher and loses nothing (the position is the offset after the last
 * message handed out; what was queued after it is dropped by the seek and
 * fetched again).
 */
static void
kick_fetcher(struct kc_run *r)
{
	rd_kafka_topic_partition_list_t *l, *k;
	rd_kafka_error_t *error;
	double now = now_s();
	int64_t lo, hi;
	int i;

	if (now - r->kicked_at < KICK_EVERY || r->paused || r->stop)
		return;
	r->kicked_at = now;
	if (rd_kafka_assignment(r->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (l->cnt == 0 || rd_kafka_position(r->rk, l) != 0) {
		rd_kafka_topic_partition_list_destroy(l);
		return;
	}
	k = rd_kafka_topic_partition_list_new(l->cnt);
	for (i = 0; i < l->cnt; i++) {
		rd_kafka_topic_partition_t *p = &l->elems[i];

		struct ppart *pp = part_find(r, p->topic, p->partition);

		if (p->offset < 0 || pp == NULL || pp->done ||
		    rd_kafka_get_watermark_offsets(r->rk, p->topic,
			p->partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    p->offset >= hi)
			continue;
		rd_kafka_topic_partition_list_add(k, p->topic, p->partition)
		    ->offset = p->offset;
	}
	if (k->cnt > 0 &&
	    (error = rd_kafka_seek_partitions(r->rk, k, 0)) != NULL)
		rd_kafka_error_destroy(error);
	rd_kafka_topic_partition_list_destroy(k);
	rd_kafka_topic_partition_list_destroy(l);
}

/*
 * What is there now, up to BATCH messages, and as many as make about
 * WRITE_HIGH bytes of output at the average line length so far (large
 * messages come a few at a time: the output buffer stays bounded); when
 * nothing is there, wait up to timeout_ms for the first message
 * (rd_kafka_consume_batch_queue() would wait for a whole batch).
 */
static void
consume_batch(struct kc_run *r, int timeout_ms)
{
	rd_kafka_message_t *msgs[BATCH], *m;
	size_t want = WRITE_HIGH / (r->avg_line > 1 ? r->avg_line : 1);
	size_t start = r->ob.len;
	ssize_t n, i;

	if (want > BATCH)
		want = BATCH;
	if (want < 1)
		want = 1;
	n = rd_kafka_consume_batch_queue(r->q, 0, msgs, want);
	if (n < 0) {
		log_err("consume: %s", rd_kafka_err2str(rd_kafka_last_error()));
		r->failed = r->stop = true;
		return;
	}
	for (i = 0; i < n; i++)
		handle(r, msgs[i]);
	if (n > 0 && r->o->idle_timeout > 0)
		r->last_msg = now_s();
	if (n > 0 && r->ob.len > start)
		r->avg_line =
		    (r->avg_line * 7 + (r->ob.len - start) / (size_t)n) / 8;
	/* wake the fetcher before the queue runs dry, not after */
	if (n == 0 || rd_kafka_queue_length(r->q) < KICK_LOW)
		kick_fetcher(r);
	if (n == 0 && timeout_ms > 0 &&
	    (m = rd_kafka_consumer_poll(r->rk, timeout_ms)) != NULL) {
		if (r->o->idle_timeout > 0)
			r->last_msg = now_s();
		handle(r, m);
	}
}

/* -------------------------------------------------------------- the loop */

/* -e, e@, --idle-timeout: nothing more to wait for. */
static bool
finished(struct kc_run *r)
{
	size_t i;

	if (r->o->idle_timeout > 0 &&
	    now_s() - r->last_msg >= r->o->idle_timeout) {
		log_info("idle for %.1f s: stopping", r->o->idle_timeout);
		return true;
	}
	if (!(r->o->exit_eof || r->o->has_end) || !r->assigned_once)
		return false;
	for (i = 0; i < r->nparts; i++)
		if (!r->parts[i].done && !(r->o->exit_eof && r->parts[i].eof))
			return false;
	/* a group member without partitions: maybe more are coming */
	return r->nparts > 0 || now_s() - r->assigned_at >= EMPTY_GRACE;
}

static void
serve_signals(struct kc_run *r)
{
	if (sig_hup) {
		sig_hup = 0;
		if (reject_reopen(r->rej) < 0)
			log_err("rejects: reopen: %s", strerror(errno));
	}
	if (sig_usr1) {
		sig_usr1 = 0;
		stats_print(r->st);
	}
}

static int
start(struct kc_run *r)
{
	const struct kc_opts *o = r->o;
	rd_kafka_topic_partition_list_t *l;
	struct buf err = BUF_INIT;
	rd_kafka_resp_err_t e;
	size_t i;
	int rc = 0;

	l = rd_kafka_topic_partition_list_new((int)o->ntopics);
	if (o->group != NULL) {
		for (i = 0; i < o->ntopics; i++)
			rd_kafka_topic_partition_list_add(
			    l, o->topics[i], RD_KAFKA_PARTITION_UA);
		if ((e = rd_kafka_subscribe(r->rk, l)) != 0) {
			log_err("subscribe: %s", rd_kafka_err2str(e));
			rc = -1;
		}
		goto out;
	}
	for (i = 0; i < o->ntopics && rc == 0; i++)
		rc = kc_topic_partitions(r->rk, o, o->topics[i], l, &err);
	if (rc == 0) {
		struct offspec beginning = {OFF_BEGINNING, 0};

		rc = kc_resolve(r->rk, l, o->has_start ? &o->start : &beginning,
		    o->timeout_ms, &err);
	}
	if (rc < 0) {
		log_err("%s", buf_cstr(&err));
		goto out;
	}
	if ((e = rd_kafka_assign(r->rk, l)) != 0) {
		log_err("assign: %s", rd_kafka_err2str(e));
		rc = -1;
		goto out;
	}
	log_parts("assigned", l);
	for (i = 0; i < (size_t)l->cnt; i++)
		part_add(r, l->elems[i].topic, l->elems[i].partition);
	r->assigned_once = true;
	r->assigned_at = now_s();
out:
	rd_kafka_topic_partition_list_destroy(l);
	buf_free(&err);
	return rc;
}

static void
loop(struct kc_run *r)
{
	int rc, timeout;

	while (!r->stop) {
		serve_signals(r);
		if (sig_stop || r->kc.fatal)
			break;
		if (r->acks != NULL)
			read_acks(r);
		if (r->ob.len > 0) {
			if ((rc = out_drain(r)) < 0)
				break;
			if (rc == 0) {
				if (!r->paused &&
				    now_s() - r->blocked_since >= PAUSE_AFTER)
					set_paused(r, true);
				wait_fds(r, true, IDLE_POLL_MS);
				if (r->paused)
					consume_batch(r, 0);
				stats_check(r->st);
				continue;
			}
		}
		if (r->unstored)
			store_written(r);
		set_paused(r,
		    r->acks != NULL &&
			acks_pending(r->acks) >= ACKS_MAX_PENDING);
		if (finished(r))
			break;
		timeout = stats_next_ms(r->st);
		if (timeout < 0 || timeout > IDLE_POLL_MS)
			timeout = IDLE_POLL_MS;
		consume_batch(r, timeout);
		stats_check(r->st);
	}
}

/* Write what is left, commit, and with --acks wait for the last ones. */
static void
finish(struct kc_run *r)
{
	double deadline = 0;

	r->stop = true;
	set_paused(r, true);
	while (r->ob.len > 0 && sig_stop < 2) {
		if (sig_stop && deadline == 0)
			deadline = now_s() + r->o->flush_timeout;
		if (deadline > 0 && now_s() >= deadline)
			break;
		if (out_drain(r) != 0)
			break;
		wait_fds(r, true, IDLE_POLL_MS);
		consume_batch(r, 0);
		serve_signals(r);
	}
	if (r->ob.len == 0 && !r->ogone && !r->oerr) {
		if (r->unstored)
			store_written(r);
	} else if (r->ob.len > 0)
		log_warn("%zu bytes of output not written: their messages "
			 "will be read again",
		    r->ob.len - r->ooff);
	if (r->acks != NULL && sig_stop < 2) {
		/* end of input for the reader downstream: it sends its last
		 * batch and acknowledges it */
		close(STDOUT_FILENO);
		r->oclosed = true;
		deadline = now_s() + r->o->flush_timeout;
		while (acks_pending(r->acks) > 0 && now_s() < deadline &&
		    sig_stop < 2) {
			wait_fds(r, false, IDLE_POLL_MS);
			read_acks(r);
			consume_batch(r, 0);
			serve_signals(r);
		}
		read_acks(r);
		if (acks_pending(r->acks) > 0)
			log_warn("%zu lines written but not acknowledged: they "
				 "will be read again",
			    acks_pending(r->acks));
	}
}

/*
 * Leave the group, committing (the revocation goes through on_rebalance
 * like any other), while a second signal can still cut it short: then the
 * handle is destroyed without closing.
 */
static void
close_consumer(struct kc_run *r)
{
	rd_kafka_queue_t *cq;
	rd_kafka_error_t *error;
	rd_kafka_event_t *ev;

	if (sig_stop >= 2) {
		r->abort = true;
		return;
	}
	cq = rd_kafka_queue_new(r->rk);
	if ((error = rd_kafka_consumer_close_queue(r->rk, cq)) != NULL) {
		log_warn("close: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		rd_kafka_queue_destroy(cq);
		return;
	}
	while (!rd_kafka_consumer_closed(r->rk)) {
		if (sig_stop >= 2) {
			r->abort = true;
			break;
		}
		if ((ev = rd_kafka_queue_poll(cq, IDLE_POLL_MS)) == NULL)
			continue;
		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
			on_rebalance(r->rk, rd_kafka_event_error(ev),
			    rd_kafka_event_topic_partition_list(ev), r);
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_queue_destroy(cq);
}

/* ------------------------------------------------------------- lifetime */

struct kc_run *
kc_run_new(const struct kc_opts *o)
{
	struct kc_run *r = xcalloc(1, sizeof(*r));

	r->o = o;
	r->afd = -1;
	r->oflags = -1;
	r->avg_line = 1024;
	return r;
}

struct kafka_client *
kc_run_client(struct kc_run *r)
{
	return &r->kc;
}

void
kc_run_configure(struct kc_run *r, rd_kafka_conf_t *conf)
{
	(void)r;
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
}

bool
kc_run_abort(const struct kc_run *r)
{
	return r->abort;
}

/* Open the --acks fifo, made when missing, read-write: it never reports
 * the end of input when esbulk restarts. */
static int
open_acks(struct kc_run *r, struct buf *err)
{
	const char *path = r->o->acks;

	if (mkfifo(path, 0600) < 0 && errno != EEXIST) {
		buf_printf(err, "--acks %s: %s", path, strerror(errno));
		return -1;
	}
	r->afd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r->afd < 0) {
		buf_printf(err, "--acks %s: %s", path, strerror(errno));
		return -1;
	}
	r->acks = acks_new();
	r->ard = ndjson_reader_new(r->afd, (size_t)r->o->c.max_line);
	r->store_list = rd_kafka_topic_partition_list_new(16);
	return 0;
}

int
kc_consume(struct kc_run *r, rd_kafka_t *rk)
{
	const struct kc_opts *o = r->o;
	struct buf err = BUF_INIT;
	struct stat st;
	int rc = 0, fl;

	r->rk = rk;
	r->rejects_stdout = o->c.rejects != NULL &&
	    (strcmp(o->c.rejects, "-") == 0 ||
		strcmp(o->c.rejects, "/dev/fd/1") == 0);
	if ((r->rej = reject_open(o->c.rejects, "kcons", &err)) == NULL ||
	    (o->acks != NULL && open_acks(r, &err) < 0)) {
		log_err("%s", buf_cstr(&err));
		buf_free(&err);
		return 1;
	}
	/* a pipe that blocks must not stop the polling: non-blocking
	 * writes, and partitions paused while they wait */
	if (!r->rejects_stdout && fstat(STDOUT_FILENO, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
	    (fl = fcntl(STDOUT_FILENO, F_GETFL)) >= 0 &&
	    fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) == 0)
		r->oflags = fl;
	rd_kafka_poll_set_consumer(rk);
	r->q = rd_kafka_queue_get_consumer(rk);
	r->arena = arena_new();
	r->st = stats_new("kcons");
	stats_configure(r->st, o->c.stats_interval, o->c.stats, o->c.progress);
	r->in = stats_counter(r->st, "in");
	r->out = stats_counter(r->st, "out");
	r->rejected = stats_counter(r->st, "rejected");
	if (r->acks != NULL) {
		r->acked = stats_counter(r->st, "acked");
		r->ack_unknown = stats_counter(r->st, "acks_ignored");
	}
	r->last_msg = now_s();

	if (start(r) < 0) {
		r->failed = true;
	} else {
		loop(r);
		finish(r);
	}
	if (r->ogone)
		log_info("stdout: the reader went away");
	else if (r->oerr) {
		log_err("stdout: %s", strerror(r->oerr));
		rc = 1;
	}
	close_consumer(r);
	rd_kafka_queue_destroy(r->q);
	r->q = NULL;
	if (r->failed || r->kc.fatal)
		rc = 1;
	stats_final(r->st);
	if (reject_close(r->rej) < 0) {
		log_err("rejects: %s", strerror(errno));
		rc = 1;
	}
	r->rej = NULL;
	if (rc == 0 && o->c.strict && *r->rejected > 0)
		rc = 3;
	if (r->oflags >= 0 && !r->oclosed)
		(void)fcntl(STDOUT_FILENO, F_SETFL, r->oflags);
	buf_free(&err);
	return rc;
}

void
kc_run_free(struct kc_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->q != NULL)
		rd_kafka_queue_destroy(r->q);
	for (i = 0; i < r->nparts; i++)
		free(r->parts[i].topic);
	free(r->parts);
	if (r->store_list != NULL)
		rd_kafka_topic_partition_list_destroy(r->store_list);
	ndjson_reader_free(r->ard);
	if (r->afd >= 0)
		close(r->afd);
	acks_free(r->acks);
	reject_close(r->rej);
	stats_free(r->st);
	arena_free(r->arena);
	free(r->hv);
	buf_free(&r->ob);
	buf_free(&r->meta);
	buf_free(&r->extra);
	kafka_client_clear(&r->kc);
	free(r);
}
