#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
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
policy_new
policy_standard
policy_env env-all Server ring1 'tls_v1_2: On' 'tls_v1_3: On' 'handshake_timeout: 1'
policy_env env-13 Server ring1 'tls_v1_2: Off' 'tls_v1_3: On'
policy_env env-12 Server ring1 'tls_v1_2: On' 'tls_v1_3: Off'
policy_rule all "$p_all" env-all "127.0.0.1:$BACKEND_PORT"
policy_rule only13 "$p_13" env-13 "127.0.0.1:$BACKEND_PORT"
policy_rule only12 "$p_12" env-12 "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"

# Each port works for a client it should accept (so the failures below mean something).
for pv in "$p_all:" "$p_13:1.3" "$p_12:1.2"; do
	p=${pv%%:*} v=${pv#*:}
	tlsclient --ca "$T_PKI/ca.crt" ${v:+--tls $v} --timeout 10 "127.0.0.1:$p" text:ping shut recv >"$T_TMP/ok.$p" 2>&1 ||
		{ cat "$T_TMP/ok.$p"; t_fail "good TLS${v:+ $v} client to port $p failed"; }
	assert_eq "echo through port $p${v:+ (TLS $v)}" "ping" "$(kv "$T_TMP/ok.$p" first_line)"
	[[ -z $v ]] || assert_eq "negotiated version on port $p" "TLSv$v" "$(kv "$T_TMP/ok.$p" version)"
done
expect_no_error

SV=(-servername localhost -CAfile "$T_PKI/ca.crt")

# 402: the client offers only ECDHE-ECDSA; the server has an RSA key.
sclient_fails "$p_all" "${SV[@]}" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect_rc 402 "$p_all"

# 412: protocol version mismatch, both ways.
sclient_fails "$p_13" "${SV[@]}" -tls1_2
expect_rc 412 "$p_13"
sclient_fails "$p_12" "${SV[@]}" -tls1_3
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
# The pause after the partial ClientHello is the case: a client that stops half-way.
"${RAW[@]}" "127.0.0.1:$p_all" hello:60 sleep:0.3 shut recv >"$T_TMP/fin1.out" 2>&1 ||
	{ cat "$T_TMP/fin1.out"; t_fail "partial ClientHello + FIN client failed"; }
expect_rc 420 "$p_all"
"${RAW[@]}" "127.0.0.1:$p_all" hello recvn:1 shut recv >"$T_TMP/fin2.out" 2>&1 ||
	{ cat "$T_TMP/fin2.out"; t_fail "ClientHello + FIN client failed"; }
(($(kv "$T_TMP/fin2.out" received) > 0)) || t_fail "no ServerHello came back for a complete ClientHello"
expect_rc 420 "$p_all"

# 406: RST in the middle of the handshake (the pause is the case, as for 420).
"${RAW[@]}" "127.0.0.1:$p_all" hello:60 sleep:0.3 rst >"$T_TMP/rst1.out" 2>&1 ||
	{ cat "$T_TMP/rst1.out"; t_fail "partial ClientHello + RST client failed"; }
expect_rc 406 "$p_all"
"${RAW[@]}" "127.0.0.1:$p_all" hello recvn:1 rst >"$T_TMP/rst2.out" 2>&1 ||
	{ cat "$T_TMP/rst2.out"; t_fail "ClientHello + RST client failed"; }
expect_rc 406 "$p_all"

# Nothing of the above reached the backend.
n=$(grep -c '^accept ' "$BACKEND_REPORT")
assert_eq "backend connections (only the 3 good clients)" 3 "$n"

attlsd_stop
exit 0
