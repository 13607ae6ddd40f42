/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of keyload_perm_check(): which owners and modes of key, PIN and
 * passphrase files are accepted for a reader (the user attlsd drops to), on
 * real files chown'ed to made-up ids (needs root; skipped otherwise). */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "tls/keyload.h"
#include "tls/keyload_int.h"

#define READER_UID 4242
#define READER_GID 4243
#define OTHER_UID 4244

static char dir[64];

/* Checks a file of owner uid:gid and 'mode'; the verdict and the cause. */
static int
check(uid_t uid, gid_t gid, mode_t mode, bool secret, char *err, size_t len)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	assert_true((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(fchown(fd, uid, gid), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	err[0] = '\0';
	r = keyload_perm_check(fd, path, secret, err, len);
	close(fd);
	return r;
}

static void
test_key_modes(void **state)
{
	char err[512];

	(void)state;
	if (geteuid() != 0)
		skip();
	keyload_set_reader(READER_UID, READER_GID);
	/* What doc/security.md asks for, and the reader's own 0600. */
	assert_int_equal(check(0, READER_GID, 0640, false, err, sizeof(err)), 0);
	assert_int_equal(check(READER_UID, READER_GID, 0600, false, err, sizeof(err)), 0);
	/* Anyone in the group could replace it. */
	assert_int_equal(check(0, READER_GID, 0660, false, err, sizeof(err)), ATTLS_EINVAL);
	assert_non_null(strstr(err, "mode 0660) may be replaced by another user"));
	assert_non_null(strstr(err, "chmod 0640"));
	/* Another user owns it. */
	assert_int_equal(check(OTHER_UID, READER_GID, 0640, false, err, sizeof(err)), ATTLS_EINVAL);
	assert_non_null(strstr(err, "may be replaced by its owner"));
	/* Root's own 0600: the reader could not re-read it after the drop. */
	assert_int_equal(check(0, 0, 0600, false, err, sizeof(err)), ATTLS_EINVAL);
	assert_non_null(strstr(err, "cannot be read by attlsd's user (uid 4242)"));
	assert_non_null(strstr(err, "chown 0:4243 "));
	/* Readable by everyone: accepted (a warning is logged). */
	assert_int_equal(check(0, READER_GID, 0644, false, err, sizeof(err)), 0);
}

static void
test_secret_modes(void **state)
{
	char err[512];

	(void)state;
	if (geteuid() != 0)
		skip();
	keyload_set_reader(READER_UID, READER_GID);
	assert_int_equal(check(0, READER_GID, 0640, true, err, sizeof(err)), 0);
	assert_int_equal(check(READER_UID, READER_GID, 0600, true, err, sizeof(err)), 0);
	/* A secret others may read is no secret. */
	assert_int_equal(check(0, READER_GID, 0644, true, err, sizeof(err)), ATTLS_EINVAL);
	assert_non_null(strstr(err, "may be read by group or others (mode 0644"));
	/* Readable by a group that is not the reader's. */
	assert_int_equal(check(0, 0, 0640, true, err, sizeof(err)), ATTLS_EINVAL);
}

static void
test_root_reader(void **state)
{
	char err[512];

	(void)state;
	if (geteuid() != 0)
		skip();
	/* user: root reads everything root owns. */
	keyload_set_reader(0, 0);
	assert_int_equal(check(0, 0, 0600, false, err, sizeof(err)), 0);
	assert_int_equal(check(0, 0, 0600, true, err, sizeof(err)), 0);
	assert_int_equal(check(0, 0, 0620, false, err, sizeof(err)), ATTLS_EINVAL);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/attls-keyperm.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_modes),
		cmocka_unit_test(test_secret_modes),
		cmocka_unit_test(test_root_reader),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
