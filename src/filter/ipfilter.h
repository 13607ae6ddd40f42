/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: the IP filter at accept time, its counters and its
 * rate-limited EZD0815I / EZD0837I messages. */
#ifndef ATTLS_IPFILTER_H
#define ATTLS_IPFILTER_H

#include <stdbool.h>

#include "runtime/runtime.h"

/* Applies the filters to a just-accepted socket. Returns true if it may go on;
 * otherwise the socket is already closed (reset or FIN, per settings). */
bool ipfilter_check(struct rt_gen *g, int fd, const union rt_sockaddr *peer,
		    const union rt_sockaddr *local);
/* Logs an EZD0837I summary for every filter whose messages were held back. */
void ipfilter_flush_suppressed(struct rt_gen *g);
/* Logs the permit/deny counters of every filter (ATL0816I). */
void ipfilter_log_counters(struct rt_gen *g);

#endif
