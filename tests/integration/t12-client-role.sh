#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# HandshakeRole Client: an unchanged plaintext client talks to attlsd, which
# originates TLS to a real TLS server (Python ssl) and checks it: success with
# SNI; a server certificate that names another host (RC 5107); a server whose CA
# is not trusted (435); server_identity_check Off (works, warned at load); a
# server that requires a client certificate, with and without one in the keyring.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

# A TLS server: replies "sni=NAME cert=CN" to one line, then closes.
cat >"$T_TMP/tlsserver.py" <<'PY'
import socket, ssl, sys, threading
port_file, cert, key, ca, require = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
if require == "yes":
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
seen = {}
def on_sni(sock, name, c):
    seen[id(sock)] = name
ctx.sni_callback = on_sni
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
open(port_file, "w").write(str(srv.getsockname()[1]))
def serve(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        line = t.recv(100)
        peer = t.getpeercert()
        cn = dict(x[0] for x in peer["subject"])["commonName"] if peer else "none"
        t.sendall(b"sni=%s cert=%s got=%s\n" % (str(seen.get(id(t), "none")).encode(), cn.encode(), line.strip()))
        t.unwrap()
    except Exception as e:
        pass
    finally:
        c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
start_tls_server() { # require(yes|no) -> sets SRV_PORT
	local pf=$T_TMP/srv.$RANDOM i
	"$T_PY" "$T_TMP/tlsserver.py" "$pf" "$T_PKI/server.crt" "$T_PKI/server.key" "$T_PKI/ca.crt" "$1" \
		>"$pf.log" 2>&1 &
	t_track $!
	for ((i = 0; i < 100; i++)); do [[ -s $pf ]] && break; sleep 0.05; done
	[[ -s $pf ]] || t_fail "TLS server did not start"
	SRV_PORT=$(<"$pf")
}
# plain PORT: sends one line in plaintext, prints the reply (empty if refused).
plain() {
	"$T_PY" - "$1" <<'PY'
import socket, sys
out = b""
try:
    # a refused handshake may reset us before connect() even returns
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"hello\n")
    while True:
        d = s.recv(100)
        if not d: break
        out += d
except OSError:
    pass
print(out.decode().strip())
PY
}

start_tls_server no; srv=$SRV_PORT
start_tls_server yes; srv_mtls=$SRV_PORT
read -r p_ok p_name p_ca p_nostrict p_mtls p_nocert p_sni <<<"$(free_ports 7)"
policy=$(write_policy t12 <<EOF
keyrings:
  trust: { trusted_ca: "$T_PKI/ca.crt" }
  other-ca: { trusted_ca: "$T_PKI/untrusted-ca.crt" }
  with-cert: { certificate: "$T_PKI/client.crt", key: "$T_PKI/client.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  grp-on: { enabled: On, trace: 10 }
environments:
  out: { handshake_role: Client, keyring: trust }
  out-wrong-name: { handshake_role: Client, keyring: trust, host_reference_id_dns: zosmf.example.com }
  out-other-ca: { handshake_role: Client, keyring: other-ca }
  out-nostrict: { handshake_role: Client, keyring: trust, host_reference_id_dns: zosmf.example.com, server_identity_check: Off }
  out-mtls: { handshake_role: Client, keyring: with-cert }
  out-sni: { handshake_role: Client, keyring: trust, client_handshake_sni_list: custom.example.com }
rules:
  ok: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_ok, group: grp-on, environment: out, backend: "localhost:$srv" }
  name: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_name, group: grp-on, environment: out-wrong-name, backend: "localhost:$srv" }
  ca: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_ca, group: grp-on, environment: out-other-ca, backend: "localhost:$srv" }
  nostrict: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_nostrict, group: grp-on, environment: out-nostrict, backend: "localhost:$srv" }
  mtls: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_mtls, group: grp-on, environment: out-mtls, backend: "localhost:$srv_mtls" }
  nocert: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_nocert, group: grp-on, environment: out, backend: "localhost:$srv_mtls" }
  sni: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_sni, group: grp-on, environment: out-sni, backend: "localhost:$srv" }
EOF
)
attlsd_start "$policy"
grep -q 'rule "nostrict" does not check the server.s identity' "$ATTLSD_LOG" ||
	t_fail "no load warning for server_identity_check: Off"
t_ok "load warning for server_identity_check: Off"

assert_eq "plaintext in, TLS out, SNI = backend host" "sni=localhost cert=none got=hello" "$(plain "$p_ok")"
assert_eq "wrong host name: no reply" "" "$(plain "$p_name")"
expect_rc 5107 "$p_name"
assert_eq "untrusted server CA: no reply" "" "$(plain "$p_ca")"
expect_rc 435 "$p_ca"
assert_eq "identity check off: served, SNI from host_reference_id_dns" \
	"sni=zosmf.example.com cert=none got=hello" "$(plain "$p_nostrict")"
assert_eq "client_handshake_sni_list sets SNI (the identity check still uses the host)" \
	"sni=custom.example.com cert=none got=hello" "$(plain "$p_sni")"
assert_eq "server asks for a certificate: the keyring's is sent" \
	"sni=localhost cert=attls-client got=hello" "$(plain "$p_mtls")"
assert_eq "server requires a certificate the keyring lacks: no reply" "" "$(plain "$p_nocert")"
expect_rc 406 "$p_nocert"
attlsd_stop
t_done
