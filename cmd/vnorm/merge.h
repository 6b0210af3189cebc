/* SPDX-License-Identifier: MIT */
/*
 * vnorm --merge: fold the per-signal and location documents of one vehicle
 * and tick into one "snapshot" document (vnorm(1) "Merging").
 */
#ifndef IOTPIPE_MERGE_H
#define IOTPIPE_MERGE_H

#include <stdint.h>

#include "normalize.h"

struct merger;

/*
 * out(arg, doc, members) receives every document to write, in order:
 * merged groups (members >= 1) and passed-through documents (members 1).
 * doc is valid only during the call.  Caller frees with merger_free().
 */
struct merger *merger_new(int64_t window_ms,
    void (*out)(void *arg, const struct vdoc *doc, unsigned members),
    void *arg);
void merger_free(struct merger *m);

/* Take one normalized document (copied as needed). */
void merger_add(struct merger *m, const struct vdoc *doc);

/* Emit every open group, in the order they were opened. */
void merger_finish(struct merger *m);

/* Number of groups open now (memory stays bounded by the sweep). */
unsigned long merger_open(const struct merger *m);

#endif
