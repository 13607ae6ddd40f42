/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: AT-TLS messages (EZD1281I, EZD1286I, EZD1287I) and attls's own
 * cause and close lines, with field labels and widths exactly as on z/OS. */
#ifndef ATTLS_EZD_H
#define ATTLS_EZD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "runtime/runtime.h"

struct chello_watch;
struct capture;
struct tls_diag;

/* What the diagnostics of one handshake keep between the calls below, from
 * ezd_diag_begin() to ezd_diag_release(): the connection stores it, only
 * ezd.c looks inside. */
struct ezd_hs {
	struct chello_watch *hello; /* the peer's hello and handshake messages */
	struct capture *cap;        /* the captured bytes (capture: all keeps them to the close) */
	bool started;               /* EZD1282I logged */
};

/* The report view: the facts about one connection that its messages print,
 * filled by the data plane (proxy) right before each call. Diagnostics never
 * see the connection itself. Strings are "" when unknown, never NULL. */
struct ezd_conn {
	uint32_t id;                    /* CONNID */
	const struct rt_gen *gen;       /* settings; attlsd's own jobname and userid */
	const struct policy_rule *rule; /* NULL: matched no rule */
	const union rt_sockaddr *local, *remote; /* as AT-TLS shows them */
	const char *owner_job, *owner_user;      /* the owning application's */
	const char *userid;             /* SAFCheck: the certificate's mapped user */
	bool outbound;
	bool tls;                       /* a side speaks TLS (ssl NULL: not created yet) */
	SSL *ssl;                       /* that side's session */
	int fd;                         /* and its socket */
	struct tls_diag *tls_diag;      /* handshake diagnostics, while handshaking */
	struct ezd_hs *hs;              /* diag's own state for this connection */
	uint64_t now_ms, start_ms, hs_ms; /* loop time; hs_ms 0: handshake not done */
	const char *end;                /* end reason by name ("done", "client_reset") */
	bool end_done;                  /* ended cleanly (both sides finished) */
	int end_rc;                     /* RC it ended with, 0 none */
	uint64_t bytes_in, bytes_out;   /* read from the client, from the backend */
};

/* Logs the failure of 'c' per its Trace bits: EZD1287I (1), EZD1286I (2), then
 * the ATL1288I cause line with the same CONNID, and the event log's object:
 * all of them or none, as aggregation and the log ceiling decide. */
void ezd_error(const struct ezd_conn *c, int rc, const char *event, const char *cause);
/* Writes the ATL1290I count line (and "aggregate" event) of every aggregation
 * window that is over (all: of every window, at shutdown), and the log
 * ceiling's ATL1293I line (and "dropped" event). Each worker calls it from a
 * timer so the count appears when the window ends, not only when a later
 * error comes. */
void ezd_agg_flush(bool all);
/* EZD1281I mapping line, when Trace has bit 4. */
void ezd_map(const struct ezd_conn *c);
/* ATL1289I one line per connection at close, with the end reason by name;
 * EZD1283I Connection Close with Trace 8; the event log's close object. */
void ezd_close(const struct ezd_conn *c);
/* Trace 8 or 16: EZD1282I when the handshake starts. */
void ezd_start(const struct ezd_conn *c);
/* Trace 8: EZD1283I Connection Init with protocol, cipher, handshake time,
 * mapped user ID and peer certificate subject. */
void ezd_established(const struct ezd_conn *c);
/* Trace 16: EZD1284I for a library call ('action' Call/Get/Set). */
void ezd_flow(const struct ezd_conn *c, int rc, const char *action, const char *func,
	      const char *data);
/* Trace 32: EZD1285I hex dump of 'n' bytes ('what': "RECV CLEAR", ...). Off
 * otherwise: no payload is ever logged without this bit. */
void ezd_data(const struct ezd_conn *c, const char *what, const void *buf, size_t n);

/* The diagnostics of a handshake (hello watch, capture, EZD1282I), from the
 * first handshake step to its end; conn.c calls these at its hooks. They keep
 * their state in c->hs. */
void ezd_diag_begin(const struct ezd_conn *c);
void ezd_diag_established(const struct ezd_conn *c);
/* Appends the hello evidence for 'rc' to 'cause'. */
void ezd_diag_evidence(const struct ezd_conn *c, int rc, char *cause, size_t len);
/* The handshake timer of 'timer_ms' fired (before or after the first bytes):
 * RC 5004 when no whole handshake message came from the peer (0 bytes, or part
 * of a record; Client role: the server never answered our ClientHello), else
 * 5104; the cause, with what the peer sent, the real time, the timer and where
 * handshake_timeout is set, into 'cause'. */
int ezd_diag_stall(const struct ezd_conn *c, uint64_t timer_ms, char *cause, size_t len);
/* capture: writes the pcap when due; returns the cause to log (with the file
 * name, in 'buf') or 'cause' unchanged. */
const char *ezd_diag_capture(const struct ezd_conn *c, int rc, const char *cause, char *buf,
			     size_t len);
/* Frees what the diagnostics hold (at the connection's end). */
void ezd_diag_release(const struct ezd_conn *c);

#endif
