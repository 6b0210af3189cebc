/* SPDX-License-Identifier: MIT */
/* One Kafka message as one NDJSON line: the payload rules of iotpipe(7). */
#include "common/prelude.h"

#include <stdbool.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkameta.h"
#include "common/payload.h"
#include "format.h"

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

/* ------------------------------------------------------------ -f */

const char *
kc_human_check(const char *fmt)
{
	const char *p;

	for (p = fmt; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0' || strchr("ntr\\", p[1]) == NULL)
				return "unknown escape (\\n, \\t, \\r, \\\\)";
			p++;
		} else if (*p == '%') {
			if (p[1] == '\0' || strchr("tpokKsSTh%", p[1]) == NULL)
				return "unknown %-letter (%t %p %o %k %K %s %S "
				       "%T %h %%)";
			p++;
		}
	}
	return NULL;
}

bool
kc_human_headers(const char *fmt)
{
	const char *p;

	for (p = fmt; *p != '\0'; p++)
		if (*p == '%' || *p == '\\') {
			if (p[0] == '%' && p[1] == 'h')
				return true;
			if (p[1] != '\0')
				p++;
		}
	return false;
}

void
kc_human(const char *fmt, const struct kc_msg *m, struct buf *out)
{
	const char *p;
	size_t i;

	for (p = fmt; *p != '\0'; p++) {
		if (*p == '\\') {
			p++;
			buf_addc(out,
			    *p == 'n'       ? '\n'
				: *p == 't' ? '\t'
				: *p == 'r' ? '\r'
					    : '\\');
			continue;
		}
		if (*p != '%') {
			buf_addc(out, *p);
			continue;
		}
		switch (*++p) {
		case 't':
			buf_adds(out, m->topic);
			break;
		case 'p':
			buf_printf(out, "%d", (int)m->partition);
			break;
		case 'o':
			buf_printf(out, "%lld", (long long)m->offset);
			break;
		case 'k':
			if (m->key != NULL)
				buf_add(out, m->key, m->keylen);
			break;
		case 'K':
			buf_printf(out, "%lld",
			    m->key != NULL ? (long long)m->keylen : -1LL);
			break;
		case 's':
			if (m->payload != NULL)
				buf_add(out, m->payload, m->len);
			break;
		case 'S':
			buf_printf(out, "%lld",
			    m->payload != NULL ? (long long)m->len : -1LL);
			break;
		case 'T':
			buf_printf(out, "%lld", (long long)m->timestamp);
			break;
		case 'h':
			for (i = 0; i < m->nheaders; i++) {
				if (i > 0)
					buf_addc(out, ',');
				buf_adds(out, m->headers[i].name);
				buf_addc(out, '=');
				if (m->headers[i].value != NULL)
					buf_add(out, m->headers[i].value,
					    m->headers[i].len);
			}
			break;
		default: /* '%' */
			buf_addc(out, '%');
		}
	}
}
