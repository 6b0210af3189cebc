/* SPDX-License-Identifier: MIT */
/* The retry policy: class of an outcome, wait, retry time, Retry-After. */
#include "prelude.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "backoff.h"
#include "retry.h"
#include "timefmt.h"

/* Retry-After beyond this is as good as never; keeps the sums finite. */
#define RETRY_AFTER_MAX_S 31536000.0

void
retry_policy_init(struct retry_policy *p, double max_retry_s,
    double backoff_max_s, double timeout_s)
{
	double cap = backoff_max_s * 1000;

	p->max_s = max_retry_s;
	p->timeout_s = timeout_s;
	p->cap_ms = cap >= 1 ? (unsigned)cap : 1;
	p->base_ms = p->cap_ms < 100 ? p->cap_ms : 100;
}

enum retry_class
retry_classify(const struct retry_outcome *o)
{
	long st = o->status;

	if (o->level == RETRY_ITEM) {
		if (st >= 200 && st < 300)
			return RETRY_DONE;
		if (st == 408 || st == 429 || st >= 500)
			return RETRY_AGAIN;
		return RETRY_FAIL;
	}
	switch (o->rc) {
	case CURLE_OK:
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_FUNCTION_NOT_FOUND:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_LOGIN_DENIED:
	case CURLE_FILESIZE_EXCEEDED:
		return RETRY_FAIL_ALL;
	default:
		/* refused, reset, timed out, name not resolved (yet),
		 * empty reply: the server or the path to it may come back */
		return RETRY_AGAIN;
	}
	if (st >= 200 && st < 300)
		return RETRY_DONE;
	if (st == 408 || st == 429 || st >= 500 || st == 0)
		return RETRY_AGAIN;
	if (st == 413)
		return RETRY_SPLIT;
	/* wrong credentials: every request would fail the same way */
	if (st == 401 || st == 403)
		return RETRY_FAIL_ALL;
	return RETRY_FAIL;
}

/* Outcomes that another try in a few seconds does not mend when the
 * server never answered: no such name, or not an HTTP server there. */
static bool
not_reachable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_GOT_NOTHING:
	case CURLE_WEIRD_SERVER_REPLY:
		return true;
	default:
		return false;
	}
}

const char *
retry_unreached_hint(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return "is the host name right?";
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "is the proxy's name right? check https_proxy";
	case CURLE_COULDNT_CONNECT:
		return "nothing listens there: is the server running?";
	case CURLE_GOT_NOTHING:
	case CURLE_WEIRD_SERVER_REPLY:
		return "it does not answer HTTP: is it the right port, or "
		       "one for https://?";
	case CURLE_SSL_CONNECT_ERROR:
		return "the TLS handshake failed: is it a port for http://?";
	case CURLE_OPERATION_TIMEDOUT:
		return "no answer: is the host right, or a firewall in the "
		       "way?";
	default:
		return "is the server running, at that address?";
	}
}

double
retry_bound_s(const struct retry_policy *p, double elapsed_s)
{
	double b = p->max_s - elapsed_s;

	if (b < RETRY_MIN_TRY_S)
		b = RETRY_MIN_TRY_S;
	if (p->timeout_s > 0 && b > p->timeout_s)
		b = p->timeout_s;
	return b;
}

struct retry_decision
retry_decide(const struct retry_policy *p, const struct retry_outcome *o,
    unsigned attempt, double elapsed_s, uint64_t rnd)
{
	struct retry_decision d;
	double left, want;

	memset(&d, 0, sizeof(d));
	d.cls = retry_classify(o);
	if (d.cls != RETRY_AGAIN)
		return d;
	left = p->max_s - elapsed_s;
	if (o->level == RETRY_REQUEST && o->never_answered &&
	    o->rc != CURLE_OK) {
		/* never reached: a setting to fix, not an outage */
		if (not_reachable(o->rc) ||
		    (p->connect_s > 0 && elapsed_s >= p->connect_s)) {
			d.cls = RETRY_UNREACHED;
			return d;
		}
		if (p->connect_s > 0 && p->connect_s - elapsed_s < left)
			left = p->connect_s - elapsed_s;
	}
	if (left <= 0) {
		d.cls = RETRY_GIVE_UP;
		return d;
	}
	want = backoff_draw_ms(
		   p->base_ms, p->cap_ms, attempt > 0 ? attempt - 1 : 0, rnd) /
	    1000.0;
	/* the server knows when it will take more: not before that */
	if (o->level == RETRY_REQUEST && o->rc == CURLE_OK &&
	    (o->status == 429 || o->status == 503) && o->retry_after_s >= 0 &&
	    o->retry_after_s >= want) {
		want = o->retry_after_s;
		d.server_asked = true;
	}
	d.wait_s = want < left ? want : left;
	d.timeout_s = retry_bound_s(p, elapsed_s + d.wait_s);
	return d;
}

