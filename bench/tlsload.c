/* SPDX-License-Identifier: Apache-2.0 */
/* bench/tlsload.c: TLS load client for the attls benchmark (OpenSSL 3, one thread,
 * non-blocking sockets, level-triggered epoll).
 *
 * Modes (-m):
 *   hs         full handshakes: each connection does connect + full handshake +
 *              one "GET / ... Connection: close" request, reads the response and
 *              waits for the server to close; -c connections are kept in flight.
 *              No session is ever offered (session cache off, no tickets) and
 *              every handshake is checked with SSL_session_reused() == 0.
 *              With -R, each connection offers the session of the last one that
 *              finished cleanly (ticket or session ID): resumed handshakes, counted
 *              in reused=.
 *   ka         keep-alive: -c connections, each doing request/response in a loop.
 *   bulk-down  -c connections, each asks the backend ("BULK-DOWN") to stream bytes
 *              to the client; counts bytes read.
 *   bulk-up    -c connections, each streams bytes to the backend ("BULK-UP");
 *              counts bytes accepted by SSL_write.
 *   idle       opens -n connections (-c handshakes in flight), does one keep-alive
 *              request/response on each so the whole path is established, then
 *              holds them idle. Prints "READY ..." when done; SIGUSR1 prints
 *              "ALIVE n" (connections still open); SIGTERM/SIGINT or -T seconds end.
 *
 * hs, ka and bulk run -w seconds of warm-up, then measure for -d seconds. With -P
 * (proxy pids) and -B (backend pid) the CPU time of those processes over exactly the
 * measured window is reported next to this client's own.
 *
 * Output: one "RESULT key=value ..." line on stdout (idle: READY/ALIVE lines too). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

enum mode { MODE_HS, MODE_KA, MODE_DOWN, MODE_UP, MODE_IDLE };

enum state {
	ST_FREE,
	ST_CONNECTING,
	ST_HANDSHAKE,
	ST_SEND,    /* request or bulk command */
	ST_RECV,    /* response */
	ST_DRAIN,   /* hs: response done, waiting for the server to close */
	ST_IDLE,    /* idle: holding */
	ST_DOWN,    /* bulk-down streaming */
	ST_UP,      /* bulk-up streaming */
};

struct conn {
	int fd;
	SSL *ssl;
	SSL *spare;       /* cleanly finished SSL kept for reuse via SSL_clear() */
	enum state st;
	uint32_t ev;
	double t_start;   /* connect start (hs) or request start (ka) */
	double deadline;  /* 0 = none */
	const char *sbuf; /* what ST_SEND sends */
	size_t slen, soff;
	size_t rlen;
	long body_need;   /* -1 until the header is parsed */
	size_t hdr_len;
	char rbuf[2048];
};

/* ---- configuration ---- */
static enum mode mode = MODE_HS;
static const char *host = "127.0.0.1";
static int port;
static int conc = 32;
static int nconns = 1000;
static double dur = 5.0, warm = 1.0, hold_max = 120.0;
static int tls_ver; /* 0 any, else TLS1_2_VERSION / TLS1_3_VERSION */
static const char *sni = "localhost";
static bool resume;              /* -R: offer the last clean session */
static SSL_SESSION *last_sess;   /* -R: what the next connection offers */
static pid_t proxy_pids[64];
static int nproxy_pids;
static pid_t backend_pid;
static double conn_timeout = 15.0;

/* ---- state ---- */
static SSL_CTX *ctx;
static int epfd;
static struct conn *conns;
static int nslots;
static volatile sig_atomic_t sig_stop, sig_usr1;

static uint64_t c_done;      /* completed units: hs connections or ka responses */
static uint64_t c_bytes;     /* bulk bytes */
static uint64_t c_handshakes, c_reused;
static uint64_t e_connect, e_handshake, e_io, e_timeout, e_badresp;
static uint64_t idle_est, idle_closed;
static int active;           /* connections in any non-free state */
static bool measuring;
static char neg_version[32], neg_cipher[64], neg_group[32], peer_key[48];

/* latency histogram, 10 us buckets up to 1 s */
#define HBUCKETS 100000
static uint32_t *hist;
static uint64_t hist_n, hist_over;
static double hist_sum;

