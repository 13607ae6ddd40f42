/* SPDX-License-Identifier: Apache-2.0 */
/* Setters of the values that hold many items: address lists, code lists
 * (suites, signature schemes, groups), labelled certificates, certificate
 * labels and server name maps; each bad item is reported where it stands. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "policy_int.h"
#include "schema.h"
#include "tlsnames.h"

bool
schema_list_is_set_name(const char *v)
{
	if (!isalpha((unsigned char)v[0]) || strlen(v) > POLICY_NAME_MAX ||
	    strcasecmp(v, "All") == 0)
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr("-_.", *v))
			return false;
	return true;
}

/* The unspecified addresses mean what they mean to bind(): any address of the
 * family. No connection has 0.0.0.0 or :: at either end, so read literally
 * they would match nothing, and a rule listening on 0.0.0.0 would match none
 * of its own connections. */
static const char *
wildcard_addr(const char *v)
{
	if (strcmp(v, "0.0.0.0") == 0)
		return "0.0.0.0/0";
	if (strcmp(v, "::") == 0 || strcmp(v, "::0") == 0)
		return "::/0";
	return v;
}

static const char *
add_addr(const char *v, struct diag_pos pos, struct policy_addrs *as, char *err, size_t errlen)
{
	struct policy_addr_range r, *n;

	if (strcasecmp(v, "All") == 0)
		return NULL; /* an empty list means All */
	v = wildcard_addr(v);
	if (policy_addr_parse(v, &r) != 0 && schema_list_is_set_name(v)) {
		if (schema_list_ref_add(&as->refs, &as->ref_pos, &as->nrefs, v, pos) != 0)
			return "out of memory";
		return NULL;
	}
	if (policy_addr_parse(v, &r) != 0) {
		snprintf(err, errlen, "has \"%s\", which is not an address, addr/prefix or "
				      "addr-addr",
			 v);
		return err;
	}
	if (!(n = realloc(as->ranges, (as->n + 1) * sizeof(*n))))
		return "out of memory";
	as->ranges = n;
	as->ranges[as->n++] = r;
	return NULL;
}

void
schema_list_addrs(const struct ynode *node, struct policy_addrs *as, struct schema_out *out)
{
	const char *e;
	char err[256];
	size_t i;

	bool all = false;

	free(as->ranges);
	as->ranges = NULL;
	as->n = 0;
	as->pos = node->pos;
	if (node->type == YNODE_SCALAR) {
		if ((e = add_addr(node->value, node->pos, as, err, sizeof(err))) != NULL)
			schema_complain(out, ytree_pos_at(node, 0), e);
		return;
	}
	if (node->type != YNODE_SEQ) {
		schema_complain(out, node->pos, "must be an address or a list of addresses");
		return;
	}
	for (i = 0; i < node->n; i++) {
		const struct ynode *it = node->items[i];

		if (it->type != YNODE_SCALAR) {
			schema_complain(out, it->pos, "must be a list of addresses");
			continue;
		}
		all |= strcasecmp(it->value, "All") == 0;
		if ((e = add_addr(it->value, it->pos, as, err, sizeof(err))) != NULL)
			schema_complain(out, ytree_pos_at(it, 0), e);
	}
	/* "All" anywhere in the list makes the whole condition All (empty). */
	if (all)
		schema_list_free_addrs(as);
}

void
schema_list_free_addrs(struct policy_addrs *as)
{
	free(as->ranges);
	as->ranges = NULL;
	as->n = 0;
	schema_list_ref_free(&as->refs, &as->ref_pos, &as->nrefs);
}

int
schema_list_ref_add(char ***refs, struct diag_pos **ref_pos, size_t *nrefs, const char *name,
		    struct diag_pos pos)
{
	char **r = realloc(*refs, (*nrefs + 1) * sizeof(*r));
	struct diag_pos *rp;

	if (!r)
		return ATTLS_ENOMEM;
	*refs = r;
	if (!(rp = realloc(*ref_pos, (*nrefs + 1) * sizeof(*rp))))
		return ATTLS_ENOMEM;
	*ref_pos = rp;
	if (!(r[*nrefs] = strdup(name)))
		return ATTLS_ENOMEM;
	rp[(*nrefs)++] = pos;
	return 0;
}

