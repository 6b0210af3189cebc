/* SPDX-License-Identifier: MIT */
/* The reject stream: refused records as NDJSON lines, with the reason;
 * the reject record, its fillers and its one emitter. */
#include "prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "jsonx.h"
#include "log.h"
#include "ndjson.h"
#include "opt.h"
#include "reject.h"
#include "sig.h"
#include "xalloc.h"

/* What the reader keeps of a long line is what a reject shows of it. */
_Static_assert(REJECT_KEEP == NDJSON_TOOLONG_KEEP, "REJECT_KEEP");

/* A regular file gets its lines in chunks of about this size. */
#define REJECT_CHUNK 65536

enum target {
	T_LOG, /* no --rejects: log_warn() */
	T_STDOUT, /* "-": descriptor 1, not ours to close */
	T_FD, /* "/dev/fd/N": our dup */
	T_PATH /* a path we opened and can reopen */
};

struct reject_stream {
	enum target target;
	int fd;
	bool buffered; /* the target is a regular file */
	char *path;
	char *tool;
	struct buf tool_json; /* the tool name as a JSON string */
	struct buf out; /* lines not written yet */
};

static bool
is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

struct reject_stream *
reject_open(const char *path, const char *tool, struct buf *err)
{
	struct reject_stream *r;
	unsigned long long n;
	const char *errstr;
	int fd = -1;
	enum target target;

	if (path == NULL)
		target = T_LOG;
	else if (strcmp(path, "-") == 0) {
		target = T_STDOUT;
		fd = STDOUT_FILENO;
	} else if (strncmp(path, "/dev/fd/", 8) == 0 &&
	    parse_uint_range(path + 8, 0, 1 << 30, &n, &errstr) == 0) {
		target = T_FD;
		/* Our own descriptor: closing it leaves N to its owner. */
		fd = fcntl((int)n, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			buf_printf(
			    err, "--rejects %s: %s", path, strerror(errno));
			return NULL;
		}
	} else {
		target = T_PATH;
		fd =
		    open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			buf_printf(
			    err, "--rejects %s: %s", path, strerror(errno));
			return NULL;
		}
	}

	r = xcalloc(1, sizeof(*r));
	r->target = target;
	r->fd = fd;
	r->path = path != NULL ? xstrdup(path) : NULL;
	r->tool = xstrdup(tool != NULL ? tool : "");
	jsonx_emit_string(&r->tool_json, r->tool, strlen(r->tool));
	if (fd >= 0)
		r->buffered = is_regular(fd);
	return r;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			/* A stuck reader must not outlast a second ^C. */
			if (errno == EINTR && sig_stop < 2)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
reject_flush(struct reject_stream *r)
{
	int rc = 0, saved;

	if (r == NULL)
		return 0;
	switch (r->target) {
	case T_LOG:
		break;
	case T_STDOUT:
	case T_FD:
	case T_PATH:
		if (r->out.len > 0) {
			rc = write_all(r->fd, r->out.data, r->out.len);
			saved = errno;
			buf_reset(&r->out);
			errno = saved;
		}
		break;
	}
	return rc;
}

/* Append s[0..n) to b as a JSON string, replacing invalid UTF-8. */
static void
add_string(struct buf *b, const char *s, size_t n)
{
	jsonx_emit_string_lossy(b, s != NULL ? s : "", s != NULL ? n : 0);
}

void
reject_init(struct reject *rec, const char *reason, unsigned long long line,
    const char *input, size_t len)
{
	memset(rec, 0, sizeof(*rec));
	rec->reason = reason;
	rec->line = line;
	rec->input = input;
	rec->input_len = len;
}

/* A record of which "input" may hold only the first bytes: a filler for
 * each such kind of reject is this with its reason. */
static void
part_of(struct reject *rec, const char *reason, unsigned long long bytes)
{
	rec->reason = reason;
	rec->bytes = bytes;
	if (rec->input_len > REJECT_KEEP)
		rec->input_len = REJECT_KEEP;
}

void
reject_too_long(struct reject *rec, unsigned long long bytes)
{
	part_of(rec, "line too long", bytes);
}

void
reject_binary(struct reject *rec)
{
	if (rec->bytes > rec->input_len || rec->input == NULL ||
	    utf8_valid(rec->input, rec->input_len))
		return;
	rec->bytes = rec->input_len;
	rec->base64 = true;
}

