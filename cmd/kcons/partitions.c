/* SPDX-License-Identifier: MIT */
/*
 * kcons: the partitions of a run, what happens to them in a rebalance
 * (what is written is committed before they go), and pauses.
 */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/sig.h"
#include "common/xalloc.h"
#include "run.h"

#define REVOKE_DRAIN_MS 1000 /* for lines of revoked partitions */
#define KICK_EVERY 0.05 /* seconds between two wake-ups of the fetcher */
#define KICK_LOW_PART 20 /* below 1/20 of a full queue, wake the fetcher */

/* ------------------------------------------------------------ partitions */

struct ppart *
parts_find(struct kc_run *r, const char *topic, int32_t partition)
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

void
parts_add(struct kc_run *r, const char *topic, int32_t partition)
{
	struct ppart *p = parts_find(r, topic, partition);

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
	p->first = p->next = -1;
	p->eof = p->done = false;
}

void
parts_remove(struct kc_run *r, const char *topic, int32_t partition)
{
	struct ppart *p = parts_find(r, topic, partition);

	if (p == NULL)
		return;
	free(p->topic);
	*p = r->parts[--r->nparts];
	r->phit = 0;
}

/* ---------------------------------------------------------------- pauses */

void
parts_set_paused(struct kc_run *r, bool on)
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
			struct ppart *p = parts_find(
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

void
parts_pause_one(struct kc_run *r, const char *topic, int32_t partition)
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
	rd_kafka_resp_err_t e;
	struct buf err = BUF_INIT;
	int i;

	c = rd_kafka_topic_partition_list_copy(parts);
	if ((e = rd_kafka_committed(r->rk, c, r->o->timeout_ms)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		/* not knowing which partitions have an offset, -o would
		 * re-read or skip what the group committed: leave it out */
		log_warn("the group's offsets: %s: -o not applied, starting "
			 "where the group would",
		    rd_kafka_err2str(e));
		rd_kafka_topic_partition_list_destroy(c);
		return;
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

/*
 * Commit the stored offsets and wait for the answer up to wait_s (a second
 * signal cuts it short): rd_kafka_commit() waits as long as librdkafka
 * retries, and a coordinator that stops answering held a stopping kcons
 * there.  What was not committed in time is read again by the next owner.
 */
static rd_kafka_resp_err_t
commit_bounded(rd_kafka_t *rk, double wait_s)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	rd_kafka_resp_err_t e;
	double deadline = mono_now() + wait_s, left;

	e = rd_kafka_commit_queue(rk, NULL, q, NULL, NULL);
	while (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
		left = deadline - mono_now();
		if (left <= 0 || sig_stop >= 2) {
			e = RD_KAFKA_RESP_ERR__TIMED_OUT;
			break;
		}
		ev = rd_kafka_queue_poll(q,
		    left * 1000 > IDLE_POLL_MS ? IDLE_POLL_MS
					       : (int)(left * 1000) + 1);
		if (ev == NULL)
			continue;
		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
			e = rd_kafka_event_error(ev);
			rd_kafka_event_destroy(ev);
			break;
		}
		rd_kafka_event_destroy(ev);
	}
	/* a late answer goes to a queue no one reads any more */
	rd_kafka_queue_destroy(q);
	return e;
}

/* Before partitions go: what is written gets committed. */
static void
drop_revoked(
    struct kc_run *r, rd_kafka_topic_partition_list_t *parts, bool lost)
{
	rd_kafka_resp_err_t e;
	double deadline = mono_now() + REVOKE_DRAIN_MS / 1000.0;
	int i;

	if (!lost) {
		while (r->ob.len > 0 && output_drain(r) == 0 &&
		    mono_now() < deadline && sig_stop < 2)
			output_wait(r, true, 50);
		if (r->ob.len == 0 && !r->ogone && !r->oerr && r->unstored)
			output_store_written(r);
		if (r->acks != NULL)
			output_read_acks(r);
		e = commit_bounded(r->rk, r->o->flush_timeout);
		if (e == RD_KAFKA_RESP_ERR__TIMED_OUT)
			log_warn("commit before rebalance: no answer within "
				 "--flush-timeout (%g s); what was not "
				 "committed is read again",
			    r->o->flush_timeout);
		else if (e != RD_KAFKA_RESP_ERR_NO_ERROR &&
		    e != RD_KAFKA_RESP_ERR__NO_OFFSET)
			log_warn(
			    "commit before rebalance: %s", rd_kafka_err2str(e));
	}
	for (i = 0; i < parts->cnt; i++) {
		parts_remove(
		    r, parts->elems[i].topic, parts->elems[i].partition);
		if (r->acks != NULL)
			acks_drop(r->acks, parts->elems[i].topic,
			    parts->elems[i].partition);
	}
}

void
parts_log(const char *what, const rd_kafka_topic_partition_list_t *parts)
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

void
parts_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kc_run *r = opaque;
	bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
	int i;

	r->assigned_at = mono_now();
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		parts_log("assigned", parts);
		if (r->o->has_start)
			start_offsets(r, parts);
		if (coop)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			e = rd_kafka_assign(rk, parts);
		for (i = 0; i < parts->cnt; i++)
			parts_add(r, parts->elems[i].topic,
			    parts->elems[i].partition);
		r->assigned_once = true;
		if (r->paused || r->stop)
			rd_kafka_pause_partitions(rk, parts);
	} else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		parts_log("revoked", parts);
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

/*
 * librdkafka 2.0's fetcher stops fetching while the queue holds
 * queued.min.messages or queued.max.messages.kbytes and looks again only
 * about once a second, so a consumer that caught up waits the rest of
 * that second with nothing to do.  When the queue was full (the fetcher
 * stopped) and has run low while partitions are behind their high
 * watermark, seek them to where they are: that wakes the fetcher and
 * loses nothing (the position is the offset after the last message handed
 * out; what was still queued after it is dropped by the seek and fetched
 * again, a small part of the queue).  A seek at any other time would
 * throw away fetches in flight: only after a stall.
 */
static size_t
conf_size(rd_kafka_t *rk, const char *name, size_t dflt)
{
	char v[32];
	size_t n = sizeof(v);
	unsigned long long x;

	if (rd_kafka_conf_get(rd_kafka_conf(rk), name, v, &n) !=
		RD_KAFKA_CONF_OK ||
	    parse_uint_range(v, 1, SIZE_MAX / 1024, &x, NULL) < 0)
		return dflt;
	return (size_t)x;
}

void
parts_fetcher_limits(struct kc_run *r)
{
	r->qmin_msgs = conf_size(r->rk, "queued.min.messages", 100000);
	r->qmax_bytes =
	    conf_size(r->rk, "queued.max.messages.kbytes", 65536) * 1024;
}

void
parts_kick_fetcher(struct kc_run *r)
{
	rd_kafka_topic_partition_list_t *l, *k;
	rd_kafka_error_t *error;
	size_t qlen = (size_t)rd_kafka_queue_length(r->q), full;
	double now;
	int64_t lo, hi;
	int i;

	/* full, in messages or (at the average size so far) in bytes */
	full = r->qmax_bytes / (r->avg_line > 1 ? r->avg_line : 1);
	if (full > r->qmin_msgs)
		full = r->qmin_msgs;
	if (qlen >= full - full / 10)
		r->stalled = true;
	if (!r->stalled || qlen > full / KICK_LOW_PART || r->paused || r->stop)
		return;
	now = mono_now();
	if (now - r->kicked_at < KICK_EVERY)
		return;
	r->stalled = false;
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

		struct ppart *pp = parts_find(r, p->topic, p->partition);

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
