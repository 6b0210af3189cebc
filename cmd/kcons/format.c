/* SPDX-License-Identifier: MIT */
/* One Kafka message as one NDJSON line: the payload rules of DESIGN.md. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "common/payload.h"
#include "format.h"
#include "common/banned.h"

/* Decimal text of v, faster than printf on the hot path. */
static void
add_int(struct buf *b, int64_t v)
{
	char tmp[24];
	size_t n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		tmp[sizeof(tmp) - 1 - n++] = '-';
	buf_add(b, tmp + sizeof(tmp) - n, n);
}

/* Bytes as a JSON string when UTF-8, else {"base64":"..."}; NULL: null. */
static void
add_bytes(struct buf *b, const void *p, size_t n)
{
	if (p == NULL) {
		buf_adds(b, "null");
	} else if (utf8_valid(p, n)) {
		jsonx_emit_string(b, p, n);
	} else {
		buf_adds(b, "{\"base64\":\"");
		base64_append(b, p, n);
		buf_adds(b, "\"}");
	}
}

/* The members of @metadata.kafka for the kc_msg arg, without braces. */
static void
kafka_members(const void *arg, struct buf *out)
{
	const struct kc_msg *m = arg;
	size_t i;

	buf_adds(out, "\"topic\":");
	jsonx_emit_string_lossy(out, m->topic, strlen(m->topic));
	buf_adds(out, ",\"partition\":");
	add_int(out, m->partition);
	buf_adds(out, ",\"offset\":");
	add_int(out, m->offset);
	buf_adds(out, ",\"key\":");
	add_bytes(out, m->key, m->keylen);
	buf_adds(out, ",\"timestamp\":");
	if (m->timestamp >= 0)
		add_int(out, m->timestamp);
	else
		buf_adds(out, "null");
	if (m->nheaders == 0)
		return;
	buf_adds(out, ",\"headers\":[");
	for (i = 0; i < m->nheaders; i++) {
		if (i > 0)
			buf_addc(out, ',');
		buf_addc(out, '[');
		jsonx_emit_string_lossy(
		    out, m->headers[i].name, strlen(m->headers[i].name));
		buf_addc(out, ',');
		add_bytes(out, m->headers[i].value, m->headers[i].len);
		buf_addc(out, ']');
	}
	buf_addc(out, ']');
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
