/* SPDX-License-Identifier: Apache-2.0 */
/* FNV-1a, 64 bits: the hash of the policy loader's name sets and the control registry. */
#include "config.h"

#include "hash.h"

uint64_t
hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 14695981039346656037ull; /* the FNV-1a 64 offset basis */
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}
