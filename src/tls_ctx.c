/* SPDX-License-Identifier: Apache-2.0 */
/* SSL_CTX from a rule's effective policy: certificate and key, trusted CAs,
 * protocol versions, client authentication, and secure defaults. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "attls/err.h"
#include "attls/log.h"
#include "attls/rc.h"
#include "attls/tls.h"
#include "attls/tlsnames.h"

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

static int
append(char *buf, size_t len, const char *name)
{
	size_t off = strlen(buf);

	if (off + strlen(name) + 2 > len)
		return -1;
	snprintf(buf + off, len - off, "%s%s", off ? ":" : "", name);
	return 0;
}

/* IANA codes -> OpenSSL cipher strings, in policy order; TLS 1.3 suites apart. */
static int
cipher_lists(const struct policy_cipher_parms *cp, const char *rule, char *l12, char *l13,
	     size_t len)
{
	STACK_OF(SSL_CIPHER) *sk;
	SSL_CTX *all;
	size_t i;
	int k, r = 0;

	l12[0] = l13[0] = '\0';
	if (!(all = SSL_CTX_new(TLS_method())))
		return -1;
	SSL_CTX_set_cipher_list(all, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
	SSL_CTX_set_ciphersuites(all, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
				      "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:"
				      "TLS_AES_128_CCM_8_SHA256");
	sk = SSL_CTX_get_ciphers(all);
	for (i = 0; i < cp->suites.n && r == 0; i++) {
		uint16_t code = cp->suites.v[i];
		const SSL_CIPHER *c = NULL;

		for (k = 0; k < sk_SSL_CIPHER_num(sk); k++)
			if (SSL_CIPHER_get_protocol_id(sk_SSL_CIPHER_value(sk, k)) == code)
				c = sk_SSL_CIPHER_value(sk, k);
		if (!c) {
			log_warn("rule \"%s\": cipher suite %04X is not available in this OpenSSL; "
				 "it is left out",
				 rule, code);
			continue;
		}
		r = append((code >> 8) == 0x13 ? l13 : l12, len, SSL_CIPHER_get_name(c));
	}
	SSL_CTX_free(all);
	return r;
}

static int
code_list(const struct policy_codes *c, const struct tlsname *(*lookup)(uint16_t), char *buf,
	  size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < c->n; i++) {
		const struct tlsname *n = lookup(c->v[i]);
		if (n && append(buf, len, n->openssl) != 0)
			return -1;
	}
	return 0;
}

/* TTLSCipherParms and TTLSSignatureParms onto the context. */
static int
set_parm_sets(SSL_CTX *ctx, const struct policy_rule *r, int *rc, char *err, size_t errlen)
{
	const struct policy_sig_parms *sg = r->eff.signatures;
	char a[2048], b[1024];

	if (r->eff.ciphers) {
		if (cipher_lists(r->eff.ciphers, r->name, a, b, sizeof(b)) != 0 ||
		    (a[0] && SSL_CTX_set_cipher_list(ctx, a) != 1) ||
		    SSL_CTX_set_ciphersuites(ctx, b) != 1) {
			*rc = 422; /* GSK_ERROR_BAD_V3_CIPHER */
			last_ssl_error(err, errlen, "cipher set");
			return ATTLS_ETLS;
		}
		if (!a[0] && (r->eff.protocols & ~POLICY_PROTO_TLS1_3)) {
			*rc = 422;
			snprintf(err, errlen, "cipher set \"%s\" leaves no TLS 1.2 suite this OpenSSL "
					      "supports",
				 r->eff.ciphers->name);
			return ATTLS_ETLS;
		}
	}
	if (!sg)
		return 0;
	if (sg->sigalgs.n && (code_list(&sg->sigalgs, tlsname_sigalg, a, sizeof(a)) != 0 ||
			      SSL_CTX_set1_sigalgs_list(ctx, a) != 1 ||
			      SSL_CTX_set1_client_sigalgs_list(ctx, a) != 1)) {
		*rc = 467;
		last_ssl_error(err, errlen, "signature_pairs");
		return ATTLS_ETLS;
	}
	/* One groups list in OpenSSL: TLS 1.3 key shares first, then TLS 1.2 curves. */
	if (r->eff.role == POLICY_ROLE_CLIENT) {
		struct policy_codes both = { NULL, 0 };
		uint16_t v[64];
		size_t i, j;
		const struct policy_codes *src[2] = { &sg->client_key_shares, &sg->client_ecurves };

		both.v = v;
		for (i = 0; i < 2; i++)
			for (j = 0; j < src[i]->n && both.n < 64; j++) {
				size_t m;
				for (m = 0; m < both.n && v[m] != src[i]->v[j]; m++)
					;
				if (m == both.n)
					v[both.n++] = src[i]->v[j];
			}
		if (both.n && (code_list(&both, tlsname_group, a, sizeof(a)) != 0 ||
			       SSL_CTX_set1_groups_list(ctx, a) != 1)) {
			*rc = 402;
			last_ssl_error(err, errlen, "client key-exchange groups");
			return ATTLS_ETLS;
		}
	} else {
		struct policy_codes both = { NULL, 0 };
		uint16_t v[64];
		size_t i, j;
		const struct policy_codes *src[2] = { &sg->server_key_shares, &sg->server_kex_ecurves };

		both.v = v;
		for (i = 0; i < 2; i++)
			for (j = 0; j < src[i]->n && both.n < 64; j++) {
				size_t m;
				for (m = 0; m < both.n && v[m] != src[i]->v[j]; m++)
					;
				if (m == both.n)
					v[both.n++] = src[i]->v[j];
			}
		if (both.n && (code_list(&both, tlsname_group, a, sizeof(a)) != 0 ||
			       SSL_CTX_set1_groups_list(ctx, a) != 1)) {
			*rc = 402;
			last_ssl_error(err, errlen, "server key-exchange groups");
			return ATTLS_ETLS;
		}
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
tls_set_identity(SSL *ssl, const char *id)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	unsigned char buf[16];

	if (!id[0])
		return 0;
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (inet_pton(AF_INET, id, buf) == 1 || inet_pton(AF_INET6, id, buf) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(vp, id) == 1 ? 0 : -1;
	return SSL_set1_host(ssl, id) == 1 ? 0 : -1;
}

int
tls_ctx_new(const struct policy_rule *r, SSL_CTX **out, int *rc, char *err, size_t errlen)
{
	bool client = r->eff.role == POLICY_ROLE_CLIENT;
	SSL_CTX *ctx;
	int ret;

	*out = NULL;
	*rc = RC_INTERNAL;
	if (!(ctx = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method()))) {
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
	/* One read() per burst instead of one per record header and body. */
	SSL_CTX_set_read_ahead(ctx, 1);
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
	if ((ret = set_parm_sets(ctx, r, rc, err, errlen)) != 0)
		goto fail;
	if ((ret = load_keyring(ctx, r->env->keyring, rc, err, errlen)) != 0)
		goto fail;
	if (client)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	else
		set_client_auth(ctx, r);
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return ret;
}
