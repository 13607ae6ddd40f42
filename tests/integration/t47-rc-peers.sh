#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Return codes no other test provoked with a real peer, each asserted on its
# EZD1286I line and ATL1288I cause line:
#   5004 a client that sends part of a ClientHello and stalls (the start
#        interval lasts until the hello has come)
#   5104 a client that sends its ClientHello and then stalls
#   440  a client certificate whose extendedKeyUsage is serverAuth only
#   413  a client certificate whose signature was altered
#   410  a ClientHello whose session-id length runs past its end
#   415  a ChangeCipherSpec before the ClientHello; a second ClientHello in
#        clear after the server's TLS 1.3 flight (OpenSSL: bad record type)
#   8    a client certificate issued by a certificate that is not a CA
#   5103 a backend address TCP cannot connect to (broadcast: ENETUNREACH)
#   5106 a second connection to a worker already at settings.max_connections
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool openssl

start_backend echo
read -r p_srv p_auth p_bcast <<<"$(free_ports 3)"
policy_new
policy_keyring ring server 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_group grp-on
policy_env srv Server ring 'handshake_timeout: 1'
policy_env auth ServerWithClientAuth ring
policy_rule srv "$p_srv" srv "127.0.0.1:$BACKEND_PORT" 'priority: 1'
policy_rule auth "$p_auth" auth "127.0.0.1:$BACKEND_PORT" 'priority: 1'
policy_rule bcast "$p_bcast" srv "255.255.255.255:80" 'priority: 1'
attlsd_start "$(policy_file)"

# 5004: 40 bytes of a ClientHello, then silence: no whole hello, so the
# start interval (AT-TLS: until the peer's hello) is what runs out.
# The client stays until the test lets it go (after the RC line), so a late
# timer or a slow start of the client cannot pass for attlsd's.
tlsclient_bg "$T_TMP/stall.out" --raw --timeout 60 "127.0.0.1:$p_srv" hello:40 "waitfile:$T_TMP/stall.go"
expect_rc 5004 "$p_srv"
t_running "$BG_PID" || { cat "$T_TMP/stall.out"; t_fail "5004: the stalling client was gone before attlsd's timer acted"; }
touch "$T_TMP/stall.go"
wait "$BG_PID" 2>/dev/null || true
assert_match "5004: the cause names what the client sent and the timer" \
	"RC: 5004 .*\. Cause: 40 bytes from the client \(part of a record, no whole handshake message\) [0-9.]+ s after the connection began \(timer: 1 x handshake_timeout \(1s, " "$(cause_of 5004)"
assert_match "5004: the cause says the record never completed" \
	"its first record never completed" "$(cause_of 5004)"
# 5104 after a whole ClientHello: we answered (ServerHello...) and the client
# went silent; the cause names the last message each way.
# The client stays silent until the RC line is there (the timer is 1 s).
log_mark
tlsclient_bg "$T_TMP/stall2.out" --raw --timeout 60 "127.0.0.1:$p_srv" hello "waitfile:$T_TMP/stall2.go"
expect_rc 5104 "$p_srv"
touch "$T_TMP/stall2.go"
wait "$BG_PID" 2>/dev/null || true
assert_match "5104: the cause names the timer" \
	"RC: 5104 the handshake started but did not finish within handshake_timeout.*\. Cause: the handshake started but did not complete within handshake_timeout \(1s\)" "$(cause_of 5104)"
assert_match "5104: the cause names the messages exchanged before the stall" \
	"it stalled after we had received ClientHello and sent [A-Za-z]+ .*it was the peer's move" "$(cause_of 5104)"

# 440: a certificate for servers presented as a client certificate.
sclient "$p_auth" -cert "$T_PKI/server.crt" -key "$T_PKI/server.key" \
	-CAfile "$T_PKI/ca.crt"
expect_rc 440 "$p_auth"
assert_match "440: the cause names the certificate and the failed purpose" \
	'RC:  440 .*Cause: peer certificate CN=localhost,O=attls \(issuer CN=attls Test CA,O=attls, notAfter .*\) failed verification at depth 0: unsuitable certificate purpose; it has keyUsage [a-zA-Z,]+ and extendedKeyUsage serverAuth; .*needs .*clientAuth.*; we sent alert unsupported certificate' \
	"$(cause_of 440)"

# 413: the client certificate with one byte of its signature changed.
openssl x509 -in "$T_PKI/client.crt" -outform DER -out "$T_TMP/client.der"
"$T_PY" - "$T_TMP/client.der" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-3] ^= 0x01  # inside the signature value, which ends the certificate
open(sys.argv[1], "wb").write(b)
EOF
openssl x509 -inform DER -in "$T_TMP/client.der" -out "$T_TMP/badsig.crt"
sclient "$p_auth" -cert "$T_TMP/badsig.crt" -key "$T_PKI/client.key" \
	-CAfile "$T_PKI/ca.crt"
