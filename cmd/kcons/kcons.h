/* SPDX-License-Identifier: MIT */
/* kcons: the options main() fills in, and the modes it runs. */
#ifndef IOTPIPE_KCONS_H
#define IOTPIPE_KCONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "common/kafkaopt.h"
#include "common/opt.h"
#include "format.h"
#include "offspec.h"

/* --commit topic:partition:offset */
struct kc_commit {
	char *topic; /* owned */
	int32_t partition;
	int64_t offset;
};

struct kc_opts {
	struct common_opts c;
	struct io_opts io; /* --output, --reopen-timeout */
	bool output_fifo; /* --output is a fifo: wait for its next reader */
	struct kafka_opts k;
	struct kc_conf fmt; /* -m, --binary */
	const char *group; /* -G */
	const char **topics; /* -t and the operands; the array is owned */
	size_t ntopics;
	int32_t *partitions; /* -p; owned */
	size_t npartitions;
	struct offspec start; /* -o */
	bool has_start;
	int64_t end_ms; /* -o e@ */
	bool has_end;
	bool exit_eof; /* -e */
	unsigned long long count; /* -c; 0: no limit */
	double idle_timeout; /* --idle-timeout; 0: none */
	double flush_timeout; /* --flush-timeout */
	int timeout_ms; /* --timeout: metadata and offset requests */
	const char *acks; /* --acks fifo */
	double acks_timeout; /* for its writer's first line, seconds */
	bool list; /* --list */
	const char *reset_to; /* --reset-offsets */
	struct kc_commit *commits; /* --commit; owned */
	size_t ncommits;
	bool query; /* -Q: the -t are topic:partition:time */
	struct kc_commit *queries; /* -Q: offset is the time, epoch ms */
	size_t nqueries;
};

/* Epoch milliseconds now. */
int64_t kc_now_ms(void);

/*
 * Resolve the start offsets of list (RD_KAFKA_OFFSET_* or an offset) as
 * spec says; times through offsets_for_times (no message that late: the
 * end).  Returns 0, or -1 with a message appended to err.
 */
int kc_resolve(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list,
    const struct offspec *spec, int timeout_ms, struct buf *err);

/*
 * The partitions of topic (all, or those of o->partitions) appended to
 * list with offset RD_KAFKA_OFFSET_INVALID.  0, or -1 with a message.
 */
int kc_topic_partitions(rd_kafka_t *rk, const struct kc_opts *o,
    const char *topic, rd_kafka_topic_partition_list_t *list, struct buf *err);

/*
 * The consume mode.  kc_run_new() allocates the run; its first member is
 * the struct kafka_client that kafka_conf_build() wants as the opaque
 * (kc_run_client); kc_run_configure() sets the rebalance callback on the
 * configuration before rd_kafka_new().  kc_consume() reads until -e, -c,
 * --idle-timeout, e@, a signal or an error and returns the exit status;
 * it leaves the handle to the caller to destroy.
 */
struct kc_run;
struct kc_run *kc_run_new(const struct kc_opts *o);
struct kafka_client *kc_run_client(struct kc_run *r);
void kc_run_configure(struct kc_run *r, rd_kafka_conf_t *conf);
/*
 * With --acks, open the acks fifo (made when missing); the fatal message
 * on failure.  Called before a fifo --output is opened, which waits for
 * its reader: esbulk --input opens its input only once kcons has the acks
 * fifo open, so the other order would wait forever.
 */
void kc_run_open_acks(struct kc_run *r);
int kc_consume(struct kc_run *r, rd_kafka_t *rk);
/* True when the consumer must be destroyed without closing (2nd signal). */
bool kc_run_abort(const struct kc_run *r);
/* True when leaving the group was given up: the handle may be stuck in
 * the same wait, so it is left to the exit. */
bool kc_run_close_given_up(const struct kc_run *r);
/* True once partitions were assigned (an empty set counts). */
bool kc_run_assigned(const struct kc_run *r);
void kc_run_free(struct kc_run *r); /* NULL is a no-op */

/* --list, --commit, --reset-offsets on a consumer handle: exit status. */
int kc_list(const struct kc_opts *o, rd_kafka_t *rk);
int kc_commit(const struct kc_opts *o, rd_kafka_t *rk);
int kc_reset(const struct kc_opts *o, rd_kafka_t *rk);
/* -Q: the offset of each topic:partition:time; exit status. */
int kc_query(const struct kc_opts *o, rd_kafka_t *rk);

#endif
