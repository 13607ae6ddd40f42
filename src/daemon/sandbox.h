/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox of a running attlsd: seccomp (no exec, ptrace, mount, modules,
 * kexec, bpf, namespaces) and Landlock (only the policy's paths), applied
 * after the privilege drop when settings.sandbox is On (doc/security.md). */
#ifndef ATTLS_SANDBOX_H
#define ATTLS_SANDBOX_H

#include <sys/types.h>

#include "common/compiler.h"
#include "policy/policy.h"

/* Before the privilege drop, as root: the capture directory of a policy that
 * captures is created for 'uid'/'gid' when missing, so that it exists for
 * Landlock and is writable after the drop; the event log is checked likewise
 * (a warning when 'uid' could not write it). */
void sandbox_prepare(const struct policy *p, uid_t uid, gid_t gid);

/* Applies the sandbox for policy 'p' (its file 'policy_path', 'pidfile' may be
 * NULL); logs what was applied and what the kernel lacks. Call on the main
 * thread before any other thread exists. Returns 0 or a negative code (logged). */
ATTLS_NODISCARD int sandbox_apply(const struct policy *p, const char *policy_path,
				  const char *pidfile);

#endif
