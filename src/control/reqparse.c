/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket's request line parsed into a command and a 4-tuple, with
 * no side effects (request.c acts on it; tests/fuzz/fuzz_request.c fuzzes it). */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/err.h"
#include "reqparse.h"

/* "a.b.c.d:port" or "[v6]:port"; an IPv4-mapped IPv6 address is IPv4. */
static int
reqparse_endpoint(const char *s, uint8_t addr[16], uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned char b[16];
	unsigned long p;
	char *end;
	size_t n;

	if (!colon || colon == s)
		return ATTLS_EINVAL;
	n = (size_t)(colon - s);
	if (s[0] == '[' && n >= 2 && colon[-1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return ATTLS_EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (colon[1] < '0' || colon[1] > '9')
		return ATTLS_EINVAL;
	p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535)
		return ATTLS_EINVAL;
	*port = (uint16_t)p;
	if (inet_pton(AF_INET, host, b) == 1) {
		uint32_t a;
		memcpy(&a, b, 4);
		policy_addr_from_v4(a, addr);
		return 0;
	}
	if (inet_pton(AF_INET6, host, addr) == 1)
		return 0;
	return ATTLS_EINVAL;
}

static const char *const reqparse_usage[] = {
	[REQ_QUERY] = "ERR EINVAL usage: QUERY LOCAL-ADDR:PORT REMOTE-ADDR:PORT [CERT]\n",
	[REQ_INIT] = "ERR EINVAL usage: INIT LOCAL-ADDR:PORT REMOTE-ADDR:PORT\n",
};

int
reqparse_line(const char *line, struct reqparse *rq)
{
	char cmd[16], l[80], r[80], flag[16];
	int n;

	memset(rq, 0, sizeof(*rq));
	rq->error = NULL;
	if (strcmp(line, "POLICY") == 0) {
		rq->cmd = REQ_POLICY;
		return 0;
	}
	if (strcmp(line, "CONNS") == 0) {
		rq->cmd = REQ_CONNS;
		return 0;
	}
	flag[0] = '\0';
	n = sscanf(line, "%15s %79s %79s %15s", cmd, l, r, flag);
	if (strncmp(line, "INIT ", 5) == 0) {
		rq->cmd = REQ_INIT;
		if (n != 3)
			goto usage;
	} else {
		rq->cmd = REQ_QUERY;
		if (n < 3 || strcmp(cmd, "QUERY") != 0 || (n == 4 && strcasecmp(flag, "CERT") != 0))
			goto usage;
		rq->cert = n == 4;
	}
	if (reqparse_endpoint(l, rq->key.laddr, &rq->key.lport) != 0 ||
	    reqparse_endpoint(r, rq->key.raddr, &rq->key.rport) != 0) {
		/* INIT has always answered a bad address with its usage line. */
		if (rq->cmd == REQ_INIT)
			goto usage;
		rq->error = "ERR EINVAL addresses are ADDR:PORT or [ADDR]:PORT\n";
		return ATTLS_EINVAL;
	}
	snprintf(rq->tuple, sizeof(rq->tuple), "%s %s", l, r);
	return 0;
usage:
	rq->error = reqparse_usage[rq->cmd];
	return ATTLS_EINVAL;
}
