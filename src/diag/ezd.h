/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: AT-TLS messages (EZD1281I, EZD1286I, EZD1287I) and attls's own
 * cause and close lines, with field labels and widths exactly as on z/OS. */
#ifndef ATTLS_EZD_H
#define ATTLS_EZD_H

#include <stdbool.h>
#include <stddef.h>

struct conn;

/* Logs the failure of 'c' per its Trace bits: EZD1287I (1), EZD1286I (2), then
 * the ATL1288I cause line with the same CONNID. */
void ezd_error(const struct conn *c, int rc, const char *event, const char *cause);
/* Writes the ATL1290I count line of every aggregation window that is over
 * (all: of every window, at shutdown). Each worker calls it from a timer so
 * the count appears when the window ends, not only when a later error comes. */
void ezd_agg_flush(bool all);
/* EZD1281I mapping line, when Trace has bit 4. */
void ezd_map(const struct conn *c);
/* ATL1289I one line per connection at close, with the end reason by name;
 * EZD1283I Connection Close with Trace 8; the event log's close object. */
void ezd_close(const struct conn *c);
/* Trace 8 or 16: EZD1282I when the handshake starts. */
void ezd_start(const struct conn *c);
/* Trace 8: EZD1283I Connection Init with protocol, cipher, handshake time,
 * mapped user ID and peer certificate subject. */
void ezd_established(const struct conn *c);
/* Trace 16: EZD1284I for a library call ('action' Call/Get/Set). */
void ezd_flow(const struct conn *c, int rc, const char *action, const char *func,
	      const char *data);
/* Trace 32: EZD1285I hex dump of 'n' bytes ('what': "RECV CLEAR", ...). Off
 * otherwise: no payload is ever logged without this bit. */
void ezd_data(const struct conn *c, const char *what, const void *buf, size_t n);

/* The diagnostics of a handshake (hello watch, capture, EZD1282I), from the
 * first handshake step to its end; conn.c calls these at its hooks. */
void ezd_diag_begin(struct conn *c);
void ezd_diag_established(struct conn *c);
/* Appends the hello evidence for 'rc' to 'cause'. */
void ezd_diag_evidence(struct conn *c, int rc, char *cause, size_t len);
/* capture: writes the pcap when due; returns the cause to log (with the file
 * name, in 'buf') or 'cause' unchanged. */
const char *ezd_diag_capture(struct conn *c, int rc, const char *cause, char *buf, size_t len);
/* Frees what the diagnostics hold (at the connection's end). */
void ezd_diag_release(struct conn *c);

#endif
