#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `attlsctl intercept up` is all or nothing, ip rules and routes included: in
# a namespace where IPv6 route table 16724 already holds a foreign default
# route, up of a policy that needs both families fails at the IPv6 route,
# after the nft table, the IPv4 rule and route and the IPv6 rule were
# applied; all of those are gone again and the foreign route is untouched.
# With an earlier (IPv4-only) up in force, the failed up puts its table
# back and keeps its rule and route.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"

ns_setup
common="settings:
  control_socket: Off
keyrings:
  srv: { certificate: \"$T_PKI/server.crt\", key: \"$T_PKI/server.key\" }
groups:
  on: { enabled: On }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  v4: { priority: 10, direction: Inbound, local_port: 7554, intercept: tproxy, listen: \"0.0.0.0:15008\", group: on, environment: server }"
both=$(write_policy t36-both <<EOF
$common
  v6: { priority: 10, direction: Inbound, local_port: 7555, intercept: tproxy, listen: "[::]:15009", group: on, environment: server }
EOF
)
v4only=$(write_policy t36-v4 <<EOF
$common
EOF
)
in_ns() { ip netns exec "$NS_S" "$@"; }
state() {
	in_ns nft list tables
	ip -n "$NS_S" -4 rule
	ip -n "$NS_S" -6 rule
	ip -n "$NS_S" -4 route show table 16724 2>/dev/null
	ip -n "$NS_S" -6 route show table 16724 2>/dev/null
}
ip -n "$NS_S" -6 route add blackhole default table 16724 || t_fail "cannot add the foreign route"
before=$(state)

in_ns "$ATTLSCTL" intercept up "$both" 2>"$T_TMP/up.err" && t_fail "intercept up succeeded despite the conflicting route"
sed 's/^/  stderr: /' "$T_TMP/up.err"
assert_match "up says it rolled back" "rolling back" "$(cat "$T_TMP/up.err")"
assert_match "up says nothing changed" "nothing changed" "$(cat "$T_TMP/up.err")"
after=$(state)
assert_eq "failed up left everything as it was" "$before" "$after"
assert_match "the foreign route is still there" "blackhole default" "$(ip -n "$NS_S" -6 route show table 16724)"

# An IPv4-only up in force, then the failing one: the old state comes back.
in_ns "$ATTLSCTL" intercept up "$v4only" || t_fail "IPv4-only intercept up failed"
before=$(state)
assert_match "IPv4-only up: its table" "attls_intercept" "$before"
in_ns nft list table inet attls_intercept >"$T_TMP/table.before"
in_ns "$ATTLSCTL" intercept up "$both" 2>"$T_TMP/up2.err" && t_fail "second failing up succeeded"
assert_eq "failed up over an earlier one: rules and routes as before" "$before" "$(state)"
in_ns nft list table inet attls_intercept >"$T_TMP/table.after" || t_fail "the earlier table is gone"
cmp -s "$T_TMP/table.before" "$T_TMP/table.after" || { diff "$T_TMP/table.before" "$T_TMP/table.after"; t_fail "the earlier table was not restored"; }
t_ok "the earlier nft table was put back"

in_ns "$ATTLSCTL" intercept down "$v4only" || t_fail "intercept down failed"
ns_nothing_left 16725 || t_fail "intercept down left rules behind"
[[ -z $(ip -n "$NS_S" -4 route show table 16724 2>/dev/null) ]] || t_fail "IPv4 route left in table 16724"
assert_match "down does not touch the foreign route" "blackhole default" "$(ip -n "$NS_S" -6 route show table 16724)"
t_done
