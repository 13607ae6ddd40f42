/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the ClientHello parser and the offline verdict, fed with real
 * hellos written by an OpenSSL client into a memory BIO. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "common/err.h"
#include "tls/chello.h"

/* The bytes of the first flight of a client with 'max' version and 'ciphers'. */
static size_t
client_hello(int max, const char *ciphers, uint8_t *out, size_t len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int n;

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, max), 1);
	if (ciphers)
		assert_int_equal(SSL_CTX_set_cipher_list(ctx, ciphers), 1);
	ssl = SSL_new(ctx);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_tlsext_host_name(ssl, "unit.test");
	SSL_set_alpn_protos(ssl, (const unsigned char *)"\x02h2\x08http/1.1", 12);
	assert_int_equal(SSL_connect(ssl), -1); /* wants to read the ServerHello */
	n = BIO_read(wb, out, (int)len);
	assert_true(n > 0);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return (size_t)n;
}

static void
test_parse_tls13(void **state)
{
	uint8_t b[4096];
	size_t n = client_hello(TLS1_3_VERSION, NULL, b, sizeof(b));
	struct chello h;
	char sum[1024];

	(void)state;
	assert_int_equal(chello_parse_record(b, n, &h), 0);
	assert_true(h.seen);
	assert_string_equal(h.sni, "unit.test");
	assert_string_equal(h.alpn, "h2,http/1.1");
	assert_int_equal(h.legacy_version, 0x0303);
	assert_true(h.nversions >= 2);
	assert_int_equal(h.versions[0], 0x0304);
	assert_true(h.nciphers > 3 && h.ciphers[0] >> 8 == 0x13);
	assert_true(h.nsigalgs > 0 && h.ngroups > 0);
	chello_summary(&h, sum, sizeof(sum));
	assert_non_null(strstr(sum, "sni=unit.test alpn=h2,http/1.1 versions=TLSv1.3,TLSv1.2"));
}

static void
test_parse_short_and_garbage(void **state)
{
	uint8_t b[4096];
	size_t n = client_hello(TLS1_2_VERSION, "AES128-SHA", b, sizeof(b));
	struct chello h;

	(void)state;
	assert_int_equal(chello_parse_record(b, n / 2, &h), 1); /* not yet whole */
	assert_int_equal(chello_parse_record((const uint8_t *)"GET / HTTP/1.0\r\n", 16, &h), 1);
	b[9 + 2 + 32] = 0xff; /* session id length beyond the message */
	assert_int_equal(chello_parse_record(b, n, &h), ATTLS_EINVAL);
}

static void
test_parse_tls12(void **state)
{
	uint8_t b[4096];
	struct chello h;
	size_t n;

	(void)state;
	n = client_hello(TLS1_2_VERSION, "AES128-SHA", b, sizeof(b));
	assert_int_equal(chello_parse_record(b, n, &h), 0);
	assert_int_equal(h.legacy_version, 0x0303);
	assert_int_equal(h.nversions, 0);
	assert_int_equal(h.ciphers[0], 0x002F);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tls13),
		cmocka_unit_test(test_parse_short_and_garbage),
		cmocka_unit_test(test_parse_tls12),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
