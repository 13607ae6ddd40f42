/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of tls_ctx_new() with a real key pair and real OpenSSL: a cipher
 * set whose TLS 1.2 suites, as OpenSSL names, pass 1024 bytes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "policy/diag.h"
#include "policy/policy.h"
#include "tls/tls.h"

struct fixture {
	char dir[64], crt[96], key[96];
	struct diag_list dl;
	struct policy *p;
};

/* A self-signed P-256 certificate and its key, as PEM files in f->dir. */
static void
write_pki(struct fixture *f)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *out;

	assert_non_null(pk);
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"unit.test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	assert_non_null(out = fopen(f->crt, "w"));
	assert_int_equal(PEM_write_X509(out, x), 1);
	fclose(out);
	assert_non_null(out = fopen(f->key, "w"));
	assert_int_equal(PEM_write_PrivateKey(out, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(out);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char text[1024];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_tls_ctx.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->crt, sizeof(f->crt), "%s/server.crt", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/server.key", f->dir);
	write_pki(f);
	snprintf(text, sizeof(text),
		 "keyrings:\n"
		 "  ring: { certificate: \"%s\", key: \"%s\" }\n"
		 "groups:\n"
		 "  on: { enabled: On }\n"
		 "ciphers:\n"
		 "  many: { v3_cipher_suites_4char: [C02B, 1301] }\n"
		 "environments:\n"
		 "  env: { handshake_role: Server, keyring: ring, ciphers: many }\n"
		 "rules:\n"
		 "  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 8443,"
		 " group: on, environment: env, backend: \"127.0.0.1:8080\" }\n",
		 f->crt, f->key);
	diag_list_init(&f->dl);
	assert_int_equal(policy_parse("t.yaml", text, strlen(text), NULL, &f->p, &f->dl), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	policy_unref(f->p);
	diag_list_cleanup(&f->dl);
	unlink(f->crt);
	unlink(f->key);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Every TLS 1.2 suite this OpenSSL has, in its own order, until their names
 * (with ':' between them) pass 'min' bytes; the byte count in *bytes. */
static size_t
tls12_suites(uint16_t *v, size_t max, size_t min, size_t *bytes)
{
	SSL_CTX *all = SSL_CTX_new(TLS_method());
	STACK_OF(SSL_CIPHER) *sk;
	size_t n = 0;
	int i;

	assert_non_null(all);
	assert_int_equal(SSL_CTX_set_cipher_list(all, "ALL:COMPLEMENTOFALL:@SECLEVEL=0"), 1);
	sk = SSL_CTX_get_ciphers(all);
	*bytes = 0;
	for (i = 0; i < sk_SSL_CIPHER_num(sk) && n < max && *bytes <= min; i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
		uint16_t code = SSL_CIPHER_get_protocol_id(c);

		if (code >> 8 == 0x13)
			continue;
		v[n++] = code;
		*bytes += strlen(SSL_CIPHER_get_name(c)) + (n > 1);
	}
	SSL_CTX_free(all);
	return n;
}

/* The TLS 1.2 suites of a context. */
static size_t
ctx_tls12_count(SSL_CTX *ctx)
{
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
	size_t n = 0;
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(sk); i++)
		n += SSL_CIPHER_get_protocol_id(sk_SSL_CIPHER_value(sk, i)) >> 8 != 0x13;
	return n;
}

/* The policy language accepts the suites tlsnames.c knows; the context builder
 * takes any code OpenSSL has, so the rule's set is filled directly here with
 * TLS 1.2 suites whose names pass 'min' bytes (the policy frees the list). */
static size_t
fill_rule_ciphers(struct fixture *f, size_t min)
{
	struct policy_cipher_parms *cp = (struct policy_cipher_parms *)f->p->rules[0].eff.ciphers;
	uint16_t *v = calloc(256, sizeof(*v));
	size_t bytes;

	assert_non_null(cp);
	assert_non_null(v);
	free(cp->suites.v);
	cp->suites.v = v;
	cp->suites.n = tls12_suites(v, 256, min, &bytes);
	return bytes;
}

/* tls_ctx_new() for the fixture's rule with TLS 1.2 suites whose names pass
 * 'min' bytes; the byte count in *bytes. */
static int
ctx_with_suites(struct fixture *f, size_t min, size_t *bytes, SSL_CTX **ctx, int *rc,
		char *err, size_t errlen)
{
	*bytes = fill_rule_ciphers(f, min);
	*ctx = NULL;
	*rc = 0;
	err[0] = '\0';
	return tls_ctx_new(&f->p->rules[0], ctx, rc, err, errlen);
}

static void
test_long_tls12_list(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *ctx;
	char err[512];
	size_t bytes;
	int rc;

	if (ctx_with_suites(f, 1200, &bytes, &ctx, &rc, err, sizeof(err)) != 0)
		fail_msg("RC %d: %s", rc, err);
	/* Past the 1024 bytes the TLS 1.2 list was once cut at, within its 2048. */
	assert_true(bytes > 1024 && bytes < 2048);
	assert_non_null(ctx);
	assert_int_equal(ctx_tls12_count(ctx), f->p->rules[0].eff.ciphers->suites.n);
	SSL_CTX_free(ctx);
}

static void
test_too_long_tls12_list(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *ctx;
	char err[512];
	size_t bytes;
	int rc, r = ctx_with_suites(f, 2100, &bytes, &ctx, &rc, err, sizeof(err));

	if (bytes <= 2048) {
		SSL_CTX_free(ctx);
		skip(); /* an OpenSSL with fewer suites cannot pass the buffer */
	}
	assert_int_not_equal(r, 0);
	assert_null(ctx);
	assert_int_equal(rc, 422); /* GSK_ERROR_BAD_V3_CIPHER */
	/* The reason, not OpenSSL's empty error queue. */
	assert_non_null(strstr(err, "cipher set \"many\": its TLS 1.2 suites"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_long_tls12_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long_tls12_list, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
