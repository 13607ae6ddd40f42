/* SPDX-License-Identifier: Apache-2.0 */
/* ApplicationControlled: which first bytes from the peer, before INIT, are a
 * TLS hello to hold rather than clear text to relay. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "control/appctl.h"

static void
test_hello_is_held(void **state)
{
	/* A ClientHello record header: handshake, TLS 1.0 record version (1.3 too). */
	static const unsigned char hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	static const unsigned char hello12[] = { 0x16, 0x03, 0x03 };

	(void)state;
	assert_true(appctl_tls_handshake_start(hello, sizeof(hello)));
	assert_true(appctl_tls_handshake_start(hello12, 2));
	/* Only the first byte has arrived yet: hold (no text line starts with SYN). */
	assert_true(appctl_tls_handshake_start(hello, 1));
}

static void
test_clear_text_is_relayed(void **state)
{
	static const unsigned char starttls[] = "STARTTLS\r\n";
	static const unsigned char ftp[] = "AUTH TLS\r\n";
	static const unsigned char sslv2[] = { 0x80, 0x2e, 0x01 };
	static const unsigned char syn_text[] = { 0x16, 'x' };
	static const unsigned char alert[] = { 0x15, 0x03, 0x03 };

	(void)state;
	assert_false(appctl_tls_handshake_start(starttls, sizeof(starttls) - 1));
	assert_false(appctl_tls_handshake_start(ftp, sizeof(ftp) - 1));
	assert_false(appctl_tls_handshake_start(sslv2, sizeof(sslv2)));
	assert_false(appctl_tls_handshake_start(syn_text, sizeof(syn_text)));
	assert_false(appctl_tls_handshake_start(alert, sizeof(alert)));
	assert_false(appctl_tls_handshake_start(starttls, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_is_held),
		cmocka_unit_test(test_clear_text_is_relayed),
	};
	return cmocka_run_group_tests_name("appctl", tests, NULL, NULL);
}
