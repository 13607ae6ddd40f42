/* SPDX-License-Identifier: Apache-2.0 */
/* SSL_CTX from a rule's effective policy: certificate and key, trusted CAs,
 * protocol versions, client authentication, and secure defaults; the cipher
 * and signature sets are tls_parms.c's. */
#include "config.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "tls.h"
#include "policy/tlsnames.h"
#include "chello.h"
#include "crl.h"
#include "keyload.h"
#include "sesscache.h"
#include "tls_int.h"
#include "tls_adv.h"

/* A DER OCSP response, read once per context. */
struct ocsp_blob {
	long len;
	unsigned char der[];
};

/* SSL_CTX ex_data: the rule, the OCSP response, the security level kept by
 * hand for TLS 1.0/1.1 (legacy_floor); SSL ex_data: set when a renegotiation
 * was refused. */
static int rule_index = -1, ocsp_index = -1, legacy_index = -1, reneg_index = -1;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void
ocsp_blob_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void
index_init(void)
{
	rule_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ocsp_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ocsp_blob_free);
	legacy_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	reneg_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

const struct policy_rule *
tls_ctx_rule(const SSL_CTX *ctx)
{
	return rule_index >= 0 && ctx ? SSL_CTX_get_ex_data(ctx, rule_index) : NULL;
}

bool
tls_reneg_refused(const SSL *ssl)
{
	return reneg_index >= 0 && SSL_get_ex_data(ssl, reneg_index) != NULL;
}

/* Bits of security of OpenSSL's levels 0..5 (SSL_CTX_set_security_level(3)). */
static const int level_bits[] = { 0, 80, 112, 128, 192, 256 };
static const int level_rsa[] = { 0, 1024, 2048, 3072, 7680, 15360 };

/* The peer_min_* floors of 'r' as text ("; peer_min_rsa_key_size 3072 ..."). */
static void
peer_min_text(const struct policy_rule *r, char *buf, size_t len)
{
	const struct policy_peer_min *pm = &r->eff.peer_min;
	const struct {
		const char *name;
		unsigned v;
	} f[] = { { "rsa", pm->rsa }, { "ecc", pm->ecc }, { "dsa", pm->dsa }, { "dh", pm->dh } };
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(f) && off < len; i++)
		if (f[i].v)
			off += (size_t)snprintf(buf + off, len - off, ", peer_min_%s_key_size %u",
						f[i].name, f[i].v);
	if (pm->cert_version == POLICY_CERT_VERSION_3 && off < len)
		snprintf(buf + off, len - off, ", peer_min_cert_version 3");
}

/* OpenSSL's own security callback, which the legacy one below falls back on. */
static int (*secop_default)(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid,
			    void *other, void *ex);

/* Security callback of a context at level 0 for TLS 1.0/1.1: the kept level's
 * floor on the peer's ephemeral finite-field DH key (a Client role facing a
 * server with a small DHE group), which no certificate check sees. */
static int
on_security_legacy(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other,
		   void *ex)
{
	const SSL_CTX *c = ctx ? ctx : s ? SSL_get_SSL_CTX(s) : NULL;
	int level = c ? (int)(intptr_t)SSL_CTX_get_ex_data(c, legacy_index) : 0;
	char why[200];

	if (op == SSL_SECOP_TMP_DH && level > 0 && bits < level_bits[level]) {
		snprintf(why, sizeof(why), "the peer's ephemeral DH key has %d bits of security, "
					   "below the %d bits of security level %d that attlsd keeps "
					   "for this rule although it allows TLS 1.0 or 1.1",
			 bits, level_bits[level], level);
		if (s)
			tls_diag_refuse((SSL *)s, RC_BAD_CERTIFICATE, why);
		return 0;
	}
	return secop_default(s, ctx, op, bits, nid, other, ex);
}

/* OpenSSL 3 negotiates TLS 1.0 and 1.1 only at security level 0 (their
 * handshakes sign with MD5 and SHA-1), which would also drop every floor on
 * the peer's certificates. The level the context had is kept by hand instead:
 * legacy_floor_refused() checks keys and signatures of the chain against it. */
