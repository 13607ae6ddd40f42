/* SPDX-License-Identifier: Apache-2.0 */
/* The session-ID cache of a server rule (GSK_V3_SESSION_TIMEOUT, GSK_V3_SIDCACHE_SIZE)
 * and the session ID context that binds a session to its rule. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/log.h"
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

/* What one connection's SSL knows for the external store. */
struct sesscache_conn {
	unsigned char sid_ctx[SESSCACHE_SID_CTX_LEN];
	enum { LOOKUP_NONE, LOOKUP_PENDING, LOOKUP_DONE } state;
	struct sesscache_lookup *lookup; /* while pending */
	const struct sesscache_store *store;
	void (*wake)(void *arg);
	void *arg;
	SSL_SESSION *found; /* from the store, for on_get_session */
};

static int conn_index = -1, offer_index = -1;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;

/* What a ClientHello offered, kept in the SSL as a small number for the metrics. */
enum { OFFER_ID = 1, OFFER_TICKET = 2, OFFER_STORE_ASKED = 4, OFFER_STORE_HIT = 8 };

static void
offer_add(SSL *ssl, uintptr_t bits)
{
	uintptr_t v = (uintptr_t)SSL_get_ex_data(ssl, offer_index);

	SSL_set_ex_data(ssl, offer_index, (void *)(v | bits));
}
static __thread const struct sesscache_store *thread_store;

static void
conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct sesscache_conn *sc = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (!sc)
		return;
	if (sc->lookup)
		sc->store->cancel(sc->lookup);
	SSL_SESSION_free(sc->found);
	free(sc);
}

static void
conn_index_init(void)
{
	conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free);
	offer_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

void
sesscache_set_store(const struct sesscache_store *store)
{
	pthread_once(&conn_once, conn_index_init);
	thread_store = store;
}

int
sesscache_ssl_bind(SSL *ssl, const struct policy_rule *r, void (*wake)(void *arg), void *arg)
{
	unsigned char sid_ctx[SESSCACHE_SID_CTX_LEN];
	struct sesscache_conn *sc;

	sesscache_sid_ctx(r, sid_ctx);
	if (SSL_set_session_id_context(ssl, sid_ctx, sizeof(sid_ctx)) != 1)
		return ATTLS_ETLS;
	/* Only a rule with a session-ID cache resumes by ID from the store. */
	if (!thread_store || !r->eff.v3_session_timeout || !r->eff.v3_sidcache_size)
		return 0;
	if (!(sc = calloc(1, sizeof(*sc))))
		return ATTLS_ENOMEM;
	memcpy(sc->sid_ctx, sid_ctx, sizeof(sid_ctx));
	sc->store = thread_store;
	sc->wake = wake;
	sc->arg = arg;
	if (SSL_set_ex_data(ssl, conn_index, sc) != 1) {
		free(sc);
		return ATTLS_ENOMEM;
	}
	return 0;
}

static void
hex(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The store's key: the rule's session ID context, then the session ID, so a
 * session is found only under the rule it was made by. */
static void
store_key(char out[SESSCACHE_KEY_MAX], const unsigned char *sid_ctx, const unsigned char *id,
	  size_t idlen)
{
	memcpy(out, "attls:sid:", 10);
	hex(out + 10, sid_ctx, SESSCACHE_SID_CTX_LEN);
	out[10 + 2 * SESSCACHE_SID_CTX_LEN] = ':';
	hex(out + 11 + 2 * SESSCACHE_SID_CTX_LEN, id, idlen);
}
_Static_assert(11 + 2 * SESSCACHE_SID_CTX_LEN + 2 * SSL_MAX_SSL_SESSION_ID_LENGTH + 1 <=
		       SESSCACHE_KEY_MAX,
	       "store key length");

/* A TLS 1.3 hello carries a random legacy session ID (RFC 8446 D.4): nothing
 * to look up when TLS 1.3 will be negotiated. */
static bool
hello_is_tls13(SSL *ssl)
{
	const unsigned char *p;
	size_t len, i;

	if (SSL_get_max_proto_version(ssl) != 0 && SSL_get_max_proto_version(ssl) < TLS1_3_VERSION)
		return false;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &len) != 1 ||
	    len < 1)
		return false;
	for (i = 1; i + 1 < len && i < (size_t)p[0] + 1; i += 2)
		if (p[i] == 0x03 && p[i + 1] == 0x04)
			return true;
	return false;
}

/* What the hello offers to resume: a ticket or PSK, or a TLS 1.2 session ID. */
static uintptr_t
hello_offer(SSL *ssl, const unsigned char **id, size_t *idlen)
{
	const unsigned char *p;
	size_t len = 0;
	bool tls13 = hello_is_tls13(ssl);

	*idlen = SSL_client_hello_get0_session_id(ssl, id);
	if ((SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_session_ticket, &p, &len) == 1 && len > 0) ||
	    (tls13 && SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk, &p, &len) == 1))
		return OFFER_TICKET;
	return !tls13 && *idlen > 0 && *idlen <= SSL_MAX_SSL_SESSION_ID_LENGTH ? OFFER_ID : 0;
}

