/* SPDX-License-Identifier: MIT */
/* One Kafka message as one NDJSON line: the payload rules of iotpipe(7). */
#ifndef IOTPIPE_KCONS_FORMAT_H
#define IOTPIPE_KCONS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkameta.h"
#include "common/payload.h"

struct kc_conf {
	bool metadata; /* -m: add @metadata.kafka */
	enum payload_binary binary;
	const char *human; /* -f FORMAT: kcat's format, not NDJSON */
};

/* A consumed message: its coordinates (the members of kafkameta) and
 * its payload; everything borrowed. */
struct kc_msg {
	const char *topic;
	int32_t partition;
	int64_t offset;
	const void *key; /* NULL: no key */
	size_t keylen;
	const void *payload; /* NULL: no value (a tombstone) */
	size_t len;
	int64_t timestamp; /* epoch ms, -1: none */
	const struct kafkameta_header *headers;
	size_t nheaders;
};

/*
 * Append the output line for m (without '\n') to out:
 *   - a JSON object passes as it is when it is compact and nothing is
 *     added, else it is re-emitted compact (numbers verbatim);
 *   - other JSON becomes {"value":<json>}, a tombstone {"value":null};
 *   - UTF-8 text that is not JSON (an empty payload too) becomes
 *     {"value":"<text>"};
 *   - other bytes are a reject, or {"value":"<base64>","encoding":
 *     "base64"}.
 * With conf->metadata "@metadata":{"kafka":{...}} (see kc_meta) comes
 * first, merged into an "@metadata" object the payload already has.
 * Returns NULL, or the reject reason (static text) with out unchanged.
 * Values parsed live in arena a: the caller resets it between messages.
 */
const char *kc_format(const struct kc_conf *c, struct arena *a,
    const struct kc_msg *m, struct buf *out);

/*
 * Check a -f FORMAT (kcat's letters: %t topic, %p partition, %o offset,
 * %k key, %K key length, %s payload, %S payload length, %T timestamp in
 * ms, %h headers as name=value,..., %% a '%'; \n, \t, \r and \\
 * escapes).  Returns NULL, or what is wrong (static text).
 */
const char *kc_human_check(const char *fmt);

/*
 * Append m through the checked format fmt to out, bytes as they are
 * (-f's human view: no JSON, no rejects).  A missing key or payload is
 * empty, its length -1; no timestamp is -1.
 */
void kc_human(const char *fmt, const struct kc_msg *m, struct buf *out);

/* Whether fmt uses the headers (%h): they are read only then. */
bool kc_human_headers(const char *fmt);

/*
 * {"kafka":{"topic":..,"partition":..,"offset":..,"key":..,"timestamp":..
 * [,"headers":[[name,value],...]]}} appended to out (kafkameta_emit()):
 * the "@metadata" of a reject.
 */
void kc_meta(const struct kc_msg *m, struct buf *out);

#endif