void
schema_list_ref_free(char ***refs, struct diag_pos **ref_pos, size_t *nrefs)
{
	while (*nrefs)
		free((*refs)[--*nrefs]);
	free(*refs);
	*refs = NULL;
	free(*ref_pos);
	*ref_pos = NULL;
}

static int
codes_add(struct policy_codes *c, uint16_t v)
{
	uint16_t *n;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i] == v)
			return 0; /* repeated codes: the first occurrence counts */
	if (!(n = realloc(c->v, (c->n + 1) * sizeof(*n))))
		return ATTLS_ENOMEM;
	c->v = n;
	c->v[c->n++] = v;
	return 0;
}

static int
hexval(const char *s, size_t len, unsigned *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return ATTLS_EINVAL;
		*out = *out * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0'
						       : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return 0;
}

/* One token of a code list (at byte 'off' of scalar 'it'): a name, or a run of
 * fixed-width codes; each bad code is reported where it stands. */
static void
code_token(enum schema_type t, const struct ynode *it, size_t off, const char *tok,
	   struct policy_codes *c, struct schema_out *out)
{
	const struct tlsname *n = NULL;
	size_t len = strlen(tok), width = t == ST_CIPHERS2 ? 2 : 4, i;
	const char *near;
	char err[256];
	bool digits;
	unsigned v;

	if (t == ST_CIPHERS2 || t == ST_CIPHERS4)
		n = tlsname_cipher_by_name(tok);
	else if (t == ST_SIGALGS)
		n = tlsname_sigalg_by_name(tok);
	else
		n = tlsname_group_by_name(tok);
	if (n) {
		if (codes_add(c, n->code))
			schema_complain(out, it->pos, "out of memory");
		return;
	}
	digits = strspn(tok, t == ST_GROUPS ? "0123456789" : "0123456789abcdefABCDEF") == len;
	near = digits && len % width == 0 ? NULL /* a run of codes */
	       : t == ST_GROUPS		  ? tlsname_group_suggest(tok)
	       : t == ST_SIGALGS ? tlsname_sigalg_suggest(tok)
				 : tlsname_cipher_suggest(tok);
	/* A word of the wrong length, or a typo of a name ("secp384r2"): one error
	 * for the word, with the name it is likely meant to be. */
	if (len == 0 || len % width || near) {
		int k = snprintf(err, sizeof(err), "has \"%s\": not a known name, nor %zu-%s codes",
				 tok, width, t == ST_GROUPS ? "decimal-digit" : "hex-digit");

		if (near && k > 0 && (size_t)k < sizeof(err))
			snprintf(err + k, sizeof(err) - (size_t)k, "; did you mean \"%s\"?", near);
		schema_complain(out, ytree_pos_at(it, off), err);
		return;
	}
	for (i = 0; i < len; i += width) {
		if (t == ST_GROUPS) {
			char d[5] = { 0 };
			memcpy(d, tok + i, 4);
			if (strspn(d, "0123456789") != 4)
				v = 0x10000;
			else
				v = (unsigned)atoi(d);
		} else if (hexval(tok + i, width, &v) != 0) {
			v = 0x10000;
		}
		if (v > 0xffff || (t == ST_GROUPS && !tlsname_group((uint16_t)v)) ||
		    (t == ST_SIGALGS && !tlsname_sigalg((uint16_t)v)) ||
		    ((t == ST_CIPHERS2 || t == ST_CIPHERS4) && !tlsname_cipher((uint16_t)v))) {
			snprintf(err, sizeof(err), "has \"%.*s\", which is not a %s code attlsd knows",
				 (int)width, tok + i,
				 t == ST_GROUPS ? "NamedGroup" : t == ST_SIGALGS ? "SignatureScheme"
										   : "cipher suite");
			schema_complain(out, ytree_pos_at(it, off + i), err);
			if (!digits)
				return; /* not a run of codes after all: one error is enough */
			continue;
		}
		if (codes_add(c, (uint16_t)v))
			schema_complain(out, it->pos, "out of memory");
	}
}

