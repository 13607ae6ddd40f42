/* SPDX-License-Identifier: Apache-2.0 */
/* The policy model: TTLS rules (conditions) and the actions and parameter sets they
 * refer to, as loaded from a YAML policy file. A loaded policy is an immutable,
 * reference-counted generation: live connections keep the one they were mapped
 * with, reload builds a new one and swaps. No sockets, no libuv, no OpenSSL here. */
#ifndef ATTLS_POLICY_H
#define ATTLS_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/compiler.h"
#include "diag.h"
#include "identity.h"
#include "timecond.h"

enum policy_role {
	POLICY_ROLE_CLIENT = 1,
	POLICY_ROLE_SERVER = 2,
	POLICY_ROLE_SERVER_CLIENT_AUTH = 3,
};

enum policy_client_auth {
	POLICY_CA_REQUIRED = 1, /* default, as on z/OS */
	POLICY_CA_PASSTHRU = 2,
	POLICY_CA_FULL = 3,
	POLICY_CA_SAFCHECK = 4,
};

enum policy_direction {
	POLICY_DIR_INBOUND = 1,
	POLICY_DIR_OUTBOUND = 2,
	POLICY_DIR_BOTH = 3,
};

/* How connections reach attlsd's listener for a rule (doc/interception.md). */
enum policy_intercept {
	POLICY_INTERCEPT_OFF = 0,      /* clients connect to attlsd's own address */
	POLICY_INTERCEPT_REDIRECT = 1, /* nftables redirect; SO_ORIGINAL_DST */
	POLICY_INTERCEPT_TPROXY = 2,   /* nftables tproxy; IP_TRANSPARENT listener */
};

/* capture: which connections' handshake bytes are written as pcap. */
enum policy_capture {
	POLICY_CAPTURE_OFF = 1,
	POLICY_CAPTURE_FAILURES = 2,
	POLICY_CAPTURE_ALL = 3,
};

/* unexpected_eof: a TLS peer's TCP FIN without close_notify. */
enum policy_unexpected_eof {
	POLICY_UEOF_ABORT = 1,  /* possible truncation: reset the plaintext side, RC 5109 */
	POLICY_UEOF_ACCEPT = 2, /* take it as the end of data (peers known to do that) */
};

enum policy_no_match {
	POLICY_NO_MATCH_CLEAR = 1,    /* AT-TLS: fail open, relay clear text everywhere */
	POLICY_NO_MATCH_DENY = 2,     /* refuse everywhere (RC 5105) */
	POLICY_NO_MATCH_DENY_TLS = 3, /* default: refuse on a listener of TLS rules, else clear */
};

/* Protocol bits, one per version. */
enum {
	POLICY_PROTO_TLS1_0 = 1u << 0,
	POLICY_PROTO_TLS1_1 = 1u << 1,
	POLICY_PROTO_TLS1_2 = 1u << 2,
	POLICY_PROTO_TLS1_3 = 1u << 3,
};

/* An inclusive address range; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d). */
struct policy_addr_range {
	uint8_t lo[16];
	uint8_t hi[16];
};

/* An address condition: empty means All. */
struct policy_addrs {
	struct policy_addr_range *ranges;
	size_t n;
	char **refs;        /* names of address sets: expanded into ranges at load, kept
			     * so that the dump can say where the ranges came from */
	size_t nrefs;
	struct diag_pos pos;
	struct diag_pos *ref_pos; /* where each name was written, for diagnostics */
};

/* IpAddrSet / IpAddrGroup: a named list of addresses and other sets. */
struct policy_addr_set {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	struct policy_addrs addrs;
	int state; /* expansion: 0 not yet, 1 under way (a cycle if met again), 2 done */
	bool all;  /* written as All (or holds a set that is) */
	bool used; /* named by a rule, a filter or another set */
};

struct policy_port_range {
	uint16_t lo, hi;
};

/* A port condition (LocalPortRange, PortRangeRef, PortGroupRef): one inclusive
 * range lo-hi, 0-65535 (or "0") meaning all ports; or, from a port list or a
 * named port set, n >= 2 sorted, disjoint, non-adjacent 'ranges', lo and hi then
 * being the lowest and highest port. lo > hi is the empty condition (only while
 * set names are not yet expanded). Test membership with policy_ports_contain(). */
