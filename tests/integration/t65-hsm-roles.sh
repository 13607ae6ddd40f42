#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# Keys on a PKCS#11 token (SoftHSM2, created by the test; keys generated on it):
# real clients complete handshakes in every role with RSA-2048 and ECDSA P-256
# token keys, TLS 1.2 and 1.3: Server (openssl s_client, curl), certificate and
# key both from the token, the key chosen by key type from a label list,
# SNI-selected labels, ServerWithClientAuth, and the Client role presenting a
# client certificate whose key is on the token to a server that requires one.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/hsm.sh"
need_tool curl
hsm_setup

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "hsm page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"
page=$(cat "$docroot/index.html")

# A TLS server requiring a client certificate: replies "cert=CN version=V".
cat >"$T_TMP/mtls.py" <<'PY'
import os, socket, ssl, sys, threading
port_file, cert, key, ca = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_REQUIRED
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
open(port_file + ".tmp", "w").write(str(srv.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
def serve(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        t.recv(100)
        subject = dict(x[0] for x in t.getpeercert()["subject"])
        t.sendall(b"cert=%s/%s version=%s\n" % (subject["organizationName"].encode(),
                                               subject["commonName"].encode(), t.version().encode()))
        t.unwrap()
    except Exception:
        pass
    finally:
        c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
"$T_PY" "$T_TMP/mtls.py" "$T_TMP/mtls.port" "$T_PKI/server.crt" "$T_PKI/server.key" \
	"$T_PKI/ca.crt" >"$T_TMP/mtls.log" 2>&1 &
t_track $!
for ((i = 0; i < 200; i++)); do [[ -s $T_TMP/mtls.port ]] && break; sleep 0.05; done
[[ -s $T_TMP/mtls.port ]] || t_fail "the mutual-TLS server did not start"
mtls_port=$(<"$T_TMP/mtls.port")

read -r p_both p_auth p_sni p_cli p_tokcert <<<"$(free_ports 5)"
tok="pin_file: \"$HSM_PIN_FILE\", pkcs11_module: \"$HSM_MODULE\", trusted_ca: \"$T_PKI/ca.crt\""
policy=$(write_policy t65 <<EOF
settings: { control_socket: "Off" }
keyrings:
  tok:
    certificate: "$T_TMP/hsm-rsa.crt"
    key: "$HSM_URI_RSA"
    trusted_ca: "$T_PKI/ca.crt"
    pin_file: "$HSM_PIN_FILE"
    pkcs11_module: "$HSM_MODULE"
    certificates:
      ec: { certificate: "$HSM_CERT_EC", key: "$HSM_URI_EC" }
  tok-ec: { certificate: "$HSM_CERT_EC", key: "$HSM_URI_EC", $tok }
  cli: { certificate: "$T_TMP/hsm-cli.crt", key: "$HSM_URI_CLI", $tok }
groups:
  on: { enabled: On }
environments:
  both: { handshake_role: Server, keyring: tok, server_certificate_labels: [default, ec] }
  auth: { handshake_role: ServerWithClientAuth, client_auth_type: Required, keyring: tok }
  sni: { handshake_role: Server, keyring: tok, server_handshake_sni: Optional, server_handshake_sni_list: { ec.example: ec } }
  cli: { handshake_role: Client, keyring: cli }
  tokcert: { handshake_role: Server, keyring: tok-ec }
rules:
  both: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_both, group: on, environment: both, backend: "127.0.0.1:$HTTP_PORT" }
  auth: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_auth, group: on, environment: auth, backend: "127.0.0.1:$HTTP_PORT" }
  sni: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_sni, group: on, environment: sni, backend: "127.0.0.1:$HTTP_PORT" }
  cli: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cli, group: on, environment: cli, backend: "localhost:$mtls_port" }
  tokcert: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_tokcert, group: on, environment: tokcert, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
"$ATTLSD" -t -f "$policy" >"$T_TMP/t.out" 2>&1 || { cat "$T_TMP/t.out"; t_fail "attlsd -t refused the token policy"; }
t_ok "attlsd -t loads the token keys"
attlsd_start "$policy"

# sclient OUT PORT ARGS...: GET / through openssl s_client.
sclient() {
	local out=$1 port=$2
	shift 2
	printf 'GET /index.html HTTP/1.0\r\n\r\n' |
		timeout 15 openssl s_client -connect "127.0.0.1:$port" -CAfile "$T_PKI/ca.crt" \
			-verify_return_error -verify_hostname localhost -brief -ign_eof "$@" >"$out" 2>&1
}
# served WHAT PORT KEYTYPE-REGEX ARGS...: the page came through, signed by that key type.
served() {
	local what=$1 port=$2 want=$3 out
	shift 3
	sclient "$T_TMP/out" "$port" "$@"
	out=$(cat "$T_TMP/out")
	assert_match "$what: page" "^$page\$" "$out"
	assert_match "$what: server key" "$want" "$out"
	assert_match "$what: issued for the token key" "Peer certificate: O = attls HSM, CN = localhost" "$out"
}
rsa='Signature type: RSA(-PSS)?$'
ec='Signature type: ECDSA$'
for v in 1_2 1_3; do
	served "TLS $v, RSA key on the token" "$p_both" "$rsa" "-tls$v" -sigalgs "RSA-PSS+SHA256:RSA+SHA256"
	served "TLS $v, ECDSA key and certificate on the token" "$p_both" "$ec" "-tls$v" -sigalgs "ECDSA+SHA256"
	served "TLS $v, ServerWithClientAuth, RSA token key" "$p_auth" "$rsa" "-tls$v" \
		-cert "$T_PKI/client.crt" -key "$T_PKI/client.key"
	served "TLS $v, SNI ec.example selects the token's ECDSA label" "$p_sni" "$ec" "-tls$v" \
		-servername ec.example
	served "TLS $v, no SNI: the default label (RSA token key)" "$p_sni" "$rsa" "-tls$v" -noservername
	served "TLS $v, certificate read from the token" "$p_tokcert" "$ec" "-tls$v"
done
out=$(timeout 15 curl -sS --cacert "$T_PKI/ca.crt" "https://localhost:$p_both/index.html" \
	--resolve "localhost:$p_both:127.0.0.1" 2>&1)
assert_eq "curl through a token key" "$page" "$out"
out=$(timeout 15 curl -sS --tlsv1.2 --tls-max 1.2 --cacert "$T_PKI/ca.crt" \
	"https://localhost:$p_auth/index.html" --resolve "localhost:$p_auth:127.0.0.1" \
	--cert "$T_PKI/client.crt" --key "$T_PKI/client.key" 2>&1)
assert_eq "curl TLS 1.2 with a client certificate, RSA token key" "$page" "$out"

# Client role: the client certificate's key is on the token.
reply=$("$T_PY" - "$p_cli" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"hello\n")
out = b""
while True:
    d = s.recv(100)
    if not d:
        break
    out += d
print(out.decode().strip())
PY
)
assert_match "Client role presents the certificate whose key is on the token" \
	'^cert=attls HSM/localhost version=TLSv1\.3$' "$reply"
expect_no_error
attlsd_stop
t_done
