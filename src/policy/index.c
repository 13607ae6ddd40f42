/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled matcher. This first version builds no index, so policy_match()
 * scans the rules in order; a structure whose lookup grows at most
 * logarithmically with the number of rules replaces it. */
#include "config.h"

#include <stddef.h>

#include "attls/policy.h"

int
policy_index_build(const struct policy *p, struct policy_index **out)
{
	(void)p;
	*out = NULL;
	return 0;
}

void
policy_index_free(struct policy_index *ix)
{
	(void)ix;
}

const struct policy_rule *
policy_index_match(const struct policy *p, const struct policy_index *ix,
		   const struct policy_conn_attrs *a)
{
	(void)ix;
	return policy_match_linear(p, a);
}
