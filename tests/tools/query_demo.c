/* SPDX-License-Identifier: Apache-2.0 */
/* query_demo: an application linked against the shared libattlsquery. A
 * plaintext server on 0.0.0.0:PORT that asks attlsd about each connection it
 * accepts (attls_query_fd: its own socket) and answers the client with the
 * result, one line, before closing.
 *
 *   query_demo PORT CONTROL-SOCKET READY-FILE COUNT */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attls/attlsquery.h"

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct attls_query q;
	char line[512], in[256];
	int lfd, fd, one = 1, i, n, r;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: query_demo PORT CONTROL-SOCKET READY-FILE COUNT\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(lfd, 16) != 0) {
		perror("query_demo: listen");
		return 1;
	}
	if (!(f = fopen(argv[3], "w")) || fputs("up", f) < 0 || fclose(f) != 0)
		return 1;
	for (i = 0; i < atoi(argv[4]); i++) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			return 1;
		if (read(fd, in, sizeof(in)) < 0) /* the client's line */
			perror("query_demo: read");
		memset(&q, 0, sizeof(q));
		r = attls_query_fd(argv[2], fd, 0, &q);
		if (r == 0)
			n = snprintf(line, sizeof(line),
				     "demo: ok policy_status=%d conn_status=%d sec_type=%d "
				     "protocol=0x%04X rule=%s\n",
				     q.policy_status, q.conn_status, q.sec_type, q.protocol, q.rule);
		else
			n = snprintf(line, sizeof(line), "demo: error %s\n",
				     r == -EACCES ? "EACCES" : r == -ENOTCONN ? "ENOTCONN" : strerror(-r));
		attls_query_free(&q);
		fputs(line, stdout);
		fflush(stdout);
		if (write(fd, line, (size_t)n) != n)
			perror("query_demo: write");
		close(fd);
	}
	return 0;
}
