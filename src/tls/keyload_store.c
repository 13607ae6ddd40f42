/* SPDX-License-Identifier: Apache-2.0 */
/* A provider's OSSL_STORE loader for "pkcs11:" URIs (e.g. pkcs11-provider,
 * configured in openssl.cnf) as a keyload backend: preferred to the engine
 * whenever OpenSSL offers one. The module is then the provider's setting. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include "common/err.h"
#include "keyload_int.h"

bool
keyload_store_available(void)
{
	OSSL_STORE_LOADER *l = OSSL_STORE_LOADER_fetch(NULL, "pkcs11", NULL);

	ERR_clear_error();
	OSSL_STORE_LOADER_free(l);
	return l != NULL;
}

static int
keyload_store_start(const char *module, char *err, size_t len)
{
	(void)module; /* the provider's own configuration names it */
	if (!keyload_store_available()) {
		snprintf(err, len, "no OSSL_STORE loader for pkcs11:");
		return ATTLS_ENOENT;
	}
	return 0;
}

static void
keyload_store_stop(void)
{
}

/* The PIN handed to the provider when it asks; NULL: refuse to prompt. */
static int
keyload_store_on_pin(char *buf, int size, int rwflag, void *u)
{
	const char *pin = u;
	int n;

	(void)rwflag;
	if (!pin)
		return KEYLOAD_PEM_NO_SECRET;
	n = (int)strlen(pin);
	if (n > size)
		n = size;
	memcpy(buf, pin, (size_t)n);
	return n;
}

/* The first object of 'type' under 'uri'. */
static OSSL_STORE_INFO *
keyload_store_load(const char *uri, const char *pin, int type, enum keyload_fail *fail, char *err,
		   size_t len)
{
	UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(keyload_store_on_pin, 0);
	OSSL_STORE_CTX *sc = NULL;
	OSSL_STORE_INFO *info = NULL;

	*fail = KEYLOAD_FAIL_OTHER;
	if (ui && (sc = OSSL_STORE_open_ex(uri, NULL, NULL, ui, (void *)pin, NULL, NULL, NULL))) {
		OSSL_STORE_expect(sc, type);
		while (!info && !OSSL_STORE_eof(sc)) {
			info = OSSL_STORE_load(sc);
			if (info && OSSL_STORE_INFO_get_type(info) != type) {
				OSSL_STORE_INFO_free(info);
				info = NULL;
			}
		}
		OSSL_STORE_close(sc);
	}
	UI_destroy_method(ui);
	if (info) {
		ERR_clear_error();
		return info;
	}
	if (ERR_peek_error()) {
		keyload_ssl_error(err, len, "OSSL_STORE");
	} else {
		*fail = KEYLOAD_FAIL_NO_OBJECT;
		snprintf(err, len, "not found");
	}
	return NULL;
}

static int
keyload_store_key(const char *uri, const char *pin, EVP_PKEY **out, enum keyload_fail *fail,
		  char *err, size_t len)
{
	OSSL_STORE_INFO *info = keyload_store_load(uri, pin, OSSL_STORE_INFO_PKEY, fail, err, len);

	*out = info ? OSSL_STORE_INFO_get1_PKEY(info) : NULL;
	OSSL_STORE_INFO_free(info);
	return *out ? 0 : ATTLS_ETLS;
}

static int
keyload_store_cert(const char *uri, const char *pin, X509 **out, enum keyload_fail *fail,
		   char *err, size_t len)
{
	OSSL_STORE_INFO *info = keyload_store_load(uri, pin, OSSL_STORE_INFO_CERT, fail, err, len);

	*out = info ? OSSL_STORE_INFO_get1_CERT(info) : NULL;
	OSSL_STORE_INFO_free(info);
	return *out ? 0 : ATTLS_ETLS;
}

const struct keyload_backend keyload_store_backend = {
	.name = "OSSL_STORE pkcs11 provider",
	.start = keyload_store_start,
	.stop = keyload_store_stop,
	.key = keyload_store_key,
	.cert = keyload_store_cert,
};
