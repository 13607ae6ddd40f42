/* SPDX-License-Identifier: Apache-2.0 */
/* The fleet's TLS 1.2 session store in Redis: each worker loop has its own
 * hiredis connection; lookups end at a deadline; Redis down means full
 * handshakes and one warning per interval, never a failed connection. */
#include "config.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "common/err.h"
#include "common/log.h"
#include "rediscache.h"
#include "tls/sesscache.h"

#define REDISCACHE_RETRY_MS 1000
#define REDISCACHE_WARN_MS 60000 /* one warning per minute for the whole process */

struct rediscache {
	uv_loop_t *loop;
	redisAsyncContext *ac; /* NULL while down */
	bool connected;
	bool stopping;
	uv_timer_t retry;
	uint64_t connect_ms; /* when the connect under way started */
	char host[256];
	int port, db;
	unsigned timeout_ms;
	char url[300];
};

/* One lookup: freed once Redis answered (or dropped it) and the SSL no longer
 * waits for it. */
struct sesscache_lookup {
	struct rediscache *rc;
	SSL *ssl;      /* NULL once answered, timed out or cancelled */
	bool replied;  /* hiredis is done with it */
	bool closing;
	uv_timer_t deadline;
};

static __thread struct rediscache *rc_self;
static atomic_uint_fast64_t st_hits, st_misses, st_timeouts, st_errors, st_stores;
static atomic_uint st_workers, st_connected;
static atomic_uint_fast64_t last_warn_ms;

/* At most one warning per interval from all workers together. */
static void
rc_warn(struct rediscache *rc, const char *what)
{
	uint64_t now = uv_now(rc->loop), last = atomic_load(&last_warn_ms);

	if (last && now - last < REDISCACHE_WARN_MS)
		return;
	if (!atomic_compare_exchange_strong(&last_warn_ms, &last, now ? now : 1))
		return;
	log_warn("session_cache %s: %s; handshakes are full until it answers (next warning "
		 "in %d s at the earliest)",
		 rc->url, what, REDISCACHE_WARN_MS / 1000);
}

static void rc_connect(struct rediscache *rc);

static void
on_connected(const redisAsyncContext *ac, int status)
{
	struct rediscache *rc = ac->data;

	if (status != REDIS_OK) {
		rc_warn(rc, ac->errstr); /* hiredis frees the context after this */
		rc->ac = NULL;
		return;
	}
	rc->connected = true;
	atomic_fetch_add(&st_connected, 1);
	log_debug("session_cache %s: connected", rc->url);
}

static void
on_disconnected(const redisAsyncContext *ac, int status)
{
	struct rediscache *rc = ac->data;

	if (rc->connected)
		atomic_fetch_sub(&st_connected, 1);
	rc->connected = false;
	rc->ac = NULL;
	if (status != REDIS_OK && !rc->stopping)
		rc_warn(rc, ac->errstr[0] ? ac->errstr : "connection lost");
}

