/* SPDX-License-Identifier: MIT */
/* --topic-fields: copy levels of an MQTT topic into record fields. */
#ifndef IOTPIPE_MQTT2JSON_TOPICFIELDS_H
#define IOTPIPE_MQTT2JSON_TOPICFIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

/*
 * A pattern is a topic with some levels replaced: "+name" takes that level
 * as field "name", "+" matches any level, "#name" (last) takes the rest of
 * the topic, "#" matches the rest; any other level must match exactly.
 * "connectedcar/+kind/+vin" on "connectedcar/telemetry/ABC" gives
 * kind=telemetry, vin=ABC.
 */
struct topic_fields;

struct topic_capture {
	const char *name; /* borrowed from the pattern */
	size_t nlen;
	const char *value; /* borrowed from the topic */
	size_t vlen;
};

/*
 * Compile pattern (copied).  NULL with the reason appended to err (an
 * empty name, a name used twice, '#' not last, no capture at all).
 * Caller frees with topic_fields_free().
 */
struct topic_fields *topic_fields_new(const char *pattern, struct buf *err);
void topic_fields_free(struct topic_fields *tf); /* NULL is a no-op */

/* How many captures a match yields: the size caps must have. */
size_t topic_fields_count(const struct topic_fields *tf);

/*
 * Match topic[0..tlen).  On a match fill caps[0..count) in pattern order
 * and return true; otherwise false and caps is undefined.
 */
bool topic_fields_match(const struct topic_fields *tf, const char *topic,
    size_t tlen, struct topic_capture *caps);

#endif
