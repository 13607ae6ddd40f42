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

#include "control/appctl.h"
#include "control/control.h"
#include "diag/ezd.h"
#include "runtime/runtime.h"
#include "tls/tls.h"
#include "srclimit.h"

struct worker;
struct conn_lookup;

enum conn_state {
	CONN_ACCEPTED,    /* accepted; waiting for the peer's first bytes */
	CONN_MAPPING,     /* waiting for the owner of a socket (conn_map.c); no I/O */
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
	CONN_END_OWNER_UNKNOWN,     /* a Jobname rule's owner could not be determined */
	CONN_END_TRUNCATED,         /* the TLS peer's FIN came without close_notify */
};

/* Bytes that one side accepted but the other could not take yet. */
struct pending {
	char *buf;
	size_t len, off;
};

/* One end of a proxied connection: the accepted client or the backend. Either
 * may carry TLS (server roles: the client side; Client role: the backend side). */
struct side {
	int fd;
	uv_poll_t poll;
	bool poll_init;
	int ev;                /* events currently polled */
	SSL *ssl;              /* NULL: plaintext */
	struct pending out;    /* bytes from the other side not yet written here */
	bool eof;              /* no more bytes will come from this side */
	bool shut;             /* we finished writing to it (FIN, close_notify) */
	bool read_wants_write; /* SSL_read needs the socket writable */
	bool write_wants_read; /* SSL_write needs the socket readable */
	uint64_t bytes_in;     /* read from this side */
};

struct conn {
	struct worker *w;
	struct rt_gen *gen;
	const struct policy_rule *rule; /* NULL: matched no rule (clear text) */
	const struct rt_addr *backend;
	struct rt_addr backend_at;      /* the rule's backend for this connection's port */
	struct conn *prev, *next;       /* worker's list */
	uint32_t id;                    /* CONNID */
	enum conn_state state;
	enum conn_end end;
	int end_rc;

	struct side cl, be;   /* the accepted client, the backend */
	struct side *tls;     /* the side that speaks TLS, or NULL */
	uv_timer_t timer;
	unsigned open_handles; /* handles not yet closed (and conn_ref()s) */
	struct conn_lookup *lookup; /* waiting for an owner search (conn_map.c), or NULL */
	struct tls_diag *diag; /* only while handshaking */

	uint64_t start_ms, hs_ms, last_ms;
	uint64_t rekey_ms; /* ResetCipherTimer: next TLS 1.3 key update (loop ms), 0 none */
	union rt_sockaddr local, remote;
	char owner_job[17];  /* Jobname: the owning process's name, "" unknown */
	char owner_user[33]; /* Userid: its socket's user */
	char owner_unit[64]; /* its systemd unit, "" none (also matched as Jobname) */
	char userid[33]; /* SAFCheck: the client certificate's user ID ("" none) */

	/* Diagnostics' own state (diag/ezd.c): the peer's hello and the handshake
	 * messages, and the captured handshake bytes; only while handshaking (the
	 * capture until the end with capture: all). */
	struct ezd_hs hs;

	/* Interception (intercept.c): the connection was diverted by nftables;
	 * orig_dst is where it was going (the default backend). Outbound: the
	 * accepted peer is a local application, so 'local' is its address and
	 * 'remote' the server it wanted. */
	bool intercepted, outbound;
	struct rt_addr orig_dst;
	struct control_entry *reg; /* its record in the query registry (control/registry.c), or NULL */

	/* ApplicationControlled (appctl_conn.c): clear text until the application's
	 * INIT; the peer's early hello is held unread; INIT being carried out. */
	bool app_clear, hello_held;
	struct appctl_req *init_req;

	/* Limits (worker.c): its share of its source's connections and handshakes
	 * (srclimit.c); a slot of its worker; while it has sent nothing, its place
	 * in the worker's queue of silent connections, oldest first, the first to
	 * be shed when slots run short. */
	struct srclimit_hold src;
	bool slot, silent;
	struct conn *silent_prev, *silent_next;
};

/* The side that speaks TLS once it starts: the backend for HandshakeRole
 * Client, else the accepted client. */
static inline struct side *
conn_app_peer(struct conn *c)
{
	return c->rule && c->rule->eff.role == POLICY_ROLE_CLIENT ? &c->be : &c->cl;
}

/* conn.c */
/* Takes 'fd', accepted from 'peer' at 'local' on policy listener 'listener'. */
void conn_accept(struct worker *w, int fd, const union rt_sockaddr *peer,
		 const union rt_sockaddr *local, unsigned listener);
