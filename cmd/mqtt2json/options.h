/* SPDX-License-Identifier: MIT */
/* mqtt2json's options: what main() runs with. */
#ifndef IOTPIPE_MQTT2JSON_OPTIONS_H
#define IOTPIPE_MQTT2JSON_OPTIONS_H

#include <stdbool.h>

#include "common/mqttopt.h"
#include "common/opt.h"
#include "format.h"
#include "subs.h"

#define LINGER_MAX_MS 10000

struct opts {
	struct common_opts c;
	struct io_opts io; /* --output, --reopen-timeout */
	struct mqtt_opts m;
	struct subs subs;
	bool no_retained, retained_only, durable;
	bool remove_retained; /* --remove-retained */
	unsigned long long count, expiry;
	bool expiry_set;
	double timeout_s, idle_s;
	unsigned long long linger_ms; /* --linger-ms */
	struct m2j_conf fmt;
	const char *topic_fields;
};

/* Fill o from the command line and MQTT_URL, and check it; a usage error
 * exits 2.  o->m.qos is -q's QoS. */
void opts_parse(int argc, char **argv, struct opts *o);

#endif
