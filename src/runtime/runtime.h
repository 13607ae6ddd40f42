/* SPDX-License-Identifier: Apache-2.0 */
/* A runtime generation: one policy plus what the daemon built from it (TLS
 * contexts, resolved backend addresses). Immutable and reference-counted; a
 * connection holds the generation it was mapped with until it closes. */
#ifndef ATTLS_RUNTIME_H
#define ATTLS_RUNTIME_H

#include <stdatomic.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "common/compiler.h"
#include "common/ratelimit.h"
#include "policy/policy.h"

/* A TCP endpoint, compact: connections keep two of these. */
union rt_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* IPv4 or IPv6 only: a union of the two, not a 128-byte sockaddr_storage,
 * because every connection carries two of these (its port's backend and its
 * original destination). */
struct rt_addr {
	union rt_sockaddr ss;
	socklen_t len;
};

struct rt_rule {
	SSL_CTX *ctx; /* NULL when the rule's group is disabled (clear text) */
	struct rt_addr backend;
	char sni[256];      /* Client role: SNI to send ("" none) */
	char identity[256]; /* Client role: name or address to check ("" none) */
};

/* Per filter rule (and one more for the implicit deny), shared by all workers. */
struct rt_filter_stat {
	atomic_ullong permitted, denied;
	struct ratelimit log; /* filter_log_limit lines a second; the rest counted */
};

struct rt_gen {
	atomic_uint refs;
	struct policy *policy;
	struct rt_rule *rules;         /* parallel to policy->rules */
	struct rt_addr *listen_addrs;  /* parallel to policy->listeners */
	struct rt_addr *listen_backends;
	char userid[33];               /* USERID printed in messages */
	struct rt_filter_stat *fstats; /* policy->nfilters + 1 (the last: implicit deny) */
};

/* Builds TLS contexts and resolves addresses for 'p' (a reference is taken).
 * On failure prints why to the log and returns a negative code. */
ATTLS_NODISCARD int rt_gen_new(struct policy *p, struct rt_gen **out);
struct rt_gen *rt_gen_ref(struct rt_gen *g);
void rt_gen_unref(struct rt_gen *g);
/* What a rule or filter matches on, for an inbound connection. */
void rt_conn_attrs(const union rt_sockaddr *local, const union rt_sockaddr *remote,
		   struct policy_conn_attrs *a);
/* An address as policy and query keys hold it: 16 bytes (IPv4 as IPv4-mapped
 * IPv6) and the port in host order. */
void rt_addr_key(const union rt_sockaddr *sa, uint8_t out[16], uint16_t *port);
/* Formats an address as ip..port (the AT-TLS form). */
void rt_addr_format(const struct sockaddr *sa, char *buf, size_t len);
/* The backend of rule 'rule' (index into policy->rules) for a connection whose
 * local side is 'local': the resolved address, its port local's + N for a
 * relative backend ("host:+N"). */
void rt_backend_at(const struct rt_gen *g, size_t rule, const union rt_sockaddr *local,
		   struct rt_addr *out);

#endif
