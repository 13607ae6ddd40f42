#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# attlsd as systemd sees it through $NOTIFY_SOCKET (a socket of this test,
# since systemd is not PID 1 here): READY=1 with STATUS (policy generation,
# live connections), RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on
# SIGTERM, and with $WATCHDOG_USEC a watchdog fed only while every worker loop
# runs: one worker thread stopped (ptrace, the others running on) stops the
# feeding for longer than WatchdogSec, which is when systemd would kill the
# service; once the worker runs again the feeding resumes.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
"$ATTLSD" -V | grep -q '; systemd)' || t_skip "attlsd was built --without-systemd"
((T_VALGRIND == 0)) || t_skip "the watchdog's timing does not hold under valgrind"

start_backend echo
port=$(free_port)
policy=$(write_policy t60 <<EOF
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
  app: { priority: 10, direction: Inbound, local_addr: 127.0.0.1, local_port: $port, group: on, environment: server, backend: "127.0.0.1:$BACKEND_PORT" }
EOF
)

report=$T_TMP/notify.report
: >"$report"
"$T_PY" "$T_DIR/notify_sink.py" "$T_TMP/notify.sock" "$report" "$T_TMP/notify.up" &
t_track $!
for ((i = 0; i < 200; i++)); do [[ -e $T_TMP/notify.up ]] && break; sleep 0.05; done
[[ -e $T_TMP/notify.up ]] || t_fail "notify_sink.py did not start"

# WatchdogSec=1.5s: attlsd checks its workers and feeds every 0.5 s.
NOTIFY_SOCKET=$T_TMP/notify.sock WATCHDOG_USEC=1500000 attlsd_start "$policy"
wait_report "$report" " READY=1$" 5 >/dev/null || { cat "$report"; t_fail "no READY=1"; }
wait_report "$report" "STATUS=policy generation 0, 0 connections" 5 >/dev/null ||
	{ cat "$report"; t_fail "no STATUS line after READY=1"; }
t_ok "READY=1, then STATUS=policy generation 0, 0 connections"
grep -q "systemd watchdog: 1500 ms" "$ATTLSD_LOG" || t_fail "attlsd did not take WATCHDOG_USEC"

# wd_count: WATCHDOG=1 messages so far.
wd_count() { grep -c " WATCHDOG=1$" "$report"; }
for ((i = 0; i < 100; i++)); do (($(wd_count) >= 3)) && break; sleep 0.05; done
(($(wd_count) >= 3)) || { cat "$report"; t_fail "the watchdog is not fed (fewer than 3 WATCHDOG=1 in 5 s)"; }
t_ok "the watchdog is fed while both workers run ($(wd_count) WATCHDOG=1)"

# A live connection shows in STATUS.
tlsclient_bg "$T_TMP/held.out" --ca "$T_PKI/ca.crt" "127.0.0.1:$port" send:10 sleep:60
wait_report "$report" "STATUS=policy generation 0, 1 connections" 5 >/dev/null ||
	{ cat "$report"; t_fail "STATUS did not count the live connection"; }
t_ok "STATUS counts the live connection"
t_kill "$BG_PID"
for ((i = 0; i < 100; i++)); do [[ $(grep STATUS= "$report" | tail -1) == *" 0 connections" ]] && break; sleep 0.05; done
[[ $(grep STATUS= "$report" | tail -1) == *" 0 connections" ]] || t_fail "STATUS did not drop to 0 connections"

# Worker 1 stuck: stopped by ptrace, worker 0 and the main loop run on.
tid=$(grep -lx 'attlsd-w1' /proc/"$ATTLSD_PID"/task/*/comm 2>/dev/null | head -1 | cut -d/ -f5)
[[ -n $tid ]] || { cat /proc/"$ATTLSD_PID"/task/*/comm; t_fail "no thread named attlsd-w1"; }
touch "$T_TMP/hold"
"$T_PY" "$T_DIR/freeze_thread.py" "$tid" "$T_TMP/frozen" "$T_TMP/hold" 2>"$T_TMP/freeze.err" &
freezer=$!
t_track "$freezer"
for ((i = 0; i < 100; i++)); do [[ -s $T_TMP/frozen ]] && break; t_running "$freezer" || break; sleep 0.05; done
if [[ ! -s $T_TMP/frozen ]]; then
	grep -q "Operation not permitted" "$T_TMP/freeze.err" && t_skip "ptrace is not permitted here: $(cat "$T_TMP/freeze.err")"
	cat "$T_TMP/freeze.err"
	t_fail "could not stop thread $tid"
fi
t_ok "worker thread attlsd-w1 (tid $tid) stopped"
# The feeding stops, and stays stopped for longer than WatchdogSec: systemd
# would send SIGABRT now. A WATCHDOG=1 after the stuck worker was seen fails.
for ((i = 0; i < 100; i++)); do grep -q "worker 1 did not answer the watchdog's ping" "$ATTLSD_LOG" && break; sleep 0.05; done
grep -q "worker 1 did not answer the watchdog's ping" "$ATTLSD_LOG" || t_fail "attlsd did not notice the stuck worker within 5 s"
"$T_PY" - "$report" <<'EOF' || t_fail "the watchdog was fed although a worker was stuck"
import sys, time
def last_feed():
    t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.rstrip().endswith(" WATCHDOG=1")]
    return t[-1] if t else 0.0
start = last_feed()
# Unfed for 2 s > WatchdogSec (1.5 s) since the last feed; any feed meanwhile fails.
while time.monotonic() - start < 2.0:
    if last_feed() != start:
        sys.exit("fed again at %.3f (last feed before: %.3f)" % (last_feed(), start))
    time.sleep(0.05)
print("t60: ok: no WATCHDOG=1 for %.1f s (WatchdogSec 1.5 s)" % (time.monotonic() - start))
EOF
attlsd_alive

# The worker runs again: the feeding resumes.
n=$(wd_count)
rm -f "$T_TMP/hold"
wait_exit "$freezer" 5
for ((i = 0; i < 100; i++)); do (($(wd_count) > n)) && break; sleep 0.05; done
(($(wd_count) > n)) || t_fail "the watchdog was not fed again after the worker resumed"
grep -q "worker 1 answers again" "$ATTLSD_LOG" || t_fail "no log line for the worker's recovery"
t_ok "worker 1 runs again: the watchdog is fed again"

# SIGHUP: RELOADING=1, then READY=1 and the new generation in STATUS.
log_mark
kill -HUP "$ATTLSD_PID"
wait_report "$report" "RELOADING=1 \| MONOTONIC_USEC=[0-9]+" 5 >/dev/null || { cat "$report"; t_fail "no RELOADING=1"; }
wait_report "$report" "STATUS=policy generation 1, 0 connections" 5 >/dev/null || { cat "$report"; t_fail "no STATUS after the reload"; }
"$T_PY" - "$report" <<'EOF' || t_fail "RELOADING=1 / READY=1 out of order"
import sys
states = [l.split(" ", 1)[1].rstrip("\n") for l in open(sys.argv[1])]
r = max(i for i, s in enumerate(states) if s.startswith("RELOADING=1"))
assert "READY=1" in states[r + 1:], states[r:]
EOF
t_ok "SIGHUP: RELOADING=1, READY=1, STATUS=policy generation 1"

attlsd_stop
grep -q " STOPPING=1$" "$report" || { cat "$report"; t_fail "no STOPPING=1 on SIGTERM"; }
t_ok "SIGTERM: STOPPING=1"
t_done
