/* SPDX-License-Identifier: MIT */
/*
 * Numbers as vsim writes them: JavaScript's Number-to-text, so the output
 * reads as the simulator's (vsim(1), "Numbers").
 */
#ifndef IOTPIPE_VSIM_NUMFMT_H
#define IOTPIPE_VSIM_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define NUMFMT_MAX 32 /* room for any text below, NUL included */

/*
 * v rounded to k decimals (0 <= k <= 9), halves up, as a count of 10^-k:
 * what Math.round(v * 10^k) gives.  Saturates far outside +-9e15.
 */
int64_t num_round(double v, int k);

/*
 * The number scaled / 10^k as JavaScript prints it: no trailing zeros, no
 * lone point, "0" for zero (never "-0").  Writes a NUL; returns the
 * length.  out holds NUMFMT_MAX bytes.
 */
size_t num_fixed(char *out, int64_t scaled, int k);

/*
 * v as JavaScript's Number.prototype.toString prints it: the shortest
 * text that reads back as v, in plain notation from 1e-6 up to 1e21 and
 * as d.ddde+N outside it; "0" for both zeros.  v must be finite.  Writes
 * a NUL; returns the length.
 */
size_t num_shortest(char *out, double v);

#endif
