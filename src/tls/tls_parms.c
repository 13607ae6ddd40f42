/* SPDX-License-Identifier: Apache-2.0 */
/* A rule's cipher and signature parameter sets onto an SSL_CTX: IANA codes
 * turned into OpenSSL's lists (TLS 1.2 and TLS 1.3 suites apart, signature
 * schemes, key-exchange groups), and attlsd's default suites. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "policy/tlsnames.h"
#include "fit.h"
#include "tls_int.h"

/* Appends ":name"; ATTLS_EINVAL when 'buf' has no room for it. */
static int
append(char *buf, size_t len, const char *name)
{
	size_t off = strlen(buf);

	if (off + strlen(name) + 2 > len)
		return ATTLS_EINVAL;
	snprintf(buf + off, len - off, "%s%s", off ? ":" : "", name);
	return 0;
}

/* OpenSSL suite lists of a cipher set: its TLS 1.2 suites in 'l12', its TLS 1.3
 * suites in 'l13', each buffer with its own size. */
struct suite_lists {
	char *l12, *l13;
	size_t len12, len13;
};

/* IANA codes -> OpenSSL cipher strings, in policy order; TLS 1.3 suites apart.
 * A list longer than its buffer fails with the reason in 'err'. */
static int
cipher_lists(const uint16_t *v, size_t n, const char *set, const char *rule,
	     struct suite_lists *sl, char *err, size_t errlen)
{
	STACK_OF(SSL_CIPHER) *sk;
	SSL_CTX *all;
	size_t i;
	int k, r = 0;

	sl->l12[0] = sl->l13[0] = '\0';
	if (!(all = SSL_CTX_new(TLS_method()))) {
		tls_err_last(err, errlen, "cipher set");
		return ATTLS_ETLS;
	}
	SSL_CTX_set_cipher_list(all, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
	SSL_CTX_set_ciphersuites(all, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
				      "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:"
				      "TLS_AES_128_CCM_8_SHA256");
	sk = SSL_CTX_get_ciphers(all);
	for (i = 0; i < n && r == 0; i++) {
		uint16_t code = v[i];
		const SSL_CIPHER *c = NULL;
		bool is13 = (code >> 8) == 0x13;

		for (k = 0; k < sk_SSL_CIPHER_num(sk); k++)
			if (SSL_CIPHER_get_protocol_id(sk_SSL_CIPHER_value(sk, k)) == code)
				c = sk_SSL_CIPHER_value(sk, k);
		if (!c) {
			log_warn("rule \"%s\": cipher suite %04X is not available in this OpenSSL; "
				 "it is left out",
				 rule, code);
			continue;
		}
		r = append(is13 ? sl->l13 : sl->l12, is13 ? sl->len13 : sl->len12,
			   SSL_CIPHER_get_name(c));
		if (r)
			snprintf(err, errlen, "cipher set \"%s\": its TLS %s suites as OpenSSL names "
					      "pass %zu bytes at suite %04X",
				 set, is13 ? "1.3" : "1.2", is13 ? sl->len13 : sl->len12, code);
	}
	SSL_CTX_free(all);
	return r;
}

static int
code_list(const struct policy_codes *c, const struct tlsname *(*lookup)(uint16_t), char *buf,
	  size_t len)
{
	size_t i;
	int r;

	buf[0] = '\0';
	for (i = 0; i < c->n; i++) {
		const struct tlsname *n = lookup(c->v[i]);
		if (n && (r = append(buf, len, n->openssl)) != 0)
			return r;
	}
	return 0;
}

/* attlsd's default TLS 1.2 suites (fit.c), for a rule without a cipher set;
 * its TLS 1.3 defaults are OpenSSL's own, left in place. */
int
tls_parms_set_default(SSL_CTX *ctx, const char *rule, char *err, size_t errlen)
{
	char a[512], b[256];
	struct suite_lists sl = { a, b, sizeof(a), sizeof(b) };
	int r;

	if ((r = cipher_lists(fit_default_suites, fit_ndefault_suites, "default", rule, &sl, err,
			      errlen)) != 0)
		return r;
	if (SSL_CTX_set_cipher_list(ctx, a) != 1) {
		tls_err_last(err, errlen, "protocol or cipher setup");
		return ATTLS_ETLS;
	}
	return 0;
}

/* TTLSCipherParms and TTLSSignatureParms onto the context. */
int
tls_parms_set(SSL_CTX *ctx, const struct policy_rule *r, int *rc, char *err, size_t errlen)
{
	const struct policy_sig_parms *sg = r->eff.signatures;
	char a[2048], b[1024];
	struct suite_lists sl = { a, b, sizeof(a), sizeof(b) };

	if (r->eff.ciphers) {
		if (cipher_lists(r->eff.ciphers->suites.v, r->eff.ciphers->suites.n,
				 r->eff.ciphers->name, r->name, &sl, err, errlen) != 0) {
			*rc = RC_BAD_V3_CIPHER;
			return ATTLS_ETLS;
		}
		if ((a[0] && SSL_CTX_set_cipher_list(ctx, a) != 1) ||
		    SSL_CTX_set_ciphersuites(ctx, b) != 1) {
			*rc = RC_BAD_V3_CIPHER;
			tls_err_last(err, errlen, "cipher set");
			return ATTLS_ETLS;
		}
		if (!a[0] && (r->eff.protocols & ~POLICY_PROTO_TLS1_3)) {
			*rc = RC_BAD_V3_CIPHER;
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
		*rc = RC_SIGALG_NOT_IN_LIST;
		tls_err_last(err, errlen, "signature_pairs");
		return ATTLS_ETLS;
	}
	/* One groups list in OpenSSL: TLS 1.3 key shares first, then TLS 1.2 curves. */
	bool client = r->eff.role == POLICY_ROLE_CLIENT;
	const struct policy_codes *src[2] = {
		client ? &sg->client_key_shares : &sg->server_key_shares,
		client ? &sg->client_ecurves : &sg->server_kex_ecurves,
	};
	struct policy_codes both = { NULL, 0 };
	uint16_t v[64];
	size_t i, j;

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
		*rc = RC_NO_CIPHERS;
		tls_err_last(err, errlen, client ? "client key-exchange groups"
		                                   : "server key-exchange groups");
		return ATTLS_ETLS;
	}
	return 0;
}
