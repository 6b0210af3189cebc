/* SPDX-License-Identifier: MIT */
/*
 * kcons' consume mode, inside: the state of a run that consume.c (the
 * messages and the loop), partitions.c (assignment, rebalances, pauses)
 * and output.c (stdout, stored offsets, --acks) share.  A function
 * declared here is named after the file that owns it: parts_* in
 * partitions.c, output_* in output.c; what main.c calls is kc_* in
 * kcons.h.
 */
#ifndef IOTPIPE_KCONS_RUN_H
#define IOTPIPE_KCONS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "acks.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkaopt.h"
#include "common/ndjson.h"
#include "common/reject.h"
#include "common/stats.h"
#include "kcons.h"

#define IDLE_POLL_MS 100

/* An assigned partition. */
struct ppart {
	char *topic;
	int32_t partition;
	int64_t store; /* offset to store once the output is written; -1 */
	int64_t first, next; /* the first offset read, the next; -1 none */
	bool eof; /* -e: at the end */
	bool done; /* e@: at the end time */
};

struct kc_run {
	struct kafka_client kc; /* first: librdkafka's callbacks find it */
	const struct kc_opts *o;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	struct arena *arena;
	bool human_headers; /* -f uses %h: read the headers */
	struct reject_stream *rej;
	bool rejects_stdout;
	struct stats *st;
	uint64_t *in, *out, *rejected, *acked, *ack_unknown;
	uint64_t *lag; /* --stats, --progress: behind the high watermarks */

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
	bool partner; /* the writer of the acks fifo came */
	double waited_from; /* lines pending for it since, or 0 */

	bool unstored; /* offsets to store once the output is written */
	bool stop; /* no more messages are handled */
	bool failed;
	bool abort; /* a second signal */
	bool close_given_up; /* leaving the group outlasted --flush-timeout */
	double last_msg;
	double kicked_at;
	bool stalled; /* the queue was full: the fetcher stopped */
	size_t qmin_msgs, qmax_bytes; /* librdkafka's queue limits */
	size_t avg_line; /* bytes a line, a moving average */
	struct kafkameta_header *hv;
	size_t hcap;
	struct buf meta, where;
	rd_kafka_topic_partition_list_t *store_list;
};

/* partitions.c */
struct ppart *parts_find(
    struct kc_run *r, const char *topic, int32_t partition);
void parts_add(struct kc_run *r, const char *topic, int32_t partition);
void parts_remove(struct kc_run *r, const char *topic, int32_t partition);
/* Pause every assigned partition (on) or resume those not at their end. */
void parts_set_paused(struct kc_run *r, bool on);
void parts_pause_one(struct kc_run *r, const char *topic, int32_t partition);
void parts_log(const char *what, const rd_kafka_topic_partition_list_t *parts);
void parts_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque);
/* librdkafka's queue limits, read once at start-up for
 * parts_kick_fetcher(). */
void parts_fetcher_limits(struct kc_run *r);
/* Wake librdkafka's fetcher when the queue ran low after a stall. */
void parts_kick_fetcher(struct kc_run *r);

/* output.c */
/* Write what is buffered: 1 all written, 0 would block, -1 gone/error. */
int output_drain(struct kc_run *r);
/* Wait up to ms for a signal, room on stdout (want_out) or acks. */
void output_wait(struct kc_run *r, bool want_out, int ms);
/* The reader of a pipe or socket on stdout is gone (sets ogone). */
bool output_reader_gone(struct kc_run *r);
/* Store the offsets of what is written, for the next commit. */
void output_store_written(struct kc_run *r);
/* Read the acknowledgements there are and store what they make safe. */
void output_read_acks(struct kc_run *r);
/* Open the --acks fifo: 0, or -1 with a message in err. */
int output_open_acks(struct kc_run *r, struct buf *err);
/* Whether the writer of the acks fifo came; past --acks-timeout with
 * lines waiting for it, a message and r->failed. */
bool output_acks_partner(struct kc_run *r);

#endif
