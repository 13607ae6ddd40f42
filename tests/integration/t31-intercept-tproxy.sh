#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Inbound interception with TPROXY: attlsd's listener has IP_TRANSPARENT, the
# accepted socket's own address is the original destination, and policy
# routing (mark -> local route table) delivers the diverted packets. Two
# unchanged backends in the server namespace: on 7554 attlsd connects from its
# own address; on 7555 (preserve_source) from the client's, so the backend
# logs the client namespace's address, and its replies find their way back to
# attlsd (connmark -> local route). `intercept down` removes the table, the
# ip rule and the route table.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"

ns_setup
ns_attlsd
policy=$(write_policy t31 <<EOF
settings:
  control_socket: "$T_TMP/attlsd.sock"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  on: { enabled: On, trace: 14 }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  plain-src: { priority: 10, direction: Inbound, local_addr: $NS_SADDR, local_port: 7554, intercept: tproxy, listen: "0.0.0.0:15002", group: on, environment: server }
  client-src: { priority: 10, direction: Inbound, local_addr: $NS_SADDR, local_port: 7555, intercept: tproxy, preserve_source: On, listen: "0.0.0.0:15002", group: on, environment: server }
EOF
)
plan=$("$ATTLSCTL" intercept plan "$policy") || t_fail "intercept plan failed"
printf '%s\n' "$plan" | sed 's/^/  plan: /'
assert_match "plan: tproxy to the listener with the routing mark" \
	"ip daddr \\{ $NS_SADDR \\} meta l4proto tcp tcp dport 7555 tproxy ip to :15002 meta mark set 16725 accept" "$plan"
assert_match "plan: established connections by their transparent socket" 'socket transparent 1 meta mark set 16725 accept' "$plan"
assert_match "plan: the mark's local route" '^ip -4 route add local 0.0.0.0/0 dev lo table 16724$' "$plan"
assert_match "plan: the routing rule" '^ip -4 rule add fwmark 16725 lookup 16724$' "$plan"
assert_match "plan: backend replies to a borrowed client address come back" 'ct direction reply ct mark 16725 meta mark set 16725' "$plan"

ns_backend 7554
ns_backend 7555
attlsd_start "$policy"
grep -q "listening on 0.0.0.0..15002 for diverted connections (tproxy)" "$ATTLSD_LOG" ||
	t_fail "no tproxy listener"
ip netns exec "$NS_S" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up failed"
t_ok "intercept up"
ip -n "$NS_S" rule | grep -q "fwmark 0x4155 lookup 16724" || t_fail "no ip rule after up"
# up twice replaces everything and adds no second ip rule.
ip netns exec "$NS_S" "$ATTLSCTL" intercept up "$policy" || t_fail "second intercept up failed"
assert_eq "one ip rule after two ups" 1 "$(ip -n "$NS_S" rule | grep -c 'fwmark 0x4155')"

out=$(ns_client "$NS_SADDR:7554" --tls "$T_PKI/ca.crt")
assert_match "tproxy: TLS client reaches backend 7554 through attlsd" "^peer=$NS_SADDR got=hello" "$out"
assert_match "tproxy: the client got TLS" "tls=TLSv1\.[23]" "$out"
out=$(ns_client "$NS_SADDR:7555" --tls "$T_PKI/ca.crt")
assert_match "preserve_source: the backend sees the client namespace's address" "^peer=$NS_CADDR got=hello" "$out"
assert_match "preserve_source: the client got TLS" "tls=TLSv1\.[23]" "$out"
grep -q "^peer=$NS_CADDR got=hello" "$T_TMP/backend.7555.log" || t_fail "backend 7555 did not log the client address"
t_ok "backend 7555 logged peer $NS_CADDR"
expect_no_error

out=$(ns_client "$NS_SADDR:7555" --line "GET / HTTP/1.0")
assert_no_match "clear text to a tproxied port gets no answer" "^peer=" "$out"
expect_rc 5003 7555

ip netns exec "$NS_S" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down failed"
ns_nothing_left 16725 || t_fail "intercept down left rules behind"
[[ -z $(ip -n "$NS_S" route show table 16724 2>/dev/null) ]] || t_fail "route table 16724 not empty after down"
t_ok "intercept down: no table, rule or route left"
assert_match "after down the backend answers in clear again" "^peer=$NS_CADDR got=hello" \
	"$(ns_client "$NS_SADDR:7555")"
attlsd_stop
t_done
