/* SPDX-License-Identifier: Apache-2.0 */
/* The capture writer: one thread per process writes the pcap files, keeps
 * capture_max_files and logs what was not written; a worker loop only names a
 * capture and hands it over, so a flood of failing handshakes costs the loops
 * no disk I/O and no directory scans. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "capfiles.h"
#include "capture.h"
#include "capture_int.h"
#include "capwriter.h"

/* ---- the queue and the quota ---- */

enum capwriter_verdict
capwriter_queue_push(struct capwriter_queue *q, struct capture *cap, long long now,
		     unsigned per_minute)
{
	/* The minute opens with the first capture queued after the last one ended
	 * (a clock that stepped back ends it too), as ratelimit.c's windows do. */
	if (q->in_minute && (now < q->minute || now - q->minute >= 60))
		q->in_minute = 0;
	if (per_minute && q->in_minute >= per_minute)
		return CAPWRITER_RATE;
	if (q->count >= CAPWRITER_MAX_QUEUED || q->bytes + cap->mem > CAPWRITER_MAX_BYTES)
		return CAPWRITER_FULL;
	if (!q->in_minute)
		q->minute = now;
	q->in_minute++;
	cap->next = NULL;
	if (q->tail)
		q->tail->next = cap;
	else
		q->head = cap;
	q->tail = cap;
	q->count++;
	q->bytes += cap->mem;
	return CAPWRITER_QUEUED;
}

struct capture *
capwriter_queue_pop(struct capwriter_queue *q)
{
	struct capture *cap = q->head;

	if (!cap)
		return NULL;
	if (!(q->head = cap->next))
		q->tail = NULL;
	cap->next = NULL;
	q->count--;
	q->bytes -= cap->mem;
	return cap;
}

/* ---- the writer ---- */

/* Why a capture was not written; each reason has its own log budget. A full
 * disk or a broken directory fails every capture alike, so one line a window
 * says it; a name already taken (a file or symlink planted there) is about
 * that one file, and each gets its line (at most capture_max_per_minute). */
enum cw_why { CW_RATE, CW_FULL, CW_FAILED, CW_TAKEN, CW_NWHY };

static const char *const cw_counted[CW_NWHY] = {
	[CW_RATE] = "settings.capture_max_per_minute was reached",
	[CW_FULL] = "the capture writer was behind (its queue was full)",
	[CW_FAILED] = "they could not be written (the first line of the window says why)",
	[CW_TAKEN] = "their names were taken",
};

static struct {
	pthread_once_t once;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* to the writer: a capture, or stop */
	pthread_cond_t done; /* from the writer: it has finished */
	pthread_t thread;
	bool started, stopping, finished;
	struct capwriter_queue q;
	struct capfiles files; /* the writer thread's alone */
	atomic_bool rescan;
	struct ratelimit log[CW_NWHY];
} cw = { .once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER };

static long long
cw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* The conditions wait on the monotonic clock: a clock step must neither hold
 * the writer nor cut the shutdown wait short. */
static void
cw_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&cw.wake, &a);
	pthread_cond_init(&cw.done, &a);
	pthread_condattr_destroy(&a);
}

