/* SPDX-License-Identifier: MIT */
/* kibana-dash's command line and environment, merged and checked. */
#ifndef KIBANA_DASH_OPTIONS_H
#define KIBANA_DASH_OPTIONS_H

#include <stdbool.h>

#include "common/http.h"
#include "kibana.h"
#include "objects.h"

enum kd_action { KD_IMPORT, KD_DELETE };

struct opts {
	struct kd_conf kd;
	enum kd_action action;
	bool check; /* --check */
	const char *output; /* --output FILE, "-" for stdout, or NULL */
	struct http_url url; /* --kibana-url / KIBANA_URL (not with
			      * --output) */
	const char *space; /* --space */
	const char *tenant; /* --tenant (OSD security plugin) */
	enum kb_flavor flavor; /* --flavor */
	struct http_tls tls;
	enum http_auth auth;
	const char *user;
	char *secret; /* secret_free() */
	double wait_s; /* --wait SECONDS, 0: one try */
	double timeout_s; /* --timeout SECONDS per request */
	double connect_timeout; /* --connect-timeout SECONDS */
	double stats_interval;
	bool stats;
	const char *metrics_file; /* --metrics-file PATH, or NULL */
	int verbosity;
	/* --check: ELASTICSEARCH_URL and its credentials, when given */
	bool es;
	struct http_url es_url;
	enum http_auth es_auth;
	const char *es_user;
	char *es_secret;
};

/* Parse argv and the environment into o; a mistake is a usage_error(). */
void opts_parse(int argc, char **argv, struct opts *o);
void opts_free(struct opts *o);

#endif
