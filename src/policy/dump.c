/* SPDX-License-Identifier: Apache-2.0 */
/* policy_dump(): the effective policy, defaults resolved, rule by rule in match
 * order, in the spirit of z/OS `pasearch -t`. Driven by the schema tables. */
#include "config.h"

#include <string.h>

#include "common/roff.h"
#include "policy_int.h"

#define LABEL_W 26

static void
line(FILE *out, int indent, const char *label, const char *value)
{
	fprintf(out, "%*s%-*s %s\n", indent, "", LABEL_W - indent, label, value);
}

static void
dump_rows(FILE *out, int indent, const struct schema_row *rows, size_t n, const void *base)
{
	char buf[512], label[64];
	size_t i;

	for (i = 0; i < n; i++) {
		if (rows[i].type == ST_REF || rows[i].type == ST_TIME)
			continue;
		schema_format(&rows[i], base, buf, sizeof(buf));
		snprintf(label, sizeof(label), "%s:", rows[i].key);
		line(out, indent, label, buf);
	}
}

/* The certificates presented, when the rule names labels. */
static void
dump_labels(FILE *out, const struct policy_rule *r)
{
	char buf[400];
	size_t i, off = 0;

	if (r->eff.role != POLICY_ROLE_CLIENT && r->eff.server_labels.n) {
		buf[0] = '\0';
		for (i = 0; i < r->eff.server_labels.n && off < sizeof(buf); i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "",
						r->eff.server_labels.v[i]);
		line(out, 4, "server_certificate_labels:", buf);
	} else if (r->eff.cert_label) {
		line(out, 4, "certificate_label:", r->eff.cert_label);
	}
}

/* A parameter of the environment/connection rows, when it is not its default. */
static void
dump_parm(FILE *out, const struct policy_tls_parms *t, const char *key)
{
	const struct schema_row *row = schema_row_find(schema_tls_parms, schema_ntls_parms, key);
	struct policy_tls_parms def;
	char buf[512], dbuf[512];

	memset(&def, 0, sizeof(def));
	(void)schema_set_default(row, &def);
	schema_format(row, t, buf, sizeof(buf));
	schema_format(row, &def, dbuf, sizeof(dbuf));
	schema_free_field(row, &def);
	if (strcmp(buf, dbuf) != 0) {
		snprintf(dbuf, sizeof(dbuf), "%s:", key);
		line(out, 4, dbuf, buf);
	}
}

/* The advanced parameters added after the first release: printed only when set
 * to something else than their default, so older dumps stay as they were. */
static void
dump_advanced(FILE *out, const struct policy_rule *r)
{
	static const char *const keys[] = {
		"server_handshake_sni", "server_handshake_sni_match", "server_handshake_sni_list",
		"peer_min_rsa_key_size", "peer_min_ecc_key_size", "peer_min_dsa_key_size",
		"peer_min_dh_key_size", "peer_min_cert_version", "middlebox_compat",
		"client_extended_master_secret", "server_extended_master_secret",
		"cert_validation_mode", "truncated_hmac", "client_max_fragment",
		"client_max_fragment_length", "reset_cipher_timer", "client_handshake_sni",
		"client_handshake_sni_match", "v3_session_timeout", "v3_sidcache_size",
		"unexpected_eof",
	};
	struct policy_tls_parms t;
	size_t i;

	memset(&t, 0, sizeof(t));
	if (r->eff.role != POLICY_ROLE_CLIENT) {
		t.sni_server = r->eff.sni_server;
		t.sni_match = r->eff.sni_match;
		t.sni_list = r->eff.sni_list;
	} else {
		t.sni_server = POLICY_SNI_OFF;
		t.sni_match = POLICY_SNI_MATCH_OPTIONAL;
	}
	t.peer_min_rsa = r->eff.peer_min.rsa;
	t.peer_min_ecc = r->eff.peer_min.ecc;
	t.peer_min_dsa = r->eff.peer_min.dsa;
	t.peer_min_dh = r->eff.peer_min.dh;
	t.peer_min_cert_version = r->eff.peer_min.cert_version;
	t.middlebox_compat = r->eff.middlebox_compat;
	t.ems_client = r->eff.role == POLICY_ROLE_CLIENT ? r->eff.ems : POLICY_EMS_ON;
	t.ems_server = r->eff.role != POLICY_ROLE_CLIENT ? r->eff.ems : POLICY_EMS_ON;
	t.cert_validation = r->eff.cert_validation;
	t.truncated_hmac = r->eff.truncated_hmac;
	t.max_frag = r->eff.role == POLICY_ROLE_CLIENT ? r->eff.max_frag : POLICY_TRI_OFF;
	t.max_frag_len = r->eff.max_frag == POLICY_TRI_OFF ? 4096 : r->eff.max_frag_len;
	t.reset_cipher_timer = r->eff.reset_cipher_timer;
	t.sni_client = r->eff.role == POLICY_ROLE_CLIENT ? r->eff.sni_client : POLICY_SNI_OPTIONAL;
	t.sni_client_match = r->eff.role == POLICY_ROLE_CLIENT ? r->eff.sni_client_match
							      : POLICY_SNI_MATCH_OPTIONAL;
	t.v3_session_timeout = r->eff.v3_session_timeout;
	t.v3_sidcache_size = r->eff.v3_sidcache_size;
	t.unexpected_eof = r->eff.unexpected_eof;
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		dump_parm(out, &t, keys[i]);
}

