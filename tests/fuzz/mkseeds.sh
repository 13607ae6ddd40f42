#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Makes the seed corpora of fuzz_triage, fuzz_chello and fuzz_request from real
# traffic: attlsd (capture: all) in front of an echo backend, reached by
# openssl s_client (TLS 1.2, 1.3, SNI, ALPN, odd groups and suites), curl and
# Python ssl; each connection's capture file is a triage seed, the first
# client record of each is a chello seed. Run from the build directory:
#   bash ../tests/fuzz/mkseeds.sh [ATTLSD]
# It rewrites tests/fuzz/corpus/{triage,chello}/real-*; the request seeds are
# the lines attlsctl and libattlsquery send.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
attlsd=${1:-./attlsd}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
sh "$top/contrib/mkpki.sh" "$tmp/pki" >/dev/null
# attlsd's port is one of 20440-20447, the ports of fuzz_triage's rule "rseed".
read -r port bport < <(python3 -c 'import socket
def free(ports):
    for p in ports:
        try:
            socket.create_server(("127.0.0.1", p)).close(); return p
        except OSError: pass
print(free(range(20440, 20448)), free(range(20450, 20500)))')
python3 - "$bport" <<'PY' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
def echo(c):
    with c:
        while (b := c.recv(4096)): c.sendall(b)
while True:
    threading.Thread(target=echo, args=(s.accept()[0],), daemon=True).start()
PY
cat >"$tmp/p.yaml" <<Y
settings: { capture_dir: "$tmp/cap" }
keyrings:
  ring: { certificate: "$tmp/pki/server.crt", key: "$tmp/pki/server.key" }
groups:
  g: { enabled: On }
environments:
  e: { handshake_role: Server, keyring: ring, capture: all }
rules:
  r: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $port, group: g, environment: e, backend: "127.0.0.1:$bport" }
Y
"$attlsd" -F -f "$tmp/p.yaml" 2>"$tmp/log" &
for _ in $(seq 100); do grep -q EZZ4250I "$tmp/log" && break; sleep 0.1; done
sc() { echo ping | timeout 5 openssl s_client -connect "127.0.0.1:$port" -ign_eof "$@" >/dev/null 2>&1 || true; }
sc -tls1_3 -servername app.example -alpn h2,http/1.1
sc -tls1_2 -servername legacy.example
sc -tls1_2 -cipher AES128-SHA
sc -tls1_2 -sigalgs ecdsa_secp256r1_sha256
sc -tls1_3 -groups X25519:P-256
sc -tls1_3 -groups P-384 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
sc -tls1_2 -curves P-256 -no_ticket
curl -sk --max-time 5 "https://127.0.0.1:$port/" -o /dev/null || true
curl -sk --max-time 5 --tlsv1.2 --tls-max 1.2 --http1.1 "https://localhost:$port/" -o /dev/null || true
python3 - "$port" "$tmp/pki/ca.crt" <<'PY' || true
import socket, ssl, sys
for v in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
    c = ssl.create_default_context(cafile=sys.argv[2]); c.check_hostname = False
    c.minimum_version = c.maximum_version = v
    c.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
        with c.wrap_socket(s, server_hostname="py.example") as t:
            t.sendall(b"ping"); t.recv(16)
PY
for _ in $(seq 100); do [ "$(find "$tmp/cap" -name '*.pcap' -size +0 | wc -l)" -ge 11 ] && break; sleep 0.1; done
mkdir -p "$top/tests/fuzz/corpus/triage" "$top/tests/fuzz/corpus/chello"
rm -f "$top"/tests/fuzz/corpus/triage/real-* "$top"/tests/fuzz/corpus/chello/real-*
i=0
for f in $(find "$tmp/cap" -name '*.pcap' -size +0 | sort); do
	i=$((i + 1))
	cp "$f" "$(printf '%s/tests/fuzz/corpus/triage/real-%02d.pcap' "$top" "$i")"
	# The first client payload of the capture: attlsd writes raw IP (DLT_RAW)
	# with synthetic TCP headers; the hello is the first segment with data.
	python3 - "$f" "$(printf '%s/tests/fuzz/corpus/chello/real-%02d.rec' "$top" "$i")" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
le = d[:4] == b"\xd4\xc3\xb2\xa1"
e = "<" if le else ">"
off = 24
while off + 16 <= len(d):
    incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
    pkt = d[off + 16:off + 16 + incl]; off += 16 + incl
    v = pkt[0] >> 4
    ihl = (pkt[0] & 15) * 4 if v == 4 else 40
    tcp = pkt[ihl:]
    pay = tcp[(tcp[12] >> 4) * 4:]
    if pay[:1] == b"\x16":
        open(sys.argv[2], "wb").write(pay); break
PY
done
echo "$i captures"
