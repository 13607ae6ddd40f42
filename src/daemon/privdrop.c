/* SPDX-License-Identifier: Apache-2.0 */
/* The privilege drop: settings.user/group resolved at start-up, then, once the
 * listeners, the control socket and the keys are open, the switch to them with
 * only the capabilities the policy needs (doc/security.md, "Privileges").
 *
 * Root switches with PR_SET_KEEPCAPS: the bounding set is trimmed first (that
 * needs CAP_SETPCAP, which only root has here), then setgroups/setgid/setuid,
 * then permitted and effective are set to what the policy needs. A daemon
 * started by systemd as its user with AmbientCapabilities= cannot switch: it
 * only trims. Capabilities are per thread: this runs before any thread exists,
 * and every thread attlsd starts later inherits the result. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <sys/capability.h>

#include "common/compiler.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "privdrop.h"

static const struct {
	cap_value_t cap;
	const char *name;
} privdrop_caps[PRIVDROP_NCAPS] = {
	[PRIVDROP_NET_BIND_SERVICE] = { CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE" },
	[PRIVDROP_NET_ADMIN] = { CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	[PRIVDROP_SYS_PTRACE] = { CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
	[PRIVDROP_DAC_READ_SEARCH] = { CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
};

/* The first reason wins: one line per capability is enough to explain it.
 * True when 'c' was not needed yet, for the caller to write pd->why[c]. */
static bool
privdrop_first(struct privdrop *pd, enum privdrop_cap c)
{
	if (pd->need[c])
		return false;
	pd->need[c] = true;
	return true;
}

/* The port of metrics_listen "ADDR:PORT" or "[ADDR]:PORT"; 0 when none. */
static unsigned
privdrop_metrics_port(const char *listen)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;

	return colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
}

static void
privdrop_needs(const struct policy *p, struct privdrop *pd)
{
	const char *m = p->settings.metrics_listen;
	unsigned mport = privdrop_metrics_port(m);
	size_t i;

	for (i = 0; i < p->nlisteners; i++) {
		const struct policy_listener *l = &p->listeners[i];
		const char *h = l->host ? l->host : "*";

		if (l->port && l->port < 1024 && privdrop_first(pd, PRIVDROP_NET_BIND_SERVICE))
			snprintf(pd->why[PRIVDROP_NET_BIND_SERVICE], sizeof(pd->why[0]),
				 "listener %s:%u is below port 1024 (and so may be new ones on "
				 "reload)", h, l->port);
		if (l->intercept && privdrop_first(pd, PRIVDROP_NET_ADMIN))
			snprintf(pd->why[PRIVDROP_NET_ADMIN], sizeof(pd->why[0]),
				 "listener %s:%u takes diverted connections (IP_TRANSPARENT, "
				 "SO_MARK on backend connections)", h, l->port);
	}
	if (mport && mport < 1024 && privdrop_first(pd, PRIVDROP_NET_BIND_SERVICE))
		snprintf(pd->why[PRIVDROP_NET_BIND_SERVICE], sizeof(pd->why[0]),
			 "metrics_listen %s is below port 1024", m);
	if (p->uses_owner) {
		pd->need[PRIVDROP_SYS_PTRACE] = pd->need[PRIVDROP_DAC_READ_SEARCH] = true;
		snprintf(pd->why[PRIVDROP_SYS_PTRACE], sizeof(pd->why[0]),
			 "a rule names jobname or userid: a socket's owner is found by reading "
			 "the /proc/PID/fd links of every user's processes");
		snprintf(pd->why[PRIVDROP_DAC_READ_SEARCH], sizeof(pd->why[0]),
			 "a rule names jobname or userid: the /proc/PID/fd directories of other "
			 "users' processes must be listed");
	}
}

/* Started as another user than root: that user stays. */
static int
privdrop_plan_unprivileged(struct privdrop *pd)
{
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr = getgrgid(getegid());

	pd->uid = geteuid();
	pd->gid = getegid();
	snprintf(pd->user, sizeof(pd->user), "%s", pw ? pw->pw_name : "?");
	snprintf(pd->group, sizeof(pd->group), "%s", gr ? gr->gr_name : "?");
	return 0;
}

int
privdrop_plan(const struct policy *p, struct privdrop *pd, int *rc, char *err, size_t len)
{
	const char *user = p->settings.user ? p->settings.user : "attlsd";
	struct passwd *pw;
	struct group *gr;

	memset(pd, 0, sizeof(*pd));
	*rc = RC_PRIVILEGE;
	privdrop_needs(p, pd);
	if (geteuid() != 0)
		return privdrop_plan_unprivileged(pd);
	errno = 0;
	if (!(pw = getpwnam(user))) {
		snprintf(err, len, "settings.user \"%s\" does not exist%s%s: create it (useradd "
				   "--system --user-group --no-create-home --shell /usr/sbin/nologin "
				   "%s) or name an existing user; \"root\" keeps every privilege",
			 user, errno ? ": " : "", errno ? strerror(errno) : "", user);
		return ATTLS_EINVAL;
	}
	pd->uid = pw->pw_uid;
	pd->gid = pw->pw_gid;
	snprintf(pd->user, sizeof(pd->user), "%s", pw->pw_name);
	if (p->settings.group) {
		if (!(gr = getgrnam(p->settings.group))) {
			snprintf(err, len, "settings.group \"%s\" does not exist: create it (groupadd "
					   "--system %s) or name an existing group",
				 p->settings.group, p->settings.group);
			return ATTLS_EINVAL;
		}
		pd->gid = gr->gr_gid;
	}
	gr = getgrgid(pd->gid);
	snprintf(pd->group, sizeof(pd->group), "%s", gr ? gr->gr_name : "?");
	pd->as_root = pd->uid == 0;
	pd->switching = !pd->as_root;
	return 0;
}

