#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
# attlsctl triage --pcap FILE --policy POLICY, offline, on attlsd's own captures
# (capture: all) and, when tcpdump can capture on lo, on a tcpdump file:
#   a good TLS client             -> rule matched, versions and suites agree
#   s_client -cipher AES128-SHA   -> RC 402, no suite in common
#   s_client -tls1_2 to TLS 1.3   -> RC 412
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

ATTLSCTL=${ATTLSCTL:-$T_TOP/attlsctl}
[[ -x $ATTLSCTL ]] || t_fail "attlsctl not found: $ATTLSCTL"
start_backend echo
read -r p_all p_13 <<<"$(free_ports 2)"
cap=$T_TMP/cap
policy=$(write_policy t44 <<EOF
settings:
  capture_dir: $cap
keyrings:
  ring1:
    certificate: $T_PKI/server.crt
    key: $T_PKI/server.key
groups:
  g: { enabled: On }
environments:
  env-all:
    handshake_role: Server
    keyring: ring1
    capture: all
  env-13:
    handshake_role: Server
    keyring: ring1
    tls_v1_2: Off
    capture: all
rules:
  all:
    priority: 100
    direction: Inbound
    local_addr: 127.0.0.1
    local_port: $p_all
    group: g
    environment: env-all
    backend: 127.0.0.1:$BACKEND_PORT
  only13:
    priority: 100
    direction: Inbound
    local_addr: 127.0.0.1
    local_port: $p_13
    group: g
    environment: env-13
    backend: 127.0.0.1:$BACKEND_PORT
EOF
)
attlsd_start "$policy"

dump=
if command -v tcpdump >/dev/null 2>&1; then
	tcpdump -i lo -U --immediate-mode -w "$T_TMP/lo.pcap" "tcp port $p_all or tcp port $p_13" >"$T_TMP/tcpdump.log" 2>&1 &
	tpid=$!
	t_track "$tpid"
	for ((i = 0; i < 40; i++)); do
		grep -q 'listening on' "$T_TMP/tcpdump.log" && { dump=$T_TMP/lo.pcap; break; }
		t_running "$tpid" || break
		sleep 0.05
	done
	[[ -n $dump ]] || t_log "tcpdump cannot capture on lo here; only attlsd's captures are triaged"
fi

tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p_all" text:ping shut recv >"$T_TMP/ok" 2>&1 ||
	{ cat "$T_TMP/ok"; t_fail "good client failed"; }
sleep 0.3
good=$(ls "$cap"/*.pcap)
timeout 10 openssl s_client -connect "127.0.0.1:$p_all" -tls1_2 -cipher AES128-SHA </dev/null >/dev/null 2>&1
expect_rc 402 "$p_all"
c402=$(ls -t "$cap"/*.pcap | head -n 1)
timeout 10 openssl s_client -connect "127.0.0.1:$p_13" -tls1_2 </dev/null >/dev/null 2>&1
expect_rc 412 "$p_13"
c412=$(ls -t "$cap"/*.pcap | head -n 1)

# triage FILE WANT-STATUS: runs attlsctl triage, checks its exit status, prints its output.
triage() {
	local out st
	out=$("$ATTLSCTL" triage --pcap "$1" --policy "$policy" 2>&1)
	st=$?
	[[ $st == "$2" ]] || { echo "$out"; t_fail "attlsctl triage $1: exit $st, expected $2"; }
	printf '%s\n' "$out"
}

out=$(triage "$good" 0)
assert_match "good: rule all matched" "rule: all \(priority 100\)" "$out"
assert_match "good: verdict agree" "verdict: versions and suites agree" "$out"
out=$(triage "$c402" 1)
assert_match "402: verdict" "verdict: fails with RC 402: no suite in common: the client offers 002F,00FF" "$out"
out=$(triage "$c412" 1)
assert_match "412: rule only13" "rule: only13" "$out"
assert_match "412: verdict" "verdict: fails with RC 412: the client offers TLSv1.2; the rule allows TLSv1.3" "$out"

if [[ -n $dump ]]; then
	# --immediate-mode: otherwise libpcap hands packets over per ring block
	# (up to tcpdump's 1 s timeout) and SIGINT can drop the last block.
	sleep 0.5
	kill -INT "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	out=$(triage "$dump" 1)
	assert_match "tcpdump file: 3 hellos, 2 failing" "^3 ClientHello\(s\), 2 would fail$" "$out"
fi
attlsd_stop
t_done
