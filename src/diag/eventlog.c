/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-lines event log. One write() per object with O_APPEND, so lines from
 * worker threads (and from a log rotator's copy) never interleave; the
 * workers write in parallel, a lock keeps the descriptor only from being
 * closed under them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "common/escape.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "eventlog.h"

#define EV_WARN_INTERVAL 60 /* seconds between two write-failure warnings */

/* Read-locked around each write(), write-locked to (re)open: writers never
 * wait for each other, and a reopen (its path changed) waits for writes in
 * flight, preferred over new ones so a steady stream cannot starve it. */
static pthread_rwlock_t ev_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static int ev_fd = -1;
static char ev_path[4096];
static bool ev_failed;         /* the open failure for ev_path was logged */
static long long ev_retry;     /* second of the last failed open */
static struct ratelimit ev_warn; /* write failures: one warning per interval */
static atomic_ullong ev_lost;  /* records not written since the last warning */

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
jb_time(struct jbuf *j)
{
	struct timeval tv;
	struct tm tm;
	char ts[40];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	jb_add(j, "{\"time\":\"%s.%03dZ\"", ts, (int)(tv.tv_usec / 1000));
}

/* What aggregation or the ceiling held back: a collector that reads only the
 * event log still sees how many there were. */
static void
jb_count(struct jbuf *j, const struct eventlog_rec *e)
{
	jb_time(j);
	jb_str(j, "type", e->type);
	jb_str(j, "rule", e->rule);
	if (e->rule)
		jb_add(j, ",\"rc\":%d", e->rc);
	jb_str(j, "end", e->end);
	jb_str(j, "net", e->net);
	jb_add(j, ",\"count\":%llu,\"seconds\":%u", e->count, e->seconds);
	if (e->net)
		jb_add(j, ",\"logged\":%u,\"window\":%u,\"first_connid\":\"%08X\","
			  "\"last_connid\":\"%08X\"",
		       e->logged, e->window, e->first_id, e->last_id);
	jb_add(j, "}");
}

static void
jb_record(struct jbuf *j, const struct eventlog_rec *e)
{
	if (e->count) {
		jb_count(j, e);
		return;
	}
	jb_time(j);
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

/* Under the write lock: opens 'path' in place of the descriptor in use. A
 * path that cannot be opened is tried again once a second at most. */
static void
ev_reopen(const char *path, long long now)
{
	bool same = strcmp(path, ev_path) == 0;

	if (same && ev_fd < 0 && ev_retry == now)
		return;
	if (ev_fd >= 0)
		close(ev_fd);
	ev_failed = ev_failed && same;
	snprintf(ev_path, sizeof(ev_path), "%s", path);
	ev_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	ev_retry = ev_fd < 0 ? now : 0;
	if (ev_fd < 0 && !ev_failed) {
		ev_failed = true;
		log_error("ATL1291E event_log %s cannot be opened: %s; events go only to the log",
			  path, strerror(errno));
	}
}

/* Returns with the read lock held and ev_fd open on 'path' if it can be
 * ('path' NULL: on whatever is open). */
static void
ev_lock_for(const char *path)
{
	pthread_rwlock_rdlock(&ev_lock);
	if (!path || (ev_fd >= 0 && strcmp(path, ev_path) == 0))
		return;
	pthread_rwlock_unlock(&ev_lock);
	pthread_rwlock_wrlock(&ev_lock);
	if (ev_fd < 0 || strcmp(path, ev_path) != 0)
		ev_reopen(path, ratelimit_now());
	pthread_rwlock_unlock(&ev_lock);
	/* A reload may change the path again in between: the line then goes to
	 * the newer file, which is where it belongs. */
	pthread_rwlock_rdlock(&ev_lock);
}

/* A full disk (ENOSPC), a quota, an I/O error: the record is lost, the
 * service goes on, and the operator hears of it once per interval. */
static void
ev_write_failed(const char *path, int err)
{
	unsigned long long lost;

	atomic_fetch_add(&ev_lost, 1);
	if (!ratelimit_admit(&ev_warn, ratelimit_now(), EV_WARN_INTERVAL, 1))
		return;
	lost = atomic_exchange(&ev_lost, 0);
	log_error("ATL1291E event_log %s: write failed: %s; %llu record%s lost since the last "
		  "warning (at most one a minute); connections are served as before",
		  path, strerror(err), lost, lost == 1 ? "" : "s");
}

static void
ev_write(const char *path, const struct eventlog_rec *e)
{
	struct jbuf *j;
	ssize_t n;

	if (!(j = malloc(sizeof(*j))))
		return;
	j->n = 0;
	jb_record(j, e);
	/* A cut object would not parse: close it so each line stays valid JSON. */
	if (j->n >= sizeof(j->b) - 2)
		j->n = (size_t)snprintf(j->b, sizeof(j->b), "{\"type\":\"%s\",\"connid\":\"%08X\","
							  "\"rc\":%d,\"truncated\":true}",
					e->type, e->connid, e->rc);
	j->b[j->n++] = '\n';
	ev_lock_for(path);
	if (ev_fd >= 0 && (n = write(ev_fd, j->b, j->n)) != (ssize_t)j->n)
		ev_write_failed(ev_path, n < 0 ? errno : ENOSPC);
	pthread_rwlock_unlock(&ev_lock);
	free(j);
}

void
eventlog_write(const char *path, const struct eventlog_rec *e)
{
	if (path && path[0])
		ev_write(path, e);
}

void
eventlog_write_current(const struct eventlog_rec *e)
{
	ev_write(NULL, e);
}
