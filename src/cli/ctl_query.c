/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl query: libattlsquery from the command line, for scripts and for
 * applications that would rather run a command than link a library. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attls/attlsquery.h"
#include "ctl_intercept.h"

static void
ctl_query_print(const struct attls_query *q)
{
	printf("policy_status=%d (%s)\n", q->policy_status, attls_query_policy_name(q->policy_status));
	printf("conn_status=%d (%s)\n", q->conn_status, attls_query_conn_name(q->conn_status));
	printf("sec_type=%d (%s)\n", q->sec_type, attls_query_sec_name(q->sec_type));
	printf("protocol=0x%04X (%s)\n", q->protocol,
	       q->protocol == ATTLS_PROT_TLSV1_3   ? "TLSv1.3"
	       : q->protocol == ATTLS_PROT_TLSV1_2 ? "TLSv1.2"
	       : q->protocol			   ? "other"
						   : "none");
	printf("cipher4=%s\n", q->cipher4);
	printf("userid=%s\n", q->userid[0] ? q->userid : "-");
	printf("rule=%s\n", q->rule[0] ? q->rule : "-");
	printf("connid=%08X\n", q->connid);
	if (q->peer_cert_pem)
		fputs(q->peer_cert_pem, stdout);
}

/* POLICY / CONNS: prints the body of the daemon's answer. */
static int
ctl_query_request(const char *sock, const char *req)
{
	char *ans = NULL, *body, *end;
	int r = attls_control_request(sock, req, &ans);

	if (r != 0) {
		fprintf(stderr, "attlsctl: control socket %s: %s\n",
			sock ? sock : ATTLS_QUERY_DEFAULT_SOCKET, strerror(-r));
		return 1;
	}
	if (strncmp(ans, "OK\n", 3) != 0) {
		fprintf(stderr, "attlsctl: %s", ans);
		free(ans);
		return 1;
	}
	body = ans + 3;
	if ((end = strstr(body, "\n.\n")) != NULL)
		end[1] = '\0';
	else if (strncmp(body, ".\n", 2) == 0)
		body[0] = '\0';
	fputs(body, stdout);
	free(ans);
	return 0;
}

/* attlsctl policy show [-s SOCKET] / attlsctl connections [-s SOCKET] */
int
ctl_query_show(int argc, char **argv, const char *req)
{
	const char *sock = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0) && i + 1 < argc)
			sock = argv[++i];
		else {
			fprintf(stderr, "usage: attlsctl policy show|connections [-s SOCKET]\n");
			return 1;
		}
	}
	return ctl_query_request(sock, req);
}

int
ctl_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "cert", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL;
	struct attls_query q;
	int ch, flags = 0, r;

	while ((ch = getopt_long(argc, argv, "s:c", longopts, NULL)) != -1) {
		if (ch == 's')
			sock = optarg;
		else if (ch == 'c')
			flags |= ATTLS_QUERY_CERT;
		else
			goto usage;
	}
	if (argc - optind != 2)
		goto usage;
	r = attls_query_str(sock, argv[optind], argv[optind + 1], flags, &q);
	if (r != 0) {
		fprintf(stderr, "attlsctl: query %s %s: %s\n", argv[optind], argv[optind + 1],
			r == -ENOTCONN ? "attlsd holds no such connection (ENOTCONN)"
			: r == -EACCES ? "not your connection: you do not own the local socket "
					 "LOCAL -> REMOTE (EACCES)"
				       : strerror(-r));
		return r == -ENOTCONN ? 2 : 1;
	}
	ctl_query_print(&q);
	attls_query_free(&q);
	return 0;
usage:
	fprintf(stderr, "usage: attlsctl query [-s SOCKET] [--cert] LOCAL-ADDR:PORT "
			"REMOTE-ADDR:PORT\n"
			"  (the application's own address first; SOCKET default %s)\n",
		ATTLS_QUERY_DEFAULT_SOCKET);
	return 1;
}

/* attlsctl init: for an application that runs a command rather than link the
 * library; with --fd the command inherits the application's socket, and
 * attls_init_fd() waits until what the application wrote has left it. */
int
ctl_query_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL;
	struct attls_query q;
	int ch, fd = -1, r;
	char *end;

	while ((ch = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
		if (ch == 's')
			sock = optarg;
		else if (ch == 'f' && (fd = (int)strtol(optarg, &end, 10)) >= 0 && !*end)
			continue;
		else
			goto usage;
	}
	if (fd >= 0 ? argc != optind : argc - optind != 2)
		goto usage;
	r = fd >= 0 ? attls_init_fd(sock, fd, &q)
		    : attls_init_str(sock, argv[optind], argv[optind + 1], &q);
	if (r != 0) {
		fprintf(stderr, "attlsctl: init: %s\n",
			r == -ENOTCONN	   ? "attlsd holds no such connection (ENOTCONN)"
			: r == -EACCES	   ? "refused (EACCES): the connection's policy does not have "
					     "application_controlled On, or the local socket is not "
					     "yours"
			: r == -EALREADY   ? "TLS has already started on this connection (EALREADY)"
			: r == -ECONNRESET ? "the connection ended before TLS started (ECONNRESET)"
					   : strerror(-r));
		return r == -ENOTCONN ? 2 : 1;
	}
	ctl_query_print(&q);
	attls_query_free(&q);
	return 0;
usage:
	fprintf(stderr, "usage: attlsctl init [-s SOCKET] (--fd N | LOCAL-ADDR:PORT "
			"REMOTE-ADDR:PORT)\n");
	return 1;
}
