/* SPDX-License-Identifier: Apache-2.0 */
/* Private to diag: the capture writer, one thread per process that writes the
 * captures the worker loops hand over, so that no loop waits on the disk: a
 * queue bounded by count and bytes, the capture_max_per_minute quota, the file
 * rotation (capfiles.c) and the lines that say what was not written. */
#ifndef ATTLS_CAPWRITER_H
#define ATTLS_CAPWRITER_H

#include <stddef.h>

struct capture;

/* The queue's bounds: a capture holds at most capture_max_bytes (16 MiB), so
 * 64 MiB is at least four of the largest, and 256 of the default 64 KiB. */
#define CAPWRITER_MAX_QUEUED 256
#define CAPWRITER_MAX_BYTES ((size_t)64 << 20)
/* Seconds of a log window: per reason, the first capture not written in a
 * window is logged with its CONNID, the rest are counted in one line after. */
#define CAPWRITER_LOG_S 60

/* The queue and the quota, without the thread (unit-tested alone). Zeroed
 * is empty. */
struct capwriter_queue {
	struct capture *head, *tail;
	unsigned count;
	size_t bytes;
	long long minute;   /* second the quota's minute opened */
	unsigned in_minute; /* captures queued in it; 0: none open */
};

enum capwriter_verdict {
	CAPWRITER_QUEUED,
	CAPWRITER_RATE, /* capture_max_per_minute already queued this minute */
	CAPWRITER_FULL, /* CAPWRITER_MAX_QUEUED or CAPWRITER_MAX_BYTES waiting */
};

/* Queues 'cap' (cap->mem bytes) at second 'now' of a monotonic clock unless
 * 'per_minute' (0: no limit) were queued in the minute that opened with the
 * first of them, or the queue is full. Only queued captures use the quota. */
enum capwriter_verdict capwriter_queue_push(struct capwriter_queue *q, struct capture *cap,
					    long long now, unsigned per_minute);
/* The oldest capture, taken out of the queue; NULL when empty. */
struct capture *capwriter_queue_pop(struct capwriter_queue *q);

/* Queues 'cap' for the writer thread (started on first use), or frees it. 0,
 * or a negative code with why it is not captured in 'why' (logged too, once
 * per CAPWRITER_LOG_S and reason). */
int capwriter_submit(struct capture *cap, unsigned per_minute, char *why, size_t len);
/* The directory's files are read again before the next capture (start, reload). */
void capwriter_rescan(void);
/* Lets the writer finish what is queued, at most 'timeout_ms', then logs what
 * was not written; later captures are not written. */
void capwriter_stop(unsigned timeout_ms);

#endif
