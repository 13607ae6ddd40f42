/* SPDX-License-Identifier: Apache-2.0 */
/* Keyring lint: what would make a handshake fail, found before the first
 * connection does. Certificates and keys are read as attlsd reads them
 * (keyload.c: PEM files, encrypted ones, PKCS#11 tokens); the role-dependent checks (SAN, key usage, key type against cipher
 * and signature lists) follow each rule that uses the keyring, presenting the
 * certificates load_certs() in tls_ctx.c would present. */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/compiler.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "keyload.h"
#include "keyring_lint.h"
#include "policy/tokenuri.h"

#define KL_MIN_RSA_BITS 2048

struct keyring_lint {
	const struct policy *p;
	const struct policy_keyring *k; /* the keyring being checked */
	keyring_lint_cb cb;
	void *arg;
	time_t now;
	unsigned days;
	char **seen; /* findings so far: several rules may find the same thing */
	size_t nseen;
	int findings;
	bool unreadable, nomem;
	SSL_CTX *sctx; /* for SSL_CIPHER_find(), which wants an SSL */
	SSL *ssl;
};

/* One labelled certificate of the keyring, as read from its files. */
struct keyring_lint_cert {
	const struct policy_cert *pc;
	STACK_OF(X509) * chain; /* leaf first; NULL: unreadable */
	EVP_PKEY *key;
};

static bool
keyring_lint_seen(struct keyring_lint *kl, const char *line)
{
	char **v;
	size_t i;

	for (i = 0; i < kl->nseen; i++)
		if (strcmp(kl->seen[i], line) == 0)
			return true;
	if (!(v = realloc(kl->seen, (kl->nseen + 1) * sizeof(*v))) ||
	    !(v[kl->nseen] = strdup(line))) {
		if (v)
			kl->seen = v;
		kl->nomem = true;
		return false;
	}
	kl->seen = v;
	kl->nseen++;
	return false;
}