/* As root, before the switch: what is not needed leaves the bounding set, so
 * that nothing attlsd runs later can regain it. */
static int
privdrop_bound(const struct privdrop *pd)
{
	cap_value_t c;
	int i;

	for (c = 0; CAP_IS_SUPPORTED(c); c++) {
		for (i = 0; i < PRIVDROP_NCAPS && !(pd->need[i] && privdrop_caps[i].cap == c); i++)
			;
		if (i == PRIVDROP_NCAPS && cap_drop_bound(c) != 0)
			return -errno;
	}
	return 0;
}

static int
privdrop_switch(const struct privdrop *pd)
{
	uid_t ru, eu, su;
	int r;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return -errno;
	if ((r = privdrop_bound(pd)) != 0)
		return r;
	if (setgroups(1, &pd->gid) != 0 || setresgid(pd->gid, pd->gid, pd->gid) != 0 ||
	    setresuid(pd->uid, pd->uid, pd->uid) != 0)
		return -errno;
	/* The switch must be complete and final: no saved root to go back to. */
	if (getresuid(&ru, &eu, &su) != 0 || ru != pd->uid || eu != pd->uid || su != pd->uid ||
	    setuid(0) == 0)
		return -EPERM;
#ifdef ATTLS_SANITIZER
	/* The switch made the process non-dumpable, and LeakSanitizer's tracer
	 * could no longer attach to our threads at exit. */
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	return 0;
}

/* Permitted and effective: the needed capabilities (those attlsd has); the
 * inheritable and ambient sets empty, since attlsd runs no programs. */
static int
privdrop_caps_set(const struct privdrop *pd, bool kept[PRIVDROP_NCAPS])
{
	cap_t now = cap_get_proc(), want = cap_init();
	cap_flag_value_t have;
	int i, r = 0;

	if (!now || !want) {
		r = ATTLS_ENOMEM;
		goto out;
	}
	for (i = 0; i < PRIVDROP_NCAPS; i++) {
		kept[i] = false;
		if (!pd->need[i] ||
		    cap_get_flag(now, privdrop_caps[i].cap, CAP_PERMITTED, &have) != 0 || !have)
			continue;
		kept[i] = true;
		if (cap_set_flag(want, CAP_PERMITTED, 1, &privdrop_caps[i].cap, CAP_SET) != 0 ||
		    cap_set_flag(want, CAP_EFFECTIVE, 1, &privdrop_caps[i].cap, CAP_SET) != 0) {
			r = ATTLS_EINVAL;
			goto out;
		}
	}
	if (cap_set_proc(want) != 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
		r = -errno;
		goto out;
	}
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0)
		r = -errno;
out:
	cap_free(now);
	cap_free(want);
	return r;
}

static void
privdrop_report(const struct privdrop *pd, const bool kept[PRIVDROP_NCAPS])
{
	int i, n = 0;

	log_notice("running as user %s (uid %u), group %s (gid %u)%s", pd->user,
		   (unsigned)pd->uid, pd->group, (unsigned)pd->gid,
		   pd->switching ? "" : ": started without root, so no switch, capabilities trimmed");
	for (i = 0; i < PRIVDROP_NCAPS; i++) {
		if (kept[i]) {
			log_notice("capability kept: %s: %s", privdrop_caps[i].name, pd->why[i]);
			n++;
		} else if (pd->need[i]) {
			log_warn("capability %s is needed but attlsd was not given it (%s): grant it "
				 "(systemd: AmbientCapabilities=%s) or expect failures",
				 privdrop_caps[i].name, pd->why[i], privdrop_caps[i].name);
		}
	}
	if (!n)
		log_notice("capabilities kept: none (no listener below 1024, no interception, no "
			   "jobname or userid rule)");
}

int
privdrop_apply(const struct privdrop *pd)
{
	bool kept[PRIVDROP_NCAPS];
	int r;

	if (pd->as_root) {
		log_warn("settings.user is root: attlsd keeps every privilege of root, and every "
			 "byte of TLS is parsed by root; name an unprivileged user (doc/security.md)");
		return 0;
	}
	if (pd->switching && (r = privdrop_switch(pd)) != 0) {
		log_error("RC %d: cannot switch to user %s (uid %u), group %s (gid %u): %s",
			  RC_PRIVILEGE, pd->user, (unsigned)pd->uid, pd->group, (unsigned)pd->gid,
			  strerror(-r));
		return ATTLS_ESYS;
	}
	if (!pd->switching)
		(void)privdrop_bound(pd); /* without CAP_SETPCAP systemd's bounding set stays */
	if ((r = privdrop_caps_set(pd, kept)) != 0) {
		log_error("RC %d: cannot set capabilities: %s", RC_PRIVILEGE,
			  r == ATTLS_ENOMEM ? "out of memory" : strerror(-r));
		return ATTLS_ESYS;
	}
	privdrop_report(pd, kept);
	return 0;
}
