/* SPDX-License-Identifier: MIT */
/* mqtt2json's subscriptions: -t filters with their QoS, -T filters. */
#ifndef IOTPIPE_MQTT2JSON_SUBS_H
#define IOTPIPE_MQTT2JSON_SUBS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct mosquitto;

struct sub {
	char *filter; /* owned: the -t argument without its "@qos" */
	int qos; /* -1: the -q default */
	int mid; /* of the last SUBSCRIBE */
	bool refused;
};

struct subs {
	struct sub *v;
	size_t n;
	const char **skip; /* -T filters, borrowed from argv */
	size_t nskip;
	size_t refused; /* filters the broker refused */
};

/*
 * Add a -t argument: a topic filter, optionally ending in "@0", "@1" or
 * "@2" for a QoS of its own ("a@1@2" is filter "a@1" at QoS 2).  0, or -1
 * with "invalid topic filter 'x'" appended to err.
 */
int subs_add(struct subs *s, const char *arg, struct buf *err);

/* Add a -T filter (borrowed).  0, or -1 with the reason in err. */
int subs_add_skip(struct subs *s, const char *filter, struct buf *err);

/* True when topic matches one of the -T filters. */
bool subs_skipped(const struct subs *s, const char *topic);

/* Send a SUBSCRIBE for each filter; options are MQTT 5 subscribe
 * options (0 for MQTT 3).  Failures to queue one are logged. */
void subs_subscribe(
    struct subs *s, struct mosquitto *mosq, int default_qos, int options);

/*
 * The broker's answer to SUBSCRIBE mid: granted is a QoS or a reason code
 * of 128 and above.  Logs the outcome.  Returns true when every filter is
 * now refused (nothing can arrive).
 */
bool subs_suback(struct subs *s, int mid, int granted);

/* Free what s owns; s is then empty. */
void subs_free(struct subs *s);

#endif
