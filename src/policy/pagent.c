/* SPDX-License-Identifier: Apache-2.0 */
/* z/OS Policy Agent TTLS configuration -> policy tree (struct ynode).
 *
 * Three steps: the lexer cuts the text into words and braces with their
 * positions; the parser builds a generic statement tree (struct pnode: a
 * keyword, its values, an optional { } block), following TTLSConfig,
 * CommonTTLSConfig and TcpImage into other files; the converter walks the
 * statements with the keyword table below and builds the tree our YAML parser
 * would build, every position pointing into the pagent files. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/err.h"
#include "pagent.h"
#include "tokenuri.h"
#include "policy.h"
#include "ytree.h"

#define PAGENT_MAX_DEPTH 8
#define PAGENT_MAX_FILES 64
#define PAGENT_MAX_BYTES (64u << 20)
#define PAGENT_NAME_MAX 32
#define PAGENT_MANY 255 /* list parameters: every value on the line counts */
#define PAGENT_DEFAULT_OFFSET 10000u

/* ---- keyword tables ---- */

/* Statement types; a keyword's 'where' is a set of these. */
enum {
	T_RULE = 1u << 0, T_GROUP = 1u << 1, T_ENV = 1u << 2, T_CONN = 1u << 3,
	T_KEYRING = 1u << 4, T_CIPHER = 1u << 5, T_SIG = 1u << 6, T_ENVADV = 1u << 7,
	T_CONNADV = 1u << 8, T_GRPADV = 1u << 9, T_GSK = 1u << 10, T_TIME = 1u << 11,
	T_IPADDR = 1u << 12, T_IPSET = 1u << 13, T_IPGROUP = 1u << 14, T_PORT = 1u << 15,
	T_PORTGRP = 1u << 16,
};
#define T_EC (T_ENV | T_CONN)
#define T_ADV (T_ENVADV | T_CONNADV)

enum { SEC_KEYRINGS, SEC_GROUPS, SEC_ENVS, SEC_CONNS, SEC_CIPHERS, SEC_SIGS, SEC_TIMES,
       SEC_ADDRS, SEC_PORTS, SEC_RULES, SEC_N };
static const char *const pagent_sec_keys[SEC_N] = { "keyrings",	  "groups",   "environments",
						    "connections", "ciphers",  "signatures",
						    "time_conditions", "addresses", "ports",
						    "rules" };

struct pagent_stype {
	const char *kw;
	unsigned type;
	int sec;	    /* section it becomes, or -1: only used through references */
	const char *suffix; /* generated name of an anonymous inline one: owner~suffix */
};

static const struct pagent_stype pagent_stypes[] = {
	{ "TTLSRule", T_RULE, SEC_RULES, "rule" },
	{ "TTLSGroupAction", T_GROUP, SEC_GROUPS, "group" },
	{ "TTLSEnvironmentAction", T_ENV, SEC_ENVS, "env" },
	{ "TTLSConnectionAction", T_CONN, SEC_CONNS, "conn" },
	{ "TTLSKeyringParms", T_KEYRING, SEC_KEYRINGS, "keyring" },
	{ "TTLSCipherParms", T_CIPHER, SEC_CIPHERS, "ciphers" },
	{ "TTLSSignatureParms", T_SIG, SEC_SIGS, "signatures" },
	{ "IpTimeCondition", T_TIME, SEC_TIMES, "time" },
	{ "TTLSEnvironmentAdvancedParms", T_ENVADV, -1, NULL },
	{ "TTLSConnectionAdvancedParms", T_CONNADV, -1, NULL },
	{ "TTLSGroupAdvancedParms", T_GRPADV, -1, NULL },
	{ "TTLSGskAdvancedParms", T_GSK, -1, NULL },
	{ "TTLSGskLdapParms", T_GSK, -1, NULL },
	{ "TTLSGskOcspParms", T_GSK, -1, NULL },
	{ "TTLSGskHttpCdpParms", T_GSK, -1, NULL },
	{ "IpAddr", T_IPADDR, -1, NULL },
	{ "IpAddrSet", T_IPSET, -1, NULL },
	{ "IpAddrGroup", T_IPGROUP, -1, NULL },
	{ "PortRange", T_PORT, -1, NULL },
	{ "PortGroup", T_PORTGRP, -1, NULL },
};

/* Top-level lines that name other files, and statements of other policy
 * disciplines that a pagent.conf may hold (ignored with a warning). */
static const char *const pagent_includes[] = { "TTLSConfig", "CommonTTLSConfig", "TcpImage",
					       NULL };
static const char *const pagent_others[] = {
	"LogLevel", "CodePage", "IPSecConfig", "CommonIPSecConfig", "QOSConfig",
	"IDSConfig", "RoutingConfig", "CommonRoutingConfig", "IpFilterRule", "IpFilterPolicy",
	"IpService", "IpGenericFilterAction", "IpDynVpnAction", "IpLocalStartAction",
	"IpManVpnAction", "KeyExchangeAction", "KeyExchangeRule", "KeyExchangePolicy",
	"RemoteIdentity", "LocalDynVpnRule", "PolicyRule", "PolicyAction", "IdsRule",
	"IdsAction", NULL
};

enum pagent_act {
	A_KEY,	   /* first value -> key */
	A_LIST,	   /* every value, repeated lines concatenated -> list key */
	A_WARN,	   /* no attlsd equivalent yet: warning with 'note' */
	A_ZOS,	   /* z/OS only: warning with the Linux equivalent in 'note' */
	A_SUB,	   /* inline sub-statement of type 'ref' */
	A_REF,	   /* reference to a statement of type 'ref' */
	A_ADDR,	   /* address (ref 0) or address statement reference */
	A_PORT,	   /* port range (ref 0) or port statement reference */
	A_KEYRING, /* TTLSKeyringParms Keyring */
	A_SYSLOG,  /* TTLSGroupAdvancedParms SyslogFacility -> settings */
	A_EXPAND,  /* read while expanding an address or port reference */
	A_OWNER,   /* Jobname, Userid -> key, with a warning where Linux differs */
	A_SNILIST, /* ServerHandshakeSNIList label/servername ... -> map servername: label */
};

struct pagent_kw {
	const char *kw;
	unsigned where;
	unsigned char arity;
	unsigned char act;
	unsigned ref;
	const char *key;
	const char *note;
};

#define KW(k, w, a, act, ref, key, note) { k, w, a, act, ref, key, note }
#define KEY(k, w, key) KW(k, w, 1, A_KEY, 0, key, NULL)
#define LIST(k, w, key) KW(k, w, PAGENT_MANY, A_LIST, 0, key, NULL)
#define WARN(k, w, note) KW(k, w, 1, A_WARN, 0, NULL, note)
#define ZOS(k, w, note) KW(k, w, 1, A_ZOS, 0, NULL, note)
#define SUB(k, w, t, key) KW(k, w, 1, A_SUB, t, key, NULL), KW(k "Ref", w, 1, A_REF, t, key, NULL)

static const char pagent_no_reneg[] = "attlsd allows renegotiation only as RFC 5746 secure "
				      "renegotiation (renegotiation: All or Abbreviated), "
				      "without a certificate check";
static const char pagent_revoc[] = "give the keyring a crl file (PEM CRLs) for revocation "
				   "checking and an ocsp_response file for stapling";
static const char pagent_instance[] = "forces a new instance on a z/OS policy refresh; attlsd "
				      "re-reads keys and certificates on every reload (SIGHUP)";