static const char REQ_KA[] = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: tlsload\r\n\r\n";
static const char REQ_CLOSE[] = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: tlsload\r\n"
				"Connection: close\r\n\r\n";
static const char CMD_DOWN[] = "BULK-DOWN\n";
static const char CMD_UP[] = "BULK-UP\n";
#define BULKCHUNK 16384
static unsigned char *bulkbuf;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hist_add(double sec)
{
	if (!measuring)
		return;
	hist_n++;
	hist_sum += sec;
	long b = (long)(sec * 1e5);
	if (b < 0)
		b = 0;
	if (b >= HBUCKETS)
		hist_over++;
	else
		hist[b]++;
}

static double hist_pct(double p)
{
	if (hist_n == 0)
		return 0;
	uint64_t want = (uint64_t)ceil(p * (double)hist_n), acc = 0;
	for (long i = 0; i < HBUCKETS; i++) {
		acc += hist[i];
		if (acc >= want)
			return (double)(i + 1) / 1e5;
	}
	return 1.0;
}

/* utime+stime of a process (all its threads) in seconds, -1 if unreadable. */
static double proc_cpu(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* after ") " come fields 3.. ; utime is field 14, stime 15 */
	unsigned long long ut = 0, st = 0;
	int field = 2;
	char *save = NULL;
	for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		field++;
		if (field == 14)
			ut = strtoull(tok, NULL, 10);
		else if (field == 15) {
			st = strtoull(tok, NULL, 10);
			break;
		}
	}
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Machine-wide CPU from /proc/stat, summed over all CPUs, in seconds: busy excludes
 * idle, iowait and steal; softirq and steal are also kept apart. */
struct sys_cpu {
	double busy, softirq, steal;
};

static void sys_cpu(struct sys_cpu *sc)
{
	memset(sc, 0, sizeof(*sc));
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return;
	char line[512];
	double hz = (double)sysconf(_SC_CLK_TCK);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[10] = {0};
		if (strncmp(line, "cpu", 3) != 0 || line[3] == ' ')
			continue;
		if (sscanf(line, "%*s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 8)
			continue;
		/* user nice system idle iowait irq softirq steal guest guest_nice */
		sc->busy += (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
		sc->softirq += (double)v[6] / hz;
		sc->steal += (double)v[7] / hz;
	}
	fclose(f);
}

struct cpu_snap {
	double t, self, proxy, backend;
	struct sys_cpu sys;
};

static void cpu_snap(struct cpu_snap *s)
{
	s->t = now();
	s->self = self_cpu();
	s->proxy = 0;
	for (int i = 0; i < nproxy_pids; i++) {
		double v = proc_cpu(proxy_pids[i]);
		if (v > 0)
			s->proxy += v;
	}
	s->backend = backend_pid ? proc_cpu(backend_pid) : 0;
	sys_cpu(&s->sys);
}

/* ---- connection handling ---- */

static void set_ev(struct conn *c, uint32_t ev)
{
	if (c->ev == ev)
		return;
	struct epoll_event e = {.events = ev, .data.ptr = c};
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e);
	c->ev = ev;
}

static void conn_free(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = ST_FREE;
	active--;
}

/* Like conn_free() after a clean finish: the SSL object is kept for the slot's next
 * connection (SSL_clear() + SSL_set_session(NULL) is much cheaper than SSL_new() in
 * OpenSSL 3.0 and offers no session; SSL_session_reused() is still checked). */
static void conn_done(struct conn *c)
{
	SSL_SESSION *s;

	if (resume && (s = SSL_get1_session(c->ssl))) {
		if (SSL_SESSION_is_resumable(s)) {
			SSL_SESSION_free(last_sess);
			last_sess = s;
		} else {
			SSL_SESSION_free(s);
		}
	}
	if (c->spare)
		SSL_free(c->spare);
	c->spare = c->ssl;
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->st = ST_FREE;
	active--;
}

static int verbose;

static void conn_fail(struct conn *c, uint64_t *ctr)
{
	(*ctr)++;
	if (verbose) {
		fprintf(stderr, "tlsload: connection failed in state %d (errno %d: %s)\n", (int)c->st,
			errno, strerror(errno));
		ERR_print_errors_fp(stderr);
	}
	ERR_clear_error();
	conn_free(c);
}

static int conn_start(struct conn *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e_connect++;
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, host, &sa.sin_addr);
	SSL *spare = c->spare;
	memset(c, 0, sizeof(*c));
	c->spare = spare;
	c->fd = fd;
	c->ssl = NULL;
	c->t_start = now();
	c->deadline = c->t_start + conn_timeout;
	c->body_need = -1;
	active++;
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno != EINPROGRESS) {
		conn_fail(c, &e_connect);
		return -1;
	}
	c->st = ST_CONNECTING;
	c->ev = EPOLLOUT;
	struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		conn_fail(c, &e_connect);
		return -1;
	}
	return 0;
}

