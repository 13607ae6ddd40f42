/* SPDX-License-Identifier: Apache-2.0 */
/* The policy schema: a table per section, and one setter per value type. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "common/err.h"
#include "identity.h"
#include "policy_int.h"
#include "schema.h"
#include "tlsnames.h"

static const struct schema_enum enum_bool[] = {
	{ "On", 1 }, { "Off", 0 }, { "true", 1 }, { "false", 0 },
	{ "yes", 1 }, { "no", 0 }, { NULL, 0 },
};

static const struct schema_enum enum_role[] = {
	{ "Client", POLICY_ROLE_CLIENT },
	{ "Server", POLICY_ROLE_SERVER },
	{ "ServerWithClientAuth", POLICY_ROLE_SERVER_CLIENT_AUTH },
	{ NULL, 0 },
};

static const struct schema_enum enum_client_auth[] = {
	{ "Required", POLICY_CA_REQUIRED },
	{ "PassThru", POLICY_CA_PASSTHRU },
	{ "Full", POLICY_CA_FULL },
	{ "SAFCheck", POLICY_CA_SAFCHECK },
	{ NULL, 0 },
};

static const struct schema_enum enum_reneg[] = {
	{ "Default", POLICY_RENEG_DEFAULT },
	{ "Disabled", POLICY_RENEG_DISABLED },
	{ "All", POLICY_RENEG_ALL },
	{ "Abbreviated", POLICY_RENEG_ABBREVIATED },
	{ NULL, 0 },
};

static const struct schema_enum enum_sni[] = {
	{ "Off", POLICY_SNI_OFF },
	{ "Required", POLICY_SNI_REQUIRED },
	{ "Optional", POLICY_SNI_OPTIONAL },
	{ NULL, 0 },
};

static const struct schema_enum enum_sni_match[] = {
	{ "Optional", POLICY_SNI_MATCH_OPTIONAL },
	{ "Required", POLICY_SNI_MATCH_REQUIRED },
	{ NULL, 0 },
};

static const struct schema_enum enum_cert_version[] = {
	{ "Any", POLICY_CERT_VERSION_ANY },
	{ "3", POLICY_CERT_VERSION_3 },
	{ NULL, 0 },
};

static const struct schema_enum enum_ems[] = {
	{ "On", POLICY_EMS_ON },
	{ "Off", POLICY_EMS_OFF },
	{ "Required", POLICY_EMS_REQUIRED },
	{ NULL, 0 },
};

static const struct schema_enum enum_cert_validation[] = {
	{ "Any", POLICY_CV_ANY },
	{ "RFC2459", POLICY_CV_RFC2459 },
	{ "RFC3280", POLICY_CV_RFC3280 },
	{ "RFC5280", POLICY_CV_RFC5280 },
	{ NULL, 0 },
};

static const struct schema_enum enum_tri[] = {
	{ "Off", POLICY_TRI_OFF },
	{ "Optional", POLICY_TRI_OPTIONAL },
	{ "Required", POLICY_TRI_REQUIRED },
	{ NULL, 0 },
};

static const struct schema_enum enum_frag_len[] = {
	{ "512", 512 }, { "1024", 1024 }, { "2048", 2048 }, { "4096", 4096 }, { NULL, 0 },
};

static const struct schema_enum enum_direction[] = {
	{ "Inbound", POLICY_DIR_INBOUND },
	{ "Outbound", POLICY_DIR_OUTBOUND },
	{ "Both", POLICY_DIR_BOTH },
	{ NULL, 0 },
};

static const struct schema_enum enum_no_match[] = {
	{ "clear", POLICY_NO_MATCH_CLEAR },
	{ "deny", POLICY_NO_MATCH_DENY },
	{ NULL, 0 },
};

static const struct schema_enum enum_filter_action[] = {
	{ "permit", POLICY_FILTER_PERMIT },
	{ "deny", POLICY_FILTER_DENY },
	{ NULL, 0 },
};

static const struct schema_enum enum_filter_deny[] = {
	{ "reset", POLICY_DENY_RESET },
	{ "close", POLICY_DENY_CLOSE },
	{ NULL, 0 },
};

static const struct schema_enum enum_protocol[] = {
	{ "tcp", 6 },
	{ "All", 0 },
	{ NULL, 0 },
};

static const struct schema_enum enum_proxy_protocol[] = {
	{ "Off", 0 },
	{ "v2", 2 },
	{ NULL, 0 },
};

static const struct schema_enum enum_intercept[] = {
	{ "Off", POLICY_INTERCEPT_OFF },
	{ "redirect", POLICY_INTERCEPT_REDIRECT },
	{ "tproxy", POLICY_INTERCEPT_TPROXY },
	{ NULL, 0 },
};

static const struct schema_enum enum_capture[] = {
	{ "off", POLICY_CAPTURE_OFF },
	{ "failures", POLICY_CAPTURE_FAILURES },
	{ "all", POLICY_CAPTURE_ALL },
	{ NULL, 0 },
};

static const struct schema_enum enum_facility[] = {
	{ "Daemon", LOG_DAEMON },
	{ "Auth", LOG_AUTH },
	{ NULL, 0 },
};

#define ROW(k, a, t, s, f, ...) { .key = k, .attls = a, .type = t, .offset = offsetof(s, f), __VA_ARGS__ }

static const struct schema_row settings_rows[] = {
	ROW("workers", "-", ST_UINT, struct policy_settings, workers, .min = 0, .max = 256,
	    .def = "0", .help = "worker threads, each with its own event loop and listener; 0 = one per CPU"),
	ROW("max_connections", "-", ST_UINT, struct policy_settings, max_connections, .min = 1,
	    .max = 1000000, .def = "10000",
	    .help = "connections per worker; beyond it new connections are refused (RC 5106)"),
	ROW("idle_timeout", "-", ST_UINT, struct policy_settings, idle_timeout, .min = 0,
	    .max = 604800, .def = "3600",
	    .help = "seconds without data either way before an established connection is closed; 0 = never"),
	ROW("connect_timeout", "-", ST_UINT, struct policy_settings, connect_timeout, .min = 1,
	    .max = 600, .def = "10", .help = "seconds to connect to the backend (RC 5102 when exceeded)"),
	ROW("shutdown_timeout", "-", ST_UINT, struct policy_settings, shutdown_timeout, .min = 0,
	    .max = 3600, .def = "30",
	    .help = "seconds live connections may take to finish after SIGTERM"),
	ROW("no_match", "-", ST_ENUM, struct policy_settings, no_match, .enums = enum_no_match,
	    .def = "clear",
	    .help = "a connection that matches no rule: clear (AT-TLS: relay clear text) or deny"),
	ROW("trace", "Trace", ST_UINT, struct policy_settings, trace, .min = 0, .max = 255,
	    .def = "2",
	    .help = "message bitmask for connections that match no rule (they have no action)"),
	ROW("filter_deny", "IpGenericFilterAction DiscardAction", ST_ENUM, struct policy_settings,
	    filter_deny, .enums = enum_filter_deny, .def = "reset",
	    .help = "how a filtered connection ends: reset (RST) or close (FIN)"),
	ROW("filter_log_implicit", "IPSEC LOGIMPLICIT", ST_BOOL, struct policy_settings,
	    filter_log_implicit, .enums = enum_bool, .def = "On",
	    .help = "log connections that no filter permits (the implicit deny)"),
	ROW("filter_log_limit", "-", ST_UINT, struct policy_settings, filter_log_limit, .min = 0,
	    .max = 1000000, .def = "10",
	    .help = "EZD0815I lines per filter per second; the rest are counted in EZD0837I"),
	ROW("syslog_facility", "TTLSGroupAdvancedParms SyslogFacility", ST_ENUM,
	    struct policy_settings, syslog_facility, .enums = enum_facility, .def = "Daemon",
	    .help = "syslog facility of EZD messages"),
	ROW("event_log", "-", ST_PATH, struct policy_settings, event_log,
	    .help = "file to append one JSON object per line to: every failed connection (and "
		    "every close with Trace 8), with the EZD facts as named fields"),
	ROW("error_aggregation", "-", ST_UINT, struct policy_settings, error_aggregation,
	    .min = 0, .max = 1000000, .def = "10",
	    .help = "identical errors (same rule, RC and client /24 or /64) logged per window; "
		    "the rest are counted in one ATL1290I line; 0 logs every one"),
	ROW("error_aggregation_window", "-", ST_UINT, struct policy_settings,
	    error_aggregation_window, .min = 1, .max = 86400, .def = "60",
	    .help = "seconds of the error_aggregation window"),
	ROW("capture_dir", "-", ST_PATH, struct policy_settings, capture_dir,
	    .def = "/var/lib/attlsd/capture",
	    .help = "directory of the pcap files (and key logs) of rules with capture"),
	ROW("capture_max_files", "-", ST_UINT, struct policy_settings, capture_max_files,
	    .min = 1, .max = 1000000, .def = "100",
	    .help = "files kept in capture_dir; the oldest are removed first"),
	ROW("capture_max_bytes", "-", ST_UINT, struct policy_settings, capture_max_bytes,
	    .min = 1024, .max = 16777216, .def = "65536",
	    .help = "handshake bytes captured per connection (both directions)"),
	ROW("jobname", "-", ST_STRING, struct policy_settings, jobname, .def = "attlsd",
	    .help = "JOBNAME printed in EZD messages"),
	ROW("control_socket", "-", ST_STRING, struct policy_settings, control_socket,
	    .def = "/run/attlsd.sock",
	    .help = "Unix socket for the query API (attlsctl query, libattlsquery); \"Off\": none"),
	ROW("intercept_mark", "-", ST_UINT, struct policy_settings, intercept_mark, .min = 1,
	    .max = 2147483647, .def = "16724",
	    .help = "firewall mark (SO_MARK) of attlsd's own backend connections, so that "
		    "interception rules skip them"),
	ROW("intercept_route_mark", "-", ST_UINT, struct policy_settings, intercept_route_mark,
	    .min = 1, .max = 2147483647, .def = "16725",
	    .help = "firewall mark of packets the local route of intercept_table delivers to "
		    "attlsd (intercept: tproxy; backend replies with preserve_source)"),
	ROW("intercept_table", "-", ST_UINT, struct policy_settings, intercept_table, .min = 1,
	    .max = 2147483647, .def = "16724",
	    .help = "routing table with the local route that delivers diverted packets "
		    "(intercept: tproxy, preserve_source)"),
	ROW("max_rule_listeners", "-", ST_UINT, struct policy_settings, max_rule_listeners,
	    .min = 1, .max = 65535, .def = "256",
	    .help = "ports an inbound rule without listen or intercept may name in local_port; "
		    "attlsd listens on each of them"),
	ROW("max_listeners", "-", ST_UINT, struct policy_settings, max_listeners, .min = 1,
	    .max = 65535, .def = "1024",
	    .help = "listening sockets of the whole policy (each worker opens each once)"),
	ROW("ticket_keys", "-", ST_PATH, struct policy_settings, ticket_keys,
	    .help = "file of session ticket keys shared by a fleet (doc/fleet.md): one base64 "
		    "line of 80 random bytes per key, the first encrypts, all decrypt; mode 0600; "
		    "re-read when it changes and on SIGHUP; without it attlsd makes its own "
		    "keys"),
	ROW("ticket_key_lifetime", "-",
	    ST_UINT, struct policy_settings, ticket_key_lifetime, .min = 60, .max = 86400,
	    .def = "3600",
	    .help = "seconds a ticket key attlsd made itself encrypts before a new one takes "
		    "over; the previous one still decrypts for as long again"),
	ROW("session_cache", "TTLSGskAdvancedParms GSK_SYSPLEX_SIDCACHE", ST_STRING,
	    struct policy_settings, session_cache,
	    .help = "redis://HOST:PORT[/DB]: TLS 1.2 sessions of rules with a session-ID cache "
		    "are stored there too, so every host of a fleet resumes them; Redis down or "
		    "slow means full handshakes, never a failed one (doc/fleet.md)"),
	ROW("session_cache_timeout", "-", ST_UINT, struct policy_settings, session_cache_timeout,
	    .min = 1, .max = 1000, .def = "50",
	    .help = "milliseconds a handshake waits for session_cache before it goes on as a "
		    "full handshake"),
	ROW("metrics_listen", "-", ST_STRING, struct policy_settings, metrics_listen,
	    .help = "ADDR:PORT (or [ADDR]:PORT) where attlsd serves Prometheus metrics at "
		    "/metrics (doc/fleet.md); read at start only"),
};

static const struct schema_row keyring_rows[] = {
	ROW("certificate", "TTLSKeyringParms Keyring", ST_PATH, struct policy_keyring, certificate,
	    .help = "PEM file: this side's certificate, then its intermediate CAs"),
	ROW("key", "TTLSKeyringParms Keyring", ST_PATH, struct policy_keyring, key,
	    .help = "PEM file: the private key of 'certificate'"),
	ROW("trusted_ca", "TTLSKeyringParms Keyring (CERTAUTH)", ST_PATH, struct policy_keyring,
	    trusted_ca, .help = "PEM bundle of CA certificates trusted to sign peer certificates"),
	ROW("certificates", "TTLSKeyringParms Keyring (labelled certificates)", ST_CERTS,
	    struct policy_keyring, certs,
	    .help = "map of label (1-32 characters) to {certificate, key}; 'certificate' and "
		    "'key' above are the label \"default\""),
	ROW("crl", "TTLSGskLdapParms / TTLSGskHttpCdpParms (CRLs)", ST_PATH, struct policy_keyring,
	    crl, .help = "PEM file of CRLs: a revoked peer certificate fails with RC 431; it "
			 "must hold a current CRL of every CA that issues peer certificates"),
	ROW("ocsp_response", "TTLSGskOcspParms OcspServerStapling", ST_PATH,
	    struct policy_keyring, ocsp_response,
	    .help = "DER OCSP response for this side's certificate, stapled when a client asks "
		    "(status_request)"),
};

static const struct schema_row group_rows[] = {
	ROW("enabled", "TTLSEnabled", ST_BOOL, struct policy_group, enabled, .enums = enum_bool,
	    .flags = SF_REQUIRED, .help = "On: connections of the rule get TLS; Off: clear text"),
	ROW("trace", "Trace", ST_UINT, struct policy_group, trace, .min = 0, .max = 255, .def = "2",
	    .help = "message bitmask: 1 EZD1287I, 2 EZD1286I, 4 EZD1281I, 8 EZD1282I/EZD1283I, "
		    "16 EZD1284I, 32 EZD1285I (decrypted data, warned at load); 8-32 are "
		    "syslog debug (attlsd -d)"),
};

const struct schema_row schema_tls_parms[] = {
	ROW("handshake_role", "HandshakeRole", ST_ENUM, struct policy_tls_parms, role,
	    .enums = enum_role, .flags = SF_PARMS,
	    .help = "TLS role: Server, ServerWithClientAuth or Client"),
	ROW("client_auth_type", "ClientAuthType", ST_ENUM, struct policy_tls_parms, client_auth,
	    .enums = enum_client_auth, .def = "Required", .flags = SF_PARMS,
	    .help = "with ServerWithClientAuth: Required, Full, PassThru or SAFCheck"),
	ROW("tls_v1_0", "TLSv1", ST_BOOL, struct policy_tls_parms, tls1_0, .enums = enum_bool,
	    .def = "Off", .flags = SF_PARMS, .help = "allow TLS 1.0 (insecure)"),
	ROW("tls_v1_1", "TLSv1.1", ST_BOOL, struct policy_tls_parms, tls1_1, .enums = enum_bool,
	    .def = "Off", .flags = SF_PARMS, .help = "allow TLS 1.1 (insecure)"),
	ROW("tls_v1_2", "TLSv1.2", ST_BOOL, struct policy_tls_parms, tls1_2, .enums = enum_bool,
	    .def = "On", .flags = SF_PARMS, .help = "allow TLS 1.2"),
	ROW("tls_v1_3", "TLSv1.3", ST_BOOL, struct policy_tls_parms, tls1_3, .enums = enum_bool,
	    .def = "On", .flags = SF_PARMS, .help = "allow TLS 1.3"),
	ROW("handshake_timeout", "HandshakeTimeout", ST_UINT, struct policy_tls_parms,
	    handshake_timeout, .min = 1, .max = 600, .def = "10", .flags = SF_PARMS,
	    .help = "seconds for the peer to start (RC 5004) and then to finish the handshake"),
	ROW("application_controlled", "ApplicationControlled", ST_BOOL, struct policy_tls_parms,
	    app_controlled, .enums = enum_bool, .def = "Off", .flags = SF_PARMS,
	    .help = "On: clear text both ways until the application asks attlsd to start TLS "
		    "(attlsctl init, attls_init_fd(); SIOCTTLSCTL TTLS_INIT_CONNECTION), for "
		    "STARTTLS-style protocols"),
	ROW("trace", "Trace", ST_UINT, struct policy_tls_parms, trace, .min = 0, .max = 255,
	    .flags = SF_PARMS, .help = "message bitmask; overrides the group's"),
	ROW("host_reference_id_dns", "HostReferenceIdDNS", ST_STRING, struct policy_tls_parms,
	    host_ref, .flags = SF_PARMS,
	    .help = "Client role: the name (or address) the server certificate must carry; "
		    "default: the backend's host"),
	ROW("client_handshake_sni_list", "ClientHandshakeSNIList", ST_STRING,
	    struct policy_tls_parms, sni, .flags = SF_PARMS,
	    .help = "Client role: the server name sent (SNI); default: host_reference_id_dns, "
		    "else the backend's host name"),
	ROW("server_identity_check", "-", ST_BOOL, struct policy_tls_parms, identity_check,
	    .enums = enum_bool, .def = "On", .flags = SF_PARMS,
	    .help = "Client role: Off skips the name check of the server certificate (like "
		    "Zowe's verifyCertificates NONSTRICT); warned at load"),
	ROW("ciphers", "TTLSCipherParmsRef", ST_REF, struct policy_tls_parms, ciphers,
	    .ref_section = "ciphers", .flags = SF_PARMS,
	    .help = "name of a cipher parameter set; default: forward-secret AEAD suites"),
	ROW("signatures", "TTLSSignatureParmsRef", ST_REF, struct policy_tls_parms, signatures,
	    .ref_section = "signatures", .flags = SF_PARMS,
	    .help = "name of a signature parameter set (signature pairs, groups)"),
	ROW("certificate_label", "CertificateLabel", ST_STRING, struct policy_tls_parms,
	    cert_label, .flags = SF_PARMS,
	    .help = "label in the keyring's certificates of the certificate to present; "
		    "default: the keyring's certificate/key (label \"default\")"),
	ROW("server_certificate_labels", "ServerCertificateLabel", ST_LABELS,
	    struct policy_tls_parms, server_labels, .flags = SF_PARMS,
	    .help = "server roles: up to 8 labels, at most one per key type (RSA, ECDSA, ...); "
		    "the one that fits the client's signature algorithms and suites is "
		    "presented, none fitting is RC 510; overrides certificate_label"),
	ROW("renegotiation", "Renegotiation", ST_ENUM, struct policy_tls_parms, renegotiation,
	    .enums = enum_reneg, .def = "Default", .flags = SF_PARMS,
	    .help = "server roles, TLS 1.2: Default and Disabled refuse a client's "
		    "renegotiation (RC 432), All allows it (RFC 5746 secure renegotiation "
		    "only), Abbreviated only one that offers to resume the session"),
	ROW("identity_map", "- (RACDCERT MAP)", ST_REF, struct policy_tls_parms, identity_map,
	    .ref_section = "identity_maps", .flags = SF_PARMS,
	    .help = "name of the identity map that turns client certificates into user IDs; "
		    "required with client_auth_type SAFCheck"),
	ROW("capture", "- (CTRACE / packet trace)", ST_ENUM, struct policy_tls_parms, capture,
	    .enums = enum_capture, .def = "off", .flags = SF_PARMS,
	    .help = "failures or all: the handshake bytes of the connection as a pcap file in "
		    "settings.capture_dir, named by CONNID and named in the cause line"),
	ROW("key_log", "- (CtraceClearText)", ST_BOOL, struct policy_tls_parms, key_log,
	    .enums = enum_bool, .def = "Off", .flags = SF_PARMS,
	    .help = "with capture: also the TLS secrets (NSS key log) next to the pcap, so "
		    "Wireshark can decrypt it; test only, warned at load"),
	ROW("server_handshake_sni", "ServerHandshakeSNI", ST_ENUM, struct policy_tls_parms,
	    sni_server, .enums = enum_sni, .def = "Off", .flags = SF_PARMS,
	    .help = "server roles: Optional or Required presents the certificate that "
		    "server_handshake_sni_list names for the client's server name (SNI); "
		    "Required refuses a client that sends none (RC 412); Off ignores SNI"),
	ROW("server_handshake_sni_match", "ServerHandshakeSNIMatch", ST_ENUM,
	    struct policy_tls_parms, sni_match, .enums = enum_sni_match, .def = "Optional",
	    .flags = SF_PARMS,
	    .help = "with server_handshake_sni: Required refuses a server name that "
		    "server_handshake_sni_list does not hold (RC 510, alert unrecognized_name); "
		    "Optional presents the usual certificate for it"),
	ROW("server_handshake_sni_list", "ServerHandshakeSNIList", ST_SNIMAP,
	    struct policy_tls_parms, sni_list, .flags = SF_PARMS,
	    .help = "map of server name to certificate label of the keyring, up to 64 names; "
		    "names are compared without regard to case, \"*.example.com\" matches one "
		    "leftmost label"),
	ROW("peer_min_rsa_key_size", "PeerMinRsaKeySize", ST_UINT, struct policy_tls_parms,
	    peer_min_rsa, .min = 0, .max = 16384, .def = "0", .flags = SF_PARMS,
	    .help = "bits: a peer certificate (leaf or intermediate the peer sends) with a "
		    "smaller RSA key is refused (RC 404); 0: OpenSSL's security level only "
		    "(Debian 12: 2048)"),
	ROW("peer_min_ecc_key_size", "PeerMinECCKeySize", ST_UINT, struct policy_tls_parms,
	    peer_min_ecc, .min = 0, .max = 571, .def = "0", .flags = SF_PARMS,
	    .help = "bits: a peer certificate with a smaller EC key is refused (RC 404); 0: "
		    "OpenSSL's security level only (Debian 12: 224)"),
	ROW("peer_min_dsa_key_size", "PeerMinDsaKeySize", ST_UINT, struct policy_tls_parms,
	    peer_min_dsa, .min = 0, .max = 16384, .def = "0", .flags = SF_PARMS,
	    .help = "bits: a peer certificate with a smaller DSA key is refused (RC 404); 0: "
		    "OpenSSL's security level only (Debian 12: 2048)"),
	ROW("peer_min_dh_key_size", "PeerMinDHKeySize", ST_UINT, struct policy_tls_parms,
	    peer_min_dh, .min = 0, .max = 16384, .def = "0", .flags = SF_PARMS,
	    .help = "bits: a peer whose ephemeral finite-field DH key (DHE suites, ffdhe "
		    "groups) or certificate DH key is smaller is refused (RC 404) once the "
		    "handshake is done; 0: OpenSSL's security level only (Debian 12: 2048)"),
	ROW("peer_min_cert_version", "PeerMinCertVersion", ST_ENUM, struct policy_tls_parms,
	    peer_min_cert_version, .enums = enum_cert_version, .def = "Any", .flags = SF_PARMS,
	    .help = "3: an X.509 v1 or v2 certificate sent by the peer is refused (RC 404); "
		    "Any accepts them (OpenSSL still refuses a v1 intermediate CA)"),
	ROW("middlebox_compat", "MiddleBoxCompatMode", ST_BOOL, struct policy_tls_parms,
	    middlebox_compat, .enums = enum_bool, .def = "On", .flags = SF_PARMS,
	    .help = "TLS 1.3 middlebox compatibility (RFC 8446 D.4): a session ID and "
		    "ChangeCipherSpec records that make the handshake look like TLS 1.2 to "
		    "middleboxes; Off sends neither (z/OS default: Off)"),
	ROW("client_extended_master_secret", "ClientExtendedMasterSecret", ST_ENUM,
	    struct policy_tls_parms, ems_client, .enums = enum_ems, .def = "On", .flags = SF_PARMS,
	    .help = "Client role, TLS 1.2 (RFC 7627): On offers it, Off does not, Required "
		    "refuses a server that does not use it (RC 412); TLS 1.3 always has it"),
	ROW("server_extended_master_secret", "ServerExtendedMasterSecret", ST_ENUM,
	    struct policy_tls_parms, ems_server, .enums = enum_ems, .def = "On", .flags = SF_PARMS,
	    .help = "server roles, TLS 1.2 (RFC 7627): On accepts it, Off ignores it, Required "
		    "refuses a client that does not offer it (RC 412); TLS 1.3 always has it"),
	ROW("cert_validation_mode", "CertValidationMode", ST_ENUM, struct policy_tls_parms,
	    cert_validation, .enums = enum_cert_validation, .def = "Any", .flags = SF_PARMS,
	    .help = "Any: OpenSSL's usual checks; RFC5280: also OpenSSL's strict RFC 5280 "
		    "checks (X509_V_FLAG_X509_STRICT: key identifiers, CA key usage, ...); "
		    "RFC3280 and RFC2459 are checked as RFC5280 (warned at load: OpenSSL has "
		    "no older profile)"),
	ROW("truncated_hmac", "TruncatedHMAC", ST_ENUM, struct policy_tls_parms, truncated_hmac,
	    .enums = enum_tri, .def = "Off", .flags = SF_PARMS,
	    .help = "RFC 6066 truncated HMAC, which OpenSSL does not implement: Off; Optional "
		    "is warned at load and never negotiated; Required is a load error"),
	ROW("client_max_fragment", "ClientMaxSSLFragment", ST_ENUM, struct policy_tls_parms,
	    max_frag, .enums = enum_tri, .def = "Off", .flags = SF_PARMS,
	    .help = "Client role (RFC 6066 max_fragment_length): Optional and Required ask the "
		    "server for records of at most client_max_fragment_length bytes; Required "
		    "refuses a server that does not agree (RC 412)"),
	ROW("client_max_fragment_length", "ClientMaxSSLFragmentLength", ST_ENUM,
	    struct policy_tls_parms, max_frag_len, .enums = enum_frag_len, .def = "4096",
	    .flags = SF_PARMS, .help = "with client_max_fragment: 512, 1024, 2048 or 4096 bytes"),
	ROW("reset_cipher_timer", "ResetCipherTimer", ST_UINT, struct policy_tls_parms,
	    reset_cipher_timer, .min = 0, .max = 1440, .def = "0", .flags = SF_PARMS,
	    .help = "minutes: a TLS 1.3 connection updates its keys this often (KeyUpdate, "
		    "asking the peer to update its own too), sent at once or with the next "
		    "data; TLS 1.2 connections are not re-keyed (that needs renegotiation, "
		    "which attlsd does not start; warned at load); 0: never"),
	ROW("client_handshake_sni", "ClientHandshakeSNI", ST_ENUM, struct policy_tls_parms,
	    sni_client, .enums = enum_sni, .def = "Optional", .flags = SF_PARMS,
	    .help = "Client role: Optional sends the server name when there is one "
		    "(client_handshake_sni_list, host_reference_id_dns or the backend's host "
		    "name; an address is never sent), Required makes a missing name a load "
		    "error, Off sends none (z/OS default: Off)"),
	ROW("client_handshake_sni_match", "ClientHandshakeSNIMatch", ST_ENUM,
	    struct policy_tls_parms, sni_client_match, .enums = enum_sni_match, .def = "Optional",
	    .flags = SF_PARMS,
	    .help = "Client role: Required refuses a server that does not acknowledge the "
		    "server name sent (RC 412); Optional does not look"),
	ROW("v3_session_timeout", "TTLSGskAdvancedParms GSK_V3_SESSION_TIMEOUT", ST_UINT,
	    struct policy_tls_parms, v3_session_timeout, .min = 0, .max = 86400, .def = "86400",
	    .flags = SF_PARMS,
	    .help = "server roles: seconds a session can be resumed, by session ID (TLS 1.2, "
		    "a cache shared by all workers) or by ticket; 0: no session-ID cache "
		    "(tickets then live 2 hours)"),
	ROW("v3_sidcache_size", "TTLSGskAdvancedParms GSK_V3_SIDCACHE_SIZE", ST_UINT,
	    struct policy_tls_parms, v3_sidcache_size, .min = 0, .max = 64000, .def = "512",
	    .flags = SF_PARMS,
	    .help = "server roles: sessions the rule's session-ID cache holds in attlsd; the "
		    "oldest are dropped beyond it; 0: no session-ID cache"),
};
const size_t schema_ntls_parms = ARRAY_SIZE(schema_tls_parms);
/* load.c records which keys an entry sets in a uint64_t bit mask. */
_Static_assert(ARRAY_SIZE(schema_tls_parms) <= 64, "too many TLS parameter keys for the set mask");

