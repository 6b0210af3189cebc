/* SPDX-License-Identifier: MIT */
/* _bulk requests in flight, per-item outcomes, retries and splits. */
#include "common/prelude.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <zlib.h>

#include "common/backoff.h"
#include "common/buf.h"
#include "common/http.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/stats.h"
#include "common/xalloc.h"
#include "bulk.h"
#include "sender.h"
#include "common/clock.h"

/* Response bodies beyond this are cut: no _bulk answer comes close. */
#define RESPONSE_MAX (256u * 1024 * 1024)

struct slot {
	CURL *h;
	struct bulk_batch *b; /* in flight, or NULL */
	struct buf resp;
	struct buf gz;
	char errbuf[CURL_ERROR_SIZE];
	double t0;
	double retry_after; /* the answer's Retry-After in seconds, or -1 */
	bool cut; /* response over RESPONSE_MAX */
};

struct sender {
	struct sender_conf c;
	struct sender_cb cb;
	CURLM *multi;
	CURL *sync; /* for sender_request() */
	struct slot *slots;
	struct bulk_batch *qhead, *qtail; /* waiting to be sent */
	size_t queued, inflight;
	size_t rr; /* next URL */
	uint64_t rng; /* jitter of the waits */
	double sync_retry_after; /* sender_request()'s Retry-After, or -1 */
	z_stream z;
	bool zinit;
	struct arena *arena;
	struct bulk_result *res;
	size_t rescap;
	struct buf reason, url, why;
	struct bulk_error err; /* of the refusal at hand */
	bool fatal, lost;
	double lat_total;
	uint64_t *retries, *throttled, *splits, *requests, *latency,
	    *latency_max;
};

/* Keep the Retry-After of an answer in *arg (seconds, -1: none). */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	double *retry_after = arg;

	n *= size;
	if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0 &&
	    retry_after_parse(p + 12, n - 12, time(NULL), retry_after) < 0)
		*retry_after = -1;
	return n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct slot *sl = arg;

	n *= size;
	if (sl->resp.len + n > RESPONSE_MAX) {
		sl->cut = true;
		return 0;
	}
	buf_add(&sl->resp, p, n);
	return n;
}

struct sender *
sender_new(const struct sender_conf *conf, const struct sender_cb *cb,
    struct stats *st)
{
	struct sender *s = xcalloc(1, sizeof(*s));
	unsigned i;

