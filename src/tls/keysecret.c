/* SPDX-License-Identifier: Apache-2.0 */
/* PIN and passphrase files, and z/OS-style stash files: read with their mode
 * checked, and (attlsctl keyring stash) written. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/rc.h"
#include "keyload.h"
#include "keyload_int.h"

/* The stash format of GSKit's .sth files: each byte XOR 0xF5, the secret ended
 * by a zero byte (0xF5 on disk) and padded to a fixed size. It hides the secret
 * from a glance, not from anyone who can read the file: the file mode does that. */
#define KEYSECRET_STASH_XOR 0xF5
#define KEYSECRET_STASH_SIZE 129
#define KEYSECRET_MAX 1024

int
keysecret_read(const char *path, bool stash, char *buf, size_t len, int *rc, char *err,
	       size_t errlen)
{
	unsigned char raw[KEYSECRET_MAX];
	ssize_t n;
	size_t i, o = 0;
	int fd, ret;

	*rc = RC_NO_KEYFILE_PASSWORD;
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return ATTLS_EIO;
	}
	if ((ret = keyload_perm_check(fd, path, true, err, errlen)) != 0)
		goto out;
	if ((n = read(fd, raw, sizeof(raw))) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		ret = ATTLS_EIO;
		goto out;
	}
	for (i = 0; i < (size_t)n; i++) {
		unsigned char c = stash ? raw[i] ^ KEYSECRET_STASH_XOR : raw[i];

		if (c == '\0' || (!stash && (c == '\n' || c == '\r')))
			break;
		if (o + 1 >= len) {
			snprintf(err, errlen, "%s holds a secret longer than %zu bytes", path, len - 1);
			ret = ATTLS_EINVAL;
			goto out;
		}
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	ret = 0;
	if (!o) {
		snprintf(err, errlen, "%s is empty%s", path, stash ? " or not a stash file" : "");
		ret = ATTLS_EINVAL;
	}
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	close(fd);
	return ret;
}

int
keysecret_stash_write(const char *path, const char *secret, char *err, size_t len)
{
	unsigned char raw[KEYSECRET_STASH_SIZE];
	size_t n = strlen(secret), i;
	char tmp[4096];
	int fd, ret = ATTLS_EIO;

	if (!n || n >= sizeof(raw)) {
		snprintf(err, len, "the secret must be 1 to %zu bytes", sizeof(raw) - 1);
		return ATTLS_EINVAL;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp)) {
		snprintf(err, len, "%s: path too long", path);
		return ATTLS_EINVAL;
	}
	memset(raw, 0, sizeof(raw));
	memcpy(raw, secret, n);
	for (i = 0; i < sizeof(raw); i++)
		raw[i] ^= KEYSECRET_STASH_XOR;
	/* mkstemp creates the file 0600: the secret is never readable by others. */
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, len, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw) || fsync(fd) != 0) {
		snprintf(err, len, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		snprintf(err, len, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}
