/* SPDX-License-Identifier: Apache-2.0 */
/* Where this side's keys and certificates come from: PEM files (an encrypted
 * key with its passphrase file or stash), or a PKCS#11 token named by a URI
 * (RFC 7512). The token is reached through an OSSL_STORE loader for "pkcs11:"
 * when a provider offers one, else through the pkcs11 engine (libp11), which
 * is the only code using the deprecated ENGINE API (keyload_engine.c). The
 * policy never changes with the backend. doc/keys.md tells the operator's side. */
#ifndef ATTLS_KEYLOAD_H
#define ATTLS_KEYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "common/compiler.h"
#include "policy/policy.h"

/* A certificate with its chain and key, checked to belong together. */
struct keyload_pair {
	X509 *leaf;
	STACK_OF(X509) *chain; /* the rest of the PEM file; empty for a token certificate */
	EVP_PKEY *key;
};

/* The user and group that read key files once attlsd has dropped privileges
 * (settings.user; doc/security.md): a key file must be owned by root or that
 * user, writable by no one else, and readable by that user or group. Until it
 * is called, this process's own user and group. */
void keyload_set_reader(uid_t uid, gid_t gid);
/* That user: who may own a secret file besides root (tickets.c). */
uid_t keyload_reader_uid(void);
/* For tools run as root (attlsctl): the reader is settings.user/group of 'p'
 * when that user exists. Without either call, a root process checks files for
 * the default user attlsd when it exists, as attlsd would. */
void keyload_set_reader_policy(const struct policy *p);

/* Loads the PKCS#11 backend and module the keyrings of 'p' need (nothing when
 * no keyring names a token). attlsd calls it at start-up, before it would give
 * up privileges; later loads of any policy use what it loaded. On failure
 * returns a negative code, *rc (202) and the reason in 'err'. */
ATTLS_NODISCARD int keyload_start(const struct policy *p, int *rc, char *err, size_t len);

/* From now on no PKCS#11 module is loaded: a policy that needs one that was not
 * loaded before fails to load (for a privilege drop; see doc/keys.md). */
void keyload_seal(void);

/* Releases the backend; every key it gave must be freed before. */
void keyload_stop(void);

/* The private key 'ref' (a PEM file or a pkcs11: URI) of keyring 'k', with the
 * keyring's PIN or passphrase. Returns 0, or a negative code with *rc (201 no
 * PIN/passphrase, 202 token or module not reachable, 408 wrong PIN or
 * passphrase, 428 no such key) and a cause naming the token or file. */
ATTLS_NODISCARD int keyload_key(const struct policy_keyring *k, const char *ref, EVP_PKEY **out,
				int *rc, char *err, size_t len);

/* The certificates of 'ref' (a PEM file: leaf first; a pkcs11: URI: the one
 * certificate). *rc as keyload_key(), 407 for a certificate not on the token. */
ATTLS_NODISCARD int keyload_certs(const struct policy_keyring *k, const char *ref,
				  STACK_OF(X509) **out, int *rc, char *err, size_t len);

/* Labelled certificate 'c' of keyring 'k': certificate, chain and key, the key
 * checked to match (428 when it does not). */
ATTLS_NODISCARD int keyload_pair(const struct policy_keyring *k, const struct policy_cert *c,
				 struct keyload_pair *out, int *rc, char *err, size_t len);
void keyload_pair_free(struct keyload_pair *kp);

/* A PIN or passphrase file: at most 'len'-1 bytes into 'buf', without the
 * trailing newline; a stash file is de-obfuscated. Refuses a file that others,
 * or a group other than the reader's (keyload_set_reader), may read, or that
 * neither root nor the reader owns (RC 201 with the cause). */
ATTLS_NODISCARD int keysecret_read(const char *path, bool stash, char *buf, size_t len, int *rc,
				   char *err, size_t errlen);
/* Writes 'secret' as a stash file 'path' (mode 0600, replaced atomically). */
ATTLS_NODISCARD int keysecret_stash_write(const char *path, const char *secret, char *err,
					  size_t len);

#endif
