/* SPDX-License-Identifier: MIT */
/* Standard base64 (RFC 4648, with padding): encode and strict decode. */
#include "prelude.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base64.h"
#include "buf.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
base64_append(struct buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;
	char *d;

	if (out->cap - out->len < (n + 2) / 3 * 4)
		buf_grow(out, (n + 2) / 3 * 4);
	d = out->data + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v =
		    (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		*d++ = alphabet[v >> 18];
		*d++ = alphabet[(v >> 12) & 63];
		*d++ = alphabet[(v >> 6) & 63];
		*d++ = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		*d++ = alphabet[v >> 18];
		*d++ = alphabet[(v >> 12) & 63];
		*d++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*d++ = '=';
	}
	out->len = (size_t)(d - out->data);
}

static int
value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode_append(struct buf *out, const char *s, size_t n)
{
	size_t i, start = out->len;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		int a = value((unsigned char)s[i]);
		int b = value((unsigned char)s[i + 1]);
		int c = value((unsigned char)s[i + 2]);
		int d = value((unsigned char)s[i + 3]);
		bool last = i + 4 == n;

		if (a < 0 || b < 0)
			goto bad;
		buf_addc(out, (char)(a << 2 | b >> 4));
		if (last && s[i + 2] == '=' && s[i + 3] == '=') {
			if (b & 15) /* bits that padding must leave zero */
				goto bad;
			break;
		}
		if (c < 0)
			goto bad;
		buf_addc(out, (char)((b & 15) << 4 | c >> 2));
		if (last && s[i + 3] == '=') {
			if (c & 3)
				goto bad;
			break;
		}
		if (d < 0)
			goto bad;
		buf_addc(out, (char)((c & 3) << 6 | d));
	}
	return 0;
bad:
	out->len = start;
	return -1;
}
