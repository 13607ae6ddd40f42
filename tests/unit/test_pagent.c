/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the pagent importer: tokens, case, comments, inline and named
 * sub-statements, repeated parameters, references, includes, error positions,
 * options, and the YAML printer. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/diag.h"
#include "common/err.h"
#include "policy/pagent.h"
#include "policy/policy.h"
#include "policy/ytree.h"

struct fx {
	struct diag_list dl;
	struct ynode *root;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	diag_list_init(&f->dl);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ytree_free(f->root);
	diag_list_cleanup(&f->dl);
	free(f);
	return 0;
}

static int
parse_opts(struct fx *f, const char *text, const struct pagent_opts *o)
{
	const char *file = diag_add_source(&f->dl, "t.pagent", text, strlen(text));

	ytree_free(f->root);
	f->root = NULL;
	return pagent_parse(file, text, strlen(text), o, &f->root, &f->dl);
}

static int
parse(struct fx *f, const char *text)
{
	static const struct pagent_opts o = { .port_offset = 100, .port_offset_set = true,
					      .no_include = true };
	return parse_opts(f, text, &o);
}

/* root.section.name.key, a scalar's text; NULL if absent. */
static const struct ynode *
get(const struct fx *f, const char *sec, const char *name, const char *key)
{
	return ytree_get(ytree_get(ytree_get(f->root, sec), name), key);
}

static const char *
val(const struct fx *f, const char *sec, const char *name, const char *key)
{
	const struct ynode *n = get(f, sec, name, key);
	return n && n->type == YNODE_SCALAR ? n->value : NULL;
}

#define RULE(body) "TTLSRule r\n{\n" body "}\nTTLSGroupAction g { TTLSEnabled Off }\n"

static void
test_tokens_case_comments(void **state)
{
	struct fx *f = *state;
	const struct ynode *n;

	assert_int_equal(parse(f, "# header\n"
				  "ttlsRULE r   # trailing\n"
				  "{\n"
				  "  DIRECTION   inbound   words after the value\n"
				  "\tpriority 10#comment\n"
				  "  LocalPortRange 8000 8010\n"
				  "  ttlsgroupactionref g\n"
				  "}\n"
				  "TTLSGroupAction g { TTLSEnabled Off }\n"),
			 0);
	assert_string_equal(val(f, "rules", "r", "direction"), "inbound");
	assert_string_equal(val(f, "rules", "r", "priority"), "10");
	assert_string_equal(val(f, "rules", "r", "local_port"), "8000-8010");
	assert_string_equal(val(f, "rules", "r", "group"), "g");
	n = get(f, "rules", "r", "direction");
	assert_int_equal(n->pos.line, 4);
	assert_int_equal(n->pos.col, 15);
	n = get(f, "rules", "r", "priority");
	assert_int_equal(n->pos.line, 5);
	assert_int_equal(n->pos.col, 11);
	/* a port range: one backend per port, at LocalPort + --backend-port-offset */
	assert_string_equal(val(f, "rules", "r", "backend"), "127.0.0.1:+100");
	assert_int_equal(f->dl.errors, 0);
	assert_int_equal(f->dl.warnings, 0);
}

/* A rule on several ports gets host:+N through port sets too; only ports + N
 * past 65535, or all ports, leave it without a backend (and say what to give). */
static void
test_backend_port_ranges(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, RULE("  LocalPortGroupRef pg\n  Priority 1\n")
				  "PortGroup pg\n{\n  PortRange { Port 9000 }\n  PortRangeRef pr\n}\n"
				  "PortRange pr { Port 9010 9011 }\n"),
			 0);
	assert_string_equal(val(f, "rules", "r", "backend"), "127.0.0.1:+100");
	assert_int_equal(f->dl.warnings, 0);

	assert_int_equal(parse(f, RULE("  LocalPortRange 65400 65436\n  Priority 1\n")), 0);
	assert_null(val(f, "rules", "r", "backend"));
	assert_int_equal(f->dl.errors, 0);
	assert_true(f->dl.warnings >= 1);
	assert_non_null(strstr(f->dl.items[f->dl.n - 1].text, "--backend r=host:port"));
}