void
reject_with_meta(struct reject *rec, const char *meta, size_t len)
{
	rec->meta = meta;
	rec->meta_len = meta != NULL ? len : 0;
}

/* The members of "error" after "line". */
static void
add_extras(struct buf *b, const struct reject *rec)
{
	if (rec->bytes > 0)
		buf_printf(b, ",\"bytes\":%llu", rec->bytes);
	if (rec->bytes > rec->input_len)
		buf_adds(b, ",\"truncated\":true");
	if (rec->base64) {
		buf_adds(b, ",\"input_base64\":\"");
		base64_append(b, rec->input, rec->input_len);
		buf_addc(b, '"');
	}
	if (rec->kafka_error != NULL) {
		buf_adds(b, ",\"kafka_error\":");
		add_string(b, rec->kafka_error, strlen(rec->kafka_error));
	}
	if (rec->broker_error != NULL) {
		buf_adds(b, ",\"broker_error\":");
		add_string(b, rec->broker_error, strlen(rec->broker_error));
	}
	if (rec->possibly_persisted)
		buf_adds(b, ",\"possibly_persisted\":true");
	if (rec->status != 0)
		buf_printf(b, ",\"status\":%d", rec->status);
	if (rec->type != NULL) {
		buf_adds(b, ",\"type\":");
		add_string(b, rec->type, strlen(rec->type));
	}
	if (rec->caused_by != NULL && rec->caused_by_len > 0) {
		buf_adds(b, ",\"caused_by\":");
		buf_add(b, rec->caused_by, rec->caused_by_len);
	}
}

int
reject_write(struct reject_stream *r, const struct reject *rec)
{
	struct buf *b = &r->out;
	const char *reason = rec->reason != NULL ? rec->reason : "rejected";

	if (r->target == T_LOG) {
		if (rec->file != NULL && rec->line > 0)
			log_warn("%s:%llu: %s", rec->file, rec->line, reason);
		else if (rec->file != NULL)
			log_warn("%s: %s", rec->file, reason);
		else if (rec->line > 0)
			log_warn("line %llu: %s", rec->line, reason);
		else
			log_warn("%s", reason);
		return 0;
	}

	buf_addc(b, '{');
	if (rec->meta != NULL && rec->meta_len > 0) {
		buf_adds(b, "\"@metadata\":");
		buf_add(b, rec->meta, rec->meta_len);
		buf_addc(b, ',');
	}
	buf_adds(b, "\"error\":{\"tool\":");
	buf_add(b, r->tool_json.data, r->tool_json.len);
	buf_adds(b, ",\"reason\":");
	add_string(b, reason, strlen(reason));
	if (rec->file != NULL) {
		buf_adds(b, ",\"file\":");
		add_string(b, rec->file, strlen(rec->file));
	}
	if (rec->line > 0)
		buf_printf(b, ",\"line\":%llu", rec->line);
	add_extras(b, rec);
	buf_adds(b, "},\"input\":");
	add_string(b, rec->input, rec->input_len);
	buf_adds(b, "}\n");

	if (r->buffered && b->len < REJECT_CHUNK)
		return 0;
	return reject_flush(r);
}

bool
reject_is_log(const struct reject_stream *r)
{
	return r->target == T_LOG;
}

int
reject_reopen(struct reject_stream *r)
{
	int fd, flushed, saved;

	if (r == NULL || r->target != T_PATH)
		return 0;
	/* Lines written before the signal belong to the old file. */
	flushed = reject_flush(r);
	saved = errno;
	fd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(r->fd);
	r->fd = fd;
	r->buffered = is_regular(fd);
	if (flushed < 0) {
		errno = saved;
		return -1;
	}
	return 0;
}

int
reject_close(struct reject_stream *r)
{
	int rc, saved;

	if (r == NULL)
		return 0;
	rc = reject_flush(r);
	saved = errno;
	if (r->target != T_STDOUT && r->fd >= 0 && close(r->fd) < 0 &&
	    rc == 0) {
		rc = -1;
		saved = errno;
	}
	buf_free(&r->out);
	buf_free(&r->tool_json);
	free(r->path);
	free(r->tool);
	free(r);
	errno = saved;
	return rc;
}