static struct timespec
cw_deadline(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* A capture not written: the first of each window and reason is logged with
 * its CONNID and why; the others are counted for cw_report(). */
static void
cw_note(enum cw_why why, uint32_t connid, const char *detail)
{
	bool info = why == CW_RATE; /* what the policy asked for, not a fault */
	unsigned limit = why == CW_TAKEN ? 0 : 1; /* 0: every one */

	if (!ratelimit_admit(&cw.log[why], cw_now(), CAPWRITER_LOG_S, limit))
		return;
	if (!limit) {
		log_warn("ATL1292W TTLS Capture CONNID: %08X %s", connid, detail);
		return;
	}
	log_msg(info ? LOG_NOTICE : LOG_WARNING,
		"ATL1292%c TTLS Capture CONNID: %08X %s; further captures not written for this "
		"reason in the next %d s are counted",
		info ? 'I' : 'W', connid, detail, CAPWRITER_LOG_S);
}

/* The counts of the windows that are over (all: of every window). */
static void
cw_report(bool all)
{
	long long now = cw_now();
	unsigned long long n;
	int i;

	for (i = 0; i < CW_NWHY; i++) {
		if (!all && !ratelimit_over(&cw.log[i], now, CAPWRITER_LOG_S))
			continue;
		if (!(n = ratelimit_take_suppressed(&cw.log[i])))
			continue;
		log_msg(i == CW_RATE ? LOG_NOTICE : LOG_WARNING,
			"ATL1292%c TTLS Capture: %llu more captures not written in %lld s: %s",
			i == CW_RATE ? 'I' : 'W', n, now - atomic_load(&cw.log[i].start),
			cw_counted[i]);
	}
}

/* Writes one capture and keeps capture_max_files; frees it. */
static void
cw_write(struct capture *cap)
{
	char err[512], detail[1024];
	bool kept;
	int dirfd, e;

	if ((dirfd = capture_dir_open(cap->dir, geteuid(), true, err, sizeof(err))) < 0) {
		snprintf(detail, sizeof(detail), "%s not written: %s", cap->name, err);
		cw_note(CW_FAILED, cap->connid, detail);
		goto out;
	}
	/* Failing (no memory), there is no rotation until a scan succeeds. */
	if (atomic_exchange(&cw.rescan, false) || !capfiles_is_of(&cw.files, cap->dir))
		(void)capfiles_scan(&cw.files, dirfd, cap->dir);
	if (capture_write(cap, dirfd, &kept) != 0) {
		e = errno;
		snprintf(detail, sizeof(detail), "cannot write %s%s/%s: %s; %s",
			 kept ? "the key log of " : "", cap->dir, cap->name, strerror(e),
			 kept ? "the pcap was written" : "nothing of it was kept");
		cw_note(e == EEXIST ? CW_TAKEN : CW_FAILED, cap->connid, detail);
	}
	if (kept && capfiles_is_of(&cw.files, cap->dir)) {
		if (capfiles_add(&cw.files, cap->name) == 0)
			capfiles_trim(&cw.files, dirfd, cap->max_files);
		else
			capfiles_cleanup(&cw.files); /* read again before the next */
	}
	close(dirfd);
out:
	capture_free(cap);
}

static void *
cw_main(void *arg)
{
	struct capture *cap;
	struct timespec dl;
	sigset_t all;

	(void)arg;
	/* Signals are for the main loop; none cuts a write short here. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	(void)pthread_setname_np(pthread_self(), "capwriter"); /* for top -H, ps -L */
	pthread_mutex_lock(&cw.lock);
	for (;;) {
		if ((cap = capwriter_queue_pop(&cw.q)) != NULL) {
			pthread_mutex_unlock(&cw.lock);
			cw_write(cap);
			pthread_mutex_lock(&cw.lock);
			continue;
		}
		if (cw.stopping)
			break;
		/* Idle: each second, the counts of the windows that ended. */
		dl = cw_deadline(1000);
		(void)pthread_cond_timedwait(&cw.wake, &cw.lock, &dl);
		pthread_mutex_unlock(&cw.lock);
		cw_report(false);
		pthread_mutex_lock(&cw.lock);
	}
	cw.finished = true;
	pthread_cond_broadcast(&cw.done);
	pthread_mutex_unlock(&cw.lock);
	return NULL;
}

/* Under cw.lock: queues 'cap', starting the writer on first use; else says
 * why not, in words and as a reason to count. */
static int
cw_queue(struct capture *cap, unsigned per_minute, char *why, size_t len, enum cw_why *reason)
{
	int e;

	*reason = CW_FAILED;
	if (cw.stopping) {
		snprintf(why, len, "attlsd is stopping");
		return ATTLS_EAGAIN;
	}
	if (!cw.started) {
		if ((e = pthread_create(&cw.thread, NULL, cw_main, NULL)) != 0) {
			snprintf(why, len, "the capture writer thread did not start: %s",
				 strerror(e));
			return ATTLS_ESYS;
		}
		cw.started = true;
	}
	switch (capwriter_queue_push(&cw.q, cap, cw_now(), per_minute)) {
	case CAPWRITER_QUEUED:
		pthread_cond_signal(&cw.wake);
		return 0;
	case CAPWRITER_RATE:
		*reason = CW_RATE;
		snprintf(why, len, "settings.capture_max_per_minute (%u) reached", per_minute);
		return ATTLS_EAGAIN;
	case CAPWRITER_FULL:
	default:
		*reason = CW_FULL;
		snprintf(why, len, "the capture writer is behind: %u captures (%zu KiB) wait to be "
				   "written",
			 cw.q.count, cw.q.bytes >> 10);
		return ATTLS_EAGAIN;
	}
}

int
capwriter_submit(struct capture *cap, unsigned per_minute, char *why, size_t len)
{
	uint32_t connid = cap->connid;
	enum cw_why reason;
	char detail[600];
	int r;

	pthread_once(&cw.once, cw_init);
	pthread_mutex_lock(&cw.lock);
	r = cw_queue(cap, per_minute, why, len, &reason);
	pthread_mutex_unlock(&cw.lock);
	if (r == 0)
		return 0; /* the writer's now: 'cap' may be gone already */
	snprintf(detail, sizeof(detail), "not captured: %s", why);
	cw_note(reason, connid, detail);
	capture_free(cap);
	return r;
}

void
capwriter_rescan(void)
{
	atomic_store(&cw.rescan, true);
}

void
capwriter_stop(unsigned timeout_ms)
{
	struct timespec dl = cw_deadline(timeout_ms);
	struct capture *cap;
	unsigned left = 0;
	bool started, finished;
	int r = 0;

	pthread_once(&cw.once, cw_init);
	pthread_mutex_lock(&cw.lock);
	cw.stopping = true;
	pthread_cond_signal(&cw.wake);
	while (cw.started && !cw.finished && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&cw.done, &cw.lock, &dl);
	/* What the writer did not reach in time stays unwritten. */
	while ((cap = capwriter_queue_pop(&cw.q)) != NULL) {
		capture_free(cap);
		left++;
	}
	started = cw.started;
	finished = cw.finished;
	pthread_mutex_unlock(&cw.lock);
	if (left)
		log_warn("ATL1292W TTLS Capture: %u queued captures not written: attlsd was "
			 "stopping and settings.shutdown_timeout (%u ms) passed first",
			 left, timeout_ms);
	if (started && finished) {
		pthread_join(cw.thread, NULL);
		capfiles_cleanup(&cw.files);
	} else if (started) {
		pthread_detach(cw.thread); /* stuck on a write: exit does not wait for it */
	}
	cw_report(true);
}
