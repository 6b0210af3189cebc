/* SPDX-License-Identifier: MIT */
/*
 * What esbulk needs to know about the server (the answer to GET /) and the
 * index template it installs: pure functions, unit-tested.
 */
#ifndef IOTPIPE_ESBULK_SERVER_H
#define IOTPIPE_ESBULK_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/buf.h"

struct es_server {
	bool opensearch; /* version.distribution is "opensearch" */
	int major, minor; /* of version.number */
	char version[32]; /* version.number as given */
};

/*
 * Read the answer to GET / into out.  Returns 0, or -1 with the reason
 * appended to err when it is not a search engine's root document.
 */
int server_parse_root(struct arena *a, const char *body, size_t len,
    struct es_server *out, struct buf *err);

/*
 * The same from GET /_nodes/_local?filter_path=nodes.*.version
 * ({"nodes":{"<id>":{"version":"8.19.21"}}}), for servers without GET /.
 * Returns 0, or -1 leaving out alone.
 */
int server_parse_nodes(
    struct arena *a, const char *body, size_t len, struct es_server *out);

/* "OpenSearch 2.19.1" or "Elasticsearch 8.19.21", appended to b. */
void server_describe(const struct es_server *s, struct buf *b);

/*
 * Composable index templates (PUT _index_template/NAME) exist from
 * Elasticsearch 7.8 and in every OpenSearch; older servers get a legacy
 * one (PUT _template/NAME).
 */
bool server_composable_templates(const struct es_server *s);

/* The built-in "vehicles" mappings: vnorm's documents (DESIGN: vnorm). */
extern const char template_vehicles_mappings[];

/*
 * The index pattern of a template for -i index: up to the first strftime
 * conversion, then "*" ("vehicles-%Y.%m.%d" -> "vehicles-*"); the name
 * itself when it has none.  Appended to b.
 */
void template_pattern(const char *index, struct buf *b);

/*
 * A default template name for -i index: its literal head without the
 * separators at its end ("vehicles-%Y.%m.%d" -> "vehicles").  Appended
 * to b; nothing when the pattern starts with a conversion.
 */
void template_default_name(const char *index, struct buf *b);

/*
 * The body to PUT for a template.  text/len: the --template FILE's
 * contents, or NULL for the built-in "vehicles" one.  A file may hold a
 * composable template ({"index_patterns":..,"template":{..}}), a legacy
 * one, or just {"settings":..,"mappings":..}: it is turned into what the
 * server takes (composable or legacy; for Elasticsearch 6 the mappings go
 * under "_doc").  pattern (may be NULL) fills in "index_patterns" when the
 * file has none.  Returns 0, or -1 with the reason appended to err.
 */
int template_body(struct arena *a, const char *text, size_t len,
    const char *pattern, const struct es_server *s, struct buf *out,
    struct buf *err);

#endif
