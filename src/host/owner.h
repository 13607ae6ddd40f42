/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: which local process owns a TCP socket (sock_diag, then
 * /proc), for the Jobname and Userid conditions and the query API's access
 * check. */
#ifndef ATTLS_OWNER_H
#define ATTLS_OWNER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/runtime.h"

struct owner {
	unsigned uid;  /* the socket's uid (its creator's) */
	char user[33]; /* its user name, or the uid in decimal */
	int pid;       /* a process holding the socket; 0: not looked up or not found */
	char job[17];  /* that process's name (comm), "" unknown */
	char unit[64]; /* its systemd unit (gateway.service), "" none or unknown */
};

/* Counters of all lookups in this process (for tests and measurements). */
struct owner_stats {
	unsigned long cache_hits, hint_hits, full_scans, timeouts, pids_scanned;
};

/* uid and inode of the socket whose own view is local -> remote (same
 * family). 0, or a negative errno: -ENOENT no such socket, anything else a
 * failed lookup (EMFILE, EPERM, a netlink error) that must not read as "no
 * owner". No /proc access. */
int owner_socket(const union rt_sockaddr *local, const union rt_sockaddr *remote, unsigned *uid,
		 unsigned long *inode);
/* The same, but only for an ESTABLISHED socket with exactly that 4-tuple: a
 * listener on the local port (which any user may bind) does not count. For
 * the control socket's access check. 0, or a negative errno (-ENOENT). */
int owner_established(const union rt_sockaddr *local, const union rt_sockaddr *remote,
		      unsigned *uid, unsigned long *inode);
/* uid and inode of the listening socket that takes connections to 'addr'. */
int owner_listener(const union rt_sockaddr *addr, unsigned *uid, unsigned long *inode);

/* The same with the user name, process name and unit: blocking (up to 10 s),
 * for tools and tests. Returns 0, or owner_socket()'s negative errno (-ENOENT:
 * no such socket). */
int owner_of_socket(const union rt_sockaddr *local, const union rt_sockaddr *remote,
		    struct owner *o);
int owner_of_listener(const union rt_sockaddr *addr, struct owner *o);

/* The process holding socket 'inode' if the index knows it (one readlink()):
 * its pid, or -ENOENT. Cheap enough for a worker's loop. */
int owner_known(unsigned long inode);

/* One search for the process holding a socket, for a thread that may block
 * (libuv's threadpool). Thread-safe; the struct is the search's own state. */
struct owner_search {
	unsigned long inode;  /* in: the socket */
	_Atomic uint64_t deadline_us; /* in: on the owner_now_us() clock; another thread
	                               * may move it later while it runs (one search
	                               * serving connections with later deadlines) */
	atomic_bool cancel;   /* in: set from any thread to stop it soon */
	int pid;              /* out: the holder */
	atomic_uint passes;   /* out: complete passes over /proc that did not find it;
	                       * readable from another thread while it runs */
	unsigned scanned;     /* out: processes whose descriptors were read */
	unsigned denied;      /* out: processes whose descriptors could not be read */
};
/* 0 (s->pid found); -ETIMEDOUT (deadline; no process held it, or the scan
 * did not finish); -ECANCELED; -EACCES (not found, and 'denied' processes
 * could not be read); another negative errno if /proc cannot be read. */
int owner_search_run(struct owner_search *s);
uint64_t owner_now_us(void);

/* Fills 'o' for a socket of 'uid' held by 'pid' (0: process unknown). 0, or a
 * negative errno when a name could not be read for lack of descriptors or
 * memory (a process that is gone is not an error: its names stay ""). */
int owner_describe(unsigned uid, int pid, struct owner *o);

void owner_stats(struct owner_stats *out);

/* The systemd system unit named in /proc/PID/cgroup text (under
 * /system.slice/); "" if none, or a user unit or session scope. */
void owner_unit_parse(const char *cgroup, char *unit, size_t len);

#endif
