/* SPDX-License-Identifier: Apache-2.0 */
/* Keyring lint of the certificates and keys alone (files, encrypted keys or
 * token objects, read by keyload.c as attlsd reads them): readable, dates,
 * RSA key sizes, keys paired with their certificates, chains that reach a CA,
 * and CA bundles without two CAs of one name. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "common/rc.h"
#include "keyload.h"
#include "keyring_lint_int.h"
#include "policy/tokenuri.h"

#define KL_MIN_RSA_BITS 2048

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

STACK_OF(X509) *
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
void
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
void
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

/* One CA certificate some keyring trusts or presents, and where it came from. */
struct kl_ca {
	X509 *x;
	const struct policy_keyring *k;
	const char *file;
};

static void
keyring_lint_cat_keyid(X509 *x, char *buf, size_t len)
{
	const ASN1_OCTET_STRING *id = X509_get0_subject_key_id(x);
	int i, n = id ? ASN1_STRING_length(id) : 0;

	snprintf(buf, len, "%s", n ? "" : "none");
	for (i = 0; i < n && (size_t)(3 * i + 3) < len; i++)
		snprintf(buf + 3 * i, len - 3 * (size_t)i, "%s%02X", i ? ":" : "",
			 ASN1_STRING_get0_data(id)[i]);
}

/* Appends the certificates of 'file' (all of a trusted_ca bundle; the chain
 * after the leaf of a certificate file) to 'v'. */
static void
keyring_lint_gather(struct keyring_lint *kl, STACK_OF(X509) * keep, struct kl_ca **v, size_t *n,
		    const char *file, const char *what, int from)
{
	STACK_OF(X509) *sk = keyring_lint_read_certs(kl, file, what);
	struct kl_ca *nv;
	int i;

	for (i = 0; sk && i < sk_X509_num(sk); i++) {
		X509 *x = sk_X509_value(sk, i);

		if (i < from || !(nv = realloc(*v, (*n + 1) * sizeof(**v))) ||
		    !sk_X509_push(keep, x)) {
			if (i >= from)
				kl->nomem = true;
			X509_free(x);
			continue;
		}
		*v = nv;
		(*v)[(*n)++] = (struct kl_ca){ x, kl->k, file };
	}
	sk_X509_free(sk);
}

/* Same-named CAs across files: one keyring (or side) trusts a CA whose name
 * another file of the policy gives to a CA with another key, so a peer
 * certificate of one is refused where the other is trusted (z/OSMF and Zowe
 * each generate a CA of one name). Within one bundle, keyring_lint_cas(). */
void
keyring_lint_cross_cas(struct keyring_lint *kl)
{
	STACK_OF(X509) *keep = sk_X509_new_null();
	struct kl_ca *v = NULL;
	char subj[256], ka[100], kb[100];
	size_t n = 0, i, j, c;

	for (i = 0; keep && i < kl->p->nkeyrings; i++) {
		kl->k = &kl->p->keyrings[i];
		if (kl->k->trusted_ca)
			keyring_lint_gather(kl, keep, &v, &n, kl->k->trusted_ca, "trusted_ca", 0);
		for (c = 0; c < kl->k->certs.n; c++)
			if (kl->k->certs.v[c].certificate &&
			    strncmp(kl->k->certs.v[c].certificate, "pkcs11:", 7) != 0)
				keyring_lint_gather(kl, keep, &v, &n, kl->k->certs.v[c].certificate,
						    "certificate", 1);
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			if (strcmp(v[i].file, v[j].file) == 0 ||
			    X509_NAME_cmp(X509_get_subject_name(v[i].x), X509_get_subject_name(v[j].x)) ||
			    EVP_PKEY_eq(X509_get0_pubkey(v[i].x), X509_get0_pubkey(v[j].x)) == 1)
				continue;
			kl->k = v[j].k;
			keyring_lint_cat_keyid(v[j].x, ka, sizeof(ka));
			keyring_lint_cat_keyid(v[i].x, kb, sizeof(kb));
			keyring_lint_report(
				kl, RC_UNKNOWN_CA,
				"%s holds CA \"%s\" (SKI %s), and %s of keyring \"%s\" holds another "
				"CA of that name with a different key (SKI %s): a certificate issued "
				"by one is refused where only the other is trusted; remove the stale "
				"one, or recreate one CA under a distinct name",
				v[j].file, keyring_lint_subject(v[j].x, subj, sizeof(subj)), ka,
				v[i].file, v[i].k->name, kb);
		}
	free(v);
	sk_X509_pop_free(keep, X509_free);
}
