/* SPDX-License-Identifier: MIT */
/*
 * The retry policy of the HTTP tools, in one place: what an outcome is
 * (done, worth another try, refused for good), how long to wait before
 * the next try (capped exponential backoff with full jitter, or longer
 * when a 429 or 503 says Retry-After), when to give up (--max-retry-time)
 * and how long the next try may take.  retry_decide() answers all of it
 * for a whole request and for one item of a _bulk response alike.
 *
 * Pure: no clock, no I/O, no libcurl calls (only its result codes), so
 * it links without libcurl and the unit tests drive it with made-up
 * outcomes, times and random bits.
 */
#ifndef IOTPIPE_RETRY_H
#define IOTPIPE_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

/* A try may take at least this long, even at the end of the retry time. */
#define RETRY_MIN_TRY_S 1.0

enum retry_level {
	RETRY_REQUEST, /* a whole request: curl's result and HTTP status */
	RETRY_ITEM, /* one item of a _bulk response: its status alone */
};

/* What came back from one try. */
struct retry_outcome {
	enum retry_level level;
	CURLcode rc; /* CURLE_OK when the server answered (requests) */
	long status; /* the HTTP status; 0 when there was none */
	double retry_after_s; /* Retry-After, in seconds from now; < 0: none */
	bool never_answered; /* requests: no server answered this process
			      * yet, so a failure to reach one is a setting,
			      * not an outage (see retry_decide()) */
};

enum retry_class {
	RETRY_DONE, /* 2xx */
	RETRY_AGAIN, /* worth another try: transport errors, 408, 429, 5xx */
	RETRY_SPLIT, /* 413 to a request: too large, send it in parts */
	RETRY_FAIL, /* will fail again: other 4xx; any other item status */
	RETRY_FAIL_ALL, /* every request would fail the same way: 401, 403,
			 * TLS, URL and protocol errors */
	RETRY_GIVE_UP, /* from retry_decide(): worth another try, but the
			* retry time is over */
	RETRY_UNREACHED, /* from retry_decide(): the server never answered
			  * within the connect time, its name does not
			  * resolve, or it does not speak HTTP */
};

/* The settings; esbulk's come from its options. */
struct retry_policy {
	double max_s; /* --max-retry-time: retry for at most this long */
	double timeout_s; /* --timeout: the longest one try takes; 0: none */
	unsigned base_ms; /* ceiling of the first backoff wait */
	unsigned cap_ms; /* --backoff-max: no backoff wait is longer */
	double connect_s; /* --connect-timeout: how long a server that never
			   * answered is tried; 0: as long as max_s */
};

/*
 * Fill p from the options: waits start at 100 ms, or at backoff_max_s
 * when that is shorter, and double up to backoff_max_s.  connect_s is 0:
 * the caller sets it.
 */
void retry_policy_init(struct retry_policy *p, double max_retry_s,
    double backoff_max_s, double timeout_s);

/* The class of an outcome alone, without times: what retry_decide()
 * starts from, and what per-item verdicts need. */
enum retry_class retry_classify(const struct retry_outcome *o);

struct retry_decision {
	enum retry_class cls;
	/* RETRY_AGAIN only: */
	double wait_s; /* before the next try: never past the retry time */
	double timeout_s; /* the longest the next try may take */
	bool server_asked; /* the wait is the server's Retry-After */
};

/*
 * Decide what follows outcome o of try number attempt (1 for the first),
 * elapsed_s seconds after the retry time started (for esbulk's documents:
 * at their first failure; for a request before the first batch: at its
 * first try), with the random bits rnd for the jitter.
 *
 * RETRY_AGAIN comes with the wait: a backoff draw under
 * min(cap, base * 2^(attempt-1)), or the server's Retry-After on a 429
 * or 503 when that is longer, cut to what is left of max_s; and the bound
 * of the next try, retry_bound_s() at the end of the wait.  A retryable
 * outcome when nothing is left of max_s is RETRY_GIVE_UP.  So the last
 * try starts at the end of the retry time at the latest and takes
 * RETRY_MIN_TRY_S at most.
 *
 * Never connected is not an outage: a request outcome with
 * never_answered and no answer at all is RETRY_UNREACHED at once when the
 * name does not resolve or the server does not speak HTTP (an empty or
 * garbled reply), and once elapsed_s reaches connect_s otherwise; until
 * then its waits end by connect_s.  The long retries of max_s are for a
 * server that answered once and went away.
 */
struct retry_decision retry_decide(const struct retry_policy *p,
    const struct retry_outcome *o, unsigned attempt, double elapsed_s,
    uint64_t rnd);

/*
 * For RETRY_UNREACHED: what to check, for curl's result rc ("nothing
 * listens there: is the server running?"); static storage.  The caller
 * adds which option or variable sets the URL.
 */
const char *retry_unreached_hint(CURLcode rc);

/*
 * The longest a try may take when it starts elapsed_s into the retry
 * time: what is left of max_s, at least RETRY_MIN_TRY_S, at most
 * timeout_s.
 */
double retry_bound_s(const struct retry_policy *p, double elapsed_s);

/*
 * Parse the value of a Retry-After header (p[0..n), spaces and CRLF
 * around it allowed): delay-seconds ("120") or an HTTP-date (IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete RFC 850 and asctime
 * forms), taken relative to now.  Returns 0 with the seconds to wait in
 * *out (0 for a date in the past), or -1 when the value is neither.
 */
int retry_after_parse(const char *p, size_t n, time_t now, double *out);

#endif
