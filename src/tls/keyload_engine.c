/* SPDX-License-Identifier: Apache-2.0 */
/* The pkcs11 engine (libp11, Debian libengine-pkcs11-openssl) as a keyload
 * backend: the one file that uses OpenSSL's deprecated ENGINE API, compiled
 * alone with deprecation warnings allowed (Makefile.am). A pkcs11 provider's
 * OSSL_STORE loader (keyload_store.c) replaces it without policy changes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#include "common/err.h"
#include "keyload_int.h"
#include "policy/tokenuri.h"

/* CKR_PIN_INCORRECT .. CKR_PIN_LOCKED (PKCS#11 2.40), as libp11 queues them:
 * the reason of an error of its "PKCS#11 module" library. */
#define KEYLOAD_CKR_PIN_FIRST 0xA0
#define KEYLOAD_CKR_PIN_LAST 0xA4

static ENGINE *keyload_engine;
static UI_METHOD *keyload_engine_noui;

/* The engine asks through a UI only when no PIN was configured: never prompt,
 * a daemon has no terminal. */
static int
keyload_engine_on_ui_read(UI *ui, UI_STRING *uis)
{
	(void)ui;
	(void)uis;
	return 0;
}

static int
keyload_engine_start(const char *module, char *err, size_t len)
{
	ENGINE *e;

	if (module && access(module, R_OK) != 0) {
		snprintf(err, len, "%s cannot be read", module);
		return ATTLS_ENOENT;
	}
	/* ENGINE_by_id finds pkcs11.so in OpenSSL's engines directory. */
	if (!(e = ENGINE_by_id("pkcs11"))) {
		keyload_ssl_error(err, len, "the pkcs11 engine (Debian libengine-pkcs11-openssl)");
		return ATTLS_ENOENT;
	}
	/* QUIET: libp11 would print its own lines on stderr; the cause lines say it. */
	if (!ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 1) ||
	    (module && !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0)) || !ENGINE_init(e)) {
		keyload_ssl_error(err, len, "pkcs11 engine setup");
		ENGINE_free(e);
		return ATTLS_ETLS;
	}
	ENGINE_free(e); /* the functional reference from ENGINE_init remains */
	if (!(keyload_engine_noui = UI_create_method("attls-no-prompt")) ||
	    UI_method_set_reader(keyload_engine_noui, keyload_engine_on_ui_read) != 0) {
		ENGINE_finish(e);
		UI_destroy_method(keyload_engine_noui);
		keyload_engine_noui = NULL;
		snprintf(err, len, "out of memory");
		return ATTLS_ENOMEM;
	}
	keyload_engine = e;
	return 0;
}

static void
keyload_engine_stop(void)
{
	if (keyload_engine)
		ENGINE_finish(keyload_engine);
	keyload_engine = NULL;
	UI_destroy_method(keyload_engine_noui);
	keyload_engine_noui = NULL;
}

/* What the queued errors say: a refused PIN is told by its PKCS#11 code. */
static enum keyload_fail
keyload_engine_classify(char *err, size_t len)
{
	enum keyload_fail fail = KEYLOAD_FAIL_OTHER;
	unsigned long e, first = 0;
	const char *lib;

	while ((e = ERR_get_error()) != 0) {
		if (!first)
			first = e;
		lib = ERR_lib_error_string(e);
		if (lib && strstr(lib, "PKCS#11") && ERR_GET_REASON(e) >= KEYLOAD_CKR_PIN_FIRST &&
		    ERR_GET_REASON(e) <= KEYLOAD_CKR_PIN_LAST) {
			fail = KEYLOAD_FAIL_PIN;
			first = e;
		} else if (ERR_GET_LIB(e) == ERR_LIB_UI && fail == KEYLOAD_FAIL_OTHER) {
			fail = KEYLOAD_FAIL_NO_PIN;
		}
	}
	if (first)
		ERR_error_string_n(first, err, len);
	else
		snprintf(err, len, "not found");
	return fail;
}

/* libp11 says "object not found" alike for a missing token and a missing
 * object: any public key or certificate on the token tells them apart. */
static enum keyload_fail
keyload_engine_which_missing(const char *uri)
{
	struct {
		const char *s_slot_cert_id;
		X509 *cert;
	} parms = { NULL, NULL };
	char *pub = tokenuri_token(uri, "public"), *crt = tokenuri_token(uri, "cert");
	EVP_PKEY *pk = pub ? ENGINE_load_public_key(keyload_engine, pub, keyload_engine_noui, NULL)
			   : NULL;
	bool present = pk != NULL;

	if (!present && crt) {
		parms.s_slot_cert_id = crt;
		present = ENGINE_ctrl_cmd(keyload_engine, "LOAD_CERT_CTRL", 0, &parms, NULL, 1) &&
			  parms.cert;
	}
	EVP_PKEY_free(pk);
	X509_free(parms.cert);
	free(pub);
	free(crt);
	ERR_clear_error();
	return present ? KEYLOAD_FAIL_NO_OBJECT : KEYLOAD_FAIL_NO_TOKEN;
}

static int
keyload_engine_pin(const char *pin, char *err, size_t len)
{
	if (pin && !ENGINE_ctrl_cmd_string(keyload_engine, "PIN", pin, 0)) {
		keyload_ssl_error(err, len, "pkcs11 engine PIN");
		return ATTLS_ETLS;
	}
	return 0;
}

static int
keyload_engine_key(const char *uri, const char *pin, EVP_PKEY **out, enum keyload_fail *fail,
		   char *err, size_t len)
{
	*fail = KEYLOAD_FAIL_OTHER;
	if (keyload_engine_pin(pin, err, len) != 0)
		return ATTLS_ETLS;
	if ((*out = ENGINE_load_private_key(keyload_engine, uri, keyload_engine_noui, NULL)))
		return 0;
	if ((*fail = keyload_engine_classify(err, len)) == KEYLOAD_FAIL_OTHER)
		*fail = keyload_engine_which_missing(uri);
	return ATTLS_ETLS;
}

static int
keyload_engine_cert(const char *uri, const char *pin, X509 **out, enum keyload_fail *fail,
		    char *err, size_t len)
{
	struct {
		const char *s_slot_cert_id;
		X509 *cert;
	} parms = { uri, NULL };

	*out = NULL;
	*fail = KEYLOAD_FAIL_OTHER;
	if (keyload_engine_pin(pin, err, len) != 0)
		return ATTLS_ETLS;
	if (ENGINE_ctrl_cmd(keyload_engine, "LOAD_CERT_CTRL", 0, &parms, NULL, 1) && parms.cert) {
		*out = parms.cert;
		ERR_clear_error();
		return 0;
	}
	if ((*fail = keyload_engine_classify(err, len)) == KEYLOAD_FAIL_OTHER)
		*fail = keyload_engine_which_missing(uri);
	return ATTLS_ETLS;
}

const struct keyload_backend keyload_engine_backend = {
	.name = "pkcs11 engine",
	.start = keyload_engine_start,
	.stop = keyload_engine_stop,
	.key = keyload_engine_key,
	.cert = keyload_engine_cert,
};
