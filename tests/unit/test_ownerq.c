/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of ownerq.c, a worker's owner-lookup queue, on a real libuv loop
 * and threadpool with real /proc searches: waiters for one socket share one
 * search, the queue refuses beyond its bound, a search runs to its latest
 * waiter's deadline, and one whose waiters all left is cancelled. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "common/compiler.h"
#include "host/owner.h"
#include "proxy/ownerq.h"

/* A socket inode no process holds (inodes are 32-bit on Linux). */
#define NO_INODE 0xfffff000ul

static uv_loop_t loop; /* the queue is per thread: one loop for all tests */
static pid_t holder;   /* a child holding a listener */
static unsigned long holder_inode;
static unsigned holder_uid;

struct result {
	struct ownerq_waiter w;
	bool done;
	int r;
	int pid;
	uint64_t at_us;
};

static void
on_done(struct ownerq_waiter *w, struct ownerq_search *s, int r, const struct owner *o)
{
	struct result *res = container_of(w, struct result, w);

	(void)s;
	res->done = true;
	res->r = r;
	res->pid = o ? o->pid : 0;
	res->at_us = owner_now_us();
}

static void
waiter(struct result *res, unsigned long inode, unsigned ms)
{
	memset(res, 0, sizeof(*res));
	res->w.inode = inode;
	res->w.uid = holder_uid;
	res->w.deadline_us = owner_now_us() + (uint64_t)ms * 1000;
	res->w.on_done = on_done;
}

static int
setup(void **state)
{
	union rt_sockaddr a;
	socklen_t len = sizeof(a);
	int p[2], fd;

	(void)state;
	if (uv_loop_init(&loop) != 0 || pipe(p) != 0)
		return -1;
	if ((holder = fork()) == 0) {
		prctl(PR_SET_NAME, "ownerq-holder");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		memset(&a, 0, sizeof(a));
		a.in.sin_family = AF_INET;
		a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(fd, &a.sa, sizeof(a.in)) != 0 ||
		    listen(fd, 4) != 0 || getsockname(fd, &a.sa, &len) != 0 ||
		    write(p[1], &a, sizeof(a)) != sizeof(a))
			_exit(1);
		pause();
		_exit(0);
	}
	if (holder < 0 || read(p[0], &a, sizeof(a)) != sizeof(a))
		return -1;
	close(p[0]);
	close(p[1]);
	return owner_listener(&a, &holder_uid, &holder_inode);
}

static int
teardown(void **state)
{
	(void)state;
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	return uv_loop_close(&loop) == 0 ? 0 : -1;
}

static void
test_merged(void **state)
{
	struct result res[3];
	struct ownerq_stats st;
	unsigned i;

	(void)state;
	for (i = 0; i < 3; i++) {
		waiter(&res[i], holder_inode, 10000);
		assert_int_equal(ownerq_join(&loop, 0, &res[i].w), 0);
	}
	ownerq_stats(&st);
	assert_int_equal(st.started, 1);
	assert_int_equal(st.joined, 2);
	assert_int_equal(st.running, 1);
	assert_int_equal(ownerq_waiters(&res[0].w), 3);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (i = 0; i < 3; i++) {
		assert_true(res[i].done);
		assert_int_equal(res[i].r, 0);
		assert_int_equal(res[i].pid, holder);
	}
	ownerq_stats(&st);
	assert_int_equal(st.running, 0);
	assert_int_equal(st.started, 1);
}

/* 2 running (a quarter of the default pool, at least 2), 64 pending, then
 * refused; all leave: the pending go at once, the running are cancelled. */
static void
test_bound_and_leave(void **state)
{
	enum { N = 67 };
	struct result *res = calloc(N, sizeof(*res));
	struct ownerq_stats st, before;
	unsigned i;

	(void)state;
	assert_non_null(res);
	ownerq_stats(&before);
	for (i = 0; i < N; i++) {
		waiter(&res[i], NO_INODE + i, 30000);
		assert_int_equal(ownerq_join(&loop, 0, &res[i].w), i < N - 1 ? 0 : -EAGAIN);
	}
	ownerq_stats(&st);
	assert_int_equal(st.running, 2);
	assert_int_equal(st.pending, 64);
	assert_int_equal(st.refused, before.refused + 1);
	for (i = 0; i < N - 1; i++)
		ownerq_leave(&res[i].w);
	ownerq_stats(&st);
	assert_int_equal(st.pending, 0);
	uv_run(&loop, UV_RUN_DEFAULT); /* the cancelled searches come back */
	ownerq_stats(&st);
	assert_int_equal(st.running, 0);
	for (i = 0; i < N; i++)
		assert_false(res[i].done);
	free(res);
}

/* A waiter that joins a running search with a later deadline keeps it
 * going: both hear at the later one. */
static void
test_latest_deadline(void **state)
{
	struct result a, b;
	uint64_t start = owner_now_us();

	(void)state;
	waiter(&a, NO_INODE, 200);
	assert_int_equal(ownerq_join(&loop, 0, &a.w), 0);
	waiter(&b, NO_INODE, 1200);
	assert_int_equal(ownerq_join(&loop, 0, &b.w), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(a.done && b.done);
	assert_int_equal(a.r, -ETIMEDOUT);
	assert_int_equal(b.r, -ETIMEDOUT);
	assert_true(a.at_us - start >= 1200000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merged),
		cmocka_unit_test(test_bound_and_leave),
		cmocka_unit_test(test_latest_deadline),
	};

	unsetenv("UV_THREADPOOL_SIZE");
	return cmocka_run_group_tests(tests, setup, teardown);
}