	s->c = *conf;
	s->cb = *cb;
	if ((s->multi = curl_multi_init()) == NULL ||
	    (s->sync = curl_easy_init()) == NULL)
		xdie_oom();
	curl_multi_setopt(
	    s->multi, CURLMOPT_MAXCONNECTS, (long)(conf->workers + 2));
	s->slots = xcalloc(conf->workers, sizeof(*s->slots));
	for (i = 0; i < conf->workers; i++) {
		struct slot *sl = &s->slots[i];

		if ((sl->h = curl_easy_init()) == NULL)
			xdie_oom();
		http_easy_setup(sl->h, conf->tls, conf->timeout_ms, "esbulk");
		curl_easy_setopt(sl->h, CURLOPT_POST, 1L);
		curl_easy_setopt(sl->h, CURLOPT_HTTPHEADER, conf->bulk_headers);
		curl_easy_setopt(sl->h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(sl->h, CURLOPT_WRITEDATA, sl);
		curl_easy_setopt(sl->h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(sl->h, CURLOPT_HEADERDATA, &sl->retry_after);
		curl_easy_setopt(sl->h, CURLOPT_ERRORBUFFER, sl->errbuf);
		curl_easy_setopt(sl->h, CURLOPT_PRIVATE, sl);
		if (conf->gzip)
			curl_easy_setopt(sl->h, CURLOPT_ACCEPT_ENCODING, "");
	}
	http_easy_setup(s->sync, conf->tls, conf->timeout_ms, "esbulk");
	curl_easy_setopt(s->sync, CURLOPT_HTTPHEADER, conf->json_headers);
	curl_easy_setopt(s->sync, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->sync, CURLOPT_HEADERDATA, &s->sync_retry_after);
	backoff_seed(&s->rng);
	s->arena = arena_new();
	s->retries = stats_counter(st, "retries");
	s->throttled = stats_counter(st, "throttled");
	s->splits = stats_counter(st, "splits");
	s->requests = stats_counter(st, "requests");
	s->latency = stats_gauge(st, "latency_ms");
	s->latency_max = stats_gauge(st, "latency_max_ms");
	return s;
}

static void
queue_free(struct sender *s)
{
	struct bulk_batch *b, *next;

	for (b = s->qhead; b != NULL; b = next) {
		next = b->next;
		bulk_batch_free(b);
	}
	s->qhead = s->qtail = NULL;
	s->queued = 0;
}

void
sender_free(struct sender *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < s->c.workers; i++) {
		struct slot *sl = &s->slots[i];

		if (sl->b != NULL)
			curl_multi_remove_handle(s->multi, sl->h);
		curl_easy_cleanup(sl->h);
		bulk_batch_free(sl->b);
		buf_free(&sl->resp);
		buf_free(&sl->gz);
	}
	queue_free(s);
	free(s->slots);
	curl_easy_cleanup(s->sync);
	curl_multi_cleanup(s->multi);
	if (s->zinit)
		deflateEnd(&s->z);
	arena_free(s->arena);
	free(s->res);
	buf_free(&s->reason);
	bulk_error_free(&s->err);
	buf_free(&s->url);
	buf_free(&s->why);
	free(s);
}

bool
sender_has_room(const struct sender *s)
{
	return !s->fatal && s->queued + s->inflight < s->c.workers;
}

size_t
sender_pending(const struct sender *s)
{
	return s->queued + s->inflight;
}

const struct retry_policy *
sender_retry_policy(const struct sender *s)
{
	return &s->c.retry;
}

bool
sender_fatal(const struct sender *s)
{
	return s->fatal;
}

bool
sender_lost(const struct sender *s)
{
	return s->lost;
}

static void
enqueue(struct sender *s, struct bulk_batch *b)
{
	b->next = NULL;
	if (s->qtail != NULL)
		s->qtail->next = b;
	else
		s->qhead = b;
	s->qtail = b;
	s->queued++;
}

void
sender_submit(struct sender *s, struct bulk_batch *b)
{
	b->not_before = 0;
	enqueue(s, b);
}

/* Refuse every item of b, then free it. */
static void
refuse_all(struct sender *s, struct bulk_batch *b, const char *reason,
    const struct bulk_error *e, bool lost)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		s->cb.refused(s->cb.arg, b, i, reason, e, lost);
	if (lost && b->n > 0)
		s->lost = true;
	bulk_batch_free(b);
}

/* gzip b's body into sl->gz.  -1 on a zlib error. */
static int
compress_body(struct sender *s, struct slot *sl, const struct bulk_batch *b)
{
	uLong bound;

	if (!s->zinit) {
		memset(&s->z, 0, sizeof(s->z));
		if (deflateInit2(&s->z, 1, Z_DEFLATED, 15 + 16, 8,
			Z_DEFAULT_STRATEGY) != Z_OK)
			return -1;
		s->zinit = true;
	} else if (deflateReset(&s->z) != Z_OK) {
		return -1;
	}
	bound = deflateBound(&s->z, (uLong)b->body.len);
	buf_reset(&sl->gz);
	buf_grow(&sl->gz, (size_t)bound);
	s->z.next_in = (Bytef *)b->body.data;
	s->z.avail_in = (uInt)b->body.len;
	s->z.next_out = (Bytef *)sl->gz.data;
	s->z.avail_out = (uInt)bound;
	if (deflate(&s->z, Z_FINISH) != Z_STREAM_END)
		return -1;
	sl->gz.len = (size_t)s->z.total_out;
	return 0;
}

