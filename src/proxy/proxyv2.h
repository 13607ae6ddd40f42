/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: the PROXY protocol v2 header sent to a backend. */
#ifndef ATTLS_PROXYV2_H
#define ATTLS_PROXYV2_H

#include <stddef.h>

struct conn;

/* Builds the header for 'c' (after its handshake); *out is malloc'ed. Returns 0,
 * ATTLS_EINVAL when it does not fit in 16 KiB, or ATTLS_ENOMEM. */
int proxyv2_build(const struct conn *c, char **out, size_t *len);

#endif
