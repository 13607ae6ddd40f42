/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: the optional JSON-lines event log (settings.event_log), one
 * object per failed connection (and per close with Trace 8), carrying the same
 * facts as the EZD lines as named fields for log shippers. */
#ifndef ATTLS_EVENTLOG_H
#define ATTLS_EVENTLOG_H

#include <stdint.h>

#include "tls/chello.h"

struct eventlog_rec {
	const char *type;  /* "failure" or "close" */
	int rc;            /* 0 for a clean close */
	const char *rc_name, *event, *rule, *cause, *fix, *jobname, *userid, *end;
	const char *local, *remote; /* ip..port, as in the EZD lines */
	const char *protocol, *cipher; /* close: negotiated, or NULL */
	uint32_t connid, grpid, envid;
	uint64_t duration_ms, hs_ms, bytes_in, bytes_out;
	const struct chello *hello; /* NULL or not seen: omitted */
};

/* Appends 'e' as one JSON line to 'path' (opened on first use and again when
 * the path changes after a reload). Thread-safe; a failure is logged once. */
void eventlog_write(const char *path, const struct eventlog_rec *e);
/* JSON string escaping into 'out' (always terminated; cut at 'len'). */
void eventlog_escape(const char *s, char *out, size_t len);

#endif
