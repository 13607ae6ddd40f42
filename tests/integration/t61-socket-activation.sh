#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Socket activation as attlsd.socket does it, with systemd-socket-activate
# (Debian package systemd) in systemd's place: it binds two ports and starts
# attlsd with them ($LISTEN_FDS) when the first client connects. The listener
# of the policy on the passed port uses that socket (attlsd's own bind of it
# would fail: the port is taken), the other listener attlsd binds itself, and
# the first client, waiting in the passed socket's backlog, gets TLS. The other
# passed socket, which no listener names, is reported and kept, and a reload
# that adds a listener on it serves TLS there.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool systemd-socket-activate ss
"$ATTLSD" -V | grep -q '; systemd)' || t_skip "attlsd was built --without-systemd"

start_backend echo
read -r p1 p2 p3 <<<"$(free_ports 3)"
# policy_with PORT...: one rule per port, all to the echo backend.
policy_with() {
	local p
	cat <<EOF
settings:
  workers: 2
  control_socket: Off
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  on: { enabled: On }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
EOF
	for p in "$@"; do
		echo "  r$p: { priority: 10, direction: Inbound, local_addr: 127.0.0.1, local_port: $p, group: on, environment: server, backend: \"127.0.0.1:$BACKEND_PORT\" }"
	done
}
policy_with "$p1" "$p2" >"$T_TMP/policy.yaml"
policy=$T_TMP/policy.yaml

ATTLSD_LOG=$T_TMP/attlsd.1.log
systemd-socket-activate -l "127.0.0.1:$p1" -l "127.0.0.1:$p3" \
	"$ATTLSD" -F -f "$policy" >"$T_TMP/attlsd.1.out" 2>"$ATTLSD_LOG" &
ATTLSD_PID=$! # systemd-socket-activate execs attlsd: the same process
t_track "$ATTLSD_PID"
wait_report "$ATTLSD_LOG" "Listening on 127.0.0.1:$p3" 10 >/dev/null || t_fail "systemd-socket-activate did not listen"
grep -q "EZZ4250I" "$ATTLSD_LOG" && t_fail "attlsd started before any client came"

# The first client starts attlsd, and waits in the backlog meanwhile.
tlsclient_bg "$T_TMP/first.out" --ca "$T_PKI/ca.crt" "127.0.0.1:$p1" text:first shut recv
wait_report "$ATTLSD_LOG" "EZZ4250I" 20 >/dev/null || t_fail "attlsd did not start on the first connection"
t_ok "the first connection on 127.0.0.1:$p1 started attlsd (pid $ATTLSD_PID)"
wait_exit "$BG_PID" 20
assert_eq "the first client, held in the passed socket's backlog, got TLS" 0 "$EXIT_STATUS"
assert_match "... and its bytes back from the backend" "^received=5$" "$(cat "$T_TMP/first.out")"

assert_match "attlsd took the passed socket" "socket activation: systemd passed a socket listening on 127\.0\.0\.1\.\.$p1" "$(cat "$ATTLSD_LOG")"
assert_match "the listener on $p1 uses it" "listening on 127\.0\.0\.1\.\.$p1: the socket systemd passed" "$(cat "$ATTLSD_LOG")"
assert_match "the passed socket no listener names is reported" "no listener of the policy is on 127\.0\.0\.1\.\.$p3" "$(cat "$ATTLSD_LOG")"
# One socket on the passed port (shared by both workers), one per worker on the other.
assert_eq "listening sockets on $p1 (passed)" 1 "$(ss -Hltn "sport = :$p1" | wc -l)"
assert_eq "listening sockets on $p2 (bound by attlsd, one per worker)" 2 "$(ss -Hltn "sport = :$p2" | wc -l)"

for p in "$p1" "$p2" "$p1" "$p2"; do
	tlsclient --ca "$T_PKI/ca.crt" "127.0.0.1:$p" send:1000 shut recv >"$T_TMP/c.out" ||
		{ cat -v "$T_TMP/c.out"; t_fail "TLS on $p"; }
	assert_match "TLS through 127.0.0.1:$p" "^received=1000$" "$(grep -a '^received=' "$T_TMP/c.out")"
done

# A reload that names the unused passed port: attlsd listens on that socket.
policy_with "$p1" "$p2" "$p3" >"$policy"
log_mark
kill -HUP "$ATTLSD_PID"
wait_report "$ATTLSD_LOG" "policy reloaded from .*: 3 rules, 3 listeners" 10 >/dev/null || t_fail "the reload failed"
for ((i = 0; i < 100; i++)); do
	tlsclient --timeout 5 --ca "$T_PKI/ca.crt" "127.0.0.1:$p3" send:100 shut recv >"$T_TMP/c.out" 2>&1 && break
	sleep 0.05
done
assert_match "after the reload, TLS through the passed socket on $p3" "^received=100$" "$(grep -a '^received=' "$T_TMP/c.out")"
assert_eq "listening sockets on $p3 (passed)" 1 "$(ss -Hltn "sport = :$p3" | wc -l)"
expect_no_error
attlsd_stop
t_done
