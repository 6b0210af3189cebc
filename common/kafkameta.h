/* SPDX-License-Identifier: MIT */
/*
 * The Kafka coordinates a record carries in "@metadata":{"kafka":{...}}
 * (iotpipe(7)): written by kcons -m, read back by kprod (routing), esbulk
 * (--kafka-id, --acks) and kcons --acks.  The one place that knows the
 * members, their types and their ranges.  No librdkafka: esbulk links it.
 *
 *   "topic"      a non-empty string without NUL
 *   "partition"  a whole number, 0 to 2147483647
 *   "offset"     a whole number, 0 or more
 *   "key"        a string when the key is UTF-8, {"base64":"..."} when it
 *                is not, null when there is none
 *   "timestamp"  epoch milliseconds, or null (kprod also reads an RFC 3339
 *                string)
 *   "headers"    [[name, value], ...] in order, only when there are any
 *                (kprod also reads {name: value, ...}); a value is written
 *                as a key is
 *   "wrapped"    written by payload_record() (common/payload.h), read back
 *                by payload_unwrap()
 * A whole number is JSON number text without fraction or exponent ("-0"
 * reads as 0).
 */
#ifndef IOTPIPE_KAFKAMETA_H
#define IOTPIPE_KAFKAMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/jsonx.h"

/* ---- writing */

/* A header; value NULL is a header without a value. */
struct kafkameta_header {
	const char *name; /* NUL-terminated */
	const void *value;
	size_t len;
};

/* The coordinates of one message; everything borrowed. */
struct kafkameta {
	const char *topic; /* NUL-terminated */
	int32_t partition;
	int64_t offset;
	const void *key; /* NULL: no key */
	size_t keylen;
	int64_t timestamp; /* epoch ms, -1: none */
	const struct kafkameta_header *headers;
	size_t nheaders;
};

/*
 * "topic":..,"partition":..,"offset":..,"key":..,"timestamp":..
 * [,"headers":[...]] appended to out: the members of the "kafka" object,
 * without braces.  Allocates nothing beyond out's growth.
 */
void kafkameta_emit(const struct kafkameta *m, struct buf *out);

/* ---- reading, from a parsed record */

/* The record's @metadata.kafka, or NULL when it has none or it is not an
 * object.  Every reader below takes it (NULL reads as absent members). */
const struct jval *kafkameta_find(const struct jval *root);

/* "topic": true with *topic (NUL-terminated) and *len set when it is a
 * non-empty string without NUL, false otherwise (absent too). */
bool kafkameta_topic(const struct jval *k, const char **topic, size_t *len);

/* "partition": 1 with *out set, 0 absent or null, -1 bad. */
int kafkameta_partition(const struct jval *k, int32_t *out);

/*
 * Where the record came from, all three required (kcons --acks): true
 * with *topic (NUL-terminated), *partition and *offset set, false when a
 * member is missing, null or bad.
 */
bool kafkameta_position(const struct jval *k, const char **topic,
    int32_t *partition, int64_t *offset);

/*
 * "key": 1 with *key and *len set (a string's bytes, or the decoded bytes
 * of {"base64":"..."}, copied into a), 0 absent or null, -1 bad.
 */
int kafkameta_key(
    struct arena *a, const struct jval *k, const char **key, size_t *len);

/* "timestamp": 1 with *ms set (epoch ms 0 or more, or an RFC 3339
 * string), 0 absent or null, -1 bad. */
int kafkameta_timestamp(const struct jval *k, int64_t *ms);

/* "headers": 1 with *hs (an array of pairs or an object) and *n, the
 * count, set; 0 absent or null (*n 0); -1 anything else. */
int kafkameta_headers(const struct jval *k, const struct jval **hs, size_t *n);

/*
 * Header i of hs (from kafkameta_headers(), i < n): true with its name
 * and value set (value NULL: none; decoded base64 copied into a), false
 * when the pair, the name or the value is bad.
 */
bool kafkameta_header(struct arena *a, const struct jval *hs, size_t i,
    const char **name, size_t *nlen, const char **value, size_t *vlen);

/* "wrapped", as it is (see payload_unwrap()), or NULL. */
const struct jval *kafkameta_wrapped(const struct jval *k);

/*
 * esbulk --kafka-id: "<topic>+<partition>+<offset>" appended to id, each
 * as written in the record (a string or a number is taken as it is).
 * Returns 0, or -1 with id unchanged when one is missing or of another
 * type.
 */
int kafkameta_id(const struct jval *k, struct buf *id);

#endif