static void ATTLS_PRINTF(3, 4)
        keyring_lint_report(struct keyring_lint *kl, int rc, const char *fmt, ...)
{
	char msg[2048], line[2400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* pos.file belonged to the load's diag_list, gone by now: p->path instead. */
	snprintf(line, sizeof(line), "keyring \"%s\" (%s:%u): RC %d: %s", kl->k->name,
	         kl->p->path ? kl->p->path : "?", kl->k->pos.line, rc, msg);
	if (keyring_lint_seen(kl, line))
		return;
	kl->findings++;
	kl->cb(line, kl->arg);
}

/* Informational: worth knowing, but nothing a handshake fails on by itself;
 * not counted as a finding. */
static void ATTLS_PRINTF(2, 3)
        keyring_lint_note(struct keyring_lint *kl, const char *fmt, ...)
{
	char msg[2048], line[2400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "keyring \"%s\" (%s:%u): note: %s", kl->k->name,
	         kl->p->path ? kl->p->path : "?", kl->k->pos.line, msg);
	if (!keyring_lint_seen(kl, line))
		kl->cb(line, kl->arg);
}

static const char *
keyring_lint_subject(const X509 *x, char *buf, size_t len)
{
	if (!X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *
keyring_lint_issuer(const X509 *x, char *buf, size_t len)
{
	if (!X509_NAME_oneline(X509_get_issuer_name(x), buf, (int)len))
		snprintf(buf, len, "?");
	return buf;
}

static time_t
keyring_lint_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

static const char *
keyring_lint_date(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "?");
	return buf;
}

static const char *
keyring_lint_serial(const X509 *x, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	snprintf(buf, len, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	return buf;
}

/* "RSA-2048", "ECDSA prime256v1", "ED25519". */
static const char *
keyring_lint_keydesc(EVP_PKEY *pk, char *buf, size_t len)
{
	char group[64];

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(buf, len, "RSA-%d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL))
			snprintf(group, sizeof(group), "?");
		snprintf(buf, len, "ECDSA %.40s", group);
		break;
	default:
		snprintf(buf, len, "%s", OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		break;
	}
	return buf;
}

/* A certificate on a token, through keyload.c: what attlsd will present. */
static STACK_OF(X509) *
        keyring_lint_token_certs(struct keyring_lint *kl, const char *uri)
{
	STACK_OF(X509) *sk = NULL;
	char err[512];
	int rc;

	if (keyload_certs(kl->k, uri, &sk, &rc, err, sizeof(err)) == 0)
		return sk;
	kl->unreadable = true;
	keyring_lint_report(kl, rc, "%s", err);
	return NULL;
}

/* A key as attlsd reads it (keyload.c): a PEM file, encrypted ones with the
 * keyring's passphrase, or a token key with its PIN, noted with type and size. */
static EVP_PKEY *
keyring_lint_keyload_key(struct keyring_lint *kl, const char *ref)
{
	EVP_PKEY *pk = NULL;
	char err[512], desc[64], token[128];
	int rc;

	if (keyload_key(kl->k, ref, &pk, &rc, err, sizeof(err)) != 0) {
		kl->unreadable = true;
		keyring_lint_report(kl, rc, "%s", err);
		return NULL;
	}
	if (tokenuri_attr(ref, "token", token, sizeof(token)))
		keyring_lint_note(kl, "key %s is on token \"%s\": %s", ref, token,
		                  keyring_lint_keydesc(pk, desc, sizeof(desc)));
	return pk;
}

static STACK_OF(X509) *
        keyring_lint_read_certs(struct keyring_lint *kl, const char *path, const char *what)
{
	STACK_OF(X509) *sk = NULL;
	X509 *x;
	FILE *f;

	if (tokenuri_is(path))
		return keyring_lint_token_certs(kl, path);
	if ((f = fopen(path, "r")) && (sk = sk_X509_new_null()) != NULL)
		while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
			if (!sk_X509_push(sk, x))
				X509_free(x);
	if (f)
		fclose(f);
	ERR_clear_error(); /* the end of the file reads as an error */
	if (sk && sk_X509_num(sk) > 0)
		return sk;
	sk_X509_free(sk);
	kl->unreadable = true;
	keyring_lint_report(kl, RC_CERT_VALIDATION, "%s %s %s; fix the path or the file", what,
	                    path, f ? "holds no PEM certificate" : "cannot be read");
	return NULL;
}

static EVP_PKEY *
keyring_lint_read_key(struct keyring_lint *kl, const char *path)
{
	return keyring_lint_keyload_key(kl, path);
}

/* notBefore, notAfter and the warning horizon. */
static void
keyring_lint_dates(struct keyring_lint *kl, const X509 *x, const char *what, const char *file)
{
	const ASN1_TIME *na = X509_get0_notAfter(x), *nb = X509_get0_notBefore(x);
	time_t end = keyring_lint_time(na);
	char subj[256], date[40];
	long days;

	keyring_lint_subject(x, subj, sizeof(subj));
	if (end < kl->now) {
		keyring_lint_report(kl, RC_BAD_DATE,
		                    "%s \"%s\" in %s expired on %s (notAfter); "
		                    "renew it and replace it in %s",
		                    what, subj, file, keyring_lint_date(na, date, sizeof(date)),
		                    file);
	} else if (end - kl->now < (time_t)kl->days * 86400) {
		days = (long)((end - kl->now + 86399) / 86400); /* a part day counts */
		keyring_lint_report(kl, RC_BAD_DATE,
		                    "%s \"%s\" in %s expires in %ld day%s, notAfter "
		                    "%s; renew it and replace it in %s before then",
		                    what, subj, file, days, days == 1 ? "" : "s",
		                    keyring_lint_date(na, date, sizeof(date)), file);
	}
	if (keyring_lint_time(nb) > kl->now)
		keyring_lint_report(kl, RC_BAD_DATE,
		                    "%s \"%s\" in %s is not valid before %s "
		                    "(notBefore); wait, or check the clock of this "
		                    "host and of the issuer",
		                    what, subj, file, keyring_lint_date(nb, date, sizeof(date)));
}

/* OpenSSL's default security level (2) refuses RSA keys below 2048 bits. */
static void
keyring_lint_rsa_size(struct keyring_lint *kl, const X509 *x, const char *file)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char subj[256];
	int id = pk ? EVP_PKEY_get_base_id(pk) : 0;

	if ((id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS) ||
	    EVP_PKEY_get_bits(pk) >= KL_MIN_RSA_BITS)
		return;
	keyring_lint_report(kl, RC_UNSUPPORTED_CERT_TYPE,
	                    "certificate \"%s\" in %s has an RSA key of %d bits, below %d: "
	                    "OpenSSL's default security level and current peers refuse it; "
	                    "reissue it with an RSA-%d (or larger) or an ECDSA key",
	                    keyring_lint_subject(x, subj, sizeof(subj)), file,
	                    EVP_PKEY_get_bits(pk), KL_MIN_RSA_BITS, KL_MIN_RSA_BITS);
}

static void
keyring_lint_key_match(struct keyring_lint *kl, const struct keyring_lint_cert *c)
{
	X509 *leaf = sk_X509_value(c->chain, 0);
	char subj[256];

	if (X509_check_private_key(leaf, c->key) == 1)
		return;
	ERR_clear_error();
	keyring_lint_report(kl, RC_NO_PRIVATE_KEY,
	                    "the private key %s does not match certificate \"%s\" in %s (label "
	                    "\"%s\"); pair them: `openssl x509 -noout -pubkey -in CERT` and "
	                    "`openssl pkey -pubout -in KEY` must print the same key",
	                    c->pc->key, keyring_lint_subject(leaf, subj, sizeof(subj)),
	                    c->pc->certificate, c->pc->label);
}

static void
keyring_lint_chain_failed(struct keyring_lint *kl, const struct keyring_lint_cert *c,
                          X509_STORE_CTX *ctx)
{
	int err = X509_STORE_CTX_get_error(ctx);
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	X509 *leaf = sk_X509_value(c->chain, 0);
	const char *ca = kl->k->trusted_ca ? kl->k->trusted_ca : "(no trusted_ca)";
	char subj[256], at[256], iss[256];

	keyring_lint_subject(leaf, subj, sizeof(subj));
	if (!cur)
		cur = leaf;
	keyring_lint_subject(cur, at, sizeof(at));
	keyring_lint_issuer(cur, iss, sizeof(iss));
	if ((err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	     err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) &&
	    !kl->k->trusted_ca && X509_STORE_CTX_get0_chain(ctx) &&
	    sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) == sk_X509_num(c->chain)) {
		/* Every certificate of the file links up and only the top one's
		 * issuer is absent: what a server usually sends, the root being
		 * the client's to hold. Not a handshake failure of ours. */
		keyring_lint_note(
		        kl,
		        "certificate \"%s\" (%s) is sent with %d certificate%s, up to \"%s\", "
		        "whose issuer \"%s\" is not in the keyring (it has no trusted_ca): "
		        "peers must hold that CA themselves (usual for a root), else they "
		        "refuse the certificate with alert unknown CA; if it is an "
		        "intermediate CA, append it to %s",
		        subj, c->pc->certificate, sk_X509_num(c->chain),
		        sk_X509_num(c->chain) == 1 ? "" : "s", at, iss, c->pc->certificate);
		return;
	}
	if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
		keyring_lint_report(
		        kl, RC_UNKNOWN_CA,
		        "the chain of certificate \"%s\" (%s) is incomplete: the issuer "
		        "\"%s\" of \"%s\" is neither in %s nor in trusted_ca %s; add that "
		        "CA certificate to trusted_ca, or append it to %s",
		        subj, c->pc->certificate, iss, at, c->pc->certificate, ca,
		        c->pc->certificate);
		return;
	}
	keyring_lint_report(
	        kl, err == X509_V_ERR_CERT_SIGNATURE_FAILURE ? RC_BAD_CERT_SIG : RC_UNKNOWN_CA,
	        "the chain of certificate \"%s\" (%s) does not verify with trusted_ca "
	        "%s: %s at \"%s\" (issuer \"%s\"); put the CA that really issued it "
	        "into trusted_ca",
	        subj, c->pc->certificate, ca, X509_verify_cert_error_string(err), at, iss);
}

/* The chain must reach a CA in the certificate's own file or in trusted_ca.
 * Dates are checked apart (keyring_lint_dates), so they are ignored here. */
static void
keyring_lint_chain(struct keyring_lint *kl, const struct keyring_lint_cert *c, STACK_OF(X509) * cas)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int i;

	if (!st || !ctx || !untrusted) {
		kl->nomem = true;
		goto out;
	}
	for (i = 0; cas && i < sk_X509_num(cas); i++)
		X509_STORE_add_cert(st, sk_X509_value(cas, i));
	for (i = 0; i < sk_X509_num(c->chain); i++) {
		X509 *x = sk_X509_value(c->chain, i);

		if (X509_self_signed(x, 0) == 1)
			X509_STORE_add_cert(st, x);
		else if (i > 0)
			sk_X509_push(untrusted, x);
	}
	if (X509_STORE_CTX_init(ctx, st, sk_X509_value(c->chain, 0), untrusted) != 1) {
		kl->nomem = true;
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(ctx) != 1)
		keyring_lint_chain_failed(kl, c, ctx);
out:
	ERR_clear_error();
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
}