static void
test_names_case_sensitive(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "TTLSGroupAction G { TTLSEnabled On }\n"
				  "TTLSGroupAction g { TTLSEnabled Off }\n"),
			 0);
	assert_string_equal(val(f, "groups", "G", "enabled"), "On");
	assert_string_equal(val(f, "groups", "g", "enabled"), "Off");
}

static void
test_one_line_block_params(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "TTLSGroupAction g { TTLSEnabled On  Trace 6 }\n"), 0);
	assert_string_equal(val(f, "groups", "g", "enabled"), "On");
	assert_string_equal(val(f, "groups", "g", "trace"), "6");
	assert_int_equal(get(f, "groups", "g", "trace")->pos.col, 43);
}

static void
test_inline_sub_statements(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "TTLSEnvironmentAction e\n{\n"
				  "  HandshakeRole Server\n"
				  "  TTLSKeyringParms { Keyring R }\n"
				  "  TTLSCipherParms named-c { V3CipherSuites4Char 1301 }\n"
				  "  TTLSEnvironmentAdvancedParms\n  {\n    TLSv1.2 Off\n  }\n"
				  "}\n"),
			 0);
	assert_string_equal(val(f, "environments", "e", "keyring"), "e~keyring");
	assert_string_equal(val(f, "environments", "e", "ciphers"), "named-c");
	assert_string_equal(val(f, "environments", "e", "tls_v1_2"), "Off");
	assert_string_equal(val(f, "keyrings", "e~keyring", "certificate"),
			    "${ATTLS_KEYRING_R}/server.crt");
	assert_non_null(get(f, "ciphers", "named-c", "v3_cipher_suites_4char"));
	/* the SAF ring draws a warning at its value */
	assert_int_equal(f->dl.warnings, 1);
	assert_int_equal(f->dl.items[0].pos.line, 4);
	assert_int_equal(f->dl.items[0].pos.col, 30);
}

static void
test_generated_name_fits(void **state)
{
	struct fx *f = *state;
	const struct ynode *k;

	assert_int_equal(parse(f, "TTLSEnvironmentAction abcdefghijklmnopqrstuvwxyz012345\n{\n"
				  "  TTLSSignatureParms { SignaturePairs 0804 }\n}\n"),
			 0);
	k = ytree_get(ytree_get(f->root, "signatures"), "abcdefghijklmnopqrstu~signatures");
	assert_non_null(k);
}

static void
test_repeated_lists(void **state)
{
	struct fx *f = *state;
	const struct ynode *n;

	assert_int_equal(parse(f, "TTLSCipherParms c\n{\n"
				  "  V3CipherSuites4Char 1302\n"
				  "  v3ciphersuites4char 1301 C02F\n"
				  "  V3CipherSuites 9D\n"
				  "  V3CipherSuites4Char C030\n}\n"),
			 0);
	n = get(f, "ciphers", "c", "v3_cipher_suites_4char");
	assert_non_null(n);
	assert_int_equal(n->type, YNODE_SEQ);
	assert_int_equal(n->n, 4);
	assert_string_equal(n->items[3]->value, "C030");
	assert_int_equal(n->items[3]->pos.line, 6);
	assert_int_equal(n->items[2]->pos.line, 4);
}

