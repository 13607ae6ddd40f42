/* SPDX-License-Identifier: Apache-2.0 */
/* z/OS Policy Agent TTLS configuration -> policy tree (struct ynode): the
 * keyword tables every step reads, and the entry points.
 *
 * Three steps: pagent_lex.c cuts the text into words and braces with their
 * positions; pagent_parse.c builds a generic statement tree (struct pnode: a
 * keyword, its values, an optional { } block), following TTLSConfig,
 * CommonTTLSConfig and TcpImage into other files; pagent_conv.c walks the
 * statements with the keyword table below and builds the tree our YAML parser
 * would build (with pagent_addrs.c and pagent_params.c), every position
 * pointing into the pagent files. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/compiler.h"
#include "common/err.h"
#include "pagent_int.h"

#define PAGENT_MANY 255 /* list parameters: every value on the line counts */
#define T_EC (T_ENV | T_CONN)
#define T_ADV (T_ENVADV | T_CONNADV)

static const char *const pagent_sec_keys[SEC_N] = { "keyrings",	  "groups",   "environments",
						    "connections", "ciphers",  "signatures",
						    "time_conditions", "addresses", "ports",
						    "rules" };

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
	{ "TTLSGskAdvancedParms", T_GSKADV, -1, NULL },
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

#define KW(k, w, a, act, ref, key, note) { k, w, a, act, ref, key, note }
#define KEY(k, w, key) KW(k, w, 1, A_KEY, 0, key, NULL)
#define LIST(k, w, key) KW(k, w, PAGENT_MANY, A_LIST, 0, key, NULL)
#define WARN(k, w, note) KW(k, w, 1, A_WARN, 0, NULL, note)
#define ZOS(k, w, note) KW(k, w, 1, A_ZOS, 0, NULL, note)
#define SUB(k, w, t, key) KW(k, w, 1, A_SUB, t, key, NULL), KW(k "Ref", w, 1, A_REF, t, key, NULL)

static const char pagent_no_reneg[] = "attlsd allows renegotiation only as RFC 5746 secure "
				      "renegotiation (renegotiation: All or Abbreviated), "
				      "without a certificate check";
static const char pagent_instance[] = "forces a new instance on a z/OS policy refresh; attlsd "
				      "re-reads keys and certificates on every reload (SIGHUP)";

static const char pagent_tickets[] = "attlsd's server roles issue session tickets as OpenSSL "
				     "does (AES-256-CBC, HMAC-SHA256), valid for v3_session_timeout; "
				     "the keys are attlsd's own or settings.ticket_keys";
static const char pagent_client_resume[] = "attlsd's Client role starts every connection with "
					   "a full handshake";
static const char pagent_revocation[] = "attlsd fetches no revocation data: it checks peer "
					"certificates against the keyring's crl file (PEM CRLs "
					"you refresh), and without one does no revocation check";

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
	SUB("TTLSGskAdvancedParms", T_ENV, T_GSKADV, NULL),
	SUB("TTLSGskLdapParms", T_ENV | T_GSKADV, T_GSK, NULL),
	SUB("TTLSGskOcspParms", T_ENV | T_GSKADV, T_GSK, NULL),
	SUB("TTLSGskHttpCdpParms", T_ENV | T_GSKADV, T_GSK, NULL),
	KEY("GSK_V3_SESSION_TIMEOUT", T_GSKADV, "v3_session_timeout"),
	KEY("V3Timeout", T_GSKADV | T_ADV, "v3_session_timeout"),
	KEY("GSK_V3_SIDCACHE_SIZE", T_GSKADV, "v3_sidcache_size"),
	KW("GSK_SYSPLEX_SIDCACHE", T_GSKADV, 1, A_SIDCACHE, 0, "session_cache", NULL),
	WARN("GSK_V2_SESSION_TIMEOUT", T_GSKADV, "attlsd never offers SSL 2.0"),
	WARN("GSK_V2_SIDCACHE_SIZE", T_GSKADV, "attlsd never offers SSL 2.0"),
	WARN("GSK_SESSION_TICKET_SERVER_ENABLE", T_GSKADV, pagent_tickets),
	WARN("GSK_SESSION_TICKET_SERVER_TIMEOUT", T_GSKADV, pagent_tickets),
	WARN("GSK_SESSION_TICKET_SERVER_ALGORITHM", T_GSKADV, pagent_tickets),
	WARN("GSK_SESSION_TICKET_SERVER_COUNT", T_GSKADV, pagent_tickets),
	KW("GSK_SESSION_TICKET_SERVER_KEY_REFRESH", T_GSKADV, 1, A_SETTING, 0,
	   "ticket_key_lifetime", NULL),
	WARN("GSK_SESSION_TICKET_CLIENT_ENABLE", T_GSKADV, pagent_client_resume),
	WARN("GSK_SESSION_TICKET_CLIENT_MAXSIZE", T_GSKADV, pagent_client_resume),
	WARN("AIACDPPriority", T_GSKADV, pagent_revocation),
	WARN("MaxSrcRevExtLocValues", T_GSKADV, pagent_revocation),
	WARN("MaxValidRevExtLocValues", T_GSKADV, pagent_revocation),
	WARN("RevocationSecurityLevel", T_GSKADV, pagent_revocation),
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
	KW("V3CipherSuites", T_CIPHER, PAGENT_MANY, A_SUITES, 0, "v3_cipher_suites", NULL),
	KW("V3CipherSuites4Char", T_CIPHER, PAGENT_MANY, A_SUITES, 0, "v3_cipher_suites_4char", NULL),
	KW("SignaturePairs", T_SIG, PAGENT_MANY, A_CODES, 0, "signature_pairs", NULL),
	KW("SignaturePairsCert", T_SIG, PAGENT_MANY, A_CODES, 0, "signature_pairs_cert", NULL),
	KW("ClientECurves", T_SIG, PAGENT_MANY, A_CODES, 0, "client_ecurves", NULL),
	KW("ClientKeyShareGroups", T_SIG, PAGENT_MANY, A_CODES, 0, "client_key_share_groups", NULL),
	KW("ServerKexECurves", T_SIG, PAGENT_MANY, A_CODES, 0, "server_kex_ecurves", NULL),
	KW("ServerKeyShareGroups", T_SIG, PAGENT_MANY, A_CODES, 0, "server_key_share_groups", NULL),
	/* "start end" with a blank, as z/OS writes numeric ranges, or joined */
	KW("TimePeriodWindow", T_TIME, 2, A_KEY, 0, "period", ":"),
	KEY("MonthOfYearMask", T_TIME, "months"),
	KEY("DayOfMonthMask", T_TIME, "days_of_month"),
	KEY("DayOfWeekMask", T_TIME, "days_of_week"),
	KW("TimeOfDayWindow", T_TIME, 2, A_KEY, 0, "time_of_day", "-"),
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

