/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the policy language: loading, validation messages, matching. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "common/err.h"
#include "policy/diag.h"
#include "policy/policy.h"

/* A policy without key files (clear-text rules only), so tests need no PKI. */
#define CLEAR_POLICY                                   \
	"groups:\n"                                    \
	"  off: { enabled: Off }\n"                    \
	"rules:\n"                                     \
	"  low:\n"                                     \
	"    priority: 10\n"                           \
	"    direction: Inbound\n"                     \
	"    local_port: 8443\n"                       \
	"    local_addr: 127.0.0.1\n"                  \
	"    group: off\n"                             \
	"    backend: 127.0.0.1:8080\n"                \
	"  b-high:\n"                                  \
	"    priority: 100\n"                          \
	"    direction: Inbound\n"                     \
	"    local_port: 8443\n"                       \
	"    remote_addr: [10.0.0.0/8, 192.168.1.1-192.168.1.9]\n" \
	"    group: off\n"                             \
	"    listen: 127.0.0.2:8443\n"                 \
	"    backend: 127.0.0.1:8081\n"                \
	"  a-high:\n"                                  \
	"    priority: 100\n"                          \
	"    direction: Inbound\n"                     \
	"    local_port: 8443\n"                       \
	"    remote_addr: 10.1.0.0/16\n"               \
	"    group: off\n"                             \
	"    listen: 127.0.0.1:8443\n"                 \
	"    backend: 127.0.0.1:8082\n"

struct fixture {
	struct diag_list dl;
	struct policy *p;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	diag_list_init(&f->dl);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	policy_unref(f->p);
	diag_list_cleanup(&f->dl);
	free(f);
	return 0;
}

static int
parse(struct fixture *f, const char *text)
{
	return policy_parse("t.yaml", text, strlen(text), NULL, &f->p, &f->dl);
}

/* Returns the printed diagnostics (caller frees). */
static char *
diags(struct fixture *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	diag_print(&f->dl, m);
	fclose(m);
	return buf;
}

static void
attrs(struct policy_conn_attrs *a, const char *local, uint16_t lport, const char *remote,
      uint16_t rport)
{
	struct policy_addr_range r;

	memset(a, 0, sizeof(*a));
	assert_int_equal(policy_addr_parse(local, &r), 0);
	memcpy(a->local_addr, r.lo, 16);
	assert_int_equal(policy_addr_parse(remote, &r), 0);
	memcpy(a->remote_addr, r.lo, 16);
	a->local_port = lport;
	a->remote_port = rport;
	a->direction = POLICY_DIR_INBOUND;
}

static void
test_load_orders_rules_by_priority_then_name(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, CLEAR_POLICY), 0);
	assert_int_equal(f->p->nrules, 3);
	assert_string_equal(f->p->rules[0].name, "a-high");
	assert_string_equal(f->p->rules[1].name, "b-high");
	assert_string_equal(f->p->rules[2].name, "low");
}

static void
test_match_first_rule_wins(void **state)
{
	struct fixture *f = *state;
	struct policy_conn_attrs a;
	const struct policy_rule *r;

	assert_int_equal(parse(f, CLEAR_POLICY), 0);
	/* 10.1.2.3 is in both a-high and b-high: the name decides at equal priority. */
	attrs(&a, "127.0.0.1", 8443, "10.1.2.3", 40000);
	r = policy_match(f->p, &a);
	assert_non_null(r);
	assert_string_equal(r->name, "a-high");
	attrs(&a, "127.0.0.1", 8443, "10.2.2.3", 40000);
	assert_string_equal(policy_match(f->p, &a)->name, "b-high");
	attrs(&a, "127.0.0.1", 8443, "192.168.1.9", 40000);
	assert_string_equal(policy_match(f->p, &a)->name, "b-high");
	attrs(&a, "127.0.0.1", 8443, "192.168.1.10", 40000);
	assert_string_equal(policy_match(f->p, &a)->name, "low");
	/* Another port matches nothing: AT-TLS fails open (the caller decides). */
	attrs(&a, "127.0.0.1", 9443, "10.1.2.3", 40000);
	assert_null(policy_match(f->p, &a));
	/* Another local address: "low" needs 127.0.0.1. */
	attrs(&a, "127.0.0.2", 8443, "172.16.0.1", 40000);
	assert_null(policy_match(f->p, &a));
}

