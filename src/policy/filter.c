/* SPDX-License-Identifier: Apache-2.0 */
/* IP filter rules: the first filter, in file order, that matches a connection
 * decides permit or deny (IpFilterPolicy). Pure, no I/O. */
#include "config.h"

#include "attls/policy.h"

static bool
in_ports(const struct policy_ports *pp, uint16_t port)
{
	return port >= pp->lo && port <= pp->hi;
}

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
	if (!in_ports(&f->source_port, sport) || !in_ports(&f->destination_port, dport))
		return false;
	if (!policy_addrs_contain(&f->source, src) || !policy_addrs_contain(&f->destination, dst))
		return false;
	return !f->time_cond || !a->now || timecond_active(&f->time_cond->tc, a->now);
}

const struct policy_filter *
policy_filter_match(const struct policy *p, const struct policy_conn_attrs *a)
{
	size_t i;

	for (i = 0; i < p->nfilters; i++)
		if (policy_filter_matches(&p->filters[i], a))
			return &p->filters[i];
	return NULL;
}
