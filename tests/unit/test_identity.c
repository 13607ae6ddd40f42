/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the identity maps (SAFCheck): DN parsing, RDN comparison, the
 * most specific filter, one-to-one entries, the nearest filter on a miss, and
 * the policy file form. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/diag.h"
#include "policy/identity.h"
#include "policy/policy.h"

static void
test_dn_parse(void **state)
{
	char **r;
	size_t n;

	(void)state;
	assert_null(identity_dn_parse("CN=a\\,b, O=Example Corp ,C=US", &r, &n));
	assert_int_equal(n, 3);
	assert_string_equal(r[0], "CN=a\\,b"); /* canonical RFC 4514: escaped again */
	assert_string_equal(r[1], "O=Example Corp");
	assert_string_equal(r[2], "C=US");
	identity_rdns_free(r, n);
	assert_non_null(identity_dn_parse("", &r, &n));
	assert_non_null(identity_dn_parse("CN=a,,O=b", &r, &n));
	assert_non_null(identity_dn_parse("just words", &r, &n));
	assert_non_null(identity_dn_parse("CN=", &r, &n));
}

/* One canonical form: \2C and \, are the same comma; a multi-valued RDN keeps
 * its unescaped '+'; a NUL is refused. */
static void
test_dn_canonical(void **state)
{
	char **r, *a;
	size_t n;

	(void)state;
	assert_null(identity_dn_parse("CN=a\\2Cb+OU=x\\+y,O=\\ lead\\#, C=US", &r, &n));
	assert_int_equal(n, 3);
	assert_string_equal(r[0], "CN=a\\,b+OU=x\\+y");
	assert_string_equal(r[1], "O=\\ lead#");
	identity_rdns_free(r, n);
	assert_non_null(identity_dn_parse("CN=a\\00b", &r, &n));
	assert_null(identity_ava("CN", "#x, y ", 6, &a));
	assert_string_equal(a, "CN=\\#x\\, y\\ ");
	free(a);
	assert_non_null(identity_ava("CN", "a\0b", 3, &a));
	assert_null(a);
}

/* Issue 12: a CN whose value contains "+OU=" is not the two-valued RDN. */
static void
test_rdn_plus_not_multivalued(void **state)
{
	char **r, *cert;
	size_t n;

	(void)state;
	/* The certificate's CN is the one string "x+OU=admins", escaped on the TLS side. */
	assert_null(identity_ava("CN", "x+OU=admins", 11, &cert));
	assert_null(identity_dn_parse("CN=x+OU=admins,O=attls", &r, &n));
	assert_false(identity_rdn_equal(r[0], cert));
	identity_rdns_free(r, n);
	/* Written with the escape, the filter names that one attribute. */
	assert_null(identity_dn_parse("CN=x\\+OU=admins,O=attls", &r, &n));
	assert_true(identity_rdn_equal(r[0], cert));
	identity_rdns_free(r, n);
	free(cert);
	/* A multi-valued RDN is a set: order does not matter, count does. */
	assert_true(identity_rdn_equal("CN=x+OU=y", "ou=y+CN=x"));
	assert_false(identity_rdn_equal("CN=x+OU=y", "CN=x"));
	assert_false(identity_rdn_equal("CN=x", "CN=x+OU=y"));
	assert_false(identity_rdn_equal("CN=x+CN=x", "CN=x+OU=y"));
}

static void
test_rdn_equal(void **state)
{
	(void)state;
	assert_true(identity_rdn_equal("cn=alice", "CN=alice"));
	assert_true(identity_rdn_equal("E=a@b", "emailAddress=a@b"));
	assert_true(identity_rdn_equal("S=Bavaria", "ST=Bavaria"));
	assert_false(identity_rdn_equal("CN=alice", "CN=Alice")); /* values exactly */
	assert_false(identity_rdn_equal("CN=alice", "OU=alice"));
	assert_false(identity_rdn_equal("CN=a*", "CN=abc"));        /* no wildcards */
}

static void
test_user_check(void **state)
{
	(void)state;
	assert_null(identity_user_check("IBMUSER"));
	assert_null(identity_user_check("svc.web-01@x"));
	assert_non_null(identity_user_check(""));
	assert_non_null(identity_user_check("-root"));
	assert_non_null(identity_user_check("has space"));
	assert_non_null(identity_user_check("a23456789012345678901234567890123")); /* 33 */
}