/* Runs the state's timer for 'ms' (0 stops it). */
void conn_arm_timer(struct conn *c, uint64_t ms);
/* Relaying: arms the timer for the idle timeout and the next key update. */
void conn_arm_relay_timer(struct conn *c);
void conn_set_state(struct conn *c, enum conn_state s);
/* Ends the connection: logs the reason, closes handles; freed later. */
void conn_finish(struct conn *c, enum conn_end end, int rc, const char *cause);
void conn_update_polls(struct conn *c);
void conn_touch(struct conn *c);
const char *conn_end_name(enum conn_end e);

/* Starts the TLS client handshake on the backend side (HandshakeRole Client). */
void conn_start_client_tls(struct conn *c);
/* ApplicationControlled: INIT was carried out; TLS starts now in the rule's
 * role. 0, or ATTLS_EIO when the connection ended (conn_finish said why). */
int conn_start_app_tls(struct conn *c);
/* Holds the connection until the matching conn_unref() (the last frees it). */
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);
/* Mapping is done (c->rule set, or NULL): act on it. */
void conn_mapped(struct conn *c, unsigned listener);

/* conn_map.c */
/* Maps the connection: 0 with c->rule set; 1 when the owner of a socket must
 * be looked up first (state CONN_MAPPING, conn_mapped() follows) or when
 * the connection already ended. */
int conn_map_start(struct conn *c, unsigned listener);
/* Maps without waiting for a lookup (a rule that needs one counts as not
 * matching): only for the log line of a connection refused anyway. */
const struct policy_rule *conn_map_now(struct conn *c, unsigned listener);
/* Would 'r' match the connection 'a' of a socket owned by 'user' if its
 * Jobname matched? Only then is the process worth a search. Pure. */
bool conn_map_needs_process(const struct policy_rule *r, const struct policy_conn_attrs *a,
			    const char *user);
/* The mapping deadline passed (CONN_MAPPING timer). */
void conn_map_timeout(struct conn *c);
/* The connection ends: it leaves its owner search at once; the last waiter
 * to leave cancels the search. */
void conn_map_stop(struct conn *c);

/* report.c */
/* Fills 'v' with what diagnostics print about 'c' now; returns 'v'. */
struct ezd_conn *report_ezd(struct conn *c, struct ezd_conn *v);
/* Records or refreshes 'c' in the query registry under the 4-tuple its
 * plaintext application sees (the backend, or for Client role and outbound
 * rules the local client). No-op while no control socket is served. */
void report_publish(struct conn *c);

/* appctl_conn.c: ApplicationControlled */
/* The worker's INIT queue hands it a request (registered in worker.c). */
void appctl_conn_on_request(struct appctl_queue *q, struct appctl_req *r);
/* While INIT is being carried out, every event of the connection goes here. */
void appctl_conn_step(struct conn *c);
/* From conn_finish: a waiting INIT fails with ECONNRESET. */
void appctl_conn_end(struct conn *c);
/* Before reading the peer in clear text: true if the peer started a TLS
 * handshake (0x16 0x03) before INIT; its bytes are then left in the socket. */
bool appctl_conn_hold(struct conn *c, struct side *s);

/* The first bytes 'b' (n of them, n >= 1) of a read could start a TLS
 * handshake record: 0x16, then major version 3. A text protocol never sends
 * 0x16 (SYN) at the start of a line. */
static inline bool
appctl_conn_hello_start(const unsigned char *b, size_t n)
{
	return n >= 1 && b[0] == 0x16 && (n == 1 || b[1] == 0x03);
}

/* upstream.c */
void upstream_connect(struct conn *c);
/* Called when the backend socket reports writable while connecting. */
void upstream_on_connected(struct conn *c);

/* relay.c */
void relay_start(struct conn *c);
void relay_on_side(struct conn *c, struct side *s, int events);
/* Ends the connection after side 's' reset (or refused, for a TLS server that
 * resets before sending anything). */
void relay_side_reset(struct conn *c, struct side *s);
/* Poll events a side needs while relaying. */
int relay_events(const struct conn *c, const struct side *s);
/* Moves what 'app' has sent so far to the other side, in clear: 1 when 'app'
 * said EAGAIN (or EOF) and the other side took every byte, 0 to wait for
 * events, ATTLS_EIO when the connection ended (conn_finish said why). */
int relay_drain(struct conn *c, struct side *app);

#endif