static int
start(struct sender *s, struct slot *sl, struct bulk_batch *b)
{
	const char *body = b->body.data;
	size_t len = b->body.len;
	long timeout_ms = s->c.timeout_ms;
	CURLMcode mc;
	size_t u = s->rr++ % s->c.nurls;

	/* A batch sent again goes to another server than its last try did:
	 * the requests in flight share the round robin, which alone could
	 * send it back to a node that is down, try after try, while another
	 * answers. */
	if (b->server == u + 1 && s->c.nurls > 1)
		u = (u + 1) % s->c.nurls;
	b->server = u + 1;
	buf_reset(&s->url);
	http_url_join(&s->url, s->c.urls[u], s->c.bulk_path);
	if (s->c.gzip) {
		if (compress_body(s, sl, b) < 0) {
			log_err("gzip: cannot compress a request body");
			return -1;
		}
		body = sl->gz.data;
		len = sl->gz.len;
	}
	buf_reset(&sl->resp);
	sl->cut = false;
	sl->errbuf[0] = '\0';
	sl->retry_after = -1;
	sl->t0 = mono_now();
	/* a batch sent again has what is left of its retry time */
	if (b->first_fail > 0)
		timeout_ms =
		    (long)(retry_bound_s(&s->c.retry, sl->t0 - b->first_fail) *
			1000);
	curl_easy_setopt(sl->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(sl->h, CURLOPT_URL, buf_cstr(&s->url));
	curl_easy_setopt(sl->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(sl->h, CURLOPT_POSTFIELDS, body);
	if ((mc = curl_multi_add_handle(s->multi, sl->h)) != CURLM_OK) {
		log_err("curl: %s", curl_multi_strerror(mc));
		return -1;
	}
	sl->b = b;
	s->inflight++;
	b->attempt++;
	log_debug("POST /_bulk: %zu documents, %zu bytes%s", b->n, len,
	    s->c.gzip ? " gzipped" : "");
	return 0;
}

/* Send the batches that are due while slots are free. */
static int
start_due(struct sender *s)
{
	struct bulk_batch *b, *prev = NULL, *next;
	double now = 0;
	unsigned i;

	for (b = s->qhead; b != NULL && s->inflight < s->c.workers; b = next) {
		next = b->next;
		if (b->not_before > 0) {
			if (now == 0)
				now = mono_now();
			if (b->not_before > now) {
				prev = b;
				continue;
			}
		}
		/* unlink b */
		if (prev != NULL)
			prev->next = next;
		else
			s->qhead = next;
		if (s->qtail == b)
			s->qtail = prev;
		s->queued--;
		for (i = 0; i < s->c.workers && s->slots[i].b != NULL; i++)
			;
		if (start(s, &s->slots[i], b) < 0) {
			refuse_all(
			    s, b, "not indexed: cannot send", NULL, true);
			s->fatal = true;
			return -1;
		}
	}
	return 0;
}

/* Milliseconds until a waiting batch is due and a slot is free; -1. */
static int
due_ms(const struct sender *s)
{
	const struct bulk_batch *b;
	double now, soonest = -1;

	if (s->qhead == NULL || s->inflight >= s->c.workers)
		return -1;
	now = mono_now();
	for (b = s->qhead; b != NULL; b = b->next) {
		double left = b->not_before - now;

		if (left <= 0)
			return 0;
		if (soonest < 0 || left < soonest)
			soonest = left;
	}
	return (int)(soonest * 1000.0) + 1;
}

/* What retry_decide() says of outcome o of b's last try. */
static struct retry_decision
decide(struct sender *s, const struct bulk_batch *b,
    const struct retry_outcome *o, double now)
{
	return retry_decide(&s->c.retry, o, b->attempt,
	    b->first_fail > 0 ? now - b->first_fail : 0,
	    backoff_random(&s->rng));
}

/* Send b again after the wait of d, or give up on it (why: its last
 * outcome in words). */
static void
retry_later(struct sender *s, struct bulk_batch *b,
    const struct retry_decision *d, double now, const char *why, bool loud)
{
	if (b->first_fail == 0)
		b->first_fail = now;
	if (d->cls != RETRY_AGAIN) {
		buf_reset(&s->reason);
		buf_printf(&s->reason, "gave up after %u tries in %.0f s: %s",
		    b->attempt, now - b->first_fail, why);
		log_err("POST /_bulk: %s (%zu documents)", buf_cstr(&s->reason),
		    b->n);
		refuse_all(s, b, buf_cstr(&s->reason), NULL, true);
		return;
	}
	b->not_before = now + d->wait_s;
	*s->retries += b->n;
	if (loud)
		log_warn(
		    "POST /_bulk: %s: retry %u of %zu documents in %.1f s%s",
		    why, b->attempt, b->n, d->wait_s,
		    d->server_asked ? " (Retry-After)" : "");
	else
		log_info(
		    "POST /_bulk: %s: retry %u of %zu documents in %.1f s%s",
		    why, b->attempt, b->n, d->wait_s,
		    d->server_asked ? " (Retry-After)" : "");
	enqueue(s, b);
}

/* Every item of b refused for good, with one error type that is not the
 * documents' own (bulk_refusal_not_docs()). */
static bool
all_refused_alike(const struct sender *s, const struct bulk_batch *b)
{
	const char *type = s->res[0].type;
	size_t i;

	for (i = 0; i < b->n; i++) {
		const struct bulk_result *r = &s->res[i];

		if (bulk_verdict(r, s->c.op) != BULK_REJECT ||
		    !bulk_refusal_not_docs(r))
			return false;
		if ((type == NULL) != (r->type == NULL) ||
		    (type != NULL && strcmp(type, r->type) != 0))
			return false;
	}
	return b->n > 0;
}

/* A 2xx answer: every item's outcome. */
static void
items_done(struct sender *s, struct slot *sl, struct bulk_batch *b)
{
	struct bulk_batch *again = NULL;
	struct retry_outcome o = {RETRY_ITEM, CURLE_OK, 0, -1, false};
	struct retry_decision d;
	double now;
	size_t i;

	if (b->n > s->rescap) {
		s->rescap = b->n;
		s->res = xreallocarray(s->res, s->rescap, sizeof(*s->res));
	}
	buf_reset(&s->why);
	if (bulk_parse_response(s->arena, sl->resp.data, sl->resp.len, b->n,
		s->res, &s->why) < 0) {
		/* an answer that cannot be read: as if there were none */
		o.level = RETRY_REQUEST;
		o.rc = CURLE_WEIRD_SERVER_REPLY;
		now = mono_now();
		d = decide(s, b, &o, now);
		retry_later(s, b, &d, now, buf_cstr(&s->why), true);
		return;
	}
	if (all_refused_alike(s, b)) {
		/* not the documents' fault: every batch would fare the same,
		 * so stop with the server's message, once */
		const struct bulk_result *r = &s->res[0];

		buf_reset(&s->reason);
		bulk_result_reject(r, &s->reason, &s->err);
		if (!s->fatal)
			log_err("POST /_bulk: every document refused: %s%s%s "
				"(check -i, the index and the rights of the "
				"user)",
			    r->type != NULL ? r->type : "",
			    r->type != NULL ? ": " : "", buf_cstr(&s->reason));
		s->fatal = true;
		refuse_all(s, b, buf_cstr(&s->reason), &s->err, false);
		return;
	}
	for (i = 0; i < b->n; i++) {
		const struct bulk_result *r = &s->res[i];

		switch (bulk_verdict(r, s->c.op)) {
		case BULK_DONE:
			s->cb.indexed(s->cb.arg, b, i, r->status);
			break;
		case BULK_RETRY:
			if (r->status == 429)
				(*s->throttled)++;
			if (again == NULL) {
				again = bulk_batch_new();
				again->attempt = b->attempt;
				again->first_fail = b->first_fail;
				again->born = b->born;
				/* the wait of the first item's status; a
				 * mapping race (a 400 that bulk_verdict()
				 * retries) waits as for a busy server */
				o.status = r->status == 400 ? 503 : r->status;
				buf_reset(&s->why);
				buf_printf(&s->why, "HTTP %d", r->status);
				if (r->type != NULL)
					buf_printf(&s->why, " %s", r->type);
			}
			bulk_copy_item(again, b, i);
			break;
		case BULK_REJECT:
			buf_reset(&s->reason);
			bulk_result_reject(r, &s->reason, &s->err);
			s->cb.refused(s->cb.arg, b, i, buf_cstr(&s->reason),
			    &s->err, false);
			break;
		}
	}
	bulk_batch_free(b);
	if (again != NULL) {
		now = mono_now();
		d = decide(s, again, &o, now);
		retry_later(s, again, &d, now, buf_cstr(&s->why), false);
	}
}

static void
finished(struct sender *s, struct slot *sl, CURLcode rc)
{
	struct bulk_batch *b = sl->b, *lo, *hi;
	struct retry_outcome o = {RETRY_REQUEST, rc, 0, sl->retry_after, false};
	struct retry_decision d;
	double now = mono_now(), lat = now - sl->t0;

	curl_multi_remove_handle(s->multi, sl->h);
	sl->b = NULL;
	s->inflight--;
	curl_easy_getinfo(sl->h, CURLINFO_RESPONSE_CODE, &o.status);
	(*s->requests)++;
	s->lat_total += lat * 1000.0;
	*s->latency = (uint64_t)(s->lat_total / (double)*s->requests + 0.5);
	if ((uint64_t)(lat * 1000.0 + 0.5) > *s->latency_max)
		*s->latency_max = (uint64_t)(lat * 1000.0 + 0.5);
	if (sl->cut)
		o.rc = CURLE_WRITE_ERROR;
	buf_reset(&s->why);
	http_error_text(&s->why, o.rc, o.status, sl->errbuf);
	d = decide(s, b, &o, now);
	switch (d.cls) {
	case RETRY_DONE:
		items_done(s, sl, b);
		break;
	case RETRY_AGAIN:
	case RETRY_GIVE_UP:
		if (o.status == 429)
			(*s->throttled)++;
		retry_later(s, b, &d, now, buf_cstr(&s->why), true);
		break;
	case RETRY_SPLIT:
		if (b->n > 1) {
			(*s->splits)++;
			log_info(
			    "POST /_bulk: HTTP 413: splitting %zu documents "
			    "in two",
			    b->n);
			bulk_split(b, &lo, &hi);
			bulk_batch_free(b);
			enqueue(s, lo);
			enqueue(s, hi);
		} else {
			bulk_error_reset(&s->err);
			s->err.status = 413;
			refuse_all(s, b,
			    "request too large for the server (HTTP 413)",
			    &s->err, false);
		}
		break;
	case RETRY_UNREACHED: /* not for requests that follow an answer */
	case RETRY_FAIL_ALL:
		/* wrong credentials, certificates or URL */
		buf_reset(&s->reason);
		bulk_request_error(s->arena, o.status, sl->resp.data,
		    sl->resp.len, &s->reason, &s->err);
		if (o.rc != CURLE_OK) {
			buf_reset(&s->reason);
			buf_adds(&s->reason, buf_cstr(&s->why));
		}
		if (!s->fatal)
			log_err("POST /_bulk: %s", buf_cstr(&s->reason));
		s->fatal = true;
		buf_reset(&s->why);
		buf_printf(&s->why, "not indexed: %s", buf_cstr(&s->reason));
		refuse_all(s, b, buf_cstr(&s->why), NULL, true);
		break;
	case RETRY_FAIL:
		/* the whole request refused for good (400, 404 ...) */
		buf_reset(&s->reason);
		bulk_request_error(s->arena, o.status, sl->resp.data,
		    sl->resp.len, &s->reason, &s->err);
		log_warn("POST /_bulk: %s (%zu documents rejected)",
		    buf_cstr(&s->reason), b->n);
		refuse_all(s, b, buf_cstr(&s->reason), &s->err, false);
		break;
	}
	if (sl->resp.cap > 4 * 1024 * 1024)
		buf_free(&sl->resp);
	s->cb.settled(s->cb.arg);
}

int
sender_run(struct sender *s, struct curl_waitfd *extra, unsigned nextra,
    int timeout_ms)
{
	CURLMcode mc;
	CURLMsg *msg;
	int running, left, due;

	if (start_due(s) < 0)
		return -1;
	if ((mc = curl_multi_perform(s->multi, &running)) != CURLM_OK)
		goto fail;
	if (timeout_ms != 0) {
		due = due_ms(s);
		if (due >= 0 && (timeout_ms < 0 || due < timeout_ms))
			timeout_ms = due;
		if (timeout_ms < 0)
			timeout_ms = 1000;
		if ((mc = curl_multi_poll(s->multi, extra, nextra, timeout_ms,
			 NULL)) != CURLM_OK)
			goto fail;
		if ((mc = curl_multi_perform(s->multi, &running)) != CURLM_OK)
			goto fail;
	}
	while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
		struct slot *sl = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &sl);
		if (sl != NULL && sl->b != NULL)
			finished(s, sl, msg->data.result);
	}
	return start_due(s);
fail:
	log_err("curl: %s", curl_multi_strerror(mc));
	s->fatal = true;
	return -1;
}

