/* SPDX-License-Identifier: MIT */
/*
 * kcons' consume mode: read messages, write lines, store an offset only
 * once its line is written (or, with --acks, acknowledged downstream),
 * pause partitions rather than stop polling while the output blocks.
 */
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
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "acks.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/compat.h"
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
#include "run.h"

#define PIPE_BYTES (1024 * 1024) /* stdout's pipe, when we may grow it */
#define BATCH 1000 /* messages per rd_kafka_consume_batch_queue() */
#define WRITE_HIGH (256 * 1024) /* output a batch may make, about */
#define PAUSE_AFTER 1.0 /* seconds of blocked output before pausing */
#define ACKS_MAX_PENDING 100000 /* unacknowledged lines before pausing */
#define EMPTY_GRACE 5.0 /* -e: seconds with no partition assigned */

int64_t
kc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -------------------------------------------------------------- messages */

static void
reject(struct kc_run *r, const struct kc_msg *km, const char *reason,
    bool too_long)
{
	struct reject rec;

	(*r->rejected)++;
	buf_reset(&r->meta);
	kc_meta(km, &r->meta);
	reject_init(&rec, reason, 0, km->payload, km->len);
	reject_with_meta(&rec, r->meta.data, r->meta.len);
	if (too_long)
		reject_too_long(&rec, km->len);
	/* "input" replaces what is not UTF-8: the bytes go too */
	reject_binary(&rec);
	/* a log line is all there is to see: say where the message is */
	if (reject_is_log(r->rej)) {
		buf_reset(&r->where);
		buf_printf(&r->where, "%s [%d] @%lld: %s", km->topic,
		    (int)km->partition, (long long)km->offset, rec.reason);
		rec.reason = buf_cstr(&r->where);
	}
	/* rejects on stdout come after the lines before them */
	if (r->rejects_stdout && output_drain(r) < 0) {
		r->stop = true;
		return;
	}
	if (reject_write(r->rej, &rec) < 0) {
		if (!(r->rejects_stdout && errno == EPIPE)) {
			log_err("rejects: %s", strerror(errno));
			r->failed = true;
		}
		r->stop = true;
	}
}

