/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#11 URI (RFC 7512) recognition and attribute reading for the policy. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tokenuri.h"

#define TOKENURI_SCHEME "pkcs11:"

bool
tokenuri_is(const char *s)
{
	return s && strncasecmp(s, TOKENURI_SCHEME, strlen(TOKENURI_SCHEME)) == 0;
}

static int
tokenuri_hex(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 'n' bytes of 'v' into 'buf', %XX decoded. */
static void
tokenuri_decode(const char *v, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < len; i++) {
		int hi, lo;

		if (v[i] == '%' && i + 2 < n && (hi = tokenuri_hex((unsigned char)v[i + 1])) >= 0 &&
		    (lo = tokenuri_hex((unsigned char)v[i + 2])) >= 0) {
			buf[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			buf[o++] = v[i];
		}
	}
	buf[o] = '\0';
}

bool
tokenuri_attr(const char *uri, const char *name, char *buf, size_t len)
{
	const char *p, *end;
	size_t nl = strlen(name);

	if (len)
		buf[0] = '\0';
	if (!tokenuri_is(uri))
		return false;
	p = uri + strlen(TOKENURI_SCHEME);
	end = p + strcspn(p, "?"); /* the query (pin-source, module-path) is not a path attribute */
	while (p < end) {
		size_t al = strcspn(p, ";?");

		if (p + al > end)
			al = (size_t)(end - p);
		if (al > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			tokenuri_decode(p + nl + 1, al - nl - 1, buf, len);
			return true;
		}
		p += al + (p + al < end);
	}
	return false;
}

/* 'uri' rebuilt: path attributes that 'keep' accepts, then type='type', then
 * the query as it was. */
static char *
tokenuri_rebuild(const char *uri, const char *type, bool (*keep)(const char *attr, size_t len))
{
	size_t qpos = strcspn(uri, "?"), cap = strlen(uri) + strlen(type) + 8, o;
	const char *p = uri + strlen(TOKENURI_SCHEME), *end = uri + qpos;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	o = (size_t)snprintf(out, cap, "%s", TOKENURI_SCHEME);
	while (p < end) {
		size_t al = strcspn(p, ";?");

		if (p + al > end)
			al = (size_t)(end - p);
		if (al && keep(p, al))
			o += (size_t)snprintf(out + o, cap - o, "%.*s;", (int)al, p);
		p += al + (p + al < end);
	}
	snprintf(out + o, cap - o, "type=%s%s", type, uri + qpos);
	return out;
}

static bool
tokenuri_not_type(const char *attr, size_t len)
{
	return !(len >= 5 && strncmp(attr, "type=", 5) == 0);
}

/* The attributes that pick a token (or slot, or module), not an object. */
static bool
tokenuri_token_part(const char *attr, size_t len)
{
	static const char *const names[] = { "token=", "manufacturer=", "serial=", "model=",
					     "slot-", "library-" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len >= strlen(names[i]) && strncmp(attr, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

char *
tokenuri_with_type(const char *uri, const char *type)
{
	return tokenuri_rebuild(uri, type, tokenuri_not_type);
}

char *
tokenuri_token(const char *uri, const char *type)
{
	return tokenuri_rebuild(uri, type, tokenuri_token_part);
}
