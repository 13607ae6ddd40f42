/* SPDX-License-Identifier: Apache-2.0 */
/* The return-code table: meaning and fix for every code attlsd emits. */
#include "config.h"

#include <stddef.h>

#include "compiler.h"
#include "rc.h"

static const struct rc_info rc_tab[] = {
	{ RC_KEY_LABEL_NOT_FOUND, "GSK_KEY_LABEL_NOT_FOUND",
	  "the keyring has no certificate with a label the rule names (certificate_label, "
	  "server_certificate_labels or server_handshake_sni_list); reported when the "
	  "environment's TLS context is built",
	  "add the certificate to the keyring under that label, or correct the label "
	  "(`attlsd -t` names the rule and the label)" },
	{ RC_CERT_VALIDATION, "GSK_ERROR_CERT_VALIDATION",
	  "the peer's certificate chain could not be validated",
	  "the cause line names the certificate, its depth and OpenSSL's reason: fix that "
	  "certificate, or the trusted_ca bundle of the keyring" },
	{ RC_UNKNOWN_ERROR, "GSK_ERROR_UNKNOWN_ERROR",
	  "the TLS library failed in a way attlsd does not classify",
	  "read the cause line for the library's own message; report it so it gets a code" },
	{ RC_NO_KEYFILE_PASSWORD, "GSK_NO_KEYFILE_PASSWORD",
	  "a key needs a PIN or passphrase that the keyring does not give, or its pin_file, "
	  "stash_file or key_passphrase_file cannot be used",
	  "give the keyring pin_file or stash_file (token) or key_passphrase_file (encrypted "
	  "PEM key), a file owned by attlsd's user or root with mode 0600 (doc/keys.md)" },
	{ RC_KEYRING_OPEN, "GSK_KEYRING_OPEN_ERROR",
	  "the PKCS#11 token of a key cannot be reached: no token with that label in the "
	  "module, or the module cannot be loaded; or a key, PIN or passphrase file is refused "
	  "for its owner or mode",
	  "check the token= of the URI against `pkcs11-tool --module MODULE -L`, that the "
	  "token is present, and pkcs11_module; for a refused file, the cause line says the "
	  "owner and mode it needs (`chown root:attlsd FILE; chmod 0640 FILE`)" },
	{ RC_BAD_DATE, "GSK_ERR_BAD_DATE",
	  "a certificate is expired or not yet valid",
	  "renew the certificate named in the cause line, or fix the clock of the host that "
	  "is wrong" },
	{ RC_NO_CIPHERS, "GSK_ERR_NO_CIPHERS",
	  "no cipher suite in common with the peer",
	  "compare the peer's offered suites with the environment's; an ECDSA-only peer needs "
	  "an ECDSA certificate or suites, an RSA key cannot serve ECDSA suites" },
	{ RC_NO_CERTIFICATE, "GSK_ERROR_NO_CERTIFICATE",
	  "no certificate was received from the peer", "configure the peer to send one" },
	{ RC_BAD_CERTIFICATE, "GSK_ERROR_BAD_CERTIFICATE",
	  "the peer's certificate or key is not acceptable to the policy: a key is smaller than "
	  "peer_min_*_key_size (or OpenSSL's security level), or a certificate is not X.509 "
	  "v3 while peer_min_cert_version is 3",
	  "give the peer a certificate (or DH group) with a larger key, or a v3 certificate "
	  "(the cause line names which and its size), or lower the rule's minimum" },
	{ RC_UNSUPPORTED_CERT_TYPE, "GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE",
	  "a certificate's key type cannot be used this way",
	  "server_certificate_labels may name one certificate per key type (one RSA, one "
	  "ECDSA, ...): OpenSSL presents one certificate per key type" },
	{ RC_IO_ERROR, "GSK_ERROR_IO",
	  "the peer reset the connection or rejected the handshake",
	  "the peer ended the handshake; its own log says why (often our certificate, protocol "
	  "or cipher)" },
	{ RC_BAD_KEYFILE_LABEL, "GSK_ERROR_BAD_KEYFILE_LABEL",
	  "the certificate a pkcs11: URI names is not on the token",
	  "check object= or id= against `pkcs11-tool --module MODULE --token-label T -O`, or "
	  "give the certificate as a PEM file" },
	{ RC_BAD_KEYFILE_PASSWORD, "GSK_ERROR_BAD_KEYFILE_PASSWORD",
	  "the token refused the PIN (wrong, locked or expired), or the passphrase does not "
	  "decrypt the PEM key",
	  "correct the pin_file, stash_file or key_passphrase_file the cause line names; a "
	  "locked PIN is unlocked with the token's SO PIN" },
	{ RC_BAD_MESSAGE, "GSK_ERROR_BAD_MESSAGE",
	  "the peer sent an incorrectly formatted TLS message",
	  "the peer is not speaking TLS correctly; capture the handshake" },
	{ RC_BAD_MAC, "GSK_ERROR_BAD_MAC",
	  "a record failed its integrity check",
	  "data was altered in transit (a middlebox?) or the peer's TLS stack is broken" },
	{ RC_UNSUPPORTED, "GSK_ERROR_UNSUPPORTED",
	  "no TLS protocol version in common with the peer, or the peer does not use a TLS "
	  "function the policy requires (server name, extended master secret, "
	  "max_fragment_length: the cause line says which)",
	  "turn on a version the peer offers (tls_v1_2 / tls_v1_3) or upgrade the peer; for a "
	  "required function, configure the peer to use it (SNI: connect by name, s_client "
	  "-servername) or relax the rule's setting" },
	{ RC_BAD_CERT_SIG, "GSK_ERROR_BAD_CERT_SIG",
	  "a certificate signature is not valid",
	  "the certificate was not signed by the key of its issuer; reissue it" },
	{ RC_BAD_PEER, "GSK_ERROR_BAD_PEER",
	  "the peer violated the TLS protocol", "capture the handshake and check the peer" },
	{ RC_SELF_SIGNED, "GSK_ERROR_SELF_SIGNED",
	  "the peer's self-signed certificate is not trusted",
	  "add the certificate to the keyring's trusted_ca, or give the peer a CA-signed one" },
	{ RC_SOCKET_CLOSED, "GSK_ERROR_SOCKET_CLOSED",
	  "the peer closed the connection during the handshake",
	  "the peer gave up; its own log says why" },
	{ RC_BAD_V3_CIPHER, "GSK_ERROR_BAD_V3_CIPHER",
	  "the rule's cipher set is not usable: this OpenSSL rejects its suites, or it "
	  "leaves no TLS 1.2 suite while TLS 1.2 is on; reported when the environment's TLS "
	  "context is built",
	  "put suites this OpenSSL supports in the cipher set (`openssl ciphers -V` lists them "
	  "with their codes; the start-up warnings name those left out), or turn TLS 1.2 off "
	  "for a set of TLS 1.3 suites only" },
	{ RC_NO_PRIVATE_KEY, "GSK_ERROR_NO_PRIVATE_KEY",
	  "the private key cannot be used with the certificate",
	  "the key file does not belong to the certificate, or cannot be read; pair them" },
	{ RC_CERT_REVOKED, "CERT_REVOKED", "a certificate is revoked",
	  "the peer must get a new certificate; if it is not revoked, update the keyring's crl "
	  "file" },
	{ RC_RENEG_NOT_ALLOWED, "RENEGOTIATION_NOT_ALLOWED",
	  "the peer tried to renegotiate, which the policy does not allow",
	  "renegotiation is refused by default: stop the peer from renegotiating, or set "
	  "renegotiation: All" },
	{ RC_CERT_KEY_INCOMPATIBLE, "CERT_KEY_INCOMPATIBLE",
	  "the certificate's key type suits none of the allowed cipher suites (reported by "
	  "keyring lint; a handshake that meets it logs 402)",
	  "an RSA key needs ECDHE_RSA suites, an ECDSA key ECDHE_ECDSA suites (or TLS 1.3 "
	  "suites with TLS 1.3 on): add suites for the key, or present a certificate of a key "
	  "type the cipher set serves" },
	{ RC_UNKNOWN_CA, "GSK_ERR_UNKNOWN_CA",
	  "the issuer of the peer's certificate is not a trusted CA: none is named like it, a "
	  "trusted CA of that name has another key, or the peer did not send its chain",
	  "as the cause line says: add the issuing CA to the keyring's trusted_ca; for a "
	  "same-named CA, the one whose key identifier (SKI) is the certificate's AKI; for a "
	  "missing intermediate, configure the peer to send its chain" },
	{ RC_KEY_USAGE, "INCORRECT_KEY_USAGE",
	  "a certificate's keyUsage or extendedKeyUsage does not allow its role (checked in "
	  "every TLS version: digitalSignature and serverAuth for a server, digitalSignature and "
	  "clientAuth for a client)",
	  "reissue the certificate with the usages the cause line says are needed" },
	{ RC_SIGALG_NOT_IN_LIST, "SIGALG_NOT_IN_PAIRS_LIST",
	  "a signature algorithm is not in the signature pairs list",
	  "allow the algorithm in the policy (signature_pairs, or signature_pairs_cert for "
	  "certificates) or reissue the certificate with an allowed one" },
	{ RC_NO_KEY_LABEL_MATCH, "GSK_ERR_NO_KEY_LABEL_LIST_MATCH",
	  "no certificate of server_certificate_labels fits the client's signature "
	  "algorithms and cipher suites, or server_handshake_sni_list has no label for the "
	  "server name the client asked for (server_handshake_sni_match Required)",
	  "add a label whose key type the client accepts (an ECDSA certificate for an "
	  "ECDSA-only client), or widen the client's list; for SNI, add the name the cause "
	  "line gives to server_handshake_sni_list" },
	{ RC_CLIENT_CERT_MISSING, "TTLS_CLIENT_CERT_REQUIRED",
	  "client_auth_type Required or SAFCheck, but the client sent no certificate",
	  "configure the client to send its certificate (curl --cert/--key, s_client -cert/-key), "
	  "or use client_auth_type Full" },
	{ RC_CLIENT_CERT_UNMAPPED, "TTLS_CLIENT_CERT_UNMAPPED",
	  "client_auth_type SAFCheck, but the client certificate maps to no user ID",
	  "add a filter (subject/issuer DN) or a sha256 entry for the certificate to the "
	  "rule's identity map; the cause line names the DNs and the nearest filter" },
	{ RC_CLEAR_TEXT, "TTLS_CLEAR_TEXT",
	  "clear text arrived where a TLS handshake was expected",
	  "the client is not using TLS on this port (http:// instead of https://?)" },
	{ RC_HANDSHAKE_START_TIMEOUT, "TTLS_HANDSHAKE_START_TIMEOUT",
	  "no hello from the peer within handshake_timeout: it sent nothing, or part of a "
	  "record (the passive side's wait; in the Client role attlsd is the active side "
	  "and waits 5 x handshake_timeout, as AT-TLS)",
	  "the peer is not speaking TLS on this port or waits for the other side to speak "
	  "first (a plaintext server, both ends Server, or both ends Client), or a firewall "
	  "drops packets: the cause line gives the bytes each way and the time waited" },
	{ RC_POLICY_MAPPING, "TTLS_POLICY_MAPPING",
	  "the connection could not be mapped: its environment failed to initialize",
	  "read the earlier start-up error of that environment" },
	{ RC_BACKEND_REFUSED, "ATTLS_BACKEND_REFUSED",
	  "the backend refused the connection",
	  "start the backend, or fix the rule's backend host:port" },
	{ RC_BACKEND_TIMEOUT, "ATTLS_BACKEND_TIMEOUT",
	  "the backend did not accept the connection within connect_timeout",
	  "the backend is overloaded or unreachable; check it and the route to it" },
	{ RC_BACKEND_FAILED, "ATTLS_BACKEND_FAILED",
	  "the connection to the backend failed",
	  "the cause line gives the system error; check the backend address" },
	{ RC_HANDSHAKE_TIMEOUT, "ATTLS_HANDSHAKE_TIMEOUT",
	  "the handshake started but did not finish within handshake_timeout (5 x "
	  "handshake_timeout in the Client role, the active side)",
	  "the cause line says after which message it stalled and whose move it was: read "
	  "that side's log; a peer that keeps stalling is slow, on a lossy path, or an attack" },
	{ RC_NO_POLICY_DENIED, "ATTLS_NO_POLICY_DENIED",
	  "no rule matched the connection, and settings.no_match refuses it: deny_tls (the "
	  "default) on a port where a rule with TLS on listens, deny everywhere",
	  "add a rule for this connection (check that its local_addr covers the address the "
	  "client reached; `attlsd -t` warns when it does not), or leave it out on purpose; "
	  "settings.no_match: clear relays it in clear text instead (AT-TLS fail-open)" },
	{ RC_CONN_LIMIT, "ATTLS_CONN_LIMIT",
	  "the worker already holds max_connections connections",
	  "raise settings.max_connections or add workers" },
	{ RC_SERVER_IDENTITY, "ATTLS_SERVER_IDENTITY",
	  "Client role: the server certificate does not carry the name attlsd checks: "
	  "host_reference_id_dns, else the backend address it connected to (System SSL's "
	  "GSK_ERR_SERVER_REF_ID_NO_MATCH, whose number is not public)",
	  "the cause line gives the name expected, where it comes from (file:line) and the "
	  "names in the certificate: give the server a certificate whose SAN carries that name "
	  "(DNS name, or IP address for an address), or correct host_reference_id_dns" },
	{ RC_OWNER_UNKNOWN, "ATTLS_OWNER_UNKNOWN",
	  "a rule names a Jobname or Userid, but the owner of the connection's socket (inbound: "
	  "the backend's listener) could not be determined (the process not found in time, "
	  "a lookup failed: EMFILE, EPERM, a netlink error, or the worker's owner-lookup queue "
	  "was full); the connection was not mapped rather than passed on as if the socket "
	  "had no owner",
	  "the cause line says why: attlsd must keep CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH "
	  "(it does when a rule names jobname or userid) and run in the "
	  "host's PID namespace, without hidepid on /proc, to read /proc/PID/fd; a lookup "
	  "still running at handshake_timeout means a very busy host or threadpool; \"Too many "
	  "open files\" means RLIMIT_NOFILE (LimitNOFILE=) is too low for the connections; "
	  "\"queue is full\" means connections came for more new sockets at once than a "
	  "worker searches for (a quarter of UV_THREADPOOL_SIZE, at least 2, plus 64 waiting): "
	  "a client that tries again succeeds once the owners are known; a host that needs "
	  "more raises UV_THREADPOOL_SIZE in attlsd's environment" },
	{ RC_TRUNCATED, "ATTLS_TRUNCATED",
	  "the TLS peer closed the connection (TCP FIN) without close_notify: the data it sent "
	  "may be truncated, so attlsd reset the plaintext side instead of passing a clean EOF",
	  "the cause line says how many bytes came first; a peer that ends its data with "
	  "close_notify never sees this (e.g. call SSL_shutdown()/unwrap() before close); for "
	  "a peer known to close without it, whose protocol marks its own end of data (HTTP "
	  "Content-Length), set unexpected_eof: accept in its environment or connection" },
	{ RC_ABORTED, "ATTLS_ABORTED",
	  "the connection was aborted: the plaintext side (the backend, or the local client in "
	  "the Client role) reset it, or attlsd stopped at shutdown_timeout; attlsd reset the "
	  "TLS peer without close_notify, so it cannot take a cut-short stream for a complete one",
	  "the cause line says which side and after how many bytes: look at the backend (crash, "
	  "RST) or raise settings.shutdown_timeout so long transfers can finish before a stop" },
	{ RC_SOURCE_CONN_LIMIT, "ATTLS_SOURCE_CONN_LIMIT",
	  "the client's source (its IPv4 address, or IPv6 prefix of source_prefix_v6 bits) "
	  "already holds max_connections_per_source connections in all workers",
	  "if the source is legitimate (a NAT gateway, a load balancer), raise "
	  "settings.max_connections_per_source; else it is taking more than its share: "
	  "filter it (ip_filters)" },
	{ RC_SOURCE_HANDSHAKE_LIMIT, "ATTLS_SOURCE_HANDSHAKE_LIMIT",
	  "the client's source already has max_handshakes_per_source connections that have "
	  "not finished their handshake (silent or handshaking)",
	  "a source that opens connections and sends nothing is an attack or a broken "
	  "client; a busy legitimate source needs settings.max_handshakes_per_source raised" },
	{ RC_HANDSHAKE_LIMIT, "ATTLS_HANDSHAKE_LIMIT",
	  "max_handshakes handshakes were in progress in all workers and none of this "
	  "worker's connections that had sent nothing could be closed to make room",
	  "the host is handshaking at its limit: raise settings.max_handshakes if memory "
	  "allows, add CPU, or lower handshake_timeout so that slow handshakes end sooner" },
	{ RC_SHED, "ATTLS_SHED",
	  "the connection had sent nothing when slots ran short (max_connections or "
	  "max_handshakes reached): it was closed to make room for a new one",
	  "nothing, if it was an attack; a client that connects long before it speaks "
	  "needs more slots (settings.max_connections, max_handshakes)" },
	{ RC_PRIVILEGE, "ATTLS_PRIVILEGE",
	  "attlsd cannot start as the user, group or capabilities its policy asks for: "
	  "settings.user or settings.group does not exist, or the switch to them failed",
	  "create the user (`useradd --system --user-group --no-create-home --shell "
	  "/usr/sbin/nologin attlsd`) or name an existing one in settings.user; the cause "
	  "line names the user, group or system call (doc/security.md)" },
	{ RC_INTERNAL, "ATTLS_INTERNAL",
	  "an internal error (out of memory or a failed system call)",
	  "read the cause line; if it persists, report it" },
};

const struct rc_info *
rc_lookup(int rc)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rc_tab); i++)
		if (rc_tab[i].rc == rc)
			return &rc_tab[i];
	return NULL;
}

const struct rc_info *
rc_table(unsigned *n)
{
	*n = (unsigned)ARRAY_SIZE(rc_tab);
	return rc_tab;
}
