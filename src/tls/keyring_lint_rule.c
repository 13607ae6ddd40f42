/* SPDX-License-Identifier: Apache-2.0 */
/* Keyring lint against the rules that present a certificate, as load_certs()
 * in tls_ctx.c chooses the labels: server names, key usage, and whether the
 * key fits the rule's suites and signature schemes (fit.c judges). */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/rc.h"
#include "fit.h"
#include "keyring_lint_int.h"

/* The address or name clients reach a server rule by; NULL for a wildcard. */
static const char *
keyring_lint_rule_host(const struct policy *p, const struct policy_rule *r, char *buf, size_t len)
{
	const struct policy_addr_range *a = r->local_addr.ranges;
	unsigned char bin[16], zero[16] = {0};
	const char *h;

	if (r->intercept != POLICY_INTERCEPT_OFF) {
		/* Diverted clients connect to the original destination, not to attlsd. */
		if (r->local_addr.n != 1 || memcmp(a[0].lo, a[0].hi, 16) != 0)
			return NULL;
		policy_addr_format(a[0].lo, buf, len);
		return buf;
	}
	if (r->listener >= p->nlisteners)
		return NULL;
	h = p->listeners[r->listener].host;
	if (!h || !h[0] || strcmp(h, "*") == 0)
		return NULL;
	if ((inet_pton(AF_INET, h, bin) == 1 && memcmp(bin, zero, 4) == 0) ||
	    (inet_pton(AF_INET6, h, bin) == 1 && memcmp(bin, zero, 16) == 0))
		return NULL;
	return h;
}

static void
keyring_lint_san(struct keyring_lint *kl, const struct policy_rule *r,
                 const struct keyring_lint_cert *c, X509 *leaf)
{
	unsigned char bin[16];
	char host[64], subj[256];
	const char *h = keyring_lint_rule_host(kl->p, r, host, sizeof(host));
	bool ip;

	if (!h)
		return;
	ip = inet_pton(AF_INET, h, bin) == 1 || inet_pton(AF_INET6, h, bin) == 1;
	if (ip ? X509_check_ip_asc(leaf, h, 0) == 1
	       : X509_check_host(leaf, h, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1)
		return;
	keyring_lint_report(kl, RC_SERVER_IDENTITY,
	                    "certificate \"%s\" (%s) that rule \"%s\" presents has no "
	                    "subjectAltName %s:%s, the %s clients connect to; clients that check "
	                    "the server identity refuse it: reissue it with that SAN",
	                    keyring_lint_subject(leaf, subj, sizeof(subj)), c->pc->certificate,
	                    r->name, ip ? "IP" : "DNS", h,
	                    r->intercept != POLICY_INTERCEPT_OFF ? "local_addr" : "listen address");
}

/* The extendedKeyUsage purposes as short names ("clientAuth, emailProtection"),
 * the spelling of openssl.cnf and of the fix. */
static const char *
keyring_lint_eku_names(X509 *x, char *buf, size_t len)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	size_t off = 0;
	char oid[80];
	const char *name;
	int i, nid;

	buf[0] = '\0';
	for (i = 0; eku && i < sk_ASN1_OBJECT_num(eku) && off < len; i++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i), 1);
		name = nid != NID_undef ? OBJ_nid2sn(nid) : oid;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", name);
	}
	EXTENDED_KEY_USAGE_free(eku);
	return buf;
}

/* True if the rule's cipher set lists a TLS 1.2 suite with RSA key exchange. */
static bool
keyring_lint_rsa_kx(const struct policy_rule *r)
{
	const struct policy_cipher_parms *cp = r->eff.ciphers;
	const SSL_CIPHER *sc;
	size_t i;

	for (i = 0; cp && i < cp->suites.n; i++) {
		if ((sc = fit_suite_find(cp->suites.v[i])) && SSL_CIPHER_get_kx_nid(sc) == NID_kx_rsa)
			return true;
	}
	return false;
}

