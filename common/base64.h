/* SPDX-License-Identifier: MIT */
/* Standard base64 (RFC 4648, with padding): encode and strict decode. */
#ifndef IOTPIPE_BASE64_H
#define IOTPIPE_BASE64_H

#include <stddef.h>

#include "buf.h"

/* The base64 text of p[0..n) appended to out. */
void base64_append(struct buf *out, const void *p, size_t n);

/*
 * Decode s[0..n) (padded, no white space, no URL alphabet) and append the
 * bytes to out.  Returns 0, or -1 with out unchanged when s is not
 * canonical base64.
 */
int base64_decode_append(struct buf *out, const char *s, size_t n);

#endif