static void start_send(struct conn *c, const char *buf, size_t len)
{
	c->sbuf = buf;
	c->slen = len;
	c->soff = 0;
	c->st = ST_SEND;
}

static void after_handshake(struct conn *c)
{
	c_handshakes++;
	if (SSL_session_reused(c->ssl))
		c_reused++;
	if (!neg_version[0]) {
		snprintf(neg_version, sizeof(neg_version), "%s", SSL_get_version(c->ssl));
		snprintf(neg_cipher, sizeof(neg_cipher), "%s", SSL_get_cipher_name(c->ssl));
		int g = SSL_get_negotiated_group(c->ssl);
		const char *gn = g > 0 ? OBJ_nid2sn(g) : NULL;
		if (gn)
			snprintf(neg_group, sizeof(neg_group), "%s", gn);
		else
			snprintf(neg_group, sizeof(neg_group), "0x%x", (unsigned)g);
		X509 *x = SSL_get0_peer_certificate(c->ssl);
		EVP_PKEY *pk = x ? X509_get0_pubkey(x) : NULL;
		if (pk)
			snprintf(peer_key, sizeof(peer_key), "%s-%d", EVP_PKEY_get0_type_name(pk),
				 EVP_PKEY_get_bits(pk));
		else
			snprintf(peer_key, sizeof(peer_key), "none");
	}
	switch (mode) {
	case MODE_HS: start_send(c, REQ_CLOSE, sizeof(REQ_CLOSE) - 1); break;
	case MODE_KA:
	case MODE_IDLE:
		c->t_start = now();
		start_send(c, REQ_KA, sizeof(REQ_KA) - 1);
		break;
	case MODE_DOWN: start_send(c, CMD_DOWN, sizeof(CMD_DOWN) - 1); break;
	case MODE_UP: start_send(c, CMD_UP, sizeof(CMD_UP) - 1); break;
	}
}

/* Parses c->rbuf; returns 1 complete, 0 need more, -1 bad. */
static int parse_response(struct conn *c)
{
	if (c->body_need < 0) {
		char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
		if (!end)
			return c->rlen >= sizeof(c->rbuf) ? -1 : 0;
		c->hdr_len = (size_t)(end - c->rbuf) + 4;
		if (c->rlen < 12 || memcmp(c->rbuf, "HTTP/1.", 7) != 0 || c->rbuf[9] != '2')
			return -1;
		c->body_need = 0;
		for (char *p = c->rbuf; p < end; p++) {
			if (*p == '\n' && (size_t)(end - p) > 16 &&
			    strncasecmp(p + 1, "content-length:", 15) == 0) {
				c->body_need = strtol(p + 16, NULL, 10);
				break;
			}
		}
	}
	if (c->rlen >= c->hdr_len + (size_t)c->body_need)
		return 1;
	if (c->hdr_len + (size_t)c->body_need > sizeof(c->rbuf))
		return -1;
	return 0;
}

static void on_response(struct conn *c)
{
	double t = now();
	c->rlen = 0;
	c->body_need = -1;
	switch (mode) {
	case MODE_HS:
		c->st = ST_DRAIN; /* counted once the server has closed */
		break;
	case MODE_KA:
		if (measuring)
			c_done++;
		hist_add(t - c->t_start);
		c->t_start = t;
		c->deadline = t + conn_timeout;
		start_send(c, REQ_KA, sizeof(REQ_KA) - 1);
		break;
	case MODE_IDLE:
		c->st = ST_IDLE;
		c->deadline = 0;
		idle_est++;
		break;
	default: break;
	}
}

