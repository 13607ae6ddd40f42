#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# PROXY protocol v2 toward the backend: a backend that parses the header learns
# the real client address and port, and for TLS the version, cipher, SNI, the
# client certificate's CN and (when asked) its DER bytes; clear-text rules send
# the addresses only; the client's data follows the header intact. An SNI that
# is not a host name is left out of the header.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool curl

cat >"$T_TMP/ppbackend.py" <<'PY'
import hashlib, socket, struct, sys, threading
port_file = sys.argv[1]
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
def tlvs(b):
    out = {}
    while len(b) >= 3:
        t, n = b[0], struct.unpack(">H", b[1:3])[0]
        out.setdefault(t, b[3:3 + n]); b = b[3 + n:]
    return out
def serve(c):
    buf = b""
    while len(buf) < 16:
        buf += c.recv(4096)
    assert buf[:12] == SIG, "no PROXY v2 signature"
    n = struct.unpack(">H", buf[14:16])[0]
    while len(buf) < 16 + n:
        buf += c.recv(4096)
    body, rest = buf[16:16 + n], buf[16 + n:]
    fam = buf[13]
    if fam == 0x11:
        src = socket.inet_ntop(socket.AF_INET, body[0:4]); sport = struct.unpack(">H", body[8:10])[0]; t = tlvs(body[12:])
    else:
        src = socket.inet_ntop(socket.AF_INET6, body[0:16]); sport = struct.unpack(">H", body[32:34])[0]; t = tlvs(body[36:])
    info = ["src=%s:%d" % (src, sport)]
    if 0x02 in t: info.append("sni=" + t[0x02].decode())
    if 0x20 in t:
        s = t[0x20]; info.append("ssl_client=%d verify=%d" % (s[0], struct.unpack(">I", s[1:5])[0]))
        sub = tlvs(s[5:])
        for k, name in ((0x21, "version"), (0x23, "cipher"), (0x22, "cn")):
            if k in sub: info.append("%s=%s" % (name, sub[k].decode()))
    if 0xE1 in t: info.append("cert_sha256=" + hashlib.sha256(t[0xE1]).hexdigest())
    while not rest.endswith(b"\n"):
        d = c.recv(4096)
        if not d: break
        rest += d
    info.append("data=" + rest.decode().strip())
    c.sendall((" ".join(info) + "\n").encode())
    c.close()
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(16)
open(port_file, "w").write(str(srv.getsockname()[1]))
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
"$T_PY" "$T_TMP/ppbackend.py" "$T_TMP/pp.port" >"$T_TMP/pp.log" 2>&1 &
t_track $!
wait_file "$T_TMP/pp.port" 5 || t_fail "the PROXY v2 backend did not start"
pp=$(<"$T_TMP/pp.port")
read -r p_tls p_mtls p_clear <<<"$(free_ports 3)"
policy=$(write_policy t14 <<EOF
keyrings:
  ring: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  grp-on: { enabled: On }
  grp-off: { enabled: Off }
environments:
  srv: { handshake_role: Server, keyring: ring, tls_v1_2: Off }
  mtls: { handshake_role: ServerWithClientAuth, client_auth_type: Required, keyring: ring }
rules:
  tls: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_tls, group: grp-on, environment: srv, backend: "127.0.0.1:$pp", proxy_protocol: v2 }
  mtls: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_mtls, group: grp-on, environment: mtls, backend: "127.0.0.1:$pp", proxy_protocol: v2, proxy_protocol_client_cert: On }
  clear: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_clear, group: grp-off, backend: "127.0.0.1:$pp", proxy_protocol: v2 }
EOF
)
attlsd_start "$policy"

# One TLS exchange from a known source port; prints the backend's report.
exchange() { # port [certfile keyfile]
	"$T_PY" - "$T_PKI/ca.crt" "$@" <<'PY'
import socket, ssl, sys
ca, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(cafile=ca)
if len(sys.argv) > 3:
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
s = socket.socket(); s.bind(("127.0.0.1", 0)); sport = s.getsockname()[1]
s.connect(("127.0.0.1", port))
t = ctx.wrap_socket(s, server_hostname="localhost")
t.sendall(b"hello through attlsd\n")
print(sport, t.recv(4096).decode().strip())
PY
}
read -r sport report <<<"$(exchange "$p_tls")"
assert_match "TLS: real client address and port" "^src=127.0.0.1:$sport " "$report"
assert_match "TLS: SNI, version, cipher, no client cert" \
	"sni=localhost ssl_client=1 verify=0 version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 data=hello through attlsd$" "$report"
read -r sport report <<<"$(exchange "$p_mtls" "$T_PKI/client.crt" "$T_PKI/client.key")"
want_sha=$(openssl x509 -in "$T_PKI/client.crt" -outform DER | sha256sum | cut -d' ' -f1)
assert_match "mTLS: client certificate CN" "ssl_client=3 verify=0 .*cn=attls-client" "$report"
assert_match "mTLS: the DER certificate on request" "cert_sha256=$want_sha data=hello through attlsd$" "$report"
# An SNI that is no host name (a forged header line, an escape) is not passed
# on as AUTHORITY: a backend may log or route on it.
sclient -o "$T_TMP/evil.out" -s 'hello through attlsd\n' -u '^src=' -x "$p_tls" \
	-servername $'evil\r\nX-Forwarded-For: 10.0.0.1\x1b[2J' -ign_eof ||
	{ cat "$T_TMP/evil.out"; t_fail "s_client with a forged SNI got no answer"; }
report=$(grep '^src=' "$T_TMP/evil.out")
assert_match "forged SNI: connection served" "ssl_client=1 .*data=hello through attlsd$" "$report"
assert_no_match "forged SNI: no AUTHORITY" "sni=" "$report"
report=$("$T_PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"plain hello\n"); print(s.recv(4096).decode().strip())' "$p_clear")
assert_match "clear text: addresses only, data intact" "^src=127.0.0.1:[0-9]+ data=plain hello$" "$report"
attlsd_stop
t_done