/* ---- Retry-After */

/* Exactly n digits at *s into *v; moves *s past them. */
static int
digits(const char **s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		*v = *v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return 0;
}

static int
month(const char **s, int *m)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(*s, names + 3 * i, 3) == 0) {
			*m = i + 1;
			*s += 3;
			return 0;
		}
	return -1;
}

static int
expect(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return -1;
	*s += n;
	return 0;
}

/* "HH:MM:SS" */
static int
clock_time(const char **s, int *h, int *mi, int *sec)
{
	if (digits(s, 2, h) < 0 || expect(s, ":") < 0 || digits(s, 2, mi) < 0 ||
	    expect(s, ":") < 0 || digits(s, 2, sec) < 0)
		return -1;
	return 0;
}

/* One of the three HTTP-date forms in the NUL-terminated s. */
static int
http_date(const char *s, time_t now, time_t *out)
{
	const char *p = s;
	int y, mo, d, h, mi, sec;
	char iso[32];
	int64_t ms;
	int n;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	if (p == s)
		return -1;
	if (expect(&p, ", ") == 0) {
		if (digits(&p, 2, &d) < 0)
			return -1;
		if (*p == ' ') {
			/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
			if (expect(&p, " ") < 0 || month(&p, &mo) < 0 ||
			    expect(&p, " ") < 0 || digits(&p, 4, &y) < 0)
				return -1;
		} else {
			/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a year
			 * more than 50 years ahead is in the past century */
			struct tm tm;
			int cy;

			if (expect(&p, "-") < 0 || month(&p, &mo) < 0 ||
			    expect(&p, "-") < 0 || digits(&p, 2, &y) < 0 ||
			    gmtime_r(&now, &tm) == NULL)
				return -1;
			cy = tm.tm_year + 1900;
			y += cy - cy % 100;
			if (y > cy + 50)
				y -= 100;
		}
		if (expect(&p, " ") < 0 || clock_time(&p, &h, &mi, &sec) < 0 ||
		    expect(&p, " GMT") < 0)
			return -1;
	} else {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (expect(&p, " ") < 0 || month(&p, &mo) < 0 ||
		    expect(&p, " ") < 0)
			return -1;
		if (*p == ' ') {
			p++;
			if (digits(&p, 1, &d) < 0)
				return -1;
		} else if (digits(&p, 2, &d) < 0) {
			return -1;
		}
		if (expect(&p, " ") < 0 || clock_time(&p, &h, &mi, &sec) < 0 ||
		    expect(&p, " ") < 0 || digits(&p, 4, &y) < 0)
			return -1;
	}
	if (*p != '\0')
		return -1;
	n = snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo,
	    d, h, mi, sec);
	if (n < 0 || (size_t)n >= sizeof(iso) ||
	    time_parse_string(iso, (size_t)n, &ms) != TIME_OK)
		return -1;
	*out = (time_t)(ms / 1000);
	return 0;
}

int
retry_after_parse(const char *p, size_t n, time_t now, double *out)
{
	char tmp[64];
	double v = 0;
	time_t t;
	size_t i;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 &&
	    (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' ||
		p[n - 1] == '\n'))
		n--;
	if (n == 0)
		return -1;
	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		if (v < RETRY_AFTER_MAX_S)
			v = v * 10 + (p[i] - '0');
	if (i == n) {
		*out = v < RETRY_AFTER_MAX_S ? v : RETRY_AFTER_MAX_S;
		return 0;
	}
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (http_date(tmp, now, &t) < 0)
		return -1;
	v = difftime(t, now);
	*out = v <= 0 ? 0 : v < RETRY_AFTER_MAX_S ? v : RETRY_AFTER_MAX_S;
	return 0;
}