static const struct pagent_kw pagent_kws[] = {
	KW("LocalAddr", T_RULE, 1, A_ADDR, 0, "local_addr", NULL),
	KW("LocalAddrRef", T_RULE, 1, A_ADDR, T_IPADDR, "local_addr", NULL),
	KW("LocalAddrSetRef", T_RULE, 1, A_ADDR, T_IPSET, "local_addr", NULL),
	KW("LocalAddrGroupRef", T_RULE, 1, A_ADDR, T_IPGROUP, "local_addr", NULL),
	KW("RemoteAddr", T_RULE, 1, A_ADDR, 0, "remote_addr", NULL),
	KW("RemoteAddrRef", T_RULE, 1, A_ADDR, T_IPADDR, "remote_addr", NULL),
	KW("RemoteAddrSetRef", T_RULE, 1, A_ADDR, T_IPSET, "remote_addr", NULL),
	KW("RemoteAddrGroupRef", T_RULE, 1, A_ADDR, T_IPGROUP, "remote_addr", NULL),
	KW("LocalPortRange", T_RULE, 2, A_PORT, 0, "local_port", NULL),
	KW("LocalPortRangeRef", T_RULE, 1, A_PORT, T_PORT, "local_port", NULL),
	KW("LocalPortGroupRef", T_RULE, 1, A_PORT, T_PORTGRP, "local_port", NULL),
	KW("RemotePortRange", T_RULE, 2, A_PORT, 0, "remote_port", NULL),
	KW("RemotePortRangeRef", T_RULE, 1, A_PORT, T_PORT, "remote_port", NULL),
	KW("RemotePortGroupRef", T_RULE, 1, A_PORT, T_PORTGRP, "remote_port", NULL),
	KW("Jobname", T_RULE, 1, A_OWNER, 0, "jobname", NULL),
	KW("Userid", T_RULE, 1, A_OWNER, 0, "userid", NULL),
	KEY("Direction", T_RULE, "direction"),
	KEY("Priority", T_RULE, "priority"),
	SUB("IpTimeCondition", T_RULE, T_TIME, "time_condition"),
	KW("TTLSGroupActionRef", T_RULE, 1, A_REF, T_GROUP, "group", NULL),
	KW("TTLSEnvironmentActionRef", T_RULE, 1, A_REF, T_ENV, "environment", NULL),
	KW("TTLSConnectionActionRef", T_RULE, 1, A_REF, T_CONN, "connection", NULL),
	KEY("TTLSEnabled", T_GROUP, "enabled"),
	KEY("Trace", T_GROUP | T_EC, "trace"),
	ZOS("CtraceClearText", T_GROUP | T_EC,
	    "decrypted data in the z/OS component trace; on Linux capture the plaintext "
	    "between attlsd and the backend instead (e.g. tcpdump on the loopback interface)"),
	ZOS("FIPS140", T_GROUP, "System SSL FIPS 140 mode; on Linux enable the OpenSSL FIPS "
				"provider for attlsd (openssl.cnf, OPENSSL_CONF)"),
	ZOS("GroupUserInstance", T_GROUP, pagent_instance),
	SUB("TTLSGroupAdvancedParms", T_GROUP, T_GRPADV, NULL),
	KW("SyslogFacility", T_GRPADV, 1, A_SYSLOG, 0, "syslog_facility", NULL),
	WARN("Envfile", T_GRPADV, "a System SSL environment file; OpenSSL takes its settings "
				  "from OPENSSL_CONF in attlsd's environment"),
	KEY("HandshakeRole", T_EC, "handshake_role"),
	SUB("TTLSKeyringParms", T_ENV, T_KEYRING, "keyring"),
	SUB("TTLSCipherParms", T_EC, T_CIPHER, "ciphers"),
	SUB("TTLSSignatureParms", T_EC, T_SIG, "signatures"),
	SUB("TTLSEnvironmentAdvancedParms", T_ENV, T_ENVADV, NULL),
	SUB("TTLSConnectionAdvancedParms", T_CONN, T_CONNADV, NULL),
	SUB("TTLSGskAdvancedParms", T_ENV, T_GSK, NULL),
	SUB("TTLSGskLdapParms", T_ENV, T_GSK, NULL),
	SUB("TTLSGskOcspParms", T_ENV, T_GSK, NULL),
	SUB("TTLSGskHttpCdpParms", T_ENV, T_GSK, NULL),
	WARN("SuiteBProfile", T_ENV, "RFC 6460 Suite B; list the Suite B cipher suites and "
				     "groups in TTLSCipherParms and TTLSSignatureParms instead"),
	ZOS("EnvironmentUserInstance", T_ENV, pagent_instance),
	ZOS("ConnectionUserInstance", T_CONN, pagent_instance),
	KW("Keyring", T_KEYRING, 1, A_KEYRING, 0, NULL, NULL),
	ZOS("KeyringPw", T_KEYRING, "the password of a z/OS key database; give attlsd an "
				    "unencrypted PEM key readable only by its user"),
	ZOS("KeyringStashFile", T_KEYRING, "the stash file of a z/OS key database; give attlsd "
					   "an unencrypted PEM key readable only by its user"),
	KEY("TLSv1", T_ADV, "tls_v1_0"),
	KEY("TLSv1.1", T_ADV, "tls_v1_1"),
	KEY("TLSv1.2", T_ADV, "tls_v1_2"),
	KEY("TLSv1.3", T_ADV, "tls_v1_3"),
	KEY("HandshakeTimeout", T_ADV, "handshake_timeout"),
	KEY("ClientAuthType", T_ADV, "client_auth_type"),
	WARN("SSLv2", T_ADV, "attlsd never offers SSL 2.0"),
	WARN("SSLv3", T_ADV, "attlsd never offers SSL 3.0"),
	KEY("MiddleBoxCompatMode", T_ADV, "middlebox_compat"),
	KEY("ApplicationControlled", T_ADV, "application_controlled"),
	KEY("ResetCipherTimer", T_ADV, "reset_cipher_timer"),
	KEY("Renegotiation", T_ADV, "renegotiation"),
	WARN("RenegotiationIndicator", T_ADV, pagent_no_reneg),
	WARN("RenegotiationCertCheck", T_ADV, pagent_no_reneg),
	KEY("CertificateLabel", T_ADV, "certificate_label"),
	LIST("ServerCertificateLabel", T_ADV, "server_certificate_labels"),
	WARN("SecondaryMap", T_ADV, "secondary (FTP data) connection mapping is not in attlsd: "
				    "it cannot yet tell that a data connection belongs to the "
				    "process of its control connection; give the data ports (20, "
				    "the passive range) their own rule"),
	KEY("TruncatedHMAC", T_ADV, "truncated_hmac"),
	KEY("CertValidationMode", T_ADV, "cert_validation_mode"),
	KEY("ClientMaxSSLFragment", T_ADV, "client_max_fragment"),
	KEY("ClientMaxSSLFragmentLength", T_ADV, "client_max_fragment_length"),
	WARN("ServerMaxSSLFragment", T_ADV, "OpenSSL as a server always grants a client's RFC 6066 "
					    "max_fragment_length request and cannot require one"),
	KEY("ClientHandshakeSNI", T_ADV, "client_handshake_sni"),
	KEY("ClientHandshakeSNIMatch", T_ADV, "client_handshake_sni_match"),
	KEY("ClientHandshakeSNIList", T_ADV, "client_handshake_sni_list"),
	KEY("ServerHandshakeSNI", T_ADV, "server_handshake_sni"),
	KEY("ServerHandshakeSNIMatch", T_ADV, "server_handshake_sni_match"),
	KW("ServerHandshakeSNIList", T_ADV, PAGENT_MANY, A_SNILIST, 0, "server_handshake_sni_list",
	   NULL),
	WARN("3DesKeyCheck", T_ADV, "attlsd never offers 3DES"),
	WARN("ClientEDHGroupSize", T_ADV, "DH group sizes follow OpenSSL (2048 bits or more)"),
	WARN("ServerEDHGroupSize", T_ADV, "DH group sizes follow OpenSSL (2048 bits or more)"),
	KEY("PeerMinCertVersion", T_ADV, "peer_min_cert_version"),
	KEY("PeerMinDHKeySize", T_ADV, "peer_min_dh_key_size"),
	KEY("PeerMinDsaKeySize", T_ADV, "peer_min_dsa_key_size"),
	KEY("PeerMinECCKeySize", T_ADV, "peer_min_ecc_key_size"),
	KEY("PeerMinRsaKeySize", T_ADV, "peer_min_rsa_key_size"),
	KEY("ClientExtendedMasterSecret", T_ADV, "client_extended_master_secret"),
	KEY("ServerExtendedMasterSecret", T_ADV, "server_extended_master_secret"),
	KEY("HostReferenceIdDNS", T_ADV, "host_reference_id_dns"),
	WARN("HostReferenceIdCN", T_ADV, "attlsd checks host_reference_id_dns against the DNS "
					 "SANs (the CN only when there are none)"),
	WARN("HostRefWildcardValidation", T_ADV, "attlsd accepts a wildcard only as a whole "
						 "leftmost label"),
	WARN("ServerScsv", T_ADV, "OpenSSL always handles TLS_FALLBACK_SCSV"),
	WARN("OcspServerStapling", T_ADV, "attlsd staples the keyring's ocsp_response file (a "
					  "DER OCSP response you fetch); it does not fetch one"),
	KW("V2CipherSuites", T_CIPHER, PAGENT_MANY, A_WARN, 0, NULL, "attlsd never offers SSL 2.0"),
	LIST("V3CipherSuites", T_CIPHER, "v3_cipher_suites"),
	LIST("V3CipherSuites4Char", T_CIPHER, "v3_cipher_suites_4char"),
	LIST("SignaturePairs", T_SIG, "signature_pairs"),
	LIST("SignaturePairsCert", T_SIG, "signature_pairs_cert"),
	LIST("ClientECurves", T_SIG, "client_ecurves"),
	LIST("ClientKeyShareGroups", T_SIG, "client_key_share_groups"),
	LIST("ServerKexECurves", T_SIG, "server_kex_ecurves"),
	LIST("ServerKeyShareGroups", T_SIG, "server_key_share_groups"),
	KEY("TimePeriodWindow", T_TIME, "period"),
	KEY("MonthOfYearMask", T_TIME, "months"),
	KEY("DayOfMonthMask", T_TIME, "days_of_month"),
	KEY("DayOfWeekMask", T_TIME, "days_of_week"),
	KEY("TimeOfDayWindow", T_TIME, "time_of_day"),
	KEY("TimeZone", T_TIME, "time_zone"),
	KW("Addr", T_IPADDR | T_IPSET, 1, A_EXPAND, 0, NULL, NULL),
	KW("Prefix", T_IPSET, 1, A_EXPAND, 0, NULL, NULL),
	KW("Range", T_IPSET, 2, A_EXPAND, 0, NULL, NULL),
	KW("IpAddrRef", T_IPGROUP, 1, A_EXPAND, T_IPADDR, NULL, NULL),
	KW("IpAddrSetRef", T_IPGROUP, 1, A_EXPAND, T_IPSET, NULL, NULL),
	KW("IpAddr", T_IPGROUP, 1, A_EXPAND, T_IPADDR, NULL, NULL),
	KW("IpAddrSet", T_IPGROUP, 1, A_EXPAND, T_IPSET, NULL, NULL),
	KW("Port", T_PORT, 2, A_EXPAND, 0, NULL, NULL),
	KW("PortRangeRef", T_PORTGRP, 1, A_EXPAND, T_PORT, NULL, NULL),
	KW("PortRange", T_PORTGRP, 1, A_EXPAND, T_PORT, NULL, NULL),
};