/* A map built the way the loader builds it. */
struct fx {
	struct policy_identity_map m;
};

static void
add_filter(struct policy_identity_map *m, const char *subj, const char *iss, const char *user)
{
	struct policy_id_filter *f;

	m->filters.v = realloc(m->filters.v, (m->filters.n + 1) * sizeof(*f));
	assert_non_null(m->filters.v);
	f = &m->filters.v[m->filters.n++];
	memset(f, 0, sizeof(*f));
	if (subj) {
		assert_null(identity_dn_parse(subj, &f->subject, &f->nsubject));
		f->subject_text = strdup(subj);
	}
	if (iss) {
		assert_null(identity_dn_parse(iss, &f->issuer, &f->nissuer));
		f->issuer_text = strdup(iss);
	}
	f->user = strdup(user);
	f->pos.line = (unsigned)m->filters.n;
}

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	f.m.name = "clients";
	add_filter(&f.m, "O=attls", NULL, "ORGWIDE");
	add_filter(&f.m, "OU=web,O=attls", NULL, "WEBTEAM");
	add_filter(&f.m, "CN=alice,OU=web,O=attls", NULL, "ALICE");
	add_filter(&f.m, "OU=web,O=attls", "CN=Web CA,O=attls", "WEBCA");
	add_filter(&f.m, NULL, "CN=Other CA,O=other", "OTHERCA");
	f.m.certs.v = calloc(1, sizeof(*f.m.certs.v));
	f.m.certs.n = 1;
	memset(f.m.certs.v[0].sha256, 0xAB, 32);
	f.m.certs.v[0].user = strdup("PINNED");
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	identity_filters_free(&f->m.filters);
	identity_certs_free(&f->m.certs);
	return 0;
}

static const char *
lookup(struct fx *f, const char *const *s, size_t ns, const char *const *i, size_t ni,
       const uint8_t *sha, struct identity_match *res)
{
	identity_map_lookup(&f->m, s, ns, i, ni, sha, res);
	return res->user;
}

static void
test_most_specific_wins(void **state)
{
	struct fx *f = *state;
	struct identity_match res;
	const char *alice[] = { "CN=alice", "OU=web", "O=attls" };
	const char *bob[] = { "CN=bob", "OU=web", "O=attls" };
	const char *carol[] = { "CN=carol", "OU=ops", "O=attls" };
	const char *webca[] = { "CN=Web CA", "O=attls" };
	const char *rootca[] = { "CN=Root CA", "O=attls" };

	assert_string_equal(lookup(f, alice, 3, rootca, 2, NULL, &res), "ALICE");
	assert_string_equal(lookup(f, bob, 3, rootca, 2, NULL, &res), "WEBTEAM");
	/* Equal subject filters: the one that also names the issuer is more specific. */
	assert_string_equal(lookup(f, bob, 3, webca, 2, NULL, &res), "WEBCA");
	assert_ptr_equal(res.filter, &f->m.filters.v[3]);
	assert_string_equal(lookup(f, carol, 3, rootca, 2, NULL, &res), "ORGWIDE");
}

static void
test_issuer_only_filter(void **state)
{
	struct fx *f = *state;
	struct identity_match res;
	const char *dave[] = { "CN=dave", "O=other" };
	const char *other[] = { "CN=Other CA", "O=other" };

	assert_string_equal(lookup(f, dave, 2, other, 2, NULL, &res), "OTHERCA");
}

static void
test_fingerprint_first(void **state)
{
	struct fx *f = *state;
	struct identity_match res;
	const char *alice[] = { "CN=alice", "OU=web", "O=attls" };
	const char *rootca[] = { "CN=Root CA", "O=attls" };
	uint8_t sha[32];

	memset(sha, 0xAB, sizeof(sha));
	assert_string_equal(lookup(f, alice, 3, rootca, 2, sha, &res), "PINNED");
	assert_non_null(res.cert);
	sha[31] = 0;
	assert_string_equal(lookup(f, alice, 3, rootca, 2, sha, &res), "ALICE");
}