static const struct schema_row env_rows[] = {
	ROW("keyring", "TTLSKeyringParmsRef", ST_REF, struct policy_env, keyring_name,
	    .ref_section = "keyrings", .pos_off = offsetof(struct policy_env, keyring_pos),
	    .help = "name of the keyring with this side's certificate"),
};

static const struct schema_row idmap_rows[] = {
	ROW("certificates", "RACDCERT ADD ... ID(user)", ST_IDCERTS,
	    struct policy_identity_map, certs,
	    .help = "one-to-one entries {sha256: fingerprint of the certificate, user: ID}; "
		    "checked before the filters"),
	ROW("filters", "RACDCERT MAP SDNFILTER / IDNFILTER", ST_IDFILTERS,
	    struct policy_identity_map, filters,
	    .help = "{subject: DN, issuer: DN, user: ID} entries: a DN matches every "
		    "certificate DN that ends with its RDNs (\"O=example\" matches "
		    "\"CN=a,O=example\"); values exactly, no wildcards; the most specific "
		    "filter wins (most subject RDNs, then most issuer RDNs, then the first); "
		    "user IDs have 1-32 characters (RACF: 1-8)"),
};

static const struct schema_row rule_rows[] = {
	ROW("priority", "Priority", ST_UINT, struct policy_rule, priority, .min = 1,
	    .max = 2000000000, .flags = SF_REQUIRED,
	    .help = "higher first; equal priorities are ordered by rule name"),
	ROW("direction", "Direction", ST_ENUM, struct policy_rule, direction,
	    .enums = enum_direction, .flags = SF_REQUIRED, .help = "Inbound, Outbound or Both"),
	ROW("local_addr", "LocalAddr", ST_ADDRS, struct policy_rule, local_addr, .def = "All",
	    .help = "All, an address, addr/prefix, addr-addr, or a list of these"),
	ROW("local_port", "LocalPortRange / LocalPortGroupRef", ST_PORTS, struct policy_rule,
	    local_port, .def = "0", .pos_off = offsetof(struct policy_rule, local_port_pos),
	    .help = "0 (all), a port, low-high, the name of a port set, or a list of these"),
	ROW("remote_addr", "RemoteAddr", ST_ADDRS, struct policy_rule, remote_addr, .def = "All",
	    .help = "All, an address, addr/prefix, addr-addr, or a list of these"),
	ROW("remote_port", "RemotePortRange / RemotePortGroupRef", ST_PORTS, struct policy_rule,
	    remote_port, .def = "0",
	    .help = "0 (all), a port, low-high, the name of a port set, or a list of these"),
	ROW("group", "TTLSGroupActionRef", ST_REF, struct policy_rule, group_name,
	    .ref_section = "groups", .flags = SF_REQUIRED,
	    .pos_off = offsetof(struct policy_rule, group_pos), .help = "name of the group action"),
	ROW("environment", "TTLSEnvironmentActionRef", ST_REF, struct policy_rule, env_name,
	    .ref_section = "environments", .pos_off = offsetof(struct policy_rule, env_pos),
	    .help = "name of the environment action; required when the group is enabled"),
	ROW("connection", "TTLSConnectionActionRef", ST_REF, struct policy_rule, conn_name,
	    .ref_section = "connections", .pos_off = offsetof(struct policy_rule, conn_pos),
	    .help = "name of a connection action (optional)"),
	ROW("backend", "-", ST_ENDPOINT, struct policy_rule, backend,
	    .help = "host:port of the unchanged plaintext server; host:+N (or host:-N): port "
		    "= the connection's local port + N, one backend port per listener of a rule "
		    "on several ports"),
	ROW("listen", "-", ST_ENDPOINT, struct policy_rule, listen,
	    .help = "host:port attlsd listens on; default: local_addr and local_port"),
	ROW("time_condition", "IpTimeConditionRef", ST_REF, struct policy_rule, time_name,
	    .ref_section = "time_conditions", .pos_off = offsetof(struct policy_rule, time_pos),
	    .help = "name of a time condition; outside it the rule matches no new connection"),
	ROW("jobname", "Jobname", ST_STRING, struct policy_rule, jobname,
	    .help = "the owning process's name (comm) or systemd unit; outbound: of the local "
		    "client's socket, inbound: of the backend's listener; a trailing * matches "
		    "any ending"),
	ROW("userid", "Userid", ST_STRING, struct policy_rule, userid,
	    .help = "the user owning the socket (outbound: the local client's, inbound: the "
		    "backend's listener); a trailing * matches any ending"),
	ROW("proxy_protocol", "-", ST_ENUM, struct policy_rule, proxy_protocol,
	    .enums = enum_proxy_protocol, .def = "Off",
	    .help = "v2: send the backend a PROXY protocol v2 header first (client address, "
		    "TLS version, cipher, SNI, client certificate CN, mapped user ID)"),
	ROW("proxy_protocol_client_cert", "-", ST_BOOL, struct policy_rule, proxy_client_cert,
	    .enums = enum_bool, .def = "Off",
	    .help = "with proxy_protocol v2: also send the client's DER certificate"),
	ROW("intercept", "-", ST_ENUM, struct policy_rule, intercept, .enums = enum_intercept,
	    .def = "Off",
	    .help = "redirect or tproxy: nftables diverts the connections the rule names to "
		    "\"listen\" (attlsctl intercept up); the backend defaults to the original "
		    "destination. Off: clients connect to attlsd"),
	ROW("preserve_source", "-", ST_BOOL, struct policy_rule, preserve_source,
	    .enums = enum_bool, .def = "Off",
	    .help = "with intercept: connect to the backend from the client's address "
		    "(IP_TRANSPARENT), so the backend sees the real client"),
};

