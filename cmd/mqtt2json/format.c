/* SPDX-License-Identifier: MIT */
/* One MQTT message as one NDJSON line: the payload rules of iotpipe(7). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/payload.h"
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

struct ctx {
	const struct m2j_msg *m;
	const struct topic_capture *caps;
	size_t ncaps;
};

static void
members(const void *arg, struct buf *out)
{
	mqtt_members(((const struct ctx *)arg)->m, out);
}

/* The captured topic levels the object obj (may be NULL) lacks. */
static void
fields(const void *arg, const struct jval *obj, bool first, struct buf *out)
{
	const struct ctx *x = arg;
	size_t i;

	for (i = 0; i < x->ncaps; i++) {
		if (obj != NULL &&
		    jsonx_getn(obj, x->caps[i].name, x->caps[i].nlen) != NULL)
			continue;
		if (!first)
			buf_addc(out, ',');
		first = false;
		jsonx_emit_string_lossy(out, x->caps[i].name, x->caps[i].nlen);
		buf_addc(out, ':');
		jsonx_emit_string_lossy(out, x->caps[i].value, x->caps[i].vlen);
	}
}

void
m2j_meta(const struct m2j_msg *m, struct buf *out)
{
	struct ctx x = {m, NULL, 0};
	struct payload_rules r = {
	    PAYLOAD_BINARY_REJECT, "mqtt", members, NULL, &x, false};

	payload_meta(&r, out);
}

const char *
m2j_format(const struct m2j_conf *c, struct arena *a, const struct m2j_msg *m,
    struct buf *out)
{
	struct topic_capture caps[MAX_CAPS];
	struct ctx x = {m, caps, 0};
	struct payload_rules r = {
	    c->binary, c->metadata ? "mqtt" : NULL, members, NULL, &x, true};

	if (c->tf != NULL && topic_fields_count(c->tf) <= MAX_CAPS &&
	    topic_fields_match(c->tf, m->topic, strlen(m->topic), caps))
		x.ncaps = topic_fields_count(c->tf);
	if (x.ncaps > 0)
		r.fields = fields;
	/* MQTT has no null payload: no bytes are an empty one */
	return payload_record(
	    &r, a, m->payload != NULL ? m->payload : "", m->len, out);
}
