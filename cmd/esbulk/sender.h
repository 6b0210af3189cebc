/* SPDX-License-Identifier: MIT */
/*
 * Batches in flight: up to N _bulk requests at once on a libcurl multi
 * handle, per-item outcomes, retries, 413 splits, giving up after the
 * retry time.  What to do with each outcome, how long to wait and when to
 * give up is common/retry.h's retry_decide(); this file carries it out.
 */
#ifndef IOTPIPE_ESBULK_SENDER_H
#define IOTPIPE_ESBULK_SENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/http.h"
#include "common/retry.h"
#include "common/stats.h"
#include "bulk.h"

struct sender_conf {
	const char *const *urls; /* base URLs, tried in turn; borrowed */
	size_t nurls;
	const char *bulk_path; /* "/_bulk?filter_path=...", borrowed */
	struct curl_slist *bulk_headers; /* for _bulk; borrowed */
	struct curl_slist *json_headers; /* for sender_request(); borrowed */
	bool gzip; /* compress request bodies */
	const struct http_tls *tls; /* borrowed */
	long timeout_ms; /* per request */
	unsigned workers; /* requests in flight */
	struct retry_policy retry; /* waits, --max-retry-time */
	enum bulk_op op;
};

/* What happens to each document; arg is the caller's. */
struct sender_cb {
	void *arg;
	/* item i of b is indexed (status 2xx, or 409 on create) */
	void (*indexed)(
	    void *arg, const struct bulk_batch *b, size_t i, int status);
	/*
	 * item i of b will not be indexed: reason, and what the server
	 * said (NULL: nothing) for the reject line; lost: given up (exit
	 * 1), not refused by the server for good
	 */
	void (*refused)(void *arg, const struct bulk_batch *b, size_t i,
	    const char *reason, const struct bulk_error *e, bool lost);
	/* after the items of one response were handed out */
	void (*settled)(void *arg);
};

struct sender;

/* Counters "retries", "throttled", "splits", "requests", "latency_ms"
 * and "latency_max_ms" are registered in st.  Caller frees with
 * sender_free(); conf and its strings must outlive the sender. */
struct sender *sender_new(const struct sender_conf *conf,
    const struct sender_cb *cb, struct stats *st);
void sender_free(struct sender *s);

/* A new batch may be handed over: fewer than conf->workers batches are
 * in flight or waiting for a retry. */
bool sender_has_room(const struct sender *s);
/* Batches in flight or waiting; 0 when everything is settled. */
size_t sender_pending(const struct sender *s);
/* Take b (it is freed by the sender) and send it as soon as a slot is
 * free. */
void sender_submit(struct sender *s, struct bulk_batch *b);

/*
 * Start what is due, move transfers on, wait up to timeout_ms (0: do not
 * wait; -1: until something happens) for the network, for a retry to be
 * due, or for one of the extra descriptors, then hand out the finished
 * requests' outcomes.  Returns 0, or -1 when libcurl failed (fatal).
 */
int sender_run(struct sender *s, struct curl_waitfd *extra, unsigned nextra,
    int timeout_ms);

/* conf->retry, for the requests outside the batches. */
const struct retry_policy *sender_retry_policy(const struct sender *s);

/* The server refused our credentials or TLS setup: stop reading. */
bool sender_fatal(const struct sender *s);
/* A document was given up (retry time over, or aborted). */
bool sender_lost(const struct sender *s);

/* Drop everything in flight or waiting, each document refused with
 * "not acknowledged: <why>" as lost. */
void sender_abort(struct sender *s, const char *why);

/*
 * One try of a request outside the batches (GET /, PUT
 * _index_template/...) to the next URL in turn, with conf->json_headers,
 * taking at most timeout_s, waiting for the answer.  body NULL: no body.
 * Fills out (a request's outcome: status 0 when there was no answer,
 * Retry-After) and resp; returns its class (retry_classify()), with a
 * description of a failure appended to err.  The caller decides on a
 * retry with retry_decide() and conf->retry.
 */
enum retry_class sender_request(struct sender *s, const char *method,
    const char *path, const char *body, size_t len, double timeout_s,
    struct retry_outcome *out, struct buf *resp, struct buf *err);

#endif
