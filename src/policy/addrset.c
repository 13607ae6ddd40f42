/* SPDX-License-Identifier: Apache-2.0 */
/* Address sets ("addresses"): the set names in address conditions expanded
 * into ranges, sets naming sets, cycles and undefined names reported; what
 * ports.c does for port sets. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy_int.h"

#define ADDR_SET_DEPTH 8

static int
append_ranges(struct policy_addrs *as, const struct policy_addrs *from)
{
	struct policy_addr_range *n;

	if (!from->n)
		return 0;
	if (!(n = realloc(as->ranges, (as->n + from->n) * sizeof(*n))))
		return ATTLS_ENOMEM;
	memcpy(n + as->n, from->ranges, from->n * sizeof(*n));
	as->ranges = n;
	as->n += from->n;
	return 0;
}

static void expand_set(struct policy *p, struct policy_addr_set *s, int depth,
		       struct diag_list *dl);

static void
undefined_addr_set(struct policy *p, struct diag_list *dl, struct diag_pos pos,
		   const char *owner, const char *name)
{
	const char **names;

	NAMES(p->addr_sets, p->naddr_sets, names);
	validate_undefined_set(dl, pos, owner, "address", name, names);
	free(names);
}

/* Adds the addresses of the sets named in 'as' to its ranges (sets may name sets,
 * up to ADDR_SET_DEPTH deep; a set met again while it is being expanded is a
 * cycle, reported, never read as All). A set that is All makes the whole list
 * All. The names stay, for the dump. */
static void
expand_addrs(struct policy *p, struct policy_addrs *as, const char *owner, int depth,
	     struct diag_list *dl)
{
	size_t i;
	bool all = false;

	for (i = 0; i < as->nrefs; i++) {
		struct diag_pos pos = as->ref_pos ? as->ref_pos[i] : as->pos;
		struct policy_addr_set *s;

		FIND(p->addr_sets, p->naddr_sets, as->refs[i], s);
		if (!s)
			undefined_addr_set(p, dl, pos, owner, as->refs[i]);
		else if (s->state == 1 || depth >= ADDR_SET_DEPTH)
			diag_error(dl, pos, "%s: address set \"%s\" contains itself (through "
					    "the sets it names)",
				   owner, as->refs[i]);
		else {
			s->used = true;
			expand_set(p, s, depth + 1, dl);
			if (s->all)
				all = true;
			else if (append_ranges(as, &s->addrs) != 0)
				diag_error(dl, as->pos, "out of memory");
		}
	}
	if (all) {
		free(as->ranges);
		as->ranges = NULL;
		as->n = 0;
	}
}

static void
expand_set(struct policy *p, struct policy_addr_set *s, int depth, struct diag_list *dl)
{
	char owner[80];

	if (s->state)
		return;
	/* Empty before expansion means the set was written as All. */
	s->all = s->addrs.n == 0 && s->addrs.nrefs == 0;
	s->state = 1;
	snprintf(owner, sizeof(owner), "address set \"%s\"", s->name);
	expand_addrs(p, &s->addrs, owner, depth, dl);
	if (!s->all && s->addrs.n == 0)
		s->all = !diag_has_errors(dl); /* it named only sets that are All */
	s->state = 2;
}

void
addrset_resolve(struct policy *p, struct diag_list *dl)
{
	char owner[80];
	size_t i;

	for (i = 0; i < p->naddr_sets; i++)
		expand_set(p, &p->addr_sets[i], 0, dl);
	for (i = 0; i < p->nrules; i++) {
		snprintf(owner, sizeof(owner), "rule \"%s\"", p->rules[i].name);
		expand_addrs(p, &p->rules[i].local_addr, owner, 0, dl);
		expand_addrs(p, &p->rules[i].remote_addr, owner, 0, dl);
	}
	for (i = 0; i < p->nfilters; i++) {
		snprintf(owner, sizeof(owner), "filter \"%s\"", p->filters[i].name);
		expand_addrs(p, &p->filters[i].source, owner, 0, dl);
		expand_addrs(p, &p->filters[i].destination, owner, 0, dl);
	}
}
