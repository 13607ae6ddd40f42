/* SPDX-License-Identifier: Apache-2.0 */
/* Session resumption of a server rule: the session-ID cache all workers of the
 * process share, and the session ID context that binds sessions to their rule. */
#ifndef ATTLS_SESSCACHE_H
#define ATTLS_SESSCACHE_H

#include <openssl/ssl.h>

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
 * an environment share a context (and its cache), not their sessions. */
int sesscache_ssl_bind(SSL *ssl, const struct policy_rule *r);

#endif
