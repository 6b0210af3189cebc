/* SPDX-License-Identifier: MIT */
/* kcons --list, --commit and --reset-offsets: look at and set offsets. */
#include "common/prelude.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "kcons.h"
#include "offspec.h"

static void
add_str(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		jsonx_emit_string_lossy(b, s, strlen(s));
}

/* Write b to stdout and empty it.  0 (also once the reader went away:
 * the rest is not wanted), or -1 (reported). */
static int
emit(struct buf *b)
{
	static bool gone;
	size_t off = 0;
	ssize_t n;

	while (off < b->len && !gone) {
		n = write(STDOUT_FILENO, b->data + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			gone = true;
			break;
		}
		if (n < 0) {
			log_err("stdout: %s", strerror(errno));
			buf_reset(b);
			return -1;
		}
		off += (size_t)n;
	}
	buf_reset(b);
	return 0;
}

int
kc_topic_partitions(rd_kafka_t *rk, const struct kc_opts *o, const char *topic,
    rd_kafka_topic_partition_list_t *list, struct buf *err)
{
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_metadata_topic *t;
	rd_kafka_topic_t *rkt;
	rd_kafka_resp_err_t e;
	size_t i;
	int j, rc = -1;

	if (topic[0] == '^') {
		buf_printf(err, "topic %s: a pattern needs -G", topic);
		return -1;
	}
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (rkt == NULL) {
		buf_printf(err, "topic %s: %s", topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
		return -1;
	}
	e = rd_kafka_metadata(rk, 0, rkt, &md, o->timeout_ms);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		buf_printf(
		    err, "topic %s: metadata: %s", topic, rd_kafka_err2str(e));
		goto out;
	}
	t = &md->topics[0];
	if (md->topic_cnt != 1 || t->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		buf_printf(err, "topic %s: %s", topic,
		    rd_kafka_err2str(md->topic_cnt == 1
			    ? t->err
			    : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
		goto out;
	}
	if (o->npartitions == 0) {
		for (j = 0; j < t->partition_cnt; j++)
			rd_kafka_topic_partition_list_add(
			    list, topic, t->partitions[j].id)
			    ->offset = RD_KAFKA_OFFSET_INVALID;
		rc = 0;
		goto out;
	}
	for (i = 0; i < o->npartitions; i++) {
		for (j = 0; j < t->partition_cnt; j++)
			if (t->partitions[j].id == o->partitions[i])
				break;
		if (j == t->partition_cnt) {
			buf_printf(err,
			    "topic %s has no partition %d (%d in all)", topic,
			    (int)o->partitions[i], t->partition_cnt);
			goto out;
		}
		rd_kafka_topic_partition_list_add(list, topic, o->partitions[i])
		    ->offset = RD_KAFKA_OFFSET_INVALID;
	}
	rc = 0;
out:
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return rc;
}

/* The topics to look at: those named, else every topic not internal. */
static bool
wanted(const struct kc_opts *o, const char *topic)
{
	size_t i;

	if (o->ntopics == 0)
		return topic[0] != '_' || topic[1] != '_';
	for (i = 0; i < o->ntopics; i++)
		if (strcmp(o->topics[i], topic) == 0)
			return true;
	return false;
}

/* The group's description as one line; fills owners (partition -> the
 * member's client id) for the partition lines.  0, or -1. */
static int
describe_group(const struct kc_opts *o, rd_kafka_t *rk, struct buf *b,
    rd_kafka_topic_partition_list_t *owners)
{
	const rd_kafka_DescribeConsumerGroups_result_t *res;
	const rd_kafka_ConsumerGroupDescription_t *const *groups;
	const rd_kafka_ConsumerGroupDescription_t *g;
	const rd_kafka_error_t *gerr;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	const char *groupv[1];
	char errstr[256];
	size_t n, i;
	int j, rc = -1;

	groupv[0] = o->group;
	opts = rd_kafka_AdminOptions_new(
	    rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
	(void)rd_kafka_AdminOptions_set_request_timeout(
	    opts, o->timeout_ms, errstr, sizeof(errstr));
	rd_kafka_DescribeConsumerGroups(rk, groupv, 1, opts, q);
	ev = rd_kafka_queue_poll(q, o->timeout_ms + 1000);
	if (ev == NULL || rd_kafka_event_error(ev)) {
		log_err("group %s: describe: %s", o->group,
		    ev != NULL ? rd_kafka_event_error_string(ev) : "timed out");
		goto out;
	}
	res = rd_kafka_event_DescribeConsumerGroups_result(ev);
	groups = rd_kafka_DescribeConsumerGroups_result_groups(res, &n);
	if (n != 1)
		goto out;
	g = groups[0];
	if ((gerr = rd_kafka_ConsumerGroupDescription_error(g)) != NULL) {
		log_err("group %s: %s", o->group, rd_kafka_error_string(gerr));
		goto out;
	}
	buf_adds(b, "{\"group\":");
	add_str(b, o->group);
	buf_adds(b, ",\"state\":");
	add_str(b,
	    rd_kafka_consumer_group_state_name(
		rd_kafka_ConsumerGroupDescription_state(g)));
	buf_adds(b, ",\"assignor\":");
	add_str(b, rd_kafka_ConsumerGroupDescription_partition_assignor(g));
	buf_adds(b, ",\"members\":[");
	n = rd_kafka_ConsumerGroupDescription_member_count(g);
	for (i = 0; i < n; i++) {
		const rd_kafka_MemberDescription_t *m =
		    rd_kafka_ConsumerGroupDescription_member(g, i);
		const rd_kafka_topic_partition_list_t *a =
		    rd_kafka_MemberAssignment_partitions(
			rd_kafka_MemberDescription_assignment(m));
		const char *cid = rd_kafka_MemberDescription_client_id(m);

		buf_adds(b, i ? ",{\"member_id\":" : "{\"member_id\":");
		add_str(b, rd_kafka_MemberDescription_consumer_id(m));
		buf_adds(b, ",\"client_id\":");
		add_str(b, cid);
		buf_adds(b, ",\"host\":");
		add_str(b, rd_kafka_MemberDescription_host(m));
		buf_adds(b, ",\"instance_id\":");
		add_str(b, rd_kafka_MemberDescription_group_instance_id(m));
		buf_adds(b, ",\"assignment\":[");
		for (j = 0; a != NULL && j < a->cnt; j++) {
			rd_kafka_topic_partition_t *p;

			buf_adds(b, j ? ",[" : "[");
			add_str(b, a->elems[j].topic);
			buf_printf(b, ",%d]", (int)a->elems[j].partition);
			p = rd_kafka_topic_partition_list_add(
			    owners, a->elems[j].topic, a->elems[j].partition);
			p->metadata = xstrdup(cid != NULL ? cid : "");
			p->metadata_size = strlen(p->metadata);
		}
		buf_adds(b, "]}");
	}
	buf_adds(b, "]}\n");
	rc = 0;
out:
	if (ev != NULL)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	return rc;
}

static int
cmp_listing(const void *a, const void *b)
{
	return strcmp(rd_kafka_ConsumerGroupListing_group_id(
			  *(const rd_kafka_ConsumerGroupListing_t *const *)a),
	    rd_kafka_ConsumerGroupListing_group_id(
		*(const rd_kafka_ConsumerGroupListing_t *const *)b));
}

/*
 * The cluster's consumer groups, a line each, by name:
 * {"group":"indexer","state":"Stable","simple":false}.  A cluster that
 * will not list them (authorization) is a warning: the rest of --list
 * still answers.
 */
static void
list_groups(const struct kc_opts *o, rd_kafka_t *rk, struct buf *b)
{
	const rd_kafka_ListConsumerGroups_result_t *res;
	const rd_kafka_ConsumerGroupListing_t **valid, **sorted;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	char errstr[256];
	size_t n, i;

	opts =
	    rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
	(void)rd_kafka_AdminOptions_set_request_timeout(
	    opts, o->timeout_ms, errstr, sizeof(errstr));
	rd_kafka_ListConsumerGroups(rk, opts, q);
	ev = rd_kafka_queue_poll(q, o->timeout_ms + 1000);
	if (ev == NULL || rd_kafka_event_error(ev)) {
		log_warn("consumer groups: %s",
		    ev != NULL ? rd_kafka_event_error_string(ev) : "timed out");
		goto out;
	}
	res = rd_kafka_event_ListConsumerGroups_result(ev);
	valid = rd_kafka_ListConsumerGroups_result_valid(res, &n);
	sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	for (i = 0; i < n; i++)
		sorted[i] = valid[i];
	qsort(sorted, n, sizeof(*sorted), cmp_listing);
	for (i = 0; i < n; i++) {
		buf_adds(b, "{\"group\":");
		add_str(b, rd_kafka_ConsumerGroupListing_group_id(sorted[i]));
		buf_adds(b, ",\"state\":");
		add_str(b,
		    rd_kafka_consumer_group_state_name(
			rd_kafka_ConsumerGroupListing_state(sorted[i])));
		buf_printf(b, ",\"simple\":%s}\n",
		    rd_kafka_ConsumerGroupListing_is_simple_consumer_group(
			sorted[i])
			? "true"
			: "false");
	}
	free(sorted);
out:
	if (ev != NULL)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
}

int
kc_list(const struct kc_opts *o, rd_kafka_t *rk)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *all, *owners;
	struct buf b = BUF_INIT;
	rd_kafka_resp_err_t e;
	int i, j, k, rc = 0;
	bool have_committed = false;

	e = rd_kafka_metadata(rk, 1, NULL, &md, o->timeout_ms);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("metadata: %s", rd_kafka_err2str(e));
		return 1;
	}
	all = rd_kafka_topic_partition_list_new(64);
	owners = rd_kafka_topic_partition_list_new(64);
	for (i = 0; i < md->broker_cnt; i++) {
		buf_printf(
		    &b, "{\"broker\":%d,\"host\":", (int)md->brokers[i].id);
		add_str(&b, md->brokers[i].host);
		buf_printf(&b, ",\"port\":%d}\n", md->brokers[i].port);
	}
	if (o->group == NULL && o->ntopics == 0)
		list_groups(o, rk, &b);
	for (i = 0; i < md->topic_cnt; i++)
		if (wanted(o, md->topics[i].topic))
			for (j = 0; j < md->topics[i].partition_cnt; j++)
				rd_kafka_topic_partition_list_add(all,
				    md->topics[i].topic,
				    md->topics[i].partitions[j].id);
	for (i = 0; i < (int)o->ntopics; i++)
		if (rd_kafka_topic_partition_list_find(all, o->topics[i], 0) ==
		    NULL) {
			log_err("topic %s: %s", o->topics[i],
			    rd_kafka_err2str(
				RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
			rc = 1;
		}
	if (o->group != NULL) {
		if (describe_group(o, rk, &b, owners) < 0)
			rc = 1;
		e = rd_kafka_committed(rk, all, o->timeout_ms);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("group %s: committed offsets: %s", o->group,
			    rd_kafka_err2str(e));
			rc = 1;
		} else {
			have_committed = true;
		}
	}
	for (i = 0; i < md->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &md->topics[i];

		if (!wanted(o, t->topic))
			continue;
		for (j = 0; j < t->partition_cnt; j++) {
			const struct rd_kafka_metadata_partition *p =
			    &t->partitions[j];
			rd_kafka_topic_partition_t *c, *own;
			int64_t lo = -1, hi = -1;

			e = rd_kafka_query_watermark_offsets(
			    rk, t->topic, p->id, &lo, &hi, o->timeout_ms);
			buf_adds(&b, "{\"topic\":");
			add_str(&b, t->topic);
			buf_printf(&b, ",\"partition\":%d,\"leader\":%d",
			    (int)p->id, (int)p->leader);
			buf_adds(&b, ",\"replicas\":[");
			for (k = 0; k < p->replica_cnt; k++)
				buf_printf(&b, "%s%d", k ? "," : "",
				    (int)p->replicas[k]);
			buf_adds(&b, "],\"isr\":[");
			for (k = 0; k < p->isr_cnt; k++)
				buf_printf(
				    &b, "%s%d", k ? "," : "", (int)p->isrs[k]);
			buf_adds(&b, "]");
			if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
				buf_printf(&b, ",\"low\":%lld,\"high\":%lld",
				    (long long)lo, (long long)hi);
			else
				buf_adds(&b, ",\"low\":null,\"high\":null");
			if (have_committed) {
				c = rd_kafka_topic_partition_list_find(
				    all, t->topic, p->id);
				buf_adds(&b, ",\"group\":");
				add_str(&b, o->group);
				if (c != NULL && c->offset >= 0) {
					buf_printf(&b, ",\"committed\":%lld",
					    (long long)c->offset);
					if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
						buf_printf(&b, ",\"lag\":%lld",
						    (long long)(hi -
							c->offset));
					else
						buf_adds(&b, ",\"lag\":null");
				} else {
					buf_adds(&b,
					    ",\"committed\":null,"
					    "\"lag\":null");
				}
				own = rd_kafka_topic_partition_list_find(
				    owners, t->topic, p->id);
				buf_adds(&b, ",\"member\":");
				add_str(&b, own != NULL ? own->metadata : NULL);
			}
			buf_adds(&b, "}\n");
			if (b.len > 65536 && emit(&b) < 0)
				rc = 1;
		}
	}
	if (emit(&b) < 0)
		rc = 1;
	rd_kafka_topic_partition_list_destroy(all);
	rd_kafka_topic_partition_list_destroy(owners);
	rd_kafka_metadata_destroy(md);
	buf_free(&b);
	return rc;
}

/* Commit list for the group and print what was committed. */
static int
commit_list(const struct kc_opts *o, rd_kafka_t *rk,
    rd_kafka_topic_partition_list_t *list)
{
	struct buf b = BUF_INIT;
	rd_kafka_resp_err_t e;
	int i, rc = 0;

	e = rd_kafka_commit(rk, list, 0);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR &&
	    e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		log_err("group %s: commit: %s%s", o->group, rd_kafka_err2str(e),
		    e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
			    e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
			    e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS
			? " (the group has active members: stop them first)"
			: "");
		rc = 1;
	}
	for (i = 0; i < list->cnt; i++) {
		const rd_kafka_topic_partition_t *p = &list->elems[i];

		if (p->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("group %s: topic %s [%d]: %s", o->group,
			    p->topic, (int)p->partition,
			    rd_kafka_err2str(p->err));
			rc = 1;
			continue;
		}
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
			continue;
		buf_adds(&b, "{\"group\":");
		add_str(&b, o->group);
		buf_adds(&b, ",\"topic\":");
		add_str(&b, p->topic);
		buf_printf(&b, ",\"partition\":%d,\"offset\":%lld}\n",
		    (int)p->partition, (long long)p->offset);
	}
	if (emit(&b) < 0)
		rc = 1;
	buf_free(&b);
	return rc;
}

int
kc_commit(const struct kc_opts *o, rd_kafka_t *rk)
{
	rd_kafka_topic_partition_list_t *l;
	size_t i;
	int rc;

	l = rd_kafka_topic_partition_list_new((int)o->ncommits);
	for (i = 0; i < o->ncommits; i++)
		rd_kafka_topic_partition_list_add(
		    l, o->commits[i].topic, o->commits[i].partition)
		    ->offset = o->commits[i].offset;
	rc = commit_list(o, rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	return rc;
}

int
kc_reset(const struct kc_opts *o, rd_kafka_t *rk)
{
	rd_kafka_topic_partition_list_t *l;
	struct buf err = BUF_INIT;
	struct offspec spec;
	size_t i;
	int j, rc = 1;

	l = rd_kafka_topic_partition_list_new(16);
	for (i = 0; i < o->ntopics; i++)
		if (kc_topic_partitions(rk, o, o->topics[i], l, &err) < 0)
			goto out;
	if (strcmp(o->reset_to, "earliest") == 0 ||
	    strcmp(o->reset_to, "latest") == 0) {
		bool early = o->reset_to[0] == 'e';

		for (j = 0; j < l->cnt; j++) {
			int64_t lo, hi;
			rd_kafka_resp_err_t e =
			    rd_kafka_query_watermark_offsets(rk,
				l->elems[j].topic, l->elems[j].partition, &lo,
				&hi, o->timeout_ms);

			if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
				buf_printf(&err, "topic %s [%d]: offsets: %s",
				    l->elems[j].topic,
				    (int)l->elems[j].partition,
				    rd_kafka_err2str(e));
				goto out;
			}
			l->elems[j].offset = early ? lo : hi;
		}
	} else {
		spec.kind = OFF_TIME;
		if (offspec_time(o->reset_to, kc_now_ms(), &spec.value, &err) <
			0 ||
		    kc_resolve(rk, l, &spec, o->timeout_ms, &err) < 0)
			goto out;
		/* no message that late: the end */
		for (j = 0; j < l->cnt; j++)
			if (l->elems[j].offset == RD_KAFKA_OFFSET_END) {
				int64_t lo, hi;

				if (rd_kafka_query_watermark_offsets(rk,
					l->elems[j].topic,
					l->elems[j].partition, &lo, &hi,
					o->timeout_ms) != 0) {
					buf_printf(&err,
					    "topic %s [%d]: offsets failed",
					    l->elems[j].topic,
					    (int)l->elems[j].partition);
					goto out;
				}
				l->elems[j].offset = hi;
			}
	}
	rc = commit_list(o, rk, l);
out:
	if (err.len > 0)
		log_err("%s", buf_cstr(&err));
	rd_kafka_topic_partition_list_destroy(l);
	buf_free(&err);
	return rc;
}

int
kc_query(const struct kc_opts *o, rd_kafka_t *rk)
{
	rd_kafka_topic_partition_list_t *l;
	const rd_kafka_topic_partition_t *p;
	struct buf b = BUF_INIT;
	rd_kafka_resp_err_t e;
	size_t i;
	int rc = 0;

	/* one request each: a list that names a partition twice would
	 * get one answer for both */
	for (i = 0; i < o->nqueries && rc == 0; i++) {
		l = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(
		    l, o->queries[i].topic, o->queries[i].partition)
		    ->offset = o->queries[i].offset;
		e = rd_kafka_offsets_for_times(rk, l, o->timeout_ms);
		p = &l->elems[0];
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
			e = p->err;
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("topic %s [%d]: offsets for times: %s",
			    o->queries[i].topic, (int)o->queries[i].partition,
			    rd_kafka_err2str(e));
			rc = 1;
		} else {
			/* -1: no message at or after the time (as kcat) */
			buf_adds(&b, "{\"topic\":");
			add_str(&b, p->topic);
			buf_printf(&b,
			    ",\"partition\":%d,\"time\":%lld,\"offset\":%lld}\n",
			    (int)p->partition, (long long)o->queries[i].offset,
			    (long long)p->offset);
		}
		rd_kafka_topic_partition_list_destroy(l);
	}
	if (emit(&b) < 0)
		rc = 1;
	buf_free(&b);
	return rc;
}