/* Two CAs with one name and different keys: a peer's chain is checked against
 * whichever the lookup meets first (z/OSMF's default commands create such
 * pairs on every instance). */
static void
keyring_lint_cas(struct keyring_lint *kl, STACK_OF(X509) * cas)
{
	char subj[256], s1[64], s2[64], d1[40], d2[40];
	int i, j;

	for (i = 0; i < sk_X509_num(cas); i++) {
		X509 *a = sk_X509_value(cas, i);

		keyring_lint_dates(kl, a, "trusted CA", kl->k->trusted_ca);
		for (j = i + 1; j < sk_X509_num(cas); j++) {
			X509 *b = sk_X509_value(cas, j);

			if (X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) ||
			    EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) == 1)
				continue;
			keyring_lint_report(
			        kl, RC_BAD_CERT_SIG,
			        "trusted_ca %s holds two CA certificates named \"%s\" with "
			        "different "
			        "keys (serial %s, notAfter %s; serial %s, notAfter %s): a peer "
			        "certificate of one can be checked against the other and fail; "
			        "remove "
			        "the stale one, or recreate one CA under a distinct name",
			        kl->k->trusted_ca, keyring_lint_subject(a, subj, sizeof(subj)),
			        keyring_lint_serial(a, s1, sizeof(s1)),
			        keyring_lint_date(X509_get0_notAfter(a), d1, sizeof(d1)),
			        keyring_lint_serial(b, s2, sizeof(s2)),
			        keyring_lint_date(X509_get0_notAfter(b), d2, sizeof(d2)));
		}
	}
}