static void
legacy_floor_keep(SSL_CTX *ctx, const struct policy_rule *r)
{
	int level = SSL_CTX_get_security_level(ctx);
	char mins[200];

	if (level < 1)
		level = 1;
	if (level > 5)
		level = 5;
	SSL_CTX_set_ex_data(ctx, legacy_index, (void *)(intptr_t)level);
	SSL_CTX_set_security_level(ctx, 0);
	if (!secop_default)
		secop_default = SSL_CTX_get_security_callback(ctx);
	SSL_CTX_set_security_callback(ctx, on_security_legacy);
	peer_min_text(r, mins, sizeof(mins));
	log_warn("rule \"%s\" allows TLS %s: OpenSSL needs security level 0 for it, so attlsd "
		 "checks the peer's certificates itself at level %d: keys of at least %d bits "
		 "of security (RSA and DSA %d bits, EC %d) and signatures of at least %d bits "
		 "(no MD5 or SHA-1), and ephemeral DH keys as large%s%s",
		 r->name, (r->eff.protocols & POLICY_PROTO_TLS1_0) ? "1.0" : "1.1", level,
		 level_bits[level], level_rsa[level], 2 * level_bits[level], level_bits[level],
		 mins[0] ? "; still applied too" : "", mins);
}

/* The kept level's floors on one certificate of the peer's chain, as OpenSSL
 * applies them at levels 1 and up: every key, every signature but a trust
 * anchor's own. */
static bool
legacy_floor_refused(SSL *ssl, X509 *cert, int depth, char *why, size_t len)
{
	int level = (int)(intptr_t)SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), legacy_index);
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	int md = NID_undef, sec = 0;
	char subj[160];

	if (level <= 0)
		return false;
	tls_name(X509_get_subject_name(cert), subj, sizeof(subj));
	if (!pk || (sec = EVP_PKEY_get_security_bits(pk)) < level_bits[level]) {
		snprintf(why, len, "peer certificate %s at depth %d has a %d-bit %s key (%d bits of "
				   "security), below the %d bits of security level %d that attlsd keeps "
				   "for this rule although it allows TLS 1.0 or 1.1",
			 subj, depth, pk ? EVP_PKEY_get_bits(pk) : 0,
			 pk && EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "no", sec,
			 level_bits[level],
			 level);
		return true;
	}
	if (X509_get_extension_flags(cert) & EXFLAG_SS)
		return false;
	if (!X509_get_signature_info(cert, &md, NULL, &sec, NULL) || sec < level_bits[level]) {
		snprintf(why, len, "peer certificate %s at depth %d is signed with %s (%d bits of "
				   "security), below the %d bits of security level %d that attlsd keeps "
				   "for this rule although it allows TLS 1.0 or 1.1",
			 subj, depth, md != NID_undef ? OBJ_nid2sn(md) : "an unknown digest", sec,
			 level_bits[level], level);
		return true;
	}
	return false;
}

static int
set_versions(SSL_CTX *ctx, const struct policy_rule *r)
{
	unsigned protos = r->eff.protocols;
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
		return ATTLS_ETLS;
	/* A gap between min and max (1.0 and 1.3 only) is closed with options. */
	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i].version > lo && v[i].version < hi && !(protos & v[i].bit))
			SSL_CTX_set_options(ctx, v[i].no_op);
	if (lo < TLS1_2_VERSION)
		legacy_floor_keep(ctx, r); /* the admin asked for old versions */
	return 0;
}

/* One labelled certificate into its key-type slot of the context. OpenSSL has
 * one slot per key type, so a second label of the same type would silently
 * replace the first: refused. 'types' holds the types loaded so far. The files
 * or token objects are read by keyload.c. */
static int
load_cert(SSL_CTX *ctx, const struct policy_rule *r, const struct policy_cert *c, int types[],
	  const char *labels[], size_t *n, int *rc, char *err, size_t len)
{
	struct keyload_pair kp;
	int type, ret = ATTLS_ETLS;
	size_t i;

	if ((ret = keyload_pair(r->env->keyring, c, &kp, rc, err, len)) != 0)
		return ret;
	type = EVP_PKEY_get_base_id(X509_get0_pubkey(kp.leaf));
	for (i = 0; i < *n; i++)
		if (types[i] == type) {
			*rc = RC_UNSUPPORTED_CERT_TYPE;
			snprintf(err, len, "certificate labels \"%s\" and \"%s\" both hold %s keys; "
					   "one is presented per key type",
				 labels[i], c->label, OBJ_nid2sn(type));
			goto out;
		}
	types[*n] = type;
	labels[(*n)++] = c->label;
	if (SSL_CTX_use_cert_and_key(ctx, kp.leaf, kp.key, kp.chain, 1) != 1) {
		*rc = RC_NO_PRIVATE_KEY;
		tls_err_last(err, len, c->key);
		goto out;
	}
	ret = 0;
out:
	keyload_pair_free(&kp);
	return ret;
}

/* CertificateLabel, or the ServerCertificateLabel list for server roles; the
 * label "default" (certificate/key) when neither is given. */
