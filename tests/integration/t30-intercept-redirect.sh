#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Inbound interception with nftables redirect: an unchanged plaintext backend
# keeps its port (7554) in a server namespace; `attlsctl intercept up` diverts
# that port to attlsd's listener, which reads the original destination
# (SO_ORIGINAL_DST), maps the rule by it (not by its own port), does TLS and
# connects on to the backend unredirected (its socket mark). A TLS client in
# the client namespace reaches the backend's address:port and gets TLS; clear
# text from it is refused (RC 5003) as on any TLS port; a direct connection to
# the interception port is closed; `intercept down` leaves nothing behind.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"

ns_setup
ns_attlsd
policy=$(write_policy t30 <<EOF
settings:
  control_socket: "$T_TMP/attlsd.sock"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  on: { enabled: On, trace: 10 }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  app: { priority: 10, direction: Inbound, local_port: 7554, intercept: redirect, listen: "0.0.0.0:15001", group: on, environment: server }
EOF
)
plan=$("$ATTLSCTL" intercept plan "$policy") || t_fail "intercept plan failed"
printf '%s\n' "$plan" | sed 's/^/  plan: /'
assert_match "plan redirects the rule's port to the listener" 'meta l4proto tcp tcp dport 7554 redirect to :15001' "$plan"
assert_match "plan lets attlsd's own connections pass" 'meta mark 16724 return' "$plan"
assert_no_match "no policy routing for redirect" '^ip ' "$plan"

ns_backend 7554
# Before interception: the client reaches the plaintext backend.
assert_match "without interception the backend answers in clear" "^peer=$NS_CADDR got=hello" \
	"$(ns_client "$NS_SADDR:7554")"

attlsd_start "$policy"
ip netns exec "$NS_S" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up failed"
t_ok "intercept up"
out=$(ns_client "$NS_SADDR:7554" --tls "$T_PKI/ca.crt" --name localhost)
assert_match "TLS client reaches the backend's address:port through attlsd" "^peer=$NS_SADDR got=hello" "$out"
assert_match "the client got TLS" "tls=TLSv1\.[23]" "$out"
expect_no_error
out=$(ns_client "$NS_SADDR:7554" --line "GET / HTTP/1.0")
assert_no_match "clear text to the diverted port gets no answer from the backend" "^peer=" "$out"
# The error line shows LOCAL as the original destination, not attlsd's :15001.
expect_rc 5003 7554
grep -qE "EZD1286I .*LOCAL: $NS_SADDR\.\.7554 REMOTE: $NS_CADDR\.\." "$ATTLSD_LOG" ||
	t_fail "the error line does not show the original destination $NS_SADDR..7554"
t_ok "mapped and reported by the original destination $NS_SADDR..7554"

# A client that connects to the interception port itself has no original
# destination; attlsd must not connect to itself.
out=$(ns_client "$NS_SADDR:15001" --tls "$T_PKI/ca.crt")
assert_no_match "direct connection to the interception port is not served" "^peer=" "$out"
grep -q "was not redirected" "$ATTLSD_LOG" || t_fail "no log line for the undiverted connection"
t_ok "undiverted connection closed and logged"

ip netns exec "$NS_S" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down failed"
ns_nothing_left 16725 || t_fail "intercept down left rules behind"
t_ok "intercept down: no table left"
assert_match "after down the backend answers in clear again" "^peer=$NS_CADDR got=hello" \
	"$(ns_client "$NS_SADDR:7554")"
attlsd_stop
t_done