static const struct schema_row addr_set_rows[] = {
	ROW("addresses", "IpAddrSet / IpAddrGroup", ST_ADDRS, struct policy_addr_set, addrs,
	    .flags = SF_VALUE,
	    .help = "addresses (single, prefix, range) and names of other address sets"),
};

static const struct schema_row port_set_rows[] = {
	ROW("ports", "PortRange / PortGroup", ST_PORTS, struct policy_port_set, ports,
	    .flags = SF_VALUE,
	    .help = "ports (a port, low-high, 0 or All) and names of other port sets"),
};

static const struct schema_row filter_rows[] = {
	ROW("action", "IpGenericFilterAction IpFilterAction", ST_ENUM, struct policy_filter, action,
	    .enums = enum_filter_action, .flags = SF_REQUIRED, .help = "permit or deny"),
	ROW("log", "IpGenericFilterAction IpFilterLogging", ST_BOOL, struct policy_filter, log,
	    .enums = enum_bool, .def = "No", .help = "log each match (EZD0815I for deny)"),
	ROW("source", "IpSourceAddr", ST_ADDRS, struct policy_filter, source, .def = "All",
	    .help = "where connections come from (the remote address of an inbound one)"),
	ROW("destination", "IpDestAddr", ST_ADDRS, struct policy_filter, destination,
	    .def = "All", .help = "where connections go (the local address of an inbound one)"),
	ROW("source_port", "IpService SourcePortRange", ST_PORTS, struct policy_filter,
	    source_port, .def = "0",
	    .help = "0 (all), a port, low-high, the name of a port set, or a list of these"),
	ROW("destination_port", "IpService DestinationPortRange", ST_PORTS, struct policy_filter,
	    destination_port, .def = "0",
	    .help = "0 (all), a port, low-high, the name of a port set, or a list of these"),
	ROW("protocol", "IpService Protocol", ST_ENUM, struct policy_filter, protocol,
	    .enums = enum_protocol, .def = "tcp", .help = "tcp (the only protocol attlsd sees)"),
	ROW("direction", "IpService Direction", ST_ENUM, struct policy_filter, direction,
	    .enums = enum_direction, .def = "Inbound", .help = "Inbound, Outbound or Both"),
	ROW("time_condition", "IpTimeConditionRef", ST_REF, struct policy_filter, time_name,
	    .ref_section = "time_conditions", .pos_off = offsetof(struct policy_filter, time_pos),
	    .help = "name of a time condition; outside it the filter does not match"),
};

