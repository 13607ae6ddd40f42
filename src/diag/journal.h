/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/diag: the journald sink for connection messages: under systemd
 * each line goes to the journal with the connection's facts as ATTLS_* fields,
 * elsewhere to the common log (syslog or stderr) as before. */
#ifndef ATTLS_JOURNAL_H
#define ATTLS_JOURNAL_H

#include <stdbool.h>

#include "common/compiler.h"
#include "eventlog.h"

/* True when connection lines go to the journal: attlsd was built with
 * libsystemd and its stderr is the stream systemd named in $JOURNAL_STREAM
 * (attlsd -F as a service). Decided once, at the first call. */
bool journal_on(void);
/* True if 'value' ("DEV:INODE", $JOURNAL_STREAM's form) names the file 'fd'
 * is open on; false for NULL or anything else. */
bool journal_stream_matches(const char *value, int fd);

/* One connection line of priority 'level' (a syslog priority): to the journal
 * with MESSAGE= the text and the fields of 'e' (each escaped), or, with the
 * journal off or unreachable, to the common log. 'always': a line the
 * policy's Trace bits asked for, which the daemon's level filter must not drop
 * (log_trace); else it is filtered like log_msg. */
void journal_log(int level, bool always, const struct eventlog_rec *e, const char *fmt, ...)
	ATTLS_PRINTF(4, 5);

#endif