static const struct pagent_stype *
pagent_stype_find(const char *kw)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pagent_stypes); i++)
		if (strcasecmp(pagent_stypes[i].kw, kw) == 0)
			return &pagent_stypes[i];
	return NULL;
}

static const struct pagent_stype *
pagent_stype_of(unsigned type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pagent_stypes); i++)
		if (pagent_stypes[i].type == type)
			return &pagent_stypes[i];
	return NULL;
}

/* The entry for 'kw' in a statement of type 'where', or with where 0 the
 * first entry of that name in any statement. */
static const struct pagent_kw *
pagent_kw_find(const char *kw, unsigned where)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pagent_kws); i++)
		if (strcasecmp(pagent_kws[i].kw, kw) == 0 && (!where || (pagent_kws[i].where & where)))
			return &pagent_kws[i];
	return NULL;
}

static bool
pagent_in_list(const char *const *list, const char *kw)
{
	for (; *list; list++)
		if (strcasecmp(*list, kw) == 0)
			return true;
	return false;
}

static bool
pagent_is_keyword(const char *kw)
{
	return pagent_kw_find(kw, 0) || pagent_stype_find(kw) ||
	       pagent_in_list(pagent_includes, kw) || pagent_in_list(pagent_others, kw);
}

/* How many values a keyword takes; words after them on the line are ignored. */
static unsigned
pagent_arity(const char *kw)
{
	const struct pagent_kw *k = pagent_kw_find(kw, 0);

	if (k)
		return k->arity;
	return strcasecmp(kw, "TcpImage") == 0 ? 2 : 1;
}

/* ---- lexer ---- */

struct ptok {
	const char *s;
	unsigned len, line, col;
};

struct plex {
	struct ptok *t;
	size_t n, cap;
};

static int
pagent_lex_push(struct plex *lx, const char *s, unsigned len, unsigned line, unsigned col)
{
	if (lx->n == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 256;
		struct ptok *t = realloc(lx->t, cap * sizeof(*t));

		if (!t)
			return ATTLS_ENOMEM;
		lx->t = t;
		lx->cap = cap;
	}
	lx->t[lx->n++] = (struct ptok){ s, len, line, col };
	return 0;
}

/* Words, '{' and '}'; '#' starts a comment up to the end of the line. */
static int
pagent_lex(const char *text, size_t len, struct plex *lx)
{
	unsigned line = 1, col = 1;
	size_t i = 0, j;

	while (i < len) {
		char ch = text[i];

		if (ch == '\n') {
			line++;
			col = 1;
			i++;
		} else if (ch == '#') {
			while (i < len && text[i] != '\n')
				i++;
		} else if (isspace((unsigned char)ch) || ch == '\0') {
			i++;
			col++;
		} else if (ch == '{' || ch == '}') {
			if (pagent_lex_push(lx, text + i, 1, line, col))
				return ATTLS_ENOMEM;
			i++;
			col++;
		} else {
			for (j = i; j < len && !isspace((unsigned char)text[j]) && text[j] != '{' &&
				    text[j] != '}' && text[j] != '#' && text[j] != '\0';
			     j++)
				;
			if (j - i > 4096)
				j = i + 4096;
			if (pagent_lex_push(lx, text + i, (unsigned)(j - i), line, col))
				return ATTLS_ENOMEM;
			col += (unsigned)(j - i);
			i = j;
		}
	}
	return 0;
}

/* ---- statement tree ---- */

struct pnode {
	char *kw;
	struct diag_pos pos;
	char **v;
	struct diag_pos *vpos;
	size_t nv;
	struct pnode **kids;
	size_t nkids;
	bool block;
	bool emitted; /* converted already, or a duplicate definition */
};

static void
pnode_free(struct pnode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nv; i++)
		free(n->v[i]);
	for (i = 0; i < n->nkids; i++)
		pnode_free(n->kids[i]);
	free(n->v);
	free(n->vpos);
	free(n->kids);
	free(n->kw);
	free(n);
}

static int
pnode_push(struct pnode *parent, struct pnode *kid)
{
	struct pnode **k = realloc(parent->kids, (parent->nkids + 1) * sizeof(*k));

	if (!k)
		return ATTLS_ENOMEM;
	parent->kids = k;
	parent->kids[parent->nkids++] = kid;
	return 0;
}

static int
pnode_addval(struct pnode *n, const struct ptok *t, const char *file)
{
	char **v = realloc(n->v, (n->nv + 1) * sizeof(*v));
	struct diag_pos *p;

	if (!v)
		return ATTLS_ENOMEM;
	n->v = v;
	if (!(p = realloc(n->vpos, (n->nv + 1) * sizeof(*p))))
		return ATTLS_ENOMEM;
	n->vpos = p;
	if (!(n->v[n->nv] = strndup(t->s, t->len)))
		return ATTLS_ENOMEM;
	n->vpos[n->nv++] = (struct diag_pos){ file, t->line, t->col };
	return 0;
}

struct pparse {
	const struct ptok *t;
	size_t n, i;
	const char *file;
	struct diag_list *dl;
	int r; /* ATTLS_ENOMEM once an allocation failed */
};

static bool
ptok_is(const struct ptok *t, char ch)
{
	return t->len == 1 && t->s[0] == ch;
}

static struct diag_pos
ptok_pos(const struct pparse *P, const struct ptok *t)
{
	return (struct diag_pos){ P->file, t->line, t->col };
}

/* Skips a block nested too deeply, without recursion; P->i is after '{'. */
static void
pagent_skip_block(struct pparse *P)
{
	unsigned depth = 1;

	for (; P->i < P->n && depth; P->i++) {
		if (ptok_is(&P->t[P->i], '{'))
			depth++;
		else if (ptok_is(&P->t[P->i], '}'))
			depth--;
	}
}

static bool pagent_parse_items(struct pparse *P, struct pnode *parent, unsigned depth);

static struct pnode *
pagent_parse_stmt(struct pparse *P, unsigned depth)
{
	const struct ptok *t = &P->t[P->i++], *open;
	struct pnode *n = calloc(1, sizeof(*n));
	unsigned arity;

	if (!n || !(n->kw = strndup(t->s, t->len))) {
		P->r = ATTLS_ENOMEM;
		free(n);
		return NULL;
	}
	n->pos = ptok_pos(P, t);
	arity = pagent_arity(n->kw);
	for (; P->i < P->n && P->t[P->i].line == t->line; P->i++) {
		const struct ptok *v = &P->t[P->i];
		char word[64];

		if (ptok_is(v, '{') || ptok_is(v, '}'))
			break;
		if (n->nv >= arity) {
			/* "{ TTLSEnabled On  Trace 6 }": a keyword starts the next parameter. */
			snprintf(word, sizeof(word), "%.*s", (int)(v->len < 63 ? v->len : 63), v->s);
			if (pagent_is_keyword(word))
				break;
			continue;
		}
		if (pnode_addval(n, v, P->file))
			P->r = ATTLS_ENOMEM;
	}
	if (P->i < P->n && ptok_is(&P->t[P->i], '{')) {
		open = &P->t[P->i++];
		n->block = true;
		if (depth + 1 >= PAGENT_MAX_DEPTH) {
			diag_error(P->dl, ptok_pos(P, open), "statements nested deeper than %d levels",
				   PAGENT_MAX_DEPTH);
			pagent_skip_block(P);
		} else if (!pagent_parse_items(P, n, depth + 1)) {
			diag_error(P->dl, ptok_pos(P, open),
				   "'{' of %s is never closed (missing '}')", n->kw);
		}
	}
	return n;
}

