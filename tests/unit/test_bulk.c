/* SPDX-License-Identifier: MIT */
/* Unit tests for esbulk's pure parts: the _bulk request builder, the
 * per-item response parser, splits, and the server/template helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cmd/esbulk/bulk.h"
#include "cmd/esbulk/server.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "tests/unit/arena_fixture.h"
#include "tests/unit/jquote.h"

static struct bulk_refusal ref;

static int
teardown(void **state)
{
	arena_teardown(state);
	bulk_refusal_free(&ref);
	jquote_free();
	return 0;
}

static struct bulk_conf
conf(const char *index)
{
	struct bulk_conf c;
	struct buf err = BUF_INIT;

	memset(&c, 0, sizeof(c));
	c.index = index;
	c.date_field = "timestamp";
	if (index != NULL)
		assert_int_equal(
		    bulk_index_check(index, &c.index_dated, &err), 0);
	buf_free(&err);
	return c;
}

/* The body built for one line, or "REJECT: reason".  JSON in this file is
 * written with single quotes (tests/unit/jquote.h): assert_build() passes
 * its line and want through J(), other places call J() themselves. */
static char *
build(const struct bulk_conf *c, const char *line)
{
	struct bulk_batch *b = bulk_batch_new();
	char *out;

	if (bulk_add_line(c, b, arena, line, strlen(line), 7, &ref) < 0) {
		struct buf t = BUF_INIT;

		assert_int_equal(b->n, 0);
		assert_int_equal(b->body.len, 0);
		buf_printf(&t, "REJECT: %s", buf_cstr(&ref.reason));
		out = strdup(buf_cstr(&t));
		buf_free(&t);
	} else {
		assert_int_equal(b->n, 1);
		assert_int_equal(b->items[0].lineno, 7);
		out = strdup(buf_cstr(&b->body));
	}
	bulk_batch_free(b);
	return out;
}

/* In a table loop (between table_begin() and table_end()) a failing case
 * is printed and the loop goes on; elsewhere the test stops at it. */
static bool soft;
static int nfail;

static void
table_begin(void)
{
	soft = true;
	nfail = 0;
}

static void
table_end(void)
{
	soft = false;
	if (nfail > 0)
		fail_msg("%d failed cases, printed above", nfail);
}

/* The body built for line (single quotes) is want (single quotes). */
static void
assert_build(const struct bulk_conf *c, const char *line, const char *want)
{
	char *got;

	line = J(line);
	want = J(want);
	got = build(c, line);
	if (strcmp(got, want) != 0) {
		print_error("%s\n  gave %s\n  want %s\n", line, got, want);
		free(got);
		if (!soft)
			fail();
		nfail++;
		return;
	}
	free(got);
}

static void
test_plain(void **state)
{
	struct bulk_conf c = conf("vehicles");

	(void)state;
	/* no @metadata: the line itself is the source, byte for byte */
	assert_build(&c, "{'a':80.3, 'b' : 1e400}",
	    "{'index':{'_index':'vehicles'}}\n{'a':80.3, 'b' : 1e400}\n");
	c.op = BULK_OP_CREATE;
	assert_build(&c, "{}", "{'create':{'_index':'vehicles'}}\n{}\n");
	c.doc_type = true;
	assert_build(
	    &c, "{}", "{'create':{'_index':'vehicles','_type':'_doc'}}\n{}\n");
}

/* @metadata: taken out of the source, its es members into the action */
static void
test_metadata(void **state)
{
	static const char *const cases[][2] = {
	    {"{'@metadata':{'es':{'_id':'x\\'y','_index':'other',"
	     "'pipeline':'p'}},'a':1}",
		"{'index':{'_index':'other','_id':'x\\'y','pipeline':'p'}}\n"
		"{'a':1}\n"},
	    /* @metadata in the middle and at the end, spaces kept elsewhere */
	    {"{'a':1, '@metadata' : {'k':[1,'}']} , 'b':2}",
		"{'index':{'_index':'v'}}\n{'a':1 , 'b':2}\n"},
	    {"{'a':'\\'','@metadata':{}}",
		"{'index':{'_index':'v'}}\n{'a':'\\''}\n"},
	    {"{'@metadata':{}}", "{'index':{'_index':'v'}}\n{}\n"},
	    /* an escaped key spelling @metadata: emitted from the parse */
	    {"{'\\u0040metadata':{},'n':80.3}",
		"{'index':{'_index':'v'}}\n{'n':80.3}\n"},
	    /* a numeric _id is taken as its text */
	    {"{'@metadata':{'es':{'_id':42}}}",
		"{'index':{'_index':'v','_id':'42'}}\n{}\n"},
	    {"{'@metadata':{'es':{'_id':''}}}",
		"REJECT: @metadata.es._id is not a non-empty string"},
	};
	struct bulk_conf c = conf("v");
	size_t i;

	(void)state;
	table_begin();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_build(&c, cases[i][0], cases[i][1]);
	table_end();
}

