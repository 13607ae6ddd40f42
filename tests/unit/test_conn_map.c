/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of conn_map.c's pure part: which Jobname rules are worth a
 * search for the owning process (every other condition of the rule holds). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "policy/diag.h"
#include "policy/policy.h"
#include "proxy/conn.h"

static const char policy_text[] =
	"groups:\n"
	"  off: { enabled: Off }\n"
	"time_conditions:\n"
	"  past: { period: \"20000101000000:20000102000000\", time_zone: UTC }\n"
	"rules:\n"
	"  job-and-user: { priority: 50, direction: Inbound, local_port: 7554, jobname: \"python3*\", "
	"userid: nobody, group: off, intercept: redirect, listen: \"0.0.0.0:15005\" }\n"
	"  unit: { priority: 40, direction: Inbound, local_port: 7554-7556, jobname: gateway.service, "
	"group: off, intercept: redirect, listen: \"0.0.0.0:15005\" }\n"
	"  user-only: { priority: 30, direction: Inbound, local_port: 7554, userid: root, "
	"group: off, intercept: redirect, listen: \"0.0.0.0:15005\" }\n"
	"  outside-window: { priority: 20, direction: Inbound, local_port: 7554, jobname: gw, "
	"time_condition: past, group: off, intercept: redirect, listen: \"0.0.0.0:15005\" }\n"
	"  outbound: { priority: 10, direction: Outbound, remote_port: 8443, jobname: \"curl*\", "
	"group: off, intercept: redirect, listen: \"0.0.0.0:15004\" }\n";

static struct policy *pol;

static int
setup(void **state)
{
	struct diag_list dl;
	int r;

	(void)state;
	diag_list_init(&dl);
	r = policy_parse("t.yaml", policy_text, strlen(policy_text), NULL, &pol, &dl);
	if (r != 0)
		diag_print(&dl, stderr);
	diag_list_cleanup(&dl);
	return r;
}

static int
teardown(void **state)
{
	(void)state;
	policy_unref(pol);
	return 0;
}

static const struct policy_rule *
rule(const char *name)
{
	size_t i;

	for (i = 0; i < pol->nrules; i++)
		if (strcmp(pol->rules[i].name, name) == 0)
			return &pol->rules[i];
	fail_msg("no rule %s", name);
	return NULL;
}

static void
attrs(struct policy_conn_attrs *a, int dir, uint16_t lport, uint16_t rport)
{
	memset(a, 0, sizeof(*a));
	a->local_addr[10] = a->local_addr[11] = 0xff; /* ::ffff:127.0.0.1 */
	a->local_addr[12] = 127;
	a->local_addr[15] = 1;
	memcpy(a->remote_addr, a->local_addr, 16);
	a->local_port = lport;
	a->remote_port = rport;
	a->direction = dir;
	a->now = time(NULL);
}

static void
test_other_conditions_decide(void **state)
{
	struct policy_conn_attrs a;

	(void)state;
	attrs(&a, POLICY_DIR_INBOUND, 7554, 40000);
	/* The uid already rules it out: no search. */
	assert_false(conn_map_needs_process(rule("job-and-user"), &a, "root"));
	assert_true(conn_map_needs_process(rule("job-and-user"), &a, "nobody"));
	/* A wildcard and an exact Jobname (a systemd unit) alike. */
	assert_true(conn_map_needs_process(rule("unit"), &a, "root"));
	/* The port rules it out. */
	attrs(&a, POLICY_DIR_INBOUND, 7557, 40000);
	assert_false(conn_map_needs_process(rule("unit"), &a, "root"));
	assert_false(conn_map_needs_process(rule("job-and-user"), &a, "nobody"));
	/* So does the direction. */
	attrs(&a, POLICY_DIR_INBOUND, 7554, 8443);
	assert_false(conn_map_needs_process(rule("outbound"), &a, "root"));
	attrs(&a, POLICY_DIR_OUTBOUND, 40000, 8443);
	assert_true(conn_map_needs_process(rule("outbound"), &a, "root"));
}

static void
test_no_jobname_no_search(void **state)
{
	struct policy_conn_attrs a;

	(void)state;
	attrs(&a, POLICY_DIR_INBOUND, 7554, 40000);
	/* Userid alone: sock_diag's uid is enough. */
	assert_false(conn_map_needs_process(rule("user-only"), &a, "root"));
}

static void
test_time_window(void **state)
{
	struct policy_conn_attrs a;

	(void)state;
	attrs(&a, POLICY_DIR_INBOUND, 7554, 40000);
	/* Outside its window the rule matches nothing: no search. */
	assert_false(conn_map_needs_process(rule("outside-window"), &a, "root"));
}

/* conn_map.c fills jobname and userid in while it tries owners: left over from
 * another rule's attempt they must not decide; the user argument and the
 * rule's own pattern do. */
static void
test_stale_owner_fields_ignored(void **state)
{
	struct policy_conn_attrs a;

	(void)state;
	attrs(&a, POLICY_DIR_INBOUND, 7554, 40000);
	a.jobname = "python3";
	a.userid = "nobody";
	/* A Jobname of another process does not rule a search out... */
	assert_true(conn_map_needs_process(rule("unit"), &a, "root"));
	/* ...and a userid of another process does not let one in. */
	assert_false(conn_map_needs_process(rule("job-and-user"), &a, "root"));
	a.userid = "root";
	assert_true(conn_map_needs_process(rule("job-and-user"), &a, "nobody"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_conditions_decide),
		cmocka_unit_test(test_no_jobname_no_search),
		cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_stale_owner_fields_ignored),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