void
sender_abort(struct sender *s, const char *why)
{
	struct bulk_batch *b, *next;
	unsigned i;

	buf_reset(&s->reason);
	buf_printf(&s->reason, "not acknowledged: %s", why);
	for (i = 0; i < s->c.workers; i++) {
		struct slot *sl = &s->slots[i];

		if (sl->b == NULL)
			continue;
		curl_multi_remove_handle(s->multi, sl->h);
		b = sl->b;
		sl->b = NULL;
		s->inflight--;
		refuse_all(s, b, buf_cstr(&s->reason), NULL, true);
	}
	for (b = s->qhead; b != NULL; b = next) {
		next = b->next;
		refuse_all(s, b, buf_cstr(&s->reason), NULL, true);
	}
	s->qhead = s->qtail = NULL;
	s->queued = 0;
	s->cb.settled(s->cb.arg);
}

static size_t
on_sync_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	n *= size;
	if (b->len + n > RESPONSE_MAX)
		return 0;
	buf_add(b, p, n);
	return n;
}

enum retry_class
sender_request(struct sender *s, const char *method, const char *path,
    const char *body, size_t len, double timeout_s, struct retry_outcome *out,
    struct buf *resp, struct buf *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = s->sync;
	enum retry_class cls;

	buf_reset(&s->url);
	http_url_join(&s->url, s->c.urls[s->rr++ % s->c.nurls], path);
	buf_reset(resp);
	memset(out, 0, sizeof(*out));
	out->level = RETRY_REQUEST;
	s->sync_retry_after = -1;
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
	curl_easy_setopt(h, CURLOPT_URL, buf_cstr(&s->url));
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_sync_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	if (body != NULL) {
		curl_easy_setopt(
		    h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	out->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	out->retry_after_s = s->sync_retry_after;
	cls = retry_classify(out);
	if (cls != RETRY_DONE) {
		buf_printf(err, "%s %s: ", method, path);
		http_error_text(err, out->rc, out->status, errbuf);
	}
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	return cls;
}
