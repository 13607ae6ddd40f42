#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Aborts reach the TLS peer as aborts: a backend that resets mid-response makes
# attlsd reset the python ssl client without close_notify (it sees a reset or an
# unexpected EOF, never a complete stream) and log RC 5110 naming the backend; a
# clean backend FIN still gives close_notify; at shutdown_timeout after SIGTERM
# a live connection is reset on both sides (no close_notify) with RC 5110.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"

start_backend reset --bytes 5000
reset_port=$BACKEND_PORT reset_report=$BACKEND_REPORT
start_backend source --bytes 5000
src_port=$BACKEND_PORT
start_backend echo
echo_port=$BACKEND_PORT echo_report=$BACKEND_REPORT

read -r p_reset p_src p_echo <<<"$(free_ports 3)"
policy_new
policy_settings 'shutdown_timeout: 1'
policy_standard
policy_rule aborting "$p_reset" env-server "127.0.0.1:$reset_port"
policy_rule clean "$p_src" env-server "127.0.0.1:$src_port"
policy_rule live "$p_echo" env-server "127.0.0.1:$echo_port"
attlsd_start "$(policy_file)"
TC=(--ca "$T_PKI/ca.crt" --timeout 10)

# ---- the backend resets after 5000 bytes
tlsclient "${TC[@]}" "127.0.0.1:$p_reset" recv >"$T_TMP/reset.out" 2>&1 ||
	{ cat "$T_TMP/reset.out"; t_fail "client of the resetting backend failed"; }
wait_report "$reset_report" '^done conn=1 .* end=reset_sent$' >/dev/null ||
	t_fail "the backend did not reset its connection"
assert_match "backend reset: the client saw the end as a reset or an unexpected EOF, no close_notify" \
	'^(reset|tcp_eof)$' "$(kv "$T_TMP/reset.out" eof)"
expect_rc 5110 "$p_reset"
assert_match "the cause names the backend's reset and the client's" \
	'the backend reset the connection \(or crashed\) after sending [0-9]+ bytes and receiving 0: the client was reset too, without close_notify' "$RC_CAUSE"

# ---- a clean backend FIN still gives close_notify
tlsclient "${TC[@]}" "127.0.0.1:$p_src" recv shut >"$T_TMP/src.out" 2>&1 ||
	{ cat "$T_TMP/src.out"; t_fail "client of the clean backend failed"; }
assert_eq "backend FIN: the client got all 5000 bytes" 5000 "$(kv "$T_TMP/src.out" received)"
assert_eq "backend FIN: then close_notify" close_notify "$(kv "$T_TMP/src.out" eof)"
expect_no_error

# ---- SIGTERM; the connection stays open past shutdown_timeout (1 s)
tlsclient_bg "$T_TMP/live.out" "${TC[@]}" "127.0.0.1:$p_echo" text:ping-75 recv
client=$BG_PID
wait_report "$echo_report" '^accept conn=1 ' >/dev/null || t_fail "the echo backend got no connection"
kill -TERM "$ATTLSD_PID"
wait_exit "$client" 10
[[ $EXIT_STATUS != timeout ]] || t_fail "the client was still connected 10 s after SIGTERM"
assert_match "shutdown_timeout: the client saw a reset or an unexpected EOF, no close_notify" \
	'^(reset|tcp_eof)$' "$(kv "$T_TMP/live.out" eof)"
line=$(wait_report "$echo_report" '^done conn=1 ') || t_fail "the echo backend reported nothing"
assert_match "shutdown_timeout: the backend was reset too" ' end=reset$' "$line"
line=$(wait_log "$(rc_pattern 5110)") || { show_seen; t_fail "RC 5110 not logged at shutdown_timeout"; }
assert_match "shutdown_timeout: RC 5110 for the live rule" 'RULE: live ' "$line"
assert_match "the cause names shutdown_timeout" \
	'RC: 5110 .*did not finish within settings.shutdown_timeout \(1s\)' "$(cause_of 5110)"
wait_exit "$ATTLSD_PID" 10
check_sanitizers
[[ $EXIT_STATUS == 0 ]] || t_fail "attlsd after SIGTERM: exit status '$EXIT_STATUS'"
exit 0
