/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics of attlsd (settings.metrics_listen): counters each
 * worker keeps for itself without locks, summed when /metrics is scraped. */
#ifndef ATTLS_METRICS_H
#define ATTLS_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "common/compiler.h"
#include "policy/policy.h"
#include "runtime/runtime.h"

/* On a worker's thread before its loop runs: the counters it writes. */
void metrics_worker_start(void);

/* A connection is served under rule 'r' (NULL: no rule, clear text). */
void metrics_conn_accepted(const struct policy_rule *r);
/* A connection was turned away before it was served: 'why' is one of a few
 * fixed words (limit, denied, owner_unknown, ...). */
void metrics_conn_refused(const struct policy_rule *r, const char *why);
/* A served connection ended, with the bytes read from client and backend. */
void metrics_conn_closed(const struct policy_rule *r, uint64_t from_client,
			 uint64_t from_backend);
/* A handshake ended with 'rc' (0: success) after 'ms' milliseconds; 'ssl'
 * tells whether a session was resumed, and from which cache. */
void metrics_handshake(const struct policy_rule *r, SSL *ssl, int rc, uint64_t ms);

/* A connection needed the process owning a socket (a Jobname rule) and
 * started a search of /proc, joined one in flight for that socket, or was
 * refused because its worker's owner-lookup queue was full. */
enum metrics_owner { METRICS_OWNER_SEARCH, METRICS_OWNER_JOINED, METRICS_OWNER_REFUSED,
		     METRICS_OWNER_N };
void metrics_owner_lookup(enum metrics_owner what);

/* The daemon: serves /metrics on "ADDR:PORT" ("[v6]:PORT"); NULL: nothing. */
ATTLS_NODISCARD int metrics_start(const char *listen);
void metrics_stop(void);
/* A generation was put in force (ok, 'g' and its number) or a reload failed
 * (!ok, g NULL): the policy gauges, IP filter counters and certificates. */
void metrics_policy_loaded(struct rt_gen *g, unsigned generation, bool ok);

#endif