static void
test_address_references(void **state)
{
	struct fx *f = *state;
	const struct ynode *n;

	assert_int_equal(parse(f, RULE("  RemoteAddrGroupRef grp\n  LocalAddrRef lo\n"
				       "  LocalPortRangeRef p\n  Direction Inbound\n"
				       "  Priority 1\n  TTLSGroupActionRef g\n")
				  "IpAddr lo { Addr 127.0.0.1 }\n"
				  "IpAddrSet s\n{\n  Prefix 10.0.0.0/8\n  Range 10.1.0.1 10.1.0.9\n}\n"
				  "IpAddrGroup grp\n{\n  IpAddrSetRef s\n  IpAddr { Addr ::1 }\n}\n"
				  "PortRange p { Port 443 }\n"),
			 0);
	/* The rule names the sets; they become named lists with their own names. */
	assert_string_equal(val(f, "rules", "r", "local_addr"), "lo");
	assert_string_equal(val(f, "rules", "r", "local_port"), "p");
	assert_string_equal(val(f, "rules", "r", "remote_addr"), "grp");
	n = get(f, "rules", "r", "remote_addr");
	assert_int_equal(n->pos.line, 3);
	assert_int_equal(n->pos.col, 22);
	n = ytree_get(ytree_get(f->root, "addresses"), "lo");
	assert_non_null(n);
	assert_string_equal(n->value, "127.0.0.1");
	assert_string_equal(ytree_get(ytree_get(f->root, "ports"), "p")->value, "443");
	/* the group names the set and holds the inline IpAddr's address */
	n = ytree_get(ytree_get(f->root, "addresses"), "grp");
	assert_int_equal(n->type, YNODE_SEQ);
	assert_int_equal(n->n, 2);
	assert_string_equal(n->items[0]->value, "s");
	assert_string_equal(n->items[1]->value, "::1");
	n = ytree_get(ytree_get(f->root, "addresses"), "s");
	assert_int_equal(n->type, YNODE_SEQ);
	assert_int_equal(n->n, 2);
	assert_string_equal(n->items[0]->value, "10.0.0.0/8");
	assert_string_equal(n->items[1]->value, "10.1.0.1-10.1.0.9");
	/* each address keeps the position where it is written */
	assert_int_equal(n->items[0]->pos.line, 14);
	assert_int_equal(ytree_get(ytree_get(f->root, "addresses"), "grp")->items[1]->pos.line, 20);
	/* LocalPort 443 + 100 */
	assert_string_equal(val(f, "rules", "r", "backend"), "127.0.0.1:543");
}

static void
test_undefined_and_multi_port(void **state)
{
	struct fx *f = *state;
	const struct ynode *n;

	assert_int_equal(parse(f, RULE("  LocalAddrSetRef none\n  LocalPortGroupRef pg\n"
				       "  Direction Inbound\n  Priority 1\n  TTLSGroupActionRef g\n")
				  "PortGroup pg\n{\n  PortRange { Port 1 }\n  PortRange { Port 2 }\n}\n"),
			 ATTLS_EPOLICY);
	assert_null(f->root);
	assert_int_equal(f->dl.errors, 1);
	assert_int_equal(f->dl.items[0].pos.line, 3);
	assert_non_null(strstr(f->dl.items[0].text, "IpAddrSet \"none\" is not defined"));
	/* several port ranges are one port set now, not an error */
	diag_list_cleanup(&f->dl);
	diag_list_init(&f->dl);
	assert_int_equal(parse(f, RULE("  LocalPortGroupRef pg\n"
				       "  Direction Inbound\n  Priority 1\n  TTLSGroupActionRef g\n")
				  "PortGroup pg\n{\n  PortRange { Port 1 }\n  PortRange { Port 2 3 }\n}\n"),
			 0);
	assert_string_equal(val(f, "rules", "r", "local_port"), "pg");
	n = ytree_get(ytree_get(f->root, "ports"), "pg");
	assert_int_equal(n->type, YNODE_SEQ);
	assert_int_equal(n->n, 2);
	assert_string_equal(n->items[1]->value, "2-3");
}

static void
test_syntax_error_positions(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "Trace 2\n"
				  "TTLSGroupAction g\n{\n  TTLSEnabled On\n}\n}\n"
				  "Bogus x { }\n"
				  "TTLSGroupAction h\n  {\n"),
			 ATTLS_EPOLICY);
	assert_int_equal(f->dl.errors, 4);
	/* in the order found: parser first, then statements */
	assert_int_equal(f->dl.items[0].pos.line, 6);
	assert_non_null(strstr(f->dl.items[0].text, "without a matching"));
	assert_int_equal(f->dl.items[1].pos.line, 9);
	assert_int_equal(f->dl.items[1].pos.col, 3);
	assert_non_null(strstr(f->dl.items[1].text, "never closed"));
	assert_int_equal(f->dl.items[2].pos.line, 1);
	assert_non_null(strstr(f->dl.items[2].text, "outside any statement"));
	assert_int_equal(f->dl.items[3].pos.line, 7);
	assert_non_null(strstr(f->dl.items[3].text, "unknown statement"));
}

