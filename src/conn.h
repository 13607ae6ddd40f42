/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the connection module (conn.c, relay.c, upstream.c): one proxied
 * connection, its explicit state and its end reason. */
#ifndef ATTLS_CONN_H
#define ATTLS_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "attls/runtime.h"
#include "attls/tls.h"

struct worker;

enum conn_state {
	CONN_ACCEPTED,    /* accepted; waiting for the peer's first bytes */
	CONN_HANDSHAKING, /* TLS handshake in progress */
	CONN_CONNECTING,  /* handshake done (or clear text); connecting to the backend */
	CONN_RELAYING,    /* both sides open (or half-closed), bytes flow */
	CONN_CLOSING,     /* handles closing; freed in the last close callback */
};

enum conn_end {
	CONN_END_NONE,
	CONN_END_DONE,              /* both sides finished cleanly */
	CONN_END_HANDSHAKE_FAILED,
	CONN_END_HANDSHAKE_TIMEOUT,
	CONN_END_CLEAR_TEXT,
	CONN_END_BACKEND_FAILED,
	CONN_END_CLIENT_RESET,
	CONN_END_BACKEND_RESET,
	CONN_END_TLS_ERROR,
	CONN_END_IDLE_TIMEOUT,
	CONN_END_SHUTDOWN,
	CONN_END_DENIED,
	CONN_END_LIMIT,
	CONN_END_INTERNAL,
};

/* Bytes that one side accepted but the other could not take yet. */
struct pending {
	char *buf;
	size_t len, off;
};

struct conn {
	struct worker *w;
	struct rt_gen *gen;
	const struct policy_rule *rule; /* NULL: matched no rule (clear text) */
	const struct rt_addr *backend;
	struct conn *prev, *next;       /* worker's list */
	uint32_t id;                    /* CONNID */
	enum conn_state state;
	enum conn_end end;
	int end_rc;

	int cfd, bfd;       /* client (TLS) and backend (plaintext) sockets */
	uv_poll_t cpoll, bpoll;
	uv_timer_t timer;
	int cev, bev;       /* events currently polled */
	unsigned open_handles;
	bool bpoll_init;

	SSL *ssl;           /* NULL for clear-text connections */
	struct tls_diag *diag; /* only while handshaking */

	struct pending to_b, to_c;
	bool c_eof;         /* no more bytes will come from the client */
	bool b_eof;         /* no more bytes will come from the backend */
	bool b_shut;        /* we shut down the backend's write side */
	bool c_shut;        /* close_notify + FIN sent to the client */
	bool read_wants_write;  /* SSL_read needs the client socket writable */
	bool write_wants_read;  /* SSL_write needs the client socket readable */

	uint64_t start_ms, hs_ms, last_ms;
	uint64_t bytes_c2b, bytes_b2c;
	union rt_sockaddr local, remote;
};

/* conn.c */
/* Takes 'fd', accepted from 'peer' at 'local' on policy listener 'listener'. */
void conn_accept(struct worker *w, int fd, const union rt_sockaddr *peer,
		 const union rt_sockaddr *local, unsigned listener);
/* Runs the state's timer for 'ms' (0 stops it). */
void conn_arm_timer(struct conn *c, uint64_t ms);
void conn_set_state(struct conn *c, enum conn_state s);
/* Ends the connection: logs the reason, closes handles; freed later. */
void conn_finish(struct conn *c, enum conn_end end, int rc, const char *cause);
void conn_update_polls(struct conn *c);
void conn_touch(struct conn *c);
const char *conn_end_name(enum conn_end e);

/* upstream.c */
void upstream_connect(struct conn *c);
void upstream_poll_cb(uv_poll_t *h, int status, int events);

/* relay.c */
void relay_start(struct conn *c);
void relay_on_client(struct conn *c, int events);
void relay_on_backend(struct conn *c, int events);

#endif