struct policy_ports {
	uint16_t lo, hi;
	struct policy_port_range *ranges; /* NULL unless n >= 2 */
	size_t n;
	char **refs; /* names of port sets, expanded at load, kept for the dump */
	size_t nrefs;
	struct diag_pos pos;
	struct diag_pos *ref_pos;
};

/* PortRange / PortGroup: a named list of ports, ranges and other port sets. */
struct policy_port_set {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	struct policy_ports ports;
	int state; /* as struct policy_addr_set */
	bool used;
};

/* A host and port as written (backend, listen). A backend may instead be
 * "host:+N" (relative): its port is the connection's local port + offset, so
 * one rule on several ports reaches one backend port per listener. */
struct policy_endpoint {
	char *host;
	uint16_t port;
	bool set;
	bool relative;
	int offset;
};

/* An ordered list of IANA codes (cipher suites, signature schemes, groups). */
struct policy_codes {
	uint16_t *v;
	size_t n;
};

/* TTLSCipherParms: V3CipherSuites (2-char) then V3CipherSuites4Char, in order,
 * duplicates dropped; 'suites' is the combined preference list. */
struct policy_cipher_parms {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	struct policy_codes v3, v3_4char;
	struct policy_codes suites;
	unsigned *key_line; /* policy_key_line() */
};

/* TTLSSignatureParms. Empty lists mean the library's defaults. */
struct policy_sig_parms {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	struct policy_codes sigalgs;      /* SignaturePairs */
	struct policy_codes sigalgs_cert; /* SignaturePairsCert */
	struct policy_codes client_ecurves, client_key_shares;
	struct policy_codes server_kex_ecurves, server_key_shares;
	unsigned *key_line; /* policy_key_line() */
};

/* IpTimeCondition: when a rule is in effect. */
struct policy_time_cond {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	struct timecond tc;
};

/* A labelled certificate of a keyring (a certificate connected to a key ring). */
struct policy_cert {
	char *label;
	char *certificate; /* PEM chain, leaf first, or a pkcs11: URI */
	char *key;         /* PEM private key, or a pkcs11: URI */
};

struct policy_certs {
	struct policy_cert *v;
	size_t n;
};

#define POLICY_LABEL_MAX 32   /* CertificateLabel: 1 to 32 characters */
#define POLICY_SERVER_LABELS 8 /* ServerCertificateLabel: up to 8 */

/* ServerCertificateLabel list; the strings belong to the environment or
 * connection action that wrote them. */
struct policy_labels {
	char *v[POLICY_SERVER_LABELS];
	size_t n;
};

/* ServerHandshakeSNI and ServerHandshakeSNIMatch. */
enum policy_sni {
	POLICY_SNI_OFF = 1,      /* the server ignores the client's server name */
	POLICY_SNI_REQUIRED = 2, /* a client without SNI is refused */
	POLICY_SNI_OPTIONAL = 3,
};

enum policy_sni_match {
	POLICY_SNI_MATCH_OPTIONAL = 1, /* an unlisted name gets the usual certificate */
	POLICY_SNI_MATCH_REQUIRED = 2, /* an unlisted name is refused */
};

/* ServerHandshakeSNIList: server name -> certificate label. */
struct policy_sni_entry {
	char *name;  /* compared without regard to case */
	char *label; /* in the environment's keyring */
};

struct policy_sni_map {
	struct policy_sni_entry *v;
	size_t n;
};

/* PeerMinCertVersion. */
enum policy_cert_version {
	POLICY_CERT_VERSION_ANY = 1,
	POLICY_CERT_VERSION_3 = 3,
};

/* Peer key-size floors in bits (PeerMin*KeySize); 0: only OpenSSL's security level. */
struct policy_peer_min {
	unsigned rsa, ecc, dsa, dh;
	int cert_version; /* enum policy_cert_version */
};

/* Client/ServerExtendedMasterSecret (RFC 7627). */
enum policy_ems {
	POLICY_EMS_ON = 1,       /* offered / accepted, not required */
	POLICY_EMS_OFF = 2,      /* neither offered nor accepted */
	POLICY_EMS_REQUIRED = 3, /* a TLS 1.2 peer without it is refused (TLS 1.3 always has it) */
};