static void
test_unsupported_parameters_warn(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "TTLSGroupAction g\n{\n  TTLSEnabled On\n  FIPS140 On\n"
				  "  CtraceClearText Off\n  GroupUserInstance 2\n  Frobnicate 1\n}\n"
				  "TTLSEnvironmentAction e\n{\n  TTLSEnvironmentAdvancedParms\n  {\n"
				  "    ApplicationControlled On\n    SecondaryMap On\n  }\n}\n"),
			 0);
	assert_int_equal(f->dl.errors, 0);
	/* ApplicationControlled is a key now (application_controlled): no warning;
	 * CtraceClearText Off asks for nothing: no warning. */
	assert_int_equal(f->dl.warnings, 4);
	assert_non_null(strstr(f->dl.items[0].text, "FIPS140 is z/OS-only"));
	assert_non_null(strstr(f->dl.items[2].text, "unknown parameter \"Frobnicate\""));
	assert_int_equal(f->dl.items[3].pos.line, 14);
}

static void
test_options(void **state)
{
	struct fx *f = *state;
	struct diag_list mdl;
	struct ynode *map = NULL;
	const char *mtext = "RING1:\n  certificate: /k/c.pem\n  key: /k/k.pem\n";
	struct pagent_backend b = { "r", "10.0.0.1:80" };
	struct pagent_opts o = { .backends = &b, .nbackends = 1, .no_include = true };

	diag_list_init(&mdl);
	assert_int_equal(ytree_parse(diag_add_source(&mdl, "m.yaml", mtext, strlen(mtext)), mtext,
				     strlen(mtext), &map, &mdl),
			 0);
	o.keyring_map = map;
	assert_int_equal(parse_opts(f, RULE("  LocalPortRange 443\n  Direction Inbound\n"
					    "  Priority 1\n  TTLSGroupActionRef g\n")
				    "TTLSRule r2\n{\n  LocalPortRange 444\n  Direction Inbound\n"
				    "  Priority 1\n  TTLSGroupActionRef g\n}\n"
				    "TTLSKeyringParms k { Keyring RING1 }\n",
				    &o),
			 0);
	assert_string_equal(val(f, "rules", "r", "backend"), "10.0.0.1:80");
	assert_string_equal(val(f, "rules", "r2", "backend"), "127.0.0.1:10444");
	assert_string_equal(val(f, "keyrings", "k", "certificate"), "/k/c.pem");
	assert_null(val(f, "keyrings", "k", "trusted_ca"));
	/* only r2's derived backend warns */
	assert_int_equal(f->dl.warnings, 1);
	ytree_free(map);
	diag_list_cleanup(&mdl);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_include(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/attls-pagent-XXXXXX", main_path[64], sub[96], rules[128];
	const char *paths[1] = { main_path };
	const struct ynode *n;

	assert_non_null(mkdtemp(dir));
	snprintf(main_path, sizeof(main_path), "%s/pagent.conf", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(rules, sizeof(rules), "%s/sub/rules.ttls", dir);
	write_file(main_path, "LogLevel 15\nTTLSConfig sub/rules.ttls FLUSH PURGE\n"
			      "TTLSConfig sub/rules.ttls\n");
	write_file(rules, "# rules\nTTLSGroupAction g { TTLSEnabled Off }\n");
	assert_int_equal(pagent_load(paths, 1, NULL, &f->root, &f->dl), 0);
	n = get(f, "groups", "g", "enabled");
	assert_non_null(n);
	assert_string_equal(n->pos.file, rules);
	assert_int_equal(n->pos.line, 2);
	/* LogLevel warns; the second include of the same file is not read again */
	assert_int_equal(f->dl.warnings, 2);
	assert_int_equal(f->dl.errors, 0);
	unlink(rules);
	rmdir(sub);
	unlink(main_path);
	rmdir(dir);
}

static void
test_is_pagent(void **state)
{
	(void)state;
	assert_true(pagent_is_pagent("x.pagent", "", 0));
	assert_true(pagent_is_pagent("/etc/pagent.conf", "", 0));
	assert_true(pagent_is_pagent("p", "# c\n  TTLSRule r {", 14));
	assert_true(pagent_is_pagent("p", "ttlsgroupaction g", 17));
	assert_false(pagent_is_pagent("p.yaml", "rules:\n", 7));
	assert_false(pagent_is_pagent("p", "# TTLSRule\nrules: {}\n", 21));
}

/* ApplicationControlled lands in application_controlled, environment and
 * connection alike, with no warning. */
static void
test_application_controlled_maps(void **state)
{
	struct fx *f = *state;
	const struct ynode *v;

	assert_int_equal(parse(f, "TTLSEnvironmentAction e\n{\n  TTLSEnvironmentAdvancedParms\n"
				  "  {\n    ApplicationControlled On\n  }\n}\n"
				  "TTLSConnectionAction c\n{\n  TTLSConnectionAdvancedParms\n"
				  "  {\n    ApplicationControlled Off\n  }\n}\n"),
			 0);
	assert_int_equal(f->dl.warnings, 0);
	v = ytree_get(ytree_get(ytree_get(f->root, "environments"), "e"), "application_controlled");
	assert_non_null(v);
	assert_string_equal(v->value, "On");
	v = ytree_get(ytree_get(ytree_get(f->root, "connections"), "c"), "application_controlled");
	assert_non_null(v);
	assert_string_equal(v->value, "Off");
}

static void
test_yemit_round_trip(void **state)
{
	struct fx *f = *state;
	struct ynode *back = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	assert_int_equal(parse(f, "TTLSGroupAction \"odd: name\" { TTLSEnabled On }\n"
				  "TTLSGroupAction -dash { TTLSEnabled On #x\nTrace 2 }\n"
				  "TTLSGroupAction [b] { TTLSEnabled Off }\n"),
			 0);
	assert_non_null(mem = open_memstream(&buf, &len));
	yemit_tree(f->root, mem);
	fclose(mem);
	assert_int_equal(ytree_parse(diag_add_source(&f->dl, "e.yaml", buf, len), buf, len, &back,
				     &f->dl),
			 0);
	assert_non_null(ytree_get(ytree_get(back, "groups"), "\"odd:"));
	assert_non_null(ytree_get(ytree_get(back, "groups"), "-dash"));
	assert_non_null(ytree_get(ytree_get(back, "groups"), "[b]"));
	assert_non_null(strstr(buf, "\"\\\"odd:\""));
	ytree_free(back);
	free(buf);
}

static void
test_policy_parse_pagent(void **state)
{
	struct fx *f = *state;
	struct policy *p = NULL;
	const char *text = "TTLSRule clear\n{\n  LocalAddr 127.0.0.1\n  LocalPortRange 8443\n"
			   "  Direction Inbound\n  Priority 5\n  TTLSGroupActionRef off\n}\n"
			   "TTLSGroupAction off\n{\n  TTLSEnabled Off\n}\n";

	assert_int_equal(policy_parse("p.pagent", text, strlen(text), ".", &p, &f->dl), 0);
	assert_non_null(p);
	assert_int_equal(p->nrules, 1);
	assert_string_equal(p->rules[0].backend.host, "127.0.0.1");
	assert_int_equal(p->rules[0].backend.port, 18443);
	policy_unref(p);
	/* a loader error cites the pagent line */
	text = "TTLSGroupAction off\n{\n  TTLSEnabled Maybe\n}\n";
	assert_int_not_equal(policy_parse("q.pagent", text, strlen(text), ".", &p, &f->dl), 0);
	assert_int_equal(f->dl.items[f->dl.n - 1].pos.line, 3);
	assert_int_equal(f->dl.items[f->dl.n - 1].pos.col, 15);
}

/* A Policy Agent file keeps the line of each parameter, as YAML does: cause
 * lines name the statement to change. */
static void
test_pagent_key_lines(void **state)
{
	struct fx *f = *state;
	struct policy *p = NULL;
	const char *text = "TTLSRule r\n{\n  LocalPortRange 8443\n  Direction Inbound\n"
			   "  Priority 5\n  TTLSGroupActionRef off\n"
			   "  TTLSEnvironmentActionRef e\n}\n"                 /* 8 */
			   "TTLSGroupAction off\n{\n  TTLSEnabled Off\n}\n"  /* 12 */
			   "TTLSEnvironmentAction e\n{\n"
			   "  HandshakeRole Server\n"                          /* 15 */
			   "  TTLSKeyringParms\n  {\n    Keyring R\n  }\n"   /* 18 */
			   "  TTLSEnvironmentAdvancedParms\n  {\n"
			   "    HandshakeTimeout 7\n"                          /* 22 */
			   "  }\n}\n";

	char dir[] = "/tmp/attls-keylines-XXXXXX", path[64];
	static const char *const files[] = { "server.crt", "server.key", "ca.crt" };
	size_t i;
	FILE *fp;

	/* The ring's files need only be readable (the load checks that). */
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		assert_non_null(fp = fopen(path, "w"));
		fclose(fp);
	}
	setenv("ATTLS_KEYRING_R", dir, 1);
	assert_int_equal(policy_parse("k.pagent", text, strlen(text), ".", &p, &f->dl), 0);
	assert_int_equal(policy_rule_parm_line(&p->rules[0], "handshake_role"), 15);
	assert_int_equal(policy_rule_parm_line(&p->rules[0], "handshake_timeout"), 22);
	assert_int_equal(policy_rule_parm_line(&p->rules[0], "tls_v1_3"), 0);
	assert_int_equal(policy_key_line("keyrings", p->keyrings[0].key_line, "certificate"), 18);
	policy_unref(p);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Rules without Priority: priority 1 (below every other), one warning a file. */
static void
test_no_priority(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "TTLSRule b { LocalPortRange 1 TTLSGroupActionRef g }\n"
				  "TTLSRule a { LocalPortRange 2 TTLSGroupActionRef g }\n"
				  "TTLSRule c { LocalPortRange 3 Priority 5 TTLSGroupActionRef g }\n"
				  "TTLSGroupAction g { TTLSEnabled Off }\n"),
			 0);
	assert_string_equal(val(f, "rules", "a", "priority"), "1");
	assert_string_equal(val(f, "rules", "b", "priority"), "1");
	assert_string_equal(val(f, "rules", "c", "priority"), "5");
	assert_int_equal(f->dl.warnings, 1);
	assert_non_null(strstr(f->dl.items[0].text, "2 rules of this file have no Priority"));
	assert_int_equal(f->dl.items[0].pos.line, 1);
}

