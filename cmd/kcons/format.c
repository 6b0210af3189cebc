/* SPDX-License-Identifier: MIT */
/* One Kafka message as one NDJSON line: the payload rules of iotpipe(7). */
#include <stdbool.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkameta.h"
#include "common/payload.h"
#include "format.h"
#include "common/banned.h"

/* The members of @metadata.kafka for the kc_msg arg, without braces. */
static void
kafka_members(const void *arg, struct buf *out)
{
	const struct kc_msg *m = arg;
	const struct kafkameta k = {.topic = m->topic,
	    .partition = m->partition,
	    .offset = m->offset,
	    .key = m->key,
	    .keylen = m->keylen,
	    .timestamp = m->timestamp,
	    .headers = m->headers,
	    .nheaders = m->nheaders};

	kafkameta_emit(&k, out);
}

void
kc_meta(const struct kc_msg *m, struct buf *out)
{
	struct payload_rules r = {
	    PAYLOAD_BINARY_REJECT, "kafka", kafka_members, NULL, m, false};

	payload_meta(&r, out);
}

const char *
kc_format(const struct kc_conf *c, struct arena *a, const struct kc_msg *m,
    struct buf *out)
{
	struct payload_rules r = {c->binary, c->metadata ? "kafka" : NULL,
	    kafka_members, NULL, m, true};

	return payload_record(&r, a, m->payload, m->len, out);
}