/* The checks that need no rule: dates, key size, key pairing, chain. */
static void
keyring_lint_cert(struct keyring_lint *kl, struct keyring_lint_cert *c,
                  const struct policy_cert *pc, STACK_OF(X509) * cas, bool cas_ok)
{
	int i;

	c->pc = pc;
	if (!(c->chain = keyring_lint_read_certs(kl, pc->certificate, "certificate")))
		return;
	for (i = 0; i < sk_X509_num(c->chain); i++) {
		X509 *x = sk_X509_value(c->chain, i);

		keyring_lint_dates(kl, x, i ? "chain certificate" : "certificate", pc->certificate);
		keyring_lint_rsa_size(kl, x, pc->certificate);
	}
	if ((c->key = keyring_lint_read_key(kl, pc->key)) != NULL)
		keyring_lint_key_match(kl, c);
	if (cas_ok)
		keyring_lint_chain(kl, c, cas);
}

/* ---- checks against the rules that present a certificate ---- */

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
keyring_lint_rsa_kx(struct keyring_lint *kl, const struct policy_rule *r)
{
	const struct policy_cipher_parms *cp = r->eff.ciphers;
	const SSL_CIPHER *sc;
	unsigned char b[2];
	size_t i;

	for (i = 0; cp && i < cp->suites.n; i++) {
		b[0] = (unsigned char)(cp->suites.v[i] >> 8);
		b[1] = (unsigned char)cp->suites.v[i];
		if ((sc = SSL_CIPHER_find(kl->ssl, b)) && SSL_CIPHER_get_kx_nid(sc) == NID_kx_rsa)
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
	    !(ku & KU_KEY_ENCIPHERMENT) && keyring_lint_rsa_kx(kl, r))
		keyring_lint_report(kl, RC_KEY_USAGE,
		                    "certificate \"%s\" (%s) has keyUsage without keyEncipherment, "
		                    "but cipher set \"%s\" of rule \"%s\" lists RSA key-exchange "
		                    "suites (TLS_RSA_WITH_*), which need it; reissue it with "
		                    "keyEncipherment or drop those suites",
		                    subj, c->pc->certificate, r->eff.ciphers->name, r->name);
}