expect_rc 413 "$p_auth"
assert_match "413: the cause names the certificate and the signature failure" \
	'RC:  413 .*Cause: peer certificate .*CN=attls-client.* failed verification at depth 0: certificate signature failure' \
	"$(cause_of 413)"
# 8: a client certificate signed with the server's (CA:FALSE) key, sent with
# that certificate as its intermediate.
openssl req -new -key "$T_PKI/client.key" -subj "/O=attls/CN=attls-leaf-signed" -out "$T_TMP/ls.csr" 2>/dev/null
openssl x509 -req -in "$T_TMP/ls.csr" -CA "$T_PKI/server.crt" -CAkey "$T_PKI/server.key" -set_serial 7 \
	-days 2 -out "$T_TMP/leafsigned.crt" 2>/dev/null || t_fail "cannot make the leaf-signed certificate"
sclient "$p_auth" -cert "$T_TMP/leafsigned.crt" -cert_chain "$T_PKI/server.crt" \
	-key "$T_PKI/client.key" -CAfile "$T_PKI/ca.crt"
expect_rc 8 "$p_auth"
assert_match "8: the cause names the certificate that is no CA" \
	'RC:    8 .*Cause: peer certificate CN=localhost,O=attls \(issuer CN=attls Test CA,O=attls, .*\) failed verification at depth 1: invalid CA certificate; we sent alert unknown CA' \
	"$(cause_of 8)"

# 5103: the handshake succeeds, the backend connect fails with ENETUNREACH.
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p_bcast" text:x recv >/dev/null 2>&1 || true
expect_rc 5103 "$p_bcast"
assert_match "5103: the cause gives the backend and the system error" \
	"RC: 5103 .*Cause: connecting to backend 255\.255\.255\.255\.\.80: Network is unreachable" "$(cause_of 5103)"

# raw MODE: a TLS client of Python's, its bytes sent by hand and altered.
raw() {
	timeout 15 "$T_PY" - "$p_srv" "$1" <<'EOF' || true
import socket, ssl, sys
def hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(i, o, server_hostname="localhost")
    try:
        s.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return bytearray(o.read())
h = hello()
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
if sys.argv[2] == "badlen":
    h[9 + 2 + 32] = 0xFF  # legacy_session_id length
    c.sendall(h)
elif sys.argv[2] == "ccs-first":
    c.sendall(bytes([0x14, 3, 3, 0, 1, 1]) + h)
elif sys.argv[2] == "hello-twice":
    c.sendall(h)
    c.recv(1)  # the server's flight has begun: its keys are in use
    c.sendall(hello())
try:
    while c.recv(4096):
        pass
except OSError:
    pass
EOF
}
raw badlen
expect_rc 410 "$p_srv"
assert_match "410: the library's reason and our alert" \
	"RC:  410 .*Cause: error:[0-9A-F]+:SSL routines::length mismatch; we sent alert decode error" "$(cause_of 410)"
raw ccs-first
expect_rc 415 "$p_srv"
assert_match "415 (ChangeCipherSpec first)" \
	"RC:  415 .*Cause: error:[0-9A-F]+:SSL routines::unexpected message; we sent alert unexpected_message" "$(cause_of 415)"
raw hello-twice
expect_rc 415 "$p_srv"
assert_match "415 (a clear-text hello among TLS 1.3 records)" \
	"RC:  415 .*Cause: error:[0-9A-F]+:SSL routines::bad record type; we sent alert unexpected_message" "$(cause_of 415)"
attlsd_stop

# 5106: one worker, one connection at most; the second is refused and logged.
read -r p_lim <<<"$(free_ports 1)"
policy_new
policy_settings 'workers: 1' 'max_connections: 1'
policy_keyring ring server
policy_group grp-on
policy_env srv Server ring
policy_rule lim "$p_lim" srv "127.0.0.1:$BACKEND_PORT" 'priority: 1'
policy=$(policy_file)
attlsd_start "$policy"
# The first client holds its connection (6 s at most) while the second tries.
tlsclient_bg "$T_TMP/held" --ca "$T_PKI/ca.crt" --timeout 20 "127.0.0.1:$p_lim" text:held sleep:6
wait_report "$T_TMP/held" '^handshake=ok' 10 >/dev/null || { cat "$T_TMP/held"; t_fail "the first connection did not get through"; }
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p_lim" text:second >"$T_TMP/second" 2>&1 &&
	t_fail "a second connection got through with max_connections: 1"
expect_rc 5106 "$p_lim"
assert_match "5106: the cause names the setting" \
	"RC: 5106 .*Cause: this worker holds settings\.max_connections \(1\) connections" "$(cause_of 5106)"
t_kill "$BG_PID"
attlsd_stop
t_done
