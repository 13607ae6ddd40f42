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
#include <sys/types.h>

#include <openssl/ssl.h>

struct capture;
struct policy;

/* Starts capturing what 'ssl' reads from and writes to its socket 'fd'.
 * 'key_log' also keeps the TLS secrets in NSS key log format. NULL on failure
 * (no memory): the connection goes on without a capture. */
struct capture *capture_start(SSL *ssl, int fd, uint32_t connid, size_t max_bytes,
			      bool key_log);
/* Stops recording into 'cap' (the handshake is over); the bytes are kept. */
void capture_stop(struct capture *cap);
/* Writes the capture as DIR/CONNID-TIME.pcap (and .keys), new files of mode 0600
 * (an existing file or a symlink there is an error, never overwritten or
 * followed), removing the oldest files beyond 'max_files'. Fills 'path' with
 * the pcap's name. 0 or negative, with errno. */
int capture_write(struct capture *cap, const char *dir, unsigned max_files, char *path,
		  size_t len);
/* At start and reload, when a rule of 'p' captures: capture_dir must be a
 * directory (not a symlink) owned by root or 'user' that group and others cannot
 * write; made 0700 for 'user' when missing and 'create'. 0, or a negative code
 * with the reason in 'err'. */
int capture_dir_check(const struct policy *p, uid_t user, bool create, char *err, size_t len);
/* A loud warning naming the rules whose key_log writes TLS secrets to disk. */
void capture_key_log_warn(const struct policy *p);
/* Stops and frees; NULL is fine. */
void capture_free(struct capture *cap);
/* SSL_CTX keylog callback: records a secret line into the SSL's capture. */
void capture_keylog_cb(const SSL *ssl, const char *line);

#endif
