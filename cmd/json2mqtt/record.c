/* SPDX-License-Identifier: MIT */
/* One NDJSON line as one MQTT publish: its topic and its payload. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/payload.h"
#include "common/xalloc.h"
#include "record.h"

struct part {
	bool field; /* a placeholder: text is the path */
	char *text;
	size_t len;
};

struct topic_tmpl {
	struct part *parts;
	size_t n;
};

void
topic_tmpl_free(struct topic_tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t);
}

static void
add_part(struct topic_tmpl *t, bool field, const struct buf *b)
{
	struct part *p;

	t->parts = xreallocarray(t->parts, t->n + 1, sizeof(*t->parts));
	p = &t->parts[t->n++];
	p->field = field;
	p->text = xmemdup(b->data != NULL ? b->data : "", b->len);
	p->len = b->len;
}

struct topic_tmpl *
topic_tmpl_new(const char *s, struct buf *err)
{
	struct topic_tmpl *t = xcalloc(1, sizeof(*t));
	struct buf b = BUF_INIT;
	const char *p, *close;

	for (p = s; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '{') {
			buf_addc(&b, '{');
			p++;
		} else if (p[0] == '}' && p[1] == '}') {
			buf_addc(&b, '}');
			p++;
		} else if (*p == '}') {
			buf_adds(
			    err, "'}' without '{' (write '}}' for a brace)");
			goto fail;
		} else if (*p == '{') {
			close = strchr(p + 1, '}');
			if (close == NULL) {
				buf_adds(err, "'{' without '}'");
				goto fail;
			}
			if (close == p + 1) {
				buf_adds(err, "empty '{}'");
				goto fail;
			}
			if (b.len > 0)
				add_part(t, false, &b);
			buf_reset(&b);
			buf_add(&b, p + 1, (size_t)(close - p - 1));
			if (memchr(b.data, '{', b.len) != NULL) {
				buf_adds(err, "'{' inside a placeholder");
				goto fail;
			}
			add_part(t, true, &b);
			buf_reset(&b);
			p = close;
		} else
			buf_addc(&b, *p);
	}
	if (b.len > 0)
		add_part(t, false, &b);
	if (t->n == 0) {
		buf_adds(err, "empty template");
		goto fail;
	}
	buf_free(&b);
	return t;
fail:
	buf_free(&b);
	topic_tmpl_free(t);
	return NULL;
}

int
topic_tmpl_expand(const struct topic_tmpl *t, const struct jval *root,
    struct buf *out, struct buf *why)
{
	const struct jval *v;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct part *p = &t->parts[i];

		if (!p->field) {
			buf_add(out, p->text, p->len);
			continue;
		}
		v = jsonx_path(root, p->text);
		if (v == NULL) {
			buf_printf(why, "topic field '%s' is missing", p->text);
			return -1;
		}
		if (v->type != J_STRING && v->type != J_NUMBER) {
			buf_printf(why,
			    "topic field '%s' is not a string or "
			    "a number",
			    p->text);
			return -1;
		}
		if (v->len == 0) {
			buf_printf(why, "topic field '%s' is empty", p->text);
			return -1;
		}
		if (memchr(v->u.s, '+', v->len) != NULL ||
		    memchr(v->u.s, '#', v->len) != NULL ||
		    memchr(v->u.s, '\0', v->len) != NULL) {
			buf_printf(why,
			    "topic field '%s' holds '+', '#' or "
			    "NUL",
			    p->text);
			return -1;
		}
		buf_add(out, v->u.s, v->len);
	}
	return 0;
}

/* Wildcards and NUL are for filters, not for a topic to publish to. */
static int
check_topic(const char *s, size_t n, struct buf *why)
{
	if (n == 0) {
		buf_adds(why, "empty topic");
		return -1;
	}
	if (n > 65535) {
		buf_adds(why, "topic longer than 65535 bytes");
		return -1;
	}
	if (memchr(s, '+', n) != NULL || memchr(s, '#', n) != NULL ||
	    memchr(s, '\0', n) != NULL) {
		buf_adds(why, "topic holds '+', '#' or NUL");
		return -1;
	}
	return 0;
}

int
j2m_prepare(const struct j2m_conf *c, struct arena *a, const char *line,
    size_t len, struct buf *tbuf, struct buf *pbuf, struct j2m_pub *pub,
    struct buf *why)
{
	struct jsonx_error jerr;
	struct jval *root, *v;
	const char *reason;
	bool none;

	if (c->raw) {
		pub->topic = c->topic;
		pub->payload = line;
		pub->len = len;
		return 0;
	}
	if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;
		len -= 3;
	}
	if (jsonx_parse(a, line, len, &root, &jerr) != JSONX_OK) {
		jsonx_error_text(&jerr, why);
		return -1;
	}
	buf_reset(tbuf);
	if (c->topic != NULL)
		pub->topic = c->topic;
	else if (c->tmpl != NULL) {
		if (topic_tmpl_expand(c->tmpl, root, tbuf, why) < 0)
			return -1;
		if (check_topic(tbuf->data, tbuf->len, why) < 0)
			return -1;
		pub->topic = buf_cstr(tbuf);
	} else {
		v = jsonx_path(root, "@metadata.mqtt.topic");
		if (v == NULL || v->type != J_STRING) {
			buf_adds(why,
			    "no topic: no -t or --topic-template, "
			    "and no @metadata.mqtt.topic");
			return v == NULL ? -2 : -1;
		}
		if (check_topic(v->u.s, v->len, why) < 0)
			return -1;
		buf_add(tbuf, v->u.s, v->len);
		pub->topic = buf_cstr(tbuf);
	}
	if ((v = jsonx_path(root, "@metadata.mqtt.wrapped")) != NULL) {
		/* mqtt2json -m wrapped a payload that was not an object: the
		 * bytes it was go out again */
		buf_reset(pbuf);
		if ((reason = payload_unwrap(root, v, pbuf, &none)) != NULL) {
			buf_adds(why, reason);
			return -1;
		}
		pub->payload = pbuf->data != NULL ? pbuf->data : "";
		pub->len = pbuf->len;
	} else if (root->type == J_OBJECT && jsonx_meta(root) != NULL) {
		buf_reset(pbuf);
		jsonx_emit_without_meta(pbuf, root);
		pub->payload = pbuf->data;
		pub->len = pbuf->len;
	} else {
		pub->payload = line;
		pub->len = len;
	}
	return 0;
}
