/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: the socket side of transparent interception (nftables
 * redirect and tproxy; doc/interception.md). */
#ifndef ATTLS_INTERCEPT_H
#define ATTLS_INTERCEPT_H

#include <stdbool.h>

#include "runtime/runtime.h"

/* Sets what a listener of 'mode' (enum policy_intercept) needs before bind:
 * IP_TRANSPARENT for tproxy. Returns 0 or -errno. */
int intercept_listen_opts(int fd, int family, int mode);
/* Where a redirected connection was going (SO_ORIGINAL_DST). 0 or -errno. */
int intercept_original_dst(int fd, const union rt_sockaddr *local, union rt_sockaddr *out);
/* Marks an outgoing socket so that interception rules skip it; with 'source',
 * binds it to that (foreign) address first. 0 or -errno. */
int intercept_upstream_opts(int fd, unsigned mark, const union rt_sockaddr *source);

#endif
