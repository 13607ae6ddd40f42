/* SPDX-License-Identifier: Apache-2.0 */
/* An IPv6 address cut to its network prefix: what the per-source limits and
 * the error aggregation both count a peer by (settings.source_prefix_v6). */
#ifndef ATTLS_NETPREFIX_H
#define ATTLS_NETPREFIX_H

#include <stdint.h>

/* Keeps the first 'bits' bits of the 16-byte address 'a' (more than 128:
 * all) and zeroes the rest; returns the prefix length kept. */
static inline unsigned
netprefix_v6(uint8_t a[16], unsigned bits)
{
	unsigned i, keep;

	if (bits > 128)
		bits = 128;
	for (i = 0; i < 16; i++) {
		keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
		a[i] &= (uint8_t)(0xff00u >> keep);
	}
	return bits;
}

#endif
