/* SPDX-License-Identifier: MIT */
/* mqtt2json's subscriptions: -t filters with their QoS, -T filters. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "subs.h"

int
subs_add(struct subs *s, const char *arg, struct buf *err)
{
	size_t n = strlen(arg);
	int qos = -1;
	char *filter;

	if (n > 2 && arg[n - 2] == '@' && arg[n - 1] >= '0' &&
	    arg[n - 1] <= '2') {
		qos = arg[n - 1] - '0';
		n -= 2;
	}
	filter = xmemdup(arg, n);
	if (n == 0 || mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS) {
		buf_printf(err, "invalid topic filter '%s'", filter);
		free(filter);
		return -1;
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n].filter = filter;
	s->v[s->n].qos = qos;
	s->v[s->n].mid = 0;
	s->v[s->n].refused = false;
	s->n++;
	return 0;
}

int
subs_add_skip(struct subs *s, const char *filter, struct buf *err)
{
	if (*filter == '\0' ||
	    mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS) {
		buf_printf(err, "invalid topic filter '%s'", filter);
		return -1;
	}
	s->skip = xreallocarray(s->skip, s->nskip + 1, sizeof(*s->skip));
	s->skip[s->nskip++] = filter;
	return 0;
}

bool
subs_skipped(const struct subs *s, const char *topic)
{
	bool match;
	size_t i;

	for (i = 0; i < s->nskip; i++)
		if (mosquitto_topic_matches_sub(s->skip[i], topic, &match) ==
			MOSQ_ERR_SUCCESS &&
		    match)
			return true;
	return false;
}

void
subs_subscribe(
    struct subs *s, struct mosquitto *mosq, int default_qos, int options)
{
	size_t i;
	int qos, rc;

	for (i = 0; i < s->n; i++) {
		qos = s->v[i].qos >= 0 ? s->v[i].qos : default_qos;
		rc = mosquitto_subscribe_v5(
		    mosq, &s->v[i].mid, s->v[i].filter, qos, options, NULL);
		if (rc != MOSQ_ERR_SUCCESS)
			log_err("subscribe %s: %s", s->v[i].filter,
			    mosquitto_strerror(rc));
	}
}

bool
subs_suback(struct subs *s, int mid, int granted)
{
	struct sub *sub = NULL;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].mid == mid)
			sub = &s->v[i];
	if (sub == NULL)
		return false;
	if (granted < 128) {
		log_info("subscribed to %s (QoS %d)", sub->filter, granted);
		return false;
	}
	log_err("subscribe %s: refused by the broker: %s", sub->filter,
	    mosquitto_reason_string(granted));
	if (!sub->refused) {
		sub->refused = true;
		s->refused++;
	}
	return s->refused == s->n;
}

void
subs_free(struct subs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].filter);
	free(s->v);
	free(s->skip);
	memset(s, 0, sizeof(*s));
}
