#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Signals:
#  SIGHUP (twice, with a live connection) does not crash attlsd, does not break the
#   live connection, and new connections are still served.
#  SIGTERM with a live connection: attlsd stops accepting, the live connection runs to
#   completion (data checked), then attlsd exits 0 promptly.
#  SIGTERM with a connection that never ends: attlsd exits 0 after shutdown_timeout.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"

start_backend sink
read -r port port2 <<<"$(free_ports 2)"
# policy PORT SHUTDOWN_TIMEOUT: one rule to the sink; sets POLICY.
policy() {
	policy_new
	policy_settings "shutdown_timeout: $2"
	policy_standard
	policy_rule web "$1" env-server "127.0.0.1:$BACKEND_PORT"
	POLICY=$(policy_file)
}
TC=(--ca "$T_PKI/ca.crt" --timeout 20)

# slow_client N OUT: connects, sends 1000 bytes, pauses 2 s, sends 1000 more, half-closes
# and reads the sink's reply; runs in the background, sets SLOW_PID. The pause
# is the case: a connection that is live while the signals arrive.
slow_client() {
	local before
	before=$(grep -c '^accept ' "$BACKEND_REPORT")
	tlsclient_bg "$2" "${TC[@]}" "127.0.0.1:$1" send:1000 sleep:2 send:1000 shut recv
	SLOW_PID=$BG_PID
	wait_count "$BACKEND_REPORT" '^accept ' $((before + 1)) 5 && return 0
	cat "$2"
	t_fail "the slow client's connection did not reach the backend"
}

# check_slow OUT WHAT: the slow client finished and its data went through intact.
check_slow() {
	wait_exit "$SLOW_PID" 20
	[[ $EXIT_STATUS == 0 ]] || { cat "$1"; t_fail "$2: live client failed (status $EXIT_STATUS)"; }
	assert_eq "$2: live connection completed, reply matches the data sent" \
		"received 2000 $(kv "$1" sent_sha256)" "$(kv "$1" first_line)"
}

p_no_listener() { ! ss -Hltn "sport = :$1" | grep -q LISTEN; }
quick_client() { # quick_client PORT OUT
	tlsclient --ca "$T_PKI/ca.crt" --timeout 5 "127.0.0.1:$1" 'text:quick' shut recv >"$2" 2>&1
}

policy "$port" 20
attlsd_start "$POLICY"

# ---- SIGHUP
slow_client "$port" "$T_TMP/hup.out"
kill -HUP "$ATTLSD_PID"
wait_log 'policy reloaded from .* \(generation 1\)' >/dev/null || t_fail "no reload logged after SIGHUP"
attlsd_alive
t_ok "attlsd survived SIGHUP"
quick_client "$port" "$T_TMP/quick1.out" || { cat "$T_TMP/quick1.out"; t_fail "new connection after SIGHUP failed"; }
assert_eq "new connection after SIGHUP" "received 5 $(kv "$T_TMP/quick1.out" sent_sha256)" "$(kv "$T_TMP/quick1.out" first_line)"
kill -HUP "$ATTLSD_PID"
wait_log 'policy reloaded from .* \(generation 2\)' >/dev/null || t_fail "no reload logged after the second SIGHUP"
attlsd_alive
check_slow "$T_TMP/hup.out" "SIGHUP"
expect_no_error

# ---- SIGTERM with a live connection
slow_client "$port" "$T_TMP/term.out"
kill -TERM "$ATTLSD_PID"
wait_log 'signal 15: no longer accepting' >/dev/null || t_fail "attlsd did not log that it stopped accepting"
wait_until 5 p_no_listener "$port"
t_running "$ATTLSD_PID" || { wait "$ATTLSD_PID"; t_fail "attlsd exited (status $?) while a connection was live"; }
# Stopped accepting = the listening socket is closed: a new client is refused at once
# instead of completing the TCP handshake and then waiting for up to shutdown_timeout.
if port_refused 127.0.0.1 "$port"; then
	t_ok "new TCP connection refused after SIGTERM"
else
	t_fail_soft "after SIGTERM a new TCP connection to 127.0.0.1:$port was not refused (listener still open; $(ss -ltn "sport = :$port" 2>/dev/null | grep -c LISTEN) LISTEN socket(s) on the port)"
fi
quick_client "$port" "$T_TMP/quick2.out"
st=$?
if ((st == 0)); then
	cat "$T_TMP/quick2.out"
	t_fail "a new connection was served after SIGTERM"
fi
t_ok "new TLS connection not served after SIGTERM (client status $st: $(kv "$T_TMP/quick2.out" error))"
check_slow "$T_TMP/term.out" "SIGTERM"
wait_exit "$ATTLSD_PID" 5
assert_eq "attlsd exit status within 5 s after its last connection ended (shutdown_timeout 20)" 0 "$EXIT_STATUS"
check_sanitizers

# ---- SIGTERM with a connection that does not end: bounded by shutdown_timeout
policy "$port2" 1
attlsd_start "$POLICY"
n=$(grep -c '^accept ' "$BACKEND_REPORT")
tlsclient_bg "$T_TMP/idle.out" "${TC[@]}" "127.0.0.1:$port2" 'text:idle' recv
idle_pid=$BG_PID
wait_report "$BACKEND_REPORT" "^accept conn=$((n + 1)) " 5 >/dev/null || { cat "$T_TMP/idle.out"; t_fail "idle connection did not reach the backend"; }
t0=$(date +%s%N)
kill -TERM "$ATTLSD_PID"
wait_exit "$ATTLSD_PID" 8
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "attlsd exit status with a stuck connection (shutdown_timeout 1)" 0 "$EXIT_STATUS"
check_sanitizers
((ms >= 700 && ms <= 4000)) || t_fail "attlsd exited $ms ms after SIGTERM; expected about 1000 (shutdown_timeout: 1)"
t_ok "attlsd exited $ms ms after SIGTERM"
wait_exit "$idle_pid" 5
[[ $EXIT_STATUS != timeout && $EXIT_STATUS != 3 ]] || t_fail "the stuck client was not disconnected when attlsd exited"
t_ok "stuck client disconnected (eof=$(kv "$T_TMP/idle.out" eof))"
# An abort, not a complete stream: no close_notify (t75 checks both sides).
assert_match "the stuck client was reset, without close_notify" '^(reset|tcp_eof)$' \
	"$(kv "$T_TMP/idle.out" eof)"
# Bytes that may not have arrived need a logged reason, even at the default Trace:
# RC 5110 (an abort), whose cause line names shutdown_timeout.
grep -Eq "EZD1286I TTLS Error .* RC: 5110 Connection Stop" "$ATTLSD_LOG" &&
	grep -Eq "ATL1288I TTLS Cause .* RC: 5110 .*settings.shutdown_timeout \(1s\)" "$ATTLSD_LOG" ||
	t_fail "the connection closed by shutdown_timeout has no RC 5110 line naming shutdown_timeout"
t_ok "the forced close is logged with RC 5110 and its reason"
t_done
