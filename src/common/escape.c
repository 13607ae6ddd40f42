/* SPDX-License-Identifier: Apache-2.0 */
/* The one escaping function for peer- and locally-controlled text in logs,
 * answers and TLVs: see escape.h for what is escaped and why. */
#include "config.h"

#include <string.h>

#include "escape.h"

static bool
escape_printable(unsigned char ch)
{
	return ch >= 0x20 && ch < 0x7f;
}

const char *
escape_bytes(const char *in, size_t inlen, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	static const char cut[] = "...";
	size_t i, o = 0, total = 0, limit;

	if (!out || outlen == 0)
		return "";
	out[0] = '\0';
	if (!in || outlen < sizeof(cut))
		return out;
	for (i = 0; i < inlen; i++)
		total += escape_printable((unsigned char)in[i]) ? 1 : 4;
	/* When it is cut, the marker (and the NUL) must fit after the text. */
	limit = total < outlen ? total : outlen - sizeof(cut);
	for (i = 0; i < inlen; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (escape_printable(ch)) {
			if (o + 1 > limit)
				break;
			out[o++] = (char)ch;
		} else {
			if (o + 4 > limit)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (i < inlen)
		memcpy(out + o, cut, sizeof(cut));
	else
		out[o] = '\0';
	return out;
}

const char *
escape_str(const char *in, char *out, size_t outlen)
{
	return escape_bytes(in, in ? strlen(in) : 0, out, outlen);
}

bool
escape_clean(const char *in, size_t inlen)
{
	size_t i;

	for (i = 0; i < inlen; i++)
		if (!escape_printable((unsigned char)in[i]))
			return false;
	return true;
}