/* Maps an SSL error to epoll interest; returns false when the connection failed. */
static bool want(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ: set_ev(c, EPOLLIN); return true;
	case SSL_ERROR_WANT_WRITE: set_ev(c, EPOLLOUT); return true;
	default: return false;
	}
}

static void drive(struct conn *c)
{
	for (int iter = 0; iter < 64; iter++) {
		switch (c->st) {
		case ST_FREE: return;
		case ST_CONNECTING: {
			int err = 0;
			socklen_t l = sizeof(err);
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
				conn_fail(c, &e_connect);
				return;
			}
			if (c->spare && SSL_clear(c->spare) && SSL_set_session(c->spare, NULL)) {
				c->ssl = c->spare;
				c->spare = NULL;
			} else {
				if (c->spare)
					SSL_free(c->spare);
				c->spare = NULL;
				c->ssl = SSL_new(ctx);
			}
			if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
				conn_fail(c, &e_handshake);
				return;
			}
			SSL_set_tlsext_host_name(c->ssl, sni);
			if (resume && last_sess)
				SSL_set_session(c->ssl, last_sess);
			SSL_set_connect_state(c->ssl);
			c->st = ST_HANDSHAKE;
			break;
		}
		case ST_HANDSHAKE: {
			int r = SSL_do_handshake(c->ssl);
			if (r == 1) {
				after_handshake(c);
				break;
			}
			if (!want(c, r))
				conn_fail(c, &e_handshake);
			return;
		}
		case ST_SEND: {
			size_t w = 0;
			int r = SSL_write_ex(c->ssl, c->sbuf + c->soff, c->slen - c->soff, &w);
			if (r == 1) {
				c->soff += w;
				if (c->soff < c->slen)
					break;
				if (mode == MODE_DOWN) {
					c->st = ST_DOWN;
					c->deadline = 0;
				} else if (mode == MODE_UP) {
					c->st = ST_UP;
					c->deadline = 0;
				} else {
					c->st = ST_RECV;
				}
				break;
			}
			if (!want(c, r))
				conn_fail(c, &e_io);
			return;
		}
		case ST_RECV: {
			size_t n = 0;
			int r = SSL_read_ex(c->ssl, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, &n);
			if (r == 1) {
				c->rlen += n;
				int p = parse_response(c);
				if (p < 0) {
					conn_fail(c, &e_badresp);
					return;
				}
				if (p > 0)
					on_response(c);
				break;
			}
			if (!want(c, r))
				conn_fail(c, &e_io);
			return;
		}
		case ST_DRAIN: {
			char tmp[512];
			size_t n = 0;
			int r = SSL_read_ex(c->ssl, tmp, sizeof(tmp), &n);
			if (r == 1)
				break; /* unexpected extra bytes: ignore */
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ) {
				set_ev(c, EPOLLIN);
				return;
			}
			if (e == SSL_ERROR_WANT_WRITE) {
				set_ev(c, EPOLLOUT);
				return;
			}
			/* close_notify or EOF: the connection is complete */
			if (e == SSL_ERROR_ZERO_RETURN)
				SSL_shutdown(c->ssl); /* answer with our close_notify */
			if (measuring)
				c_done++;
			hist_add(now() - c->t_start);
			ERR_clear_error();
			conn_done(c);
			return;
		}
		case ST_IDLE: {
			char tmp[512];
			size_t n = 0;
			int r = SSL_read_ex(c->ssl, tmp, sizeof(tmp), &n);
			if (r == 1)
				break; /* unexpected data: ignore */
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_READ) {
				set_ev(c, EPOLLIN);
				return;
			}
			idle_closed++;
			idle_est--;
			ERR_clear_error();
			conn_free(c);
			return;
		}
		case ST_DOWN: {
			for (int i = 0; i < 16; i++) {
				size_t n = 0;
				int r = SSL_read_ex(c->ssl, bulkbuf, BULKCHUNK * 4, &n);
				if (r == 1) {
					if (measuring)
						c_bytes += n;
					continue;
				}
				if (!want(c, r))
					conn_fail(c, &e_io);
				return;
			}
			set_ev(c, EPOLLIN);
			return; /* let other connections run */
		}
		case ST_UP: {
			for (int i = 0; i < 16; i++) {
				size_t w = 0;
				int r = SSL_write_ex(c->ssl, bulkbuf, BULKCHUNK, &w);
				if (r == 1) {
					if (measuring)
						c_bytes += w;
					continue;
				}
				if (!want(c, r))
					conn_fail(c, &e_io);
				return;
			}
			set_ev(c, EPOLLOUT);
			return;
		}
		}
	}
	/* Iteration cap reached mid-work: make sure we are called again soon. */
	if (c->st != ST_FREE)
		set_ev(c, EPOLLIN | EPOLLOUT);
}

