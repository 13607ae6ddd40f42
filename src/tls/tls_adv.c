/* SPDX-License-Identifier: Apache-2.0 */
/* The TTLS advanced parameters that act on one handshake rather than build the
 * context: the certificate for the client's server name (ServerHandshakeSNI*),
 * peer key floors (PeerMin*), extended master secret and max_fragment_length
 * agreements, MiddleBoxCompatMode and CertValidationMode. tls_ctx.c calls these
 * from its context setup and its ClientHello and verify callbacks. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/rc.h"
#include "keyload.h"
#include "tls.h"
#include "tls_adv.h"

/* ServerHandshakeSNIList, loaded once per context: one certificate, chain and
 * key per listed server name. */
struct sni_cert {
	const char *name, *label; /* the rule's strings */
	X509 *leaf;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
};

struct sni_certs {
	size_t n;
	struct sni_cert v[];
};

/* SSL_CTX ex_data: the SNI certificates. */
static int sni_index = -1;
static pthread_once_t sni_once = PTHREAD_ONCE_INIT;

static void
sni_certs_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct sni_certs *sc = ptr;
	size_t i;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	for (i = 0; sc && i < sc->n; i++) {
		X509_free(sc->v[i].leaf);
		sk_X509_pop_free(sc->v[i].chain, X509_free);
		EVP_PKEY_free(sc->v[i].key);
	}
	free(sc);
}

static void
sni_index_init(void)
{
	sni_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, sni_certs_free);
}

/* One labelled certificate for SNI: the leaf, the rest of the PEM file as its
 * chain, the key, checked to belong together (keyload.c: files or a token). */
static int
sni_load_one(struct sni_cert *sc, const struct policy_keyring *k, const struct policy_cert *c,
	     int *rc, char *err, size_t len)
{
	struct keyload_pair kp;
	char why[400];

	if (keyload_pair(k, c, &kp, rc, why, sizeof(why)) != 0) {
		snprintf(err, len, "label \"%s\": %s", c->label, why);
		return ATTLS_ETLS;
	}
	sc->leaf = kp.leaf;
	sc->chain = kp.chain;
	sc->key = kp.key;
	return 0;
}

/* ServerHandshakeSNIList onto the context (server roles with SNI on). */
int
tls_adv_load_sni(SSL_CTX *ctx, const struct policy_rule *r, int *rc, char *err, size_t len)
{
	const struct policy_sni_map *m = &r->eff.sni_list;
	struct sni_certs *sc;
	size_t i;

	if (r->eff.role == POLICY_ROLE_CLIENT || r->eff.sni_server == POLICY_SNI_OFF || !m->n)
		return 0;
	if (!(sc = calloc(1, sizeof(*sc) + m->n * sizeof(sc->v[0])))) {
		snprintf(err, len, "out of memory");
		return ATTLS_ENOMEM;
	}
	pthread_once(&sni_once, sni_index_init);
	SSL_CTX_set_ex_data(ctx, sni_index, sc); /* the context frees it from now on */
	for (i = 0; i < m->n; i++) {
		const struct policy_cert *c = policy_keyring_cert(r->env->keyring, m->v[i].label);

		if (!c) {
			*rc = RC_KEY_LABEL_NOT_FOUND; /* validation normally catches it */
			snprintf(err, len, "keyring \"%s\" has no certificate labelled \"%s\"",
				 r->env->keyring->name, m->v[i].label);
			return ATTLS_ETLS;
		}
		sc->v[i].name = m->v[i].name;
		sc->v[i].label = m->v[i].label;
		sc->n = i + 1;
		if (sni_load_one(&sc->v[i], r->env->keyring, c, rc, err, len) != 0)
			return ATTLS_ETLS;
	}
	return 0;
}

/* The host_name of the ClientHello's server_name extension (RFC 6066 3), or
 * false. Unprintable bytes are refused: the name goes into log lines. */
