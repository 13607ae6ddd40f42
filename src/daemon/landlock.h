/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock for a running attlsd: file access only beneath the paths its policy
 * names, the system's libraries and configuration, and /proc (doc/security.md). */
#ifndef ATTLS_LANDLOCK_H
#define ATTLS_LANDLOCK_H

#include <stddef.h>

#include "policy/policy.h"

/* Restricts this thread (and the threads it starts) to the paths of 'p'.
 * Returns the Landlock ABI applied (> 0); 0 when not applied, with the reason
 * in 'why' (the kernel lacks Landlock, a rule needs other processes' /proc/PID/fd,
 * or a PKCS#11 module's files are unknown);
 * a negative code on failure, with the reason in 'why'. */
int landlock_apply(const struct policy *p, const char *policy_path, const char *pidfile,
		   char *why, size_t len);

#endif