/* Unimplemented suites dropped with a warning each; nothing left is an error. */
static void
test_suites_dropped(void **state)
{
	struct fx *f = *state;
	const struct ynode *l;

	assert_int_equal(parse(f, "TTLSCipherParms c\n{\n"
				  "  V3CipherSuites TLS_RSA_WITH_RC4_128_SHA\n"
				  "  V3CipherSuites 05352F0A\n"
				  "  V3CipherSuites4Char TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256 C02F\n}\n"),
			 0);
	l = get(f, "ciphers", "c", "v3_cipher_suites");
	assert_non_null(l);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->items[0]->value, "352F0A");
	l = get(f, "ciphers", "c", "v3_cipher_suites_4char");
	assert_int_equal(l->n, 1);
	assert_string_equal(l->items[0]->value, "C02F");
	assert_int_equal(f->dl.warnings, 3);
	assert_int_equal(f->dl.errors, 0);

	assert_int_equal(parse(f, "TTLSCipherParms c { V3CipherSuites 0405 }\n"), ATTLS_EPOLICY);
	assert_int_equal(f->dl.errors, 1);
	assert_non_null(strstr(f->dl.items[f->dl.n - 1].text, "nothing usable is left"));
}

/* Outbound: interception; Client-only placeholder ring: no certificate or key;
 * labels: LABEL.crt and LABEL.key in the ring's folder; GSK advanced parms. */
