#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Outbound interception (Direction Outbound, HandshakeRole Client): an
# unchanged plaintext client in the client namespace connects to a TLS server
# in the server namespace; nftables' output chain redirects the connection to
# attlsd (in the client namespace), which originates TLS to the original
# destination (SO_ORIGINAL_DST), checking the server's name. attlsd's own
# connection carries the mark and is not redirected again.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"

ns_setup
ns_attlsd "$NS_C"
sock=$T_TMP/attlsd.sock
policy=$(write_policy t33 <<EOF
settings:
  control_socket: "$sock"
keyrings:
  trust: { trusted_ca: "$T_PKI/ca.crt" }
groups:
  on: { enabled: On, trace: 14 }
  off: { enabled: Off, trace: 14 }
environments:
  out: { handshake_role: Client, keyring: trust, host_reference_id_dns: localhost }
rules:
  to-server: { priority: 10, direction: Outbound, remote_addr: $NS_SADDR, remote_port: 8443, intercept: redirect, listen: "0.0.0.0:15004", group: on, environment: out }
  by-curl: { priority: 30, direction: Outbound, jobname: "curl*", remote_port: 8443, intercept: redirect, listen: "0.0.0.0:15004", group: off }
  by-python: { priority: 20, direction: Outbound, jobname: "python3*", userid: root, remote_port: 8443, intercept: redirect, listen: "0.0.0.0:15004", group: on, environment: out }
EOF
)
plan=$("$ATTLSCTL" intercept plan "$policy") || t_fail "intercept plan failed"
printf '%s\n' "$plan" | sed 's/^/  plan: /'
assert_match "plan: output chain redirect of the remote server's port" \
	"ip daddr \\{ $NS_SADDR \\} meta l4proto tcp tcp dport 8443 redirect to :15004" "$plan"
assert_match "plan: output chain" 'type nat hook output' "$plan"

# The real TLS server (it answers "peer=... got=LINE" over TLS).
ns_backend 8443 --tls-cert "$T_PKI/server.crt" --tls-key "$T_PKI/server.key"
assert_match "without interception a plaintext client gets nothing from the TLS server" "^(error=|$)" \
	"$(ns_client "$NS_SADDR:8443" 2>&1 | head -1)"

attlsd_start "$policy"
ip netns exec "$NS_C" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up failed"
out=$(ns_client "$NS_SADDR:8443")
assert_match "plaintext client reaches the TLS server through attlsd" "^peer=$NS_CADDR got=hello" "$out"
expect_no_error
grep -qE "ATL1289I .*RULE: by-python .*PROTO: TLSv1\.[23]" "$ATTLSD_LOG" ||
	{ cat "$ATTLSD_LOG"; t_fail "no TLS close line for rule by-python"; }
t_ok "attlsd originated TLS for the plaintext client"
# Jobname/Userid: the client is python3 run by root; the higher-priority curl
# rule does not match it, the python3 rule does.
grep -qE "EZD1281I .*JOBNAME: python3 USERID: root .*RULE: by-python " "$ATTLSD_LOG" ||
	{ grep EZD1281I "$ATTLSD_LOG"; t_fail "the connection did not map to by-python with the client's JOBNAME and USERID"; }
t_ok "Jobname/Userid: mapped to by-python, JOBNAME python3 USERID root"

ip netns exec "$NS_C" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down failed"
ip netns exec "$NS_C" nft list tables | grep -q attls_intercept && t_fail "table left after down"
t_ok "intercept down: no table left"
attlsd_stop
t_done