static void
rc_connect(struct rediscache *rc)
{
	redisAsyncContext *ac = redisAsyncConnect(rc->host, rc->port);

	if (!ac || ac->err) {
		rc_warn(rc, ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		return;
	}
	ac->data = rc;
	if (redisLibuvAttach(ac, rc->loop) != REDIS_OK) {
		redisAsyncFree(ac);
		return;
	}
	rc->connect_ms = uv_now(rc->loop);
	redisAsyncSetConnectCallback(ac, on_connected);
	redisAsyncSetDisconnectCallback(ac, on_disconnected);
	rc->ac = ac;
	if (rc->db)
		(void)redisAsyncCommand(ac, NULL, NULL, "SELECT %d", rc->db);
}

static void
on_retry(uv_timer_t *t)
{
	struct rediscache *rc = t->data;

	if (rc->stopping)
		return;
	/* hiredis 0.14's libuv adapter drops a poll error, so a refused or
	 * unanswered connect never ends by itself: a second is enough. */
	if (rc->ac && !rc->connected && uv_now(rc->loop) - rc->connect_ms >= REDISCACHE_RETRY_MS) {
		redisAsyncContext *ac = rc->ac;

		rc->ac = NULL;
		redisAsyncFree(ac);
		rc_warn(rc, "no connection within a second");
	}
	if (!rc->ac)
		rc_connect(rc);
}

static void
on_lookup_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
lookup_maybe_free(struct sesscache_lookup *l)
{
	if (l->replied && !l->ssl && !l->closing) {
		l->closing = true;
		uv_close((uv_handle_t *)&l->deadline, on_lookup_closed);
	}
}

/* Hands the answer to the waiting handshake, once. */
static void
lookup_answer(struct sesscache_lookup *l, const unsigned char *der, size_t len)
{
	SSL *ssl = l->ssl;

	if (!ssl)
		return;
	l->ssl = NULL;
	uv_timer_stop(&l->deadline);
	sesscache_found(ssl, der, len);
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct sesscache_lookup *l = priv;
	redisReply *reply = r;

	(void)ac;
	l->replied = true;
	if (l->ssl) {
		if (reply && reply->type == REDIS_REPLY_STRING) {
			atomic_fetch_add(&st_hits, 1);
			lookup_answer(l, (const unsigned char *)reply->str, reply->len);
		} else {
			atomic_fetch_add(reply && reply->type == REDIS_REPLY_NIL ? &st_misses
										 : &st_errors,
					 1);
			lookup_answer(l, NULL, 0);
		}
	}
	lookup_maybe_free(l);
}

static void
on_deadline(uv_timer_t *t)
{
	struct sesscache_lookup *l = t->data;

	atomic_fetch_add(&st_timeouts, 1);
	rc_warn(l->rc, "a lookup took longer than the deadline");
	lookup_answer(l, NULL, 0);
	lookup_maybe_free(l);
}

static struct sesscache_lookup *
rc_get(SSL *ssl, const char *key)
{
	struct rediscache *rc = rc_self;
	struct sesscache_lookup *l;

	if (!rc || !rc->connected || !(l = calloc(1, sizeof(*l)))) {
		atomic_fetch_add(&st_errors, rc != NULL);
		return NULL;
	}
	l->rc = rc;
	l->ssl = ssl;
	if (redisAsyncCommand(rc->ac, on_reply, l, "GET %s", key) != REDIS_OK) {
		free(l);
		atomic_fetch_add(&st_errors, 1);
		return NULL;
	}
	uv_timer_init(rc->loop, &l->deadline);
	l->deadline.data = l;
	uv_timer_start(&l->deadline, on_deadline, rc->timeout_ms, 0);
	return l;
}

static void
rc_cancel(struct sesscache_lookup *l)
{
	l->ssl = NULL;
	uv_timer_stop(&l->deadline);
	lookup_maybe_free(l);
}

static void
rc_put(const char *key, const unsigned char *der, size_t len, unsigned ttl)
{
	struct rediscache *rc = rc_self;

	if (!rc || !rc->connected || ttl == 0)
		return;
	if (redisAsyncCommand(rc->ac, NULL, NULL, "SET %s %b EX %u", key, der, len, ttl) ==
	    REDIS_OK)
		atomic_fetch_add(&st_stores, 1);
}

static const struct sesscache_store rc_store = { rc_put, rc_get, rc_cancel };

int
rediscache_worker_start(uv_loop_t *loop, const char *url, unsigned timeout_ms)
{
	struct rediscache *rc;

	if (!url || !url[0])
		return 0;
	if (!(rc = calloc(1, sizeof(*rc))))
		return ATTLS_ENOMEM;
	if (sesscache_url_parse(url, rc->host, sizeof(rc->host), &rc->port, &rc->db) != 0) {
		log_error("session_cache %s: not redis://HOST:PORT[/DB]; no session store", url);
		free(rc);
		return ATTLS_EINVAL;
	}
	snprintf(rc->url, sizeof(rc->url), "%s", url);
	rc->loop = loop;
	rc->timeout_ms = timeout_ms;
	uv_timer_init(loop, &rc->retry);
	rc->retry.data = rc;
	uv_timer_start(&rc->retry, on_retry, REDISCACHE_RETRY_MS, REDISCACHE_RETRY_MS);
	rc_self = rc;
	atomic_fetch_add(&st_workers, 1);
	sesscache_set_store(&rc_store);
	rc_connect(rc);
	return 0;
}

static void
on_retry_closed(uv_handle_t *h)
{
	free(h->data);
}

void
rediscache_worker_stop(void)
{
	struct rediscache *rc = rc_self;

	if (!rc || rc->stopping)
		return;
	rc->stopping = true;
	sesscache_set_store(NULL);
	rc_self = NULL;
	atomic_fetch_sub(&st_workers, 1);
	if (rc->connected)
		atomic_fetch_sub(&st_connected, 1);
	rc->connected = false; /* on_disconnected must not count it again */
	/* Lookups still waiting are answered "none" by hiredis as it lets go. */
	if (rc->ac) {
		redisAsyncContext *ac = rc->ac;

		rc->ac = NULL;
		redisAsyncFree(ac);
	}
	uv_close((uv_handle_t *)&rc->retry, on_retry_closed);
}

void
rediscache_stats(struct rediscache_stats *out)
{
	out->hits = atomic_load(&st_hits);
	out->misses = atomic_load(&st_misses);
	out->timeouts = atomic_load(&st_timeouts);
	out->errors = atomic_load(&st_errors);
	out->stores = atomic_load(&st_stores);
	out->workers = atomic_load(&st_workers);
	out->connected = atomic_load(&st_connected);
}
