/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the journald sink (diag/journal.c) without a journald: when
 * $JOURNAL_STREAM names stderr and when it does not, and that without the
 * journal each line reaches the common log once, whole, level-filtered unless
 * a Trace bit asked for it. t94 runs the sink against a real journald. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "diag/journal.h"

static void
test_stream_matches(void **state)
{
	char v[64], other[80];
	struct stat st;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fstat(sv[0], &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_true(journal_stream_matches(v, sv[0]));
	/* The other end of the pair is another socket: another inode. */
	assert_false(journal_stream_matches(v, sv[1]));
	snprintf(other, sizeof(other), "%s ", v);
	assert_false(journal_stream_matches(other, sv[0]));
	snprintf(other, sizeof(other), "%llu:%llu", (unsigned long long)st.st_dev + 1,
		 (unsigned long long)st.st_ino);
	assert_false(journal_stream_matches(other, sv[0]));
	assert_false(journal_stream_matches(NULL, sv[0]));
	assert_false(journal_stream_matches("", sv[0]));
	assert_false(journal_stream_matches("12", sv[0]));
	assert_false(journal_stream_matches("12:", sv[0]));
	assert_false(journal_stream_matches(":12", sv[0]));
	assert_false(journal_stream_matches("-1:-1", sv[0]));
	assert_false(journal_stream_matches(v, -1));
	close(sv[0]);
	close(sv[1]);
}

/* Runs the lines below with stderr on a pipe; returns what reached it. */
static char *
lines_on_stderr(void)
{
	static char out[8192];
	struct eventlog_rec e = { .connid = 7, .rule = "r1" };
	int p[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_not_equal(dup2(p[1], STDERR_FILENO), -1);
	log_set_level(LOG_NOTICE);
	journal_log(LOG_INFO, false, &e, "EZD1281I TTLS Map   CONNID: %08X filtered", e.connid);
	journal_log(LOG_DEBUG, true, &e, "EZD1283I TTLS Event CONNID: %08X RC: %4d traced", e.connid, 0);
	journal_log(LOG_ERR, false, &e, "ATL1288I TTLS Cause CONNID: %08X RC: %4d x\n   RCNAME: %s",
		    e.connid, 402, "GSK_ERR_NO_CIPHERS");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static void
test_without_journal(void **state)
{
	const char *out;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	out = lines_on_stderr();
	assert_false(journal_on());
	assert_null(strstr(out, "filtered"));
	assert_non_null(strstr(out, "EZD1283I TTLS Event CONNID: 00000007 RC:    0 traced\n"));
	/* The continuation line stays in the same write, right after its line. */
	assert_non_null(strstr(out, "ATL1288I TTLS Cause CONNID: 00000007 RC:  402 x\n"
				    "   RCNAME: GSK_ERR_NO_CIPHERS\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_matches),
		cmocka_unit_test(test_without_journal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