/* CertValidationMode: OpenSSL has one profile (RFC 5280), lenient or strict. */
enum policy_cert_validation {
	POLICY_CV_ANY = 1,     /* OpenSSL's default checks */
	POLICY_CV_RFC2459 = 2, /* these three: X509_V_FLAG_X509_STRICT */
	POLICY_CV_RFC3280 = 3,
	POLICY_CV_RFC5280 = 4,
};

/* TruncatedHMAC, ClientMaxSSLFragment: Off, Optional, Required. */
enum policy_tri {
	POLICY_TRI_OFF = 1,
	POLICY_TRI_OPTIONAL = 2,
	POLICY_TRI_REQUIRED = 3,
};

enum policy_reneg {
	POLICY_RENEG_DEFAULT = 1, /* as System SSL's default: the server refuses it */
	POLICY_RENEG_DISABLED = 2,
	POLICY_RENEG_ALL = 3,
	POLICY_RENEG_ABBREVIATED = 4, /* only a renegotiation that resumes the session */
};

/* Bit i of 'set' says schema row i was written in the file (for scope resolution). */
struct policy_keyring {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	char *certificate; /* PEM chain, leaf first */
	char *key;         /* PEM private key */
	char *trusted_ca;  /* PEM bundle of trusted CAs */
	char *crl;         /* PEM CRLs: peer certificates are checked for revocation */
	char *ocsp_response; /* DER OCSP response stapled for our certificate */
	char *pin_file;      /* PIN of the PKCS#11 token of pkcs11: keys */
	char *stash_file;    /* that PIN (or the PEM passphrase), stashed (obfuscated) */
	char *key_passphrase_file; /* passphrase of encrypted PEM keys */
	char *pkcs11_module; /* PKCS#11 module; NULL: libp11's default */
	struct policy_certs certs; /* labelled certificates ("default": certificate/key) */
	unsigned *key_line;        /* policy_key_line() */
};

struct policy_group {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	bool enabled;   /* TTLSEnabled */
	unsigned trace; /* Trace bitmask */
	unsigned id;    /* GRPID printed in messages */
};

/* Parameters that both an environment and a connection action may carry; the
 * connection action wins per parameter. */
struct policy_tls_parms {
	uint64_t set;
	int role;                   /* enum policy_role */
	int client_auth;            /* enum policy_client_auth */
	bool tls1_0, tls1_1, tls1_2, tls1_3;
	unsigned handshake_timeout; /* seconds */
	bool app_controlled;        /* ApplicationControlled */
	unsigned trace;
	char *ciphers;    /* name in 'ciphers' */
	char *signatures; /* name in 'signatures' */
	char *host_ref;   /* HostReferenceIdDNS: name (or address) the server must prove */
	char *sni;        /* ClientHandshakeSNIList: name sent as SNI */
	bool identity_check; /* Off: skip the server identity check (warned) */
	char *cert_label;    /* CertificateLabel: the certificate to present */
	struct policy_labels server_labels; /* ServerCertificateLabel list */
	int renegotiation;   /* enum policy_reneg */
	char *identity_map;  /* name in 'identity_maps' (SAFCheck) */
	int capture;         /* enum policy_capture */
	bool key_log;        /* NSS key log next to the capture (warned at load) */
	int sni_server;      /* enum policy_sni: ServerHandshakeSNI */
	int sni_match;       /* enum policy_sni_match: ServerHandshakeSNIMatch */
	struct policy_sni_map sni_list; /* ServerHandshakeSNIList */
	unsigned peer_min_rsa, peer_min_ecc, peer_min_dsa, peer_min_dh;
	int peer_min_cert_version; /* enum policy_cert_version */
	bool middlebox_compat;     /* MiddleBoxCompatMode */
	int ems_client, ems_server; /* enum policy_ems */
	int cert_validation;       /* enum policy_cert_validation */
	int truncated_hmac;        /* enum policy_tri: Off only works */
	int max_frag;              /* enum policy_tri: ClientMaxSSLFragment */
	int max_frag_len;          /* 512, 1024, 2048, 4096 */
	unsigned reset_cipher_timer; /* ResetCipherTimer, minutes; 0 never */
	int sni_client;            /* enum policy_sni: ClientHandshakeSNI */
	int sni_client_match;      /* enum policy_sni_match: ClientHandshakeSNIMatch */
	unsigned v3_session_timeout; /* GSK_V3_SESSION_TIMEOUT, seconds; 0 no session-ID cache */
	unsigned v3_sidcache_size;   /* GSK_V3_SIDCACHE_SIZE, sessions */
	int unexpected_eof;          /* enum policy_unexpected_eof */
	unsigned *key_line;          /* policy_key_line() */
};

