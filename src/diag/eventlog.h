/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: the optional JSON-lines event log (settings.event_log), one
 * object per failed connection (and per close with Trace 8), carrying the same
 * facts as the EZD lines as named fields for log shippers, and the counts of
 * what aggregation and the log ceiling held back. The record is also what the
 * journal sink (journal.h) writes as ATTLS_* fields. */
#ifndef ATTLS_EVENTLOG_H
#define ATTLS_EVENTLOG_H

#include <stdint.h>

#include "tls/chello.h"

/* The facts about one connection; a NULL string is omitted. */
struct eventlog_rec {
	const char *type;  /* "failure", "close", or a count: "aggregate", "dropped";
	                    * NULL: a trace line (journal only) */
	int rc;            /* 0 for a clean close */
	const char *rc_name, *meaning, *event, *rule, *cause, *fix, *end;
	const char *jobname, *userid; /* the owning application's, else attlsd's */
	const char *mapped_user;      /* SAFCheck: the certificate's user ID */
	const char *local, *remote;   /* ip..port, as in the EZD lines */
	const char *sni;              /* the server name asked for (or that we sent) */
	const char *protocol, *cipher, *cipher_name; /* "-" until negotiated; "clear" */
	const char *peer;             /* the peer certificate's subject (RFC 4514) */
	uint32_t connid, grpid, envid;
	uint64_t duration_ms, hs_ms, bytes_in, bytes_out;
	const struct chello *hello; /* NULL or not seen: omitted */
	/* A count (count != 0): an aggregation window's (net, logged, window, the
	 * CONNIDs not logged) or the log ceiling's dropped lines. */
	const char *net;
	unsigned long long count;
	unsigned logged, seconds, window;
	uint32_t first_id, last_id;
	int facility;               /* syslog facility (LOG_DAEMON, LOG_AUTH): the journal's */
};

/* Appends 'e' as one JSON line to 'path' (opened on first use and again when
 * the path changes after a reload). Thread-safe: one write() with O_APPEND per
 * line, in parallel; a lock only for the (re)open. A failure to write (a full
 * disk) is logged once per minute with the records lost. */
void eventlog_write(const char *path, const struct eventlog_rec *e);
/* The same to the file of the last eventlog_write(), if one is open: for the
 * counts, which are written when a window ends, away from any connection. */
void eventlog_write_current(const struct eventlog_rec *e);
/* JSON string escaping into 'out' (always terminated; cut at 'len'). */
void eventlog_escape(const char *s, char *out, size_t len);

#endif
