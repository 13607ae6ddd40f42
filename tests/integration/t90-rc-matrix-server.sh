#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# RC matrix, attlsd in the Server roles: each return code a TLS client can
# cause (openssl s_client, curl, Python ssl, raw bytes), asserted on its cause
# line's evidence (what the peer sent or lacked, what the policy allows, with
# file:line where the policy is the cause), not just on the code. t91 does the
# Client role; t91 also checks that every RC of the table is provoked by one of
# the two or listed there as one that cannot happen at run time.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/matrix.sh"
need_tool openssl
need_tool curl

matrix_certs
cat "$T_PKI/ca.crt" "$T_PKI/twin-ca-a.crt" >"$M/trust.pem"
start_backend echo
read -r p_srv p_auth p_min p_none p_old p_dead p_cnt <<<"$(free_ports 7)"
read -r p_dead_be <<<"$(free_ports 1)"
policy_new
policy_settings 'no_match: deny'
policy_keyring ring server "trusted_ca: \"$M/trust.pem\""
# Block style where a cause line names the setting to change: each key on a
# line of its own, so the line named is the key's, not its section's.
p_section keyrings "  ring-crl:
    certificate: \"\${ATTLS_PKI}/server.crt\"
    key: \"\${ATTLS_PKI}/server.key\"
    trusted_ca: \"$M/trust.pem\"   # crl-ring-trust
    crl: \"\${ATTLS_PKI}/ca.crl\""
policy_group grp-on
p_section ciphers "  only-gcm256:
    v3_cipher_suites_4char: \"C030\""
p_section environments "  srv:
    handshake_role: Server
    keyring: ring
    handshake_timeout: 1
    tls_v1_3: Off
    ciphers: only-gcm256"
policy_env auth ServerWithClientAuth ring-crl 'handshake_timeout: 2'
p_section environments "  min:
    handshake_role: ServerWithClientAuth
    keyring: ring
    peer_min_rsa_key_size: 3072"
p_section environments "  old:
    handshake_role: ServerWithClientAuth
    keyring: ring
    tls_v1_2: Off"
policy_rule srv "$p_srv" srv "127.0.0.1:$BACKEND_PORT"
policy_rule auth "$p_auth" auth "127.0.0.1:$BACKEND_PORT"
policy_rule min "$p_min" min "127.0.0.1:$BACKEND_PORT"
policy_rule old "$p_old" old "127.0.0.1:$BACKEND_PORT"
policy_rule dead "$p_dead" srv "127.0.0.1:$p_dead_be"
policy_rule none "$p_none" srv "127.0.0.1:$BACKEND_PORT" 'remote_addr: 10.9.9.9'
policy=$(policy_file)
attlsd_start "$policy"
line_of() { grep -n -- "$1" "$policy" | head -n 1 | cut -d: -f1; }
hto_line=$(line_of '    handshake_timeout: 1')

auth_client() { # CERT KEY [s_client options]: a client certificate to the auth rule
	local c=$1 k=$2
	shift 2
	sclient "$p_auth" -cert "$c" -key "$k" -CAfile "$T_PKI/ca.crt" "$@" || true
}

# 5003: curl speaks http:// to the TLS port.
curl -sS --max-time 5 "http://127.0.0.1:$p_srv/" >/dev/null 2>&1 || true
matrix_rc 5003 "$p_srv" "plain HTTP request \(GET"

# 5004: a client that connects and sends nothing; 1 s passive wait: what it
# sent (0 bytes), the real time, and where handshake_timeout is set.
tlsclient --raw --timeout 10 "127.0.0.1:$p_srv" sleep:3 >/dev/null 2>&1 || true
matrix_rc 5004 "$p_srv" "0 bytes from the client [1-9]\.[0-9] s after the connection began \(timer: 1 x handshake_timeout \(1s, [^ ]+:$hto_line\) = 1 s\): no TLS record arrived" \
	"it waits for the server to speak first"

# 5004: part of a ClientHello (not one whole record), then silence: the start
# interval is not over until the hello has come.
tlsclient --raw --timeout 10 "127.0.0.1:$p_srv" hello:40 sleep:3 >/dev/null 2>&1 || true
matrix_rc 5004 "$p_srv" "40 bytes from the client \(part of a record, no whole handshake message\) [1-9]\.[0-9] s after the connection began \(timer: 1 x handshake_timeout \(1s, [^ ]+:$hto_line\) = 1 s\)" \
	"its first record never completed"

