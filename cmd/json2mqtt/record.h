/* SPDX-License-Identifier: MIT */
/* One NDJSON line as one MQTT publish: its topic and its payload. */
#ifndef IOTPIPE_JSON2MQTT_RECORD_H
#define IOTPIPE_JSON2MQTT_RECORD_H

#include <stddef.h>

#include "common/buf.h"
#include "common/jsonx.h"

/*
 * --topic-template: text with {path} placeholders, each a field of the
 * record ("vin") or a dotted path ("@metadata.mqtt.topic", "car.vin");
 * "{{" and "}}" stand for literal braces.
 */
struct topic_tmpl;

/* Compile s (copied); NULL with the reason appended to err.  Caller frees
 * with topic_tmpl_free(). */
struct topic_tmpl *topic_tmpl_new(const char *s, struct buf *err);
void topic_tmpl_free(struct topic_tmpl *t); /* NULL is a no-op */

/*
 * Append the topic for record root to out.  A placeholder takes a string
 * as it is and a number as its text; a missing field, another type, an
 * empty string, or one holding '+', '#' or NUL is refused.  0, or -1 with
 * the reason appended to why.
 */
int topic_tmpl_expand(const struct topic_tmpl *t, const struct jval *root,
    struct buf *out, struct buf *why);

struct j2m_conf {
	const char *topic; /* -t, or NULL */
	const struct topic_tmpl *tmpl; /* --topic-template, or NULL */
	bool raw; /* --raw, -m: the line is the payload, JSON or not */
};

/* What to publish for one line; pointers borrowed from the line, the
 * conf, or the caller's buffers, valid until the next j2m_prepare(). */
struct j2m_pub {
	const char *topic; /* NUL-terminated */
	const char *payload;
	size_t len;
};

/*
 * Check line[0..len) (one JSON value, a UTF-8 byte order mark allowed)
 * and work out its publish: the topic from -t, else the template, else
 * the record's @metadata.mqtt.topic; the payload is the line as it came,
 * or, when the record has "@metadata", the record re-emitted compact
 * without it; with c->raw, the line as it is to c->topic.  tbuf and pbuf
 * are the caller's scratch space.  0, or -1 with the reject reason
 * appended to why; -2 (reason in why too) for a record with no topic
 * while neither -t nor a template gives one: a configuration mistake, not
 * the record's.
 */
int j2m_prepare(const struct j2m_conf *c, struct arena *a, const char *line,
    size_t len, struct buf *tbuf, struct buf *pbuf, struct j2m_pub *pub,
    struct buf *why);

#endif
