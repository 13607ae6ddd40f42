/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: the control socket (settings.control_socket) and the
 * registry of live connections it answers queries from (the analogue of
 * z/OS SIOCTTLSCTL TTLS_QUERY_ONLY; doc/interception.md). */
#ifndef ATTLS_CONTROL_H
#define ATTLS_CONTROL_H

#include <uv.h>

#include "policy/policy.h"

struct conn;

/* Starts serving 'p's control socket on 'loop'; a failure is logged and
 * leaves attlsd without queries, not stopped. */
void control_start(uv_loop_t *loop, const struct policy *p);
/* Closes the socket (removes its path). */
void control_stop(void);
/* The policy "POLICY" requests print (call again after each reload). */
void control_set_policy(const struct policy *p);
/* Worker threads: records or refreshes 'c' under the 4-tuple its plaintext
 * application sees (the backend, or for Client role and outbound rules the
 * local client). No-op while no control socket is served. */
void control_reg_publish(struct conn *c);
/* Forgets 'c' (from conn_free). */
void control_reg_remove(struct conn *c);

#endif