static bool
sni_of_hello(SSL *ssl, char *name, size_t size)
{
	const unsigned char *p;
	size_t len, n, i;

	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) != 1 || len < 5)
		return false;
	if ((size_t)(p[0] << 8 | p[1]) != len - 2 || p[2] != TLSEXT_NAMETYPE_host_name)
		return false;
	n = (size_t)(p[3] << 8 | p[4]);
	if (n == 0 || n + 5 > len || n >= size)
		return false;
	for (i = 0; i < n; i++) {
		if (p[5 + i] <= 0x20 || p[5 + i] >= 0x7f)
			return false;
		name[i] = (char)p[5 + i];
	}
	name[n] = '\0';
	return true;
}

/* Exact, or "*.rest" for one more leftmost label, without regard to case. */
static bool
sni_name_matches(const char *pattern, const char *name)
{
	const char *dot;

	if (strncmp(pattern, "*.", 2) != 0)
		return strcasecmp(pattern, name) == 0;
	dot = strchr(name, '.');
	return dot && dot != name && strcasecmp(pattern + 1, dot) == 0;
}

static const struct sni_cert *
sni_find(const struct sni_certs *sc, const char *name)
{
	size_t i;

	for (i = 0; sc && i < sc->n; i++) /* exact names before wildcards */
		if (strncmp(sc->v[i].name, "*.", 2) != 0 && sni_name_matches(sc->v[i].name, name))
			return &sc->v[i];
	for (i = 0; sc && i < sc->n; i++)
		if (sni_name_matches(sc->v[i].name, name))
			return &sc->v[i];
	return NULL;
}

/* ServerHandshakeSNI: presents the certificate listed for the client's server
 * name (only it, so OpenSSL cannot pick another key type), or refuses. */
static int
sni_on_hello(SSL *ssl, const struct policy_rule *r, int *al)
{
	const struct sni_certs *sc =
		sni_index >= 0 ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sni_index) : NULL;
	const struct sni_cert *c;
	char name[256], cause[512];

	if (r->eff.sni_server == POLICY_SNI_OFF)
		return SSL_CLIENT_HELLO_SUCCESS;
	if (!sni_of_hello(ssl, name, sizeof(name))) {
		if (r->eff.sni_server != POLICY_SNI_REQUIRED)
			return SSL_CLIENT_HELLO_SUCCESS;
		tls_diag_refuse(ssl, RC_UNSUPPORTED,
				"the client sent no server name (SNI), which server_handshake_sni "
				"Required demands");
		*al = SSL_AD_MISSING_EXTENSION;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (!(c = sni_find(sc, name))) {
		if (r->eff.sni_match != POLICY_SNI_MATCH_REQUIRED)
			return SSL_CLIENT_HELLO_SUCCESS;
		snprintf(cause, sizeof(cause), "the client asked for server name \"%s\", which "
					       "server_handshake_sni_list does not hold "
					       "(server_handshake_sni_match Required)",
			 name);
		tls_diag_refuse(ssl, RC_NO_KEY_LABEL_MATCH, cause);
		*al = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	SSL_certs_clear(ssl);
	if (SSL_use_cert_and_key(ssl, c->leaf, c->key, c->chain, 1) != 1) {
		snprintf(cause, sizeof(cause), "cannot present the certificate labelled \"%s\" for "
					       "server name \"%s\"",
			 c->label, name);
		tls_diag_refuse(ssl, RC_INTERNAL, cause);
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* True when the hello offers TLS 1.3 and the rule allows it: OpenSSL then picks
 * TLS 1.3, whose key schedule always has what EMS gives TLS 1.2. */
static bool
hello_gets_tls13(SSL *ssl, const struct policy_rule *r)
{
	const unsigned char *p;
	size_t len, i;

	if (!(r->eff.protocols & POLICY_PROTO_TLS1_3) ||
	    SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &len) != 1 ||
	    len < 1 || (size_t)p[0] + 1 > len)
		return false;
	for (i = 1; i + 1 < (size_t)p[0] + 1; i += 2)
		if (p[i] == 0x03 && p[i + 1] == 0x04)
			return true;
	return false;
}

/* server_extended_master_secret Required: a TLS 1.2 hello without the
 * extension is refused before anything is agreed. */
static int
ems_on_hello(SSL *ssl, const struct policy_rule *r, int *al)
{
	const unsigned char *p;
	size_t len;

	if (r->eff.ems != POLICY_EMS_REQUIRED || hello_gets_tls13(ssl, r) ||
	    SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_extended_master_secret, &p, &len) == 1)
		return SSL_CLIENT_HELLO_SUCCESS;
	tls_diag_refuse(ssl, RC_UNSUPPORTED,
			"the client offers TLS 1.2 without the extended master secret extension "
			"(RFC 7627), which server_extended_master_secret Required demands");
	*al = SSL_AD_HANDSHAKE_FAILURE;
	return SSL_CLIENT_HELLO_ERROR;
}

int
tls_adv_on_hello(SSL *ssl, const struct policy_rule *r, int *al)
{
	int ret = ems_on_hello(ssl, r, al);

	return ret == SSL_CLIENT_HELLO_SUCCESS ? sni_on_hello(ssl, r, al) : ret;
}

/* The policy's floor for a key of this type, and its name; 0: no floor. */
static unsigned
peer_min_bits(const struct policy_peer_min *pm, int type, const char **what)
{
	switch (type) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		*what = "RSA";
		return pm->rsa;
	case EVP_PKEY_EC:
		*what = "EC";
		return pm->ecc;
	case EVP_PKEY_DSA:
		*what = "DSA";
		return pm->dsa;
	case EVP_PKEY_DH:
	case EVP_PKEY_DHX:
		*what = "DH";
		return pm->dh;
	}
	return 0;
}

