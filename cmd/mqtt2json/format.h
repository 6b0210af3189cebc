/* SPDX-License-Identifier: MIT */
/* One MQTT message as one NDJSON line: the payload rules of iotpipe(7). */
#ifndef IOTPIPE_MQTT2JSON_FORMAT_H
#define IOTPIPE_MQTT2JSON_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/payload.h"
#include "topicfields.h"

struct m2j_conf {
	bool metadata; /* -m: add @metadata.mqtt */
	enum payload_binary binary;
	const struct topic_fields *tf; /* --topic-fields, or NULL */
	const char *human; /* -F FORMAT: mosquitto_sub's format */
	bool received; /* --received: the receive time in @metadata.mqtt */
};

struct m2j_userprop {
	const char *name, *value; /* NUL-terminated UTF-8 */
};

/* A received message; everything borrowed. */
struct m2j_msg {
	const char *topic;
	const void *payload;
	size_t len;
	int qos;
	bool retain;
	int64_t received_ms; /* --received: epoch ms; 0: not asked */
	const struct m2j_userprop *props; /* MQTT 5 user properties */
	size_t nprops;
};

/*
 * Append the output line for m (without '\n') to out:
 *   - a JSON object passes as it is when it is already compact and
 *     nothing is added, else re-emitted compact (numbers verbatim);
 *   - other JSON becomes {"value":<json>};
 *   - UTF-8 text that is not JSON (an empty payload too) becomes
 *     {"value":"<text>"};
 *   - other bytes are a reject, or {"value":"<base64>","encoding":"base64"}.
 * With conf->metadata "@metadata":{"mqtt":{...}} comes first (merged into
 * an "@metadata" object the payload already has); --topic-fields add
 * their fields at the end unless the object already has that key.
 * Returns NULL, or the reject reason (static text) with out unchanged.
 * Values parsed live in arena a: the caller resets it between messages.
 */
const char *m2j_format(const struct m2j_conf *conf, struct arena *a,
    const struct m2j_msg *m, struct buf *out);

/*
 * Check a -F FORMAT, mosquitto_sub's sequences: %t topic, %p payload,
 * %q QoS, %r retain (0 or 1), %l payload length, %x/%X payload in hex,
 * %j a JSON object {"tst","topic","qos","retain","payload"} with the
 * payload as a string, %I the receive time in ISO 8601, %U as Unix
 * seconds with nanoseconds, %% a '%'; \\ \n \t \r \0 \a \e escapes.
 * Returns NULL, or what is wrong (static text).
 */
const char *m2j_human_check(const char *fmt);

/* Whether fmt needs the receive time (%I, %U, %j). */
bool m2j_human_time(const char *fmt);

/*
 * Append m through the checked format fmt to out, received at *when
 * (CLOCK_REALTIME; read only when m2j_human_time()), bytes as they are;
 * the caller adds the newline.
 */
void m2j_human(const char *fmt, const struct m2j_msg *m,
    const struct timespec *when, struct buf *out);

/* {"mqtt":{"topic":..,"qos":..,"retain":..[,"user_properties":[[k,v],..]]}}
 * appended to out: the "@metadata" of a reject. */
void m2j_meta(const struct m2j_msg *m, struct buf *out);

#endif
