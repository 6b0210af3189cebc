/* SPDX-License-Identifier: MIT */
/*
 * kcons --acks: which records downstream has acknowledged, per partition,
 * and the offset it is safe to commit: the end of the contiguous
 * acknowledged prefix of what was written.  Acknowledgements may come in
 * any order (esbulk's requests finish out of order); they are matched by
 * their coordinates.
 */
#ifndef IOTPIPE_KCONS_ACKS_H
#define IOTPIPE_KCONS_ACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acks;

/* Caller frees with acks_free(). */
struct acks *acks_new(void);
void acks_free(struct acks *k); /* NULL is a no-op */

/*
 * A record of topic/partition at offset was handed on (acked false: its
 * acknowledgement will come) or dealt with here (acked true: rejected).
 * Offsets grow within a partition; one at or below an offset added
 * before (the partition was sought back, a range replayed) keeps what is
 * pending there: it takes its place in order, one already there is the
 * same record, and one below the acknowledged prefix is done already and
 * ignored.  So the prefix never passes a record written and not
 * acknowledged.  topic is copied.
 */
void acks_add(struct acks *k, const char *topic, int32_t partition,
    int64_t offset, bool acked);

enum acks_result {
	ACKS_OK, /* a pending record is now acknowledged */
	ACKS_UNKNOWN, /* not pending: never written, acknowledged twice,
		       * or its partition was dropped */
};

enum acks_result acks_ack(
    struct acks *k, const char *topic, int32_t partition, int64_t offset);

/*
 * Call fn(arg, topic, partition, next) for each partition whose
 * acknowledged prefix grew since the last call; next is the offset to
 * commit (the one after the prefix).  topic is borrowed for the call.
 */
void acks_collect(struct acks *k,
    void (*fn)(void *arg, const char *topic, int32_t partition, int64_t next),
    void *arg);

/* Forget a partition (revoked): its later acknowledgements are unknown. */
void acks_drop(struct acks *k, const char *topic, int32_t partition);

/* Records written and not acknowledged yet, all partitions. */
size_t acks_pending(const struct acks *k);

#endif
