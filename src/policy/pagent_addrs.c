/* SPDX-License-Identifier: Apache-2.0 */
/* Pagent conversion of addresses, ports and backends: IpAddr, IpAddrSet,
 * IpAddrGroup, PortRange and PortGroup as named sets or expanded where a rule
 * uses them, and the plaintext backend AT-TLS does not have. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pagent_int.h"
#include "policy.h"
#include "schema.h"

#define PAGENT_DEFAULT_OFFSET 10000u

static const char *const prule_keys[PRULE_N] = { "local_addr", "remote_addr", "local_port",
						 "remote_port" };

static void pagent_expand(struct pconv *c, struct ynode *seq, const struct pnode *s,
			  unsigned type, unsigned depth);

/* True if the YAML loader reads 'name' as the name of an address or port set
 * (not as an address, a port or All). */
static bool
pagent_set_name_ok(const char *name)
{
	struct policy_addr_range r;

	return schema_list_is_set_name(name) && policy_addr_parse(name, &r) != 0;
}

/* A sequence of one item is written as that item. */
static void
pagent_collapse(struct ynode *map, struct ynode *seq)
{
	size_t i;

	if (seq->n != 1)
		return;
	for (i = 1; i < map->n; i += 2)
		if (map->items[i] == seq) {
			map->items[i] = seq->items[0];
			seq->n = 0;
			ytree_free(seq);
			return;
		}
}

/* IpAddr, IpAddrSet and IpAddrGroup become named entries of "addresses",
 * PortRange and PortGroup of "ports", so the imported policy keeps the names the
 * rules use (-T prints them). Emits 'g' once; false when it cannot keep its name
 * (a word the loader would read as an address, or a name another statement of
 * the other kinds took first): then it is expanded where it is used. */
static bool
pagent_set_emit(struct pconv *c, struct pnode *g, unsigned type, unsigned depth)
{
	int sec = type & (T_PORT | T_PORTGRP) ? SEC_PORTS : SEC_ADDRS;
	struct ynode *seq;

	if (!pagent_set_name_ok(g->v[0]))
		return false;
	if (c->sec[sec] && ytree_get(c->sec[sec], g->v[0]))
		return g->emitted;
	g->emitted = true;
	if (!c->sec[sec] && !(c->sec[sec] = conv_new(c, YNODE_MAP, g->pos)))
		return true;
	seq = conv_new(c, YNODE_SEQ, g->pos);
	if (!seq || !conv_ok(c, ytree_put(c->sec[sec], g->v[0], g->vpos[0], seq)))
		return true;
	pagent_expand(c, seq, g, type, depth + 1);
	/* An empty list would read as All: a set whose values were all ignored
	 * must not widen the rules that name it. */
	if (seq->n == 0)
		diag_error(c->dl, g->vpos[0], "%s \"%s\" names no %s", g->kw, g->v[0],
			   sec == SEC_PORTS ? "port" : "address");
	pagent_collapse(c->sec[sec], seq);
	return true;
}

/* Expands 's' where it is used; like pagent_set_emit(), refuses to add nothing. */
static void
pagent_expand_inline(struct pconv *c, struct ynode *seq, const struct pnode *s,
		     const struct pnode *k, unsigned type, unsigned depth)
{
	size_t before = seq ? seq->n : 0;

	pagent_expand(c, seq, s, type, depth + 1);
	if (seq && seq->n == before && depth <= PAGENT_MAX_DEPTH)
		diag_error(c->dl, k->pos, "%s names no %s", k->kw,
			   type & (T_PORT | T_PORTGRP) ? "port" : "address");
}

static void
pagent_expand_ref(struct pconv *c, struct ynode *seq, const struct pnode *k, unsigned type,
		  unsigned depth)
{
	struct pnode *g;

	if (k->block) {
		pagent_expand_inline(c, seq, k, k, type, depth);
		return;
	}
	if (k->nv == 0) {
		diag_error(c->dl, k->pos, "%s needs the name of a %s", k->kw, pagent_conv_noun(type));
		return;
	}
	if (!(g = pagent_conv_find(c, type, k->v[0]))) {
		diag_error(c->dl, k->vpos[0], "%s \"%s\" is not defined", pagent_conv_noun(type),
			   k->v[0]);
		return;
	}
	if (depth <= PAGENT_MAX_DEPTH && pagent_set_emit(c, g, type, depth)) {
		(void)conv_ok(c, ytree_push(seq, ytree_scalar(g->v[0], k->vpos[0])));
		return;
	}
	pagent_expand_inline(c, seq, g, k, type, depth);
}

