/* SPDX-License-Identifier: Apache-2.0 */
/* The session-ID cache of a server rule (GSK_V3_SESSION_TIMEOUT, GSK_V3_SIDCACHE_SIZE)
 * and the session ID context that binds a session to its rule. */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "sesscache.h"
#include "tickets.h"

/* OpenSSL's own lifetime of a session (tickets) when the rule caches none. */
#define SESSCACHE_NO_CACHE_TIMEOUT 7200

void
sesscache_sid_ctx(const struct policy_rule *r, unsigned char out[SESSCACHE_SID_CTX_LEN])
{
	static const char tag[] = "attls session id context v1";
	const char *env = r->env ? r->env->name : "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	/* The names with their terminating NULs: "ab"+"c" differs from "a"+"bc". */
	if (!m || EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(m, tag, sizeof(tag)) != 1 ||
	    EVP_DigestUpdate(m, r->name, strlen(r->name) + 1) != 1 ||
	    EVP_DigestUpdate(m, env, strlen(env) + 1) != 1 ||
	    EVP_DigestFinal_ex(m, md, &mdlen) != 1 || mdlen < SESSCACHE_SID_CTX_LEN) {
		/* Cannot happen with the default provider; the name alone still binds. */
		memset(out, 0, SESSCACHE_SID_CTX_LEN);
		memcpy(out, r->name, strnlen(r->name, SESSCACHE_SID_CTX_LEN));
	} else {
		memcpy(out, md, SESSCACHE_SID_CTX_LEN);
	}
	EVP_MD_CTX_free(m);
}

int
sesscache_ssl_bind(SSL *ssl, const struct policy_rule *r)
{
	unsigned char sid_ctx[SESSCACHE_SID_CTX_LEN];

	sesscache_sid_ctx(r, sid_ctx);
	return SSL_set_session_id_context(ssl, sid_ctx, sizeof(sid_ctx)) == 1 ? 0 : ATTLS_ETLS;
}

int
sesscache_ctx_set(SSL_CTX *ctx, const struct policy_rule *r)
{
	unsigned char sid_ctx[SESSCACHE_SID_CTX_LEN];
	bool cache = r->eff.role != POLICY_ROLE_CLIENT && r->eff.v3_session_timeout &&
		     r->eff.v3_sidcache_size;

	sesscache_sid_ctx(r, sid_ctx);
	if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx)) != 1)
		return ATTLS_ETLS;
	SSL_CTX_set_num_tickets(ctx, 1);
	if (r->eff.role != POLICY_ROLE_CLIENT)
		tickets_ctx_set(ctx);
	if (!cache) {
		/* The Client role offers no sessions (a backend connection is new
		 * each time); a server rule with 0 resumes by ticket only. */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		if (r->eff.role != POLICY_ROLE_CLIENT)
			SSL_CTX_set_timeout(ctx, r->eff.v3_session_timeout
							 ? r->eff.v3_session_timeout
							 : SESSCACHE_NO_CACHE_TIMEOUT);
		return 0;
	}
	/* OpenSSL's cache is locked inside the context, which every worker of
	 * the process uses: one cache per rule and generation for all of them. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, r->eff.v3_sidcache_size);
	SSL_CTX_set_timeout(ctx, r->eff.v3_session_timeout);
	return 0;
}
