/* SPDX-License-Identifier: MIT */
/* vnorm: normalize raw vehicle telemetry NDJSON into uniform documents. */
#include "common/prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/ndjson.h"
#include "common/opt.h"
#include "common/reject.h"
#include "common/sig.h"
#include "common/stats.h"
#include "merge.h"
#include "normalize.h"
#include "options.h"

/* Everything the record loop touches. */
struct run {
	const struct opts *o;
	struct vnorm *vn;
	struct merger *merger;
	struct arena *arena;
	struct ndjson_writer *w;
	struct reject_stream *rej;
	struct stats *st;
	uint64_t *in, *out, *rejected, *merged, *warnings;
	unsigned long long lineno;
	struct buf scratch;
	bool stop; /* downstream gone or output error */
	bool rejects_stdout; /* --rejects - : rejects share stdout */
	const char *file; /* with several inputs: the one being read */
	uint64_t done_bytes; /* --progress: the sizes of inputs read */
};

static void
on_warning(void *arg, const char *msg)
{
	struct run *r = arg;

	(*r->warnings)++;
	if (r->file != NULL)
		log_info("%s:%llu: %s", r->file, r->lineno, msg);
	else
		log_info("line %llu: %s", r->lineno, msg);
}

static void
write_doc(struct run *r, const struct vdoc *doc)
{
	struct buf *b = ndjson_writer_buf(r->w);

	vnorm_emit(b, doc, r->o->es_id);
	if (ndjson_writer_commit(r->w) < 0)
		r->stop = true;
	(*r->out)++;
}

static void
on_merged(void *arg, const struct vdoc *doc, unsigned members)
{
	struct run *r = arg;

	write_doc(r, doc);
	*r->merged += members - 1;
}

/* Count a reject and write it. */
static void
put_reject(struct run *r, const struct reject *rec)
{
	(*r->rejected)++;
	/* Rejects on stdout go between the documents, in input order: what
	 * the writer holds leaves first, the reject right after. */
	if (r->rejects_stdout && ndjson_writer_flush(r->w) < 0) {
		r->stop = true;
		return;
	}
	if (reject_write(r->rej, rec) < 0 ||
	    (r->rejects_stdout && reject_flush(r->rej) < 0)) {
		/* stdout's reader went away: stop quietly, as for documents */
		if (!(r->rejects_stdout && errno == EPIPE))
			log_err("rejects: %s", strerror(errno));
		r->stop = true;
	}
}

static void
reject(struct run *r, const struct vdoc *doc, const char *reason,
    const char *line, size_t len)
{
	struct reject rec;

	reject_init(&rec, reason, r->lineno, line, len);
	rec.file = r->file;
	if (doc != NULL)
		reject_with_meta(&rec, doc->meta.text, doc->meta.len);
	put_reject(r, &rec);
}

static void
process_line(struct run *r, const char *line, size_t len)
{
	struct jval *root;
	struct jsonx_error err;
	struct vdoc doc;
	const char *why;

	/* a UTF-8 byte order mark is not part of the record, and a line
	 * that is blank without it is no record (spec 3.2, steps 3-4) */
	if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;
		len -= 3;
		if (ndjson_blank(line, len))
			return;
	}
	(*r->in)++;
	arena_reset(r->arena);
	if (jsonx_parse(r->arena, line, len, &root, &err) != JSONX_OK) {
		buf_reset(&r->scratch);
		jsonx_error_text(&err, &r->scratch);
		reject(r, NULL, buf_cstr(&r->scratch), line, len);
		return;
	}
	if ((why = vnorm_transform(r->vn, r->arena, root, &doc)) != NULL) {
		reject(r, &doc, why, line, len);
		return;
	}
	if (r->merger != NULL)
		merger_add(r->merger, &doc);
	else
		write_doc(r, &doc);
}

static void
flush_output(void *arg)
{
	struct run *r = arg;

	if (ndjson_writer_idle(r->w) < 0)
		r->stop = true;
}

/* SIGHUP and SIGUSR1, between reads and while a fifo waits for a writer. */
static int
open_input(struct run *r, const char *path)
{
	int fd;

	while ((fd = ndjson_open_input(path, r->o->io.follow)) < 0 &&
	    errno == EINTR && !sig_stop)
		stats_serve_signals(r->st, r->rej);
	/* SIGINT/SIGTERM while a fifo waits for its writer is a clean stop */
	if (fd < 0 && !(errno == EINTR && sig_stop))
		log_err("%s: %s", path, strerror(errno));
	return fd;
}

