/* SPDX-License-Identifier: Apache-2.0 */
/* The pkcs11 engine (libp11, Debian libengine-pkcs11-openssl) as a keyload
 * backend: the one file that uses OpenSSL's deprecated ENGINE API, compiled
 * alone with deprecation warnings allowed (Makefile.am). A pkcs11 provider's
 * OSSL_STORE loader (keyload_store.c) replaces it without policy changes. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "common/err.h"
#include "keyload_int.h"

/* CKR_PIN_INCORRECT .. CKR_PIN_LOCKED (PKCS#11 2.40), as libp11 queues them:
 * the reason of an error of its "PKCS#11 module" library. */
#define KEYLOAD_CKR_PIN_FIRST 0xA0
#define KEYLOAD_CKR_PIN_LAST 0xA4

/* libp11's module when MODULE_PATH is not given. */
#define KEYLOAD_ENGINE_DEFAULT_MODULE "p11-kit-proxy.so"
/* Slots asked for their token; more are not looked at. */
#define KEYLOAD_ENGINE_SLOTS_MAX 256

static ENGINE *keyload_engine;
static UI_METHOD *keyload_engine_noui;
/* The module as libp11 loaded it (NULL: its default), and our own handle on
 * it to ask which tokens it has (keyload_engine_has_token). */
static char *keyload_engine_module;
static void *keyload_engine_dl;
static CK_FUNCTION_LIST_PTR keyload_engine_p11;

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
	if (module && !(keyload_engine_module = strdup(module))) {
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
	/* libp11 finalized the module in ENGINE_finish; this only unmaps it. */
	if (keyload_engine_dl)
		dlclose(keyload_engine_dl);
	keyload_engine_dl = NULL;
	keyload_engine_p11 = NULL;
	free(keyload_engine_module);
	keyload_engine_module = NULL;
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

/* The module's function list, opened once. libp11 has initialised the module
 * by the time a load failed; a second C_Initialize answers "already" (or, by
 * a lenient module, OK), and is never undone here: C_Finalize would end
 * libp11's sessions too. */
static CK_FUNCTION_LIST_PTR
keyload_engine_functions(void)
{
	const char *path = keyload_engine_module;
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_RV rv;

	if (keyload_engine_p11)
		return keyload_engine_p11;
	if (!path && !(path = getenv("PKCS11_MODULE_PATH")))
		path = KEYLOAD_ENGINE_DEFAULT_MODULE;
	if (!keyload_engine_dl && !(keyload_engine_dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
		return NULL;
	if (!(get = (CK_C_GetFunctionList)dlsym(keyload_engine_dl, "C_GetFunctionList")) ||
	    get(&f) != CKR_OK || !f)
		return NULL;
	rv = f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return NULL;
	return keyload_engine_p11 = f;
}

/* libp11 says "object not found" alike for a missing token and a missing
 * object, so the module itself is asked whether one of its tokens matches the
 * URI's token attributes (token, manufacturer, model, serial; RFC 7512). The
 * URI is parsed for any type: parsed for a token only, its object attributes
 * would be unrecognised, and p11-kit matches nothing then. A module that
 * cannot be asked counts as one without the token. */
static enum keyload_fail
keyload_engine_which_missing(const char *uri)
{
	CK_SLOT_ID slots[KEYLOAD_ENGINE_SLOTS_MAX];
	CK_ULONG n = KEYLOAD_ENGINE_SLOTS_MAX, i;
	CK_FUNCTION_LIST_PTR f;
	CK_TOKEN_INFO info;
	P11KitUri *want;
	bool present = false;

	ERR_clear_error();
	if (!(want = p11_kit_uri_new()))
		return KEYLOAD_FAIL_NO_TOKEN;
	if (p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, want) == P11_KIT_URI_OK &&
	    (f = keyload_engine_functions()) && f->C_GetSlotList(CK_TRUE, slots, &n) == CKR_OK) {
		for (i = 0; i < n && !present; i++)
			present = f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
				  p11_kit_uri_match_token_info(want, &info);
	}
	p11_kit_uri_free(want);
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
