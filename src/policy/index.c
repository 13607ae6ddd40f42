/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled matcher: rules sorted into per-direction, per-dimension segment
 * trees so a lookup visits O(log R) nodes instead of every rule. The trees only
 * select candidates; policy_rule_matches() still decides, so the answer is always
 * the one policy_match_linear() gives.
 *
 * Each rule is filed under one "home" dimension (local port, local address,
 * remote address or remote port): the one whose ranges overlap the fewest other
 * rules' ranges, i.e. where it shares the fewest candidate lists. A dimension's
 * tree has one leaf per elementary interval between the sorted range boundaries;
 * a range is stored in the O(log R) canonical nodes that cover it, each node
 * keeping its rule indexes ascending. A lookup binary-searches the point's leaf,
 * walks to the root and, in each node, checks rules until one matches or the
 * index passes the best match so far.
 *
 * Bounds, R = ranges filed (each rule's ranges in its home dimension; rules with
 * direction Both count twice): at most 2R boundaries of 16 bytes, node offsets of
 * 4 bytes for fewer than 4(2R + 1) nodes, and at most 2 * R * log2(4R + 2) list
 * entries of 4 bytes, so memory O(R log R); build O(R log R) plus the sorts used
 * to pick home dimensions. Lookup O(log R + C), C being the candidates checked:
 * rules whose home range holds the point and which come before the answer. C is small when
 * rules differ in at least one dimension; rules that are All in every dimension,
 * or are out of their time window, are checked one by one (worst case O(n)). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "policy.h"

#include "common/err.h"

enum {
	DIM_LOCAL_PORT,
	DIM_LOCAL_ADDR,
	DIM_REMOTE_ADDR,
	DIM_REMOTE_PORT,
	DIM_N,
};

/* A point in any dimension as a 128-bit unsigned number (ports fit in 'lo'). */
struct key {
	uint64_t hi, lo;
};

struct dim_tree {
	struct key *bounds; /* sorted, distinct; leaf e is [bounds[e-1], bounds[e]) */
	uint32_t nbounds;
	uint32_t size;   /* leaves; a power of two > nbounds; 0: no rules here */
	uint32_t *start; /* node i's rules are rules[start[i]..start[i+1]) */
	uint32_t *rules; /* rule indexes, ascending within a node */
};

/* One set of trees per direction bit: a rule with Both is in both. */
struct policy_index {
	struct dim_tree t[2][DIM_N];
};

static int
key_cmp(const struct key *x, const struct key *y)
{
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static int
key_qcmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

/* Big-endian bytes, so key order is the memcmp() order policy_addrs_contain() uses. */
static struct key
key_from_addr(const uint8_t b[16])
{
	struct key k = { 0, 0 };
	int i;

	for (i = 0; i < 8; i++) {
		k.hi = k.hi << 8 | b[i];
		k.lo = k.lo << 8 | b[i + 8];
	}
	return k;
}

static struct key
key_from_port(uint16_t port)
{
	struct key k = { 0, port };
	return k;
}

/* Number of v[0..n) below x (strict) or at most x. */
static uint32_t
key_rank(const struct key *v, uint32_t n, const struct key *x, bool strict)
{
	uint32_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (key_cmp(&v[mid], x) < (strict ? 0 : 1))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct policy_addrs *
dim_addrs(const struct policy_rule *r, int d)
{
	if (d == DIM_LOCAL_ADDR)
		return &r->local_addr;
	return d == DIM_REMOTE_ADDR ? &r->remote_addr : NULL;
}

/* A port condition is one range or, from a port set, several; an address list
 * is n ranges, or one (All) when empty. */
static size_t
dim_nranges(const struct policy_rule *r, int d)
{
	const struct policy_addrs *as = dim_addrs(r, d);

	if (!as)
		return policy_ports_count(d == DIM_LOCAL_PORT ? &r->local_port : &r->remote_port);
	return as->n ? as->n : 1;
}

static void
dim_range(const struct policy_rule *r, int d, size_t i, struct key *lo, struct key *hi)
{
	const struct policy_addrs *as = dim_addrs(r, d);
	const struct policy_ports *pp = d == DIM_LOCAL_PORT ? &r->local_port : &r->remote_port;

	if (!as) {
		struct policy_port_range pr = policy_ports_range(pp, i);
		*lo = key_from_port(pr.lo);
		*hi = key_from_port(pr.hi);
	} else if (as->n == 0) {
		lo->hi = lo->lo = 0;
		hi->hi = hi->lo = UINT64_MAX;
	} else {
		*lo = key_from_addr(as->ranges[i].lo);
		*hi = key_from_addr(as->ranges[i].hi);
	}
}

static struct key
dim_point(const struct policy_conn_attrs *a, int d)
{
	switch (d) {
	case DIM_LOCAL_PORT:
		return key_from_port(a->local_port);
	case DIM_LOCAL_ADDR:
		return key_from_addr(a->local_addr);
	case DIM_REMOTE_ADDR:
		return key_from_addr(a->remote_addr);
	default:
		return key_from_port(a->remote_port);
	}
}

/* Sorted lows and highs of all ranges of 'rules' in dimension d. */
static int
dim_sorted_ends(const struct policy *p, const uint32_t *rules, size_t n, int d, struct key **los,
		struct key **his, uint32_t *nr)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++)
		k += dim_nranges(&p->rules[rules[i]], d);
	*los = malloc(k * sizeof(**los));
	*his = malloc(k * sizeof(**his));
	if (!*los || !*his)
		return ATTLS_ENOMEM;
	for (i = 0, k = 0; i < n; i++)
		for (j = 0; j < dim_nranges(&p->rules[rules[i]], d); j++, k++)
			dim_range(&p->rules[rules[i]], d, j, &(*los)[k], &(*his)[k]);
	qsort(*los, k, sizeof(**los), key_qcmp);
	qsort(*his, k, sizeof(**his), key_qcmp);
	*nr = (uint32_t)k;
	return 0;
}

