/* SPDX-License-Identifier: Apache-2.0 */
/* Pagent statements: tokens -> a tree of statements (struct pnode), and the
 * files a pagent.conf names (TTLSConfig, CommonTTLSConfig, TcpImage) read and
 * parsed in their place. */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/err.h"
#include "pagent_int.h"

#define PAGENT_MAX_FILES 64
#define PAGENT_MAX_BYTES (64u << 20)

void
pnode_free(struct pnode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nv; i++)
		free(n->v[i]);
	for (i = 0; i < n->nkids; i++)
		pnode_free(n->kids[i]);
	free(n->v);
	free(n->vpos);
	free(n->kids);
	free(n->kw);
	free(n);
}

int
pnode_push(struct pnode *parent, struct pnode *kid)
{
	struct pnode **k = realloc(parent->kids, (parent->nkids + 1) * sizeof(*k));

	if (!k)
		return ATTLS_ENOMEM;
	parent->kids = k;
	parent->kids[parent->nkids++] = kid;
	return 0;
}

static int
pnode_addval(struct pnode *n, const struct ptok *t, const char *file)
{
	char **v = realloc(n->v, (n->nv + 1) * sizeof(*v));
	struct diag_pos *p;

	if (!v)
		return ATTLS_ENOMEM;
	n->v = v;
	if (!(p = realloc(n->vpos, (n->nv + 1) * sizeof(*p))))
		return ATTLS_ENOMEM;
	n->vpos = p;
	if (!(n->v[n->nv] = strndup(t->s, t->len)))
		return ATTLS_ENOMEM;
	n->vpos[n->nv++] = (struct diag_pos){ file, t->line, t->col };
	return 0;
}

struct pparse {
	const struct ptok *t;
	size_t n, i;
	const char *file;
	struct diag_list *dl;
	int r; /* ATTLS_ENOMEM once an allocation failed */
};

static bool
ptok_is(const struct ptok *t, char ch)
{
	return t->len == 1 && t->s[0] == ch;
}

static struct diag_pos
ptok_pos(const struct pparse *P, const struct ptok *t)
{
	return (struct diag_pos){ P->file, t->line, t->col };
}

/* Skips a block nested too deeply, without recursion; P->i is after '{'. */
static void
pagent_skip_block(struct pparse *P)
{
	unsigned depth = 1;

	for (; P->i < P->n && depth; P->i++) {
		if (ptok_is(&P->t[P->i], '{'))
			depth++;
		else if (ptok_is(&P->t[P->i], '}'))
			depth--;
	}
}

static bool pagent_parse_items(struct pparse *P, struct pnode *parent, unsigned depth);

static struct pnode *
pagent_parse_stmt(struct pparse *P, unsigned depth)
{
	const struct ptok *t = &P->t[P->i++], *open;
	struct pnode *n = calloc(1, sizeof(*n));
	unsigned arity;

	if (!n || !(n->kw = strndup(t->s, t->len))) {
		P->r = ATTLS_ENOMEM;
		free(n);
		return NULL;
	}
	n->pos = ptok_pos(P, t);
	arity = pagent_arity(n->kw);
	for (; P->i < P->n && P->t[P->i].line == t->line; P->i++) {
		const struct ptok *v = &P->t[P->i];
		char word[64];

		if (ptok_is(v, '{') || ptok_is(v, '}'))
			break;
		/* "{ TTLSEnabled On  Trace 6 }", "{ LocalPortRange 3 Priority 5 }": after a
		 * parameter's first value a keyword starts the next parameter. */
		snprintf(word, sizeof(word), "%.*s", (int)(v->len < 63 ? v->len : 63), v->s);
		if (n->nv > 0 && pagent_is_keyword(word))
			break;
		if (n->nv >= arity)
			continue;
		if (pnode_addval(n, v, P->file))
			P->r = ATTLS_ENOMEM;
	}
	if (P->i < P->n && ptok_is(&P->t[P->i], '{')) {
		open = &P->t[P->i++];
		n->block = true;
		if (depth + 1 >= PAGENT_MAX_DEPTH) {
			diag_error(P->dl, ptok_pos(P, open), "statements nested deeper than %d levels",
				   PAGENT_MAX_DEPTH);
			pagent_skip_block(P);
		} else if (!pagent_parse_items(P, n, depth + 1)) {
			diag_error(P->dl, ptok_pos(P, open),
				   "'{' of %s is never closed (missing '}')", n->kw);
		}
	}
	return n;
}

/* Parses statements up to the '}' closing this level (true) or the end of the
 * text (false). */
static bool
pagent_parse_items(struct pparse *P, struct pnode *parent, unsigned depth)
{
	struct pnode *n;

	while (P->i < P->n) {
		const struct ptok *t = &P->t[P->i];

		if (ptok_is(t, '}')) {
			P->i++;
			if (depth > 0)
				return true;
			diag_error(P->dl, ptok_pos(P, t), "'}' without a matching '{'");
			continue;
		}
		if (ptok_is(t, '{')) {
			diag_error(P->dl, ptok_pos(P, t),
				   "'{' without a statement before it; write \"Type [name] {\"");
			P->i++;
			pagent_skip_block(P);
			continue;
		}
		if (!(n = pagent_parse_stmt(P, depth)))
			return true;
		if (pnode_push(parent, n)) {
			pnode_free(n);
			P->r = ATTLS_ENOMEM;
			return true;
		}
	}
	return depth == 0;
}

