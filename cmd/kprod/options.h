/* SPDX-License-Identifier: MIT */
/* kprod's options: what main() runs with. */
#ifndef IOTPIPE_KPROD_OPTIONS_H
#define IOTPIPE_KPROD_OPTIONS_H

#include "common/kafkaopt.h"
#include "common/opt.h"
#include "record.h"

struct opts {
	struct common_opts c;
	struct io_opts io; /* --input, --follow */
	struct kafka_opts k;
	struct kp_conf rec;
	struct kp_header *headers; /* -H */
	unsigned long long count; /* -c; 0: no limit */
	double flush_timeout;
	const char *receipts;
};

/* librdkafka settings that differ from its defaults; -X wins. */
extern const struct kafka_default kp_defaults[];

/* Fill o from the command line; a usage error exits 2. */
void kp_parse_args(int argc, char **argv, struct opts *o);

#endif