/* Files each rule under the dimension where its ranges overlap the fewest ranges
 * (its own included): the candidates a lookup there would have to check. */
static int
choose_homes(const struct policy *p, const uint32_t *rules, size_t n, uint8_t *home)
{
	uint64_t *best = malloc(n * sizeof(*best));
	struct key *los = NULL, *his = NULL, lo, hi;
	uint32_t nr;
	size_t i, j;
	int d, r = best ? 0 : ATTLS_ENOMEM;

	for (d = 0; d < DIM_N && r == 0; d++) {
		if ((r = dim_sorted_ends(p, rules, n, d, &los, &his, &nr)) != 0)
			break;
		for (i = 0; i < n; i++) {
			uint64_t cost = 0;
			for (j = 0; j < dim_nranges(&p->rules[rules[i]], d); j++) {
				dim_range(&p->rules[rules[i]], d, j, &lo, &hi);
				/* Overlapping: starts at or before hi, minus those ending before lo. */
				cost += key_rank(los, nr, &hi, false) - key_rank(his, nr, &lo, true);
			}
			if (d == 0 || cost < best[i]) {
				best[i] = cost;
				home[i] = (uint8_t)d;
			}
		}
		free(los);
		free(his);
		los = his = NULL;
	}
	free(los);
	free(his);
	free(best);
	return r;
}

static void
node_add(uint32_t node, uint32_t rule, uint32_t *cur, uint32_t *list)
{
	if (list)
		list[cur[node]++] = rule;
	else
		cur[node]++;
}

/* Adds 'rule' to the canonical nodes covering leaves a..b (a bottom-up segment
 * tree: at most two per level); with 'list' NULL it only counts them in cur[]. */
static void
tree_cover(const struct dim_tree *t, uint32_t a, uint32_t b, uint32_t rule, uint32_t *cur,
	   uint32_t *list)
{
	uint32_t l = a + t->size, r = b + t->size + 1;

	for (; l < r; l >>= 1, r >>= 1) {
		if (l & 1)
			node_add(l++, rule, cur, list);
		if (r & 1)
			node_add(--r, rule, cur, list);
	}
}

/* Runs every range of the rules homed in d through tree_cover(). Rules go in
 * ascending index order, which keeps each node's list sorted. */
static void
tree_place(struct dim_tree *t, const struct policy *p, const uint32_t *rules, size_t n,
	   const uint8_t *home, int d, uint32_t *cur, uint32_t *list)
{
	struct key lo, hi;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (home[i] != d)
			continue;
		for (j = 0; j < dim_nranges(&p->rules[rules[i]], d); j++) {
			dim_range(&p->rules[rules[i]], d, j, &lo, &hi);
			tree_cover(t, key_rank(t->bounds, t->nbounds, &lo, false),
				   key_rank(t->bounds, t->nbounds, &hi, false), rules[i], cur, list);
		}
	}
}

/* The boundaries: every low, and every high + 1 that does not wrap. */
static int
tree_bounds(struct dim_tree *t, const struct policy *p, const uint32_t *rules, size_t n,
	    const uint8_t *home, int d)
{
	struct key lo, hi, *nb;
	size_t i, j, k = 0, m;

	for (i = 0; i < n; i++)
		if (home[i] == d)
			k += 2 * dim_nranges(&p->rules[rules[i]], d);
	if (k == 0 || !(t->bounds = malloc(k * sizeof(*t->bounds))))
		return k ? ATTLS_ENOMEM : 0;
	for (i = 0, k = 0; i < n; i++)
		for (j = 0; home[i] == d && j < dim_nranges(&p->rules[rules[i]], d); j++) {
			dim_range(&p->rules[rules[i]], d, j, &lo, &hi);
			t->bounds[k++] = lo;
			if (++hi.lo != 0 || ++hi.hi != 0)
				t->bounds[k++] = hi;
		}
	qsort(t->bounds, k, sizeof(*t->bounds), key_qcmp);
	for (i = 1, m = 1; i < k; i++)
		if (key_cmp(&t->bounds[i], &t->bounds[m - 1]) != 0)
			t->bounds[m++] = t->bounds[i];
	t->nbounds = (uint32_t)m;
	/* Many rules share boundaries (All, one port): give back the duplicates' room. */
	if ((nb = realloc(t->bounds, m * sizeof(*nb))) != NULL)
		t->bounds = nb;
	for (t->size = 1; t->size <= t->nbounds; t->size <<= 1)
		;
	return 0;
}

