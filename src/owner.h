/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: which local process owns a TCP socket (sock_diag, then
 * /proc), for the Jobname and Userid conditions and the query API's access
 * check. */
#ifndef ATTLS_OWNER_H
#define ATTLS_OWNER_H

#include <stddef.h>
#include <sys/types.h>

#include "attls/runtime.h"

struct owner {
	unsigned uid;  /* the socket's uid (its creator's) */
	char user[33]; /* its user name, or the uid in decimal */
	int pid;       /* a process holding the socket; 0: not found in time */
	char job[17];  /* that process's name (comm), "" unknown */
	char unit[64]; /* its systemd unit (gateway.service), "" none or unknown */
};

/* Counters of the calling thread's lookups (for tests and measurements). */
struct owner_stats {
	unsigned long cache_hits, hint_hits, full_scans, timeouts, pids_scanned;
};

/* uid and inode of the socket whose own view is local -> remote (same
 * family). 0, or a negative errno (-ENOENT: none). No /proc access. */
int owner_socket(const union rt_sockaddr *local, const union rt_sockaddr *remote, unsigned *uid,
		 unsigned long *inode);
/* uid and inode of the listening socket that takes connections to 'addr'. */
int owner_listener(const union rt_sockaddr *addr, unsigned *uid, unsigned long *inode);

/* The same with the user name, process name and unit. Returns 0, or -1 if no
 * such socket. */
int owner_of_socket(const union rt_sockaddr *local, const union rt_sockaddr *remote,
		    struct owner *o);
int owner_of_listener(const union rt_sockaddr *addr, struct owner *o);

void owner_stats(struct owner_stats *out);

/* The systemd unit named in /proc/PID/cgroup text; "" if none. */
void owner_unit_parse(const char *cgroup, char *unit, size_t len);

#endif
