/* SPDX-License-Identifier: Apache-2.0 */
/* The privilege drop: which user, group and capabilities attlsd keeps once its
 * sockets are open and its keys loaded, and the switch to them (doc/security.md). */
#ifndef ATTLS_PRIVDROP_H
#define ATTLS_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/compiler.h"
#include "policy/policy.h"

/* The capabilities attlsd may keep, each for one job. */
enum privdrop_cap {
	PRIVDROP_NET_BIND_SERVICE, /* listeners below port 1024, also new ones on reload */
	PRIVDROP_NET_ADMIN,        /* SO_MARK, IP_TRANSPARENT: interception */
	PRIVDROP_SYS_PTRACE,       /* /proc/PID/fd links of other users: owner lookup */
	PRIVDROP_DAC_READ_SEARCH,  /* /proc/PID/fd directories of other users: owner lookup */
	PRIVDROP_NCAPS
};

struct privdrop {
	char user[64], group[64];
	uid_t uid;
	gid_t gid;
	bool as_root;   /* settings.user root: nothing is dropped */
	bool switching; /* started as root: setgroups/setgid/setuid to uid/gid */
	bool need[PRIVDROP_NCAPS];
	char why[PRIVDROP_NCAPS][160]; /* the first thing of the policy that needs it */
};

/* Resolves settings.user/group and the capabilities policy 'p' needs, before
 * anything is opened, so that -t reports a missing user as start-up would.
 * Started as root: the user must exist. Started as another user: that user
 * stays (it cannot switch), and the plan says so. Returns 0, or a negative code
 * with *rc and the reason and fix in 'err'. */
ATTLS_NODISCARD int privdrop_plan(const struct policy *p, struct privdrop *pd, int *rc, char *err,
				  size_t len);

/* Switches to the plan's user and group and keeps only the capabilities it
 * needs (permitted and effective; bounding and ambient trimmed where allowed);
 * logs what it kept and why. Call on the main thread before any other thread
 * exists: capabilities are per thread and new threads inherit them. Returns 0
 * or a negative code (logged; attlsd must not go on). */
ATTLS_NODISCARD int privdrop_apply(const struct privdrop *pd);

#endif
