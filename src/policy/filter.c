/* SPDX-License-Identifier: Apache-2.0 */
/* IP filter rules: the first filter, in file order, that matches a connection
 * decides permit or deny (IpFilterPolicy). Pure, no I/O; compiled through the
 * same matcher as the TTLS rules. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy.h"

bool
policy_filter_matches(const struct policy_filter *f, const struct policy_conn_attrs *a)
{
	bool in = a->direction == POLICY_DIR_INBOUND;
	/* Source and destination are the packet's: for an inbound connection the
	 * source is the remote end. */
	const uint8_t *src = in ? a->remote_addr : a->local_addr;
	const uint8_t *dst = in ? a->local_addr : a->remote_addr;
	uint16_t sport = in ? a->remote_port : a->local_port;
	uint16_t dport = in ? a->local_port : a->remote_port;

	if (!(f->direction & a->direction))
		return false;
	if (!policy_ports_contain(&f->source_port, sport) || !policy_ports_contain(&f->destination_port, dport))
		return false;
	if (!policy_addrs_contain(&f->source, src) || !policy_addrs_contain(&f->destination, dst))
		return false;
	return !f->time_cond || !a->now || timecond_active(&f->time_cond->tc, a->now);
}

const struct policy_filter *
policy_filter_match_linear(const struct policy *p, const struct policy_conn_attrs *a)
{
	size_t i;

	for (i = 0; i < p->nfilters; i++)
		if (policy_filter_matches(&p->filters[i], a))
			return &p->filters[i];
	return NULL;
}

/* Filters seen as TTLS rules, so the compiled matcher (index.c) serves them too:
 * a rule's "local" end is a filter's destination for inbound connections and
 * its source for outbound ones; a filter for Both becomes one rule per
 * direction. The rules borrow the filters' address lists. */
struct policy_filter_view {
	struct policy view;    /* only rules and nrules are used */
	unsigned *owner;       /* view rule -> filter index */
	struct policy_index *ix;
};

static void
view_rule(struct policy_rule *r, const struct policy_filter *f, int dir)
{
	bool in = dir == POLICY_DIR_INBOUND;

	memset(r, 0, sizeof(*r));
	r->direction = dir;
	r->local_addr = in ? f->destination : f->source;
	r->remote_addr = in ? f->source : f->destination;
	r->local_port = in ? f->destination_port : f->source_port;
	r->remote_port = in ? f->source_port : f->destination_port;
	r->time_cond = f->time_cond;
}

int
policy_filter_view_build(struct policy *p)
{
	struct policy_filter_view *fv;
	size_t i, n = 0;

	if (!p->nfilters)
		return 0;
	if (!(fv = calloc(1, sizeof(*fv))) ||
	    !(fv->view.rules = calloc(2 * p->nfilters, sizeof(*fv->view.rules))) ||
	    !(fv->owner = calloc(2 * p->nfilters, sizeof(*fv->owner))))
		goto fail;
	for (i = 0; i < p->nfilters; i++) {
		const struct policy_filter *f = &p->filters[i];
		int dir;

		for (dir = POLICY_DIR_INBOUND; dir <= POLICY_DIR_OUTBOUND; dir <<= 1) {
			if (!(f->direction & dir))
				continue;
			view_rule(&fv->view.rules[n], f, dir);
			fv->view.rules[n].index = (unsigned)n;
			fv->owner[n++] = (unsigned)i;
		}
	}
	fv->view.nrules = n;
	if (policy_index_build(&fv->view, &fv->ix) != 0)
		goto fail;
	p->fview = fv;
	return 0;
fail:
	policy_filter_view_free(fv);
	return ATTLS_ENOMEM;
}

void
policy_filter_view_free(struct policy_filter_view *fv)
{
	if (!fv)
		return;
	policy_index_free(fv->ix);
	free(fv->view.rules);
	free(fv->owner);
	free(fv);
}

const struct policy_filter *
policy_filter_match(const struct policy *p, const struct policy_conn_attrs *a)
{
	const struct policy_filter_view *fv = p->fview;
	const struct policy_rule *r;

	if (!fv || !fv->ix)
		return policy_filter_match_linear(p, a);
	r = policy_index_match(&fv->view, fv->ix, a);
	return r ? &p->filters[fv->owner[r - fv->view.rules]] : NULL;
}
