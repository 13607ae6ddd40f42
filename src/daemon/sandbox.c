/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox: a seccomp deny list for what a compromised attlsd could use to
 * leave its process (run a program, trace or read another process, mount,
 * load kernel code, enter namespaces), then Landlock (landlock.c) for files.
 *
 * A deny list, not an allow list: libuv, OpenSSL, glibc and a PKCS#11 module
 * use system calls that change between versions, and an allow list that
 * misses one kills the daemon in production. A denied call returns EPERM
 * rather than killing the process: attlsd's rule is that a failure ends one
 * connection, never the process, and nothing attlsd does itself makes these
 * calls, so EPERM is only ever seen by code that should not run. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/compiler.h"
#include "common/err.h"
#include "common/log.h"
#include "landlock.h"
#include "sandbox.h"

/* Calls no running attlsd makes: by name, so that one this architecture
 * lacks is skipped. */
static const char *const sandbox_denied[] = {
	"execve", "execveat", "fork", "vfork",
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
	"fsmount", "fsconfig", "fspick", "mount_setattr", "quotactl",
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"bpf", "perf_event_open", "userfaultfd", "open_by_handle_at",
	"setns", "unshare", "keyctl", "add_key", "request_key",
	"swapon", "swapoff", "reboot", "acct", "iopl", "ioperm", "vhangup",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "syslog",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"setfsuid", "setfsgid",
};

/* clone() flags that make a process or a namespace rather than a thread. */
static const unsigned long sandbox_clone_flags[] = {
	CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
	CLONE_NEWCGROUP,
};

static int
sandbox_seccomp(unsigned *ndenied)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int nr, r = 0;
	size_t i;

	*ndenied = 0;
	if (!ctx)
		return ATTLS_ENOMEM;
	/* Every thread, should one exist already; no_new_privs is libseccomp's default. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; i < sizeof(sandbox_denied) / sizeof(sandbox_denied[0]); i++) {
#ifdef ATTLS_SANITIZER
		if (strcmp(sandbox_denied[i], "ptrace") == 0)
			continue; /* LeakSanitizer's exit check ptrace()s our threads */
#endif
		if ((nr = seccomp_syscall_resolve_name(sandbox_denied[i])) == __NR_SCMP_ERROR)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) != 0)
			goto out;
		(*ndenied)++;
	}
	/* clone: threads only. A process has no CLONE_THREAD; a namespace flag
	 * makes one. clone3 passes its flags in memory, which seccomp cannot read:
	 * ENOSYS makes glibc fall back to clone. */
#ifndef ATTLS_SANITIZER /* LeakSanitizer's tracer is a clone without CLONE_THREAD */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				  SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0))) != 0)
		goto out;
#endif
	for (i = 0; i < sizeof(sandbox_clone_flags) / sizeof(sandbox_clone_flags[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
					  SCMP_A0(SCMP_CMP_MASKED_EQ, sandbox_clone_flags[i],
						  sandbox_clone_flags[i]))) != 0)
			goto out;
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) != 0)
		goto out;
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return r;
}

static bool
sandbox_captures(const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].eff.capture == POLICY_CAPTURE_FAILURES ||
		    p->rules[i].eff.capture == POLICY_CAPTURE_ALL)
			return true;
	return false;
}

/* Whether 'uid'/'gid' may write a file of mode 'st' (no supplementary groups:
 * the drop keeps only 'gid'). */
static bool
sandbox_writable(const struct stat *st, uid_t uid, gid_t gid)
{
	if (uid == 0)
		return true;
	if (st->st_uid == uid)
		return st->st_mode & S_IWUSR;
	if (st->st_gid == gid)
		return st->st_mode & S_IWGRP;
	return st->st_mode & S_IWOTH;
}

void
sandbox_prepare(const struct policy *p, uid_t uid, gid_t gid)
{
	const char *dir = p->settings.capture_dir, *ev = p->settings.event_log;
	struct stat st;

	/* A missing capture_dir was made 0700 for the user by capture_dir_check()
	 * (diag/capture.c) at start; one that exists must still be writable. */
	if (dir && sandbox_captures(p) && stat(dir, &st) == 0 &&
	    (!sandbox_writable(&st, uid, gid) || !(st.st_mode & S_IXUSR))) {
		log_warn("capture_dir %s (owner uid %u, gid %u, mode %04o) is not writable by "
			 "attlsd's user (uid %u) after the privilege drop: chown %u:%u %s; chmod "
			 "0700 %s",
			 dir, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
			 (unsigned)uid, (unsigned)uid, (unsigned)gid, dir, dir);
	}
	if (ev && stat(ev, &st) == 0 && !sandbox_writable(&st, uid, gid))
		log_warn("event_log %s (owner uid %u, gid %u, mode %04o) is not writable by "
			 "attlsd's user (uid %u) after the privilege drop: chown %u:%u %s",
			 ev, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
			 (unsigned)uid, (unsigned)uid, (unsigned)gid, ev);
}

int
sandbox_apply(const struct policy *p, const char *policy_path, const char *pidfile)
{
	char why[256];
	unsigned n;
	int r;

	if (!p->settings.sandbox) {
		log_warn("sandbox: Off: attlsd may execute programs and open any file its user "
			 "may (doc/security.md)");
		return 0;
	}
	if ((r = sandbox_seccomp(&n)) != 0) {
		log_error("sandbox: seccomp filter cannot be loaded: %s (sandbox: Off to run "
			  "without it)", strerror(-r));
		return ATTLS_ESYS;
	}
	log_notice("sandbox: seccomp: %u system calls denied with EPERM (exec, ptrace, mount, "
		   "modules, kexec, bpf, namespaces, set*id; clone only for threads); "
		   "no_new_privs set", n);
#ifdef ATTLS_SANITIZER
	/* Not the sanitizers' names: the tests take those for a sanitizer report. */
	log_warn("sandbox: ASan build: ptrace and process clones allowed for the leak "
		 "check at exit; never run such a build in production");
#endif
	r = landlock_apply(p, policy_path, pidfile, why, sizeof(why));
	if (r > 0)
		log_notice("sandbox: Landlock (ABI %d): files only under the paths of the policy "
			   "(doc/security.md); a reload naming files elsewhere needs a restart", r);
	else if (r == 0)
		log_warn("sandbox: Landlock not applied: %s", why);
	else {
		log_error("sandbox: Landlock: %s", why);
		return ATTLS_ESYS;
	}
	return 0;
}
