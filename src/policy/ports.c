/* SPDX-License-Identifier: Apache-2.0 */
/* Port conditions (LocalPortRange, PortRange, PortGroup): one range, a list of
 * ranges, or names of port sets that may name other sets. Parsing, the canonical
 * form (sorted, merged ranges), membership, expanding set names at load, and the
 * text the dump prints. Pure, no I/O. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "policy_int.h"

#define PORT_SET_DEPTH 8 /* as ADDR_SET_DEPTH: sets naming sets, this deep at most */

bool
policy_ports_contain(const struct policy_ports *pp, uint16_t port)
{
	size_t lo = 0, hi = pp->n, mid;

	if (port < pp->lo || port > pp->hi)
		return false;
	if (pp->n == 0)
		return true;
	/* The last range starting at or below the port is the only one that can hold it. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pp->ranges[mid].lo <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && port <= pp->ranges[lo - 1].hi;
}

size_t
policy_ports_count(const struct policy_ports *pp)
{
	if (pp->n)
		return pp->n;
	return pp->lo <= pp->hi ? 1 : 0;
}

struct policy_port_range
policy_ports_range(const struct policy_ports *pp, size_t i)
{
	if (pp->n)
		return pp->ranges[i];
	return (struct policy_port_range){ pp->lo, pp->hi };
}

void
ports_free(struct policy_ports *pp)
{
	free(pp->ranges);
	pp->ranges = NULL;
	pp->n = 0;
	schema_list_ref_free(&pp->refs, &pp->ref_pos, &pp->nrefs);
}

static int
range_cmp(const void *a, const void *b)
{
	const struct policy_port_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

/* Makes the k ranges in 'v' (owned from here on) the condition's ranges, in the
 * canonical form: sorted, overlapping and adjacent ranges merged, so that equal
 * conditions look equal and one range needs no array. */
static void
ports_take(struct policy_ports *pp, struct policy_port_range *v, size_t k)
{
	struct policy_port_range *shrunk;
	size_t i, m = 0;

	free(pp->ranges);
	pp->ranges = NULL;
	pp->n = 0;
	if (k == 0) {
		free(v);
		pp->lo = 1; /* empty */
		pp->hi = 0;
		return;
	}
	qsort(v, k, sizeof(*v), range_cmp);
	for (i = 1; i < k; i++) {
		if ((unsigned)v[i].lo <= (unsigned)v[m].hi + 1) {
			if (v[i].hi > v[m].hi)
				v[m].hi = v[i].hi;
		} else {
			v[++m] = v[i];
		}
	}
	m++;
	pp->lo = v[0].lo;
	pp->hi = v[m - 1].hi;
	if (m == 1) {
		free(v);
		return;
	}
	if ((shrunk = realloc(v, m * sizeof(*v))) != NULL)
		v = shrunk;
	pp->ranges = v;
	pp->n = m;
}

/* Appends the ranges of 'pp' to v[0..*k). */
static int
ports_collect(const struct policy_ports *pp, struct policy_port_range **v, size_t *k)
{
	size_t i, n = policy_ports_count(pp);
	struct policy_port_range *nv;

	if (!n)
		return 0;
	if (!(nv = realloc(*v, (*k + n) * sizeof(*nv))))
		return ATTLS_ENOMEM;
	*v = nv;
	for (i = 0; i < n; i++)
		nv[(*k)++] = policy_ports_range(pp, i);
	return 0;
}

/* All, 0, a port, or low-high (also low:high and "low high", as AT-TLS writes them). */
static const char *
ports_item(const char *v, struct policy_port_range *r)
{
	unsigned long lo, hi;
	char *end;

	if (strcasecmp(v, "All") == 0) {
		*r = (struct policy_port_range){ 0, 65535 };
		return NULL;
	}
	if (!isdigit((unsigned char)v[0]))
		return "must be a port, low-high, 0 for all, or the name of a port set";
	lo = strtoul(v, &end, 10);
	hi = lo;
	if (*end == '-' || *end == ':' || *end == ' ') {
		const char *h = end + 1;
		while (*h == ' ')
			h++;
		if (!isdigit((unsigned char)*h))
			return "must be a port, low-high, or 0 for all";
		hi = strtoul(h, &end, 10);
	}
	while (*end == ' ')
		end++;
	if (*end || lo > 65535 || hi > 65535)
		return "must be a port (1-65535), low-high, or 0 for all";
	if (lo > hi)
		return "has its low port above its high port";
	if (lo == 0 && hi == 0)
		hi = 65535;
	*r = (struct policy_port_range){ (uint16_t)lo, (uint16_t)hi };
	return NULL;
}

/* The value of a port key: one item or a list of items, each All, 0, a port,
 * low-high or a port set name. All anywhere makes the whole condition All. Each
 * bad item is reported at its own position; the good ones are kept. */
void
ports_set(const struct ynode *node, struct policy_ports *pp, struct schema_out *out)
{
	const struct ynode *one[1] = { node };
	const struct ynode *const *items = node->type == YNODE_SEQ ? (const struct ynode *const *)node->items : one;
	size_t n = node->type == YNODE_SEQ ? node->n : 1, i, k = 0;
	struct policy_port_range *v;
	const char *e;
	char err[256];
	bool all = false;

	ports_free(pp);
	pp->pos = node->pos;
	if (node->type == YNODE_MAP) {
		schema_complain(out, node->pos,
				"must be a port, low-high, a port set name, or a list of these");
		return;
	}
	if (n == 0) {
		schema_complain(out, node->pos, "is an empty list (write 0 or All for all ports)");
		return;
	}
	if (!(v = calloc(n, sizeof(*v)))) {
		schema_complain(out, node->pos, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		const char *s = items[i]->value;

		if (items[i]->type != YNODE_SCALAR) {
			schema_complain(out, items[i]->pos,
					"must be a list of ports, low-high ranges and port set names");
			continue;
		}
		if (schema_list_is_set_name(s)) {
			if (schema_list_ref_add(&pp->refs, &pp->ref_pos, &pp->nrefs, s,
						items[i]->pos) != 0)
				schema_complain(out, items[i]->pos, "out of memory");
			continue;
		}
		if ((e = ports_item(s, &v[k])) != NULL) {
			if (node->type == YNODE_SEQ) {
				snprintf(err, sizeof(err), "has \"%s\", which is not a port (1-65535), "
							   "low-high, 0 for all, or a port set name",
					 s);
				e = err;
			}
			schema_complain(out, ytree_pos_at(items[i], 0), e);
			continue;
		}
		all |= v[k].lo == 0 && v[k].hi == 65535;
		k++;
	}
	if (all) { /* names next to All change nothing: forget them, as for addresses */
		while (pp->nrefs)
			free(pp->refs[--pp->nrefs]);
		v[0] = (struct policy_port_range){ 0, 65535 };
		k = 1;
	}
	ports_take(pp, v, k);
}

static void
ports_format_ranges(const struct policy_ports *pp, char *buf, size_t len)
{
	size_t i, n = policy_ports_count(pp), off = 0;

	buf[0] = '\0';
	if (n == 1 && pp->lo == 0 && pp->hi == 65535) {
		snprintf(buf, len, "All");
		return;
	}
	for (i = 0; i < n && off < len; i++) {
		struct policy_port_range r = policy_ports_range(pp, i);

		if (r.lo == r.hi)
			off += (size_t)snprintf(buf + off, len - off, "%s%u", i ? ", " : "", r.lo);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%u-%u", i ? ", " : "", r.lo,
						r.hi);
	}
}

/* "All", "443", "7554, 10010-10020 (port set gateway-ports)". */
void
ports_format(const struct policy_ports *pp, char *buf, size_t len)
{
	size_t i, off;

	ports_format_ranges(pp, buf, len);
	off = strlen(buf);
	for (i = 0; i < pp->nrefs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : pp->nrefs > 1 ? " (port sets " : " (port set ",
					pp->refs[i]);
	if (pp->nrefs && off < len)
		snprintf(buf + off, len - off, ")");
}

/* True if every port of 'b' is in 'a'. Exact: a's ranges are merged, so a range
 * of b inside their union is inside one of them. */
bool
ports_cover(const struct policy_ports *a, const struct policy_ports *b)
{
	size_t i, j, na = policy_ports_count(a), nb = policy_ports_count(b);

	for (i = 0; i < nb; i++) {
		struct policy_port_range rb = policy_ports_range(b, i);

		for (j = 0; j < na; j++) {
			struct policy_port_range ra = policy_ports_range(a, j);
			if (ra.lo <= rb.lo && ra.hi >= rb.hi)
				break;
		}
		if (j == na)
			return false;
	}
	return true;
}

/* True if some port is in both. */
bool
ports_overlap(const struct policy_ports *a, const struct policy_ports *b)
{
	size_t i, j, na = policy_ports_count(a), nb = policy_ports_count(b);

	for (i = 0; i < na; i++) {
		struct policy_port_range ra = policy_ports_range(a, i);

		for (j = 0; j < nb; j++) {
			struct policy_port_range rb = policy_ports_range(b, j);
			if (ra.lo <= rb.hi && rb.lo <= ra.hi)
				return true;
		}
	}
	return false;
}

static struct policy_port_set *
ports_find_set(struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nport_sets; i++)
		if (strcmp(p->port_sets[i].name, name) == 0)
			return &p->port_sets[i];
	return NULL;
}