/* Parses statements up to the '}' closing this level (true) or the end of the
 * text (false). */
static bool
pagent_parse_items(struct pparse *P, struct pnode *parent, unsigned depth)
{
	struct pnode *n;

	while (P->i < P->n) {
		const struct ptok *t = &P->t[P->i];

		if (ptok_is(t, '}')) {
			P->i++;
			if (depth > 0)
				return true;
			diag_error(P->dl, ptok_pos(P, t), "'}' without a matching '{'");
			continue;
		}
		if (ptok_is(t, '{')) {
			diag_error(P->dl, ptok_pos(P, t),
				   "'{' without a statement before it; write \"Type [name] {\"");
			P->i++;
			pagent_skip_block(P);
			continue;
		}
		if (!(n = pagent_parse_stmt(P, depth)))
			return true;
		if (pnode_push(parent, n)) {
			pnode_free(n);
			P->r = ATTLS_ENOMEM;
			return true;
		}
	}
	return depth == 0;
}

/* ---- files and includes ---- */

struct pload {
	struct diag_list *dl;
	const struct pagent_opts *o;
	struct pnode *root; /* every top-level statement of every file, in order */
	char **seen;	    /* files read, to stop include loops */
	size_t nseen;
	int r;
};

static int pagent_parse_file(struct pload *L, const char *file, const char *text, size_t len,
			     unsigned depth);

static int
pagent_read(struct diag_list *dl, const char *path, struct diag_pos where, char **text,
	    size_t *len)
{
	struct stat st;
	FILE *f = fopen(path, "r");
	int r = ATTLS_EIO;

	*text = NULL;
	if (!f) {
		diag_error(dl, where, "cannot open \"%s\": %s", path, strerror(errno));
		return ATTLS_EIO;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_error(dl, where, "\"%s\" is not a regular file", path);
	} else if ((size_t)st.st_size > PAGENT_MAX_BYTES) {
		diag_error(dl, where, "\"%s\" is larger than %u MiB", path, PAGENT_MAX_BYTES >> 20);
	} else if (!(*text = malloc((size_t)st.st_size + 1))) {
		r = ATTLS_ENOMEM;
	} else {
		*len = fread(*text, 1, (size_t)st.st_size, f);
		(*text)[*len] = '\0';
		r = 0;
	}
	fclose(f);
	return r;
}

/* Reads one file; 'where' is the include line (or file:0:0 for a top file). */
static int
pagent_read_parse(struct pload *L, const char *path, struct diag_pos where, unsigned depth)
{
	char real[PATH_MAX], **seen, *text;
	const char *file;
	size_t len = 0, i;
	int r;

	if (realpath(path, real)) {
		for (i = 0; i < L->nseen; i++)
			if (strcmp(L->seen[i], real) == 0) {
				diag_warning(L->dl, where, "\"%s\" is read already; not read again",
					     path);
				return 0;
			}
		if (L->nseen >= PAGENT_MAX_FILES) {
			diag_error(L->dl, where, "more than %d files included", PAGENT_MAX_FILES);
			return 0;
		}
		if (!(seen = realloc(L->seen, (L->nseen + 1) * sizeof(*seen))) ||
		    !(seen[L->nseen] = strdup(real))) {
			if (seen)
				L->seen = seen;
			return ATTLS_ENOMEM;
		}
		L->seen = seen;
		L->nseen++;
	}
	if ((r = pagent_read(L->dl, path, where, &text, &len)) != 0)
		return r == ATTLS_ENOMEM ? r : 0;
	file = diag_add_source(L->dl, path, text, len);
	r = pagent_parse_file(L, file, text, len, depth);
	free(text);
	return r;
}

/* TTLSConfig PATH, CommonTTLSConfig PATH, TcpImage NAME PATH: read PATH,
 * relative to the including file's folder. */
static int
pagent_include(struct pload *L, const struct pnode *n, unsigned depth)
{
	size_t iv = strcasecmp(n->kw, "TcpImage") == 0 ? 1 : 0;
	char *dir, *path, *d;
	const char *v;
	int r;

	if (n->nv <= iv) {
		if (iv == 0)
			diag_error(L->dl, n->pos, "%s needs a file name", n->kw);
		return 0;
	}
	v = n->v[iv];
	if (L->o && L->o->no_include)
		return 0;
	if (strncmp(v, "//", 2) == 0) {
		diag_warning(L->dl, n->vpos[iv], "%s names the MVS data set %s, which Linux cannot "
						 "read: copy it into a file and name that file",
			     n->kw, v);
		return 0;
	}
	if (depth >= PAGENT_MAX_DEPTH) {
		diag_error(L->dl, n->vpos[iv], "files included deeper than %d levels",
			   PAGENT_MAX_DEPTH);
		return 0;
	}
	if (!(dir = strdup(n->pos.file ? n->pos.file : ".")))
		return ATTLS_ENOMEM;
	d = dirname(dir);
	if (v[0] == '/' || strcmp(d, ".") == 0 ||
	    asprintf(&path, "%s%s%s", d, strcmp(d, "/") ? "/" : "", v) < 0)
		path = strdup(v);
	free(dir);
	if (!path)
		return ATTLS_ENOMEM;
	r = pagent_read_parse(L, path, n->vpos[iv], depth + 1);
	free(path);
	return r;
}

static int
pagent_parse_file(struct pload *L, const char *file, const char *text, size_t len, unsigned depth)
{
	struct plex lx = { 0 };
	struct pnode top = { 0 };
	struct pparse P = { 0 };
	size_t i;
	int r;

	if ((r = pagent_lex(text, len, &lx)) != 0)
		goto out;
	P = (struct pparse){ lx.t, lx.n, 0, file, L->dl, 0 };
	(void)pagent_parse_items(&P, &top, 0);
	if ((r = P.r) != 0)
		goto out;
	for (i = 0; i < top.nkids; i++) {
		struct pnode *n = top.kids[i];

		if (pagent_in_list(pagent_includes, n->kw) && !n->block)
			r = pagent_include(L, n, depth);
		else if ((r = pnode_push(L->root, n)) == 0)
			top.kids[i] = NULL;
		if (r)
			goto out;
	}
out:
	for (i = 0; i < top.nkids; i++)
		pnode_free(top.kids[i]);
	free(top.kids);
	free(lx.t);
	return r;
}

/* ---- conversion: node helpers ---- */

struct pconv {
	struct diag_list *dl;
	const struct pagent_opts *o;
	struct pnode *root;
	struct pnode **glob; /* named statements, for references */
	size_t nglob;
	struct ynode *sec[SEC_N];
	struct ynode *settings;
	int r;
};

/* What a rule collects before its keys are written. */
struct prule {
	struct ynode *seq[4]; /* local_addr, remote_addr, local_port, remote_port */
	struct diag_pos pos[4];
};
static const char *const prule_keys[4] = { "local_addr", "remote_addr", "local_port",
					   "remote_port" };

static struct ynode *
yn_new(struct pconv *c, enum ynode_type t, struct diag_pos pos)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n) {
		c->r = ATTLS_ENOMEM;
		return NULL;
	}
	n->type = t;
	n->pos = pos;
	return n;
}

static struct ynode *
yn_scalar(struct pconv *c, const char *v, struct diag_pos pos)
{
	struct ynode *n = yn_new(c, YNODE_SCALAR, pos);

	if (n && !(n->value = strdup(v))) {
		free(n);
		c->r = ATTLS_ENOMEM;
		return NULL;
	}
	return n;
}

/* Appends 'kid' to 'parent'; on failure frees 'kid' and returns false. */
static bool
yn_push(struct pconv *c, struct ynode *parent, struct ynode *kid)
{
	struct ynode **items;

	if (!parent || !kid ||
	    !(items = realloc(parent->items, (parent->n + 1) * sizeof(*items)))) {
		ytree_free(kid);
		c->r = ATTLS_ENOMEM;
		return false;
	}
	parent->items = items;
	parent->items[parent->n++] = kid;
	return true;
}

static bool
yn_put(struct pconv *c, struct ynode *map, const char *key, struct diag_pos kpos, struct ynode *v)
{
	struct ynode *k = yn_scalar(c, key, kpos);

	if (!k || !map || !yn_push(c, map, k)) {
		ytree_free(v);
		if (!map)
			ytree_free(k);
		c->r = ATTLS_ENOMEM;
		return false;
	}
	if (!yn_push(c, map, v)) {
		map->n--;
		ytree_free(k);
		return false;
	}
	return true;
}

