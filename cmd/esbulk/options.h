/* SPDX-License-Identifier: MIT */
/* esbulk's command line and environment, merged and checked. */
#ifndef IOTPIPE_ESBULK_OPTIONS_H
#define IOTPIPE_ESBULK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/http.h"
#include "common/opt.h"
#include "bulk.h"

enum gzip_when { GZIP_AUTO, GZIP_ALWAYS, GZIP_NEVER };

struct opts {
	struct common_opts c;
	struct http_url *urls; /* parsed -u / ELASTICSEARCH_URL */
	size_t nurls;
	char **bases; /* urls[i].base, NULL-terminated (borrowed) */
	struct bulk_conf bulk;
	char **id_fields; /* --id split at commas, NULL-terminated */
	const char *pipeline;
	const char *acks;
	const char *template; /* --template FILE or "vehicles" */
	const char *template_name;
	char *owned_name; /* a default template name */
	enum http_auth auth;
	const char *user;
	char *secret; /* freed with secret_free() */
	struct http_tls tls;
	enum gzip_when gzip;
	unsigned compat; /* --compat N, 0: none */
	unsigned long long size, batch_bytes, workers;
	double linger_s, timeout_s, max_retry_s, backoff_max_s;
	double acks_timeout_s; /* --acks: for kcons to open the fifo */
	struct io_opts io; /* --input, --follow */
	double
	    connect_timeout; /* --connect-timeout: the server's first answer */
	char **inputs; /* operands, or {"-", NULL} */
};

/* Parse argv and the environment into o; a problem is a usage_error()
 * (exit 2).  Frees nothing of argv. */
void opts_parse(int argc, char **argv, struct opts *o);
/* Free what opts_parse() allocated; the secret is wiped. */
void opts_free(struct opts *o);

#endif
