#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# TTLSEnvironmentAdvancedParms that change the handshake itself, seen by real peers:
#   - MiddleBoxCompatMode (middlebox_compat): server role, s_client -trace sees a
#     ChangeCipherSpec record in TLS 1.3 with On (default) and none with Off;
#     Client role, s_server -trace sees a 32-byte legacy session ID with On, an
#     empty one with Off;
#   - ServerExtendedMasterSecret Required: a Python TLS 1.2 client without EMS ->
#     RC 412; with EMS, or without it but on TLS 1.3 -> served; Off: the
#     ServerHello carries no extended_master_secret (s_client -trace);
#   - ClientExtendedMasterSecret Required against a Python server without EMS ->
#     RC 412; Off: the ClientHello carries none (s_server -trace);
#   - ClientMaxSSLFragment Optional/Required with length 512: the ClientHello asks
#     for it and s_server agrees (s_server -trace); Off: not asked;
#   - ClientHandshakeSNI Off: no server_name sent; ClientHandshakeSNIMatch
#     Required: a server that does not acknowledge the name -> RC 412, one that
#     does (s_server -servername) -> served;
#   - CertValidationMode RFC5280: a client certificate without key identifiers
#     -> RC 8 (OpenSSL's strict checks); Any accepts it; a certificate with them
#     passes RFC5280.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
T_LIMIT=${T_LIMIT:-180}
need_tool curl stdbuf

pki=$T_TMP/pki
mkdir -p "$pki"
printf 'extendedKeyUsage = clientAuth\nsubjectKeyIdentifier = none\nauthorityKeyIdentifier = none\n' >"$pki/ext.cnf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/noid.key" \
	-subj "/O=attls/CN=attls-noid-client" -out "$pki/noid.csr" 2>/dev/null || t_fail "openssl req"
openssl x509 -req -in "$pki/noid.csr" -CA "$T_PKI/ca.crt" -CAkey "$T_PKI/ca.key" \
	-CAcreateserial -CAserial "$pki/ca.srl" -days 30 -extfile "$pki/ext.cnf" \
	-out "$pki/noid.crt" 2>/dev/null || t_fail "openssl x509"
assert_no_match "the test client certificate has no key identifiers" 'Key Identifier' \
	"$(openssl x509 -in "$pki/noid.crt" -noout -text)"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "advanced page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"

