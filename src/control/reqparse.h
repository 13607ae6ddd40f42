/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/control: one control-socket request line parsed (reqparse.c). */
#ifndef ATTLS_REQPARSE_H
#define ATTLS_REQPARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

/* The 4-tuple the plaintext application sees: the registry's key. */
struct control_key {
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
};

enum reqparse_cmd { REQ_QUERY, REQ_INIT, REQ_CONNS, REQ_POLICY };

struct reqparse {
	enum reqparse_cmd cmd;
	struct control_key key; /* QUERY, INIT */
	bool cert;              /* QUERY ... CERT */
	char tuple[164];        /* "LOCAL REMOTE" as the caller wrote them */
	const char *error;      /* the ERR answer when the line is refused */
};

/* Parses one request line (NUL-terminated, no newline). 0, or ATTLS_EINVAL
 * with rq->error the answer to send. Anything not INIT, CONNS or POLICY is
 * taken as a QUERY, as before. */
int reqparse_line(const char *line, struct reqparse *rq);

#endif
