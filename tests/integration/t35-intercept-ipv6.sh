#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# IPv6 interception (the IPv4 cases are t30 and t31): unchanged backends on
# [::]:PORT in the server namespace, IPv6 ULAs on the veth. 7554 is diverted
# with redirect (IP6T_SO_ORIGINAL_DST), 7555 with tproxy (IPV6_TRANSPARENT
# listener, ip -6 rule/route), 7556 with tproxy and preserve_source, so the
# backend sees the client's IPv6 address. `intercept down` leaves no table,
# IPv6 rule or route behind.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"

ns_setup
ns_setup_v6
ns_attlsd
policy=$(write_policy t35 <<EOF
settings:
  control_socket: "$T_TMP/attlsd.sock"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  on: { enabled: On, trace: 14 }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  redir6: { priority: 10, direction: Inbound, local_addr: "$NS_SADDR6", local_port: 7554, intercept: redirect, listen: "[::]:15006", group: on, environment: server }
  tproxy6: { priority: 10, direction: Inbound, local_addr: "$NS_SADDR6", local_port: 7555, intercept: tproxy, listen: "[::]:15007", group: on, environment: server }
  preserve6: { priority: 10, direction: Inbound, local_addr: "$NS_SADDR6", local_port: 7556, intercept: tproxy, preserve_source: On, listen: "[::]:15007", group: on, environment: server }
EOF
)
plan=$("$ATTLSCTL" intercept plan "$policy") || t_fail "intercept plan failed"
printf '%s\n' "$plan" | sed 's/^/  plan: /'
assert_match "plan: IPv6 redirect" "ip6 daddr \\{ $NS_SADDR6 \\} meta l4proto tcp tcp dport 7554 redirect to :15006" "$plan"
assert_match "plan: IPv6 tproxy" "ip6 daddr \\{ $NS_SADDR6 \\} meta l4proto tcp tcp dport 7555 tproxy ip6 to :15007" "$plan"
assert_match "plan: the IPv6 local route" '^ip -6 route add local ::/0 dev lo table 16724$' "$plan"
assert_match "plan: the IPv6 routing rule" '^ip -6 rule add fwmark 16725 lookup 16724$' "$plan"

for port in 7554 7555 7556; do ns_backend $port --bind ::; done
attlsd_start "$policy"
ip netns exec "$NS_S" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up failed"
ip -n "$NS_S" -6 rule | grep -q "fwmark 0x4155 lookup 16724" || t_fail "no IPv6 ip rule after up"

out=$(ns_client "[$NS_SADDR6]:7554" --tls "$T_PKI/ca.crt" --name localhost)
assert_match "redirect: TLS client reaches [$NS_SADDR6]:7554 through attlsd" "^peer=$NS_SADDR6 got=hello" "$out"
assert_match "redirect: the client got TLS" "tls=TLSv1\.[23]" "$out"
out=$(ns_client "[$NS_SADDR6]:7555" --tls "$T_PKI/ca.crt" --name localhost)
assert_match "tproxy: TLS client reaches [$NS_SADDR6]:7555 through attlsd" "^peer=$NS_SADDR6 got=hello" "$out"
assert_match "tproxy: the client got TLS" "tls=TLSv1\.[23]" "$out"
out=$(ns_client "[$NS_SADDR6]:7556" --tls "$T_PKI/ca.crt" --name localhost)
assert_match "preserve_source: the backend sees the client's IPv6 address" "^peer=$NS_CADDR6 got=hello" "$out"
assert_match "preserve_source: the client got TLS" "tls=TLSv1\.[23]" "$out"
grep -qE "EZD1281I .*LOCAL: $NS_SADDR6\.\.7554 .*RULE: redir6 " "$ATTLSD_LOG" ||
	{ grep EZD1281I "$ATTLSD_LOG"; t_fail "redirect not mapped by the original IPv6 destination"; }
grep -qE "EZD1281I .*LOCAL: $NS_SADDR6\.\.7556 .*RULE: preserve6 " "$ATTLSD_LOG" ||
	{ grep EZD1281I "$ATTLSD_LOG"; t_fail "tproxy not mapped by the original IPv6 destination"; }
t_ok "mapped by the original IPv6 destinations"
expect_no_error

ip netns exec "$NS_S" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down failed"
ns_nothing_left 16725 || t_fail "intercept down left a table or an IPv4 rule behind"
ip -n "$NS_S" -6 rule | grep -q "fwmark 0x4155" && t_fail "intercept down left the IPv6 rule"
[[ -z $(ip -n "$NS_S" -6 route show table 16724 2>/dev/null) ]] || t_fail "IPv6 route table 16724 not empty after down"
t_ok "intercept down: no table, IPv6 rule or route left"
assert_match "after down the backend answers in clear" "^peer=$NS_CADDR6 got=hello" \
	"$(ns_client "[$NS_SADDR6]:7556")"
attlsd_stop
t_done
