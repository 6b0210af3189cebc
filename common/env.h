/* SPDX-License-Identifier: MIT */
/* Environment lookups, secrets from a file or the environment, URL redaction. */
#ifndef IOTPIPE_ENV_H
#define IOTPIPE_ENV_H

#include "buf.h"

/*
 * getenv(name), except that a variable set to "" counts as unset and
 * gives NULL.  Borrowed: valid until the environment changes.
 */
const char *env_get(const char *name);

/* Longest first line secret_load() takes from a password file. */
#define SECRET_MAX 65535

/*
 * Load a secret.  With password_file (not NULL): its first line, without
 * the trailing "\n" or "\r\n"; the file must exist, be readable and hold a
 * non-empty first line of at most SECRET_MAX bytes without NUL bytes.  A
 * regular file that the group or others can read gets a log_warn().
 * Otherwise env_get(env_name) when env_name is not NULL.  Otherwise *out is
 * NULL (no secret: not an error).
 *
 * Returns 0 with *out set (caller frees with secret_free()), or -1 with
 * *out NULL and a one-line message appended to err, of the form
 * "--password-file PATH: reason".  The message never contains the secret.
 */
int secret_load(const char *env_name, const char *password_file, char **out,
    struct buf *err);

/* Wipe the string with explicit_bzero(), then free it.  NULL is a no-op. */
void secret_free(char *s);

/*
 * A copy of url that is safe to print: a userinfo password becomes "***"
 * (the user name stays: mqtt://user:***@host:1883/x), and so does the value
 * of every query parameter whose name contains, ignoring case, "pass",
 * "pwd", "token", "key", "secret", "auth", "sig" or "credential"
 * (?api_key=***&x=1).  The fragment is kept.  A string without "://" is
 * read as starting with the authority (user:pw@host:9092).  A password
 * holding a raw '/', '?' or '#' (an invalid URL) is still hidden: without
 * an '@' in the authority, the last '@' with a ':' before it ends the
 * userinfo, which may hide more than needed but never less.
 * Caller frees with free(); NULL gives NULL.
 */
char *url_redact(const char *url);

/*
 * p[0..n) with %xx escapes decoded (URL userinfo, paths), as a new string;
 * NULL when an escape is broken or decodes to NUL.  The scratch copy of a
 * refused input is wiped: it may hold a password.  Caller frees (with
 * secret_free() for a password).
 */
char *url_pct_decode(const char *p, size_t n);

#endif
