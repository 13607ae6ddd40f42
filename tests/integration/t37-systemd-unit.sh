#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# contrib/systemd: `systemd-analyze verify` accepts attlsd.service and its
# drop-in (with the binaries pointed at this build), and the commands the unit
# names do what it says when run the way systemd runs them, in a network
# namespace: ExecStartPre checks the policy, ExecStart runs attlsd, which
# sends READY=1 to $NOTIFY_SOCKET (Type=notify) once it listens, only then
# ExecStartPost diverts (a client gets TLS from the unchanged backend), and
# after attlsd stops ExecStopPost leaves no rule behind.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null ||
	t_skip "systemd-analyze is missing (Debian package systemd, in contrib/deps.sh): the unit files are not verified"
. "$T_DIR/netns.bash"

src=${ATTLS_SRCDIR:-}/contrib/systemd
[[ -n ${ATTLS_SRCDIR:-} ]] || src=$T_DIR/../../contrib/systemd
real_attlsd=$(realpath "$ATTLSD")
real_attlsctl=$(realpath "$ATTLSCTL")
units=$T_TMP/units
mkdir -p "$units/attlsd.service.d"
sed "s|/usr/sbin/attlsd|$real_attlsd|g; s|/usr/sbin/attlsctl|$real_attlsctl|g" "$src/attlsd.service" >"$units/attlsd.service"
cp "$src/attlsd.service.d/no-intercept.conf" "$units/attlsd.service.d/"

# verify prints warnings (unknown keys, missing executables) but may still
# exit 0: both must be clean. A broken copy shows that the check can fail.
out=$(systemd-analyze verify --man=no "$units/attlsd.service" 2>&1)
rc=$?
printf '%s\n' "$out" | sed '/^$/d; s/^/  verify: /'
assert_eq "systemd-analyze verify attlsd.service (+ no-intercept.conf): exit status" 0 "$rc"
assert_eq "systemd-analyze verify: no warnings" "" "$out"
mkdir -p "$T_TMP/broken/attlsd.service.d"
sed 's|^ExecStartPost=.*|ExecStartPost=/nonexistent/attlsctl intercept up|' "$units/attlsd.service" >"$T_TMP/broken/attlsd.service"
printf '[Service]\nNoSuchKey=1\n' >"$T_TMP/broken/attlsd.service.d/bad.conf"
out=$(systemd-analyze verify --man=no "$T_TMP/broken/attlsd.service" 2>&1)
assert_match "verify reports a missing executable" "/nonexistent/attlsctl is not executable" "$out"
assert_match "verify reports a bad drop-in key" "NoSuchKey" "$out"

# The commands, as systemd would run them (${ATTLS_POLICY} expanded, a
# leading "-" meaning "failure ignored").
exec_line() {
	sed -n "s/^$1=//p" "$units/attlsd.service" | head -1 | sed "s|^-||; s|\${ATTLS_POLICY}|$policy|g"
}
for key in ExecStartPre ExecStart ExecStartPost ExecStopPost; do
	[[ -n $(sed -n "s/^$key=//p" "$src/attlsd.service") ]] || t_fail "the unit has no $key"
done
assert_match "the drop-in clears ExecStartPost" "^ExecStartPost=$" "$(cat "$src/attlsd.service.d/no-intercept.conf")"
assert_match "the drop-in clears ExecStopPost" "^ExecStopPost=$" "$(cat "$src/attlsd.service.d/no-intercept.conf")"

ns_setup
policy=$(write_policy t37 <<EOF
settings:
  control_socket: Off
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  on: { enabled: On, trace: 14 }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  app: { priority: 10, direction: Inbound, local_port: 7554, intercept: redirect, listen: "0.0.0.0:15010", group: on, environment: server }
EOF
)
read -r -a pre <<<"$(exec_line ExecStartPre)"
read -r -a start <<<"$(exec_line ExecStart)"
read -r -a post <<<"$(exec_line ExecStartPost)"
read -r -a stoppost <<<"$(exec_line ExecStopPost)"
for cmd in "${pre[0]}" "${start[0]}" "${post[0]}" "${stoppost[0]}"; do
	[[ -x $cmd ]] || t_fail "the unit names $cmd, which is not an executable of this build"
done
t_ok "ExecStartPre: ${pre[*]##*/}; ExecStart: ${start[*]##*/}"
ns_backend 7554

ip netns exec "$NS_S" "${pre[@]}" >"$T_TMP/pre.out" 2>&1 || { cat "$T_TMP/pre.out"; t_fail "ExecStartPre failed"; }
t_ok "ExecStartPre (policy check) passed"

# systemd's side of Type=notify: a datagram socket; READY=1 must arrive.
notify=$T_TMP/notify.sock
"$T_PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(60)
os.chmod(sys.argv[1], 0o666)  # as systemd: attlsd writes to it after dropping root
open(sys.argv[1] + ".up", "w").close()
print(s.recv(4096).decode(), flush=True)
' "$notify" >"$T_TMP/notify.out" 2>&1 &
t_track $!
wait_until 10 test -e "$notify.up" || t_fail "the notify socket listener did not start"
ATTLSD_LOG=$T_TMP/attlsd.1.log
NOTIFY_SOCKET=$notify ip netns exec "$NS_S" "${start[@]}" 2>"$ATTLSD_LOG" &
ATTLSD_PID=$!
t_track "$ATTLSD_PID"
p_notified() { grep -q "READY=1" "$T_TMP/notify.out" || ! t_running "$ATTLSD_PID"; }
wait_until 30 p_notified
t_running "$ATTLSD_PID" || { cat "$ATTLSD_LOG"; t_fail "ExecStart: attlsd exited"; }
grep -q "READY=1" "$T_TMP/notify.out" || { cat "$ATTLSD_LOG"; t_fail "attlsd sent no READY=1 within 30 s"; }
grep -q "listening on 0.0.0.0..15010" "$ATTLSD_LOG" || t_fail "READY=1 before the listener was bound"
t_ok "ExecStart: attlsd sent READY=1 after binding its listener"

ip netns exec "$NS_S" "${post[@]}" || t_fail "ExecStartPost (${post[*]##*/}) failed"
ip netns exec "$NS_S" nft list tables | grep -q attls_intercept || t_fail "no table after ExecStartPost"
out=$(ns_client "$NS_SADDR:7554" --tls "$T_PKI/ca.crt" --name localhost)
assert_match "after ExecStartPost a TLS client reaches the unchanged backend" "tls=TLSv1\.[23]" "$out"
expect_no_error
attlsd_stop
ip netns exec "$NS_S" "${stoppost[@]}" || t_fail "ExecStopPost (${stoppost[*]##*/}) failed"
ns_nothing_left 16725 || t_fail "ExecStopPost left rules behind"
t_ok "ExecStopPost: no table left"
assert_match "after ExecStopPost the backend answers in clear" "^peer=$NS_CADDR got=hello" \
	"$(ns_client "$NS_SADDR:7554")"
t_done
