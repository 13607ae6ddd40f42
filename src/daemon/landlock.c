/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock for a running attlsd: reads only beneath the directories of the
 * policy file and of its keyrings' files, the system's libraries and
 * configuration (/etc, /usr, /lib*), /proc and /sys; writes only in the
 * capture directory and the event log's directory; /dev/null and /dev/urandom.
 *
 * Directories rather than files, so that a key or CRL replaced by rename (as
 * certbot and most tools do) is still read on reload. The kernel is asked for
 * its ABI at run time; rights it does not know are not asked for. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "landlock.h"
#include "policy/tokenuri.h"

/* Newer than Debian 12's kernel headers. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

#define LL_FILE_RIGHTS                                                                     \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                      \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                      \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE                                                                           \
	(LL_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |           \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                    \
	 LANDLOCK_ACCESS_FS_TRUNCATE)
#define LL_DEV (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE)

struct ll {
	int fd;
	uint64_t handled;
};

/* Everything the kernel's ABI can restrict: what is not handled is allowed. */
static uint64_t
landlock_handled(int abi)
{
	uint64_t h = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

/* Allows 'rights' beneath 'path' (on the file itself when it is no
 * directory). A path that does not exist is skipped: nothing is there. */
static int
landlock_allow(struct ll *ll, const char *path, uint64_t rights)
{
	struct landlock_path_beneath_attr pb = { 0 };
	struct stat st;
	int r = 0;

	if ((pb.parent_fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == EACCES ? 0 : -errno;
	if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= LL_FILE_RIGHTS;
	pb.allowed_access = rights & ll->handled;
	if (syscall(SYS_landlock_add_rule, ll->fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0)
		r = -errno;
	close(pb.parent_fd);
	return r;
}

/* The directory of 'path' ('path' itself when it is one). */
static int
landlock_allow_dir_of(struct ll *ll, const char *path, uint64_t rights)
{
	struct stat st;
	char *copy;
	int r;

	if (!path || !path[0] || tokenuri_is(path))
		return 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return landlock_allow(ll, path, rights);
	if (!(copy = strdup(path)))
		return -ENOMEM; /* an errno: the caller prints it */
	r = landlock_allow(ll, dirname(copy), rights);
	free(copy);
	return r;
}

static int
landlock_keyrings(struct ll *ll, const struct policy *p)
{
	size_t i, j;
	int r = 0;

	for (i = 0; i < p->nkeyrings && r == 0; i++) {
		const struct policy_keyring *k = &p->keyrings[i];
		const char *files[] = { k->certificate, k->key, k->trusted_ca, k->crl,
					k->ocsp_response, k->pin_file, k->stash_file,
					k->key_passphrase_file };

		for (j = 0; j < sizeof(files) / sizeof(files[0]) && r == 0; j++)
			r = landlock_allow_dir_of(ll, files[j], LL_READ);
		for (j = 0; j < k->certs.n && r == 0; j++)
			if ((r = landlock_allow_dir_of(ll, k->certs.v[j].certificate, LL_READ)) == 0)
				r = landlock_allow_dir_of(ll, k->certs.v[j].key, LL_READ);
	}
	return r;
}

/* A PKCS#11 module opens files attlsd cannot know (softhsm: its token
 * directory, read and written): Landlock would break it. */
static const char *
landlock_token_ring(const struct policy *p)
{
	size_t i, j;

	for (i = 0; i < p->nkeyrings; i++)
		for (j = 0; j < p->keyrings[i].certs.n; j++)
			if (tokenuri_is(p->keyrings[i].certs.v[j].key) ||
			    tokenuri_is(p->keyrings[i].certs.v[j].certificate))
				return p->keyrings[i].name;
	return NULL;
}

static int
landlock_rules(struct ll *ll, const struct policy *p, const char *policy_path, const char *pidfile)
{
	static const char *const sys_read[] = { "/etc", "/usr", "/lib", "/lib64", "/lib32",
						"/proc", "/sys" };
	static const char *const devs[] = { "/dev/null", "/dev/urandom", "/dev/random" };
	const char *ctl = p->settings.control_socket;
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(sys_read) / sizeof(sys_read[0]) && r == 0; i++)
		r = landlock_allow(ll, sys_read[i], LL_READ);
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]) && r == 0; i++)
		r = landlock_allow(ll, devs[i], LL_DEV);
	if (r == 0)
		r = landlock_allow_dir_of(ll, policy_path, LL_READ);
	if (r == 0)
		r = landlock_keyrings(ll, p);
	if (r == 0)
		r = landlock_allow_dir_of(ll, p->settings.ticket_keys, LL_READ);
	if (r == 0 && p->settings.capture_dir)
		r = landlock_allow(ll, p->settings.capture_dir, LL_WRITE);
	if (r == 0)
		r = landlock_allow_dir_of(ll, p->settings.event_log, LL_WRITE);
	/* The control socket and the pid file are removed at exit. */
	if (r == 0 && ctl && ctl[0] == '/')
		r = landlock_allow_dir_of(ll, ctl, LANDLOCK_ACCESS_FS_REMOVE_FILE);
	if (r == 0)
		r = landlock_allow_dir_of(ll, pidfile, LANDLOCK_ACCESS_FS_REMOVE_FILE);
	return r;
}

int
landlock_apply(const struct policy *p, const char *policy_path, const char *pidfile, char *why,
	       size_t len)
{
	struct landlock_ruleset_attr attr = { 0 };
	struct ll ll = { .fd = -1 };
	const char *ring;
	int abi, r;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi <= 0) {
		snprintf(why, len, "the kernel has no Landlock (%s); seccomp alone applies",
			 strerror(errno));
		return 0;
	}
	/* Landlock also confines ptrace access checks to the sandbox's own
	 * processes, and reading another process's /proc/PID/fd is one. */
	if (p->uses_owner) {
		snprintf(why, len, "a rule names jobname or userid, and Landlock would hide other "
				   "processes' /proc/PID/fd from the owner lookup; seccomp alone applies");
		return 0;
	}
	if ((ring = landlock_token_ring(p)) != NULL) {
		snprintf(why, len, "keyring \"%s\" uses a PKCS#11 token, whose module opens files "
				   "attlsd cannot know; seccomp alone applies", ring);
		return 0;
	}
	attr.handled_access_fs = ll.handled = landlock_handled(abi);
	if ((ll.fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0)) < 0) {
		snprintf(why, len, "cannot create a ruleset: %s", strerror(errno));
		return ATTLS_ESYS;
	}
	if ((r = landlock_rules(&ll, p, policy_path, pidfile)) != 0) {
		snprintf(why, len, "cannot add a rule: %s", strerror(-r));
		goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, ll.fd, 0) != 0) {
		r = -errno;
		snprintf(why, len, "cannot restrict attlsd: %s", strerror(errno));
		goto out;
	}
	r = abi;
out:
	close(ll.fd);
	return r < 0 ? ATTLS_ESYS : r;
}