static void
event(struct kc_run *r, const rd_kafka_message_t *m)
{
	const char *topic = m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : NULL;
	struct ppart *p;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (topic != NULL &&
		    (p = parts_find(r, topic, m->partition)) != NULL)
			p->eof = true;
		log_debug("%s [%d]: at the end (offset %lld)", topic,
		    (int)m->partition, (long long)m->offset);
		return;
	}
	switch (m->err) {
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
		if (r->o->group != NULL &&
		    m->err != RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
			/* a subscribed topic that does not exist (and that the
			 * broker does not create): no partition will ever come,
			 * so say so and stop, as kcat -G does */
			if (topic != NULL)
				log_err("topic %s: %s: does it exist? (kcons "
					"--list names the topics)",
				    topic, rd_kafka_message_errstr(m));
			else
				log_err("%s", rd_kafka_message_errstr(m));
			r->failed = r->stop = true;
			return;
		}
		if (r->o->group != NULL) {
			if (topic != NULL)
				log_warn("topic %s: %s", topic,
				    rd_kafka_message_errstr(m));
			else
				log_warn("%s", rd_kafka_message_errstr(m));
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

/*
 * Before a stats line or a redraw: the lag, what the assigned partitions
 * hold past what was read, from librdkafka's cached high watermarks (no
 * request); and, for -e, how far along the way to those ends the run is.
 */
static void
refresh_lag(void *arg)
{
	struct kc_run *r = arg;
	uint64_t lag = 0, total = 0, done = 0;
	int64_t lo, hi, from;
	size_t i;

	for (i = 0; i < r->nparts; i++) {
		struct ppart *p = &r->parts[i];

		if (rd_kafka_get_watermark_offsets(r->rk, p->topic,
			p->partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    hi < 0)
			continue;
		from = p->next >= 0 ? p->next : lo;
		if (hi > from)
			lag += (uint64_t)(hi - from);
		if (p->first >= 0 && hi > p->first) {
			total += (uint64_t)(hi - p->first);
			done += (uint64_t)(p->next - p->first);
		}
	}
	*r->lag = lag;
	if (r->o->exit_eof) {
		stats_set_total(r->st, total, NULL, NULL);
		stats_set_input(r->st, -1, done);
	}
}

static void
message(struct kc_run *r, const rd_kafka_message_t *m)
{
	const char *topic, *why;
	struct kc_msg km;
	struct ppart *p;
	size_t start;
	bool too_long;

	if (m->err) {
		event(r, m);
		return;
	}
	topic = rd_kafka_topic_name(m->rkt);
	/* gone in a rebalance: its new owner reads it */
	if (r->stop || (p = parts_find(r, topic, m->partition)) == NULL ||
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
		parts_pause_one(r, topic, m->partition);
		log_info("%s [%d]: at the end time", topic, (int)m->partition);
		return;
	}
	(*r->in)++;
	p->eof = false;
	if (p->first < 0)
		p->first = m->offset;
	p->next = m->offset + 1;
	km.headers = NULL;
	km.nheaders = 0;
	if (r->o->fmt.human != NULL) {
		/* -f: a human view, bytes as they are, never a reject */
		if (r->human_headers)
			headers(r, m, &km);
		kc_human(r->o->fmt.human, &km, &r->ob);
		(*r->out)++;
		p->store = m->offset + 1;
		r->unstored = true;
		if (r->o->count > 0 && *r->in >= r->o->count)
			r->stop = true;
		stats_tick(r->st);
		return;
	}
	if (r->o->fmt.metadata)
		headers(r, m, &km);
	arena_reset(r->arena);
	start = r->ob.len;
	why = kc_format(&r->o->fmt, r->arena, &km, &r->ob);
	too_long = why == NULL && r->ob.len - start > r->o->c.max_line;
	if (too_long)
		r->ob.len = start;
	r->unstored = true;
	if (why != NULL || too_long) {
		if (!r->o->fmt.metadata)
			headers(r, m, &km);
		if (r->acks != NULL)
			acks_add(r->acks, topic, m->partition, m->offset, true);
		else
			p->store = m->offset + 1;
		reject(r, &km, why, too_long);
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
		r->last_msg = mono_now();
	if (n > 0 && r->ob.len > start)
		r->avg_line =
		    (r->avg_line * 7 + (r->ob.len - start) / (size_t)n) / 8;
	/* wake the fetcher before the queue runs dry, not after */
	parts_kick_fetcher(r);
	if (n == 0 && timeout_ms > 0 &&
	    (m = rd_kafka_consumer_poll(r->rk, timeout_ms)) != NULL) {
		if (r->o->idle_timeout > 0)
			r->last_msg = mono_now();
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
	    mono_now() - r->last_msg >= r->o->idle_timeout) {
		log_info("idle for %.1f s: stopping", r->o->idle_timeout);
		return true;
	}
	if (!(r->o->exit_eof || r->o->has_end) || !r->assigned_once)
		return false;
	for (i = 0; i < r->nparts; i++)
		if (!r->parts[i].done && !(r->o->exit_eof && r->parts[i].eof))
			return false;
	/* a group member without partitions: maybe more are coming */
	return r->nparts > 0 || mono_now() - r->assigned_at >= EMPTY_GRACE;
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
		rd_kafka_message_t *m;

		/* the cause librdkafka knows, at the default verbosity: its
		 * error_cb records it (a refused connection, "connecting to
		 * a SSL listener?") when the queue is served */
		while ((m = rd_kafka_consumer_poll(r->rk, 0)) != NULL)
			rd_kafka_message_destroy(m);
		if (r->kc.last_reason[0] != '\0') {
			buf_adds(&err, ": ");
			kafka_unreached_text(&r->kc, 0, &err);
		}
		log_err("%s", buf_cstr(&err));
		goto out;
	}
	if ((e = rd_kafka_assign(r->rk, l)) != 0) {
		log_err("assign: %s", rd_kafka_err2str(e));
		rc = -1;
		goto out;
	}
	parts_log("assigned", l);
	for (i = 0; i < (size_t)l->cnt; i++)
		parts_add(r, l->elems[i].topic, l->elems[i].partition);
	r->assigned_once = true;
	r->assigned_at = mono_now();
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
		stats_serve_signals(r->st, r->rej);
		if (sig_stop || r->kc.fatal)
			break;
		if (r->acks != NULL)
			output_read_acks(r);
		if (r->ob.len > 0) {
			if ((rc = output_drain(r)) < 0)
				break;
			if (rc == 0) {
				if (!r->paused &&
				    mono_now() - r->blocked_since >=
					PAUSE_AFTER)
					parts_set_paused(r, true);
				output_wait(r, true, IDLE_POLL_MS);
				if (r->paused)
					consume_batch(r, 0);
				stats_check(r->st);
				continue;
			}
		}
		if (r->unstored)
			output_store_written(r);
		parts_set_paused(r,
		    r->acks != NULL &&
			acks_pending(r->acks) >= ACKS_MAX_PENDING);
		if (finished(r) || output_reader_gone(r))
			break;
		timeout = stats_next_ms(r->st);
		if (timeout < 0 || timeout > IDLE_POLL_MS)
			timeout = IDLE_POLL_MS;
		consume_batch(r, timeout);
		stats_check(r->st);
	}
}

/*
 * Descriptor 1 closed for the reader downstream, yet kept taken: /dev/null
 * in its place, so that no socket librdkafka opens later becomes stdout.
 */
static void
close_stdout(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		close(STDOUT_FILENO);
	if (fd >= 0 && fd != STDOUT_FILENO)
		close(fd);
}

/* Write what is left, commit, and with --acks wait for the last ones. */
static void
finish(struct kc_run *r)
{
	double deadline = 0;

	r->stop = true;
	parts_set_paused(r, true);
	while (r->ob.len > 0 && sig_stop < 2) {
		if (sig_stop && deadline == 0)
			deadline = mono_now() + r->o->flush_timeout;
		if (deadline > 0 && mono_now() >= deadline)
			break;
		if (output_drain(r) != 0)
			break;
		output_wait(r, true, IDLE_POLL_MS);
		consume_batch(r, 0);
		stats_serve_signals(r->st, r->rej);
	}
	if (r->ob.len == 0 && !r->ogone && !r->oerr) {
		if (r->unstored)
			output_store_written(r);
	} else if (r->ob.len > 0)
		log_warn("%zu bytes of output not written: their messages "
			 "will be read again",
		    r->ob.len - r->ooff);
	if (r->acks != NULL && sig_stop < 2) {
		/* end of input for the reader downstream: it sends its last
		 * batch and acknowledges it */
		close_stdout();
		r->oclosed = true;
		deadline = mono_now() + r->o->flush_timeout;
		while (acks_pending(r->acks) > 0 && mono_now() < deadline &&
		    sig_stop < 2 && !r->failed) {
			output_wait(r, false, IDLE_POLL_MS);
			output_read_acks(r);
			consume_batch(r, 0);
			stats_serve_signals(r->st, r->rej);
		}
		output_read_acks(r);
		if (acks_pending(r->acks) > 0)
			log_warn("%zu lines written but not acknowledged: they "
				 "will be read again",
			    acks_pending(r->acks));
	}
}

/*
 * Leave the group, committing (the revocation goes through parts_on_rebalance
 * like any other), while a second signal can still cut it short: then the
 * handle is destroyed without closing.  Bounded by --flush-timeout: a close
 * that waits on a join in progress (the coordinator holds a JoinGroup until
 * the rebalance ends) is given up the same way.
 */
static void
close_consumer(struct kc_run *r)
{
	rd_kafka_queue_t *cq;
	rd_kafka_error_t *error;
	rd_kafka_event_t *ev;
	double deadline = mono_now() + r->o->flush_timeout;

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
		if (mono_now() >= deadline) {
			log_warn("leaving the group took longer than "
				 "--flush-timeout (%g s): given up; what was "
				 "not committed is read again",
			    r->o->flush_timeout);
			r->abort = r->close_given_up = true;
			break;
		}
		if ((ev = rd_kafka_queue_poll(cq, IDLE_POLL_MS)) == NULL)
			continue;
		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
			parts_on_rebalance(r->rk, rd_kafka_event_error(ev),
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

void
kc_run_open_acks(struct kc_run *r)
{
	struct buf err = BUF_INIT;

	if (r->o->acks != NULL && r->afd < 0 && output_open_acks(r, &err) < 0)
		fatal("%s", buf_cstr(&err));
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
	rd_kafka_conf_set_rebalance_cb(conf, parts_on_rebalance);
}

bool
kc_run_abort(const struct kc_run *r)
{
	return r->abort;
}

bool
kc_run_close_given_up(const struct kc_run *r)
{
	return r->close_given_up;
}

bool
kc_run_assigned(const struct kc_run *r)
{
	return r->assigned_once;
}

int
kc_consume(struct kc_run *r, rd_kafka_t *rk)
{
	const struct kc_opts *o = r->o;
	struct buf err = BUF_INIT;
	struct stat st;
	int rc = 0, fl;

	r->rk = rk;
	parts_fetcher_limits(r);
	r->rejects_stdout = o->c.rejects != NULL &&
	    (strcmp(o->c.rejects, "-") == 0 ||
		strcmp(o->c.rejects, "/dev/fd/1") == 0);
	if ((r->rej = reject_open(o->c.rejects, "kcons", &err)) == NULL ||
	    (o->acks != NULL && r->afd < 0 && output_open_acks(r, &err) < 0)) {
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
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))
		pipe_grow(STDOUT_FILENO, PIPE_BYTES);
	rd_kafka_poll_set_consumer(rk);
	r->q = rd_kafka_queue_get_consumer(rk);
	r->arena = arena_new();
	r->st = stats_new("kcons");
	r->human_headers =
	    o->fmt.human != NULL && kc_human_headers(o->fmt.human);
	stats_configure(r->st, o->c.stats_interval, o->c.stats, o->c.progress);
	r->in = stats_counter(r->st, "in");
	r->out = stats_counter(r->st, "out");
	r->rejected = stats_counter(r->st, "rejected");
	if (o->c.stats || o->c.progress || o->c.metrics_file != NULL) {
		r->lag = stats_gauge(r->st, "lag");
		stats_set_refresh(r->st, refresh_lag, r);
	}
	if (r->acks != NULL) {
		r->acked = stats_counter(r->st, "acked");
		r->ack_unknown = stats_counter(r->st, "acks_ignored");
	}
	stats_metrics_file(r->st, o->c.metrics_file);
	r->last_msg = mono_now();

	if (start(r) < 0) {
		r->failed = true;
	} else {
		loop(r);
		finish(r);
	}
	if (r->ogone)
		log_info("%s: the reader went away",
		    o->io.output != NULL ? o->io.output : "stdout");
	else if (r->oerr == ETIMEDOUT && o->output_fifo) {
		log_err("%s: no new reader within --reopen-timeout (%g s)",
		    o->io.output, o->io.reopen_timeout);
		rc = 1;
	} else if (r->oerr) {
		log_err("%s: %s",
		    o->io.output != NULL ? o->io.output : "stdout",
		    strerror(r->oerr));
		rc = 1;
	}
	close_consumer(r);
	rd_kafka_queue_destroy(r->q);
	r->q = NULL;
	if (r->failed || r->kc.fatal)
		rc = 1;
	rc = stats_finish(r->st, r->rej, o->c.strict, *r->rejected, rc);
	r->rej = NULL;
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
	buf_free(&r->where);
	kafka_client_clear(&r->kc);
	free(r);
}
