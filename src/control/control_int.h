/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/control: what the control socket's files (control.c,
 * request.c, registry.c, access.c) share: a registry entry, a client, and
 * the functions each offers the others. */
#ifndef ATTLS_CONTROL_INT_H
#define ATTLS_CONTROL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/x509.h>
#include <uv.h>

#include "appctl.h"
#include "control.h"
#include "reqparse.h"

#define CONTROL_LINE_MAX 512

struct control_entry {
	struct control_entry *next;
	struct control_key key;
	int policy_status, conn_status, sec_type;
	unsigned protocol, connid;
	char cipher[5];
	char userid[33];
	char rule[64];
	X509 *peer;
	struct appctl_queue *q; /* the connection's worker, for INIT */
};

struct control_client {
	uv_pipe_t pipe;
	uv_timer_t timer;
	char line[CONTROL_LINE_MAX];
	size_t len;
	int handles;
	bool answered;
	bool privileged; /* root or attlsd's own uid (SO_PEERCRED) */
	uid_t uid;
	int slot; /* control.c's slot while served; -1 refused (over the cap) */
	struct appctl_req *init; /* INIT at a worker, not answered yet */
};

/* control.c: sends 'text' (malloc'd, taken; NULL: none) and ends the client. */
void control_reply(struct control_client *cl, char *text);
/* control.c: closes the client's handles; frees it once they are closed. */
void control_client_end(struct control_client *cl);

/* request.c: answers (or relays, for INIT) one request line. */
void request_handle(struct control_client *cl, const char *line);
/* request.c: appctl's callback when a worker has carried an INIT out. */
void request_init_answered(struct appctl_req *r);

/* registry.c: starts or stops recording published connections. */
void registry_set_active(bool active);
/* registry.c: the lock under which registry_find()'s and registry_each()'s
 * entries may be read. */
void registry_lock(void);
void registry_unlock(void);
/* registry.c, under registry_lock(): the entry for 'k', NULL none. */
struct control_entry *registry_find(const struct control_key *k);
/* registry.c, under registry_lock(): calls 'fn' on each entry. */
void registry_each(void (*fn)(const struct control_entry *e, void *arg), void *arg);

/* access.c: records who is at the other end of the client's socket. */
void access_peer(struct control_client *cl);
/* access.c: true if the client may list all connections (CONNS). */
bool access_may_list(const struct control_client *cl);
/* access.c: true if the client may read the effective policy (POLICY). */
bool access_may_read_policy(const struct control_client *cl);
/* access.c: true if the client may ask about (QUERY, INIT) connection 'k'. */
bool access_may_query(const struct control_client *cl, const struct control_key *k);

#endif