/* Read one input to its end (or to a stop).  Returns 0, or -1 on error. */
static int
run_input(struct run *r, const char *path)
{
	const struct opts *o = r->o;
	struct ndjson_reader *rd;
	struct ndjson_line ln;
	int fd, rc = 0;

	if ((fd = open_input(r, path)) < 0)
		return sig_stop && errno == EINTR ? 0 : -1;
	stats_set_input(r->st, fd, r->done_bytes);
	rd = ndjson_reader_new(fd, (size_t)o->c.max_line);
	if (o->io.follow)
		ndjson_reader_follow(rd, path);
	ndjson_reader_on_read(rd, flush_output, r);
	ndjson_reader_set_wakeup(rd, sig_fd());
	while (!r->stop && !sig_stop) {
		enum ndjson_status s;

		/* wake up for the next --stats line while input is idle */
		ndjson_reader_set_timeout(rd, stats_next_ms(r->st));
		s = ndjson_read(rd, &ln);

		stats_serve_signals(r->st, r->rej);
		if (s == NDJSON_AGAIN) {
			sig_drain();
			stats_serve_signals(r->st, r->rej);
			stats_check(r->st);
			continue;
		}
		if (s == NDJSON_ERROR) {
			log_err("%s: read: %s",
			    strcmp(path, "-") == 0 ? "stdin" : path,
			    strerror(errno));
			rc = -1;
			break;
		}
		if (s == NDJSON_EOF)
			break;
		r->lineno = ln.lineno;
		if (s == NDJSON_TORN) {
			/* a killed writer's half line: no record */
			(*stats_counter(r->st, "torn"))++;
			ndjson_warn_torn(&ln);
		} else if (s == NDJSON_TOOLONG) {
			struct reject rec;

			(*r->in)++;
			reject_init(&rec, NULL, ln.lineno, ln.line, ln.len);
			rec.file = r->file;
			reject_too_long(&rec, ln.total);
			put_reject(r, &rec);
		} else {
			process_line(r, ln.line, ln.len);
		}
		stats_tick(r->st);
	}
	r->done_bytes += o->io.follow ? 0 : stats_file_size(fd);
	stats_set_input(r->st, -1, r->done_bytes);
	/* a --follow reader owns its fd */
	if (!o->io.follow && fd > STDIN_FILENO)
		close(fd);
	ndjson_reader_free(rd);
	return rc;
}

/* The bytes of all inputs when each is a regular file, else 0. */
static uint64_t
inputs_size(char **inputs)
{
	struct stat st;
	uint64_t total = 0;
	int i;

	for (i = 0; inputs[i] != NULL; i++) {
		if (strcmp(inputs[i], "-") == 0 ? fstat(STDIN_FILENO, &st) < 0
						: stat(inputs[i], &st) < 0)
			return 0;
		if (!S_ISREG(st.st_mode))
			return 0;
		total += (uint64_t)st.st_size;
	}
	return total;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct vnorm_conf conf;
	struct buf err = BUF_INIT;
	char **inputs;
	const char *oname;
	int i, rc = 0;

	log_init(argv[0]);
	opts_parse(argc, argv, &o);
	oname = o.io.output != NULL ? o.io.output : "stdout";
	log_set_verbosity(o.c.verbosity);
	inputs = o.inputs;

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.rejects_stdout = o.c.rejects != NULL &&
	    (strcmp(o.c.rejects, "-") == 0 ||
		strcmp(o.c.rejects, "/dev/fd/1") == 0);
	if ((r.rej = reject_open(o.c.rejects, "vnorm", &err)) == NULL)
		fatal("%s", buf_cstr(&err));
	if (sig_init() < 0)
		fatal("signals: %s", strerror(errno));
	memset(&conf, 0, sizeof(conf));
	conf.drop_unknown = o.drop_unknown;
	conf.vin_from_topic = o.vin_from_topic;
	conf.warn = on_warning;
	conf.warn_arg = &r;
	r.vn = vnorm_new(&conf);
	r.arena = arena_new();
	if ((r.w = ndjson_writer_open(o.io.output, o.io.reopen_timeout)) ==
	    NULL)
		fatal("%s: %s", o.io.output, strerror(errno));
	r.st = stats_new("vnorm");
	stats_configure(r.st, o.c.stats_interval, o.c.stats, o.c.progress);
	r.in = stats_counter(r.st, "in");
	r.out = stats_counter(r.st, "out");
	r.rejected = stats_counter(r.st, "rejected");
	if (o.merge_ms > 0) {
		r.merged = stats_counter(r.st, "merged");
		r.merger = merger_new(o.merge_ms, on_merged, &r);
	}
	r.warnings = stats_counter(r.st, "warnings");
	stats_metrics_file(r.st, o.c.metrics_file);

	if (o.c.progress)
		stats_set_total(r.st, inputs_size(inputs), NULL, NULL);
	for (i = 0; inputs[i] != NULL && !r.stop && !sig_stop; i++) {
		/* several inputs: messages name the file, as a compiler does */
		if (inputs[1] != NULL)
			r.file =
			    strcmp(inputs[i], "-") == 0 ? "stdin" : inputs[i];
		if (run_input(&r, inputs[i]) < 0)
			rc = 1;
	}

	if (r.merger != NULL && !r.stop)
		merger_finish(r.merger);
	if (ndjson_writer_flush(r.w) < 0 && !ndjson_writer_gone(r.w)) {
		log_err("%s: %s", oname, ndjson_writer_strerror(r.w));
		rc = 1;
	}
	if (r.stop && !ndjson_writer_gone(r.w) && ndjson_writer_error(r.w)) {
		log_err("%s: %s", oname, ndjson_writer_strerror(r.w));
		rc = 1;
	}
	rc = stats_finish(r.st, r.rej, o.c.strict, *r.rejected, rc);

	merger_free(r.merger);
	ndjson_writer_free(r.w);
	stats_free(r.st);
	arena_free(r.arena);
	vnorm_free(r.vn);
	buf_free(&r.scratch);
	buf_free(&err);
	return rc;
}