/* "lo hi" -> "lo-hi"; one value as written. */
static void
pagent_push_range(struct pconv *c, struct ynode *seq, const struct pnode *k)
{
	char buf[160];

	if (k->nv == 0) {
		diag_error(c->dl, k->pos, "%s needs a value", k->kw);
		return;
	}
	if (k->nv == 1) {
		(void)conv_ok(c, ytree_push(seq, ytree_scalar(k->v[0], k->vpos[0])));
		return;
	}
	snprintf(buf, sizeof(buf), "%s-%s", k->v[0], k->v[1]);
	(void)conv_ok(c, ytree_push(seq, ytree_scalar(buf, k->vpos[0])));
}

/* The addresses or port ranges of IpAddr, IpAddrSet, IpAddrGroup, PortRange
 * or PortGroup 's', appended to 'seq' with their own positions. */
static void
pagent_expand(struct pconv *c, struct ynode *seq, const struct pnode *s, unsigned type,
	      unsigned depth)
{
	size_t i;

	if (depth > PAGENT_MAX_DEPTH)
		return;
	for (i = 0; i < s->nkids; i++) {
		const struct pnode *k = s->kids[i];
		const struct pagent_kw *kw = pagent_kw_find(k->kw, type);

		if (!kw || kw->act != A_EXPAND) {
			diag_warning(c->dl, k->pos, "\"%s\" is not a parameter of %s; ignored", k->kw,
				     pagent_conv_noun(type));
			continue;
		}
		if (kw->ref)
			pagent_expand_ref(c, seq, k, kw->ref, depth);
		else
			pagent_push_range(c, seq, k);
	}
}

void
pagent_addrs_rule_cond(struct pconv *c, struct prule *acc, const struct pnode *k,
		 const struct pagent_kw *kw)
{
	size_t idx;

	for (idx = 0; idx < PRULE_N && strcmp(prule_keys[idx], kw->key) != 0; idx++)
		;
	if (idx == PRULE_N)
		return;
	if (!acc->seq[idx]) {
		if (!(acc->seq[idx] = conv_new(c, YNODE_SEQ, k->pos)))
			return;
		acc->pos[idx] = k->pos;
	}
	if (kw->ref)
		pagent_expand_ref(c, acc->seq[idx], k, kw->ref, 0);
	else
		pagent_push_range(c, acc->seq[idx], k);
}

/* Addresses and ports collected from the rule's conditions become keys. */
void
pagent_addrs_rule_finish(struct pconv *c, struct prule *acc, struct ynode *m)
{
	size_t i;

	for (i = 0; i < PRULE_N; i++) {
		struct ynode *seq = acc->seq[i];

		acc->seq[i] = NULL;
		if (!seq)
			continue;
		if (seq->n == 0) {
			ytree_free(seq);
			continue;
		}
		if (seq->n == 1) {
			struct ynode *one = seq->items[0];
			seq->n = 0;
			ytree_free(seq);
			seq = one;
		}
		(void)conv_ok(c, ytree_put(m, prule_keys[i], acc->pos[i], seq));
	}
}

const char *
pagent_addrs_opt(const struct pagent_backend *v, size_t n, const char *rule)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		if (strcmp(v[i].rule, rule) == 0)
			return v[i].endpoint;
	return NULL;
}

/* The one port a local_port value names (through port sets), or 0. */
static unsigned long
pagent_single_port(const struct pconv *c, const struct ynode *v, unsigned depth)
{
	unsigned long p;
	char *end;

	if (v && v->type == YNODE_SEQ && v->n == 1)
		v = v->items[0];
	if (!v || v->type != YNODE_SCALAR || depth > PAGENT_MAX_DEPTH)
		return 0;
	if (isalpha((unsigned char)v->value[0]))
		return c->sec[SEC_PORTS] ? pagent_single_port(c, ytree_get(c->sec[SEC_PORTS],
									   v->value),
							      depth + 1)
					 : 0;
	if (!isdigit((unsigned char)v->value[0]))
		return 0;
	p = strtoul(v->value, &end, 10);
	return *end ? 0 : p;
}

