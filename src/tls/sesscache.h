/* SPDX-License-Identifier: Apache-2.0 */
/* Session resumption of a server rule: the session-ID cache all workers of the
 * process share, and the session ID context that binds sessions to their rule. */
#ifndef ATTLS_SESSCACHE_H
#define ATTLS_SESSCACHE_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include "common/compiler.h"
#include "policy/policy.h"

/* The rule's session ID context: a digest of its rule and environment names,
 * the same on every host, so a session resumes only under the rule (and
 * environment) it was made by. */
#define SESSCACHE_SID_CTX_LEN 32

void sesscache_sid_ctx(const struct policy_rule *r, unsigned char out[SESSCACHE_SID_CTX_LEN]);

/* Sets up resumption on a new context: the session ID context, and for server
 * roles OpenSSL's session cache (one per context, so shared by every worker of
 * the process) with v3_sidcache_size entries of v3_session_timeout seconds. */
int sesscache_ctx_set(SSL_CTX *ctx, const struct policy_rule *r);

/* Binds the sessions of one accepted connection to its rule: rules that share
 * an environment share a context (and its cache), not their sessions. With an
 * external store, a lookup that ends calls wake(arg) on the connection's
 * thread, and the handshake goes on. */
int sesscache_ssl_bind(SSL *ssl, const struct policy_rule *r, void (*wake)(void *arg),
		       void *arg);

/* An external session store (settings.session_cache): TLS 1.2 sessions by
 * session ID, for every host of a fleet. Its functions run on the thread of
 * the connection's loop and never block. */
struct sesscache_lookup;
#define SESSCACHE_KEY_MAX 160
struct sesscache_store {
	/* Stores a session under 'key' for 'ttl' seconds; may drop it. */
	void (*put)(const char *key, const unsigned char *der, size_t len, unsigned ttl);
	/* Starts looking 'key' up for 'ssl', which then waits for
	 * sesscache_found(); NULL: not started (a full handshake follows). */
	struct sesscache_lookup *(*get)(SSL *ssl, const char *key);
	/* 'ssl' is gone: sesscache_found() must not be called for it. */
	void (*cancel)(struct sesscache_lookup *l);
};

/* settings.session_cache, "redis://HOST:PORT[/DB]": HOST a name or address
 * ([v6] in brackets). sesscache_url_check() logs why a URL is refused. */
ATTLS_NODISCARD int sesscache_url_parse(const char *url, char *host, size_t hostlen, int *port,
					int *db);
ATTLS_NODISCARD int sesscache_url_check(const char *url);

/* Set by the thread that runs a loop, for the connections of that loop. */
void sesscache_set_store(const struct sesscache_store *store);

/* A lookup ended: 'der' the session found (NULL: none, or too late). */
void sesscache_found(SSL *ssl, const unsigned char *der, size_t len);

/* From the ClientHello callback: starts the external lookup of a TLS 1.2
 * session ID the process does not hold. SSL_CLIENT_HELLO_RETRY while one is
 * under way, else SSL_CLIENT_HELLO_SUCCESS. */
int sesscache_on_hello(SSL *ssl);

/* After a handshake: the cache the client offered to resume from, and hit or
 * miss. Tickets (TLS 1.2) and PSKs (TLS 1.3) are SESSCACHE_TICKET. */
enum sesscache_kind {
	SESSCACHE_OFFERED_NONE = -1,
	SESSCACHE_LOCAL = 0, /* the session-ID cache of the process */
	SESSCACHE_REDIS = 1, /* settings.session_cache */
	SESSCACHE_TICKET = 2,
};
enum sesscache_kind sesscache_resumption(SSL *ssl, bool *hit);

#endif
