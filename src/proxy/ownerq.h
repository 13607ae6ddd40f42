/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the connection module (conn_map.c): a worker's owner-lookup
 * queue, one search of /proc per socket shared by its waiters, bounded. */
#ifndef ATTLS_OWNERQ_H
#define ATTLS_OWNERQ_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "host/owner.h"

struct ownerq_search;

/* One connection waiting for the process holding a socket: the caller's,
 * until on_done or ownerq_leave(). */
struct ownerq_waiter {
	unsigned long inode;  /* in: the socket */
	unsigned uid;         /* in: its uid */
	uint64_t deadline_us; /* in: on the owner_now_us() clock */
	/* The search ended: r 0 and 'o' the holder, or why not (ownerq_why()
	 * with 's', valid only during the call). The waiter has left it. */
	void (*on_done)(struct ownerq_waiter *w, struct ownerq_search *s, int r,
			const struct owner *o);
	struct ownerq_search *search; /* the queue's */
	struct ownerq_waiter *prev, *next;
};

/* What the queue of this thread's worker holds. */
struct ownerq_stats {
	unsigned running, pending;             /* searches in the threadpool, waiting for it */
	unsigned long started, joined, refused; /* since the worker started */
};

/* Joins the search for w->inode in flight on 'loop', or starts one: 0; or
 * -EAGAIN when the queue is full ('worker' names it in the warning, one per
 * OWNERQ_FULL_LOG_S), -ENOMEM. Only on the thread that runs 'loop'. */
int ownerq_join(uv_loop_t *loop, unsigned worker, struct ownerq_waiter *w);
/* The waiter leaves before its search ended (its connection ended); the last
 * to leave cancels the search. */
void ownerq_leave(struct ownerq_waiter *w);
/* The number of waiters of w's search (w included). */
unsigned ownerq_waiters(const struct ownerq_waiter *w);
/* Why search 's' did not answer a waiter whose handshake_timeout is 'hto': r
 * its result, or -EINPROGRESS when the waiter's own deadline passed first. */
void ownerq_why(struct ownerq_search *s, int r, unsigned hto, char *why, size_t len);
void ownerq_stats(struct ownerq_stats *out);

#endif
