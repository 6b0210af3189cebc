/* SPDX-License-Identifier: MIT */
/* Unit tests for common/http: URLs, auth headers, retry classes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/http.h"

static void
test_url_parse(void **state)
{
	struct http_url u;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(http_url_parse("http://localhost:9200/", &u, &err), 0);
	assert_string_equal(u.base, "http://localhost:9200");
	assert_null(u.user);
	assert_false(u.tls);
	assert_true(u.loopback);
	http_url_free(&u);

	/* no scheme: http, as miku/esbulk does */
	assert_int_equal(http_url_parse("es.example:9200", &u, &err), 0);
	assert_string_equal(u.base, "http://es.example:9200");
	assert_false(u.loopback);
	http_url_free(&u);

	/* userinfo leaves the base; the password is decoded, never in base */
	assert_int_equal(
	    http_url_parse("HTTPS://elastic:p%40ss:w@10.0.0.1/es//", &u, &err),
	    0);
	assert_string_equal(u.base, "https://10.0.0.1/es");
	assert_string_equal(u.user, "elastic");
	assert_string_equal(u.password, "p@ss:w");
	assert_true(u.tls);
	http_url_free(&u);

	assert_int_equal(http_url_parse("http://[::1]:9201", &u, &err), 0);
	assert_true(u.loopback);
	assert_string_equal(u.base, "http://[::1]:9201");
	http_url_free(&u);
	assert_int_equal(http_url_parse("http://127.0.0.5", &u, &err), 0);
	assert_true(u.loopback);
	http_url_free(&u);
	assert_int_equal(http_url_parse("http://127.example.com", &u, &err), 0);
	assert_false(u.loopback);
	http_url_free(&u);

	assert_int_equal(http_url_parse("ftp://x", &u, &err), -1);
	assert_int_equal(http_url_parse("http://x:99999", &u, &err), -1);
	assert_int_equal(http_url_parse("http://x:9a", &u, &err), -1);
	assert_int_equal(http_url_parse("http://x/?a=1", &u, &err), -1);
	assert_int_equal(http_url_parse("http://u:secret@", &u, &err), -1);
	assert_int_equal(http_url_parse("http://u:%zz@h", &u, &err), -1);
	assert_int_equal(http_url_parse("", &u, &err), -1);
	/* no message holds the password */
	assert_null(strstr(buf_cstr(&err), "secret"));
	assert_null(strstr(buf_cstr(&err), "%zz"));
	buf_free(&err);
}

static void
test_join(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	http_url_join(&b, "http://h:1/p", "/_bulk?x=1");
	assert_string_equal(buf_cstr(&b), "http://h:1/p/_bulk?x=1");
	buf_free(&b);
}

static void
test_auth(void **state)
{
	struct buf b = BUF_INIT;
	enum http_auth a;

	(void)state;
	http_auth_header(&b, HTTP_AUTH_BASIC, "elastic", "changeme");
	assert_string_equal(
	    buf_cstr(&b), "Authorization: Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");
	buf_reset(&b);
	http_auth_header(&b, HTTP_AUTH_APIKEY, NULL, "VnVhQ2ZHY0JDZGJrUW0=");
	assert_string_equal(
	    buf_cstr(&b), "Authorization: ApiKey VnVhQ2ZHY0JDZGJrUW0=");
	buf_reset(&b);
	http_auth_header(&b, HTTP_AUTH_BEARER, NULL, "tok");
	assert_string_equal(buf_cstr(&b), "Authorization: Bearer tok");
	buf_reset(&b);
	http_auth_header(&b, HTTP_AUTH_NONE, "u", "p");
	assert_int_equal(b.len, 0);
	assert_int_equal(http_auth_parse("apikey", &a), 0);
	assert_int_equal(a, HTTP_AUTH_APIKEY);
	assert_int_equal(http_auth_parse("digest", &a), -1);
	assert_string_equal(http_auth_name(HTTP_AUTH_BEARER), "bearer");
	buf_free(&b);
}

static void
test_error_text(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	http_error_text(&b, CURLE_OK, 503, NULL);
	assert_string_equal(buf_cstr(&b), "HTTP 503");
	buf_reset(&b);
	http_error_text(&b, CURLE_COULDNT_CONNECT, 0,
	    "Failed to connect to 127.0.0.1 port 1: Connection refused\n");
	assert_string_equal(buf_cstr(&b),
	    "Failed to connect to 127.0.0.1 port 1: Connection refused");
	buf_reset(&b);
	http_error_text(&b, CURLE_COULDNT_CONNECT, 0, "");
	assert_string_equal(buf_cstr(&b), "Couldn't connect to server");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_parse),
	    cmocka_unit_test(test_join),
	    cmocka_unit_test(test_auth),
	    cmocka_unit_test(test_error_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