struct policy_env {
	char *name;
	struct diag_pos pos;
	struct policy_tls_parms parms;
	char *keyring_name;
	struct diag_pos keyring_pos;
	struct policy_keyring *keyring;
	unsigned id; /* ENVID printed in messages */
};

struct policy_conn_action {
	char *name;
	struct diag_pos pos;
	struct policy_tls_parms parms;
};

/* Everything a connection needs, resolved at load time from group, environment,
 * connection action and defaults, so the data path never walks scopes. */
struct policy_effective {
	bool enabled;
	int role;
	int client_auth;
	unsigned protocols; /* POLICY_PROTO_* */
	unsigned handshake_timeout;
	bool app_controlled; /* TLS starts when the application asks (INIT) */
	unsigned trace;
	const char *ciphers_name, *signatures_name;
	const char *host_ref, *sni; /* Client role */
	bool identity_check;
	const struct policy_cipher_parms *ciphers; /* NULL: attlsd's defaults */
	const struct policy_sig_parms *signatures; /* NULL: library defaults */
	const char *cert_label;                    /* NULL: the keyring's default */
	struct policy_labels server_labels;        /* n == 0: no label list */
	int renegotiation;                         /* enum policy_reneg */
	const char *identity_map_name;
	const struct policy_identity_map *identity_map; /* SAFCheck */
	int capture;  /* enum policy_capture */
	bool key_log; /* write the connection's TLS secrets (NSS key log format) */
	int sni_server;                    /* enum policy_sni (server roles) */
	int sni_match;                     /* enum policy_sni_match */
	struct policy_sni_map sni_list;    /* owned by the environment or connection */
	struct policy_peer_min peer_min;   /* checked on the peer's certificates */
	bool middlebox_compat;             /* TLS 1.3 middlebox compatibility */
	int ems;                           /* enum policy_ems of the rule's role */
	int cert_validation;               /* enum policy_cert_validation */
	int max_frag;                      /* enum policy_tri (Client role) */
	int max_frag_len;                  /* bytes */
	int truncated_hmac;                /* enum policy_tri (checked at load) */
	unsigned reset_cipher_timer;       /* minutes between TLS 1.3 key updates; 0 never */
	int sni_client;                    /* enum policy_sni (Client role) */
	int sni_client_match;              /* enum policy_sni_match (Client role) */
	unsigned v3_session_timeout;       /* session lifetime, seconds; 0: no session-ID cache */
	unsigned v3_sidcache_size;         /* session-ID cache entries of the rule */
	int unexpected_eof;                /* enum policy_unexpected_eof */
};

struct policy_rule {
	char *name;
	struct diag_pos pos;
	const char *path; /* the policy's file (pos.file ends with the load), for cause lines */
	uint64_t set;
	uint32_t priority;
	int direction; /* enum policy_direction */
	struct policy_addrs local_addr, remote_addr;
	struct policy_ports local_port, remote_port;
	char *group_name, *env_name, *conn_name;
	struct diag_pos group_pos, env_pos, conn_pos, local_port_pos;
	struct policy_group *group;
	struct policy_env *env;             /* NULL when the group is disabled */
	struct policy_conn_action *conn;    /* optional */
	struct policy_endpoint backend;     /* where plaintext goes */
	struct policy_endpoint listen;      /* explicit listen address; else derived */
	char *jobname;                      /* Jobname: process name, trailing '*' */
	char *userid;                       /* Userid: user name, trailing '*' */
	int proxy_protocol;                 /* 0 off, 2: PROXY v2 header to the backend */
	bool proxy_client_cert;             /* add the client's DER certificate to it */
	int intercept;                      /* enum policy_intercept */
	bool preserve_source;               /* connect to the backend from the client's address */
	char *time_name;                    /* IpTimeConditionRef */
	struct diag_pos time_pos;
	const struct policy_time_cond *time_cond;
	struct policy_effective eff;
	unsigned index; /* position in match order */
	bool broken;    /* had load errors: later checks skip it (no cascades) */
	unsigned listener; /* index into policy.listeners (the first of them) */
	unsigned *listeners; /* a rule on several local ports: one listener each */
	size_t nlisteners;   /* 0 or 1: just 'listener' */
};