static int
pagent_read(struct diag_list *dl, const char *path, struct diag_pos where, char **text,
	    size_t *len)
{
	struct stat st;
	FILE *f = fopen(path, "r");
	int r = ATTLS_EIO;

	*text = NULL;
	if (!f) {
		diag_error(dl, where, "cannot open \"%s\": %s", path, strerror(errno));
		return ATTLS_EIO;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_error(dl, where, "\"%s\" is not a regular file", path);
	} else if ((size_t)st.st_size > PAGENT_MAX_BYTES) {
		diag_error(dl, where, "\"%s\" is larger than %u MiB", path, PAGENT_MAX_BYTES >> 20);
	} else if (!(*text = malloc((size_t)st.st_size + 1))) {
		r = ATTLS_ENOMEM;
	} else {
		*len = fread(*text, 1, (size_t)st.st_size, f);
		(*text)[*len] = '\0';
		r = 0;
	}
	fclose(f);
	return r;
}

/* Reads one file; 'where' is the include line (or file:0:0 for a top file). */
int
pagent_parse_path(struct pload *L, const char *path, struct diag_pos where, unsigned depth)
{
	char real[PATH_MAX], **seen, *text;
	const char *file;
	size_t len = 0, i;
	int r;

	if (realpath(path, real)) {
		for (i = 0; i < L->nseen; i++)
			if (strcmp(L->seen[i], real) == 0) {
				diag_warning(L->dl, where, "\"%s\" is read already; not read again",
					     path);
				return 0;
			}
		if (L->nseen >= PAGENT_MAX_FILES) {
			diag_error(L->dl, where, "more than %d files included", PAGENT_MAX_FILES);
			return 0;
		}
		if (!(seen = realloc(L->seen, (L->nseen + 1) * sizeof(*seen))) ||
		    !(seen[L->nseen] = strdup(real))) {
			if (seen)
				L->seen = seen;
			return ATTLS_ENOMEM;
		}
		L->seen = seen;
		L->nseen++;
	}
	if ((r = pagent_read(L->dl, path, where, &text, &len)) != 0)
		return r == ATTLS_ENOMEM ? r : 0;
	file = diag_add_source(L->dl, path, text, len);
	r = pagent_parse_file(L, file, text, len, depth);
	free(text);
	return r;
}

/* TTLSConfig PATH, CommonTTLSConfig PATH, TcpImage NAME PATH: read PATH,
 * relative to the including file's folder. */
static int
pagent_include(struct pload *L, const struct pnode *n, unsigned depth)
{
	size_t iv = strcasecmp(n->kw, "TcpImage") == 0 ? 1 : 0;
	char *dir, *path, *d;
	const char *v;
	int r;

	if (n->nv <= iv) {
		if (iv == 0)
			diag_error(L->dl, n->pos, "%s needs a file name", n->kw);
		return 0;
	}
	v = n->v[iv];
	/* "TcpImage TCPIP FLUSH PURGE 600": a stack without an image file. */
	if (iv && (strcasecmp(v, "FLUSH") == 0 || strcasecmp(v, "NOFLUSH") == 0 ||
		   strcasecmp(v, "PURGE") == 0 || strcasecmp(v, "NOPURGE") == 0 ||
		   strspn(v, "0123456789") == strlen(v)))
		return 0;
	if (L->o && L->o->no_include)
		return 0;
	if (strncmp(v, "//", 2) == 0) {
		diag_warning(L->dl, n->vpos[iv], "%s names the MVS data set %s, which Linux cannot "
						 "read: copy it into a file and name that file",
			     n->kw, v);
		return 0;
	}
	if (depth >= PAGENT_MAX_DEPTH) {
		diag_error(L->dl, n->vpos[iv], "files included deeper than %d levels",
			   PAGENT_MAX_DEPTH);
		return 0;
	}
	if (!(dir = strdup(n->pos.file ? n->pos.file : ".")))
		return ATTLS_ENOMEM;
	d = dirname(dir);
	if (v[0] == '/' || strcmp(d, ".") == 0 ||
	    asprintf(&path, "%s%s%s", d, strcmp(d, "/") ? "/" : "", v) < 0)
		path = strdup(v);
	free(dir);
	if (!path)
		return ATTLS_ENOMEM;
	r = pagent_parse_path(L, path, n->vpos[iv], depth + 1);
	free(path);
	return r;
}

int
pagent_parse_file(struct pload *L, const char *file, const char *text, size_t len, unsigned depth)
{
	struct plex lx = { 0 };
	struct pnode top = { 0 };
	struct pparse P = { 0 };
	size_t i;
	int r;

	if ((r = pagent_overlay_read(L, file, text, len)) != 0 ||
	    (r = pagent_lex(text, len, &lx)) != 0)
		goto out;
	P = (struct pparse){ lx.t, lx.n, 0, file, L->dl, 0 };
	(void)pagent_parse_items(&P, &top, 0);
	if ((r = P.r) != 0)
		goto out;
	for (i = 0; i < top.nkids; i++) {
		struct pnode *n = top.kids[i];

		if (pagent_is_include(n->kw) && !n->block)
			r = pagent_include(L, n, depth);
		else if ((r = pnode_push(L->root, n)) == 0)
			top.kids[i] = NULL;
		if (r)
			goto out;
	}
out:
	for (i = 0; i < top.nkids; i++)
		pnode_free(top.kids[i]);
	free(top.kids);
	free(lx.t);
	return r;
}
