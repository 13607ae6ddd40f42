/* SPDX-License-Identifier: Apache-2.0 */
/* The attls overlay of a pagent file: YAML in "# attls-yaml: " comment lines,
 * which z/OS ignores, holding what Policy Agent statements cannot say (a
 * backend, interception, keyring files, settings). `attlsctl export pagent`
 * writes it so that importing the export gives the policy back; the import
 * merges it over the converted statements, key by key. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pagent_int.h"

#define OVERLAY_PREFIX "# attls-yaml:"

/* Copies the overlay lines of 'text' (the rest of each line after the prefix
 * and one blank), other lines left empty so that line numbers stay. */
static char *
pagent_overlay_text(const char *text, size_t len, size_t *olen, bool *any)
{
	size_t plen = strlen(OVERLAY_PREFIX), i = 0, n = 0, e, s;
	char *buf = malloc(len + 1);

	*any = false;
	if (!buf)
		return NULL;
	while (i < len) {
		for (e = i; e < len && text[e] != '\n'; e++)
			;
		for (s = i; s < e && (text[s] == ' ' || text[s] == '\t'); s++)
			;
		if (e - s >= plen && strncmp(text + s, OVERLAY_PREFIX, plen) == 0) {
			s += plen;
			if (s < e && text[s] == ' ')
				s++;
			memcpy(buf + n, text + s, e - s);
			n += e - s;
			*any = true;
		}
		if (e < len)
			buf[n++] = '\n';
		i = e + 1;
	}
	buf[n] = '\0';
	*olen = n;
	return buf;
}

/* A deep copy that keeps each node's position and quoting. */
static struct ynode *
pagent_overlay_copy(const struct ynode *n)
{
	struct ynode *c = n->type == YNODE_SCALAR ? ytree_scalar(n->value, n->pos)
						   : ytree_new(n->type, n->pos);
	size_t i;

	if (!c)
		return NULL;
	c->quoted = n->quoted;
	c->exact = n->exact;
	for (i = 0; i < n->n; i++)
		if (ytree_push(c, pagent_overlay_copy(n->items[i])) != 0) {
			ytree_free(c);
			return NULL;
		}
	return c;
}

/* dst[key] = copy of v, replacing an old value; maps below 'depth' merge. */
static int
pagent_overlay_merge(struct ynode *dst, const struct ynode *src, unsigned depth)
{
	size_t i, j;
	int r;

	for (i = 0; i + 1 < src->n; i += 2) {
		const struct ynode *k = src->items[i], *v = src->items[i + 1];
		struct ynode *old = NULL, *copy;

		for (j = 0; j + 1 < dst->n; j += 2)
			if (strcmp(dst->items[j]->value, k->value) == 0) {
				old = dst->items[j + 1];
				break;
			}
		if (old && depth > 0 && old->type == YNODE_MAP && v->type == YNODE_MAP) {
			if ((r = pagent_overlay_merge(old, v, depth - 1)) != 0)
				return r;
			continue;
		}
		if (!(copy = pagent_overlay_copy(v)))
			return ATTLS_ENOMEM;
		if (old) {
			ytree_free(old);
			dst->items[j + 1] = copy;
		} else if ((r = ytree_put(dst, k->value, k->pos, copy)) != 0) {
			return r;
		}
	}
	return 0;
}

int
pagent_overlay_read(struct pload *L, const char *file, const char *text, size_t len)
{
	struct ynode *tree = NULL;
	size_t olen;
	bool any;
	char *buf = pagent_overlay_text(text, len, &olen, &any);
	int r;

	if (!buf)
		return ATTLS_ENOMEM;
	if (!any) {
		free(buf);
		return 0;
	}
	r = ytree_parse(file, buf, olen, &tree, L->dl);
	free(buf);
	if (r != 0)
		return 0; /* the YAML error is in L->dl */
	if (tree->type != YNODE_MAP) {
		diag_error(L->dl, tree->pos, "the attls-yaml lines must form a YAML mapping");
	} else if (!L->overlay) {
		L->overlay = tree;
		return 0;
	} else if ((r = pagent_overlay_merge(L->overlay, tree, 3)) != 0) {
		ytree_free(tree);
		return r;
	}
	ytree_free(tree);
	return 0;
}

const struct ynode *
pagent_overlay_get(const struct pconv *c, const char *section, const char *name)
{
	return c->overlay ? ytree_get(ytree_get(c->overlay, section), name) : NULL;
}

/* Merges the overlay into the converted sections: an entry's keys over the
 * statement's; whole entries, settings and other sections are added. The
 * keyrings were taken as a keyring map already, which merging repeats. */
void
pagent_overlay_apply(struct pconv *c, struct ynode **extra)
{
	const struct ynode *ov = c->overlay;
	size_t i;
	int s;

	for (i = 0; ov && i + 1 < ov->n && !c->r; i += 2) {
		const struct ynode *k = ov->items[i], *v = ov->items[i + 1];
		struct ynode **dst = NULL;

		if (strcmp(k->value, "version") == 0)
			continue;
		for (s = 0; s < SEC_N && !dst; s++)
			if (strcmp(k->value, pagent_sec_key(s)) == 0)
				dst = &c->sec[s];
		if (!dst && strcmp(k->value, "settings") == 0)
			dst = &c->settings;
		else if (!dst && strcmp(k->value, "identity_maps") == 0)
			dst = &c->idmaps;
		if (!dst) { /* a section of its own (filters, ...): as it is */
			struct ynode one = { .type = YNODE_MAP, .items = &ov->items[i], .n = 2 };

			if (!*extra && !(*extra = conv_new(c, YNODE_MAP, v->pos)))
				return;
			(void)conv_ok(c, pagent_overlay_merge(*extra, &one, 0));
			continue;
		}
		if (v->type != YNODE_MAP) {
			diag_error(c->dl, v->pos, "attls-yaml \"%s\" must be a mapping", k->value);
			continue;
		}
		if (!*dst && !(*dst = conv_new(c, YNODE_MAP, v->pos)))
			return;
		(void)conv_ok(c, pagent_overlay_merge(*dst, v, 1));
	}
}