static void
test_ids(void **state)
{
	struct bulk_conf c = conf("v");
	const char *const fields[] = {"vin", "t.ms", NULL};

	(void)state;
	c.id_fields = fields;
	assert_build(&c, "{'vin':'V1','t':{'ms':1560598771639}}",
	    "{'index':{'_index':'v','_id':'V1:1560598771639'}}\n"
	    "{'vin':'V1','t':{'ms':1560598771639}}\n");
	assert_build(&c, "{'vin':'V1'}", "REJECT: missing id field t.ms");
	assert_build(&c, "{'vin':[1],'t':{'ms':1}}",
	    "REJECT: not a string or number: id field vin");
	/* @metadata.es._id wins over --id */
	assert_build(&c, "{'@metadata':{'es':{'_id':'m'}},'vin':1}",
	    "{'index':{'_index':'v','_id':'m'}}\n{'vin':1}\n");
	c.id_fields = NULL;
	c.kafka_id = true;
	assert_build(&c,
	    "{'@metadata':{'kafka':{'topic':'telemetry','partition':2,"
	    "'offset':1234}},'a':1}",
	    "{'index':{'_index':'v','_id':'telemetry+2+1234'}}\n"
	    "{'a':1}\n");
	assert_build(&c, "{'a':1}",
	    "REJECT: --kafka-id: no @metadata.kafka topic, partition and offset");
}

static void
test_dated_index(void **state)
{
	static const char *const cases[][2] = {
	    {"{'timestamp':'2019-06-15T23:59:59.999Z'}",
		"{'index':{'_index':'vehicles-2019.06.15'}}\n"
		"{'timestamp':'2019-06-15T23:59:59.999Z'}\n"},
	    /* a zone moves the day */
	    {"{'timestamp':'2019-06-16T01:00:00+02:00'}",
		"{'index':{'_index':'vehicles-2019.06.15'}}\n"
		"{'timestamp':'2019-06-16T01:00:00+02:00'}\n"},
	    /* epoch milliseconds, as a number and as a string */
	    {"{'timestamp':1560598771639}",
		"{'index':{'_index':'vehicles-2019.06.15'}}\n"
		"{'timestamp':1560598771639}\n"},
	    {"{'timestamp':'1560598771639'}",
		"{'index':{'_index':'vehicles-2019.06.15'}}\n"
		"{'timestamp':'1560598771639'}\n"},
	    {"{'x':1}",
		"REJECT: missing date for the index pattern: timestamp"},
	    {"{'timestamp':'2019-02-29'}",
		"REJECT: bad date for the index pattern: timestamp"},
	    /* @metadata.es._index wins */
	    {"{'@metadata':{'es':{'_index':'fixed'}}}",
		"{'index':{'_index':'fixed'}}\n{}\n"},
	};
	struct bulk_conf c = conf("vehicles-%Y.%m.%d");
	struct buf err = BUF_INIT;
	bool dated;
	size_t i;

	(void)state;
	assert_true(c.index_dated);
	table_begin();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_build(&c, cases[i][0], cases[i][1]);
	table_end();
	c = conf(NULL);
	assert_build(
	    &c, "{}", "REJECT: no index: no -i and no @metadata.es._index");
	assert_int_equal(bulk_index_check("a-%s", &dated, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "'%s' is not supported"));
	assert_int_equal(bulk_index_check("a-%%-%G.%V", &dated, &err), 0);
	assert_true(dated);
	assert_int_equal(bulk_index_check("plain", &dated, &err), 0);
	assert_false(dated);
	/* the server's rules for names, checked before the first document */
	buf_reset(&err);
	assert_int_equal(bulk_index_check("Vehicles", &dated, &err), -1);
	assert_string_equal(buf_cstr(&err),
	    "invalid index name 'Vehicles': index names must be lowercase");
	assert_int_equal(bulk_index_check("veh-%Y.%m", &dated, &err), 0);
	assert_int_equal(bulk_index_check("Veh-%Y", &dated, &err), -1);
	assert_int_equal(bulk_index_check("a b", &dated, &err), -1);
	assert_int_equal(bulk_index_check("a:b", &dated, &err), -1);
	assert_int_equal(bulk_index_check("_x", &dated, &err), -1);
	assert_int_equal(bulk_index_check("..", &dated, &err), -1);
	assert_int_equal(bulk_index_check(".kibana-x", &dated, &err), 0);
	buf_free(&err);
}

