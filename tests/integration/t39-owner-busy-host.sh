#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Jobname rules on a busy host: the owning process is looked up off the
# worker's loop (CONN_MAPPING, libuv's threadpool), completely, and a lookup
# that cannot finish ends the connection with RC 5108 instead of mapping it
# as if the process had no name.
#
# - 1500 processes hold 4 sockets each (tests/tools/owner_probe hold); a
#   backend started after them (python3 run as "t39-gateway") is matched by
#   its Jobname on its FIRST connection (a 20 ms scan budget on the loop
#   mapped it to the clear-text fallback).
# - A backend whose listener is in flight over a unix socket (no process
#   holds it until the test lets the helper take it) keeps its connection in
#   the mapping state for as long as the test wants: meanwhile a TLS
#   handshake on another listener (a rule without Jobname) completes, so the
#   loop is free. Released, the waiting connection maps by Jobname.
# - A peer reset while its lookup runs frees the connection (the lookup is
#   cancelled and given back later; ASan builds check the memory).
# - A listener nobody ever takes: at handshake_timeout RC 5108 with a cause
#   line, and no fallthrough to the rule below.
# - SIGTERM with a lookup in flight: shutdown_timeout ends the connection,
#   the lookup is cancelled, attlsd exits 0.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck disable=SC2034 # read by lib.sh
T_LIMIT=180
. "$(dirname "$0")/lib.sh"

probe=${ATTLS_BUILDDIR:-$T_DIR/../..}/tests/tools/owner_probe
[[ -x $probe ]] || t_fail "owner_probe not built: $probe"
# The interpreter itself (python3 may be a shim that dispatches on its name).
py=$("$T_PY" -c "import os, sys; print(os.path.realpath(sys.executable))")
ln -s "$py" "$T_TMP/t39-gateway"
ln -s "$py" "$T_TMP/t39-held"

# A busy host: 1500 processes with a listener and 4 connected sockets each.
mkfifo "$T_TMP/hold.in"
# shellcheck disable=SC2034 # held open: the holder runs until it closes
exec {hold_in}<>"$T_TMP/hold.in"
"$probe" hold 1500 4 <"$T_TMP/hold.in" >"$T_TMP/hold.out" 2>&1 &
t_track $!
p_hold_ready() { grep -q '^ready' "$T_TMP/hold.out" 2>/dev/null || ! t_running "$1"; }
wait_until 60 p_hold_ready "$!"
grep -q '^ready 1500$' "$T_TMP/hold.out" || { cat "$T_TMP/hold.out"; t_fail "owner_probe hold did not start 1500 processes"; }
procs=(/proc/[0-9]*)
t_ok "1500 processes hold sockets (${#procs[@]} processes on the host)"

# held.py: a listener passed over a unix socket and closed, so that no
# process holds it, until a line arrives on the FIFO; then it takes the
# descriptor back and echoes.
cat >"$T_TMP/held.py" <<'EOF'
import socket, sys, threading
ready, release = sys.argv[1], sys.argv[2]
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(16)
port = l.getsockname()[1]
a, b = socket.socketpair()
socket.send_fds(a, [b"x"], [l.fileno()])
l.close()
a.close()
with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % port)
import os
os.rename(ready + ".tmp", ready)
with open(release) as f:
    f.readline()
_, fds, _, _ = socket.recv_fds(b, 1, 1)
l = socket.socket(fileno=fds[0])
def echo(c):
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
while True:
    c, _ = l.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
EOF
# start_held NAME: sets HELD_PORT; the helper waits on $T_TMP/NAME.release.
start_held() {
	mkfifo "$T_TMP/$1.release"
	"$T_TMP/t39-held" "$T_TMP/held.py" "$T_TMP/$1.ready" "$T_TMP/$1.release" >"$T_TMP/$1.log" 2>&1 &
	t_track $!
	wait_file "$T_TMP/$1.ready" || { cat "$T_TMP/$1.log"; t_fail "held.py $1 did not start"; }
	HELD_PORT=$(<"$T_TMP/$1.ready")
}
start_held gate
gate_be=$HELD_PORT
start_held never
never_be=$HELD_PORT
start_backend echo
plain_be=$BACKEND_PORT
# The fresh process: started after the 1500, so a scan in pid order meets it last.
T_PY=$T_TMP/t39-gateway start_backend echo
fresh_be=$BACKEND_PORT
pgrep -x t39-gateway >/dev/null || t_fail "no process named t39-gateway (the fresh backend)"

