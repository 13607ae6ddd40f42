#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
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
policy=$(write_policy t40 <<EOF
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
  env-13:
    handshake_role: Server
    keyring: ring1
    tls_v1_2: Off
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
EOF
)
attlsd_start "$policy"

sclient() {
	local p=$1
	shift
	if timeout 10 openssl s_client -connect "127.0.0.1:$p" -servername evidence.test \
		-CAfile "$T_PKI/ca.crt" "$@" </dev/null >"$T_TMP/sclient.out" 2>&1; then
		cat "$T_TMP/sclient.out"
		t_fail "openssl s_client $* to port $p succeeded"
	fi
}

# cause_of RC: the ATL1288I line of the one failure just asserted by expect_rc.
cause_of() { grep -E "ATL1288I TTLS Cause CONNID: [0-9A-F]{8} $(printf 'RC: %4s' "$1") " "$ATTLSD_LOG" | tail -n 1; }

sclient "$p_all" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect_rc 402 "$p_all"
c=$(cause_of 402)
assert_match "402 names the offered version" 'the peer offered TLSv1\.2 with suites' "$c"
assert_match "402 lists the offered suite by code and name" 'suites C02B ECDHE-ECDSA-AES128-GCM-SHA256' "$c"
assert_match "402 lists the rule's suites" 'rule all allows TLSv1\.2,TLSv1\.3 with suites 1302,1303,1301,C02B,C02F' "$c"
assert_match "402 says why the common suite fails" 'C02B is allowed by both but needs an ECDSA certificate and ours is RSA' "$c"
assert_match "402 says which side sent the alert" 'we sent alert handshake failure' "$c"

sclient "$p_all" -tls1_2 -cipher AES128-SHA
expect_rc 402 "$p_all"
c=$(cause_of 402)
assert_match "402 lists 002F" 'suites 002F AES128-SHA' "$c"
assert_match "402 says nothing in common" 'no suite in common' "$c"

sclient "$p_13" -tls1_2
expect_rc 412 "$p_13"
c=$(cause_of 412)
assert_match "412 offered versions" 'the peer offered TLSv1\.2' "$c"
assert_match "412 allowed versions" 'rule only13 allows TLSv1\.3' "$c"

tlsclient --raw --timeout 10 "127.0.0.1:$p_all" hello sleep:0.3 shut recv >"$T_TMP/fin.out" 2>&1 ||
	{ cat "$T_TMP/fin.out"; t_fail "ClientHello + FIN client failed"; }
expect_rc 420 "$p_all"
c=$(cause_of 420)
assert_match "420 says after which message" 'after we had received ClientHello and sent [A-Za-z]+ \(OpenSSL state: ' "$c"
assert_match "420 says no alert either way" 'no alert either way' "$c"

attlsd_stop
t_done
