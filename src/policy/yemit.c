/* SPDX-License-Identifier: Apache-2.0 */
/* yemit_tree(): prints a ynode tree as block-style YAML, in tree order, so
 * `attlsctl import` output reads like a hand-written policy; yemit_pagent():
 * all of `attlsctl import pagent` that needs the tree. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pagent.h"
#include "ytree.h"

#define YEMIT_MAX_MAP (1u << 20)

/* Plain YAML reads 's' back as the same string (libyaml gives our loader the
 * raw text of plain scalars, so only the syntax matters, not YAML 1.1 types). */
static bool
yemit_is_plain(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || s[0] == ' ' || s[len - 1] == ' ' || s[len - 1] == ':')
		return false;
	if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch >= 0x80)
			return false;
		if ((ch == ':' && s[i + 1] == ' ') || (ch == ' ' && s[i + 1] == '#'))
			return false;
		if (ch == ',' || ch == '[' || ch == ']' || ch == '{' || ch == '}')
			return false;
	}
	return true;
}

/* Length of the UTF-8 sequence at 's' and its code point, or 0 if invalid. */
static size_t
yemit_utf8(const unsigned char *s, unsigned long *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, *cp = s[0] & 0x1fu;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, *cp = s[0] & 0x0fu;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, *cp = s[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3fu);
	}
	if ((n == 2 && *cp < 0x80) || (n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/* YAML's printable set: what may appear unescaped in a quoted scalar. */
static bool
yemit_printable(unsigned long cp)
{
	return (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 || (cp >= 0xa0 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

static void
yemit_scalar(const char *s, FILE *out)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t n;

	if (yemit_is_plain(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	while (*p) {
		if (!(n = yemit_utf8(p, &cp))) {
			fprintf(out, "\\x%02x", *p++); /* not UTF-8: the byte's value */
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (!yemit_printable(cp) && cp <= 0xff)
			fprintf(out, "\\x%02lx", cp);
		else if (!yemit_printable(cp))
			fprintf(out, "\\U%08lx", cp);
		else
			fwrite(p, 1, n, out);
		p += n;
	}
	fputc('"', out);
}

static void yemit_node(const struct ynode *n, unsigned indent, FILE *out);

/* The value after "key:" or "-": scalars and empty collections inline,
 * anything else on the following lines, indented. */
static void
yemit_value(const struct ynode *v, unsigned indent, FILE *out)
{
	if (v->type == YNODE_SCALAR) {
		fputc(' ', out);
		yemit_scalar(v->value ? v->value : "", out);
		fputc('\n', out);
	} else if (v->n == 0) {
		fputs(v->type == YNODE_MAP ? " {}\n" : " []\n", out);
	} else {
		fputc('\n', out);
		yemit_node(v, indent + 2, out);
	}
}

static void
yemit_node(const struct ynode *n, unsigned indent, FILE *out)
{
	size_t i;

	if (n->type == YNODE_SCALAR) {
		fprintf(out, "%*s", (int)indent, "");
		yemit_scalar(n->value ? n->value : "", out);
		fputc('\n', out);
		return;
	}
	if (n->n == 0) {
		fprintf(out, "%*s%s\n", (int)indent, "", n->type == YNODE_MAP ? "{}" : "[]");
		return;
	}
	for (i = 0; i < n->n; i++) {
		fprintf(out, "%*s", (int)indent, "");
		if (n->type == YNODE_SEQ) {
			fputc('-', out);
			yemit_value(n->items[i], indent, out);
			continue;
		}
		if (i + 1 >= n->n)
			break;
		yemit_scalar(n->items[i]->value ? n->items[i]->value : "", out);
		fputc(':', out);
		yemit_value(n->items[i + 1], indent, out);
		/* A blank line between top-level sections and between entries. */
		if (indent == 0 && i + 2 < n->n && n->items[i + 1]->type == YNODE_MAP)
			fputc('\n', out);
		i++;
	}
}

void
yemit_tree(const struct ynode *root, FILE *out)
{
	if (root)
		yemit_node(root, 0, out);
}

/* Reads the keyring map: a YAML mapping of ring name -> mapping of paths. */
static int
yemit_read_map(const char *path, struct ynode **out, struct diag_list *dl)
{
	struct diag_pos pos = { diag_add_source(dl, path, NULL, 0), 0, 0 };
	char *text = NULL;
	const char *file;
	size_t len;
	FILE *f;
	int r;

	*out = NULL;
	if (!(f = fopen(path, "r"))) {
		diag_error(dl, pos, "cannot open the keyring map: %s", strerror(errno));
		return ATTLS_EIO;
	}
	if (!(text = malloc(YEMIT_MAX_MAP + 1))) {
		fclose(f);
		return ATTLS_ENOMEM;
	}
	len = fread(text, 1, YEMIT_MAX_MAP, f);
	fclose(f);
	text[len] = '\0';
	file = diag_add_source(dl, path, text, len);
	r = ytree_parse(file, text, len, out, dl);
	free(text);
	if (r == 0 && (*out)->type != YNODE_MAP) {
		diag_error(dl, (*out)->pos, "the keyring map must map ring names to "
					    "{ certificate, key, trusted_ca }");
		r = ATTLS_EINVAL;
	}
	return r;
}

int
yemit_pagent(const char *const *paths, size_t n, const struct pagent_opts *o,
	     const char *map_path, const char *comment, FILE *out, struct diag_list *dl)
{
	struct pagent_opts opts = *o;
	struct ynode *map = NULL, *root = NULL;
	int r;

	if (map_path && (r = yemit_read_map(map_path, &map, dl)) != 0)
		goto out;
	opts.keyring_map = map;
	if ((r = pagent_load(paths, n, &opts, &root, dl)) != 0)
		goto out;
	if (comment)
		fprintf(out, "# %s\n", comment);
	yemit_tree(root, out);
out:
	ytree_free(map);
	ytree_free(root);
	return r;
}