read -r p_fresh p_gate p_plain p_never p_rst <<<"$(free_ports 5)"
policy=$(write_policy t39 <<EOF
settings:
  shutdown_timeout: 1
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  on: { enabled: On, trace: 14 }
  off: { enabled: Off, trace: 14 }
environments:
  server: { handshake_role: Server, keyring: srv, handshake_timeout: 60 }
  short: { handshake_role: Server, keyring: srv, handshake_timeout: 2 }
rules:
  by-job: { priority: 30, direction: Inbound, local_port: $p_fresh, jobname: t39-gateway, listen: "127.0.0.1:$p_fresh", backend: "127.0.0.1:$fresh_be", group: on, environment: server }
  fresh-fallback: { priority: 10, direction: Inbound, local_port: $p_fresh, listen: "127.0.0.1:$p_fresh", backend: "127.0.0.1:$fresh_be", group: off }
  held: { priority: 30, direction: Inbound, local_port: $p_gate, jobname: "t39-he*", listen: "127.0.0.1:$p_gate", backend: "127.0.0.1:$gate_be", group: on, environment: server }
  held-fallback: { priority: 10, direction: Inbound, local_port: $p_gate, listen: "127.0.0.1:$p_gate", backend: "127.0.0.1:$gate_be", group: off }
  plain: { priority: 20, direction: Inbound, local_port: $p_plain, listen: "127.0.0.1:$p_plain", backend: "127.0.0.1:$plain_be", group: on, environment: server }
  never: { priority: 30, direction: Inbound, local_port: $p_never, jobname: t39-held, listen: "127.0.0.1:$p_never", backend: "127.0.0.1:$never_be", group: on, environment: short }
  never-fallback: { priority: 10, direction: Inbound, local_port: $p_never, listen: "127.0.0.1:$p_never", backend: "127.0.0.1:$never_be", group: off }
  reset: { priority: 30, direction: Inbound, local_port: $p_rst, jobname: t39-held, listen: "127.0.0.1:$p_rst", backend: "127.0.0.1:$never_be", group: on, environment: server }
EOF
)
attlsd_start "$policy" -d

# 1. The first connection of the fresh process maps by its Jobname.
out=$(tlsclient --ca "$T_PKI/ca.crt" "127.0.0.1:$p_fresh" text:first shut recv)
assert_match "first connection to the fresh backend: TLS" "^handshake=ok" "$out"
assert_match "first connection to the fresh backend: echoed" "^received=5$" "$out"
line=$(grep -E "EZD1281I .*LOCAL: 127\.0\.0\.1\.\.$p_fresh " "$ATTLSD_LOG")
assert_match "first connection: EZD1281I with JOBNAME t39-gateway, rule by-job" \
	"JOBNAME: t39-gateway USERID: [^ ]+ .*RULE: by-job " "$line"
assert_eq "connections mapped on port $p_fresh" 1 "$(grep -cE "EZD1281I .*LOCAL: 127\.0\.0\.1\.\.$p_fresh " "$ATTLSD_LOG")"
grep -qE "rule by-job needs the process owning socket inode [0-9]+: looking it up off the loop" "$ATTLSD_LOG" ||
	t_fail "the first connection did not go through the threadpool search"
t_ok "$(grep -oE 'owner of socket inode [0-9]+: found after [0-9]+ ms \([0-9]+ passes, [0-9]+ processes read\)' "$ATTLSD_LOG" | head -1)"
expect_no_error

