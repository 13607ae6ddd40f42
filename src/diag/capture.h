/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: per-rule packet capture (capture: failures | all). The bytes
 * a TLS socket reads and writes during the handshake are kept in memory (up to
 * capture_max_bytes) and written as a pcap named by CONNID, with synthetic
 * IPv4/IPv6 + TCP framing from the socket's real 4-tuple, so Wireshark and
 * tshark dissect it as the TLS conversation it was. */
#ifndef ATTLS_CAPTURE_H
#define ATTLS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct capture;

/* Starts capturing what 'ssl' reads from and writes to its socket 'fd'.
 * 'key_log' also keeps the TLS secrets in NSS key log format. NULL on failure
 * (no memory): the connection goes on without a capture. */
struct capture *capture_start(SSL *ssl, int fd, uint32_t connid, size_t max_bytes,
			      bool key_log);
/* Stops recording into 'cap' (the handshake is over); the bytes are kept. */
void capture_stop(struct capture *cap);
/* Writes the capture as DIR/CONNID-TIME.pcap (and .keys), removing the oldest
 * files beyond 'max_files'. Fills 'path' with the pcap's name. 0 or negative. */
int capture_write(struct capture *cap, const char *dir, unsigned max_files, char *path,
		  size_t len);
/* Stops and frees; NULL is fine. */
void capture_free(struct capture *cap);
/* SSL_CTX keylog callback: records a secret line into the SSL's capture. */
void capture_keylog_cb(const SSL *ssl, const char *line);

#endif