static void
yn_put_str(struct pconv *c, struct ynode *map, const char *key, struct diag_pos kpos,
	   const char *v, struct diag_pos vpos)
{
	(void)yn_put(c, map, key, kpos, yn_scalar(c, v, vpos));
}

static struct pnode *
pagent_find(const struct pconv *c, unsigned type, const char *name)
{
	size_t i;

	for (i = 0; i < c->nglob; i++)
		if (pagent_stype_find(c->glob[i]->kw)->type == type &&
		    strcmp(c->glob[i]->v[0], name) == 0)
			return c->glob[i];
	return NULL;
}

/* Records every named statement, at any depth; a second definition of a name
 * is an error and is not converted. */
static void
pagent_collect(struct pconv *c, struct pnode *n, unsigned depth)
{
	const struct pagent_stype *st = pagent_stype_find(n->kw);
	struct pnode *first, **g;
	size_t i;

	if (st && n->block && n->nv > 0 && (depth == 0 || st->type != T_RULE)) {
		if ((first = pagent_find(c, st->type, n->v[0])) != NULL) {
			diag_error(c->dl, n->vpos[0], "%s \"%s\" is defined twice (first at %s:%u)",
				   st->kw, n->v[0], first->pos.file, first->pos.line);
			n->emitted = true;
		} else if ((g = realloc(c->glob, (c->nglob + 1) * sizeof(*g))) != NULL) {
			c->glob = g;
			c->glob[c->nglob++] = n;
		} else {
			c->r = ATTLS_ENOMEM;
		}
	}
	for (i = 0; i < n->nkids; i++)
		pagent_collect(c, n->kids[i], depth + 1);
}

static const char *
pagent_sec_noun(unsigned type)
{
	const struct pagent_stype *st = pagent_stype_of(type);
	return st ? st->kw : "statement";
}

/* ---- conversion: addresses and ports ---- */

static void pagent_expand(struct pconv *c, struct ynode *seq, const struct pnode *s,
			  unsigned type, unsigned depth);

/* True if the YAML loader reads 'name' as the name of an address or port set
 * (not as an address, a port or All). */
static bool
pagent_set_name_ok(const char *name)
{
	struct policy_addr_range r;
	const char *p;

	if (!isalpha((unsigned char)name[0]) || strlen(name) > PAGENT_NAME_MAX ||
	    strcasecmp(name, "All") == 0)
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return false;
	return policy_addr_parse(name, &r) != 0;
}

/* A sequence of one item is written as that item. */
static void
pagent_collapse(struct ynode *map, struct ynode *seq)
{
	size_t i;

	if (seq->n != 1)
		return;
	for (i = 1; i < map->n; i += 2)
		if (map->items[i] == seq) {
			map->items[i] = seq->items[0];
			seq->n = 0;
			ytree_free(seq);
			return;
		}
}

/* IpAddr, IpAddrSet and IpAddrGroup become named entries of "addresses",
 * PortRange and PortGroup of "ports", so the imported policy keeps the names the
 * rules use (-T prints them). Emits 'g' once; false when it cannot keep its name
 * (a word the loader would read as an address, or a name another statement of
 * the other kinds took first): then it is expanded where it is used. */
static bool
pagent_set_emit(struct pconv *c, struct pnode *g, unsigned type, unsigned depth)
{
	int sec = type & (T_PORT | T_PORTGRP) ? SEC_PORTS : SEC_ADDRS;
	struct ynode *seq;

	if (!pagent_set_name_ok(g->v[0]))
		return false;
	if (c->sec[sec] && ytree_get(c->sec[sec], g->v[0]))
		return g->emitted;
	g->emitted = true;
	if (!c->sec[sec] && !(c->sec[sec] = yn_new(c, YNODE_MAP, g->pos)))
		return true;
	seq = yn_new(c, YNODE_SEQ, g->pos);
	if (!seq || !yn_put(c, c->sec[sec], g->v[0], g->vpos[0], seq))
		return true;
	pagent_expand(c, seq, g, type, depth + 1);
	/* An empty list would read as All: a set whose values were all ignored
	 * must not widen the rules that name it. */
	if (seq->n == 0)
		diag_error(c->dl, g->vpos[0], "%s \"%s\" names no %s", g->kw, g->v[0],
			   sec == SEC_PORTS ? "port" : "address");
	pagent_collapse(c->sec[sec], seq);
	return true;
}

/* Expands 's' where it is used; like pagent_set_emit(), refuses to add nothing. */
static void
pagent_expand_inline(struct pconv *c, struct ynode *seq, const struct pnode *s,
		     const struct pnode *k, unsigned type, unsigned depth)
{
	size_t before = seq ? seq->n : 0;

	pagent_expand(c, seq, s, type, depth + 1);
	if (seq && seq->n == before && depth <= PAGENT_MAX_DEPTH)
		diag_error(c->dl, k->pos, "%s names no %s", k->kw,
			   type & (T_PORT | T_PORTGRP) ? "port" : "address");
}

static void
pagent_expand_ref(struct pconv *c, struct ynode *seq, const struct pnode *k, unsigned type,
		  unsigned depth)
{
	struct pnode *g;

	if (k->block) {
		pagent_expand_inline(c, seq, k, k, type, depth);
		return;
	}
	if (k->nv == 0) {
		diag_error(c->dl, k->pos, "%s needs the name of a %s", k->kw, pagent_sec_noun(type));
		return;
	}
	if (!(g = pagent_find(c, type, k->v[0]))) {
		diag_error(c->dl, k->vpos[0], "%s \"%s\" is not defined", pagent_sec_noun(type),
			   k->v[0]);
		return;
	}
	if (depth <= PAGENT_MAX_DEPTH && pagent_set_emit(c, g, type, depth)) {
		(void)yn_push(c, seq, yn_scalar(c, g->v[0], k->vpos[0]));
		return;
	}
	pagent_expand_inline(c, seq, g, k, type, depth);
}

/* "lo hi" -> "lo-hi"; one value as written. */
static void
pagent_push_range(struct pconv *c, struct ynode *seq, const struct pnode *k)
{
	char buf[160];

	if (k->nv == 0) {
		diag_error(c->dl, k->pos, "%s needs a value", k->kw);
		return;
	}
	if (k->nv == 1) {
		(void)yn_push(c, seq, yn_scalar(c, k->v[0], k->vpos[0]));
		return;
	}
	snprintf(buf, sizeof(buf), "%s-%s", k->v[0], k->v[1]);
	(void)yn_push(c, seq, yn_scalar(c, buf, k->vpos[0]));
}

/* The addresses or port ranges of IpAddr, IpAddrSet, IpAddrGroup, PortRange
 * or PortGroup 's', appended to 'seq' with their own positions. */
static void
pagent_expand(struct pconv *c, struct ynode *seq, const struct pnode *s, unsigned type,
	      unsigned depth)
{
	size_t i;

	if (depth > PAGENT_MAX_DEPTH)
		return;
	for (i = 0; i < s->nkids; i++) {
		const struct pnode *k = s->kids[i];
		const struct pagent_kw *kw = pagent_kw_find(k->kw, type);

		if (!kw || kw->act != A_EXPAND) {
			diag_warning(c->dl, k->pos, "\"%s\" is not a parameter of %s; ignored", k->kw,
				     pagent_sec_noun(type));
			continue;
		}
		if (kw->ref)
			pagent_expand_ref(c, seq, k, kw->ref, depth);
		else
			pagent_push_range(c, seq, k);
	}
}

static void
pagent_rule_cond(struct pconv *c, struct prule *acc, const struct pnode *k,
		 const struct pagent_kw *kw)
{
	size_t idx;

	for (idx = 0; idx < 4 && strcmp(prule_keys[idx], kw->key) != 0; idx++)
		;
	if (idx == 4)
		return;
	if (!acc->seq[idx]) {
		if (!(acc->seq[idx] = yn_new(c, YNODE_SEQ, k->pos)))
			return;
		acc->pos[idx] = k->pos;
	}
	if (kw->ref)
		pagent_expand_ref(c, acc->seq[idx], k, kw->ref, 0);
	else
		pagent_push_range(c, acc->seq[idx], k);
}

/* ---- conversion: statements ---- */

static void pagent_attrs(struct pconv *c, const struct pnode *s, unsigned type,
			 struct ynode *m, const char *owner, struct prule *acc);
#define PAGENT_NAME_MAX 32

static void pagent_stmt(struct pconv *c, struct pnode *s, const char *name,
			struct diag_pos npos);

static void
pagent_gen_name(char *out, size_t size, const char *owner, const char *suffix)
{
	size_t room = PAGENT_NAME_MAX - strlen(suffix) - 1;

	snprintf(out, size, "%.*s~%s", (int)room, owner, suffix);
}

