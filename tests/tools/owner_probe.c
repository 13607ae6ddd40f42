/* SPDX-License-Identifier: Apache-2.0 */
/* owner_probe: src/owner.c from the command line, for the integration tests
 * and for measuring what a lookup costs on a loop.
 *
 *   owner_probe socket LOCAL REMOTE   owner of the socket whose view is LOCAL -> REMOTE
 *   owner_probe listener ADDR         owner of the listener taking ADDR
 *   owner_probe bench NPROC [FDS]     NPROC processes holding FDS TCP sockets
 *                                     each; times cold, cached and new-socket lookups
 *   owner_probe stall NPROC [FDS]     the same processes; looks the last one's
 *                                     socket up as attlsd does (index on a libuv
 *                                     loop, search in the threadpool) and reports
 *                                     how late a 1 ms timer on that loop ran
 *   owner_probe hold NPROC [FDS]      NPROC such processes (a busy host), until
 *                                     stdin closes or SIGTERM; prints "ready N"
 *
 * ADDR is a.b.c.d:port or [v6]:port. Prints uid= user= pid= job= unit= us=. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "host/owner.h"

static int
probe_addr(const char *s, union rt_sockaddr *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t n;

	memset(sa, 0, sizeof(*sa));
	if (!colon || (n = (size_t)(colon - s)) >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (inet_pton(AF_INET, host, &sa->in.sin_addr) == 1) {
		sa->in.sin_family = AF_INET;
		sa->in.sin_port = htons((uint16_t)atoi(colon + 1));
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sa->in6.sin6_addr) == 1) {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_port = htons((uint16_t)atoi(colon + 1));
		return 0;
	}
	return -1;
}

static double
probe_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
probe_print(const struct owner *o, double us)
{
	printf("uid=%u user=%s pid=%d job=%s unit=%s us=%.0f\n", o->uid, o->user, o->pid,
	       o->job[0] ? o->job : "-", o->unit[0] ? o->unit : "-", us);
}

/* A connected pair on loopback inside the calling process; returns the
 * client fd and its two addresses. */
static int
probe_pair(int lfd, union rt_sockaddr *l, union rt_sockaddr *r)
{
	socklen_t len = sizeof(*r);
	int fd, afd;

	if (getsockname(lfd, &r->sa, &len) != 0 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, &r->sa, sizeof(r->in)) != 0 || (afd = accept(lfd, NULL, NULL)) < 0) {
		close(fd);
		return -1;
	}
	(void)afd; /* kept open: the child holds both ends */
	len = sizeof(*l);
	getsockname(fd, &l->sa, &len);
	return fd;
}

/* NPROC children, each with a listener and NFDS connected sockets; each
 * sends the addresses of two of its sockets, and 'pairs' keeps the last
 * child's: /proc lists it last, the worst case for a scan. The children die
 * with this process. Returns how many started. */
