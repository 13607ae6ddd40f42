#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# Handshake failures produced by real clients, each asserted on its EZD1286I line:
#   402 no common cipher      openssl s_client -tls1_2 offering only an ECDSA suite (RSA server)
#   412 no common protocol    s_client -tls1_2 vs a TLS 1.3-only rule, -tls1_3 vs TLS 1.2-only
#   5003 clear text           "GET / HTTP/1.0" in plain TCP to the TLS port
#   5004 handshake timeout    connect and send nothing (handshake_timeout: 1)
#   420 peer closed           partial / complete ClientHello, then FIN
#   406 peer reset            partial / complete ClientHello, then RST
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p_all p_13 p_12 <<<"$(free_ports 3)"
policy=$(write_policy t05 <<EOF
keyrings:
  ring1:
    certificate: $T_PKI/server.crt
    key: $T_PKI/server.key
groups:
  grp-on: { enabled: On }
environments:
  env-all:
    handshake_role: Server
    keyring: ring1
    tls_v1_2: On
    tls_v1_3: On
    handshake_timeout: 1
  env-13:
    handshake_role: Server
    keyring: ring1
    tls_v1_2: Off
    tls_v1_3: On
  env-12:
    handshake_role: Server
    keyring: ring1
    tls_v1_2: On
    tls_v1_3: Off
rules:
  all:
    priority: 100
    direction: Inbound
    local_addr: 127.0.0.1
    local_port: $p_all
    group: grp-on
    environment: env-all
    backend: 127.0.0.1:$BACKEND_PORT
  only13:
    priority: 100
    direction: Inbound
    local_addr: 127.0.0.1
    local_port: $p_13
    group: grp-on
    environment: env-13
    backend: 127.0.0.1:$BACKEND_PORT
  only12:
    priority: 100
    direction: Inbound
    local_addr: 127.0.0.1
    local_port: $p_12
    group: grp-on
    environment: env-12
    backend: 127.0.0.1:$BACKEND_PORT
EOF
)
attlsd_start "$policy"

# Each port works for a client it should accept (so the failures below mean something).
for pv in "$p_all:" "$p_13:1.3" "$p_12:1.2"; do
	p=${pv%%:*} v=${pv#*:}
	tlsclient --ca "$T_PKI/ca.crt" ${v:+--tls $v} --timeout 10 "127.0.0.1:$p" text:ping shut recv >"$T_TMP/ok.$p" 2>&1 ||
		{ cat "$T_TMP/ok.$p"; t_fail "good TLS${v:+ $v} client to port $p failed"; }
	assert_eq "echo through port $p${v:+ (TLS $v)}" "ping" "$(kv "$T_TMP/ok.$p" first_line)"
	[[ -z $v ]] || assert_eq "negotiated version on port $p" "TLSv$v" "$(kv "$T_TMP/ok.$p" version)"
done
expect_no_error

# sclient PORT ARGS...: openssl s_client that must fail to complete a session.
sclient() {
	local p=$1
	shift
	if timeout 10 openssl s_client -connect "127.0.0.1:$p" -servername localhost \
		-CAfile "$T_PKI/ca.crt" "$@" </dev/null >"$T_TMP/sclient.out" 2>&1; then
		cat "$T_TMP/sclient.out"
		t_fail "openssl s_client $* to port $p succeeded"
	fi
}

# 402: the client offers only ECDHE-ECDSA; the server has an RSA key.
sclient "$p_all" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect_rc 402 "$p_all"

# 412: protocol version mismatch, both ways.
sclient "$p_13" -tls1_2
expect_rc 412 "$p_13"
sclient "$p_12" -tls1_3
expect_rc 412 "$p_12"

RAW=(tlsclient --raw --timeout 10)

# 5003: clear text on the TLS port.
"${RAW[@]}" "127.0.0.1:$p_all" 'text:GET / HTTP/1.0\r\n\r\n' recv >"$T_TMP/clear.out" 2>&1 ||
	{ cat "$T_TMP/clear.out"; t_fail "clear-text client did not see the connection end"; }
expect_rc 5003 "$p_all"
assert_no_match "no HTTP reply to clear text" '^HTTP' "$(kv "$T_TMP/clear.out" first_line)"

# 5004: connect and stay silent; attlsd must give up after handshake_timeout (1 s).
t0=$(date +%s%N)
"${RAW[@]}" "127.0.0.1:$p_all" recv >"$T_TMP/silent.out" 2>&1 ||
	{ cat "$T_TMP/silent.out"; t_fail "silent client: attlsd did not close the connection within 10 s"; }
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc 5004 "$p_all"
((ms >= 800 && ms <= 4000)) || t_fail "silent connection closed after $ms ms; expected about 1000 (handshake_timeout: 1)"
t_ok "silent connection closed after $ms ms"

# 420: FIN in the middle of the handshake (partial ClientHello; full ClientHello).
"${RAW[@]}" "127.0.0.1:$p_all" hello:60 sleep:0.3 shut recv >"$T_TMP/fin1.out" 2>&1 ||
	{ cat "$T_TMP/fin1.out"; t_fail "partial ClientHello + FIN client failed"; }
expect_rc 420 "$p_all"
"${RAW[@]}" "127.0.0.1:$p_all" hello sleep:0.3 shut recv >"$T_TMP/fin2.out" 2>&1 ||
	{ cat "$T_TMP/fin2.out"; t_fail "ClientHello + FIN client failed"; }
(($(kv "$T_TMP/fin2.out" received) > 0)) || t_fail "no ServerHello came back for a complete ClientHello"
expect_rc 420 "$p_all"

# 406: RST in the middle of the handshake.
"${RAW[@]}" "127.0.0.1:$p_all" hello:60 sleep:0.3 rst >"$T_TMP/rst1.out" 2>&1 ||
	{ cat "$T_TMP/rst1.out"; t_fail "partial ClientHello + RST client failed"; }
expect_rc 406 "$p_all"
"${RAW[@]}" "127.0.0.1:$p_all" hello sleep:0.3 rst >"$T_TMP/rst2.out" 2>&1 ||
	{ cat "$T_TMP/rst2.out"; t_fail "ClientHello + RST client failed"; }
expect_rc 406 "$p_all"

# Nothing of the above reached the backend.
n=$(grep -c '^accept ' "$BACKEND_REPORT")
assert_eq "backend connections (only the 3 good clients)" 3 "$n"

attlsd_stop
exit 0