/* A list node or a scalar of blank- or comma-separated tokens ("0023 0024"). */
void
schema_list_codes(const struct schema_row *row, const struct ynode *node,
		  struct policy_codes *c, struct schema_out *out)
{
	const struct ynode *one[1] = { node };
	const struct ynode *const *items = node->type == YNODE_SEQ ? (const struct ynode *const *)node->items : one;
	size_t n = node->type == YNODE_SEQ ? node->n : 1, i;

	free(c->v);
	c->v = NULL;
	c->n = 0;
	if (node->type == YNODE_MAP) {
		schema_complain(out, node->pos, "must be a list of codes or names");
		return;
	}
	for (i = 0; i < n; i++) {
		char *copy, *tok, *save = NULL;

		if (items[i]->type != YNODE_SCALAR) {
			schema_complain(out, items[i]->pos, "must be a list of codes or names");
			continue;
		}
		if (strcasecmp(items[i]->value, "Default") == 0)
			continue;
		if (!(copy = strdup(items[i]->value))) {
			schema_complain(out, items[i]->pos, "out of memory");
			continue;
		}
		for (tok = strtok_r(copy, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save))
			code_token(row->type, items[i], (size_t)(tok - copy), tok, c, out);
		free(copy);
	}
}

void
schema_list_free_certs(struct policy_certs *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].label);
		free(cs->v[i].certificate);
		free(cs->v[i].key);
	}
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
}

/* One label: {certificate: path, key: path}. */
static void
set_cert(const struct schema_ctx *ctx, const struct ynode *k, const struct ynode *v,
	 struct policy_cert *c, struct schema_out *out)
{
	const struct ynode *cn = v->type == YNODE_MAP ? ytree_get(v, "certificate") : NULL;
	const struct ynode *kn = v->type == YNODE_MAP ? ytree_get(v, "key") : NULL;
	char err[256];
	const char *e;

	if (k->type != YNODE_SCALAR || !*k->value || strlen(k->value) > POLICY_LABEL_MAX) {
		snprintf(err, sizeof(err), "has a label at line %u that is not 1 to %d characters",
			 k->pos.line, POLICY_LABEL_MAX);
		schema_complain(out, k->pos, err);
		return;
	}
	if (!(c->label = strdup(k->value))) {
		schema_complain(out, k->pos, "out of memory");
		return;
	}
	if (!cn || !kn || cn->type != YNODE_SCALAR || kn->type != YNODE_SCALAR ||
	    v->n != 4) {
		snprintf(err, sizeof(err), "label \"%s\" must have exactly \"certificate\" and "
					   "\"key\"",
			 k->value);
		schema_complain(out, v->pos, err);
		return;
	}
	if ((e = schema_path_set(ctx, cn->value, &c->certificate)) != NULL)
		schema_complain(out, ytree_pos_at(cn, 0), e);
	if ((e = schema_path_set(ctx, kn->value, &c->key)) != NULL)
		schema_complain(out, ytree_pos_at(kn, 0), e);
}

void
schema_list_certs(const struct schema_ctx *ctx, const struct ynode *node,
		  struct policy_certs *cs, struct schema_out *out)
{
	char err[256];
	size_t i, j;

	schema_list_free_certs(cs);
	if (node->type != YNODE_MAP) {
		schema_complain(out, node->pos, "must be a map of label to {certificate, key}");
		return;
	}
	if (!(cs->v = calloc(node->n / 2 + 1, sizeof(*cs->v)))) {
		schema_complain(out, node->pos, "out of memory");
		return;
	}
	for (i = 0; i + 1 < node->n; i += 2) {
		const struct ynode *k = node->items[i];

		for (j = 0; j < cs->n; j++)
			if (cs->v[j].label && k->value && strcmp(cs->v[j].label, k->value) == 0)
				break;
		if (j < cs->n) {
			snprintf(err, sizeof(err), "has label \"%s\" twice", k->value);
			schema_complain(out, k->pos, err);
			continue;
		}
		set_cert(ctx, k, node->items[i + 1], &cs->v[cs->n++], out);
	}
}