static void
test_outbound_rings_gsk(void **state)
{
	struct fx *f = *state;
	const struct ynode *certs;

	assert_int_equal(parse(f, "TTLSRule o\n{\n  RemotePortRange 443\n  Direction OUTBOUND\n"
				  "  Priority 1\n  TTLSGroupActionRef g\n"
				  "  TTLSEnvironmentActionRef e\n}\n"
				  "TTLSGroupAction g { TTLSEnabled On }\n"
				  "TTLSEnvironmentAction e\n{\n  HandshakeRole client\n"
				  "  TTLSKeyringParms { Keyring U/Ring }\n"
				  "  TTLSEnvironmentAdvancedParms { CertificateLabel Mine }\n"
				  "  TTLSGskAdvancedParms\n  {\n    GSK_V3_SESSION_TIMEOUT 600\n"
				  "    GSK_V3_SIDCACHE_SIZE 64\n    GSK_SYSPLEX_SIDCACHE On\n  }\n}\n"),
			 0);
	assert_string_equal(val(f, "rules", "o", "intercept"), "redirect");
	assert_string_equal(val(f, "rules", "o", "listen"), PAGENT_OUTBOUND_LISTEN);
	assert_string_equal(val(f, "environments", "e", "server_identity_check"), "Off");
	assert_string_equal(val(f, "environments", "e", "v3_session_timeout"), "600");
	assert_string_equal(val(f, "environments", "e", "v3_sidcache_size"), "64");
	assert_null(val(f, "keyrings", "e~keyring", "certificate"));
	assert_null(val(f, "keyrings", "e~keyring", "key"));
	assert_string_equal(val(f, "keyrings", "e~keyring", "trusted_ca"),
			    "${ATTLS_KEYRING_U_RING}/ca.crt");
	certs = ytree_get(get(f, "keyrings", "e~keyring", "certificates"), "Mine");
	assert_non_null(certs);
	assert_string_equal(ytree_get(certs, "key")->value, "${ATTLS_KEYRING_U_RING}/Mine.key");
	assert_null(ytree_get(f->root, "settings")); /* no --session-cache: a warning */
	assert_int_equal(f->dl.errors, 0);
}

