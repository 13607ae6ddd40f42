#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The query API (the analogue of SIOCTTLSCTL TTLS_QUERY_ONLY): an unchanged
# backend behind interception runs `attlsctl query` (libattlsquery) on accept
# for its own connection - its local and remote address as it sees them - and
# returns the answer to the client. With TLS and a client certificate: policy
# status 4 (Enabled), connection status 3 (Secure), security type 5
# (ServerWithClientAuth Required), protocol 0x0304/0x0303, the 4-character
# cipher and the client's certificate. A rule whose group is disabled: policy
# status 3, connection status 1. An unknown 4-tuple: ENOTCONN.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"

ns_setup
ns_attlsd
sock=$T_TMP/attlsd.sock
policy=$(write_policy t32 <<EOF
settings:
  control_socket: "$sock"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  on: { enabled: On }
  off: { enabled: Off }
environments:
  mtls: { handshake_role: ServerWithClientAuth, client_auth_type: Required, keyring: srv }
rules:
  app: { priority: 10, direction: Inbound, local_port: 7554, intercept: redirect, listen: "0.0.0.0:15003", group: on, environment: mtls }
  clear: { priority: 10, direction: Inbound, local_port: 7555, intercept: redirect, listen: "0.0.0.0:15003", group: off }
EOF
)
ns_backend 7554 --query "$ATTLSCTL query -s $sock --cert"
ns_backend 7555 --query "$ATTLSCTL query -s $sock"
attlsd_start "$policy"
[[ -S $sock ]] || t_fail "no control socket at $sock"
t_ok "control socket $sock"
ip netns exec "$NS_S" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up failed"

out=$(ns_client "$NS_SADDR:7554" --tls "$T_PKI/ca.crt" --cert "$T_PKI/client.crt" --key "$T_PKI/client.key")
printf '%s\n' "$out" | tr ';' '\n' | sed 's/^/  answer: /' | head -12
assert_match "TLS: policy status 4" "query=policy_status=4 \\(Enabled\\)" "$out"
assert_match "TLS: connection status 3" ";conn_status=3 \\(Secure\\)" "$out"
assert_match "TLS: security type 5 (client auth Required)" ";sec_type=5 " "$out"
assert_match "TLS: protocol code" ";protocol=0x030[34] " "$out"
assert_match "TLS: 4-character cipher" ";cipher4=[0-9A-F]{4};" "$out"
assert_match "TLS: the rule" ";rule=app;" "$out"
assert_match "TLS: the client's certificate" ";-----BEGIN CERTIFICATE-----;" "$out"
ver=$(sed -n 's/.*;protocol=0x\(030[34]\).*/\1/p' <<<"$out")
tls=$(sed -n 's/^tls=//p' <<<"$out")
assert_eq "protocol matches what the client negotiated" "$([[ $tls == TLSv1.3 ]] && echo 0304 || echo 0303)" "$ver"

out=$(ns_client "$NS_SADDR:7555")
assert_match "TTLSEnabled Off: policy status 3, not secure" \
	"query=policy_status=3 \\(NotEnabled\\);conn_status=1 \\(NotSecure\\);sec_type=0 .*;protocol=0x0000 .*;rule=clear;" "$out"

ip netns exec "$NS_S" "$ATTLSCTL" query -s "$sock" "$NS_SADDR:7554" "$NS_CADDR:1" >/dev/null 2>"$T_TMP/q.err"
rc=$?
assert_eq "unknown 4-tuple: exit status 2" 2 "$rc"
assert_match "unknown 4-tuple: ENOTCONN" "ENOTCONN" "$(cat "$T_TMP/q.err")"
expect_no_error
ip netns exec "$NS_S" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down failed"
attlsd_stop
[[ ! -e $sock ]] || t_fail "the control socket was left behind"
t_ok "control socket removed at exit"
t_done
