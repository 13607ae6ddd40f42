/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: which local process owns a TCP socket, for the Jobname and
 * Userid conditions of intercepted outbound connections. */
#ifndef ATTLS_OWNER_H
#define ATTLS_OWNER_H

#include <stddef.h>

#include "attls/runtime.h"

/* Finds the socket whose own view is local -> remote (the client's socket of
 * an intercepted outbound connection) and its owner: 'user' gets the user name
 * (or the uid), 'job' the process name (comm). Returns 0, or -1 if not found. */
int owner_lookup(const union rt_sockaddr *local, const union rt_sockaddr *remote, char *user,
		 size_t ulen, char *job, size_t jlen);

#endif
