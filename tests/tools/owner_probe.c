/* SPDX-License-Identifier: Apache-2.0 */
/* owner_probe: src/owner.c from the command line, for the integration tests
 * and for measuring what a lookup costs on a loop.
 *
 *   owner_probe socket LOCAL REMOTE   owner of the socket whose view is LOCAL -> REMOTE
 *   owner_probe listener ADDR         owner of the listener taking ADDR
 *   owner_probe bench NPROC [FDS]     NPROC processes holding FDS TCP sockets
 *                                     each; times cold, cached and new-socket lookups
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "owner.h"

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
 * sends the addresses of two of its sockets. The measured sockets are the
 * last child's: /proc lists it last, the worst case for a scan. */
static int
probe_bench(int nproc, int nfds)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	union rt_sockaddr pairs[4], l, r;
	struct owner_stats st;
	struct owner o;
	pid_t *kids = calloc((size_t)nproc, sizeof(pid_t));
	int pfd[2], i, k, lfd, n = 0;
	unsigned uid;
	unsigned long ino;
	double t, dt = 0, worst = 0, total = 0;

	if (!kids || nproc < 1)
		return 2;
	for (i = 0; i < nproc; i++) {
		if (pipe(pfd) != 0)
			break;
		if ((kids[i] = fork()) == 0) {
			close(pfd[0]);
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
			if (write(pfd[1], pairs, sizeof(pairs)) != (ssize_t)sizeof(pairs))
				_exit(1);
			pause();
			_exit(0);
		}
		close(pfd[1]);
		if (kids[i] < 0 || read(pfd[0], pairs, sizeof(pairs)) != (ssize_t)sizeof(pairs)) {
			close(pfd[0]);
			break;
		}
		close(pfd[0]);
		n = i + 1;
	}
	printf("processes=%d (+ this one) sockets_each=%d\n", n, nfds < 4 ? 4 : nfds);
	if (n != nproc)
		fprintf(stderr, "owner_probe: only %d children started\n", n);
	/* Each lookup scans for at most OWNER_SCAN_MS and the next one resumes:
	 * count how many lookups (connections) pass before the name is known. */
	for (k = 1; k <= 100; k++) {
		t = probe_us();
		if (owner_of_socket(&pairs[0], &pairs[1], &o) != 0) {
			printf("first socket: not found by sock_diag\n");
			break;
		}
		dt = probe_us() - t;
		worst = dt > worst ? dt : worst;
		total += dt;
		if (o.pid > 0)
			break;
	}
	printf("first socket of the last process: %d lookup(s), %.0f us in all, longest %.0f us: ",
	       k, total, worst);
	probe_print(&o, dt);
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
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	return 0;
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
	} else {
		fprintf(stderr, "usage: owner_probe socket LOCAL REMOTE | listener ADDR | bench "
				"NPROC [FDS]\n");
		return 2;
	}
	if (r != 0) {
		printf("not found\n");
		return 1;
	}
	probe_print(&o, probe_us() - t);
	return 0;
}
