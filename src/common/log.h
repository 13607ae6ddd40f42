/* SPDX-License-Identifier: Apache-2.0 */
/* Log sinks: stderr in the foreground, syslog as a daemon. Thread-safe; each line
 * is written with one call so lines from worker threads never interleave. */
#ifndef ATTLS_LOG_H
#define ATTLS_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "compiler.h"

/* Chooses where lines go. 'facility' is a syslog facility (LOG_DAEMON, LOG_AUTH). */
void log_open(const char *ident, bool foreground, int facility);
void log_close(void);
/* Lines above 'level' (a syslog priority) are dropped. */
void log_set_level(int level);
int log_get_level(void);
bool log_enabled(int level);

void log_msg(int level, const char *fmt, ...) ATTLS_PRINTF(2, 3);
/* The same without the level filter: for lines a policy's Trace bits asked for,
 * which the daemon's own verbosity must not drop. */
void log_trace(int level, const char *fmt, ...) ATTLS_PRINTF(2, 3);

/* The ceiling on lines about connections, whatever their sink (syslog or
 * stderr, the event log): counts an event of 'lines' lines against this
 * second's budget of 'limit' (settings.log_max_lines_per_second; 0: none) and
 * says whether they may be written; the others are counted. Lines about the
 * daemon itself never ask. */
bool log_ceiling_admit(unsigned lines, unsigned limit);
/* Writes the ATL1293I line when lines were not written since the last call;
 * returns their number (0: none, no line) and the seconds they span. Called
 * once a second; never itself dropped. */
unsigned long long log_ceiling_report(unsigned *seconds);

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
