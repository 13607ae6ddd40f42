/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#11 URIs (RFC 7512) where the policy takes a key or certificate file:
 * recognising one, and reading its attributes for messages. No PKCS#11 here:
 * the token itself is reached by tls/keyload.c. */
#ifndef ATTLS_TOKENURI_H
#define ATTLS_TOKENURI_H

#include <stdbool.h>
#include <stddef.h>

/* True if 's' is a PKCS#11 URI ("pkcs11:...") rather than a file path. */
bool tokenuri_is(const char *s);

/* The value of path attribute 'name' ("token", "object", "type", "id") of
 * 'uri', percent-decoded into 'buf'; false (and "" in 'buf') if absent. */
bool tokenuri_attr(const char *uri, const char *name, char *buf, size_t len);

/* 'uri' with its "type" attribute set to 'type' ("cert", "private"), added or
 * replaced; the caller frees it. NULL when out of memory. */
char *tokenuri_with_type(const char *uri, const char *type);

/* Only the attributes of 'uri' that pick its token, with "type" 'type': any
 * object of that type on the same token. The caller frees it. */
char *tokenuri_token(const char *uri, const char *type);

#endif
