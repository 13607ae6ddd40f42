/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-lines event log. One write() per object with O_APPEND, so lines from
 * worker threads (and from a log rotator's copy) never interleave. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "common/escape.h"
#include "common/log.h"
#include "eventlog.h"

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static int ev_fd = -1;
static char ev_path[4096];
static bool ev_failed; /* the open failure for ev_path was logged */

/* A JSON string's contents: first the log escaping every sink shares
 * (common/escape.h: controls, DEL and non-ASCII as \\xNN, so the line is valid
 * JSON whatever the bytes were), then JSON's own quote and backslash. */
void
eventlog_escape(const char *s, char *out, size_t len)
{
	char esc[ESCAPE_LINE];
	const char *p;
	size_t o = 0;

	if (len == 0)
		return;
	escape_str(s, esc, sizeof(esc));
	for (p = esc; *p && o + 3 < len; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
}

/* A growing line; on overflow the object is cut, never split across writes. */
struct jbuf {
	char b[8192];
	size_t n;
};

static void
jb_add(struct jbuf *j, const char *fmt, ...) ATTLS_PRINTF(2, 3);

static void
jb_add(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (j->n + 1 >= sizeof(j->b))
		return;
	va_start(ap, fmt);
	k = vsnprintf(j->b + j->n, sizeof(j->b) - j->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		j->n = j->n + (size_t)k < sizeof(j->b) ? j->n + (size_t)k : sizeof(j->b) - 1;
}

static void
jb_str(struct jbuf *j, const char *key, const char *v)
{
	char esc[2048];

	if (!v)
		return;
	eventlog_escape(v, esc, sizeof(esc));
	jb_add(j, ",\"%s\":\"%s\"", key, esc);
}

static void
jb_codes(struct jbuf *j, const char *key, const uint16_t *v, size_t n)
{
	size_t i;

	jb_add(j, ",\"%s\":[", key);
	for (i = 0; i < n; i++)
		jb_add(j, "%s\"%04X\"", i ? "," : "", v[i]);
	jb_add(j, "]");
}

static void
jb_hello(struct jbuf *j, const struct chello *h)
{
	char b[8];
	size_t i;

	jb_add(j, ",\"hello\":{\"legacy_version\":\"%s\"",
	       chello_version_name(h->legacy_version, b));
	jb_str(j, "sni", h->sni[0] ? h->sni : NULL);
	jb_str(j, "alpn", h->alpn[0] ? h->alpn : NULL);
	jb_add(j, ",\"versions\":[");
	for (i = 0; i < h->nversions; i++)
		jb_add(j, "%s\"%s\"", i ? "," : "", chello_version_name(h->versions[i], b));
	jb_add(j, "]");
	jb_codes(j, "suites", h->ciphers, h->nciphers);
	jb_add(j, ",\"suites_offered\":%u", (unsigned)h->total_ciphers);
	jb_codes(j, "sigalgs", h->sigalgs, h->nsigalgs);
	jb_codes(j, "groups", h->groups, h->ngroups);
	jb_add(j, "}");
}

static void
jb_record(struct jbuf *j, const struct eventlog_rec *e)
{
	struct timeval tv;
	struct tm tm;
	char ts[40];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	jb_add(j, "{\"time\":\"%s.%03dZ\"", ts, (int)(tv.tv_usec / 1000));
	jb_str(j, "type", e->type);
	jb_add(j, ",\"rc\":%d", e->rc);
	jb_str(j, "rc_name", e->rc_name);
	jb_str(j, "event", e->event);
	jb_str(j, "rule", e->rule);
	jb_add(j, ",\"connid\":\"%08X\",\"grpid\":\"%08X\",\"envid\":\"%08X\"", e->connid,
	       e->grpid, e->envid);
	jb_str(j, "local", e->local);
	jb_str(j, "remote", e->remote);
	jb_str(j, "jobname", e->jobname);
	jb_str(j, "userid", e->userid);
	jb_str(j, "mapped_user", e->mapped_user);
	jb_str(j, "end", e->end);
	jb_str(j, "meaning", e->meaning);
	jb_str(j, "cause", e->cause);
	jb_str(j, "fix", e->fix);
	jb_str(j, "sni", e->sni);
	jb_str(j, "protocol", e->protocol);
	jb_str(j, "cipher", e->cipher);
	jb_str(j, "cipher_name", e->cipher_name);
	jb_str(j, "peer", e->peer);
	jb_add(j, ",\"duration_ms\":%llu,\"handshake_ms\":%llu,\"bytes_in\":%llu,"
		  "\"bytes_out\":%llu",
	       (unsigned long long)e->duration_ms, (unsigned long long)e->hs_ms,
	       (unsigned long long)e->bytes_in, (unsigned long long)e->bytes_out);
	if (e->hello && e->hello->seen)
		jb_hello(j, e->hello);
	jb_add(j, "}");
}

/* Under ev_lock: the descriptor for 'path', reopened when the path changed. */
static int
ev_open(const char *path)
{
	if (ev_fd >= 0 && strcmp(path, ev_path) == 0)
		return ev_fd;
	if (ev_fd >= 0)
		close(ev_fd);
	ev_failed = ev_failed && strcmp(path, ev_path) == 0;
	snprintf(ev_path, sizeof(ev_path), "%s", path);
	ev_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (ev_fd < 0 && !ev_failed) {
		ev_failed = true;
		log_error("ATL1291E event_log %s cannot be opened: %s; events go only to the log",
			  path, strerror(errno));
	}
	return ev_fd;
}

void
eventlog_write(const char *path, const struct eventlog_rec *e)
{
	struct jbuf *j;
	int fd;

	if (!path || !path[0] || !(j = malloc(sizeof(*j))))
		return;
	j->n = 0;
	jb_record(j, e);
	/* A cut object would not parse: close it so each line stays valid JSON. */
	if (j->n >= sizeof(j->b) - 2)
		j->n = (size_t)snprintf(j->b, sizeof(j->b), "{\"type\":\"%s\",\"connid\":\"%08X\","
							  "\"rc\":%d,\"truncated\":true}",
					e->type, e->connid, e->rc);
	j->b[j->n++] = '\n';
	pthread_mutex_lock(&ev_lock);
	if ((fd = ev_open(path)) >= 0 && write(fd, j->b, j->n) < 0 && !ev_failed) {
		ev_failed = true;
		log_error("ATL1291E event_log %s: write failed: %s", path, strerror(errno));
	}
	pthread_mutex_unlock(&ev_lock);
	free(j);
}