static int
load_certs(SSL_CTX *ctx, const struct policy_rule *r, int *rc, char *err, size_t len)
{
	const struct policy_keyring *k = r->env->keyring;
	const char *want[POLICY_SERVER_LABELS], *loaded[POLICY_SERVER_LABELS];
	int types[POLICY_SERVER_LABELS];
	size_t n = 0, nl = 0, i;
	int ret;

	if (r->eff.role != POLICY_ROLE_CLIENT && r->eff.server_labels.n) {
		for (n = 0; n < r->eff.server_labels.n; n++)
			want[n] = r->eff.server_labels.v[n];
	} else {
		want[n++] = r->eff.cert_label ? r->eff.cert_label : "default";
	}
	for (i = 0; i < n; i++) {
		const struct policy_cert *c = policy_keyring_cert(k, want[i]);

		if (!c && r->eff.role == POLICY_ROLE_CLIENT && !r->eff.cert_label)
			continue; /* a client needs a certificate only for client auth */
		if (!c) {
			*rc = RC_KEY_LABEL_NOT_FOUND; /* validation normally catches it */
			snprintf(err, len, "keyring \"%s\" has no certificate labelled \"%s\"",
				 k->name, want[i]);
			return ATTLS_ETLS;
		}
		if ((ret = load_cert(ctx, r, c, types, loaded, &nl, rc, err, len)) != 0)
			return ret;
	}
	return 0;
}

static int
load_keyring(SSL_CTX *ctx, const struct policy_rule *r, int *rc, char *err, size_t len)
{
	const struct policy_keyring *k = r->env->keyring;
	int ret;

	if ((ret = load_certs(ctx, r, rc, err, len)) != 0 ||
	    (ret = tls_adv_load_sni(ctx, r, rc, err, len)) != 0)
		return ret;
	if (k->crl && (ret = crl_ctx_load(ctx, k->crl, rc, err, len)) != 0)
		return ret;
	if (k->trusted_ca) {
		STACK_OF(X509_NAME) *names;

		if (SSL_CTX_load_verify_locations(ctx, k->trusted_ca, NULL) != 1) {
			*rc = RC_CERT_VALIDATION;
			tls_err_last(err, len, k->trusted_ca);
			return ATTLS_ETLS;
		}
		/* Tell clients which CAs we accept, so they pick the right certificate. */
		if ((names = SSL_load_client_CA_file(k->trusted_ca)) != NULL)
			SSL_CTX_set_client_CA_list(ctx, names);
		ERR_clear_error();
	}
	return 0;
}

/* The TLS SignatureScheme codes a certificate's signature counts as: RSA-PSS
 * has an rsae and a pss code, either may be listed. Returns how many. */
static int
cert_sig_codes(X509 *cert, uint16_t codes[2])
{
	static const int hashes[] = { NID_md5, NID_sha1, NID_sha224, NID_sha256, NID_sha384,
				      NID_sha512 };
	int md, pk;
	unsigned h;

	if (!X509_get_signature_info(cert, &md, &pk, NULL, NULL))
		return 0;
	if (pk == NID_ED25519 || pk == NID_ED448) {
		codes[0] = pk == NID_ED25519 ? 0x0807 : 0x0808;
		return 1;
	}
	for (h = 0; h < ARRAY_SIZE(hashes) && hashes[h] != md; h++)
		;
	if (h == ARRAY_SIZE(hashes))
		return 0;
	if (pk == NID_rsassaPss) {
		if (h < 3)
			return 0;
		codes[0] = (uint16_t)(0x0804 + h - 3);
		codes[1] = (uint16_t)(0x0809 + h - 3);
		return 2;
	}
	codes[0] = (uint16_t)((h + 1) << 8 | (pk == NID_rsaEncryption ? 1 : pk == NID_dsa ? 2 : 3));
	return 1;
}

/* SignaturePairsCert (or SignaturePairs when it is Default) against one chain
 * certificate; trust anchors' self-signatures are not checked (RFC 8446 4.4.2.2). */
static bool
cert_sig_refused(const struct policy_rule *r, X509 *cert, char *why, size_t len)
{
	const struct policy_sig_parms *sg = r->eff.signatures;
	const struct policy_codes *allowed;
	uint16_t codes[2];
	const struct tlsname *tn;
	int n, i;
	size_t j;

	if (!sg || (X509_get_extension_flags(cert) & EXFLAG_SS))
		return false;
	allowed = sg->sigalgs_cert.n ? &sg->sigalgs_cert : &sg->sigalgs;
	if (!allowed->n)
		return false;
	if ((n = cert_sig_codes(cert, codes)) == 0) {
		snprintf(why, len, "is signed with %s, which is no TLS signature scheme",
			 OBJ_nid2sn(X509_get_signature_nid(cert)));
		return true;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < allowed->n; j++)
			if (allowed->v[j] == codes[i])
				return false;
	tn = tlsname_sigalg(codes[0]);
	snprintf(why, len, "is signed with %s (%04X), which %s does not list",
		 tn ? tn->iana : "?", codes[0],
		 sg->sigalgs_cert.n ? "signature_pairs_cert" : "signature_pairs");
	return true;
}