/* An inline sub-statement: merged into 'm' (advanced parms), or emitted as an
 * entry of its own (named, or owner~suffix) and referenced from 'm'. */
static void
pagent_sub(struct pconv *c, struct pnode *k, const struct pagent_kw *kw, struct ynode *m,
	   const char *owner, struct prule *acc)
{
	const struct pagent_stype *st = pagent_stype_of(kw->ref);
	char gen[64];
	const char *name = gen;
	struct diag_pos npos = k->pos;

	if (kw->ref == T_GSK) {
		diag_warning(c->dl, k->pos, "%s has no attlsd equivalent yet and is ignored: %s",
			     k->kw, pagent_revoc);
		return;
	}
	if (st->sec < 0) {
		pagent_attrs(c, k, kw->ref, m, owner, acc);
		return;
	}
	if (k->nv > 0) {
		name = k->v[0];
		npos = k->vpos[0];
	} else {
		pagent_gen_name(gen, sizeof(gen), owner, st->suffix);
	}
	if (!k->emitted)
		pagent_stmt(c, k, name, npos);
	yn_put_str(c, m, kw->key, k->pos, name, npos);
}

static void
pagent_ref(struct pconv *c, const struct pnode *k, const struct pagent_kw *kw, struct ynode *m,
	   const char *owner, struct prule *acc)
{
	const struct pagent_stype *st = pagent_stype_of(kw->ref);
	const struct pnode *g;

	if (kw->ref == T_GSK) {
		diag_warning(c->dl, k->pos, "%s has no attlsd equivalent yet and is ignored: %s",
			     k->kw, pagent_revoc);
		return;
	}
	if (st->sec >= 0) { /* the loader checks that the name exists */
		yn_put_str(c, m, kw->key, k->pos, k->v[0], k->vpos[0]);
		return;
	}
	if (!(g = pagent_find(c, kw->ref, k->v[0]))) {
		diag_error(c->dl, k->vpos[0], "%s \"%s\" is not defined", st->kw, k->v[0]);
		return;
	}
	pagent_attrs(c, g, kw->ref, m, owner, acc);
}

static void
pagent_sanitize(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in && n + 1 < size; in++) {
		if (isalnum((unsigned char)*in))
			out[n++] = (char)toupper((unsigned char)*in);
		else if (n > 0 && out[n - 1] != '_')
			out[n++] = '_';
	}
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
}

static void
pagent_keyring_placeholder(struct pconv *c, const struct pnode *k, struct ynode *m)
{
	static const char *const keys[3] = { "certificate", "key", "trusted_ca" };
	static const char *const files[3] = { "server.crt", "server.key", "ca.crt" };
	const char *ring = k->v[0], *kind = "a SAF key ring";
	char var[96], path[160];
	size_t i, len = strlen(ring);

	pagent_sanitize(ring, var, sizeof(var));
	if (!var[0])
		snprintf(var, sizeof(var), "RING");
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "${ATTLS_KEYRING_%s}/%s", var, files[i]);
		yn_put_str(c, m, keys[i], k->pos, path, k->vpos[0]);
	}
	if (len > 4 && strcasecmp(ring + len - 4, ".kdb") == 0)
		kind = "a z/OS key database (gskkyman)";
	else if (strncasecmp(ring, "*TOKEN*", 7) == 0)
		kind = "a z/OS PKCS#11 token";
	diag_warning(c->dl, k->vpos[0],
		     "Keyring \"%s\" is %s, which is z/OS-only: export its certificate chain, "
		     "private key and CA certificates as PEM files server.crt, server.key and "
		     "ca.crt into a folder and set ATTLS_KEYRING_%s to it, or map the ring with "
		     "--keyring-map",
		     ring, kind, var);
}

/* A copy of a keyring map subtree, every position the Keyring line's. */
static struct ynode *
yn_clone(struct pconv *c, const struct ynode *n, struct diag_pos pos)
{
	struct ynode *copy;
	size_t i;

	if (n->type == YNODE_SCALAR)
		return yn_scalar(c, n->value, pos);
	if (!(copy = yn_new(c, n->type, pos)))
		return NULL;
	for (i = 0; i < n->n; i++)
		if (!yn_push(c, copy, yn_clone(c, n->items[i], pos)))
			break;
	return copy;
}

/* The certificate and key of the object a token URI names. */
static void
pagent_keyring_token(struct pconv *c, const struct pnode *k, struct ynode *m, const char *uri)
{
	char *cert = tokenuri_with_type(uri, "cert"), *key = tokenuri_with_type(uri, "private");

	if (cert && key) {
		yn_put_str(c, m, "certificate", k->pos, cert, k->vpos[0]);
		yn_put_str(c, m, "key", k->pos, key, k->vpos[0]);
	}
	free(cert);
	free(key);
}

static void
pagent_keyring(struct pconv *c, const struct pnode *k, struct ynode *m)
{
	static const char *const keys[9] = { "certificate", "key", "trusted_ca", "crl",
					     "ocsp_response", "pin_file", "stash_file",
					     "key_passphrase_file", "pkcs11_module" };
	const struct ynode *e = c->o ? ytree_get(c->o->keyring_map, k->v[0]) : NULL;
	const struct ynode *v;
	bool token = false;
	size_t i;

	if (!e) {
		pagent_keyring_placeholder(c, k, m);
		return;
	}
	/* An ICSF/PKDS-backed ring mapped to a token: "RING: pkcs11:token=T;object=O",
	 * or {token: URI, pin_file: ...}: its certificate and key from the token. */
	if (e->type == YNODE_SCALAR && tokenuri_is(e->value)) {
		pagent_keyring_token(c, k, m, e->value);
		return;
	}
	if ((v = ytree_get(e, "token")) && v->type == YNODE_SCALAR && tokenuri_is(v->value)) {
		pagent_keyring_token(c, k, m, v->value);
		token = true;
	}
	for (i = token ? 2 : 0; i < ARRAY_SIZE(keys); i++)
		if ((v = ytree_get(e, keys[i])) && v->type == YNODE_SCALAR)
			yn_put_str(c, m, keys[i], k->pos, v->value, k->vpos[0]);
	/* Labelled certificates, for CertificateLabel, ServerCertificateLabel and
	 * ServerHandshakeSNIList: the labels of the SAF ring. */
	if ((v = ytree_get(e, "certificates")) && v->type == YNODE_MAP)
		(void)yn_put(c, m, "certificates", k->pos, yn_clone(c, v, k->vpos[0]));
}

static void
pagent_syslog(struct pconv *c, const struct pnode *k)
{
	const struct ynode *old;

	if (!c->settings && !(c->settings = yn_new(c, YNODE_MAP, k->pos)))
		return;
	if ((old = ytree_get(c->settings, "syslog_facility")) != NULL) {
		if (strcasecmp(old->value, k->v[0]) != 0)
			diag_warning(c->dl, k->vpos[0], "SyslogFacility %s differs from %s given "
							"first; attlsd has one facility, %s is kept",
				     k->v[0], old->value, old->value);
		return;
	}
	yn_put_str(c, c->settings, "syslog_facility", k->pos, k->v[0], k->vpos[0]);
}

static void
pagent_list(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m)
{
	struct ynode *seq = ytree_get(m, key);
	size_t i;

	if (!seq) {
		if (!yn_put(c, m, key, k->pos, yn_new(c, YNODE_SEQ, k->pos)))
			return;
		seq = m->items[m->n - 1];
	}
	for (i = 0; i < k->nv; i++) {
		struct ynode *v = yn_scalar(c, k->v[i], k->vpos[i]);

		if (v) /* a word as written: a bad code inside "C02BCCCC" is pointed at */
			v->exact = 1;
		(void)yn_push(c, seq, v);
	}
}

/* ServerHandshakeSNIList label/servername ...: a map servername -> label; lines
 * are concatenated like the other lists. */
static void
pagent_sni_list(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m)
{
	struct ynode *map = ytree_get(m, key);
	char label[PAGENT_NAME_MAX + 1];
	const char *slash;
	size_t i;

	if (!map) {
		if (!yn_put(c, m, key, k->pos, yn_new(c, YNODE_MAP, k->pos)))
			return;
		map = m->items[m->n - 1];
	}
	for (i = 0; i < k->nv && !c->r; i++) {
		slash = strchr(k->v[i], '/');
		if (!slash || slash == k->v[i] || !slash[1] ||
		    (size_t)(slash - k->v[i]) > PAGENT_NAME_MAX) {
			diag_error(c->dl, k->vpos[i], "%s value \"%s\" is not label/servername", k->kw,
				   k->v[i]);
			continue;
		}
		snprintf(label, sizeof(label), "%.*s", (int)(slash - k->v[i]), k->v[i]);
		(void)yn_put(c, map, slash + 1, k->vpos[i], yn_scalar(c, label, k->vpos[i]));
	}
}

