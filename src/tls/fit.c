/* SPDX-License-Identifier: Apache-2.0 */
/* What fits what in a handshake: versions, suites and groups a hello and a rule
 * share, and the suites and signature schemes a certificate's key can serve. */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "common/compiler.h"
#include "fit.h"

const uint16_t fit_default_suites[] = { 0x1302, 0x1303, 0x1301, 0xC02B, 0xC02F,
					0xC02C, 0xC030, 0xCCA9, 0xCCA8 };
const size_t fit_ndefault_suites = ARRAY_SIZE(fit_default_suites);

unsigned
fit_proto_bit(uint16_t v)
{
	switch (v) {
	case 0x0301:
		return POLICY_PROTO_TLS1_0;
	case 0x0302:
		return POLICY_PROTO_TLS1_1;
	case 0x0303:
		return POLICY_PROTO_TLS1_2;
	case 0x0304:
		return POLICY_PROTO_TLS1_3;
	}
	return 0;
}

unsigned
fit_common_protos(const struct chello *h, unsigned allowed)
{
	unsigned common = 0;
	size_t i;

	/* Without supported_versions the legacy field is the highest version offered. */
	if (!h->nversions) {
		for (i = 0x0301; i <= h->legacy_version && i <= 0x0303; i++)
			common |= fit_proto_bit((uint16_t)i);
		return common & allowed;
	}
	for (i = 0; i < h->nversions; i++)
		common |= fit_proto_bit(h->versions[i]);
	return common & allowed;
}

size_t
fit_rule_suites(const struct policy_rule *r, const uint16_t **v)
{
	if (r && r->eff.ciphers && r->eff.ciphers->suites.n) {
		*v = r->eff.ciphers->suites.v;
		return r->eff.ciphers->suites.n;
	}
	*v = fit_default_suites;
	return fit_ndefault_suites;
}

bool
fit_suite_proto(uint16_t s, unsigned protos)
{
	bool is13 = (s >> 8) == 0x13;

	return is13 ? (protos & POLICY_PROTO_TLS1_3) != 0 : (protos & ~POLICY_PROTO_TLS1_3) != 0;
}

size_t
fit_common_suites(const struct chello *h, const uint16_t *allow, size_t na, unsigned protos,
		  uint16_t *out, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < h->nciphers; i++)
		for (j = 0; j < na; j++)
			if (h->ciphers[i] == allow[j] && fit_suite_proto(allow[j], protos) && n < max)
				out[n++] = allow[j];
	return n;
}

const struct policy_codes *
fit_rule_groups(const struct policy_rule *r, bool tls13)
{
	const struct policy_sig_parms *sg = r->eff.signatures;

	if (!sg)
		return NULL;
	if (tls13 && sg->server_key_shares.n)
		return &sg->server_key_shares;
	if (!tls13 && sg->server_kex_ecurves.n)
		return &sg->server_kex_ecurves;
	return sg->server_key_shares.n ? &sg->server_key_shares : &sg->server_kex_ecurves;
}

static SSL *find_ssl;
static pthread_once_t find_once = PTHREAD_ONCE_INIT;

/* A session only to look suites up by code (SSL_CIPHER_find wants an SSL). */
static void
find_init(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());

	if (!ctx)
		return;
	SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
	find_ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL keeps a reference */
	ERR_clear_error();
}

const SSL_CIPHER *
fit_suite_find(uint16_t code)
{
	unsigned char b[2] = { (unsigned char)(code >> 8), (unsigned char)code };

	pthread_once(&find_once, find_init);
	return find_ssl ? SSL_CIPHER_find(find_ssl, b) : NULL;
}

int
fit_auth_nid(EVP_PKEY *pk)
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

bool
fit_suite_key(uint16_t code, EVP_PKEY *pk, unsigned protos)
{
	const SSL_CIPHER *sc = fit_suite_find(code);
	int auth = pk ? fit_auth_nid(pk) : 0;

	if (!sc)
		return false;
	if ((code >> 8) == 0x13)
		return (protos & POLICY_PROTO_TLS1_3) != 0;
	return (protos & ~POLICY_PROTO_TLS1_3) && (!auth || SSL_CIPHER_get_auth_nid(sc) == auth);
}

bool
fit_rule_suites_key(const struct policy_rule *r, EVP_PKEY *pk)
{
	const struct policy_cipher_parms *cp = r->eff.ciphers;
	size_t i;

	if (!cp || !pk || !fit_auth_nid(pk)) /* the default suites serve RSA and ECDSA keys */
		return true;
	for (i = 0; i < cp->suites.n; i++)
		if (fit_suite_key(cp->suites.v[i], pk, r->eff.protocols))
			return true;
	return false;
}

/* TLS 1.3 binds an ECDSA scheme to the key's curve. */
static uint16_t
ec_scheme(EVP_PKEY *pk)
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

bool
fit_sig_key(uint16_t code, EVP_PKEY *pk, unsigned protos)
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
		return t12 || (t13 && code == ec_scheme(pk));
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

bool
fit_rule_sigalgs_key(const struct policy_rule *r, EVP_PKEY *pk)
{
	const struct policy_sig_parms *sg = r->eff.signatures;
	size_t i;

	if (!sg || !sg->sigalgs.n || !pk)
		return true;
	for (i = 0; i < sg->sigalgs.n; i++)
		if (fit_sig_key(sg->sigalgs.v[i], pk, r->eff.protocols))
			return true;
	return false;
}