/* The TLS 1.2 authentication a key can do (NID_auth_*); 0: not known here. */
static int
keyring_lint_auth_nid(EVP_PKEY *pk)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return NID_auth_rsa;
	case EVP_PKEY_EC:
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NID_auth_ecdsa;
	case EVP_PKEY_DSA:
		return NID_auth_dss;
	default:
		return 0;
	}
}

/* A server key serves a suite if the suite is TLS 1.3 (any key type) or a TLS
 * 1.2 suite of the key's authentication, with that protocol version enabled. */
static bool
keyring_lint_ciphers_fit(struct keyring_lint *kl, const struct policy_rule *r, EVP_PKEY *pk)
{
	const struct policy_cipher_parms *cp = r->eff.ciphers;
	unsigned protos = r->eff.protocols;
	int auth = pk ? keyring_lint_auth_nid(pk) : 0;
	const SSL_CIPHER *sc;
	unsigned char b[2];
	size_t i;

	if (!cp || !auth) /* attlsd's default suites serve RSA and ECDSA keys */
		return true;
	for (i = 0; i < cp->suites.n; i++) {
		b[0] = (unsigned char)(cp->suites.v[i] >> 8);
		b[1] = (unsigned char)cp->suites.v[i];
		if (!(sc = SSL_CIPHER_find(kl->ssl, b)))
			continue;
		if (b[0] == 0x13 ? (protos & POLICY_PROTO_TLS1_3) != 0
		                 : (protos & ~POLICY_PROTO_TLS1_3) &&
		                           SSL_CIPHER_get_auth_nid(sc) == auth)
			return true;
	}
	return false;
}

/* One certificate (certificate_label, or the default): System SSL's 434, the
 * certificate's key does not suit the cipher suites (reference 4.2). */
static void
keyring_lint_ciphers(struct keyring_lint *kl, const struct policy_rule *r,
                     const struct keyring_lint_cert *c, X509 *leaf)
{
	EVP_PKEY *pk = X509_get0_pubkey(leaf);
	int auth = pk ? keyring_lint_auth_nid(pk) : 0;
	char subj[256], kd[64];

	if (keyring_lint_ciphers_fit(kl, r, pk))
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

/* TLS 1.3 binds an ECDSA scheme to the key's curve. */
static uint16_t
keyring_lint_ec_scheme(EVP_PKEY *pk)
{
	char group[64];

	if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL))
		return 0;
	switch (OBJ_txt2nid(group)) {
	case NID_X9_62_prime256v1:
		return 0x0403;
	case NID_secp384r1:
		return 0x0503;
	case NID_secp521r1:
		return 0x0603;
	default:
		return 0;
	}
}

static bool
keyring_lint_sig_fits(uint16_t code, EVP_PKEY *pk, unsigned protos)
{
	bool t12 = (protos & ~POLICY_PROTO_TLS1_3) != 0, t13 = (protos & POLICY_PROTO_TLS1_3) != 0;
	unsigned hash = code >> 8;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return (code >= 0x0804 && code <= 0x0806) || (t12 && (code & 0xff) == 1);
	case EVP_PKEY_RSA_PSS:
		return code >= 0x0809 && code <= 0x080b;
	case EVP_PKEY_EC:
		if ((code & 0xff) != 3 || hash < 2 || hash > 6)
			return false;
		return t12 || (t13 && code == keyring_lint_ec_scheme(pk));
	case EVP_PKEY_ED25519:
		return code == 0x0807;
	case EVP_PKEY_ED448:
		return code == 0x0808;
	case EVP_PKEY_DSA:
		return t12 && (code & 0xff) == 2;
	default:
		return true; /* a key type not known here: no guess */
	}
}

static bool
keyring_lint_sigalgs_fit(const struct policy_rule *r, EVP_PKEY *pk)
{
	const struct policy_sig_parms *sg = r->eff.signatures;
	size_t i;

	if (!sg || !sg->sigalgs.n || !pk)
		return true;
	for (i = 0; i < sg->sigalgs.n; i++)
		if (keyring_lint_sig_fits(sg->sigalgs.v[i], pk, r->eff.protocols))
			return true;
	return false;
}

