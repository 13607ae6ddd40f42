/* SPDX-License-Identifier: Apache-2.0 */
/* The fleet's session store in Redis (settings.session_cache): one
 * asynchronous connection per worker loop, never blocking a handshake. */
#ifndef ATTLS_REDISCACHE_H
#define ATTLS_REDISCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/compiler.h"

/* On a worker's thread, before its loop runs: connects that loop to the
 * store at 'url' (NULL: none) and answers lookups within 'timeout_ms'. A store
 * that is down is tried again every second; meanwhile handshakes are full. */
int rediscache_worker_start(uv_loop_t *loop, const char *url, unsigned timeout_ms);
/* On the worker's thread as it stops: ends the connection and its handles. */
void rediscache_worker_stop(void);

/* What the metrics show, summed over the workers. */
struct rediscache_stats {
	uint64_t hits, misses, timeouts, errors, stores;
	unsigned workers, connected; /* workers with a store, and connected now */
};
void rediscache_stats(struct rediscache_stats *out);

#endif
