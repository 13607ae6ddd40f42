/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the ClientHello parser (tls/chello.c) on TLS record bytes,
 * as the daemon and attlsctl triage feed it, and the summary printed from it. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tls/chello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chello h;
	char out[1024], v[8];
	unsigned i;

	if (chello_parse_record(data, size, &h) != 0 || !h.seen) {
		/* The handshake body alone, as the message callback passes it. */
		if (size < 4 || chello_parse_body(data + 4, size - 4, &h) != 0)
			return 0;
	}
	/* Every string the parser kept must be terminated within its array. */
	if (memchr(h.sni, '\0', sizeof(h.sni)) == NULL || memchr(h.alpn, '\0', sizeof(h.alpn)) == NULL)
		__builtin_trap();
	chello_summary(&h, out, sizeof(out));
	for (i = 0; i < h.nversions && i < CHELLO_MAX_VERSIONS; i++)
		(void)chello_version_name(h.versions[i], v);
	return 0;
}
