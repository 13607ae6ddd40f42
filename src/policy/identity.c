/* SPDX-License-Identifier: Apache-2.0 */
/* Identity maps (SAFCheck): DN parsing, RDN comparison, and the lookup of a
 * certificate's user ID by fingerprint or by the most specific name filter. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "identity.h"
#include "schema.h"
#include "ytree.h"

/* Attribute type spellings that mean the same thing (RACF, OpenSSL, RFC 4514). */
static const char *const type_alias[][2] = {
	{ "E", "EMAILADDRESS" }, { "EMAIL", "EMAILADDRESS" }, { "S", "ST" }, { "SP", "ST" },
	{ "STREET", "STREET" },  { "T", "TITLE" },
};

static const char *
canon_type(const char *t, size_t len, char *buf, size_t blen)
{
	size_t i;

	if (len >= blen)
		len = blen - 1;
	for (i = 0; i < len; i++)
		buf[i] = (char)toupper((unsigned char)t[i]);
	buf[len] = '\0';
	for (i = 0; i < sizeof(type_alias) / sizeof(type_alias[0]); i++)
		if (strcmp(buf, type_alias[i][0]) == 0)
			return type_alias[i][1];
	return buf;
}

static int
hexnib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The next attribute of a canonical RDN ("CN=a\+b+OU=x"): its type and value,
 * up to an unescaped '+'. Returns where the next one starts, or NULL at the end. */
static const char *
next_ava(const char *p, const char **type, size_t *tlen, const char **val, size_t *vlen)
{
	const char *eq = strchr(p, '='), *q;

	if (!*p || !eq)
		return NULL;
	*type = p;
	*tlen = (size_t)(eq - p);
	for (q = eq + 1; *q && *q != '+'; q++)
		if (*q == '\\' && q[1])
			q++;
	*val = eq + 1;
	*vlen = (size_t)(q - (eq + 1));
	return *q ? q + 1 : q;
}

static int
ava_equal(const char *ta, size_t tla, const char *va, size_t vla, const char *tb, size_t tlb,
	  const char *vb, size_t vlb)
{
	char ca[64], cb[64];

	if (strcmp(canon_type(ta, tla, ca, sizeof(ca)), canon_type(tb, tlb, cb, sizeof(cb))) != 0)
		return 0;
	return vla == vlb && memcmp(va, vb, vla) == 0; /* values exactly, as RACF filters */
}

/* Whether every attribute of 'a' has an equal one in 'b' (RDN parts are a set). */
static int
rdn_subset(const char *a, const char *b, size_t *count)
{
	const char *pa = a, *ta, *va;
	size_t tla, vla, n = 0;

	while ((pa = next_ava(pa, &ta, &tla, &va, &vla)) != NULL) {
		const char *pb = b, *tb, *vb;
		size_t tlb, vlb;
		int found = 0;

		n++;
		while (!found && (pb = next_ava(pb, &tb, &tlb, &vb, &vlb)) != NULL)
			found = ava_equal(ta, tla, va, vla, tb, tlb, vb, vlb);
		if (!found)
			return 0;
	}
	*count = n;
	return n > 0;
}

int
identity_rdn_equal(const char *a, const char *b)
{
	size_t na = 0, nb = 0;

	/* Both canonical RFC 4514 (identity_dn_parse, identity_ava): a '+' inside a
	 * value is escaped, so "CN=x\+OU=y" is one attribute and "CN=x+OU=y" two. */
	return rdn_subset(a, b, &na) && rdn_subset(b, a, &nb) && na == nb;
}

const char *
identity_ava(const char *type, const char *val, size_t vlen, char **out)
{
	size_t tlen = strlen(type), i, o;
	char *r;

	*out = NULL;
	if (memchr(val, '\0', vlen))
		return "contains a NUL byte";
	if (!(r = malloc(tlen + 1 + 2 * vlen + 1)))
		return "out of memory";
	memcpy(r, type, tlen);
	o = tlen;
	r[o++] = '=';
	for (i = 0; i < vlen; i++) {
		char c = val[i];
		if (strchr("\\\"+,;<>", c) || ((c == ' ' || c == '#') && i == 0) ||
		    (c == ' ' && i + 1 == vlen))
			r[o++] = '\\';
		r[o++] = c;
	}
	r[o] = '\0';
	*out = r;
	return NULL;
}

void
identity_rdns_free(char **rdns, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(rdns[i]);
	free(rdns);
}