# 2. A connection waits in the mapping state while the loop serves others.
tlsclient_bg "$T_TMP/gate.out" --ca "$T_PKI/ca.crt" "127.0.0.1:$p_gate" text:gated shut recv
gate_pid=$BG_PID
wait_report "$ATTLSD_LOG" "rule held needs the process owning socket inode" >/dev/null || t_fail "no lookup started for rule held"
grep -qE 'conn [0-9A-F]+: accepted -> mapping' "$ATTLSD_LOG" || t_fail "no connection entered the mapping state"
t_ok "connection to $p_gate is in the mapping state (its backend's listener is held by no process)"
out=$(tlsclient --ca "$T_PKI/ca.crt" "127.0.0.1:$p_plain" text:meanwhile shut recv)
assert_match "meanwhile, another listener: TLS handshake" "^handshake=ok" "$out"
assert_match "meanwhile, another listener: echoed" "^received=9$" "$out"
t_running "$gate_pid" || { cat "$T_TMP/gate.out"; t_fail "the gated client finished before its backend's owner could be known"; }
grep -qE "EZD1281I .*LOCAL: 127\.0\.0\.1\.\.$p_gate " "$ATTLSD_LOG" && t_fail "the gated connection was mapped before the release"
t_ok "the handshake on $p_plain completed while the connection to $p_gate waited for its owner"
echo go >"$T_TMP/gate.release"
wait_exit "$gate_pid" 30
[[ $EXIT_STATUS == 0 ]] || { cat "$T_TMP/gate.out"; t_fail "gated client: exit status $EXIT_STATUS"; }
assert_match "released: the waiting connection got TLS and its echo" "^received=5$" "$(cat "$T_TMP/gate.out")"
grep -qE "EZD1281I .*LOCAL: 127\.0\.0\.1\.\.$p_gate .*JOBNAME: t39-held .*RULE: held " "$ATTLSD_LOG" ||
	{ grep EZD1281I "$ATTLSD_LOG"; t_fail "the released connection did not map to rule held by JOBNAME t39-held"; }
t_ok "released: mapped by Jobname t39-held"
expect_no_error

# 3. A peer reset during the lookup ends the connection at once; the lookup
# is cancelled and the connection freed when the threadpool gives it back.
cat >"$T_TMP/rst.py" <<'EOF'
import os, socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x16\x03\x01\x00\x04abcd")  # not read while mapping
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF
timeout 60 "$T_PY" "$T_TMP/rst.py" "$p_rst" "$T_TMP/rst.go" >"$T_TMP/rst.out" 2>&1 &
rst_pid=$!
t_track "$rst_pid"
wait_report "$ATTLSD_LOG" "rule reset needs the process owning socket inode" >/dev/null || t_fail "no lookup started for rule reset"
: >"$T_TMP/rst.go"
expect_rc 406 "$p_rst"
grep -qE "ATL1288I .*RC:  406 .*the peer reset the connection \(Connection reset by peer\) while attlsd looked up the owning process" "$ATTLSD_LOG" ||
	t_fail "no cause line for the reset during the lookup"
wait_report "$ATTLSD_LOG" "owner lookup given back after the connection ended" 10 >/dev/null ||
	t_fail "the cancelled lookup was not given back"
t_ok "reset during the lookup: connection ended, lookup cancelled and given back"

# 4. Nobody ever takes the listener: at handshake_timeout (2 s) RC 5108.
tlsclient --ca "$T_PKI/ca.crt" "127.0.0.1:$p_never" text:x >"$T_TMP/never.out" 2>&1
expect_rc 5108 "$p_never"
line=$(grep -E "ATL1288I TTLS Cause .*RC: 5108" "$ATTLSD_LOG" | tail -1)
assert_match "cause: the owning process could not be determined" \
	"rule never names jobname t39-held: the process owning the listener 127\.0\.0\.1\.\.$never_be .*could not be determined: .*handshake_timeout \(2s\)" \
	"$line"
grep -qE "EZD1281I .*LOCAL: 127\.0\.0\.1\.\.$p_never .*RULE: never-fallback" "$ATTLSD_LOG" &&
	t_fail "the connection fell through to never-fallback"
t_ok "no fallthrough to never-fallback"

# 5. Shutdown while a lookup runs: shutdown_timeout (1 s) ends the waiting
# connection, its lookup is cancelled, and attlsd exits 0 (attlsd_stop).
# The client's 30 s are the case: it is still there when attlsd stops.
tlsclient_bg "$T_TMP/stop.out" --raw "127.0.0.1:$p_rst" hello sleep:30
wait_log "conn [0-9A-F]+: accepted -> mapping" >/dev/null || t_fail "the last connection is not in the mapping state"
attlsd_stop
log_since_mark | grep -qE "ATL1289I TTLS Close .*END: shutdown " || t_fail "the waiting connection did not end with END: shutdown"
wait_report "$ATTLSD_LOG" "owner lookup given back after the connection ended \(Operation canceled\)" 1 >/dev/null ||
	t_fail "the lookup of the connection ended by the shutdown was not given back"
t_ok "shutdown with a lookup in flight: connection ended, lookup cancelled, exit 0"
t_done
