/* SPDX-License-Identifier: MIT */
/* One Kafka message as one NDJSON line: the payload rules of DESIGN.md. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "format.h"
#include "common/banned.h"

#define BOM "\xEF\xBB\xBF"

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

/* The members of @metadata.kafka, without braces. */
static void
kafka_members(const struct kc_msg *m, struct buf *out)
{
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
	buf_adds(out, "{\"kafka\":{");
	kafka_members(m, out);
	buf_adds(out, "}}");
}

/* "@metadata":{...} merged with the payload's own, which may be NULL. */
static void
emit_meta(const struct kc_msg *m, const struct jval *own, struct buf *out)
{
	jsonx_emit_meta_open(out, own, "kafka");
	kafka_members(m, out);
	buf_adds(out, "}}");
}

const char *
kc_format(const struct kc_conf *c, struct arena *a, const struct kc_msg *m,
    struct buf *out)
{
	const char *p = m->payload != NULL ? m->payload : "";
	size_t n = m->len;
	struct jsonx_scan scan;
	struct jval *root = NULL;
	enum jsonx_status st;
	bool first = true;

	if (m->payload == NULL) {
		buf_addc(out, '{');
		if (c->metadata) {
			emit_meta(m, NULL, out);
			buf_addc(out, ',');
		}
		buf_adds(out, "\"value\":null}");
		return NULL;
	}
	/* the common case, a compact object, without building a tree */
	memset(scan.keys, 0, sizeof(scan.keys));
	st = jsonx_scan(p, n, &scan);
	if (st == JSONX_OK && scan.type == J_OBJECT && scan.compact &&
	    !scan.key_escapes && !scan.has_meta) {
		if (!c->metadata) {
			buf_add(out, p, n);
			return NULL;
		}
		/* splice: {"@metadata":{...}, + the members */
		buf_addc(out, '{');
		emit_meta(m, NULL, out);
		if (scan.members > 0)
			buf_addc(out, ',');
		buf_add(out, p + 1, n - 1);
		return NULL;
	}
	if (st != JSONX_OK && !utf8_valid(p, n)) {
		if (c->binary != KC_BINARY_BASE64)
			return "binary payload (not UTF-8)";
		buf_addc(out, '{');
		if (c->metadata) {
			emit_meta(m, NULL, out);
			buf_addc(out, ',');
		}
		buf_adds(out, "\"value\":\"");
		base64_append(out, p, n);
		buf_adds(out, "\",\"encoding\":\"base64\"}");
		return NULL;
	}
	if (n >= 3 && memcmp(p, BOM, 3) == 0) {
		p += 3;
		n -= 3;
	}
	st = jsonx_parse(a, p, n, &root, NULL);
	if (st == JSONX_EDEPTH)
		return "JSON nested too deeply";
	if (st == JSONX_OK && root->type == J_OBJECT) {
		bool tight = jsonx_no_space(p, n);

		if (tight && (!c->metadata || jsonx_meta(root) == NULL)) {
			if (!c->metadata) {
				buf_add(out, p, n);
				return NULL;
			}
			/* splice: {"@metadata":{...}, + the members */
			buf_addc(out, '{');
			emit_meta(m, NULL, out);
			if (root->len > 0)
				buf_addc(out, ',');
			buf_add(out, p + 1, n - 1);
			return NULL;
		}
		buf_addc(out, '{');
		if (c->metadata) {
			emit_meta(m, jsonx_meta(root), out);
			first = false;
		}
		first = jsonx_emit_members(out, root, c->metadata, first);
		buf_addc(out, '}');
		return NULL;
	}
	/* the wrapper is one level more */
	if (st == JSONX_OK && jsonx_depth(root) >= JSONX_MAX_DEPTH)
		return "JSON nested too deeply";
	buf_addc(out, '{');
	if (c->metadata) {
		emit_meta(m, NULL, out);
		buf_addc(out, ',');
	}
	buf_adds(out, "\"value\":");
	if (st == JSONX_OK) {
		if (jsonx_no_space(p, n))
			buf_add(out, p, n);
		else
			jsonx_emit(out, root);
	} else {
		jsonx_emit_string(out, m->payload, m->len);
	}
	buf_addc(out, '}');
	return NULL;
}
