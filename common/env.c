/* SPDX-License-Identifier: MIT */
/* Environment lookups, secrets from a file or the environment, URL redaction. */
#include "prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "env.h"
#include "log.h"
#include "xalloc.h"

const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * The first line of fd, without "\n" or "\r\n", NUL-terminated in line
 * (max + 3 bytes long).  Returns its length, or -1 with errno (EFBIG when
 * it is longer than max).
 */
static ssize_t
read_first_line(int fd, char *line, size_t max)
{
	size_t len = 0, cap = max + 2;
	char *nl = NULL;
	ssize_t n;

	/* Up to "\r\n" past max, to tell "too long" from "just fits". */
	while (len < cap && nl == NULL) {
		n = read(fd, line + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		nl = memchr(line + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (nl != NULL)
		len = (size_t)(nl - line);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > max) {
		errno = EFBIG;
		return -1;
	}
	line[len] = '\0';
	return (ssize_t)len;
}

static int
load_file(const char *path, char **out, struct buf *err)
{
	struct stat st;
	char *line;
	ssize_t len;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(
		    err, "--password-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		buf_printf(
		    err, "--password-file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		buf_printf(
		    err, "--password-file %s: %s", path, strerror(EISDIR));
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)))
		log_warn("--password-file %s: readable by group or others "
			 "(mode %04o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
	line = xmalloc(SECRET_MAX + 3);
	len = read_first_line(fd, line, SECRET_MAX);
	if (len < 0) {
		if (errno == EFBIG)
			buf_printf(err,
			    "--password-file %s: first line longer than %d "
			    "bytes",
			    path, SECRET_MAX);
		else
			buf_printf(err, "--password-file %s: %s", path,
			    strerror(errno));
	} else if (len == 0)
		buf_printf(err, "--password-file %s: empty first line", path);
	else if (memchr(line, '\0', (size_t)len) != NULL)
		buf_printf(err,
		    "--password-file %s: NUL byte in the first line", path);
	else {
		*out = xmemdup(line, (size_t)len);
		rc = 0;
	}
	explicit_bzero(line, SECRET_MAX + 3);
	free(line);
	close(fd);
	return rc;
}

int
secret_load(const char *env_name, const char *password_file, char **out,
    struct buf *err)
{
	const char *v;

	*out = NULL;
	if (password_file != NULL)
		return load_file(password_file, out, err);
	if (env_name != NULL && (v = env_get(env_name)) != NULL)
		*out = xstrdup(v);
	return 0;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Does the query parameter name p[0..n) look like it holds a secret? */
static bool
secret_name(const char *p, size_t n)
{
	static const char *const words[] = {"pass", "pwd", "token", "key",
	    "secret", "auth", "sig", "credential"};
	size_t i, j, wl;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		wl = strlen(words[i]);
		for (j = 0; j + wl <= n; j++)
			if (strncasecmp(p + j, words[i], wl) == 0)
				return true;
	}
	return false;
}

char *
url_redact(const char *url)
{
	struct buf b = BUF_INIT;
	const char *p, *auth, *auth_end, *at, *colon, *q, *q_end;
	const char *name, *eq, *amp;
	char *res;

	if (url == NULL)
		return NULL;
	p = strstr(url, "://");
	auth = p != NULL ? p + 3 : url;
	auth_end = auth + strcspn(auth, "/?#");

	/*
	 * The last '@' of the authority ends the userinfo.  Without one, a
	 * later '@' with a ':' before it still counts: a password holding a
	 * raw '/', '?' or '#' makes an invalid URL, but it must not be
	 * printed either.  Redacting too much is the safe side.
	 */
	at = NULL;
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL && (p = strrchr(auth, '@')) != NULL &&
	    memchr(auth, ':', (size_t)(p - auth)) != NULL)
		at = p;
	buf_add(&b, url, (size_t)(auth - url));
	if (at != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon != NULL && colon + 1 < at) {
			buf_add(&b, auth, (size_t)(colon + 1 - auth));
			buf_adds(&b, "***");
		} else
			buf_add(&b, auth, (size_t)(at - auth));
		auth = at;
		auth_end = at + 1 + strcspn(at + 1, "/?#");
	}
	buf_add(&b, auth, (size_t)(auth_end - auth));

	q = auth_end + strcspn(auth_end, "?#");
	buf_add(&b, auth_end, (size_t)(q - auth_end));
	if (*q == '?') {
		buf_addc(&b, '?');
		q++;
		q_end = q + strcspn(q, "#");
		for (name = q; name < q_end; name = amp + 1) {
			amp = memchr(name, '&', (size_t)(q_end - name));
			if (amp == NULL)
				amp = q_end;
			eq = memchr(name, '=', (size_t)(amp - name));
			if (eq != NULL && eq + 1 < amp &&
			    secret_name(name, (size_t)(eq - name))) {
				buf_add(&b, name, (size_t)(eq + 1 - name));
				buf_adds(&b, "***");
			} else
				buf_add(&b, name, (size_t)(amp - name));
			if (amp == q_end)
				break;
			buf_addc(&b, '&');
		}
		q = q_end;
	}
	buf_adds(&b, q);
	res = xmemdup(b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	return res;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
url_pct_decode(const char *p, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval((unsigned char)p[i + 1]);
			lo = hexval((unsigned char)p[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = p[i];
		}
	}
	*o = '\0';
	return out;
bad:
	explicit_bzero(out, n + 1);
	free(out);
	return NULL;
}
