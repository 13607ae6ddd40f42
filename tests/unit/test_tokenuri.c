/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of PKCS#11 URI handling in the policy (tokenuri.c): recognition,
 * attribute reading with percent-decoding, and the rewrites the pagent
 * importer and the token probe use. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/tokenuri.h"

static void
test_is(void **state)
{
	(void)state;
	assert_true(tokenuri_is("pkcs11:token=a"));
	assert_true(tokenuri_is("PKCS11:object=b"));
	assert_false(tokenuri_is("/etc/attls/pkcs11:key.pem"));
	assert_false(tokenuri_is("pkcs11"));
	assert_false(tokenuri_is(NULL));
}

static void
test_attr(void **state)
{
	char buf[64];

	(void)state;
	assert_true(tokenuri_attr("pkcs11:token=My%20Token;object=srv;type=private", "token", buf,
				  sizeof(buf)));
	assert_string_equal(buf, "My Token");
	assert_true(tokenuri_attr("pkcs11:token=a;object=srv;type=private", "object", buf,
				  sizeof(buf)));
	assert_string_equal(buf, "srv");
	/* "tok" is not "token"; the query is not a path attribute. */
	assert_false(tokenuri_attr("pkcs11:token=a", "tok", buf, sizeof(buf)));
	assert_string_equal(buf, "");
	assert_false(tokenuri_attr("pkcs11:object=x?token=q", "token", buf, sizeof(buf)));
	/* A cut-off escape stays as written; a long value is cut to the buffer. */
	assert_true(tokenuri_attr("pkcs11:object=a%2", "object", buf, sizeof(buf)));
	assert_string_equal(buf, "a%2");
	assert_true(tokenuri_attr("pkcs11:object=abcdefgh", "object", buf, 4));
	assert_string_equal(buf, "abc");
}

static void
test_rewrites(void **state)
{
	char *s;

	(void)state;
	s = tokenuri_with_type("pkcs11:token=t;object=o;type=private", "cert");
	assert_string_equal(s, "pkcs11:token=t;object=o;type=cert");
	free(s);
	s = tokenuri_with_type("pkcs11:token=t;object=o?module-path=/m.so", "private");
	assert_string_equal(s, "pkcs11:token=t;object=o;type=private?module-path=/m.so");
	free(s);
	/* The token probe keeps what picks the token, not the object. */
	s = tokenuri_token("pkcs11:model=SoftHSM%20v2;token=t;object=o;id=%01;type=private",
			   "public");
	assert_string_equal(s, "pkcs11:model=SoftHSM%20v2;token=t;type=public");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is),
		cmocka_unit_test(test_attr),
		cmocka_unit_test(test_rewrites),
	};
	return cmocka_run_group_tests_name("tokenuri", tests, NULL, NULL);
}
