/* SPDX-License-Identifier: Apache-2.0 */
/* Private to keyload: one PKCS#11 backend (an OSSL_STORE provider, or the
 * pkcs11 engine) behind the same four calls. */
#ifndef ATTLS_KEYLOAD_INT_H
#define ATTLS_KEYLOAD_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* What a pem_password_cb returns when it has no PIN or passphrase to give:
 * OpenSSL's contract (a negative length, no prompt), not an ATTLS_E* code. */
#define KEYLOAD_PEM_NO_SECRET (-1)

/* How a token load failed, for the caller's RC and cause line. */
enum keyload_fail {
	KEYLOAD_FAIL_OTHER = 1, /* the library's message says why */
	KEYLOAD_FAIL_PIN,       /* login refused: wrong, locked or expired PIN */
	KEYLOAD_FAIL_NO_PIN,    /* the token wants a PIN and none was configured */
	KEYLOAD_FAIL_NO_TOKEN,  /* no such token in the module */
	KEYLOAD_FAIL_NO_OBJECT, /* the token is there, the object is not */
};

struct keyload_backend {
	const char *name;
	/* Loads the module ('module' NULL: the backend's default). 0 or negative,
	 * with the reason in 'err'. */
	int (*start)(const char *module, char *err, size_t len);
	void (*stop)(void);
	/* One object by URI; 'pin' NULL when none is configured. 0, or a negative
	 * code with *fail and the library's words in 'err'. */
	int (*key)(const char *uri, const char *pin, EVP_PKEY **out, enum keyload_fail *fail,
		   char *err, size_t len);
	int (*cert)(const char *uri, const char *pin, X509 **out, enum keyload_fail *fail,
		    char *err, size_t len);
};

extern const struct keyload_backend keyload_store_backend;
extern const struct keyload_backend keyload_engine_backend;

/* True if an OSSL_STORE loader for "pkcs11:" URIs is available (a provider). */
bool keyload_store_available(void);

/* The owner and mode of key file 'fd' (opened as 'path') against the reader of
 * keyload_set_reader(): 0, or a negative code with the file, its owner and mode
 * and the fix in 'err'. A 'secret' (PIN, passphrase, stash) may not be read by
 * others at all; a key readable by others is only warned about. */
int keyload_perm_check(int fd, const char *path, bool secret, char *err, size_t len);

/* The first queued OpenSSL error as "what: reason" into 'err'; clears the queue. */
void keyload_ssl_error(char *err, size_t len, const char *what);

#endif
