/* SPDX-License-Identifier: MIT */
/* The Kafka coordinates in "@metadata":{"kafka":{...}}: write, read back. */
#include "prelude.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkameta.h"
#include "common/timefmt.h"

/* ---------------------------------------------------------------- writing */

/* Decimal text of v, faster than printf on kcons' hot path. */
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

void
kafkameta_emit(const struct kafkameta *m, struct buf *out)
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

/* ---------------------------------------------------------------- reading */

const struct jval *
kafkameta_find(const struct jval *root)
{
	const struct jval *k = jsonx_get(jsonx_meta(root), "kafka");

	return k != NULL && k->type == J_OBJECT ? k : NULL;
}

/* A whole number 0..max (JSON number text, no fraction or exponent). */
static bool
whole(const struct jval *v, int64_t max, int64_t *out)
{
	int64_t x = 0;
	size_t i = 0;

	if (v == NULL || v->type != J_NUMBER || v->len == 0)
		return false;
	if (v->u.s[0] == '-')
		i = 1; /* only "-0" gets through: the value must be >= 0 */
	if (i == v->len)
		return false;
	for (; i < v->len; i++) {
		char c = v->u.s[i];

		if (c < '0' || c > '9' || x > (INT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (c - '0');
	}
	if (v->u.s[0] == '-' && x != 0)
		return false;
	*out = x;
	return x <= max;
}

bool
kafkameta_topic(const struct jval *k, const char **topic, size_t *len)
{
	const struct jval *v = jsonx_get(k, "topic");

	if (v == NULL || v->type != J_STRING || v->len == 0 ||
	    memchr(v->u.s, '\0', v->len) != NULL)
		return false;
	*topic = v->u.s;
	*len = v->len;
	return true;
}

int
kafkameta_partition(const struct jval *k, int32_t *out)
{
	const struct jval *v = jsonx_get(k, "partition");
	int64_t n;

	if (v == NULL || v->type == J_NULL)
		return 0;
	if (!whole(v, INT32_MAX, &n))
		return -1;
	*out = (int32_t)n;
	return 1;
}

bool
kafkameta_position(const struct jval *k, const char **topic, int32_t *partition,
    int64_t *offset)
{
	size_t len;

	return kafkameta_topic(k, topic, &len) &&
	    kafkameta_partition(k, partition) == 1 &&
	    whole(jsonx_get(k, "offset"), INT64_MAX, offset);
}

/*
 * Bytes written as {"base64":"..."}: 1 with *out (a copy in a) and
 * *outlen set, 0 when v is not that form, -1 when it is broken.
 */
static int
base64_form(
    struct arena *a, const struct jval *v, const char **out, size_t *outlen)
{
	const struct jval *b;
	struct buf tmp = BUF_INIT;

	if (v->type != J_OBJECT || v->len != 1 ||
	    (b = jsonx_get(v, "base64")) == NULL)
		return 0;
	if (b->type != J_STRING ||
	    base64_decode_append(&tmp, b->u.s, b->len) < 0) {
		buf_free(&tmp);
		return -1;
	}
	*out = arena_memdup(a, tmp.data != NULL ? tmp.data : "", tmp.len);
	*outlen = tmp.len;
	buf_free(&tmp);
	return 1;
}

int
kafkameta_key(
    struct arena *a, const struct jval *k, const char **key, size_t *len)
{
	const struct jval *v = jsonx_get(k, "key");

	if (v == NULL || v->type == J_NULL)
		return 0;
	if (v->type == J_STRING) {
		*key = v->u.s;
		*len = v->len;
		return 1;
	}
	return base64_form(a, v, key, len) == 1 ? 1 : -1;
}

int
kafkameta_timestamp(const struct jval *k, int64_t *ms)
{
	const struct jval *v = jsonx_get(k, "timestamp");

	if (v == NULL || v->type == J_NULL)
		return 0;
	if (v->type == J_NUMBER)
		return whole(v, INT64_MAX, ms) ? 1 : -1;
	if (v->type == J_STRING)
		return time_parse_string(v->u.s, v->len, ms) == TIME_OK ? 1
									: -1;
	return -1;
}

int
kafkameta_headers(const struct jval *k, const struct jval **hs, size_t *n)
{
	const struct jval *v = jsonx_get(k, "headers");

	*n = 0;
	if (v == NULL || v->type == J_NULL)
		return 0;
	if (v->type != J_ARRAY && v->type != J_OBJECT)
		return -1;
	*hs = v;
	*n = v->len;
	return 1;
}

bool
kafkameta_header(struct arena *a, const struct jval *hs, size_t i,
    const char **name, size_t *nlen, const char **value, size_t *vlen)
{
	const struct jval *v;

	if (hs->type == J_OBJECT) {
		*name = hs->u.members[i].key;
		*nlen = hs->u.members[i].klen;
		v = hs->u.members[i].val;
	} else {
		const struct jval *pair = hs->u.items[i];

		if (pair->type != J_ARRAY || pair->len != 2 ||
		    pair->u.items[0]->type != J_STRING)
			return false;
		*name = pair->u.items[0]->u.s;
		*nlen = pair->u.items[0]->len;
		v = pair->u.items[1];
	}
	if (v->type == J_NULL) {
		*value = NULL;
		*vlen = 0;
		return true;
	}
	if (v->type == J_STRING) {
		*value = v->u.s;
		*vlen = v->len;
		return true;
	}
	return base64_form(a, v, value, vlen) == 1;
}

const struct jval *
kafkameta_wrapped(const struct jval *k)
{
	return jsonx_get(k, "wrapped");
}

/* A string or number member as text; NULL if it is neither. */
static const char *
scalar_text(const struct jval *k, const char *name, size_t *n)
{
	const struct jval *v = jsonx_get(k, name);

	if (v == NULL || (v->type != J_STRING && v->type != J_NUMBER))
		return NULL;
	*n = v->len;
	return v->u.s;
}

int
kafkameta_id(const struct jval *k, struct buf *id)
{
	const char *t, *p, *o;
	size_t tn = 0, pn = 0, on = 0;

	t = scalar_text(k, "topic", &tn);
	p = scalar_text(k, "partition", &pn);
	o = scalar_text(k, "offset", &on);
	if (t == NULL || p == NULL || o == NULL)
		return -1;
	buf_add(id, t, tn);
	buf_addc(id, '+');
	buf_add(id, p, pn);
	buf_addc(id, '+');
	buf_add(id, o, on);
	return 0;
}
