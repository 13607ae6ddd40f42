/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: AT-TLS messages (EZD1281I, EZD1286I, EZD1287I) and attls's own
 * cause and close lines, with field labels and widths exactly as on z/OS. */
#ifndef ATTLS_EZD_H
#define ATTLS_EZD_H

struct conn;

/* Logs the failure of 'c' per its Trace bits: EZD1287I (1), EZD1286I (2), then
 * the ATL1288I cause line with the same CONNID. */
void ezd_error(const struct conn *c, int rc, const char *event, const char *cause);
/* EZD1281I mapping line, when Trace has bit 4. */
void ezd_map(const struct conn *c);
/* ATL1289I one line per connection at close, with the end reason by name. */
void ezd_close(const struct conn *c);

#endif