#define TROW(k, a, h) ROW(k, a, ST_TIME, struct policy_time_cond, tc, .help = h)
static const struct schema_row time_rows[] = {
	TROW("period", "TimePeriodWindow",
	     "yyyymmddhhmmss:yyyymmddhhmmss, both ends included"),
	TROW("months", "MonthOfYearMask", "12 characters of 0 and 1, January first"),
	TROW("days_of_month", "DayOfMonthMask",
	     "62 characters of 0 and 1: days 1-31 from the start, then 31 days back from the last"),
	TROW("days_of_week", "DayOfWeekMask",
	     "7 characters of 0 and 1, Sunday first, or names such as Mon-Fri; also a list "
	     "of names and ranges ([Mon, Wed-Fri])"),
	TROW("time_of_day", "TimeOfDayWindow",
	     "hh:mm[:ss]-hh:mm[:ss]; a window whose end is before its start spans midnight"),
	TROW("time_zone", "TimeZone", "Local (the system's zone, with daylight saving) or UTC"),
};

static const struct schema_row cipher_rows[] = {
	ROW("v3_cipher_suites", "V3CipherSuites", ST_CIPHERS2, struct policy_cipher_parms, v3,
	    .help = "TLS 1.2 suites as IANA names or 2-hex-digit codes, in preference order"),
	ROW("v3_cipher_suites_4char", "V3CipherSuites4Char", ST_CIPHERS4,
	    struct policy_cipher_parms, v3_4char,
	    .help = "suites as IANA names or 4-hex-digit codes (C02F, 1301), in preference order"),
};