/* "# attls-yaml:" lines: merged over the statements, key by key; a rule's
 * backend there is not derived; other sections are added as they are. */
static void
test_overlay(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "TTLSRule r { LocalPortRange 443 Priority 5 TTLSGroupActionRef g }\n"
				  "TTLSGroupAction g { TTLSEnabled Off }\n"
				  "  # attls-yaml: rules: { r: { backend: \"10.0.0.1:80\", priority: 7 } }\n"
				  "# attls-yaml: filters: { f: { action: permit } }\n"),
			 0);
	assert_string_equal(val(f, "rules", "r", "backend"), "10.0.0.1:80");
	assert_string_equal(val(f, "rules", "r", "priority"), "7");
	assert_string_equal(val(f, "rules", "r", "local_port"), "443");
	assert_string_equal(val(f, "filters", "f", "action"), "permit");
	assert_int_equal(f->dl.warnings, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tokens_case_comments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_port_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suites_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbound_rings_gsk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_case_sensitive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_line_block_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inline_sub_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generated_name_fits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeated_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_references, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undefined_and_multi_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_parameters_warn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include, setup, teardown),
		cmocka_unit_test(test_is_pagent),
		cmocka_unit_test_setup_teardown(test_application_controlled_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_yemit_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_parse_pagent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagent_key_lines, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