static int accept_any_chain(X509_STORE_CTX *sctx, void *arg)
{
	(void)sctx;
	(void)arg;
	return 1;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_usr1 = 1;
	else
		sig_stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tlsload -m hs|ka|bulk-down|bulk-up|idle -p PORT [options]\n"
		"  -H ADDR     server address (default 127.0.0.1; loopback only)\n"
		"  -p PORT     server port\n"
		"  -c N        concurrency: connections in flight (hs, idle setup) or open (ka, bulk)\n"
		"  -n N        idle: connections to open and hold (default 1000)\n"
		"  -d SEC      measured duration (default 5)\n"
		"  -w SEC      warm-up before measuring (default 1)\n"
		"  -V 1.2|1.3  pin the TLS version (default: 1.2..1.3)\n"
		"  -s NAME     SNI (default localhost)\n"
		"  -P PID,...  proxy process ids whose CPU time is reported\n"
		"  -B PID      backend process id whose CPU time is reported\n"
		"  -T SEC      idle: longest hold (default 120)\n"
		"  -t SEC      per-connection timeout for connect..response (default 15)\n"
		"  -R          hs: resume (offer the last clean session; tickets on)\n"
		"  -v          print why connections failed (stderr)\n");
	exit(2);
}

static void print_cpu(const struct cpu_snap *a, const struct cpu_snap *b)
{
	double el = b->t - a->t;
	if (el <= 0)
		el = 1e-9;
	printf(" client_cpu=%.1f", 100.0 * (b->self - a->self) / el);
	if (nproxy_pids)
		printf(" proxy_cpu=%.1f", 100.0 * (b->proxy - a->proxy) / el);
	if (backend_pid)
		printf(" backend_cpu=%.1f", 100.0 * (b->backend - a->backend) / el);
	/* machine-wide, % of one CPU (2 CPUs = 200): lets the caller see other load */
	printf(" sys_busy=%.1f sys_softirq=%.1f sys_steal=%.1f",
	       100.0 * (b->sys.busy - a->sys.busy) / el,
	       100.0 * (b->sys.softirq - a->sys.softirq) / el,
	       100.0 * (b->sys.steal - a->sys.steal) / el);
}

static void print_common(void)
{
	printf(" reused=%llu handshakes=%llu err_connect=%llu err_handshake=%llu err_io=%llu"
	       " err_badresp=%llu timeouts=%llu version=%s cipher=%s group=%s peer_key=%s",
	       (unsigned long long)c_reused, (unsigned long long)c_handshakes,
	       (unsigned long long)e_connect, (unsigned long long)e_handshake,
	       (unsigned long long)e_io, (unsigned long long)e_badresp,
	       (unsigned long long)e_timeout, neg_version[0] ? neg_version : "-",
	       neg_cipher[0] ? neg_cipher : "-", neg_group[0] ? neg_group : "-",
	       peer_key[0] ? peer_key : "-");
}

static void check_timeouts(double t)
{
	for (int i = 0; i < nslots; i++) {
		struct conn *c = &conns[i];
		if (c->st != ST_FREE && c->deadline > 0 && t > c->deadline)
			conn_fail(c, &e_timeout);
	}
}