static void
test_match_checks_direction(void **state)
{
	struct fixture *f = *state;
	struct policy_conn_attrs a;

	assert_int_equal(parse(f, CLEAR_POLICY), 0);
	attrs(&a, "127.0.0.1", 8443, "10.1.2.3", 40000);
	a.direction = POLICY_DIR_OUTBOUND;
	assert_null(policy_match(f->p, &a));
}

static void
test_listeners_are_shared_by_rules(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, CLEAR_POLICY), 0);
	/* low and a-high name 127.0.0.1:8443; b-high listens on 127.0.0.2:8443. */
	assert_int_equal(f->p->nlisteners, 2);
}

/* 0.0.0.0:8443 next to 127.0.0.1:8443: the second socket cannot be bound, so
 * the policy is refused at load, not at start-up. */
static void
test_wildcard_and_specific_listener_on_one_port(void **state)
{
	struct fixture *f = *state;
	char *out;

	assert_int_not_equal(parse(f, "groups:\n  off: { enabled: Off }\nrules:\n"
				      "  one: { priority: 2, direction: Inbound, local_port: 8443,"
				      " local_addr: 127.0.0.1, group: off, backend: '127.0.0.1:1' }\n"
				      "  any: { priority: 1, direction: Inbound, local_port: 8443,"
				      " group: off, backend: '127.0.0.1:1' }\n"),
			     0);
	out = diags(f);
	assert_non_null(strstr(out, "t.yaml:4:3: error: listener 127.0.0.1:8443 overlaps listener "
				    "0.0.0.0:8443 (line 5)"));
	free(out);
}

/* A rule that names a Jobname matches only that job's connections: a rule
 * below it without one is not shadowed; one for the same job is. */
static void
test_shadow_check_respects_jobname(void **state)
{
	struct fixture *f = *state;
	char *out;

	assert_int_equal(parse(f, "groups:\n  off: { enabled: Off }\nrules:\n"
				  "  curl: { priority: 9, direction: Outbound, jobname: 'curl*',"
				  " intercept: redirect, listen: '127.0.0.1:1', group: off }\n"
				  "  all: { priority: 5, direction: Outbound, remote_port: 443,"
				  " intercept: redirect, listen: '127.0.0.1:1', group: off }\n"
				  "  curl8: { priority: 1, direction: Outbound, jobname: curl8,"
				  " remote_port: 443, intercept: redirect, listen: '127.0.0.1:1',"
				  " group: off }\n"),
			 0);
	out = diags(f);
	assert_null(strstr(out, "rule \"all\" can never match"));
	assert_non_null(strstr(out, "rule \"curl8\" can never match: rule \"curl\""));
	free(out);
}

static void
test_load_reports_every_error_with_position(void **state)
{
	struct fixture *f = *state;
	char *out;
	const char *text = "groups:\n"
			   "  g: { enabled: maybe, trace: 999 }\n"
			   "rules:\n"
			   "  r:\n"
			   "    priorty: 10\n"
			   "    direction: Sideways\n"
			   "    local_port: 70000\n"
			   "    group: g\n";

	assert_int_not_equal(parse(f, text), 0);
	assert_null(f->p);
	out = diags(f);
	assert_non_null(strstr(out, "t.yaml:2:17: error: group \"g\" \"enabled\" must be one of On, Off"));
	assert_non_null(strstr(out, "t.yaml:2:31: error: group \"g\" \"trace\" must be between 0 and 255"));
	assert_non_null(strstr(out, "t.yaml:5:5: error: unknown key \"priorty\" in rule \"r\"; did you mean \"priority\"?"));
	assert_non_null(strstr(out, "t.yaml:6:16: error: rule \"r\" \"direction\" must be one of Inbound, Outbound, Both"));
	assert_non_null(strstr(out, "t.yaml:7:17: error: rule \"r\" \"local_port\""));
	assert_non_null(strstr(out, "t.yaml:4:3: error: rule \"r\" has no \"priority\""));
	/* The source line and a caret follow each message. */
	assert_non_null(strstr(out, "     5 |     priorty: 10\n       |     ^\n"));
	free(out);
}

