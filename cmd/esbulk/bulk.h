/* SPDX-License-Identifier: MIT */
/*
 * The _bulk request builder and the per-item response parser: no I/O, no
 * libcurl, so unit tests and fuzzers link it alone.
 */
#ifndef IOTPIPE_ESBULK_BULK_H
#define IOTPIPE_ESBULK_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/buf.h"
#include "common/jsonx.h"

enum bulk_op {
	BULK_OP_INDEX, /* create or replace */
	BULK_OP_CREATE, /* create only; 409 when the _id exists */
};

/* How documents become actions; main() owns it, strings are borrowed. */
struct bulk_conf {
	enum bulk_op op;
	const char *index; /* -i name or strftime pattern; NULL: only from
			    * @metadata.es._index */
	bool index_dated; /* the pattern has % conversions */
	const char *date_field; /* where the pattern's date comes from */
	const char *const *id_fields; /* --id a.b,c: NULL-terminated, or NULL */
	bool kafka_id; /* --kafka-id: topic+partition+offset */
	bool doc_type; /* Elasticsearch 6: "_type":"_doc" */
};

/*
 * Check an -i pattern: conversions limited to those that depend on the
 * date alone (%Y %y %G %g %m %d %j %H %V %U %W %u %w and %%).  Returns 0
 * with *dated set, or -1 with the reason appended to err.
 */
int bulk_index_check(const char *pattern, bool *dated, struct buf *err);

/*
 * The instant of a document date: an ISO 8601 string as Elasticsearch's
 * strict_date_optional_time reads it ("2019-06-15", "2019-06-15T11:39:17Z",
 * "2019-06-15 11:39:17.632+02:00") or epoch milliseconds (a number or a
 * string of digits).  Returns 0 with *out in seconds, -1 if unusable.
 */
int bulk_doc_time(const struct jval *v, time_t *out);

/* One document of a batch: offsets into the batch's buffers. */
struct bulk_item {
	size_t off; /* action line + source line in body, each '\n'-ended */
	size_t len;
	size_t action_len; /* of the action line, with its '\n' */
	size_t orig_off, orig_len; /* the input line in side, when it is
				    * not the source verbatim */
	size_t meta_off, meta_len; /* "@metadata" as JSON in side; 0: none */
	size_t kafka_off, kafka_len; /* "@metadata.kafka" as JSON; 0: none */
	unsigned long long lineno;
	bool orig_is_src; /* the input line is the source, byte for byte */
};

/* A batch: the request body and what each document needs afterwards. */
struct bulk_batch {
	struct buf body; /* the _bulk request body */
	struct buf side; /* input lines, @metadata, @metadata.kafka */
	struct bulk_item *items;
	size_t n, cap;
	/* for the sender: */
	unsigned attempt; /* tries so far */
	double first_fail; /* when the first retryable failure came; 0 */
	double not_before; /* not sent before this time */
	double born; /* when its first document came (linger) */
	size_t server; /* the URL of its last try, plus 1; 0: not sent yet */
	struct bulk_batch *next; /* queue link */
};

/* Caller frees with bulk_batch_free(); NULL is a no-op there. */
struct bulk_batch *bulk_batch_new(void);
void bulk_batch_free(struct bulk_batch *b);

/* Why a line was refused before reaching the server. */
struct bulk_refusal {
	struct buf reason;
	struct buf meta; /* the line's "@metadata" as JSON; empty if none */
	struct buf kafka; /* its "@metadata.kafka" as JSON; empty if none */
	/* not the record's fault (no -i and no _index in it; --kafka-id and
	 * no @metadata.kafka): what to change, said once; NULL otherwise */
	const char *config;
	bool id_missing; /* refused for a missing --id field */
};

void bulk_refusal_free(struct bulk_refusal *r);

/*
 * Turn one input line into an action and a source at the end of b: parse
 * it (in a, which is reset first), strip "@metadata", work out _index,
 * _id and pipeline (@metadata.es first, then the configuration).  The
 * source is the input line itself when it has no "@metadata".  Returns 0,
 * or -1 with r filled (nothing added to b).
 */
int bulk_add_line(const struct bulk_conf *c, struct bulk_batch *b,
    struct arena *a, const char *line, size_t len, unsigned long long lineno,
    struct bulk_refusal *r);

/* Append a copy of item i of from to to. */
void bulk_copy_item(
    struct bulk_batch *to, const struct bulk_batch *from, size_t i);

/*
 * Split b in two halves for a 413: new batches holding items [0, n/2)
 * and [n/2, n), with b's attempt and failure time.  b keeps its items.
 */
void bulk_split(
    const struct bulk_batch *b, struct bulk_batch **lo, struct bulk_batch **hi);

/* The input line of item i (borrowed, valid while b lives). */
void bulk_item_input(
    const struct bulk_batch *b, size_t i, const char **p, size_t *n);

/* ---- responses ---- */

/* The outcome of one item, as the server told it (strings in the arena). */
struct bulk_result {
	int status; /* the item's HTTP status */
	const char *type; /* error.type, or NULL */
	const char *reason; /* error.reason, or NULL */
	const struct jval *error; /* the error object, or NULL */
};

/*
 * Parse a _bulk response (with or without filter_path=errors,items.*.status,
 * items.*.error) for a request of n actions into res[0..n).  Returns 0, or
 * -1 with the reason appended to err: not JSON, no items, or another count
 * of items than n (then no item can be trusted).
 */
int bulk_parse_response(struct arena *a, const char *body, size_t len, size_t n,
    struct bulk_result *res, struct buf *err);

enum bulk_verdict {
	BULK_DONE, /* indexed (or, for create, already there: 409) */
	BULK_RETRY, /* 429, 5xx, 408, a mapping race: send it again */
	BULK_REJECT, /* the server will never take it as it is */
};

/* The verdict on one item: retry_classify() (common/retry.h) on its
 * status; 409 to a create is done, and a 400 for a field that another
 * request in flight mapped first ("mapper [f] cannot be changed from type
 * [long] to [float]") is retried. */
enum bulk_verdict bulk_verdict(const struct bulk_result *r, enum bulk_op op);

/*
 * True when item r was refused for a reason that is not the document's
 * own, so that every document sent the same way is refused alike: the
 * index name, a closed or missing index the request may not create, a
 * block on the cluster or index, or the credentials' rights (401, 403).
 * A batch whose every item is refused so, with one error type, ends
 * esbulk with the server's message once (exit 1).
 */
bool bulk_refusal_not_docs(const struct bulk_result *r);

/*
 * What a server said when it refused: the "error" members of the reject
 * (see struct reject in common/reject.h).
 */
struct bulk_error {
	int status; /* the HTTP status */
	struct buf type; /* "mapper_parsing_exception"; empty: none */
	struct buf cause; /* "caused_by", a JSON object; empty: none */
};

void bulk_error_reset(struct bulk_error *e);
void bulk_error_free(struct bulk_error *e);

/*
 * The reject of r: its reason ("failed to parse field [x] ..." or
 * "HTTP 400") appended to reason, its status, type and cause into e
 * (reset first).
 */
void bulk_result_reject(
    const struct bulk_result *r, struct buf *reason, struct bulk_error *e);

/*
 * The reason and error of a whole-request error body such as
 * {"error":{"type":"...","reason":"..."},"status":400}, for rejects;
 * "HTTP <status>" when the body says nothing usable.  e is reset first.
 */
void bulk_request_error(struct arena *a, long status, const char *body,
    size_t len, struct buf *reason, struct bulk_error *e);

#endif
