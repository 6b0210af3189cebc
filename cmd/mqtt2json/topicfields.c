/* SPDX-License-Identifier: MIT */
/* --topic-fields: copy levels of an MQTT topic into record fields. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "topicfields.h"

enum lkind {
	L_EXACT, /* the level must equal text */
	L_ANY, /* "+" or "+name" */
	L_REST, /* "#" or "#name": the remaining levels, possibly none */
};

struct level {
	enum lkind kind;
	const char *text; /* L_EXACT: the level; else the name or NULL */
	size_t len;
};

struct topic_fields {
	char *pattern; /* the levels point into it */
	struct level *levels;
	size_t nlevels, ncaps;
};

void
topic_fields_free(struct topic_fields *tf)
{
	if (tf == NULL)
		return;
	free(tf->levels);
	free(tf->pattern);
	free(tf);
}

size_t
topic_fields_count(const struct topic_fields *tf)
{
	return tf->ncaps;
}

struct topic_fields *
topic_fields_new(const char *pattern, struct buf *err)
{
	struct topic_fields *tf = xcalloc(1, sizeof(*tf));
	const char *p, *end;
	size_t i, j, n = 1;

	tf->pattern = xstrdup(pattern);
	for (p = tf->pattern; *p != '\0'; p++)
		if (*p == '/')
			n++;
	tf->levels = xcalloc(n, sizeof(*tf->levels));
	for (p = tf->pattern;; p = end + 1) {
		struct level *l = &tf->levels[tf->nlevels++];

		end = p + strcspn(p, "/");
		l->kind = L_EXACT;
		l->text = p;
		l->len = (size_t)(end - p);
		if (l->len > 0 && (*p == '+' || *p == '#')) {
			l->kind = *p == '+' ? L_ANY : L_REST;
			l->text = l->len > 1 ? p + 1 : NULL;
			l->len--;
			if (l->kind == L_REST && *end != '\0') {
				buf_adds(err, "'#' must be the last level");
				goto fail;
			}
			if (l->text != NULL)
				tf->ncaps++;
		} else if (memchr(p, '+', l->len) != NULL ||
		    memchr(p, '#', l->len) != NULL) {
			buf_adds(err, "'+' and '#' must start a level");
			goto fail;
		}
		if (*end == '\0')
			break;
	}
	if (tf->ncaps == 0) {
		buf_adds(err,
		    "no field to take: name a level as +name or "
		    "#name");
		goto fail;
	}
	for (i = 0; i < tf->nlevels; i++)
		for (j = i + 1; j < tf->nlevels; j++)
			if (tf->levels[i].kind != L_EXACT &&
			    tf->levels[j].kind != L_EXACT &&
			    tf->levels[i].text != NULL &&
			    tf->levels[j].text != NULL &&
			    tf->levels[i].len == tf->levels[j].len &&
			    memcmp(tf->levels[i].text, tf->levels[j].text,
				tf->levels[i].len) == 0) {
				buf_printf(err, "field '%.*s' named twice",
				    (int)tf->levels[i].len, tf->levels[i].text);
				goto fail;
			}
	return tf;
fail:
	topic_fields_free(tf);
	return NULL;
}

bool
topic_fields_match(const struct topic_fields *tf, const char *topic,
    size_t tlen, struct topic_capture *caps)
{
	const char *p = topic, *end = topic + tlen, *lend;
	size_t i, c = 0;
	bool more = true; /* a level is left at p */

	for (i = 0; i < tf->nlevels; i++) {
		const struct level *l = &tf->levels[i];

		if (l->kind == L_REST) {
			if (l->text != NULL) {
				caps[c].name = l->text;
				caps[c].nlen = l->len;
				caps[c].value = more ? p : end;
				caps[c].vlen = more ? (size_t)(end - p) : 0;
				c++;
			}
			return true;
		}
		if (!more)
			return false;
		lend = memchr(p, '/', (size_t)(end - p));
		if (lend == NULL)
			lend = end;
		if (l->kind == L_EXACT) {
			if ((size_t)(lend - p) != l->len ||
			    memcmp(p, l->text, l->len) != 0)
				return false;
		} else if (l->text != NULL) {
			caps[c].name = l->text;
			caps[c].nlen = l->len;
			caps[c].value = p;
			caps[c].vlen = (size_t)(lend - p);
			c++;
		}
		if (lend == end)
			more = false;
		else
			p = lend + 1;
	}
	return !more;
}
