#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# TTLSCipherParms and TTLSSignatureParms with openssl s_client as the peer:
# the policy's cipher order wins (server preference), a client offering only
# suites outside the set gets 402, TLS 1.3 suites are restricted the same way,
# SignaturePairs limits the handshake signature (a client allowing only
# rsa_pkcs1_sha256 against a PSS-only set: 467), and the key-share groups
# limit the key exchange (P-384 only against P-256/X25519: 402).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool openssl

start_backend echo
port=$(free_port)
policy_new
policy_keyring ring server
policy_group grp-on
policy_add ciphers strong 'v3_cipher_suites: "9D"' 'v3_cipher_suites_4char: [C030, "1302 1301"]'
policy_add signatures pss 'signature_pairs: [rsa_pss_rsae_sha256, "0805"]' \
	'server_key_share_groups: "0023 0029"' 'server_kex_ecurves: "0023 0029"'
policy_env env Server ring 'ciphers: strong' 'signatures: pss'
policy_rule web "$port" env "127.0.0.1:$BACKEND_PORT" 'priority: 1'
attlsd_start "$(policy_file)"

# negotiated ARGS...: the negotiated "Protocol Cipher" or "failed".
negotiated() {
	sclient -s '\n' "$port" "$@"
	sed -n 's/^New, \(TLS[^,]*\), Cipher is \(.*\)$/\1 \2/p' "$T_TMP/sclient.out" | grep -m1 . || echo failed
}

assert_eq "TLS 1.2: the policy's first suite (009D) wins" "TLSv1.2 AES256-GCM-SHA384" "$(negotiated -tls1_2)"
assert_eq "TLS 1.2: a suite the client prefers but the set lists later" "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384" \
	"$(negotiated -tls1_2 -cipher 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256')"
assert_eq "TLS 1.3: the policy's order (1302 first)" "TLSv1.3 TLS_AES_256_GCM_SHA384" "$(negotiated -tls1_3)"
log_mark
assert_eq "TLS 1.2 suite outside the set" failed "$(negotiated -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)"
expect_rc 402 "$port"
assert_eq "TLS 1.3 suite outside the set" failed "$(negotiated -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256)"
expect_rc 402 "$port"
assert_eq "client signs only with rsa_pkcs1_sha256" failed "$(negotiated -tls1_2 -sigalgs rsa_pkcs1_sha256)"
expect_rc 467 "$port"
assert_eq "client offers only P-384" failed "$(negotiated -tls1_3 -groups P-384)"
expect_rc 402 "$port"
assert_eq "client offers X25519 (in the set)" "TLSv1.3 TLS_AES_256_GCM_SHA384" "$(negotiated -tls1_3 -groups X25519)"
attlsd_stop

# Client role: client_key_share_groups / client_ecurves are what attlsd offers.
srv_port=$(free_port)
openssl s_server -accept "127.0.0.1:$srv_port" -cert "$T_PKI/server.crt" -key "$T_PKI/server.key" \
	-groups P-384 -www -quiet >/dev/null 2>&1 &
t_track $!
wait_tcp 127.0.0.1 "$srv_port" 10 || t_fail "openssl s_server did not start"
read -r p384 p256 <<<"$(free_ports 2)"
policy=$(write_policy t25c <<EOF
keyrings:
  trust: { trusted_ca: "$T_PKI/ca.crt" }
groups:
  grp-on: { enabled: On }
signatures:
  p384: { client_key_share_groups: "0024", client_ecurves: "0024" }
  p256: { client_key_share_groups: "0023", client_ecurves: "0023" }
environments:
  c384: { handshake_role: Client, keyring: trust, signatures: p384 }
  c256: { handshake_role: Client, keyring: trust, signatures: p256 }
rules:
  to384: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p384, group: grp-on, environment: c384, backend: "localhost:$srv_port" }
  to256: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p256, group: grp-on, environment: c256, backend: "localhost:$srv_port" }
EOF
)
attlsd_start "$policy"
get() {
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 "$T_PY" -c '
import socket, sys
out = b""
try:
    # attlsd may reset the plaintext side before connect() even returns
    # when its TLS handshake to the backend fails that fast.
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8)
    s.sendall(sys.stdin.buffer.read())
except OSError:
    print("failed")
    sys.exit(0)
while True:
    try:
        d = s.recv(4096)
    except OSError:
        break
    if not d:
        break
    out += d
print("served" if b"200 ok" in out.lower() else "failed")' "$1"
}
assert_eq "Client role offering P-384 to a P-384-only server" served "$(get "$p384")"
assert_eq "Client role offering only P-256 to a P-384-only server" failed "$(get "$p256")"
expect_rc 402 "$p256"
attlsd_stop
t_done
