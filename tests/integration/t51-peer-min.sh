#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# PeerMinRsaKeySize / PeerMinECCKeySize / PeerMinDHKeySize / PeerMinCertVersion
# (peer_min_*), with real peers:
#   - ServerWithClientAuth, curl client certificates: RSA-2048 under a 3072 floor
#     -> RC 404 naming the certificate and its key size; EC P-256 under a 384
#     floor -> 404; DSA-2048 (s_client, TLS 1.2) under 3072 -> 404; an X.509 v1 certificate with peer_min_cert_version 3 -> 404;
#     the others pass, and v1 passes with the default Any;
#   - a connection action lowering the RSA floor wins over the environment;
#   - Client role against openssl s_server: the server's RSA-2048 certificate
#     under a 4096 floor -> 404; a DHE suite with the server's 2048-bit group
#     under peer_min_dh_key_size 3072 -> 404, with 2048 -> served; a server with
#     an RSA-1024 key, below OpenSSL's security level -> 404 too.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool curl

# Test certificates: an RSA-2048 v3 client, an RSA-2048 X.509 v1 client, a
# DSA-2048 client (TLS 1.2 only: TLS 1.3 has no DSA).
pki=$T_TMP/pki
mkdir -p "$pki"
printf 'extendedKeyUsage = clientAuth\nbasicConstraints = CA:FALSE\n' >"$pki/ext.cnf"
for n in rsa v1; do
	openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$n.key" \
		-subj "/O=attls/CN=attls-$n-client" -out "$pki/$n.csr" 2>/dev/null ||
		t_fail "openssl req $n"
done
openssl x509 -req -in "$pki/rsa.csr" -CA "$T_PKI/ca.crt" -CAkey "$T_PKI/ca.key" -CAcreateserial \
	-CAserial "$pki/ca.srl" -days 30 -extfile "$pki/ext.cnf" -out "$pki/rsa.crt" 2>/dev/null ||
	t_fail "openssl x509 rsa"
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$pki/dsap.pem" 2>/dev/null &&
	openssl genpkey -paramfile "$pki/dsap.pem" -out "$pki/dsa.key" 2>/dev/null &&
	openssl req -new -key "$pki/dsa.key" -subj "/O=attls/CN=attls-dsa-client" -out "$pki/dsa.csr" &&
	openssl x509 -req -in "$pki/dsa.csr" -CA "$T_PKI/ca.crt" -CAkey "$T_PKI/ca.key" \
		-CAserial "$pki/ca.srl" -days 30 -extfile "$pki/ext.cnf" -out "$pki/dsa.crt" 2>/dev/null ||
	t_fail "DSA test certificate"
# No extensions: OpenSSL writes an X.509 v1 certificate.
openssl x509 -req -in "$pki/v1.csr" -CA "$T_PKI/ca.crt" -CAkey "$T_PKI/ca.key" \
	-CAserial "$pki/ca.srl" -days 30 -out "$pki/v1.crt" 2>/dev/null || t_fail "openssl x509 v1"
assert_match "the v1 test certificate is X.509 v1" 'Version: 1 ' "$(openssl x509 -in "$pki/v1.crt" -noout -text)"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "peer-min page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"