static void ports_expand_set(struct policy *p, struct policy_port_set *s, int depth,
			     struct diag_list *dl);

static void
ports_undefined(struct policy *p, struct diag_list *dl, struct diag_pos pos, const char *owner,
		const char *name)
{
	const char **names;

	NAMES(p->port_sets, p->nport_sets, names);
	validate_undefined_set(dl, pos, owner, "port", name, names);
	free(names);
}

/* Adds the ranges of the sets 'pp' names to its own; the names stay for the dump.
 * A set met again while it is being expanded is a cycle, reported, never read as
 * All. */
static void
ports_expand(struct policy *p, struct policy_ports *pp, const char *owner, int depth,
	     struct diag_list *dl)
{
	struct policy_port_range *v = NULL;
	size_t i, k = 0;

	if (!pp->nrefs)
		return;
	if (ports_collect(pp, &v, &k) != 0)
		goto oom;
	for (i = 0; i < pp->nrefs; i++) {
		struct policy_port_set *s = ports_find_set(p, pp->refs[i]);
		struct diag_pos pos = pp->ref_pos ? pp->ref_pos[i] : pp->pos;

		if (!s) {
			ports_undefined(p, dl, pos, owner, pp->refs[i]);
		} else if (s->state == 1 || depth >= PORT_SET_DEPTH) {
			diag_error(dl, pos, "%s: port set \"%s\" contains itself (through the sets "
					    "it names)",
				   owner, pp->refs[i]);
		} else {
			s->used = true;
			ports_expand_set(p, s, depth + 1, dl);
			if (ports_collect(&s->ports, &v, &k) != 0)
				goto oom;
		}
	}
	ports_take(pp, v, k);
	return;
oom:
	free(v);
	diag_error(dl, pp->pos, "out of memory");
}