static void
keyring_lint_usage(struct keyring_lint *kl, const struct policy_rule *r,
                   const struct keyring_lint_cert *c, X509 *leaf)
{
	uint32_t flags = X509_get_extension_flags(leaf);
	bool server = r->eff.role != POLICY_ROLE_CLIENT;
	uint32_t ku = X509_get_key_usage(leaf);
	char subj[256], ekus[256];

	keyring_lint_subject(leaf, subj, sizeof(subj));
	if ((flags & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage(leaf) &
	      ((server ? XKU_SSL_SERVER : XKU_SSL_CLIENT) | XKU_ANYEKU)))
		keyring_lint_report(
		        kl, RC_KEY_USAGE,
		        "certificate \"%s\" (%s) that rule \"%s\" (%s) presents has "
		        "extendedKeyUsage %s without %s: peers refuse it; reissue it "
		        "with %s (or without extendedKeyUsage)",
		        subj, c->pc->certificate, r->name, policy_role_name(r->eff.role),
		        keyring_lint_eku_names(leaf, ekus, sizeof(ekus)),
		        server ? "serverAuth" : "clientAuth", server ? "serverAuth" : "clientAuth");
	if (!(flags & EXFLAG_KUSAGE))
		return;
	if (!(ku & KU_DIGITAL_SIGNATURE))
		keyring_lint_report(
		        kl, RC_KEY_USAGE,
		        "certificate \"%s\" (%s) that rule \"%s\" (%s) presents has "
		        "keyUsage without digitalSignature, which TLS 1.3, ECDHE suites "
		        "and client authentication need; reissue it with digitalSignature",
		        subj, c->pc->certificate, r->name, policy_role_name(r->eff.role));
	if (server && EVP_PKEY_get_base_id(X509_get0_pubkey(leaf)) == EVP_PKEY_RSA &&
	    !(ku & KU_KEY_ENCIPHERMENT) && keyring_lint_rsa_kx(r))
		keyring_lint_report(kl, RC_KEY_USAGE,
		                    "certificate \"%s\" (%s) has keyUsage without keyEncipherment, "
		                    "but cipher set \"%s\" of rule \"%s\" lists RSA key-exchange "
		                    "suites (TLS_RSA_WITH_*), which need it; reissue it with "
		                    "keyEncipherment or drop those suites",
		                    subj, c->pc->certificate, r->eff.ciphers->name, r->name);
}

/* One certificate (certificate_label, or the default): System SSL's 434, the
 * certificate's key does not suit the cipher suites (reference 4.2). */
static void
keyring_lint_ciphers(struct keyring_lint *kl, const struct policy_rule *r,
                     const struct keyring_lint_cert *c, X509 *leaf)
{
	EVP_PKEY *pk = X509_get0_pubkey(leaf);
	int auth = pk ? fit_auth_nid(pk) : 0;
	char subj[256], kd[64];

	if (fit_rule_suites_key(r, pk))
		return;
	keyring_lint_report(
	        kl, RC_CERT_KEY_INCOMPATIBLE,
	        "certificate \"%s\" (%s) that rule \"%s\" presents has an %s key, but no "
	        "suite of cipher set \"%s\" can use it with the rule's protocols; add "
	        "%s suites (or TLS 1.3 suites with TLS 1.3 on), or present a certificate "
	        "of a key type the set serves",
	        keyring_lint_subject(leaf, subj, sizeof(subj)), c->pc->certificate, r->name,
	        keyring_lint_keydesc(pk, kd, sizeof(kd)), r->eff.ciphers->name,
	        auth == NID_auth_rsa     ? "ECDHE_RSA"
	        : auth == NID_auth_ecdsa ? "ECDHE_ECDSA"
	                                 : "DHE_DSS");
}

/* signature_pairs limit what we sign the handshake with, in every role; with
 * one certificate the handshake fails with 467 (no scheme of the pairs list). */
static void
keyring_lint_sigalgs(struct keyring_lint *kl, const struct policy_rule *r,
                     const struct keyring_lint_cert *c, X509 *leaf)
{
	EVP_PKEY *pk = X509_get0_pubkey(leaf);
	char subj[256], kd[64];

	if (fit_rule_sigalgs_key(r, pk))
		return;
	keyring_lint_report(
	        kl, RC_SIGALG_NOT_IN_LIST,
	        "certificate \"%s\" (%s) that rule \"%s\" presents has an %s key, but "
	        "signature_pairs of \"%s\" lists no scheme that key can sign with (for "
	        "the rule's protocols); add one (e.g. %s) or present a certificate of a "
	        "listed key type",
	        keyring_lint_subject(leaf, subj, sizeof(subj)), c->pc->certificate, r->name,
	        keyring_lint_keydesc(pk, kd, sizeof(kd)), r->eff.signatures->name,
	        fit_auth_nid(pk) == NID_auth_ecdsa ? "ecdsa_secp256r1_sha256"
	                                                    : "rsa_pss_rsae_sha256");
}