read -r p_rsa p_ecc p_v3 p_any p_conn p_crsa p_dh3 p_dh2 s_port p_dsa p_weak s_weak <<<"$(free_ports 12)"
policy=$(write_policy t51 <<EOF
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
  cli: { trusted_ca: "$T_PKI/ca.crt" }
groups:
  grp-on: { enabled: On }
ciphers:
  dhe: { v3_cipher_suites_4char: "009E" }
environments:
  env-rsa: { handshake_role: ServerWithClientAuth, keyring: srv, peer_min_rsa_key_size: 3072 }
  env-ecc: { handshake_role: ServerWithClientAuth, keyring: srv, peer_min_ecc_key_size: 384 }
  env-v3:  { handshake_role: ServerWithClientAuth, keyring: srv, peer_min_cert_version: 3 }
  env-any: { handshake_role: ServerWithClientAuth, keyring: srv }
  env-dsa: { handshake_role: ServerWithClientAuth, keyring: srv, peer_min_dsa_key_size: 3072 }
  env-crsa: { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, peer_min_rsa_key_size: 4096 }
  env-dh3: { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, tls_v1_3: Off, ciphers: dhe, peer_min_dh_key_size: 3072 }
  env-dh2: { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, tls_v1_3: Off, ciphers: dhe, peer_min_dh_key_size: 2048 }
connections:
  rsa2048: { peer_min_rsa_key_size: 2048 }
rules:
  rsa:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_rsa, group: grp-on, environment: env-rsa, backend: "127.0.0.1:$HTTP_PORT" }
  ecc:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_ecc, group: grp-on, environment: env-ecc, backend: "127.0.0.1:$HTTP_PORT" }
  v3:   { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_v3, group: grp-on, environment: env-v3, backend: "127.0.0.1:$HTTP_PORT" }
  any:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_any, group: grp-on, environment: env-any, backend: "127.0.0.1:$HTTP_PORT" }
  dsa:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_dsa, group: grp-on, environment: env-dsa, backend: "127.0.0.1:$HTTP_PORT" }
  conn: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_conn, group: grp-on, environment: env-rsa, connection: rsa2048, backend: "127.0.0.1:$HTTP_PORT" }
  crsa: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_crsa, group: grp-on, environment: env-crsa, backend: "127.0.0.1:$s_port" }
  dh3:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_dh3, group: grp-on, environment: env-dh3, backend: "127.0.0.1:$s_port" }
  weak: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_weak, group: grp-on, environment: env-dh2, backend: "127.0.0.1:$s_weak" }
  dh2:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_dh2, group: grp-on, environment: env-dh2, backend: "127.0.0.1:$s_port" }
EOF
)
attlsd_start "$policy"
page=$(cat "$docroot/index.html")
good=0

# get PORT CERT KEY: curl with a client certificate; prints the page or nothing.
get() {
	timeout 15 curl -s --cacert "$T_PKI/ca.crt" --cert "$2" --key "$3" \
		--resolve "localhost:$1:127.0.0.1" "https://localhost:$1/index.html" 2>/dev/null
}
ok_get() { # WHAT PORT CERT KEY
	assert_eq "$1" "$page" "$(get "$2" "$3" "$4")"
	good=$((good + 1))
}
refused() { # WHAT PORT CERT KEY CAUSE-ERE
	assert_eq "$1: no page" "" "$(get "$2" "$3" "$4")"
	expect_rc 404 "$2"
	log_since_mark >/dev/null
	grep -Eq -- "$5" "$ATTLSD_LOG" || t_fail "$1: the cause line does not say: $5"
	t_ok "$1: cause names the certificate and its key"
}

refused "peer_min_rsa_key_size 3072, RSA-2048 client" "$p_rsa" "$pki/rsa.crt" "$pki/rsa.key" \
	'RC:  404 .*peer certificate CN=attls-rsa-client,O=attls at depth 0 has a 2048-bit RSA key, smaller than the rule.s peer_min_rsa_key_size 3072'
ok_get "peer_min_rsa_key_size 3072, EC P-256 client passes" "$p_rsa" "$T_PKI/client.crt" "$T_PKI/client.key"
refused "peer_min_ecc_key_size 384, EC P-256 client" "$p_ecc" "$T_PKI/client.crt" "$T_PKI/client.key" \
	'RC:  404 .*has a 256-bit EC key, smaller than the rule.s peer_min_ecc_key_size 384'
ok_get "peer_min_ecc_key_size 384, RSA-2048 client passes" "$p_ecc" "$pki/rsa.crt" "$pki/rsa.key"
refused "peer_min_cert_version 3, X.509 v1 client" "$p_v3" "$pki/v1.crt" "$pki/v1.key" \
	'RC:  404 .*peer certificate CN=attls-v1-client,O=attls at depth 0 is X.509 v1, but the rule.s peer_min_cert_version is 3'
