/* SPDX-License-Identifier: Apache-2.0 */
/* Keys and certificates of a keyring from PEM files or a PKCS#11 token: the
 * PIN or passphrase from the keyring's files, the token through the backend
 * chosen once (an OSSL_STORE provider, else the pkcs11 engine), and every
 * failure turned into a System SSL RC with a cause naming the token or file. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "keyload.h"
#include "keyload_int.h"
#include "policy/tokenuri.h"

#define KEYLOAD_SECRET_MAX 256

/* The backend and module in use; set once, by the first policy that names a
 * token (attlsd: at start-up). */
static struct {
	pthread_mutex_t lock;
	const struct keyload_backend *be;
	char *module; /* NULL: the backend's default */
	bool sealed;
} keyload = { PTHREAD_MUTEX_INITIALIZER, NULL, NULL, false };

void
keyload_ssl_error(char *err, size_t len, const char *what)
{
	unsigned long e = ERR_peek_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, len, "%s: %s", what, e ? buf : "unknown error");
	ERR_clear_error();
}

static bool
keyload_same_module(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The backend for 'module'; loads it the first time. Caller holds the lock. */
static int
keyload_backend_for(const char *module, int *rc, char *err, size_t len)
{
	char why[512];
	int r;

	*rc = RC_KEYRING_OPEN;
	if (keyload.be) {
		if (keyload_same_module(keyload.module, module))
			return 0;
		snprintf(err, len, "PKCS#11 module %s is not the one loaded at start-up (%s); attlsd "
				   "loads one module: restart it to change modules",
			 module ? module : "(default)", keyload.module ? keyload.module : "(default)");
		return ATTLS_EINVAL;
	}
	if (keyload.sealed) {
		snprintf(err, len, "no PKCS#11 module was loaded at start-up, and none is loaded "
				   "afterwards: restart attlsd to use a token");
		return ATTLS_EINVAL;
	}
	if (module && !(keyload.module = strdup(module)))
		return ATTLS_ENOMEM;
	keyload.be = keyload_store_available() ? &keyload_store_backend : &keyload_engine_backend;
	if ((r = keyload.be->start(module, why, sizeof(why))) != 0) {
		snprintf(err, len, "cannot load PKCS#11 module %s through the %s: %s",
			 module ? module : "(libp11's default)", keyload.be->name, why);
		keyload.be = NULL;
		free(keyload.module);
		keyload.module = NULL;
		return r;
	}
	log_info("PKCS#11 module %s loaded through the %s", module ? module : "(default)",
		 keyload.be->name);
	return 0;
}

int
keyload_start(const struct policy *p, int *rc, char *err, size_t len)
{
	size_t i, j;
	int r = 0;

	pthread_mutex_lock(&keyload.lock);
	for (i = 0; i < p->nkeyrings && r == 0; i++) {
		const struct policy_keyring *k = &p->keyrings[i];

		for (j = 0; j < k->certs.n && r == 0; j++)
			if (tokenuri_is(k->certs.v[j].key) || tokenuri_is(k->certs.v[j].certificate))
				r = keyload_backend_for(k->pkcs11_module, rc, err, len);
	}
	pthread_mutex_unlock(&keyload.lock);
	return r;
}

void
keyload_seal(void)
{
	pthread_mutex_lock(&keyload.lock);
	keyload.sealed = true;
	pthread_mutex_unlock(&keyload.lock);
}

void
keyload_stop(void)
{
	pthread_mutex_lock(&keyload.lock);
	if (keyload.be)
		keyload.be->stop();
	keyload.be = NULL;
	free(keyload.module);
	keyload.module = NULL;
	pthread_mutex_unlock(&keyload.lock);
}

/* The token's PIN: pin_file or stash_file; "" when neither is given. */
static int
keyload_pin(const struct policy_keyring *k, char *pin, size_t plen, int *rc, char *err, size_t len)
{
	pin[0] = '\0';
	if (k->pin_file)
		return keysecret_read(k->pin_file, false, pin, plen, rc, err, len);
	if (k->stash_file)
		return keysecret_read(k->stash_file, true, pin, plen, rc, err, len);
	return 0;
}

/* The words of a token failure, and its RC. */
static int
keyload_token_fail(const struct policy_keyring *k, const char *uri, bool cert, bool had_pin,
		   enum keyload_fail fail, const char *why, int *rc, char *err, size_t len)
{
	char token[128];

	if (!tokenuri_attr(uri, "token", token, sizeof(token)))
		snprintf(token, sizeof(token), "(any)");
	switch (fail) {
	case KEYLOAD_FAIL_PIN:
		*rc = had_pin ? RC_BAD_KEYFILE_PASSWORD : RC_NO_KEYFILE_PASSWORD;
		if (had_pin)
			snprintf(err, len, "token \"%s\" refused the PIN from %s (%s)", token,
				 k->pin_file ? k->pin_file : k->stash_file, why);
		else
			snprintf(err, len, "token \"%s\" needs a PIN to reach %s: give keyring \"%s\" "
					   "pin_file or stash_file",
				 token, uri, k->name);
		return ATTLS_ETLS;
	case KEYLOAD_FAIL_NO_PIN:
		*rc = RC_NO_KEYFILE_PASSWORD;
		snprintf(err, len, "token \"%s\" needs a PIN to reach %s: give keyring \"%s\" pin_file "
				   "or stash_file",
			 token, uri, k->name);
		return ATTLS_ETLS;
	case KEYLOAD_FAIL_NO_TOKEN:
		*rc = RC_KEYRING_OPEN;
		snprintf(err, len, "no token \"%s\" in PKCS#11 module %s (for %s)", token,
			 keyload.module ? keyload.module : "(default)", uri);
		return ATTLS_ETLS;
	case KEYLOAD_FAIL_NO_OBJECT:
		*rc = cert ? RC_BAD_KEYFILE_LABEL : RC_NO_PRIVATE_KEY;
		snprintf(err, len, "token \"%s\" has no %s %s", token,
			 cert ? "certificate" : "private key", uri);
		return ATTLS_ETLS;
	default:
		*rc = cert ? RC_BAD_KEYFILE_LABEL : RC_NO_PRIVATE_KEY;
		snprintf(err, len, "token \"%s\": %s cannot be loaded: %s", token, uri, why);
		return ATTLS_ETLS;
	}
}

/* One object from the token: a key (out_key) or a certificate (out_cert). */
static int
keyload_token(const struct policy_keyring *k, const char *uri, EVP_PKEY **out_key, X509 **out_cert,
	      int *rc, char *err, size_t len)
{
	enum keyload_fail fail = KEYLOAD_FAIL_OTHER;
	char pin[KEYLOAD_SECRET_MAX], why[512];
	int r;

	if ((r = keyload_pin(k, pin, sizeof(pin), rc, err, len)) != 0)
		return r;
	pthread_mutex_lock(&keyload.lock);
	if ((r = keyload_backend_for(k->pkcs11_module, rc, err, len)) == 0) {
		const char *p = pin[0] ? pin : NULL;

		r = out_key ? keyload.be->key(uri, p, out_key, &fail, why, sizeof(why))
			    : keyload.be->cert(uri, p, out_cert, &fail, why, sizeof(why));
		if (r != 0)
			r = keyload_token_fail(k, uri, !out_key, pin[0] != '\0', fail, why, rc, err,
					       len);
	}
	pthread_mutex_unlock(&keyload.lock);
	OPENSSL_cleanse(pin, sizeof(pin));
	return r;
}

/* PEM passphrase callback: the keyring's passphrase, read when OpenSSL asks. */
struct keyload_pem {
	const struct policy_keyring *k;
	bool asked, given;
	int rc;
	char err[512];
};

static int
keyload_on_passphrase(char *buf, int size, int rwflag, void *u)
{
	struct keyload_pem *kp = u;
	const struct policy_keyring *k = kp->k;
	char secret[KEYLOAD_SECRET_MAX];
	int n;

	(void)rwflag;
	kp->asked = true;
	if (k->key_passphrase_file) {
		if (keysecret_read(k->key_passphrase_file, false, secret, sizeof(secret), &kp->rc,
				   kp->err, sizeof(kp->err)) != 0)
			return KEYLOAD_PEM_NO_SECRET;
	} else if (k->stash_file) {
		if (keysecret_read(k->stash_file, true, secret, sizeof(secret), &kp->rc, kp->err,
				   sizeof(kp->err)) != 0)
			return KEYLOAD_PEM_NO_SECRET;
	} else {
		return KEYLOAD_PEM_NO_SECRET;
	}
	kp->given = true;
	n = (int)strlen(secret);
	if (n > size)
		n = size;
	memcpy(buf, secret, (size_t)n);
	OPENSSL_cleanse(secret, sizeof(secret));
	return n;
}

static int
keyload_file_key(const struct policy_keyring *k, const char *path, EVP_PKEY **out, int *rc,
		 char *err, size_t len)
{
	struct keyload_pem kp = { .k = k };
	FILE *f;

	*rc = RC_NO_PRIVATE_KEY;
	if (!(f = fopen(path, "re"))) {
		if (errno == EACCES) /* after the privilege drop: say who must read it */
			snprintf(err, len, "cannot read key %s: %s (attlsd runs as uid %u: chown "
					   "root:%u %s; chmod 0640 %s)",
				 path, strerror(errno), (unsigned)geteuid(), (unsigned)getegid(),
				 path, path);
		else
			snprintf(err, len, "cannot read key %s: %s", path, strerror(errno));
		return ATTLS_EIO;
	}
	if (keyload_perm_check(fileno(f), path, false, err, len) != 0) {
		*rc = RC_KEYRING_OPEN;
		fclose(f);
		return ATTLS_EINVAL;
	}
	*out = PEM_read_PrivateKey(f, NULL, keyload_on_passphrase, &kp);
	fclose(f);
	if (*out) {
		ERR_clear_error();
		return 0;
	}
	if (kp.err[0]) { /* the passphrase file itself could not be used */
		*rc = kp.rc;
		snprintf(err, len, "key %s: %s", path, kp.err);
		ERR_clear_error();
	} else if (kp.asked && !kp.given) {
		*rc = RC_NO_KEYFILE_PASSWORD;
		snprintf(err, len, "key %s is encrypted: give keyring \"%s\" key_passphrase_file or "
				   "stash_file",
			 path, k->name);
		ERR_clear_error();
	} else if (kp.asked) {
		*rc = RC_BAD_KEYFILE_PASSWORD;
		snprintf(err, len, "the passphrase in %s does not decrypt key %s",
			 k->key_passphrase_file ? k->key_passphrase_file : k->stash_file, path);
		ERR_clear_error();
	} else {
		unsigned long e = ERR_peek_error();
		char why[256];

		ERR_error_string_n(e, why, sizeof(why));
		ERR_clear_error();
		snprintf(err, len, "key %s holds no readable PEM private key (%s)", path,
			 e ? why : "no key found");
	}
	return ATTLS_ETLS;
}

int
keyload_key(const struct policy_keyring *k, const char *ref, EVP_PKEY **out, int *rc, char *err,
	    size_t len)
{
	*out = NULL;
	if (tokenuri_is(ref))
		return keyload_token(k, ref, out, NULL, rc, err, len);
	return keyload_file_key(k, ref, out, rc, err, len);
}

static int
keyload_file_certs(const char *path, STACK_OF(X509) *sk, int *rc, char *err, size_t len)
{
	X509 *x;
	FILE *f;

	*rc = RC_CERT_VALIDATION;
	if (!(f = fopen(path, "r"))) {
		snprintf(err, len, "cannot read certificate %s: %s", path, strerror(errno));
		return ATTLS_EIO;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	fclose(f);
	ERR_clear_error(); /* the end of the file reads as an error */
	if (sk_X509_num(sk) == 0) {
		snprintf(err, len, "%s holds no PEM certificate", path);
		return ATTLS_ETLS;
	}
	return 0;
}

int
keyload_certs(const struct policy_keyring *k, const char *ref, STACK_OF(X509) **out, int *rc,
	      char *err, size_t len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x = NULL;
	int r;

	*out = NULL;
	*rc = RC_INTERNAL;
	if (!sk) {
		snprintf(err, len, "out of memory");
		return ATTLS_ENOMEM;
	}
	if (!tokenuri_is(ref)) {
		r = keyload_file_certs(ref, sk, rc, err, len);
	} else if ((r = keyload_token(k, ref, NULL, &x, rc, err, len)) == 0 && !sk_X509_push(sk, x)) {
		X509_free(x);
		snprintf(err, len, "out of memory");
		r = ATTLS_ENOMEM;
	}
	if (r != 0) {
		sk_X509_pop_free(sk, X509_free);
		return r;
	}
	*out = sk;
	return 0;
}

int
keyload_pair(const struct policy_keyring *k, const struct policy_cert *c, struct keyload_pair *out,
	     int *rc, char *err, size_t len)
{
	STACK_OF(X509) *sk = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = keyload_certs(k, c->certificate, &sk, rc, err, len)) != 0)
		return r;
	out->leaf = sk_X509_shift(sk);
	out->chain = sk;
	if ((r = keyload_key(k, c->key, &out->key, rc, err, len)) != 0)
		goto fail;
	if (X509_check_private_key(out->leaf, out->key) != 1) {
		*rc = RC_NO_PRIVATE_KEY;
		snprintf(err, len, "the private key %s does not match the certificate %s", c->key,
			 c->certificate);
		ERR_clear_error();
		r = ATTLS_ETLS;
		goto fail;
	}
	return 0;
fail:
	keyload_pair_free(out);
	return r;
}

void
keyload_pair_free(struct keyload_pair *kp)
{
	X509_free(kp->leaf);
	sk_X509_pop_free(kp->chain, X509_free);
	EVP_PKEY_free(kp->key);
	memset(kp, 0, sizeof(*kp));
}