const char *
pagent_sec_key(int sec)
{
	return pagent_sec_keys[sec];
}

const struct pagent_stype *
pagent_stype_find(const char *kw)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pagent_stypes); i++)
		if (strcasecmp(pagent_stypes[i].kw, kw) == 0)
			return &pagent_stypes[i];
	return NULL;
}

const struct pagent_stype *
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
const struct pagent_kw *
pagent_kw_find(const char *kw, unsigned where)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pagent_kws); i++)
		if (strcasecmp(pagent_kws[i].kw, kw) == 0 && (!where || (pagent_kws[i].where & where)))
			return &pagent_kws[i];
	return NULL;
}

/* The parameter of a 'where' statement that becomes YAML key 'key' (the first
 * in the table: the export writes the z/OS spelling). */
const struct pagent_kw *
pagent_kw_by_key(const char *key, unsigned where)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pagent_kws); i++)
		if (pagent_kws[i].key && strcmp(pagent_kws[i].key, key) == 0 &&
		    (pagent_kws[i].where & where))
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

bool
pagent_is_include(const char *kw)
{
	return pagent_in_list(pagent_includes, kw);
}

bool
pagent_is_other(const char *kw)
{
	return pagent_in_list(pagent_others, kw);
}

bool
pagent_is_keyword(const char *kw)
{
	return pagent_kw_find(kw, 0) || pagent_stype_find(kw) ||
	       pagent_is_include(kw) || pagent_is_other(kw);
}

/* How many values a keyword takes; words after them on the line are ignored. */
unsigned
pagent_arity(const char *kw)
{
	const struct pagent_kw *k = pagent_kw_find(kw, 0);

	if (k)
		return k->arity;
	return strcasecmp(kw, "TcpImage") == 0 ? 2 : 1;
}

const char *
pagent_kw_suggest(const char *kw, unsigned where)
{
	const char *cands[128];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(pagent_kws) && n + 1 < ARRAY_SIZE(cands); i++)
		if (pagent_kws[i].where & where)
			cands[n++] = pagent_kws[i].kw;
	cands[n] = NULL;
	return diag_suggest(kw, cands);
}

const char *
pagent_stype_suggest(const char *kw)
{
	const char *cands[ARRAY_SIZE(pagent_stypes) + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pagent_stypes); i++)
		cands[i] = pagent_stypes[i].kw;
	cands[i] = NULL;
	return diag_suggest(kw, cands);
}

static int
pagent_finish(struct pload *L, struct ynode **out)
{
	size_t i;
	int r = L->r;

	if (!r)
		r = pagent_convert(L, out);
	pnode_free(L->root);
	ytree_free(L->overlay);
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

		L.r = pagent_parse_path(&L, paths[i], where, 0);
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
	return pagent_stype_find(word) || pagent_is_include(word) ||
	       pagent_is_other(word);
}
