/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the fleet's parsers: session_cache URLs, ticket key files (modes,
 * lines, the base64 round trip) and the session ID context that binds sessions
 * to their rule. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tls/sesscache.h"
#include "tls/tickets.h"

static void
test_redis_url(void **state)
{
	char host[64];
	int port, db;

	(void)state;
	assert_int_equal(sesscache_url_parse("redis://10.0.0.5:6379", host, sizeof(host), &port, &db), 0);
	assert_string_equal(host, "10.0.0.5");
	assert_int_equal(port, 6379);
	assert_int_equal(db, 0);
	assert_int_equal(sesscache_url_parse("redis://[::1]:7000/3", host, sizeof(host), &port, &db), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 7000);
	assert_int_equal(db, 3);
	assert_int_equal(sesscache_url_parse("redis://cache.example:1/15", host, sizeof(host), &port, &db), 0);
	assert_string_equal(host, "cache.example");
	/* Refused: other schemes, no port, bad port or db, trailing junk, empty host. */
	assert_int_not_equal(sesscache_url_parse("rediss://h:1", host, sizeof(host), &port, &db), 0);
	assert_int_not_equal(sesscache_url_parse("redis://h", host, sizeof(host), &port, &db), 0);
	assert_int_not_equal(sesscache_url_parse("redis://h:0", host, sizeof(host), &port, &db), 0);
	assert_int_not_equal(sesscache_url_parse("redis://h:65536", host, sizeof(host), &port, &db), 0);
	assert_int_not_equal(sesscache_url_parse("redis://h:1/x", host, sizeof(host), &port, &db), 0);
	assert_int_not_equal(sesscache_url_parse("redis://h:1/2/3", host, sizeof(host), &port, &db), 0);
	assert_int_not_equal(sesscache_url_parse("redis://:1", host, sizeof(host), &port, &db), 0);
	assert_int_not_equal(sesscache_url_parse("redis://[::1:1", host, sizeof(host), &port, &db), 0);
}

/* Writes 'text' to a fresh file of mode 'mode'; returns its path. */
static const char *
key_file(const char *text, mode_t mode)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/attls-test-keys.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void
test_ticket_file(void **state)
{
	unsigned char in[2][TICKETS_KEY_BYTES], out[TICKETS_MAX_KEYS][TICKETS_KEY_BYTES];
	char l1[128], l2[128], text[512], err[256];
	const char *p;
	size_t i;

	(void)state;
	for (i = 0; i < TICKETS_KEY_BYTES; i++) {
		in[0][i] = (unsigned char)i;
		in[1][i] = (unsigned char)(255 - i);
	}
	tickets_key_format(in[0], l1, sizeof(l1));
	tickets_key_format(in[1], l2, sizeof(l2));
	assert_int_equal(strlen(l1), 108);
	snprintf(text, sizeof(text), "# comment\n\n  %s  \n%s\n", l1, l2);
	p = key_file(text, 0600);
	assert_int_equal(tickets_file_read(p, out, TICKETS_MAX_KEYS, err, sizeof(err)), 2);
	assert_memory_equal(out[0], in[0], TICKETS_KEY_BYTES);
	assert_memory_equal(out[1], in[1], TICKETS_KEY_BYTES);
	/* At most 'max' keys. */
	assert_true(tickets_file_read(p, out, 1, err, sizeof(err)) < 0);
	unlink(p);

	/* Group or others may read it: refused, and the reason says the mode. */
	p = key_file(text, 0640);
	assert_true(tickets_file_read(p, out, TICKETS_MAX_KEYS, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "mode 0640"));
	unlink(p);

	/* A short key, a line that is no base64, no key at all. */
	snprintf(text, sizeof(text), "%.100s\n", l1);
	p = key_file(text, 0600);
	assert_true(tickets_file_read(p, out, TICKETS_MAX_KEYS, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "line 1"));
	unlink(p);
	snprintf(text, sizeof(text), "%s\n%.107s!\n", l1, l2);
	p = key_file(text, 0600);
	assert_true(tickets_file_read(p, out, TICKETS_MAX_KEYS, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "line 2"));
	unlink(p);
	p = key_file("# nothing\n", 0600);
	assert_true(tickets_file_read(p, out, TICKETS_MAX_KEYS, err, sizeof(err)) < 0);
	unlink(p);
	/* The reason never holds key material. */
	assert_null(strstr(err, l1));
}

/* Own ticket keys: one lifetime encrypting, one more decrypting, on schedule
 * even when no handshake came at the period's end. */
static void
test_ticket_schedule(void **state)
{
	time_t since = 0;

	(void)state;
	assert_int_equal(tickets_due(1000, 60, 1059, &since), TICKETS_KEEP);
	assert_int_equal(tickets_due(1000, 60, 1060, &since), TICKETS_ROTATE);
	assert_int_equal(since, 1060);
	/* Rotated late (no handshake at 1060): the new period still began then. */
	assert_int_equal(tickets_due(1000, 60, 1100, &since), TICKETS_ROTATE);
	assert_int_equal(since, 1060);
	/* Two lifetimes idle: the old key is past its decrypting period too. */
	assert_int_equal(tickets_due(1000, 60, 1120, &since), TICKETS_RESTART);
	assert_int_equal(since, 1120);
	assert_int_equal(tickets_due(1000, 0, 999999, &since), TICKETS_KEEP);
}

static void
test_sid_ctx(void **state)
{
	struct policy_env e1 = { .name = "env" }, e2 = { .name = "envb" };
	struct policy_rule a = { .name = "rule-a", .env = &e1 };
	struct policy_rule a2 = { .name = "rule-a", .env = &e1 };
	struct policy_rule b = { .name = "rule-b", .env = &e1 };
	struct policy_rule a_env2 = { .name = "rule-a", .env = &e2 };
	struct policy_rule shift = { .name = "rule-ae", .env = &(struct policy_env){ .name = "nv" } };
	unsigned char x[SESSCACHE_SID_CTX_LEN], y[SESSCACHE_SID_CTX_LEN];

	(void)state;
	sesscache_sid_ctx(&a, x);
	sesscache_sid_ctx(&a2, y);
	assert_memory_equal(x, y, sizeof(x)); /* the same rule on another host */
	sesscache_sid_ctx(&b, y);
	assert_memory_not_equal(x, y, sizeof(x));
	sesscache_sid_ctx(&a_env2, y);
	assert_memory_not_equal(x, y, sizeof(x));
	/* "rule-a"+"env" and "rule-ae"+"nv" are different pairs. */
	sesscache_sid_ctx(&shift, y);
	assert_memory_not_equal(x, y, sizeof(x));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redis_url),
		cmocka_unit_test(test_ticket_file),
		cmocka_unit_test(test_ticket_schedule),
		cmocka_unit_test(test_sid_ctx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
