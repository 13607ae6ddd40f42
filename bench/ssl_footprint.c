/* SPDX-License-Identifier: Apache-2.0 */
/* How much heap one server-side OpenSSL connection object keeps after a full
 * handshake, with the settings attlsd uses (buffers released when idle, one
 * session ticket, no session cache), over a real socket pair. This is the floor
 * under attlsd's memory per idle connection: everything else it keeps is small.
 * Usage: ssl_footprint CERT KEY [N]  (prints bytes per connection, TLS 1.3 and 1.2) */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

static size_t
heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}

static void
pump(SSL *c, SSL *s)
{
	int i;

	for (i = 0; i < 50 && (!SSL_is_init_finished(c) || !SSL_is_init_finished(s)); i++) {
		SSL_do_handshake(c);
		SSL_do_handshake(s);
	}
}

static size_t
measure(SSL_CTX *sc, SSL_CTX *cc, int n, int *fds)
{
	SSL **cs = calloc((size_t)n, sizeof(*cs)), **ss = calloc((size_t)n, sizeof(*ss));
	size_t before, after_clients;
	char buf[16];
	int k;

	before = heap_in_use();
	for (k = 0; k < n; k++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			exit(1);
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		fcntl(sv[1], F_SETFL, O_NONBLOCK);
		fds[2 * k] = sv[0];
		fds[2 * k + 1] = sv[1];
		cs[k] = SSL_new(cc);
		ss[k] = SSL_new(sc);
		SSL_set_fd(cs[k], sv[0]);
		SSL_set_fd(ss[k], sv[1]);
		SSL_set_connect_state(cs[k]);
		SSL_set_accept_state(ss[k]);
		pump(cs[k], ss[k]);
		/* One request and reply, then idle: the server has read everything. */
		SSL_write(cs[k], "x", 1);
		SSL_read(ss[k], buf, sizeof(buf));
		SSL_write(ss[k], "y", 1);
		SSL_read(cs[k], buf, sizeof(buf));
		SSL_read(ss[k], buf, sizeof(buf));
	}
	for (k = 0; k < n; k++)
		SSL_free(cs[k]);
	after_clients = heap_in_use();
	for (k = 0; k < n; k++) {
		SSL_free(ss[k]);
		close(fds[2 * k]);
		close(fds[2 * k + 1]);
	}
	free(cs);
	free(ss);
	return (after_clients - before) / (size_t)n;
}

int
main(int argc, char **argv)
{
	static const int versions[] = { TLS1_3_VERSION, TLS1_2_VERSION };
	int n = argc > 3 ? atoi(argv[3]) : 500, i, *fds;
	SSL_CTX *cc = SSL_CTX_new(TLS_client_method());

	if (argc < 3) {
		fprintf(stderr, "usage: ssl_footprint CERT KEY [N]\n");
		return 1;
	}
	fds = calloc((size_t)n * 2, sizeof(*fds));
	for (i = 0; i < 2; i++) {
		SSL_CTX *sc = SSL_CTX_new(TLS_server_method());
		if (SSL_CTX_use_certificate_chain_file(sc, argv[1]) != 1 ||
		    SSL_CTX_use_PrivateKey_file(sc, argv[2], SSL_FILETYPE_PEM) != 1)
			return 1;
		SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS);
		SSL_CTX_set_read_ahead(sc, 1);
		SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets(sc, 1);
		SSL_CTX_set_max_proto_version(sc, versions[i]);
		size_t b = measure(sc, cc, n, fds);

		printf("%s: server SSL object after the handshake, idle: %zu bytes (%.1f KiB)\n",
		       i ? "TLS 1.2" : "TLS 1.3", b, b / 1024.0);
		SSL_CTX_free(sc);
	}
	SSL_CTX_free(cc);
	free(fds);
	return 0;
}
