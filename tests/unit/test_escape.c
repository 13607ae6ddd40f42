/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the log escaping function (common/escape.c): controls, ESC,
 * CR/LF, DEL, C1 and bidi characters, invalid UTF-8, NUL, the length cap and
 * its marker, and that escaping twice changes nothing. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/escape.h"

static void
test_printable_kept(void **state)
{
	char b[ESCAPE_FIELD];

	(void)state;
	assert_string_equal(escape_str("CN=alice, O=Example \\\"x\\\"", b, sizeof(b)),
			    "CN=alice, O=Example \\\"x\\\"");
	assert_string_equal(escape_str(NULL, b, sizeof(b)), "");
	assert_true(escape_clean("gateway-01", 10));
}

static void
test_controls_escaped(void **state)
{
	char b[ESCAPE_FIELD];

	(void)state;
	/* A forged second log line, a terminal escape, DEL. */
	assert_string_equal(escape_str("job\r\nEZD1286I fake\x1b[2J\x7f", b, sizeof(b)),
			    "job\\x0d\\x0aEZD1286I fake\\x1b[2J\\x7f");
	assert_false(escape_clean("a\tb", 3));
	/* NUL inside a counted string. */
	assert_string_equal(escape_bytes("a\0b", 3, b, sizeof(b)), "a\\x00b");
}

static void
test_non_ascii_escaped(void **state)
{
	char b[ESCAPE_FIELD];

	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+0085 NEXT LINE (C1), invalid UTF-8. */
	assert_string_equal(escape_str("evil\xe2\x80\xae" "gpj.exe", b, sizeof(b)),
			    "evil\\xe2\\x80\\xaegpj.exe");
	assert_string_equal(escape_str("a\xc2\x85" "b\xff", b, sizeof(b)), "a\\xc2\\x85b\\xff");
	assert_false(escape_clean("\xc3\xa9", 2));
}

static void
test_cap_marker(void **state)
{
	char b[12], big[600];

	(void)state;
	/* Exactly fits: no marker. */
	assert_string_equal(escape_str("0123456789a", b, sizeof(b)), "0123456789a");
	assert_string_equal(escape_str("0123456789ab", b, sizeof(b)), "01234567...");
	/* An escape is never cut in half. */
	assert_string_equal(escape_str("012345\x1b\x1b", b, sizeof(b)), "012345...");
	assert_string_equal(escape_str("0123456\x1b", b, sizeof(b)), "0123456\\x1b");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char f[ESCAPE_FIELD];
		escape_str(big, f, sizeof(f));
		assert_int_equal(strlen(f), ESCAPE_FIELD - 1);
		assert_string_equal(f + ESCAPE_FIELD - 4, "...");
	}
	/* Too small for anything. */
	assert_string_equal(escape_str("abc", b, 3), "");
}

static void
test_idempotent(void **state)
{
	char a[ESCAPE_FIELD], b[ESCAPE_FIELD];

	(void)state;
	escape_str("x\\x1b\x1b\xe2\x80\xae", a, sizeof(a));
	assert_string_equal(escape_str(a, b, sizeof(b)), a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_kept),	 cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_non_ascii_escaped), cmocka_unit_test(test_cap_marker),
		cmocka_unit_test(test_idempotent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