static void
pagent_unknown(struct pconv *c, const struct pnode *k, unsigned type)
{
	const char *cands[128], *s;
	size_t i, n = 0;

	if (pagent_is_keyword(k->kw)) {
		diag_warning(c->dl, k->pos, "\"%s\" is not a parameter of %s; ignored", k->kw,
			     pagent_sec_noun(type));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(pagent_kws) && n + 1 < ARRAY_SIZE(cands); i++)
		if (pagent_kws[i].where & type)
			cands[n++] = pagent_kws[i].kw;
	cands[n] = NULL;
	if ((s = diag_suggest(k->kw, cands)) != NULL)
		diag_warning(c->dl, k->pos, "unknown parameter \"%s\" in %s; did you mean \"%s\"? "
					    "ignored",
			     k->kw, pagent_sec_noun(type), s);
	else
		diag_warning(c->dl, k->pos, "unknown parameter \"%s\" in %s; ignored", k->kw,
			     pagent_sec_noun(type));
}

#define PAGENT_COMM_MAX 15 /* Linux process names (comm): TASK_COMM_LEN - 1 */

/* Jobname and Userid carry over as jobname and userid, matched the same way (a
 * trailing '*' matches any ending). Said at the value: where a z/OS pattern
 * cannot match on Linux as it did on z/OS. */
static void
pagent_owner(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m)
{
	const char *v = k->v[0], *what = strcmp(key, "jobname") == 0 ? "process name (comm)"
								    : "user name";
	size_t len = strlen(v), plen = len && v[len - 1] == '*' ? len - 1 : len, i;
	bool upper = false, lower = false;

	yn_put_str(c, m, key, k->pos, v, k->vpos[0]);
	if (strcspn(v, "*?%") < plen) {
		diag_warning(c->dl, k->vpos[0], "%s %s has a wildcard that is not a trailing *: "
						"attlsd reads only a trailing * as a wildcard and "
						"matches the rest literally",
			     k->kw, v);
		return;
	}
	if (strcmp(key, "jobname") == 0 && plen > PAGENT_COMM_MAX) {
		diag_warning(c->dl, k->vpos[0], "Jobname %s has %zu characters before any *, but "
						"Linux process names have at most %d: it never "
						"matches; shorten it to the process name",
			     v, plen, PAGENT_COMM_MAX);
		return;
	}
	for (i = 0; i < plen; i++) {
		upper |= isupper((unsigned char)v[i]) != 0;
		lower |= islower((unsigned char)v[i]) != 0;
	}
	if (upper && !lower)
		diag_warning(c->dl, k->vpos[0], "%s %s is in capitals, as z/OS names are; attlsd "
						"compares it case-sensitively with the Linux %s of "
						"the socket's owner (usually lower case): write the "
						"name it has on Linux",
			     k->kw, v, what);
}

static void
pagent_attr(struct pconv *c, struct pnode *k, const struct pagent_kw *kw, struct ynode *m,
	    const char *owner, struct prule *acc)
{
	switch (kw->act) {
	case A_KEY:
		yn_put_str(c, m, kw->key, k->pos, k->v[0], k->vpos[0]);
		break;
	case A_LIST:
		pagent_list(c, k, kw->key, m);
		break;
	case A_SNILIST:
		pagent_sni_list(c, k, kw->key, m);
		break;
	case A_WARN:
		diag_warning(c->dl, k->pos, "%s has no attlsd equivalent yet and is ignored: %s",
			     k->kw, kw->note);
		break;
	case A_ZOS:
		diag_warning(c->dl, k->pos, "%s is z/OS-only and is ignored: %s", k->kw, kw->note);
		break;
	case A_SUB:
		pagent_sub(c, k, kw, m, owner, acc);
		break;
	case A_REF:
		pagent_ref(c, k, kw, m, owner, acc);
		break;
	case A_ADDR:
	case A_PORT:
		if (acc)
			pagent_rule_cond(c, acc, k, kw);
		break;
	case A_KEYRING:
		pagent_keyring(c, k, m);
		break;
	case A_SYSLOG:
		pagent_syslog(c, k);
		break;
	case A_OWNER:
		pagent_owner(c, k, kw->key, m);
		break;
	default:
		break;
	}
}

/* Converts the parameters of 's' (a statement of 'type') into map 'm'. */
static void
pagent_attrs(struct pconv *c, const struct pnode *s, unsigned type, struct ynode *m,
	     const char *owner, struct prule *acc)
{
	size_t i;

	for (i = 0; i < s->nkids && !c->r; i++) {
		struct pnode *k = s->kids[i];
		const struct pagent_kw *kw = pagent_kw_find(k->kw, type);

		if (!kw) {
			pagent_unknown(c, k, type);
		} else if (kw->act == A_SUB && !k->block) {
			diag_error(c->dl, k->pos, "%s needs a { ... } block (or use %sRef name)",
				   k->kw, k->kw);
		} else if (kw->act != A_SUB && k->block) {
			diag_error(c->dl, k->pos, "%s takes values, not a { ... } block", k->kw);
		} else if (kw->act != A_SUB && k->nv == 0) {
			diag_error(c->dl, k->pos, "%s needs a value", k->kw);
		} else {
			pagent_attr(c, k, kw, m, owner, acc);
		}
	}
}

static struct ynode *
pagent_entry(struct pconv *c, int sec, const char *name, struct diag_pos npos,
	     struct diag_pos mpos)
{
	struct ynode *m;

	if (!c->sec[sec] && !(c->sec[sec] = yn_new(c, YNODE_MAP, mpos)))
		return NULL;
	m = yn_new(c, YNODE_MAP, mpos);
	if (!m || !yn_put(c, c->sec[sec], name, npos, m))
		return NULL;
	return m;
}

static const char *
pagent_backend_opt(const struct pconv *c, const char *rule)
{
	size_t i;

	for (i = 0; c->o && i < c->o->nbackends; i++)
		if (strcmp(c->o->backends[i].rule, rule) == 0)
			return c->o->backends[i].endpoint;
	return NULL;
}

/* The one port a local_port value names (through port sets), or 0. */
static unsigned long
pagent_single_port(const struct pconv *c, const struct ynode *v, unsigned depth)
{
	unsigned long p;
	char *end;

	if (v && v->type == YNODE_SEQ && v->n == 1)
		v = v->items[0];
	if (!v || v->type != YNODE_SCALAR || depth > PAGENT_MAX_DEPTH)
		return 0;
	if (isalpha((unsigned char)v->value[0]))
		return c->sec[SEC_PORTS] ? pagent_single_port(c, ytree_get(c->sec[SEC_PORTS],
									   v->value),
							      depth + 1)
					 : 0;
	if (!isdigit((unsigned char)v->value[0]))
		return 0;
	p = strtoul(v->value, &end, 10);
	return *end ? 0 : p;
}

/* The highest port a local_port value names (through port sets); 0: all
 * ports, or not known. */
static unsigned long
pagent_max_port(const struct pconv *c, const struct ynode *v, unsigned depth)
{
	unsigned long p, max = 0;
	const char *h;
	char *end;
	size_t i;

	if (!v || depth > PAGENT_MAX_DEPTH)
		return 0;
	if (v->type == YNODE_SEQ) {
		for (i = 0; i < v->n; i++) {
			if (!(p = pagent_max_port(c, v->items[i], depth + 1)))
				return 0;
			max = p > max ? p : max;
		}
		return max;
	}
	if (v->type != YNODE_SCALAR)
		return 0;
	if (isalpha((unsigned char)v->value[0]))
		return c->sec[SEC_PORTS] && strcasecmp(v->value, "All") != 0
			       ? pagent_max_port(c, ytree_get(c->sec[SEC_PORTS], v->value), depth + 1)
			       : 0;
	if (!isdigit((unsigned char)v->value[0]) || !(p = strtoul(v->value, &end, 10)))
		return 0;
	h = end + strspn(end, " -:");
	if (h != end && isdigit((unsigned char)*h))
		p = strtoul(h, &end, 10);
	return *end ? 0 : p;
}

/* AT-TLS has no backend: the plaintext server listens on the same port. A rule
 * on several ports gets host:+N, one backend port per port it listens on. */
