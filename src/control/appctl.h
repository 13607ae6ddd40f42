/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: ApplicationControlled (doc/application-controlled.md). The
 * control socket's INIT request (the analogue of SIOCTTLSCTL
 * TTLS_INIT_CONNECTION) travels from the main loop to the worker that owns the
 * connection and back; the worker switches the connection from clear text to
 * TLS before the answer goes out. */
#ifndef ATTLS_APPCTL_H
#define ATTLS_APPCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct conn;
struct side;
struct worker;

struct appctl_req {
	struct appctl_req *next;
	struct worker *w;
	uint32_t connid;
	void *client;     /* main thread only: the control client waiting; NULL: gone */
	char tuple[200];  /* "LOCAL REMOTE" as the client named it */
	int err;          /* set by the worker: 0 (TLS started) or an errno */
	const char *text; /* with err: why */
};

/* Main thread. Answers come back on 'loop' through 'on_answer' (which must
 * not free 'r'). */
void appctl_start(uv_loop_t *loop, void (*on_answer)(struct appctl_req *r));
/* Delivers the answers that are still queued, then closes. */
void appctl_stop(void);
/* Queues 'r' for its worker; -1 if the worker is gone (r stays the caller's). */
int appctl_submit(struct appctl_req *r);

/* Worker thread (worker.c): takes the queued requests; _close answers the
 * rest as the worker stops taking any. */
void appctl_worker_init(struct worker *w);
void appctl_worker_run(struct worker *w);
void appctl_worker_close(struct worker *w);

/* The first bytes 'b' (n of them, n >= 1) of a read could start a TLS
 * handshake record: 0x16, then major version 3. A text protocol never sends
 * 0x16 (SYN) at the start of a line. */
static inline bool
appctl_tls_handshake_start(const unsigned char *b, size_t n)
{
	return n >= 1 && b[0] == 0x16 && (n == 1 || b[1] == 0x03);
}

/* Connection (conn.c, relay.c). While INIT is being carried out, every event
 * of the connection goes here. */
void appctl_conn_step(struct conn *c);
/* From conn_finish: a waiting INIT fails with ECONNRESET. */
void appctl_conn_end(struct conn *c);
/* Before reading the peer in clear text: true if the peer started a TLS
 * handshake (0x16 0x03) before INIT; its bytes are then left in the socket. */
bool appctl_conn_hold(struct conn *c, struct side *s);

#endif