/* signature_pairs limit what we sign the handshake with, in every role; with
 * one certificate the handshake fails with 467 (no scheme of the pairs list). */
static void
keyring_lint_sigalgs(struct keyring_lint *kl, const struct policy_rule *r,
                     const struct keyring_lint_cert *c, X509 *leaf)
{
	EVP_PKEY *pk = X509_get0_pubkey(leaf);
	char subj[256], kd[64];

	if (keyring_lint_sigalgs_fit(r, pk))
		return;
	keyring_lint_report(
	        kl, RC_SIGALG_NOT_IN_LIST,
	        "certificate \"%s\" (%s) that rule \"%s\" presents has an %s key, but "
	        "signature_pairs of \"%s\" lists no scheme that key can sign with (for "
	        "the rule's protocols); add one (e.g. %s) or present a certificate of a "
	        "listed key type",
	        keyring_lint_subject(leaf, subj, sizeof(subj)), c->pc->certificate, r->name,
	        keyring_lint_keydesc(pk, kd, sizeof(kd)), r->eff.signatures->name,
	        keyring_lint_auth_nid(pk) == NID_auth_ecdsa ? "ecdsa_secp256r1_sha256"
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

		ciphers |= keyring_lint_ciphers_fit(kl, r, pk);
		sigs |= keyring_lint_sigalgs_fit(r, pk);
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
static void
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

static void
keyring_lint_keyring(struct keyring_lint *kl)
{
	const struct policy_keyring *k = kl->k;
	struct keyring_lint_cert *lc = calloc(k->certs.n ? k->certs.n : 1, sizeof(*lc));
	STACK_OF(X509) *cas = NULL;
	bool cas_ok = true;
	size_t i;

	if (!lc) {
		kl->nomem = true;
		return;
	}
	if (k->trusted_ca) {
		if ((cas = keyring_lint_read_certs(kl, k->trusted_ca, "trusted_ca")) != NULL)
			keyring_lint_cas(kl, cas);
		cas_ok = cas != NULL; /* else every chain would look incomplete */
	}
	for (i = 0; i < k->certs.n; i++)
		keyring_lint_cert(kl, &lc[i], &k->certs.v[i], cas, cas_ok);
	for (i = 0; i < kl->p->nrules; i++) {
		const struct policy_rule *r = &kl->p->rules[i];

		if (!r->broken && r->env && r->env->keyring == k)
			keyring_lint_rule(kl, r, lc, k->certs.n);
	}
	for (i = 0; i < k->certs.n; i++) {
		sk_X509_pop_free(lc[i].chain, X509_free);
		EVP_PKEY_free(lc[i].key);
	}
	free(lc);
	sk_X509_pop_free(cas, X509_free);
}

int
keyring_lint(const struct policy *p, const struct keyring_lint_opts *o, keyring_lint_cb cb,
             void *arg)
{
	struct keyring_lint kl = {.p = p, .cb = cb, .arg = arg};
	size_t i;

	kl.now = o && o->now ? o->now : time(NULL);
	kl.days = o ? o->days : KEYRING_LINT_DAYS;
	if (!(kl.sctx = SSL_CTX_new(TLS_method())) || !(kl.ssl = SSL_new(kl.sctx))) {
		SSL_CTX_free(kl.sctx);
		ERR_clear_error();
		return ATTLS_ENOMEM;
	}
	for (i = 0; i < p->nkeyrings; i++) {
		kl.k = &p->keyrings[i];
		keyring_lint_keyring(&kl);
	}
	for (i = 0; i < kl.nseen; i++)
		free(kl.seen[i]);
	free(kl.seen);
	SSL_free(kl.ssl);
	SSL_CTX_free(kl.sctx);
	if (kl.nomem)
		return ATTLS_ENOMEM;
	return kl.unreadable ? ATTLS_EIO : kl.findings;
}

static void
keyring_lint_warn(const char *line, void *arg)
{
	(void)arg;
	if (strstr(line, "): note: "))
		log_notice("%s", line);
	else
		log_warn("warning: %s", line);
}

void
keyring_lint_log(const struct policy *p)
{
	struct keyring_lint_opts o = { KEYRING_LINT_DAYS, 0 };

	(void)keyring_lint(p, &o, keyring_lint_warn, NULL);
}