/* PeerMin*KeySize and PeerMinCertVersion on a certificate the peer sent. */
bool
tls_adv_peer_min_refused(const struct policy_rule *r, X509 *cert, int depth, char *why,
			 size_t len)
{
	const struct policy_peer_min *pm = &r->eff.peer_min;
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	const char *what = "?", *key;
	char subj[160], row[40], at[300];
	unsigned min;
	int bits;

	tls_name(X509_get_subject_name(cert), subj, sizeof(subj));
	if (pm->cert_version == POLICY_CERT_VERSION_3 && X509_get_version(cert) < X509_VERSION_3) {
		snprintf(why, len, "peer certificate %s at depth %d is X.509 v%ld, but the rule's "
				   "peer_min_cert_version is 3 (set at %s)",
			 subj, depth, X509_get_version(cert) + 1,
			 policy_rule_parm_where(r, "peer_min_cert_version", at, sizeof(at)));
		return true;
	}
	if (!pk || !(min = peer_min_bits(pm, EVP_PKEY_get_base_id(pk), &what)))
		return false;
	if ((bits = EVP_PKEY_get_bits(pk)) >= (int)min)
		return false;
	key = strcmp(what, "EC") == 0 ? "ecc" : strcmp(what, "RSA") == 0 ? "rsa"
				      : strcmp(what, "DSA") == 0 ? "dsa" : "dh";
	snprintf(row, sizeof(row), "peer_min_%s_key_size", key);
	snprintf(why, len, "peer certificate %s at depth %d has a %d-bit %s key, smaller than the "
			   "rule's %s %u (set at %s)",
		 subj, depth, bits, what, row, min, policy_rule_parm_where(r, row, at, sizeof(at)));
	return true;
}

/* Agreements only the finished handshake shows: EMS (Client role; servers
 * refuse at the hello) and the max_fragment_length answer. */