static int
probe_spawn(int nproc, int nfds, pid_t *kids, union rt_sockaddr pairs[4])
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	union rt_sockaddr l, r;
	pid_t parent = getpid();
	int pfd[2], i, k, lfd, n = 0;

	for (i = 0; i < nproc; i++) {
		if (pipe(pfd) != 0)
			break;
		if ((kids[i] = fork()) == 0) {
			close(pfd[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			lfd = socket(AF_INET, SOCK_STREAM, 0);
			if (lfd < 0 || bind(lfd, (struct sockaddr *)&any, sizeof(any)) != 0 ||
			    listen(lfd, 64) != 0)
				_exit(1);
			for (k = 0; k < 2 || k + 1 < nfds; k += 2) {
				if (probe_pair(lfd, &l, &r) < 0)
					_exit(1);
				if (k < 4) {
					pairs[k] = l;
					pairs[k + 1] = r;
				}
			}
			if (write(pfd[1], pairs, 4 * sizeof(*pairs)) != (ssize_t)(4 * sizeof(*pairs)))
				_exit(1);
			for (;;)
				pause();
		}
		close(pfd[1]);
		if (kids[i] < 0 ||
		    read(pfd[0], pairs, 4 * sizeof(*pairs)) != (ssize_t)(4 * sizeof(*pairs))) {
			close(pfd[0]);
			break;
		}
		close(pfd[0]);
		n = i + 1;
	}
	if (n != nproc)
		fprintf(stderr, "owner_probe: only %d children started\n", n);
	return n;
}

static void
probe_reap(pid_t *kids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
}

static int
probe_bench(int nproc, int nfds)
{
	union rt_sockaddr pairs[4];
	struct owner_stats st;
	struct owner o;
	pid_t *kids = calloc((size_t)(nproc > 0 ? nproc : 1), sizeof(pid_t));
	int i, n;
	unsigned uid;
	unsigned long ino;
	double t;

	if (!kids || nproc < 1)
		return 2;
	n = probe_spawn(nproc, nfds, kids, pairs);
	printf("processes=%d (+ this one) sockets_each=%d\n", n, nfds < 4 ? 4 : nfds);
	/* A blocking lookup (the search attlsd runs in its threadpool). */
	t = probe_us();
	if (owner_of_socket(&pairs[0], &pairs[1], &o) != 0)
		printf("first socket: not found by sock_diag\n");
	printf("first socket of the last process (complete search): ");
	probe_print(&o, probe_us() - t);
	t = probe_us();
	owner_of_socket(&pairs[0], &pairs[1], &o);
	printf("same socket again (cache): ");
	probe_print(&o, probe_us() - t);
	t = probe_us();
	owner_of_socket(&pairs[2], &pairs[3], &o);
	printf("another socket of the same process (hint): ");
	probe_print(&o, probe_us() - t);
	t = probe_us();
	for (i = 0; i < 1000; i++)
		owner_socket(&pairs[0], &pairs[1], &uid, &ino);
	printf("sock_diag alone: %.1f us per lookup (1000 lookups)\n", (probe_us() - t) / 1000);
	owner_stats(&st);
	printf("stats: cache_hits=%lu hint_hits=%lu full_scans=%lu timeouts=%lu pids_scanned=%lu\n",
	       st.cache_hits, st.hint_hits, st.full_scans, st.timeouts, st.pids_scanned);
	probe_reap(kids, n);
	return 0;
}

/* ---- stall: what the worker's loop sees ---- */

struct probe_stall {
	uv_loop_t loop;
	uv_timer_t tick;
	uv_work_t work;
	struct owner_search s;
	int r;
	double last, worst_late, loop_part_us, start;
	unsigned ticks;
	bool done;
};

static void
on_probe_tick(uv_timer_t *t)
{
	struct probe_stall *ps = t->data;
	double now = probe_us(), late = now - ps->last - 1000;

	if (late > ps->worst_late)
		ps->worst_late = late;
	ps->last = now;
	ps->ticks++;
	if (ps->done)
		uv_timer_stop(t);
}

static void
on_probe_work(uv_work_t *req)
{
	struct probe_stall *ps = req->data;

	ps->r = owner_search_run(&ps->s);
}

static void
on_probe_done(uv_work_t *req, int status)
{
	struct probe_stall *ps = req->data;
	struct owner o;

	(void)status;
	ps->done = true;
	owner_describe(0, ps->r == 0 ? ps->s.pid : 0, &o);
	printf("search in the threadpool: r=%d pid=%d job=%s after %.0f us (%u passes, %u "
	       "processes read)\n",
	       ps->r, ps->s.pid, o.job[0] ? o.job : "-", probe_us() - ps->start, ps->s.passes,
	       ps->s.scanned);
}

static int
probe_stall(int nproc, int nfds)
{
	union rt_sockaddr pairs[4];
	struct probe_stall ps;
	pid_t *kids = calloc((size_t)(nproc > 0 ? nproc : 1), sizeof(pid_t));
	unsigned uid;
	int n, pid;

	if (!kids || nproc < 1)
		return 2;
	n = probe_spawn(nproc, nfds, kids, pairs);
	printf("processes=%d (+ this one) sockets_each=%d\n", n, nfds < 4 ? 4 : nfds);
	memset(&ps, 0, sizeof(ps));
	uv_loop_init(&ps.loop);
	uv_timer_init(&ps.loop, &ps.tick);
	ps.tick.data = ps.work.data = &ps;
	uv_timer_start(&ps.tick, on_probe_tick, 1, 1);
	/* What conn_map.c does on the loop: sock_diag, then the index. */
	ps.start = probe_us();
	if (owner_socket(&pairs[0], &pairs[1], &uid, &ps.s.inode) != 0) {
		printf("not found by sock_diag\n");
		probe_reap(kids, n);
		return 1;
	}
	pid = owner_known(ps.s.inode);
	ps.loop_part_us = probe_us() - ps.start;
	printf("on the loop: sock_diag + index (%s): %.0f us\n", pid > 0 ? "hit" : "miss",
	       ps.loop_part_us);
	ps.s.deadline_us = owner_now_us() + 10 * 1000000u;
	atomic_init(&ps.s.cancel, false);
	ps.last = probe_us();
	uv_queue_work(&ps.loop, &ps.work, on_probe_work, on_probe_done);
	uv_run(&ps.loop, UV_RUN_DEFAULT);
	printf("1 ms timer on the loop meanwhile: %u ticks, latest %.0f us late\n", ps.ticks,
	       ps.worst_late);
	/* The next connection to that socket: the index. */
	ps.start = probe_us();
	owner_socket(&pairs[0], &pairs[1], &uid, &ps.s.inode);
	pid = owner_known(ps.s.inode);
	printf("next connection, on the loop: sock_diag + index (%s): %.0f us\n",
	       pid > 0 ? "hit" : "miss", probe_us() - ps.start);
	uv_close((uv_handle_t *)&ps.tick, NULL);
	uv_run(&ps.loop, UV_RUN_DEFAULT);
	uv_loop_close(&ps.loop);
	probe_reap(kids, n);
	return 0;
}

/* ---- hold: a busy host for the integration tests ---- */

static volatile sig_atomic_t probe_stop;

static void
on_probe_signal(int sig)
{
	(void)sig;
	probe_stop = 1;
}

static int
probe_hold(int nproc, int nfds)
{
	struct sigaction sa = { .sa_handler = on_probe_signal };
	union rt_sockaddr pairs[4];
	pid_t *kids = calloc((size_t)(nproc > 0 ? nproc : 1), sizeof(pid_t));
	char buf[64];
	int n;

	if (!kids || nproc < 1)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	n = probe_spawn(nproc, nfds, kids, pairs);
	printf("ready %d\n", n);
	fflush(stdout);
	while (!probe_stop && read(0, buf, sizeof(buf)) > 0)
		;
	probe_reap(kids, n);
	return n == nproc ? 0 : 1;
}

int
main(int argc, char **argv)
{
	union rt_sockaddr a, b;
	struct owner o;
	double t;
	int r;

	if (argc == 4 && strcmp(argv[1], "socket") == 0 && probe_addr(argv[2], &a) == 0 &&
	    probe_addr(argv[3], &b) == 0) {
		t = probe_us();
		r = owner_of_socket(&a, &b, &o);
	} else if (argc == 3 && strcmp(argv[1], "listener") == 0 && probe_addr(argv[2], &a) == 0) {
		t = probe_us();
		r = owner_of_listener(&a, &o);
	} else if (argc >= 3 && strcmp(argv[1], "bench") == 0) {
		return probe_bench(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 4);
	} else if (argc >= 3 && strcmp(argv[1], "stall") == 0) {
		return probe_stall(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 4);
	} else if (argc >= 3 && strcmp(argv[1], "hold") == 0) {
		return probe_hold(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 4);
	} else {
		fprintf(stderr, "usage: owner_probe socket LOCAL REMOTE | listener ADDR | "
				"bench|stall|hold NPROC [FDS]\n");
		return 2;
	}
	if (r != 0) {
		printf("not found\n");
		return 1;
	}
	probe_print(&o, probe_us() - t);
	return 0;
}