static int run_loop(double until, bool refill)
{
	struct epoll_event evs[512];
	double last_check = now();
	while (!sig_stop) {
		double t = now();
		if (t >= until)
			break;
		int ms = (int)((until - t) * 1000) + 1;
		if (ms > 100)
			ms = 100;
		int n = epoll_wait(epfd, evs, 512, ms);
		if (n < 0 && errno != EINTR)
			return -1;
		for (int i = 0; i < n; i++)
			drive(evs[i].data.ptr);
		t = now();
		if (t - last_check > 0.1) {
			check_timeouts(t);
			last_check = t;
		}
		if (refill) {
			for (int i = 0; i < nslots; i++)
				if (conns[i].st == ST_FREE && conn_start(&conns[i]) == 0)
					drive(&conns[i]);
		}
		if (mode == MODE_IDLE) {
			if (sig_usr1) {
				sig_usr1 = 0;
				printf("ALIVE %llu closed=%llu\n", (unsigned long long)idle_est,
				       (unsigned long long)idle_closed);
				fflush(stdout);
			}
		}
	}
	return 0;
}

static int run_idle(void)
{
	double t0 = now();
	int next = 0, inflight_cap = conc;
	struct epoll_event evs[512];
	double last_check = t0;
	/* setup: keep 'conc' connections that are not yet idle in flight */
	while (!sig_stop) {
		int setting_up = active - (int)idle_est;
		while (next < nconns && setting_up < inflight_cap) {
			if (conn_start(&conns[next]) == 0) {
				drive(&conns[next]);
				setting_up++;
			}
			next++;
		}
		setting_up = active - (int)idle_est;
		if (next >= nconns && setting_up == 0)
			break;
		if (now() - t0 > hold_max)
			break;
		int n = epoll_wait(epfd, evs, 512, 100);
		if (n < 0 && errno != EINTR)
			return -1;
		for (int i = 0; i < n; i++)
			drive(evs[i].data.ptr);
		double t = now();
		if (t - last_check > 0.1) {
			check_timeouts(t);
			last_check = t;
		}
	}
	double setup = now() - t0;
	uint64_t failed = e_connect + e_handshake + e_io + e_badresp + e_timeout;
	printf("READY established=%llu failed=%llu target=%d setup_s=%.2f\n",
	       (unsigned long long)idle_est, (unsigned long long)failed, nconns, setup);
	fflush(stdout);
	run_loop(t0 + hold_max, false);
	/* polite close: close_notify on every connection still open */
	for (int i = 0; i < nslots; i++) {
		struct conn *c = &conns[i];
		if (c->st == ST_FREE)
			continue;
		if (c->ssl && c->st != ST_CONNECTING && c->st != ST_HANDSHAKE)
			SSL_shutdown(c->ssl);
		conn_free(c);
	}
	printf("RESULT mode=idle target=%d established=%llu alive=%llu closed_while_idle=%llu"
	       " setup_s=%.2f",
	       nconns, (unsigned long long)(idle_est + idle_closed), (unsigned long long)idle_est,
	       (unsigned long long)idle_closed, setup);
	print_common();
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "m:H:p:c:n:d:w:V:s:P:B:T:t:Rvh")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "hs"))
				mode = MODE_HS;
			else if (!strcmp(optarg, "ka"))
				mode = MODE_KA;
			else if (!strcmp(optarg, "bulk-down"))
				mode = MODE_DOWN;
			else if (!strcmp(optarg, "bulk-up"))
				mode = MODE_UP;
			else if (!strcmp(optarg, "idle"))
				mode = MODE_IDLE;
			else
				usage();
			break;
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 'n': nconns = atoi(optarg); break;
		case 'd': dur = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		case 'V':
			if (!strcmp(optarg, "1.2"))
				tls_ver = TLS1_2_VERSION;
			else if (!strcmp(optarg, "1.3"))
				tls_ver = TLS1_3_VERSION;
			else if (strcmp(optarg, "any") != 0)
				usage();
			break;
		case 's': sni = optarg; break;
		case 'R': resume = true; break;
		case 'P': {
			char *save = NULL;
			for (char *t = strtok_r(optarg, ",", &save); t && nproxy_pids < 64;
			     t = strtok_r(NULL, ",", &save))
				proxy_pids[nproxy_pids++] = (pid_t)atoi(t);
			break;
		}
		case 'B': backend_pid = (pid_t)atoi(optarg); break;
		case 'T': hold_max = atof(optarg); break;
		case 't': conn_timeout = atof(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	struct in_addr ia;
	if (port <= 0 || port > 65535 || conc <= 0 || nconns <= 0 || dur <= 0 || warm < 0 ||
	    inet_pton(AF_INET, host, &ia) != 1)
		usage();
	if ((ntohl(ia.s_addr) >> 24) != 127) {
		fprintf(stderr, "tlsload: refusing non-loopback target %s\n", host);
		return 2;
	}

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_CTX_set_min_proto_version(ctx, tls_ver ? tls_ver : TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, tls_ver ? tls_ver : TLS1_3_VERSION);
	/* Never offer a session (no client cache, no tickets) unless -R: then
	 * conn_done() keeps the last session itself, outside any cache. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (!resume)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* No chain building at all (the bench does not verify); the server's
	 * CertificateVerify signature is still checked by the handshake. */
	SSL_CTX_set_cert_verify_callback(ctx, accept_any_chain, NULL);
	if (mode == MODE_IDLE)
		SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

	bulkbuf = malloc(BULKCHUNK * 4);
	hist = calloc(HBUCKETS, sizeof(*hist));
	nslots = mode == MODE_IDLE ? nconns : conc;
	conns = calloc((size_t)nslots, sizeof(*conns));
	if (!bulkbuf || !hist || !conns)
		return 1;
	memset(bulkbuf, 'y', BULKCHUNK * 4);
	for (int i = 0; i < nslots; i++) {
		conns[i].fd = -1;
		conns[i].st = ST_FREE;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);

	if (mode == MODE_IDLE)
		return run_idle();

	double t0 = now();
	for (int i = 0; i < nslots; i++)
		if (conn_start(&conns[i]) == 0)
			drive(&conns[i]);
	/* hs keeps -c connections in flight; ka re-opens a dropped connection (counted as
	 * an error); bulk does not re-open. */
	bool refill = mode == MODE_HS || mode == MODE_KA;
	run_loop(t0 + warm, refill);
	struct cpu_snap a, b;
	cpu_snap(&a);
	measuring = true;
	run_loop(a.t + dur, refill);
	measuring = false;
	cpu_snap(&b);
	double el = b.t - a.t;

	/* Drain: hs lets in-flight connections finish (not counted), up to 3 s. */
	if (mode == MODE_HS) {
		double until = now() + 3.0;
		while (active > 0 && now() < until && !sig_stop) {
			struct epoll_event evs[512];
			int n = epoll_wait(epfd, evs, 512, 50);
			for (int i = 0; i < n; i++)
				drive(evs[i].data.ptr);
		}
	}
	for (int i = 0; i < nslots; i++) {
		struct conn *c = &conns[i];
		if (c->st == ST_FREE)
			continue;
		if (c->ssl && c->st != ST_CONNECTING && c->st != ST_HANDSHAKE)
			SSL_shutdown(c->ssl);
		conn_free(c);
	}

	static const char *names[] = {"hs", "ka", "bulk-down", "bulk-up", "idle"};
	printf("RESULT mode=%s tls=%s conc=%d secs=%.3f", names[mode],
	       tls_ver == TLS1_3_VERSION ? "1.3" : tls_ver == TLS1_2_VERSION ? "1.2" : "any", conc,
	       el);
	if (mode == MODE_DOWN || mode == MODE_UP)
		printf(" bytes=%llu rate=%.1f unit=MB/s", (unsigned long long)c_bytes,
		       (double)c_bytes / 1e6 / el);
	else
		printf(" count=%llu rate=%.1f unit=%s lat_avg_ms=%.3f lat_p50_ms=%.3f"
		       " lat_p99_ms=%.3f",
		       (unsigned long long)c_done, (double)c_done / el,
		       mode == MODE_HS ? "conn/s" : "req/s",
		       hist_n ? 1000.0 * hist_sum / (double)hist_n : 0.0, 1000.0 * hist_pct(0.5),
		       1000.0 * hist_pct(0.99));
	print_cpu(&a, &b);
	print_common();
	printf("\n");
	SSL_CTX_free(ctx);
	return 0;
}
