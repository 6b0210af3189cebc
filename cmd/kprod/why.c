/* SPDX-License-Identifier: MIT */
/* Why the messages to a partition timed out, asked of the cluster (why.h). */
#include "common/prelude.h"

#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/xalloc.h"
#include "why.h"

#define WHY_SLOTS 32 /* partitions remembered */
#define WHY_TTL 10.0 /* seconds an answer is reused */

struct why_slot {
	char *topic;
	int32_t partition;
	double at;
	rd_kafka_resp_err_t err;
	struct buf text;
	bool logged;
};

struct kp_why {
	rd_kafka_t *rk;
	bool acks_all;
	double mute_until; /* no answer came: ask nothing until then */
	struct why_slot slots[WHY_SLOTS];
};

rd_kafka_resp_err_t
kp_why_explain(int32_t leader, int replicas, int isr, int min_insync,
    bool acks_all, struct buf *out)
{
	if (leader < 0) {
		buf_printf(out, "no leader: %d of its %d replicas in sync", isr,
		    replicas);
		return RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
	}
	if (acks_all && min_insync > 0 && isr < min_insync) {
		buf_printf(out,
		    "%d in-sync replica%s of %d, min.insync.replicas %d", isr,
		    isr == 1 ? "" : "s", replicas, min_insync);
		return RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS;
	}
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

struct kp_why *
kp_why_new(rd_kafka_t *rk, bool acks_all)
{
	struct kp_why *w = xcalloc(1, sizeof(*w));

	w->rk = rk;
	w->acks_all = acks_all;
	return w;
}

void
kp_why_free(struct kp_why *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < WHY_SLOTS; i++) {
		free(w->slots[i].topic);
		buf_free(&w->slots[i].text);
	}
	free(w);
}

/* The topic's min.insync.replicas, 0 when the cluster does not say. */
static int
min_insync(rd_kafka_t *rk, const char *topic, int timeout_ms)
{
	rd_kafka_ConfigResource_t *res;
	rd_kafka_AdminOptions_t *ao;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	const rd_kafka_ConfigResource_t **rs;
	const rd_kafka_ConfigEntry_t **es = NULL;
	const char *v;
	char errstr[256];
	unsigned long long n = 0;
	size_t nrs = 0, nes = 0, i;

	res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	(void)rd_kafka_AdminOptions_set_request_timeout(
	    ao, timeout_ms, errstr, sizeof(errstr));
	q = rd_kafka_queue_new(rk);
	rd_kafka_DescribeConfigs(rk, &res, 1, ao, q);
	ev = rd_kafka_queue_poll(q, timeout_ms + 500);
	if (ev != NULL &&
	    rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT &&
	    rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		rs = rd_kafka_DescribeConfigs_result_resources(
		    rd_kafka_event_DescribeConfigs_result(ev), &nrs);
		if (nrs == 1 && rd_kafka_ConfigResource_error(rs[0]) == 0)
			es = rd_kafka_ConfigResource_configs(rs[0], &nes);
		for (i = 0; i < nes; i++) {
			if (strcmp(rd_kafka_ConfigEntry_name(es[i]),
				"min.insync.replicas") != 0)
				continue;
			v = rd_kafka_ConfigEntry_value(es[i]);
			if (v == NULL ||
			    parse_uint_range(v, 1, 1000, &n, NULL) != 0)
				n = 0;
			break;
		}
	}
	if (ev != NULL)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_AdminOptions_destroy(ao);
	rd_kafka_ConfigResource_destroy(res);
	return (int)n;
}

/* Ask the cluster about partition of topic, into s. */
static void
ask(struct kp_why *w, struct why_slot *s, int timeout_ms)
{
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_metadata_partition *p = NULL;
	rd_kafka_topic_t *rkt;
	int i;

	s->err = RD_KAFKA_RESP_ERR_NO_ERROR;
	buf_reset(&s->text);
	rkt = rd_kafka_topic_new(w->rk, s->topic, NULL);
	if (rkt == NULL)
		return;
	if (rd_kafka_metadata(w->rk, 0, rkt, &md, timeout_ms) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		/* a cluster that does not answer costs one wait in
		 * WHY_TTL, not one per partition */
		w->mute_until = mono_now() + WHY_TTL;
		md = NULL;
	} else if (md->topic_cnt == 1 && md->topics[0].err == 0)
		for (i = 0; i < md->topics[0].partition_cnt; i++)
			if (md->topics[0].partitions[i].id == s->partition)
				p = &md->topics[0].partitions[i];
	if (p != NULL)
		s->err = kp_why_explain(p->leader, p->replica_cnt, p->isr_cnt,
		    p->leader >= 0 && w->acks_all
			? min_insync(w->rk, s->topic, timeout_ms)
			: 0,
		    w->acks_all, &s->text);
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
}

rd_kafka_resp_err_t
kp_why(struct kp_why *w, const char *topic, int32_t partition, int timeout_ms,
    const char **text)
{
	struct why_slot *s = NULL, *oldest = &w->slots[0];
	double now = mono_now();
	size_t i;

	for (i = 0; i < WHY_SLOTS && s == NULL; i++) {
		if (w->slots[i].topic != NULL &&
		    w->slots[i].partition == partition &&
		    strcmp(w->slots[i].topic, topic) == 0)
			s = &w->slots[i];
		else if (w->slots[i].at < oldest->at)
			oldest = &w->slots[i];
	}
	if (s == NULL) {
		s = oldest;
		free(s->topic);
		s->topic = xstrdup(topic);
		s->partition = partition;
		s->logged = false;
		s->at = 0;
	}
	if ((s->at == 0 || now - s->at >= WHY_TTL) && now >= w->mute_until) {
		ask(w, s, timeout_ms);
		s->at = mono_now();
	}
	if (s->err != RD_KAFKA_RESP_ERR_NO_ERROR && !s->logged) {
		s->logged = true;
		log_err(
		    "topic %s partition %d: messages timed out: %s (%s): %s",
		    topic, (int)partition, rd_kafka_err2str(s->err),
		    buf_cstr(&s->text),
		    s->err == RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS
			? "start the brokers that are down, or lower the "
			  "topic's min.insync.replicas"
			: "start the brokers that are down");
	}
	*text = buf_cstr(&s->text);
	return s->err;
}