static void
test_load_rejects_yaml_syntax_error(void **state)
{
	struct fixture *f = *state;
	char *out;

	assert_int_not_equal(parse(f, "rules:\n  r: [unclosed\n"), 0);
	out = diags(f);
	assert_non_null(strstr(out, "t.yaml:3:1: error: YAML syntax error"));
	free(out);
}

static void
test_load_rejects_dangling_reference(void **state)
{
	struct fixture *f = *state;
	char *out;
	const char *text = "groups:\n  grp-on: { enabled: Off }\n"
			   "rules:\n  r: { priority: 1, direction: Inbound, local_port: 1,"
			   " group: grp-no, backend: '127.0.0.1:1' }\n";

	assert_int_not_equal(parse(f, text), 0);
	out = diags(f);
	assert_non_null(strstr(out, "refers to group \"grp-no\", which is not defined; did you "
				    "mean \"grp-on\"?"));
	free(out);
}

static void
test_load_rejects_duplicate_names_and_missing_condition(void **state)
{
	struct fixture *f = *state;
	char *out;
	const char *text = "groups:\n  g: { enabled: Off }\n"
			   "rules:\n"
			   "  r: { priority: 1, direction: Inbound, group: g, backend: 'h:1', listen: '127.0.0.1:1' }\n"
			   "  r: { priority: 2, direction: Inbound, local_port: 2, group: g, backend: 'h:1' }\n";

	assert_int_not_equal(parse(f, text), 0);
	out = diags(f);
	assert_non_null(strstr(out, "t.yaml:5:3: error: duplicate rule name \"r\" (first defined at line 4)"));
	assert_non_null(strstr(out, "t.yaml:4:3: error: rule \"r\" has no condition"));
	free(out);
}

static void
test_values_are_case_insensitive(void **state)
{
	struct fixture *f = *state;
	const char *text = "groups:\n  g: { enabled: OFF }\n"
			   "rules:\n  r: { priority: 1, direction: inBOUND, local_port: 1,"
			   " local_addr: 127.0.0.1, group: g, backend: '127.0.0.1:2' }\n";

	assert_int_equal(parse(f, text), 0);
	assert_int_equal(f->p->rules[0].direction, POLICY_DIR_INBOUND);
	assert_false(f->p->rules[0].eff.enabled);
}

static void
test_addr_parse_forms(void **state)
{
	struct policy_addr_range r;
	struct policy_addrs as = { &r, 1 };
	uint8_t a[16];

	(void)state;
	assert_int_equal(policy_addr_parse("10.0.0.0/8", &r), 0);
	policy_addr_from_v4(inet_addr("10.255.255.255"), a);
	assert_true(policy_addrs_contain(&as, a));
	policy_addr_from_v4(inet_addr("11.0.0.0"), a);
	assert_false(policy_addrs_contain(&as, a));
	assert_int_equal(policy_addr_parse("2001:db8::/32", &r), 0);
	assert_int_equal(policy_addr_parse("10.0.0.9-10.0.0.1", &r), ATTLS_EINVAL);
	assert_int_equal(policy_addr_parse("10.0.0.0/33", &r), ATTLS_EINVAL);
	assert_int_equal(policy_addr_parse("not-an-address", &r), ATTLS_EINVAL);
	assert_int_equal(policy_addr_parse("10.0.0.1-::1", &r), ATTLS_EINVAL);
}