static void
dump_effective(FILE *out, const struct policy_rule *r)
{
	char buf[128];

	line(out, 4, "handshake_role:", policy_role_name(r->eff.role));
	if (r->eff.role == POLICY_ROLE_SERVER_CLIENT_AUTH)
		line(out, 4, "client_auth_type:", policy_client_auth_name(r->eff.client_auth));
	if (r->eff.identity_map)
		line(out, 4, "identity_map:", r->eff.identity_map->name);
	dump_labels(out, r);
	if (r->eff.renegotiation != POLICY_RENEG_DEFAULT) {
		const struct schema_row *rr = schema_row_find(schema_tls_parms, schema_ntls_parms,
							      "renegotiation");
		line(out, 4, "renegotiation:", schema_enum_name(rr->enums, r->eff.renegotiation));
	}
	if (r->eff.role == POLICY_ROLE_CLIENT) {
		line(out, 4, "host_reference_id_dns:",
		     r->eff.host_ref ? r->eff.host_ref : "(the backend's host)");
		line(out, 4, "client_handshake_sni_list:",
		     r->eff.sni ? r->eff.sni
				: "(host_reference_id_dns, else the backend's host name)");
		line(out, 4, "server_identity_check:", r->eff.identity_check ? "On" : "Off");
	}
	dump_advanced(out, r);
	snprintf(buf, sizeof(buf), "%s%s%s%s",
		 r->eff.protocols & POLICY_PROTO_TLS1_0 ? "TLSv1.0 " : "",
		 r->eff.protocols & POLICY_PROTO_TLS1_1 ? "TLSv1.1 " : "",
		 r->eff.protocols & POLICY_PROTO_TLS1_2 ? "TLSv1.2 " : "",
		 r->eff.protocols & POLICY_PROTO_TLS1_3 ? "TLSv1.3" : "");
	line(out, 4, "protocols:", buf);
	snprintf(buf, sizeof(buf), "%u", r->eff.handshake_timeout);
	line(out, 4, "handshake_timeout:", buf);
	if (r->eff.app_controlled)
		line(out, 4, "application_controlled:", "On");
	snprintf(buf, sizeof(buf), "%u", r->eff.trace);
	line(out, 4, "trace:", buf);
	if (r->eff.capture == POLICY_CAPTURE_FAILURES || r->eff.capture == POLICY_CAPTURE_ALL) {
		const struct schema_row *cr = schema_row_find(schema_tls_parms, schema_ntls_parms,
							      "capture");
		line(out, 4, "capture:", schema_enum_name(cr->enums, r->eff.capture));
		line(out, 4, "key_log:", r->eff.key_log ? "On" : "Off");
	}
	if (r->eff.ciphers) {
		char codes[1024];
		line(out, 4, "ciphers:", r->eff.ciphers->name);
		schema_format_codes(ST_CIPHERS4, &r->eff.ciphers->suites, codes, sizeof(codes));
		line(out, 6, "suites:", codes);
	} else {
		line(out, 4, "ciphers:", "(attlsd default: ECDHE with AES-GCM or ChaCha20; TLS 1.3 "
					 "defaults)");
	}
	if (r->eff.signatures) {
		const struct schema_section *gs = schema_section_find("signatures");
		line(out, 4, "signatures:", r->eff.signatures->name);
		dump_rows(out, 6, gs->rows, gs->nrows, r->eff.signatures);
	}
	if (r->env && r->env->keyring) {
		const struct schema_section *ks = schema_section_find("keyrings");
		line(out, 4, "keyring:", r->env->keyring->name);
		dump_rows(out, 6, ks->rows, ks->nrows, r->env->keyring);
	}
}

