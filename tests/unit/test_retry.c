/* SPDX-License-Identifier: MIT */
/* Unit tests for common/retry: classes, waits, the retry time, Retry-After. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/retry.h"

/* cmocka's assert_float_equal() compares floats: too coarse for seconds */
#define assert_near(a, b)                                                      \
	do {                                                                   \
		double a_ = (a), b_ = (b);                                     \
		if (a_ - b_ > 1e-9 || b_ - a_ > 1e-9)                          \
			fail_msg("%s is %.9f, not %.9f", #a, a_, b_);          \
	} while (0)

/* Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110 */
#define NOW ((time_t)784111777)

static const struct retry_policy esbulk_defaults = {
    .max_s = 300, .timeout_s = 60, .base_ms = 100, .cap_ms = 30000};

static enum retry_class
request(CURLcode rc, long status)
{
	struct retry_outcome o = {RETRY_REQUEST, rc, status, -1, false};

	return retry_classify(&o);
}

static enum retry_class
item(long status)
{
	struct retry_outcome o = {RETRY_ITEM, CURLE_OK, status, -1, false};

	return retry_classify(&o);
}

static void
test_classify_requests(void **state)
{
	(void)state;
	assert_int_equal(request(CURLE_OK, 200), RETRY_DONE);
	assert_int_equal(request(CURLE_OK, 201), RETRY_DONE);
	assert_int_equal(request(CURLE_OK, 429), RETRY_AGAIN);
	assert_int_equal(request(CURLE_OK, 502), RETRY_AGAIN);
	assert_int_equal(request(CURLE_OK, 503), RETRY_AGAIN);
	assert_int_equal(request(CURLE_OK, 408), RETRY_AGAIN);
	assert_int_equal(request(CURLE_OK, 0), RETRY_AGAIN);
	assert_int_equal(request(CURLE_OK, 400), RETRY_FAIL);
	assert_int_equal(request(CURLE_OK, 404), RETRY_FAIL);
	assert_int_equal(request(CURLE_OK, 301), RETRY_FAIL);
	assert_int_equal(request(CURLE_OK, 401), RETRY_FAIL_ALL);
	assert_int_equal(request(CURLE_OK, 403), RETRY_FAIL_ALL);
	assert_int_equal(request(CURLE_OK, 413), RETRY_SPLIT);
	assert_int_equal(request(CURLE_COULDNT_CONNECT, 0), RETRY_AGAIN);
	assert_int_equal(request(CURLE_OPERATION_TIMEDOUT, 0), RETRY_AGAIN);
	assert_int_equal(request(CURLE_RECV_ERROR, 0), RETRY_AGAIN);
	assert_int_equal(request(CURLE_GOT_NOTHING, 0), RETRY_AGAIN);
	assert_int_equal(request(CURLE_WRITE_ERROR, 200), RETRY_AGAIN);
	assert_int_equal(
	    request(CURLE_PEER_FAILED_VERIFICATION, 0), RETRY_FAIL_ALL);
	assert_int_equal(request(CURLE_SSL_CACERT_BADFILE, 0), RETRY_FAIL_ALL);
	assert_int_equal(request(CURLE_URL_MALFORMAT, 0), RETRY_FAIL_ALL);
}

static void
test_classify_items(void **state)
{
	(void)state;
	assert_int_equal(item(200), RETRY_DONE);
	assert_int_equal(item(201), RETRY_DONE);
	assert_int_equal(item(429), RETRY_AGAIN);
	assert_int_equal(item(408), RETRY_AGAIN);
	assert_int_equal(item(500), RETRY_AGAIN);
	assert_int_equal(item(503), RETRY_AGAIN);
	assert_int_equal(item(400), RETRY_FAIL);
	assert_int_equal(item(404), RETRY_FAIL);
	assert_int_equal(item(409), RETRY_FAIL);
	/* what stops a whole request only refuses one item */
	assert_int_equal(item(401), RETRY_FAIL);
	assert_int_equal(item(413), RETRY_FAIL);
	assert_int_equal(item(0), RETRY_FAIL);
}

static void
test_policy_init(void **state)
{
	struct retry_policy p;

	(void)state;
	retry_policy_init(&p, 300, 30, 60);
	assert_int_equal(p.base_ms, 100);
	assert_int_equal(p.cap_ms, 30000);
	assert_true(p.max_s == 300 && p.timeout_s == 60);
	/* a --backoff-max below 100 ms is the first ceiling too */
	retry_policy_init(&p, 1, 0.05, 1);
	assert_int_equal(p.base_ms, 50);
	assert_int_equal(p.cap_ms, 50);
	retry_policy_init(&p, 1, 0.0001, 1);
	assert_int_equal(p.base_ms, 1);
	assert_int_equal(p.cap_ms, 1);
}

static void
test_backoff_waits(void **state)
{
	struct retry_outcome o = {
	    RETRY_REQUEST, CURLE_COULDNT_CONNECT, 0, -1, false};
	struct retry_decision d;

	(void)state;
	/* try 1: uniform in [0, 100] ms */
	d = retry_decide(&esbulk_defaults, &o, 1, 0, 100);
	assert_int_equal(d.cls, RETRY_AGAIN);
	assert_near(d.wait_s, 0.100);
	assert_false(d.server_asked);
	d = retry_decide(&esbulk_defaults, &o, 1, 0, UINT64_MAX);
	assert_near(d.wait_s, (double)(UINT64_MAX % 101) / 1000);
	/* try 3: the ceiling has doubled twice */
	d = retry_decide(&esbulk_defaults, &o, 3, 0, 400);
	assert_near(d.wait_s, 0.400);
	d = retry_decide(&esbulk_defaults, &o, 3, 0, 401);
	assert_near(d.wait_s, 0);
	/* try 20: capped at --backoff-max */
	d = retry_decide(&esbulk_defaults, &o, 20, 0, 30000);
	assert_near(d.wait_s, 30);
	/* the next try gets --timeout while the retry time lasts */
	assert_near(d.timeout_s, 60);
	/* an item 429 waits the same way */
	o.level = RETRY_ITEM;
	o.rc = CURLE_OK;
	o.status = 429;
	d = retry_decide(&esbulk_defaults, &o, 2, 10, 150);
	assert_int_equal(d.cls, RETRY_AGAIN);
	assert_near(d.wait_s, 0.150);
}

static void
test_retry_after(void **state)
{
	struct retry_outcome o = {RETRY_REQUEST, CURLE_OK, 503, 5, false};
	struct retry_decision d;

	(void)state;
	d = retry_decide(&esbulk_defaults, &o, 1, 0, 50);
	assert_int_equal(d.cls, RETRY_AGAIN);
	assert_near(d.wait_s, 5);
	assert_true(d.server_asked);
	o.status = 429;
	d = retry_decide(&esbulk_defaults, &o, 1, 0, 50);
	assert_near(d.wait_s, 5);
	assert_true(d.server_asked);
	/* a longer backoff wait wins: Retry-After is "not before" */
	d = retry_decide(&esbulk_defaults, &o, 20, 0, 7000);
	assert_near(d.wait_s, 7);
	assert_false(d.server_asked);
	/* Retry-After: 0 is honoured as "now or later" */
	o.retry_after_s = 0;
	d = retry_decide(&esbulk_defaults, &o, 1, 0, 0);
	assert_near(d.wait_s, 0);
	/* only 429 and 503 */
	o.retry_after_s = 5;
	o.status = 500;
	d = retry_decide(&esbulk_defaults, &o, 1, 0, 50);
	assert_near(d.wait_s, 0.050);
	assert_false(d.server_asked);
	o.status = 502;
	d = retry_decide(&esbulk_defaults, &o, 1, 0, 50);
	assert_near(d.wait_s, 0.050);
	/* none: the backoff */
	o.status = 503;
	o.retry_after_s = -1;
	d = retry_decide(&esbulk_defaults, &o, 1, 0, 50);
	assert_near(d.wait_s, 0.050);
	assert_false(d.server_asked);
	/* items carry no header */
	o.level = RETRY_ITEM;
	o.status = 429;
	o.retry_after_s = 5;
	d = retry_decide(&esbulk_defaults, &o, 1, 0, 50);
	assert_near(d.wait_s, 0.050);
}

static void
test_retry_time_bounds_the_wait(void **state)
{
	struct retry_policy p = {
	    .max_s = 10, .timeout_s = 60, .base_ms = 100, .cap_ms = 30000};
	struct retry_outcome o = {RETRY_REQUEST, CURLE_OK, 503, 3600, false};
	struct retry_decision d;

	(void)state;
	/* Retry-After beyond the retry time: wait what is left, no more */
	d = retry_decide(&p, &o, 1, 8, 0);
	assert_int_equal(d.cls, RETRY_AGAIN);
	assert_near(d.wait_s, 2);
	assert_true(d.server_asked);
	/* and the last try, at the end, takes the least a try may take */
	assert_near(d.timeout_s, RETRY_MIN_TRY_S);
	/* a backoff wait too */
	o.retry_after_s = -1;
	d = retry_decide(&p, &o, 20, 9.95, 29999);
	assert_near(d.wait_s, 0.05);
	/* a try after a short wait gets what is left, not --timeout */
	d = retry_decide(&p, &o, 1, 2, 100);
	assert_near(d.wait_s, 0.1);
	assert_near(d.timeout_s, 7.9);
}

static void
test_give_up(void **state)
{
	struct retry_policy p = {
	    .max_s = 10, .timeout_s = 60, .base_ms = 100, .cap_ms = 30000};
	struct retry_outcome o = {
	    RETRY_REQUEST, CURLE_COULDNT_CONNECT, 0, -1, false};
	struct retry_decision d;

	(void)state;
	d = retry_decide(&p, &o, 5, 10, 0);
	assert_int_equal(d.cls, RETRY_GIVE_UP);
	d = retry_decide(&p, &o, 5, 12.5, 0);
	assert_int_equal(d.cls, RETRY_GIVE_UP);
	d = retry_decide(&p, &o, 5, 9.999, 0);
	assert_int_equal(d.cls, RETRY_AGAIN);
	o.level = RETRY_ITEM;
	o.rc = CURLE_OK;
	o.status = 429;
	d = retry_decide(&p, &o, 5, 11, 0);
	assert_int_equal(d.cls, RETRY_GIVE_UP);
	/* --max-retry-time 0: no retry at all */
	p.max_s = 0;
	d = retry_decide(&p, &o, 1, 0, 0);
	assert_int_equal(d.cls, RETRY_GIVE_UP);
	/* outcomes that are not retried do not care about the time */
	o.status = 400;
	d = retry_decide(&p, &o, 5, 11, 0);
	assert_int_equal(d.cls, RETRY_FAIL);
	o.status = 201;
	d = retry_decide(&p, &o, 5, 11, 0);
	assert_int_equal(d.cls, RETRY_DONE);
	o.level = RETRY_REQUEST;
	o.status = 413;
	d = retry_decide(&p, &o, 5, 11, 0);
	assert_int_equal(d.cls, RETRY_SPLIT);
	o.status = 401;
	d = retry_decide(&p, &o, 5, 11, 0);
	assert_int_equal(d.cls, RETRY_FAIL_ALL);
}

static void
test_bound(void **state)
{
	struct retry_policy p = esbulk_defaults;

	(void)state;
	assert_near(retry_bound_s(&p, 0), 60);
	assert_near(retry_bound_s(&p, 290), 10);
	assert_near(retry_bound_s(&p, 299.5), RETRY_MIN_TRY_S);
	assert_near(retry_bound_s(&p, 400), RETRY_MIN_TRY_S);
	p.timeout_s = 0.5;
	assert_near(retry_bound_s(&p, 299.5), 0.5);
	p.timeout_s = 0;
	assert_near(retry_bound_s(&p, 100), 200);
}

static double
after(const char *s)
{
	double v = -2;

	if (retry_after_parse(s, strlen(s), NOW, &v) < 0)
		return -1;
	return v;
}

static void
test_retry_after_seconds(void **state)
{
	(void)state;
	assert_near(after("120"), 120);
	assert_near(after("0"), 0);
	assert_near(after(" 7\r\n"), 7);
	assert_near(after("\t3 "), 3);
	assert_near(after("99999999999999999999999"), 31536000);
	assert_near(after(""), -1);
	assert_near(after(" \r\n"), -1);
	assert_near(after("-5"), -1);
	assert_near(after("+5"), -1);
	assert_near(after("1.5"), -1);
	assert_near(after("5 s"), -1);
	assert_near(after("soon"), -1);
}

static void
test_retry_after_dates(void **state)
{
	(void)state;
	/* IMF-fixdate, the form servers send */
	assert_near(after("Sun, 06 Nov 1994 08:49:47 GMT"), 10);
	assert_near(after(" Sun, 06 Nov 1994 08:51:37 GMT\r\n"), 120);
	assert_near(after("Mon, 07 Nov 1994 08:49:37 GMT"), 86400);
	/* in the past: now */
	assert_near(after("Sun, 06 Nov 1994 08:49:30 GMT"), 0);
	assert_near(after("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	/* the obsolete forms recipients must read */
	assert_near(after("Sunday, 06-Nov-94 08:49:40 GMT"), 3);
	assert_near(after("Sun Nov  6 08:49:42 1994"), 5);
	assert_near(after("Sun Nov 16 08:49:37 1994"), 864000);
	/* not dates */
	assert_near(after("Sun, 06 Nov 1994 08:49:47 UTC"), -1);
	assert_near(after("Sun, 06 Nov 1994 08:49:47"), -1);
	assert_near(after("Sun, 06 Nov 1994 08:49:47 GMT later"), -1);
	assert_near(after("Sun, 31 Feb 1994 08:49:47 GMT"), -1);
	assert_near(after("Sun, 06 Nox 1994 08:49:47 GMT"), -1);
	assert_near(after("Sun, 6 Nov 1994 08:49:47 GMT"), -1);
	assert_near(after("Sun, 06 Nov 1994 24:49:47 GMT"), -1);
	assert_near(after("Sun Nov 6 08:49:42 1994"), -1);
	assert_near(after("06 Nov 1994 08:49:47 GMT"), -1);
	assert_near(
	    after(
		"Sun, 06 Nov 1994 08:49:47 GMT Sun, 06 Nov 1994 08:49:47 GMT"),
	    -1);
}

/* Never connected is a setting to fix, not an outage to ride out. */
static void
test_never_answered(void **state)
{
	struct retry_policy p = esbulk_defaults;
	struct retry_outcome o = {
	    RETRY_REQUEST, CURLE_COULDNT_CONNECT, 0, -1, true};
	struct retry_decision d;

	(void)state;
	p.connect_s = 10;
	/* refused: tried until --connect-timeout, the waits end by then */
	d = retry_decide(&p, &o, 5, 9.5, 30000);
	assert_int_equal(d.cls, RETRY_AGAIN);
	assert_true(d.wait_s <= 0.5 + 1e-9);
	d = retry_decide(&p, &o, 9, 10, 0);
	assert_int_equal(d.cls, RETRY_UNREACHED);
	assert_non_null(strstr(retry_unreached_hint(o.rc), "nothing listens"));
	/* a name that does not resolve, or no HTTP there: at once */
	o.rc = CURLE_COULDNT_RESOLVE_HOST;
	assert_int_equal(retry_decide(&p, &o, 1, 0, 0).cls, RETRY_UNREACHED);
	o.rc = CURLE_GOT_NOTHING;
	assert_int_equal(retry_decide(&p, &o, 1, 0, 0).cls, RETRY_UNREACHED);
	assert_non_null(strstr(retry_unreached_hint(o.rc), "HTTP"));
	/* once the server answered, the long retries are back */
	o.never_answered = false;
	assert_int_equal(retry_decide(&p, &o, 1, 0, 0).cls, RETRY_AGAIN);
	o.rc = CURLE_COULDNT_CONNECT;
	assert_int_equal(retry_decide(&p, &o, 9, 200, 0).cls, RETRY_AGAIN);
	/* an answer is not "never answered", whatever the flag says */
	o.never_answered = true;
	o.rc = CURLE_OK;
	o.status = 503;
	assert_int_equal(retry_decide(&p, &o, 9, 200, 0).cls, RETRY_AGAIN);
	/* no connect time: as before */
	p.connect_s = 0;
	o.rc = CURLE_COULDNT_CONNECT;
	o.status = 0;
	assert_int_equal(retry_decide(&p, &o, 9, 200, 0).cls, RETRY_AGAIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify_requests),
	    cmocka_unit_test(test_classify_items),
	    cmocka_unit_test(test_policy_init),
	    cmocka_unit_test(test_backoff_waits),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_retry_time_bounds_the_wait),
	    cmocka_unit_test(test_give_up),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_never_answered),
	    cmocka_unit_test(test_retry_after_seconds),
	    cmocka_unit_test(test_retry_after_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
