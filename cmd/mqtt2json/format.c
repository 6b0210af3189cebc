/* SPDX-License-Identifier: MIT */
/* One MQTT message as one NDJSON line: the payload rules of DESIGN.md. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "format.h"
#include "topicfields.h"
#include "common/banned.h"

#define MAX_CAPS 32

/* The members of @metadata.mqtt, without braces. */
static void
mqtt_members(const struct m2j_msg *m, struct buf *out)
{
	size_t i;

	buf_adds(out, "\"topic\":");
	jsonx_emit_string_lossy(out, m->topic, strlen(m->topic));
	buf_printf(out, ",\"qos\":%d,\"retain\":%s", m->qos,
	    m->retain ? "true" : "false");
	if (m->nprops == 0)
		return;
	buf_adds(out, ",\"user_properties\":[");
	for (i = 0; i < m->nprops; i++) {
		if (i > 0)
			buf_addc(out, ',');
		buf_addc(out, '[');
		jsonx_emit_string_lossy(
		    out, m->props[i].name, strlen(m->props[i].name));
		buf_addc(out, ',');
		jsonx_emit_string_lossy(
		    out, m->props[i].value, strlen(m->props[i].value));
		buf_addc(out, ']');
	}
	buf_addc(out, ']');
}

void
m2j_meta(const struct m2j_msg *m, struct buf *out)
{
	buf_adds(out, "{\"mqtt\":{");
	mqtt_members(m, out);
	buf_adds(out, "}}");
}

/* "@metadata":{...} merged with the payload's own, which may be NULL. */
static void
emit_meta(const struct m2j_msg *m, const struct jval *own, struct buf *out)
{
	jsonx_emit_meta_open(out, own, "mqtt");
	mqtt_members(m, out);
	buf_adds(out, "}}");
}

/* The captured topic levels the object obj (may be NULL) lacks; first
 * says whether a member was written before. */
static void
emit_fields(const struct jval *obj, const struct topic_capture *caps,
    size_t ncaps, bool first, struct buf *out)
{
	size_t i;

	for (i = 0; i < ncaps; i++) {
		if (obj != NULL &&
		    jsonx_getn(obj, caps[i].name, caps[i].nlen) != NULL)
			continue;
		if (!first)
			buf_addc(out, ',');
		first = false;
		jsonx_emit_string_lossy(out, caps[i].name, caps[i].nlen);
		buf_addc(out, ':');
		jsonx_emit_string_lossy(out, caps[i].value, caps[i].vlen);
	}
}

const char *
m2j_format(const struct m2j_conf *c, struct arena *a, const struct m2j_msg *m,
    struct buf *out)
{
	struct topic_capture caps[MAX_CAPS];
	const char *p = m->payload != NULL ? m->payload : "";
	const char *jp = p;
	size_t n = m->len, jn = n, ncaps = 0;
	struct jval *root = NULL;
	struct jsonx_error err;
	enum jsonx_status st;
	bool first = true;

	if (c->tf != NULL && topic_fields_count(c->tf) <= MAX_CAPS &&
	    topic_fields_match(c->tf, m->topic, strlen(m->topic), caps))
		ncaps = topic_fields_count(c->tf);

	if (!utf8_valid(p, n)) {
		if (c->binary != M2J_BINARY_BASE64)
			return "binary payload (not UTF-8)";
		buf_addc(out, '{');
		if (c->metadata) {
			emit_meta(m, NULL, out);
			buf_addc(out, ',');
		}
		buf_adds(out, "\"value\":\"");
		base64_append(out, p, n);
		buf_adds(out, "\",\"encoding\":\"base64\"");
		emit_fields(NULL, caps, ncaps, false, out);
		buf_addc(out, '}');
		return NULL;
	}
	/* a byte order mark is not part of the JSON text */
	if (jn >= 3 && memcmp(jp, "\xEF\xBB\xBF", 3) == 0) {
		jp += 3;
		jn -= 3;
	}
	st = jsonx_parse(a, jp, jn, &root, &err);
	if (st == JSONX_EDEPTH)
		return "JSON nested too deeply";
	if (st == JSONX_OK && root->type == J_OBJECT) {
		if (!c->metadata && ncaps == 0 && jsonx_no_space(jp, jn)) {
			buf_add(out, jp, jn);
			return NULL;
		}
		buf_addc(out, '{');
		if (c->metadata) {
			emit_meta(m, jsonx_meta(root), out);
			first = false;
		}
		first = jsonx_emit_members(out, root, c->metadata, first);
		emit_fields(root, caps, ncaps, first, out);
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
		if (jsonx_no_space(jp, jn))
			buf_add(out, jp, jn);
		else
			jsonx_emit(out, root);
	} else
		jsonx_emit_string(out, p, n);
	emit_fields(NULL, caps, ncaps, false, out);
	buf_addc(out, '}');
	return NULL;
}