/* A rule on several ports, or with a backend relative to the port: each
 * listener with the backend its connections go to. */
static void
dump_listeners(FILE *out, const struct policy *p, const struct policy_rule *r)
{
	char buf[160], be[80];
	size_t k;

	for (k = 0; k < r->nlisteners; k++) {
		const struct policy_listener *l =
			&p->listeners[r->listeners ? r->listeners[k] : r->listener];
		const char *bh = r->backend.host;

		if (!r->backend.set)
			snprintf(be, sizeof(be), "the original destination");
		else if (r->intercept && r->backend.relative)
			snprintf(be, sizeof(be), strchr(bh, ':') ? "[%s]:(original port %+d)"
								 : "%s:(original port %+d)",
				 bh, r->backend.offset);
		else
			snprintf(be, sizeof(be), strchr(bh, ':') ? "[%s]:%ld" : "%s:%ld", bh,
				 r->backend.relative ? (long)l->port + r->backend.offset
						     : (long)r->backend.port);
		snprintf(buf, sizeof(buf), strchr(l->host, ':') ? "[%s]:%u -> %s" : "%s:%u -> %s",
			 l->host, l->port, be);
		line(out, 2, "listener:", buf);
	}
}

static void
dump_rule(FILE *out, const struct policy *p, const struct policy_rule *r)
{
	const struct schema_section *rs = schema_section_find("rules");
	const struct policy_listener *l = &p->listeners[r->listener];
	char buf[128];

	fprintf(out, "\nrule: %s\n", r->name);
	snprintf(buf, sizeof(buf), "%u", r->index + 1);
	line(out, 2, "sequence:", buf);
	dump_rows(out, 2, rs->rows, rs->nrows, r);
	if ((r->direction != POLICY_DIR_OUTBOUND || r->intercept) && p->nlisteners > r->listener &&
	    r->nlisteners <= 1 && !r->backend.relative) {
		snprintf(buf, sizeof(buf), strchr(l->host, ':') ? "[%s]:%u" : "%s:%u", l->host,
			 l->port);
		line(out, 2, "listener:", buf);
	} else if (r->direction != POLICY_DIR_OUTBOUND || r->intercept) {
		dump_listeners(out, p, r);
	}
	if (r->time_cond) {
		fprintf(out, "  time periods (%s):\n", r->time_cond->name);
		timecond_format(&r->time_cond->tc, out, "    ");
	}
	line(out, 2, "group:", r->group ? r->group->name : "-");
	line(out, 4, "enabled:", r->eff.enabled ? "On" : "Off");
	line(out, 2, "environment:", r->env ? r->env->name : "-");
	line(out, 2, "connection:", r->conn ? r->conn->name : "-");
	line(out, 2, "effective:", r->eff.enabled ? "" : "(clear text)");
	if (r->eff.enabled)
		dump_effective(out, r);
}

void
policy_dump(const struct policy *p, FILE *out)
{
	const struct schema_section *ss = schema_section_find("settings");
	size_t i;

	fprintf(out, "# effective policy from %s: %zu rules in match order\n", p->path, p->nrules);
	fprintf(out, "settings:\n");
	dump_rows(out, 2, ss->rows, ss->nrows, &p->settings);
	if (p->nfilters) {
		const struct schema_section *fs = schema_section_find("filters");
		fprintf(out, "\nfilters: %zu in evaluation order, then the implicit deny\n",
			p->nfilters);
		for (i = 0; i < p->nfilters; i++) {
			fprintf(out, "\nfilter: %s\n", p->filters[i].name);
			dump_rows(out, 2, fs->rows, fs->nrows, &p->filters[i]);
			if (p->filters[i].time_cond) {
				fprintf(out, "  time periods (%s):\n", p->filters[i].time_cond->name);
				timecond_format(&p->filters[i].time_cond->tc, out, "    ");
			}
		}
	}
	for (i = 0; i < p->nrules; i++)
		dump_rule(out, p, &p->rules[i]);
}