# 5104: a whole ClientHello, then silence: we answered, the client stalled.
tlsclient --raw --timeout 10 "127.0.0.1:$p_srv" hello sleep:3 >/dev/null 2>&1 || true
matrix_rc 5104 "$p_srv" "did not complete within handshake_timeout \(1s\): [1-9]\.[0-9] s after the connection began \(timer: 1 x handshake_timeout \(1s, [^ ]+:$hto_line\) = 1 s\), [0-9]+ bytes received" \
	"it stalled after we had received ClientHello and sent [A-Za-z]+" "it was the peer's move"

# 402: the client offers only suites the rule does not allow.
sclient "$p_srv" -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 || true
matrix_rc 402 "$p_srv" "the peer offered TLSv1\.2 with suites C02F" \
	"rule srv allows TLSv1\.2 with suites C030" "no suite in common" \
	"\(v3_cipher_suites_4char of cipher set only-gcm256 at [^ ]+:$(line_of '    v3_cipher_suites_4char:'); ciphers [^ ]+:$(line_of '    ciphers: only-gcm256')\)"

# 412: a TLS 1.3-only client; the rule allows TLS 1.2 only.
sclient "$p_srv" -tls1_3 || true
matrix_rc 412 "$p_srv" "the peer offered TLSv1\.3" "rule srv allows TLSv1\.2" \
	"to allow TLSv1\.3: tls_v1_3 [^ ]+:$(line_of '    tls_v1_3: Off')"

# 420: a whole ClientHello, then a FIN (reading on: no reset).
tlsclient --raw --timeout 10 "127.0.0.1:$p_srv" hello shut recv >/dev/null 2>&1 || true
matrix_rc 420 "$p_srv" "the peer closed the connection during the handshake" "after we had received ClientHello"

# 406: a whole ClientHello, then a reset.
tlsclient --raw --timeout 10 "127.0.0.1:$p_srv" hello rst >/dev/null 2>&1 || true
matrix_rc 406 "$p_srv" "reset the connection"

# 5101: the handshake succeeds, nothing listens on the backend port.
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p_dead" text:x recv >/dev/null 2>&1 || true
matrix_rc 5101 "$p_dead" "127\.0\.0\.1\.\.$p_dead_be" "[Cc]onnection refused"

# 5105: the only rule on this port is for another remote address; no_match deny.
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p_none" text:x >/dev/null 2>&1 || true
matrix_rc 5105 "$p_none" "no rule matched this connection and settings\.no_match is deny"

# 5001: ServerWithClientAuth Required, no certificate.
sclient "$p_auth" -CAfile "$T_PKI/ca.crt" || true
matrix_rc 5001 "$p_auth" "certificate"

# 435: the client sends its leaf without the intermediate.
auth_client "$M/via-inter.crt" "$M/via-inter.key"
matrix_rc 435 "$p_auth" "CN=attls-via-intermediate" \
	"the peer did not send its chain \(intermediate CN=attls Matrix Intermediate,O=attls missing\)" \
	"trusted_ca of keyring ring-crl, [^ ]+:$(line_of crl-ring-trust)"

# 435: the issuer's name is trusted, but that trusted CA is the other twin.
auth_client "$M/twin-leaf.crt" "$M/twin-leaf.key"
matrix_rc 435 "$p_auth" "a trusted CA has the issuer's name CN=attls Twin CA,O=attls, but its key does not verify" \
	"the certificate's AKI ([0-9A-F]{2}:)+[0-9A-F]{2}, the trusted CA's SKI ([0-9A-F]{2}:)+[0-9A-F]{2}" \
	"add the CA whose key identifier is the AKI to trusted_ca \(trusted_ca of keyring ring-crl, [^ ]+:$(line_of crl-ring-trust)\)"
