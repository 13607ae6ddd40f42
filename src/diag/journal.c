/* SPDX-License-Identifier: Apache-2.0 */
/* The journald sink: connection lines sent with sd_journal_sendv(), their facts
 * as ATTLS_* fields (doc/logging.md lists them), when stderr is the journal. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
/* Without this, every entry would carry CODE_FILE=journal.c: noise. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>
#endif

#include "common/compiler.h"
#include "common/escape.h"
#include "common/log.h"
#include "journal.h"

/* systemd connects a service's stderr to a journal stream and names that
 * stream "DEV:INODE" in $JOURNAL_STREAM, so that a program can tell whether
 * its stderr still is the journal (not a file a shell redirected it to, not
 * /dev/null after daemonizing) and then switch to the native protocol
 * (systemd.exec(5)). Connection lines then keep their fields; daemon lines
 * stay on stderr, which is the journal too. */
bool
journal_stream_matches(const char *value, int fd)
{
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (!value || !isdigit((unsigned char)value[0]) || fstat(fd, &st) != 0)
		return false;
	dev = strtoull(value, &end, 10);
	if (*end != ':' || !isdigit((unsigned char)end[1]))
		return false;
	ino = strtoull(end + 1, &end, 10);
	if (*end)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

#ifdef HAVE_LIBSYSTEMD

static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static bool journal_enabled;

static void
journal_detect(void)
{
	journal_enabled = journal_stream_matches(getenv("JOURNAL_STREAM"), STDERR_FILENO);
	if (journal_enabled)
		log_notice("connection messages go to the journal with ATTLS_* fields (stderr is "
			   "$JOURNAL_STREAM)");
}

bool
journal_on(void)
{
	pthread_once(&journal_once, journal_detect);
	return journal_enabled;
}

/* The fields of one entry: "NAME=value" strings in one buffer. A field that
 * does not fit is left out; MESSAGE comes first, so it always fits. */
struct jfields {
	struct iovec iov[40];
	int n;
	size_t used;
	char buf[16384];
};

static void
jf_add(struct jfields *f, const char *fmt, ...) ATTLS_PRINTF(2, 3);

static void
jf_add(struct jfields *f, const char *fmt, ...)
{
	size_t room = sizeof(f->buf) - f->used;
	va_list ap;
	int k;

	if (f->n >= (int)ARRAY_SIZE(f->iov))
		return;
	va_start(ap, fmt);
	k = vsnprintf(f->buf + f->used, room, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= room)
		return;
	f->iov[f->n].iov_base = f->buf + f->used;
	f->iov[f->n++].iov_len = (size_t)k;
	f->used += (size_t)k + 1;
}

/* A string field, escaped as in every other sink (peer and process names). */
static void
jf_str(struct jfields *f, const char *name, const char *v)
{
	char esc[ESCAPE_LINE];

	if (v)
		jf_add(f, "ATTLS_%s=%s", name, escape_str(v, esc, sizeof(esc)));
}

static void
jf_num(struct jfields *f, const char *name, uint64_t v)
{
	jf_add(f, "ATTLS_%s=%" PRIu64, name, v);
}

/* The record's fields, named as the event log's keys in upper case. */
static void
jf_record(struct jfields *f, const struct eventlog_rec *e)
{
	jf_add(f, "ATTLS_CONNID=%08X", e->connid);
	jf_add(f, "ATTLS_GRPID=%08X", e->grpid);
	jf_add(f, "ATTLS_ENVID=%08X", e->envid);
	jf_str(f, "TYPE", e->type);
	if (e->type || e->rc)
		jf_add(f, "ATTLS_RC=%d", e->rc);
	jf_str(f, "RC_NAME", e->rc_name);
	jf_str(f, "EVENT", e->event);
	jf_str(f, "RULE", e->rule);
	jf_str(f, "LOCAL", e->local);
	jf_str(f, "REMOTE", e->remote);
	jf_str(f, "JOBNAME", e->jobname);
	jf_str(f, "USERID", e->userid);
	jf_str(f, "MAPPED_USER", e->mapped_user);
	jf_str(f, "END", e->end);
	jf_str(f, "MEANING", e->meaning);
	jf_str(f, "CAUSE", e->cause);
	jf_str(f, "FIX", e->fix);
	jf_str(f, "SNI", e->sni);
	jf_str(f, "PROTOCOL", e->protocol);
	jf_str(f, "CIPHER", e->cipher);
	jf_str(f, "CIPHER_NAME", e->cipher_name);
	jf_str(f, "PEER", e->peer);
	if (!e->type)
		return;
	jf_num(f, "DURATION_MS", e->duration_ms);
	jf_num(f, "HANDSHAKE_MS", e->hs_ms);
	jf_num(f, "BYTES_IN", e->bytes_in);
	jf_num(f, "BYTES_OUT", e->bytes_out);
}

/* 0, or a negative errno: then the caller logs the line the old way. */
static int
journal_send(int level, const struct eventlog_rec *e, const char *line)
{
	struct jfields *f = malloc(sizeof(*f));
	int r;

	if (!f)
		return -1;
	f->n = 0;
	f->used = 0;
	/* The text as syslog has it (built from escaped parts; an EZD1287I keeps
	 * its line breaks, which the journal stores as they are). */
	jf_add(f, "MESSAGE=%s", line);
	jf_add(f, "PRIORITY=%d", level);
	jf_add(f, "SYSLOG_IDENTIFIER=attlsd");
	if (e->facility)
		jf_add(f, "SYSLOG_FACILITY=%d", LOG_FAC(e->facility));
	jf_add(f, "ATTLS_MSGID=%.*s", (int)strcspn(line, " "), line);
	jf_record(f, e);
	r = sd_journal_sendv(f->iov, f->n);
	free(f);
	return r;
}

#else /* !HAVE_LIBSYSTEMD: the sink compiles out */

bool
journal_on(void)
{
	return false;
}

static int
journal_send(int level, const struct eventlog_rec *e, const char *line)
{
	(void)level;
	(void)e;
	(void)line;
	return -1;
}

#endif

void
journal_log(int level, bool always, const struct eventlog_rec *e, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	if (!always && !log_enabled(level))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (journal_on() && journal_send(level, e, line) == 0)
		return;
	/* log_msg, not log_trace, for the lines the level filter applies to:
	 * whatever else the common log decides per line applies to them too. */
	if (always)
		log_trace(level, "%s", line);
	else
		log_msg(level, "%s", line);
}
