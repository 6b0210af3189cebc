/* SPDX-License-Identifier: MIT */
/* vnorm's options: what main() runs with. */
#ifndef IOTPIPE_VNORM_OPTIONS_H
#define IOTPIPE_VNORM_OPTIONS_H

#include <stdbool.h>

#include "common/opt.h"

struct opts {
	struct common_opts c;
	struct io_opts io; /* --input --follow --output --reopen-timeout */
	bool drop_unknown, es_id, vin_from_topic;
	long long merge_ms; /* 0: 1:1 mode */
	char **inputs; /* the operands, or {"-", NULL} */
};

/* Fill o from the command line; a usage error exits 2. */
void opts_parse(int argc, char **argv, struct opts *o);

#endif
