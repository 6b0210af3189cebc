/* SPDX-License-Identifier: MIT */
/* json2mqtt's options: what main() runs with. */
#ifndef IOTPIPE_JSON2MQTT_OPTIONS_H
#define IOTPIPE_JSON2MQTT_OPTIONS_H

#include <stdbool.h>

#include "common/mqttopt.h"
#include "common/opt.h"
#include "record.h"

struct opts {
	struct common_opts c;
	struct io_opts io; /* --input, --follow */
	struct mqtt_opts m;
	struct j2m_conf rec;
	const char *template;
	const char *message; /* -m: publish this, not stdin */
	bool retain;
	unsigned long long window;
};

/* Fill o from the command line and MQTT_URL, and check it; a usage error
 * exits 2.  o->m.qos is -q's QoS. */
void opts_parse(int argc, char **argv, struct opts *o);

#endif