int
sesscache_on_hello(SSL *ssl)
{
	struct sesscache_conn *sc = conn_index >= 0 ? SSL_get_ex_data(ssl, conn_index) : NULL;
	const unsigned char *id;
	char key[SESSCACHE_KEY_MAX];
	uintptr_t offer;
	size_t idlen;

	pthread_once(&conn_once, conn_index_init);
	if (sc && sc->state == LOOKUP_PENDING)
		return SSL_CLIENT_HELLO_RETRY;
	if (sc && sc->state == LOOKUP_DONE)
		return SSL_CLIENT_HELLO_SUCCESS;
	offer = hello_offer(ssl, &id, &idlen);
	offer_add(ssl, offer);
	if (!sc)
		return SSL_CLIENT_HELLO_SUCCESS;
	sc->state = LOOKUP_DONE;
	/* A ticket resumes without the store; a session we hold needs no lookup. */
	if (offer != OFFER_ID || SSL_has_matching_session_id(ssl, id, (unsigned)idlen))
		return SSL_CLIENT_HELLO_SUCCESS;
	store_key(key, sc->sid_ctx, id, idlen);
	if (!(sc->lookup = sc->store->get(ssl, key)))
		return SSL_CLIENT_HELLO_SUCCESS;
	offer_add(ssl, OFFER_STORE_ASKED);
	sc->state = LOOKUP_PENDING;
	return SSL_CLIENT_HELLO_RETRY;
}

enum sesscache_kind
sesscache_resumption(SSL *ssl, bool *hit)
{
	uintptr_t v = offer_index >= 0 ? (uintptr_t)SSL_get_ex_data(ssl, offer_index) : 0;

	*hit = SSL_session_reused(ssl) == 1;
	if (v & OFFER_TICKET)
		return SESSCACHE_TICKET;
	if (!(v & OFFER_ID))
		return SESSCACHE_OFFERED_NONE;
	if (*hit)
		return v & OFFER_STORE_HIT ? SESSCACHE_REDIS : SESSCACHE_LOCAL;
	return v & OFFER_STORE_ASKED ? SESSCACHE_REDIS : SESSCACHE_LOCAL;
}

void
sesscache_found(SSL *ssl, const unsigned char *der, size_t len)
{
	struct sesscache_conn *sc = SSL_get_ex_data(ssl, conn_index);
	const unsigned char *p = der;

	if (!sc || sc->state != LOOKUP_PENDING)
		return;
	sc->lookup = NULL;
	sc->state = LOOKUP_DONE;
	if (der && len && len < LONG_MAX)
		sc->found = d2i_SSL_SESSION(NULL, &p, (long)len);
	ERR_clear_error();
	sc->wake(sc->arg);
}

/* OpenSSL's cache missed: the session the store found, if it is the one asked
 * for (OpenSSL then checks its context and lifetime itself). */
static SSL_SESSION *
on_get_session(SSL *ssl, const unsigned char *id, int idlen, int *copy)
{
	struct sesscache_conn *sc = conn_index >= 0 ? SSL_get_ex_data(ssl, conn_index) : NULL;
	SSL_SESSION *s = sc ? sc->found : NULL;
	unsigned int slen;
	const unsigned char *sid;

	*copy = 0;
	if (!s)
		return NULL;
	sc->found = NULL;
	sid = SSL_SESSION_get_id(s, &slen);
	if (slen != (unsigned)idlen || memcmp(sid, id, slen) != 0) {
		SSL_SESSION_free(s);
		return NULL;
	}
	offer_add(ssl, OFFER_STORE_HIT);
	return s; /* our reference goes to OpenSSL */
}

/* A new TLS 1.2 session of a full handshake: into the store as well. */
static int
on_new_session(SSL *ssl, SSL_SESSION *s)
{
	struct sesscache_conn *sc = conn_index >= 0 ? SSL_get_ex_data(ssl, conn_index) : NULL;
	char key[SESSCACHE_KEY_MAX];
	unsigned char *der = NULL;
	const unsigned char *id;
	unsigned int idlen;
	int len;

	if (!sc || SSL_SESSION_get_protocol_version(s) >= TLS1_3_VERSION)
		return 0;
	id = SSL_SESSION_get_id(s, &idlen);
	if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH ||
	    (len = i2d_SSL_SESSION(s, &der)) <= 0)
		return 0;
	store_key(key, sc->sid_ctx, id, idlen);
	sc->store->put(key, der, (size_t)len, (unsigned)SSL_SESSION_get_timeout(s));
	OPENSSL_free(der);
	return 0; /* OpenSSL keeps its reference */
}

int
sesscache_url_parse(const char *url, char *host, size_t hostlen, int *port, int *db)
{
	const char *p, *h, *he, *colon;
	char *end;
	long v;

	if (strncmp(url, "redis://", 8) != 0)
		return ATTLS_EINVAL;
	h = url + 8;
	if (*h == '[') {
		if (!(he = strchr(h, ']')))
			return ATTLS_EINVAL;
		colon = he + 1;
		h++;
	} else {
		colon = strchr(h, ':');
		he = colon;
	}
	if (!colon || *colon != ':' || he == h || (size_t)(he - h) >= hostlen)
		return ATTLS_EINVAL;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	v = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || v < 1 || v > 65535)
		return ATTLS_EINVAL;
	*port = (int)v;
	*db = 0;
	p = end;
	if (*p == '/') {
		v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v < 0 || v > 65535)
			return ATTLS_EINVAL;
		*db = (int)v;
		p = end;
	}
	return *p ? ATTLS_EINVAL : 0;
}

int
sesscache_url_check(const char *url)
{
	char host[256];
	int port, db;

	if (!url || sesscache_url_parse(url, host, sizeof(host), &port, &db) == 0)
		return 0;
	log_error("session_cache \"%s\" is not redis://HOST:PORT[/DB]", url);
	return ATTLS_EINVAL;
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
	/* settings.session_cache: OpenSSL's cache first, then the fleet's. */
	SSL_CTX_sess_set_new_cb(ctx, on_new_session);
	SSL_CTX_sess_set_get_cb(ctx, on_get_session);
	SSL_CTX_set_timeout(ctx, r->eff.v3_session_timeout);
	return 0;
}