static int
tree_build(struct dim_tree *t, const struct policy *p, const uint32_t *rules, size_t n,
	   const uint8_t *home, int d)
{
	uint32_t *cur, i, nodes;
	int r;

	if ((r = tree_bounds(t, p, rules, n, home, d)) != 0 || t->size == 0)
		return r;
	nodes = 2 * t->size;
	t->start = calloc(nodes + 1, sizeof(*t->start));
	if (!t->start || !(cur = calloc(nodes, sizeof(*cur))))
		return ATTLS_ENOMEM;
	/* Count per node, turn counts into offsets, then fill through cursors. */
	tree_place(t, p, rules, n, home, d, cur, NULL);
	for (i = 0; i < nodes; i++)
		t->start[i + 1] = t->start[i] + cur[i];
	memcpy(cur, t->start, nodes * sizeof(*cur));
	if ((t->rules = malloc((t->start[nodes] + 1) * sizeof(*t->rules))) != NULL)
		tree_place(t, p, rules, n, home, d, cur, t->rules);
	free(cur);
	return t->rules ? 0 : ATTLS_ENOMEM;
}

static int
part_build(struct policy_index *ix, const struct policy *p, int bit)
{
	uint32_t *rules = malloc(p->nrules * sizeof(*rules));
	uint8_t *home = malloc(p->nrules);
	size_t i, n = 0;
	int d, r = rules && home ? 0 : ATTLS_ENOMEM;

	for (i = 0; r == 0 && i < p->nrules; i++)
		if (p->rules[i].direction & (1 << bit))
			rules[n++] = (uint32_t)i;
	if (r == 0 && n)
		r = choose_homes(p, rules, n, home);
	for (d = 0; r == 0 && n && d < DIM_N; d++)
		r = tree_build(&ix->t[bit][d], p, rules, n, home, d);
	free(rules);
	free(home);
	return r;
}

int
policy_index_build(const struct policy *p, struct policy_index **out)
{
	struct policy_index *ix;
	size_t i;
	int r = 0, bit;

	*out = NULL;
	/* Nothing to speed up; and directions other than the two bits would not be
	 * covered by the two parts, so such a policy keeps the linear scan. */
	if (p->nrules == 0 || p->nrules >= UINT32_MAX)
		return 0;
	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].direction & ~POLICY_DIR_BOTH)
			return 0;
	if (!(ix = calloc(1, sizeof(*ix))))
		return ATTLS_ENOMEM;
	for (bit = 0; bit < 2 && r == 0; bit++)
		r = part_build(ix, p, bit);
	if (r != 0) {
		policy_index_free(ix);
		return r;
	}
	*out = ix;
	return 0;
}

void
policy_index_free(struct policy_index *ix)
{
	int bit, d;

	if (!ix)
		return;
	for (bit = 0; bit < 2; bit++)
		for (d = 0; d < DIM_N; d++) {
			free(ix->t[bit][d].bounds);
			free(ix->t[bit][d].start);
			free(ix->t[bit][d].rules);
		}
	free(ix);
}

/* The lowest matching rule index below 'best' among the tree's candidates for
 * the point, else 'best'. Each node's list is ascending, so its first match is
 * its best and nothing after 'best' can improve the answer. */
static uint32_t
tree_match(const struct policy *p, const struct dim_tree *t, const struct key *x,
	   const struct policy_conn_attrs *a, uint32_t best)
{
	uint32_t node = t->size + key_rank(t->bounds, t->nbounds, x, false);
	const uint32_t *it, *end;

	for (; node; node >>= 1)
		for (it = t->rules + t->start[node], end = t->rules + t->start[node + 1];
		     it < end && *it < best; it++)
			if (policy_rule_matches(&p->rules[*it], a)) {
				best = *it;
				break;
			}
	return best;
}

const struct policy_rule *
policy_index_match(const struct policy *p, const struct policy_index *ix,
		   const struct policy_conn_attrs *a)
{
	uint32_t best = (uint32_t)p->nrules;
	struct key x;
	int bit, d;

	for (bit = 0; bit < 2; bit++) {
		if (!(a->direction & (1 << bit)))
			continue;
		for (d = 0; d < DIM_N; d++) {
			if (ix->t[bit][d].size == 0)
				continue;
			x = dim_point(a, d);
			best = tree_match(p, &ix->t[bit][d], &x, a, best);
		}
	}
	return best < p->nrules ? &p->rules[best] : NULL;
}