static const char *
add_label(struct policy_labels *l, const char *v, char *err, size_t errlen)
{
	if (!*v || strlen(v) > POLICY_LABEL_MAX) {
		snprintf(err, errlen, "has label \"%s\", which is not 1 to %d characters", v,
			 POLICY_LABEL_MAX);
		return err;
	}
	if (l->n == POLICY_SERVER_LABELS) {
		snprintf(err, errlen, "has more than %d labels", POLICY_SERVER_LABELS);
		return err;
	}
	return (l->v[l->n++] = strdup(v)) ? NULL : "out of memory";
}

void
schema_list_free_labels(struct policy_labels *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

void
schema_list_labels(const struct ynode *node, struct policy_labels *l, struct schema_out *out)
{
	const char *e;
	char err[256];
	size_t i;

	schema_list_free_labels(l);
	if (node->type == YNODE_SCALAR) {
		if ((e = add_label(l, node->value, err, sizeof(err))) != NULL)
			schema_complain(out, ytree_pos_at(node, 0), e);
		return;
	}
	if (node->type != YNODE_SEQ) {
		schema_complain(out, node->pos, "must be a label or a list of labels");
		return;
	}
	for (i = 0; i < node->n; i++) {
		if (node->items[i]->type != YNODE_SCALAR) {
			schema_complain(out, node->items[i]->pos, "must be a list of labels");
			continue;
		}
		if (l->n == POLICY_SERVER_LABELS) { /* at the first label too many, once */
			snprintf(err, sizeof(err), "has more than %d labels", POLICY_SERVER_LABELS);
			schema_complain(out, ytree_pos_at(node->items[i], 0), err);
			break;
		}
		if ((e = add_label(l, node->items[i]->value, err, sizeof(err))) != NULL)
			schema_complain(out, ytree_pos_at(node->items[i], 0), e);
	}
}

#define SNI_MAX 64

void
schema_list_free_sni(struct policy_sni_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].label);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* A DNS name as clients send it in SNI, or "*." and one. */
static bool
sni_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	if (len == 0 || len > 253 || !*s || *s == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-._", *s))
			return false;
	return true;
}

/* {server name: label, ...}: ServerHandshakeSNIList. */
void
schema_list_sni(const struct ynode *node, struct policy_sni_map *m, struct schema_out *out)
{
	char err[512];
	size_t i, j;

	schema_list_free_sni(m);
	if (node->type != YNODE_MAP) {
		schema_complain(out, node->pos, "must be a map of server name to certificate label");
		return;
	}
	if (node->n / 2 > SNI_MAX) {
		snprintf(err, sizeof(err), "has more than %d names", SNI_MAX);
		schema_complain(out, node->items[2 * SNI_MAX]->pos, err);
		return;
	}
	if (!(m->v = calloc(node->n / 2 + 1, sizeof(*m->v)))) {
		schema_complain(out, node->pos, "out of memory");
		return;
	}
	for (i = 0; i + 1 < node->n; i += 2) {
		const struct ynode *k = node->items[i], *v = node->items[i + 1];

		if (k->type != YNODE_SCALAR || !sni_name_ok(k->value)) {
			snprintf(err, sizeof(err), "has \"%s\", which is not a server name (a DNS "
						   "name, or *. and one)",
				 k->type == YNODE_SCALAR ? k->value : "?");
			schema_complain(out, ytree_pos_at(k, 0), err);
			continue;
		}
		if (v->type != YNODE_SCALAR || !*v->value || strlen(v->value) > POLICY_LABEL_MAX) {
			snprintf(err, sizeof(err), "maps \"%s\" to something that is not a label of "
						   "1 to %d characters",
				 k->value, POLICY_LABEL_MAX);
			schema_complain(out, ytree_pos_at(v, 0), err);
			continue;
		}
		for (j = 0; j < m->n; j++)
			if (strcasecmp(m->v[j].name, k->value) == 0)
				break;
		if (j < m->n) {
			snprintf(err, sizeof(err), "has server name \"%s\" twice", k->value);
			schema_complain(out, ytree_pos_at(k, 0), err);
			continue;
		}
		if (!(m->v[m->n].name = strdup(k->value)) ||
		    !(m->v[m->n].label = strdup(v->value))) {
			free(m->v[m->n].name);
			m->v[m->n].name = NULL;
			schema_complain(out, k->pos, "out of memory");
			continue;
		}
		m->n++;
	}
}
