/* SPDX-License-Identifier: MIT */
/* One NDJSON line as one Kafka message: routing from flags and @metadata. */
#ifndef IOTPIPE_KPROD_RECORD_H
#define IOTPIPE_KPROD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"

/* A message header; value NULL is a header without a value. */
struct kp_header {
	const char *name;
	size_t nlen;
	const char *value;
	size_t vlen;
};

/* Where messages go and what they carry, from the command line.
 * Everything borrowed. */
struct kp_conf {
	const char *topic; /* -t, or NULL: @metadata.kafka.topic */
	int32_t partition; /* -p, or -1: the partitioner */
	const char *key; /* -k, or NULL */
	size_t keylen;
	const char *key_field; /* --key-field PATH, or NULL */
	const char *ts_field; /* --timestamp-field PATH, or NULL */
	const struct kp_header *headers; /* -H, in order */
	size_t nheaders;
	bool raw; /* --raw: the line is the value, JSON or not */
};

/* One message ready for rd_kafka_producev(); pointers borrow from the
 * line or live in the arena. */
struct kp_msg {
	const char *topic; /* NUL-terminated */
	int32_t partition; /* -1: the partitioner */
	const char *key; /* NULL: no key */
	size_t keylen;
	const char *value;
	size_t vlen;
	bool value_is_line; /* value points into the input line */
	bool borrowed; /* value and key point into the line or the options
			* only (nothing into the arena) */
	int64_t timestamp; /* epoch ms; 0: none (the producer's clock) */
	const struct kp_header *headers;
	size_t nheaders;
};

/*
 * Map one input line (without '\n') to a message:
 *   value      the line as it is; an object with "@metadata" is
 *              re-emitted compact without it (numbers verbatim);
 *   topic      -t, else @metadata.kafka.topic;
 *   partition  -p, else @metadata.kafka.partition when the topic came
 *              from @metadata.kafka too, else the partitioner;
 *   key        --key-field (a string's bytes, a number's text, other JSON
 *              compact; null or absent: next source), else
 *              @metadata.kafka.key (a string, {"base64":...}, or null),
 *              else -k;
 *   timestamp  --timestamp-field (epoch in s, ms, us or ns by magnitude,
 *              or an RFC 3339 string), else @metadata.kafka.timestamp
 *              (epoch ms or RFC 3339), else none;
 *   headers    @metadata.kafka.headers ([[name, value], ...] or
 *              {name: value, ...}; a value is a string, null or
 *              {"base64":...}), then -H.
 * With --raw (c->raw) the line is the value byte for byte, JSON or not,
 * and topic, partition, key and headers come from the flags only.
 * The @metadata.kafka members are read by common/kafkameta.h.  A leading
 * UTF-8 byte order mark is dropped.  Returns NULL, or the
 * reason for a reject with its text in why (borrowed from why), or
 * kp_no_topic itself for a record with no topic while no -t gives one
 * (a configuration mistake, not the record's).  Values live in arena a
 * until the caller resets it.
 */
extern const char kp_no_topic[];
const char *kp_prepare(const struct kp_conf *c, struct arena *a,
    const char *line, size_t len, struct kp_msg *m, struct buf *why);

/*
 * The text of the "@metadata" value of line (compact), appended to out;
 * nothing when the line is not a JSON object or has none.  For rejects.
 */
void kp_line_meta(
    struct arena *a, const char *line, size_t len, struct buf *out);

#endif