/* The value of one attribute at 's', unescaped (\c and \XX) into 'v', up to an
 * unescaped '+', ',' or ';'; blanks around it trimmed unless escaped. */
static void
ava_value(const char **s, char *v, size_t *vlen)
{
	const char *p = *s;
	size_t o = 0, keep = 0;

	while (*p == ' ')
		p++;
	for (; *p && *p != ',' && *p != ';' && *p != '+'; p++) {
		if (*p == '\\' && p[1]) {
			int hi = hexnib(p[1]), lo = hi >= 0 && p[2] ? hexnib(p[2]) : -1;
			if (hi >= 0 && lo >= 0) {
				v[o++] = (char)(hi << 4 | lo);
				p += 2;
			} else {
				v[o++] = *++p;
			}
			keep = o; /* an escaped blank is part of the value */
			continue;
		}
		v[o++] = *p;
	}
	while (o > keep && v[o - 1] == ' ')
		o--;
	*vlen = o;
	*s = p;
}

/* One RDN from 's' up to an unescaped ',' (or ';'), in canonical RFC 4514 form:
 * each attribute's value unescaped, then escaped again as identity_ava() does,
 * so that a filter and a certificate's name compare as strings. */
static const char *
next_rdn(const char **s, char **out)
{
	static const char *const bad = "is not a distinguished name of TYPE=value parts "
				       "(\"CN=name,O=org\")";
	const char *p = *s, *e = NULL;
	size_t len = strlen(p), vlen, o = 0;
	char *r = malloc(2 * len + 2), *v = malloc(len + 1), *ava = NULL, type[64];

	*out = NULL;
	if (!r || !v) {
		e = "out of memory";
		goto out;
	}
	r[0] = '\0';
	for (;;) {
		size_t tl;

		while (*p == ' ')
			p++;
		for (tl = 0; p[tl] && !strchr("=,;+", p[tl]); tl++)
			;
		while (tl > 0 && p[tl - 1] == ' ')
			tl--;
		if (tl == 0 || tl >= sizeof(type) || !strchr(p, '=')) {
			e = bad;
			goto out;
		}
		memcpy(type, p, tl);
		type[tl] = '\0';
		p += strcspn(p, "=,;+");
		if (*p != '=') {
			e = bad;
			goto out;
		}
		p++;
		ava_value(&p, v, &vlen);
		if (vlen == 0) {
			e = bad;
			goto out;
		}
		if ((e = identity_ava(type, v, vlen, &ava)) != NULL)
			goto out;
		o += (size_t)snprintf(r + o, 2 * len + 2 - o, "%s%s", o ? "+" : "", ava);
		free(ava);
		ava = NULL;
		if (*p != '+')
			break;
		p++;
	}
	*s = *p ? p + 1 : p;
	*out = r;
	r = NULL;
out:
	free(r);
	free(v);
	return e;
}

const char *
identity_dn_parse(const char *dn, char ***rdns, size_t *n)
{
	const char *p = dn, *e = NULL;
	char **v = NULL, **nv, *r = NULL;
	size_t k = 0;

	*rdns = NULL;
	*n = 0;
	while (*p && !e) {
		if ((e = next_rdn(&p, &r)) != NULL)
			break;
		if (!(nv = realloc(v, (k + 1) * sizeof(*v)))) {
			e = "out of memory";
			break;
		}
		v = nv;
		v[k++] = r;
		r = NULL;
	}
	free(r);
	if (!e && k == 0)
		e = "is an empty distinguished name";
	if (e) {
		identity_rdns_free(v, k);
		return e;
	}
	*rdns = v;
	*n = k;
	return NULL;
}

