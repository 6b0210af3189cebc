/* SPDX-License-Identifier: MIT */
/*
 * A message's payload as one NDJSON record: the payload rules of
 * iotpipe(7) "Metadata", shared by the programs that read a transport (kcons,
 * mqtt2json).  What each one adds, its "@metadata" members and fields of
 * its own, comes through callbacks.
 */
#ifndef IOTPIPE_PAYLOAD_H
#define IOTPIPE_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/jsonx.h"

enum payload_binary {
	PAYLOAD_BINARY_REJECT, /* a payload that is not UTF-8 is a reject */
	PAYLOAD_BINARY_BASE64, /* {"value":"<base64>","encoding":"base64"} */
};

struct payload_rules {
	enum payload_binary binary;
	/* "@metadata":{"<ns>":{...}}: ns NULL for none; members() appends
	 * the members of ns's object, without braces */
	const char *ns;
	void (*members)(const void *arg, struct buf *out);
	/* fields the record gets when it lacks them (obj NULL: a wrapped
	 * payload, which lacks all); first: nothing written before them, no
	 * leading comma.  NULL for none. */
	void (*fields)(const void *arg, const struct jval *obj, bool first,
	    struct buf *out);
	const void *arg;
	/* a wrapped payload says so in its ns object, for a replay to
	 * rebuild the bytes: "wrapped":"json" (other JSON), "text" (not
	 * JSON), "base64" (not UTF-8) or "null" (no payload at all) */
	bool mark_wrapped;
};

/*
 * Append the record for payload p[0..n) (without '\n') to out:
 *   - a JSON object passes as it is when it is compact and nothing is
 *     added, else it is re-emitted compact (numbers verbatim); a byte
 *     order mark before it is dropped;
 *   - other JSON becomes {"value":<json>}, p NULL {"value":null};
 *   - UTF-8 text that is not JSON (empty too) becomes {"value":"<text>"};
 *   - other bytes are a reject, or {"value":"<base64>","encoding":
 *     "base64"} per r->binary.
 * "@metadata" comes first, merged into the payload's own.  Returns NULL,
 * or the reject reason (static text) with out unchanged.  Values parsed
 * live in arena a: the caller resets it between messages.
 */
const char *payload_record(const struct payload_rules *r, struct arena *a,
    const char *p, size_t n, struct buf *out);

/*
 * For a replay (kprod, json2mqtt): the bytes of a record that
 * payload_record() wrapped, given kind, the "wrapped" member of its
 * @metadata namespace.  The record must be {"@metadata":..,"value":..}
 * (plus "encoding":"base64" for base64): other members would be lost.
 * "json" gives the value's compact JSON, "text" the string's bytes,
 * "base64" the decoded string, "null" nothing with *none set.  Appends to
 * out; returns NULL, or the reason for a reject (static text).
 */
const char *payload_unwrap(const struct jval *root, const struct jval *kind,
    struct buf *out, bool *none);

/* --binary MODE: "reject" or "base64"; anything else a usage_error(). */
enum payload_binary payload_binary_opt(const char *arg);

/* {"<ns>":{members}} appended to out: the "@metadata" of a reject. */
void payload_meta(const struct payload_rules *r, struct buf *out);

#endif