enum policy_filter_action {
	POLICY_FILTER_PERMIT = 1,
	POLICY_FILTER_DENY = 2,
};

/* IpFilterRule (with its IpService and IpGenericFilterAction folded in). Filters
 * are evaluated in file order, first match wins, before any byte is read. */
struct policy_filter {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	int action;                      /* enum policy_filter_action */
	bool log;                        /* IpFilterLogging */
	struct policy_addrs source, destination;
	struct policy_ports source_port, destination_port;
	int direction;                   /* enum policy_direction */
	int protocol;                    /* 6 (tcp) or 0 (All) */
	char *time_name;
	struct diag_pos time_pos;
	const struct policy_time_cond *time_cond;
	unsigned index;
};

enum policy_filter_deny {
	POLICY_DENY_RESET = 1, /* RST: the peer learns at once */
	POLICY_DENY_CLOSE = 2, /* FIN */
};

/* A socket attlsd listens on, derived from the rules. */
struct policy_listener {
	char *host;
	uint16_t port;
	struct policy_endpoint backend; /* default backend for clear (unmatched) traffic */
	struct diag_pos pos;
	int intercept; /* enum policy_intercept: connections arrive diverted */
	int direction; /* POLICY_DIR_INBOUND, or OUTBOUND for diverted local clients */
	bool tls;      /* a rule with TLS on listens here: unmatched traffic is refused
			* unless settings.no_match is clear */
};

struct policy_settings {
	uint64_t set;
	unsigned workers;          /* 0 = number of CPUs */
	unsigned max_connections;  /* per worker */
	unsigned max_connections_per_source; /* all workers; 0 = no limit */
	unsigned max_handshakes_per_source;  /* accepted, handshake not done; 0 = no limit */
	unsigned max_handshakes;   /* in progress in all workers; 0 = no limit */
	unsigned source_prefix_v6; /* IPv6 bits that make one source */
	unsigned idle_timeout;     /* seconds, 0 = none */
	unsigned connect_timeout;  /* seconds, backend connect */
	unsigned shutdown_timeout; /* seconds, drain on SIGTERM */
	int no_match;              /* enum policy_no_match */
	unsigned trace;            /* Trace of connections that match no rule */
	int filter_deny;           /* enum policy_filter_deny */
	bool filter_log_implicit;  /* log connections no filter permits (LOGIMPLICIT) */
	unsigned filter_log_limit; /* EZD0815I lines per rule per second; 0 = no limit */
	int syslog_facility;       /* LOG_DAEMON or LOG_AUTH */
	char *jobname;             /* JOBNAME printed in messages */
	char *user;                /* what attlsd runs as after start-up (daemon/privdrop.c) */
	char *group;               /* NULL: user's primary group */
	bool sandbox;              /* seccomp and Landlock after start-up (daemon/sandbox.c) */
	char *event_log;           /* JSON-lines event log file; NULL: none */
	unsigned error_aggregation; /* identical errors logged per window; 0: all */
	unsigned error_aggregation_window; /* seconds */
	unsigned log_max_lines_per_second; /* about connections, all sinks; 0: no ceiling */
	char *capture_dir;         /* pcap and key log files of capture: rules */
	unsigned capture_max_files; /* oldest removed beyond this */
	unsigned capture_max_bytes; /* handshake bytes kept per connection */
	unsigned capture_max_per_minute; /* captures written per minute, all rules; 0: no limit */
	char *control_socket;      /* Unix socket for queries; "" or "Off": none */
	unsigned intercept_mark;   /* SO_MARK of attlsd's own connections */
	unsigned intercept_route_mark; /* packets to deliver locally (tproxy, preserve_source) */
	unsigned intercept_table;  /* route table of that local route */
	unsigned max_rule_listeners; /* ports one rule without "listen" may listen on */
	unsigned max_listeners;      /* listeners of the whole policy */
	char *ticket_keys;           /* shared session ticket key file; NULL: own keys */
	unsigned ticket_key_lifetime; /* seconds an own ticket key encrypts */
	char *session_cache;         /* redis://HOST:PORT[/DB]; NULL: none */
	unsigned session_cache_timeout; /* ms a handshake waits for the store */
	char *metrics_listen;        /* ADDR:PORT of /metrics; NULL: none */
};

