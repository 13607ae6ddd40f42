/* SPDX-License-Identifier: Apache-2.0 */
/* The one hash function for attls's in-memory tables (FNV-1a, 64 bits). */
#ifndef ATTLS_HASH_H
#define ATTLS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a over 'n' bytes: cheap, no setup, and well spread for the short keys
 * the tables use (names, 4-tuples). Not for input an attacker picks to collide
 * with (no secret seed). */
uint64_t hash_bytes(const void *p, size_t n);

#endif
