/* SPDX-License-Identifier: MIT */
/* kcons's options: what main() runs with. */
#ifndef IOTPIPE_KCONS_OPTIONS_H
#define IOTPIPE_KCONS_OPTIONS_H

#include "kcons.h"

/* Fill o from the command line and check it; a usage error exits 2. */
void kc_parse_args(int argc, char **argv, struct kc_opts *o);
/* Free what kc_parse_args() allocated. */
void kc_opts_free(struct kc_opts *o);

#endif