static void
test_env_vars_expand_in_paths(void **state)
{
	struct fixture *f = *state;
	char *out;
	const char *text = "keyrings:\n  k: { trusted_ca: '${ATTLS_TEST_UNSET_VAR}/ca.crt' }\n";

	unsetenv("ATTLS_TEST_UNSET_VAR");
	assert_int_not_equal(parse(f, text), 0);
	out = diags(f);
	assert_non_null(strstr(out, "names an environment variable that is not set"));
	free(out);
}

/* Cause lines name the line of the very key to change: the loader keeps one
 * per key written, the narrower scope's first, 0 (and "where to add it") for
 * a default. */
static void
test_key_lines(void **state)
{
	struct fixture *f = *state;
	const struct policy_rule *r;
	char buf[200];
	const char *text = "keyrings:\n"
			   "  k:\n"
			   "    certificate: /dev/null\n"   /* 3 */
			   "    key: /dev/null\n"
			   "    trusted_ca: /dev/null\n"   /* 5 */
			   "ciphers:\n"
			   "  c1:\n"
			   "    v3_cipher_suites_4char: C030\n" /* 8 */
			   "groups:\n  off: { enabled: Off }\n"
			   "environments:\n"
			   "  e:\n"                          /* 12 */
			   "    handshake_role: Server\n"
			   "    keyring: k\n"
			   "    handshake_timeout: 3\n"     /* 15 */
			   "    ciphers: c1\n"
			   "    peer_min_rsa_key_size: 3072\n" /* 17 */
			   "connections:\n"
			   "  n:\n"
			   "    peer_min_rsa_key_size: 4096\n" /* 20 */
			   "rules:\n"
			   "  r: { priority: 1, direction: Inbound, local_port: 8443, local_addr: 127.0.0.1, "
			   "group: off, "
			   "environment: e, connection: n, backend: 127.0.0.1:8080 }\n";

	assert_int_equal(parse(f, text), 0);
	r = &f->p->rules[0];
	assert_int_equal(policy_key_line("keyrings", f->p->keyrings[0].key_line, "trusted_ca"), 5);
	assert_int_equal(policy_key_line("keyrings", f->p->keyrings[0].key_line, "crl"), 0);
	assert_int_equal(policy_key_line("ciphers", f->p->ciphers[0].key_line,
					 "v3_cipher_suites_4char"),
			 8);
	assert_int_equal(policy_rule_parm_line(r, "handshake_timeout"), 15);
	assert_int_equal(policy_rule_parm_line(r, "ciphers"), 16);
	assert_int_equal(policy_rule_parm_line(r, "peer_min_rsa_key_size"), 20); /* connection's */
	assert_int_equal(policy_rule_parm_line(r, "tls_v1_3"), 0);
	assert_string_equal(policy_rule_parm_where(r, "handshake_timeout", buf, sizeof(buf)),
			    "t.yaml:15");
	assert_string_equal(policy_rule_parm_where(r, "tls_v1_3", buf, sizeof(buf)),
			    "not set (the default): add it to environment e at t.yaml:12");
}

static void
test_time_condition_gates_rule(void **state)
{
	struct fixture *f = *state;
	struct policy_conn_attrs a;
	const char *text = "groups:\n  off: { enabled: Off }\n"
			   "time_conditions:\n"
			   "  office: { days_of_week: Mon-Fri, time_of_day: '07:00-19:00', time_zone: UTC }\n"
			   "rules:\n"
			   "  day: { priority: 2, direction: Inbound, local_port: 8443, local_addr: 127.0.0.1,"
			   " time_condition: office, group: off, backend: '127.0.0.1:1' }\n"
			   "  always: { priority: 1, direction: Inbound, local_port: 8443,"
			   " local_addr: 127.0.0.1, group: off, backend: '127.0.0.1:2' }\n";

	assert_int_equal(parse(f, text), 0);
	attrs(&a, "127.0.0.1", 8443, "10.0.0.1", 40000);
	a.now = 1748858400; /* Monday 2025-06-02 10:00:00 UTC */
	assert_string_equal(policy_match(f->p, &a)->name, "day");
	a.now = 1748829600; /* Monday 02:00 UTC: outside the window */
	assert_string_equal(policy_match(f->p, &a)->name, "always");
	a.now = 1749290400; /* Saturday 2025-06-07 10:00 UTC */
	assert_string_equal(policy_match(f->p, &a)->name, "always");
}