const char *
identity_user_check(const char *u)
{
	size_t len = strlen(u);

	if (len == 0 || len > IDENTITY_USER_MAX)
		return "must be a user ID of 1 to 32 characters";
	if (u[0] == '-' || strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789._-@#$") != len)
		return "must be a user ID of letters, digits and . _ - @ # $ (not starting "
		       "with -)";
	return NULL;
}

/* How many RDNs at the end of 'dn' equal those at the end of 'f'. */
static size_t
suffix_matched(char *const *f, size_t nf, const char *const *dn, size_t nd)
{
	size_t k;

	for (k = 0; k < nf && k < nd; k++)
		if (!identity_rdn_equal(f[nf - 1 - k], dn[nd - 1 - k]))
			break;
	return k;
}

void
identity_map_lookup(const struct policy_identity_map *m, const char *const *subject,
		    size_t nsubject, const char *const *issuer, size_t nissuer,
		    const uint8_t sha256[32], struct identity_match *res)
{
	const struct policy_id_filter *best = NULL;
	size_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; sha256 && i < m->certs.n; i++)
		if (memcmp(m->certs.v[i].sha256, sha256, 32) == 0) {
			res->cert = &m->certs.v[i];
			res->user = m->certs.v[i].user;
			return;
		}
	for (i = 0; i < m->filters.n; i++) {
		const struct policy_id_filter *f = &m->filters.v[i];
		size_t ms = suffix_matched(f->subject, f->nsubject, subject, nsubject);
		size_t mi = suffix_matched(f->issuer, f->nissuer, issuer, nissuer);

		if (ms == f->nsubject && mi == f->nissuer) {
			if (!best || f->nsubject > best->nsubject ||
			    (f->nsubject == best->nsubject && f->nissuer > best->nissuer))
				best = f;
		} else if (!best && ms + mi > res->matched) {
			res->filter = f; /* nearest miss so far, for the cause line */
			res->matched = (unsigned)(ms + mi);
			res->total = (unsigned)(f->nsubject + f->nissuer);
		}
	}
	if (best) {
		res->filter = best;
		res->user = best->user;
		res->matched = res->total = (unsigned)(best->nsubject + best->nissuer);
	}
}


/* 64 hex digits, colons allowed between bytes (openssl x509 -fingerprint). */
static int
parse_sha256(const char *s, uint8_t out[32])
{
	size_t k = 0;

	while (*s && k < 32) {
		int hi = hexnib(s[0]), lo = hi >= 0 ? hexnib(s[1]) : -1;
		if (hi < 0 || lo < 0)
			return ATTLS_EINVAL;
		out[k++] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (*s == ':' && k < 32)
			s++;
	}
	return k == 32 && !*s ? 0 : ATTLS_EINVAL;
}

static const char *
scalar_of(const struct ynode *m, const char *key, const char **out)
{
	const struct ynode *v = ytree_get(m, key);

	*out = NULL;
	if (!v)
		return NULL;
	if (v->type != YNODE_SCALAR || !*v->value)
		return "must be a non-empty string";
	*out = v->value;
	return NULL;
}

/* Every key of 'm' must be one of 'keys'. */
static const char *
only_keys(const struct ynode *m, const char *const *keys, char *err, size_t errlen,
	  struct diag_pos *at)
{
	size_t i, j;

	for (i = 0; i + 1 < m->n; i += 2) {
		/* A YAML key may be a list or a map ("? [a]: b"): it has no value. */
		if (m->items[i]->type != YNODE_SCALAR || !m->items[i]->value) {
			snprintf(err, errlen, "has a key that is not a string at line %u",
				 m->items[i]->pos.line);
			*at = m->items[i]->pos;
			return err;
		}
		for (j = 0; keys[j] && strcmp(m->items[i]->value, keys[j]) != 0; j++)
			;
		if (!keys[j]) {
			snprintf(err, errlen, "has unknown key \"%s\" at line %u", m->items[i]->value,
				 m->items[i]->pos.line);
			*at = m->items[i]->pos;
			return err;
		}
	}
	return NULL;
}

/* Where the value of 'key' is, or the entry when it has none. */
static struct diag_pos
value_pos(const struct ynode *m, const char *key)
{
	const struct ynode *v = ytree_get(m, key);

	return v ? ytree_pos_at(v, 0) : m->pos;
}

static const char *
entry_user(const struct ynode *m, char **user, char *err, size_t errlen, struct diag_pos *at)
{
	const char *u, *e;

	*at = value_pos(m, "user");
	if ((e = scalar_of(m, "user", &u)) != NULL || !u) {
		snprintf(err, errlen, "has an entry without \"user\" at line %u", m->pos.line);
		return err;
	}
	if ((e = identity_user_check(u)) != NULL) {
		snprintf(err, errlen, "has user \"%s\" at line %u, which %s", u, m->pos.line, e);
		return err;
	}
	return (*user = strdup(u)) ? NULL : "out of memory";
}

static const char *
filter_dn(const struct ynode *m, const char *key, char ***rdns, size_t *n, char **text,
	  char *err, size_t errlen, struct diag_pos *at)
{
	const char *s, *e;

	*at = value_pos(m, key);

	if ((e = scalar_of(m, key, &s)) != NULL) {
		snprintf(err, errlen, "has \"%s\" at line %u, which %s", key, m->pos.line, e);
		return err;
	}
	if (!s)
		return NULL;
	if ((e = identity_dn_parse(s, rdns, n)) != NULL) {
		snprintf(err, errlen, "has %s \"%s\" at line %u, which %s", key, s, m->pos.line, e);
		return err;
	}
	return (*text = strdup(s)) ? NULL : "out of memory";
}

