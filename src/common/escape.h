/* SPDX-License-Identifier: Apache-2.0 */
/* The one escaping function for text a peer or a local process controls (SNI,
 * ALPN, certificate DNs and SANs, process names, user IDs, rule names read back)
 * on its way into an EZD or cause line, syslog, the JSON event log, a
 * control-socket answer or a PROXY v2 TLV.
 *
 * Every byte outside printable ASCII (0x20-0x7E) is written as \xNN: C0
 * controls (CR, LF, ESC, TAB), DEL, and every byte of a non-ASCII character, so
 * UTF-8 bidi overrides (U+202E is \xe2\x80\xae), C1 controls (U+0085 is
 * \xc2\x85) and invalid UTF-8 all come out as plain ASCII. A backslash is left as
 * it is, so escaping twice changes nothing (a cause line built from escaped
 * parts may be escaped again by its sink). Output longer than the buffer is cut
 * at a whole escape and ends with "..." so a cut is visible. */
#ifndef ATTLS_ESCAPE_H
#define ATTLS_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Buffer size for one escaped field of a log line: 255 characters at most. */
#define ESCAPE_FIELD 256
/* For a whole cause line, which quotes several such fields. */
#define ESCAPE_LINE 2048

/* Escapes 'inlen' bytes of 'in' into 'out' (capacity 'outlen' >= 4, always
 * terminated). Returns 'out', so it can be an argument of printf. */
const char *escape_bytes(const char *in, size_t inlen, char *out, size_t outlen);
/* The same for a NUL-terminated string; NULL gives "". */
const char *escape_str(const char *in, char *out, size_t outlen);
/* True if 'in' needs no escaping (printable ASCII only). */
bool escape_clean(const char *in, size_t inlen);

#endif