static const struct schema_row sig_rows[] = {
	ROW("signature_pairs", "SignaturePairs", ST_SIGALGS, struct policy_sig_parms, sigalgs,
	    .help = "signature schemes for handshake signatures (4-hex-digit codes or names)"),
	ROW("signature_pairs_cert", "SignaturePairsCert", ST_SIGALGS, struct policy_sig_parms,
	    sigalgs_cert, .help = "signature schemes allowed in certificates; default: signature_pairs"),
	ROW("client_ecurves", "ClientECurves", ST_GROUPS, struct policy_sig_parms, client_ecurves,
	    .help = "client role: groups offered for ECDHE (4-digit decimal codes or names)"),
	ROW("client_key_share_groups", "ClientKeyShareGroups", ST_GROUPS, struct policy_sig_parms,
	    client_key_shares, .help = "client role: TLS 1.3 key shares sent"),
	ROW("server_kex_ecurves", "ServerKexECurves", ST_GROUPS, struct policy_sig_parms,
	    server_kex_ecurves, .help = "server role: ECDHE groups for TLS 1.2, in preference order"),
	ROW("server_key_share_groups", "ServerKeyShareGroups", ST_GROUPS, struct policy_sig_parms,
	    server_key_shares, .help = "server role: TLS 1.3 groups accepted, in preference order"),
};

const struct schema_section schema_sections[] = {
	{ "settings", "-", 0, settings_rows, ARRAY_SIZE(settings_rows), -1,
	  "daemon-wide settings" },
	{ "keyrings", "TTLSKeyringParms", 1, keyring_rows, ARRAY_SIZE(keyring_rows), -1,
	  "certificates, keys and trusted CAs" },
	{ "groups", "TTLSGroupAction", 1, group_rows, ARRAY_SIZE(group_rows), -1,
	  "whether TLS is on, and tracing" },
	{ "environments", "TTLSEnvironmentAction", 1, env_rows, ARRAY_SIZE(env_rows),
	  (long)offsetof(struct policy_env, parms),
	  "handshake role, keyring, protocols, timeouts" },
	{ "connections", "TTLSConnectionAction", 1, NULL, 0,
	  (long)offsetof(struct policy_conn_action, parms),
	  "per-connection overrides of environment parameters" },
	{ "ciphers", "TTLSCipherParms", 1, cipher_rows, ARRAY_SIZE(cipher_rows), -1,
	  "cipher suite lists" },
	{ "signatures", "TTLSSignatureParms", 1, sig_rows, ARRAY_SIZE(sig_rows), -1,
	  "signature algorithm pairs and key-exchange groups" },
	{ "time_conditions", "IpTimeCondition", 1, time_rows, ARRAY_SIZE(time_rows), -1,
	  "when rules are in effect" },
	{ "identity_maps", "RACDCERT MAP", 1, idmap_rows, ARRAY_SIZE(idmap_rows), -1,
	  "client certificate to user ID mappings for client_auth_type SAFCheck" },
	{ "addresses", "IpAddr / IpAddrSet / IpAddrGroup", 1, addr_set_rows,
	  ARRAY_SIZE(addr_set_rows), -1,
	  "named address lists (name: [addresses or other names]); rules and filters "
	  "use the names wherever they take addresses" },
	{ "ports", "PortRange / PortGroup", 1, port_set_rows, ARRAY_SIZE(port_set_rows), -1,
	  "named port lists (name: [ports, ranges or other names]); rules and filters use "
	  "the names wherever they take ports" },
	{ "filters", "IpFilterRule", 1, filter_rows, ARRAY_SIZE(filter_rows), -1,
	  "IP filter rules, evaluated in file order before any byte is read; with at least "
	  "one, a connection no filter permits is denied" },
	{ "rules", "TTLSRule", 1, rule_rows, ARRAY_SIZE(rule_rows), -1,
	  "conditions and the actions they map to" },
};
const size_t schema_nsections = ARRAY_SIZE(schema_sections);

const struct schema_section *
schema_section_find(const char *key)
{
	size_t i;

	for (i = 0; i < schema_nsections; i++)
		if (strcmp(schema_sections[i].key, key) == 0)
			return &schema_sections[i];
	return NULL;
}

const struct schema_row *
schema_row_find(const struct schema_row *rows, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].key, key) == 0)
			return &rows[i];
	return NULL;
}

int
schema_enum_lookup(const struct schema_enum *e, const char *s)
{
	for (; e && e->name; e++)
		if (strcasecmp(e->name, s) == 0)
			return e->value;
	return -1;
}

const char *
schema_enum_name(const struct schema_enum *e, int v)
{
	for (; e && e->name; e++)
		if (e->value == v)
			return e->name;
	return "?";
}

const char *
schema_type_name(const struct schema_row *row)
{
	static const char *const names[] = {
		[ST_STRING] = "string", [ST_PATH] = "path", [ST_BOOL] = "On|Off",
		[ST_UINT] = "number", [ST_ENUM] = "keyword", [ST_REF] = "name",
		[ST_ADDRS] = "addresses", [ST_PORTS] = "port range", [ST_ENDPOINT] = "host:port",
		[ST_CIPHERS2] = "cipher list", [ST_CIPHERS4] = "cipher list",
		[ST_SIGALGS] = "signature scheme list", [ST_GROUPS] = "group list",
		[ST_TIME] = "time", [ST_CERTS] = "label map", [ST_LABELS] = "label list",
		[ST_IDFILTERS] = "filter list", [ST_IDCERTS] = "fingerprint list",
		[ST_SNIMAP] = "name map",
	};
	return names[row->type];
}

/* Expands ${VAR} and ${VAR:-default} from the environment. */
static char *
expand_vars(const char *s, const char **err)
{
	size_t cap = strlen(s) + 64, len = 0;
	char *out = malloc(cap);

	*err = NULL;
	if (!out)
		return NULL;
	while (*s) {
		const char *val = NULL, *end, *colon;
		char name[128];
		size_t vlen, nlen;

		if (s[0] != '$' || s[1] != '{') {
			val = s;
			vlen = 1;
			s++;
		} else {
			if (!(end = strchr(s, '}'))) {
				*err = "has an unterminated ${";
				free(out);
				return NULL;
			}
			colon = strstr(s, ":-");
			nlen = (size_t)((colon && colon < end ? colon : end) - (s + 2));
			if (nlen == 0 || nlen >= sizeof(name)) {
				*err = "has an empty or too long ${NAME}";
				free(out);
				return NULL;
			}
			memcpy(name, s + 2, nlen);
			name[nlen] = '\0';
			val = getenv(name);
			if ((!val || !*val) && colon && colon < end) {
				val = colon + 2;
				vlen = (size_t)(end - val);
			} else if (!val) {
				*err = "names an environment variable that is not set";
				free(out);
				return NULL;
			} else {
				vlen = strlen(val);
			}
			s = end + 1;
		}
		if (len + vlen + 1 > cap) {
			char *n;
			cap = (len + vlen + 1) * 2;
			if (!(n = realloc(out, cap))) {
				free(out);
				return NULL;
			}
			out = n;
		}
		memcpy(out + len, val, vlen);
		len += vlen;
	}
	out[len] = '\0';
	return out;
}

static const char *
set_path(const struct schema_ctx *ctx, const char *v, char **field)
{
	const char *err;
	char *exp = expand_vars(v, &err), *full;

	if (!exp)
		return err ? err : "out of memory";
	if (!*exp) {
		free(exp);
		return "is an empty path";
	}
	if (exp[0] != '/' && ctx && ctx->basedir && strcmp(ctx->basedir, ".") != 0) {
		if (asprintf(&full, "%s/%s", ctx->basedir, exp) < 0) {
			free(exp);
			return "out of memory";
		}
		free(exp);
		exp = full;
	}
	free(*field);
	*field = exp;
	return NULL;
}

static const char *
set_uint(const struct schema_row *row, const char *v, unsigned *field, char *err, size_t errlen)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return "must be a whole number";
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*end || errno)
		return "must be a whole number";
	if (n < row->min || n > row->max) {
		snprintf(err, errlen, "must be between %u and %u", row->min, row->max);
		return err;
	}
	*field = (unsigned)n;
	return NULL;
}

