/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: per-rule packet capture (capture: failures | all). The bytes
 * a TLS socket reads and writes during the handshake are kept in memory (up to
 * capture_max_bytes) and written as a pcap named by CONNID, with synthetic
 * IPv4/IPv6 + TCP framing from the socket's real 4-tuple, so Wireshark and
 * tshark dissect it as the TLS conversation it was. The file is written by one
 * writer thread, never on a worker loop (capwriter.c). */
#ifndef ATTLS_CAPTURE_H
#define ATTLS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct capture;
struct policy;
struct policy_settings;

/* Starts capturing what 'ssl' reads from and writes to its socket 'fd'.
 * 'key_log' also keeps the TLS secrets in NSS key log format. NULL on failure
 * (no memory): the connection goes on without a capture. */
struct capture *capture_start(SSL *ssl, int fd, uint32_t connid, size_t max_bytes,
			      bool key_log);
/* Stops recording into 'cap' (the handshake is over); the bytes are kept. */
void capture_stop(struct capture *cap);
/* Hands '*cap' to the capture writer (taken: *cap is NULL after, whatever
 * the result). 0: queued, named now as 'path' (DIR/CONNID-TIME.pcap; a key
 * log DIR/CONNID-TIME.keys next to it), written soon after as a new file of
 * mode 0600 (never over an existing file or through a symlink), the oldest
 * files beyond capture_max_files removed; ATL1292W names the CONNID if it
 * cannot be written. Otherwise not captured (capture_max_per_minute reached,
 * the writer behind, no memory), and 'why' says why. */
int capture_submit(struct capture **cap, const struct policy_settings *s, char *path, size_t len,
		   char *why, size_t wlen);
/* At shutdown, once the workers are gone: waits up to 'timeout_ms' for the
 * queued captures to be written, and logs the counts not yet logged. */
void capture_drain(unsigned timeout_ms);
/* At start and reload, when a rule of 'p' captures: capture_dir must be a
 * directory (not a symlink) owned by root or 'user' that group and others cannot
 * write; made 0700 for 'user' when missing and 'create'. 0, or a negative code
 * with the reason in 'err'. The writer reads the directory's files again
 * before its next capture. */
int capture_dir_check(const struct policy *p, uid_t user, bool create, char *err, size_t len);
/* A loud warning naming the rules whose key_log writes TLS secrets to disk. */
void capture_key_log_warn(const struct policy *p);
/* Stops and frees; NULL is fine. */
void capture_free(struct capture *cap);
/* SSL_CTX keylog callback: records a secret line into the SSL's capture. */
void capture_keylog_cb(const SSL *ssl, const char *line);

#endif
