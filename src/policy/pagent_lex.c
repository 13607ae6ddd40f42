/* SPDX-License-Identifier: Apache-2.0 */
/* The pagent lexer: words, '{' and '}' with their line and column; '#' starts
 * a comment up to the end of the line. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>

#include "common/err.h"
#include "pagent_int.h"

static int
pagent_lex_push(struct plex *lx, const char *s, unsigned len, unsigned line, unsigned col)
{
	if (lx->n == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 256;
		struct ptok *t = realloc(lx->t, cap * sizeof(*t));

		if (!t)
			return ATTLS_ENOMEM;
		lx->t = t;
		lx->cap = cap;
	}
	lx->t[lx->n++] = (struct ptok){ s, len, line, col };
	return 0;
}

/* Words, '{' and '}'; '#' starts a comment up to the end of the line. */
int
pagent_lex(const char *text, size_t len, struct plex *lx)
{
	unsigned line = 1, col = 1;
	size_t i = 0, j;

	while (i < len) {
		char ch = text[i];

		if (ch == '\n') {
			line++;
			col = 1;
			i++;
		} else if (ch == '#') {
			while (i < len && text[i] != '\n')
				i++;
		} else if (isspace((unsigned char)ch) || ch == '\0') {
			i++;
			col++;
		} else if (ch == '{' || ch == '}') {
			if (pagent_lex_push(lx, text + i, 1, line, col))
				return ATTLS_ENOMEM;
			i++;
			col++;
		} else {
			for (j = i; j < len && !isspace((unsigned char)text[j]) && text[j] != '{' &&
				    text[j] != '}' && text[j] != '#' && text[j] != '\0';
			     j++)
				;
			if (j - i > 4096)
				j = i + 4096;
			if (pagent_lex_push(lx, text + i, (unsigned)(j - i), line, col))
				return ATTLS_ENOMEM;
			col += (unsigned)(j - i);
			i = j;
		}
	}
	return 0;
}
