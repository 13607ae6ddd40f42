/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of SAFCheck's OpenSSL side (tls/tls_identity.c) with real
 * certificates built in memory: a CN holding "+OU=" is not a two-valued RDN,
 * a NUL in a name maps to no user, and the cause line quotes names escaped. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/rc.h"
#include "policy/diag.h"
#include "policy/policy.h"
#include "tls/tls.h"

static EVP_PKEY *key;

/* A certificate for subject 'cn' (len bytes; -1: strlen) + O=attls; with
 * 'ou' non-NULL, OU joins the CN in one multi-valued RDN. */
static X509 *
cert_new(const char *cn, int len, const char *ou)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	assert_non_null(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"attls", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, len, -1, 0);
	if (ou)
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)ou, -1, -1,
					   -1);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* A policy whose one rule does SAFCheck with the one filter 'subject'. */
static struct policy *
policy_with(const char *subject)
{
	char *y = NULL;
	struct policy *p = NULL;
	struct diag_list dl;

	assert_true(asprintf(&y,
			     "keyrings:\n  k: { certificate: /dev/null, key: /dev/null, trusted_ca: /dev/null }\n"
			     "identity_maps:\n  m:\n    filters:\n"
			     "      - { subject: '%s', user: MAPPED }\n"
			     "groups:\n  g: { enabled: On }\n"
			     "environments:\n  e: { handshake_role: ServerWithClientAuth, keyring: k,"
			     " client_auth_type: SAFCheck, identity_map: m }\n"
			     "rules:\n  r: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 4443,"
			     " group: g, environment: e, backend: \"127.0.0.1:80\" }\n",
			     subject) > 0);
	diag_list_init(&dl);
	if (policy_parse("t.yaml", y, strlen(y), NULL, &p, &dl) != 0)
		diag_print(&dl, stderr);
	diag_list_cleanup(&dl);
	free(y);
	assert_non_null(p);
	assert_int_equal(p->nrules, 1);
	return p;
}

static int
check(const char *filter, X509 *x, char *user, char *cause, size_t clen)
{
	struct policy *p = policy_with(filter);
	int rc;

	cause[0] = '\0';
	rc = tls_identity_check_cert(x, &p->rules[0], user, 64, cause, clen);
	policy_unref(p);
	return rc;
}

static void
test_plus_in_cn(void **state)
{
	char user[64], cause[1024];
	X509 *one = cert_new("x+OU=admins", -1, NULL), *two = cert_new("x", -1, "admins");

	(void)state;
	/* The filter names a two-valued RDN: only the certificate that has one maps. */
	assert_int_equal(check("CN=x+OU=admins,O=attls", one, user, cause, sizeof(cause)),
			 RC_CLIENT_CERT_UNMAPPED);
	assert_int_equal(check("CN=x+OU=admins,O=attls", two, user, cause, sizeof(cause)), 0);
	assert_string_equal(user, "MAPPED");
	/* The escaped '+' names the one CN. */
	assert_int_equal(check("CN=x\\+OU=admins,O=attls", one, user, cause, sizeof(cause)), 0);
	assert_int_equal(check("CN=x\\+OU=admins,O=attls", two, user, cause, sizeof(cause)),
			 RC_CLIENT_CERT_UNMAPPED);
	X509_free(one);
	X509_free(two);
}

static void
test_nul_refused(void **state)
{
	char user[64], cause[1024];
	X509 *x = cert_new("alice\0.evil.example", 19, NULL);

	(void)state;
	assert_int_equal(check("CN=alice,O=attls", x, user, cause, sizeof(cause)),
			 RC_CLIENT_CERT_UNMAPPED);
	assert_string_equal(user, "");
	assert_non_null(strstr(cause, "NUL"));
	X509_free(x);
}

static void
test_cause_escaped(void **state)
{
	char user[64], cause[1024];
	const char *p;
	X509 *x = cert_new("eve\x1b[2J\r\nEZD1286I \xe2\x80\xae", -1, NULL);

	(void)state;
	assert_int_equal(check("CN=alice,O=attls", x, user, cause, sizeof(cause)),
			 RC_CLIENT_CERT_UNMAPPED);
	for (p = cause; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	assert_non_null(strstr(cause, "\\xe2\\x80\\xae"));
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plus_in_cn),
		cmocka_unit_test(test_nul_refused),
		cmocka_unit_test(test_cause_escaped),
	};
	int r;

	key = EVP_EC_gen("P-256");
	r = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_PKEY_free(key);
	return r;
}
