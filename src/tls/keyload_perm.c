/* SPDX-License-Identifier: Apache-2.0 */
/* Owner and mode of key, PIN and passphrase files: checked against the user
 * attlsd runs as after its privilege drop, so that a key anyone may replace is
 * refused, and a key attlsd could not re-read on reload is refused at load,
 * when the operator is watching, rather than at the next SIGHUP. */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "keyload.h"
#include "keyload_int.h"

static struct {
	bool set;
	uid_t uid;
	gid_t gid;
} keyload_reader;

void
keyload_set_reader(uid_t uid, gid_t gid)
{
	keyload_reader.set = true;
	keyload_reader.uid = uid;
	keyload_reader.gid = gid;
}

/* "user:group" of the file into 'owner', and the owner it needs into 'fix'
 * (root and the reader's group). Each name is copied before the next look-up,
 * which may reuse the library's buffer. */
/* attlsctl as root checks what attlsd, which drops to settings.user (default
 * "attlsd"), will read; attlsd itself sets the reader from its plan. */
static void
keyload_reader_named(const char *user, const char *group)
{
	struct passwd *pw;
	struct group *gr;

	if (geteuid() != 0 || !(pw = getpwnam(user ? user : "attlsd")))
		return;
	gr = group ? getgrnam(group) : NULL;
	if (group && !gr)
		return;
	keyload_set_reader(pw->pw_uid, gr ? gr->gr_gid : pw->pw_gid);
}

void
keyload_set_reader_policy(const struct policy *p)
{
	keyload_reader_named(p->settings.user, p->settings.group);
}

static void
keyload_reader_get(uid_t *uid, gid_t *gid)
{
	if (!keyload_reader.set)
		keyload_reader_named(NULL, NULL);
	*uid = keyload_reader.set ? keyload_reader.uid : geteuid();
	*gid = keyload_reader.set ? keyload_reader.gid : getegid();
}

uid_t
keyload_reader_uid(void)
{
	uid_t uid;
	gid_t gid;

	keyload_reader_get(&uid, &gid);
	return uid;
}

static void
keyload_perm_names(const struct stat *st, gid_t rgid, char *owner, size_t olen, char *fix,
		   size_t flen)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr;
	size_t n;

	if (pw)
		snprintf(owner, olen, "%s:", pw->pw_name);
	else
		snprintf(owner, olen, "%u:", (unsigned)st->st_uid);
	n = strlen(owner);
	if ((gr = getgrgid(st->st_gid)) != NULL)
		snprintf(owner + n, olen - n, "%s", gr->gr_name);
	else
		snprintf(owner + n, olen - n, "%u", (unsigned)st->st_gid);
	if ((gr = getgrgid(rgid)) != NULL)
		snprintf(fix, flen, "root:%s", gr->gr_name);
	else
		snprintf(fix, flen, "0:%u", (unsigned)rgid);
}

int
keyload_perm_check(int fd, const char *path, bool secret, char *err, size_t len)
{
	uid_t ruid;
	gid_t rgid;
	char owner[160], fix[96];
	struct stat st;
	unsigned mode;
	bool readable;

	keyload_reader_get(&ruid, &rgid);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, len, "%s is not a regular file", path);
		return ATTLS_EINVAL;
	}
	mode = (unsigned)(st.st_mode & 07777);
	keyload_perm_names(&st, rgid, owner, sizeof(owner), fix, sizeof(fix));
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_uid != 0 && st.st_uid != ruid)) {
		snprintf(err, len, "%s (owner %s, mode %04o) may be replaced by %s: it must belong "
				   "to root or attlsd's user and be writable by its owner only: chown "
				   "%s %s; chmod 0640 %s",
			 path, owner, mode,
			 (st.st_mode & (S_IWGRP | S_IWOTH)) ? "another user" : "its owner",
			 fix, path, path);
		return ATTLS_EINVAL;
	}
	if (secret && ((st.st_mode & S_IRWXO) || ((st.st_mode & S_IRWXG) && st.st_gid != rgid))) {
		snprintf(err, len, "%s may be read by group or others (mode %04o, owner %s): chown "
				   "%s %s; chmod 0640 %s",
			 path, mode, owner, fix, path, path);
		return ATTLS_EINVAL;
	}
	readable = ruid == 0 || (st.st_uid == ruid && (st.st_mode & S_IRUSR)) ||
		   (st.st_gid == rgid && (st.st_mode & S_IRGRP)) || (st.st_mode & S_IROTH);
	if (!readable) {
		snprintf(err, len, "%s (owner %s, mode %04o) cannot be read by attlsd's user (uid "
				   "%u) after the privilege drop, so a reload could not re-read it: "
				   "chown %s %s; chmod 0640 %s",
			 path, owner, mode, (unsigned)ruid, fix, path, path);
		return ATTLS_EINVAL;
	}
	if ((st.st_mode & S_IROTH) || ((st.st_mode & S_IRGRP) && st.st_gid != rgid))
		log_warn("key %s (owner %s, mode %04o) may be read by users other than attlsd's: "
			 "chown %s %s; chmod 0640 %s",
			 path, owner, mode, fix, path, path);
	return 0;
}