static const char *
set_enum(const struct schema_row *row, const char *v, void *field, char *err, size_t errlen)
{
	int e = schema_enum_lookup(row->enums, v);
	const struct schema_enum *x;
	const char *cands[16], *near;
	size_t off, n;

	if (e >= 0) {
		if (row->type == ST_BOOL)
			*(bool *)field = e != 0;
		else
			*(int *)field = e;
		return NULL;
	}
	off = (size_t)snprintf(err, errlen, "must be one of");
	for (x = row->enums; x->name && off < errlen; x++) {
		if (row->type == ST_BOOL && x != row->enums && x != row->enums + 1)
			break;
		off += (size_t)snprintf(err + off, errlen - off, "%s %s",
					x == row->enums ? "" : ",", x->name);
	}
	/* Keywords match without regard to case, and so are typos of them found; a
	 * number (fragment lengths, certificate version) has no likely typo. */
	for (n = 0; row->enums[n].name && n + 1 < ARRAY_SIZE(cands); n++)
		cands[n] = row->enums[n].name;
	cands[n] = NULL;
	if (!isdigit((unsigned char)v[0]) && (near = diag_suggest_nocase(v, cands, 3)) != NULL &&
	    off < errlen)
		snprintf(err + off, errlen - off, "; did you mean \"%s\"?", near);
	return err;
}

static const char *
set_endpoint(const char *v, struct policy_endpoint *ep)
{
	const char *colon, *hstart = v, *hend;
	unsigned long port;
	char *end;

	if (v[0] == '[') {
		hstart = v + 1;
		if (!(hend = strchr(v, ']')) || hend[1] != ':')
			return "must be host:port or [ipv6]:port";
		colon = hend + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon || strchr(v, ':') != colon)
			return "must be host:port or [ipv6]:port";
		hend = colon;
	}
	if (hend == hstart)
		return "has no host (write 127.0.0.1:PORT, not :PORT)";
	/* host:+N / host:-N: the port follows the connection's local port. */
	ep->relative = colon[1] == '+' || colon[1] == '-';
	port = strtoul(colon + 1 + ep->relative, &end, 10);
	if (ep->relative) {
		if (!isdigit((unsigned char)colon[2]) || *end || port > 65534)
			return "has a port offset outside -65534..+65534";
	} else if (!colon[1] || *end || port == 0 || port > 65535) {
		return "has a port outside 1-65535";
	}
	free(ep->host);
	ep->host = strndup(hstart, (size_t)(hend - hstart));
	if (!ep->host)
		return "out of memory";
	ep->offset = ep->relative ? (colon[1] == '-' ? -(int)port : (int)port) : 0;
	ep->port = ep->relative ? 0 : (uint16_t)port;
	ep->set = true;
	return NULL;
}

/* A word that can only be the name of an address set. */
static bool
is_set_name(const char *v)
{
	if (!isalpha((unsigned char)v[0]) || strchr(v, ':') || strlen(v) > 32)
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr("-_.", *v))
			return false;
	return true;
}

static const char *
add_addr(const char *v, struct diag_pos pos, struct policy_addrs *as, char *err, size_t errlen)
{
	struct policy_addr_range r, *n;
	struct diag_pos *rp;
	char **refs;

	if (strcasecmp(v, "All") == 0)
		return NULL; /* an empty list means All */
	if (policy_addr_parse(v, &r) != 0 && is_set_name(v)) {
		if (!(refs = realloc(as->refs, (as->nrefs + 1) * sizeof(*refs))))
			return "out of memory";
		as->refs = refs;
		if (!(rp = realloc(as->ref_pos, (as->nrefs + 1) * sizeof(*rp))))
			return "out of memory";
		as->ref_pos = rp;
		if (!(refs[as->nrefs] = strdup(v)))
			return "out of memory";
		rp[as->nrefs++] = pos;
		return NULL;
	}
	if (policy_addr_parse(v, &r) != 0) {
		snprintf(err, errlen, "has \"%s\", which is not an address, addr/prefix or "
				      "addr-addr",
			 v);
		return err;
	}
	if (!(n = realloc(as->ranges, (as->n + 1) * sizeof(*n))))
		return "out of memory";
	as->ranges = n;
	as->ranges[as->n++] = r;
	return NULL;
}

static void
set_addrs(const struct ynode *node, struct policy_addrs *as, struct schema_out *out)
{
	const char *e;
	char err[256];
	size_t i;

	bool all = false;

	free(as->ranges);
	as->ranges = NULL;
	as->n = 0;
	as->pos = node->pos;
	if (node->type == YNODE_SCALAR) {
		if ((e = add_addr(node->value, node->pos, as, err, sizeof(err))) != NULL)
			schema_complain(out, ytree_pos_at(node, 0), e);
		return;
	}
	if (node->type != YNODE_SEQ) {
		schema_complain(out, node->pos, "must be an address or a list of addresses");
		return;
	}
	for (i = 0; i < node->n; i++) {
		const struct ynode *it = node->items[i];

		if (it->type != YNODE_SCALAR) {
			schema_complain(out, it->pos, "must be a list of addresses");
			continue;
		}
		all |= strcasecmp(it->value, "All") == 0;
		if ((e = add_addr(it->value, it->pos, as, err, sizeof(err))) != NULL)
			schema_complain(out, ytree_pos_at(it, 0), e);
	}
	/* "All" anywhere in the list makes the whole condition All (empty). */
	if (all) {
		free(as->ranges);
		as->ranges = NULL;
		as->n = 0;
		while (as->nrefs)
			free(as->refs[--as->nrefs]);
	}
}

static int
codes_add(struct policy_codes *c, uint16_t v)
{
	uint16_t *n;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i] == v)
			return 0; /* repeated codes: the first occurrence counts */
	if (!(n = realloc(c->v, (c->n + 1) * sizeof(*n))))
		return -1;
	c->v = n;
	c->v[c->n++] = v;
	return 0;
}

static int
hexval(const char *s, size_t len, unsigned *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		*out = *out * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0'
						       : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return 0;
}

/* One token of a code list (at byte 'off' of scalar 'it'): a name, or a run of
 * fixed-width codes; each bad code is reported where it stands. */
static void
code_token(enum schema_type t, const struct ynode *it, size_t off, const char *tok,
	   struct policy_codes *c, struct schema_out *out)
{
	const struct tlsname *n = NULL;
	size_t len = strlen(tok), width = t == ST_CIPHERS2 ? 2 : 4, i;
	const char *near;
	char err[256];
	bool digits;
	unsigned v;

	if (t == ST_CIPHERS2 || t == ST_CIPHERS4)
		n = tlsname_cipher_by_name(tok);
	else if (t == ST_SIGALGS)
		n = tlsname_sigalg_by_name(tok);
	else
		n = tlsname_group_by_name(tok);
	if (n) {
		if (codes_add(c, n->code))
			schema_complain(out, it->pos, "out of memory");
		return;
	}
	digits = strspn(tok, t == ST_GROUPS ? "0123456789" : "0123456789abcdefABCDEF") == len;
	near = digits && len % width == 0 ? NULL /* a run of codes */
	       : t == ST_GROUPS		  ? tlsname_group_suggest(tok)
	       : t == ST_SIGALGS ? tlsname_sigalg_suggest(tok)
				 : tlsname_cipher_suggest(tok);
	/* A word of the wrong length, or a typo of a name ("secp384r2"): one error
	 * for the word, with the name it is likely meant to be. */
	if (len == 0 || len % width || near) {
		int k = snprintf(err, sizeof(err), "has \"%s\": not a known name, nor %zu-%s codes",
				 tok, width, t == ST_GROUPS ? "decimal-digit" : "hex-digit");

		if (near && k > 0 && (size_t)k < sizeof(err))
			snprintf(err + k, sizeof(err) - (size_t)k, "; did you mean \"%s\"?", near);
		schema_complain(out, ytree_pos_at(it, off), err);
		return;
	}
	for (i = 0; i < len; i += width) {
		if (t == ST_GROUPS) {
			char d[5] = { 0 };
			memcpy(d, tok + i, 4);
			if (strspn(d, "0123456789") != 4)
				v = 0x10000;
			else
				v = (unsigned)atoi(d);
		} else if (hexval(tok + i, width, &v) != 0) {
			v = 0x10000;
		}
		if (v > 0xffff || (t == ST_GROUPS && !tlsname_group((uint16_t)v)) ||
		    (t == ST_SIGALGS && !tlsname_sigalg((uint16_t)v)) ||
		    ((t == ST_CIPHERS2 || t == ST_CIPHERS4) && !tlsname_cipher((uint16_t)v))) {
			snprintf(err, sizeof(err), "has \"%.*s\", which is not a %s code attlsd knows",
				 (int)width, tok + i,
				 t == ST_GROUPS ? "NamedGroup" : t == ST_SIGALGS ? "SignatureScheme"
										   : "cipher suite");
			schema_complain(out, ytree_pos_at(it, off + i), err);
			if (!digits)
				return; /* not a run of codes after all: one error is enough */
			continue;
		}
		if (codes_add(c, (uint16_t)v))
			schema_complain(out, it->pos, "out of memory");
	}
}

/* A list node or a scalar of blank- or comma-separated tokens ("0023 0024"). */
static void
set_codes(const struct schema_row *row, const struct ynode *node, struct policy_codes *c,
	  struct schema_out *out)
{
	const struct ynode *one[1] = { node };
	const struct ynode *const *items = node->type == YNODE_SEQ ? (const struct ynode *const *)node->items : one;
	size_t n = node->type == YNODE_SEQ ? node->n : 1, i;