aki=$(sed -n "s/.*AKI \([0-9A-F:]*\),.*/\1/p" <<<"$RC_CAUSE")
ski=$(sed -n "s/.*trusted CA's SKI \([0-9A-F:]*\)).*/\1/p" <<<"$RC_CAUSE")
[[ -n $aki && $aki != "$ski" ]] || t_fail "the two key identifiers are not both there and different: $aki / $ski"
want_ski=$(openssl x509 -in "$T_PKI/twin-ca-a.crt" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ')
assert_eq "the SKI is the trusted twin's" "$want_ski" "$ski"

# 417: a self-signed client certificate.
auth_client "$T_PKI/selfsigned-client.crt" "$T_PKI/selfsigned-client.key"
matrix_rc 417 "$p_auth" "CN=attls-selfsigned-client" "self-signed certificate"

# 401: an expired client certificate.
auth_client "$T_PKI/expired-client.crt" "$T_PKI/expired-client.key"
matrix_rc 401 "$p_auth" "notAfter Jan  2 .*2020" "certificate has expired"

# 431: a revoked client certificate (the keyring has the CRL).
auth_client "$T_PKI/revoked-client.crt" "$T_PKI/revoked-client.key"
matrix_rc 431 "$p_auth" "CN=attls-revoked-client" "certificate revoked"

# 440: extendedKeyUsage serverAuth only, presented as a client certificate.
auth_client "$T_PKI/server.crt" "$T_PKI/server.key"
matrix_rc 440 "$p_auth" "it has keyUsage digitalSignature,keyEncipherment and extendedKeyUsage serverAuth" \
	"as the TLS client .* it needs keyUsage digitalSignature .* and extendedKeyUsage clientAuth"

# 440: keyUsage without digitalSignature: a client cannot sign CertificateVerify.
auth_client "$M/nods-client.crt" "$M/nods-client.key" -tls1_3
matrix_rc 440 "$p_auth" "it has keyUsage keyEncipherment and extendedKeyUsage clientAuth" \
	"needs keyUsage digitalSignature \(a client signs the handshake: CertificateVerify\)"

# 413: one bit of the client certificate's signature changed.
openssl x509 -in "$T_PKI/client.crt" -outform DER -out "$M/client.der"
"$T_PY" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-3] ^= 1; open(sys.argv[1], "wb").write(b)' "$M/client.der"
openssl x509 -inform DER -in "$M/client.der" -out "$M/badsig.crt"
auth_client "$M/badsig.crt" "$T_PKI/client.key"
matrix_rc 413 "$p_auth" "certificate signature failure" \
	"the trusted CA CN=attls Test CA,O=attls \(SKI ([0-9A-F]{2}:)+[0-9A-F]{2}\) is the issuer named, but its key does not verify"

# 404: a 1024-bit RSA client key under OpenSSL's security level (a Python
# client at level 0, so that it sends it).
timeout 20 "$T_PY" - "$p_auth" "$M/weak-client.crt" "$M/weak-client.key" "$T_PKI/ca.crt" <<'EOF' || true
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
ctx.load_verify_locations(sys.argv[4])
try:
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10),
                         server_hostname="localhost") as s:
        s.recv(10)
except (OSError, ssl.SSLError):
    pass
EOF
matrix_rc 404 "$p_auth" "a 1024-bit RSA key" "security level [1-5]: at least [0-9]+ bits"

# 404: a 2048-bit RSA client key under peer_min_rsa_key_size 3072 (file:line).
sclient "$p_min" -cert "$M/rsa-client.crt" -key "$M/rsa-client.key" -CAfile "$T_PKI/ca.crt" || true
matrix_rc 404 "$p_min" "has a 2048-bit RSA key, smaller than the rule's peer_min_rsa_key_size 3072" \
	"\(set at [^ ]*:$(line_of '    peer_min_rsa_key_size: 3072')\)"

# 412: TLS 1.2 off, a TLS 1.2 client: versions named.
sclient "$p_old" -tls1_2 -cert "$T_PKI/client.crt" -key "$T_PKI/client.key" || true
matrix_rc 412 "$p_old" "the peer offered TLSv1\.2" "rule old allows TLSv1\.3" \
	"to allow TLSv1\.2: tls_v1_2 [^ ]+:$(line_of '    tls_v1_2: Off')"

# 410 and 415: bytes sent by hand.
raw() {
	timeout 15 "$T_PY" - "$p_srv" "$1" <<'EOF' || true
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
s = ctx.wrap_bio(i, o, server_hostname="localhost")
try:
    s.do_handshake()
except ssl.SSLWantReadError:
    pass
h = bytearray(o.read())
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
if sys.argv[2] == "badlen":
    h[9 + 2 + 32] = 0xFF  # legacy_session_id length
    c.sendall(h)
else:
    c.sendall(bytes([0x14, 3, 3, 0, 1, 1]) + h)
try:
    while c.recv(4096):
        pass
except OSError:
    pass
EOF
}
raw badlen
matrix_rc 410 "$p_srv" "length mismatch; we sent alert decode error"
raw ccs-first
matrix_rc 415 "$p_srv" "unexpected message; we sent alert unexpected_message"

# 432: a TLS 1.2 client renegotiates (s_client's R command).
sclient -t 10 -s 'R\n' -u 'RENEGOTIATING' "$p_srv" -tls1_2 || true
matrix_rc 432 "$p_srv" "the client tried to renegotiate \(TLS 1\.2\)"

attlsd_stop
matrix_done "$M_T90"
t_done
