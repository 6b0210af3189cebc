/* SPDX-License-Identifier: MIT */
/* esbulk before the first batch: which server, the template, the headers. */
#include "common/prelude.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/backoff.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/sig.h"
#include "common/xalloc.h"
#include "bulk.h"
#include "server.h"
#include "setup.h"

#define TEMPLATE_MAX (16u * 1024 * 1024)

/* Wait until the monotonic time t unless a signal to stop comes.  -1 on
 * a stop. */
static int
nap_until(double t)
{
	struct pollfd pfd = {.fd = sig_fd(), .events = POLLIN};
	double left;

	while (!sig_stop && (left = t - mono_now()) > 0)
		if (poll(&pfd, 1, (int)(left * 1000) + 1) > 0)
			sig_drain();
	return sig_stop ? -1 : 0;
}

/*
 * One setup request with retries, as documents get them
 * (retry_decide()), the retry time counted from the first try.  Returns
 * the class of the last answer (RETRY_GIVE_UP when the time was over);
 * -1 when stopped by a signal, said on stderr.
 */
/* Some request of this process got an HTTP answer. */
static bool server_answered;

static int
setup_request(const struct setup *r, const char *method, const char *path,
    const char *body, size_t len, long *status, struct buf *resp,
    struct buf *err)
{
	const struct retry_policy *p = sender_retry_policy(r->snd);
	struct retry_outcome out;
	struct retry_decision d;
	double t0 = mono_now(), now, timeout = retry_bound_s(p, 0);
	unsigned attempt;
	uint64_t rng;

	backoff_seed(&rng);
	for (attempt = 1;; attempt++) {
		buf_reset(err);
		(void)sender_request(
		    r->snd, method, path, body, len, timeout, &out, resp, err);
		*status = out.status;
		/* until the server first answers, not reaching it is a
		 * setting to fix (--connect-timeout), not an outage */
		out.never_answered = !server_answered;
		if (out.rc == CURLE_OK)
			server_answered = true;
		now = mono_now();
		d = retry_decide(
		    p, &out, attempt, now - t0, backoff_random(&rng));
		if (d.cls == RETRY_GIVE_UP)
			buf_printf(err, ": gave up after %.1f s", now - t0);
		if (d.cls == RETRY_UNREACHED)
			buf_printf(err, ": %s check -u / ELASTICSEARCH_URL%s",
			    retry_unreached_hint(out.rc),
			    out.rc == CURLE_COULDNT_CONNECT ||
				    out.rc == CURLE_OPERATION_TIMEDOUT
				? ", --connect-timeout"
				: "");
		if (d.cls != RETRY_AGAIN)
			return (int)d.cls;
		log_warn("%s: retry in %.1f s%s", buf_cstr(err), d.wait_s,
		    d.server_asked ? " (Retry-After)" : "");
		if (nap_until(now + d.wait_s) < 0) {
			log_err("%s: stopped by a signal while retrying; no "
				"document was sent",
			    buf_cstr(err));
			return -1;
		}
		timeout = d.timeout_s;
	}
}

static void
describe_failure(const struct setup *r, const char *what, long status,
    const struct buf *resp)
{
	struct buf reason = BUF_INIT;
	struct bulk_error e = {0, BUF_INIT, BUF_INIT};

	bulk_request_error(
	    r->arena, status, resp->data, resp->len, &reason, &e);
	log_err("%s: %s", what, buf_cstr(&reason));
	buf_free(&reason);
	bulk_error_free(&e);
}

/* GET /: which server, which version.  0, 1 (failed) or -1 (stopped). */
int
setup_detect(const struct setup *r, struct es_server *srv)
{
	struct buf resp = BUF_INIT, err = BUF_INIT, d = BUF_INIT;
	long status;
	int cls, rc = 0;

	/* assume a current server when GET / is not allowed */
	memset(srv, 0, sizeof(*srv));
	srv->major = 8;
	snprintf(srv->version, sizeof(srv->version), "unknown");
	cls = setup_request(r, "GET", "/", NULL, 0, &status, &resp, &err);
	if (cls < 0) {
		rc = -1;
	} else if (cls == RETRY_DONE) {
		buf_reset(&err);
		if (server_parse_root(
			r->arena, resp.data, resp.len, srv, &err) < 0) {
			log_err("%s: %s", r->o->bases[0], buf_cstr(&err));
			rc = 1;
		}
	} else if (status == 406 && r->o->compat) {
		log_err("GET /: HTTP 406: the server does not take --compat "
			"(OpenSearch and Elasticsearch before 7.11 do not)");
		rc = 1;
	} else if (status >= 400 && status < 500 && status != 401) {
		/* a node without the root endpoint (Elasticsearch's
		 * integ-test-zip, some proxies): ask the nodes API; not
		 * allowed to ask at all (an API key without the monitor
		 * privilege): go on with the defaults */
		long st2 = 0;

		buf_reset(&err);
		if (setup_request(r, "GET",
			"/_nodes/_local?filter_path=nodes.*.version", NULL, 0,
			&st2, &resp, &err) == RETRY_DONE &&
		    server_parse_nodes(r->arena, resp.data, resp.len, srv) == 0)
			log_info("GET /: HTTP %ld: version from the nodes API",
			    status);
		else
			log_warn("GET /: HTTP %ld: cannot tell the server's "
				 "version; assuming Elasticsearch 8 or "
				 "OpenSearch",
			    status);
	} else {
		if (status != 0)
			describe_failure(r, "GET /", status, &resp);
		else
			log_err("%s", buf_cstr(&err));
		rc = 1;
	}
	if (rc == 0) {
		server_describe(srv, &d);
		log_info("%s: %s", r->o->bases[0], buf_cstr(&d));
		if (r->o->compat && srv->opensearch) {
			log_err("--compat: %s takes no compatibility headers",
			    buf_cstr(&d));
			rc = 1;
		}
	}
	buf_free(&resp);
	buf_free(&err);
	buf_free(&d);
	return rc;
}

