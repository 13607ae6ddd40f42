/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the return-code table, of the error-code names and of the
 * OpenSSL-outcome -> RC mapping, fed with real OpenSSL error codes on a real SSL
 * object. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/err.h"
#include "common/rc.h"
#include "tls/tls.h"

struct fx {
	SSL_CTX *ctx;
	SSL *ssl;
	struct tls_diag d;
	char cause[512];
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	f.ctx = SSL_CTX_new(TLS_server_method());
	f.ssl = SSL_new(f.ctx);
	tls_diag_init(&f.d);
	*state = &f;
	return f.ssl ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	SSL_free(f->ssl);
	SSL_CTX_free(f->ctx);
	return 0;
}

static int
classify_reason(struct fx *f, int reason)
{
	return tls_err_classify(f->ssl, &f->d, SSL_ERROR_SSL, 0,
				ERR_PACK(ERR_LIB_SSL, 0, reason), f->cause, sizeof(f->cause));
}

static void
test_reasons_map_to_gsk_codes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(classify_reason(f, SSL_R_NO_SHARED_CIPHER), RC_NO_CIPHERS);
	assert_int_equal(classify_reason(f, SSL_R_UNSUPPORTED_PROTOCOL), RC_UNSUPPORTED);
	assert_int_equal(classify_reason(f, SSL_R_VERSION_TOO_LOW), RC_UNSUPPORTED);
	assert_int_equal(classify_reason(f, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE),
			 RC_CLIENT_CERT_MISSING);
	assert_int_equal(classify_reason(f, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC), RC_BAD_MAC);
	assert_int_equal(classify_reason(f, SSL_R_NO_RENEGOTIATION), RC_RENEG_NOT_ALLOWED);
	assert_int_equal(classify_reason(f, SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS),
			 RC_SIGALG_NOT_IN_LIST);
	/* An unknown reason is not guessed at: 12, with the library's text. */
	assert_int_equal(classify_reason(f, SSL_R_BAD_SRTP_MKI_VALUE), RC_UNKNOWN_ERROR);
	assert_non_null(strstr(f->cause, "unclassified"));
}

static void
test_verify_results_win_over_reasons(void **state)
{
	struct fx *f = *state;
	static const struct {
		int v, rc;
	} cases[] = {
		{ X509_V_ERR_CERT_HAS_EXPIRED, RC_BAD_DATE },
		{ X509_V_ERR_CERT_NOT_YET_VALID, RC_BAD_DATE },
		{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, RC_UNKNOWN_CA },
		{ X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, RC_UNKNOWN_CA },
		{ X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, RC_SELF_SIGNED },
		{ X509_V_ERR_CERT_REVOKED, RC_CERT_REVOKED },
		{ X509_V_ERR_CERT_SIGNATURE_FAILURE, RC_BAD_CERT_SIG },
		{ X509_V_ERR_INVALID_PURPOSE, RC_KEY_USAGE },
		{ X509_V_ERR_PATH_LENGTH_EXCEEDED, RC_CERT_VALIDATION },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f->d.verify_err = cases[i].v;
		strcpy(f->d.subject, "CN=peer");
		strcpy(f->d.issuer, "CN=Other CA");
		assert_int_equal(classify_reason(f, SSL_R_CERTIFICATE_VERIFY_FAILED), cases[i].rc);
		assert_non_null(strstr(f->cause, "CN=peer"));
		assert_non_null(strstr(f->cause, "CN=Other CA"));
	}
}

static void
test_alerts_from_peer(void **state)
{
	struct fx *f = *state;

	f->d.alert_recv = SSL3_AD_HANDSHAKE_FAILURE;
	assert_int_equal(classify_reason(f, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE), RC_NO_CIPHERS);
	f->d.alert_recv = TLS1_AD_PROTOCOL_VERSION;
	assert_int_equal(classify_reason(f, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION), RC_UNSUPPORTED);
	f->d.alert_recv = TLS1_AD_UNKNOWN_CA;
	assert_int_equal(classify_reason(f, SSL_R_TLSV1_ALERT_UNKNOWN_CA), RC_IO_ERROR);
	assert_non_null(strstr(f->cause, "the peer sent alert"));
	/* After our side of the handshake (diagnostics detached): only the reason. */
	f->d.alert_recv = -1;
	assert_int_equal(classify_reason(f, SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED), RC_IO_ERROR);
	assert_non_null(strstr(f->cause, "certificate required"));
	assert_int_equal(classify_reason(f, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION), RC_UNSUPPORTED);
}

static void
test_socket_outcomes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(tls_err_classify(f->ssl, &f->d, SSL_ERROR_SYSCALL, ECONNRESET, 0,
					  f->cause, sizeof(f->cause)),
			 RC_IO_ERROR);
	assert_int_equal(tls_err_classify(f->ssl, &f->d, SSL_ERROR_SYSCALL, 0, 0, f->cause,
					  sizeof(f->cause)),
			 RC_SOCKET_CLOSED);
	assert_non_null(strstr(f->cause, "closed"));
}

static void
test_table_has_meaning_and_fix_for_every_code(void **state)
{
	const struct rc_info *t;
	unsigned n, i;
	static const int must[] = { 6, 401, 402, 406, 412, 420, 422, 428, 435, 5001, 5003, 5004,
				    RC_BACKEND_REFUSED, RC_BACKEND_TIMEOUT };

	(void)state;
	t = rc_table(&n);
	assert_true(n > 10);
	for (i = 0; i < n; i++) {
		assert_true(t[i].meaning[0] && t[i].fix[0] && t[i].name[0]);
		if (i)
			assert_true(t[i - 1].rc < t[i].rc);
	}
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		assert_non_null(rc_lookup(must[i]));
	assert_null(rc_lookup(4242));
}

/* A stray -1 (or an errno passed up) must not read as one of our codes:
 * issue 11 found -1 logged as "out of memory". */
static void
test_strerror_names_only_our_codes(void **state)
{
	static const int codes[] = { ATTLS_ENOMEM, ATTLS_EINVAL, ATTLS_EIO,    ATTLS_ETLS,
				     ATTLS_EPOLICY, ATTLS_ENOENT, ATTLS_EAGAIN, ATTLS_ESYS };
	size_t i, j;

	(void)state;
	assert_string_equal(attls_strerror(ATTLS_OK), "success");
	assert_string_equal(attls_strerror(ATTLS_ENOMEM), "out of memory");
	assert_string_equal(attls_strerror(-1), "unknown error");
	assert_string_equal(attls_strerror(-ENOMEM), "unknown error");
	assert_string_equal(attls_strerror(-EINVAL), "unknown error");
	assert_string_equal(attls_strerror(1), "unknown error");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_true(codes[i] < -133); /* below every -errno */
		assert_string_not_equal(attls_strerror(codes[i]), "unknown error");
		for (j = 0; j < i; j++)
			assert_int_not_equal(codes[i], codes[j]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reasons_map_to_gsk_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_results_win_over_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_from_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_outcomes, setup, teardown),
		cmocka_unit_test(test_table_has_meaning_and_fix_for_every_code),
		cmocka_unit_test(test_strerror_names_only_our_codes),
	};
	return cmocka_run_group_tests_name("rc", tests, NULL, NULL);
}