struct policy {
	atomic_uint refs;
	char *path;
	struct policy_settings settings;
	struct policy_keyring *keyrings;
	size_t nkeyrings;
	struct policy_group *groups;
	size_t ngroups;
	struct policy_env *envs;
	size_t nenvs;
	struct policy_conn_action *conns;
	size_t nconns;
	struct policy_cipher_parms *ciphers;
	size_t nciphers;
	struct policy_sig_parms *sigs;
	size_t nsigs;
	struct policy_time_cond *times;
	size_t ntimes;
	struct policy_identity_map *idmaps;
	size_t nidmaps;
	struct policy_addr_set *addr_sets;
	size_t naddr_sets;
	struct policy_port_set *port_sets;
	size_t nport_sets;
	struct policy_filter *filters; /* in file order; none: filtering is off */
	size_t nfilters;
	struct policy_filter_view *fview; /* filters compiled for the matcher (filter.c) */
	bool uses_owner; /* some rule names a Jobname or Userid */
	struct policy_rule *rules; /* sorted: priority desc, name asc */
	size_t nrules;
	struct policy_listener *listeners;
	size_t nlisteners;
	unsigned generation;
	struct policy_index *index; /* compiled matcher (index.c); NULL: linear scan */
};

/* What a rule can match on. Addresses are IPv4-mapped for IPv4. */
struct policy_conn_attrs {
	uint8_t local_addr[16];
	uint8_t remote_addr[16];
	uint16_t local_port, remote_port;
	int direction;
	time_t now; /* for time conditions; 0: ignore them */
	const char *jobname, *userid; /* the local process's, when known; NULL: unknown */
};

/* Loads, validates and resolves the policy in 'path'. On success *out owns the new
 * policy (one reference). On failure *out is NULL and 'dl' says why; 'dl' also
 * holds warnings on success. */
ATTLS_NODISCARD int policy_load(const char *path, struct policy **out, struct diag_list *dl);
/* The same from memory; 'name' is used in diagnostics and relative paths resolve
 * against 'basedir' (NULL: the current directory). */
ATTLS_NODISCARD int policy_parse(const char *name, const char *text, size_t len,
				 const char *basedir, struct policy **out, struct diag_list *dl);
struct policy *policy_ref(struct policy *p);
void policy_unref(struct policy *p);

/* First rule by (priority desc, name asc) whose conditions all hold, or NULL. */
const struct policy_rule *policy_match(const struct policy *p, const struct policy_conn_attrs *a);
/* A connection that matched no rule, accepted on listener 'l' (NULL: unknown):
 * true if it is refused (RC 5105) rather than relayed in clear text. */
bool policy_no_match_denies(const struct policy *p, const struct policy_listener *l);
/* For the offline tools: the listener a client reaches at 'port' (the first on
 * it; NULL: none). */
const struct policy_listener *policy_listener_at_port(const struct policy *p, unsigned port);
/* The same by scanning every rule in order; the reference the index is tested against. */
const struct policy_rule *policy_match_linear(const struct policy *p,
					      const struct policy_conn_attrs *a);
/* True if rule 'r' matches 'a' (all its conditions hold). */
bool policy_rule_matches(const struct policy_rule *r, const struct policy_conn_attrs *a);
/* Where each key of an entry was written, for the cause lines that name the
 * setting to change: the loader (YAML and Policy Agent files alike) keeps the
 * line of schema row i in key_line[i] (0: not written; key_line NULL: none
 * was). The line of 'key' in such a table of 'section' ("keyrings",
 * "ciphers", "signatures"; NULL: the TLS parameters of an environment or
 * connection), 0 when it was not written. */
