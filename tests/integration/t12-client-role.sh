#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
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
	local pf=$T_TMP/srv.$RANDOM
	"$T_PY" "$T_TMP/tlsserver.py" "$pf" "$T_PKI/server.crt" "$T_PKI/server.key" "$T_PKI/ca.crt" "$1" \
		>"$pf.log" 2>&1 &
	t_track $!
	wait_file "$pf" 5 || t_fail "TLS server did not start"
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

# srv and srv_mtls are read through ${!be} below.
start_tls_server no
# shellcheck disable=SC2034
srv=$SRV_PORT
start_tls_server yes
# shellcheck disable=SC2034
srv_mtls=$SRV_PORT
read -r p_ok p_name p_ca p_nostrict p_mtls p_nocert p_sni <<<"$(free_ports 7)"
policy_new
policy_add keyrings trust 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_add keyrings other-ca 'trusted_ca: "${ATTLS_PKI}/untrusted-ca.crt"'
policy_keyring with-cert client 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_group grp-on 'trace: 10'
policy_env out Client trust
policy_env out-wrong-name Client trust 'host_reference_id_dns: zosmf.example.com'
policy_env out-other-ca Client other-ca
policy_env out-nostrict Client trust 'host_reference_id_dns: zosmf.example.com' 'server_identity_check: Off'
policy_env out-mtls Client with-cert
policy_env out-sni Client trust 'client_handshake_sni_list: custom.example.com'
for r in ok:out:srv name:out-wrong-name:srv ca:out-other-ca:srv nostrict:out-nostrict:srv \
	mtls:out-mtls:srv_mtls nocert:out:srv_mtls sni:out-sni:srv; do
	IFS=: read -r name env be <<<"$r"
	port=p_$name
	policy_rule "$name" "${!port}" "$env" "localhost:${!be}" 'priority: 1'
done
policy=$(policy_file)
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
