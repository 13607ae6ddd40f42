/* SPDX-License-Identifier: Apache-2.0 */
/* ST_PATH values: ${VAR} and ${VAR:-default} from the environment, and paths
 * relative to the policy file's folder (a pkcs11: URI is left as it is). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "tokenuri.h"

/* Expands ${VAR} and ${VAR:-default} from the environment. */
static char *
expand_vars(const char *s, const char **err)
{
	size_t cap = strlen(s) + 64, len = 0;
	char *out = malloc(cap);

	*err = NULL;
	if (!out)
		return NULL;
	while (*s) {
		const char *val = NULL, *end, *colon;
		char name[128];
		size_t vlen, nlen;

		if (s[0] != '$' || s[1] != '{') {
			val = s;
			vlen = 1;
			s++;
		} else {
			if (!(end = strchr(s, '}'))) {
				*err = "has an unterminated ${";
				free(out);
				return NULL;
			}
			colon = strstr(s, ":-");
			nlen = (size_t)((colon && colon < end ? colon : end) - (s + 2));
			if (nlen == 0 || nlen >= sizeof(name)) {
				*err = "has an empty or too long ${NAME}";
				free(out);
				return NULL;
			}
			memcpy(name, s + 2, nlen);
			name[nlen] = '\0';
			val = getenv(name);
			if ((!val || !*val) && colon && colon < end) {
				val = colon + 2;
				vlen = (size_t)(end - val);
			} else if (!val) {
				*err = "names an environment variable that is not set";
				free(out);
				return NULL;
			} else {
				vlen = strlen(val);
			}
			s = end + 1;
		}
		if (len + vlen + 1 > cap) {
			char *n;
			cap = (len + vlen + 1) * 2;
			if (!(n = realloc(out, cap))) {
				free(out);
				return NULL;
			}
			out = n;
		}
		memcpy(out + len, val, vlen);
		len += vlen;
	}
	out[len] = '\0';
	return out;
}

const char *
schema_path_set(const struct schema_ctx *ctx, const char *v, char **field)
{
	const char *err;
	char *exp = expand_vars(v, &err), *full;

	if (!exp)
		return err ? err : "out of memory";
	if (!*exp) {
		free(exp);
		return "is an empty path";
	}
	/* A pkcs11: URI names a token object, not a file: no folder in front of it. */
	if (exp[0] != '/' && !tokenuri_is(exp) && ctx && ctx->basedir &&
	    strcmp(ctx->basedir, ".") != 0) {
		if (asprintf(&full, "%s/%s", ctx->basedir, exp) < 0) {
			free(exp);
			return "out of memory";
		}
		free(exp);
		exp = full;
	}
	free(*field);
	*field = exp;
	return NULL;
}