	free(c->v);
	c->v = NULL;
	c->n = 0;
	if (node->type == YNODE_MAP) {
		schema_complain(out, node->pos, "must be a list of codes or names");
		return;
	}
	for (i = 0; i < n; i++) {
		char *copy, *tok, *save = NULL;

		if (items[i]->type != YNODE_SCALAR) {
			schema_complain(out, items[i]->pos, "must be a list of codes or names");
			continue;
		}
		if (strcasecmp(items[i]->value, "Default") == 0)
			continue;
		if (!(copy = strdup(items[i]->value))) {
			schema_complain(out, items[i]->pos, "out of memory");
			continue;
		}
		for (tok = strtok_r(copy, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save))
			code_token(row->type, items[i], (size_t)(tok - copy), tok, c, out);
		free(copy);
	}
}

static void
certs_free(struct policy_certs *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].label);
		free(cs->v[i].certificate);
		free(cs->v[i].key);
	}
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
}

/* One label: {certificate: path, key: path}. */
static void
set_cert(const struct schema_ctx *ctx, const struct ynode *k, const struct ynode *v,
	 struct policy_cert *c, struct schema_out *out)
{
	const struct ynode *cn = v->type == YNODE_MAP ? ytree_get(v, "certificate") : NULL;
	const struct ynode *kn = v->type == YNODE_MAP ? ytree_get(v, "key") : NULL;
	char err[256];
	const char *e;

	if (k->type != YNODE_SCALAR || !*k->value || strlen(k->value) > POLICY_LABEL_MAX) {
		snprintf(err, sizeof(err), "has a label at line %u that is not 1 to %d characters",
			 k->pos.line, POLICY_LABEL_MAX);
		schema_complain(out, k->pos, err);
		return;
	}
	if (!(c->label = strdup(k->value))) {
		schema_complain(out, k->pos, "out of memory");
		return;
	}
	if (!cn || !kn || cn->type != YNODE_SCALAR || kn->type != YNODE_SCALAR ||
	    v->n != 4) {
		snprintf(err, sizeof(err), "label \"%s\" must have exactly \"certificate\" and "
					   "\"key\"",
			 k->value);
		schema_complain(out, v->pos, err);
		return;
	}
	if ((e = set_path(ctx, cn->value, &c->certificate)) != NULL)
		schema_complain(out, ytree_pos_at(cn, 0), e);
	if ((e = set_path(ctx, kn->value, &c->key)) != NULL)
		schema_complain(out, ytree_pos_at(kn, 0), e);
}

static void
set_certs(const struct schema_ctx *ctx, const struct ynode *node, struct policy_certs *cs,
	  struct schema_out *out)
{
	char err[256];
	size_t i, j;

	certs_free(cs);
	if (node->type != YNODE_MAP) {
		schema_complain(out, node->pos, "must be a map of label to {certificate, key}");
		return;
	}
	if (!(cs->v = calloc(node->n / 2 + 1, sizeof(*cs->v)))) {
		schema_complain(out, node->pos, "out of memory");
		return;
	}
	for (i = 0; i + 1 < node->n; i += 2) {
		const struct ynode *k = node->items[i];

		for (j = 0; j < cs->n; j++)
			if (cs->v[j].label && k->value && strcmp(cs->v[j].label, k->value) == 0)
				break;
		if (j < cs->n) {
			snprintf(err, sizeof(err), "has label \"%s\" twice", k->value);
			schema_complain(out, k->pos, err);
			continue;
		}
		set_cert(ctx, k, node->items[i + 1], &cs->v[cs->n++], out);
	}
}

static const char *
add_label(struct policy_labels *l, const char *v, char *err, size_t errlen)
{
	if (!*v || strlen(v) > POLICY_LABEL_MAX) {
		snprintf(err, errlen, "has label \"%s\", which is not 1 to %d characters", v,
			 POLICY_LABEL_MAX);
		return err;
	}
	if (l->n == POLICY_SERVER_LABELS) {
		snprintf(err, errlen, "has more than %d labels", POLICY_SERVER_LABELS);
		return err;
	}
	return (l->v[l->n++] = strdup(v)) ? NULL : "out of memory";
}

static void
labels_free(struct policy_labels *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

static void
set_labels(const struct ynode *node, struct policy_labels *l, struct schema_out *out)
{
	const char *e;
	char err[256];
	size_t i;

	labels_free(l);
	if (node->type == YNODE_SCALAR) {
		if ((e = add_label(l, node->value, err, sizeof(err))) != NULL)
			schema_complain(out, ytree_pos_at(node, 0), e);
		return;
	}
	if (node->type != YNODE_SEQ) {
		schema_complain(out, node->pos, "must be a label or a list of labels");
		return;
	}
	for (i = 0; i < node->n; i++) {
		if (node->items[i]->type != YNODE_SCALAR) {
			schema_complain(out, node->items[i]->pos, "must be a list of labels");
			continue;
		}
		if (l->n == POLICY_SERVER_LABELS) { /* at the first label too many, once */
			snprintf(err, sizeof(err), "has more than %d labels", POLICY_SERVER_LABELS);
			schema_complain(out, ytree_pos_at(node->items[i], 0), err);
			break;
		}
		if ((e = add_label(l, node->items[i]->value, err, sizeof(err))) != NULL)
			schema_complain(out, ytree_pos_at(node->items[i], 0), e);
	}
}

#define SNI_MAX 64

static void
sni_map_free(struct policy_sni_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].label);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* A DNS name as clients send it in SNI, or "*." and one. */
static bool
sni_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	if (len == 0 || len > 253 || !*s || *s == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-._", *s))
			return false;
	return true;
}

/* {server name: label, ...}: ServerHandshakeSNIList. */
static void
set_sni_map(const struct ynode *node, struct policy_sni_map *m, struct schema_out *out)
{
	char err[512];
	size_t i, j;

	sni_map_free(m);
	if (node->type != YNODE_MAP) {
		schema_complain(out, node->pos, "must be a map of server name to certificate label");
		return;
	}
	if (node->n / 2 > SNI_MAX) {
		snprintf(err, sizeof(err), "has more than %d names", SNI_MAX);
		schema_complain(out, node->items[2 * SNI_MAX]->pos, err);
		return;
	}
	if (!(m->v = calloc(node->n / 2 + 1, sizeof(*m->v)))) {
		schema_complain(out, node->pos, "out of memory");
		return;
	}
	for (i = 0; i + 1 < node->n; i += 2) {
		const struct ynode *k = node->items[i], *v = node->items[i + 1];

		if (k->type != YNODE_SCALAR || !sni_name_ok(k->value)) {
			snprintf(err, sizeof(err), "has \"%s\", which is not a server name (a DNS "
						   "name, or *. and one)",
				 k->type == YNODE_SCALAR ? k->value : "?");
			schema_complain(out, ytree_pos_at(k, 0), err);
			continue;
		}
		if (v->type != YNODE_SCALAR || !*v->value || strlen(v->value) > POLICY_LABEL_MAX) {
			snprintf(err, sizeof(err), "maps \"%s\" to something that is not a label of "
						   "1 to %d characters",
				 k->value, POLICY_LABEL_MAX);
			schema_complain(out, ytree_pos_at(v, 0), err);
			continue;
		}
		for (j = 0; j < m->n; j++)
			if (strcasecmp(m->v[j].name, k->value) == 0)
				break;
		if (j < m->n) {
			snprintf(err, sizeof(err), "has server name \"%s\" twice", k->value);
			schema_complain(out, ytree_pos_at(k, 0), err);
			continue;
		}
		if (!(m->v[m->n].name = strdup(k->value)) ||
		    !(m->v[m->n].label = strdup(v->value))) {
			free(m->v[m->n].name);
			m->v[m->n].name = NULL;
			schema_complain(out, k->pos, "out of memory");
			continue;
		}
		m->n++;
	}
}

void
schema_complain(struct schema_out *o, struct diag_pos pos, const char *phrase)
{
	o->errors++;
	if (o->dl)
		diag_error(o->dl, pos, "%s %s", o->what, phrase);
}

/* days_of_week as a list ([Mon, Wed-Fri]): the days of every item, each item
 * checked alone so that a bad one is reported where it stands. */
static void
set_days_list(const struct schema_row *row, const struct ynode *node, struct timecond *tc,
	      struct schema_out *out)
{
	struct timecond one;
	uint8_t days = 0;
	unsigned before = out->errors;
	char err[256];
	size_t i;

	if (node->n == 0) {
		schema_complain(out, node->pos, "is an empty list");
		return;
	}
	for (i = 0; i < node->n; i++) {
		const struct ynode *it = node->items[i];

		one = *tc;
		if (it->type != YNODE_SCALAR) {
			schema_complain(out, it->pos, "must be a list of day names");
			continue;
		}
		if (timecond_parse_field(&one, row->key, it->value, err, sizeof(err)) != 0) {
			snprintf(err, sizeof(err), "has \"%s\", which is not a day name (Sun to "
						   "Sat) nor a range of them (Mon-Fri)",
				 it->value);
			schema_complain(out, ytree_pos_at(it, 0), err);
			continue;
		}
		days |= one.days_of_week;
	}
	if (out->errors == before) {
		tc->days_of_week = days;
		tc->set |= TIMECOND_SET_DAYS_OF_WEEK;
	}
}

/* Where a bad scalar goes wrong: for days_of_week "Mon,Fnord", the first part
 * that is no day or range alone; else the value's text. */
