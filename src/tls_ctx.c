/* SPDX-License-Identifier: Apache-2.0 */
/* SSL_CTX from a rule's effective policy: certificate and key, trusted CAs,
 * protocol versions, client authentication, and secure defaults. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "attls/err.h"
#include "attls/rc.h"
#include "attls/tls.h"

/* Mozilla "intermediate" TLS 1.2 suites: forward secrecy and AEAD only. */
#define TLS12_DEFAULT_CIPHERS                                                              \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                        \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                        \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static void
last_ssl_error(char *err, size_t len, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, len, "%s: %s", what, e ? buf : "unknown error");
	ERR_clear_error();
}

/* Accepts any client certificate (ClientAuthType PassThru: no validation). */
static int
verify_accept_all(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

static int
set_versions(SSL_CTX *ctx, unsigned protos)
{
	static const struct {
		unsigned bit;
		int version;
		uint64_t no_op;
	} v[] = {
		{ POLICY_PROTO_TLS1_0, TLS1_VERSION, SSL_OP_NO_TLSv1 },
		{ POLICY_PROTO_TLS1_1, TLS1_1_VERSION, SSL_OP_NO_TLSv1_1 },
		{ POLICY_PROTO_TLS1_2, TLS1_2_VERSION, SSL_OP_NO_TLSv1_2 },
		{ POLICY_PROTO_TLS1_3, TLS1_3_VERSION, SSL_OP_NO_TLSv1_3 },
	};
	int lo = 0, hi = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		if (protos & v[i].bit) {
			if (!lo)
				lo = v[i].version;
			hi = v[i].version;
		}
	}
	if (!SSL_CTX_set_min_proto_version(ctx, lo) || !SSL_CTX_set_max_proto_version(ctx, hi))
		return -1;
	/* A gap between min and max (1.0 and 1.3 only) is closed with options. */
	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i].version > lo && v[i].version < hi && !(protos & v[i].bit))
			SSL_CTX_set_options(ctx, v[i].no_op);
	if (lo < TLS1_2_VERSION)
		SSL_CTX_set_security_level(ctx, 0); /* the admin asked for old versions */
	return 0;
}

static int
load_keyring(SSL_CTX *ctx, const struct policy_keyring *k, int *rc, char *err, size_t len)
{
	if (k->certificate) {
		if (SSL_CTX_use_certificate_chain_file(ctx, k->certificate) != 1) {
			*rc = RC_CERT_VALIDATION;
			last_ssl_error(err, len, k->certificate);
			return ATTLS_ETLS;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, k->key, SSL_FILETYPE_PEM) != 1) {
			*rc = RC_NO_PRIVATE_KEY;
			last_ssl_error(err, len, k->key);
			return ATTLS_ETLS;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			*rc = RC_NO_PRIVATE_KEY;
			snprintf(err, len, "the private key %s does not match the certificate %s",
				 k->key, k->certificate);
			ERR_clear_error();
			return ATTLS_ETLS;
		}
	}
	if (k->trusted_ca) {
		STACK_OF(X509_NAME) *names;

		if (SSL_CTX_load_verify_locations(ctx, k->trusted_ca, NULL) != 1) {
			*rc = RC_CERT_VALIDATION;
			last_ssl_error(err, len, k->trusted_ca);
			return ATTLS_ETLS;
		}
		/* Tell clients which CAs we accept, so they pick the right certificate. */
		if ((names = SSL_load_client_CA_file(k->trusted_ca)) != NULL)
			SSL_CTX_set_client_CA_list(ctx, names);
		ERR_clear_error();
	}
	return 0;
}

static void
set_client_auth(SSL_CTX *ctx, const struct policy_rule *r)
{
	if (r->eff.role != POLICY_ROLE_SERVER_CLIENT_AUTH) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return;
	}
	switch (r->eff.client_auth) {
	case POLICY_CA_PASSTHRU:
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_accept_all);
		break;
	case POLICY_CA_FULL:
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		break;
	default: /* Required, SAFCheck */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		break;
	}
}

int
tls_ctx_new(const struct policy_rule *r, SSL_CTX **out, int *rc, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int ret;

	*out = NULL;
	*rc = RC_INTERNAL;
	if (!(ctx = SSL_CTX_new(TLS_server_method()))) {
		last_ssl_error(err, errlen, "SSL_CTX_new");
		return ATTLS_ETLS;
	}
	/* Secure defaults: no renegotiation, no compression, server cipher order. A
	 * TCP FIN without close_notify is treated as end of data, like a FIN. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Idle connections give their read and write buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Resumption works through tickets, which keep no state per session here. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)r->name,
				       (unsigned)strlen(r->name));
	if (set_versions(ctx, r->eff.protocols) != 0 ||
	    SSL_CTX_set_cipher_list(ctx, TLS12_DEFAULT_CIPHERS) != 1) {
		last_ssl_error(err, errlen, "protocol or cipher setup");
		ret = ATTLS_ETLS;
		goto fail;
	}
	if ((ret = load_keyring(ctx, r->env->keyring, rc, err, errlen)) != 0)
		goto fail;
	set_client_auth(ctx, r);
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return ret;
}
