/* SPDX-License-Identifier: Apache-2.0 */
/* ApplicationControlled: which first bytes from the peer, before INIT, are a
 * TLS hello to hold rather than clear text to relay (proxy/appctl_conn.c), and
 * the INIT queue that carries requests from the control socket's loop to a
 * worker's and answers back (control/appctl.c), on real libuv loops. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <uv.h>

#include "common/err.h"
#include "control/appctl.h"
#include "proxy/conn.h"

static void
test_hello_is_held(void **state)
{
	/* A ClientHello record header: handshake, TLS 1.0 record version (1.3 too). */
	static const unsigned char hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	static const unsigned char hello12[] = { 0x16, 0x03, 0x03 };

	(void)state;
	assert_true(appctl_conn_hello_start(hello, sizeof(hello)));
	assert_true(appctl_conn_hello_start(hello12, 2));
	/* Only the first byte has arrived yet: hold (no text line starts with SYN). */
	assert_true(appctl_conn_hello_start(hello, 1));
}

static void
test_clear_text_is_relayed(void **state)
{
	static const unsigned char starttls[] = "STARTTLS\r\n";
	static const unsigned char ftp[] = "AUTH TLS\r\n";
	static const unsigned char sslv2[] = { 0x80, 0x2e, 0x01 };
	static const unsigned char syn_text[] = { 0x16, 'x' };
	static const unsigned char alert[] = { 0x15, 0x03, 0x03 };

	(void)state;
	assert_false(appctl_conn_hello_start(starttls, sizeof(starttls) - 1));
	assert_false(appctl_conn_hello_start(ftp, sizeof(ftp) - 1));
	assert_false(appctl_conn_hello_start(sslv2, sizeof(sslv2)));
	assert_false(appctl_conn_hello_start(syn_text, sizeof(syn_text)));
	assert_false(appctl_conn_hello_start(alert, sizeof(alert)));
	assert_false(appctl_conn_hello_start(starttls, 0));
}

/* ---- the queue: a "worker" loop and a "main" loop in one test thread ---- */

#define DEADLINE_MS 5000

static uint32_t seen_connid;   /* the worker saw this request */
static int answers, last_err;  /* the main loop got these answers */
static uint32_t last_connid;
static int client_marker;      /* what req->client points at: someone waits */

static void
on_request(struct appctl_queue *q, struct appctl_req *r)
{
	assert_ptr_equal(q->data, &seen_connid);
	seen_connid = r->connid;
	/* As a worker that carried INIT out. */
	appctl_answer(r, 0, NULL);
}

static void
on_answer(struct appctl_req *r)
{
	assert_ptr_equal(r->client, &client_marker);
	answers++;
	last_err = r->err;
	last_connid = r->connid;
}

static void
on_deadline(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs 'loop' until '*flag' changes, or fails the test after DEADLINE_MS. */
static void
run_until(uv_loop_t *loop, const int *flag, int from)
{
	uv_timer_t t;

	uv_timer_init(loop, &t);
	uv_timer_start(&t, on_deadline, DEADLINE_MS, 0);
	while (*flag == from && uv_timer_get_due_in(&t) > 0)
		if (uv_run(loop, UV_RUN_ONCE) == 0)
			break;
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	assert_int_not_equal(*flag, from);
}

static struct appctl_req *
new_req(struct appctl_queue *q, uint32_t connid)
{
	struct appctl_req *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->q = q;
	r->connid = connid;
	r->client = &client_marker;
	return r;
}

static void
submit_from_thread(void *arg)
{
	assert_int_equal(appctl_submit(arg), 0);
}

static void
test_queue_carries_init_and_answer(void **state)
{
	uv_loop_t main_loop, worker_loop;
	struct appctl_queue q;
	struct appctl_req *r, *late;
	uv_thread_t th;
	int seen;

	(void)state;
	assert_int_equal(uv_loop_init(&main_loop), 0);
	assert_int_equal(uv_loop_init(&worker_loop), 0);
	appctl_start(&main_loop, on_answer);
	assert_int_equal(appctl_queue_init(&q, &worker_loop, on_request, &seen_connid), 0);

	/* Submitted from another thread, as the control socket's loop does. */
	r = new_req(&q, 0x1234);
	assert_int_equal(uv_thread_create(&th, submit_from_thread, r), 0);
	assert_int_equal(uv_thread_join(&th), 0);
	run_until(&worker_loop, (const int *)&seen_connid, 0);
	assert_int_equal(seen_connid, 0x1234);
	run_until(&main_loop, &answers, 0);
	assert_int_equal(answers, 1);
	assert_int_equal(last_err, 0);
	assert_int_equal(last_connid, 0x1234);

	/* The worker stops before it saw this one: answered ENOTCONN, not lost. */
	seen = (int)seen_connid;
	assert_int_equal(appctl_submit(new_req(&q, 0x5678)), 0);
	appctl_queue_close(&q);
	run_until(&main_loop, &answers, 1);
	assert_int_equal(last_err, ENOTCONN);
	assert_int_equal(last_connid, 0x5678);
	assert_int_equal((int)seen_connid, seen);
	/* And a closed queue takes nothing: the request stays the caller's. */
	late = new_req(&q, 0x9abc);
	assert_int_equal(appctl_submit(late), ATTLS_ENOENT);
	free(late);

	uv_run(&worker_loop, UV_RUN_NOWAIT); /* the queue's handle closes */
	assert_int_equal(uv_loop_close(&worker_loop), 0);
	appctl_queue_destroy(&q);
	appctl_stop();
	uv_run(&main_loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&main_loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_is_held),
		cmocka_unit_test(test_clear_text_is_relayed),
		cmocka_unit_test(test_queue_carries_init_and_answer),
	};
	return cmocka_run_group_tests_name("appctl", tests, NULL, NULL);
}