static void
test_doc_time(void **state)
{
	struct jval *v;
	time_t t;

	(void)state;
	assert_int_equal(
	    jsonx_parse(arena, J("'1970-01-01'"), 12, &v, NULL), 0);
	assert_int_equal(bulk_doc_time(v, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(jsonx_parse(arena, J("'2019-06-15 11:39:17,632-0130'"),
			     30, &v, NULL),
	    0);
	assert_int_equal(bulk_doc_time(v, &t), 0);
	assert_int_equal(t, 1560598757 + 5400);
	assert_int_equal(
	    jsonx_parse(arena, J("'2019-06-15T24:00'"), 18, &v, NULL), 0);
	assert_int_equal(bulk_doc_time(v, &t), -1);
	assert_int_equal(jsonx_parse(arena, "true", 4, &v, NULL), 0);
	assert_int_equal(bulk_doc_time(v, &t), -1);
	assert_int_equal(bulk_doc_time(NULL, &t), -1);
}

static void
test_rejects_before_sending(void **state)
{
	struct bulk_conf c = conf("v");

	(void)state;
	assert_build(&c, "[1]", "REJECT: not a JSON object");
	assert_build(&c,
	    "{'a':", "REJECT: invalid JSON: unexpected end of input at byte 6");
	/* the refusal carries @metadata and @metadata.kafka for the reject
	 * line and the acknowledgement */
	c.kafka_id = true;
	assert_build(&c, "{'@metadata':{'kafka':{'topic':'t'}}}",
	    "REJECT: --kafka-id: no @metadata.kafka topic, partition and offset");
	assert_string_equal(buf_cstr(&ref.meta), J("{'kafka':{'topic':'t'}}"));
	assert_string_equal(buf_cstr(&ref.kafka), J("{'topic':'t'}"));
}

static struct bulk_batch *
batch_of(const struct bulk_conf *c, const char *const *lines)
{
	struct bulk_batch *b = bulk_batch_new();
	size_t i;

	for (i = 0; lines[i] != NULL; i++)
		assert_int_equal(bulk_add_line(c, b, arena, lines[i],
				     strlen(lines[i]), i + 1, &ref),
		    0);
	return b;
}

static void
test_items_and_split(void **state)
{
	struct bulk_conf c = conf("v");
	const char *const lines[] = {J("{'n':1}"),
	    J("{'@metadata':{'kafka':{'topic':'t','partition':0,"
	      "'offset':9}},'n':2}"),
	    J("{'n':3}"), NULL};
	struct bulk_batch *b = batch_of(&c, lines), *lo, *hi, *again;
	const char *p;
	size_t n;

	(void)state;
	assert_int_equal(b->n, 3);
	bulk_item_input(b, 1, &p, &n);
	assert_int_equal(n, strlen(lines[1]));
	assert_memory_equal(p, lines[1], n);
	assert_int_equal(b->items[1].kafka_len,
	    strlen(J("{'topic':'t',"
		     "'partition':0,"
		     "'offset':9}")));
	bulk_item_input(b, 2, &p, &n);
	assert_int_equal(n, 7);
	assert_memory_equal(p, J("{'n':3}"), 7);

	/* 413: halves, each a valid body, inputs and coordinates kept */
	b->attempt = 2;
	b->first_fail = 5.0;
	bulk_split(b, &lo, &hi);
	assert_int_equal(lo->n, 1);
	assert_int_equal(hi->n, 2);
	assert_int_equal(hi->attempt, 2);
	assert_true(hi->first_fail == 5.0);
	assert_string_equal(
	    buf_cstr(&lo->body), J("{'index':{'_index':'v'}}\n{'n':1}\n"));
	assert_string_equal(buf_cstr(&hi->body),
	    J("{'index':{'_index':'v'}}\n{'n':2}\n"
	      "{'index':{'_index':'v'}}\n{'n':3}\n"));
	bulk_item_input(hi, 0, &p, &n);
	assert_memory_equal(p, lines[1], n);
	assert_int_equal(hi->items[0].lineno, 2);
	assert_memory_equal(
	    hi->side.data + hi->items[0].kafka_off, J("{'topic':'t'"), 12);

	/* a retry batch of the failed item only */
	again = bulk_batch_new();
	bulk_copy_item(again, b, 2);
	assert_string_equal(
	    buf_cstr(&again->body), J("{'index':{'_index':'v'}}\n{'n':3}\n"));
	bulk_batch_free(again);
	bulk_batch_free(lo);
	bulk_batch_free(hi);
	bulk_batch_free(b);
}

static int
parse(const char *body, size_t n, struct bulk_result *res, struct buf *err)
{
	buf_reset(err);
	return bulk_parse_response(arena, body, strlen(body), n, res, err);
}

static void
test_response_filtered(void **state)
{
	/* what filter_path=errors,items.*.status,items.*.error gives */
	const char *ok = J("{'errors':false,'items':[{'index':{'status':"
			   "201}},{'index':{'status':200}}]}");
	const char *mixed =
	    J("{'errors':true,'items':["
	      "{'index':{'status':201}},"
	      "{'index':{'status':429,'error':{'type':"
	      "'es_rejected_execution_exception','reason':'queue full'}}},"
	      "{'index':{'status':400,'error':{'type':"
	      "'mapper_parsing_exception','reason':'failed to parse field "
	      "[vehicle_speed] of type [float]','caused_by':{'type':"
	      "'number_format_exception','reason':'For input string: "
	      "\\'fast\\''}}}},"
	      "{'index':{'status':503,'error':{'type':"
	      "'unavailable_shards_exception','reason':'primary shard is not "
	      "active'}}},"
	      "{'create':{'status':409,'error':{'type':"
	      "'version_conflict_engine_exception','reason':'[x]: version "
	      "conflict, document already exists'}}}]}");
	struct bulk_result res[5];
	struct buf err = BUF_INIT, reason = BUF_INIT;
	struct bulk_error e = {0, BUF_INIT, BUF_INIT};

	(void)state;
	assert_int_equal(parse(ok, 2, res, &err), 0);
	assert_int_equal(res[0].status, 201);
	assert_int_equal(bulk_verdict(&res[1], BULK_OP_INDEX), BULK_DONE);

	assert_int_equal(parse(mixed, 5, res, &err), 0);
	assert_int_equal(bulk_verdict(&res[0], BULK_OP_INDEX), BULK_DONE);
	assert_int_equal(bulk_verdict(&res[1], BULK_OP_INDEX), BULK_RETRY);
	assert_int_equal(bulk_verdict(&res[2], BULK_OP_INDEX), BULK_REJECT);
	assert_int_equal(bulk_verdict(&res[3], BULK_OP_INDEX), BULK_RETRY);
	/* 409 on create: the document is already there */
	assert_int_equal(bulk_verdict(&res[4], BULK_OP_CREATE), BULK_DONE);
	assert_int_equal(bulk_verdict(&res[4], BULK_OP_INDEX), BULK_REJECT);
	assert_string_equal(res[2].type, "mapper_parsing_exception");

	bulk_result_reject(&res[2], &reason, &e);
	assert_string_equal(buf_cstr(&reason),
	    "failed to parse field [vehicle_speed] of type [float]");
	assert_int_equal(e.status, 400);
	assert_string_equal(buf_cstr(&e.type), "mapper_parsing_exception");
	assert_string_equal(buf_cstr(&e.cause),
	    J("{'type':'number_format_exception','reason':"
	      "'For input string: \\'fast\\''}"));
	buf_free(&reason);
	bulk_error_free(&e);

	/* a new field mapped first by another request in flight: the
	 * document fits the mapping now, so it is sent again; any other
	 * 400 stays a reject */
	assert_int_equal(parse(J("{'errors':true,'items':["
				 "{'index':{'status':400,'error':{'type':"
				 "'illegal_argument_exception','reason':"
				 "'mapper [brake] cannot be changed from type "
				 "[float] to [long]'}}},"
				 "{'index':{'status':400,'error':{'type':"
				 "'illegal_argument_exception','reason':"
				 "'Limit of total fields [1000] has been "
				 "exceeded'}}}]}"),
			     2, res, &err),
	    0);
	assert_int_equal(bulk_verdict(&res[0], BULK_OP_INDEX), BULK_RETRY);
	assert_int_equal(bulk_verdict(&res[1], BULK_OP_INDEX), BULK_REJECT);
	buf_free(&err);
}

static void
test_response_unfiltered_and_bad(void **state)
{
	/* without filter_path: _index, _id, result ... are ignored */
	const char *full = J("{'took':3,'errors':false,'items':[{'index':{"
			     "'_index':'v','_id':'1','_version':1,"
			     "'result':'created','status':201}}]}");
	struct bulk_result res[2];
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(parse(full, 1, res, &err), 0);
	assert_int_equal(res[0].status, 201);
	assert_int_equal(parse(full, 2, res, &err), -1);
	assert_string_equal(
	    buf_cstr(&err), "response has 1 items for 2 actions");
	assert_int_equal(parse("<html>", 1, res, &err), -1);
	assert_int_equal(parse(J("{'errors':true}"), 1, res, &err), -1);
	assert_int_equal(
	    parse(J("{'items':[{'index':{}}]}"), 1, res, &err), -1);
	assert_int_equal(parse(J("{'items':[1]}"), 1, res, &err), -1);
	buf_free(&err);
}

static void
test_request_error(void **state)
{
	struct buf reason = BUF_INIT;
	struct bulk_error e = {0, BUF_INIT, BUF_INIT};
	const char *body = J("{'error':{'root_cause':[],'type':"
			     "'security_exception','reason':'missing "
			     "authentication credentials'},'status':401}");

	(void)state;
	bulk_request_error(arena, 401, body, strlen(body), &reason, &e);
	assert_string_equal(
	    buf_cstr(&reason), "HTTP 401: missing authentication credentials");
	assert_int_equal(e.status, 401);
	assert_string_equal(buf_cstr(&e.type), "security_exception");
	assert_int_equal(e.cause.len, 0);
	buf_reset(&reason);
	/* e is reset by each call: nothing of the 401 is left */
	bulk_request_error(arena, 502, "Bad Gateway", 11, &reason, &e);
	assert_string_equal(buf_cstr(&reason), "HTTP 502");
	assert_int_equal(e.status, 502);
	assert_int_equal(e.type.len, 0);
	assert_int_equal(e.cause.len, 0);
	buf_free(&reason);
	bulk_error_free(&e);
}

static void
test_server_root(void **state)
{
	const char *os = J("{'name':'n','version':{'distribution':"
			   "'opensearch','number':'2.19.1'}}");
	const char *es6 = J("{'version':{'number':'6.8.23'}}");
	const char *es87 = J("{'version':{'number':'7.7.1'}}");
	struct es_server s;
	struct buf err = BUF_INIT, d = BUF_INIT;

	(void)state;
	assert_int_equal(server_parse_root(arena, os, strlen(os), &s, &err), 0);
	assert_true(s.opensearch);
	assert_int_equal(s.major, 2);
	assert_true(server_composable_templates(&s));
	server_describe(&s, &d);
	assert_string_equal(buf_cstr(&d), "OpenSearch 2.19.1");
	assert_int_equal(
	    server_parse_root(arena, es6, strlen(es6), &s, &err), 0);
	assert_false(s.opensearch);
	assert_int_equal(s.major, 6);
	assert_false(server_composable_templates(&s));
	assert_int_equal(
	    server_parse_root(arena, es87, strlen(es87), &s, &err), 0);
	assert_false(server_composable_templates(&s));
	assert_int_equal(server_parse_root(arena, "{}", 2, &s, &err), -1);
	/* a node without GET /: its version from the nodes API */
	{
		const char *nodes = J("{'nodes':{'Xq3':{'version':"
				      "'8.19.21'}}}");

		assert_int_equal(
		    server_parse_nodes(arena, nodes, strlen(nodes), &s), 0);
		assert_int_equal(s.major, 8);
		assert_int_equal(s.minor, 19);
		assert_false(s.opensearch);
		assert_int_equal(server_parse_nodes(arena, "{}", 2, &s), -1);
	}
	buf_free(&err);
	buf_free(&d);
}

static void
test_templates(void **state)
{
	struct es_server es8 = {false, 8, 19, "8.19.21"};
	struct es_server es6 = {false, 6, 8, "6.8.23"};
	struct buf b = BUF_INIT, err = BUF_INIT;
	const char *legacy = J("{'order':1,'settings':{'number_of_shards':1},"
			       "'mappings':{'properties':{'a':{'type':"
			       "'keyword'}}}}");
	const char *comp = J("{'index_patterns':['x-*'],'template':{"
			     "'mappings':{'properties':{}}},'priority':5}");
	struct jval *v;

	(void)state;
	template_pattern("vehicles-%Y.%m.%d", &b);
	assert_string_equal(buf_cstr(&b), "vehicles-*");
	buf_reset(&b);
	template_pattern("fixed", &b);
	assert_string_equal(buf_cstr(&b), "fixed");
	buf_reset(&b);
	template_default_name("vehicles-%Y.%m.%d", &b);
	assert_string_equal(buf_cstr(&b), "vehicles");
	buf_reset(&b);

	/* the built-in one is valid JSON with geo_point and date */
	assert_int_equal(
	    template_body(arena, NULL, 0, "vehicles-*", &es8, &b, &err), 0);
	assert_int_equal(jsonx_parse(arena, b.data, b.len, &v, NULL), 0);
	assert_non_null(strstr(
	    buf_cstr(&b), J("{'index_patterns':['vehicles-*'],'_meta':")));
	assert_non_null(
	    strstr(buf_cstr(&b), J("'template':{'mappings':{'dynamic':false")));
	assert_non_null(
	    strstr(buf_cstr(&b), J("'location':{'type':'geo_point'}")));
	assert_non_null(strstr(buf_cstr(&b), J("'timestamp':{'type':'date'}")));
	buf_reset(&b);

	/* a legacy file for a composable server: wrapped */
	assert_int_equal(
	    template_body(arena, legacy, strlen(legacy), "v-*", &es8, &b, &err),
	    0);
	assert_string_equal(buf_cstr(&b),
	    J("{'index_patterns':['v-*'],'template':{'settings':{"
	      "'number_of_shards':1},'mappings':{'properties':{'a':{"
	      "'type':'keyword'}}}}}"));
	buf_reset(&b);
	/* a composable file for Elasticsearch 6: unwrapped, under _doc */
	assert_int_equal(
	    template_body(arena, comp, strlen(comp), NULL, &es6, &b, &err), 0);
	assert_string_equal(buf_cstr(&b),
	    J("{'index_patterns':['x-*'],'mappings':{'_doc':{"
	      "'properties':{}}}}"));
	buf_reset(&b);
	/* composable for a composable server: as it is */
	assert_int_equal(
	    template_body(arena, comp, strlen(comp), "y-*", &es8, &b, &err), 0);
	assert_string_equal(buf_cstr(&b), comp);
	buf_reset(&b);
	assert_int_equal(
	    template_body(arena, "{}", 2, NULL, &es8, &b, &err), -1);
	assert_int_equal(template_body(arena, "[", 1, "x", &es8, &b, &err), -1);
	buf_free(&b);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_dated_index),
	    cmocka_unit_test(test_doc_time),
	    cmocka_unit_test(test_rejects_before_sending),
	    cmocka_unit_test(test_items_and_split),
	    cmocka_unit_test(test_response_filtered),
	    cmocka_unit_test(test_response_unfiltered_and_bad),
	    cmocka_unit_test(test_request_error),
	    cmocka_unit_test(test_server_root),
	    cmocka_unit_test(test_templates),
	};

	return cmocka_run_group_tests(tests, arena_setup, teardown);
}
