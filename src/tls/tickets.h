/* SPDX-License-Identifier: Apache-2.0 */
/* Session ticket keys of the process: from a file shared by a fleet, or made
 * here and rotated on their own; every server context encrypts with the first. */
#ifndef ATTLS_TICKETS_H
#define ATTLS_TICKETS_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

#include "common/compiler.h"

/* One key: its name (sent in the clear in each ticket), HMAC and AES keys. */
#define TICKETS_KEY_BYTES 80
#define TICKETS_MAX_KEYS 16

/* Where the keys come from: 'file' (settings.ticket_keys) or, when NULL, keys
 * made in memory that rotate every 'lifetime' seconds, the previous one still
 * decrypting for one more period. Called for each new generation (start, SIGHUP),
 * so the file is re-read then; a broken file fails the generation. */
ATTLS_NODISCARD int tickets_configure(const char *file, unsigned lifetime);

/* Installs the ticket callback on a server context. */
void tickets_ctx_set(SSL_CTX *ctx);

/* Seconds since the encrypting key was made (or its file changed); -1 none yet. */
long tickets_key_age(void);

/* What own keys need at 'now' when the encrypting one began at 'made': a key
 * encrypts for 'lifetime' seconds from 'made' and decrypts for one more, so the
 * schedule holds without traffic. TICKETS_ROTATE: a new key whose period began
 * at *since, the current one kept as the previous; TICKETS_RESTART: two
 * lifetimes passed, no key survives, a new one from *since (= now). */
enum tickets_step { TICKETS_KEEP, TICKETS_ROTATE, TICKETS_RESTART };
enum tickets_step tickets_due(time_t made, unsigned lifetime, time_t now, time_t *since);

/* The keys of a ticket key file: one base64 line of TICKETS_KEY_BYTES per key,
 * '#' comments and blank lines ignored. The file must be a regular file that
 * neither group nor others may read or write. Returns how many keys (>= 1) or a
 * negative code, the reason in 'err'. */
int tickets_file_read(const char *path, unsigned char keys[][TICKETS_KEY_BYTES], size_t max,
		      char *err, size_t errlen);

/* One key as its file line (base64, no newline); 'out' holds >= 112 bytes. */
void tickets_key_format(const unsigned char key[TICKETS_KEY_BYTES], char *out, size_t len);

#endif
