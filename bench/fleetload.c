/* SPDX-License-Identifier: Apache-2.0 */
/* fleetload: TLS 1.2 handshakes per second, full or resumed by session ID, for
 * the fleet figures of bench/README.md (bench/fleet.sh runs it).
 *
 *   fleetload -m full   -p PORT [-a ADDR] -d SECS -c PROCS [-s PID]
 *   fleetload -m resume -p PORT [-a ADDR] -P PORT2 [-A ADDR2] -n SESSIONS -c PROCS [-s PID]
 *
 * full: PROCS processes each do new TLS 1.2 handshakes (no session offered, no
 * ticket) one after the other for SECS seconds. resume: each process first makes
 * SESSIONS sessions by full handshakes on ADDR:PORT (not timed), then resumes each
 * of them once, by session ID (no tickets), on ADDR2:PORT2 (default the same):
 * against the same attlsd that is its local cache, against another one with
 * settings.session_cache it is a Redis lookup each time. Every connection does the
 * handshake and a close_notify, nothing else. With -s, the CPU time attlsd PID
 * used in the timed phase gives handshakes per attlsd CPU-second. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* utime + stime of a process and its threads, in seconds. */
static double
cpu_of(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	int i;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	for (i = 0; p && i < 12; i++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%lu %lu", &ut, &st);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int
dial(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, addr, &sa.sin_addr);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One handshake; *out the session when asked. Returns 1 resumed, 0 full, -1 failed. */
static int
handshake(SSL_CTX *ctx, const char *addr, int port, SSL_SESSION *offer, SSL_SESSION **out)
{
	int fd = dial(addr, port), r = -1;
	SSL *ssl;

	if (fd < 0)
		return -1;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (offer)
		SSL_set_session(ssl, offer);
	if (SSL_connect(ssl) == 1) {
		r = SSL_session_reused(ssl) ? 1 : 0;
		if (out)
			*out = SSL_get1_session(ssl);
		SSL_shutdown(ssl);
	}
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return r;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fleetload -m full|resume -p PORT [-a ADDR] [-P PORT2] [-A ADDR2] "
			"[-d SECS] [-n SESSIONS] [-c PROCS] [-s PID]\n");
	exit(2);
}

/* A child's work; writes "handshakes resumed failed seconds" to 'fd'. */
static void
child(int wfd, const char *mode, const char *a1, int p1, const char *a2, int p2, double secs,
      int nsess, int start_pipe)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_SESSION **pool = NULL;
	long done = 0, reused = 0, failed = 0;
	double t0, t1;
	char go;
	int i;

	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (strcmp(mode, "resume") == 0) {
		pool = calloc((size_t)nsess, sizeof(*pool));
		for (i = 0; i < nsess; i++)
			if (handshake(ctx, a1, p1, NULL, &pool[i]) < 0)
				failed++;
	}
	/* Every child starts the timed phase together. */
	if (write(wfd, "r", 1) != 1 || read(start_pipe, &go, 1) != 1)
		exit(1);
	t0 = now();
	if (pool) {
		for (i = 0; i < nsess; i++) {
			int r = pool[i] ? handshake(ctx, a2, p2, pool[i], NULL) : -1;

			done += r >= 0;
			reused += r == 1;
			failed += r < 0;
		}
	} else {
		while (now() - t0 < secs) {
			int r = handshake(ctx, a1, p1, NULL, NULL);

			done += r >= 0;
			reused += r == 1;
			failed += r < 0;
		}
	}
	t1 = now();
	dprintf(wfd, "%ld %ld %ld %.6f\n", done, reused, failed, t1 - t0);
	exit(0);
}

int
main(int argc, char **argv)
{
	const char *mode = "full", *a1 = "127.0.0.1", *a2 = NULL;
	int p1 = 0, p2 = 0, procs = 4, nsess = 500, spid = 0, opt, i;
	double secs = 5, cpu0, cpu1, wall0, wall1, maxt = 0;
	long done = 0, reused = 0, failed = 0;
	int ready[2], start[2];
	FILE *in;

	while ((opt = getopt(argc, argv, "m:p:a:P:A:d:n:c:s:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'p': p1 = atoi(optarg); break;
		case 'a': a1 = optarg; break;
		case 'P': p2 = atoi(optarg); break;
		case 'A': a2 = optarg; break;
		case 'd': secs = atof(optarg); break;
		case 'n': nsess = atoi(optarg); break;
		case 'c': procs = atoi(optarg); break;
		case 's': spid = atoi(optarg); break;
		default: usage();
		}
	}
	if (!p1 || (strcmp(mode, "full") != 0 && strcmp(mode, "resume") != 0) || procs < 1 ||
	    nsess < 1)
		usage();
	if (!a2)
		a2 = a1;
	if (!p2)
		p2 = p1;
	if (pipe(ready) != 0 || pipe(start) != 0)
		return 1;
	for (i = 0; i < procs; i++)
		if (fork() == 0) {
			close(ready[0]);
			close(start[1]);
			child(ready[1], mode, a1, p1, a2, p2, secs, nsess, start[0]);
		}
	close(ready[1]);
	close(start[0]);
	for (i = 0; i < procs; i++) {
		char c;
		if (read(ready[0], &c, 1) != 1)
			return 1;
	}
	cpu0 = cpu_of(spid);
	wall0 = now();
	for (i = 0; i < procs; i++)
		if (write(start[1], "g", 1) != 1)
			return 1;
	in = fdopen(ready[0], "r");
	for (i = 0; i < procs; i++) {
		long d, r, f;
		double t;

		if (fscanf(in, "%ld %ld %ld %lf", &d, &r, &f, &t) != 4)
			return 1;
		done += d;
		reused += r;
		failed += f;
		if (t > maxt)
			maxt = t;
	}
	wall1 = now();
	cpu1 = cpu_of(spid);
	while (wait(NULL) > 0)
		;
	printf("RESULT mode=%s handshakes=%ld resumed=%ld failed=%ld seconds=%.2f rate=%.1f",
	       mode, done, reused, failed, maxt, done / maxt);
	if (spid)
		printf(" attlsd_cpu_s=%.2f per_cpu_s=%.1f", cpu1 - cpu0,
		       cpu1 > cpu0 ? done / (cpu1 - cpu0) : 0.0);
	printf(" wall=%.2f\n", wall1 - wall0);
	return failed ? 1 : 0;
}
