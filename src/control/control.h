/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: the control socket (settings.control_socket) and the
 * registry of live connections it answers queries from (the analogue of
 * z/OS SIOCTTLSCTL TTLS_QUERY_ONLY; doc/interception.md). */
#ifndef ATTLS_CONTROL_H
#define ATTLS_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "policy/policy.h"
#include "runtime/runtime.h"

struct appctl_queue;
/* A connection's record in the registry; its owner keeps the pointer. */
struct control_entry;

/* What the registry records of one connection: the worker that owns it fills
 * this in and publishes it; the registry copies what it needs. */
struct control_conn {
	uint32_t connid;
	struct appctl_queue *q; /* the owning worker's INIT queue */
	/* The 4-tuple its plaintext application sees, its own address first. */
	union rt_sockaddr local, remote;
	const struct policy_rule *rule; /* NULL: matched no rule */
	bool app_clear;     /* application_controlled: clear text until INIT */
	bool secure;        /* the TLS handshake is done */
	const char *userid; /* SAFCheck's mapped user ID, "" none */
	SSL *ssl;           /* NULL: no TLS */
};

/* Starts serving 'p's control socket on 'loop'; a failure is logged and
 * leaves attlsd without queries, not stopped. */
void control_start(uv_loop_t *loop, const struct policy *p);
/* Closes the socket (removes its path). */
void control_stop(void);
/* The policy "POLICY" requests print (call again after each reload). */
void control_set_policy(const struct policy *p);
/* Any thread: true while a control socket is served, so that a worker builds
 * a control_conn only when someone can ask about it. */
bool control_reg_active(void);
/* Worker threads: records or refreshes the connection 'cc' under its 4-tuple;
 * '*slot' is the connection's entry (NULL before the first publish). No-op
 * while no control socket is served. */
void control_reg_publish(struct control_entry **slot, const struct control_conn *cc);
/* Forgets the connection whose entry is '*slot' (sets it to NULL). */
void control_reg_remove(struct control_entry **slot);

#endif