/* days_of_week as a list selects the days of all its items, the same mask as the
 * comma form. */
static void
test_days_of_week_list(void **state)
{
	struct fixture *f = *state;
	const char *text = "groups:\n  off: { enabled: Off }\n"
			   "time_conditions:\n"
			   "  list: { days_of_week: [Mon, Wed-Fri, '1000000'] }\n"
			   "  comma: { days_of_week: 'Sun,Mon,Wed-Fri' }\n"
			   "rules:\n"
			   "  r: { priority: 1, direction: Inbound, local_port: 8443, local_addr: 127.0.0.1,"
			   " time_condition: list, group: off, backend: '127.0.0.1:1' }\n"
			   "  s: { priority: 2, direction: Inbound, local_port: 8443, local_addr: 127.0.0.1,"
			   " time_condition: comma, group: off, backend: '127.0.0.1:1' }\n";

	assert_int_equal(parse(f, text), 0);
	assert_int_equal(f->p->ntimes, 2);
	assert_true(f->p->times[0].tc.set & TIMECOND_SET_DAYS_OF_WEEK);
	assert_int_equal(f->p->times[0].tc.days_of_week, f->p->times[1].tc.days_of_week);
	assert_int_equal(__builtin_popcount(f->p->times[0].tc.days_of_week), 5);
}

static void
test_time_condition_errors(void **state)
{
	struct fixture *f = *state;
	char *out;
	const char *text = "groups:\n  off: { enabled: Off }\n"
			   "time_conditions:\n"
			   "  bad: { days_of_week: '01', time_of_day: '25:00-26:00', colour: blue }\n"
			   "rules:\n"
			   "  r: { priority: 1, direction: Inbound, local_port: 1, local_addr: 127.0.0.1,"
			   " time_condition: nope, group: off, backend: '127.0.0.1:1' }\n";

	assert_int_not_equal(parse(f, text), 0);
	out = diags(f);
	/* The carets stand under the values' text, not under their quotes. */
	assert_non_null(strstr(out, "t.yaml:4:25: error: time condition \"bad\" \"days_of_week\""));
	assert_non_null(strstr(out, "t.yaml:4:44: error: time condition \"bad\" \"time_of_day\""));
	assert_non_null(strstr(out, "unknown key \"colour\" in time condition \"bad\""));
	assert_non_null(strstr(out, "refers to time condition \"nope\", which is not defined"));
	free(out);
}

/* Found by fuzzing: a warning about the whole file must outlive the policy. */
static void
test_diagnostics_outlive_policy(void **state)
{
	struct fixture *f = *state;
	char *out;

	assert_int_equal(parse(f, "settings: { workers: 1 }\n"), 0);
	policy_unref(f->p);
	f->p = NULL;
	out = diags(f);
	assert_non_null(strstr(out, "t.yaml: warning: the policy has no rules"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_orders_rules_by_priority_then_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_first_rule_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_checks_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listeners_are_shared_by_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_reports_every_error_with_position, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wildcard_and_specific_listener_on_one_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shadow_check_respects_jobname, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_rejects_yaml_syntax_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_rejects_dangling_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_rejects_duplicate_names_and_missing_condition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_are_case_insensitive, setup, teardown),
		cmocka_unit_test(test_addr_parse_forms),
		cmocka_unit_test_setup_teardown(test_env_vars_expand_in_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_condition_gates_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_condition_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_days_of_week_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diagnostics_outlive_policy, setup, teardown),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
