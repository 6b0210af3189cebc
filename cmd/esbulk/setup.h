/* SPDX-License-Identifier: MIT */
/* esbulk before the first batch: which server, the template, the headers. */
#ifndef IOTPIPE_ESBULK_SETUP_H
#define IOTPIPE_ESBULK_SETUP_H

#include <stdbool.h>

#include <curl/curl.h>

#include "common/arena.h"
#include "options.h"
#include "sender.h"
#include "server.h"

/* What the setup requests need; all borrowed. */
struct setup {
	const struct opts *o;
	struct sender *snd;
	struct arena *arena;
};

/*
 * GET / (with retries as documents get them, up to --max-retry-time):
 * which server and version.  A 4xx other than 401 leaves the defaults
 * (Elasticsearch 8, with a warning).  Returns 0, 1 on failure, or -1
 * when a signal stopped it while it retried; either said on stderr.
 */
int setup_detect(const struct setup *r, struct es_server *srv);

/* PUT the --template; same returns. */
int setup_template(const struct setup *r, const struct es_server *srv);

/*
 * The headers of every request: content type (NDJSON for _bulk, JSON
 * otherwise, or the --compat types), no "Expect: 100-continue", gzip,
 * and the Authorization line.  Caller frees with curl_slist_free_all();
 * it holds the secret.
 */
struct curl_slist *setup_headers(const struct opts *o, bool ndjson, bool gzip);

/* --gzip=auto: compress unless every server is on the loopback. */
bool setup_want_gzip(const struct opts *o);

#endif
