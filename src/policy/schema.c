/* SPDX-License-Identifier: Apache-2.0 */
/* The policy schema: a table per section, one row per key, which the loader,
 * validator, dump and documentation all read; the setters are in schema_set.c,
 * schema_list.c and schema_path.c, the formatters in schema_format.c. */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "common/err.h"
#include "common/compiler.h"
#include "policy_int.h"
#include "schema.h"

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

static const struct schema_enum enum_unexpected_eof[] = {
	{ "abort", POLICY_UEOF_ABORT },
	{ "accept", POLICY_UEOF_ACCEPT },
	{ NULL, 0 },
};

static const struct schema_enum enum_no_match[] = {
	{ "deny_tls", POLICY_NO_MATCH_DENY_TLS },
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
	    .help = "connections per worker; beyond it a connection that has sent nothing is "
		    "closed to make room (RC 5121), else the new one is refused (RC 5106); "
		    "clamped to what the descriptor limit holds (doc/limits.md)"),
	ROW("max_connections_per_source", "-", ST_UINT, struct policy_settings,
	    max_connections_per_source, .min = 0, .max = 1000000, .def = "2000",
	    .help = "connections one source (an IPv4 address, an IPv6 source_prefix_v6) may "
		    "hold in all workers; more are refused (RC 5118); 0 = no limit. 2000 "
		    "leaves a NAT gateway of a few hundred users room and one address never "
		    "more than a fifth of a default worker"),
	ROW("max_handshakes_per_source", "-", ST_UINT, struct policy_settings,
	    max_handshakes_per_source, .min = 0, .max = 1000000, .def = "256",
	    .help = "connections of one source between accept and the end of their handshake "
		    "(sent nothing yet, or handshaking); more are refused (RC 5119); 0 = no "
		    "limit. A handshake takes milliseconds: 256 is 250 new connections a second "
		    "from one address at a one-second handshake, and stops one address from "
		    "holding thousands of silent sockets"),
	ROW("max_handshakes", "-", ST_UINT, struct policy_settings, max_handshakes, .min = 0,
	    .max = 1000000, .def = "2048",
	    .help = "handshakes in progress in all workers (each holds TLS state and capture "
		    "memory); beyond it a connection that has sent nothing is closed to make "
		    "room (RC 5121), else the new one is refused (RC 5120); 0 = no limit. "
		    "2048 is ten times what two cores complete in the 100 ms of a slow "
		    "handshake"),
	ROW("source_prefix_v6", "-", ST_UINT, struct policy_settings, source_prefix_v6,
	    .min = 16, .max = 128, .def = "64",
	    .help = "leading bits of an IPv6 client address that make one source for the "
		    "per-source limits: a host gets a /64, so a /64 is one source"),
	ROW("idle_timeout", "-", ST_UINT, struct policy_settings, idle_timeout, .min = 0,
	    .max = 604800, .def = "3600",
	    .help = "seconds without data either way before an established connection is closed; 0 = never"),
	ROW("connect_timeout", "-", ST_UINT, struct policy_settings, connect_timeout, .min = 1,
	    .max = 600, .def = "10", .help = "seconds to connect to the backend (RC 5102 when exceeded)"),
	ROW("shutdown_timeout", "-", ST_UINT, struct policy_settings, shutdown_timeout, .min = 0,
	    .max = 3600, .def = "30",
	    .help = "seconds live connections may take to finish after SIGTERM"),
	ROW("no_match", "-", ST_ENUM, struct policy_settings, no_match, .enums = enum_no_match,
	    .def = "deny_tls",
	    .help = "a connection that matches no rule: deny_tls refuses it (RC 5105) on a "
		    "listener where a rule with TLS on listens and relays it in clear text "
		    "elsewhere (listeners of TLS-off rules only); deny refuses it everywhere; "
		    "clear relays it in clear text everywhere (AT-TLS's fail-open \"no "
		    "policy\", also on a TLS port: say it only on purpose)"),
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
	    .help = "identical failures (same rule, RC or abnormal end such as a reset or "
		    "timeout, and client /24 or IPv6 source_prefix_v6) logged per window, in "
		    "syslog and the event log alike; the rest are counted in one ATL1290I line "
		    "and an \"aggregate\" event; 0 logs every one"),
	ROW("error_aggregation_window", "-", ST_UINT, struct policy_settings,
	    error_aggregation_window, .min = 1, .max = 86400, .def = "60",
	    .help = "seconds of the error_aggregation window"),
	ROW("log_max_lines_per_second", "-", ST_UINT, struct policy_settings,
	    log_max_lines_per_second, .min = 0, .max = 1000000, .def = "1000",
	    .help = "lines about connections written per second in all sinks together (syslog "
		    "or stderr, the event log); the rest are counted in one ATL1293I line a "
		    "second; lines about attlsd itself are never dropped; 0 = no ceiling. "
		    "1000 is far above the errors of a busy gateway after aggregation (ten per "
		    "rule, RC and network a minute) and far below what fills a disk or stalls "
		    "syslog"),
	ROW("capture_dir", "-", ST_PATH, struct policy_settings, capture_dir,
	    .def = "/var/lib/attlsd/capture",
	    .help = "directory of the pcap files (and key logs) of rules with capture: owned "
		    "by root or attlsd's user, not writable by group or others, not a symlink "
		    "(else the policy is refused); made 0700 when missing; files in it are "
		    "created 0600, never overwritten"),
	ROW("capture_max_files", "-", ST_UINT, struct policy_settings, capture_max_files,
	    .min = 1, .max = 1000000, .def = "100",
	    .help = "files kept in capture_dir; the oldest are removed first"),
	ROW("capture_max_bytes", "-", ST_UINT, struct policy_settings, capture_max_bytes,
	    .min = 1024, .max = 16777216, .def = "65536",
	    .help = "handshake bytes captured per connection (both directions)"),
	ROW("capture_max_per_minute", "-", ST_UINT, struct policy_settings,
	    capture_max_per_minute, .min = 0, .max = 1000000, .def = "60",
	    .help = "captures attlsd writes per minute, all rules and workers together; "
		    "beyond it a failure is still logged, its cause line says the handshake "
		    "was not captured, and the rest are counted in one ATL1292I line; 0 = no "
		    "limit. A flood of failing handshakes then costs at most this many files "
		    "a minute"),
	ROW("jobname", "-", ST_STRING, struct policy_settings, jobname, .def = "attlsd",
	    .help = "JOBNAME printed in EZD messages"),
	ROW("user", "-", ST_STRING, struct policy_settings, user, .def = "attlsd",
	    .help = "user attlsd runs as once its sockets are open and its keys loaded "
		    "(doc/security.md); \"root\" keeps every privilege and is logged as a "
		    "warning; read at start only"),
	ROW("group", "-", ST_STRING, struct policy_settings, group,
	    .help = "group attlsd runs as (the only group it keeps); default: the primary "
		    "group of user; read at start only"),
	ROW("sandbox", "-", ST_BOOL, struct policy_settings, sandbox, .enums = enum_bool,
	    .def = "On",
	    .help = "On: once started, attlsd cannot execute programs, trace processes, load "
		    "kernel modules or mount (seccomp), nor touch files outside the paths of "
		    "the policy (Landlock, where the kernel has it); doc/security.md; read at "
		    "start only"),
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
	    ST_UINT, struct policy_settings, ticket_key_lifetime, .min = 1, .max = 86400,
	    .def = "3600",
	    .help = "seconds a ticket key attlsd made itself encrypts before a new one takes "
		    "over; the previous one still decrypts for as long again, and no key "
		    "older than that, even after idle time (a few seconds: for tests only)"),
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
	    .help = "PEM file: this side's certificate, then its intermediate CAs; or a "
		    "PKCS#11 URI of the certificate on a token (pkcs11:token=T;object=O)"),
	ROW("key", "TTLSKeyringParms Keyring", ST_PATH, struct policy_keyring, key,
	    .help = "PEM file (encrypted: key_passphrase_file) with the private key of "
		    "'certificate', or a PKCS#11 URI of the key on a token (pin_file)"),
	ROW("trusted_ca", "TTLSKeyringParms Keyring (CERTAUTH)", ST_PATH, struct policy_keyring,
	    trusted_ca, .help = "PEM bundle of CA certificates trusted to sign peer certificates"),
	ROW("certificates", "TTLSKeyringParms Keyring (labelled certificates)", ST_CERTS,
	    struct policy_keyring, certs,
	    .help = "map of label (1-32 characters) to {certificate, key}; 'certificate' and "
		    "'key' above are the label \"default\""),
	ROW("crl", "TTLSGskLdapParms / TTLSGskHttpCdpParms (CRLs)", ST_PATH, struct policy_keyring,
	    crl, .help = "PEM file of CRLs: a revoked peer certificate, leaf or intermediate CA, "
			 "fails with RC 431; it must hold a current CRL of every CA of the "
			 "peer's chain (the root's CRL for its intermediates too); re-read when "
			 "the file changes (looked at every 2 s at most), no SIGHUP needed"),
	ROW("ocsp_response", "TTLSGskOcspParms OcspServerStapling", ST_PATH,
	    struct policy_keyring, ocsp_response,
	    .help = "DER OCSP response for this side's certificate, stapled when a client asks "
		    "(status_request)"),
	ROW("pin_file", "-", ST_PATH, struct policy_keyring, pin_file,
	    .help = "file holding the PIN of the PKCS#11 token that pkcs11: keys and "
		    "certificates are on; readable by its owner only (doc/keys.md)"),
	ROW("stash_file", "TTLSKeyringParms KeyringStashFile", ST_PATH, struct policy_keyring,
	    stash_file,
	    .help = "stash file (attlsctl keyring stash) with the token PIN, or the passphrase of "
		    "encrypted PEM keys when key_passphrase_file is not given"),
	ROW("key_passphrase_file", "-", ST_PATH, struct policy_keyring, key_passphrase_file,
	    .help = "file holding the passphrase of encrypted PEM keys of this keyring; readable "
		    "by its owner only"),
	ROW("pkcs11_module", "-", ST_PATH, struct policy_keyring, pkcs11_module,
	    .help = "PKCS#11 module (.so) of pkcs11: keys; default: libp11's (p11-kit-proxy); "
		    "one module per attlsd, loaded at start-up"),
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
	    .help = "seconds for the peer to start (RC 5004) and then to finish the handshake "
		    "(5104); in the Client role attlsd is the active side and waits 5 x this "
		    "for the whole handshake, as AT-TLS does"),
	ROW("unexpected_eof", "-", ST_ENUM, struct policy_tls_parms, unexpected_eof,
	    .enums = enum_unexpected_eof, .def = "abort", .flags = SF_PARMS,
	    .help = "a TLS peer that closes (TCP FIN) without close_notify once the handshake is "
		    "done: abort resets the plaintext side and logs RC 5109 (the data may be "
		    "truncated); accept passes it on as a clean end of data, for peers known to "
		    "close that way whose protocol marks its own end (HTTP Content-Length)"),
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
	    .help = "All, an address, addr/prefix, addr-addr, or a list of these; 0.0.0.0 "
		    "alone means every IPv4 address (0.0.0.0/0) and :: every address (::/0), "
		    "as they do to bind(); attlsd listens on local_addr, and `attlsd -t` warns "
		    "when a rule's listener serves addresses its local_addr does not cover"),
	ROW("local_port", "LocalPortRange / LocalPortGroupRef", ST_PORTS, struct policy_rule,
	    local_port, .def = "0", .pos_off = offsetof(struct policy_rule, local_port_pos),
	    .help = "0 (all), a port, low-high, the name of a port set, or a list of these"),
	ROW("remote_addr", "RemoteAddr", ST_ADDRS, struct policy_rule, remote_addr, .def = "All",
	    .help = "All, an address, addr/prefix, addr-addr, or a list of these; 0.0.0.0 "
		    "alone means every IPv4 address, :: every address"),
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
	return ATTLS_ENOENT;
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