static int
read_file(const char *path, struct buf *b)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (b->len + (size_t)n > TEMPLATE_MAX) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

/* PUT the index template.  0, 1 (failed) or -1 (stopped). */
int
setup_template(const struct setup *r, const struct es_server *srv)
{
	const struct opts *o = r->o;
	struct buf text = BUF_INIT, body = BUF_INIT, err = BUF_INIT;
	struct buf pattern = BUF_INIT, path = BUF_INIT, resp = BUF_INIT;
	bool builtin = strcmp(o->template, "vehicles") == 0;
	long status;
	int cls, rc = 1;

	if (!builtin && read_file(o->template, &text) < 0) {
		log_err("--template %s: %s", o->template, strerror(errno));
		goto out;
	}
	if (o->bulk.index != NULL)
		template_pattern(o->bulk.index, &pattern);
	if (template_body(r->arena, builtin ? NULL : text.data, text.len,
		pattern.len ? buf_cstr(&pattern) : NULL, srv, &body,
		&err) < 0) {
		log_err("--template %s: %s", o->template, buf_cstr(&err));
		goto out;
	}
	buf_printf(&path, "/%s/%s",
	    server_composable_templates(srv) ? "_index_template" : "_template",
	    o->template_name);
	cls = setup_request(r, "PUT", buf_cstr(&path), body.data, body.len,
	    &status, &resp, &err);
	if (cls < 0) {
		rc = -1;
	} else if (cls != RETRY_DONE && status == 0) {
		log_err("%s", buf_cstr(&err));
	} else if (cls != RETRY_DONE) {
		buf_reset(&err);
		buf_printf(&err, "PUT %s", buf_cstr(&path));
		describe_failure(r, buf_cstr(&err), status, &resp);
	} else {
		log_info("PUT %s: template installed", buf_cstr(&path));
		rc = 0;
	}
out:
	buf_free(&text);
	buf_free(&body);
	buf_free(&err);
	buf_free(&pattern);
	buf_free(&path);
	buf_free(&resp);
	return rc;
}

/* The headers of every request. */
struct curl_slist *
setup_headers(const struct opts *o, bool ndjson, bool gzip)
{
	struct curl_slist *h = NULL;
	struct buf b = BUF_INIT;

	if (o->compat) {
		buf_printf(&b,
		    "Content-Type: application/vnd.elasticsearch+%s;"
		    "compatible-with=%u",
		    ndjson ? "x-ndjson" : "json", o->compat);
		h = curl_slist_append(h, buf_cstr(&b));
		buf_reset(&b);
		buf_printf(&b,
		    "Accept: application/vnd.elasticsearch+json;"
		    "compatible-with=%u",
		    o->compat);
		h = curl_slist_append(h, buf_cstr(&b));
	} else {
		h = curl_slist_append(h,
		    ndjson ? "Content-Type: "
			     "application/x-ndjson"
			   : "Content-Type: "
			     "application/json");
		h = curl_slist_append(h, "Accept: application/json");
	}
	/* no 100-continue round trip before each large body */
	h = curl_slist_append(h, "Expect:");
	if (gzip)
		h = curl_slist_append(h, "Content-Encoding: gzip");
	buf_reset(&b);
	http_auth_header(&b, o->auth, o->user, o->secret);
	if (b.len > 0)
		h = curl_slist_append(h, buf_cstr(&b));
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	if (h == NULL)
		xdie_oom();
	return h;
}

bool
setup_want_gzip(const struct opts *o)
{
	size_t i;

	if (o->gzip != GZIP_AUTO)
		return o->gzip == GZIP_ALWAYS;
	for (i = 0; i < o->nurls; i++)
		if (!o->urls[i].loopback)
			return true;
	return false;
}