static void
filter_clear(struct policy_id_filter *f)
{
	identity_rdns_free(f->subject, f->nsubject);
	identity_rdns_free(f->issuer, f->nissuer);
	free(f->subject_text);
	free(f->issuer_text);
	free(f->user);
	memset(f, 0, sizeof(*f));
}

static const char *
one_filter(const struct ynode *m, struct policy_id_filter *f, char *err, size_t errlen,
	   struct diag_pos *at)
{
	static const char *const keys[] = { "subject", "issuer", "user", NULL };
	const char *e;

	f->pos = m->pos;
	*at = m->pos;
	if (m->type != YNODE_MAP)
		return "must be a list of {subject, issuer, user} entries";
	if ((e = only_keys(m, keys, err, errlen, at)) ||
	    (e = filter_dn(m, "subject", &f->subject, &f->nsubject, &f->subject_text, err,
			   errlen, at)) ||
	    (e = filter_dn(m, "issuer", &f->issuer, &f->nissuer, &f->issuer_text, err, errlen,
			   at)) ||
	    (e = entry_user(m, &f->user, err, errlen, at)))
		return e;
	if (!f->nsubject && !f->nissuer) {
		snprintf(err, errlen, "has an entry at line %u with neither \"subject\" nor "
				      "\"issuer\"",
			 m->pos.line);
		*at = m->pos;
		return err;
	}
	return NULL;
}

void
identity_set_filters(const struct ynode *node, struct policy_id_filters *f,
		     struct schema_out *out)
{
	struct diag_pos at;
	char err[256];
	size_t i;
	const char *e;

	identity_filters_free(f);
	if (node->type != YNODE_SEQ) {
		schema_complain(out, node->pos, "must be a list of {subject, issuer, user} entries");
		return;
	}
	if (!(f->v = calloc(node->n + 1, sizeof(*f->v)))) {
		schema_complain(out, node->pos, "out of memory");
		return;
	}
	/* Every entry is checked, so each bad one is reported at its own line. A bad
	 * entry stays, emptied, so the map is not also said to have no entries. */
	for (i = 0; i < node->n; i++) {
		if ((e = one_filter(node->items[i], &f->v[f->n], err, sizeof(err), &at)) != NULL) {
			schema_complain(out, at, e);
			filter_clear(&f->v[f->n]);
			f->v[f->n].pos = node->items[i]->pos;
		}
		f->n++;
	}
}

void
identity_set_certs(const struct ynode *node, struct policy_id_certs *c, struct schema_out *out)
{
	static const char *const keys[] = { "sha256", "user", NULL };
	struct diag_pos at;
	const char *e, *fp;
	char err[256];
	size_t i;

	identity_certs_free(c);
	if (node->type != YNODE_SEQ) {
		schema_complain(out, node->pos, "must be a list of {sha256, user} entries");
		return;
	}
	if (!(c->v = calloc(node->n + 1, sizeof(*c->v)))) {
		schema_complain(out, node->pos, "out of memory");
		return;
	}
	for (i = 0; i < node->n; i++) {
		const struct ynode *m = node->items[i];
		struct policy_id_cert *pc = &c->v[c->n++];

		pc->pos = m->pos;
		if (m->type != YNODE_MAP) {
			schema_complain(out, m->pos, "must be a list of {sha256, user} entries");
			continue;
		}
		if ((e = only_keys(m, keys, err, sizeof(err), &at)) ||
		    (e = entry_user(m, &pc->user, err, sizeof(err), &at))) {
			schema_complain(out, at, e);
			continue;
		}
		if (scalar_of(m, "sha256", &fp) || !fp || parse_sha256(fp, pc->sha256) != 0) {
			snprintf(err, sizeof(err), "has an entry at line %u whose \"sha256\" is not "
						   "64 hex digits (openssl x509 -noout -fingerprint "
						   "-sha256)",
				 m->pos.line);
			schema_complain(out, value_pos(m, "sha256"), err);
			free(pc->user);
			pc->user = NULL;
		}
	}
}

void
identity_filters_free(struct policy_id_filters *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		filter_clear(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

void
identity_certs_free(struct policy_id_certs *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].user);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