ok_get "peer_min_cert_version 3, v3 client passes" "$p_v3" "$pki/rsa.crt" "$pki/rsa.key"
ok_get "peer_min_cert_version Any (default), v1 client passes" "$p_any" "$pki/v1.crt" "$pki/v1.key"
# DSA: openssl s_client, TLS 1.2 (curl's DSA support varies with its TLS library).
dsa_get() { # PORT
	sclient -o "$T_TMP/dsa.out" -s "$HTTP_GET" "$1" -tls1_2 -CAfile "$T_PKI/ca.crt" \
		-cert "$pki/dsa.crt" -key "$pki/dsa.key" -quiet -ign_eof
	cat "$T_TMP/dsa.out"
}
assert_no_match "peer_min_dsa_key_size 3072, DSA-2048 client: no page" "$page" "$(dsa_get "$p_dsa")"
expect_rc 404 "$p_dsa"
grep -Eq 'RC:  404 .*peer certificate CN=attls-dsa-client,O=attls at depth 0 has a 2048-bit DSA key, smaller than the rule.s peer_min_dsa_key_size 3072' "$ATTLSD_LOG" ||
	t_fail "DSA: the cause line does not name the certificate and its key"
assert_match "DSA-2048 client without a DSA floor passes" "$page" "$(dsa_get "$p_any")"
good=$((good + 1))
ok_get "connection action peer_min_rsa_key_size 2048 over the environment's 3072" "$p_conn" "$pki/rsa.crt" "$pki/rsa.key"
expect_no_error

# Client role: attlsd checks the server's certificate and its DH key.
openssl s_server -accept "127.0.0.1:$s_port" -cert "$T_PKI/server.crt" -key "$T_PKI/server.key" \
	-www -quiet >"$T_TMP/s_server.log" 2>&1 &
t_track $!
wait_tcp 127.0.0.1 "$s_port" 10 || t_fail "openssl s_server did not start"
log_mark
plain_get() { # PORT: HTTP GET in plaintext through attlsd; prints the reply
	timeout 15 "$T_PY" - "$1" <<'PY'
import socket, sys
out = b""
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError:
    pass
sys.stdout.write(out.decode("latin-1"))
PY
}
out=$(plain_get "$p_crsa")
assert_no_match "Client role, peer_min_rsa_key_size 4096: no reply" 'Cipher' "$out"
expect_rc 404 "$p_crsa"
grep -Eq 'RC:  404 .*CN=localhost,O=attls at depth 0 has a 2048-bit RSA key, smaller than the rule.s peer_min_rsa_key_size 4096' "$ATTLSD_LOG" ||
	t_fail "Client role: the cause line does not name the server certificate"
out=$(plain_get "$p_dh3")
assert_no_match "Client role, DHE with a 2048-bit group, peer_min_dh_key_size 3072: no reply" 'Cipher' "$out"
expect_rc 404 "$p_dh3"
grep -Eq "RC:  404 .*ephemeral DH key has 2048 bits, fewer than the rule's peer_min_dh_key_size 3072" "$ATTLSD_LOG" ||
	t_fail "DH: the cause line does not give the DH key size"
# A server with an RSA-1024 key: OpenSSL's security level refuses it before any
# peer_min_* does, and that is reported as 404 as well.
openssl s_server -accept "127.0.0.1:$s_weak" -cert "$T_PKI/weak-server.crt" -key "$T_PKI/weak-server.key" \
	-cipher 'DEFAULT:@SECLEVEL=0' -www -quiet >"$T_TMP/s_server_weak.log" 2>&1 &
t_track $!
wait_tcp 127.0.0.1 "$s_weak" 10 || t_fail "openssl s_server (weak key) did not start"
log_mark
out=$(plain_get "$p_weak")
assert_no_match "Client role, server with an RSA-1024 key: no reply" 'Cipher' "$out"
expect_rc 404 "$p_weak"
out=$(plain_get "$p_dh2")
assert_match "Client role, DHE, peer_min_dh_key_size 2048: served with DHE" 'DHE-RSA-AES128-GCM-SHA256' "$out"
expect_no_error

n=$(grep -c '"GET /index.html HTTP/1.[01]" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"
attlsd_stop
exit 0
