/* SPDX-License-Identifier: MIT */
/* Publishes not yet acknowledged, by message id, with their input lines. */
#ifndef IOTPIPE_JSON2MQTT_INFLIGHT_H
#define IOTPIPE_JSON2MQTT_INFLIGHT_H

#include <stddef.h>

#include "common/buf.h"

struct pending {
	int mid; /* MQTT message id, 1-65535 */
	int qos;
	unsigned long long lineno;
	struct buf line; /* the input line, for a reject */
	struct pending *prev, *next; /* the pending list, or the free list */
};

struct inflight;

/* Caller frees with inflight_free(). */
struct inflight *inflight_new(void);
void inflight_free(struct inflight *f); /* NULL is a no-op */

/*
 * Remember publish mid (1-65535) of input line lineno; line is copied
 * (entries and their buffers are reused).  NULL when mid is out of range
 * or already pending.  The entry stays owned by f.
 */
struct pending *inflight_add(struct inflight *f, int mid, int qos,
    unsigned long long lineno, const char *line, size_t len);

/* Take the entry of mid out (NULL when none): the caller hands it back
 * with inflight_put() once done with it. */
struct pending *inflight_take(struct inflight *f, int mid);
void inflight_put(struct inflight *f, struct pending *p);

/* The oldest pending entry, or NULL: to take out at exit. */
struct pending *inflight_oldest(const struct inflight *f);

size_t inflight_count(const struct inflight *f);

#endif