/* Verify callback of every validating role: the policy's checks, then the
 * diagnostics that turn the first failure into a return code. */
static int
verify_policy(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	const struct policy_rule *r = ssl ? tls_ctx_rule(SSL_get_SSL_CTX(ssl)) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(x);
	int depth = X509_STORE_CTX_get_error_depth(x);
	char why[400];

	if (r && cert && cert_sig_refused(r, cert, why, sizeof(why))) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
		tls_diag_note(ssl, why);
		ok = 0;
	}
	/* Only what the peer sent: our own trust anchors are the admin's choice. */
	if (ok && r && cert && depth < X509_STORE_CTX_get_num_untrusted(x) &&
	    tls_adv_peer_min_refused(r, cert, depth, why, sizeof(why))) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
		tls_diag_refuse(ssl, RC_BAD_CERTIFICATE, why);
		ok = 0;
	}
	if (ok && ssl && cert && legacy_floor_refused(ssl, cert, depth, why, sizeof(why))) {
		X509_STORE_CTX_set_error(x, depth ? X509_V_ERR_CA_KEY_TOO_SMALL
						  : X509_V_ERR_EE_KEY_TOO_SMALL);
		tls_diag_refuse(ssl, RC_BAD_CERTIFICATE, why);
		ok = 0;
	}
	return tls_diag_verify(ok, x);
}

/* ClientAuthType PassThru: a certificate OpenSSL cannot validate (unknown CA,
 * expired, revoked) is accepted, but not one the policy's floors refuse:
 * OpenSSL's key and digest floors, peer_min_*, signature_pairs_cert. */
static int
verify_passthru(int ok, X509_STORE_CTX *x)
{
	switch (X509_STORE_CTX_get_error(x)) {
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
		break;
	default:
		ok = 1; /* the error stays recorded: SSL_get_verify_result() shows it */
	}
	return verify_policy(ok, x);
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
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_passthru);
		break;
	case POLICY_CA_FULL:
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_policy);
		break;
	default: /* Required, SAFCheck */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   verify_policy);
		break;
	}
}

/* Abbreviated: a renegotiation that offers a session to resume. */
static bool
offers_resumption(SSL *ssl)
{
	const unsigned char *p;
	size_t len = 0;

	if (SSL_client_hello_get0_session_id(ssl, &p) > 0)
		return true;
	return SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_session_ticket, &p, &len) == 1 &&
	       len > 0;
}

/* Every ClientHello passes here; one after a finished handshake is a client's
 * renegotiation, refused with alert no_renegotiation unless the rule allows it. */
static int
on_client_hello(SSL *ssl, int *al, void *arg)
{
	const struct policy_rule *r = arg;
	unsigned char fin[EVP_MAX_MD_SIZE];

	chello_capture(ssl);
	if (SSL_get_peer_finished(ssl, fin, sizeof(fin)) == 0) {
		int ret = tls_adv_on_hello(ssl, r, al);

		/* A session ID the fleet's store may hold: looked up meanwhile. */
		return ret == SSL_CLIENT_HELLO_SUCCESS ? sesscache_on_hello(ssl) : ret;
	}
	if (r->eff.renegotiation == POLICY_RENEG_ALL ||
	    (r->eff.renegotiation == POLICY_RENEG_ABBREVIATED && offers_resumption(ssl)))
		return SSL_CLIENT_HELLO_SUCCESS;
	SSL_set_ex_data(ssl, reneg_index, &reneg_index);
	*al = SSL_AD_NO_RENEGOTIATION;
	return SSL_CLIENT_HELLO_ERROR;
}

/* Renegotiation: servers let OpenSSL reach on_client_hello, which decides; a
 * Client role renegotiates on a server's request only with All. */
static void
set_renegotiation(SSL_CTX *ctx, const struct policy_rule *r)
{
	if (r->eff.role == POLICY_ROLE_CLIENT) {
		if (r->eff.renegotiation != POLICY_RENEG_ALL)
			SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
		return;
	}
	SSL_CTX_set_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
	/* on_client_hello also captures the hello for cause lines (chello.c). */
	SSL_CTX_set_client_hello_cb(ctx, on_client_hello, (void *)r);
}

