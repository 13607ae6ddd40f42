#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Query API access control (SO_PEERCRED on the control socket) and the shared
# libattlsquery. On 7554 the backend is tests/tools/query_demo, linked against
# libattlsquery.so.1 and run as nobody: it queries its own connection and
# gets the answer. On 7555 a root backend runs `attlsctl query` as nobody for
# its (root's) connection: EACCES, like the z/OS ioctl on a socket that is not
# the caller's; as root the same query is answered. nobody gets EACCES, not
# ENOTCONN, for a 4-tuple attlsd does not hold either, and for the list of
# connections.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"
need_tool setpriv readelf

demo=${ATTLS_BUILDDIR:-$T_DIR/../..}/tests/tools/query_demo
[[ -x $demo ]] || t_fail "$demo is not built (make check builds it)"
readelf -d "$demo" | grep -q 'NEEDED.*\[libattlsquery\.so\.1\]' || t_fail "query_demo is not linked against libattlsquery.so.1"
t_ok "query_demo needs libattlsquery.so.1"

ns_setup
ns_attlsd
sock=$T_TMP/attlsd.sock
policy=$(write_policy t38 <<EOF
settings:
  control_socket: "$sock"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  on: { enabled: On }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  demo: { priority: 10, direction: Inbound, local_port: 7554, intercept: redirect, listen: "0.0.0.0:15011", group: on, environment: server }
  rootapp: { priority: 10, direction: Inbound, local_port: 7555, intercept: redirect, listen: "0.0.0.0:15011", group: on, environment: server }
  rootq: { priority: 10, direction: Inbound, local_port: 7556, intercept: redirect, listen: "0.0.0.0:15011", group: on, environment: server }
EOF
)
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
mkdir -m 1777 "$T_TMP/pub"
chmod 0711 "$T_TMP"

attlsd_start "$policy"
# Who may connect is the socket file's mode and group (0660 root by
# default); here everyone, so that the per-connection check is what decides.
chmod 0666 "$sock"
ip netns exec "$NS_S" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$demo" 7554 "$sock" "$T_TMP/pub/demo.ready" 1 >"$T_TMP/demo.log" 2>&1 &
t_track $!
wait_file "$T_TMP/pub/demo.ready" 15 || { cat "$T_TMP/demo.log"; t_fail "query_demo did not start"; }
ns_backend 7555 --query "setpriv --reuid=nobody --regid=nogroup --clear-groups $ATTLSCTL query -s $sock"
ns_backend 7556 --query "$ATTLSCTL query -s $sock"
ip netns exec "$NS_S" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up failed"

out=$(ns_client "$NS_SADDR:7554" --tls "$T_PKI/ca.crt" --name localhost)
printf '%s\n' "$out" | sed 's/^/  7554: /'
assert_match "nobody, own connection, shared library: answered" \
	"^demo: ok policy_status=4 conn_status=3 sec_type=2 protocol=0x030[34] rule=demo$" "$out"

out=$(ns_client "$NS_SADDR:7555" --tls "$T_PKI/ca.crt" --name localhost)
printf '%s\n' "$out" | sed 's/^/  7555: /'
assert_match "nobody, root's connection: EACCES" "query=attlsctl: query .*\\(EACCES\\)" "$out"
assert_no_match "nobody, root's connection: no status leaked" "policy_status=" "$out"

# Root may query anything: the same kind of connection, asked by root.
out=$(ns_client "$NS_SADDR:7556" --tls "$T_PKI/ca.crt" --name localhost)
printf '%s\n' "$out" | sed 's/^/  7556: /'
assert_match "root, any connection: answered" "query=policy_status=4 \\(Enabled\\);conn_status=3 .*rule=rootq" "$out"

out=$(as_nobody "$ATTLSCTL" query -s "$sock" "$NS_SADDR:7554" "$NS_CADDR:1" 2>&1)
assert_match "nobody, a 4-tuple attlsd does not hold: EACCES, not ENOTCONN" "EACCES" "$out"
out=$("$ATTLSCTL" query -s "$sock" "$NS_SADDR:7554" "$NS_CADDR:1" 2>&1)
assert_match "root, the same 4-tuple: ENOTCONN" "ENOTCONN" "$out"
out=$(as_nobody "$ATTLSCTL" connections -s "$sock" 2>&1)
assert_match "nobody: the connection list is refused" "EACCES|connection list is for root" "$out"
out=$("$ATTLSCTL" connections -s "$sock" 2>&1)
assert_match "root: the connection list" "CONNID" "$out"
ip netns exec "$NS_S" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down failed"
attlsd_stop
t_done