static struct diag_pos
scalar_bad_at(const struct schema_row *row, const struct ynode *node)
{
	struct timecond tc;
	char part[64], err[256];
	const char *s, *e;

	if (row->type != ST_TIME || strcmp(row->key, "days_of_week") != 0 ||
	    node->type != YNODE_SCALAR || !strchr(node->value, ','))
		return ytree_pos_at(node, 0);
	for (s = node->value;; s = e + 1) {
		e = s + strcspn(s, ",");
		snprintf(part, sizeof(part), "%.*s", (int)(e - s), s);
		timecond_init(&tc);
		if (timecond_parse_field(&tc, row->key, part, err, sizeof(err)) != 0)
			return ytree_pos_at(node, (size_t)(s - node->value));
		if (!*e)
			break;
	}
	return ytree_pos_at(node, 0);
}

static const char *
set_scalar(const struct schema_ctx *ctx, const struct schema_row *row, void *field,
	   const struct ynode *node, char *err, size_t errlen)
{
	const char *v;

	if (node->type != YNODE_SCALAR) {
		snprintf(err, errlen, "must be a %s, not %s", schema_type_name(row),
			 ytree_type_name(node));
		return err;
	}
	v = node->value;
	switch (row->type) {
	case ST_STRING:
	case ST_REF:
		if (!*v)
			return "must not be empty";
		free(*(char **)field);
		if (!(*(char **)field = strdup(v)))
			return "out of memory";
		return NULL;
	case ST_PATH:
		return set_path(ctx, v, field);
	case ST_TIME:
		return timecond_parse_field(field, row->key, v, err, errlen) ? err : NULL;
	case ST_BOOL:
	case ST_ENUM:
		return set_enum(row, v, field, err, errlen);
	case ST_UINT:
		return set_uint(row, v, field, err, errlen);
	case ST_ENDPOINT:
		return set_endpoint(v, field);
	default:
		break;
	}
	return "unsupported type";
}

unsigned
schema_set(const struct schema_ctx *ctx, const struct schema_row *row, void *base,
	   const struct ynode *node, const char *what)
{
	struct schema_out out = { ctx ? ctx->dl : NULL, what, 0 };
	void *field = (char *)base + row->offset;
	char err[256];
	const char *e;

	if (row->type == ST_CERTS)
		set_certs(ctx, node, field, &out);
	else if (row->type == ST_LABELS)
		set_labels(node, field, &out);
	else if (row->type == ST_SNIMAP)
		set_sni_map(node, field, &out);
	else if (row->type == ST_IDFILTERS)
		identity_set_filters(node, field, &out);
	else if (row->type == ST_IDCERTS)
		identity_set_certs(node, field, &out);
	else if (row->type == ST_ADDRS)
		set_addrs(node, field, &out);
	else if (row->type == ST_PORTS)
		ports_set(node, field, &out);
	else if (row->type >= ST_CIPHERS2 && row->type <= ST_GROUPS)
		set_codes(row, node, field, &out);
	else if (row->type == ST_TIME && node->type == YNODE_SEQ &&
		 strcmp(row->key, "days_of_week") == 0)
		set_days_list(row, node, field, &out);
	else if ((e = set_scalar(ctx, row, field, node, err, sizeof(err))) != NULL)
		schema_complain(&out, scalar_bad_at(row, node), e);
	return out.errors;
}

int
schema_set_default(const struct schema_row *row, void *base)
{
	struct ynode n = { .type = YNODE_SCALAR };

	if (!row->def)
		return 0;
	n.value = (char *)row->def;
	return schema_set(NULL, row, base, &n, "default") ? ATTLS_EINVAL : 0;
}

/* Prefix length if [lo, hi] is exactly one prefix, else -1. */
static int
range_prefix(const struct policy_addr_range *r)
{
	int bits, i;

	for (bits = 0; bits < 128; bits++) {
		uint8_t m = (uint8_t)(0x80u >> (bits % 8));
		if ((r->lo[bits / 8] & m) != (r->hi[bits / 8] & m))
			break;
	}
	for (i = bits; i < 128; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));
		if ((r->lo[i / 8] & m) || !(r->hi[i / 8] & m))
			return -1;
	}
	return bits;
}

static void
format_addrs(const struct policy_addrs *as, char *buf, size_t len)
{
	size_t i, off = 0;

	if (as->n == 0)
		off = (size_t)snprintf(buf, len, "All");
	else
		buf[0] = '\0';
	for (i = 0; i < as->n && off < len; i++) {
		char lo[64], hi[64];
		policy_addr_format(as->ranges[i].lo, lo, sizeof(lo));
		policy_addr_format(as->ranges[i].hi, hi, sizeof(hi));
		int plen = range_prefix(&as->ranges[i]);
		bool v4 = strchr(lo, ':') == NULL;

		if (strcmp(lo, hi) == 0)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", lo);
		else if (plen >= (v4 ? 96 : 0))
			off += (size_t)snprintf(buf + off, len - off, "%s%s/%d", i ? ", " : "", lo,
						v4 ? plen - 96 : plen);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s-%s", i ? ", " : "", lo,
						hi);
	}
	/* The set names as written, so that -T says where the ranges came from. */
	for (i = 0; i < as->nrefs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? ", " : as->nrefs > 1 ? " (address sets " : " (address set ",
					as->refs[i]);
	if (as->nrefs && off < len)
		snprintf(buf + off, len - off, ")");
}

void
schema_format_codes(enum schema_type t, const struct policy_codes *c, char *buf, size_t len)
{
	size_t i, off = 0;

	if (c->n == 0) {
		snprintf(buf, len, "Default");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < c->n && off + 8 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, t == ST_GROUPS ? "%s%04u" : "%s%04X",
					i ? " " : "", c->v[i]);
}

static void
format_certs(const struct policy_certs *cs, char *buf, size_t len)
{
	size_t i, off = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < cs->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", cs->v[i].label);
}

void
schema_format_sni(const struct policy_sni_map *m, char *buf, size_t len)
{
	size_t i, off = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < m->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? " " : "", m->v[i].name,
					m->v[i].label);
}

static void
format_labels(const struct policy_labels *l, char *buf, size_t len)
{
	size_t i, off = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < l->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", l->v[i]);
}

void
schema_format(const struct schema_row *row, const void *base, char *buf, size_t len)
{
	const void *field = (const char *)base + row->offset;
	const struct policy_endpoint *ep;

	switch (row->type) {
	case ST_STRING:
	case ST_REF:
	case ST_PATH:
		snprintf(buf, len, "%s", *(char *const *)field ? *(char *const *)field : "-");
		break;
	case ST_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "On" : "Off");
		break;
	case ST_ENUM:
		snprintf(buf, len, "%s", schema_enum_name(row->enums, *(const int *)field));
		break;
	case ST_UINT:
		snprintf(buf, len, "%u", *(const unsigned *)field);
		break;
	case ST_PORTS:
		ports_format(field, buf, len);
		break;
	case ST_ENDPOINT:
		ep = field;
		if (!ep->set)
			snprintf(buf, len, "-");
		else if (ep->relative)
			snprintf(buf, len, strchr(ep->host, ':') ? "[%s]:%+d" : "%s:%+d", ep->host,
				 ep->offset);
		else if (strchr(ep->host, ':'))
			snprintf(buf, len, "[%s]:%u", ep->host, ep->port);
		else
			snprintf(buf, len, "%s:%u", ep->host, ep->port);
		break;
	case ST_ADDRS:
		format_addrs(field, buf, len);
		break;
	case ST_CIPHERS2:
	case ST_CIPHERS4:
	case ST_SIGALGS:
	case ST_GROUPS:
		schema_format_codes(row->type, field, buf, len);
		break;
	case ST_TIME:
		snprintf(buf, len, "(see below)");
		break;
	case ST_CERTS:
		format_certs(field, buf, len);
		break;
	case ST_LABELS:
		format_labels(field, buf, len);
		break;
	case ST_IDFILTERS:
		snprintf(buf, len, "%zu", ((const struct policy_id_filters *)field)->n);
		break;
	case ST_IDCERTS:
		snprintf(buf, len, "%zu", ((const struct policy_id_certs *)field)->n);
		break;
	case ST_SNIMAP:
		schema_format_sni(field, buf, len);
		break;
	}
}

void
schema_free_field(const struct schema_row *row, void *base)
{
	void *field = (char *)base + row->offset;

	switch (row->type) {
	case ST_STRING:
	case ST_REF:
	case ST_PATH:
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	case ST_ENDPOINT:
		free(((struct policy_endpoint *)field)->host);
		((struct policy_endpoint *)field)->host = NULL;
		break;
	case ST_ADDRS: {
		struct policy_addrs *as = field;
		free(as->ranges);
		as->ranges = NULL;
		as->n = 0;
		while (as->nrefs)
			free(as->refs[--as->nrefs]);
		free(as->refs);
		as->refs = NULL;
		free(as->ref_pos);
		as->ref_pos = NULL;
		break;
	}
	case ST_PORTS:
		ports_free(field);
		break;
	case ST_CIPHERS2:
	case ST_CIPHERS4:
	case ST_SIGALGS:
	case ST_GROUPS:
		free(((struct policy_codes *)field)->v);
		((struct policy_codes *)field)->v = NULL;
		((struct policy_codes *)field)->n = 0;
		break;
	case ST_CERTS:
		certs_free(field);
		break;
	case ST_LABELS:
		labels_free(field);
		break;
	case ST_IDFILTERS:
		identity_filters_free(field);
		break;
	case ST_IDCERTS:
		identity_certs_free(field);
		break;
	case ST_SNIMAP:
		sni_map_free(field);
		break;
	default:
		break;
	}
}