static int
peer_agreed(SSL *ssl, const struct policy_rule *r, char *cause, size_t len)
{
	bool tls12 = SSL_version(ssl) <= TLS1_2_VERSION;

	if (r->eff.ems == POLICY_EMS_REQUIRED && tls12 && SSL_get_extms_support(ssl) != 1) {
		snprintf(cause, len, "the peer negotiated TLS 1.2 without the extended master "
				     "secret (RFC 7627), which %s_extended_master_secret Required "
				     "demands",
			 r->eff.role == POLICY_ROLE_CLIENT ? "client" : "server");
		return RC_UNSUPPORTED;
	}
	if (r->eff.role == POLICY_ROLE_CLIENT && r->eff.max_frag == POLICY_TRI_REQUIRED &&
	    SSL_SESSION_get_max_fragment_length(SSL_get0_session(ssl)) ==
		    TLSEXT_max_fragment_length_DISABLED) {
		snprintf(cause, len, "the server did not agree to max_fragment_length %d (RFC "
				     "6066), which client_max_fragment Required demands",
			 r->eff.max_frag_len);
		return RC_UNSUPPORTED;
	}
	/* The client keeps the name in the session only when the server's hello
	 * acknowledged it (an empty server_name extension, RFC 6066 3). */
	if (r->eff.role == POLICY_ROLE_CLIENT &&
	    r->eff.sni_client_match == POLICY_SNI_MATCH_REQUIRED &&
	    !SSL_SESSION_get0_hostname(SSL_get0_session(ssl))) {
		snprintf(cause, len, "the server did not acknowledge the server name %s we sent, "
				     "which client_handshake_sni_match Required demands",
			 SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)
				 ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)
				 : "(none)");
		return RC_UNSUPPORTED;
	}
	return 0;
}

int
tls_peer_check(SSL *ssl, const struct policy_rule *r, char *cause, size_t len)
{
	EVP_PKEY *pk = NULL;
	int bits, rc;

	if ((rc = peer_agreed(ssl, r, cause, len)) != 0)
		return rc;
	if (!r->eff.peer_min.dh || SSL_get_peer_tmp_key(ssl, &pk) != 1)
		return 0;
	bits = EVP_PKEY_get_base_id(pk) == EVP_PKEY_DH || EVP_PKEY_get_base_id(pk) == EVP_PKEY_DHX
		       ? EVP_PKEY_get_bits(pk)
		       : INT_MAX;
	EVP_PKEY_free(pk);
	if (bits >= (int)r->eff.peer_min.dh)
		return 0;
	snprintf(cause, len, "the peer's ephemeral DH key has %d bits, fewer than the rule's "
			     "peer_min_dh_key_size %u (a DHE suite or ffdhe group with a small "
			     "group)",
		 bits, r->eff.peer_min.dh);
	return RC_BAD_CERTIFICATE;
}

/* MiddleBoxCompatMode, ExtendedMasterSecret Off, CertValidationMode,
 * ClientMaxSSLFragment; the Required checks are in ems_on_hello/peer_agreed. */
int
tls_adv_set(SSL_CTX *ctx, const struct policy_rule *r, char *err, size_t errlen)
{
	uint8_t mfl;

	if (r->eff.middlebox_compat)
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
	else
		SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
	if (r->eff.ems == POLICY_EMS_OFF)
		SSL_CTX_set_options(ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
	if (r->eff.cert_validation != POLICY_CV_ANY)
		X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
	if (r->eff.role != POLICY_ROLE_CLIENT || r->eff.max_frag == POLICY_TRI_OFF)
		return 0;
	mfl = r->eff.max_frag_len == 512    ? TLSEXT_max_fragment_length_512
	      : r->eff.max_frag_len == 1024 ? TLSEXT_max_fragment_length_1024
	      : r->eff.max_frag_len == 2048 ? TLSEXT_max_fragment_length_2048
					    : TLSEXT_max_fragment_length_4096;
	if (SSL_CTX_set_tlsext_max_fragment_length(ctx, mfl) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "OpenSSL refused client_max_fragment_length %d",
			 r->eff.max_frag_len);
		return ATTLS_ETLS;
	}
	return 0;
}
