/* SPDX-License-Identifier: MIT */
/*
 * Why the messages to a partition timed out.  librdkafka retries what a
 * broker refuses with a retriable error (NOT_ENOUGH_REPLICAS when fewer
 * replicas are in sync than the topic's min.insync.replicas,
 * LEADER_NOT_AVAILABLE, ...) until message.timeout.ms, and the delivery
 * report then says only _MSG_TIMED_OUT: the broker's reason is lost.
 * kprod asks the cluster instead, once per partition: its leader and
 * in-sync replicas from the metadata, the topic's min.insync.replicas from
 * DescribeConfigs, and names the broker's error from them.
 */
#ifndef IOTPIPE_KPROD_WHY_H
#define IOTPIPE_KPROD_WHY_H
#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "common/buf.h"

/*
 * From what the cluster says of a partition (leader -1: none; min_insync
 * 0: not known), the error its leader answers a write with, and its
 * explanation appended to out ("1 in-sync replica of 3,
 * min.insync.replicas 2"); NO_ERROR (out untouched) when nothing in it
 * refuses a write.  acks_all: whether the producer asks for acks=all
 * (only those writes need min.insync.replicas).
 */
rd_kafka_resp_err_t kp_why_explain(int32_t leader, int replicas, int isr,
    int min_insync, bool acks_all, struct buf *out);

struct kp_why;

/* A cache of answers for the producer rk (borrowed); acks_all as above. */
struct kp_why *kp_why_new(rd_kafka_t *rk, bool acks_all);
void kp_why_free(struct kp_why *w);

/*
 * Why the messages to partition of topic time out, asked of the cluster
 * at most once per partition in 10 s (blocking up to about 2 x timeout_ms
 * when it is asked).  Returns the broker's error with *text its
 * explanation (valid until the next call), or NO_ERROR when the cluster
 * shows nothing that refuses writes (or did not answer).  The first
 * answer with an error for a partition is logged, with what to do.
 */
rd_kafka_resp_err_t kp_why(struct kp_why *w, const char *topic,
    int32_t partition, int timeout_ms, const char **text);

#endif