/* server_certificate_labels: OpenSSL picks the label whose key suits the
 * client, so only a list where no label's key suits the cipher set or the
 * signature pairs fails, with System SSL's 510 (reference 4.2). */
static void
keyring_lint_label_list(struct keyring_lint *kl, const struct policy_rule *r,
                        const struct keyring_lint_cert *const *lc, size_t n)
{
	bool ciphers = false, sigs = false;
	char labels[512] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		EVP_PKEY *pk = X509_get0_pubkey(sk_X509_value(lc[i]->chain, 0));
		char kd[64];

		ciphers |= fit_rule_suites_key(r, pk);
		sigs |= fit_rule_sigalgs_key(r, pk);
		snprintf(labels + strlen(labels), sizeof(labels) - strlen(labels), "%s\"%s\" (%s)",
		         i ? ", " : "", lc[i]->pc->label, keyring_lint_keydesc(pk, kd, sizeof(kd)));
	}
	if (!n)
		return;
	if (!ciphers)
		keyring_lint_report(kl, RC_NO_KEY_LABEL_MATCH,
		                    "none of the server_certificate_labels of rule \"%s\", %s, has "
		                    "a key type that a suite of cipher set \"%s\" can use with the "
		                    "rule's protocols; add a label of a key type the set serves, "
		                    "or suites for these keys",
		                    r->name, labels, r->eff.ciphers->name);
	if (!sigs)
		keyring_lint_report(kl, RC_NO_KEY_LABEL_MATCH,
		                    "none of the server_certificate_labels of rule \"%s\", %s, has "
		                    "a key that a scheme of signature_pairs \"%s\" can sign with; "
		                    "add a label of a listed key type, or schemes for these keys",
		                    r->name, labels, r->eff.signatures->name);
}

/* 'list': one of several server_certificate_labels, whose key types are
 * judged together (keyring_lint_label_list). */
static void
keyring_lint_presented(struct keyring_lint *kl, const struct policy_rule *r,
                       const struct keyring_lint_cert *c, bool list)
{
	X509 *leaf = sk_X509_value(c->chain, 0);

	keyring_lint_usage(kl, r, c, leaf);
	if (!list)
		keyring_lint_sigalgs(kl, r, c, leaf);
	if (r->eff.role == POLICY_ROLE_CLIENT)
		return;
	keyring_lint_san(kl, r, c, leaf);
	if (!list)
		keyring_lint_ciphers(kl, r, c, leaf);
}

/* The labels a rule presents, as load_certs() in tls_ctx.c chooses them. */
void
keyring_lint_rule(struct keyring_lint *kl, const struct policy_rule *r,
                  const struct keyring_lint_cert *lc, size_t n)
{
	const char *want[POLICY_SERVER_LABELS];
	const struct keyring_lint_cert *got[POLICY_SERVER_LABELS];
	size_t nw = 0, ng = 0, i, j;
	bool list = r->eff.role != POLICY_ROLE_CLIENT && r->eff.server_labels.n;

	if (list) {
		for (nw = 0; nw < r->eff.server_labels.n; nw++)
			want[nw] = r->eff.server_labels.v[nw];
	} else {
		want[nw++] = r->eff.cert_label ? r->eff.cert_label : "default";
	}
	for (i = 0; i < nw; i++)
		for (j = 0; j < n; j++)
			if (lc[j].chain && strcmp(lc[j].pc->label, want[i]) == 0) {
				keyring_lint_presented(kl, r, &lc[j], list);
				if (ng < POLICY_SERVER_LABELS)
					got[ng++] = &lc[j];
			}
	if (list)
		keyring_lint_label_list(kl, r, got, ng);
}