/* The highest port a local_port value names (through port sets); 0: all
 * ports, or not known. */
static unsigned long
pagent_max_port(const struct pconv *c, const struct ynode *v, unsigned depth)
{
	unsigned long p, max = 0;
	const char *h;
	char *end;
	size_t i;

	if (!v || depth > PAGENT_MAX_DEPTH)
		return 0;
	if (v->type == YNODE_SEQ) {
		for (i = 0; i < v->n; i++) {
			if (!(p = pagent_max_port(c, v->items[i], depth + 1)))
				return 0;
			max = p > max ? p : max;
		}
		return max;
	}
	if (v->type != YNODE_SCALAR)
		return 0;
	if (isalpha((unsigned char)v->value[0]))
		return c->sec[SEC_PORTS] && strcasecmp(v->value, "All") != 0
			       ? pagent_max_port(c, ytree_get(c->sec[SEC_PORTS], v->value), depth + 1)
			       : 0;
	if (!isdigit((unsigned char)v->value[0]) || !(p = strtoul(v->value, &end, 10)))
		return 0;
	h = end + strspn(end, " -:");
	if (h != end && isdigit((unsigned char)*h))
		p = strtoul(h, &end, 10);
	return *end ? 0 : p;
}

/* AT-TLS has no backend: the plaintext server listens on the same port. A rule
 * on several ports gets host:+N, one backend port per port it listens on. */
void
pagent_addrs_backend(struct pconv *c, struct ynode *m, const char *name, struct diag_pos npos)
{
	const struct ynode *dir = ytree_get(m, "direction"), *port = ytree_get(m, "local_port");
	unsigned off = c->o && c->o->port_offset_set ? c->o->port_offset : PAGENT_DEFAULT_OFFSET;
	const char *ep = c->o ? pagent_addrs_opt(c->o->backends, c->o->nbackends, name) : NULL;
	const char *lp = c->o ? pagent_addrs_opt(c->o->listens, c->o->nlistens, name) : NULL;
	const struct ynode *ov = pagent_overlay_get(c, "rules", name);
	unsigned long p = 0;
	char buf[64];

	if (dir && dir->type == YNODE_SCALAR && strcasecmp(dir->value, "Outbound") == 0)
		return;
	if (lp)
		(void)conv_ok(c, ytree_put(m, "listen", npos, ytree_scalar(lp, npos)));
	/* An exported policy says where its plaintext goes (or that it diverts). */
	if (ov && (ytree_get(ov, "backend") || ytree_get(ov, "intercept")))
		return;
	if (ep) {
		(void)conv_ok(c, ytree_put(m, "backend", npos, ytree_scalar(ep, npos)));
		if (!lp && !pagent_max_port(c, port, 0))
			diag_warning(c->dl, npos, "rule \"%s\" matches connections on every local "
						  "port, and attlsd needs one to listen on: give "
						  "--listen %s=host:port",
				     name, name);
		return;
	}
	if ((p = pagent_single_port(c, port, 0)) != 0 && p + off <= 65535) {
		snprintf(buf, sizeof(buf), "127.0.0.1:%lu", p + off);
	} else if (!p && (p = pagent_max_port(c, port, 0)) != 0 && p + off <= 65535) {
		snprintf(buf, sizeof(buf), "127.0.0.1:+%u", off);
	} else {
		diag_warning(c->dl, npos, "rule \"%s\" has no local port to derive the plaintext "
					  "backend from (or LocalPort + %u passes 65535): give "
					  "--backend %s=host:port%s",
			     name, off, name, lp || p ? "" : " and --listen RULE=host:port");
		return;
	}
	(void)conv_ok(c, ytree_put(m, "backend", npos, ytree_scalar(buf, npos)));
	if (!(c->o && c->o->port_offset_set))
		diag_warning(c->dl, npos, "rule \"%s\": AT-TLS has no backend; using %s "
					  "(%sLocalPort + %u): move the plaintext server%s there, or "
					  "give --backend %s=host:port or --backend-port-offset N",
			     name, buf, strchr(buf, '+') ? "each " : "", off,
			     strchr(buf, '+') ? "s" : "", name);
}
