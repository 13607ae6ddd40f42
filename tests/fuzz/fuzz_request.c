/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the control socket's request-line parser
 * (control/reqparse.c), on a line cut as control.c cuts it: at most
 * CONTROL_LINE_MAX - 1 bytes, ending at the first newline. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "control/control_int.h"
#include "control/reqparse.h"

#define LINE_MAX_BYTES (CONTROL_LINE_MAX - 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[LINE_MAX_BYTES + 1], *nl;
	struct reqparse rq;

	if (size > LINE_MAX_BYTES)
		size = LINE_MAX_BYTES;
	memcpy(line, data, size);
	line[size] = '\0';
	if ((nl = strchr(line, '\n')))
		*nl = '\0';
	if (reqparse_line(line, &rq) != 0) {
		if (!rq.error)
			__builtin_trap(); /* a refusal always carries its answer */
	} else if ((rq.cmd == REQ_QUERY || rq.cmd == REQ_INIT) &&
		   memchr(rq.tuple, '\0', sizeof(rq.tuple)) == NULL) {
		__builtin_trap();
	}
	return 0;
}