unsigned policy_key_line(const char *section, const unsigned *key_line, const char *key);
/* The line where rule r's TLS parameter 'key' is set: in its connection
 * action or its environment (the narrower one that sets it); 0 when the
 * default is in force. */
unsigned policy_rule_parm_line(const struct policy_rule *r, const char *key);
/* The same in words for a cause line: "FILE:LINE", or for a default "not
 * set (the default): add it to environment E at FILE:LINE". Returns 'buf'. */
const char *policy_rule_parm_where(const struct policy_rule *r, const char *key, char *buf,
				   size_t len);

/* The compiled matcher (index.c): built once per loaded policy. */
struct policy_index;
ATTLS_NODISCARD int policy_index_build(const struct policy *p, struct policy_index **out);
void policy_index_free(struct policy_index *ix);
/* First matching rule through the index. */
const struct policy_rule *policy_index_match(const struct policy *p, const struct policy_index *ix,
					     const struct policy_conn_attrs *a);

/* The first filter that matches 'a', or NULL: with filters defined, NULL means
 * the implicit deny. */
const struct policy_filter *policy_filter_match(const struct policy *p,
						const struct policy_conn_attrs *a);
/* The same by scanning every filter in order (the reference for tests). */
const struct policy_filter *policy_filter_match_linear(const struct policy *p,
						       const struct policy_conn_attrs *a);
/* Compiles the filters for policy_filter_match(); freed by policy_filter_view_free(). */
struct policy_filter_view;
ATTLS_NODISCARD int policy_filter_view_build(struct policy *p);
void policy_filter_view_free(struct policy_filter_view *fv);
bool policy_filter_matches(const struct policy_filter *f, const struct policy_conn_attrs *a);

/* Writes the filters as an nftables ruleset; returns how many filters it could
 * not express (they are left out, with a comment). */
int policy_nft_export(const struct policy *p, FILE *out);
/* nftables match text, shared with attlsctl intercept: " ip saddr { a, b-c }"
 * for the ranges of one family (false when the set names addresses but none of
 * that family; out NULL only asks), and " tcp dport N[-M]" (a port set:
 * " tcp dport { N, M-O }") unless any port. */
bool policy_nft_addrs(FILE *out, const struct policy_addrs *as, bool v4, const char *field);
void policy_nft_ports(FILE *out, const struct policy_ports *pp, const char *field);
/* Prints which filter and which TTLS rule apply to 'a', and why (each earlier
 * filter or rule with the condition that failed). */
void policy_explain(const struct policy *p, const struct policy_conn_attrs *a, FILE *out);

/* The keyring's certificate with 'label' ("default": certificate/key), or NULL. */
const struct policy_cert *policy_keyring_cert(const struct policy_keyring *k, const char *label);

/* Prints the effective policy, defaults resolved, rule by rule in match order. */
void policy_dump(const struct policy *p, FILE *out);

/* Prints the key reference (Markdown tables from the schema) for doc/policy.md. */
void policy_schema_doc(FILE *out);
/* The same as the man page attls-policy(5), in roff. */
void policy_schema_man(FILE *out);

/* Helpers shared with the daemon and tests. */
int policy_addr_parse(const char *s, struct policy_addr_range *out);
bool policy_addrs_contain(const struct policy_addrs *as, const uint8_t addr[16]);
bool policy_ports_contain(const struct policy_ports *pp, uint16_t port);
/* The ranges of a port condition: policy_ports_count() of them (0 when empty),
 * read one by one with policy_ports_range(). */
size_t policy_ports_count(const struct policy_ports *pp);
struct policy_port_range policy_ports_range(const struct policy_ports *pp, size_t i);
void policy_addr_from_v4(uint32_t be_addr, uint8_t out[16]);
/* Formats an address (IPv4-mapped ones as dotted quad). */
void policy_addr_format(const uint8_t addr[16], char *buf, size_t len);
const char *policy_role_name(int role);
const char *policy_client_auth_name(int ca);
const char *policy_direction_name(int dir);

#endif