static void
test_miss_names_nearest(void **state)
{
	struct fx *f = *state;
	struct identity_match res;
	const char *eve[] = { "CN=eve", "OU=web", "O=evil" };
	const char *x[] = { "CN=x" };
	const char *webca[] = { "CN=Web CA", "O=attls" };

	assert_null(lookup(f, eve, 3, webca, 2, NULL, &res));
	/* "OU=web,O=attls" + issuer "CN=Web CA,O=attls": the issuer matches (2 RDNs). */
	assert_ptr_equal(res.filter, &f->m.filters.v[3]);
	assert_int_equal(res.matched, 2);
	assert_int_equal(res.total, 4);
	assert_null(lookup(f, x, 1, x, 1, NULL, &res));
	assert_null(res.filter);
	/* A filter longer than the DN never matches. */
	assert_null(lookup(f, (const char *[]){ "O=attls" }, 0, x, 1, NULL, &res));
}

/* The YAML form, through the loader and the validator. */
static void
test_policy_form(void **state)
{
	static const char good[] =
		"identity_maps:\n"
		"  m:\n"
		"    filters:\n"
		"      - { subject: \"CN=alice,O=attls\", user: alice }\n"
		"      - { issuer: \"CN=attls Test CA,O=attls\", subject: \"O=attls\", user: grp }\n"
		"    certificates:\n"
		"      - sha256: \"AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:"
		"AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB\"\n"
		"        user: pinned\n";
	static const char bad[] = "identity_maps:\n"
				  "  m:\n"
				  "    filters:\n"
				  "      - { subject: \"CN=alice\", user: \"no spaces allowed\" }\n";
	struct diag_list dl;
	struct policy *p = NULL;

	(void)state;
	diag_list_init(&dl);
	assert_int_equal(policy_parse("good.yaml", good, strlen(good), NULL, &p, &dl), 0);
	assert_int_equal(p->nidmaps, 1);
	assert_int_equal(p->idmaps[0].filters.n, 2);
	assert_int_equal(p->idmaps[0].filters.v[1].nissuer, 2);
	assert_string_equal(p->idmaps[0].certs.v[0].user, "pinned");
	assert_int_equal(p->idmaps[0].certs.v[0].sha256[31], 0xAB);
	policy_unref(p);
	diag_list_cleanup(&dl);
	diag_list_init(&dl);
	assert_int_not_equal(policy_parse("bad.yaml", bad, strlen(bad), NULL, &p, &dl), 0);
	assert_null(p);
	diag_list_cleanup(&dl);
}

/* Issue 12: a key that is a list or a map under identity_maps used to be
 * dereferenced as a string (NULL): a clean load error at its line and column. */
static void
test_policy_nonscalar_key(void **state)
{
	static const char *const bad[] = {
		"identity_maps:\n"
		"  m:\n"
		"    filters:\n"
		"      - { ? [subject]\n"
		"          : \"CN=a\", user: alice }\n",
		"identity_maps:\n"
		"  m:\n"
		"    certificates:\n"
		"      - ? { sha256: x }\n"
		"        : y\n"
		"        user: alice\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag_list dl;
		struct policy *p = NULL;
		char *out = NULL;
		size_t len = 0;
		FILE *m;

		diag_list_init(&dl);
		assert_int_not_equal(policy_parse("k.yaml", bad[i], strlen(bad[i]), NULL, &p, &dl), 0);
		assert_null(p);
		m = open_memstream(&out, &len);
		assert_non_null(m);
		diag_print(&dl, m);
		fclose(m);
		assert_non_null(strstr(out, "k.yaml:4:"));
		assert_non_null(strstr(out, "key that is not a string"));
		free(out);
		diag_list_cleanup(&dl);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dn_parse),
		cmocka_unit_test(test_rdn_equal),
		cmocka_unit_test(test_user_check),
		cmocka_unit_test_setup_teardown(test_most_specific_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issuer_only_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_miss_names_nearest, setup, teardown),
		cmocka_unit_test(test_policy_form),
		cmocka_unit_test(test_dn_canonical),
		cmocka_unit_test(test_rdn_plus_not_multivalued),
		cmocka_unit_test(test_policy_nonscalar_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
