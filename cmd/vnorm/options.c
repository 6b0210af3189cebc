/* SPDX-License-Identifier: MIT */
/* vnorm's command line. */
#include "common/prelude.h"

#include <stdbool.h>
#include <string.h>

#include "common/log.h"
#include "common/opt.h"
#include "common/options.h"
#include "options.h"

#define DEFAULT_MERGE_MS 1000

enum {
	OPT_DROP_UNKNOWN = OPT_OWN,
	OPT_ES_ID,
	OPT_MERGE,
	OPT_VIN_FROM_TOPIC,
};

/* clang-format off */
static const struct opt_row rows[] = {
	OPT_FLAG(OPT_DROP_UNKNOWN, "drop-unknown",
	    "drop unknown fields instead of keeping them under \"extra\""),
	OPT_FLAG(OPT_ES_ID, "es-id",
	    "add a deterministic Elasticsearch id as @metadata.es._id"),
	OPT_OPTARG(OPT_MERGE, "merge", "ms", "1000",
	    "merge one vehicle's messages within ms into snapshots"),
	OPT_FLAG(OPT_VIN_FROM_TOPIC, "vin-from-topic",
	    "take a missing VIN from the last segment of the MQTT topic"),
	OPT_SET(opt_rows_basic),
	OPT_SET(common_opt_rows),
	OPT_SET(metrics_opt_rows),
	OPT_SET(io_input_rows),
	OPT_SET(io_output_rows),
	OPT_END,
};
/* clang-format on */

/* What --help says besides the options. */
static const struct opt_help help = {
    .about = "normalize vehicle telemetry in an NDJSON stream",
    .examples =
	"vnorm --rejects rejects.ndjson raw.ndjson > docs.ndjson\n"
	"mqtt2json -m -t 'connectedcar/#' | vnorm --merge | kprod -t telemetry",
};

void
opts_parse(int argc, char **argv, struct opts *o)
{
	struct opt_parser p;
	const char *errstr;
	unsigned long long v;
	int c, first;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	io_opts_init(&o->io);
	opt_init(&p, "vnorm", rows, "[file ...]", argc, argv);
	p.help = &help;
	while ((c = opt_next(&p)) != -1) {
		if (common_opt_take(&p, &o->c) || io_opt_take(&p, &o->io))
			continue;
		switch (c) {
		case OPT_DROP_UNKNOWN:
			o->drop_unknown = true;
			break;
		case OPT_ES_ID:
			o->es_id = true;
			break;
		case OPT_MERGE:
			o->merge_ms = DEFAULT_MERGE_MS;
			if (p.arg != NULL) {
				if (parse_uint_range(
					p.arg, 1, 86400000, &v, &errstr) < 0)
					opt_bad_value(&p, errstr, "window",
					    "milliseconds, 1-86400000");
				o->merge_ms = (long long)v;
			}
			break;
		case OPT_VIN_FROM_TOPIC:
			o->vin_from_topic = true;
			break;
		default:
			opt_unhandled(&p);
		}
	}
	o->c.verbosity = p.verbosity;
	first = opt_end(&p);
	o->inputs = io_inputs(&o->io, argv + first, argc - first);
}