static void
pagent_backend(struct pconv *c, struct ynode *m, const char *name, struct diag_pos npos)
{
	const struct ynode *dir = ytree_get(m, "direction"), *port = ytree_get(m, "local_port");
	unsigned off = c->o && c->o->port_offset_set ? c->o->port_offset : PAGENT_DEFAULT_OFFSET;
	const char *ep = pagent_backend_opt(c, name);
	unsigned long p = 0;
	char buf[64];

	if (dir && dir->type == YNODE_SCALAR && strcasecmp(dir->value, "Outbound") == 0)
		return;
	if (ep) {
		yn_put_str(c, m, "backend", npos, ep, npos);
		return;
	}
	if ((p = pagent_single_port(c, port, 0)) != 0 && p + off <= 65535) {
		snprintf(buf, sizeof(buf), "127.0.0.1:%lu", p + off);
	} else if (!p && (p = pagent_max_port(c, port, 0)) != 0 && p + off <= 65535) {
		snprintf(buf, sizeof(buf), "127.0.0.1:+%u", off);
	} else {
		diag_warning(c->dl, npos, "rule \"%s\" has no local port to derive the plaintext "
					  "backend from (or LocalPort + %u passes 65535): give "
					  "--backend %s=host:port",
			     name, off, name);
		return;
	}
	yn_put_str(c, m, "backend", npos, buf, npos);
	if (!(c->o && c->o->port_offset_set))
		diag_warning(c->dl, npos, "rule \"%s\": AT-TLS has no backend; using %s "
					  "(%sLocalPort + %u): move the plaintext server%s there, or "
					  "give --backend %s=host:port or --backend-port-offset N",
			     name, buf, strchr(buf, '+') ? "each " : "", off,
			     strchr(buf, '+') ? "s" : "", name);
}

/* Addresses and ports collected from the rule's conditions become keys. */
static void
pagent_rule_finish(struct pconv *c, struct prule *acc, struct ynode *m)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		struct ynode *seq = acc->seq[i];

		acc->seq[i] = NULL;
		if (!seq)
			continue;
		if (seq->n == 0) {
			ytree_free(seq);
			continue;
		}
		if (seq->n == 1) {
			struct ynode *one = seq->items[0];
			seq->n = 0;
			ytree_free(seq);
			seq = one;
		}
		(void)yn_put(c, m, prule_keys[i], acc->pos[i], seq);
	}
}

static void
pagent_stmt(struct pconv *c, struct pnode *s, const char *name, struct diag_pos npos)
{
	const struct pagent_stype *st = pagent_stype_find(s->kw);
	struct prule acc;
	struct ynode *m;
	size_t i;

	memset(&acc, 0, sizeof(acc));
	s->emitted = true;
	/* As on z/OS; and a name is a YAML key, which may not pass 1024 characters. */
	if (strlen(name) > PAGENT_NAME_MAX) {
		diag_error(c->dl, npos, "%s name is longer than %d characters (AT-TLS names are 1 "
					"to %d)",
			   s->kw, PAGENT_NAME_MAX, PAGENT_NAME_MAX);
		return;
	}
	if (!(m = pagent_entry(c, st->sec, name, npos, s->pos)))
		return;
	pagent_attrs(c, s, st->type, m, name, st->type == T_RULE ? &acc : NULL);
	if (st->type != T_RULE)
		return;
	pagent_rule_finish(c, &acc, m);
	for (i = 0; i < 4; i++)
		ytree_free(acc.seq[i]);
	pagent_backend(c, m, name, npos);
}

static void
pagent_top(struct pconv *c, struct pnode *s)
{
	const struct pagent_stype *st = pagent_stype_find(s->kw);
	const char *sug;

	if (st) {
		if (!s->block)
			diag_error(c->dl, s->pos, "%s needs a { ... } block", s->kw);
		else if (s->nv == 0)
			diag_error(c->dl, s->pos, "%s outside another statement needs a name", s->kw);
		else if (!s->emitted && st->sec >= 0)
			pagent_stmt(c, s, s->v[0], s->vpos[0]);
	} else if (pagent_in_list(pagent_others, s->kw)) {
		diag_warning(c->dl, s->pos, "%s is not an AT-TLS statement; ignored", s->kw);
	} else if (pagent_kw_find(s->kw, 0) || pagent_in_list(pagent_includes, s->kw)) {
		diag_error(c->dl, s->pos, "parameter %s outside any statement", s->kw);
	} else {
		const char *cands[ARRAY_SIZE(pagent_stypes) + 1];
		size_t i;

		for (i = 0; i < ARRAY_SIZE(pagent_stypes); i++)
			cands[i] = pagent_stypes[i].kw;
		cands[i] = NULL;
		if ((sug = diag_suggest(s->kw, cands)) != NULL)
			diag_error(c->dl, s->pos, "unknown statement \"%s\"; did you mean \"%s\"?",
				   s->kw, sug);
		else
			diag_error(c->dl, s->pos, "unknown statement \"%s\"", s->kw);
	}
}

static int
pagent_convert(struct pconv *c, struct ynode **out)
{
	struct diag_pos p0 = { c->root->pos.file, 1, 1 };
	struct ynode *root;
	size_t i;

	*out = NULL;
	for (i = 0; i < c->root->nkids; i++)
		pagent_collect(c, c->root->kids[i], 0);
	for (i = 0; i < c->root->nkids && !c->r; i++)
		pagent_top(c, c->root->kids[i]);
	if (!(root = yn_new(c, YNODE_MAP, p0)))
		return c->r;
	yn_put_str(c, root, "version", p0, "1", p0);
	if (c->settings) {
		(void)yn_put(c, root, "settings", c->settings->pos, c->settings);
		c->settings = NULL;
	}
	for (i = 0; i < SEC_N; i++)
		if (c->sec[i]) {
			(void)yn_put(c, root, pagent_sec_keys[i], c->sec[i]->pos, c->sec[i]);
			c->sec[i] = NULL;
		}
	if (c->r || diag_has_errors(c->dl)) {
		ytree_free(root);
		return c->r ? c->r : ATTLS_EPOLICY;
	}
	*out = root;
	return 0;
}

static int
pagent_finish(struct pload *L, struct ynode **out)
{
	struct pconv c = { .dl = L->dl, .o = L->o, .root = L->root };
	size_t i;
	int r = L->r;

	if (!r)
		r = pagent_convert(&c, out);
	for (i = 0; i < SEC_N; i++)
		ytree_free(c.sec[i]);
	ytree_free(c.settings);
	free(c.glob);
	pnode_free(L->root);
	for (i = 0; i < L->nseen; i++)
		free(L->seen[i]);
	free(L->seen);
	return r;
}

static int
pagent_start(struct pload *L, const struct pagent_opts *o, struct diag_list *dl,
	     const char *file)
{
	*L = (struct pload){ .dl = dl, .o = o };
	if (!(L->root = calloc(1, sizeof(*L->root))))
		return ATTLS_ENOMEM;
	L->root->pos = (struct diag_pos){ file, 1, 1 };
	return 0;
}

int
pagent_parse(const char *file, const char *text, size_t len, const struct pagent_opts *o,
	     struct ynode **out, struct diag_list *dl)
{
	char real[PATH_MAX], **seen;
	struct pload L;
	int r;

	*out = NULL;
	if ((r = pagent_start(&L, o, dl, file)) != 0)
		return r;
	if (!(o && o->no_include) && realpath(file, real) && (seen = malloc(sizeof(*seen)))) {
		L.seen = seen;
		if ((seen[0] = strdup(real)) != NULL)
			L.nseen = 1;
	}
	L.r = pagent_parse_file(&L, file, text, len, 0);
	return pagent_finish(&L, out);
}

int
pagent_load(const char *const *paths, size_t n, const struct pagent_opts *o, struct ynode **out,
	    struct diag_list *dl)
{
	struct pload L;
	size_t i;
	int r;

	*out = NULL;
	if ((r = pagent_start(&L, o, dl, n ? diag_add_source(dl, paths[0], NULL, 0) : NULL)) != 0)
		return r;
	for (i = 0; i < n && !L.r; i++) {
		struct diag_pos where = { diag_add_source(dl, paths[i], NULL, 0), 0, 0 };

		L.r = pagent_read_parse(&L, paths[i], where, 0);
	}
	return pagent_finish(&L, out);
}

bool
pagent_is_pagent(const char *path, const char *text, size_t len)
{
	size_t plen = path ? strlen(path) : 0, i = 0, j;
	char word[64];

	if ((plen > 7 && strcmp(path + plen - 7, ".pagent") == 0) ||
	    (plen > 5 && strcmp(path + plen - 5, ".conf") == 0))
		return true;
	while (i < len) {
		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
		} else if (isspace((unsigned char)text[i])) {
			i++;
		} else {
			break;
		}
	}
	for (j = i; j < len && j - i < sizeof(word) - 1 && !isspace((unsigned char)text[j]) &&
		    text[j] != '{';
	     j++)
		;
	snprintf(word, sizeof(word), "%.*s", (int)(j - i), text + i);
	return pagent_stype_find(word) || pagent_in_list(pagent_includes, word) ||
	       pagent_in_list(pagent_others, word);
}