static void
ports_expand_set(struct policy *p, struct policy_port_set *s, int depth, struct diag_list *dl)
{
	char owner[80];

	if (s->state)
		return;
	s->state = 1;
	snprintf(owner, sizeof(owner), "port set \"%s\"", s->name);
	ports_expand(p, &s->ports, owner, depth, dl);
	s->state = 2;
}

void
ports_resolve(struct policy *p, struct diag_list *dl)
{
	char owner[80];
	size_t i;

	for (i = 0; i < p->nport_sets; i++)
		ports_expand_set(p, &p->port_sets[i], 0, dl);
	for (i = 0; i < p->nrules; i++) {
		snprintf(owner, sizeof(owner), "rule \"%s\"", p->rules[i].name);
		ports_expand(p, &p->rules[i].local_port, owner, 0, dl);
		ports_expand(p, &p->rules[i].remote_port, owner, 0, dl);
	}
	for (i = 0; i < p->nfilters; i++) {
		snprintf(owner, sizeof(owner), "filter \"%s\"", p->filters[i].name);
		ports_expand(p, &p->filters[i].source_port, owner, 0, dl);
		ports_expand(p, &p->filters[i].destination_port, owner, 0, dl);
	}
}

void
ports_warn_unused(const struct policy *p, struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < p->nport_sets; i++)
		if (!p->port_sets[i].used)
			diag_warning(dl, p->port_sets[i].pos, "port set \"%s\" is not used by any "
							      "rule, filter or port set",
				     p->port_sets[i].name);
}