static void
doc_rows(FILE *out, const struct schema_row *rows, size_t n)
{
	const struct schema_enum *e;
	char bounds[64];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct schema_row *r = &rows[i];

		bounds[0] = '\0';
		if (r->type == ST_UINT)
			snprintf(bounds, sizeof(bounds), "%u..%u", r->min, r->max);
		fprintf(out, "| `%s` | %s | %s", r->key, r->attls, schema_type_name(r));
		if (r->type == ST_ENUM) {
			fprintf(out, ":");
			for (e = r->enums; e->name; e++)
				fprintf(out, " %s%s", e->name, e[1].name ? "," : "");
		}
		fprintf(out, " %s | %s | %s%s |\n", bounds, r->def ? r->def : "-", r->help,
			(r->flags & SF_REQUIRED) ? " **Required.**" : "");
	}
}

void
policy_schema_doc(FILE *out)
{
	size_t i;

	for (i = 0; i < schema_nsections; i++) {
		const struct schema_section *s = &schema_sections[i];

		fprintf(out, "\n### `%s` (%s)\n\n%s.\n\n", s->key, s->attls, s->help);
		fprintf(out, "| key | AT-TLS | type | default | meaning |\n|---|---|---|---|---|\n");
		doc_rows(out, s->rows, s->nrows);
		if (s->parms_off >= 0)
			doc_rows(out, schema_tls_parms, schema_ntls_parms);
	}
}

static void
man_rows(FILE *out, const struct schema_row *rows, size_t n)
{
	const struct schema_enum *e;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct schema_row *r = &rows[i];

		fprintf(out, ".TP\n.B %s\n", r->key);
		fprintf(out, "(%s", schema_type_name(r));
		if (r->type == ST_ENUM) {
			fputs(":", out);
			for (e = r->enums; e->name; e++)
				fprintf(out, " %s%s", e->name, e[1].name ? "," : "");
		}
		if (r->type == ST_UINT)
			fprintf(out, ", %u to %u", r->min, r->max);
		if (r->def) {
			fputs("; default ", out);
			roff_text(out, r->def);
		}
		if (r->flags & SF_REQUIRED)
			fputs("; required", out);
		fputs(")\n", out);
		roff_text(out, r->help);
		fputs(".", out);
		if (strcmp(r->attls, "-") != 0) {
			fputs(" AT\\-TLS: ", out);
			roff_text(out, r->attls);
			fputs(".", out);
		}
		fputs("\n", out);
	}
}

void
policy_schema_man(FILE *out)
{
	size_t i;

	fputs(".TH ATTLS-POLICY 5 \"\" \"attls\" \"File Formats\"\n"
	      ".SH NAME\nattls-policy \\- the attlsd policy file\n"
	      ".SH DESCRIPTION\nA policy is one YAML file whose sections mirror the z/OS AT\\-TLS "
	      "statements. Every section except\n.B settings\nmaps names to entries. Keyword values "
	      "accept the AT\\-TLS spellings in any case.\nRules are tried by priority, highest "
	      "first, then by name; the first whose conditions all hold wins.\nFilters are tried "
	      "in file order before any TLS byte is read.\n.PP\nCheck a policy with\n.B attlsd "
	      "\\-t\nand print it with defaults resolved with\n.BR \"attlsd \\-T\" .\n",
	      out);
	for (i = 0; i < schema_nsections; i++) {
		const struct schema_section *s = &schema_sections[i];

		fprintf(out, ".SH %s\n", s->key);
		roff_text(out, s->help);
		fputs(".", out);
		if (strcmp(s->attls, "-") != 0) {
			fputs(" AT\\-TLS: ", out);
			roff_text(out, s->attls);
			fputs(".", out);
		}
		fputs("\n", out);
		man_rows(out, s->rows, s->nrows);
		if (s->parms_off >= 0)
			man_rows(out, schema_tls_parms, schema_ntls_parms);
	}
	fputs(".SH SEE ALSO\n.BR attlsd (8),\n.BR attlsctl (8)\n", out);
}