# A TLS 1.2 server without EMS (SSL_OP_NO_EXTENDED_MASTER_SECRET is bit 0):
# answers one line, then closes.
cat >"$T_TMP/noems.py" <<'PY'
import socket, ssl, sys, threading
port_file, cert, key = sys.argv[1:4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.options |= 1
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
open(port_file, "w").write(str(srv.getsockname()[1]))
def serve(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        t.recv(100)
        t.sendall(b"noems-server\n")
        t.unwrap()
    except Exception:
        pass
    finally:
        c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
pf=$T_TMP/noems.port
"$T_PY" "$T_TMP/noems.py" "$pf" "$T_PKI/server.crt" "$T_PKI/server.key" >"$T_TMP/noems.log" 2>&1 &
t_track $!
wait_file "$pf" 5 || t_fail "the no-EMS server did not start"
noems=$(<"$pf")

read -r p_mbon p_mboff p_emsreq p_emsoff p_cmbon p_cmboff p_cemsreq p_cemson p_cemsoff p_mfl p_mflreq p_mfloff p_cv p_cvany s_port \
	p_snioff p_noack p_ack s_ack <<<"$(free_ports 19)"
policy=$(write_policy t52 <<EOF
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
  cli: { trusted_ca: "$T_PKI/ca.crt" }
groups:
  grp-on: { enabled: On }
environments:
  mb-on:   { handshake_role: Server, keyring: srv }
  mb-off:  { handshake_role: Server, keyring: srv, middlebox_compat: Off }
  ems-req: { handshake_role: Server, keyring: srv, server_extended_master_secret: Required }
  ems-off: { handshake_role: Server, keyring: srv, server_extended_master_secret: Off }
  c-mb-on:   { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost }
  c-mb-off:  { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, middlebox_compat: Off }
  c-ems-req: { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, client_extended_master_secret: Required }
  c-ems-off: { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, client_extended_master_secret: Off }
  c-mfl:     { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, client_max_fragment: Optional, client_max_fragment_length: 512 }
  c-mfl-req: { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, client_max_fragment: Required, client_max_fragment_length: 512 }
  c-sni-off: { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, client_handshake_sni: Off }
  c-sni-match: { handshake_role: Client, keyring: cli, host_reference_id_dns: localhost, client_handshake_sni: Required, client_handshake_sni_match: Required }
  cv-5280: { handshake_role: ServerWithClientAuth, keyring: srv, cert_validation_mode: RFC5280 }
  cv-any:  { handshake_role: ServerWithClientAuth, keyring: srv }
rules:
  mbon:    { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_mbon, group: grp-on, environment: mb-on, backend: "127.0.0.1:$HTTP_PORT" }
  mboff:   { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_mboff, group: grp-on, environment: mb-off, backend: "127.0.0.1:$HTTP_PORT" }
  emsreq:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_emsreq, group: grp-on, environment: ems-req, backend: "127.0.0.1:$HTTP_PORT" }
  emsoff:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_emsoff, group: grp-on, environment: ems-off, backend: "127.0.0.1:$HTTP_PORT" }
  cmbon:   { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cmbon, group: grp-on, environment: c-mb-on, backend: "localhost:$s_port" }
  cmboff:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cmboff, group: grp-on, environment: c-mb-off, backend: "localhost:$s_port" }
  cemsreq: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cemsreq, group: grp-on, environment: c-ems-req, backend: "127.0.0.1:$noems" }
  cemson:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cemson, group: grp-on, environment: c-mb-on, backend: "127.0.0.1:$noems" }
  cemsoff: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cemsoff, group: grp-on, environment: c-ems-off, backend: "localhost:$s_port" }
  mfl:     { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_mfl, group: grp-on, environment: c-mfl, backend: "localhost:$s_port" }
  mflreq:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_mflreq, group: grp-on, environment: c-mfl-req, backend: "localhost:$s_port" }
  mfloff:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_mfloff, group: grp-on, environment: c-mb-on, backend: "localhost:$s_port" }
  snioff:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_snioff, group: grp-on, environment: c-sni-off, backend: "localhost:$s_port" }
  noack:   { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_noack, group: grp-on, environment: c-sni-match, backend: "localhost:$s_port" }
  ack:     { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_ack, group: grp-on, environment: c-sni-match, backend: "localhost:$s_ack" }
  cv:      { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cv, group: grp-on, environment: cv-5280, backend: "127.0.0.1:$HTTP_PORT" }
  cvany:   { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cvany, group: grp-on, environment: cv-any, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
attlsd_start "$policy"
page=$(cat "$docroot/index.html")

# strace_client PORT ARGS...: s_client -trace of a GET; prints the trace and reply.
trace_client() {
	local port=$1
	shift
	sclient -o "$T_TMP/trace.out" -s "$HTTP_GET" "$port" -CAfile "$T_PKI/ca.crt" -trace -ign_eof "$@"
	cat "$T_TMP/trace.out"
}
# ccs_received TRACE: the number of ChangeCipherSpec records the client received.
ccs_received() { awk '/^(Sent|Received) Record/ {dir=$1} /Content Type = ChangeCipherSpec/ && dir=="Received" {n++} END {print n+0}' <<<"$1"; }

out=$(trace_client "$p_mbon" -tls1_3 -no_middlebox)
assert_match "middlebox_compat On: page" "$page" "$out"
assert_eq "middlebox_compat On: ChangeCipherSpec records from attlsd (TLS 1.3)" 1 "$(ccs_received "$out")"
out=$(trace_client "$p_mboff" -tls1_3 -no_middlebox)
assert_match "middlebox_compat Off: page" "$page" "$out"
assert_eq "middlebox_compat Off: ChangeCipherSpec records from attlsd (TLS 1.3)" 0 "$(ccs_received "$out")"
expect_no_error

# serverhello_ext TRACE NAME: the extension is in the ServerHello.
serverhello_has() { awk '/ServerHello/ {sh=1} /Certificate, Length/ {sh=0} sh && /extension_type=/ {print}' <<<"$1" | grep -c "$2"; }
out=$(trace_client "$p_emsoff" -tls1_2)
assert_match "server_extended_master_secret Off: page" "$page" "$out"
assert_eq "server_extended_master_secret Off: ServerHello without extended_master_secret" 0 "$(serverhello_has "$out" extended_master_secret)"
out=$(trace_client "$p_mbon" -tls1_2)
assert_eq "server_extended_master_secret On (default): ServerHello with extended_master_secret" 1 "$(serverhello_has "$out" extended_master_secret)"
expect_no_error

# pyget PORT MAXVERSION EMS(yes|no): Python ssl GET; prints the page or an error.
pyget() {
	"$T_PY" - "$@" "$T_PKI/ca.crt" <<'PY'
import socket, ssl, sys
port, maxv, ems, ca = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
ctx.maximum_version = ssl.TLSVersion.TLSv1_2 if maxv == "1.2" else ssl.TLSVersion.TLSv1_3
if ems == "no":
    ctx.options |= 1  # SSL_OP_NO_EXTENDED_MASTER_SECRET
try:
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            t.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
            body = b""
            while True:
                b = t.recv(4096)
                if not b:
                    break
                body += b
            print(t.version(), body.decode(errors="replace").replace("\n", " "))
except (OSError, ssl.SSLError) as e:
    print("error:", e)
PY
}
out=$(pyget "$p_emsreq" 1.2 no)
assert_no_match "server_extended_master_secret Required, TLS 1.2 client without EMS: no page" "$page" "$out"
assert_match "  ... the client sees a handshake failure" 'error:.*(HANDSHAKE_FAILURE|handshake failure)' "$out"
expect_rc 412 "$p_emsreq"
grep -q 'RC:  412 .*without the extended master secret extension (RFC 7627), which server_extended_master_secret Required demands' "$ATTLSD_LOG" ||
	t_fail "EMS: the cause line does not say why"
assert_match "server_extended_master_secret Required, TLS 1.2 client with EMS: page" "TLSv1.2 .*$page" "$(pyget "$p_emsreq" 1.2 yes)"
assert_match "server_extended_master_secret Required, client without EMS on TLS 1.3: page" "TLSv1.3 .*$page" "$(pyget "$p_emsreq" 1.3 no)"
expect_no_error

# Client role: openssl s_server -trace sees attlsd's ClientHello.
# Line-buffered: each handshake's trace must be in the file when the GET returns.
stdbuf -oL openssl s_server -accept "127.0.0.1:$s_port" -cert "$T_PKI/server.crt" -key "$T_PKI/server.key" \
	-www -trace >"$T_TMP/s_server.trace" 2>&1 &
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
# via PORT: a GET through PORT; SEG gets s_server's trace of that handshake and
# HELLO its ClientHello part.
via() {
	local before out
	before=$(wc -l <"$T_TMP/s_server.trace")
	out=$(plain_get "$1")
	assert_match "via port $1: s_server answered" 'Ciphers supported in s_server binary' "$out"
	SEG=$(tail -n "+$((before + 1))" "$T_TMP/s_server.trace")
	HELLO=$(awk '/ClientHello, Length/ {ch=1} /ServerHello, Length/ {ch=0} ch' <<<"$SEG")
}
via "$p_cmbon"
assert_match "Client role, middlebox_compat On: 32-byte legacy session ID" 'session_id \(len=32\)' "$HELLO"
via "$p_cmboff"
assert_match "Client role, middlebox_compat Off: empty legacy session ID" 'session_id \(len=0\)' "$HELLO"
via "$p_cemsoff"
assert_no_match "Client role, client_extended_master_secret Off: not offered" 'extended_master_secret' "$HELLO"
via "$p_mfloff"
assert_match "Client role, default: extended_master_secret offered" 'extended_master_secret' "$HELLO"
assert_no_match "Client role, client_max_fragment Off: max_fragment_length not asked" 'max_fragment_length' "$SEG"
via "$p_mfl"
assert_eq "Client role, client_max_fragment Optional 512: asked in the ClientHello, granted by s_server" 2 \
	"$(grep -c 'max_fragment_length := 2^9 (512 bytes)' <<<"$SEG")"
via "$p_mflreq"
assert_eq "Client role, client_max_fragment Required 512, s_server agrees: served" 2 \
	"$(grep -c 'max_fragment_length := 2^9 (512 bytes)' <<<"$SEG")"
via "$p_snioff"
assert_no_match "Client role, client_handshake_sni Off: no server_name in the ClientHello" 'server_name' "$HELLO"
via "$p_mfloff"
assert_match "Client role, default (Optional): server_name localhost sent" 'server_name' "$HELLO"
expect_no_error

# ClientHandshakeSNIMatch Required: the s_server above has no -servername, so
# it does not acknowledge the name; a second one acknowledges "localhost".
out=$(plain_get "$p_noack")
assert_no_match "Client role, client_handshake_sni_match Required, server ignores SNI: no reply" 'Ciphers supported' "$out"
expect_rc 412 "$p_noack"
grep -q 'RC:  412 .*the server did not acknowledge the server name localhost we sent, which client_handshake_sni_match Required demands' "$ATTLSD_LOG" ||
	t_fail "SNI match: the cause line does not say why"
openssl s_server -accept "127.0.0.1:$s_ack" -cert "$T_PKI/server.crt" -key "$T_PKI/server.key" \
	-servername localhost -cert2 "$T_PKI/server.crt" -key2 "$T_PKI/server.key" -www \
	>"$T_TMP/s_server_ack.log" 2>&1 &
t_track $!
wait_tcp 127.0.0.1 "$s_ack" 10 || t_fail "openssl s_server (SNI) did not start"
log_mark
assert_match "Client role, client_handshake_sni_match Required, server acknowledges: served" 'Ciphers supported' "$(plain_get "$p_ack")"
expect_no_error

out=$(plain_get "$p_cemsreq")
assert_no_match "Client role, client_extended_master_secret Required, server without EMS: no reply" 'noems-server' "$out"
expect_rc 412 "$p_cemsreq"
grep -q 'RC:  412 .*negotiated TLS 1.2 without the extended master secret (RFC 7627), which client_extended_master_secret Required demands' "$ATTLSD_LOG" ||
	t_fail "client EMS: the cause line does not say why"
assert_match "Client role, EMS On, server without EMS: served" 'noems-server' "$(plain_get "$p_cemson")"
expect_no_error

# CertValidationMode: client certificates through curl.
get() { # PORT CERT KEY
	timeout 15 curl -s --cacert "$T_PKI/ca.crt" --cert "$2" --key "$3" \
		--resolve "localhost:$1:127.0.0.1" "https://localhost:$1/index.html" 2>/dev/null
}
assert_eq "cert_validation_mode RFC5280, certificate without key identifiers: no page" "" "$(get "$p_cv" "$pki/noid.crt" "$pki/noid.key")"
expect_rc 8 "$p_cv"
grep -Eq 'RC:    8 .*attls-noid-client.*failed verification at depth 0: (Missing Authority Key Identifier|Missing Subject Key Identifier)' "$ATTLSD_LOG" ||
	t_fail "RFC5280: the cause line does not give OpenSSL's strict check"
assert_eq "cert_validation_mode Any, the same certificate: page" "$page" "$(get "$p_cvany" "$pki/noid.crt" "$pki/noid.key")"
assert_eq "cert_validation_mode RFC5280, a certificate with key identifiers: page" "$page" "$(get "$p_cv" "$T_PKI/client.crt" "$T_PKI/client.key")"
expect_no_error

attlsd_stop
exit 0
