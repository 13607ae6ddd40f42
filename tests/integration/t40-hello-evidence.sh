#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# The peer's ClientHello as evidence in the ATL1288I cause line, with openssl
# s_client offering known lists:
#   402: -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 against an RSA server:
#        the offered suite C02B, the rule's suites, and why C02B cannot be used
#   402: -tls1_2 -cipher AES128-SHA (002F), which the rule does not allow
#   412: -tls1_2 against a TLS 1.3-only rule: offered TLSv1.2, allowed TLSv1.3
#   420: complete ClientHello then FIN: after which message, no alert
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p_all p_13 <<<"$(free_ports 2)"
policy_new
policy_standard
policy_env env-all Server ring1
policy_env env-13 Server ring1 'tls_v1_2: Off'
policy_rule all "$p_all" env-all "127.0.0.1:$BACKEND_PORT"
policy_rule only13 "$p_13" env-13 "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"
SV=(-servername evidence.test -CAfile "$T_PKI/ca.crt")

sclient_fails "$p_all" "${SV[@]}" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect_rc 402 "$p_all"
c=$(cause_of 402)
assert_match "402 names the offered version" 'the peer offered TLSv1\.2 with suites' "$c"
assert_match "402 lists the offered suite by code and name" 'suites C02B ECDHE-ECDSA-AES128-GCM-SHA256' "$c"
assert_match "402 lists the rule's suites" 'rule all allows TLSv1\.2,TLSv1\.3 with suites 1302,1303,1301,C02B,C02F' "$c"
assert_match "402 says why the common suite fails" 'C02B is allowed by both but needs an ECDSA certificate and ours is RSA' "$c"
assert_match "402 says which side sent the alert" 'we sent alert handshake failure' "$c"

sclient_fails "$p_all" "${SV[@]}" -tls1_2 -cipher AES128-SHA
expect_rc 402 "$p_all"
c=$(cause_of 402)
assert_match "402 lists 002F" 'suites 002F AES128-SHA' "$c"
assert_match "402 says nothing in common" 'no suite in common' "$c"

sclient_fails "$p_13" "${SV[@]}" -tls1_2
expect_rc 412 "$p_13"
c=$(cause_of 412)
assert_match "412 offered versions" 'the peer offered TLSv1\.2' "$c"
assert_match "412 allowed versions" 'rule only13 allows TLSv1\.3' "$c"

tlsclient --raw --timeout 10 "127.0.0.1:$p_all" hello recvn:1 shut recv >"$T_TMP/fin.out" 2>&1 ||
	{ cat "$T_TMP/fin.out"; t_fail "ClientHello + FIN client failed"; }
expect_rc 420 "$p_all"
c=$(cause_of 420)
assert_match "420 says after which message" 'after we had received ClientHello and sent [A-Za-z]+ \(OpenSSL state: ' "$c"
assert_match "420 says no alert either way" 'no alert either way' "$c"

attlsd_stop
t_done