/* OCSP stapling: a copy of the configured response, when the client asks. */
static int
on_status_request(SSL *ssl, void *arg)
{
	const struct ocsp_blob *b = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ocsp_index);
	unsigned char *copy;

	(void)arg;
	if (!b || !(copy = OPENSSL_memdup(b->der, (size_t)b->len)))
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, b->len) != 1) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK; /* OpenSSL owns 'copy' now */
}

#define OCSP_MAX_BYTES 65536

/* Reads and checks the DER response once; the context frees it. */
static int
load_ocsp(SSL_CTX *ctx, const char *path, int *rc, char *err, size_t len)
{
	struct ocsp_blob *b = malloc(sizeof(*b) + OCSP_MAX_BYTES);
	const unsigned char *p;
	OCSP_RESPONSE *resp = NULL;
	FILE *f = fopen(path, "rb");

	*rc = RC_CERT_VALIDATION;
	if (b && f)
		b->len = (long)fread(b->der, 1, OCSP_MAX_BYTES, f);
	if (f)
		fclose(f);
	p = b ? b->der : NULL;
	if (!b || !f || b->len <= 0 || !(resp = d2i_OCSP_RESPONSE(NULL, &p, b->len))) {
		free(b);
		ERR_clear_error();
		snprintf(err, len, "ocsp_response %s is not a readable DER OCSP response", path);
		return ATTLS_ETLS;
	}
	OCSP_RESPONSE_free(resp);
	SSL_CTX_set_ex_data(ctx, ocsp_index, b);
	SSL_CTX_set_tlsext_status_cb(ctx, on_status_request);
	return 0;
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
		return X509_VERIFY_PARAM_set1_ip_asc(vp, id) == 1 ? 0 : ATTLS_ETLS;
	return SSL_set1_host(ssl, id) == 1 ? 0 : ATTLS_ETLS;
}

/* Where key_log secret lines go: the diagnostics part registers its sink at
 * start-up, so TLS setup does not depend on the capture code. */
static void (*keylog_sink)(const SSL *ssl, const char *line);

void
tls_ctx_set_keylog_sink(void (*sink)(const SSL *ssl, const char *line))
{
	keylog_sink = sink;
}

int
tls_ctx_new(const struct policy_rule *r, SSL_CTX **out, int *rc, char *err, size_t errlen)
{
	bool client = r->eff.role == POLICY_ROLE_CLIENT;
	SSL_CTX *ctx;
	int ret;

	*out = NULL;
	*rc = RC_INTERNAL;
	pthread_once(&index_once, index_init);
	if (!(ctx = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method()))) {
		tls_err_last(err, errlen, "SSL_CTX_new");
		return ATTLS_ETLS;
	}
	/* The rule outlives the context: both belong to one runtime generation. */
	SSL_CTX_set_ex_data(ctx, rule_index, (void *)r);
	/* Secure defaults: no compression, server cipher order, renegotiation as the
	 * rule says. A TCP FIN without close_notify is an error (possible truncation)
	 * once the handshake is done, unless the rule says unexpected_eof: accept
	 * (proxy/conn.c sets SSL_OP_IGNORE_UNEXPECTED_EOF per connection). */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	set_renegotiation(ctx, r);
	if ((ret = tls_adv_set(ctx, r, err, errlen)) != 0)
		goto fail;
	if (r->eff.key_log && keylog_sink)
		SSL_CTX_set_keylog_callback(ctx, keylog_sink);
	/* Idle connections give their read and write buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* One read() per burst instead of one per record header and body. */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* Resumption: tickets, and a session-ID cache where the rule has one. */
	if (sesscache_ctx_set(ctx, r) != 0) {
		tls_err_last(err, errlen, "session cache setup");
		ret = ATTLS_ETLS;
		goto fail;
	}
	if ((ret = set_versions(ctx, r)) != 0) {
		tls_err_last(err, errlen, "protocol or cipher setup");
		goto fail;
	}
	if ((ret = tls_parms_set_default(ctx, r->name, err, errlen)) != 0)
		goto fail;
	if ((ret = tls_parms_set(ctx, r, rc, err, errlen)) != 0)
		goto fail;
	if ((ret = load_keyring(ctx, r, rc, err, errlen)) != 0)
		goto fail;
	if (client)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_policy);
	else
		set_client_auth(ctx, r);
	if (!client && r->env->keyring->ocsp_response &&
	    (ret = load_ocsp(ctx, r->env->keyring->ocsp_response, rc, err, errlen)) != 0)
		goto fail;
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return ret;
}
